import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Encoding, NO_TTL } from '../../store/types.ts';
import { makeStore } from './helpers.ts';

describe('KeyIndex through growth, shrinking and incremental migration', () => {
  it('finds exactly the live keys after every batch of random inserts and deletes', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ adds: fc.integer({ min: 0, max: 3000 }), dels: fc.integer({ min: 0, max: 3000 }), maint: fc.boolean() }), { minLength: 1, maxLength: 12 }),
        fc.integer({ min: 0, max: 1 << 30 }),
        (batches, seed) => {
          const { ks } = makeStore({ shards: 1, databases: 2 });
          const index = ks.shards[0].index;
          const live = new Set<number>();
          const key = new Uint8Array(6);
          const val = new Uint8Array(3);
          let r = seed;
          const rnd = (n: number) => (r = (Math.imul(r, 1103515245) + 12345) >>> 0) % n;
          const setKey = (k: number) => {
            key[0] = k & 255;
            key[1] = (k >> 8) & 255;
            key[2] = (k >> 16) & 255;
            key[3] = 0xff; // invalid UTF-8 on purpose
          };
          let sawMigration = false;
          let bad = 0;
          for (const b of batches) {
            for (let i = 0; i < b.adds; i++) {
              const k = rnd(20000);
              setKey(k);
              ks.setString(k & 1, key, 0, 6, val, 0, 3, NO_TTL, Encoding.EMBSTR);
              live.add(k);
              sawMigration ||= index.migrating;
            }
            for (let i = 0; i < b.dels; i++) {
              const k = rnd(20000);
              setKey(k);
              if (ks.delete(k & 1, key, 0, 6) !== live.delete(k)) bad++;
              sawMigration ||= index.migrating;
            }
            if (b.maint) ks.maintenance(100);
            expect(index.size).toBe(live.size);
            expect(ks.dbSize(0) + ks.dbSize(1)).toBe(live.size);
            for (let k = 0; k < 20000; k += 3) {
              setKey(k);
              if (ks.lookup(k & 1, key, 0, 6, 2) >= 0 !== live.has(k)) bad++;
              // same key bytes in the other db are a different key
              if (ks.lookup((k & 1) ^ 1, key, 0, 6, 2) !== -1) bad++;
            }
            expect(bad).toBe(0);
          }
          if (batches.reduce((s, b) => s + b.adds, 0) > 5000) expect(sawMigration).toBe(true);
        },
      ),
      { numRuns: 60 },
    );
  });
});
