/*
 * Number parsing and formatting with Redis's rules, over bytes (no string conversion on the
 * hot path). Integers are signed 64-bit as in Redis: values within +-(2^53-1) stay plain
 * numbers (the fast path); anything larger is carried as a bigint so results stay exact.
 * Results are returned through the module-level `parsed` slot, not by allocating.
 */

export const INT64_MAX = 9223372036854775807n;
export const INT64_MIN = -9223372036854775808n;

/** Result slot of parseInt64 / parseDouble: `num` when exact as a number, else `big`. */
export const parsed = { num: 0, big: 0n, isBig: false, dbl: 0 };

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

/**
 * Redis string2ld / strtold-based float parsing as INCRBYFLOAT and friends accept it: no
 * leading or trailing space, no NaN; "inf" / "-inf" / "+inf" accepted by strtold.
 */
export function parseDouble(buf: Uint8Array, off: number, len: number): boolean {
  if (len === 0 || len > 5000) return false;
  const first = buf[off];
  const last = buf[off + len - 1];
  if (isSpace(first) || isSpace(last)) return false;
  let text = '';
  for (let i = off; i < off + len; i++) {
    const ch = buf[i];
    if (ch === 0) return false;
    text += String.fromCharCode(ch);
  }
  const value = parseCDouble(text);
  if (Number.isNaN(value)) return false;
  parsed.dbl = value;
  return true;
}

function isSpace(ch: number): boolean {
  return ch === 32 || (ch >= 9 && ch <= 13);
}

const C_FLOAT = /^[+-]?(?:(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?|0[xX](?:[0-9a-fA-F]+\.?[0-9a-fA-F]*|\.[0-9a-fA-F]+)(?:[pP][+-]?\d+)?|inf(?:inity)?)$/i;

/** strtod over a whole string: NaN when it is not entirely a C floating-point literal. */
function parseCDouble(text: string): number {
  if (!C_FLOAT.test(text)) return Number.NaN;
  const lower = text.toLowerCase();
  const sign = lower.startsWith('-') ? -1 : 1;
  const body = lower.replace(/^[+-]/, '');
  if (body.startsWith('inf')) return sign * Number.POSITIVE_INFINITY;
  if (body.startsWith('0x')) return sign * parseHexFloat(body.slice(2));
  return Number(text);
}

function parseHexFloat(hex: string): number {
  const [mantissa, exponent = '0'] = hex.split('p');
  const [intPart, fracPart = ''] = mantissa.split('.');
  let value = intPart ? parseInt(intPart, 16) : 0;
  for (let i = 0; i < fracPart.length; i++) value += parseInt(fracPart[i], 16) / 16 ** (i + 1);
  return value * 2 ** Number(exponent);
}

/**
 * INCRBYFLOAT's formatting (ld2string with LD_STR_HUMAN: "%.17Lf", trailing zeros and dot
 * removed). Redis computes in long double; slabcache in double, so a result within a few ulps
 * of a 15-significant-digit decimal prints as that decimal (0.1 + 0.2 -> "0.3", as Redis).
 */
export function formatHumanDouble(value: number): string {
  if (value === 0) return '0';
  const short = Number(value.toPrecision(15));
  const chosen = Math.abs(short - value) <= Math.abs(value) * 4.5e-16 ? short : value;
  if (Math.abs(chosen) >= 1e21) return BigInt(chosen).toString();
  let text = String(chosen);
  const e = text.indexOf('e');
  if (e >= 0) text = expandNegativeExponent(text.slice(0, e), Number(text.slice(e + 1)));
  return text === '-0' ? '0' : text;
}

/** "1.5", -7 -> "0.00000015", cut to the 17 decimals %.17Lf keeps (rounded). */
function expandNegativeExponent(mantissa: string, exponent: number): string {
  const negative = mantissa.startsWith('-');
  const digits = mantissa.replace('-', '').replace('.', '');
  const decimals = '0'.repeat(-exponent - 1) + digits;
  let fixed = Number('0.' + decimals).toFixed(17);
  fixed = fixed.replace(/0+$/, '').replace(/\.$/, '');
  if (fixed === '0') return '0';
  return negative ? '-' + fixed : fixed;
}
