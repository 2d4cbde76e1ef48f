import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { KeyRouter, hashKey } from '../../store/key-router.ts';
import { keyHashSlot } from '../../store/hash-slot.ts';
import { b } from './helpers.ts';

describe('KeyRouter', () => {
  it('gives the cluster slot of keyHashSlot for any bytes, hash tags included', () => {
    const r = new KeyRouter();
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 40 }), fc.nat(5), fc.nat(5), (bytes, pre, post) => {
        const buf = new Uint8Array(pre + bytes.length + post).fill(0x7b);
        buf.set(bytes, pre);
        r.hash(buf, pre, bytes.length, 0);
        expect(r.slot).toBe(keyHashSlot(buf, pre, bytes.length));
      }),
      { numRuns: 2000 },
    );
    for (const k of ['foo', 'bar', '{user1000}.following', 'a{b}c{d}', '{}x', 'x{', '1234']) {
      r.hash(b(k), 0, k.length, 3);
      expect(r.slot, k).toBe(keyHashSlot(b(k), 0, k.length));
    }
  });

  it('hashes deterministically, unsigned, and differently per seed (db)', () => {
    const h1 = hashKey(b('hello'), 0, 5, 0);
    expect(hashKey(b('xhello'), 1, 5, 0)).toBe(h1);
    expect(h1).toBeGreaterThanOrEqual(0);
    expect(h1).toBeLessThan(2 ** 30);
    expect(hashKey(b('hello'), 0, 5, 1)).not.toBe(h1);
    // MurmurHash3_x86_32 reference values, top 30 bits
    expect(hashKey(b(''), 0, 0, 0)).toBe(0);
    expect(hashKey(b('hello'), 0, 5, 0)).toBe(0x248bfa47 >>> 2);
    expect(hashKey(b('The quick brown fox jumps over the lazy dog'), 0, 43, 0)).toBe(0x2e4ff723 >>> 2);
  });
});
