/*
 * The HyperLogLog module alone: MurmurHash64A against a BigInt transcription of the C and
 * against register/run vectors redis-server 7.0.15 reports (PFDEBUG DECODE after one PFADD),
 * the sparse opcodes an update writes (splits, merges of equal VALs, promotion to dense by value
 * and by size), dense register packing, validation, the estimator, and the cached-cardinality
 * bytes. Counts against a live redis-server are in test/integration/hyperloglog.test.ts.
 */
import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import {
  murmurHash64A,
  hashHi,
  hashLo,
  patLen,
  isHll,
  hllCount,
  countRegisters,
  mergeInto,
  decodeSparse,
  denseRegister,
  denseRegisterByte,
  denseRegisterBytes,
  writeCount,
  cachedCount,
  cacheValid,
  HllBuffer,
  HLL_DENSE,
  HLL_SPARSE,
  HLL_DENSE_SIZE,
  HLL_HDR_SIZE,
  HLL_REGISTERS,
  HLL_INVALID,
} from '../../src/types/hyperloglog.ts';

const M = 0xc6a4a7935bd1e995n;
const MASK = (1n << 64n) - 1n;

/** MurmurHash64A exactly as hyperloglog.c writes it, in 64-bit BigInt arithmetic. */
function referenceHash(b: Uint8Array, seed: bigint): bigint {
  const len = b.length;
  let h = (seed ^ (BigInt(len) * M)) & MASK;
  const nb = len - (len & 7);
  for (let i = 0; i < nb; i += 8) {
    let k = 0n;
    for (let j = 7; j >= 0; j--) k = (k << 8n) | BigInt(b[i + j]);
    k = (k * M) & MASK;
    k ^= k >> 47n;
    k = (k * M) & MASK;
    h ^= k;
    h = (h * M) & MASK;
  }
  const tail = len & 7;
  if (tail !== 0) {
    for (let j = tail - 1; j >= 0; j--) h ^= BigInt(b[nb + j]) << BigInt(8 * j);
    h = (h * M) & MASK;
  }
  h ^= h >> 47n;
  h = (h * M) & MASK;
  h ^= h >> 47n;
  return h;
}

function hashOf(b: Uint8Array, seed: number): bigint {
  murmurHash64A(b, 0, b.length, seed);
  return (BigInt(hashHi()) << 32n) | BigInt(hashLo());
}

const bytes = (s: string) => Buffer.from(s, 'latin1');

describe('MurmurHash64A', () => {
  it('equals the 64-bit C arithmetic for every length and tail', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), fc.nat({ max: 0xffffffff }), (b, seed) => {
        expect(hashOf(b, seed)).toBe(referenceHash(b, BigInt(seed)));
      }),
      { numRuns: 2000 },
    );
  });

  it('fixed vectors (seed 0xadc83b19)', () => {
    expect(hashOf(bytes(''), 0xadc83b19)).toBe(referenceHash(bytes(''), 0xadc83b19n));
    expect(hashOf(bytes('hello'), 0xadc83b19).toString(16)).toBe(referenceHash(bytes('hello'), 0xadc83b19n).toString(16));
    expect(hashOf(bytes('\xff\xff\xff\xff\xff\xff\xff\xff\xff'), 0)).toBe(referenceHash(bytes('\xff\xff\xff\xff\xff\xff\xff\xff\xff'), 0n));
  });

  it('register and run length as redis-server 7.0.15 reports them', () => {
    // PFADD v <e> then PFDEBUG DECODE v: "Z:<index> v:<count>,1 ...".
    const vectors: Array<[string, number, number]> = [
      ['hello', 9216, 1],
      ['a', 12711, 2],
      ['foo', 7348, 5],
      ['x3', 16285, 3],
    ];
    for (const [e, index, count] of vectors) {
      const r = patLen(bytes(e), 0, e.length);
      expect([r >>> 6, r & 63]).toEqual([index, count]);
    }
  });
});

describe('HllBuffer: the sparse encoding', () => {
  it('creates the empty HLL redis-server creates', () => {
    const w = new HllBuffer();
    w.create();
    expect(Buffer.from(w.bytes.subarray(0, w.len)).toString('latin1')).toBe('HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x7f\xff');
    expect(hllCount(w.bytes, 0, w.len)).toBe(0);
  });

  it('splits XZERO and ZERO runs around a register and merges equal neighbouring VALs', () => {
    const w = new HllBuffer();
    w.create();
    expect(w.set(100, 3, 3000)).toBe(1);
    expect(decodeSparse(w.bytes, 0, w.len)).toBe('Z:100 v:3,1 Z:16283');
    expect(w.set(100, 2, 3000)).toBe(0);
    expect(w.set(101, 3, 3000)).toBe(1);
    expect(decodeSparse(w.bytes, 0, w.len)).toBe('Z:100 v:3,2 Z:16282');
    expect(w.set(103, 3, 3000)).toBe(1);
    expect(decodeSparse(w.bytes, 0, w.len)).toBe('Z:100 v:3,2 z:1 v:3,1 Z:16280');
    expect(w.set(102, 3, 3000)).toBe(1);
    expect(decodeSparse(w.bytes, 0, w.len)).toBe('Z:100 v:3,4 Z:16280');
    expect(w.set(102, 7, 3000)).toBe(1);
    expect(decodeSparse(w.bytes, 0, w.len)).toBe('Z:100 v:3,2 v:7,1 v:3,1 Z:16280');
    expect(w.set(0, 1, 3000)).toBe(1);
    expect(w.set(16383, 32, 3000)).toBe(1);
    expect(decodeSparse(w.bytes, 0, w.len)).toBe('v:1,1 Z:99 v:3,2 v:7,1 v:3,1 Z:16279 v:32,1');
    expect(w.encoding).toBe(HLL_SPARSE);
    expect(cacheValid(w.bytes, 0)).toBe(false);
  });

  it('promotes to dense for a value above 32, keeping every register', () => {
    const w = new HllBuffer();
    w.create();
    w.set(5, 4, 3000);
    w.set(9000, 40, 3000);
    expect(w.encoding).toBe(HLL_DENSE);
    expect(w.len).toBe(HLL_DENSE_SIZE);
    expect(denseRegister(w.bytes, HLL_HDR_SIZE, 5)).toBe(4);
    expect(denseRegister(w.bytes, HLL_HDR_SIZE, 9000)).toBe(40);
    expect(denseRegister(w.bytes, HLL_HDR_SIZE, 9001)).toBe(0);
  });

  it('promotes to dense when an update would pass hll-sparse-max-bytes', () => {
    const w = new HllBuffer();
    w.create();
    let i = 0;
    while (w.encoding === HLL_SPARSE) {
      expect(w.len).toBeLessThanOrEqual(30);
      w.set(i * 7, 1 + (i % 5), 30);
      i++;
    }
    for (let j = 0; j < i; j++) expect(denseRegister(w.bytes, HLL_HDR_SIZE, j * 7)).toBe(1 + (j % 5));
  });

  it('answers -1 for opcodes that do not reach the register, and toDense refuses them', () => {
    const w = new HllBuffer();
    const v = bytes('HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80\x5f\xff');
    w.load(v, 0, v.length);
    expect(w.set(100, 2, 3000)).toBe(1);
    expect(w.set(9000, 2, 3000)).toBe(-1);
    expect(w.toDense()).toBe(false);
    expect(w.encoding).toBe(HLL_SPARSE);
    expect(hllCount(w.bytes, 0, w.len)).toBe(HLL_INVALID);
  });

  it('sparse and dense forms of the same registers count and merge the same', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat({ max: HLL_REGISTERS - 1 }), fc.integer({ min: 1, max: 32 })), { maxLength: 300 }), (sets) => {
        const w = new HllBuffer();
        w.create();
        for (const [index, count] of sets) w.set(index, count, 100000);
        expect(w.encoding).toBe(HLL_SPARSE);
        const sparseCount = hllCount(w.bytes, 0, w.len);
        const a = new Uint8Array(HLL_REGISTERS);
        expect(mergeInto(a, w.bytes, 0, w.len)).toBe(true);
        expect(w.toDense()).toBe(true);
        expect(hllCount(w.bytes, 0, w.len)).toBe(sparseCount);
        const b = new Uint8Array(HLL_REGISTERS);
        expect(mergeInto(b, w.bytes, 0, w.len)).toBe(true);
        expect(Buffer.compare(b, a)).toBe(0);
        expect(countRegisters(a)).toBe(sparseCount);
      }),
      { numRuns: 100 },
    );
  });
});

describe('dense registers', () => {
  it('denseRegisterBytes writes exactly what setting the register in place would', () => {
    const regs = new Uint8Array(HLL_DENSE_SIZE - HLL_HDR_SIZE);
    for (let i = 0; i < regs.length; i++) regs[i] = (i * 37) & 0xff;
    const out = new Uint8Array(2);
    for (const idx of [0, 1, 2, 3, 4, 5, 6, 7, 8191, 16382, 16383]) {
      for (const val of [0, 1, 33, 63]) {
        const copy = regs.slice();
        const n = denseRegisterBytes(copy, 0, idx, val, out);
        copy.set(out.subarray(0, n), denseRegisterByte(idx));
        expect(denseRegister(copy, 0, idx)).toBe(val);
        for (const other of [idx - 1, idx + 1]) {
          if (other >= 0 && other < HLL_REGISTERS) expect(denseRegister(copy, 0, other)).toBe(denseRegister(regs, 0, other));
        }
      }
    }
  });
});

describe('validation and the estimate', () => {
  it('isHll checks the magic, the encoding and the dense length', () => {
    const ok = bytes('HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80\x7f\xff');
    expect(isHll(ok, 0, ok.length)).toBe(true);
    expect(isHll(ok, 0, 15)).toBe(false);
    expect(isHll(bytes('HYLX\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80'), 0, 16)).toBe(false);
    expect(isHll(bytes('HYLL\x02\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80'), 0, 16)).toBe(false);
    const dense = new Uint8Array(HLL_DENSE_SIZE);
    dense.set(bytes('HYLL'));
    expect(isHll(dense, 0, HLL_DENSE_SIZE)).toBe(true);
    expect(isHll(dense, 0, HLL_DENSE_SIZE - 1)).toBe(false);
    expect(hllCount(dense, 0, HLL_DENSE_SIZE)).toBe(0);
  });

  it('registers all at 63 make the estimate overflow to LLONG_MIN, as redis-server answers', () => {
    const dense = new Uint8Array(HLL_DENSE_SIZE).fill(0xff);
    dense.set(bytes('HYLL\x00\x00\x00\x00'));
    expect(hllCount(dense, 0, HLL_DENSE_SIZE)).toBe(-9223372036854775808);
    const card = new Uint8Array(8);
    writeCount(card, 0, -9223372036854775808);
    expect(Array.from(card)).toEqual([0, 0, 0, 0, 0, 0, 0, 0x80]);
  });

  it('cardinality bytes round-trip, little-endian', () => {
    const b = new Uint8Array(16);
    for (const n of [0, 1, 255, 256, 65535, 4294967295, 4294967296, 2 ** 53 - 1]) {
      writeCount(b, 8, n);
      expect(cacheValid(b, 0)).toBe(true);
      expect(cachedCount(b, 0)).toBe(n);
    }
    b.set([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f], 8);
    expect(cachedCount(b, 0)).toBe(9223372036854775807n);
  });
});
