/*
 * The tests' deterministic randomness: mulberry32, a 32-bit-state generator that is enough for
 * seeded test data (bench/lib/prng.ts has the stronger xoshiro128** the benchmarks use).
 */

/** A generator of floats in [0, 1) from `seed`, the same sequence for the same seed. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
