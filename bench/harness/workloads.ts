/*
 * The workloads of `npm run bench`, as redis-benchmark invocations. Every one uses random
 * keys over a 100,000-key space ("key:" + 12 digits, the names bench/lib/load.ts preloads,
 * so GET and MGET hit) and 32-byte values.
 *
 * A workload is one or more "parts" run side by side against the same server. The 1:10
 * SET:GET mix runs on memtier_benchmark (--ratio 1:10, 50 connections) when it is on PATH
 * (it is detected, never installed). Otherwise it is two redis-benchmark parts, because
 * redis-benchmark cannot mix commands in one run: a SET run on 5 connections and a GET run
 * on 50, with requests in the ratio 1:10 so every connection carries the same share and
 * both runs end together; throughput is all requests over the longer run, latency
 * percentiles come from the merged distributions (rb-output.ts).
 */

export const KEYSPACE = 100_000;
export const VALUE_BYTES = 32;

export interface Part {
  /** Share of the workload's requests (the shares of a workload's parts sum to 1). */
  share: number;
  clients: number;
  /** redis-benchmark arguments naming the test: ['-t', 'set'] or a command line. */
  test: string[];
}

export interface Workload {
  id: string;
  /** Short name for tables and the chart. */
  label: string;
  pipeline: number;
  parts: Part[];
  /** Commands the server must support (probed with COMMAND INFO), lower case. */
  needs: string[];
  /** Requests of the warm-up run, which also estimates the rate for sizing the measured runs. */
  warmupRequests: number;
  /** Connections in total (for the open-file check). */
  connections: number;
  /** memtier_benchmark --ratio (SET:GET), when memtier can run this workload in one process. */
  memtierRatio?: string;
}

function workload(id: string, label: string, pipeline: number, parts: Part[], needs: string[], warmupRequests: number, memtierRatio?: string): Workload {
  const w: Workload = { id, label, pipeline, parts, needs, warmupRequests, connections: parts.reduce((s, p) => s + p.clients, 0) };
  if (memtierRatio !== undefined) w.memtierRatio = memtierRatio;
  return w;
}

const single = (clients: number, ...test: string[]): Part[] => [{ share: 1, clients, test }];
const mgetArgs = ['mget', ...Array.from({ length: 10 }, () => 'key:__rand_int__')];

export const WORKLOADS: readonly Workload[] = [
  workload('set-p1', 'SET P1', 1, single(50, '-t', 'set'), ['set'], 30_000),
  workload('get-p1', 'GET P1', 1, single(50, '-t', 'get'), ['get'], 30_000),
  workload('set-p16', 'SET P16', 16, single(50, '-t', 'set'), ['set'], 300_000),
  workload('get-p16', 'GET P16', 16, single(50, '-t', 'get'), ['get'], 300_000),
  workload('mix-p1', 'SET:GET 1:10 P1', 1, [
    { share: 1 / 11, clients: 5, test: ['-t', 'set'] },
    { share: 10 / 11, clients: 50, test: ['-t', 'get'] },
  ], ['set', 'get'], 33_000, '1:10'),
  workload('mix-p16', 'SET:GET 1:10 P16', 16, [
    { share: 1 / 11, clients: 5, test: ['-t', 'set'] },
    { share: 10 / 11, clients: 50, test: ['-t', 'get'] },
  ], ['set', 'get'], 330_000, '1:10'),
  workload('incr-p1', 'INCR P1', 1, single(50, '-t', 'incr'), ['incr'], 30_000),
  workload('mset-p1', 'MSET 10 keys P1', 1, single(50, '-t', 'mset'), ['mset'], 20_000),
  workload('mget-p1', 'MGET 10 keys P1', 1, single(50, ...mgetArgs), ['mget'], 20_000),
  workload('lpush-p1', 'LPUSH P1', 1, single(50, '-t', 'lpush'), ['lpush'], 30_000),
  workload('lpop-p1', 'LPOP P1', 1, single(50, '-t', 'lpop'), ['lpop'], 30_000),
  workload('get-p1-c1000', 'GET P1 1000 conns', 1, single(1000, '-t', 'get'), ['get'], 30_000),
];

/** redis-benchmark arguments of one part, without -h/-p. */
export function partArgs(w: Workload, part: Part, requests: number): string[] {
  return [
    '-c', String(part.clients),
    '-n', String(Math.max(1, Math.round(requests * part.share))),
    '-P', String(w.pipeline),
    '-r', String(KEYSPACE),
    '-d', String(VALUE_BYTES),
    '--precision', '3',
    ...part.test,
  ];
}

/** Requests of a warm-up run (scaled), at least 20 rounds of every connection's pipeline. */
export function warmupRequests(w: Workload, scale: number): number {
  return Math.ceil(Math.max(w.connections * w.pipeline * 20, w.warmupRequests * scale) / 1100) * 1100;
}

/** The shell-style command line of a part, for the JSON record. */
export function partCommand(w: Workload, part: Part, requests: number, port: number | string): string {
  return ['redis-benchmark', '-h', '127.0.0.1', '-p', String(port), ...partArgs(w, part, requests)].join(' ');
}

/**
 * Requests for a measured run: the estimated rate times the target duration, at least 20
 * rounds of every connection's pipeline, rounded to a multiple of 1,100 (so 1:10 splits evenly).
 */
export function requestsFor(w: Workload, rps: number, seconds: number): number {
  const floor = w.connections * w.pipeline * 20;
  const n = Math.max(floor, Number.isFinite(rps) && rps > 0 ? rps * seconds : w.warmupRequests);
  return Math.ceil(n / 1100) * 1100;
}

export const MEMTIER_CLIENTS = 50;

/**
 * memtier_benchmark arguments for a ratio workload: one thread, 50 connections, uniform
 * random keys "key:0" .. "key:99999" (memtier does not zero-pad; run.ts preloads these too),
 * `requests` in total (memtier counts per connection).
 */
export function memtierArgs(w: Workload, port: number | string, requests: number, jsonFile: string): string[] {
  return [
    '-s', '127.0.0.1', '-p', String(port), '--protocol=redis',
    '-t', '1', '-c', String(MEMTIER_CLIENTS), `--pipeline=${w.pipeline}`,
    `--ratio=${w.memtierRatio ?? '1:10'}`,
    '--key-prefix=key:', '--key-minimum=0', `--key-maximum=${KEYSPACE - 1}`, '--key-pattern=R:R',
    '-d', String(VALUE_BYTES),
    '-n', String(Math.max(1, Math.round(requests / MEMTIER_CLIENTS))),
    '--print-percentiles=50,99,99.9', '--hide-histogram', `--json-out-file=${jsonFile}`,
  ];
}
