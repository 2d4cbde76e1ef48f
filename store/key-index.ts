/*
 * Key index: per-shard open-addressing hash table from (db, key bytes) to entry id.
 *
 * What: a Uint32Array of slot pairs [id + 1, hash] (id + 1 = 0 marks an empty slot), linear
 * probing, capacity a power of two, grown 2x above 3/4 load and shrunk 2x below 1/8. Delete is
 * backward-shift (no tombstones, so probe lengths never degrade under churn). The full 32-bit
 * hash sits beside the id, so a probe rejects other keys without touching their entry records,
 * and a resize never reads an entry or rehashes bytes. On a hash match the entry record gives
 * key length and db, then the key is compared byte by byte in its slab chunk: binary-safe,
 * never decoded, so keys differing only in invalid UTF-8 stay distinct. Hashes come from
 * KeyRouter (MurmurHash3 seeded with the internal db id).
 *
 * Resizing is incremental (as Redis's dict rehash): a resize allocates the new slot array and
 * keeps the old one; every insert and delete then moves MIGRATE_STEP old slots (and maintenance
 * moves more), lookups probe the new table and then the old one, deletes in the old table
 * leave a tombstone (so its probe chains stay intact until it is dropped). At most one
 * migration runs at a time: it always finishes long before the new table fills (it needs
 * old size / 16 writes; the new table needs 3/8 of the old size in inserts to fill).
 *
 * Invariants: every live entry of the shard is in exactly one slot (new or old table) with its
 * hash; in the new table no empty slot lies between an entry's home slot (hash & mask) and its
 * slot (the linear-probing invariant that backward-shift delete preserves); old-table slots
 * before `cursor` are migrated (empty or tombstone).
 *
 * Cost: lookup and insert O(1) expected (load <= 0.75): one cache line of slots, then one entry
 * record and one chunk for the match. No operation ever rehashes more than MIGRATE_STEP slots:
 * growth costs only the allocation of the new array (calloc: pages are zeroed as first
 * touched). 8 bytes per slot: 10.7 to 21 per key (twice that during a migration).
 *
 * Why: no per-key object or string; one typed array the GC never traces; no stall on growth.
 */
import { performance } from 'node:perf_hooks';
import { REC, R_HASH, R_KLEN, R_LOC, R_META, SEG_BITS, SEG_MASK, type EntryTable, type MemoryMeter } from './entry-table.ts';
import type { SlabAllocator } from './slab-allocator.ts';

const INITIAL = 16;
const TOMB = 0xffffffff;
const MIGRATE_STEP = 16;
const EMPTY = new Uint32Array(0);

export class KeyIndex {
  /** Slot pairs: [2i] = id + 1 (0 = empty), [2i + 1] = hash. */
  slots = new Uint32Array(INITIAL * 2);
  mask = INITIAL - 1;
  /** Entries in `slots`. */
  count = 0;
  /** The table being migrated from (empty when none), its mask, live entries, next slot to move. */
  private old = EMPTY;
  private oldMask = 0;
  private oldCount = 0;
  private cursor = 0;
  /** Worst time one index operation spent resizing, ms (benchmarks report it). */
  worstResizeMs = 0;
  private readonly table: EntryTable;
  private readonly alloc: SlabAllocator;
  private readonly meter: MemoryMeter;

  constructor(table: EntryTable, alloc: SlabAllocator, meter: MemoryMeter) {
    this.table = table;
    this.alloc = alloc;
    this.meter = meter;
    meter.tableBytes += this.slots.byteLength;
  }

  /** Live entries in the index. */
  get size(): number {
    return this.count + this.oldCount;
  }

  /** True while an incremental resize is in progress. */
  get migrating(): boolean {
    return this.old.length > 0;
  }

  /** Entry id of (db, key), or -1. `h` is the key's 30-bit index hash (KeyRouter). */
  find(h: number, db: number, key: Uint8Array, off: number, len: number): number {
    const id = this.probe(this.slots, this.mask, h, db, key, off, len);
    if (id >= 0 || this.old.length === 0) return id;
    return this.probe(this.old, this.oldMask, h, db, key, off, len);
  }

  private probe(slots: Uint32Array, mask: number, h: number, db: number, key: Uint8Array, off: number, len: number): number {
    let i = h & mask;
    for (;;) {
      const s = slots[i << 1];
      if (s === 0) return -1;
      if (slots[(i << 1) + 1] === h && s !== TOMB) {
        const id = s - 1;
        const r = this.table.rs[id >>> SEG_BITS];
        const base = (id & SEG_MASK) << 3;
        if (r[base + R_KLEN] === len && r[base + R_META] >>> 16 === db) {
          const loc = r[base + R_LOC];
          const a = this.alloc;
          const page = a.pages[loc >>> a.locShift];
          const o = ((loc & a.offMask) << 3) + 4 - off;
          let j = off;
          const end = off + len;
          while (j < end && page[o + j] === key[j]) j++;
          if (j === end) return id;
        }
      }
      i = (i + 1) & mask;
    }
  }

  /**
   * The entry id of the first slot (from the home slot) whose hash is `h`, or -1: a candidate
   * for prefetching only (keys are not compared, the old table of a migration is not probed).
   */
  candidate(h: number): number {
    const slots = this.slots;
    const mask = this.mask;
    let i = h & mask;
    for (let s = slots[i << 1]; s !== 0; s = slots[i << 1]) {
      if (slots[(i << 1) + 1] === h && s !== TOMB) return s - 1;
      i = (i + 1) & mask;
    }
    return -1;
  }

  /** Insert entry id (its hash already in its record); the key must not be present. */
  insert(id: number): void {
    if ((this.count + 1) * 4 > (this.mask + 1) * 3) {
      if (this.old.length > 0) this.migrate(Infinity);
      this.startResize((this.mask + 1) * 2);
    }
    this.put(this.table.rs[id >>> SEG_BITS][((id & SEG_MASK) << 3) + R_HASH], id + 1);
    if (this.old.length > 0) this.migrate(MIGRATE_STEP);
  }

  private put(h: number, v: number): void {
    const slots = this.slots;
    const mask = this.mask;
    let i = h & mask;
    while (slots[i << 1] !== 0) i = (i + 1) & mask;
    slots[i << 1] = v;
    slots[(i << 1) + 1] = h;
    this.count++;
  }

  /** Remove entry id (present). */
  remove(id: number): void {
    const h = this.table.rs[id >>> SEG_BITS][((id & SEG_MASK) << 3) + R_HASH];
    const want = id + 1;
    if (this.old.length > 0) {
      // Either table; in the old one a tombstone keeps the probe chains of the others intact.
      const old = this.old;
      const omask = this.oldMask;
      let i = h & omask;
      for (let s = old[i << 1]; s !== 0; s = old[i << 1]) {
        if (s === want) {
          old[i << 1] = TOMB;
          this.oldCount--;
          this.migrate(MIGRATE_STEP);
          return;
        }
        i = (i + 1) & omask;
      }
    }
    const slots = this.slots;
    const mask = this.mask;
    let i = h & mask;
    while (slots[i << 1] !== want) i = (i + 1) & mask;
    let j = i;
    for (;;) {
      j = (j + 1) & mask;
      const s = slots[j << 1];
      if (s === 0) break;
      const hj = slots[(j << 1) + 1];
      const home = hj & mask;
      // Leave the entry where it is when its home lies cyclically in (i, j].
      if (i <= j ? i < home && home <= j : i < home || home <= j) continue;
      slots[i << 1] = s;
      slots[(i << 1) + 1] = hj;
      i = j;
    }
    slots[i << 1] = 0;
    slots[(i << 1) + 1] = 0;
    this.count--;
    if (this.old.length > 0) this.migrate(MIGRATE_STEP);
    else if (this.mask + 1 > INITIAL && this.count * 8 < this.mask + 1) this.startResize((this.mask + 1) / 2);
  }

  /** Move up to `n` slots of the old table into the new one; true when no migration remains. */
  migrate(n: number): boolean {
    const old = this.old;
    if (old.length === 0) return true;
    const t0 = n > MIGRATE_STEP ? 0 : performance.now();
    const end = old.length >>> 1;
    let c = this.cursor;
    for (let k = 0; k < n && c < end && this.oldCount > 0; k++, c++) {
      const s = old[c << 1];
      if (s === 0 || s === TOMB) continue;
      this.put(old[(c << 1) + 1], s);
      old[c << 1] = TOMB;
      this.oldCount--;
    }
    this.cursor = c;
    if (this.oldCount === 0 || c >= end) {
      this.meter.tableBytes -= old.byteLength;
      this.old = EMPTY;
      this.cursor = 0;
    }
    if (t0 > 0) {
      const dt = performance.now() - t0;
      if (dt > this.worstResizeMs) this.worstResizeMs = dt;
    }
    return this.old.length === 0;
  }

  private startResize(cap: number): void {
    const t0 = performance.now();
    this.old = this.slots;
    this.oldMask = this.mask;
    this.oldCount = this.count;
    this.cursor = 0;
    this.slots = new Uint32Array(cap * 2);
    this.mask = cap - 1;
    this.count = 0;
    this.meter.tableBytes += this.slots.byteLength;
    const dt = performance.now() - t0;
    if (dt > this.worstResizeMs) this.worstResizeMs = dt;
    if (this.oldCount === 0) this.migrate(0);
  }

  /** Empty the index (the shard was flushed). */
  reset(): void {
    if (this.slots.length === INITIAL * 2 && this.old === EMPTY) {
      // Still at its first size: cleared in place (see EntryTable.reset).
      if (this.count !== 0) this.slots.fill(0);
      this.count = 0;
      this.cursor = 0;
      return;
    }
    this.meter.tableBytes -= this.slots.byteLength + this.old.byteLength;
    this.slots = new Uint32Array(INITIAL * 2);
    this.mask = INITIAL - 1;
    this.count = 0;
    this.old = EMPTY;
    this.oldCount = 0;
    this.cursor = 0;
    this.meter.tableBytes += this.slots.byteLength;
  }

  bytes(): number {
    return this.slots.byteLength + this.old.byteLength;
  }
}
