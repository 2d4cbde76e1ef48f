/*
 * Entry table: the per-shard metadata of every key, in typed arrays.
 *
 * What: a 32-byte record per entry id, read as Uint32 words (rs) and, for the expire time,
 * as doubles over the same bytes (xs):
 *   R_LOC   slab location of the chunk [owner | key | value]
 *   R_KLEN  key length
 *   R_VLEN  value length (strings) or object-table slot (other types)
 *   R_HASH  cached 32-bit hash of (db, key)
 *   R_LRU   LRU clock (ms mod 2^32) or LFU (minutes << 8 | log counter)
 *   R_META  type | encoding << 8 | internal db << 16   (type NONE = free id)
 *   X_EXP   absolute expire time in ms, 0 = none (words 6 and 7)
 * plus 12 cold bytes touched only by TTL work (cs): expiry-wheel links (prev: -1 = not in the
 * wheel, <= -2 = head of slot -(v+2); next) and the position in the shard's volatile array
 * (-1 = no TTL). A segment gets its cold words when one of its entries first gets a TTL (until
 * then its cs slot is an empty array and every entry of it reads -1): so a key costs 32 bytes of
 * table when no key near it has a TTL, 44 otherwise. Without TTLs that was 12 of the ~120 bytes
 * a 16-byte key with a 32-byte value cost (1M keys: 122 -> 111 bytes of RSS each).
 *
 * Storage is segmented: SEG_SIZE (4,096) entries per segment, entry id -> segment id >>> 12,
 * record (id & 4095) * 8. The first segment starts at FIRST_SEG_SIZE (1,024) entries and
 * doubles by copying (at most 64 KB of records, 24 KB of cold words) until it is full size; after
 * that, growing adds a segment (128 KB, and 48 KB of cold words once needed) and never copies. So
 * a table of any size grows without a pause, an empty shard holds 36 KB, and a table wastes at
 * most one partly used segment. A segment array fetched from rs / xs / cs is therefore valid until the next alloc() (which may replace the first one). Free ids
 * sit on a LIFO stack; `hw` is the high-water mark (every id below it has been handed out),
 * which bounds scans and random sampling.
 *
 * Invariants: an id never changes while its entry lives (handles and SCAN cursors rely on it);
 * type(id) === NONE exactly for free ids below hw; count = live entries.
 *
 * Cost: alloc/free O(1), growth O(segment). The table shrinks back only when the shard empties
 * (ids cannot move, so a partly full table cannot be compacted).
 *
 * Why records rather than one array per field: a GET touches the entry's location, key length,
 * db, expire time and LRU clock together: one cache line instead of six. Why segments: copying
 * a 1.5x bigger table stalled the event loop up to 22 ms at 10M keys (all 64 shards grow within
 * the same few hundred writes). Why 4,096 entries: a full V8 GC visits every segment's typed
 * arrays; 1,024-entry segments made about 10,000 of them at 10M keys, 4,096-entry ones make
 * about 2,500. A full gc() of the store alone at 10M keys went from a median 11-12 ms to
 * 1.8-7.3 ms (main thread, busy 2-core machine). 16,384-entry segments saved about a
 * millisecond more (1.0-3.2 ms) but a partly used one per shard can hold up to 64 x 720 KB
 * (+41 MiB of used_memory at 1.1M keys, against +8 MiB here). Why a small first one: an empty
 * shard holds 36 KB, as with 1,024-entry segments. Still no JS object per key: the GC has
 * nothing to trace.
 */
import { performance } from 'node:perf_hooks';
import { KeyType } from './types.ts';

/** Shared running total of the bytes held by tables outside the slab (entry tables, indexes, ...). */
export interface MemoryMeter {
  tableBytes: number;
}

export const SEG_BITS = 12;
export const SEG_SIZE = 1 << SEG_BITS;
export const SEG_MASK = SEG_SIZE - 1;
/** Entries of an empty table: its first segment's starting size (a power of two, <= SEG_SIZE). */
export const FIRST_SEG_SIZE = 1024;
/** Uint32 words per record, and field offsets within it. */
export const REC = 8;
export const R_LOC = 0;
export const R_KLEN = 1;
export const R_VLEN = 2;
export const R_HASH = 3;
export const R_LRU = 4;
export const R_META = 5;
/** Float64 index of the expire time within a record: xs[seg][(id & SEG_MASK) * 4 + X_EXP]. */
export const X_EXP = 3;
/** Cold words per entry, and their offsets. */
const COLD = 3;
const C_PREV = 0;
const C_NEXT = 1;
const C_VPOS = 2;

/** Bytes of an entry's record. */
export const RECORD_BYTES = REC * 4;
/** Cold bytes per entry of a segment that has them. */
export const COLD_BYTES = COLD * 4;
/** The cold words of a segment none of whose entries has had a TTL. */
const NO_COLD = new Int32Array(0);

export class EntryTable {
  capacity = 0;
  count = 0;
  hw = 0;
  /** Largest number of ids this table may hand out (handles pack the shard number beside the id). */
  readonly maxIds: number;
  /** Record segments (Uint32 words) and their Float64 views. */
  rs: Uint32Array[] = [];
  xs: Float64Array[] = [];
  /** Cold segments: wheel prev / next, volatile position; NO_COLD until needed. */
  cs: Int32Array[] = [];
  /** Bytes of the cold segments allocated. */
  private coldBytes = 0;
  private freeIds = new Int32Array(FIRST_SEG_SIZE);
  private freeTop = 0;
  private readonly meter: MemoryMeter;
  /** Worst growth time seen, ms (benchmarks report it). */
  worstResizeMs = 0;

  constructor(maxIds: number, meter: MemoryMeter) {
    this.maxIds = maxIds;
    this.meter = meter;
    meter.tableBytes += this.freeIds.byteLength;
    this.addSegment();
  }

  type(id: number): number {
    return this.rs[id >>> SEG_BITS][((id & SEG_MASK) << 3) + R_META] & 255;
  }
  enc(id: number): number {
    return (this.rs[id >>> SEG_BITS][((id & SEG_MASK) << 3) + R_META] >>> 8) & 255;
  }
  db(id: number): number {
    return this.rs[id >>> SEG_BITS][((id & SEG_MASK) << 3) + R_META] >>> 16;
  }
  setMeta(id: number, type: number, enc: number, db: number): void {
    this.rs[id >>> SEG_BITS][((id & SEG_MASK) << 3) + R_META] = type | (enc << 8) | (db << 16);
  }
  setType(id: number, type: number): void {
    const r = this.rs[id >>> SEG_BITS];
    const i = ((id & SEG_MASK) << 3) + R_META;
    r[i] = (r[i] & ~255) | type;
  }
  setEnc(id: number, enc: number): void {
    const r = this.rs[id >>> SEG_BITS];
    const i = ((id & SEG_MASK) << 3) + R_META;
    r[i] = (r[i] & ~0xff00) | (enc << 8);
  }
  setDb(id: number, db: number): void {
    const r = this.rs[id >>> SEG_BITS];
    const i = ((id & SEG_MASK) << 3) + R_META;
    r[i] = (r[i] & 0xffff) | (db << 16);
  }
  /** Word `f` (R_*) of entry id's record. */
  get(id: number, f: number): number {
    return this.rs[id >>> SEG_BITS][((id & SEG_MASK) << 3) + f];
  }
  set(id: number, f: number, v: number): void {
    this.rs[id >>> SEG_BITS][((id & SEG_MASK) << 3) + f] = v;
  }
  loc(id: number): number {
    return this.rs[id >>> SEG_BITS][(id & SEG_MASK) << 3];
  }
  klen(id: number): number {
    return this.rs[id >>> SEG_BITS][((id & SEG_MASK) << 3) + R_KLEN];
  }
  vlen(id: number): number {
    return this.rs[id >>> SEG_BITS][((id & SEG_MASK) << 3) + R_VLEN];
  }
  hash(id: number): number {
    return this.rs[id >>> SEG_BITS][((id & SEG_MASK) << 3) + R_HASH];
  }
  lru(id: number): number {
    return this.rs[id >>> SEG_BITS][((id & SEG_MASK) << 3) + R_LRU];
  }
  expire(id: number): number {
    return this.xs[id >>> SEG_BITS][((id & SEG_MASK) << 2) + X_EXP];
  }
  setExpire(id: number, at: number): void {
    this.xs[id >>> SEG_BITS][((id & SEG_MASK) << 2) + X_EXP] = at;
  }
  wprev(id: number): number {
    const c = this.cs[id >>> SEG_BITS];
    return c.length === 0 ? -1 : c[(id & SEG_MASK) * COLD + C_PREV];
  }
  wnext(id: number): number {
    const c = this.cs[id >>> SEG_BITS];
    return c.length === 0 ? -1 : c[(id & SEG_MASK) * COLD + C_NEXT];
  }
  setWprev(id: number, v: number): void {
    this.coldOf(id)[(id & SEG_MASK) * COLD + C_PREV] = v;
  }
  setWnext(id: number, v: number): void {
    this.coldOf(id)[(id & SEG_MASK) * COLD + C_NEXT] = v;
  }
  vpos(id: number): number {
    const c = this.cs[id >>> SEG_BITS];
    return c.length === 0 ? -1 : c[(id & SEG_MASK) * COLD + C_VPOS];
  }
  setVpos(id: number, v: number): void {
    this.coldOf(id)[(id & SEG_MASK) * COLD + C_VPOS] = v;
  }

  /** The cold words of id's segment, allocated (every word -1) on first use. */
  private coldOf(id: number): Int32Array {
    const seg = id >>> SEG_BITS;
    let c = this.cs[seg];
    if (c.length === 0) {
      c = new Int32Array((seg === 0 ? Math.min(this.capacity, SEG_SIZE) : SEG_SIZE) * COLD).fill(-1);
      this.cs[seg] = c;
      this.coldBytes += c.byteLength;
      this.meter.tableBytes += c.byteLength;
    }
    return c;
  }

  /** A free id with links and volatile position -1 and no expire time; -1 when the table is at maxIds. */
  alloc(): number {
    let id: number;
    if (this.freeTop > 0) {
      id = this.freeIds[--this.freeTop];
    } else {
      if (this.hw >= this.maxIds) return -1;
      if (this.hw === this.capacity) this.addSegment();
      id = this.hw++;
    }
    this.count++;
    const c = this.cs[id >>> SEG_BITS];
    if (c.length !== 0) {
      const ci = (id & SEG_MASK) * COLD;
      c[ci + C_PREV] = -1;
      c[ci + C_NEXT] = -1;
      c[ci + C_VPOS] = -1;
    }
    this.xs[id >>> SEG_BITS][((id & SEG_MASK) << 2) + X_EXP] = 0;
    return id;
  }

  free(id: number): void {
    this.rs[id >>> SEG_BITS][((id & SEG_MASK) << 3) + R_META] = KeyType.NONE;
    if (this.freeTop === this.freeIds.length) {
      const bigger = new Int32Array(this.freeIds.length * 2);
      bigger.set(this.freeIds);
      this.meter.tableBytes += bigger.byteLength - this.freeIds.byteLength;
      this.freeIds = bigger;
    }
    this.freeIds[this.freeTop++] = id;
    this.count--;
  }

  /**
   * Back to one empty segment (the shard emptied). A table still at its first size is cleared in
   * place, as far as it was used: a FLUSHALL reset every shard, and reallocating each one's
   * 45 KB of records made FLUSHALL-heavy traffic (the fuzzer's corpus) churn the malloc heap.
   */
  reset(): void {
    if (this.capacity === FIRST_SEG_SIZE && this.freeIds.length === FIRST_SEG_SIZE) {
      this.rs[0].fill(0, 0, this.hw * REC);
      this.count = 0;
      this.hw = 0;
      this.freeTop = 0;
      return;
    }
    this.meter.tableBytes -= this.bytes();
    this.coldBytes = 0;
    this.count = 0;
    this.hw = 0;
    this.freeTop = 0;
    this.capacity = 0;
    this.rs = [];
    this.xs = [];
    this.cs = [];
    this.freeIds = new Int32Array(FIRST_SEG_SIZE);
    this.meter.tableBytes += this.freeIds.byteLength;
    this.addSegment();
  }

  bytes(): number {
    return this.capacity * RECORD_BYTES + this.coldBytes + this.freeIds.byteLength;
  }

  /** Room for more ids: the first segment doubles until it is full size, then a segment is added. */
  private addSegment(): void {
    const t0 = performance.now();
    const first = this.capacity < SEG_SIZE;
    const n = this.capacity === 0 ? FIRST_SEG_SIZE : first ? this.capacity * 2 : SEG_SIZE;
    const r = new Uint32Array(n * REC);
    if (first && this.capacity > 0) {
      r.set(this.rs[0]);
      this.rs[0] = r;
      this.xs[0] = new Float64Array(r.buffer);
      const old = this.cs[0];
      if (old.length !== 0) {
        const c = new Int32Array(n * COLD).fill(-1);
        c.set(old);
        this.cs[0] = c;
        this.coldBytes += c.byteLength - old.byteLength;
        this.meter.tableBytes += c.byteLength - old.byteLength;
      }
    } else {
      this.rs.push(r);
      this.xs.push(new Float64Array(r.buffer));
      this.cs.push(NO_COLD);
    }
    const added = n - (first ? this.capacity : 0);
    this.capacity += added;
    this.meter.tableBytes += added * RECORD_BYTES;
    const dt = performance.now() - t0;
    if (dt > this.worstResizeMs) this.worstResizeMs = dt;
  }
}
