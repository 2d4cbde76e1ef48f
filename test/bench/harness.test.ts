/*
 * The load harness's pure parts: redis-benchmark's report (captured from redis-benchmark
 * 7.0.15), percentile merging, memtier's JSON, the README section rewrite, medians, ratios
 * and the targets. No timing is asserted.
 */
import { describe, expect, it } from 'vitest';
import { countAtOrBelow, mergedFigures, mergedPercentile, normalisePoints, parseRbOutput } from '../../bench/harness/rb-output.ts';
import { parseMemtierJson } from '../../bench/harness/memtier-output.ts';
import { LOAD_END, LOAD_START, replaceLoadSection } from '../../bench/harness/readme.ts';
import { checkTargets, markdownTable, ratioOf, summarise, type WorkloadResult } from '../../bench/harness/summary.ts';
import { WORKLOADS } from '../../bench/harness/workloads.ts';

const SET_OUTPUT = [
  'SET: rps=0.0 (overall: 0.0) avg_msec=-nan (overall: -nan)\r SET: rps=53792.0 (overall: 53577.7) avg_msec=0.582 (overall: 0.582)\r',
  '====== SET ======',
  '  20000 requests completed in 0.37 seconds',
  '  50 parallel clients',
  '  32 bytes payload',
  '',
  'Latency by percentile distribution:',
  '0.000% <= 0.119 milliseconds (cumulative count 1)',
  '50.000% <= 0.575 milliseconds (cumulative count 10095)',
  '99.219% <= 1.447 milliseconds (cumulative count 19844)',
  '99.805% <= 2.079 milliseconds (cumulative count 19961)',
  '99.902% <= 2.287 milliseconds (cumulative count 19981)',
  '100.000% <= 2.807 milliseconds (cumulative count 20000)',
  '',
  'Cumulative distribution of latencies:',
  '0.000% <= 0.103 milliseconds (cumulative count 0)',
  '98.420% <= 1.007 milliseconds (cumulative count 19684)',
  '100.000% <= 3.103 milliseconds (cumulative count 20000)',
  '',
  'Summary:',
  '  throughput summary: 53619.30 requests per second',
  '  latency summary (msec):',
  '          avg       min       p50       p95       p99       max',
  '        0.588     0.112     0.575     0.887     1.215     2.807',
  '',
].join('\n');

describe('redis-benchmark output', () => {
  it('reads throughput, the summary and every distribution point', () => {
    const [run] = parseRbOutput(SET_OUTPUT);
    expect(run.test).toBe('SET');
    expect(run.requests).toBe(20000);
    expect(run.rps).toBeCloseTo(53619.3);
    expect(run.p50).toBe(0.575);
    expect(run.p99).toBe(1.215);
    expect(run.points[0]).toEqual({ ms: 0.103, count: 0 });
    expect(run.points.at(-1)).toEqual({ ms: 3.103, count: 20000 });
    expect(run.points.map((p) => p.ms)).toEqual([...run.points.map((p) => p.ms)].sort((a, b) => a - b));
  });

  it('interpolates p99.9 between the printed percentiles', () => {
    const [run] = parseRbOutput(SET_OUTPUT);
    const p999 = mergedPercentile([run.points], 0.999);
    // 19980 of 20000 lies between 19961 @ 2.079 and 19981 @ 2.287
    expect(p999).toBeCloseTo(2.079 + ((2.287 - 2.079) * 19) / 20, 6);
  });
});

describe('percentiles', () => {
  it('normalises points: sorted, one per latency, counts non-decreasing', () => {
    expect(normalisePoints([{ ms: 2, count: 5 }, { ms: 1, count: 7 }, { ms: 1, count: 3 }])).toEqual([
      { ms: 1, count: 7 },
      { ms: 2, count: 7 },
    ]);
  });

  it('counts linearly between points', () => {
    const pts = [{ ms: 1, count: 0 }, { ms: 3, count: 100 }];
    expect(countAtOrBelow(pts, 0.5)).toBe(0);
    expect(countAtOrBelow(pts, 2)).toBe(50);
    expect(countAtOrBelow(pts, 9)).toBe(100);
  });

  it('merges runs weighted by their request counts', () => {
    const fast = [{ ms: 0, count: 0 }, { ms: 1, count: 900 }];
    const slow = [{ ms: 9, count: 0 }, { ms: 10, count: 100 }];
    expect(mergedPercentile([fast, slow], 0.5)).toBeCloseTo(0.5 / 0.9, 9);
    expect(mergedPercentile([fast, slow], 0.95)).toBeCloseTo(9.5, 9);
    expect(mergedPercentile([], 0.5)).toBeNaN();
  });

  it('gives side-by-side runs all requests over the longer run', () => {
    const [run] = parseRbOutput(SET_OUTPUT);
    const half = { ...run, requests: 10000, rps: 10000 };
    const f = mergedFigures([run, half]);
    expect(f.requests).toBe(30000);
    expect(f.rps).toBeCloseTo(30000 / Math.max(20000 / run.rps, 1), 6);
  });
});

describe('memtier_benchmark JSON', () => {
  it('reads totals and percentiles', () => {
    const doc = { 'ALL STATS': { Totals: { Count: 1000, 'Ops/sec': 12345.6, 'Percentile Latencies': { 'p50.00': 0.3, 'p99.00': 1.1, 'p99.90': 2.5 } } } };
    expect(parseMemtierJson(JSON.stringify(doc))).toEqual({ requests: 1000, rps: 12345.6, p50: 0.3, p99: 1.1, p999: 2.5, connectionErrors: 0 });
  });

  it('fails loudly on another layout', () => {
    expect(() => parseMemtierJson('{"ALL STATS":{"Totals":{}}}')).toThrow(/memtier JSON/);
  });
});

describe('README load section', () => {
  it('replaces only the text between the markers', () => {
    const text = `a\n${LOAD_START}\nold\n${LOAD_END}\nb\n`;
    expect(replaceLoadSection(text, 'new')).toBe(`a\n${LOAD_START}\nnew\n${LOAD_END}\nb\n`);
    expect(replaceLoadSection('no markers', 'x')).toBeNull();
  });
});

describe('medians, ratios and targets', () => {
  const m = (rps: number, p99: number) => ({ requests: 1, rps, p50: 0.3, p99, p999: 2 * p99, wallSeconds: 1, cpuUsPerOp: 1e6 / rps, cpuPercent: 100, serverWaitPercent: 0, clientWaitPercent: 0, load1: 0, commands: [] });
  const result = (id: string, redis: number[], slab: number[], p99 = 1) => {
    const w = WORKLOADS.find((x) => x.id === id)!;
    const r: WorkloadResult = { workload: w, requests: 1, skipped: {}, rounds: { redis: redis.map((x) => m(x, 1)), slabcache: slab.map((x) => m(x, p99)), floor: [] }, median: {} };
    r.median.redis = summarise(r.rounds.redis);
    r.median.slabcache = summarise(r.rounds.slabcache);
    return r;
  };

  it('takes medians over the rounds that succeeded', () => {
    const s = summarise([m(10, 1), { error: 'boom', commands: [] }, m(30, 1), m(20, 1)])!;
    expect(s.rounds).toBe(3);
    expect(s.rps).toBe(20);
    expect(summarise([{ error: 'boom', commands: [] }])).toBeUndefined();
  });

  it('checks the issue targets on the ratio of medians', () => {
    const checks = checkTargets([result('set-p1', [100, 100, 100], [80, 90, 90], 1.6), result('get-p16', [100], [70])]);
    const line = (w: string, what: string) => checks.find((c) => c.workload === w && c.what === what)!;
    expect(line('SET P1', 'ops/s')).toMatchObject({ value: 0.9, met: true });
    expect(line('SET P1', 'p99 latency')).toMatchObject({ met: false });
    expect(line('GET P16', 'ops/s').met).toBe(true);
    expect(ratioOf(result('get-p1', [50], [100]), (s) => s.rps)).toBe(2);
  });

  it('renders a Markdown table with one ratio row per workload', () => {
    const md = markdownTable([result('get-p1', [100], [90])]);
    expect(md.split('\n')).toHaveLength(5);
    expect(md).toContain('**0.90x**');
  });
});
