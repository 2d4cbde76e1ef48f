/*
 * Decimal text <-> signed 64-bit integers, without strings.
 *
 * What: isCanonicalInt64() is Redis's string2ll() acceptance test as used by tryObjectEncoding
 * (1..20 bytes, optional '-', no '+', no spaces, no leading zeros, "-0" rejected, within
 * [-2^63, 2^63-1]); parseCanonicalInt() reads such text back as a number (exact within
 * +-(2^53-1)) or a bigint beyond; formatInteger() writes a number or bigint as decimal digits.
 *
 * Invariants: formatInteger(parseCanonicalInt(t)) === t for every canonical t, so an int-encoded
 * value can be stored as its canonical digits and GET returns the bytes the client sent.
 *
 * Cost: one pass over at most 20 bytes. Numbers never allocate; bigints (beyond 2^53) do, which
 * is the rare path.
 *
 * Why: the store keeps int-encoded values as their canonical decimal text (see keyspace.ts), so
 * reads are zero-copy like any string and INCR parses at most 20 digits.
 */

const MAX_DIGITS = Uint8Array.from('9223372036854775807', (c) => c.charCodeAt(0));
const MIN_DIGITS = Uint8Array.from('9223372036854775808', (c) => c.charCodeAt(0));

/** Longest decimal form of an int64 ("-9223372036854775808"). */
export const MAX_INT64_TEXT = 20;

/** True when buf[off .. off+len) is the canonical decimal form of a signed 64-bit integer. */
export function isCanonicalInt64(buf: Uint8Array, off: number, len: number): boolean {
  if (len === 0 || len > 20) return false;
  let i = off;
  const end = off + len;
  let neg = false;
  if (buf[i] === 45) {
    neg = true;
    i++;
    if (i === end) return false;
  }
  const nd = end - i;
  if (buf[i] === 48) return nd === 1 && !neg;
  if (nd > 19) return false;
  for (let j = i; j < end; j++) {
    const c = buf[j];
    if (c < 48 || c > 57) return false;
  }
  if (nd < 19) return true;
  const lim = neg ? MIN_DIGITS : MAX_DIGITS;
  for (let j = 0; j < 19; j++) {
    const c = buf[i + j];
    const l = lim[j];
    if (c !== l) return c < l;
  }
  return true;
}

/** Value of canonical int64 text: a number when |v| <= 2^53-1, else a bigint. */
export function parseCanonicalInt(buf: Uint8Array, off: number, len: number): number | bigint {
  let i = off;
  const end = off + len;
  const neg = buf[i] === 45;
  if (neg) i++;
  const nd = end - i;
  if (nd <= 15) {
    let v = 0;
    for (; i < end; i++) v = v * 10 + (buf[i] - 48);
    return neg ? -v : v;
  }
  // 16..19 digits: exact as long as the result is a safe integer (every prefix is smaller).
  let v = 0;
  for (let j = i; j < end; j++) v = v * 10 + (buf[j] - 48);
  if (v <= Number.MAX_SAFE_INTEGER) return neg ? -v : v;
  let hi = 0;
  const split = end - 9;
  for (let j = i; j < split; j++) hi = hi * 10 + (buf[j] - 48);
  let lo = 0;
  for (let j = split; j < end; j++) lo = lo * 10 + (buf[j] - 48);
  const b = BigInt(hi) * 1000000000n + BigInt(lo);
  return neg ? -b : b;
}

/**
 * Write the decimal digits of an integer at out[off ..]; returns the length (<= 20).
 * The caller guarantees the value is an integer within int64 and out has 20 bytes of room.
 */
export function formatInteger(value: number | bigint, out: Uint8Array, off: number): number {
  if (typeof value === 'number' && Number.isSafeInteger(value)) {
    let v = value;
    let p = off;
    if (v < 0) {
      out[p++] = 45;
      v = -v;
    }
    if (v === 0) {
      out[p] = 48;
      return p + 1 - off;
    }
    let n = 0;
    for (let t = v; t >= 1; t = Math.floor(t / 10)) n++;
    let q = p + n - 1;
    while (v >= 1) {
      const d = v % 10;
      out[q--] = 48 + d;
      v = (v - d) / 10;
    }
    return p + n - off;
  }
  const s = (typeof value === 'bigint' ? value : BigInt(value)).toString();
  for (let k = 0; k < s.length; k++) out[off + k] = s.charCodeAt(k);
  return s.length;
}
