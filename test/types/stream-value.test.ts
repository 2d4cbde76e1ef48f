/*
 * StreamValue against a plain model, over random workloads: appends of entries sharing their
 * node's fields or not (the SAMEFIELDS packing), binary and long values, XDEL of any entry
 * (freeing emptied nodes in the middle), exact and approximate MAXLEN / MINID trims, small
 * node limits, and the compactions these cause. After every step the live entries read back
 * (IDs and every field and value) equal the model's, in order, and length matches.
 */
import { describe, it, expect } from 'vitest';
import { StreamValue, EntryCursor } from '../../src/types/stream-value.ts';
import { rng } from '../helpers/prng.ts';

interface ModelEntry {
  id: bigint;
  elements: Buffer[];
}

function readAll(s: StreamValue): ModelEntry[] {
  const out: ModelEntry[] = [];
  const cur = new EntryCursor();
  for (let slot = s.nextLive(0); slot < s.tail; slot = s.nextLive(slot + 1)) {
    const n = cur.start(s, slot);
    const elements: Buffer[] = [];
    for (let j = 0; j < n; j++) {
      cur.next();
      elements.push(Buffer.from(cur.buf.subarray(cur.off, cur.off + cur.len)));
    }
    out.push({ id: (s.msAt(slot) << 32n) | s.seqAt(slot), elements });
  }
  return out;
}

function append(s: StreamValue, id: bigint, elements: Buffer[], maxBytes: number, maxEntries: number): void {
  const buf = Buffer.concat(elements);
  const offs = new Int32Array(elements.length);
  const lens = new Int32Array(elements.length);
  let p = 0;
  elements.forEach((e, i) => {
    offs[i] = p;
    lens[i] = e.length;
    p += e.length;
  });
  s.append(id >> 32n, id & 0xffffffffn, buf, offs, lens, 0, elements.length, maxBytes, maxEntries);
}

describe('StreamValue', () => {
  it('rewrites its pages when nodes freed out of order leave them mostly empty, and reads the same', () => {
    const s = new StreamValue();
    let model: ModelEntry[] = [];
    for (let i = 0; i < 3000; i++) {
      const elements = [Buffer.from('field'), Buffer.alloc(100, i & 0xff)];
      const id = (BigInt(i + 1) << 32n) | 0n;
      append(s, id, elements, 4096, 10);
      model.push({ id, elements });
    }
    const full = s.bytes;
    // Every entry of three nodes in four (10 entries each): no page empties, 3/4 of their bytes go.
    const gone = model.filter((_, i) => Math.floor(i / 10) % 4 !== 0);
    for (const e of gone) expect(s.deleteId(e.id >> 32n, e.id & 0xffffffffn)).toBe(true);
    model = model.filter((_, i) => Math.floor(i / 10) % 4 === 0);
    expect(s.nodeCount).toBe(75);
    expect(readAll(s)).toEqual(model);
    expect(s.bytes).toBeLessThan(full * 0.5);
    // Appending after it reopens nothing and keeps reading right.
    const more = { id: 5000n << 32n, elements: [Buffer.from('field'), Buffer.from('v')] };
    append(s, more.id, more.elements, 4096, 10);
    model.push(more);
    expect(readAll(s)).toEqual(model);
  });

  for (const seed of [1, 2, 3, 4, 5, 6]) {
    it(`matches a model over a random workload (seed ${seed})`, () => {
      const rand = rng(seed);
      const maxEntries = seed % 2 === 0 ? 4 : 100;
      const maxBytes = seed % 3 === 0 ? 200 : 4096;
      const s = new StreamValue();
      let model: ModelEntry[] = [];
      let next = 1n;
      const fieldSets = [['f'], ['a', 'b'], ['a', 'c'], ['temp', 'host', 'region']];
      for (let step = 0; step < 2000; step++) {
        const r = rand();
        if (r < 0.7) {
          const fields = fieldSets[Math.floor(rand() * fieldSets.length)];
          const elements: Buffer[] = [];
          for (const f of fields) {
            elements.push(Buffer.from(f));
            const big = rand() < 0.02;
            const v = big ? Buffer.alloc(300 + Math.floor(rand() * 3000), step & 0xff) : Buffer.from(`v${step}\x00${Math.floor(rand() * 1000)}`);
            elements.push(v);
          }
          const id = (next << 32n) | BigInt(Math.floor(rand() * 3));
          next += 1n + BigInt(Math.floor(rand() * 3));
          append(s, id, elements, maxBytes, maxEntries);
          model.push({ id, elements });
        } else if (r < 0.85 && model.length > 0) {
          const victim = model[Math.floor(rand() * model.length)];
          expect(s.deleteId(victim.id >> 32n, victim.id & 0xffffffffn)).toBe(true);
          model = model.filter((e) => e !== victim);
          expect(s.deleteId(victim.id >> 32n, victim.id & 0xffffffffn)).toBe(false);
        } else if (r < 0.92) {
          const keep = Math.floor(rand() * (model.length + 5));
          const approx = rand() < 0.5;
          const removed = s.trim(keep, 0n, 0n, approx, approx ? 10000 : 0);
          if (approx) {
            expect(s.length).toBeGreaterThanOrEqual(Math.min(keep, model.length));
            model = model.slice(model.length - s.length);
          } else {
            const drop = Math.max(0, model.length - keep);
            expect(removed).toBe(drop);
            model = model.slice(drop);
          }
        } else if (model.length > 0) {
          const pivot = model[Math.floor(rand() * model.length)].id;
          const approx = rand() < 0.5;
          s.trim(-1, pivot >> 32n, pivot & 0xffffffffn, approx, approx ? 10000 : 0);
          if (approx) model = model.slice(model.length - s.length);
          else model = model.filter((e) => e.id >= pivot);
        }
        expect(s.length).toBe(model.length);
        if (step % 100 === 0 || step > 1980) expect(readAll(s)).toEqual(model);
      }
      // A copy reads the same and is independent.
      const copy = s.clone();
      expect(readAll(copy)).toEqual(model);
      copy.trim(0, 0n, 0n, false, 0);
      expect(readAll(s)).toEqual(model);
    });
  }
});
