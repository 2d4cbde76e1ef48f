/*
 * Redis's stringmatchlen rules, including its edge cases (a lone '*' does not match the empty
 * string; an unterminated class ends the pattern), byte-exact and optionally case-folded.
 */
import { describe, expect, it } from 'vitest';
import { globMatchString, globMatch } from '../../src/glob.ts';

describe('globMatch', () => {
  const cases: Array<[string, string, boolean]> = [
    ['*', 'abc', true],
    ['a*', 'abc', true],
    ['a?c', 'abc', true],
    ['a?c', 'ac', false],
    ['a[bc]c', 'acc', true],
    ['a[^b]c', 'abc', false],
    ['a[^b]c', 'axc', true],
    ['a[a-c]', 'ab', true],
    ['a[c-a]', 'ab', true],
    ['a\\*', 'a*', true],
    ['a\\*', 'ab', false],
    ['h*llo', 'hllo', true],
    ['*a*b', 'xaxb', true],
    ['[abc', 'a', true],
    ['*', '', false],
    ['', '', true],
  ];
  for (const [pattern, text, expected] of cases) {
    it(`${JSON.stringify(pattern)} vs ${JSON.stringify(text)} -> ${expected}`, () => {
      expect(globMatchString(pattern, text, false)).toBe(expected);
    });
  }

  it('folds case only when asked', () => {
    expect(globMatchString('MAX*', 'maxmemory', false)).toBe(false);
    expect(globMatchString('MAX*', 'maxmemory', true)).toBe(true);
  });

  it('compares bytes, not characters', () => {
    const pattern = Buffer.from([0x61, 0x3f, 0x63]);
    const text = Buffer.from([0x61, 0xff, 0x63]);
    expect(globMatch(pattern, 0, 3, text, 0, 3, false)).toBe(true);
  });
});
