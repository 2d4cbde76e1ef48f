/*
 * The workloads of `npm run bench`, as redis-benchmark invocations. Every string workload
 * uses random keys over a 100,000-key space ("key:" + 12 digits, the names bench/lib/load.ts
 * preloads, so GET and MGET hit) and 32-byte values.
 *
 * A workload is one or more "parts" run side by side against the same server. Workloads
 * that name memtier_benchmark run on it when it is on PATH (it is detected, never
 * installed), else on their redis-benchmark parts, and the record says which ran:
 * - the 1:10 SET:GET mixes: memtier --ratio 1:10, 50 connections, keys "key:1".."key:100000"
 *   (memtier's key-minimum must be at least 1; run.ts preloads these names too). Without
 *   memtier they are two redis-benchmark parts, because redis-benchmark cannot mix commands
 *   in one run: a SET run on 5 connections and a GET run on 50, with requests in the ratio
 *   1:10 so every connection carries the same share and both runs end together; throughput
 *   is all requests over the longer run, latency percentiles come from the merged
 *   distributions (rb-output.ts);
 * - the default memtier run, `memtier_benchmark -p PORT --test-time 10` with memtier's own
 *   defaults (4 threads x 50 connections, SET:GET 1:10, "memtier-" keys over 10M ids, so
 *   most GETs miss, 32-byte values); 1 s under --quick. Only the address (-s 127.0.0.1) and
 *   the output options are added. Without memtier: redis-benchmark SET (18 connections) and
 *   GET (182) side by side over 10M random keys, sized to the same duration. It runs last:
 *   its SETs add up to about rate x 10 s / 11 keys per run to the servers.
 *
 * The collection workloads are redis-benchmark's own tests (-t hset, sadd, zadd; one hash,
 * set or sorted set of up to 100,000 members each), HGET on the hash HSET writes, and
 * LRANGE_100 (redis-benchmark's `LRANGE mylist 0 99`) on a list of its own, lrange:mylist:
 * `-t lrange_100` would push -n elements into mylist inside every measured run, which the
 * server CPU per operation would count, and LPOP drains mylist. Preloads (run.ts, once per
 * server): lrange:mylist with 600 32-byte elements, myhash with all 100,000 fields (so HGET
 * hits and HSET overwrites in every round alike).
 *
 * LPOP runs with LPUSH's request count, right after it, so it pops what LPUSH pushed rather
 * than an empty list.
 *
 * Two workloads neither redis-benchmark nor memtier_benchmark can run go to the harness's
 * own generator, bench/load-gen.ts (in its own process, pinned like the others):
 * - PUBLISH fan-out: 1,000 subscribers of one channel, one publisher with 16 PUBLISHes
 *   unanswered and at most 32 messages not yet received by every subscriber, 32-byte
 *   payloads. An operation is a delivery (a message received by one subscriber): ops/s is
 *   deliveries per second, latency is publish to receipt per delivery, CPU per op is server
 *   CPU per delivery. Every subscriber must receive every message, in order, once. A
 *   delivery waits behind the others in flight (up to 32 x 1,000), so its latency is mostly
 *   that queue: about 16-32 messages' fan-out time, i.e. it grows as throughput falls. A
 *   server writes each subscriber about once per 16 PUBLISHes it reads (one per pipelined
 *   batch), so the generator reads about 16 messages per read.
 * - MULTI/EXEC: MULTI, 10 x SET (random keys of the preloaded 100,000, 32-byte values),
 *   EXEC, one transaction in flight on each of 50 connections. An operation is a
 *   transaction: transactions per second, latency per transaction (write to EXEC reply),
 *   server CPU per transaction. Every EXEC must answer 10 x +OK.
 *
 * EVALSHA (issue 10): a two-call script, `redis.call('SET', KEYS[1], ARGV[1]); return
 * redis.call('GET', KEYS[1])`, loaded into each server with SCRIPT LOAD in the preload (its
 * SHA1 is computed here and is the same on both servers; the preload checks SCRIPT LOAD
 * answers it and that one EVALSHA answers the value), then driven by redis-benchmark as an
 * arbitrary command, `EVALSHA <sha> 1 key:__rand_int__ <32-byte value>`, at pipeline 1 and
 * 16 on 50 connections. An operation is one EVALSHA (two commands inside). redis-benchmark
 * 7 exits non-zero on the first error reply (a NOSCRIPT would fail the run, not time a
 * cheap error). Not run on the floor: it answers constants, with no script to run.
 *
 * - BullMQ add + process (issue 10): BullMQ's Queue adds jobs (32 add() calls in flight)
 *   while its Worker, in the same generator process, processes them with concurrency 8 (a
 *   processor that does nothing); every job is added, processed and completed. An
 *   operation is a job: jobs/s, latency from add() to the Worker's 'completed' event,
 *   server CPU per job. The adds run ahead of the Worker, so a job's latency is mostly the
 *   backlog waiting before it (it grows with the run's length, like fan-out's queue). The generator runs BullMQ's own JS, so it may set the pace: the
 *   table's notes say when it was the busier side. A fresh queue per run, obliterated after.
 * Memtier's arbitrary commands (--command=MULTI, --command="SET __key__ __data__"
 * --command-ratio=10, --command=EXEC) would send the sequence, but time each command
 * rather than the transaction and not check the EXEC reply. Neither runs on the do-nothing
 * Node floor: it answers every command with a constant, so it has no fan-out or queued
 * transaction to measure.
 */

import { createHash } from 'node:crypto';

export const KEYSPACE = 100_000;
export const VALUE_BYTES = 32;

export interface Part {
  /** Share of the workload's requests (the shares of a workload's parts sum to 1). */
  share: number;
  clients: number;
  /** redis-benchmark arguments naming the test: ['-t', 'set'] or a command line. */
  test: string[];
  /** redis-benchmark -r (random key space) when not KEYSPACE. */
  keyspace?: number;
}

/**
 * Commands run once per server before the warm-ups: `count` commands, the i-th `command(i)`
 * (workloads sharing a preload name it by the same `what`: it runs once). `check`: commands
 * sent one by one afterwards, each of whose replies must equal `reply` (a bulk or simple
 * string), else the preload fails.
 */
export interface Preload {
  what: string;
  count: number;
  command: (i: number) => string[];
  check?: Array<{ command: string[]; reply: string }>;
}

export interface Workload {
  id: string;
  /** Short name for tables and the chart. */
  label: string;
  pipeline: number;
  /** redis-benchmark parts: the workload itself, or memtier's fallback. */
  parts: Part[];
  /** Commands the server must support (probed with COMMAND INFO), lower case. */
  needs: string[];
  /** bench/load-gen.ts runs this workload (parts is then empty). */
  generator?: GeneratorSpec;
  /** What one operation is, when not a request: 'delivery', 'transaction'. */
  unit?: string;
  /** Servers that do not run this workload, and why. */
  notOn?: Partial<Record<'redis' | 'slabcache' | 'floor', string>>;
  /** Requests of the warm-up run, which also estimates the rate for sizing the measured runs. */
  warmupRequests: number;
  /** Connections in total (for the open-file check). */
  connections: number;
  /** memtier_benchmark --ratio (SET:GET), when memtier can run this workload in one process. */
  memtierRatio?: string;
  /** The default memtier run (memtier's own defaults, a fixed --test-time). */
  memtierDefault?: boolean;
  /** Measured runs last this many seconds (10; 1 under --quick) instead of --seconds. */
  testSeconds?: number;
  /** Run with the request count of this workload (LPOP pops what LPUSH pushed). */
  requestsOf?: string;
  preload?: Preload;
}

export type GeneratorSpec =
  | { kind: 'fanout'; subscribers: number; pipeline: number; window: number; payloadBytes: number }
  | { kind: 'multi'; connections: number; pipeline: number; sets: number }
  | { kind: 'bullmq'; connections: number; concurrency: number; window: number };

type Extra = Pick<Workload, 'memtierRatio' | 'memtierDefault' | 'testSeconds' | 'requestsOf' | 'preload' | 'generator' | 'unit' | 'notOn'>;

function workload(id: string, label: string, pipeline: number, parts: Part[], needs: string[], warmupRequests: number, extra: Extra = {}): Workload {
  const g = extra.generator;
  const connections = g === undefined ? parts.reduce((s, p) => s + p.clients, 0) : g.kind === 'fanout' ? g.subscribers + 1 : g.connections;
  return { id, label, pipeline, parts, needs, warmupRequests, connections, ...extra };
}

/** The fan-out workload's shape (issue 9: 1 publisher, 1,000 subscribers). */
export const FANOUT = { kind: 'fanout', subscribers: 1000, pipeline: 16, window: 32, payloadBytes: VALUE_BYTES } as const;
/**
 * The BullMQ workload's shape (issue 10: add + process): one Queue, one Worker of
 * concurrency 8, 32 add() calls in flight; connections: the Queue's, the Worker's blocking
 * one and its normal one.
 */
export const BULLMQ = { kind: 'bullmq', connections: 3, concurrency: 8, window: 32 } as const;
/** The transaction workload's shape (issue 9: MULTI/EXEC of 10 SETs). */
export const MULTI_EXEC = { kind: 'multi', connections: 50, pipeline: 1, sets: 10 } as const;
const NO_FLOOR = 'n/a: answers constants';

/** The EVALSHA workload's script (issue 10: a small script with two redis.call's). */
export const EVAL_SCRIPT = "redis.call('SET', KEYS[1], ARGV[1]); return redis.call('GET', KEYS[1])";
/** Its SHA1, what SCRIPT LOAD answers on any server. */
export const EVAL_SHA = createHash('sha1').update(EVAL_SCRIPT).digest('hex');

const single = (clients: number, ...test: string[]): Part[] => [{ share: 1, clients, test }];
const mgetArgs = ['mget', ...Array.from({ length: 10 }, () => 'key:__rand_int__')];
const mixParts: Part[] = [
  { share: 1 / 11, clients: 5, test: ['-t', 'set'] },
  { share: 10 / 11, clients: 50, test: ['-t', 'get'] },
];

/** memtier_benchmark's defaults, for the default run and its fallback. */
export const MEMTIER_DEFAULTS = { threads: 4, clients: 50, keyMaximum: 10_000_000, dataSize: 32, ratio: '1:10', testSeconds: 10 } as const;

export const LRANGE_KEY = 'lrange:mylist';
export const LRANGE_LENGTH = 600;
export const HASH_KEY = 'myhash';
const filler = 'x'.repeat(VALUE_BYTES);
/** redis-benchmark's "element:__rand_int__" for id i. */
export const elementName = (i: number): string => 'element:' + String(i).padStart(12, '0');

const evalValue = 'v'.repeat(VALUE_BYTES);
/** redis-benchmark's command line of the EVALSHA workloads. */
export const EVALSHA_ARGS = ['evalsha', EVAL_SHA, '1', 'key:__rand_int__', evalValue];
const evalPreload: Preload = {
  what: `script ${EVAL_SHA.slice(0, 12)}.. (SCRIPT LOAD)`,
  count: 1,
  command: () => ['SCRIPT', 'LOAD', EVAL_SCRIPT],
  check: [
    { command: ['SCRIPT', 'LOAD', EVAL_SCRIPT], reply: EVAL_SHA },
    { command: ['EVALSHA', EVAL_SHA, '1', 'key:000000000000', evalValue], reply: evalValue },
  ],
};

export const WORKLOADS: readonly Workload[] = [
  workload('set-p1', 'SET P1', 1, single(50, '-t', 'set'), ['set'], 30_000),
  workload('get-p1', 'GET P1', 1, single(50, '-t', 'get'), ['get'], 30_000),
  workload('set-p16', 'SET P16', 16, single(50, '-t', 'set'), ['set'], 300_000),
  workload('get-p16', 'GET P16', 16, single(50, '-t', 'get'), ['get'], 300_000),
  workload('mix-p1', 'SET:GET 1:10 P1', 1, mixParts, ['set', 'get'], 33_000, { memtierRatio: '1:10' }),
  workload('mix-p16', 'SET:GET 1:10 P16', 16, mixParts, ['set', 'get'], 330_000, { memtierRatio: '1:10' }),
  workload('incr-p1', 'INCR P1', 1, single(50, '-t', 'incr'), ['incr'], 30_000),
  workload('mset-p1', 'MSET 10 keys P1', 1, single(50, '-t', 'mset'), ['mset'], 20_000),
  workload('mget-p1', 'MGET 10 keys P1', 1, single(50, ...mgetArgs), ['mget'], 20_000),
  workload('lpush-p1', 'LPUSH P1', 1, single(50, '-t', 'lpush'), ['lpush'], 30_000),
  workload('lpop-p1', 'LPOP P1', 1, single(50, '-t', 'lpop'), ['lpop'], 30_000, { requestsOf: 'lpush-p1' }),
  workload('lrange100-p1', 'LRANGE_100 P1', 1, single(50, 'lrange', LRANGE_KEY, '0', '99'), ['lrange', 'rpush'], 10_000, {
    preload: { what: `${LRANGE_KEY}, ${LRANGE_LENGTH} elements`, count: LRANGE_LENGTH, command: () => ['RPUSH', LRANGE_KEY, filler] },
  }),
  workload('hset-p1', 'HSET P1', 1, single(50, '-t', 'hset'), ['hset'], 30_000, {
    preload: { what: `${HASH_KEY}, ${KEYSPACE.toLocaleString('en-US')} fields`, count: KEYSPACE, command: (i) => ['HSET', HASH_KEY, elementName(i), filler] },
  }),
  workload('hget-p1', 'HGET P1', 1, single(50, 'hget', HASH_KEY, 'element:__rand_int__'), ['hget'], 30_000),
  workload('sadd-p1', 'SADD P1', 1, single(50, '-t', 'sadd'), ['sadd'], 30_000),
  workload('zadd-p1', 'ZADD P1', 1, single(50, '-t', 'zadd'), ['zadd'], 30_000),
  workload('get-p1-c1000', 'GET P1 1000 conns', 1, single(1000, '-t', 'get'), ['get'], 30_000),
  workload('publish-fanout', 'PUBLISH to 1000 subs', FANOUT.pipeline, [], ['publish', 'subscribe'], 500_000, {
    generator: FANOUT,
    unit: 'delivery',
    notOn: { floor: NO_FLOOR },
  }),
  workload('multi-exec', 'MULTI 10xSET EXEC', MULTI_EXEC.pipeline, [], ['multi', 'exec', 'set'], 10_000, {
    generator: MULTI_EXEC,
    unit: 'transaction',
    notOn: { floor: NO_FLOOR },
  }),
  workload('evalsha-p1', 'EVALSHA 2 calls P1', 1, single(50, ...EVALSHA_ARGS), ['evalsha', 'script'], 20_000, {
    preload: evalPreload,
    notOn: { floor: NO_FLOOR },
  }),
  workload('evalsha-p16', 'EVALSHA 2 calls P16', 16, single(50, ...EVALSHA_ARGS), ['evalsha', 'script'], 60_000, {
    preload: evalPreload,
    notOn: { floor: NO_FLOOR },
  }),
  workload('bullmq', 'BullMQ add+process', 1, [], ['evalsha', 'bzpopmin', 'xadd'], 3_000, {
    generator: BULLMQ,
    unit: 'job',
    notOn: { floor: NO_FLOOR },
  }),
  workload(
    'memtier-default',
    'memtier default',
    1,
    [
      { share: 1 / 11, clients: 18, test: ['-t', 'set'], keyspace: MEMTIER_DEFAULTS.keyMaximum },
      { share: 10 / 11, clients: 182, test: ['-t', 'get'], keyspace: MEMTIER_DEFAULTS.keyMaximum },
    ],
    ['set', 'get'],
    30_000,
    { memtierDefault: true, testSeconds: MEMTIER_DEFAULTS.testSeconds },
  ),
];

/** Does memtier_benchmark run this workload when it is on PATH? */
export function namesMemtier(w: Workload): boolean {
  return w.memtierRatio !== undefined || w.memtierDefault === true;
}

/** Seconds of a measured run: the workload's own duration (1 s under --quick), else --seconds. */
export function runSeconds(w: Workload, seconds: number, quick: boolean): number {
  if (w.testSeconds === undefined) return seconds;
  return quick ? Math.min(1, w.testSeconds) : w.testSeconds;
}

/** redis-benchmark arguments of one part, without -h/-p. */
export function partArgs(w: Workload, part: Part, requests: number): string[] {
  return [
    '-c', String(part.clients),
    '-n', String(Math.max(1, Math.round(requests * part.share))),
    '-P', String(w.pipeline),
    '-r', String(part.keyspace ?? KEYSPACE),
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
/** memtier's keys for the ratio workloads: "key:1" .. "key:100000" (key-minimum must be >= 1). */
export const MEMTIER_KEY_MIN = 1;
export const MEMTIER_KEY_MAX = KEYSPACE;

/** How long or how much a memtier run does: requests in total (split over the connections), or a --test-time. */
export interface MemtierSize {
  requests: number;
  /** --test-time seconds (whole seconds, at least 1) for the default run; requests is then ignored. */
  seconds?: number;
}

/**
 * memtier_benchmark arguments.
 * - A ratio workload: one thread, 50 connections, uniform random keys "key:1" .. "key:100000"
 *   (memtier does not zero-pad and refuses key-minimum 0; run.ts preloads these names),
 *   a distinct seed per connection (otherwise every connection walks the same key sequence),
 *   `requests` in total (memtier counts per connection).
 * - The default run: `-p PORT --test-time N` and memtier's defaults, plus -s 127.0.0.1.
 * Both add only output options: --hide-histogram, percentiles, the JSON file.
 */
export function memtierArgs(w: Workload, port: number | string, size: MemtierSize, jsonFile: string): string[] {
  const output = ['--print-percentiles=50,99,99.9', '--hide-histogram', `--json-out-file=${jsonFile}`];
  if (w.memtierDefault === true) {
    const seconds = Math.max(1, Math.round(size.seconds ?? MEMTIER_DEFAULTS.testSeconds));
    return ['-s', '127.0.0.1', '-p', String(port), '--test-time', String(seconds), ...output];
  }
  return [
    '-s', '127.0.0.1', '-p', String(port), '--protocol=redis',
    '-t', '1', '-c', String(MEMTIER_CLIENTS), `--pipeline=${w.pipeline}`,
    `--ratio=${w.memtierRatio ?? '1:10'}`,
    '--key-prefix=key:', `--key-minimum=${MEMTIER_KEY_MIN}`, `--key-maximum=${MEMTIER_KEY_MAX}`, '--key-pattern=R:R',
    '--distinct-client-seed',
    '-d', String(VALUE_BYTES),
    '-n', String(Math.max(1, Math.round(size.requests / MEMTIER_CLIENTS))),
    ...output,
  ];
}

/** The generator's seconds bound for a run sized to last `seconds`: three times that, at least 2 s. */
export function generatorMaxSeconds(seconds: number): number {
  return Math.max(2, Math.ceil(3 * seconds));
}

/**
 * bench/load-gen.ts arguments (after the script path) for a run of `requests` operations:
 * deliveries for fan-out (rounded up to whole messages: requests / subscribers), transactions
 * for MULTI/EXEC, jobs for BullMQ; bounded by generatorMaxSeconds(seconds).
 */
export function generatorArgs(w: Workload, port: number | string, serverPid: number | string, requests: number, seconds: number): string[] {
  const g = w.generator;
  if (g === undefined) throw new Error(`${w.id} is not a load-gen workload`);
  const common = ['--port', String(port), '--pid', String(serverPid), '--max-seconds', String(generatorMaxSeconds(seconds))];
  if (g.kind === 'fanout') {
    return [
      'fanout', ...common,
      '--subscribers', String(g.subscribers), '--messages', String(Math.max(1, Math.ceil(requests / g.subscribers))),
      '--pipeline', String(g.pipeline), '--window', String(g.window), '--payload', String(g.payloadBytes),
    ];
  }
  if (g.kind === 'bullmq') {
    return ['bullmq', ...common, '--jobs', String(Math.max(1, Math.round(requests))), '--concurrency', String(g.concurrency), '--window', String(g.window)];
  }
  return [
    'multi', ...common,
    '--connections', String(g.connections), '--transactions', String(Math.max(1, Math.round(requests))),
    '--pipeline', String(g.pipeline), '--sets', String(g.sets), '--value', String(VALUE_BYTES), '--keyspace', String(KEYSPACE),
  ];
}
