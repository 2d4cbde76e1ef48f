/*
 * The hash and set data structures against plain Map / Set models: random operation sequences
 * (fast-check) across every encoding and conversion, with the ByteTable's incremental
 * rehashing, compaction and SCAN guarantee (every element present for a whole scan is
 * returned, while the table grows and shrinks under it) checked directly.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ByteTable, hashBytes } from '../../../src/types/byte-table.ts';
import { HashValue, HashEntry } from '../../../src/types/hash-value.ts';
import { SetValue, SetKind } from '../../../src/types/set-value.ts';
import { IntSet, toPair, pair, fromPair } from '../../../src/types/int-set.ts';
import * as packed from '../../../src/types/packed.ts';
import { ElementBytes } from '../../../src/types/packed.ts';

const b = (s: string): Buffer => Buffer.from(s, 'latin1');
const text = (e: ElementBytes): string => Buffer.from(e.buf.subarray(e.off, e.off + e.len)).toString('latin1');

function hashContents(hv: HashValue): Map<string, string> {
  const out = new Map<string, string>();
  const e = new HashEntry();
  for (let h = hv.first(); h >= 0; h = hv.next(h)) {
    hv.readEntry(h, e);
    const f = text(e.field);
    expect(out.has(f), `duplicate field ${JSON.stringify(f)}`).toBe(false);
    out.set(f, text(e.value));
  }
  return out;
}

function setContents(sv: SetValue): string[] {
  const out: string[] = [];
  const e = new ElementBytes();
  for (let h = sv.first(); h >= 0; h = sv.next(h)) {
    sv.read(h, e);
    out.push(text(e));
  }
  return out;
}

const keyOut = new ElementBytes();
function keyOf(t: ByteTable, id: number): string {
  t.readKey(id, keyOut);
  return text(keyOut);
}

function tableKeys(t: ByteTable): string[] {
  const out: string[] = [];
  for (let id = 0; id < t.count; id++) out.push(keyOf(t, id));
  return out.sort();
}

describe('packed strings', () => {
  it('round-trip elements of any length and byte', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 20 }), (elements) => {
        let s = '';
        for (const e of elements) s = packed.append(s, e, 0, e.length, null, 0, 0);
        let p = 0;
        const out = new ElementBytes();
        for (const e of elements) {
          expect(packed.find(s, elements.length, 1, e, 0, e.length)).toBeGreaterThanOrEqual(0);
          const len = packed.copyOut(s, p, out);
          expect(Buffer.from(out.buf.subarray(0, len)).equals(Buffer.from(e))).toBe(true);
          p = packed.skip(s, p);
        }
        expect(p).toBe(s.length);
      }),
    );
  });
});

describe('IntSet', () => {
  it('keeps int64 members sorted and unique', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.boolean(), fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n })), { maxLength: 200 }), (ops) => {
        const set = new IntSet();
        const model = new Set<bigint>();
        for (const [add, v] of ops) {
          toPair(v);
          if (add) expect(set.add(pair.hi, pair.lo)).toBe(!model.has(v));
          else expect(set.remove(pair.hi, pair.lo)).toBe(model.has(v));
          if (add) model.add(v);
          else model.delete(v);
        }
        const got: bigint[] = [];
        for (let i = 0; i < set.count; i++) got.push(BigInt(set.get(i)));
        expect(got).toEqual([...model].sort((x, y) => (x < y ? -1 : x > y ? 1 : 0)));
      }),
    );
  });

  it('splits numbers and bigints the same way', () => {
    for (const v of [0, 1, -1, 4294967295, 4294967296, -4294967296, 2 ** 53 - 1, -(2 ** 53 - 1)]) {
      toPair(v);
      const a = { ...pair };
      toPair(BigInt(v));
      expect(pair).toEqual(a);
      expect(fromPair(a.hi, a.lo)).toBe(v);
    }
    toPair(-(2n ** 63n));
    expect(fromPair(pair.hi, pair.lo)).toBe(-(2n ** 63n));
  });
});

describe('ByteTable', () => {
  it('agrees with a Map through growth, incremental rehashing, shrinking and compaction', () => {
    const t = new ByteTable(true);
    const model = new Map<string, string>();
    let seed = 1;
    const rnd = (n: number): number => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed % n;
    };
    let peak = 0;
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < 20000; i++) {
        const k = `k${rnd(30000)}`;
        const v = 'v'.repeat(rnd(40));
        const kb = b(k);
        const h = hashBytes(kb, 0, kb.length);
        const id = t.find(kb, 0, kb.length, h);
        expect(id >= 0).toBe(model.has(k));
        if (id >= 0) t.setValue(id, b(v), 0, v.length);
        else t.insert(kb, 0, kb.length, h, b(v), 0, v.length);
        model.set(k, v);
      }
      expect(t.count).toBe(model.size);
      peak = Math.max(peak, t.memoryBytes());
      for (const k of [...model.keys()]) {
        if (rnd(10) < 9) {
          const kb = b(k);
          expect(t.remove(kb, 0, kb.length, hashBytes(kb, 0, kb.length))).toBe(true);
          model.delete(k);
        }
      }
      expect(t.count).toBe(model.size);
      t.checkInvariants();
      expect(tableKeys(t)).toEqual([...model.keys()].sort());
      for (const [k, v] of model) {
        const kb = b(k);
        const id = t.find(kb, 0, kb.length, hashBytes(kb, 0, kb.length));
        expect(id).toBeGreaterThanOrEqual(0);
        const out = new ElementBytes();
        t.readValue(id, out);
        expect(text(out)).toBe(v);
      }
    }
    // Memory follows the live contents back down.
    const keys = [...model.keys()];
    for (let i = 0; i < keys.length; i++) {
      const kb = b(keys[i]!);
      t.remove(kb, 0, kb.length, hashBytes(kb, 0, kb.length));
      if (i % 997 === 0) t.checkInvariants();
    }
    expect(t.count).toBe(0);
    t.checkInvariants();
    expect(t.memoryBytes()).toBeLessThan(peak / 4);
  });

  it('releases arena pages as values are rewritten and entries deleted (incremental evacuation)', () => {
    const t = new ByteTable(true);
    const n = 50_000;
    const key = (i: number): Buffer => b(`key:${i}`);
    for (let i = 0; i < n; i++) {
      const k = key(i);
      t.insert(k, 0, k.length, hashBytes(k, 0, k.length), b('x'.repeat(20)), 0, 20);
    }
    const full = t.memoryBytes();
    // Growing rewrites move entries; every other key deleted leaves half-empty pages behind.
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < n; i++) {
        const k = key(i);
        const id = t.find(k, 0, k.length, hashBytes(k, 0, k.length));
        if (id >= 0) t.setValue(id, b('y'.repeat(21 + round)), 0, 21 + round);
      }
    }
    for (let i = 0; i < n; i += 2) {
      const k = key(i);
      t.remove(k, 0, k.length, hashBytes(k, 0, k.length));
    }
    // A few more writes let the sweep finish.
    for (let i = 1; i < n; i += 2) {
      const k = key(i);
      const id = t.find(k, 0, k.length, hashBytes(k, 0, k.length));
      t.setValue(id, b('z'), 0, 1);
    }
    t.checkInvariants();
    expect(t.count).toBe(n / 2);
    expect(t.memoryBytes()).toBeLessThan(full);
    for (let i = 1; i < n; i += 2000) {
      const k = key(i);
      const id = t.find(k, 0, k.length, hashBytes(k, 0, k.length));
      const out = new ElementBytes();
      t.readValue(id, out);
      expect(text(out)).toBe('z');
    }
  });

  it('keeps elements bigger than a page intact across rewrites and deletes', () => {
    const t = new ByteTable(true);
    const big = (i: number): Buffer => Buffer.alloc(20_000 + i, i & 255);
    for (let i = 0; i < 50; i++) {
      const k = b(`k${i}`);
      const v = big(i);
      t.insert(k, 0, k.length, hashBytes(k, 0, k.length), v, 0, v.length);
    }
    for (let i = 0; i < 50; i += 3) {
      const k = b(`k${i}`);
      t.remove(k, 0, k.length, hashBytes(k, 0, k.length));
    }
    t.checkInvariants();
    const out = new ElementBytes();
    for (let i = 1; i < 50; i += 3) {
      const k = b(`k${i}`);
      t.readValue(t.find(k, 0, k.length, hashBytes(k, 0, k.length)), out);
      expect(Buffer.from(out.buf.subarray(out.off, out.off + out.len)).equals(big(i))).toBe(true);
    }
  });

  it('SCAN returns every element present for the whole scan while the table is resized', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 3000 }), fc.integer({ min: 1, max: 50 }), fc.integer({ min: -2000, max: 4000 }), (initial, perStep, churn) => {
        const t = new ByteTable(false);
        const add = (k: string): void => {
          const kb = b(k);
          const h = hashBytes(kb, 0, kb.length);
          if (t.find(kb, 0, kb.length, h) < 0) t.insert(kb, 0, kb.length, h, null, 0, 0);
        };
        const del = (k: string): void => {
          const kb = b(k);
          t.remove(kb, 0, kb.length, hashBytes(kb, 0, kb.length));
        };
        for (let i = 0; i < initial; i++) add(`stable${i}`);
        for (let i = 0; i < Math.max(0, -churn); i++) add(`temp${i}`);
        const seen = new Set<string>();
        let cursor = 0;
        let step = 0;
        do {
          cursor = t.scanStep(cursor, (id) => {
            seen.add(keyOf(t, id));
          });
          // Churn between steps: grow (churn > 0) or shrink (churn < 0) the table.
          for (let i = 0; i < perStep; i++) {
            const n = step * perStep + i;
            if (churn > 0 && n < churn) add(`new${n}`);
            if (churn < 0 && n < -churn) del(`temp${n}`);
          }
          step++;
        } while (cursor !== 0 && step < 1_000_000);
        for (let i = 0; i < initial; i++) expect(seen.has(`stable${i}`)).toBe(true);
      }),
      { numRuns: 60 },
    );
  });

  it('random picks reach every element', () => {
    const t = new ByteTable(false);
    for (let i = 0; i < 50; i++) {
      const kb = b(`m${i}`);
      t.insert(kb, 0, kb.length, hashBytes(kb, 0, kb.length), null, 0, 0);
    }
    const hits = new Set<number>();
    for (let i = 0; i < 5000; i++) hits.add(t.randomId());
    expect(hits.size).toBe(50);
  });
});

const fieldArb = fc.oneof(
  fc.constantFrom('a', 'b', 'c', '', '\x00', '\xff\xfe', 'f\r\n'),
  fc.string({ maxLength: 3, unit: 'binary-ascii' }),
  fc.integer({ min: 0, max: 300 }).map((n) => `f${n}`),
  fc.integer({ min: 60, max: 80 }).map((n) => 'L'.repeat(n)),
);
const valueArb = fc.oneof(fc.string({ maxLength: 10, unit: 'binary-ascii' }), fc.integer({ min: 60, max: 200 }).map((n) => 'V'.repeat(n)));

describe('HashValue', () => {
  it('agrees with a Map in both encodings, keeping listpack insertion order', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.constantFrom('set', 'set', 'del'), fieldArb, valueArb), { maxLength: 400 }),
        fc.constantFrom(4, 16, 128),
        fc.constantFrom(8, 64),
        (ops, maxEntries, maxValue) => {
          const hv = new HashValue();
          const model = new Map<string, string>();
          let wasTable = false;
          for (const [op, f, v] of ops) {
            if (op === 'set') {
              expect(hv.set(b(f), 0, f.length, b(v), 0, v.length, maxEntries, maxValue)).toBe(!model.has(f));
              model.set(f, v);
            } else {
              expect(hv.remove(b(f), 0, f.length)).toBe(model.delete(f));
            }
            expect(hv.size()).toBe(model.size);
            if (wasTable) expect(hv.encodingName()).toBe('hashtable');
            wasTable = hv.encodingName() === 'hashtable';
            if (!wasTable) {
              expect(model.size).toBeLessThanOrEqual(maxEntries);
              // A listpack iterates in insertion order, as the Map does.
              expect([...hashContents(hv)]).toEqual([...model]);
            }
          }
          expect(new Map([...hashContents(hv)].sort())).toEqual(new Map([...model].sort()));
          const copy = hv.clone();
          hv.set(b('after-clone'), 0, 11, b('x'), 0, 1, maxEntries, maxValue);
          expect(copy.size()).toBe(model.size);
        },
      ),
      { numRuns: 200 },
    );
  });
});

const memberArb = fc.oneof(
  fc.integer({ min: -50, max: 50 }).map(String),
  fc.bigInt({ min: -(2n ** 64n), max: 2n ** 64n }).map(String),
  fc.constantFrom('-0', '01', '+1', ' 1', '', 'a', '\x00', '\xff'),
  fc.integer({ min: 0, max: 400 }).map((n) => `m${n}`),
  fc.integer({ min: 60, max: 70 }).map((n) => 'L'.repeat(n)),
);

function isIntMember(s: string): boolean {
  return /^(0|-?[1-9][0-9]*)$/.test(s) && BigInt(s) >= -(2n ** 63n) && BigInt(s) < 2n ** 63n;
}

describe('SetValue', () => {
  it('agrees with a Set; intset while Redis would keep one, ascending', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.constantFrom('add', 'add', 'rem', 'pop'), memberArb), { maxLength: 400 }), fc.constantFrom(4, 512), (ops, maxIntset) => {
        const sv = new SetValue();
        const model = new Set<string>();
        let intset = true;
        for (const [op, m] of ops) {
          if (op === 'add') {
            expect(sv.add(b(m), 0, m.length, maxIntset)).toBe(!model.has(m));
            model.add(m);
            if (!isIntMember(m) || model.size > maxIntset) intset = false;
          } else if (op === 'rem') {
            expect(sv.remove(b(m), 0, m.length)).toBe(model.delete(m));
          } else if (model.size > 0) {
            if (sv.kind === SetKind.PACKED) sv.allHandles();
            const h = sv.randomHandle();
            const e = new ElementBytes();
            sv.read(h, e);
            expect(model.delete(text(e))).toBe(true);
            sv.removeHandle(h);
          }
          expect(sv.size()).toBe(model.size);
          expect(sv.encodingName()).toBe(intset ? 'intset' : 'hashtable');
          for (const x of [m, '7', 'zz']) expect(sv.has(b(x), 0, x.length)).toBe(model.has(x));
        }
        const got = setContents(sv);
        if (intset) expect(got).toEqual([...model].sort((x, y) => (BigInt(x) < BigInt(y) ? -1 : BigInt(x) > BigInt(y) ? 1 : 0)));
        else expect(got.sort()).toEqual([...model].sort());
      }),
      { numRuns: 200 },
    );
  });
});
