/*
 * redis-benchmark's report, read for the load harness: throughput and the exact p50/p99 of
 * the "latency summary" (bench/lib/redis-benchmark.ts parses those), plus every point of the
 * two distribution blocks ("Latency by percentile distribution" and "Cumulative distribution
 * of latencies"), each a pair (latency ms, requests at or below it). From the points:
 *
 * - p99.9 of one run, interpolated linearly between the two points around it (the tool
 *   prints percentiles in halving steps, 99.805% then 99.902%, so the nearest printed line
 *   overstates it);
 * - percentiles of several runs that ran at the same time (the 1:10 SET:GET mix runs a SET
 *   and a GET redis-benchmark side by side): the merged count at x is the sum of each run's
 *   count at x, each run's count is linear between its own points, so the sum is linear
 *   between the union of all points and the percentile is found exactly on that polyline.
 *
 * Pure functions; test/bench/rb-output.test.ts feeds them captured output.
 */
import { parseRedisBenchmark, type RedisBenchmarkResult } from '../lib/redis-benchmark.ts';

/** `count` requests took at most `ms` milliseconds. */
export interface LatencyPoint {
  ms: number;
  count: number;
}

export interface RbRun extends RedisBenchmarkResult {
  /** Sorted by ms, counts non-decreasing; the last point holds every request. */
  points: LatencyPoint[];
}

const POINT = /([\d.]+)% <= ([\d.]+) milliseconds \(cumulative count (\d+)\)/g;

/** Every test section of one redis-benchmark (non-quiet) output. */
export function parseRbOutput(output: string): RbRun[] {
  const base = parseRedisBenchmark(output);
  const bodies = output.split(/={6} .+? ={6}/).slice(1);
  return base.map((r, i) => {
    const body = bodies[i] ?? '';
    const raw: LatencyPoint[] = [];
    for (const m of body.matchAll(POINT)) raw.push({ ms: Number(m[2]), count: Number(m[3]) });
    return { ...r, points: normalisePoints(raw) };
  });
}

/** Sort by latency and keep, per latency, the largest count; counts made non-decreasing. */
export function normalisePoints(raw: readonly LatencyPoint[]): LatencyPoint[] {
  const sorted = [...raw].sort((a, b) => a.ms - b.ms || a.count - b.count);
  const out: LatencyPoint[] = [];
  let maxCount = 0;
  for (const p of sorted) {
    maxCount = Math.max(maxCount, p.count);
    const last = out[out.length - 1];
    if (last !== undefined && last.ms === p.ms) last.count = maxCount;
    else out.push({ ms: p.ms, count: maxCount });
  }
  return out;
}

/** Requests of one run at or below `x` ms, linear between its points (0 below the first). */
export function countAtOrBelow(points: readonly LatencyPoint[], x: number): number {
  if (points.length === 0 || x < points[0].ms) return 0;
  const last = points[points.length - 1];
  if (x >= last.ms) return last.count;
  let lo = 0;
  let hi = points.length - 1;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (points[mid].ms <= x) lo = mid;
    else hi = mid;
  }
  const a = points[lo];
  const b = points[hi];
  return a.count + ((b.count - a.count) * (x - a.ms)) / (b.ms - a.ms);
}

/**
 * The q-quantile (0 < q <= 1) in ms of the requests of all `runs` taken together; NaN when
 * no run has points.
 */
export function mergedPercentile(runs: ReadonlyArray<readonly LatencyPoint[]>, q: number): number {
  const withPoints = runs.filter((p) => p.length > 0);
  if (withPoints.length === 0) return NaN;
  const total = withPoints.reduce((s, p) => s + p[p.length - 1].count, 0);
  const target = q * total;
  const xs = [...new Set(withPoints.flatMap((p) => p.map((pt) => pt.ms)))].sort((a, b) => a - b);
  const at = (x: number) => withPoints.reduce((s, p) => s + countAtOrBelow(p, x), 0);
  let prevX = xs[0];
  let prevC = at(prevX);
  if (prevC >= target) return prevX;
  for (let i = 1; i < xs.length; i++) {
    const x = xs[i];
    const c = at(x);
    if (c >= target) return prevX + ((x - prevX) * (target - prevC)) / (c - prevC);
    prevX = x;
    prevC = c;
  }
  return xs[xs.length - 1];
}

export interface LoadFigures {
  requests: number;
  /** Requests per second over the whole load (for runs side by side: all requests / the longest run). */
  rps: number;
  p50: number;
  p99: number;
  p999: number;
}

/** One run: throughput and p50/p99 as redis-benchmark reports them, p99.9 interpolated. */
export function singleFigures(run: RbRun): LoadFigures {
  const p999 = run.points.length > 0 ? mergedPercentile([run.points], 0.999) : run.p999;
  return { requests: run.requests, rps: run.rps, p50: run.p50, p99: run.p99, p999 };
}

/**
 * Runs that loaded one server at the same time: total requests over the longest run's
 * duration (requests / rps of each), percentiles of the merged distribution.
 */
export function mergedFigures(runs: readonly RbRun[]): LoadFigures {
  if (runs.length === 1) return singleFigures(runs[0]);
  const requests = runs.reduce((s, r) => s + r.requests, 0);
  const seconds = Math.max(...runs.map((r) => r.requests / r.rps));
  const pts = runs.map((r) => r.points);
  return {
    requests,
    rps: requests / seconds,
    p50: mergedPercentile(pts, 0.5),
    p99: mergedPercentile(pts, 0.99),
    p999: mergedPercentile(pts, 0.999),
  };
}
