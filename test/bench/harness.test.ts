/*
 * The load harness's pure parts: redis-benchmark's report (captured from redis-benchmark
 * 7.0.15), percentile merging, memtier's JSON, version and error lines, the memtier command
 * lines, the workloads, core placement, the README section rewrite, medians, ratios (to
 * redis-server and to the Node floor) and the targets. No timing is asserted.
 */
import { describe, expect, it } from 'vitest';
import { LineCounter, MEMTIER_ERROR_LINE } from '../../bench/harness/measure.ts';
import { countAtOrBelow, mergedFigures, mergedPercentile, normalisePoints, parseRbOutput } from '../../bench/harness/rb-output.ts';
import { parseMemtierJson, parseMemtierVersion } from '../../bench/harness/memtier-output.ts';
import { toolLines, type LoadRecord } from '../../bench/harness/output.ts';
import { placement } from '../../bench/harness/processes.ts';
import { LOAD_END, LOAD_START, replaceLoadSection } from '../../bench/harness/readme.ts';
import { checkTargets, markdownTable, ratioOf, summarise, tableRows, type WorkloadResult } from '../../bench/harness/summary.ts';
import {
  EVAL_SCRIPT, EVAL_SHA, KEYSPACE, MEMTIER_KEY_MAX, MEMTIER_KEY_MIN, memtierArgs, namesMemtier, partArgs, runSeconds, VALUE_BYTES, WORKLOADS,
} from '../../bench/harness/workloads.ts';

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

  it('reads connection errors when the version reports them', () => {
    const doc = { 'ALL STATS': { Totals: { Count: 5, 'Ops/sec': 1, 'Connection Errors': 3, 'Percentile Latencies': { 'p50.00': 1, 'p99.00': 1, 'p99.90': 1 } } } };
    expect(parseMemtierJson(JSON.stringify(doc)).connectionErrors).toBe(3);
  });
});

describe('memtier_benchmark version and error lines', () => {
  it('keeps the source commit of a build of the main branch', () => {
    expect(parseMemtierVersion('memtier_benchmark v=255.255.255 sha=2f74d611:0 bits=64 libevent=2.1.12-stable')).toBe('255.255.255 (2f74d611)');
    expect(parseMemtierVersion('memtier_benchmark v=2.1.0 sha=00000000:0 bits=64')).toBe('2.1.0');
    expect(parseMemtierVersion('memtier_benchmark v=2.1.0 sha=abcdef12:1')).toBe('2.1.0 (abcdef12, dirty)');
  });

  it('counts error-reply lines across chunk boundaries, not progress lines', () => {
    const c = new LineCounter(MEMTIER_ERROR_LINE);
    const text = [
      'Json file /tmp/x.json created...',
      '[RUN #1] Preparing benchmark client...',
      '[RUN #1 50%,   0 secs]  1 threads:        1000 ops,    2000 (avg:    2000) ops/sec, 1.00MB/sec (avg: 1.00MB/sec),  0.40 (avg:  0.40) msec latency\r',
      'server 127.0.0.1:6379 handle error response: -WRONGTYPE Operation against a key holding the wrong kind of value',
      'server 127.0.0.1:6379 handle error response: -ERR unknown command',
      'connection dropped.',
      '',
    ].join('\n');
    for (let i = 0; i < text.length; i += 7) c.feed(text.slice(i, i + 7));
    c.end();
    expect(c.count).toBe(3);
    expect(c.first).toContain('-WRONGTYPE');
  });
});

describe('memtier command lines', () => {
  const mix = WORKLOADS.find((w) => w.id === 'mix-p16')!;
  const dflt = WORKLOADS.find((w) => w.id === 'memtier-default')!;

  it('never passes key-minimum 0 (memtier: "key-minimum must be greater than zero")', () => {
    const args = memtierArgs(mix, 6379, { requests: 55_000 }, 'out.json');
    expect(MEMTIER_KEY_MIN).toBeGreaterThanOrEqual(1);
    expect(args).toContain(`--key-minimum=${MEMTIER_KEY_MIN}`);
    expect(args).toContain(`--key-maximum=${MEMTIER_KEY_MAX}`);
    expect(MEMTIER_KEY_MAX - MEMTIER_KEY_MIN + 1).toBe(KEYSPACE);
    expect(args).toContain('--pipeline=16');
    expect(args).toContain('--ratio=1:10');
    expect(args[args.indexOf('-n') + 1]).toBe('1100');
    expect(args.slice(0, 2)).toEqual(['-s', '127.0.0.1']);
  });

  it('runs the default memtier run with memtier defaults, adding only the address and output options', () => {
    const args = memtierArgs(dflt, 7000, { requests: 1, seconds: 10 }, 'out.json');
    expect(args).toEqual(['-s', '127.0.0.1', '-p', '7000', '--test-time', '10', '--print-percentiles=50,99,99.9', '--hide-histogram', '--json-out-file=out.json']);
    expect(memtierArgs(dflt, 7000, { requests: 1, seconds: 0.6 }, 'o.json')).toContain('1');
    expect(runSeconds(dflt, 2, false)).toBe(10);
    expect(runSeconds(dflt, 0.6, true)).toBe(1);
    expect(runSeconds(mix, 0.6, true)).toBe(0.6);
  });

  it('has a redis-benchmark fallback for every workload that names memtier, with its connections', () => {
    for (const w of WORKLOADS.filter(namesMemtier)) {
      expect(w.parts.length).toBeGreaterThan(0);
      expect(w.parts.reduce((s, p) => s + p.share, 0)).toBeCloseTo(1, 9);
    }
    expect(dflt.connections).toBe(200);
    expect(partArgs(dflt, dflt.parts[0], 11_000)).toEqual(expect.arrayContaining(['-r', '10000000', '-n', '1000', '-c', '18']));
  });
});

describe('workloads', () => {
  it('has unique ids and the collection workloads as redis-benchmark names them', () => {
    const ids = WORKLOADS.map((w) => w.id);
    expect(new Set(ids).size).toBe(ids.length);
    const test = (id: string) => WORKLOADS.find((w) => w.id === id)!.parts[0].test;
    expect(test('hset-p1')).toEqual(['-t', 'hset']);
    expect(test('sadd-p1')).toEqual(['-t', 'sadd']);
    expect(test('zadd-p1')).toEqual(['-t', 'zadd']);
    // redis-benchmark's LRANGE_100 is LRANGE <list> 0 99, on a preloaded list of its own.
    const lrange = WORKLOADS.find((w) => w.id === 'lrange100-p1')!;
    expect(lrange.parts[0].test.slice(0, 1).concat(lrange.parts[0].test.slice(2))).toEqual(['lrange', '0', '99']);
    expect(lrange.preload!.count).toBeGreaterThanOrEqual(100);
    expect(lrange.preload!.command(0)[1]).toBe(lrange.parts[0].test[1]);
  });

  it('runs LPOP after LPUSH with its request count', () => {
    const ids = WORKLOADS.map((w) => w.id);
    const lpop = WORKLOADS.find((w) => w.id === 'lpop-p1')!;
    expect(lpop.requestsOf).toBe('lpush-p1');
    expect(ids.indexOf('lpush-p1')).toBeLessThan(ids.indexOf('lpop-p1'));
    for (const w of WORKLOADS) if (w.requestsOf !== undefined) expect(ids).toContain(w.requestsOf);
  });

  it('drives EVALSHA of the two-call script at pipeline 1 and 16, after loading it, not on the floor', () => {
    // SHA1 of the script text, as redis-server's SCRIPT LOAD answers it.
    expect(EVAL_SHA).toBe('18d788194860a281b19910d462b1e96dabf3c984');
    expect(EVAL_SCRIPT.match(/redis\.call/g)).toHaveLength(2);
    for (const [id, pipeline] of [['evalsha-p1', 1], ['evalsha-p16', 16]] as const) {
      const w = WORKLOADS.find((x) => x.id === id)!;
      expect(w.pipeline).toBe(pipeline);
      expect(w.connections).toBe(50);
      expect(w.notOn?.floor).toBeDefined();
      expect(w.needs).toEqual(expect.arrayContaining(['evalsha', 'script']));
      const args = partArgs(w, w.parts[0], 22_000);
      expect(args).toEqual(expect.arrayContaining(['-P', String(pipeline), '-c', '50', '-r', String(KEYSPACE)]));
      const test = w.parts[0].test;
      expect(test.slice(0, 4)).toEqual(['evalsha', EVAL_SHA, '1', 'key:__rand_int__']);
      expect(test[4]).toHaveLength(VALUE_BYTES);
      expect(w.preload!.command(0)).toEqual(['SCRIPT', 'LOAD', EVAL_SCRIPT]);
      expect(w.preload!.check![0]).toEqual({ command: ['SCRIPT', 'LOAD', EVAL_SCRIPT], reply: EVAL_SHA });
      expect(w.preload!.check![1].reply).toBe(test[4]);
    }
  });

  it('runs the default memtier run last (its SETs add keys)', () => {
    expect(WORKLOADS.at(-1)!.id).toBe('memtier-default');
  });
});

describe('core placement', () => {
  it('puts the Node floor on slabcache\'s core, the load generator on an idle one', () => {
    const p = placement([0, 1], true);
    expect(p.server).toEqual({ slabcache: '0', redis: '1', floor: '0' });
    expect(p.loadFor).toEqual({ slabcache: '1', redis: '0', floor: '1' });
    const p4 = placement([0, 1, 2, 3], true);
    expect(p4.loadFor.floor).toBe('2,3');
    expect(placement([0], true).server.floor).toBeNull();
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

  it('takes a ratio as the median of the ratios within each round, skipping rounds either side failed', () => {
    // Rounds 2 and 3 run slow (half the rate) for both servers, round 4 for slabcache alone:
    // per-server medians (150 and 90) mix the phases and give 0.6x; most rounds give 0.9x.
    const r = result('get-p16', [200, 100, 100, 200], [180, 90, 90, 90]);
    expect(r.median.slabcache!.rps / r.median.redis!.rps).toBeCloseTo(0.6, 9);
    expect(ratioOf(r, (s) => s.rps)).toBeCloseTo(0.9, 9);
    r.rounds.redis[0] = { error: 'boom', commands: [] };
    r.rounds.slabcache[3] = { error: 'boom', commands: [] };
    expect(ratioOf(r, (s) => s.rps)).toBeCloseTo(0.9, 9);
    expect(ratioOf(result('get-p16', [], [90]), (s) => s.rps)).toBeNaN();
  });

  it('checks the issue targets on the per-round ratios', () => {
    const checks = checkTargets([result('set-p1', [100, 100, 100], [80, 90, 90], 1.6), result('get-p16', [100], [105]), result('mget-p1', [100], [90])]);
    const line = (w: string, what: string) => checks.find((c) => c.workload === w && c.what === what)!;
    // CPU per op is 1e6 / rps in these fixtures: 1 / 0.9.
    expect(line('SET P1', 'CPU us/op')).toMatchObject({ met: false });
    expect(line('SET P1', 'CPU us/op').value).toBeCloseTo(1 / 0.9, 9);
    expect(line('SET P1', 'p99 latency')).toMatchObject({ value: 1.6, limit: 1.2, met: false });
    expect(line('SET P1', 'p99.9 latency')).toMatchObject({ value: 1.6, limit: 1.5, met: false });
    expect(line('GET P16', 'ops/s')).toMatchObject({ value: 1.05, limit: 1, met: true });
    expect(line('GET P16', 'CPU us/op').met).toBe(true);
    expect(line('MGET 10 keys P1', 'ops/s')).toMatchObject({ value: 0.9, met: false });
    expect(checks.some((c) => c.workload === 'SET P1' && c.what === 'ops/s')).toBe(false);
    expect(ratioOf(result('get-p1', [50], [100]), (s) => s.rps)).toBe(2);
  });

  it('checks EVALSHA CPU per call against 2.0x redis-server', () => {
    // CPU per op is 1e6 / rps: slabcache at half redis's rate is 2.0x (met), below it missed.
    const checks = checkTargets([result('evalsha-p1', [100], [50]), result('evalsha-p16', [100], [40])]);
    const p1 = checks.find((c) => c.workload === 'EVALSHA 2 calls P1' && c.what === 'CPU us/op')!;
    const p16 = checks.find((c) => c.workload === 'EVALSHA 2 calls P16' && c.what === 'CPU us/op')!;
    expect(p1).toMatchObject({ limit: 2, higherIsBetter: false, met: true });
    expect(p1.value).toBeCloseTo(2, 9);
    expect(p16).toMatchObject({ limit: 2, met: false });
    expect(p16.value).toBeCloseTo(2.5, 9);
  });

  it('renders a Markdown table with one ratio row per workload', () => {
    const md = markdownTable([result('get-p1', [100], [90])]);
    expect(md.split('\n')).toHaveLength(5);
    expect(md).toContain('**0.90x**');
  });

  it('adds the Node floor and a slabcache/floor ratio row when the floor ran', () => {
    const r = result('get-p16', [100], [80]);
    r.rounds.floor = [m(200, 0.5)];
    r.median.floor = summarise(r.rounds.floor);
    expect(ratioOf(r, (s) => s.rps, 'floor')).toBe(0.4);
    const rows = tableRows([r]).slice(1).map((row) => row[1]);
    expect(rows).toEqual(['redis-server', 'slabcache', 'Node floor', 'slabcache/redis', 'slabcache/floor']);
    const floorRatio = tableRows([r]).find((row) => row[1] === 'slabcache/floor')!;
    expect(floorRatio[2]).toBe('0.40x');
  });

  it('says which load generator ran each workload', () => {
    const record = {
      workloads: [{ label: 'GET P1', tool: 'redis-benchmark' }, { label: 'SET:GET 1:10 P1', tool: 'memtier_benchmark' }, { label: 'SET P1', tool: 'redis-benchmark' }],
      loadTool: { default: 'redis-benchmark', mix: '', memtier: false, fallbackReason: 'memtier_benchmark is not on PATH' },
    } as unknown as LoadRecord;
    expect(toolLines(record)).toEqual(['redis-benchmark: GET P1, SET P1', 'memtier_benchmark: SET:GET 1:10 P1', '(memtier_benchmark is not on PATH)']);
  });
});
