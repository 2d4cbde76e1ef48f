/*
 * IntSet: Redis's intset encoding, a sorted array of signed 64-bit integers.
 *
 * What: one latin1 string of 8 chars per member: the value plus 2^63 as an unsigned 64-bit
 * big-endian number, so the members' char order is their numeric order. Membership is a
 * binary search comparing the two 32-bit halves (never a BigInt for values within +-2^53);
 * iteration yields ascending order exactly as Redis's SMEMBERS / SSCAN of an intset does.
 *
 * Cost: O(log n) lookup, O(n) insert/delete (the string is rebuilt in a scratch buffer, as
 * Redis's intset memmoves), 8 bytes per member plus a 16-byte string header: a small set of
 * ids costs tens of bytes, not a typed array's ~200 bytes of V8 objects. The set is
 * converted to a hashtable past set-max-intset-entries (512 by default).
 */

const TWO32 = 4294967296;
const WIDTH = 8;

/** Result slot of toPair(): the (hi, lo) halves of a 64-bit integer, as int32s. */
export const pair = { hi: 0, lo: 0 };

/** Split an int64 (number within +-2^53, or bigint) into pair.hi / pair.lo. */
export function toPair(v: number | bigint): void {
  if (typeof v === 'number') {
    const hi = Math.floor(v / TWO32);
    pair.hi = hi;
    pair.lo = (v - hi * TWO32) | 0;
  } else {
    pair.hi = Number(BigInt.asIntN(32, v >> 32n));
    pair.lo = Number(BigInt.asIntN(32, v));
  }
}

/** The int64 of a (hi, lo) pair: a number when within +-2^53, else a bigint. */
export function fromPair(hi: number, lo: number): number | bigint {
  if (hi >= -2097152 && hi < 2097152) return hi * TWO32 + (lo >>> 0);
  return (BigInt(hi) << 32n) | BigInt(lo >>> 0);
}

/** Node's latin1 fast paths (Buffer.prototype methods the typings do not declare). */
interface Latin1Buffer extends Buffer {
  latin1Slice(start: number, end: number): string;
  latin1Write(text: string, offset: number, length: number): number;
}

let scratch = Buffer.allocUnsafeSlow(1024) as Latin1Buffer;

function ensureScratch(n: number): Latin1Buffer {
  if (scratch.length < n) scratch = Buffer.allocUnsafeSlow(Math.max(n, scratch.length * 2)) as Latin1Buffer;
  return scratch;
}

function word(s: string, at: number): number {
  return ((s.charCodeAt(at) << 24) | (s.charCodeAt(at + 1) << 16) | (s.charCodeAt(at + 2) << 8) | s.charCodeAt(at + 3)) >>> 0;
}

export class IntSet {
  /** Members, 8 chars each, ascending. */
  s = '';

  get count(): number {
    return this.s.length / WIDTH;
  }

  /** Index of (hi, lo), or -(insertion point) - 1. */
  search(hi: number, lo: number): number {
    const s = this.s;
    const uhi = (hi ^ 0x80000000) >>> 0;
    const ulo = lo >>> 0;
    let a = 0;
    let b = s.length / WIDTH - 1;
    while (a <= b) {
      const m = (a + b) >>> 1;
      const at = m * WIDTH;
      const h = word(s, at);
      let c = h < uhi ? -1 : h > uhi ? 1 : 0;
      if (c === 0) {
        const l = word(s, at + 4);
        c = l < ulo ? -1 : l > ulo ? 1 : 0;
      }
      if (c === 0) return m;
      if (c < 0) a = m + 1;
      else b = m - 1;
    }
    return -a - 1;
  }

  has(hi: number, lo: number): boolean {
    return this.search(hi, lo) >= 0;
  }

  /** Add (hi, lo); false when present. */
  add(hi: number, lo: number): boolean {
    const i = this.search(hi, lo);
    if (i >= 0) return false;
    const at = (-i - 1) * WIDTH;
    const s = this.s;
    const n = s.length;
    const w = ensureScratch(n + WIDTH);
    if (n > 0) w.latin1Write(s, 0, n);
    if (at < n) w.copyWithin(at + WIDTH, at, n);
    const uhi = (hi ^ 0x80000000) >>> 0;
    w[at] = uhi >>> 24;
    w[at + 1] = (uhi >>> 16) & 255;
    w[at + 2] = (uhi >>> 8) & 255;
    w[at + 3] = uhi & 255;
    w[at + 4] = lo >>> 24;
    w[at + 5] = (lo >>> 16) & 255;
    w[at + 6] = (lo >>> 8) & 255;
    w[at + 7] = lo & 255;
    this.s = w.latin1Slice(0, n + WIDTH);
    return true;
  }

  /** Remove (hi, lo); false when absent. */
  remove(hi: number, lo: number): boolean {
    const i = this.search(hi, lo);
    if (i < 0) return false;
    this.removeAt(i);
    return true;
  }

  removeAt(i: number): void {
    const s = this.s;
    const at = i * WIDTH;
    if (s.length === WIDTH) {
      this.s = '';
      return;
    }
    const n = s.length;
    const w = ensureScratch(n);
    w.latin1Write(s, 0, n);
    w.copyWithin(at, at + WIDTH, n);
    this.s = w.latin1Slice(0, n - WIDTH);
  }

  /** The i-th smallest member. */
  get(i: number): number | bigint {
    const at = i * WIDTH;
    return fromPair((word(this.s, at) ^ 0x80000000) | 0, word(this.s, at + 4) | 0);
  }

  /** Bytes of the member string (header included). */
  memoryBytes(): number {
    return 16 + ((this.s.length + 7) & ~7);
  }

  clone(): IntSet {
    const c = new IntSet();
    c.s = this.s;
    return c;
  }

  /**
   * Build from members given in strictly ascending order (as an RDB intset blob holds them) in
   * one pass; null when they are not strictly ascending.
   */
  static fromAscending(count: number, member: (i: number) => number | bigint): IntSet | null {
    const w = ensureScratch(count * WIDTH);
    let phi = 0;
    let plo = 0;
    for (let i = 0; i < count; i++) {
      toPair(member(i));
      const uhi = (pair.hi ^ 0x80000000) >>> 0;
      const ulo = pair.lo >>> 0;
      if (i > 0 && (uhi < phi || (uhi === phi && ulo <= plo))) return null;
      phi = uhi;
      plo = ulo;
      const at = i * WIDTH;
      w[at] = uhi >>> 24;
      w[at + 1] = (uhi >>> 16) & 255;
      w[at + 2] = (uhi >>> 8) & 255;
      w[at + 3] = uhi & 255;
      w[at + 4] = ulo >>> 24;
      w[at + 5] = (ulo >>> 16) & 255;
      w[at + 6] = (ulo >>> 8) & 255;
      w[at + 7] = ulo & 255;
    }
    const set = new IntSet();
    set.s = w.latin1Slice(0, count * WIDTH);
    return set;
  }
}
