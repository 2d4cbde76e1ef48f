/*
 * Shard: one slot range's worth of keys, across every database.
 *
 * What: an entry table, a key index over it, an expiry wheel over the entries with a TTL, a
 * dense array of those volatile entry ids (uniform sampling for volatile-* eviction and the
 * volatile count), and the object table that complex types will use. The slab allocator is
 * shared by all shards (see slab-allocator.ts); the keyspace routes each key here by hash slot
 * and does the cross-structure bookkeeping (allocation, counters, stats).
 *
 * Object table (for the data-types issue): an entry whose type is not STRING keeps its key in a
 * slab chunk as usual, and its `vlen` column names a slot of `objects` (the JS object: hash,
 * list, set, zset) with its memory estimate in `objectBytes`. Strings never touch it.
 *
 * Invariants: vol[0 .. volCount) are exactly the live ids with expire !== 0, and
 * vpos[vol[i]] === i; the wheel holds the same ids.
 *
 * Cost: O(1) per operation; 4 bytes per volatile key plus the table, index and wheel.
 *
 * Why per shard: every resize, sweep and sampling step stays small (a 64th of the data by
 * default), and a shard is a unit that could later move to another thread or node.
 */
import { EntryTable, type MemoryMeter } from './entry-table.ts';
import { KeyIndex } from './key-index.ts';
import { ExpiryWheel } from './expiry-wheel.ts';
import type { SlabAllocator } from './slab-allocator.ts';

export class Shard {
  readonly num: number;
  readonly table: EntryTable;
  readonly index: KeyIndex;
  readonly wheel: ExpiryWheel;
  vol = new Int32Array(16);
  volCount = 0;
  /** Object table: complex values by slot (filled in by the data-types issue). */
  objects: unknown[] = [];
  objectBytes: number[] = [];
  private freeObjectSlots: number[] = [];
  private readonly meter: MemoryMeter;

  constructor(num: number, maxIds: number, alloc: SlabAllocator, meter: MemoryMeter, now: number) {
    this.num = num;
    this.meter = meter;
    this.table = new EntryTable(maxIds, meter);
    this.index = new KeyIndex(this.table, alloc, meter);
    this.wheel = new ExpiryWheel(this.table, now);
    meter.tableBytes += this.vol.byteLength + this.wheel.heads.byteLength * 2;
  }

  addVolatile(id: number): void {
    let v = this.vol;
    if (this.volCount === v.length) {
      const bigger = new Int32Array(v.length * 2);
      bigger.set(v);
      this.meter.tableBytes += bigger.byteLength - v.byteLength;
      this.vol = v = bigger;
    }
    // The position first: it may allocate the segment's cold words, and a failure then leaves
    // the volatile set as it was.
    this.table.setVpos(id, this.volCount);
    v[this.volCount++] = id;
  }

  removeVolatile(id: number): void {
    const t = this.table;
    const p = t.vpos(id);
    const last = this.vol[--this.volCount];
    this.vol[p] = last;
    t.setVpos(last, p);
    t.setVpos(id, -1);
  }

  /** Store a complex value; returns its object slot. */
  addObject(obj: unknown, bytes: number): number {
    const slot = this.freeObjectSlots.length > 0 ? this.freeObjectSlots.pop()! : this.objects.length;
    this.objects[slot] = obj;
    this.objectBytes[slot] = bytes;
    return slot;
  }

  /** Drop a complex value; returns the bytes it was charged. */
  removeObject(slot: number): number {
    const b = this.objectBytes[slot];
    this.objects[slot] = undefined;
    this.objectBytes[slot] = 0;
    this.freeObjectSlots.push(slot);
    return b;
  }

  /** Forget everything (the shard's keys were all flushed; their chunks are freed by the caller). */
  reset(now: number): void {
    this.table.reset();
    this.index.reset();
    this.wheel.reset(now);
    if (this.vol.length !== 16) {
      this.meter.tableBytes -= this.vol.byteLength - 64;
      this.vol = new Int32Array(16);
    }
    this.volCount = 0;
    this.objects = [];
    this.objectBytes = [];
    this.freeObjectSlots = [];
  }
}
