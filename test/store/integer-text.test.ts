import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { isCanonicalInt64, parseCanonicalInt, formatInteger } from '../../store/integer-text.ts';
import { b, str } from './helpers.ts';

const canon = (s: string) => isCanonicalInt64(b(s), 0, s.length);

describe('integer-text', () => {
  it('accepts exactly the canonical int64 forms (string2ll)', () => {
    for (const s of ['0', '1', '-1', '123', '9223372036854775807', '-9223372036854775808', '1000000']) expect(canon(s), s).toBe(true);
    for (const s of ['', '-', '-0', '00', '01', '+1', ' 1', '1 ', '1.0', '1e3', '9223372036854775808', '-9223372036854775809', '99999999999999999999', '0x10', '--1'])
      expect(canon(s), s).toBe(false);
  });

  it('parses to numbers within 2^53 and bigints beyond', () => {
    const p = (s: string) => parseCanonicalInt(b(s), 0, s.length);
    expect(p('0')).toBe(0);
    expect(p('-42')).toBe(-42);
    expect(p('9007199254740991')).toBe(9007199254740991);
    expect(p('9007199254740992')).toBe(9007199254740992n);
    expect(p('-9223372036854775808')).toBe(-9223372036854775808n);
    expect(p('9223372036854775807')).toBe(9223372036854775807n);
  });

  it('formats numbers and bigints and round-trips canonical text', () => {
    const out = new Uint8Array(24);
    const f = (v: number | bigint) => str(out, 0, formatInteger(v, out, 0));
    expect(f(0)).toBe('0');
    expect(f(-1)).toBe('-1');
    expect(f(Number.MAX_SAFE_INTEGER)).toBe('9007199254740991');
    expect(f(-9223372036854775808n)).toBe('-9223372036854775808');
    fc.assert(
      fc.property(fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }), (v) => {
        const s = v.toString();
        expect(canon(s)).toBe(true);
        const parsed = parseCanonicalInt(b(s), 0, s.length);
        expect(BigInt(parsed)).toBe(v);
        expect(f(parsed)).toBe(s);
      }),
    );
  });
});
