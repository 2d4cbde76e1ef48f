/*
 * Entry table: the per-shard metadata of every key, struct-of-arrays.
 *
 * What: one typed-array column per field, indexed by entry id:
 *   type     Uint8    KeyType; NONE marks a free id
 *   enc      Uint8    Encoding (strings)
 *   db       Uint16   internal database id (the keyspace maps logical -> internal for SWAPDB)
 *   loc      Uint32   slab location of the chunk [owner | key | value]
 *   klen     Uint32   key length
 *   vlen     Uint32   value length (strings) or object-table slot (other types)
 *   hash     Int32    cached 32-bit hash of (db, key) for the index
 *   lru      Uint32   LRU clock (ms, mod 2^32) or LFU (minutes << 8 | log counter)
 *   expire   Float64  absolute expire time in ms, 0 = none
 *   wprev    Int32    expiry-wheel links: -1 = not in the wheel, <= -2 = head of slot -(v+2)
 *   wnext    Int32
 *   vpos     Int32    position in the shard's volatile-key array, -1 = no TTL
 * 49 bytes per entry in all. Free ids sit on a LIFO stack; `hw` is the high-water mark (every
 * id below it has been handed out at least once), which bounds scans and random sampling.
 *
 * Invariants: an id never changes while its entry lives (handles and SCAN cursors rely on it);
 * type[id] === NONE exactly for free ids below hw; count = live entries.
 *
 * Cost: alloc/free O(1); growth is a 1.5x copy of every column (per shard, so small: about
 * 7 MB for 156k entries at 10M keys / 64 shards). The table shrinks back only when the shard
 * empties (ids cannot move, so a partly full table cannot be compacted).
 *
 * Why: no JS object per key, so the GC has nothing to trace; columns keep each hot loop
 * (index probing reads hash, eviction sampling reads lru) on one dense array.
 */
import { KeyType } from './types.ts';

/** Shared running total of the bytes held by tables outside the slab (entry tables, indexes, ...). */
export interface MemoryMeter {
  tableBytes: number;
}

/** Bytes per entry across all columns. */
export const ENTRY_BYTES = 1 + 1 + 2 + 4 + 4 + 4 + 4 + 4 + 8 + 4 + 4 + 4;
const INITIAL = 64;

export class EntryTable {
  capacity = 0;
  count = 0;
  hw = 0;
  /** Largest id this table may hand out (handles pack the shard number beside the id). */
  readonly maxIds: number;
  type = new Uint8Array(0);
  enc = new Uint8Array(0);
  db = new Uint16Array(0);
  loc = new Uint32Array(0);
  klen = new Uint32Array(0);
  vlen = new Uint32Array(0);
  hash = new Int32Array(0);
  lru = new Uint32Array(0);
  expire = new Float64Array(0);
  wprev = new Int32Array(0);
  wnext = new Int32Array(0);
  vpos = new Int32Array(0);
  private freeIds = new Int32Array(0);
  private freeTop = 0;
  private readonly meter: MemoryMeter;

  constructor(maxIds: number, meter: MemoryMeter) {
    this.maxIds = maxIds;
    this.meter = meter;
    this.resize(INITIAL);
  }

  /** A free id (columns zeroed except links set to -1); -1 when the table is at maxIds. */
  alloc(): number {
    let id: number;
    if (this.freeTop > 0) {
      id = this.freeIds[--this.freeTop];
    } else {
      if (this.hw === this.capacity) {
        if (this.capacity >= this.maxIds) return -1;
        this.resize(Math.min(this.maxIds, Math.ceil((this.capacity * 1.5) / 64) * 64));
      }
      id = this.hw++;
    }
    this.count++;
    this.wprev[id] = -1;
    this.wnext[id] = -1;
    this.vpos[id] = -1;
    this.expire[id] = 0;
    return id;
  }

  free(id: number): void {
    this.type[id] = KeyType.NONE;
    this.freeIds[this.freeTop++] = id;
    this.count--;
  }

  /** Back to an empty small table (the shard emptied). */
  reset(): void {
    this.count = 0;
    this.hw = 0;
    this.freeTop = 0;
    this.meter.tableBytes -= this.capacity * (ENTRY_BYTES + 4);
    this.capacity = 0;
    this.resize(INITIAL);
  }

  bytes(): number {
    return this.capacity * (ENTRY_BYTES + 4);
  }

  private resize(cap: number): void {
    const old = this.capacity;
    const keep = Math.min(old, cap);
    const grow = <T extends Uint8Array | Uint16Array | Uint32Array | Int32Array | Float64Array>(a: T, make: (n: number) => T): T => {
      const b = make(cap);
      if (keep > 0) b.set(a.subarray(0, keep) as never);
      return b;
    };
    this.type = grow(this.type, (n) => new Uint8Array(n));
    this.enc = grow(this.enc, (n) => new Uint8Array(n));
    this.db = grow(this.db, (n) => new Uint16Array(n));
    this.loc = grow(this.loc, (n) => new Uint32Array(n));
    this.klen = grow(this.klen, (n) => new Uint32Array(n));
    this.vlen = grow(this.vlen, (n) => new Uint32Array(n));
    this.hash = grow(this.hash, (n) => new Int32Array(n));
    this.lru = grow(this.lru, (n) => new Uint32Array(n));
    this.expire = grow(this.expire, (n) => new Float64Array(n));
    this.wprev = grow(this.wprev, (n) => new Int32Array(n));
    this.wnext = grow(this.wnext, (n) => new Int32Array(n));
    this.vpos = grow(this.vpos, (n) => new Int32Array(n));
    this.freeIds = grow(this.freeIds, (n) => new Int32Array(n));
    this.meter.tableBytes += (cap - old) * (ENTRY_BYTES + 4);
    this.capacity = cap;
  }
}
