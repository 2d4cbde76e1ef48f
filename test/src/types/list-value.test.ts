/*
 * ListValue against a plain array model: random operation sequences (fast-check) on lists with
 * small and default node sizes, with element lengths around every entry-encoding boundary
 * (127/128, 16383/16384 bytes) and the small-form limit, checking contents, forward and
 * backward cursors, structural invariants and the memory estimate after every step.
 */
import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { ListValue, ListCursor, ElementRef, NODE_BYTES, SMALL_BYTES } from '../../../src/types/list-value.ts';

function bytesOf(seed: number, len: number): Buffer {
  const b = Buffer.allocUnsafe(len);
  for (let i = 0; i < len; i++) b[i] = (seed * 31 + i * 7) & 0xff;
  return b;
}

const lengthArb = fc.oneof(
  { weight: 12, arbitrary: fc.integer({ min: 0, max: 12 }) },
  { weight: 3, arbitrary: fc.constantFrom(126, 127, 128, 129, 300) },
  { weight: 2, arbitrary: fc.integer({ min: 200, max: 3000 }) },
  { weight: 1, arbitrary: fc.constantFrom(16383, 16384, 20000) },
);
// Few distinct seeds for short elements, so LREM / LPOS-style matches happen.
const elementArb = fc.tuple(fc.integer({ min: 0, max: 3 }), lengthArb).map(([seed, len]) => bytesOf(seed, len));

type Op =
  | { op: 'pushHead' | 'pushTail'; el: Buffer }
  | { op: 'pushMany'; head: boolean; els: Buffer[] }
  | { op: 'trimHead' | 'trimTail'; k: number }
  | { op: 'insert' | 'set'; at: number; el: Buffer }
  | { op: 'remove'; at: number }
  | { op: 'rem'; el: Buffer; limit: number; fromTail: boolean }
  | { op: 'clone' };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ op: fc.constantFrom('pushHead' as const, 'pushTail' as const), el: elementArb }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('pushMany' as const), head: fc.boolean(), els: fc.array(elementArb, { maxLength: 20 }) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constantFrom('trimHead' as const, 'trimTail' as const), k: fc.integer({ min: 0, max: 30 }) }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constantFrom('insert' as const, 'set' as const), at: fc.nat(), el: elementArb }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('remove' as const), at: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('rem' as const), el: elementArb, limit: fc.integer({ min: 0, max: 4 }), fromTail: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('clone' as const) }) },
);

function apply(list: ListValue, model: Buffer[], o: Op): ListValue {
  switch (o.op) {
    case 'pushHead':
      list.pushHead(o.el, 0, o.el.length);
      model.unshift(o.el);
      break;
    case 'pushTail':
      list.pushTail(o.el, 0, o.el.length);
      model.push(o.el);
      break;
    case 'pushMany': {
      const all = Buffer.concat(o.els);
      const offs = new Int32Array(o.els.length);
      const lens = new Int32Array(o.els.length);
      let p = 0;
      o.els.forEach((e, i) => {
        offs[i] = p;
        lens[i] = e.length;
        p += e.length;
      });
      list.pushMany(o.head, all, offs, lens, 0, o.els.length);
      for (const e of o.els) {
        if (o.head) model.unshift(e);
        else model.push(e);
      }
      break;
    }
    case 'trimHead': {
      const k = Math.min(o.k, model.length);
      list.trimHead(k);
      model.splice(0, k);
      break;
    }
    case 'trimTail': {
      const k = Math.min(o.k, model.length);
      list.trimTail(k);
      model.splice(model.length - k, k);
      break;
    }
    case 'insert': {
      const at = o.at % (model.length + 1);
      list.insertAt(at, o.el, 0, o.el.length);
      model.splice(at, 0, o.el);
      break;
    }
    case 'set': {
      if (model.length === 0) break;
      const at = o.at % model.length;
      list.setAt(at, o.el, 0, o.el.length);
      model[at] = o.el;
      break;
    }
    case 'remove': {
      if (model.length === 0) break;
      const at = o.at % model.length;
      list.removeAt(at);
      model.splice(at, 1);
      break;
    }
    case 'rem': {
      const removed = list.removeMatches(o.el, 0, o.el.length, o.limit, o.fromTail);
      let expected = 0;
      const idx: number[] = [];
      model.forEach((e, i) => {
        if (e.equals(o.el)) idx.push(i);
      });
      const pick = o.limit === 0 ? idx : o.fromTail ? idx.slice(-o.limit) : idx.slice(0, o.limit);
      expected = pick.length;
      for (let i = pick.length - 1; i >= 0; i--) model.splice(pick[i], 1);
      expect(removed).toBe(expected);
      break;
    }
    case 'clone':
      return list.clone();
  }
  return list;
}

function check(list: ListValue, model: Buffer[]): void {
  expect(list.checkInvariants()).toBeNull();
  expect(list.length).toBe(model.length);
  expect(list.toArray().map((b) => b.toString('hex'))).toEqual(model.map((b) => b.toString('hex')));
  if (model.length === 0) return;
  // Backward from the tail.
  const c = new ListCursor();
  c.seek(list, model.length - 1);
  const back: string[] = [Buffer.from(c.buf.subarray(c.off, c.off + c.len)).toString('hex')];
  while (c.prev()) back.push(Buffer.from(c.buf.subarray(c.off, c.off + c.len)).toString('hex'));
  expect(back).toEqual(model.map((b) => b.toString('hex')).reverse());
  // Random access at a few indexes.
  const ref = new ElementRef();
  for (const i of [0, model.length >> 1, model.length - 1]) {
    list.peekAt(i, ref);
    expect(Buffer.from(ref.buf.subarray(ref.off, ref.off + ref.len)).equals(model[i])).toBe(true);
  }
}

describe('ListValue against an array model', () => {
  for (const nodeBytes of [48, 300, NODE_BYTES]) {
    it(`random operation sequences, ${nodeBytes}-byte nodes`, () => {
      fc.assert(
        fc.property(fc.array(opArb, { maxLength: 60 }), (ops) => {
          let list = new ListValue(nodeBytes);
          const model: Buffer[] = [];
          for (const o of ops) {
            list = apply(list, model, o);
            check(list, model);
          }
        }),
        { numRuns: nodeBytes === NODE_BYTES ? 300 : 200 },
      );
    });
  }

  it('a small list is packed; it unpacks past SMALL_BYTES and packs again when it shrinks', () => {
    const list = new ListValue();
    const el = Buffer.alloc(10, 1);
    for (let i = 0; i < 5; i++) list.pushTail(el, 0, el.length);
    expect(list.small).toBe(true);
    while (list.small) list.pushTail(el, 0, el.length);
    expect(list.length).toBe(Math.floor(SMALL_BYTES / 12) + 1);
    expect(list.checkInvariants()).toBeNull();
    list.trimHead(list.length - 3);
    expect(list.small).toBe(true);
    expect(list.checkInvariants()).toBeNull();
  });

  it('pushes and pops at both ends of a big list in O(1): no node holds more than one node of entries', () => {
    const list = new ListValue();
    const el = Buffer.alloc(20, 7);
    for (let i = 0; i < 100_000; i++) {
      if (i & 1) list.pushHead(el, 0, el.length);
      else list.pushTail(el, 0, el.length);
    }
    expect(list.length).toBe(100_000);
    expect(list.nodeCount).toBeGreaterThan(100_000 * 22 / NODE_BYTES);
    expect(list.checkInvariants()).toBeNull();
    // Memory estimate near the entry bytes (22 per element) plus node overheads.
    expect(list.bytes / list.length).toBeLessThan(30);
    for (let i = 0; i < 99_990; i++) {
      if (i & 1) list.popHead();
      else list.popTail();
    }
    expect(list.length).toBe(10);
    expect(list.checkInvariants()).toBeNull();
  });
});
