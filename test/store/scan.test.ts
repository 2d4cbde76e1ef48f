import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { keyHashSlot } from '../../store/hash-slot.ts';
import type { Keyspace } from '../../store/keyspace.ts';
import { b, makeStore, set, del, keyOf } from './helpers.ts';

function scanAll(ks: Keyspace, db: number, count: number, between?: (step: number) => void): { seen: Map<string, number>; calls: number } {
  const seen = new Map<string, number>();
  let cursor = 0;
  let calls = 0;
  do {
    cursor = ks.scan(db, cursor, count, (h) => {
      const k = keyOf(ks, h);
      seen.set(k, (seen.get(k) ?? 0) + 1);
    });
    expect(Number.isSafeInteger(cursor)).toBe(true);
    expect(cursor).toBeGreaterThanOrEqual(0);
    calls++;
    if (cursor !== 0) between?.(calls);
  } while (cursor !== 0 && calls < 1_000_000);
  return { seen, calls };
}

/** A key whose shard (of `shards`) is `want`, with the given prefix. */
function keyInShard(prefix: string, want: number, shards: number, i: number): string {
  for (let j = i * 1000; ; j++) {
    const k = `${prefix}${j}`;
    if (keyHashSlot(b(k), 0, k.length) >>> (14 - Math.log2(shards)) === want) return k;
  }
}

describe('SCAN', () => {
  it('visits every key exactly once on a quiet keyspace, in several calls', () => {
    const { ks } = makeStore({ shards: 8 });
    for (let i = 0; i < 3000; i++) set(ks, 0, `k${i}`, 'v');
    for (let i = 0; i < 100; i++) set(ks, 1, `other${i}`, 'v');
    const { seen, calls } = scanAll(ks, 0, 10);
    expect(seen.size).toBe(3000);
    for (const n of seen.values()) expect(n).toBe(1);
    expect(calls).toBeGreaterThan(100);
    expect(scanAll(ks, 1, 1000).seen.size).toBe(100);
    expect(scanAll(ks, 2, 10).seen.size).toBe(0);
  });

  it('does not visit expired keys', () => {
    const { ks, clock } = makeStore({ shards: 4 });
    for (let i = 0; i < 100; i++) set(ks, 0, `k${i}`, 'v', i % 2 ? clock.now + 10 : 0);
    clock.now += 20;
    const { seen } = scanAll(ks, 0, 7);
    expect(seen.size).toBe(50);
    expect(ks.stats.expiredKeys).toBe(50);
  });

  it('returns every key present for the whole scan while tables grow and shrink', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 50 }), fc.integer({ min: 0, max: 1000 }), (count, seed) => {
        const shards = 4;
        const { ks } = makeStore({ shards });
        // stable keys live in shards 0-2; churn keys in all shards, shard 3 only churn
        const stable: string[] = [];
        for (let i = 0; i < 300; i++) {
          const k = keyInShard('s', i % 3, shards, i);
          stable.push(k);
          set(ks, 0, k, 'v');
        }
        const churn: string[] = [];
        let next = 0;
        let r = seed;
        const rnd = () => (r = (r * 1103515245 + 12345) & 0x7fffffff);
        const { seen } = scanAll(ks, 0, count, () => {
          // grow: add keys; shrink: delete most churn keys (index shrinks, shard 3 empties)
          const adds = rnd() % 200;
          for (let j = 0; j < adds; j++) {
            const k = `c${next++}`;
            churn.push(k);
            set(ks, 0, k, 'w');
          }
          if (rnd() % 4 === 0) {
            while (churn.length > 5) del(ks, 0, churn.pop()!);
          }
        });
        for (const k of stable) expect(seen.has(k), k).toBe(true);
      }),
      { numRuns: 40 },
    );
  });

  it('keeps the guarantee when a shard empties and its table is reset mid-scan', () => {
    const shards = 4;
    const { ks } = makeStore({ shards });
    const stable = Array.from({ length: 200 }, (_, i) => keyInShard('s', i % 2 === 0 ? 0 : 3, shards, i));
    for (const k of stable) set(ks, 0, k, 'v');
    const churn = Array.from({ length: 3000 }, (_, i) => keyInShard('c', 1, shards, i));
    for (const k of churn) set(ks, 0, k, 'w');
    const grown = ks.shards[1].table.capacity;
    const { seen } = scanAll(ks, 0, 20, (step) => {
      if (step === 3) for (const k of churn) del(ks, 0, k);
      if (step === 5) for (const k of churn.slice(0, 50)) set(ks, 0, k, 'again');
    });
    expect(ks.shards[1].table.capacity).toBeLessThan(grown);
    for (const k of stable) expect(seen.has(k)).toBe(true);
  });
});
