/*
 * ByteTable: the hashtable encoding of big hashes and sets, over typed arrays.
 *
 * What: a chained hash table like Redis's dict, with no JS object per element. Entries are
 * numbered ids with struct-of-arrays columns (hash, chain link, byte location, key length,
 * value length); every key's bytes (and for a hash its value's, right after the key) live in
 * one growable byte arena. Buckets are an Int32Array of entry ids (-1 = empty), a power of two.
 * Members are bytes: hashed and compared as bytes, never decoded.
 *
 * Resizing is incremental, as in Redis: growing (load factor 1) or shrinking (below 1/8)
 * allocates the new bucket array and every later write moves one bucket (up to 10 empty ones
 * skipped), so no single command pays for rehashing a million entries; lookups search both
 * tables meanwhile. SCAN uses Redis's reverse-binary cursor (dictScan) over the bucket arrays,
 * so an element present for the whole scan is returned at least once across resizes.
 *
 * Deleted ids go on a free list; a deleted or rewritten element's bytes become arena garbage.
 * When live entries fall below 1/8 of the columns' capacity, or garbage exceeds both the live
 * bytes and 64 KiB, one pass compacts ids, columns and arena (O(live), amortized O(1) per
 * write: it takes as many deletions or rewrites as there are live bytes to trigger it).
 * Random picks sample ids in [0, hw): at least 1/8 of them are live, so a pick takes a few tries.
 *
 * Cost per element: 16 bytes of columns (20 with values) with up to 2x growth slack, 4-8 bytes
 * of buckets, and the bytes themselves. Freeing a table is dropping six typed arrays: O(1) for
 * the event loop whatever the size (the GC releases backing stores without tracing elements),
 * so DEL/UNLINK/expiry of a huge collection never stalls.
 *
 * Invariants: an id is live iff klen[id] >= 0; each live id is in exactly one chain, of bucket
 * hash & mask in t0 (or in t1 while rehashing: t0 buckets below rehashIdx are empty);
 * count = live ids; used = arena bytes handed out, garbage = bytes of dead or moved entries.
 */

const EMPTY_VLEN = new Int32Array(0);
const MIN_BUCKETS = 4;
const MIN_CAPACITY = 8;
/** Estimated V8 overhead per typed array (JSTypedArray + JSArrayBuffer + backing store). */
export const TYPED_ARRAY_OVERHEAD = 208;
/** Estimated size of a small JS object with a handful of fields. */
export const OBJECT_OVERHEAD = 64;
/** Arena garbage below this is never worth a compaction pass. */
const MIN_GARBAGE = 64 * 1024;

const SEED = (Math.random() * 4294967296) >>> 0;

/** Seeded 32-bit MurmurHash3 of buf[off, off+len). */
export function hashBytes(buf: Uint8Array, off: number, len: number): number {
  let h = SEED;
  const end4 = off + (len & ~3);
  let i = off;
  for (; i < end4; i += 4) {
    let k = buf[i] | (buf[i + 1] << 8) | (buf[i + 2] << 16) | (buf[i + 3] << 24);
    k = Math.imul(k, 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, 0x1b873593);
    h ^= k;
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  let k = 0;
  switch (len & 3) {
    case 3: k ^= buf[i + 2] << 16; // falls through
    case 2: k ^= buf[i + 1] << 8; // falls through
    case 1:
      k ^= buf[i];
      k = Math.imul(k, 0xcc9e2d51);
      k = (k << 15) | (k >>> 17);
      k = Math.imul(k, 0x1b873593);
      h ^= k;
  }
  h ^= len;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h | 0;
}

/** Reverse the bits of a 32-bit value (dictScan's cursor arithmetic). */
function rev32(v: number): number {
  v = ((v >>> 1) & 0x55555555) | ((v & 0x55555555) << 1);
  v = ((v >>> 2) & 0x33333333) | ((v & 0x33333333) << 2);
  v = ((v >>> 4) & 0x0f0f0f0f) | ((v & 0x0f0f0f0f) << 4);
  v = ((v >>> 8) & 0x00ff00ff) | ((v & 0x00ff00ff) << 8);
  v = (v >>> 16) | (v << 16);
  return v >>> 0;
}

function nextPow2(n: number): number {
  let p = MIN_BUCKETS;
  while (p < n) p *= 2;
  return p;
}

function emptyBuckets(n: number): Int32Array {
  return new Int32Array(n).fill(-1);
}

export class ByteTable {
  readonly withValues: boolean;
  /** Live entries. */
  count = 0;
  /** Ids [0, hw) have been handed out at some point. */
  hw = 0;
  private freeHead = -1;
  private cap: number;
  hashes: Int32Array;
  next: Int32Array;
  loc: Uint32Array;
  klen: Int32Array;
  vlen: Int32Array;
  /** The arena: key bytes at loc[id], value bytes right after. Re-read after every write. */
  data: Uint8Array;
  used = 0;
  garbage = 0;
  private t0: Int32Array;
  private t1: Int32Array | null = null;
  private rehashIdx = -1;

  constructor(withValues: boolean, capacity: number = MIN_CAPACITY, arenaBytes: number = 256) {
    this.withValues = withValues;
    const cap = Math.max(MIN_CAPACITY, capacity);
    this.cap = cap;
    this.hashes = new Int32Array(cap);
    this.next = new Int32Array(cap);
    this.loc = new Uint32Array(cap);
    this.klen = new Int32Array(cap);
    this.vlen = withValues ? new Int32Array(cap) : EMPTY_VLEN;
    this.data = new Uint8Array(Math.max(64, arenaBytes));
    this.t0 = emptyBuckets(nextPow2(cap));
  }

  /** Estimated bytes held (columns, buckets, arena, object overheads). */
  memoryBytes(): number {
    const colBytes = this.cap * (this.withValues ? 20 : 16);
    const buckets = (this.t0.length + (this.t1 === null ? 0 : this.t1.length)) * 4;
    return OBJECT_OVERHEAD + colBytes + buckets + this.data.length + TYPED_ARRAY_OVERHEAD * (this.withValues ? 8 : 7);
  }

  // ---- lookup ----

  /** Id of the entry with key buf[off, off+len) (h = hashBytes of it), or -1. */
  find(buf: Uint8Array, off: number, len: number, h: number): number {
    let id = this.findIn(this.t0, buf, off, len, h);
    if (id < 0 && this.t1 !== null) id = this.findIn(this.t1, buf, off, len, h);
    return id;
  }

  private findIn(t: Int32Array, buf: Uint8Array, off: number, len: number, h: number): number {
    const hashes = this.hashes;
    const klen = this.klen;
    const next = this.next;
    let id = t[h & (t.length - 1)];
    while (id >= 0) {
      if (hashes[id] === h && klen[id] === len && this.keyEquals(id, buf, off, len)) return id;
      id = next[id];
    }
    return -1;
  }

  private keyEquals(id: number, buf: Uint8Array, off: number, len: number): boolean {
    const d = this.data;
    const at = this.loc[id];
    for (let i = 0; i < len; i++) if (d[at + i] !== buf[off + i]) return false;
    return true;
  }

  /** Offset in data of the value of entry id. */
  valueOffset(id: number): number {
    return this.loc[id] + this.klen[id];
  }

  // ---- writes ----

  /** Add a key known to be absent (with its value for a hash table); returns its id. */
  insert(buf: Uint8Array, off: number, len: number, h: number, vbuf: Uint8Array | null, voff: number, vlen: number): number {
    if (this.t1 !== null) this.rehashStep();
    const id = this.allocId();
    this.hashes[id] = h;
    this.klen[id] = len;
    const need = len + vlen;
    const at = this.reserve(need);
    const d = this.data;
    copy(buf, off, d, at, len);
    if (vbuf !== null) copy(vbuf, voff, d, at + len, vlen);
    this.loc[id] = at;
    if (this.withValues) this.vlen[id] = vlen;
    const t = this.t1 ?? this.t0;
    const b = h & (t.length - 1);
    this.next[id] = t[b];
    t[b] = id;
    this.count++;
    if (this.t1 === null && this.count > this.t0.length) this.startResize(this.t0.length * 2);
    return id;
  }

  /** Replace the value of entry id. */
  setValue(id: number, vbuf: Uint8Array, voff: number, vlen: number): void {
    if (this.t1 !== null) this.rehashStep();
    const old = this.vlen[id];
    const klen = this.klen[id];
    if (vlen <= old) {
      copy(vbuf, voff, this.data, this.loc[id] + klen, vlen);
      this.garbage += old - vlen;
      this.vlen[id] = vlen;
    } else {
      const at = this.reserve(klen + vlen);
      const d = this.data;
      const from = this.loc[id];
      d.copyWithin(at, from, from + klen);
      copy(vbuf, voff, d, at + klen, vlen);
      this.garbage += klen + old;
      this.loc[id] = at;
      this.vlen[id] = vlen;
    }
    this.maybeCompact();
  }

  /** Remove the entry with key buf[off, off+len); false when absent. */
  remove(buf: Uint8Array, off: number, len: number, h: number): boolean {
    if (this.t1 !== null) this.rehashStep();
    if (!this.removeFrom(this.t0, buf, off, len, h) && (this.t1 === null || !this.removeFrom(this.t1, buf, off, len, h))) return false;
    this.afterRemove();
    return true;
  }

  /** Remove entry id (found by find() or randomId() in this same command). */
  removeId(id: number): void {
    if (this.t1 !== null) this.rehashStep();
    const h = this.hashes[id];
    if (!this.unlinkIn(this.t0, id, h) && (this.t1 === null || !this.unlinkIn(this.t1, id, h))) {
      throw new Error('ByteTable: entry not in its chain');
    }
    this.afterRemove();
  }

  private unlinkIn(t: Int32Array, target: number, h: number): boolean {
    const b = h & (t.length - 1);
    let prev = -1;
    let id = t[b];
    while (id >= 0) {
      if (id === target) {
        if (prev < 0) t[b] = this.next[id];
        else this.next[prev] = this.next[id];
        this.freeId(id);
        return true;
      }
      prev = id;
      id = this.next[id];
    }
    return false;
  }

  private removeFrom(t: Int32Array, buf: Uint8Array, off: number, len: number, h: number): boolean {
    const b = h & (t.length - 1);
    let prev = -1;
    let id = t[b];
    const hashes = this.hashes;
    const klen = this.klen;
    const next = this.next;
    while (id >= 0) {
      if (hashes[id] === h && klen[id] === len && this.keyEquals(id, buf, off, len)) {
        if (prev < 0) t[b] = next[id];
        else next[prev] = next[id];
        this.freeId(id);
        return true;
      }
      prev = id;
      id = next[id];
    }
    return false;
  }

  private afterRemove(): void {
    this.count--;
    if (this.count > 0 && this.count < this.cap / 8 && this.cap > 64) {
      this.rebuild();
      return;
    }
    if (this.t1 === null && this.t0.length > MIN_BUCKETS && this.count < this.t0.length / 8) {
      this.startResize(nextPow2(this.count));
    }
    this.maybeCompact();
  }

  private allocId(): number {
    const f = this.freeHead;
    if (f >= 0) {
      this.freeHead = this.next[f];
      return f;
    }
    if (this.hw === this.cap) this.growColumns(this.cap * 2);
    return this.hw++;
  }

  private freeId(id: number): void {
    this.garbage += this.klen[id] + (this.withValues ? this.vlen[id] : 0);
    this.klen[id] = -1;
    this.next[id] = this.freeHead;
    this.freeHead = id;
  }

  private growColumns(cap: number): void {
    const grow = <T extends Int32Array | Uint32Array>(a: T, make: (n: number) => T): T => {
      const b = make(cap);
      b.set(a.subarray(0, Math.min(a.length, this.hw)));
      return b;
    };
    this.hashes = grow(this.hashes, (n) => new Int32Array(n));
    this.next = grow(this.next, (n) => new Int32Array(n));
    this.loc = grow(this.loc, (n) => new Uint32Array(n));
    this.klen = grow(this.klen, (n) => new Int32Array(n));
    if (this.withValues) this.vlen = grow(this.vlen, (n) => new Int32Array(n));
    this.cap = cap;
  }

  /** Offset of `n` fresh arena bytes. */
  private reserve(n: number): number {
    const at = this.used;
    if (at + n > this.data.length) {
      let size = this.data.length * 2;
      while (size < at + n) size *= 2;
      if (size > 0xffffffff) throw new RangeError('collection exceeds 4 GiB');
      const d = new Uint8Array(size);
      d.set(this.data.subarray(0, at));
      this.data = d;
    }
    this.used = at + n;
    return at;
  }

  private maybeCompact(): void {
    if (this.garbage > MIN_GARBAGE && this.garbage > this.used - this.garbage) this.rebuild();
  }

  /**
   * Renumber live ids densely, copy their bytes into a right-sized arena and rebuild a single
   * bucket array: reclaims free ids, dead bytes and oversized columns in one O(live) pass.
   */
  private rebuild(): void {
    const n = this.count;
    const cap = Math.max(MIN_CAPACITY, nextPow2(n + (n >>> 1)));
    const liveBytes = this.used - this.garbage;
    const old = this;
    const hashes = new Int32Array(cap);
    const next = new Int32Array(cap);
    const loc = new Uint32Array(cap);
    const klen = new Int32Array(cap);
    const vlen = this.withValues ? new Int32Array(cap) : EMPTY_VLEN;
    const data = new Uint8Array(Math.max(64, liveBytes + (liveBytes >>> 2)));
    const buckets = emptyBuckets(nextPow2(n));
    const mask = buckets.length - 1;
    const od = old.data;
    let used = 0;
    let j = 0;
    for (let id = 0; id < old.hw; id++) {
      const kl = old.klen[id];
      if (kl < 0) continue;
      const total = kl + (this.withValues ? old.vlen[id] : 0);
      const from = old.loc[id];
      if (total <= 32) for (let i = 0; i < total; i++) data[used + i] = od[from + i];
      else data.set(od.subarray(from, from + total), used);
      const h = old.hashes[id];
      hashes[j] = h;
      klen[j] = kl;
      if (this.withValues) vlen[j] = old.vlen[id];
      loc[j] = used;
      used += total;
      const b = h & mask;
      next[j] = buckets[b];
      buckets[b] = j;
      j++;
    }
    this.hashes = hashes;
    this.next = next;
    this.loc = loc;
    this.klen = klen;
    this.vlen = vlen;
    this.data = data;
    this.cap = cap;
    this.hw = j;
    this.freeHead = -1;
    this.used = used;
    this.garbage = 0;
    this.t0 = buckets;
    this.t1 = null;
    this.rehashIdx = -1;
  }

  // ---- incremental rehashing ----

  private startResize(size: number): void {
    if (size === this.t0.length) return;
    this.t1 = emptyBuckets(size);
    this.rehashIdx = 0;
  }

  /** Move one bucket of t0 into t1 (skipping at most 10 empty ones). */
  private rehashStep(): void {
    const t0 = this.t0;
    const t1 = this.t1!;
    const mask = t1.length - 1;
    let empty = 10;
    while (this.rehashIdx < t0.length && t0[this.rehashIdx] < 0) {
      this.rehashIdx++;
      if (--empty === 0) break;
    }
    if (this.rehashIdx < t0.length && t0[this.rehashIdx] >= 0) {
      let id = t0[this.rehashIdx];
      const next = this.next;
      const hashes = this.hashes;
      while (id >= 0) {
        const nx = next[id];
        const b = hashes[id] & mask;
        next[id] = t1[b];
        t1[b] = id;
        id = nx;
      }
      t0[this.rehashIdx++] = -1;
    }
    if (this.rehashIdx >= t0.length) {
      this.t0 = t1;
      this.t1 = null;
      this.rehashIdx = -1;
    }
  }

  // ---- iteration, random, scan ----

  /** Next live id at or after `from`, or -1. Iterate with `for (id = t.nextId(0); id >= 0; id = t.nextId(id + 1))`. */
  nextId(from: number): number {
    const klen = this.klen;
    const hw = this.hw;
    for (let id = from; id < hw; id++) if (klen[id] >= 0) return id;
    return -1;
  }

  /** A uniformly random live id (count > 0). */
  randomId(): number {
    const hw = this.hw;
    const klen = this.klen;
    for (;;) {
      const id = Math.floor(Math.random() * hw);
      if (klen[id] >= 0) return id;
    }
  }

  /**
   * One dictScan step from cursor v: calls visit(id) for the entries of the visited bucket(s)
   * and returns the next cursor (0 when the scan is complete).
   */
  scanStep(v: number, visit: (id: number) => void): number {
    if (this.count === 0) return 0;
    let t0 = this.t0;
    let t1 = this.t1;
    if (t1 === null) {
      const m0 = t0.length - 1;
      this.visitChain(t0[v & m0], visit);
      v = (v | ~m0) >>> 0;
      v = rev32(v);
      v = (v + 1) >>> 0;
      return rev32(v);
    }
    if (t0.length > t1.length) {
      const t = t0;
      t0 = t1;
      t1 = t;
    }
    const m0 = t0.length - 1;
    const m1 = t1.length - 1;
    this.visitChain(t0[v & m0], visit);
    do {
      this.visitChain(t1[v & m1], visit);
      v = (v | ~m1) >>> 0;
      v = rev32(v);
      v = (v + 1) >>> 0;
      v = rev32(v);
    } while ((v & (m0 ^ m1)) !== 0);
    return v;
  }

  private visitChain(id: number, visit: (id: number) => void): void {
    const next = this.next;
    while (id >= 0) {
      const nx = next[id];
      visit(id);
      id = nx;
    }
  }

  /** An independent copy (COPY). */
  clone(): ByteTable {
    const t = Object.create(ByteTable.prototype) as ByteTable;
    Object.assign(t, this);
    t.hashes = this.hashes.slice();
    t.next = this.next.slice();
    t.loc = this.loc.slice();
    t.klen = this.klen.slice();
    t.vlen = this.withValues ? this.vlen.slice() : EMPTY_VLEN;
    t.data = this.data.slice(0, Math.max(64, this.used));
    t.t0 = this.t0.slice();
    t.t1 = this.t1 === null ? null : this.t1.slice();
    return t;
  }
}

function copy(src: Uint8Array, soff: number, dst: Uint8Array, doff: number, len: number): void {
  if (len <= 32) for (let i = 0; i < len; i++) dst[doff + i] = src[soff + i];
  else dst.set(src.subarray(soff, soff + len), doff);
}
