/*
 * ByteTable: the hashtable encoding of big hashes and sets, over typed arrays.
 *
 * What: a chained hash table like Redis's dict, with no JS object per element.
 * - Entries have dense ids 0 .. count-1. A record per id (hash, chain link, page, offset, key
 *   length, and value length for a hash) lives in Int32Array segments of 4096 records. The
 *   first segment starts at the expected size (at least 4 records) and doubles until it is
 *   full size; after that fixed segments are added. So a table of one element costs a few
 *   records, not 4096, and growing never copies more than one segment. Deleting moves the last
 *   record into the hole (one chain relink), so ids stay dense: iteration is a counted loop, a
 *   random element is a random id, and memory shrinks with the contents (trailing segments are
 *   dropped, a first segment under a quarter full is halved).
 * - Key bytes (and a hash's value bytes, right after its key) live in an arena of pages that
 *   start at the size of the first element (at least 64 bytes) and grow geometrically up to
 *   64 KiB; an element bigger than 16 KiB gets a page of its own.
 *   Each page counts its live bytes and is released the moment it holds none. When dead bytes
 *   outweigh live ones, an evacuation sweep moves the entries of half-empty pages to the tail
 *   page, 64 entries per write, so pages empty and are released without a stop-the-world pass.
 * - Buckets are an Int32Array of id + 1 (0 = empty, so a new array needs no fill), a power of
 *   two. Growing (load factor 1) or shrinking (below 1/8) is incremental, as in Redis: each
 *   write moves one bucket (skipping at most 10 empty ones) into the new array and lookups
 *   search both meanwhile.
 * SCAN uses Redis's reverse-binary cursor over the bucket arrays (dictScan), so an element
 * present for a whole scan is returned at least once whatever the resizes; ids are not part
 * of a cursor, so moving records does not disturb it. Members are bytes: hashed (seeded
 * MurmurHash3) and compared as bytes, never decoded.
 *
 * Cost: 20 bytes of record per element for a set, 24 for a hash, 4-8 bytes of buckets, the
 * bytes themselves, and about 200 bytes of V8 objects per typed array (a few for a small
 * table); no operation copies more than one segment or one page. Dropping a table
 * releases a few hundred typed arrays at most: DEL / UNLINK / expiry of a million-element
 * collection is O(1) for the event loop (the GC frees backing stores without tracing them).
 *
 * Invariants: ids 0..count-1 are live; each is in exactly one chain, of bucket hash & mask
 * in t0, or in t1 while rehashing (t0 buckets below rehashIdx are empty); pageLive[p] is the
 * byte total of the live entries in page p; live = sum of pageLive, garbage = bytes of pages
 * in use that no entry holds (including page tails left when an element did not fit).
 */
import type { ElementBytes } from './packed.ts';
import { copyBytes } from '../../store/bytes.ts';

const SEG_BITS = 12;
const SEG = 1 << SEG_BITS;
const SEG_MASK = SEG - 1;
/** Record fields. */
const R_HASH = 0;
const R_NEXT = 1;
const R_PAGE = 2;
const R_OFF = 3;
const R_KLEN = 4;
const R_VLEN = 5;

const MIN_BUCKETS = 4;
/** Records of the smallest first segment. */
const MIN_RECORDS = 4;
const FIRST_PAGE = 64;
const MAX_PAGE = 64 * 1024;
/** Elements longer than this get a page of their own. */
const BIG_ELEMENT = 16 * 1024;
/** Dead bytes below this are never worth an evacuation sweep. */
const MIN_GARBAGE = 64 * 1024;
const EVACUATE_STEP = 64;
const REHASH_EMPTY_VISITS = 10;

/** Estimated V8 overhead per typed array (JSTypedArray + JSArrayBuffer + backing store). */
export const TYPED_ARRAY_OVERHEAD = 208;
/** Estimated size of a small JS object with a handful of fields. */
export const OBJECT_OVERHEAD = 64;

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

function bucketCount(n: number): number {
  let p = MIN_BUCKETS;
  while (p < n) p *= 2;
  return p;
}


export class ByteTable {
  readonly withValues: boolean;
  private readonly stride: number;
  /** Live entries; their ids are 0 .. count-1. */
  count = 0;
  private segs: Int32Array[] = [];
  /** Records the segments hold (the first may be smaller than SEG while it is the only one). */
  private capacity = 0;
  /** Records of the first segment when it is allocated. */
  private readonly firstRecords: number;
  private pages: (Uint8Array | null)[] = [];
  private pageLive: number[] = [];
  private freePages: number[] = [];
  private pageBytes = 0;
  private tail = -1;
  private tailUsed = 0;
  private live = 0;
  private garbage = 0;
  private t0: Int32Array;
  private t1: Int32Array | null = null;
  private rehashIdx = -1;
  private evacuating = -1;

  constructor(withValues: boolean, expected = 0) {
    this.withValues = withValues;
    this.stride = withValues ? 6 : 5;
    this.firstRecords = Math.min(SEG, Math.max(MIN_RECORDS, expected));
    this.t0 = new Int32Array(bucketCount(expected));
  }

  /** Estimated bytes held (records, buckets, pages, typed-array overheads). */
  memoryBytes(): number {
    const segs = this.segs.length;
    const buckets = this.t0.length + (this.t1 === null ? 0 : this.t1.length);
    const pages = this.pages.length - this.freePages.length;
    return OBJECT_OVERHEAD * 2 + this.capacity * this.stride * 4 + segs * TYPED_ARRAY_OVERHEAD + buckets * 4
      + this.pageBytes + (pages + 2) * TYPED_ARRAY_OVERHEAD + this.pages.length * 16;
  }

  // ---- element access ----

  /** Point `out` at the key of entry id (valid until the next write). */
  readKey(id: number, out: ElementBytes): void {
    const r = this.segs[id >>> SEG_BITS];
    const b = (id & SEG_MASK) * this.stride;
    out.buf = this.pages[r[b + R_PAGE]]!;
    out.off = r[b + R_OFF];
    out.len = r[b + R_KLEN];
  }

  /** Point `out` at the value of entry id (hash tables). */
  readValue(id: number, out: ElementBytes): void {
    const r = this.segs[id >>> SEG_BITS];
    const b = (id & SEG_MASK) * this.stride;
    out.buf = this.pages[r[b + R_PAGE]]!;
    out.off = r[b + R_OFF] + r[b + R_KLEN];
    out.len = r[b + R_VLEN];
  }

  valueLength(id: number): number {
    return this.segs[id >>> SEG_BITS][(id & SEG_MASK) * this.stride + R_VLEN];
  }

  // ---- lookup ----

  /** Id of the entry with key buf[off, off+len) (h = hashBytes of it), or -1. */
  find(buf: Uint8Array, off: number, len: number, h: number): number {
    let id = this.findIn(this.t0, buf, off, len, h);
    if (id < 0 && this.t1 !== null) id = this.findIn(this.t1, buf, off, len, h);
    return id;
  }

  private findIn(t: Int32Array, buf: Uint8Array, off: number, len: number, h: number): number {
    const segs = this.segs;
    const stride = this.stride;
    let id = t[h & (t.length - 1)] - 1;
    while (id >= 0) {
      const r = segs[id >>> SEG_BITS];
      const b = (id & SEG_MASK) * stride;
      if (r[b + R_HASH] === h && r[b + R_KLEN] === len) {
        const page = this.pages[r[b + R_PAGE]]!;
        const at = r[b + R_OFF];
        let i = 0;
        while (i < len && page[at + i] === buf[off + i]) i++;
        if (i === len) return id;
      }
      id = r[b + R_NEXT] - 1;
    }
    return -1;
  }

  // ---- writes ----

  /** Add a key known to be absent (with its value for a hash table); returns its id. */
  insert(buf: Uint8Array, off: number, len: number, h: number, vbuf: Uint8Array | null, voff: number, vlen: number): number {
    this.maintain();
    const id = this.count;
    if (id === this.capacity) this.growRecords();
    const r = this.segs[id >>> SEG_BITS];
    const b = (id & SEG_MASK) * this.stride;
    const at = this.reserve(len + vlen);
    const page = this.pages[this.reservedPage]!;
    copyBytes(buf, off, page, at, len);
    if (vbuf !== null) copyBytes(vbuf, voff, page, at + len, vlen);
    r[b + R_HASH] = h;
    r[b + R_PAGE] = this.reservedPage;
    r[b + R_OFF] = at;
    r[b + R_KLEN] = len;
    if (this.withValues) r[b + R_VLEN] = vlen;
    const t = this.t1 ?? this.t0;
    const bucket = h & (t.length - 1);
    r[b + R_NEXT] = t[bucket];
    t[bucket] = id + 1;
    this.count++;
    if (this.t1 === null && this.count > this.t0.length) this.startResize(this.t0.length * 2);
    return id;
  }

  /** Replace the value of entry id. */
  setValue(id: number, vbuf: Uint8Array, voff: number, vlen: number): void {
    this.maintain();
    const r = this.segs[id >>> SEG_BITS];
    const b = (id & SEG_MASK) * this.stride;
    const old = r[b + R_VLEN];
    const klen = r[b + R_KLEN];
    const p = r[b + R_PAGE];
    if (vlen <= old) {
      copyBytes(vbuf, voff, this.pages[p]!, r[b + R_OFF] + klen, vlen);
      r[b + R_VLEN] = vlen;
      this.release(p, old - vlen);
    } else {
      const at = this.reserve(klen + vlen);
      const np = this.reservedPage;
      const dst = this.pages[np]!;
      copyBytes(this.pages[p]!, r[b + R_OFF], dst, at, klen);
      copyBytes(vbuf, voff, dst, at + klen, vlen);
      this.release(p, klen + old);
      r[b + R_PAGE] = np;
      r[b + R_OFF] = at;
      r[b + R_VLEN] = vlen;
    }
    this.maybeEvacuate();
  }

  /** Remove the entry with key buf[off, off+len); false when absent. */
  remove(buf: Uint8Array, off: number, len: number, h: number): boolean {
    this.maintain();
    const id = this.find(buf, off, len, h);
    if (id < 0) return false;
    this.deleteId(id);
    return true;
  }

  /** Remove entry id (from find(), randomId() or a scan in this same command). */
  removeId(id: number): void {
    this.maintain();
    this.deleteId(id);
  }

  private deleteId(id: number): void {
    const stride = this.stride;
    const r = this.segs[id >>> SEG_BITS];
    const b = (id & SEG_MASK) * stride;
    this.relink(id, r[b + R_HASH], r[b + R_NEXT]);
    this.release(r[b + R_PAGE], r[b + R_KLEN] + (this.withValues ? r[b + R_VLEN] : 0));
    const last = this.count - 1;
    if (id !== last) {
      // Keep ids dense: the last record takes the hole, and whatever linked to it follows.
      const lr = this.segs[last >>> SEG_BITS];
      const lb = (last & SEG_MASK) * stride;
      for (let f = 0; f < stride; f++) r[b + f] = lr[lb + f];
      this.relink(last, lr[lb + R_HASH], id + 1);
    }
    this.count = last;
    this.shrinkRecords();
    if (this.t1 === null && this.t0.length > MIN_BUCKETS && this.count < this.t0.length / 8) {
      this.startResize(bucketCount(this.count));
    }
    this.maybeEvacuate();
  }

  /** Room for one more record: a first segment, a doubled first segment, or another full one. */
  private growRecords(): void {
    const stride = this.stride;
    const cap = this.capacity;
    if (cap === 0) {
      this.segs.push(new Int32Array(this.firstRecords * stride));
      this.capacity = this.firstRecords;
    } else if (cap < SEG) {
      const next = Math.min(SEG, cap * 2);
      const seg = new Int32Array(next * stride);
      seg.set(this.segs[0]);
      this.segs[0] = seg;
      this.capacity = next;
    } else {
      this.segs.push(new Int32Array(SEG * stride));
      this.capacity += SEG;
    }
  }

  /**
   * Give back record space the contents no longer need: a trailing segment once the records
   * fit in the others with half a segment to spare (so a delete/insert cycle at the edge does
   * not drop and re-add one), then halve a lone first segment under a quarter full.
   */
  private shrinkRecords(): void {
    const segs = this.segs;
    while (segs.length > 1 && this.count <= (segs.length - 1) * SEG - (SEG >>> 1)) {
      segs.pop();
      this.capacity -= SEG;
    }
    const cap = this.capacity;
    if (segs.length === 1 && cap > MIN_RECORDS && this.count * 4 <= cap) {
      const next = Math.max(MIN_RECORDS, cap >>> 1);
      const seg = new Int32Array(next * this.stride);
      seg.set(segs[0].subarray(0, this.count * this.stride));
      segs[0] = seg;
      this.capacity = next;
    }
  }

  /** Replace the link to `id` (bucket head or predecessor's next) with `to` (id + 1, or 0). */
  private relink(id: number, h: number, to: number): void {
    if (this.relinkIn(this.t0, id, h, to)) return;
    if (this.t1 !== null && this.relinkIn(this.t1, id, h, to)) return;
    throw new Error('ByteTable: entry not in its chain');
  }

  private relinkIn(t: Int32Array, id: number, h: number, to: number): boolean {
    const bucket = h & (t.length - 1);
    let cur = t[bucket] - 1;
    if (cur === id) {
      t[bucket] = to;
      return true;
    }
    const segs = this.segs;
    const stride = this.stride;
    while (cur >= 0) {
      const r = segs[cur >>> SEG_BITS];
      const b = (cur & SEG_MASK) * stride;
      const next = r[b + R_NEXT] - 1;
      if (next === id) {
        r[b + R_NEXT] = to;
        return true;
      }
      cur = next;
    }
    return false;
  }

  // ---- the arena ----

  /** Page of the last reserve(). */
  private reservedPage = 0;

  /** Offset of `n` fresh bytes in page this.reservedPage. */
  private reserve(n: number): number {
    if (n > BIG_ELEMENT) {
      this.reservedPage = this.newPage(n);
      this.pageLive[this.reservedPage] = n;
      this.live += n;
      return 0;
    }
    if (this.tail < 0 || this.tailUsed + n > this.pages[this.tail]!.length) {
      if (this.tail >= 0) {
        // The unused end of the old tail is dead space.
        const waste = this.pages[this.tail]!.length - this.tailUsed;
        this.garbage += waste;
        const t = this.tail;
        this.tail = -1;
        if (this.pageLive[t] === 0) this.freePage(t);
      }
      const size = Math.min(MAX_PAGE, Math.max(FIRST_PAGE, (n + 7) & ~7, this.pageBytes));
      this.tail = this.newPage(size);
      this.tailUsed = 0;
    }
    const at = this.tailUsed;
    this.tailUsed += n;
    this.pageLive[this.tail] += n;
    this.live += n;
    this.reservedPage = this.tail;
    return at;
  }

  private newPage(size: number): number {
    const page = new Uint8Array(size);
    this.pageBytes += size;
    const p = this.freePages.length > 0 ? this.freePages.pop()! : this.pages.length;
    this.pages[p] = page;
    this.pageLive[p] = 0;
    return p;
  }

  /** `n` bytes of page p are no longer used. */
  private release(p: number, n: number): void {
    this.pageLive[p] -= n;
    this.live -= n;
    this.garbage += n;
    if (this.pageLive[p] === 0 && p !== this.tail) this.freePage(p);
  }

  private freePage(p: number): void {
    const size = this.pages[p]!.length;
    const dead = p === this.tail ? this.tailUsed : size;
    this.pageBytes -= size;
    this.garbage -= dead;
    this.pages[p] = null;
    this.freePages.push(p);
    if (p === this.tail) this.tail = -1;
  }

  private maybeEvacuate(): void {
    if (this.evacuating < 0 && this.garbage > MIN_GARBAGE && this.garbage > this.live) this.evacuating = 0;
    if (this.count === 0) {
      // Nothing left: release every page (the owner deletes an empty collection anyway).
      for (let p = 0; p < this.pages.length; p++) if (this.pages[p] !== null) this.freePage(p);
      this.tail = -1;
      this.garbage = 0;
      this.evacuating = -1;
    }
  }

  /** Move up to EVACUATE_STEP entries out of half-empty pages into the tail page. */
  private evacuateStep(): void {
    const stride = this.stride;
    const end = Math.min(this.count, this.evacuating + EVACUATE_STEP);
    for (let id = this.evacuating; id < end; id++) {
      const r = this.segs[id >>> SEG_BITS];
      const b = (id & SEG_MASK) * stride;
      const p = r[b + R_PAGE];
      if (p === this.tail) continue;
      const page = this.pages[p]!;
      if (page.length > BIG_ELEMENT && this.pageLive[p] * 2 >= page.length) continue;
      if (page.length > MAX_PAGE) continue;
      const n = r[b + R_KLEN] + (this.withValues ? r[b + R_VLEN] : 0);
      const from = r[b + R_OFF];
      const at = this.reserve(n);
      copyBytes(page, from, this.pages[this.reservedPage]!, at, n);
      r[b + R_PAGE] = this.reservedPage;
      r[b + R_OFF] = at;
      this.release(p, n);
    }
    this.evacuating = end >= this.count ? -1 : end;
  }

  // ---- incremental rehashing ----

  /** One step of background work per write: a rehash step and an evacuation step. */
  private maintain(): void {
    if (this.t1 !== null) this.rehashStep();
    if (this.evacuating >= 0) this.evacuateStep();
  }

  private startResize(size: number): void {
    if (size === this.t0.length) return;
    this.t1 = new Int32Array(size);
    this.rehashIdx = 0;
  }

  /** Move one bucket of t0 into t1 (visiting at most 10 empty ones). */
  private rehashStep(): void {
    const t0 = this.t0;
    const t1 = this.t1!;
    const mask = t1.length - 1;
    let empty = REHASH_EMPTY_VISITS;
    while (this.rehashIdx < t0.length && t0[this.rehashIdx] === 0) {
      this.rehashIdx++;
      if (--empty === 0) break;
    }
    if (this.rehashIdx < t0.length && t0[this.rehashIdx] !== 0) {
      const segs = this.segs;
      const stride = this.stride;
      let id = t0[this.rehashIdx] - 1;
      while (id >= 0) {
        const r = segs[id >>> SEG_BITS];
        const b = (id & SEG_MASK) * stride;
        const next = r[b + R_NEXT] - 1;
        const bucket = r[b + R_HASH] & mask;
        r[b + R_NEXT] = t1[bucket];
        t1[bucket] = id + 1;
        id = next;
      }
      t0[this.rehashIdx++] = 0;
    }
    if (this.rehashIdx >= t0.length) {
      this.t0 = t1;
      this.t1 = null;
      this.rehashIdx = -1;
    }
  }

  // ---- random, scan, copy ----

  /** A uniformly random id (count > 0). */
  randomId(): number {
    return Math.floor(Math.random() * this.count);
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
      this.visitChain(t0[v & m0] - 1, visit);
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
    this.visitChain(t0[v & m0] - 1, visit);
    do {
      this.visitChain(t1[v & m1] - 1, visit);
      v = (v | ~m1) >>> 0;
      v = rev32(v);
      v = (v + 1) >>> 0;
      v = rev32(v);
    } while ((v & (m0 ^ m1)) !== 0);
    return v;
  }

  private visitChain(id: number, visit: (id: number) => void): void {
    const segs = this.segs;
    const stride = this.stride;
    while (id >= 0) {
      const next = segs[id >>> SEG_BITS][(id & SEG_MASK) * stride + R_NEXT] - 1;
      visit(id);
      id = next;
    }
  }

  /** An independent copy (COPY). */
  clone(): ByteTable {
    const t = new ByteTable(this.withValues);
    t.count = this.count;
    t.capacity = this.capacity;
    t.segs = this.segs.map((s) => s.slice());
    t.pages = this.pages.map((p) => (p === null ? null : p.slice()));
    t.pageLive = this.pageLive.slice();
    t.freePages = this.freePages.slice();
    t.pageBytes = this.pageBytes;
    t.tail = this.tail;
    t.tailUsed = this.tailUsed;
    t.live = this.live;
    t.garbage = this.garbage;
    t.t0 = this.t0.slice();
    t.t1 = this.t1 === null ? null : this.t1.slice();
    t.rehashIdx = this.rehashIdx;
    t.evacuating = this.evacuating;
    return t;
  }

  /** Consistency check for tests: every id reachable once, page accounting exact. */
  checkInvariants(): void {
    const seen = new Uint8Array(this.count);
    const stride = this.stride;
    const walk = (t: Int32Array, from: number): void => {
      for (let bkt = from; bkt < t.length; bkt++) {
        for (let id = t[bkt] - 1; id >= 0; ) {
          if (id >= this.count) throw new Error(`chain holds dead id ${id}`);
          if (seen[id]++) throw new Error(`id ${id} linked twice`);
          const r = this.segs[id >>> SEG_BITS];
          const b = (id & SEG_MASK) * stride;
          if ((r[b + R_HASH] & (t.length - 1)) !== bkt) throw new Error(`id ${id} in the wrong bucket`);
          id = r[b + R_NEXT] - 1;
        }
      }
    };
    walk(this.t0, this.t1 === null ? 0 : this.rehashIdx);
    if (this.t1 !== null) walk(this.t1, 0);
    for (let id = 0; id < this.count; id++) if (!seen[id]) throw new Error(`id ${id} unreachable`);
    const live = new Array<number>(this.pages.length).fill(0);
    for (let id = 0; id < this.count; id++) {
      const r = this.segs[id >>> SEG_BITS];
      const b = (id & SEG_MASK) * stride;
      live[r[b + R_PAGE]] += r[b + R_KLEN] + (this.withValues ? r[b + R_VLEN] : 0);
      if (this.pages[r[b + R_PAGE]] === null) throw new Error(`id ${id} in a released page`);
    }
    for (let p = 0; p < this.pages.length; p++) {
      if (this.pages[p] === null) continue;
      if (live[p] !== this.pageLive[p]) throw new Error(`page ${p} counts ${this.pageLive[p]} live bytes, holds ${live[p]}`);
    }
  }
}
