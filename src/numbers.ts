/*
 * Integer parsing with Redis's rules, over bytes (no string conversion on the
 * hot path). Integers are signed 64-bit as in Redis: values within +-(2^53-1) stay plain
 * numbers (the fast path); anything larger is carried as a bigint so results stay exact.
 * Results are returned through the module-level `parsed` slot, not by allocating.
 */

import { isCanonicalInt64, parseCanonicalInt } from '../store/integer-text.ts';

export const INT64_MAX = 9223372036854775807n;
export const INT64_MIN = -9223372036854775808n;

/** Result slot of parseInt64: `num` when exact as a number, else `big`. */
export const parsed = { num: 0, big: 0n, isBig: false };

/**
 * Redis string2ll: optional '-', digits, no '+', no spaces, no leading zeros (but "0"),
 * within int64 (the store's canonical-integer rules). Returns false for anything else.
 */
export function parseInt64(buf: Uint8Array, off: number, len: number): boolean {
  if (!isCanonicalInt64(buf, off, len)) return false;
  const value = parseCanonicalInt(buf, off, len);
  if (typeof value === 'number') {
    parsed.num = value;
    parsed.isBig = false;
  } else {
    parsed.big = value;
    parsed.isBig = true;
  }
  return true;
}

/** The parsed integer as a bigint (after parseInt64 returned true). */
export function parsedBigInt(): bigint {
  return parsed.isBig ? parsed.big : BigInt(parsed.num);
}

/** The parsed integer as a number, possibly rounded when beyond 2^53 (for range checks only). */
export function parsedNumber(): number {
  return parsed.isBig ? Number(parsed.big) : parsed.num;
}
