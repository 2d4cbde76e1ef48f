/*
 * Key index: per-shard open-addressing hash table from (db, key bytes) to entry id.
 *
 * What: an Int32Array of slots holding id + 1 (0 = empty), linear probing, capacity a power of
 * two, grown 2x above 3/4 load and shrunk 2x below 1/8. Delete is backward-shift (no
 * tombstones, so probe lengths never degrade under churn). Hashes are cached in the entry
 * table's `hash` column, so a probe compares the cached hash, length and db before touching key
 * bytes, and a resize never rehashes bytes. Keys are compared byte by byte in the slab page:
 * binary-safe, never decoded, so keys differing only in invalid UTF-8 stay distinct.
 *
 * hashKey() is MurmurHash3 (x86, 32-bit) of the key, seeded with the internal db id, so the
 * same key in two databases lands in different probe sequences.
 *
 * Invariants: every live entry of the shard is in exactly one slot; no empty slot lies between
 * an entry's home slot (hash & mask) and its slot (the linear-probing invariant that
 * backward-shift delete preserves).
 *
 * Cost: lookup and insert O(1) expected (load <= 0.75); a resize is O(shard size) using the
 * cached hashes: about 2 ms for a 262,144-slot shard table, which is why tables are per shard
 * (10M keys / 64 shards) rather than incremental. 4 bytes per slot, 5.3 to 10.7 per key.
 *
 * Why: no per-key object or string; one typed array the GC never traces.
 */
import type { EntryTable, MemoryMeter } from './entry-table.ts';
import type { SlabAllocator } from './slab-allocator.ts';

const INITIAL = 16;

/** MurmurHash3_x86_32 of buf[off .. off+len) with the given seed (signed 32-bit result). */
export function hashKey(buf: Uint8Array, off: number, len: number, seed: number): number {
  let h = seed | 0;
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
    case 3:
      k ^= buf[i + 2] << 16;
    // falls through
    case 2:
      k ^= buf[i + 1] << 8;
    // falls through
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
  return h;
}

export class KeyIndex {
  slots = new Int32Array(INITIAL);
  mask = INITIAL - 1;
  count = 0;
  /** Worst resize time seen, ms (bench/pauses reports it). */
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

  /** Entry id of (db, key), or -1. `h` is hashKey(key, db). */
  find(h: number, db: number, key: Uint8Array, off: number, len: number): number {
    const slots = this.slots;
    const mask = this.mask;
    const t = this.table;
    const hashes = t.hash;
    const klens = t.klen;
    let i = h & mask;
    for (;;) {
      const s = slots[i];
      if (s === 0) return -1;
      const id = s - 1;
      if (hashes[id] === h && klens[id] === len && t.db[id] === db) {
        const loc = t.loc[id];
        const a = this.alloc;
        const page = a.pages[loc >>> a.locShift];
        const o = ((loc & a.offMask) << 3) + 4 - off;
        let j = off;
        const end = off + len;
        while (j < end && page[o + j] === key[j]) j++;
        if (j === end) return id;
      }
      i = (i + 1) & mask;
    }
  }

  /** Insert entry id (its hash already in the table); the key must not be present. */
  insert(id: number): void {
    if ((this.count + 1) * 4 > this.slots.length * 3) this.rehash(this.slots.length * 2);
    const slots = this.slots;
    const mask = this.mask;
    let i = this.table.hash[id] & mask;
    while (slots[i] !== 0) i = (i + 1) & mask;
    slots[i] = id + 1;
    this.count++;
  }

  /** Remove entry id (present) with backward-shift deletion. */
  remove(id: number): void {
    const slots = this.slots;
    const mask = this.mask;
    const hashes = this.table.hash;
    let i = hashes[id] & mask;
    const want = id + 1;
    while (slots[i] !== want) i = (i + 1) & mask;
    let j = i;
    for (;;) {
      j = (j + 1) & mask;
      const s = slots[j];
      if (s === 0) break;
      const home = hashes[s - 1] & mask;
      // Leave s where it is when its home lies cyclically in (i, j].
      if (i <= j ? i < home && home <= j : i < home || home <= j) continue;
      slots[i] = s;
      i = j;
    }
    slots[i] = 0;
    this.count--;
    if (this.slots.length > INITIAL && this.count * 8 < this.slots.length) this.rehash(this.slots.length / 2);
  }

  /** Empty the index (the shard was flushed). */
  reset(): void {
    const before = this.slots.byteLength;
    this.slots = new Int32Array(INITIAL);
    this.mask = INITIAL - 1;
    this.count = 0;
    this.meter.tableBytes += this.slots.byteLength - before;
  }

  bytes(): number {
    return this.slots.byteLength;
  }

  private rehash(cap: number): void {
    const t0 = performance.now();
    const old = this.slots;
    const slots = new Int32Array(cap);
    const mask = cap - 1;
    const hashes = this.table.hash;
    for (let k = 0; k < old.length; k++) {
      const s = old[k];
      if (s === 0) continue;
      let i = hashes[s - 1] & mask;
      while (slots[i] !== 0) i = (i + 1) & mask;
      slots[i] = s;
    }
    this.slots = slots;
    this.mask = mask;
    this.meter.tableBytes += slots.byteLength - old.byteLength;
    const dt = performance.now() - t0;
    if (dt > this.worstResizeMs) this.worstResizeMs = dt;
  }
}
