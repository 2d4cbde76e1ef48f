/*
 * printf "%.Nf" and ld2string(LD_STR_HUMAN) of doubles (src/format-fixed.ts): exact ties, which
 * glibc rounds to even and V8's toFixed away from zero, signed zeros, values past 1e21 where
 * toFixed switches to exponent notation, and the non-finite spellings. Expected strings are
 * what glibc's printf prints for the same doubles; formatFixedPoint's are util.c's own unit
 * cases for fixedpoint_d2string plus its rounding of the scaled value.
 */
import { describe, expect, it } from 'vitest';
import { formatFixed, formatFixedPoint, formatHumanDouble } from '../../src/format-fixed.ts';

describe('formatFixed', () => {
  it('prints %f with six decimals', () => {
    expect(formatFixed(200, 6)).toBe('200.000000');
    expect(formatFixed(-73.9454966, 6)).toBe('-73.945497');
    expect(formatFixed(0.1, 6)).toBe('0.100000');
  });

  it('rounds exact ties to even, as glibc does', () => {
    expect(formatFixed(200.0078125, 6)).toBe('200.007812');
    expect(formatFixed(-200.0234375, 6)).toBe('-200.023438');
    expect(formatFixed(2 ** -18, 17)).toBe('0.00000381469726562');
    expect(formatFixed(3 * 2 ** -18, 17)).toBe('0.00001144409179688');
    expect(formatFixed(0.5, 0)).toBe('0');
    expect(formatFixed(1.5, 0)).toBe('2');
  });

  it('keeps the sign of negative zero and of negatives that round to zero', () => {
    expect(formatFixed(-0, 6)).toBe('-0.000000');
    expect(formatFixed(-1e-9, 6)).toBe('-0.000000');
    expect(formatFixed(0, 6)).toBe('0.000000');
  });

  it('prints every integer digit from 1e21 up', () => {
    expect(formatFixed(1e21, 2)).toBe('1000000000000000000000.00');
    expect(formatFixed(-(2 ** 80), 1)).toBe('-1208925819614629174706176.0');
    expect(formatFixed(1e300, 6)).toBe(BigInt(1e300).toString() + '.000000');
  });

  it('spells the non-finite values as glibc', () => {
    expect(formatFixed(Infinity, 6)).toBe('inf');
    expect(formatFixed(-Infinity, 6)).toBe('-inf');
    expect(formatFixed(NaN, 6)).toBe('nan');
  });
});

describe('formatHumanDouble', () => {
  it('prints 17 decimals without trailing zeros', () => {
    expect(formatHumanDouble(13.361389338970184)).toBe('13.36138933897018433');
    expect(formatHumanDouble(85.05112878)).toBe('85.0511287799999991');
    expect(formatHumanDouble(180)).toBe('180');
    expect(formatHumanDouble(-0.5)).toBe('-0.5');
    expect(formatHumanDouble(2 ** -18)).toBe('0.00000381469726562');
  });

  it('prints zero, negative zero and tiny negatives as 0', () => {
    expect(formatHumanDouble(0)).toBe('0');
    expect(formatHumanDouble(-0)).toBe('0');
    expect(formatHumanDouble(-1e-20)).toBe('0');
  });

  it('spells the non-finite values as ld2string', () => {
    expect(formatHumanDouble(Infinity)).toBe('inf');
    expect(formatHumanDouble(-Infinity)).toBe('-inf');
  });
});

describe('formatFixedPoint', () => {
  it('passes util.c test_fixedpoint_d2string', () => {
    expect(formatFixedPoint(0, 4)).toBe('0.0000');
    expect(formatFixedPoint(0, 1)).toBe('0.0');
    expect(formatFixedPoint(0.0001, 4)).toBe('0.0001');
    expect(formatFixedPoint(6.0642951598391699e-05, 4)).toBe('0.0001');
    expect(formatFixedPoint(0.01, 4)).toBe('0.0100');
    expect(formatFixedPoint(0.01, 1)).toBe('0.0');
    expect(formatFixedPoint(-0.01, 4)).toBe('-0.0100');
    expect(formatFixedPoint(-0.1, 1)).toBe('-0.1');
    expect(formatFixedPoint(0.1, 1)).toBe('0.1');
    expect(formatFixedPoint(0.01, 17)).toBe('0.01000000000000000');
    expect(formatFixedPoint(10.01, 4)).toBe('10.0100');
  });

  it('rounds the scaled value to even, and small negatives to 0', () => {
    expect(formatFixedPoint(0.00005, 4)).toBe('0.0000');
    expect(formatFixedPoint(0.25, 1)).toBe('0.2');
    expect(formatFixedPoint(0.75, 1)).toBe('0.8');
    // 0.00015 * 10000 is 1.4999999999999998 in double arithmetic.
    expect(formatFixedPoint(0.00015, 4)).toBe('0.0001');
    expect(formatFixedPoint(-0.00001, 4)).toBe('0.0000');
    expect(formatFixedPoint(166274.15156960033, 4)).toBe('166274.1516');
  });

  it('prints LLONG_MIN for NaN and out-of-range values, as llrint on x86-64', () => {
    expect(formatFixedPoint(NaN, 4)).toBe('-922337203685477.5808');
    expect(formatFixedPoint(1e300, 4)).toBe('-922337203685477.5808');
  });
});
