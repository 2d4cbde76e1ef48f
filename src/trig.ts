/*
 * sin, cos and asin rounded as glibc rounds them, for the geo distance formula. V8's Math.sin,
 * Math.cos and Math.asin (fdlibm) are faithful but not correctly rounded: about 3% of sin and cos
 * results and 6% of asin results differ from glibc's in the last bit, which shows in the 17
 * digits of GEORADIUS STOREDIST scores. glibc's results are correctly rounded in all but about
 * 0.15% of cases, so computing the correctly rounded value gets within that of it.
 *
 * sin and cos (for |x| up to about 4; the geo code stays within pi): x = x0 + t with x0 = k/128
 * and t exact (|t| <= 2^-8); sin x0 and cos x0 come from a table of double-double values built
 * once on first use (Taylor series in double-double arithmetic); sin t and cos t are t + e and
 * 1 + f with the small tails e, f in plain doubles. The angle-sum formula is then evaluated with
 * an error-free product and sum for the leading terms, which leaves a relative error near 2^-70:
 * the result is correctly rounded unless the exact value lies that close to a rounding midpoint.
 *
 * asin: one Newton step from Math.asin's result, y + (x - sin y) / cos y, with sin y as a
 * double-double. Near |x| = 1 the step loses its accuracy (cos y vanishes), so from 0.99 up
 * Math.asin's result stands.
 *
 * Cost: a table lookup and a few dozen flops per call, no allocation (results pass through
 * module-level slots).
 */

const TABLE_STEP = 128;
const TABLE_SIZE = 4 * TABLE_STEP + 2;

/** Per k: sin(k/128) high and low parts, then cos(k/128) high and low parts. Built on first use. */
let TABLE: Float64Array | null = null;

/** Result slot of the double-double helpers. */
const dd = new Float64Array(2);

/** Veltkamp split constant 2^27 + 1. */
const SPLIT = 134217729;

/** dd[0] + dd[1] = a * b exactly (Dekker). */
function twoProd(a: number, b: number): void {
  const p = a * b;
  let c = SPLIT * a;
  const ah = c - (c - a);
  const al = a - ah;
  c = SPLIT * b;
  const bh = c - (c - b);
  const bl = b - bh;
  dd[0] = p;
  dd[1] = ((ah * bh - p) + ah * bl + al * bh) + al * bl;
}

/** dd[0] + dd[1] = a + b exactly (Knuth). */
function twoSum(a: number, b: number): void {
  const s = a + b;
  const bb = s - a;
  dd[0] = s;
  dd[1] = (a - (s - bb)) + (b - bb);
}

/** (ah, al) * (bh, bl) as a normalized double-double. */
function ddMul(ah: number, al: number, bh: number, bl: number): void {
  twoProd(ah, bh);
  const hi = dd[0];
  const lo = dd[1] + (ah * bl + al * bh);
  dd[0] = hi + lo;
  dd[1] = lo - (dd[0] - hi);
}

/** (ah, al) + (bh, bl) as a normalized double-double. */
function ddAdd(ah: number, al: number, bh: number, bl: number): void {
  twoSum(ah, bh);
  const hi = dd[0];
  const lo = dd[1] + al + bl;
  dd[0] = hi + lo;
  dd[1] = lo - (dd[0] - hi);
}

/** (ah, al) / b, b a small integer, as a normalized double-double. */
function ddDivInt(ah: number, al: number, b: number): void {
  const q1 = ah / b;
  twoProd(q1, b);
  const q2 = ((ah - dd[0]) - dd[1] + al) / b;
  dd[0] = q1 + q2;
  dd[1] = q2 - (dd[0] - q1);
}

/** sin and cos of k/128 for k = 0 .. TABLE_SIZE-1, by their Taylor series in double-double. */
function buildTable(): Float64Array {
  const table = new Float64Array(TABLE_SIZE * 4);
  for (let k = 0; k < TABLE_SIZE; k++) {
    const x = k / TABLE_STEP;
    twoProd(x, x);
    const x2h = -dd[0];
    const x2l = -dd[1];
    // sin: terms x^(2n+1)/(2n+1)!, cos: x^(2n)/(2n)!, each from the previous times -x^2/((m+1)(m+2)).
    let th = x;
    let tl = 0;
    let sh = x;
    let sl = 0;
    let ch = 1;
    let cl = 0;
    let uh = 1;
    let ul = 0;
    for (let m = 1; m < 80; m += 2) {
      ddMul(uh, ul, x2h, x2l);
      ddDivInt(dd[0], dd[1], m * (m + 1));
      uh = dd[0];
      ul = dd[1];
      ddAdd(ch, cl, uh, ul);
      ch = dd[0];
      cl = dd[1];
      ddMul(th, tl, x2h, x2l);
      ddDivInt(dd[0], dd[1], (m + 1) * (m + 2));
      th = dd[0];
      tl = dd[1];
      ddAdd(sh, sl, th, tl);
      sh = dd[0];
      sl = dd[1];
      if (Math.abs(th) < 1e-40 && Math.abs(uh) < 1e-40) break;
    }
    table[k * 4] = sh;
    table[k * 4 + 1] = sl;
    table[k * 4 + 2] = ch;
    table[k * 4 + 3] = cl;
  }
  TABLE = table;
  return table;
}

/**
 * sin (or, with `cosine`, cos) of |x| = x0 + t from the table entry of x0 and the tails of t, as
 * a double-double into dd[0]/dd[1] (the sign of x is the caller's business). Inlined
 * error-free product and sum: this is the hot path of every distance.
 */
function sinCosDD(ax: number, cosine: boolean): void {
  const table = TABLE === null ? buildTable() : TABLE;
  const k = Math.round(ax * TABLE_STEP);
  const t = ax - k / TABLE_STEP;
  const t2 = t * t;
  const e = t * t2 * (-1 / 6 + t2 * (1 / 120 - t2 / 5040));
  const f = t2 * (-0.5 + t2 * (1 / 24 - t2 / 720));
  const i = k * 4;
  const sh = table[i];
  const sl = table[i + 1];
  const ch = table[i + 2];
  const cl = table[i + 3];
  // sin(x0 + t) = S0 (1 + f) + C0 (t + e); cos(x0 + t) = C0 (1 + f) - S0 (t + e).
  const a = cosine ? ch : sh;
  const al = cosine ? cl : sl;
  const b = cosine ? -sh : ch;
  const bl = cosine ? -sl : cl;
  // (ph, pl) = b * t exactly.
  const ph = b * t;
  let c = SPLIT * b;
  const bh = c - (c - b);
  const bt = b - bh;
  c = SPLIT * t;
  const th = c - (c - t);
  const tt = t - th;
  const pl = ((bh * th - ph) + bh * tt + bt * th) + bt * tt;
  // (hi, lo0) = a + ph exactly.
  const hi = a + ph;
  const v = hi - a;
  const lo0 = (a - (hi - v)) + (ph - v);
  const lo = lo0 + pl + (a * f + al + b * e + bl * t);
  dd[0] = hi + lo;
  dd[1] = lo - (dd[0] - hi);
}

/** sin(x), correctly rounded but in rare cases (|x| < 4). */
export function sin(x: number): number {
  if (x === 0 || !(x > -4 && x < 4)) return Math.sin(x);
  if (x < 0) {
    sinCosDD(-x, false);
    return -dd[0];
  }
  sinCosDD(x, false);
  return dd[0];
}

/** cos(x), correctly rounded but in rare cases (|x| < 4). */
export function cos(x: number): number {
  if (!(x > -4 && x < 4)) return Math.cos(x);
  sinCosDD(x < 0 ? -x : x, true);
  return dd[0];
}

/** asin(x), correctly rounded but in rare cases for |x| < 0.99; Math.asin beyond. */
export function asin(x: number): number {
  const y = Math.asin(x);
  if (x === 0 || !(x > -0.99 && x < 0.99)) return y;
  sinCosDD(y < 0 ? -y : y, false);
  const r = y < 0 ? (x + dd[0]) + dd[1] : (x - dd[0]) - dd[1];
  return y + r / Math.cos(y);
}
