/*
 * Exact x87 80-bit `long double` arithmetic, as much of it as INCRBYFLOAT needs, so its replies
 * match redis-server byte for byte. Redis (t_string.c incrbyfloatCommand) parses the stored value
 * and the increment with string2ld (strtold), adds them in `long double` (64-bit significand,
 * 15-bit exponent on x86_64) and prints the sum with ld2string(LD_STR_HUMAN): "%.17Lf" with the
 * trailing zeros and '.' removed. A JS double has 11 fewer significand bits, so e.g.
 * "0.1" + "0.2" or anything past 2^53 would print differently; hence BigInt arithmetic here.
 *
 * A finite value is sig * 2^exp with sig a BigInt below 2^64. Normal values have sig >= 2^63 and
 * exp in [MIN_EXP, MAX_EXP]; subnormals (below 2^-16382, down to 2^-16445) have exp === MIN_EXP
 * and sig < 2^63; zero is sig 0 (signed). Every operation computes the exact result and rounds
 * it once, to nearest with ties to even, at 64 significant bits or at the subnormal quantum
 * 2^-16445, whichever is coarser: what glibc's strtold, the x87 FPU (64-bit precision control,
 * as x86_64 long double uses) and glibc's printf do in the default rounding mode.
 */

export type LongDouble =
  | { readonly kind: 'finite'; readonly neg: boolean; readonly sig: bigint; readonly exp: number }
  | { readonly kind: 'inf'; readonly neg: boolean }
  | { readonly kind: 'nan' };

/** Exponent of the significand's last bit for the smallest subnormal, 2^-16445. */
const MIN_EXP = -16445;
/** Exponent of the significand's last bit for the largest binade: max = (2^64-1) * 2^16320. */
const MAX_EXP = 16320;
/** Redis's MAX_LONG_DOUBLE_CHARS: string2ld rejects inputs this long or longer. */
const MAX_LONG_DOUBLE_CHARS = 5 * 1024;
const TWO_63 = 1n << 63n;
const TWO_64 = 1n << 64n;
const FRACTION_DIGITS = 17;
const TEN_17 = 10n ** 17n;

function finite(neg: boolean, sig: bigint, exp: number): LongDouble {
  return { kind: 'finite', neg, sig, exp };
}

function zero(neg: boolean): LongDouble {
  return finite(neg, 0n, MIN_EXP);
}

function bitLength(n: bigint): number {
  const hex = n.toString(16);
  return (hex.length - 1) * 4 + 32 - Math.clz32(parseInt(hex[0]!, 16));
}

/**
 * Rounds the exact value (-1)^neg * num / den * 2^e2 (num >= 0, den > 0) to a long double:
 * half-even at 64 bits or at 2^MIN_EXP, infinity past the largest finite value.
 */
function roundRational(neg: boolean, num: bigint, den: bigint, e2: number): LongDouble {
  if (num === 0n) return zero(neg);
  const a = bitLength(num);
  const b = bitLength(den);
  // num/den * 2^e2 lies in (2^(mag-1), 2^(mag+1)); decide the far-out cases without huge shifts.
  const mag = a - b + e2;
  if (mag > MAX_EXP + 64 + 2) return { kind: 'inf', neg };
  if (mag < MIN_EXP - 2) return zero(neg);
  // Choose s so that q = floor(num * 2^s / den) has 64 bits, unless that would go below 2^MIN_EXP.
  let s = 64 - (a - b);
  for (;;) {
    if (e2 - s < MIN_EXP) s = e2 - MIN_EXP;
    const n = s >= 0 ? num << BigInt(s) : num;
    const d = s >= 0 ? den : den << BigInt(-s);
    let q = n / d;
    if (q >= TWO_64) {
      s--;
      continue;
    }
    const twiceRem = (n - q * d) * 2n;
    if (twiceRem > d || (twiceRem === d && (q & 1n) === 1n)) q++;
    let exp = e2 - s;
    if (q === TWO_64) {
      q = TWO_63;
      exp++;
    }
    return exp > MAX_EXP ? { kind: 'inf', neg } : finite(neg, q, exp);
  }
}

function isSpace(ch: number): boolean {
  return ch === 0x20 || (ch >= 0x09 && ch <= 0x0d);
}

function isDigit(ch: number): boolean {
  return ch >= 0x30 && ch <= 0x39;
}

function hexValue(ch: number): number {
  if (isDigit(ch)) return ch - 0x30;
  const lower = ch | 0x20;
  return lower >= 0x61 && lower <= 0x66 ? lower - 0x61 + 10 : -1;
}

/** Case-insensitive match of ASCII lowercase `word` at bytes[i]. */
function matchWord(bytes: Uint8Array, i: number, end: number, word: string): boolean {
  if (end - i < word.length) return false;
  for (let k = 0; k < word.length; k++) if ((bytes[i + k]! | 0x20) !== word.charCodeAt(k)) return false;
  return true;
}

/**
 * Redis's string2ld over bytes[off, off+len): strtold in the C locale, which must consume every
 * byte (so any NUL byte fails), with no leading space, no NaN, no overflow to infinity and no
 * nonzero input that underflows to zero. Returns null where Redis replies "value is not a valid
 * float". Accepts decimal and hexadecimal (0x, optional binary exponent p) floats, an optional
 * sign, and "inf"/"infinity" in any case (which parse to infinity). Correctly rounded, including
 * subnormals; inputs rounding to a nonzero subnormal are accepted, as glibc returns them
 * nonzero (with ERANGE, which string2ld only heeds for zero or infinite results).
 */
export function parseLongDouble(bytes: Uint8Array, off: number, len: number): LongDouble | null {
  if (len === 0 || len >= MAX_LONG_DOUBLE_CHARS || isSpace(bytes[off]!)) return null;
  const end = off + len;
  let i = off;
  const neg = bytes[i] === 0x2d;
  if (neg || bytes[i] === 0x2b) i++;
  if (matchWord(bytes, i, end, 'inf')) {
    const rest = end - i;
    if (rest === 3 || (rest === 8 && matchWord(bytes, i, end, 'infinity'))) return { kind: 'inf', neg };
    return null;
  }
  const hex = end - i > 2 && bytes[i] === 0x30 && (bytes[i + 1]! | 0x20) === 0x78;
  if (hex) i += 2;
  const base = hex ? 16 : 10;
  // Mantissa digits, with an optional point; strtold needs at least one digit.
  let digits = '';
  let fractionDigits = 0;
  let sawPoint = false;
  let anyDigit = false;
  for (; i < end; i++) {
    const ch = bytes[i]!;
    if (ch === 0x2e && !sawPoint) {
      sawPoint = true;
      continue;
    }
    if ((hex ? hexValue(ch) : isDigit(ch) ? 0 : -1) < 0) break;
    anyDigit = true;
    if (sawPoint) fractionDigits++;
    if (digits !== '' || ch !== 0x30) digits += String.fromCharCode(ch);
  }
  if (!anyDigit) return null;
  // Exponent: e (decimal, power of 10) or p (hex, power of 2), decimal digits, saturated.
  let exponent = 0;
  if (i < end) {
    if ((bytes[i]! | 0x20) !== (hex ? 0x70 : 0x65)) return null;
    i++;
    const expNeg = bytes[i] === 0x2d;
    if (expNeg || bytes[i] === 0x2b) i++;
    if (i === end) return null;
    for (; i < end; i++) {
      const ch = bytes[i]!;
      if (!isDigit(ch)) return null;
      exponent = Math.min(exponent * 10 + (ch - 0x30), 1e9);
    }
    if (expNeg) exponent = -exponent;
  }
  if (digits === '') return zero(neg);
  let value: LongDouble;
  if (hex) {
    value = roundRational(neg, BigInt('0x' + digits), 1n, exponent - 4 * fractionDigits);
  } else {
    // digits * 10^e10 lies in [10^(e10+nd-1), 10^(e10+nd)); the range is ~1e-4951 .. 1.19e4932.
    const e10 = exponent - fractionDigits;
    const magnitude = e10 + digits.length;
    if (magnitude > 4934) return null;
    if (magnitude < -4952) return null;
    const m = BigInt(digits);
    value = e10 >= 0 ? roundRational(neg, m * 10n ** BigInt(e10), 1n, 0) : roundRational(neg, m, 10n ** BigInt(-e10), 0);
  }
  if (value.kind !== 'finite' || value.sig === 0n) return null; // ERANGE: overflow or underflow to 0
  return value;
}

/** a + b in long double: the exact sum rounded half-even; x + (-x) is +0, inf + -inf is NaN. */
export function addLongDouble(a: LongDouble, b: LongDouble): LongDouble {
  if (a.kind === 'nan' || b.kind === 'nan') return a.kind === 'nan' ? a : b;
  if (a.kind === 'inf' || b.kind === 'inf') {
    if (a.kind === 'inf' && b.kind === 'inf' && a.neg !== b.neg) return { kind: 'nan' };
    return a.kind === 'inf' ? a : b;
  }
  if (b.sig === 0n) return a.sig === 0n ? zero(a.neg && b.neg) : a;
  if (a.sig === 0n) return b;
  const e = Math.min(a.exp, b.exp);
  const ta = a.sig << BigInt(a.exp - e);
  const tb = b.sig << BigInt(b.exp - e);
  const sum = (a.neg ? -ta : ta) + (b.neg ? -tb : tb);
  if (sum === 0n) return zero(false);
  return roundRational(sum < 0n, sum < 0n ? -sum : sum, 1n, e);
}

export function isFiniteLongDouble(v: LongDouble): boolean {
  return v.kind === 'finite';
}

/**
 * ld2string(LD_STR_HUMAN): "%.17Lf" (the exact binary value rounded half-even to 17 decimals, as
 * glibc prints it), then trailing zeros and a trailing '.' removed, and "-0" printed as "0".
 * Infinities print as "inf" / "-inf" like ld2string; NaN (which INCRBYFLOAT never formats) as
 * "nan". The largest finite value is 4933 integer digits, so Redis's 5120-byte buffer always fits.
 */
export function formatLongDoubleHuman(v: LongDouble): string {
  if (v.kind === 'nan') return 'nan';
  if (v.kind === 'inf') return v.neg ? '-inf' : 'inf';
  let scaled: bigint; // |v| * 10^17, rounded half-even to an integer
  if (v.exp >= 0) {
    scaled = (v.sig << BigInt(v.exp)) * TEN_17;
  } else {
    const shift = BigInt(-v.exp);
    const n = v.sig * TEN_17;
    scaled = n >> shift;
    const twiceRem = (n - (scaled << shift)) << 1n;
    const unit = 1n << shift;
    if (twiceRem > unit || (twiceRem === unit && (scaled & 1n) === 1n)) scaled++;
  }
  const fraction = (scaled % TEN_17).toString().padStart(FRACTION_DIGITS, '0').replace(/0+$/, '');
  const text = (v.neg ? '-' : '') + (scaled / TEN_17).toString() + (fraction === '' ? '' : '.' + fraction);
  return text === '-0' ? '0' : text;
}
