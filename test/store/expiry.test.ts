import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { EntryTable } from '../../store/entry-table.ts';
import { ExpiryWheel, WHEEL_BUDGET, WHEEL_DONE } from '../../store/expiry-wheel.ts';
import { Encoding, KeyType } from '../../store/types.ts';
import type { Keyspace } from '../../store/keyspace.ts';
import { makeStore, set, get, T0 } from './helpers.ts';

/** Entries whose TTL has passed but which still hold memory. */
function expiredUnreclaimed(ks: Keyspace, now: number): number {
  let n = 0;
  for (const s of ks.shards) {
    const t = s.table;
    for (let id = 0; id < t.hw; id++) if (t.type(id) !== KeyType.NONE && t.expire(id) !== 0 && now > t.expire(id)) n++;
  }
  return n;
}

describe('ExpiryWheel', () => {
  it('expires exactly the entries due, across levels, with O(1) moves and removes', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            { weight: 6, arbitrary: fc.record({ op: fc.constant('add' as const), id: fc.integer({ min: 0, max: 999 }), ttl: fc.oneof(fc.integer({ min: 0, max: 100 }), fc.integer({ min: 5000, max: 5003 }), fc.integer({ min: 0, max: 5_000_000 }), fc.constant(2 ** 50)) }) },
            { weight: 1, arbitrary: fc.record({ op: fc.constant('remove' as const), id: fc.integer({ min: 0, max: 999 }) }) },
            { weight: 2, arbitrary: fc.record({ op: fc.constant('advance' as const), ms: fc.oneof(fc.integer({ min: 0, max: 70 }), fc.integer({ min: 0, max: 3_000_000 })), budget: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 100 })) }) },
          ),
          { maxLength: 600 },
        ),
        (ops) => {
          const meter = { tableBytes: 0 };
          const t = new EntryTable(1 << 20, meter);
          for (let i = 0; i < 1000; i++) t.alloc();
          let now = T0 + 12345;
          const w = new ExpiryWheel(t, now);
          const deadline = new Map<number, number>();
          const expire = (id: number) => {
            expect(deadline.has(id)).toBe(true);
            expect(now > deadline.get(id)!).toBe(true);
            deadline.delete(id);
            w.remove(id);
            t.setExpire(id, 0);
          };
          for (const op of ops) {
            if (op.op === 'add') {
              if (deadline.has(op.id)) w.remove(op.id);
              const at = now + op.ttl;
              t.setExpire(op.id, at);
              deadline.set(op.id, at);
              w.insert(op.id, at);
            } else if (op.op === 'remove') {
              w.remove(op.id);
              t.setExpire(op.id, 0);
              deadline.delete(op.id);
            } else {
              now += op.ms;
              if (op.budget > 0) {
                // budgets of a varying number of entries per call
                let m = op.budget;
                while (w.advance(now, Infinity, expire, m) === WHEEL_BUDGET) m = ((m * 7 + 3) % 97) + 1;
              } else expect(w.advance(now, Infinity, expire)).toBe(WHEEL_DONE);
              for (const [, at] of deadline) expect(at >= now).toBe(true);
            }
            expect(w.count).toBe(deadline.size);
          }
        },
      ),
      { numRuns: 200 },
    );
  });

  it('an interrupted cascade is finished before time moves past its deadlines', () => {
    for (const first of [1, 10, 64, 100, 333]) {
      const t = new EntryTable(1 << 20, { tableBytes: 0 });
      const w = new ExpiryWheel(t, T0);
      const due = T0 + 60_000;
      for (let i = 0; i < 2000; i++) {
        const id = t.alloc();
        t.setExpire(id, due);
        w.insert(id, due);
      }
      let m = first;
      while (w.advance(due + 1, Infinity, (id) => w.remove(id), m) === WHEEL_BUDGET) m = ((m * 7 + 3) % 997) + 1;
      expect(w.count).toBe(0);
    }
  });

  it('stops for the budget and resumes where it stopped', () => {
    const t = new EntryTable(1 << 20, { tableBytes: 0 });
    const w = new ExpiryWheel(t, T0);
    for (let i = 0; i < 10_000; i++) {
      const id = t.alloc();
      t.setExpire(id, T0 + 100_000);
      w.insert(id, T0 + 100_000);
    }
    let expired = 0;
    const cb = (id: number) => {
      w.remove(id);
      expired++;
    };
    let calls = 0;
    // a deadline already in the past: every call does one 64-entry batch and stops
    while (w.advance(T0 + 100_001, 0, cb) === WHEEL_BUDGET) calls++;
    expect(calls).toBeGreaterThan(100);
    expect(expired).toBe(10_000);
    expect(w.count).toBe(0);
  });
});

describe('expiry edges in the keyspace', () => {
  it('active expiry of a 1 ms TTL happens on the first tick after it passes', () => {
    const { ks, clock } = makeStore();
    set(ks, 0, 'k', 'v', clock.now + 1);
    clock.now += 1;
    ks.maintenance(10);
    expect(ks.dbSize(0)).toBe(1);
    clock.now += 1;
    ks.maintenance(10);
    expect(ks.dbSize(0)).toBe(0);
    expect(ks.stats.expiredKeys).toBe(1);
  });

  it('1,000,000 keys expiring in the same millisecond are reclaimed over several budgeted calls', () => {
    const { ks, clock } = makeStore();
    const key = new Uint8Array(12);
    const val = new Uint8Array(8);
    const at = clock.now + 60_000;
    const N = 1_000_000;
    for (let i = 0; i < N; i++) {
      key[0] = i & 255;
      key[1] = (i >> 8) & 255;
      key[2] = i >> 16;
      ks.setString(0, key, 0, 12, val, 0, 8, at, Encoding.EMBSTR);
    }
    set(ks, 0, 'survivor', 'v');
    expect(ks.dbSize(0)).toBe(N + 1);
    const used = ks.usedMemory();
    clock.now = at + 1;
    let calls = 0;
    let maxPerCall = 0;
    while (ks.dbSize(0) > 1 && calls < 100_000) {
      const before = ks.stats.expiredKeys;
      ks.maintenance(1);
      maxPerCall = Math.max(maxPerCall, ks.stats.expiredKeys - before);
      calls++;
    }
    expect(ks.dbSize(0)).toBe(1);
    expect(ks.stats.expiredKeys).toBe(N);
    expect(calls).toBeGreaterThan(1);
    expect(maxPerCall).toBeLessThan(N);
    expect(get(ks, 0, 'survivor')).toBe('v');
    expect(ks.usedMemory()).toBeLessThan(used / 4);
  }, 60_000);

  it('keeps expired-but-unreclaimed keys under 5% in a steady state of TTL churn', () => {
    const { ks, clock } = makeStore({ shards: 16 });
    const key = new Uint8Array(8);
    const val = new Uint8Array(32);
    let worst = 0;
    let i = 0;
    // 200 s of simulated time: 2,000 writes per 100 ms tick with TTLs of 1-30 s.
    for (let tick = 0; tick < 2000; tick++) {
      for (let j = 0; j < 2000 / 20; j++, i++) {
        key[0] = i & 255;
        key[1] = (i >> 8) & 255;
        key[2] = (i >> 16) & 255;
        ks.setString(0, key, 0, 8, val, 0, 32, clock.now + 1000 + ((i * 7919) % 29_000), Encoding.EMBSTR);
      }
      clock.now += 100;
      ks.maintenance(50);
      if (tick > 300) worst = Math.max(worst, expiredUnreclaimed(ks, clock.now) / ks.dbSize(0));
    }
    expect(worst).toBeLessThan(0.05);
  });
});
