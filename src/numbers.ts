/*
 * Integer parsing with Redis's rules, over bytes (no string conversion on the
 * hot path). Integers are signed 64-bit as in Redis: values within +-(2^53-1) stay plain
 * numbers (the fast path); anything larger is carried as a bigint so results stay exact.
 * Results are returned through the module-level `parsed` slot, not by allocating.
 */

export const INT64_MAX = 9223372036854775807n;
export const INT64_MIN = -9223372036854775808n;

/** Result slot of parseInt64: `num` when exact as a number, else `big`. */
export const parsed = { num: 0, big: 0n, isBig: false };

/**
 * Redis string2ll: optional '-', digits, no '+', no spaces, no leading zeros (but "0"),
 * within int64. Returns false for anything else.
 */
export function parseInt64(buf: Uint8Array, off: number, len: number): boolean {
  if (len === 0 || len > 20) return false;
  let i = off;
  const end = off + len;
  let negative = false;
  if (buf[i] === 45) {
    negative = true;
    i++;
    if (i === end) return false;
  }
  const first = buf[i];
  if (first === 48) {
    if (i + 1 !== end || negative) return false;
    parsed.num = 0;
    parsed.isBig = false;
    return true;
  }
  if (first < 49 || first > 57) return false;
  const digits = end - i;
  if (digits <= 15) {
    let n = 0;
    for (; i < end; i++) {
      const d = buf[i] - 48;
      if (d < 0 || d > 9) return false;
      n = n * 10 + d;
    }
    parsed.num = negative ? -n : n;
    parsed.isBig = false;
    return true;
  }
  let b = 0n;
  for (; i < end; i++) {
    const d = buf[i] - 48;
    if (d < 0 || d > 9) return false;
    b = b * 10n + BigInt(d);
  }
  if (negative) b = -b;
  if (b > INT64_MAX || b < INT64_MIN) return false;
  if (b <= 9007199254740991n && b >= -9007199254740991n) {
    parsed.num = Number(b);
    parsed.isBig = false;
  } else {
    parsed.big = b;
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
