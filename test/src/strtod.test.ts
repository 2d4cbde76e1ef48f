/*
 * strtod.ts: glibc strtod's grammar and rounding (decimal through V8's correctly rounded
 * Number(), hexadecimal rounded here), the consumed length and ERANGE, and Redis's string2d
 * rules on top. Hexadecimal expectations come from Python's float.fromhex (correctly
 * rounded, as glibc is).
 */
import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { strtod, strtodResult, string2d, scaleToDouble } from '../../src/strtod.ts';

function parse(text: string | Buffer): { value: number; end: number; erange: boolean } {
  const b = typeof text === 'string' ? Buffer.from(text, 'latin1') : text;
  strtod(b, 0, b.length);
  return { ...strtodResult };
}

function s2d(text: string): number | null {
  const b = Buffer.from(text, 'latin1');
  return string2d(b, 0, b.length) ? strtodResult.value : null;
}

describe('strtod', () => {
  it('decimal forms and how much they consume', () => {
    expect(parse('1.5')).toEqual({ value: 1.5, end: 3, erange: false });
    expect(parse('  -2e3xyz')).toEqual({ value: -2000, end: 6, erange: false });
    expect(parse('.5')).toMatchObject({ value: 0.5, end: 2 });
    expect(parse('5.')).toMatchObject({ value: 5, end: 2 });
    expect(parse('1e')).toMatchObject({ value: 1, end: 1 });
    expect(parse('1e+')).toMatchObject({ value: 1, end: 1 });
    expect(parse('+7')).toMatchObject({ value: 7, end: 2 });
    expect(parse('.')).toMatchObject({ value: 0, end: 0 });
    expect(parse('-')).toMatchObject({ value: 0, end: 0 });
    expect(parse('')).toMatchObject({ value: 0, end: 0 });
    expect(parse('  ')).toMatchObject({ value: 0, end: 0 });
    expect(parse('0.1')).toMatchObject({ value: 0.1 });
    expect(parse('123456789012345678901234567890')).toMatchObject({ value: 1.2345678901234568e29 });
    expect(Object.is(parse('-0').value, -0)).toBe(true);
    expect(parse('1_0')).toMatchObject({ value: 1, end: 1 });
    expect(parse('0b11')).toMatchObject({ value: 0, end: 1 });
  });

  it('a NUL ends the string', () => {
    expect(parse(Buffer.from([0x31, 0x32, 0x00, 0x33]))).toMatchObject({ value: 12, end: 2 });
  });

  it('overflow and underflow set ERANGE', () => {
    expect(parse('1e400')).toEqual({ value: Infinity, end: 5, erange: true });
    expect(parse('-1e400')).toEqual({ value: -Infinity, end: 6, erange: true });
    expect(parse('1e-400')).toEqual({ value: 0, end: 6, erange: true });
    expect(parse('0e-400')).toEqual({ value: 0, end: 6, erange: false });
    expect(parse('4e-320').erange).toBe(true); // subnormal
    expect(parse('1.7976931348623157e308').erange).toBe(false);
  });

  it('inf, infinity and nan in any case', () => {
    expect(parse('inf')).toEqual({ value: Infinity, end: 3, erange: false });
    expect(parse('-INFINITY')).toEqual({ value: -Infinity, end: 9, erange: false });
    expect(parse('Infinit')).toMatchObject({ value: Infinity, end: 3 });
    expect(parse('infx')).toMatchObject({ end: 3 });
    expect(parse('in')).toMatchObject({ end: 0 });
    expect(parse('nan').value).toBeNaN();
    expect(parse('NaN(abc_1)')).toMatchObject({ end: 10 });
    expect(parse('nan(abc')).toMatchObject({ end: 3 });
  });

  it('hexadecimal, rounded to nearest even, subnormals and overflow', () => {
    const cases: Array<[string, number]> = [
      ['0x10', 16], ['0xA.8p1', 21], ['0x.8', 0.5], ['0x1p-2', 0.25], ['-0x1P+3', -8],
      ['0x1.fffffffffffff8p0', 2], ['0x1.fffffffffffff7ffp0', 1.9999999999999998],
      ['0x1.00000000000008p0', 1], ['0x1.00000000000018p0', 1.0000000000000004],
      ['0x1p-1074', 5e-324], ['0x1p-1075', 0], ['0x1.8p-1075', 5e-324], ['0x1p-1076', 0],
      ['0x0.0000000000001p-1022', 5e-324], ['0x1.fffffffffffffp1023', 1.7976931348623157e308],
      ['0x123456789abcdef12p0', 2.0988295479420645e19],
    ];
    for (const [text, want] of cases) expect(parse(text).value, text).toBe(want);
    expect(parse('0x1.fffffffffffff8p1023')).toMatchObject({ value: Infinity, erange: true });
    expect(parse('0x1p-1080')).toMatchObject({ value: 0, erange: true });
    expect(parse('0x')).toMatchObject({ value: 0, end: 1 });
    expect(parse('0xg')).toMatchObject({ value: 0, end: 1 });
    expect(parse('0x1p')).toMatchObject({ value: 1, end: 3 });
    expect(parse('0x1p+')).toMatchObject({ value: 1, end: 3 });
  });

  it('decimal strings agree with Number() (property)', () => {
    fc.assert(
      fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), fc.integer({ min: 1, max: 17 }), (d, digits) => {
        for (const text of [String(d), d.toExponential(digits - 1), d.toPrecision(digits)]) {
          const r = parse(text);
          expect(Object.is(r.value, Number(text))).toBe(true);
          expect(r.end).toBe(text.length);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('short hexadecimal strings are exact (property)', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 1n, max: (1n << 52n) - 1n }), fc.integer({ min: -1000, max: 900 }), (m, e) => {
        const text = `0x${m.toString(16)}p${e}`;
        expect(parse(text).value).toBe(Number(m) * 2 ** e);
        expect(scaleToDouble(m, e)).toBe(Number(m) * 2 ** e);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('string2d (ZADD scores, increments, weights)', () => {
  it('accepts a whole double, refuses the rest', () => {
    expect(s2d('1.5')).toBe(1.5);
    expect(s2d('-inf')).toBe(-Infinity);
    expect(s2d('0x10')).toBe(16);
    expect(s2d('1e-310')).toBe(1e-310); // subnormal: ERANGE but not zero, accepted
    for (const bad of ['', ' 1', '1 ', 'nan', '1e400', '-1e400', '1e-400', 'abc', '1\x00', '\t1', '1e', '0x']) {
      expect(s2d(bad), JSON.stringify(bad)).toBeNull();
    }
  });
});
