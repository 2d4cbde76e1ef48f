/*
 * Redis's integer rules over bytes: string2ll's canonical int64 (no '+', no leading zeros or
 * spaces, exact at the int64 edges).
 */
import { describe, expect, it } from 'vitest';
import { parseInt64, parsed, parsedBigInt } from '../../src/numbers.ts';

function int(text: string): bigint | null {
  const b = Buffer.from(text, 'latin1');
  return parseInt64(b, 0, b.length) ? parsedBigInt() : null;
}

describe('parseInt64', () => {
  it('accepts canonical integers exactly, up to the int64 edges', () => {
    expect(int('0')).toBe(0n);
    expect(int('-1')).toBe(-1n);
    expect(int('123456789012345')).toBe(123456789012345n);
    expect(int('9007199254740993')).toBe(9007199254740993n);
    expect(int('9223372036854775807')).toBe(9223372036854775807n);
    expect(int('-9223372036854775808')).toBe(-9223372036854775808n);
  });

  it('keeps small values as numbers and large ones as bigints', () => {
    const small = Buffer.from('42');
    expect(parseInt64(small, 0, 2)).toBe(true);
    expect(parsed.isBig).toBe(false);
    expect(parsed.num).toBe(42);
    const big = Buffer.from('9223372036854775807');
    expect(parseInt64(big, 0, big.length)).toBe(true);
    expect(parsed.isBig).toBe(true);
  });

  it('rejects what string2ll rejects', () => {
    for (const text of ['', '+1', ' 1', '1 ', '01', '-0', '-', '1.0', '0x1', '9223372036854775808', '-9223372036854775809', '123456789012345678901', '1\0']) {
      expect(int(text), JSON.stringify(text)).toBeNull();
    }
  });
});
