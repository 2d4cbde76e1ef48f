/*
 * printf's "%.Nf" of a double as glibc prints it: the exact binary value rounded to N decimals,
 * ties to even. V8's toFixed is exact too but rounds ties away from zero, and it switches to
 * exponent notation from 1e21 up, so those two cases are handled here. An exact tie at N
 * decimals happens only for an odd multiple of 2^-(N+1), which is cheap to test; the (rare)
 * tie is then settled with BigInt arithmetic.
 *
 * formatHumanDouble is ld2string(LD_STR_HUMAN) of a double promoted to long double (the
 * promotion is exact): "%.17Lf" with trailing zeros and a trailing '.' removed, and "-0" as
 * "0". It is what addReplyHumanLongDouble prints, e.g. GEOPOS's coordinates.
 *
 * formatFixedPoint is util.c's fixedpoint_d2string, which is not "%.Nf": the value is scaled
 * by 10^N in double arithmetic first and then rounded to an integer (llrint, ties to even),
 * so it can differ from printf in the last decimal. Redis prints distances with it.
 */

export function formatFixed(d: number, digits: number): string {
  if (d !== d) return 'nan';
  if (d === Infinity) return 'inf';
  if (d === -Infinity) return '-inf';
  const neg = d < 0 || Object.is(d, -0);
  const a = neg ? -d : d;
  if (a >= 1e21) return (neg ? '-' : '') + BigInt(a).toString() + (digits > 0 ? '.' + '0'.repeat(digits) : '');
  const twice = a * 2 ** (digits + 1);
  if (Number.isInteger(twice) && twice % 2 === 1) {
    // a * 10^digits = n / 2 with n odd: round the half to the even neighbour.
    const n = BigInt(twice) * 5n ** BigInt(digits);
    let q = (n - 1n) / 2n;
    if ((q & 1n) === 1n) q++;
    const text = q.toString().padStart(digits + 1, '0');
    const cut = text.length - digits;
    return (neg ? '-' : '') + text.slice(0, cut) + (digits > 0 ? '.' + text.slice(cut) : '');
  }
  return (neg ? '-' : '') + a.toFixed(digits);
}

export function formatHumanDouble(d: number): string {
  if (d !== d) return 'nan';
  if (d === Infinity) return 'inf';
  if (d === -Infinity) return '-inf';
  const text = formatFixed(d, 17);
  let end = text.length;
  while (text.charCodeAt(end - 1) === 48 /* 0 */) end--;
  if (text.charCodeAt(end - 1) === 46 /* . */) end--;
  if (end === 2 && text.charCodeAt(0) === 45 /* - */ && text.charCodeAt(1) === 48) return '0';
  return end === text.length ? text : text.slice(0, end);
}

const LLONG_MIN_TEXT = '9223372036854775808';

/**
 * fixedpoint_d2string(d, digits), 1 <= digits <= 17: llrint(d * 10^digits) written with
 * `digits` decimals (zero as "0.000..."). NaN and results beyond the int64 range give
 * LLONG_MIN, as llrint does on x86-64.
 */
export function formatFixedPoint(d: number, digits: number): string {
  if (d === 0) return '0.' + '0'.repeat(digits);
  const x = d * 10 ** digits;
  let text: string;
  let neg: boolean;
  if (!(x > -9223372036854775808 && x < 9223372036854775808)) {
    neg = true;
    text = LLONG_MIN_TEXT;
  } else {
    const f = Math.floor(x);
    const rest = x - f;
    const v = rest > 0.5 || (rest === 0.5 && f % 2 !== 0) ? f + 1 : f;
    neg = v < 0;
    const a = neg ? -v : v;
    text = a <= Number.MAX_SAFE_INTEGER ? String(a) : BigInt(a).toString();
  }
  text = text.padStart(digits + 1, '0');
  const cut = text.length - digits;
  return (neg ? '-' : '') + text.slice(0, cut) + '.' + text.slice(cut);
}
