/*
 * glibc strtod(3) over bytes, for the commands whose arguments Redis reads as C doubles:
 * sorted-set scores, increments and WEIGHTS (string2d: the whole argument must parse, no
 * leading space, no overflow to +-inf nor underflow to 0, no NaN) and ZRANGEBYSCORE-style
 * bounds (zslParseRange: strtod up to the first NUL, leading space allowed, anything that is
 * not NaN, an empty bound meaning 0).
 *
 * Grammar (C locale): [space] [+-] then "inf" | "infinity" | "nan" ["(" [A-Za-z0-9_]* ")"] |
 * decimal digits [. digits] [e [+-] digits] | 0x hexdigits [. hexdigits] [p [+-] digits].
 * Decimal values are rounded by V8's Number() (correctly rounded, as glibc is); hexadecimal
 * ones are rounded here, to nearest with ties to even, subnormals included. A C string ends
 * at its first NUL byte, which is where an argument with an embedded NUL stops parsing.
 * Results go to the module-level `strtodResult` slot, not a new object per call.
 */
import { latin1Text } from '../store/bytes.ts';

export const strtodResult = {
  value: 0,
  /** Bytes consumed from the start of the argument; 0 when nothing could be converted. */
  end: 0,
  /** errno == ERANGE: a finite input overflowed to +-inf or a non-zero input underflowed (to 0 or a subnormal). */
  erange: false,
};

function isCSpace(ch: number): boolean {
  return ch === 32 || (ch >= 9 && ch <= 13);
}

function lower(ch: number): number {
  return ch >= 65 && ch <= 90 ? ch | 0x20 : ch;
}

function hexDigit(ch: number): number {
  if (ch >= 48 && ch <= 57) return ch - 48;
  const l = lower(ch);
  if (l >= 97 && l <= 102) return l - 87;
  return -1;
}

/** Case-insensitive match of the ASCII lower-case `word` at buf[p..). */
function matchWord(buf: Uint8Array, p: number, end: number, word: string): boolean {
  if (end - p < word.length) return false;
  for (let i = 0; i < word.length; i++) if (lower(buf[p + i]) !== word.charCodeAt(i)) return false;
  return true;
}

function bitLength(n: bigint): number {
  return n.toString(2).length;
}

/** The double nearest to m * 2^e2 (m > 0), ties to even, with subnormals and overflow to Infinity. */
export function scaleToDouble(m: bigint, e2: number): number {
  const top = bitLength(m) - 1 + e2; // exponent of the leading bit
  if (top > 1024) return Infinity;
  if (top < -1076) return 0;
  let lsb = top - 52;
  if (lsb < -1074) lsb = -1074;
  const shift = lsb - e2;
  let q: bigint;
  if (shift <= 0) {
    q = m << BigInt(-shift);
  } else {
    const s = BigInt(shift);
    q = m >> s;
    const rem = m - (q << s);
    const half = 1n << (s - 1n);
    if (rem > half || (rem === half && (q & 1n) === 1n)) q++;
  }
  if (lsb > 971) return Number(q) * 2 ** 971 * 2 ** (lsb - 971);
  return Number(q) * 2 ** lsb;
}

/**
 * strtod on buf[off .. off+len) (stopping at a NUL byte). Sets strtodResult: the value (NaN
 * for "nan"), how many bytes were consumed (0 when no conversion, as strtod leaves endptr at
 * the start), and the ERANGE flag.
 */
export function strtod(buf: Uint8Array, off: number, len: number): void {
  const r = strtodResult;
  r.value = 0;
  r.end = 0;
  r.erange = false;
  let end = off + len;
  for (let i = off; i < end; i++) {
    if (buf[i] === 0) {
      end = i;
      break;
    }
  }
  let p = off;
  while (p < end && isCSpace(buf[p])) p++;
  let neg = false;
  if (p < end && (buf[p] === 43 || buf[p] === 45)) {
    neg = buf[p] === 45;
    p++;
  }
  if (p >= end) return;
  const ch = lower(buf[p]);
  if (ch === 105 /* i */) {
    if (!matchWord(buf, p, end, 'inf')) return;
    p += 3;
    if (matchWord(buf, p, end, 'inity')) p += 5;
    r.value = neg ? -Infinity : Infinity;
    r.end = p - off;
    return;
  }
  if (ch === 110 /* n */) {
    if (!matchWord(buf, p, end, 'nan')) return;
    p += 3;
    if (p < end && buf[p] === 40 /* ( */) {
      let q = p + 1;
      while (q < end) {
        const c = buf[q];
        const alnum = (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
        if (!alnum) break;
        q++;
      }
      if (q < end && buf[q] === 41 /* ) */) p = q + 1;
    }
    r.value = NaN;
    r.end = p - off;
    return;
  }
  if (buf[p] === 48 && p + 1 < end && lower(buf[p + 1]) === 120 /* x */) {
    if (parseHex(buf, p + 2, end, neg, off)) return;
  }
  parseDecimal(buf, p, end, neg, off);
}

function parseHex(buf: Uint8Array, p: number, end: number, neg: boolean, off: number): boolean {
  const r = strtodResult;
  let q = p;
  let mant = 0n;
  let digits = 0;
  let fracDigits = 0;
  let nonzero = false;
  while (q < end && hexDigit(buf[q]) >= 0) {
    const d = hexDigit(buf[q]);
    mant = (mant << 4n) | BigInt(d);
    if (d !== 0) nonzero = true;
    digits++;
    q++;
  }
  if (q < end && buf[q] === 46 /* . */) {
    let k = q + 1;
    let fd = 0;
    while (k < end && hexDigit(buf[k]) >= 0) {
      const d = hexDigit(buf[k]);
      mant = (mant << 4n) | BigInt(d);
      if (d !== 0) nonzero = true;
      fd++;
      k++;
    }
    if (digits + fd > 0) {
      q = k;
      fracDigits = fd;
      digits += fd;
    }
  }
  if (digits === 0) return false; // "0x" alone: strtod reads the "0"
  let exp = 0;
  if (q < end && lower(buf[q]) === 112 /* p */) {
    let k = q + 1;
    let eneg = false;
    if (k < end && (buf[k] === 43 || buf[k] === 45)) {
      eneg = buf[k] === 45;
      k++;
    }
    if (k < end && buf[k] >= 48 && buf[k] <= 57) {
      while (k < end && buf[k] >= 48 && buf[k] <= 57) {
        if (exp < 100000000) exp = exp * 10 + (buf[k] - 48);
        k++;
      }
      if (eneg) exp = -exp;
      q = k;
    }
  }
  let value = 0;
  if (nonzero) {
    value = scaleToDouble(mant, exp - 4 * fracDigits);
    r.erange = value === 0 || value === Infinity;
  }
  r.value = neg ? -value : value;
  r.end = q - off;
  return true;
}

function parseDecimal(buf: Uint8Array, p: number, end: number, neg: boolean, off: number): void {
  const r = strtodResult;
  const start = p;
  let q = p;
  let digits = 0;
  let nonzero = false;
  while (q < end && buf[q] >= 48 && buf[q] <= 57) {
    if (buf[q] !== 48) nonzero = true;
    digits++;
    q++;
  }
  if (q < end && buf[q] === 46) {
    let k = q + 1;
    let fd = 0;
    while (k < end && buf[k] >= 48 && buf[k] <= 57) {
      if (buf[k] !== 48) nonzero = true;
      fd++;
      k++;
    }
    if (digits + fd > 0) {
      q = k;
      digits += fd;
    }
  }
  if (digits === 0) return;
  if (q < end && lower(buf[q]) === 101 /* e */) {
    let k = q + 1;
    if (k < end && (buf[k] === 43 || buf[k] === 45)) k++;
    if (k < end && buf[k] >= 48 && buf[k] <= 57) {
      while (k < end && buf[k] >= 48 && buf[k] <= 57) k++;
      q = k;
    }
  }
  const value = q - start <= 16 ? fastDecimal(buf, start, q) : NaN;
  let v = value;
  if (v !== v) v = Number(latin1Text(buf, start, q));
  r.erange = v === Infinity || (v === 0 && nonzero) || (nonzero && v !== 0 && v < 2.2250738585072014e-308);
  r.value = neg ? -v : v;
  r.end = q - off;
}

const POW10 = [1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16];

/**
 * Clinger's fast path for a short decimal without exponent ("123", "-", "1.25"): at most 15
 * significant digits make an exact integer m below 2^53, and m / 10^k (k <= 16, exact) is
 * rounded once, so the result is correctly rounded. NaN when the text does not qualify.
 */
function fastDecimal(buf: Uint8Array, from: number, to: number): number {
  let m = 0;
  let digits = 0;
  let frac = -1;
  for (let i = from; i < to; i++) {
    const ch = buf[i];
    if (ch === 46) {
      frac = 0;
      continue;
    }
    if (ch < 48 || ch > 57) return NaN; // an exponent: take the general path
    m = m * 10 + (ch - 48);
    if (m !== 0) digits++;
    if (frac >= 0) frac++;
  }
  if (digits > 15) return NaN;
  return frac > 0 ? m / POW10[frac] : m;
}

/**
 * Redis string2d (util.c): the whole argument is a double, with no leading space, no NaN,
 * and no overflow or underflow to zero. The value is left in strtodResult.value.
 */
export function string2d(buf: Uint8Array, off: number, len: number): boolean {
  if (len === 0 || isCSpace(buf[off])) return false;
  strtod(buf, off, len);
  const r = strtodResult;
  if (r.end !== len) return false;
  if (r.erange && (r.value === Infinity || r.value === -Infinity || r.value === 0)) return false;
  return r.value === r.value;
}
