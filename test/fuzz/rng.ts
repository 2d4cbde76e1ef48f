/*
 * The fuzzer's seeded randomness: the benchmarks' xoshiro128** generator (bench/lib/prng.ts)
 * plus the draws the fuzzer makes (a chance, an item of a list, random bytes). Every run is
 * reproducible from its printed seed. Not cryptographic.
 */
import { Rng as Xoshiro } from '../../bench/lib/prng.ts';

export class Rng extends Xoshiro {
  /** Uniform uint32. */
  u32(): number {
    return this.next();
  }

  chance(p: number): boolean {
    return this.float() < p;
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }

  bytes(n: number, noNul = false): Buffer {
    const b = Buffer.allocUnsafe(n);
    for (let i = 0; i < n; i++) {
      let v = this.next() & 0xff;
      if (noNul && v === 0) v = 1;
      b[i] = v;
    }
    return b;
  }
}
