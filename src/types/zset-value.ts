/*
 * The sorted-set value (ARCHITECTURE.md principle 7), in the two encodings redis-server 7.0
 * uses, so that OBJECT ENCODING and every encoding-dependent reply (ZSCAN, the order
 * ZUNIONSTORE builds) follow from the representation itself:
 *
 * - Listpack (small sets: at most zset-max-listpack-entries members, none longer than
 *   zset-max-listpack-value bytes): entries in (score, member) order packed as bytes (8 score
 *   bytes, a length, the member): 9 bytes of overhead per member. Stored in the key's own slab
 *   chunk, with no JS object per set (see the listpack section below). Every operation is a
 *   linear scan or an in-place edit, O(n) as in Redis's listpack. Scores are kept as Redis's
 *   listpack keeps them: an integral score is stored as an integer, so -0 reads back as 0.
 *
 * - Skiplist: William Pugh's skip list with Redis's changes (ties ordered by member bytes,
 *   per-level spans for O(log n) rank, a backward link at level 0), laid out as
 *   struct-of-arrays: node i has score[i], its member's offset and length in a byte arena,
 *   back[i], and its levels at lbase[i] .. lbase[i]+lcnt[i] in the fwd/span pools (runs of a
 *   given height are recycled through per-height free lists). Beside it, a chained hash table
 *   of node ids (buckets + hnext, with each node's hash cached) maps member bytes to nodes in
 *   O(1) expected. No JS object or string per member, so the GC traces nothing per element:
 *   about 45 bytes plus the member per element, against ~100 in redis-server.
 *
 * - A skiplist is a ZsetValue in the store's object table.
 *
 * Conversions follow Redis 7.0: listpack -> skiplist when an insertion would pass either
 * threshold (zsetAdd); never back, except for results built by ZUNIONSTORE & co.
 * (`compactIfSmall`, zsetConvertToListpackIfNeeded).
 *
 * Positions: read APIs address members by a position, `-1` meaning none. A position is an
 * index in a listpack and a node id in a skiplist; it is valid until the next write. Member
 * bytes are read with member(pos), which returns the backing array and sets memberOff /
 * memberLen: read them at once (a later write may move them).
 *
 * Member bytes passed in are (buf, off, len) ranges; the structure copies what it keeps.
 * Costs: skiplist add/remove/score/rank O(log n) (expected); ranges O(log n + m); the arena
 * is compacted when half of it is garbage, the hash table doubles at load 1 and halves below
 * 1/8, all amortized O(1) per operation. The hash table resizes incrementally (a few buckets
 * per write, as Redis's dict). The node arrays, level pool and arena grow by copying into
 * arrays twice the size, and a big one's next arrays are made ready a slice per write
 * beforehand (Reserve below), so that copy runs into memory already mapped: first-touch page
 * faults, not the copy, made growing a million-member set stall for 50 to 100 ms.
 */
import type { Collection } from './collection.ts';
import { PackedForm } from './packed.ts';
import { copyBytes } from '../../store/bytes.ts';

const MAXLEVEL = 32;
/** Non-empty buckets of the old hash table moved per insert or removal during a resize. */
const REHASH_STEP = 4;
const NIL = -1;
/** A hash bucket with no chain: ~NIL, so that a zeroed table is empty. */
const EMPTY_BUCKET = ~NIL;
const HEADER = 0;

/** Bytes charged per value for the JS objects and typed-array headers (an estimate). */
const OBJECT_OVERHEAD = 160;

type Column = Float64Array | Uint32Array | Int32Array | Uint8Array;

/** Columns of at least this many elements grow through a Reserve; a smaller copy takes under a millisecond. */
const RESERVE_MIN = 1 << 15;

/**
 * The next, doubled arrays of columns that grow together (the node arrays; the level pool; the
 * arena), made ready a slice per write. A large typed array comes zeroed from
 * an mmap whose pages the kernel maps on first write, about 3 ms per MB on this VM: growing a
 * million-member set's node arrays faulted in 33 MB at once. Allocated when the columns are
 * 15/16 full, the next arrays get `goal` elements written a few per write (the part the growth
 * copies into), so the growth itself is a memcpy. Not
 * sooner: written pages are resident, so until the growth they cost memory beside the old
 * arrays (at most the old arrays' size, over the last sixteenth of each doubling).
 */
class Reserve {
  next: Column[] | null = null;
  /** The columns the next arrays are for; one next array is allocated per step until all are. */
  private cols: Column[] = [];
  /** Elements of each next array written so far, from 0. */
  private ready = 0;
  private goal = 0;

  /** Whether columns of length `len`, `used` of it in use, should get their next arrays now. */
  due(len: number, used: number): boolean {
    return this.next === null && len >= RESERVE_MIN && used * 16 >= len * 15;
  }

  /** Start preparing arrays of twice the columns' length; `goal` elements of each are to be written before the growth. */
  prepare(cols: Column[], goal: number): void {
    this.next = [];
    this.cols = cols;
    this.ready = 0;
    this.goal = goal;
  }

  /** Allocate the next array still missing (one per step: each is tens of MB), else write up to `k` more elements of each. */
  step(k: number): void {
    const next = this.next;
    if (next === null || this.ready >= this.goal) return;
    if (next.length < this.cols.length) {
      this.allocateNext();
      return;
    }
    const to = Math.min(this.goal, this.ready + k);
    for (let i = 0; i < next.length; i++) next[i].fill(0, this.ready, to);
    this.ready = to;
  }

  /** The next arrays with `cols` copied in, if they hold at least `min` elements; null otherwise (grow the usual way). */
  take(cols: Column[], min: number): Column[] | null {
    const next = this.next;
    if (next !== null) while (next.length < this.cols.length) this.allocateNext();
    this.drop();
    if (next === null || next[0].length < min) return null;
    for (let i = 0; i < next.length; i++) next[i].set(cols[i]);
    return next;
  }

  private allocateNext(): void {
    const c = this.cols[this.next!.length];
    this.next!.push(new (c.constructor as new (n: number) => Column)(c.length * 2));
  }

  drop(): void {
    this.next = null;
    this.cols = [];
    this.ready = 0;
    this.goal = 0;
  }

  /** Bytes written so far (mapped memory). */
  bytes(): number {
    const next = this.next;
    if (next === null) return 0;
    let b = 0;
    for (let i = 0; i < next.length; i++) b += this.ready * next[i].BYTES_PER_ELEMENT;
    return b;
  }
}

/** Flags of ZsetValue.add, as zsetAdd's in_flags. */
export const ZaddIn = { INCR: 1, NX: 2, XX: 4, GT: 8, LT: 16 } as const;
/** Results of ZsetValue.add, as zsetAdd's out_flags. */
export const ZaddOut = { NAN: 1, ADDED: 2, UPDATED: 4, NOP: 8 } as const;

/** A score interval (zrangespec). */
export interface ScoreRange {
  min: number;
  max: number;
  minex: boolean;
  maxex: boolean;
}

/** Kinds of lex bound: '-' (below everything), '+' (above everything), or a member. */
export const LexKind = { MIN: 0, MAX: 1, VALUE: 2 } as const;

/** A lexicographic interval (zlexrangespec); VALUE bounds point into a caller's buffer. */
export interface LexRange {
  minKind: number;
  minBuf: Uint8Array;
  minOff: number;
  minLen: number;
  minex: boolean;
  maxKind: number;
  maxBuf: Uint8Array;
  maxOff: number;
  maxLen: number;
  maxex: boolean;
}

/** memcmp then length, as sdscmp. */
export function compareBytes(a: Uint8Array, aoff: number, alen: number, b: Uint8Array, boff: number, blen: number): number {
  const n = alen < blen ? alen : blen;
  for (let i = 0; i < n; i++) {
    const d = a[aoff + i] - b[boff + i];
    if (d !== 0) return d;
  }
  return alen - blen;
}

function bytesEqual(a: Uint8Array, aoff: number, b: Uint8Array, boff: number, len: number): boolean {
  for (let i = 0; i < len; i++) if (a[aoff + i] !== b[boff + i]) return false;
  return true;
}


/** sdscmplex: a member against a lex bound. */
function cmpLex(buf: Uint8Array, off: number, len: number, kind: number, bbuf: Uint8Array, boff: number, blen: number): number {
  if (kind === LexKind.MIN) return 1;
  if (kind === LexKind.MAX) return -1;
  return compareBytes(buf, off, len, bbuf, boff, blen);
}

export function lexGteMin(buf: Uint8Array, off: number, len: number, r: LexRange): boolean {
  const c = cmpLex(buf, off, len, r.minKind, r.minBuf, r.minOff, r.minLen);
  return r.minex ? c > 0 : c >= 0;
}

export function lexLteMax(buf: Uint8Array, off: number, len: number, r: LexRange): boolean {
  const c = cmpLex(buf, off, len, r.maxKind, r.maxBuf, r.maxOff, r.maxLen);
  return r.maxex ? c < 0 : c <= 0;
}

/** True when the lex range can contain nothing (zslIsInLexRange's first test). */
export function lexRangeEmpty(r: LexRange): boolean {
  let cmp: number;
  if (r.minKind === r.maxKind && r.minKind !== LexKind.VALUE) cmp = 0;
  else if (r.minKind === LexKind.MIN || r.maxKind === LexKind.MAX) cmp = -1;
  else if (r.minKind === LexKind.MAX || r.maxKind === LexKind.MIN) cmp = 1;
  else cmp = compareBytes(r.minBuf, r.minOff, r.minLen, r.maxBuf, r.maxOff, r.maxLen);
  return cmp > 0 || (cmp === 0 && (r.minex || r.maxex));
}

export function scoreGteMin(v: number, r: ScoreRange): boolean {
  return r.minex ? v > r.min : v >= r.min;
}

export function scoreLteMax(v: number, r: ScoreRange): boolean {
  return r.maxex ? v < r.max : v <= r.max;
}

export function scoreRangeEmpty(r: ScoreRange): boolean {
  return r.min > r.max || (r.min === r.max && (r.minex || r.maxex));
}

let hashSeed = (Math.random() * 0x7fffffff) | 0;
/** For tests: make hashing (and so skiplist scan order) reproducible. */
export function setZsetHashSeed(seed: number): void {
  hashSeed = seed | 0;
}

function hashBytes(buf: Uint8Array, off: number, len: number): number {
  let h = hashSeed ^ 0x811c9dc5;
  for (let i = 0; i < len; i++) h = Math.imul(h ^ buf[off + i], 0x01000193);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  return h | 0;
}

function randomLevel(): number {
  let level = 1;
  while (Math.random() < 0.25 && level < MAXLEVEL) level++;
  return level;
}

function rev32(v: number): number {
  v = ((v >>> 1) & 0x55555555) | ((v & 0x55555555) << 1);
  v = ((v >>> 2) & 0x33333333) | ((v & 0x33333333) << 2);
  v = ((v >>> 4) & 0x0f0f0f0f) | ((v & 0x0f0f0f0f) << 4);
  v = ((v >>> 8) & 0x00ff00ff) | ((v & 0x00ff00ff) << 8);
  return ((v >>> 16) | (v << 16)) >>> 0;
}

// Scratch search paths (one command runs at a time).
const update = new Int32Array(MAXLEVEL);
const rankAt = new Float64Array(MAXLEVEL);

/** The skiplist + hash encoding. */
export class ZSkiplist {
  // nodes (struct of arrays; node 0 is the header)
  score: Float64Array;
  moff: Uint32Array;
  mlen: Uint32Array;
  back: Int32Array;
  lbase: Int32Array;
  lcnt: Uint8Array;
  hnext: Int32Array;
  hcode: Int32Array;
  private nodeHigh = 1;
  private freeNode = NIL;
  // level pool
  fwd: Int32Array;
  span: Int32Array;
  private poolHigh = MAXLEVEL;
  private readonly lfree = new Int32Array(MAXLEVEL + 1).fill(NIL);
  // list
  level = 1;
  length = 0;
  tail = NIL;
  // hash (oldBuckets: the table being emptied into buckets during a resize, else null). A bucket
  // holds ~(its chain's first node), so a new table's zeroed memory is all empty buckets and
  // needs no fill: its pages are mapped as inserts reach them.
  private buckets: Int32Array;
  private mask: number;
  private oldBuckets: Int32Array | null = null;
  private oldMask = 0;
  private rehashIndex = 0;
  // member bytes
  arena: Uint8Array;
  private arenaHigh = 0;
  private garbage = 0;
  // the next arrays of the node columns, level pool, arena and hash table (Reserve)
  private readonly nodeReserve = new Reserve();
  private readonly poolReserve = new Reserve();
  private readonly arenaReserve = new Reserve();

  constructor(capacity = 16) {
    const cap = Math.max(4, capacity + 1);
    this.score = new Float64Array(cap);
    this.moff = new Uint32Array(cap);
    this.mlen = new Uint32Array(cap);
    this.back = new Int32Array(cap);
    this.lbase = new Int32Array(cap);
    this.lcnt = new Uint8Array(cap);
    this.hnext = new Int32Array(cap);
    this.hcode = new Int32Array(cap);
    const pool = MAXLEVEL + Math.ceil(cap * 1.4) + 8;
    this.fwd = new Int32Array(pool).fill(NIL);
    this.span = new Int32Array(pool);
    this.lbase[HEADER] = 0;
    this.lcnt[HEADER] = MAXLEVEL;
    this.back[HEADER] = NIL;
    let b = 8;
    while (b < capacity) b <<= 1;
    this.buckets = new Int32Array(b);
    this.mask = b - 1;
    this.arena = new Uint8Array(Math.max(64, capacity * 16));
  }

  bytes(): number {
    return (
      this.score.byteLength + this.moff.byteLength + this.mlen.byteLength + this.back.byteLength +
      this.lbase.byteLength + this.lcnt.byteLength + this.hnext.byteLength + this.hcode.byteLength +
      this.fwd.byteLength + this.span.byteLength + this.buckets.byteLength + (this.oldBuckets === null ? 0 : this.oldBuckets.byteLength) +
      this.arena.byteLength + OBJECT_OVERHEAD * 2 +
      this.nodeReserve.bytes() + this.poolReserve.bytes() + this.arenaReserve.bytes()
    );
  }

  // ---- allocation ----

  private nodeColumns(): Column[] {
    return [this.score, this.moff, this.mlen, this.back, this.lbase, this.lcnt, this.hnext, this.hcode];
  }

  private growNodes(): void {
    const cap = this.score.length * 2;
    const next = this.nodeReserve.take(this.nodeColumns(), cap);
    if (next !== null) {
      this.score = next[0] as Float64Array;
      this.moff = next[1] as Uint32Array;
      this.mlen = next[2] as Uint32Array;
      this.back = next[3] as Int32Array;
      this.lbase = next[4] as Int32Array;
      this.lcnt = next[5] as Uint8Array;
      this.hnext = next[6] as Int32Array;
      this.hcode = next[7] as Int32Array;
      return;
    }
    const grow = <T extends Float64Array | Uint32Array | Int32Array | Uint8Array>(a: T, make: (n: number) => T): T => {
      const b = make(cap);
      b.set(a);
      return b;
    };
    this.score = grow(this.score, (n) => new Float64Array(n));
    this.moff = grow(this.moff, (n) => new Uint32Array(n));
    this.mlen = grow(this.mlen, (n) => new Uint32Array(n));
    this.back = grow(this.back, (n) => new Int32Array(n));
    this.lbase = grow(this.lbase, (n) => new Int32Array(n));
    this.lcnt = grow(this.lcnt, (n) => new Uint8Array(n));
    this.hnext = grow(this.hnext, (n) => new Int32Array(n));
    this.hcode = grow(this.hcode, (n) => new Int32Array(n));
  }

  private allocLevels(n: number): number {
    const head = this.lfree[n];
    if (head !== NIL) {
      this.lfree[n] = this.fwd[head];
      return head;
    }
    const len = this.fwd.length;
    if (this.poolReserve.due(len, this.poolHigh)) this.poolReserve.prepare([this.fwd, this.span], len);
    this.poolReserve.step(20 * n + 16);
    if (this.poolHigh + n > len) {
      const cap = Math.max(len * 2, this.poolHigh + n);
      const next = this.poolReserve.take([this.fwd, this.span], cap);
      if (next !== null) {
        this.fwd = next[0] as Int32Array;
        this.span = next[1] as Int32Array;
      } else {
        const f = new Int32Array(cap);
        f.set(this.fwd);
        const s = new Int32Array(cap);
        s.set(this.span);
        this.fwd = f;
        this.span = s;
      }
    }
    const base = this.poolHigh;
    this.poolHigh += n;
    return base;
  }

  private allocNode(levels: number): number {
    let x = this.freeNode;
    if (x !== NIL) this.freeNode = this.hnext[x];
    else {
      const len = this.score.length;
      if (this.nodeReserve.due(len, this.nodeHigh)) this.nodeReserve.prepare(this.nodeColumns(), len);
      this.nodeReserve.step(20);
      if (this.nodeHigh >= len) this.growNodes();
      x = this.nodeHigh++;
    }
    this.lbase[x] = this.allocLevels(levels);
    this.lcnt[x] = levels;
    return x;
  }

  private freeNodeId(x: number): void {
    const n = this.lcnt[x];
    const base = this.lbase[x];
    this.fwd[base] = this.lfree[n];
    this.lfree[n] = base;
    this.garbage += this.mlen[x];
    this.mlen[x] = 0;
    this.hnext[x] = this.freeNode;
    this.freeNode = x;
  }

  private storeMember(x: number, buf: Uint8Array, off: number, len: number): void {
    const size = this.arena.length;
    if (this.arenaReserve.due(size, this.arenaHigh)) this.arenaReserve.prepare([this.arena], size);
    this.arenaReserve.step(20 * len + 64);
    if (this.arenaHigh + len > size) {
      const live = this.arenaHigh - this.garbage;
      if (this.garbage > live) this.compactArena(len);
      if (this.arenaHigh + len > this.arena.length) {
        const need = Math.max(this.arena.length * 2, this.arenaHigh + len + 64);
        const next = this.arenaReserve.take([this.arena], need);
        if (next !== null) {
          this.arena = next[0] as Uint8Array;
        } else {
          const a = new Uint8Array(need);
          a.set(this.arena.subarray(0, this.arenaHigh));
          this.arena = a;
        }
      }
    }
    copyBytes(buf, off, this.arena, this.arenaHigh, len);
    this.moff[x] = this.arenaHigh;
    this.mlen[x] = len;
    this.arenaHigh += len;
  }

  /** Copy live members into a fresh arena (order of the list). */
  private compactArena(extra: number): void {
    this.arenaReserve.drop();
    const live = this.arenaHigh - this.garbage;
    const a = new Uint8Array(Math.max(64, Math.ceil((live + extra) * 1.5)));
    let p = 0;
    const old = this.arena;
    for (let x = this.fwd[0]; x !== NIL; x = this.fwd[this.lbase[x]]) {
      const len = this.mlen[x];
      copyBytes(old, this.moff[x], a, p, len);
      this.moff[x] = p;
      p += len;
    }
    this.arena = a;
    this.arenaHigh = p;
    this.garbage = 0;
  }

  // ---- hash ----
  //
  // Resized incrementally, as Redis's dict: a resize starts a new table, and every insert and
  // removal then moves REHASH_STEP buckets of the old one (visiting at most 10x as many empty
  // ones), so no single command rebuilds a million-member table. Until the old table is empty,
  // lookups and removals search both; inserts go to the new one.

  find(buf: Uint8Array, off: number, len: number): number {
    const h = hashBytes(buf, off, len);
    const x = this.findIn(~this.buckets[h & this.mask], h, buf, off, len);
    const old = this.oldBuckets;
    if (x !== NIL || old === null) return x;
    return this.findIn(~old[h & this.oldMask], h, buf, off, len);
  }

  private findIn(x: number, h: number, buf: Uint8Array, off: number, len: number): number {
    const arena = this.arena;
    while (x !== NIL) {
      if (this.hcode[x] === h && this.mlen[x] === len && bytesEqual(arena, this.moff[x], buf, off, len)) return x;
      x = this.hnext[x];
    }
    return NIL;
  }

  private hashInsert(x: number, h: number): void {
    if (this.oldBuckets !== null) this.rehashStep(REHASH_STEP);
    this.hcode[x] = h;
    const b = h & this.mask;
    this.hnext[x] = ~this.buckets[b];
    this.buckets[b] = ~x;
    if (this.length > this.buckets.length) this.startRehash(this.buckets.length * 2);
  }

  private hashRemove(x: number): void {
    if (this.oldBuckets !== null) this.rehashStep(REHASH_STEP);
    if (!this.unchain(this.buckets, this.hcode[x] & this.mask, x) && this.oldBuckets !== null) {
      this.unchain(this.oldBuckets, this.hcode[x] & this.oldMask, x);
    }
  }

  /** Remove node x from the chain of bucket b of `table`; false when it is not there. */
  private unchain(table: Int32Array, b: number, x: number): boolean {
    let y = ~table[b];
    if (y === x) {
      table[b] = ~this.hnext[x];
      return true;
    }
    while (y !== NIL) {
      const n = this.hnext[y];
      if (n === x) {
        this.hnext[y] = this.hnext[x];
        return true;
      }
      y = n;
    }
    return false;
  }

  /** Start moving every node into a table of `size` buckets (finishing a resize still under way). */
  private startRehash(size: number): void {
    if (this.oldBuckets !== null) this.rehashStep(Infinity);
    this.oldBuckets = this.buckets;
    this.oldMask = this.mask;
    this.rehashIndex = 0;
    this.buckets = new Int32Array(size);
    this.mask = size - 1;
  }

  /** Move up to `buckets` non-empty buckets of the old table (dictRehash). */
  private rehashStep(buckets: number): void {
    const old = this.oldBuckets!;
    const mask = this.mask;
    let emptyVisits = buckets * 10;
    let i = this.rehashIndex;
    while (buckets > 0 && i < old.length) {
      let x = ~old[i];
      if (x === NIL) {
        i++;
        if (--emptyVisits === 0) break;
        continue;
      }
      while (x !== NIL) {
        const next = this.hnext[x];
        const b = this.hcode[x] & mask;
        this.hnext[x] = ~this.buckets[b];
        this.buckets[b] = ~x;
        x = next;
      }
      old[i++] = EMPTY_BUCKET;
      buckets--;
    }
    this.rehashIndex = i;
    if (i === old.length) this.oldBuckets = null;
  }

  /** Shrink the hash table after deletions (htNeedsResize: below 1/8 full). */
  maybeShrink(): void {
    const size = this.buckets.length;
    if (size > 8 && this.length * 8 < size) {
      let s = 8;
      while (s < this.length) s <<= 1;
      this.startRehash(s);
    }
  }

  /**
   * One step of a reverse-binary-cursor scan over the hash buckets (dictScan): visits the chain
   * of one bucket (during a resize, the smaller table's bucket and every bucket of the larger
   * table it expands to) and returns the next cursor (0 when done). Members present for the
   * whole scan are visited at least once even if the table is resized.
   */
  scanStep(cursor: number, visit: (x: number) => void): number {
    const old = this.oldBuckets;
    if (old === null) {
      const m = this.mask;
      this.visitChain(~this.buckets[cursor & m], visit);
      return rev32((rev32((cursor | ~m) >>> 0) + 1) >>> 0);
    }
    const small = old.length <= this.buckets.length ? old : this.buckets;
    const large = small === old ? this.buckets : old;
    const m0 = small.length - 1;
    const m1 = large.length - 1;
    let v = cursor >>> 0;
    this.visitChain(~small[v & m0], visit);
    do {
      this.visitChain(~large[v & m1], visit);
      v = rev32((rev32((v | ~m1) >>> 0) + 1) >>> 0);
    } while ((v & (m0 ^ m1)) !== 0);
    return v;
  }

  private visitChain(x: number, visit: (x: number) => void): void {
    while (x !== NIL) {
      visit(x);
      x = this.hnext[x];
    }
  }

  // ---- comparisons ----

  /** node x sorts before (score s, member buf[off..off+len)) */
  private before(x: number, s: number, buf: Uint8Array, off: number, len: number): boolean {
    const xs = this.score[x];
    return xs < s || (xs === s && compareBytes(this.arena, this.moff[x], this.mlen[x], buf, off, len) < 0);
  }

  // ---- list operations ----

  first(): number {
    return this.fwd[0];
  }
  next(x: number): number {
    return this.fwd[this.lbase[x]];
  }
  prev(x: number): number {
    return this.back[x];
  }

  /** Insert a member known to be absent. */
  insert(buf: Uint8Array, off: number, len: number, s: number): number {
    const h = hashBytes(buf, off, len);
    const fwd = this.fwd;
    const span = this.span;
    let x = HEADER;
    for (let i = this.level - 1; i >= 0; i--) {
      rankAt[i] = i === this.level - 1 ? 0 : rankAt[i + 1];
      for (;;) {
        const f = fwd[this.lbase[x] + i];
        if (f === NIL || !this.before(f, s, buf, off, len)) break;
        rankAt[i] += span[this.lbase[x] + i];
        x = f;
      }
      update[i] = x;
    }
    const lvl = randomLevel();
    const node = this.allocNode(lvl);
    this.storeMember(node, buf, off, len);
    this.score[node] = s;
    this.link(node, lvl);
    this.length++;
    this.hashInsert(node, h);
    return node;
  }

  /** Link `node` at the position recorded in update/rankAt. */
  private link(node: number, lvl: number): void {
    if (lvl > this.level) {
      for (let i = this.level; i < lvl; i++) {
        rankAt[i] = 0;
        update[i] = HEADER;
        this.span[this.lbase[HEADER] + i] = this.length;
      }
      this.level = lvl;
    }
    const fwd = this.fwd;
    const span = this.span;
    const nb = this.lbase[node];
    for (let i = 0; i < lvl; i++) {
      const ub = this.lbase[update[i]] + i;
      fwd[nb + i] = fwd[ub];
      fwd[ub] = node;
      span[nb + i] = span[ub] - (rankAt[0] - rankAt[i]);
      span[ub] = rankAt[0] - rankAt[i] + 1;
    }
    for (let i = lvl; i < this.level; i++) span[this.lbase[update[i]] + i]++;
    this.back[node] = update[0] === HEADER ? NIL : update[0];
    const f0 = fwd[nb];
    if (f0 !== NIL) this.back[f0] = node;
    else this.tail = node;
  }

  /** Fill update[] with the predecessors of node x at every level. */
  private pathTo(x: number): void {
    const s = this.score[x];
    const off = this.moff[x];
    const len = this.mlen[x];
    const arena = this.arena;
    let y = HEADER;
    for (let i = this.level - 1; i >= 0; i--) {
      for (;;) {
        const f = this.fwd[this.lbase[y] + i];
        if (f === NIL || !this.before(f, s, arena, off, len)) break;
        y = f;
      }
      update[i] = y;
    }
  }

  /** zslDeleteNode: unlink x given update[]. */
  private unlink(x: number): void {
    const fwd = this.fwd;
    const span = this.span;
    const xb = this.lbase[x];
    for (let i = 0; i < this.level; i++) {
      const ub = this.lbase[update[i]] + i;
      if (fwd[ub] === x) {
        span[ub] += span[xb + i] - 1;
        fwd[ub] = fwd[xb + i];
      } else {
        span[ub] -= 1;
      }
    }
    const f0 = fwd[xb];
    if (f0 !== NIL) this.back[f0] = this.back[x];
    else this.tail = this.back[x];
    while (this.level > 1 && fwd[this.lbase[HEADER] + this.level - 1] === NIL) this.level--;
    this.length--;
  }

  /** Remove node x entirely. */
  removeNode(x: number): void {
    this.pathTo(x);
    this.unlink(x);
    this.hashRemove(x);
    this.freeNodeId(x);
  }

  /** zslUpdateScore: move node x to a new score (in place when its position does not change). */
  updateScore(x: number, s: number): void {
    const prev = this.back[x];
    const next = this.fwd[this.lbase[x]];
    if ((prev === NIL || this.score[prev] < s) && (next === NIL || this.score[next] > s)) {
      this.score[x] = s;
      return;
    }
    this.pathTo(x);
    this.unlink(x);
    this.score[x] = s;
    // Re-link the same node (keeping its height) at its new position.
    const off = this.moff[x];
    const len = this.mlen[x];
    const arena = this.arena;
    let y = HEADER;
    for (let i = this.level - 1; i >= 0; i--) {
      rankAt[i] = i === this.level - 1 ? 0 : rankAt[i + 1];
      for (;;) {
        const f = this.fwd[this.lbase[y] + i];
        if (f === NIL || !this.before(f, s, arena, off, len)) break;
        rankAt[i] += this.span[this.lbase[y] + i];
        y = f;
      }
      update[i] = y;
    }
    this.link(x, this.lcnt[x]);
    this.length++;
  }

  /** 1-based rank of node x (zslGetRank). */
  rankOf(x: number): number {
    const s = this.score[x];
    const off = this.moff[x];
    const len = this.mlen[x];
    const arena = this.arena;
    let y = HEADER;
    let rank = 0;
    for (let i = this.level - 1; i >= 0; i--) {
      for (;;) {
        const f = this.fwd[this.lbase[y] + i];
        if (f === NIL) break;
        const fs = this.score[f];
        if (!(fs < s || (fs === s && compareBytes(arena, this.moff[f], this.mlen[f], arena, off, len) <= 0))) break;
        rank += this.span[this.lbase[y] + i];
        y = f;
      }
      if (y === x) return rank;
    }
    return 0;
  }

  /** Node of 1-based rank r, or NIL (zslGetElementByRank). */
  byRank(r: number): number {
    let y = HEADER;
    let traversed = 0;
    for (let i = this.level - 1; i >= 0; i--) {
      for (;;) {
        const f = this.fwd[this.lbase[y] + i];
        if (f === NIL || traversed + this.span[this.lbase[y] + i] > r) break;
        traversed += this.span[this.lbase[y] + i];
        y = f;
      }
      if (traversed === r) return y === HEADER ? NIL : y;
    }
    return NIL;
  }

  private inRange(r: ScoreRange): boolean {
    if (scoreRangeEmpty(r)) return false;
    if (this.tail === NIL || !scoreGteMin(this.score[this.tail], r)) return false;
    const f = this.fwd[0];
    return f !== NIL && scoreLteMax(this.score[f], r);
  }

  firstInRange(r: ScoreRange): number {
    if (!this.inRange(r)) return NIL;
    let y = HEADER;
    for (let i = this.level - 1; i >= 0; i--) {
      for (;;) {
        const f = this.fwd[this.lbase[y] + i];
        if (f === NIL || scoreGteMin(this.score[f], r)) break;
        y = f;
      }
    }
    const x = this.fwd[this.lbase[y]];
    return x !== NIL && scoreLteMax(this.score[x], r) ? x : NIL;
  }

  lastInRange(r: ScoreRange): number {
    if (!this.inRange(r)) return NIL;
    let y = HEADER;
    for (let i = this.level - 1; i >= 0; i--) {
      for (;;) {
        const f = this.fwd[this.lbase[y] + i];
        if (f === NIL || !scoreLteMax(this.score[f], r)) break;
        y = f;
      }
    }
    return y !== HEADER && scoreGteMin(this.score[y], r) ? y : NIL;
  }

  private gteMin(x: number, r: LexRange): boolean {
    return lexGteMin(this.arena, this.moff[x], this.mlen[x], r);
  }
  private lteMax(x: number, r: LexRange): boolean {
    return lexLteMax(this.arena, this.moff[x], this.mlen[x], r);
  }

  private inLexRange(r: LexRange): boolean {
    if (lexRangeEmpty(r)) return false;
    if (this.tail === NIL || !this.gteMin(this.tail, r)) return false;
    const f = this.fwd[0];
    return f !== NIL && this.lteMax(f, r);
  }

  firstInLexRange(r: LexRange): number {
    if (!this.inLexRange(r)) return NIL;
    let y = HEADER;
    for (let i = this.level - 1; i >= 0; i--) {
      for (;;) {
        const f = this.fwd[this.lbase[y] + i];
        if (f === NIL || this.gteMin(f, r)) break;
        y = f;
      }
    }
    const x = this.fwd[this.lbase[y]];
    return x !== NIL && this.lteMax(x, r) ? x : NIL;
  }

  lastInLexRange(r: LexRange): number {
    if (!this.inLexRange(r)) return NIL;
    let y = HEADER;
    for (let i = this.level - 1; i >= 0; i--) {
      for (;;) {
        const f = this.fwd[this.lbase[y] + i];
        if (f === NIL || !this.lteMax(f, r)) break;
        y = f;
      }
    }
    return y !== HEADER && this.gteMin(y, r) ? y : NIL;
  }

  /** Remove the 1-based ranks start..end; returns how many. */
  removeRangeByRank(start: number, end: number): number {
    let y = HEADER;
    let traversed = 0;
    for (let i = this.level - 1; i >= 0; i--) {
      for (;;) {
        const f = this.fwd[this.lbase[y] + i];
        if (f === NIL || traversed + this.span[this.lbase[y] + i] >= start) break;
        traversed += this.span[this.lbase[y] + i];
        y = f;
      }
      update[i] = y;
    }
    traversed++;
    let x = this.fwd[this.lbase[y]];
    let removed = 0;
    while (x !== NIL && traversed <= end) {
      const next = this.fwd[this.lbase[x]];
      this.unlink(x);
      this.hashRemove(x);
      this.freeNodeId(x);
      removed++;
      traversed++;
      x = next;
    }
    this.maybeShrink();
    return removed;
  }

  removeRangeByScore(r: ScoreRange): number {
    let y = HEADER;
    for (let i = this.level - 1; i >= 0; i--) {
      for (;;) {
        const f = this.fwd[this.lbase[y] + i];
        if (f === NIL || scoreGteMin(this.score[f], r)) break;
        y = f;
      }
      update[i] = y;
    }
    let x = this.fwd[this.lbase[y]];
    let removed = 0;
    while (x !== NIL && scoreLteMax(this.score[x], r)) {
      const next = this.fwd[this.lbase[x]];
      this.unlink(x);
      this.hashRemove(x);
      this.freeNodeId(x);
      removed++;
      x = next;
    }
    this.maybeShrink();
    return removed;
  }

  removeRangeByLex(r: LexRange): number {
    let y = HEADER;
    for (let i = this.level - 1; i >= 0; i--) {
      for (;;) {
        const f = this.fwd[this.lbase[y] + i];
        if (f === NIL || this.gteMin(f, r)) break;
        y = f;
      }
      update[i] = y;
    }
    let x = this.fwd[this.lbase[y]];
    let removed = 0;
    while (x !== NIL && this.lteMax(x, r)) {
      const next = this.fwd[this.lbase[x]];
      this.unlink(x);
      this.hashRemove(x);
      this.freeNodeId(x);
      removed++;
      x = next;
    }
    this.maybeShrink();
    return removed;
  }

  /** A uniformly random member (node id). */
  random(): number {
    return this.byRank(1 + Math.floor(Math.random() * this.length));
  }

  /** Check every invariant (tests): ordering, spans, back links, hash membership. */
  verify(): void {
    let n = 0;
    let prev = NIL;
    for (let x = this.fwd[0]; x !== NIL; x = this.fwd[this.lbase[x]]) {
      n++;
      if (this.back[x] !== prev) throw new Error(`bad back link at node ${x}`);
      if (prev !== NIL && !this.before(prev, this.score[x], this.arena, this.moff[x], this.mlen[x])) throw new Error('order violated');
      if (this.find(this.arena.subarray(this.moff[x], this.moff[x] + this.mlen[x]), 0, this.mlen[x]) !== x) throw new Error('hash lookup failed');
      if (this.rankOf(x) !== n) throw new Error(`rank of node ${x} is ${this.rankOf(x)}, expected ${n}`);
      prev = x;
    }
    if (n !== this.length) throw new Error(`length ${this.length} but ${n} nodes`);
    if (this.tail !== prev) throw new Error('bad tail');
    for (let i = 0; i < this.level; i++) {
      // spans at level i: the sum from the header reaches each node's rank
      let y = HEADER;
      let rank = 0;
      while (this.fwd[this.lbase[y] + i] !== NIL) {
        rank += this.span[this.lbase[y] + i];
        y = this.fwd[this.lbase[y] + i];
        if (this.rankOf(y) !== rank) throw new Error(`bad span at level ${i}`);
      }
    }
  }
}

// ---- listpack: packed bytes ------------------------------------------------------------------

/*
 * Entry layout: the score's 8 IEEE-754 bytes (platform order), the member length (one byte
 * below 255, else 255 and 4 bytes little-endian), the member's bytes. A listpack's entries are
 * bytes [pbase, pbase + plen) of pbuf: in its key's slab chunk while it is stored there (after
 * a u32 entry count: PackedForm), or in the listpack's own write buffer once written. The
 * first write of a command copies the entries into the write buffer, where edits happen in
 * place; the command then stores them once (zsets.ts). A set held this way has no JS object of
 * its own: commands read it through a shared ZsetValue view (viewPackedZset).
 *
 * Reads by position go through one module-level decoded view (bytes, entry offsets, scores),
 * rebuilt when another listpack, or a new version of this one, is read. Lookups by member and
 * every write scan the entries themselves, so member bytes a caller got from the decoded view
 * stay valid while it adds them to another set (ZRANGESTORE).
 */
const f64 = new Float64Array(1);
const f64b = new Uint8Array(f64.buffer);

/** Versions are unique across listpacks, so a rebound view never matches an old decode. */
let versions = 0;

/** The decoded view of one listpack version. */
let viewOwner: ZListpack | null = null;
let viewVersion = -1;
let viewBytes = Buffer.allocUnsafeSlow(256);
let viewMoff = new Int32Array(32);
let viewMlen = new Int32Array(32);
let viewScore = new Float64Array(32);

/** The score whose 8 bytes start at b[i]. */
function scoreAtByte(b: Uint8Array, i: number): number {
  for (let k = 0; k < 8; k++) f64b[k] = b[i + k];
  return f64[0];
}

/** The member length of the entry at b[p] (whose score starts there); sets lenEnd past it. */
function entryLen(b: Uint8Array, p: number): number {
  const l = b[p + 8];
  if (l !== 255) {
    lenEnd = p + 9;
    return l;
  }
  lenEnd = p + 13;
  return b[p + 9] | (b[p + 10] << 8) | (b[p + 11] << 16) | (b[p + 12] * 16777216);
}
let lenEnd = 0;

export class ZListpack extends PackedForm {
  /** Changed by every write and bind (invalidates the decoded view). */
  version = ++versions;

  /** The entries plus this object and its ZsetValue wrapper (held as an object). */
  bytes(): number {
    return 96 + 16 + ((this.plen + 7) & ~7);
  }

  /** View the listpack stored at b[off, off + len) ([count | entries]). */
  bind(b: Uint8Array, off: number, len: number): void {
    this.bindStored(b, off, len);
    this.version = ++versions;
  }

  /** Make this an empty listpack. */
  clear(): void {
    this.clearStored();
    this.version = ++versions;
  }

  /** Written since bind() / clear(): the entries are in the write buffer. */
  get edited(): boolean {
    return this.inWriteBuffer;
  }

  /** Copy this listpack's entries (its own write buffer), for a set that becomes an object. */
  copy(): ZListpack {
    const out = new ZListpack();
    out.copyFrom(this);
    return out;
  }

  /** Decode this listpack into the module view (no-op when it already holds this version). */
  view(): void {
    if (viewOwner === this && viewVersion === this.version) return;
    const n = this.n;
    const len = this.plen;
    if (viewBytes.length < len) viewBytes = Buffer.allocUnsafeSlow(Math.max(len, viewBytes.length * 2));
    if (viewMoff.length < n) {
      const cap = Math.max(n, viewMoff.length * 2);
      viewMoff = new Int32Array(cap);
      viewMlen = new Int32Array(cap);
      viewScore = new Float64Array(cap);
    }
    const b = viewBytes;
    copyBytes(this.pbuf, this.pbase, b, 0, len);
    let p = 0;
    for (let i = 0; i < n; i++) {
      viewScore[i] = scoreAtByte(b, p);
      const l = entryLen(b, p);
      p = lenEnd;
      viewMoff[i] = p;
      viewMlen[i] = l;
      p += l;
    }
    viewOwner = this;
    viewVersion = this.version;
  }

  /** Score of entry i (through the view). */
  scoreAt(i: number): number {
    this.view();
    return viewScore[i];
  }

  /** The decoded bytes: entry i's member is at [memberOff(i), +memberLen(i)) (through the view). */
  memberBytes(): Buffer {
    this.view();
    return viewBytes;
  }
  memberOff(i: number): number {
    return viewMoff[i];
  }
  memberLen(i: number): number {
    return viewMlen[i];
  }

  /** Offset (from pbase) of the member's entry (found by scanning), -1 when absent; its index in foundIndex. */
  private locate(buf: Uint8Array, off: number, len: number): number {
    const b = this.pbuf;
    const base = this.pbase;
    let p = base;
    for (let i = 0; i < this.n; i++) {
      const l = entryLen(b, p);
      const m = lenEnd;
      if (l === len) {
        let k = 0;
        while (k < len && b[m + k] === buf[off + k]) k++;
        if (k === len) {
          this.foundIndex = i;
          return p - base;
        }
      }
      p = m + l;
    }
    return -1;
  }
  foundIndex = 0;

  /** Index of a member, -1 when absent. */
  find(buf: Uint8Array, off: number, len: number): number {
    return this.locate(buf, off, len) < 0 ? -1 : this.foundIndex;
  }

  /** Score of a member, NaN when absent. */
  scoreOf(buf: Uint8Array, off: number, len: number): number {
    const at = this.locate(buf, off, len);
    return at < 0 ? NaN : scoreAtByte(this.pbuf, this.pbase + at);
  }

  /** Offset (from pbase) just past the entry at offset p. */
  private skip(p: number): number {
    const l = entryLen(this.pbuf, this.pbase + p);
    return lenEnd - this.pbase + l;
  }

  /** Offset (from pbase) of entry i (i <= n). */
  private offsetOf(i: number): number {
    let p = 0;
    for (let k = 0; k < i; k++) p = this.skip(p);
    return p;
  }

  /** zzlInsert: add a member known to be absent, in (score, member) order; returns its index. */
  insert(buf: Uint8Array, off: number, len: number, score: number): number {
    if (score === 0) score = 0; // an integral score is kept as an integer: -0 reads back as 0
    const b = this.pbuf;
    const base = this.pbase;
    let p = 0;
    let i = 0;
    for (; i < this.n; i++) {
      const es = scoreAtByte(b, base + p);
      if (es > score) break;
      if (es === score) {
        // Compare members: the entry's against the new one.
        const l = entryLen(b, base + p);
        const q = lenEnd;
        const m = l < len ? l : len;
        let c = 0;
        for (let k = 0; k < m && c === 0; k++) c = b[q + k] - buf[off + k];
        if (c > 0 || (c === 0 && l > len)) break;
      }
      p = this.skip(p);
    }
    this.insertAtOffset(p, buf, off, len, score);
    return i;
  }

  /** Append a member that sorts after every present one. */
  append(buf: Uint8Array, off: number, len: number, score: number): void {
    if (score === 0) score = 0;
    this.insertAtOffset(this.plen, buf, off, len, score);
  }

  private insertAtOffset(at: number, buf: Uint8Array, off: number, len: number, score: number): void {
    const head = len < 255 ? 9 : 13;
    const entry = head + len;
    const w = this.writable(entry);
    const p = this.pbase + at;
    w.copyWithin(p + entry, p, this.pbase + this.plen);
    f64[0] = score;
    for (let k = 0; k < 8; k++) w[p + k] = f64b[k];
    if (len < 255) w[p + 8] = len;
    else {
      w[p + 8] = 255;
      w[p + 9] = len & 255;
      w[p + 10] = (len >>> 8) & 255;
      w[p + 11] = (len >>> 16) & 255;
      w[p + 12] = (len >>> 24) & 255;
    }
    copyBytes(buf, off, w, p + head, len);
    this.plen += entry;
    this.n++;
    this.version = ++versions;
  }

  /** Delete count entries from index i. */
  deleteRange(i: number, count: number): void {
    const from = this.offsetOf(i);
    let to = from;
    for (let k = 0; k < count; k++) to = this.skip(to);
    const w = this.writable(0);
    const base = this.pbase;
    w.copyWithin(base + from, base + to, base + this.plen);
    this.plen -= to - from;
    this.n -= count;
    this.version = ++versions;
  }

  /** Visit every entry in order, straight from the entries (the shared decoded view is untouched). */
  forEachEntry(visit: (bytes: Uint8Array, off: number, len: number, score: number) => void): void {
    const b = this.pbuf;
    let p = this.pbase;
    for (let i = 0; i < this.n; i++) {
      const score = scoreAtByte(b, p);
      const len = entryLen(b, p);
      p = lenEnd;
      visit(b, p, len, score);
      p += len;
    }
  }

  firstInRange(r: ScoreRange): number {
    if (scoreRangeEmpty(r) || this.n === 0) return NIL;
    this.view();
    if (!scoreGteMin(viewScore[this.n - 1], r) || !scoreLteMax(viewScore[0], r)) return NIL;
    for (let i = 0; i < this.n; i++) {
      const sc = viewScore[i];
      if (scoreGteMin(sc, r)) return scoreLteMax(sc, r) ? i : NIL;
    }
    return NIL;
  }

  lastInRange(r: ScoreRange): number {
    if (scoreRangeEmpty(r) || this.n === 0) return NIL;
    this.view();
    if (!scoreGteMin(viewScore[this.n - 1], r) || !scoreLteMax(viewScore[0], r)) return NIL;
    for (let i = this.n - 1; i >= 0; i--) {
      const sc = viewScore[i];
      if (scoreLteMax(sc, r)) return scoreGteMin(sc, r) ? i : NIL;
    }
    return NIL;
  }

  gteMin(i: number, r: LexRange): boolean {
    this.view();
    return lexGteMin(viewBytes, viewMoff[i], viewMlen[i], r);
  }
  lteMax(i: number, r: LexRange): boolean {
    this.view();
    return lexLteMax(viewBytes, viewMoff[i], viewMlen[i], r);
  }

  firstInLexRange(r: LexRange): number {
    if (lexRangeEmpty(r) || this.n === 0) return NIL;
    if (!this.gteMin(this.n - 1, r) || !this.lteMax(0, r)) return NIL;
    for (let i = 0; i < this.n; i++) {
      if (this.gteMin(i, r)) return this.lteMax(i, r) ? i : NIL;
    }
    return NIL;
  }

  lastInLexRange(r: LexRange): number {
    if (lexRangeEmpty(r) || this.n === 0) return NIL;
    if (!this.gteMin(this.n - 1, r) || !this.lteMax(0, r)) return NIL;
    for (let i = this.n - 1; i >= 0; i--) {
      if (this.lteMax(i, r)) return this.gteMin(i, r) ? i : NIL;
    }
    return NIL;
  }
}

/**
 * What member() (the member's offset and length) and add() (the score after it) report, shared by
 * every ZsetValue rather than kept in each: read it at once, as the accessors below say. Per set,
 * three fields and the heap number behind a fractional newScore were about 40 of the ~300 bytes of
 * RSS a one-member sorted set cost (1M of them: 298 -> 253 B each). Typed arrays, so a score is
 * stored without boxing.
 */
const lastMember = new Int32Array(2);
const lastScore = new Float64Array(1);

/**
 * A sorted set: one of the two encodings, switched as Redis switches them. Implements the
 * generic Collection contract (OBJECT ENCODING, COPY) and every operation the commands need.
 */
export class ZsetValue implements Collection {
  lp: ZListpack | null;
  sl: ZSkiplist | null;
  /** Set by member(pos): where the bytes are in the returned array (until the next member() of any set). */
  get memberOff(): number {
    return lastMember[0];
  }
  get memberLen(): number {
    return lastMember[1];
  }
  /** Set by add(): the member's score after the operation (until the next add() of any set). */
  get newScore(): number {
    return lastScore[0];
  }

  /** A new empty set, in the listpack encoding unless `skiplist`. */
  constructor(skiplist = false, capacity = 4) {
    this.lp = skiplist ? null : new ZListpack();
    this.sl = skiplist ? new ZSkiplist(capacity) : null;
  }

  encodingName(): string {
    return this.lp !== null ? 'listpack' : 'skiplist';
  }
  isListpack(): boolean {
    return this.lp !== null;
  }
  size(): number {
    return this.lp !== null ? this.lp.n : this.sl!.length;
  }
  /** Memory estimate in bytes (typed arrays' capacity, the packed string, object overhead). */
  bytes(): number {
    return this.lp !== null ? this.lp.bytes() : this.sl!.bytes();
  }
  /** The same estimate under the name the other collection values use. */
  memoryBytes(): number {
    return this.bytes();
  }

  clone(): ZsetValue {
    if (this.lp !== null) {
      const out = new ZsetValue(false);
      out.lp = this.lp.copy();
      return out;
    }
    const out = new ZsetValue(true, this.size());
    for (let p = this.first(); p !== NIL; p = this.next(p)) {
      const m = this.member(p);
      out.insertNew(m, lastMember[0], lastMember[1], this.scoreAt(p));
    }
    return out;
  }

  // ---- encoding ----

  /** listpack -> skiplist (zsetConvert). */
  convertToSkiplist(): void {
    const lp = this.lp;
    if (lp === null) return;
    const sl = new ZSkiplist(lp.n * 2);
    lp.forEachEntry((bytes, off, len, score) => sl.insert(bytes, off, len, score));
    this.sl = sl;
    this.lp = null;
  }

  /** skiplist -> listpack. */
  convertToListpack(): void {
    const sl = this.sl;
    if (sl === null) return;
    const lp = new ZListpack();
    for (let x = sl.first(); x !== NIL; x = sl.next(x)) lp.append(sl.arena, sl.moff[x], sl.mlen[x], sl.score[x]);
    this.lp = lp;
    this.sl = null;
  }

  /** zsetConvertToListpackIfNeeded for a freshly built result. */
  compactIfSmall(maxEntries: number, maxValue: number): void {
    if (this.sl === null || this.sl.length > maxEntries) return;
    const sl = this.sl;
    for (let x = sl.first(); x !== NIL; x = sl.next(x)) if (sl.mlen[x] > maxValue) return;
    this.convertToListpack();
  }

  /**
   * After removals: rebuild a skiplist whose node arrays are under a quarter full, so memory
   * follows the set down (amortized O(log n) per removal, as it takes n/2 removals to get here).
   */
  private maybeCompact(): void {
    const sl = this.sl;
    if (sl === null || sl.score.length <= 64 || sl.length * 4 >= sl.score.length) return;
    const fresh = new ZSkiplist(sl.length * 2);
    for (let x = sl.first(); x !== NIL; x = sl.next(x)) fresh.insert(sl.arena, sl.moff[x], sl.mlen[x], sl.score[x]);
    this.sl = fresh;
  }

  // ---- member operations ----

  /** Score of a member, NaN when absent. */
  score(buf: Uint8Array, off: number, len: number): number {
    if (this.lp !== null) return this.lp.scoreOf(buf, off, len);
    const x = this.sl!.find(buf, off, len);
    return x < 0 ? NaN : this.sl!.score[x];
  }

  /** Position of a member, -1 when absent. */
  find(buf: Uint8Array, off: number, len: number): number {
    return this.lp !== null ? this.lp.find(buf, off, len) : this.sl!.find(buf, off, len);
  }

  /** 0-based rank of a member (from the highest score when reverse), -1 when absent. */
  rank(buf: Uint8Array, off: number, len: number, reverse: boolean): number {
    const n = this.size();
    if (this.lp !== null) {
      const i = this.lp.find(buf, off, len);
      if (i < 0) return -1;
      return reverse ? n - 1 - i : i;
    }
    const x = this.sl!.find(buf, off, len);
    if (x < 0) return -1;
    const r = this.sl!.rankOf(x);
    return reverse ? n - r : r - 1;
  }

  /** Insert a member known to be absent, without conversion checks (bulk builds, clone). */
  insertNew(buf: Uint8Array, off: number, len: number, s: number): void {
    if (this.lp !== null) this.lp.insert(buf, off, len, s);
    else this.sl!.insert(buf, off, len, s);
  }

  /**
   * zsetAdd: add or update a member under ZADD's flags; returns ZaddOut flags (NAN means the
   * operation was refused); newScore holds the resulting score. Converts to a skiplist when
   * a new member would pass maxEntries / maxValue.
   */
  add(buf: Uint8Array, off: number, len: number, s: number, flags: number, maxEntries: number, maxValue: number): number {
    if (s !== s) return ZaddOut.NAN;
    const incr = (flags & ZaddIn.INCR) !== 0;
    const nx = (flags & ZaddIn.NX) !== 0;
    const xx = (flags & ZaddIn.XX) !== 0;
    const gt = (flags & ZaddIn.GT) !== 0;
    const lt = (flags & ZaddIn.LT) !== 0;
    const lp = this.lp;
    if (lp !== null) {
      const cur = lp.scoreOf(buf, off, len);
      if (cur === cur) {
        const i = lp.foundIndex;
        if (nx) return ZaddOut.NOP;
        if (incr) {
          s += cur;
          if (s !== s) return ZaddOut.NAN;
        }
        if ((lt && s >= cur) || (gt && s <= cur)) return ZaddOut.NOP;
        lastScore[0] = s;
        if (s !== cur) {
          // Move it: delete and re-insert (the caller's bytes equal the member's).
          lp.deleteRange(i, 1);
          lp.insert(buf, off, len, s);
          return ZaddOut.UPDATED;
        }
        return 0;
      }
      if (xx) return ZaddOut.NOP;
      if (lp.n + 1 > maxEntries || len > maxValue) {
        this.convertToSkiplist();
      } else {
        lp.insert(buf, off, len, s);
        lastScore[0] = s;
        return ZaddOut.ADDED;
      }
    }
    const sl = this.sl!;
    const x = sl.find(buf, off, len);
    if (x >= 0) {
      if (nx) return ZaddOut.NOP;
      const cur = sl.score[x];
      if (incr) {
        s += cur;
        if (s !== s) return ZaddOut.NAN;
      }
      if ((lt && s >= cur) || (gt && s <= cur)) return ZaddOut.NOP;
      lastScore[0] = s;
      if (s !== cur) {
        sl.updateScore(x, s);
        return ZaddOut.UPDATED;
      }
      return 0;
    }
    if (xx) return ZaddOut.NOP;
    sl.insert(buf, off, len, s);
    lastScore[0] = s;
    return ZaddOut.ADDED;
  }

  /** Remove a member; true when it was there. */
  remove(buf: Uint8Array, off: number, len: number): boolean {
    if (this.lp !== null) {
      const i = this.lp.find(buf, off, len);
      if (i < 0) return false;
      this.lp.deleteRange(i, 1);
      return true;
    }
    const sl = this.sl!;
    const x = sl.find(buf, off, len);
    if (x < 0) return false;
    sl.removeNode(x);
    sl.maybeShrink();
    this.maybeCompact();
    return true;
  }

  /** Remove the member at a position. */
  removeAt(p: number): void {
    if (this.lp !== null) this.lp.deleteRange(p, 1);
    else {
      this.sl!.removeNode(p);
      this.sl!.maybeShrink();
      this.maybeCompact();
    }
  }

  // ---- positions ----

  first(): number {
    if (this.lp !== null) return this.lp.n > 0 ? 0 : NIL;
    return this.sl!.first();
  }
  last(): number {
    if (this.lp !== null) return this.lp.n - 1;
    return this.sl!.tail;
  }
  next(p: number): number {
    if (this.lp !== null) return p + 1 < this.lp.n ? p + 1 : NIL;
    return this.sl!.next(p);
  }
  prev(p: number): number {
    if (this.lp !== null) return p - 1;
    return this.sl!.prev(p);
  }
  /** Position of 0-based rank r (0 <= r < size). */
  atRank(r: number): number {
    if (this.lp !== null) return r < this.lp.n ? r : NIL;
    const sl = this.sl!;
    if (r === 0) return sl.first();
    if (r === sl.length - 1) return sl.tail;
    return sl.byRank(r + 1);
  }
  /** 0-based rank of a position. */
  rankOf(p: number): number {
    return this.lp !== null ? p : this.sl!.rankOf(p) - 1;
  }
  scoreAt(p: number): number {
    return this.lp !== null ? this.lp.scoreAt(p) : this.sl!.score[p];
  }
  /** Member bytes at a position: the returned array at [memberOff, memberOff + memberLen). */
  member(p: number): Uint8Array {
    const lp = this.lp;
    if (lp !== null) {
      const bytes = lp.memberBytes();
      lastMember[0] = lp.memberOff(p);
      lastMember[1] = lp.memberLen(p);
      return bytes;
    }
    const sl = this.sl!;
    lastMember[0] = sl.moff[p];
    lastMember[1] = sl.mlen[p];
    return sl.arena;
  }

  firstInRange(r: ScoreRange): number {
    return this.lp !== null ? this.lp.firstInRange(r) : this.sl!.firstInRange(r);
  }
  lastInRange(r: ScoreRange): number {
    return this.lp !== null ? this.lp.lastInRange(r) : this.sl!.lastInRange(r);
  }
  firstInLexRange(r: LexRange): number {
    return this.lp !== null ? this.lp.firstInLexRange(r) : this.sl!.firstInLexRange(r);
  }
  lastInLexRange(r: LexRange): number {
    return this.lp !== null ? this.lp.lastInLexRange(r) : this.sl!.lastInLexRange(r);
  }

  /** Remove 0-based ranks start..end (already clamped); returns the count. */
  removeRangeByRank(start: number, end: number): number {
    if (this.lp !== null) {
      this.lp.deleteRange(start, end - start + 1);
      return end - start + 1;
    }
    const n = this.sl!.removeRangeByRank(start + 1, end + 1);
    this.maybeCompact();
    return n;
  }

  removeRangeByScore(r: ScoreRange): number {
    const lp = this.lp;
    if (lp !== null) {
      const first = lp.firstInRange(r);
      if (first < 0) return 0;
      let end = first;
      while (end < lp.n && scoreLteMax(lp.scoreAt(end), r)) end++;
      lp.deleteRange(first, end - first);
      return end - first;
    }
    const n = this.sl!.removeRangeByScore(r);
    this.maybeCompact();
    return n;
  }

  removeRangeByLex(r: LexRange): number {
    const lp = this.lp;
    if (lp !== null) {
      const first = lp.firstInLexRange(r);
      if (first < 0) return 0;
      let end = first;
      while (end < lp.n && lp.lteMax(end, r)) end++;
      lp.deleteRange(first, end - first);
      return end - first;
    }
    const n = this.sl!.removeRangeByLex(r);
    this.maybeCompact();
    return n;
  }

  /** A uniformly random position (the set must not be empty). */
  randomPos(): number {
    if (this.lp !== null) return Math.floor(Math.random() * this.lp.n);
    return this.sl!.random();
  }
}

/** Position meaning "none". */
export const ZNIL = NIL;

/*
 * The shared view of sorted sets stored packed in their keys' chunks (see the listpack section):
 * one ZsetValue whose listpack is pointed at a key's bytes per command. It is valid until the
 * next store call or the next viewPackedZset / newPackedZset; a command that needs several sets
 * at once takes its own copies (ZsetValue.clone). A write is stored by the command (zsets.ts).
 */
const viewListpack = new ZListpack();
const zsetView = new ZsetValue(false);

/** The shared view, pointed at the listpack stored at b[off, off + len). */
export function viewPackedZset(b: Uint8Array, off: number, len: number): ZsetValue {
  viewListpack.bind(b, off, len);
  zsetView.lp = viewListpack;
  zsetView.sl = null;
  return zsetView;
}

/** The shared view, emptied, to build a new packed sorted set in. */
export function newPackedZset(): ZsetValue {
  viewListpack.clear();
  zsetView.lp = viewListpack;
  zsetView.sl = null;
  return zsetView;
}

/** zv is the shared view (its result is stored by the caller), not an object of its own. */
export function isZsetView(zv: ZsetValue): boolean {
  return zv === zsetView;
}

/**
 * What the view holds, as a ZsetValue of its own for the store's object table (a skiplist it
 * converted to, or a copy of its listpack); the view is emptied.
 */
export function detachZsetView(): ZsetValue {
  const out = new ZsetValue(false);
  out.lp = zsetView.lp === null ? null : zsetView.lp.copy();
  out.sl = zsetView.sl;
  newPackedZset();
  return out;
}
