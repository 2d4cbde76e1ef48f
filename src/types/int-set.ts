/*
 * IntSet: Redis's intset encoding, a sorted array of signed 64-bit integers.
 *
 * What: values are kept as (hi: int32, lo: uint32) pairs in one Int32Array, ascending, so
 * membership is a binary search and iteration yields ascending order exactly as Redis's
 * SMEMBERS / SSCAN of an intset does. Numbers within +-2^53 never touch BigInt.
 *
 * Cost: O(log n) lookup, O(n) insert/delete (a copyWithin), as Redis's intset; the set is
 * converted to a hashtable past set-max-intset-entries (512 by default). 8 bytes per member.
 */

const TWO32 = 4294967296;

/** Result slot of toPair(): the (hi, lo) halves of a 64-bit integer. */
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

function compare(hiA: number, loA: number, hiB: number, loB: number): number {
  if (hiA !== hiB) return hiA < hiB ? -1 : 1;
  const a = loA >>> 0;
  const b = loB >>> 0;
  return a === b ? 0 : a < b ? -1 : 1;
}

export class IntSet {
  /** hi, lo pairs, ascending; 2 * count used. */
  v: Int32Array;
  count = 0;

  constructor(capacity = 4) {
    this.v = new Int32Array(Math.max(2, capacity * 2));
  }

  /** Index of (hi, lo), or -(insertion point) - 1. */
  search(hi: number, lo: number): number {
    const v = this.v;
    let a = 0;
    let b = this.count - 1;
    while (a <= b) {
      const m = (a + b) >>> 1;
      const c = compare(v[2 * m], v[2 * m + 1], hi, lo);
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
    const at = -i - 1;
    if (2 * (this.count + 1) > this.v.length) {
      const bigger = new Int32Array(this.v.length * 2);
      bigger.set(this.v.subarray(0, 2 * this.count));
      this.v = bigger;
    }
    const v = this.v;
    if (at < this.count) v.copyWithin(2 * at + 2, 2 * at, 2 * this.count);
    v[2 * at] = hi;
    v[2 * at + 1] = lo;
    this.count++;
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
    const v = this.v;
    v.copyWithin(2 * i, 2 * i + 2, 2 * this.count);
    this.count--;
    if (this.v.length > 32 && this.count * 2 * 4 < this.v.length) this.v = this.v.slice(0, this.v.length / 2);
  }

  /** The i-th smallest member. */
  get(i: number): number | bigint {
    return fromPair(this.v[2 * i], this.v[2 * i + 1]);
  }

  memoryBytes(): number {
    return this.v.byteLength;
  }

  clone(): IntSet {
    const s = new IntSet(1);
    s.v = this.v.slice();
    s.count = this.count;
    return s;
  }
}
