/*
 * Property tests of the sorted-set structure (src/types/zset-value.ts) against a model: a
 * plain array of (member, score) kept sorted by (score, member bytes). Random sequences of
 * ZADD-style adds (every flag), removals, range removals by rank/score/lex and pops run on
 * both; after each step the set must iterate exactly as the model, answer scores, ranks and
 * range ends as the model does, and (skiplist) pass its own invariant check (order, spans,
 * back links, hash). Thresholds are drawn small so listpack -> skiplist conversions happen.
 */
import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import {
  ZsetValue, ZaddIn, ZaddOut, LexKind, ZNIL, type ScoreRange, type LexRange,
} from '../../src/types/zset-value.ts';

interface Entry {
  member: Buffer;
  score: number;
}

function cmpEntry(a: Entry, b: Entry): number {
  if (a.score < b.score) return -1;
  if (a.score > b.score) return 1;
  return Buffer.compare(a.member, b.member);
}

class Model {
  entries: Entry[] = [];
  find(m: Buffer): number {
    return this.entries.findIndex((e) => e.member.equals(m));
  }
  /** zsetAdd semantics; returns ZaddOut flags and the new score. */
  add(m: Buffer, s: number, flags: number): { out: number; score: number } {
    const i = this.find(m);
    if (i >= 0) {
      if (flags & ZaddIn.NX) return { out: ZaddOut.NOP, score: NaN };
      const cur = this.entries[i].score;
      if (flags & ZaddIn.INCR) {
        s += cur;
        if (Number.isNaN(s)) return { out: ZaddOut.NAN, score: NaN };
      }
      if ((flags & ZaddIn.LT && s >= cur) || (flags & ZaddIn.GT && s <= cur)) return { out: ZaddOut.NOP, score: NaN };
      if (s !== cur) {
        this.entries.splice(i, 1);
        this.insert(m, s);
        return { out: ZaddOut.UPDATED, score: s };
      }
      return { out: 0, score: s };
    }
    if (flags & ZaddIn.XX) return { out: ZaddOut.NOP, score: NaN };
    this.insert(m, s);
    return { out: ZaddOut.ADDED, score: s };
  }
  insert(m: Buffer, s: number): void {
    const e = { member: Buffer.from(m), score: s };
    let i = 0;
    while (i < this.entries.length && cmpEntry(this.entries[i], e) < 0) i++;
    this.entries.splice(i, 0, e);
  }
  remove(m: Buffer): boolean {
    const i = this.find(m);
    if (i < 0) return false;
    this.entries.splice(i, 1);
    return true;
  }
}

function inScore(s: number, r: ScoreRange): boolean {
  return (r.minex ? s > r.min : s >= r.min) && (r.maxex ? s < r.max : s <= r.max);
}

function lexCmp(m: Buffer, kind: number, bound: Buffer): number {
  if (kind === LexKind.MIN) return 1;
  if (kind === LexKind.MAX) return -1;
  return Buffer.compare(m, bound);
}

function inLex(m: Buffer, r: LexRange): boolean {
  const lo = lexCmp(m, r.minKind, Buffer.from(r.minBuf.subarray(r.minOff, r.minOff + r.minLen)));
  const hi = lexCmp(m, r.maxKind, Buffer.from(r.maxBuf.subarray(r.maxOff, r.maxOff + r.maxLen)));
  return (r.minex ? lo > 0 : lo >= 0) && (r.maxex ? hi < 0 : hi <= 0);
}

/** The whole set as [member, score] pairs, in order and in reverse. */
function contents(zv: ZsetValue): Entry[] {
  const out: Entry[] = [];
  for (let p = zv.first(); p !== ZNIL; p = zv.next(p)) {
    const b = zv.member(p);
    out.push({ member: Buffer.from(b.subarray(zv.memberOff, zv.memberOff + zv.memberLen)), score: zv.scoreAt(p) });
  }
  const back: Entry[] = [];
  for (let p = zv.last(); p !== ZNIL; p = zv.prev(p)) {
    const b = zv.member(p);
    back.push({ member: Buffer.from(b.subarray(zv.memberOff, zv.memberOff + zv.memberLen)), score: zv.scoreAt(p) });
  }
  expect(back.reverse()).toEqual(out);
  return out;
}

/** A listpack keeps an integral score as an integer: -0 reads back as 0. */
function normalize(entries: Entry[], listpack: boolean): Entry[] {
  return entries.map((e) => ({ member: e.member, score: listpack && e.score === 0 ? 0 : e.score }));
}

function check(zv: ZsetValue, model: Model): void {
  const got = contents(zv);
  // -0 and 0 compare equal in ordering; compare scores with Object.is only where the encoding keeps the sign.
  const want = model.entries;
  expect(got.length).toBe(want.length);
  expect(zv.size()).toBe(want.length);
  for (let i = 0; i < want.length; i++) {
    expect(got[i].member.equals(want[i].member)).toBe(true);
    expect(Object.is(got[i].score, want[i].score)).toBe(true);
    expect(zv.rank(want[i].member, 0, want[i].member.length, false)).toBe(i);
    expect(zv.rank(want[i].member, 0, want[i].member.length, true)).toBe(want.length - 1 - i);
    expect(zv.score(want[i].member, 0, want[i].member.length) === want[i].score).toBe(true);
    expect(zv.rankOf(zv.atRank(i))).toBe(i);
  }
  if (zv.sl !== null) zv.sl.verify();
}

const memberArb = fc
  .array(fc.constantFrom(0x00, 0x61, 0x62, 0x63, 0xff), { maxLength: 4 })
  .map((bytes) => Buffer.from(bytes));

const scoreArb = fc.oneof(
  fc.integer({ min: -5, max: 5 }),
  fc.constantFrom(0, -0, Infinity, -Infinity, 0.5, -2.25, 1e17, 4.9e-324),
  fc.double({ noNaN: true }),
);

const flagsArb = fc.constantFrom(
  0, ZaddIn.NX, ZaddIn.XX, ZaddIn.GT, ZaddIn.LT, ZaddIn.XX | ZaddIn.GT, ZaddIn.XX | ZaddIn.LT,
  ZaddIn.INCR, ZaddIn.INCR | ZaddIn.XX, ZaddIn.INCR | ZaddIn.NX, ZaddIn.INCR | ZaddIn.GT,
);

const scoreRangeArb = fc.record({
  min: scoreArb,
  max: scoreArb,
  minex: fc.boolean(),
  maxex: fc.boolean(),
});

const lexBoundArb = fc.record({ kind: fc.constantFrom(LexKind.MIN, LexKind.MAX, LexKind.VALUE, LexKind.VALUE), bytes: memberArb, ex: fc.boolean() });

function lexRangeOf(lo: { kind: number; bytes: Buffer; ex: boolean }, hi: { kind: number; bytes: Buffer; ex: boolean }): LexRange {
  return {
    minKind: lo.kind, minBuf: lo.bytes, minOff: 0, minLen: lo.bytes.length, minex: lo.kind === LexKind.VALUE ? lo.ex : true,
    maxKind: hi.kind, maxBuf: hi.bytes, maxOff: 0, maxLen: hi.bytes.length, maxex: hi.kind === LexKind.VALUE ? hi.ex : true,
  };
}

type Op =
  | { t: 'add'; m: Buffer; s: number; f: number }
  | { t: 'rem'; m: Buffer }
  | { t: 'remRank'; a: number; b: number }
  | { t: 'remScore'; r: ScoreRange }
  | { t: 'remLex'; lo: { kind: number; bytes: Buffer; ex: boolean }; hi: { kind: number; bytes: Buffer; ex: boolean } }
  | { t: 'range'; r: ScoreRange }
  | { t: 'lexRange'; lo: { kind: number; bytes: Buffer; ex: boolean }; hi: { kind: number; bytes: Buffer; ex: boolean } }
  | { t: 'clone' };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 8, arbitrary: fc.record({ t: fc.constant('add' as const), m: memberArb, s: scoreArb, f: flagsArb }) },
  { weight: 3, arbitrary: fc.record({ t: fc.constant('rem' as const), m: memberArb }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('remRank' as const), a: fc.integer({ min: 0, max: 20 }), b: fc.integer({ min: 0, max: 20 }) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('remScore' as const), r: scoreRangeArb }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('remLex' as const), lo: lexBoundArb, hi: lexBoundArb }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('range' as const), r: scoreRangeArb }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('lexRange' as const), lo: lexBoundArb, hi: lexBoundArb }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('clone' as const) }) },
);

function runOps(ops: Op[], startSkiplist: boolean, maxEntries: number, maxValue: number): void {
  let zv = new ZsetValue(startSkiplist);
  const model = new Model();
  let listpackSeen = zv.isListpack();
  for (const op of ops) {
    switch (op.t) {
      case 'add': {
        const wasListpack = zv.isListpack();
        const got = zv.add(op.m, 0, op.m.length, op.s, op.f, maxEntries, maxValue);
        const want = model.add(op.m, op.s, op.f);
        expect(got).toBe(want.out);
        if ((got & (ZaddOut.NOP | ZaddOut.NAN)) === 0) expect(zv.newScore === want.score).toBe(true);
        // A listpack converts exactly when a new member would pass a threshold; never back.
        if (wasListpack && want.out === ZaddOut.ADDED) {
          const shouldConvert = model.entries.length > maxEntries || op.m.length > maxValue;
          expect(zv.isListpack()).toBe(!shouldConvert);
        }
        if (!wasListpack) expect(zv.isListpack()).toBe(false);
        break;
      }
      case 'rem':
        expect(zv.remove(op.m, 0, op.m.length)).toBe(model.remove(op.m));
        break;
      case 'remRank': {
        const n = model.entries.length;
        if (n === 0) break;
        const a = Math.min(op.a, op.b) % n;
        const b = Math.min(Math.max(op.a, op.b), n - 1);
        if (a > b) break;
        expect(zv.removeRangeByRank(a, b)).toBe(b - a + 1);
        model.entries.splice(a, b - a + 1);
        break;
      }
      case 'remScore': {
        const before = model.entries.length;
        model.entries = model.entries.filter((e) => !inScore(e.score, op.r));
        expect(zv.removeRangeByScore(op.r)).toBe(before - model.entries.length);
        break;
      }
      case 'remLex': {
        // Lex ranges are only meaningful when all scores are equal; the structure removes the
        // contiguous run from the first member >= min while members stay <= max, as Redis does.
        const r = lexRangeOf(op.lo, op.hi);
        const first = model.entries.findIndex((e) => inLex(e.member, r));
        let end = first;
        if (first >= 0) while (end < model.entries.length && inLex(model.entries[end].member, r)) end++;
        const expected = first < 0 ? 0 : end - first;
        const sorted = model.entries.every((e, i, all) => i === 0 || Buffer.compare(all[i - 1].member, e.member) < 0);
        if (!sorted) break;
        expect(zv.removeRangeByLex(r)).toBe(expected);
        if (first >= 0) model.entries.splice(first, expected);
        break;
      }
      case 'range': {
        const idx = model.entries.map((e, i) => (inScore(e.score, op.r) ? i : -1)).filter((i) => i >= 0);
        const first = zv.firstInRange(op.r);
        const last = zv.lastInRange(op.r);
        if (idx.length === 0) {
          expect(first).toBe(ZNIL);
          expect(last).toBe(ZNIL);
        } else {
          expect(zv.rankOf(first)).toBe(idx[0]);
          expect(zv.rankOf(last)).toBe(idx[idx.length - 1]);
        }
        break;
      }
      case 'lexRange': {
        const r = lexRangeOf(op.lo, op.hi);
        const sorted = model.entries.every((e, i, all) => i === 0 || Buffer.compare(all[i - 1].member, e.member) < 0);
        if (!sorted) break;
        const idx = model.entries.map((e, i) => (inLex(e.member, r) ? i : -1)).filter((i) => i >= 0);
        const first = zv.firstInLexRange(r);
        const last = zv.lastInLexRange(r);
        if (idx.length === 0) {
          expect(first).toBe(ZNIL);
          expect(last).toBe(ZNIL);
        } else {
          expect(zv.rankOf(first)).toBe(idx[0]);
          expect(zv.rankOf(last)).toBe(idx[idx.length - 1]);
        }
        break;
      }
      case 'clone': {
        const copy = zv.clone();
        expect(copy.encodingName()).toBe(zv.encodingName());
        zv = copy;
        break;
      }
    }
    if (zv.isListpack()) {
      listpackSeen = true;
      model.entries = normalize(model.entries, true);
    }
    check(zv, model);
    expect(zv.bytes()).toBeGreaterThan(0);
  }
  void listpackSeen;
}

describe('ZsetValue against a sorted-array model', () => {
  it('listpack with small thresholds (conversions to skiplist)', () => {
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 80 }), fc.integer({ min: 0, max: 8 }), fc.integer({ min: 0, max: 4 }), (ops, maxEntries, maxValue) => {
        runOps(ops, false, maxEntries, maxValue);
      }),
      { numRuns: 300 },
    );
  });

  it('skiplist from the start', () => {
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 120 }), (ops) => {
        runOps(ops, true, 128, 64);
      }),
      { numRuns: 300 },
    );
  });

  it('copying member by member from one set into another (ZRANGESTORE, COPY) while the target converts', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(memberArb, scoreArb), { maxLength: 40 }),
        fc.boolean(),
        fc.integer({ min: 0, max: 12 }),
        fc.boolean(),
        (pairs, srcSkiplist, maxEntries, reverse) => {
          const src = new ZsetValue(srcSkiplist);
          for (const [m, s] of pairs) src.add(m, 0, m.length, s, 0, 1000, 1000);
          const dst = new ZsetValue(false);
          for (let p = reverse ? src.last() : src.first(); p !== ZNIL; p = reverse ? src.prev(p) : src.next(p)) {
            const bytes = src.member(p);
            dst.add(bytes, src.memberOff, src.memberLen, src.scoreAt(p), 0, maxEntries, 1000);
          }
          const want = contents(src).map((e) => ({ member: e.member, score: e.score === 0 ? 0 : e.score }));
          const got = contents(dst).map((e) => ({ member: e.member, score: e.score === 0 ? 0 : e.score }));
          expect(got).toEqual(want);
          const copy = src.clone();
          expect(contents(copy)).toEqual(contents(src));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('long members (255 bytes and more) in a listpack', () => {
    const zv = new ZsetValue(false);
    const model = new Model();
    for (const len of [254, 255, 256, 300, 70000, 0, 1]) {
      const m = Buffer.alloc(len, 0x61 + (len % 7));
      zv.add(m, 0, m.length, len % 5, 0, 128, 1 << 20);
      model.add(m, len % 5, 0);
    }
    expect(zv.isListpack()).toBe(true);
    check(zv, model);
    const m = Buffer.alloc(300, 0x61 + (300 % 7));
    expect(zv.remove(m, 0, m.length)).toBe(true);
    model.remove(m);
    check(zv, model);
    zv.convertToSkiplist();
    check(zv, model);
  });

  it('skiplist with many members: ranks, ranges, removals, arena compaction and hash resizing', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 999 }), fc.integer({ min: -50, max: 50 })), { minLength: 200, maxLength: 600 }),
        fc.array(fc.integer({ min: 0, max: 999 }), { maxLength: 400 }),
        (adds, removes) => {
          const zv = new ZsetValue(true);
          const model = new Model();
          for (const [m, s] of adds) {
            const b = Buffer.from(`member:${m}`);
            zv.add(b, 0, b.length, s, 0, 128, 64);
            model.add(b, s, 0);
          }
          check(zv, model);
          for (const m of removes) {
            const b = Buffer.from(`member:${m}`);
            expect(zv.remove(b, 0, b.length)).toBe(model.remove(b));
          }
          check(zv, model);
          // Converting back (as ZUNIONSTORE does for a small result) keeps the contents.
          zv.compactIfSmall(1000, 64);
          if (model.entries.length <= 1000) expect(zv.isListpack()).toBe(true);
          check(zv, model);
        },
      ),
      { numRuns: 40 },
    );
  });

  it('scan visits every member exactly once when nothing changes, and every stable member across resizes', () => {
    const zv = new ZsetValue(true);
    const n = 1000;
    for (let i = 0; i < n; i++) {
      const b = Buffer.from(`k${i}`);
      zv.add(b, 0, b.length, i, 0, 128, 64);
    }
    const sl = zv.sl!;
    const seen = new Map<string, number>();
    let cursor = 0;
    do {
      cursor = sl.scanStep(cursor, (x) => {
        const name = Buffer.from(sl.arena.subarray(sl.moff[x], sl.moff[x] + sl.mlen[x])).toString();
        seen.set(name, (seen.get(name) ?? 0) + 1);
      });
    } while (cursor !== 0);
    expect(seen.size).toBe(n);
    expect([...seen.values()].every((v) => v === 1)).toBe(true);

    // Grow the table in the middle of a scan: the first 1000 members are still all returned.
    const found = new Set<string>();
    cursor = 0;
    let steps = 0;
    do {
      cursor = sl.scanStep(cursor, (x) => {
        found.add(Buffer.from(sl.arena.subarray(sl.moff[x], sl.moff[x] + sl.mlen[x])).toString());
      });
      if (++steps === 100) {
        for (let i = n; i < 5000; i++) {
          const b = Buffer.from(`k${i}`);
          zv.add(b, 0, b.length, i, 0, 128, 64);
        }
      }
    } while (cursor !== 0);
    for (let i = 0; i < n; i++) expect(found.has(`k${i}`)).toBe(true);

    // Shrink it in the middle of a scan (the hash table halves and the skiplist is rebuilt
    // into smaller arrays): the survivors are all returned.
    const survivors = new Set<string>();
    cursor = 0;
    steps = 0;
    const before = zv.sl!;
    do {
      const cur = zv.sl!;
      cursor = cur.scanStep(cursor, (x) => {
        survivors.add(Buffer.from(cur.arena.subarray(cur.moff[x], cur.moff[x] + cur.mlen[x])).toString());
      });
      if (++steps === 300) zv.removeRangeByRank(10, 4999);
    } while (cursor !== 0);
    expect(zv.sl).not.toBe(before);
    for (let i = 0; i < 10; i++) expect(survivors.has(`k${i}`)).toBe(true);
  });

  it('an incremental hash resize: lookups, removals and scans stay exact while both tables are in use', () => {
    const zv = new ZsetValue(true);
    const name = (sl: NonNullable<typeof zv.sl>, x: number): string => Buffer.from(sl.arena.subarray(sl.moff[x], sl.moff[x] + sl.mlen[x])).toString();
    const add = (i: number): void => {
      const b = Buffer.from(`m${i}`);
      zv.add(b, 0, b.length, i % 97, 0, 128, 64);
    };
    const has = (i: number): boolean => {
      const b = Buffer.from(`m${i}`);
      return zv.find(b, 0, b.length) !== ZNIL;
    };
    for (let i = 0; i < 4097; i++) add(i);
    // 4,097 members passed the 4,096-bucket table: a resize is under way, a few buckets a write.
    const sl = zv.sl!;
    expect((sl as unknown as { oldBuckets: Int32Array | null }).oldBuckets).not.toBeNull();
    const stable = new Set<string>();
    for (let i = 0; i < 4097; i += 2) stable.add(`m${i}`);
    const found = new Set<string>();
    let cursor = 0;
    let next = 4097;
    do {
      cursor = sl.scanStep(cursor, (x) => found.add(name(sl, x)));
      // One insert and one removal (of an odd, unstable member) per scan step keep the resize going.
      add(next++);
      const gone = ((next * 2) % 4096) + 1;
      const b = Buffer.from(`m${gone}`);
      zv.remove(b, 0, b.length);
      expect(has(gone)).toBe(false);
    } while (cursor !== 0);
    for (const m of stable) expect(found.has(m)).toBe(true);
    for (let i = 0; i < next; i++) if (i % 2 === 0) expect(has(i)).toBe(true);
    sl.verify();
    // Removals shrink the table the same way, a few buckets a removal.
    for (let i = 0; i < next; i++) {
      const b = Buffer.from(`m${i}`);
      if (i % 50 !== 0) zv.remove(b, 0, b.length);
    }
    for (let i = 0; i < next; i += 50) expect(has(i)).toBe(true);
    zv.sl!.verify();
  });

  it('big columns grow from arrays prepared a slice per write: contents, order, ranks and the estimate stay exact', () => {
    const zv = new ZsetValue(true);
    const sl = zv.sl!;
    const reserves = sl as unknown as Record<'nodeReserve' | 'poolReserve' | 'arenaReserve', { next: unknown[] | null }>;
    const member = (i: number): Buffer => Buffer.from(`member-${i}-${'x'.repeat(i % 13)}`);
    const scoreOf = (i: number): number => ((i * 7919) % 100_003) / 7;
    let prepared = 0;
    let previous = zv.bytes();
    for (let i = 0; i < 300_000; i++) {
      const b = member(i);
      zv.add(b, 0, b.length, scoreOf(i), 0, 128, 64);
      // Removals along the way put nodes and level runs on the free lists and garbage in the arena.
      if (i % 5 === 4) {
        const r = member(i - 3);
        expect(zv.remove(r, 0, r.length)).toBe(true);
      }
      if (i % 10_000 === 0) {
        for (const k of ['nodeReserve', 'poolReserve', 'arenaReserve'] as const) if (reserves[k].next !== null) prepared++;
        // The estimate moves with the set and its prepared arrays, never by a column's whole size at once.
        const now = zv.bytes();
        expect(Math.abs(now - previous)).toBeLessThan(12 * 1024 * 1024);
        previous = now;
      }
    }
    expect(prepared).toBeGreaterThan(3);
    expect(sl.score.length).toBeGreaterThanOrEqual(240_000);
    sl.verify();
    for (let i = 0; i < 300_000; i++) {
      const b = member(i);
      const removed = i % 5 === 1;
      if (removed) expect(zv.find(b, 0, b.length)).toBe(ZNIL);
      else expect(zv.score(b, 0, b.length)).toBe(scoreOf(i));
    }
    expect(zv.size()).toBe(240_000);
  });

  it('memory estimate grows with the set and falls back after removals', () => {
    const zv = new ZsetValue(true);
    const empty = zv.bytes();
    for (let i = 0; i < 10000; i++) {
      const b = Buffer.from(`member-${i}`);
      zv.add(b, 0, b.length, i, 0, 128, 64);
    }
    const full = zv.bytes();
    expect(full).toBeGreaterThan(empty + 10000 * 20);
    // Well under what a JS Map of strings plus node objects would cost (~150 bytes/member).
    expect(full / 10000).toBeLessThan(110);
    zv.removeRangeByRank(0, 9989);
    const b = Buffer.from('again');
    zv.add(b, 0, b.length, 1, 0, 128, 64);
    zv.sl!.verify();
    expect(zv.size()).toBe(11);
  });
});
