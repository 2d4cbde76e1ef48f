import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { SlabAllocator, CHUNK_HEADER } from '../../store/slab-allocator.ts';
import { Encoding, NO_TTL } from '../../store/types.ts';
import { makeStore, b, get } from './helpers.ts';

/** Fill a chunk's caller bytes with a pattern derived from its owner. */
function fill(a: SlabAllocator, loc: number, need: number, owner: number): void {
  const page = a.pageOf(loc);
  const off = a.offsetOf(loc);
  for (let i = CHUNK_HEADER; i < need; i++) page[off + i] = (owner * 31 + i) & 255;
}
function payloadIntact(a: SlabAllocator, loc: number, need: number, owner: number): boolean {
  const page = a.pageOf(loc);
  const off = a.offsetOf(loc);
  for (let i = CHUNK_HEADER; i < need; i++) if (page[off + i] !== ((owner * 31 + i) & 255)) return false;
  return true;
}
function intact(a: SlabAllocator, loc: number, need: number, owner: number): boolean {
  return a.ownerOf(loc) === owner && payloadIntact(a, loc, need, owner);
}

describe('SlabAllocator', () => {
  it('builds 8-aligned size classes growing by the factor up to half a page', () => {
    const a = new SlabAllocator(1 << 20, 1.25);
    expect(a.classSize[0]).toBe(16);
    for (let c = 1; c < a.classCount; c++) {
      expect(a.classSize[c] % 8).toBe(0);
      expect(a.classSize[c]).toBeGreaterThan(a.classSize[c - 1]);
      if (c < a.classCount - 1) expect(a.classSize[c]).toBeLessThanOrEqual(Math.max(a.classSize[c - 1] + 8, Math.ceil((a.classSize[c - 1] * 1.25) / 8) * 8));
    }
    expect(a.classSize[a.classCount - 1]).toBe(1 << 19);
    expect(a.classSize[a.classFor(52)]).toBe(56);
    expect(a.classSize[a.classFor(16)]).toBe(16);
    expect(a.classSize[a.classFor(17)]).toBe(24);
  });

  it('never hands a chunk out twice and keeps every live chunk intact (random alloc/free)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.integer({ min: 5, max: 3000 }), fc.constant(-1)), { minLength: 1, maxLength: 400 }),
        fc.integer({ min: 0, max: 1000 }),
        (ops, seed) => {
          const a = new SlabAllocator(4096, 1.25);
          const live = new Map<number, { need: number; owner: number }>();
          let owner = 0;
          let r = seed;
          for (const op of ops) {
            if (op === -1 || live.size > 150) {
              if (live.size === 0) continue;
              r = (r * 1103515245 + 12345) & 0x7fffffff;
              const locs = [...live.keys()];
              const loc = locs[r % locs.length];
              a.free(loc);
              live.delete(loc);
            } else {
              const loc = a.alloc(op, owner);
              expect(loc).toBeGreaterThanOrEqual(0);
              expect(live.has(loc), 'chunk handed out twice').toBe(false);
              expect(a.chunkSize(loc)).toBeGreaterThanOrEqual(op);
              fill(a, loc, op, owner);
              live.set(loc, { need: op, owner });
              owner++;
            }
          }
          let used = 0;
          for (const [loc, e] of live) {
            expect(intact(a, loc, e.need, e.owner)).toBe(true);
            used += a.chunkSize(loc);
          }
          expect(a.usedBytes).toBe(used);
        },
      ),
      { numRuns: 100 },
    );
  });

  it('reuses freed chunks (LIFO) before carving new ones', () => {
    const a = new SlabAllocator(4096, 1.25);
    const x = a.alloc(40, 1);
    const y = a.alloc(40, 2);
    a.free(x);
    expect(a.ownerOf(x)).toBe(-1);
    expect(a.alloc(40, 3)).toBe(x);
    a.free(y);
    expect(a.alloc(33, 4)).toBe(y);
    expect(a.allocatedBytes).toBe(4096);
  });

  it('reuses the most recently freed chunk first across pages too', () => {
    const a = new SlabAllocator(4096, 1.25);
    const per = Math.floor(4096 / a.classSize[a.classFor(40)]);
    const locs: number[] = [];
    for (let i = 0; i < per * 3; i++) locs.push(a.alloc(40, i));
    const x = locs[1];
    const y = locs[per + 5];
    const z = locs[2 * per + 7];
    expect(new Set([x, y, z].map((l) => l >>> a.locShift)).size).toBe(3);
    a.free(y);
    a.free(x);
    a.free(z);
    expect(a.alloc(40, 100)).toBe(z);
    expect(a.alloc(40, 101)).toBe(x);
    expect(a.alloc(40, 102)).toBe(y);
    a.checkInvariants();
  });

  it('gives large values their own allocation and releases it', () => {
    const a = new SlabAllocator(4096, 1.25);
    const loc = a.alloc(10_000, 7);
    expect(a.chunkSize(loc)).toBe(10_000);
    expect(a.allocatedBytes).toBe(10_000);
    fill(a, loc, 10_000, 7);
    expect(intact(a, loc, 10_000, 7)).toBe(true);
    a.free(loc);
    expect(a.allocatedBytes).toBe(0);
    expect(a.usedBytes).toBe(0);
  });

  it('page reassignment moves live chunks byte-identically and frees pages for other classes', () => {
    const a = new SlabAllocator(4096, 1.25);
    const moved = new Map<number, number>();
    const where = new Map<number, number>();
    a.onMove = (owner, loc) => {
      moved.set(owner, loc);
      where.set(owner, loc);
    };
    // 64-byte class: fill 20 pages
    const need = 60;
    const probe = a.alloc(need, 0);
    const per = Math.floor(4096 / a.chunkSize(probe));
    a.free(probe);
    for (let i = 0; i < per * 20; i++) {
      const loc = a.alloc(need, i);
      fill(a, loc, need, i);
      where.set(i, loc);
    }
    const c = a.classFor(need);
    const pagesBefore = a.pagesOfClass(c);
    expect(pagesBefore).toBeGreaterThanOrEqual(20);
    // free 90% of them, scattered
    for (let i = 0; i < per * 20; i++) {
      if (i % 10 !== 0) {
        a.free(where.get(i)!);
        where.delete(i);
      }
    }
    let steps = 0;
    while (a.rebalanceStep()) steps++;
    expect(steps).toBeGreaterThan(10);
    expect(a.pagesOfClass(c)).toBeLessThanOrEqual(4);
    expect(moved.size).toBeGreaterThan(0);
    for (const [owner, loc] of where) expect(intact(a, loc, need, owner)).toBe(true);
    expect(a.liveChunks(c)).toBe(where.size);
    // pages beyond the small pool were released
    expect(a.allocatedBytes).toBeLessThanOrEqual((4 + 4) * 4096);
    // another class now draws pages from the pool
    const before = a.allocatedBytes;
    const big = a.alloc(1500, 9999);
    expect(a.allocatedBytes).toBe(before);
    fill(a, big, 1500, 9999);
    for (const [owner, loc] of where) expect(intact(a, loc, need, owner)).toBe(true);
  });

  it('tracks free chunks per page: random alloc / free / rebalance slices against a model', () => {
    // 32 KiB pages of 16..64-byte chunks: a page holds 512..2,048 chunks, enough that a
    // rebalance call given a deadline already past often stops inside a page (at its first clock
    // read, after some 4,096 units of work).
    const NEEDS = [12, 20, 28, 60];
    type Op = { kind: 'alloc'; n: number; size: number } | { kind: 'free'; percent: number } | { kind: 'slice' } | { kind: 'step' };
    const op: fc.Arbitrary<Op> = fc.oneof(
      { arbitrary: fc.record({ kind: fc.constant('alloc' as const), n: fc.integer({ min: 1, max: 2000 }), size: fc.integer({ min: 0, max: NEEDS.length - 1 }) }), weight: 2 },
      { arbitrary: fc.record({ kind: fc.constant('free' as const), percent: fc.integer({ min: 0, max: 100 }) }), weight: 2 },
      { arbitrary: fc.record({ kind: fc.constant('slice' as const) }), weight: 3 },
      { arbitrary: fc.record({ kind: fc.constant('step' as const) }), weight: 1 },
    );
    let moves = 0;
    let resumed = 0;
    fc.assert(
      fc.property(fc.array(op, { minLength: 1, maxLength: 12 }), fc.integer({ min: 1, max: 0x7fffffff }), (tail, seed) => {
        // Start from a few pages of one class, mostly freed, so that most runs evacuate pages.
        const ops: Op[] = [{ kind: 'alloc', n: 6000, size: seed % NEEDS.length }, { kind: 'free', percent: 50 + (seed % 40) }, ...tail];
        const a = new SlabAllocator(32 * 1024, 1.25);
        const locOf = new Map<number, number>();
        const needOf = new Map<number, number>();
        const ownerAt = new Map<number, number>();
        a.onMove = (owner, loc) => {
          const old = locOf.get(owner);
          expect(old, 'a moved chunk belongs to a live owner').toBeDefined();
          expect(ownerAt.has(loc), 'a chunk moved onto a location in use').toBe(false);
          ownerAt.delete(old!);
          ownerAt.set(loc, owner);
          locOf.set(owner, loc);
          moves++;
        };
        let r = seed;
        const rand = (n: number) => {
          r = (Math.imul(r, 1103515245) + 12345) & 0x7fffffff;
          return r % n;
        };
        let nextOwner = 0;
        const check = () => {
          a.checkInvariants();
          const livePerPage = new Map<number, number>();
          let damaged = 0;
          for (const [owner, loc] of locOf) {
            if (!intact(a, loc, needOf.get(owner)!, owner)) damaged++;
            const p = loc >>> a.locShift;
            livePerPage.set(p, (livePerPage.get(p) ?? 0) + 1);
          }
          expect(damaged, 'live chunks whose owner or bytes changed').toBe(0);
          // Every class page but the carving page is fully carved: live + free = chunks per page.
          let miscounted = 0;
          const partial = new Map<number, number>();
          for (let p = 0; p < a.pages.length; p++) {
            const c = a.pageClass[p];
            if (c < 0) continue;
            const live = livePerPage.get(p) ?? 0;
            if (a.pageLive[p] !== live) miscounted++;
            const cpp = Math.floor(a.pageSize / a.classSize[c]);
            const sum = live + a.freeChunksOfPage(p);
            if (sum > cpp) miscounted++;
            else if (sum < cpp) partial.set(c, (partial.get(c) ?? 0) + 1);
          }
          expect(miscounted, 'pages whose live or free count is wrong').toBe(0);
          for (const count of partial.values()) expect(count, 'partly carved pages of one class').toBe(1);
        };
        for (const o of ops) {
          if (o.kind === 'alloc') {
            const need = NEEDS[o.size];
            for (let i = 0; i < o.n; i++) {
              const owner = nextOwner++;
              const loc = a.alloc(need, owner);
              expect(loc).toBeGreaterThanOrEqual(0);
              expect(ownerAt.has(loc), 'chunk handed out twice').toBe(false);
              expect(loc >>> a.locShift, 'chunk handed out of the page being evacuated').not.toBe(a.evacuatingPage());
              fill(a, loc, need, owner);
              locOf.set(owner, loc);
              needOf.set(owner, need);
              ownerAt.set(loc, owner);
            }
          } else if (o.kind === 'free') {
            for (const [owner, loc] of [...locOf]) {
              if (rand(100) >= o.percent) continue;
              a.free(loc);
              expect(a.ownerOf(loc)).toBe(-1);
              expect(payloadIntact(a, loc, needOf.get(owner)!, owner), 'free() writes the header word only').toBe(true);
              locOf.delete(owner);
              ownerAt.delete(loc);
            }
          } else {
            if (a.evacuatingPage() >= 0) resumed++;
            a.rebalanceStep(o.kind === 'slice' ? 0 : Infinity);
          }
          check();
        }
        let steps = 0;
        while (a.rebalanceStep() && steps < 10_000) steps++;
        expect(a.evacuatingPage()).toBe(-1);
        check();
        for (let c = 0; c < a.classCount; c++) {
          const cpp = Math.floor(a.pageSize / a.classSize[c]);
          if (a.pagesOfClass(c) >= 2) expect(a.freeChunks(c)).toBeLessThan(cpp + (cpp >>> 1));
          expect(a.liveChunks(c)).toBe([...locOf.values()].filter((l) => a.pageClass[l >>> a.locShift] === c).length);
        }
      }),
      { numRuns: 15 },
    );
    expect(moves).toBeGreaterThan(0);
    expect(resumed, 'some runs resume a half-evacuated page').toBeGreaterThan(0);
  });

  /** 16-byte chunks on 64 KiB pages, 90% freed in a scattered pattern. */
  function scattered(): { a: SlabAllocator; locOf: Map<number, number>; c: number } {
    const a = new SlabAllocator(64 * 1024, 1.25);
    const locOf = new Map<number, number>();
    a.onMove = (owner, loc) => {
      expect(locOf.has(owner)).toBe(true);
      locOf.set(owner, loc);
    };
    const per = (64 * 1024) / 16;
    for (let i = 0; i < per * 10; i++) {
      const loc = a.alloc(12, i);
      fill(a, loc, 12, i);
      locOf.set(i, loc);
    }
    for (let i = 0; i < per * 10; i++) {
      if (i % 10 !== 3) {
        a.free(locOf.get(i)!);
        locOf.delete(i);
      }
    }
    return { a, locOf, c: a.classFor(12) };
  }

  it('a page evacuation stops at its deadline and resumes where it stopped', () => {
    const { a, locOf, c } = scattered();
    expect(a.rebalanceStep(0)).toBe(true);
    const ev = a.evacuatingPage();
    expect(ev).toBeGreaterThanOrEqual(0);
    expect(a.pageLive[ev]).toBeGreaterThan(0);
    a.checkInvariants();
    // The half-evacuated page still takes frees, and hands nothing out.
    const onEv = [...locOf].filter(([, loc]) => loc >>> a.locShift === ev);
    const [victimOwner, victimLoc] = onEv[onEv.length - 1];
    a.free(victimLoc);
    locOf.delete(victimOwner);
    for (let i = 0; i < 500; i++) {
      const owner = 1_000_000 + i;
      const loc = a.alloc(12, owner);
      expect(loc >>> a.locShift).not.toBe(ev);
      fill(a, loc, 12, owner);
      locOf.set(owner, loc);
    }
    a.checkInvariants();
    let slices = 0;
    while (a.evacuatingPage() === ev) {
      a.rebalanceStep(0);
      slices++;
    }
    expect(slices).toBeGreaterThan(0);
    expect(a.pageClass[ev]).not.toBe(c);
    a.checkInvariants();
    while (a.rebalanceStep());
    a.checkInvariants();
    for (const [owner, loc] of locOf) expect(intact(a, loc, 12, owner)).toBe(true);
    expect(a.liveChunks(c)).toBe(locOf.size);
  });

  it('puts a half-evacuated page back in service when allocations took the room it needed', () => {
    const { a, locOf, c } = scattered();
    a.rebalanceStep(0);
    const ev = a.evacuatingPage();
    expect(ev).toBeGreaterThanOrEqual(0);
    const room = a.freeChunks(c) - a.freeChunksOfPage(ev);
    const fillUp = room - a.pageLive[ev] + 1;
    for (let i = 0; i < fillUp; i++) {
      const owner = 2_000_000 + i;
      const loc = a.alloc(12, owner);
      fill(a, loc, 12, owner);
      locOf.set(owner, loc);
    }
    const pages = a.pagesOfClass(c);
    expect(a.rebalanceStep(0)).toBe(true);
    expect(a.evacuatingPage()).toBe(-1);
    expect(a.pageClass[ev]).toBe(c);
    expect(a.pagesOfClass(c)).toBe(pages);
    a.checkInvariants();
    // Its free chunks are handed out again, and nothing was lost.
    const owner = 3_000_000;
    const loc = a.alloc(12, owner);
    fill(a, loc, 12, owner);
    locOf.set(owner, loc);
    while (a.rebalanceStep());
    a.checkInvariants();
    for (const [o, l] of locOf) expect(intact(a, l, 12, o)).toBe(true);
  });

  it('keyspace: a switch from 64-byte to 4 KB values is bounded by live data after maintenance', () => {
    const { ks } = makeStore({ shards: 4, pageSize: 64 * 1024 });
    const key = new Uint8Array(16);
    const small = new Uint8Array(60).fill(7);
    const large = new Uint8Array(4000).fill(9);
    const N = 20000;
    for (let i = 0; i < N; i++) {
      key[0] = i & 255;
      key[1] = i >> 8;
      ks.setString(0, key, 0, 16, small, 0, 60, NO_TTL, Encoding.EMBSTR);
    }
    // overwrite every key with a large value: the small class is now empty
    for (let i = 0; i < N; i++) {
      key[0] = i & 255;
      key[1] = i >> 8;
      if (i % 8 === 0) ks.setString(0, key, 0, 16, large, 0, 4000, NO_TTL, Encoding.EMBSTR);
      else ks.delete(0, key, 0, 16);
    }
    const liveData = ks.alloc.usedBytes;
    for (let i = 0; i < 100 && ks.alloc.rebalanceStep(); i++) ks.maintenance(5);
    ks.maintenance(50);
    expect(ks.alloc.allocatedBytes).toBeLessThan(liveData * 1.2 + 8 * 64 * 1024);
    // data intact
    for (let i = 0; i < N; i += 8) {
      key[0] = i & 255;
      key[1] = i >> 8;
      const h = ks.lookup(0, key, 0, 16, 2);
      expect(h).toBeGreaterThanOrEqual(0);
      const page = ks.stringBytes(h);
      expect(ks.stringLength(h)).toBe(4000);
      expect(page[ks.offset]).toBe(9);
      expect(page[ks.offset + 3999]).toBe(9);
    }
  });

  it('keyspace: rebalancing keeps every key readable and byte-identical', () => {
    const { ks } = makeStore({ shards: 2, pageSize: 4096 });
    const vals = new Map<string, string>();
    for (let i = 0; i < 3000; i++) {
      const k = `key:${i}`;
      const v = `value-${i}-${'x'.repeat(i % 40)}`;
      const kb = b(k);
      const vb = b(v);
      ks.setString(0, kb, 0, kb.length, vb, 0, vb.length, NO_TTL, Encoding.EMBSTR);
      vals.set(k, v);
    }
    for (let i = 0; i < 3000; i++) {
      if (i % 7 !== 0) {
        const kb = b(`key:${i}`);
        ks.delete(0, kb, 0, kb.length);
        vals.delete(`key:${i}`);
      }
    }
    let steps = 0;
    while (ks.alloc.rebalanceStep()) steps++;
    expect(steps).toBeGreaterThan(0);
    for (const [k, v] of vals) expect(get(ks, 0, k)).toBe(v);
    expect(ks.dbSize(0)).toBe(vals.size);
  });
});
