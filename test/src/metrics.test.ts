/*
 * src/metrics.ts on its own: the HdrHistogram layout and iteration that LATENCY HISTOGRAM and
 * INFO latencystats print, checked against figures redis-server 7.0.15 printed for known
 * durations (DEBUG SLEEP runs), sdscatrepr escaping as MONITOR prints arguments, and the
 * Metrics observer's SLOWLOG ring, LATENCY series and instantaneous rates on a fake clock.
 */
import { describe, expect, it } from 'vitest';
import {
  HIST_LEN,
  HIST_MAX_NS,
  catRepr,
  highestEquivalent,
  histIndex,
  logBuckets,
  lowestEquivalent,
  valueAtIndex,
  valueAtPercentile,
  Metrics,
  METRIC_COMMAND,
  METRIC_NET_INPUT,
  METRIC_NET_OUTPUT,
} from '../../src/metrics.ts';
import { ConfigStore } from '../../src/config-table.ts';
import { CommandFlag, type CommandEntry, type Registry } from '../../src/registry.ts';
import type { Client } from '../../src/client.ts';
import type { CachedClock } from '../../src/clock.ts';

function histogramOf(usecs: number[]): { counts: Float64Array; total: number } {
  const counts = new Float64Array(HIST_LEN);
  for (const u of usecs) {
    let ns = Math.round(u * 1000);
    if (ns < 1) ns = 1;
    if (ns > HIST_MAX_NS) ns = HIST_MAX_NS;
    counts[histIndex(ns)]++;
  }
  return { counts, total: usecs.length };
}

describe('HdrHistogram layout (1 ns .. 1 s, 2 significant digits)', () => {
  const samples: number[] = [];
  for (let v = 0; v < 5000; v++) samples.push(v);
  for (let v = 5000; v < HIST_MAX_NS; v = Math.floor(v * 1.013) + 7) samples.push(v);
  samples.push(HIST_MAX_NS);

  it('every value falls in the equivalent range of its counter', () => {
    const bad = samples.filter((v) => {
      const i = histIndex(v);
      return !(i >= 0 && i < HIST_LEN && valueAtIndex(i) === lowestEquivalent(v) && lowestEquivalent(v) <= v && highestEquivalent(v) >= v);
    });
    expect(bad).toEqual([]);
  });

  it('values below 256 ns are exact and wider ranges stay within 1/128 of the value', () => {
    const bad = samples.filter((v) => {
      const width = highestEquivalent(v) - lowestEquivalent(v) + 1;
      return v < 256 ? width !== 1 : width / lowestEquivalent(v) > 1 / 128;
    });
    expect(bad).toEqual([]);
  });

  it('counters are contiguous: index i + 1 starts right after index i ends', () => {
    const bad: number[] = [];
    for (let i = 0; i + 1 < HIST_LEN; i++) if (valueAtIndex(i + 1) !== highestEquivalent(valueAtIndex(i)) + 1) bad.push(i);
    expect(bad).toEqual([]);
  });
});

describe('LATENCY HISTOGRAM buckets', () => {
  it('reproduces redis-server for a handful of short calls', () => {
    // Redis 7.0.15 printed 1 1 2 5 4 7 8 8 for calls of these orders of magnitude.
    const { counts, total } = histogramOf([0.9, 1.5, 1.6, 1.7, 1.8, 3, 3.5, 5]);
    expect(logBuckets(counts, total)).toEqual([[1, 1], [2, 5], [4, 7], [8, 8]]);
  });

  it('reproduces redis-server for calls from 88 usec to beyond the 1 s ceiling', () => {
    // DEBUG SLEEP 0.000001 .. 1.2 on redis-server 7.0.15 gave:
    // 132 2 264 3 2113 4 16908 5 135266 6 541065 7 1073741 9
    const { counts, total } = histogramOf([88, 100, 200, 1500, 10092, 100000, 300000, 600000, 1200000]);
    expect(logBuckets(counts, total)).toEqual([[132, 2], [264, 3], [2113, 4], [16908, 5], [135266, 6], [541065, 7], [1073741, 9]]);
  });

  it('a single call is a single bucket, and an empty histogram has none', () => {
    for (const u of [0, 0.001, 1, 7, 60, 999, 123456, 5e6]) {
      const { counts, total } = histogramOf([u]);
      const buckets = logBuckets(counts, total);
      expect(buckets).toHaveLength(1);
      expect(buckets[0]![1]).toBe(1);
    }
    expect(logBuckets(new Float64Array(HIST_LEN), 0)).toEqual([]);
  });

  it('cumulative counts end at the number of calls', () => {
    const usecs = Array.from({ length: 1000 }, (_, i) => (i * 37) % 5000);
    const { counts, total } = histogramOf(usecs);
    const buckets = logBuckets(counts, total);
    expect(buckets.at(-1)![1]).toBe(1000);
    for (let i = 1; i < buckets.length; i++) {
      expect(buckets[i]![0]).toBeGreaterThan(buckets[i - 1]![0]);
      expect(buckets[i]![1]).toBeGreaterThan(buckets[i - 1]![1]);
    }
  });
});

describe('INFO latencystats percentiles', () => {
  it('match hdr_value_at_percentile as redis-server prints it', () => {
    const { counts, total } = histogramOf([88, 100, 200, 1500, 10092, 100000, 300000, 600000, 1200000]);
    const p = (q: number) => (valueAtPercentile(counts, total, q) / 1000).toFixed(3);
    // Redis: p100 of a call past 1 s is the top of the 1e9 ns range.
    expect(p(100)).toBe('1002438.655');
    // p0 is the lowest value of the first counter: 88000 ns lies in [87552, 88063] (Redis
    // printed p0=87.552 for its fastest call).
    expect(p(0)).toBe('87.552');
    // p50: the 5th of 9 calls (10.092 ms); Redis printed 10092.543 for such a call.
    expect(p(50)).toBe('10092.543');
    expect(p(99.9)).toBe('1002438.655');
  });

  it('1..100 usec: the median is the 50th value, as a highest equivalent value', () => {
    const { counts, total } = histogramOf(Array.from({ length: 100 }, (_, i) => i + 1));
    expect((valueAtPercentile(counts, total, 50) / 1000).toFixed(3)).toBe('50.175');
    expect((valueAtPercentile(counts, total, 100) / 1000).toFixed(3)).toBe('100.351');
    expect((valueAtPercentile(counts, total, 0) / 1000).toFixed(3)).toBe('1.000');
  });
});

describe('MONITOR argument escaping (sdscatrepr)', () => {
  it('quotes, escapes \\\\ and ", names \\n \\r \\t \\a \\b, hex-escapes other bytes', () => {
    const arg = Buffer.from([0x61, 0x20, 0x22, 0x5c, 0x0a, 0x0d, 0x09, 0x07, 0x08, 0x00, 0x7f, 0xff, 0x7e]);
    const out = Buffer.alloc(64);
    const end = catRepr(out, 0, arg, 0, arg.length);
    expect(out.toString('latin1', 0, end)).toBe('"a \\"\\\\\\n\\r\\t\\a\\b\\x00\\x7f\\xff~"');
  });
});

describe('Metrics: SLOWLOG ring, LATENCY series, instantaneous rates', () => {
  const clock = { now: 1_700_000_000_000 } as CachedClock;
  const cmd = { id: 0, name: 'ping', fullName: 'ping', flags: 0, parent: null } as unknown as CommandEntry;
  const fastCmd = { id: 1, name: 'get', fullName: 'get', flags: CommandFlag.FAST, parent: null } as unknown as CommandEntry;
  const registry = { all: [cmd, fastCmd] } as unknown as Registry;

  function fakeClient(...args: string[]): Client {
    const buf = Buffer.from(args.join(''));
    const off = new Int32Array(args.length);
    const len = new Int32Array(args.length);
    let p = 0;
    args.forEach((a, i) => {
      off[i] = p;
      len[i] = a.length;
      p += a.length;
    });
    return {
      argc: args.length, argBuf: buf, argOff: off, argLen: len, addr: '127.0.0.1:5000', name: 'n',
      argIs: (i: number, w: string) => args[i]!.toLowerCase() === w,
      argLower: (i: number) => args[i]!.toLowerCase(),
    } as unknown as Client;
  }

  function fresh(): Metrics {
    const config = new ConfigStore();
    const m = new Metrics(registry, config, clock);
    config.set([['slowlog-log-slower-than', '0']]);
    return m;
  }

  it('keeps the newest slowlog-max-len entries, newest first, and spends ids even at length 0', () => {
    const m = fresh();
    for (let i = 0; i < 300; i++) m.afterCommand(fakeClient('PING', String(i)), cmd, 1);
    expect(m.slowlogLength).toBe(128);
    expect(m.slowlogEntry(0).argv.map(String)).toEqual(['PING', '299']);
    expect(m.slowlogEntry(127).argv.map(String)).toEqual(['PING', '172']);
    expect(m.slowlogEntry(0).id).toBe(299);
    m.applyConfig('slowlog-max-len', '3');
    expect(m.slowlogLength).toBe(128);
    m.afterCommand(fakeClient('PING', 'x'), cmd, 1);
    expect(m.slowlogLength).toBe(3);
    expect([0, 1, 2].map((i) => m.slowlogEntry(i).id)).toEqual([300, 299, 298]);
    m.applyConfig('slowlog-max-len', '0');
    m.afterCommand(fakeClient('PING'), cmd, 1);
    expect(m.slowlogLength).toBe(0);
    m.applyConfig('slowlog-max-len', '5');
    m.afterCommand(fakeClient('PING'), cmd, 1);
    expect(m.slowlogEntry(0).id).toBe(302);
    // Below the threshold, or with the slowlog off, nothing is added.
    m.applyConfig('slowlog-log-slower-than', '100');
    m.afterCommand(fakeClient('PING'), cmd, 99.4);
    expect(m.slowlogLength).toBe(1);
    m.afterCommand(fakeClient('PING'), cmd, 99.6);
    expect(m.slowlogLength).toBe(2);
    m.applyConfig('slowlog-log-slower-than', '-1');
    m.afterCommand(fakeClient('PING'), cmd, 1e9);
    expect(m.slowlogLength).toBe(2);
  });

  it('keeps one latency sample per event and second (the worst), 160 at most', () => {
    const m = fresh();
    m.applyConfig('latency-monitor-threshold', '10');
    m.afterCommand(fakeClient('PING'), cmd, 9_999);
    expect(m.latencyEvents.size).toBe(0);
    m.afterCommand(fakeClient('PING'), cmd, 12_000);
    m.afterCommand(fakeClient('PING'), cmd, 30_000);
    m.afterCommand(fakeClient('PING'), cmd, 20_000);
    m.afterCommand(fakeClient('GET', 'k'), fastCmd, 11_000);
    const series = m.latencyEvents.get('command')!;
    expect(series.max).toBe(30);
    expect([...series.latency.slice(0, 2)]).toEqual([30, 0]);
    expect(m.latencyEvents.get('fast-command')!.max).toBe(11);
    for (let s = 1; s <= 200; s++) {
      clock.now += 1000;
      m.latencyAddSample('command', s);
    }
    const times = [...series.time].filter((t) => t !== 0);
    expect(times.length).toBe(160);
    expect(Math.min(...series.latency)).toBe(41);
    expect(series.max).toBe(200);
    expect(m.latencyReset('COMMAND')).toBe(1);
    expect(m.latencyReset(null)).toBe(1);
  });

  it('instantaneous rates: the mean of the last 16 per-second samples', () => {
    const m = fresh();
    const start = clock.now;
    let commands = 0;
    for (let i = 1; i <= 16; i++) {
      commands += 100; // 100 commands per 100 ms = 1000/s
      m.sampleInstantaneous(start + i * 100, commands, commands * 10, commands * 20);
    }
    expect(m.instantaneous(METRIC_COMMAND)).toBe(1000);
    expect(m.instantaneous(METRIC_NET_INPUT)).toBe(10000);
    expect(m.instantaneous(METRIC_NET_OUTPUT)).toBe(20000);
    for (let i = 17; i <= 24; i++) m.sampleInstantaneous(start + i * 100, commands, commands * 10, commands * 20);
    expect(m.instantaneous(METRIC_COMMAND)).toBe(500);
    m.resetStats();
    expect(m.instantaneous(METRIC_COMMAND)).toBe(0);
  });

  it('records each run in its command histogram, and stops while latency-tracking is off', () => {
    const m = fresh();
    m.afterCommand(fakeClient('PING'), cmd, 3);
    m.afterCommand(fakeClient('PING'), cmd, 5);
    expect(m.histogramTotals[0]).toBe(2);
    expect(logBuckets(m.histograms[0]!, 2)).toEqual([[4, 1], [8, 2]]);
    expect(m.histograms[1]).toBe(null);
    m.applyConfig('latency-tracking', 'no');
    m.afterCommand(fakeClient('PING'), cmd, 5);
    expect(m.histogramTotals[0]).toBe(2);
    m.resetStats();
    expect(m.histograms[0]).toBe(null);
  });
});
