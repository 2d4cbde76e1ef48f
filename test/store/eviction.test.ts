import { describe, expect, it } from 'vitest';
import { Encoding, EvictionPolicy, Lookup, NO_TTL, Status, type EvictionPolicyCode } from '../../store/types.ts';
import type { Keyspace } from '../../store/keyspace.ts';
import { makeStore, set, handle, keys, T0 } from './helpers.ts';

const fixed = (ks: Keyspace) => ks.usedMemory() - ks.alloc.usedBytes;
/** A limit that keeps `fraction` of the current key/value bytes. */
const limitFor = (ks: Keyspace, fraction: number) => Math.floor(fixed(ks) + ks.alloc.usedBytes * fraction);

function load(ks: Keyspace, n: number, prefix: string, ttl: (i: number) => number = () => NO_TTL): string[] {
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const k = `${prefix}${i}`;
    set(ks, 0, k, 'v'.repeat(32), ttl(i));
    out.push(k);
  }
  return out;
}

const present = (ks: Keyspace, list: string[]) => list.filter((k) => handle(ks, 0, k) >= 0);

describe('eviction', () => {
  it('noeviction answers OOM and evicts nothing', () => {
    const { ks } = makeStore({ shards: 4 });
    load(ks, 100, 'k');
    ks.setMaxmemory(limitFor(ks, 0.5));
    expect(ks.evictIfNeeded()).toBe(Status.OOM);
    expect(ks.dbSize(0)).toBe(100);
    expect(ks.stats.evictedKeys).toBe(0);
    ks.setMaxmemory(0);
    expect(ks.evictIfNeeded()).toBe(Status.OK);
  });

  it('maxmemory lowered at run time: evicts to just under the limit, no more', () => {
    const { ks } = makeStore({ shards: 16, policy: EvictionPolicy.ALLKEYS_LRU });
    load(ks, 5000, 'key:');
    expect(ks.evictIfNeeded()).toBe(Status.OK);
    const limit = limitFor(ks, 0.6);
    ks.setMaxmemory(limit);
    expect(ks.evictIfNeeded()).toBe(Status.OK);
    expect(ks.usedMemory()).toBeLessThanOrEqual(limit);
    // one key's chunk is 64 bytes here: stopping later than needed would leave more slack
    expect(ks.usedMemory()).toBeGreaterThan(limit - 64);
    expect(ks.stats.evictedKeys).toBe(5000 - ks.dbSize(0));
    expect(ks.dbSize(0)).toBeGreaterThan(2500);
  });

  it('maxmemory lowered to half the data: each call stops at the time limit and says eviction goes on; writes are not refused meanwhile', () => {
    const { ks } = makeStore();
    ks.setEvictionTenacity(10); // the default: 0.5 ms per call
    load(ks, 200_000, 'k');
    ks.setPolicy(EvictionPolicy.ALLKEYS_LRU);
    const limit = limitFor(ks, 0.5);
    ks.setMaxmemory(limit);
    let running = 0;
    ks.onEvictionRunning = () => running++;
    let calls = 0;
    for (; calls < 100_000 && ks.usedMemory() > limit; calls++) {
      expect(ks.evictIfNeeded()).toBe(Status.OK); // running, not OOM
      if (ks.usedMemory() > limit) expect(ks.evictionRunning).toBe(true);
    }
    expect(ks.usedMemory()).toBeLessThanOrEqual(limit);
    expect(calls).toBeGreaterThan(1);
    expect(running).toBe(calls - 1);
    ks.evictIfNeeded();
    expect(ks.evictionRunning).toBe(false);
    expect(ks.stats.evictedKeys).toBeGreaterThan(50_000);
  });

  it('maxmemory-eviction-tenacity: 0 evicts 16 keys per call, 100 evicts all in one', () => {
    for (const [tenacity, oneCall] of [
      [0, false],
      [100, true],
    ] as const) {
      const { ks } = makeStore();
      ks.setEvictionTenacity(tenacity);
      load(ks, 20_000, 'k');
      ks.setPolicy(EvictionPolicy.ALLKEYS_RANDOM);
      ks.setMaxmemory(limitFor(ks, 0.5));
      ks.evictIfNeeded();
      expect(ks.evictionRunning).toBe(!oneCall);
      if (!oneCall) expect(ks.stats.evictedKeys).toBe(16);
    }
  });

  it('a write loop guarded by evictIfNeeded stays within 2% of maxmemory', () => {
    const { ks } = makeStore({ shards: 64, policy: EvictionPolicy.ALLKEYS_LRU, maxmemory: 8 * 1024 * 1024 });
    const key = new Uint8Array(16);
    const val = new Uint8Array(32);
    let worst = 0;
    for (let i = 0; i < 300_000; i++) {
      key[0] = i & 255;
      key[1] = (i >> 8) & 255;
      key[2] = i >> 16;
      expect(ks.evictIfNeeded()).toBe(Status.OK);
      ks.setString(0, key, 0, 16, val, 0, 32, NO_TTL, Encoding.EMBSTR);
      worst = Math.max(worst, ks.usedMemory() / ks.maxmemory);
    }
    expect(ks.stats.evictedKeys).toBeGreaterThan(100_000);
    expect(worst).toBeLessThan(1.02);
  });

  it('allkeys-lru keeps recently used keys', () => {
    const { ks, clock } = makeStore({ shards: 8, policy: EvictionPolicy.ALLKEYS_LRU });
    const all = load(ks, 2000, 'k');
    clock.now += 10_000;
    const hot = all.filter((_, i) => i % 10 === 0);
    for (const k of hot) handle(ks, 0, k, Lookup.READ);
    clock.now += 1000;
    ks.setMaxmemory(limitFor(ks, 0.5));
    expect(ks.evictIfNeeded()).toBe(Status.OK);
    expect(present(ks, hot).length).toBeGreaterThanOrEqual(hot.length * 0.97);
  });

  it('allkeys-lfu keeps frequently used keys', () => {
    const { ks, clock } = makeStore({ shards: 8, policy: EvictionPolicy.ALLKEYS_LFU });
    const all = load(ks, 2000, 'k');
    const hot = all.filter((_, i) => i % 10 === 0);
    for (let r = 0; r < 50; r++) for (const k of hot) handle(ks, 0, k, Lookup.READ);
    // recency alone would favour the cold keys touched last
    for (const k of all) if (!hot.includes(k)) handle(ks, 0, k, Lookup.READ);
    clock.now += 1000;
    ks.setMaxmemory(limitFor(ks, 0.5));
    expect(ks.evictIfNeeded()).toBe(Status.OK);
    expect(present(ks, hot).length).toBeGreaterThanOrEqual(hot.length * 0.97);
    for (const k of present(ks, hot).slice(0, 5)) expect(ks.lfuFrequency(handle(ks, 0, k))).toBeGreaterThan(5);
  });

  it('allkeys-random evicts any kind of key until under the limit', () => {
    const { ks, clock } = makeStore({ shards: 8, policy: EvictionPolicy.ALLKEYS_RANDOM });
    const vol = load(ks, 1000, 'v', () => clock.now + 100_000);
    const per = load(ks, 1000, 'p');
    const limit = limitFor(ks, 0.5);
    ks.setMaxmemory(limit);
    expect(ks.evictIfNeeded()).toBe(Status.OK);
    expect(ks.usedMemory()).toBeLessThanOrEqual(limit);
    expect(present(ks, vol).length).toBeLessThan(900);
    expect(present(ks, per).length).toBeLessThan(900);
  });

  for (const policy of [EvictionPolicy.VOLATILE_LRU, EvictionPolicy.VOLATILE_LFU, EvictionPolicy.VOLATILE_RANDOM, EvictionPolicy.VOLATILE_TTL] as EvictionPolicyCode[]) {
    it(`policy ${policy} evicts only keys with a TTL, and answers OOM once none is left`, () => {
      const { ks, clock } = makeStore({ shards: 8, policy });
      const vol = load(ks, 1000, 'v', (i) => clock.now + 100_000 + i);
      const per = load(ks, 1000, 'p');
      ks.setMaxmemory(limitFor(ks, 0.75));
      expect(ks.evictIfNeeded()).toBe(Status.OK);
      expect(present(ks, per).length).toBe(1000);
      expect(present(ks, vol).length).toBeLessThan(600);
      expect(present(ks, vol).length).toBeGreaterThan(400);
      ks.setMaxmemory(limitFor(ks, 0.3));
      expect(ks.evictIfNeeded()).toBe(Status.OOM);
      expect(present(ks, vol).length).toBe(0);
      expect(ks.dbExpires(0)).toBe(0);
      expect(present(ks, per).length).toBe(1000);
      expect(ks.stats.evictedKeys).toBe(1000);
    });
  }

  it('volatile-ttl evicts the keys that expire soonest', () => {
    const { ks, clock } = makeStore({ shards: 8, policy: EvictionPolicy.VOLATILE_TTL });
    // TTLs from 1 s to 2000 s, inserted in a scrambled order
    const ttlOf = new Map<string, number>();
    for (let i = 0; i < 2000; i++) {
      const j = (i * 7919) % 2000;
      const k = `t${j}`;
      ttlOf.set(k, (j + 1) * 1000);
      set(ks, 0, k, 'v'.repeat(32), clock.now + (j + 1) * 1000);
    }
    ks.setMaxmemory(limitFor(ks, 0.7));
    expect(ks.evictIfNeeded()).toBe(Status.OK);
    const survivors = keys(ks, 0).map((k) => ttlOf.get(k)!);
    const evicted = [...ttlOf].filter(([k]) => handle(ks, 0, k) < 0).map(([, t]) => t);
    expect(evicted.length).toBeGreaterThan(500);
    // the soonest-expiring keys went first
    for (let j = 0; j < 100; j++) expect(handle(ks, 0, `t${j}`)).toBe(-1);
    const avg = (a: number[]) => a.reduce((x, y) => x + y, 0) / a.length;
    expect(avg(evicted)).toBeLessThan(avg(survivors) / 2);
  });

  it('eviction counts evicted keys and leaves counters consistent', () => {
    const { ks, clock } = makeStore({ shards: 4, policy: EvictionPolicy.ALLKEYS_LRU });
    load(ks, 500, 'a', (i) => (i % 2 ? clock.now + 5000 : NO_TTL));
    ks.setMaxmemory(limitFor(ks, 0.2));
    expect(ks.evictIfNeeded()).toBe(Status.OK);
    expect(ks.stats.evictedKeys).toBe(500 - ks.dbSize(0));
    expect(keys(ks, 0).length).toBe(ks.dbSize(0));
    let withTtl = 0;
    ks.forEachKey(0, (h) => {
      if (ks.expireAt(h) !== NO_TTL) withTtl++;
    });
    expect(ks.dbExpires(0)).toBe(withTtl);
    expect(T0).toBeLessThan(clock.now + 1);
  });
});
