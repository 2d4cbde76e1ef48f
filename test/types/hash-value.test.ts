/*
 * HashValue's packed form against a model: random sets and removes of binary fields and values,
 * with the packed bytes stored away and viewed again between edits (as the store keeps them in
 * a key's chunk), through every conversion: listpack -> hashtable kept packed -> ByteTable.
 * The model is a Map (insertion order is listpack order; an update keeps its place).
 */
import { describe, it, expect } from 'vitest';
import { HashValue, HashEntry, viewPacked, newPackedHash } from '../../src/types/hash-value.ts';
import { STORED_HEADER } from '../../src/types/packed.ts';
import { rng } from '../helpers/prng.ts';

function bytes(random: () => number, maxLen: number): Buffer {
  const len = Math.floor(random() * (maxLen + 1));
  const b = Buffer.alloc(len);
  for (let i = 0; i < len; i++) b[i] = Math.floor(random() * 256);
  return b;
}

/** Every field -> value of hv, in its iteration order, as latin1 strings. */
function contents(hv: HashValue): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  const e = new HashEntry();
  for (let h = hv.first(); h >= 0; h = hv.next(h)) {
    hv.readEntry(h, e);
    out.push([Buffer.from(e.field.buf.subarray(e.field.off, e.field.off + e.field.len)).toString('latin1'),
      Buffer.from(e.value.buf.subarray(e.value.off, e.value.off + e.value.len)).toString('latin1')]);
  }
  return out;
}

/** Store hv's packed form in a fresh buffer at an odd offset (a chunk elsewhere) and view it. */
function storeAndView(hv: HashValue): HashValue {
  const len = hv.storedLength();
  const chunk = Buffer.alloc(len + 13, 0xee);
  chunk.set(hv.storedBytes().subarray(0, len), 7);
  return viewPacked(chunk, 7, len, hv.hashtable);
}

describe('HashValue packed form', () => {
  for (const seed of [1, 2, 3, 4, 5, 6]) {
    it(`random edits match a model, stored and viewed between edits (seed ${seed})`, () => {
      const random = rng(seed);
      const maxEntries = 4 + Math.floor(random() * 40);
      const maxValue = 8 + Math.floor(random() * 60);
      const model = new Map<string, string>();
      let hv = newPackedHash();
      let hashtable = false;
      const fields = Array.from({ length: 60 }, () => bytes(random, 12));
      for (let step = 0; step < 600; step++) {
        const f = fields[Math.floor(random() * fields.length)];
        const fk = f.toString('latin1');
        if (random() < 0.65) {
          // Mostly short values; now and then one past hash-max-listpack-value.
          const v = bytes(random, random() < 0.03 ? maxValue * 2 : maxValue);
          const added = hv.set(f, 0, f.length, v, 0, v.length, maxEntries, maxValue);
          expect(added).toBe(!model.has(fk));
          model.set(fk, v.toString('latin1'));
          if (f.length > maxValue || v.length > maxValue || model.size > maxEntries) hashtable = true;
        } else {
          expect(hv.remove(f, 0, f.length)).toBe(model.delete(fk));
        }
        expect(hv.size()).toBe(model.size);
        expect(hv.hashtable).toBe(hashtable);
        if (hashtable) expect(new Map(contents(hv))).toEqual(model);
        else expect(contents(hv)).toEqual([...model]);
        for (const [k, v] of model) {
          const kb = Buffer.from(k, 'latin1');
          const h = hv.findField(kb, 0, kb.length);
          expect(h).toBeGreaterThanOrEqual(0);
          expect(hv.valueLength(h)).toBe(v.length);
        }
        if (hv.table === null && random() < 0.3) hv = storeAndView(hv);
        if (hv.table !== null && random() < 0.05) hv = hv.clone();
      }
    });
  }

  it('a stored form starts with its field count and views back the same', () => {
    const hv = newPackedHash();
    for (let i = 0; i < 300; i++) hv.set(Buffer.from(`f${i}`), 0, `f${i}`.length, Buffer.from('v'), 0, 1, 1000, 64);
    const len = hv.storedLength();
    expect(hv.storedBytes().readUInt32LE(0)).toBe(300);
    expect(len).toBe(STORED_HEADER + hv.plen);
    const before = contents(hv);
    expect(contents(storeAndView(hv))).toEqual(before);
  });
});
