/*
 * Expiry wheel: per-shard hierarchical timing wheel over the entries that have a TTL.
 *
 * What: 8 levels of 64 slots; a level-k slot spans 64^k ms, so the wheel covers 2^48 ms
 * (8,900 years; later deadlines are parked at the end of the top rotation and re-placed when it
 * comes). Each slot is an intrusive doubly linked list threaded through the entry table's wprev
 * / wnext columns; a list head stores -(slot + 2) in its wprev so unlinking needs no search.
 * A 64-bit occupancy bitmap per level finds the next non-empty slot in a few word operations.
 * `elapsed` is the wheel's time: every level-0 slot before it has been processed.
 *
 * Placement of a deadline d (>= elapsed): the lowest level k at which d and elapsed share the
 * same level-(k+1) slot, slot (d / 64^k) mod 64. advance() repeatedly takes the earliest
 * non-empty slot: a level-0 slot whose millisecond is past (now > d, Redis's rule) has its
 * entries expired through the callback; a higher-level slot whose start is reached is cascaded
 * (each entry re-placed, landing on a lower level). Both loops check the time budget every 64
 * entries and simply stop: the lists themselves are the saved cursor, so a million keys due in
 * the same millisecond drain over as many budgeted calls as they need.
 *
 * Invariants: an entry is in the wheel iff expire[id] !== 0; slots at level k hold deadlines in
 * the current level-(k+1) rotation at or after elapsed's level-k slot; bits mirror non-empty
 * lists.
 *
 * Cost: insert/remove/move O(1) (insert: at most 8 divisions to pick the level); every entry is
 * touched at most once per level on its way down, and once when it expires. 512 heads + 16
 * bitmap words per shard; 8 bytes of links per entry in the entry table.
 *
 * Why: active expiry proportional to the keys that actually expire, not to sampling luck
 * (Redis's random sampling leaves up to 25% of expired keys behind by design); O(1) TTL
 * changes; no timer per key; bounded work per tick.
 */
import { performance } from 'node:perf_hooks';
import type { EntryTable } from './entry-table.ts';

const LEVELS = 8;
const SLOTS = 64;
const UNITS = new Float64Array(LEVELS + 1);
for (let k = 0; k <= LEVELS; k++) UNITS[k] = SLOTS ** k;

export const WHEEL_DONE = 0;
export const WHEEL_BUDGET = 1;

function ctz32(x: number): number {
  return 31 - Math.clz32(x & -x);
}

export class ExpiryWheel {
  readonly heads = new Int32Array(LEVELS * SLOTS).fill(-1);
  private readonly bits = new Uint32Array(LEVELS * 2);
  elapsed: number;
  count = 0;
  /** A higher-level slot whose cascade the budget interrupted, or -1. */
  private pending = -1;
  private readonly table: EntryTable;

  constructor(table: EntryTable, now: number) {
    this.table = table;
    this.elapsed = Math.floor(now);
  }

  insert(id: number, when: number): void {
    const e = this.elapsed;
    let d = Math.floor(when);
    if (d < e) d = e;
    let k = 0;
    while (k < LEVELS && Math.floor(d / UNITS[k + 1]) !== Math.floor(e / UNITS[k + 1])) k++;
    if (k === LEVELS) {
      k = LEVELS - 1;
      d = (Math.floor(e / UNITS[LEVELS]) + 1) * UNITS[LEVELS] - 1;
    }
    const slot = k * SLOTS + (Math.floor(d / UNITS[k]) % SLOTS);
    const t = this.table;
    const head = this.heads[slot];
    t.setWprev(id, -(slot + 2));
    t.setWnext(id, head);
    if (head >= 0) t.setWprev(head, id);
    else this.bits[slot >>> 5] |= 1 << (slot & 31);
    this.heads[slot] = id;
    this.count++;
  }

  remove(id: number): void {
    const t = this.table;
    const p = t.wprev(id);
    if (p === -1) return;
    const n = t.wnext(id);
    if (p >= 0) {
      t.setWnext(p, n);
    } else {
      const slot = -p - 2;
      this.heads[slot] = n;
      if (n < 0) this.bits[slot >>> 5] &= ~(1 << (slot & 31));
    }
    if (n >= 0) t.setWprev(n, p);
    t.setWprev(id, -1);
    t.setWnext(id, -1);
    this.count--;
  }

  /** First non-empty slot index >= from at level k, or -1. */
  private nextSlot(k: number, from: number): number {
    const lo = this.bits[k * 2];
    const hi = this.bits[k * 2 + 1];
    if (from < 32) {
      const m = lo & (0xffffffff << from);
      if (m !== 0) return ctz32(m);
      if (hi !== 0) return 32 + ctz32(hi);
      return -1;
    }
    const m = hi & (0xffffffff << (from - 32));
    return m !== 0 ? 32 + ctz32(m) : -1;
  }

  /**
   * Expire (through `expire(id)`, which must remove the entry from the wheel) every entry whose
   * deadline is before `now`, cascading higher levels as their time comes. Stops when
   * performance.now() passes `deadline` (checked every 64 entries) or after `maxOps` entries
   * (deterministic budgets for tests); returns WHEEL_DONE when nothing due is left,
   * WHEEL_BUDGET when it stopped for the budget.
   */
  advance(now: number, deadline: number, expire: (id: number) => void, maxOps = Infinity): number {
    const t = this.table;
    const nowMs = Math.floor(now);
    let ops = 0;
    for (;;) {
      if (this.count === 0) {
        if (nowMs > this.elapsed) this.elapsed = nowMs;
        return WHEEL_DONE;
      }
      const e = this.elapsed;
      let k = 0;
      let s = -1;
      if (this.pending >= 0) {
        // Finish a cascade the budget interrupted before anything else, so that elapsed never
        // passes the deadlines still waiting in it.
        k = Math.floor(this.pending / SLOTS);
        s = this.pending % SLOTS;
        if (this.heads[this.pending] < 0) {
          this.pending = -1;
          continue;
        }
      } else {
        for (; k < LEVELS; k++) {
          s = this.nextSlot(k, Math.floor(e / UNITS[k]) % SLOTS);
          if (s >= 0) break;
        }
      }
      if (s < 0) {
        // Unreachable while the invariants hold; recover by re-placing everything.
        this.replaceAll();
        continue;
      }
      const start = (Math.floor(e / UNITS[k + 1]) * SLOTS + s) * UNITS[k];
      const slot = k * SLOTS + s;
      if (k === 0) {
        if (start >= nowMs) {
          if (nowMs > e) this.elapsed = nowMs;
          return WHEEL_DONE;
        }
        if (start > e) this.elapsed = start;
        for (let id = this.heads[slot]; id >= 0; id = this.heads[slot]) {
          if (t.expire(id) < now) {
            expire(id);
          } else {
            // Parked beyond the top rotation, or a fractional deadline: place it again.
            this.remove(id);
            this.insert(id, t.expire(id) > this.elapsed + 1 ? t.expire(id) : this.elapsed + 1);
            if (this.heads[slot] === id) return WHEEL_DONE;
          }
          if (++ops >= maxOps || ((ops & 63) === 0 && performance.now() > deadline)) return WHEEL_BUDGET;
        }
        this.elapsed = start + 1;
      } else {
        if (start > nowMs) {
          if (nowMs > e) this.elapsed = nowMs;
          return WHEEL_DONE;
        }
        if (start > e) this.elapsed = start;
        this.pending = slot;
        for (let id = this.heads[slot]; id >= 0; id = this.heads[slot]) {
          this.remove(id);
          this.insert(id, t.expire(id));
          if (++ops >= maxOps || ((ops & 63) === 0 && performance.now() > deadline)) return WHEEL_BUDGET;
        }
        this.pending = -1;
      }
    }
  }

  /** Time of the earliest non-empty slot (a lower bound of the next deadline), or Infinity. */
  nextDue(): number {
    if (this.count === 0) return Infinity;
    const e = this.elapsed;
    for (let k = 0; k < LEVELS; k++) {
      const s = this.nextSlot(k, Math.floor(e / UNITS[k]) % SLOTS);
      if (s >= 0) return Math.max(e, (Math.floor(e / UNITS[k + 1]) * SLOTS + s) * UNITS[k]);
    }
    return Infinity;
  }

  /** First entry of the earliest non-empty slot (volatile-ttl candidates), or -1. */
  earliestSlotHead(): number {
    if (this.count === 0) return -1;
    const e = this.elapsed;
    for (let k = 0; k < LEVELS; k++) {
      const s = this.nextSlot(k, Math.floor(e / UNITS[k]) % SLOTS);
      if (s >= 0) return this.heads[k * SLOTS + s];
    }
    return -1;
  }

  private replaceAll(): void {
    const ids: number[] = [];
    for (let slot = 0; slot < this.heads.length; slot++) {
      for (let id = this.heads[slot]; id >= 0; id = this.table.wnext(id)) ids.push(id);
    }
    for (const id of ids) this.remove(id);
    for (const id of ids) this.insert(id, this.table.expire(id));
  }

  reset(now: number): void {
    this.heads.fill(-1);
    this.bits.fill(0);
    this.count = 0;
    this.pending = -1;
    this.elapsed = Math.floor(now);
  }
}
