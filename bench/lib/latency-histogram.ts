/*
 * A fixed-size log-linear latency histogram for the load generators (bench/load-gen.ts):
 * record() costs a few integer operations and no allocation, so a generator can record
 * every delivery or transaction. Values are microseconds; below 128 us every whole
 * microsecond has its own bucket, above that each power of two is split into 64 buckets
 * (width under 1.6% of the value), up to 2^31 us (about 36 minutes; larger values count in
 * the last bucket). A percentile is the midpoint of the bucket that holds it, so it is
 * within 0.8% of the recorded value (0.5 us below 128 us).
 */

const SUB = 64;
const LINEAR = 2 * SUB;
const MAX_US = 2 ** 31 - 1;
/** Buckets: 128 linear ones, then 64 for each shift 1..24 (values 2^7 .. 2^31). */
export const BUCKETS = LINEAR + 24 * SUB;

/** Bucket of a value in whole microseconds (0 <= v <= 2^31 - 1). */
export function bucketOf(us: number): number {
  const v = us <= 0 ? 0 : us >= MAX_US ? MAX_US : Math.floor(us);
  if (v < LINEAR) return v;
  const shift = 31 - Math.clz32(v) - 6; // v >> shift in [64, 128)
  return LINEAR + (shift - 1) * SUB + ((v >>> shift) - SUB);
}

/** Lowest value of a bucket and its width, microseconds. */
export function bucketRange(index: number): { low: number; width: number } {
  if (index < LINEAR) return { low: index, width: 1 };
  const shift = Math.floor((index - LINEAR) / SUB) + 1;
  const sub = (index - LINEAR) % SUB;
  return { low: (SUB + sub) * 2 ** shift, width: 2 ** shift };
}

export class LatencyHistogram {
  readonly counts = new Float64Array(BUCKETS);
  total = 0;
  maxUs = 0;

  record(us: number): void {
    this.counts[bucketOf(us)]++;
    this.total++;
    if (us > this.maxUs) this.maxUs = us;
  }

  /** Record `n` values of `us` at once (a read that brought n messages). */
  recordN(us: number, n: number): void {
    this.counts[bucketOf(us)] += n;
    this.total += n;
    if (us > this.maxUs) this.maxUs = us;
  }

  add(other: LatencyHistogram): void {
    for (let i = 0; i < BUCKETS; i++) this.counts[i] += other.counts[i];
    this.total += other.total;
    if (other.maxUs > this.maxUs) this.maxUs = other.maxUs;
  }

  /** The q-quantile (0 < q <= 1) in microseconds: midpoint of the bucket holding the ceil(q * total)-th value; NaN when empty. */
  percentileUs(q: number): number {
    if (this.total === 0) return NaN;
    const rank = Math.max(1, Math.ceil(q * this.total));
    let seen = 0;
    for (let i = 0; i < BUCKETS; i++) {
      seen += this.counts[i];
      if (seen >= rank) {
        const { low, width } = bucketRange(i);
        return low + width / 2;
      }
    }
    return this.maxUs;
  }

  /** p50, p99 and p99.9 in milliseconds. */
  summaryMs(): { p50: number; p99: number; p999: number } {
    return { p50: this.percentileUs(0.5) / 1000, p99: this.percentileUs(0.99) / 1000, p999: this.percentileUs(0.999) / 1000 };
  }
}
