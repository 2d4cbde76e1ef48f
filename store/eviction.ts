/*
 * Eviction: maxmemory policies, Redis's way.
 *
 * What: evict() removes keys until usedMemory() <= maxmemory, one at a time, so it never evicts
 * more than needed. As Redis 7.0's performEvictions, one call stops after timeLimitMs
 * (maxmemory-eviction-tenacity: 50 us per point up to 10, the default 0.5 ms, then 15% more per
 * point, no limit at 100), checked every 16 keys, and answers RUNNING: the caller goes on
 * serving (a write is not refused for it) and calls again on the next event-loop turn
 * (evictionTimeProc) until it answers OK, or FAIL when nothing evictable is left. Lowering
 * maxmemory to half of a 10M-key data set so costs many short steps, never one long stall. allkeys-random / volatile-random take a uniformly sampled key. The LRU, LFU
 * and TTL policies keep Redis's eviction pool (evict.c evictionPoolPopulate): 16 best candidates
 * ordered by score (idle ms; 255 - decayed LFU counter; sooner expire), refilled with
 * maxmemory-samples sampled keys before each eviction, best taken first. A pool entry remembers
 * the lru (or expire) value it was scored with and is dropped if that changed (the key was
 * touched, or its id now holds another key). volatile-ttl also offers, for each sampled shard,
 * the head of that shard's earliest expiry-wheel slot: candidates that really expire soonest.
 *
 * Sampling: a shard is chosen with probability proportional to its id range (its volatile
 * count for volatile-*; a prefix sum over shards, rebuilt every 32 uses since weights drift
 * slowly), then an id uniformly in it; free ids are retried a few times. Measured on a Zipf
 * (s = 0.99) trace over 1M keys with room for 11%: sampled LRU hits 0.790, an exact LRU list
 * 0.792, LFU 0.817: an exact list (8 more bytes per key) is not worth it. If sampling finds nothing a linear scan from a random
 * point finds any eligible key, so OOM means there really is nothing to evict.
 *
 * LFU (object.c / evict.c): lru = ldt << 8 | counter, ldt = minutes mod 2^16; counter starts at
 * LFU_INIT_VAL (5), grows with probability 1 / ((counter - 5) * lfu-log-factor + 1), and
 * decays by one per lfu-decay-time minutes elapsed. OBJECT FREQ is the decayed counter.
 *
 * Invariants: pool handles are only hints (validated before use); the random generator is
 * xorshift32, seedable, so tests are deterministic.
 *
 * Cost: per eviction O(samples * log shards) plus a 16-entry pool insert; no allocation.
 */
import { performance } from 'node:perf_hooks';
import { EvictionPolicy, KeyType, type EvictionPolicyCode } from './types.ts';
import type { Shard } from './shard.ts';

export const LFU_INIT_VAL = 5;
const POOL = 16;

export function lfuMinutes(nowMs: number): number {
  return Math.floor(nowMs / 60000) & 0xffff;
}

/** LFUDecrAndReturn: the counter of packed LFU value `v` after decay, not stored. */
export function lfuDecayed(v: number, nowMin: number, decayTime: number): number {
  const ldt = v >>> 8;
  let counter = v & 255;
  if (decayTime > 0) {
    const elapsed = nowMin >= ldt ? nowMin - ldt : 65535 - ldt + nowMin;
    const periods = Math.floor(elapsed / decayTime);
    if (periods > 0) counter = periods > counter ? 0 : counter - periods;
  }
  return counter;
}

/** LFULogIncr with a uniform random r in [0, 1). */
export function lfuLogIncr(counter: number, logFactor: number, r: number): number {
  if (counter === 255) return 255;
  let base = counter - LFU_INIT_VAL;
  if (base < 0) base = 0;
  return r < 1 / (base * logFactor + 1) ? counter + 1 : counter;
}

export function isLfuPolicy(p: EvictionPolicyCode): boolean {
  return p === EvictionPolicy.ALLKEYS_LFU || p === EvictionPolicy.VOLATILE_LFU;
}

export function isVolatilePolicy(p: EvictionPolicyCode): boolean {
  return p >= EvictionPolicy.VOLATILE_LRU;
}

/** What the evictor needs from the keyspace. */
export interface EvictionHost {
  readonly shards: readonly Shard[];
  readonly shardBits: number;
  usedMemory(): number;
  /** Delete the key as an eviction (counts evicted_keys). */
  evictHandle(h: number): void;
  totalKeys(): number;
  totalVolatile(): number;
}

/** What evict() achieved. */
export const EvictResult = {
  /** Under maxmemory (or no limit). */
  OK: 0,
  /** Still over after this call's time limit: call again on the next turn. */
  RUNNING: 1,
  /** Over maxmemory with nothing evictable (or noeviction). */
  FAIL: 2,
} as const;
export type EvictResultCode = (typeof EvictResult)[keyof typeof EvictResult];

/** Redis's evictionTimeLimitUs, in ms, for maxmemory-eviction-tenacity 0..100. */
export function evictionTimeLimitMs(tenacity: number): number {
  if (tenacity <= 10) return 0.05 * tenacity;
  if (tenacity < 100) return 0.5 * Math.pow(1.15, tenacity - 10);
  return Infinity;
}

export class Evictor {
  policy: EvictionPolicyCode = EvictionPolicy.NOEVICTION;
  maxmemory = 0;
  samples = 5;
  /** One evict() call's time budget (maxmemory-eviction-tenacity, 10: 0.5 ms). */
  timeLimitMs = evictionTimeLimitMs(10);
  /** The last evict() stopped at its time limit, still over maxmemory. */
  running = false;
  lfuLogFactor = 10;
  lfuDecayTime = 1;
  private rng = 0x9e3779b9;
  private readonly poolScore = new Float64Array(POOL);
  private readonly poolHandle = new Int32Array(POOL).fill(-1);
  private readonly poolStamp = new Float64Array(POOL);
  private prefix = new Float64Array(0);
  private prefixUses = 0;
  private prefixVol = false;

  seed(s: number): void {
    this.rng = s | 0 || 0x9e3779b9;
  }

  /** xorshift32: a uniform 32-bit unsigned integer. */
  next(): number {
    let x = this.rng;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.rng = x;
    return x >>> 0;
  }

  /** Uniform in [0, 1). */
  nextFloat(): number {
    return this.next() / 4294967296;
  }

  clearPool(): void {
    this.poolHandle.fill(-1);
    this.prefixUses = 0;
  }

  /** Evict until under maxmemory, for at most timeLimitMs (see the module comment). */
  evict(host: EvictionHost, now: number): EvictResultCode {
    const max = this.maxmemory;
    if (max <= 0 || host.usedMemory() <= max) {
      this.running = false;
      return EvictResult.OK;
    }
    if (this.policy === EvictionPolicy.NOEVICTION) {
      this.running = false;
      return EvictResult.FAIL;
    }
    const started = performance.now();
    let freed = 0;
    while (host.usedMemory() > max) {
      const h = this.pickVictim(host, now);
      if (h < 0) {
        this.running = false;
        return EvictResult.FAIL;
      }
      host.evictHandle(h);
      freed++;
      if ((freed & 15) === 0 && performance.now() - started > this.timeLimitMs) {
        this.running = true;
        return EvictResult.RUNNING;
      }
    }
    this.running = false;
    return EvictResult.OK;
  }

  private pickVictim(host: EvictionHost, now: number): number {
    const p = this.policy;
    const vol = isVolatilePolicy(p);
    if ((vol ? host.totalVolatile() : host.totalKeys()) === 0) return -1;
    if (p === EvictionPolicy.ALLKEYS_RANDOM || p === EvictionPolicy.VOLATILE_RANDOM) {
      this.buildPrefix(host, vol);
      const h = this.sampleOne(host, vol);
      return h >= 0 ? h : this.scanAny(host, vol);
    }
    for (let round = 0; round < 8; round++) {
      this.populate(host, now, vol);
      for (let k = POOL - 1; k >= 0; k--) {
        const h = this.poolHandle[k];
        if (h < 0) continue;
        this.poolHandle[k] = -1;
        if (this.stillValid(host, h, this.poolStamp[k], vol)) return h;
      }
    }
    return this.scanAny(host, vol);
  }

  private stillValid(host: EvictionHost, h: number, stamp: number, vol: boolean): boolean {
    const bits = host.shardBits;
    const t = host.shards[h & ((1 << bits) - 1)].table;
    const id = h >>> bits;
    if (id >= t.hw || t.type(id) === KeyType.NONE) return false;
    if (vol && t.expire(id) === 0) return false;
    return this.policy === EvictionPolicy.VOLATILE_TTL ? t.expire(id) === stamp : t.lru(id) === stamp;
  }

  /** Shard weights for sampling; rebuilt every 32 uses (weights drift slowly) or when the kind changes. */
  private buildPrefix(host: EvictionHost, vol: boolean): void {
    const shards = host.shards;
    if (this.prefixUses-- > 0 && this.prefixVol === vol && this.prefix.length === shards.length) return;
    this.prefixUses = 32;
    this.prefixVol = vol;
    if (this.prefix.length !== shards.length) this.prefix = new Float64Array(shards.length);
    let sum = 0;
    for (let i = 0; i < shards.length; i++) {
      sum += vol ? shards[i].volCount : shards[i].table.hw;
      this.prefix[i] = sum;
    }
  }

  /** A shard drawn proportionally to the prefix weights, or -1 when all weigh 0. */
  private pickShard(): number {
    const pre = this.prefix;
    const total = pre[pre.length - 1];
    if (total <= 0) return -1;
    const r = this.nextFloat() * total;
    let lo = 0;
    let hi = pre.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (pre[mid] > r) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }

  /** One sampled eligible handle (prefix built), or -1 after a few misses. */
  private sampleOne(host: EvictionHost, vol: boolean): number {
    const bits = host.shardBits;
    for (let attempt = 0; attempt < 8; attempt++) {
      const si = this.pickShard();
      if (si < 0) return -1;
      const sh = host.shards[si];
      if (vol) {
        if (sh.volCount === 0) continue;
        return (sh.vol[this.next() % sh.volCount] << bits) | si;
      }
      const t = sh.table;
      if (t.hw === 0) continue;
      const id = this.next() % t.hw;
      if (t.type(id) !== KeyType.NONE) return (id << bits) | si;
    }
    return -1;
  }

  private populate(host: EvictionHost, now: number, vol: boolean): void {
    this.buildPrefix(host, vol);
    const ttl = this.policy === EvictionPolicy.VOLATILE_TTL;
    const n = this.samples > 0 ? this.samples : 1;
    for (let j = 0; j < n; j++) {
      const h = this.sampleOne(host, vol);
      if (h < 0) continue;
      this.consider(host, h, now);
      if (ttl) {
        const si = h & ((1 << host.shardBits) - 1);
        const head = host.shards[si].wheel.earliestSlotHead();
        if (head >= 0) this.consider(host, (head << host.shardBits) | si, now);
      }
    }
  }

  private consider(host: EvictionHost, h: number, now: number): void {
    const bits = host.shardBits;
    const t = host.shards[h & ((1 << bits) - 1)].table;
    const id = h >>> bits;
    const p = this.policy;
    let score: number;
    let stamp: number;
    if (p === EvictionPolicy.VOLATILE_TTL) {
      stamp = t.expire(id);
      score = -stamp;
    } else if (isLfuPolicy(p)) {
      stamp = t.lru(id);
      score = 255 - lfuDecayed(stamp, lfuMinutes(now), this.lfuDecayTime);
    } else {
      stamp = t.lru(id);
      score = ((now >>> 0) - stamp) >>> 0;
    }
    const ph = this.poolHandle;
    const ps = this.poolScore;
    for (let k = 0; k < POOL; k++) if (ph[k] === h) return;
    let k = 0;
    while (k < POOL && ph[k] !== -1 && ps[k] < score) k++;
    if (k === 0 && ph[POOL - 1] !== -1) return;
    if (k < POOL && ph[k] === -1) {
      // empty slot: insert here
    } else if (ph[POOL - 1] === -1) {
      ph.copyWithin(k + 1, k, POOL - 1);
      ps.copyWithin(k + 1, k, POOL - 1);
      this.poolStamp.copyWithin(k + 1, k, POOL - 1);
    } else {
      k--;
      ph.copyWithin(0, 1, k + 1);
      ps.copyWithin(0, 1, k + 1);
      this.poolStamp.copyWithin(0, 1, k + 1);
    }
    ph[k] = h;
    ps[k] = score;
    this.poolStamp[k] = stamp;
  }

  /** Any eligible key, scanning from a random shard (the slow path when sampling misses). */
  private scanAny(host: EvictionHost, vol: boolean): number {
    const shards = host.shards;
    const n = shards.length;
    const bits = host.shardBits;
    const start = this.next() % n;
    for (let i = 0; i < n; i++) {
      const si = (start + i) % n;
      const sh = shards[si];
      if (vol) {
        if (sh.volCount > 0) return (sh.vol[this.next() % sh.volCount] << bits) | si;
        continue;
      }
      const t = sh.table;
      if (t.count === 0) continue;
      const from = this.next() % t.hw;
      for (let k = 0; k < t.hw; k++) {
        const id = (from + k) % t.hw;
        if (t.type(id) !== KeyType.NONE) return (id << bits) | si;
      }
    }
    return -1;
  }
}
