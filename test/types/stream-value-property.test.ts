/*
 * StreamValue's packed nodes against a plain array model (fast-check): random sequences of
 * XADD-like appends (IDs from consecutive sequence numbers to jumps near 2^64, where the
 * varint deltas outgrow 2^53; shared and unshared fields, empty and long values), deletions
 * (XDEL), exact and approximate MAXLEN / MINID trims with and without a LIMIT, under small and
 * Redis-default node limits. After every step the stream's length matches the model; ranges
 * read forwards (lowerBound, nextLive) and backwards (prevLive), ID comparisons (compareAt),
 * ID lookups (hasEntry), the first live entry and a clone read the same as the model's.
 */
import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { StreamValue, EntryCursor, U64_MAX } from '../../src/types/stream-value.ts';

interface Entry {
  ms: bigint;
  seq: bigint;
  elements: string[];
}

type Op =
  | { t: 'add'; step: number; fields: number; same: boolean; value: string }
  | { t: 'del'; pick: number; miss: boolean }
  | { t: 'trim'; byLen: boolean; keep: number; pick: number; approx: boolean; limit: number }
  | { t: 'range'; from: number; to: number; rev: boolean }
  | { t: 'find'; pick: number };

const valueArb = fc.oneof(
  fc.constantFrom('', 'v', '0', '-1', '12345678901234567890', 'x'.repeat(200)),
  fc.string({ maxLength: 20 }),
);

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ t: fc.constant('add' as const), step: fc.nat(9), fields: fc.integer({ min: 1, max: 3 }), same: fc.boolean(), value: valueArb }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('del' as const), pick: fc.nat(), miss: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('trim' as const), byLen: fc.boolean(), keep: fc.nat(40), pick: fc.nat(), approx: fc.boolean(), limit: fc.constantFrom(0, 0, 1, 5, 100) }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('range' as const), from: fc.nat(), to: fc.nat(), rev: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('find' as const), pick: fc.nat() }) },
);

/** The next ID after (ms, seq) for an `add` step: 0-2 within the ms, 3-5 a new ms, 6-9 jumps toward 2^64. */
function nextId(ms: bigint, seq: bigint, step: number): [bigint, bigint] | null {
  const big = [1n << 53n, (1n << 63n) + 7n, U64_MAX - 3n, U64_MAX];
  if (step <= 2) return seq + BigInt(step) + 1n > U64_MAX ? null : [ms, seq + BigInt(step) + 1n];
  if (step <= 5) return ms + BigInt(step) > U64_MAX ? null : [ms + BigInt(step - 2), BigInt(step - 3)];
  const jump = big[step - 6];
  if (step % 2 === 0) return ms < jump ? [jump, 0n] : seq < jump ? [ms, jump] : null;
  return ms < jump ? [jump, jump] : null;
}

function args(elements: string[]): { buf: Buffer; offs: Int32Array; lens: Int32Array } {
  const parts = elements.map((e) => Buffer.from(e, 'latin1'));
  const offs = new Int32Array(parts.length);
  const lens = new Int32Array(parts.length);
  let p = 0;
  parts.forEach((b, i) => {
    offs[i] = p;
    lens[i] = b.length;
    p += b.length;
  });
  return { buf: Buffer.concat(parts), offs, lens };
}

const cursor = new EntryCursor();

function read(s: StreamValue, slot: number): Entry {
  const n = cursor.start(s, slot);
  const elements: string[] = [];
  for (let j = 0; j < n; j++) {
    cursor.next();
    elements.push(Buffer.from(cursor.buf.subarray(cursor.off, cursor.off + cursor.len)).toString('latin1'));
  }
  return { ms: s.msAt(slot), seq: s.seqAt(slot), elements };
}

function cmp(a: Entry, ms: bigint, seq: bigint): number {
  return a.ms !== ms ? (a.ms < ms ? -1 : 1) : a.seq !== seq ? (a.seq < seq ? -1 : 1) : 0;
}

function check(s: StreamValue, model: Entry[]): void {
  expect(s.length).toBe(model.length);
  expect(s.liveEntries()).toBe(model.length);
  const all: Entry[] = [];
  for (let slot = s.nextLive(0); slot < s.tail; slot = s.nextLive(slot + 1)) all.push(read(s, slot));
  expect(all).toEqual(model);
  if (model.length > 0) expect([s.firstMs, s.firstSeq]).toEqual([model[0].ms, model[0].seq]);
}

function run(ops: Op[], maxBytes: number, maxEntries: number): void {
  const s = new StreamValue();
  let model: Entry[] = [];
  let ms = 0n;
  let seq = 0n;
  let fieldNames = ['f'];
  for (const op of ops) {
    if (op.t === 'add') {
      const id = nextId(ms, seq, op.step);
      if (id === null) continue;
      [ms, seq] = id;
      if (!op.same) fieldNames = ['f', 'name', 'temperature'].slice(0, op.fields).map((f) => f + String(op.step));
      const elements = fieldNames.flatMap((f, i) => [f, op.value + String(i)]);
      const a = args(elements);
      s.append(ms, seq, a.buf, a.offs, a.lens, 0, elements.length, maxBytes, maxEntries);
      model.push({ ms, seq, elements });
    } else if (op.t === 'del') {
      if (op.miss || model.length === 0) {
        // An ID above the last added one is never there.
        if (seq < U64_MAX) expect(s.deleteId(ms, seq + 1n)).toBe(false);
        continue;
      }
      const victim = model[op.pick % model.length];
      expect(s.deleteId(victim.ms, victim.seq)).toBe(true);
      model = model.filter((e) => e !== victim);
      s.afterDelete(true);
      expect(s.deleteId(victim.ms, victim.seq)).toBe(false);
    } else if (op.t === 'trim') {
      const before = model.length;
      if (op.byLen) {
        const removed = s.trim(op.keep, 0n, 0n, op.approx, op.limit);
        expect(removed).toBe(before - s.length);
        if (!op.approx && op.limit === 0) expect(s.length).toBe(Math.min(op.keep, before));
        else expect(s.length).toBeGreaterThanOrEqual(Math.min(op.keep, before));
        model = model.slice(before - s.length);
      } else if (model.length > 0) {
        const pivot = model[op.pick % model.length];
        const removed = s.trim(-1, pivot.ms, pivot.seq, op.approx, op.limit);
        expect(removed).toBe(before - s.length);
        model = model.slice(before - s.length);
        // Only entries below the pivot go (a prefix), all of them unless approximate or limited.
        expect(model.includes(pivot)).toBe(true);
        if (!op.approx && op.limit === 0) expect(model[0]).toBe(pivot);
      }
    } else if (op.t === 'range') {
      if (model.length === 0) continue;
      const a = model[op.from % model.length];
      const b = model[op.to % model.length];
      const [lo, hi] = cmp(a, b.ms, b.seq) <= 0 ? [a, b] : [b, a];
      const want = model.filter((e) => cmp(e, lo.ms, lo.seq) >= 0 && cmp(e, hi.ms, hi.seq) <= 0);
      const got: Entry[] = [];
      if (!op.rev) {
        for (let slot = s.nextLive(s.lowerBound(lo.ms, lo.seq)); slot < s.tail; slot = s.nextLive(slot + 1)) {
          const e = read(s, slot);
          expect(Math.sign(s.compareAt(slot, hi.ms, hi.seq)) + 0).toBe(cmp(e, hi.ms, hi.seq));
          expect(Math.sign(s.compareAt(slot, lo.ms, lo.seq)) + 0).toBe(cmp(e, lo.ms, lo.seq));
          if (cmp(e, hi.ms, hi.seq) > 0) break;
          got.push(e);
        }
      } else {
        const after = hi.seq === U64_MAX ? (hi.ms === U64_MAX ? s.tail : s.lowerBound(hi.ms + 1n, 0n)) : s.lowerBound(hi.ms, hi.seq + 1n);
        for (let slot = s.prevLive(after - 1); slot >= 0; slot = s.prevLive(slot - 1)) {
          const e = read(s, slot);
          expect(Math.sign(s.compareAt(slot, lo.ms, lo.seq)) + 0).toBe(cmp(e, lo.ms, lo.seq));
          if (cmp(e, lo.ms, lo.seq) < 0) break;
          got.unshift(e);
        }
      }
      expect(got).toEqual(want);
    } else {
      if (model.length === 0) continue;
      const e = model[op.pick % model.length];
      const slot = s.hasEntry(e.ms, e.seq);
      expect(slot).toBeGreaterThanOrEqual(0);
      expect(read(s, slot)).toEqual(e);
    }
    expect(s.length).toBe(model.length);
  }
  check(s, model);
  const copy = s.clone();
  check(copy, model);
  copy.trim(0, 0n, 0n, false, 0);
  check(s, model);
}

describe('StreamValue (property)', () => {
  it('matches an array model over random appends, deletions, trims and ranges (small nodes)', () => {
    fc.assert(fc.property(fc.array(opArb, { maxLength: 150 }), fc.constantFrom(3, 4, 7), fc.constantFrom(64, 200, 4096), (ops, maxEntries, maxBytes) => run(ops, maxBytes, maxEntries)), { numRuns: 300 });
  });

  it('matches an array model with Redis default node limits and unlimited nodes', () => {
    fc.assert(fc.property(fc.array(opArb, { maxLength: 400 }), fc.constantFrom(0, 100), (ops, maxEntries) => run(ops, maxEntries === 0 ? 0 : 4096, maxEntries)), { numRuns: 60 });
  });
});
