/*
 * The harness's own load generator, for the workloads redis-benchmark and memtier_benchmark
 * cannot run (`npm run bench` starts it in its own process, pinned to the core the server
 * under test does not use, as it does redis-benchmark):
 *
 *   node bench/load-gen.ts fanout --port P [--pid SERVER_PID] [--subscribers 1000] [--messages 2000]
 *       [--pipeline 16] [--window 32] [--payload 32] [--channel bench:fanout] [--max-seconds 10]
 *   node bench/load-gen.ts multi --port P [--pid SERVER_PID] [--connections 50] [--transactions 20000]
 *       [--pipeline 1] [--sets 10] [--value 32] [--keyspace 100000] [--max-seconds 10]
 *   node bench/load-gen.ts bullmq --port P [--pid SERVER_PID] [--jobs 2000] [--concurrency 8]
 *       [--window 32] [--max-seconds 10]
 *
 * fanout: PUBLISH to `subscribers` subscribers of one channel (bench/lib/fanout-load.ts);
 * multi: MULTI, SET x `sets`, EXEC per transaction (bench/lib/multi-load.ts); bullmq: BullMQ's
 * Queue adds jobs (`window` add() calls in flight) and its Worker processes them with
 * `concurrency` (bench/lib/bullmq-load.ts). Prints one
 * JSON line (bench/lib/gen-result.ts: operations, window seconds, rate, latency
 * percentiles, server CPU in the window summed over /proc/SERVER_PID/task/<tid>/schedstat
 * (nanoseconds: runs under a second are too short for /proc/PID/stat's 10 ms ticks), the generator's own
 * CPU, errors) and exits 0 when it measured, even with errors (the harness rejects those
 * runs); exits 1 when it could not set up. Every loop is bounded: by the count, by
 * --max-seconds, by --drain-seconds after the last request and by --setup-seconds for
 * connecting. Connects to 127.0.0.1 only.
 */
import { parseArgs } from 'node:util';
import { runQueueWaitNs } from './harness/measure.ts';
import { cpuSecondsPrecise } from './harness/processes.ts';
import { runFanout } from './lib/fanout-load.ts';
import type { GenResult, WindowSample } from './lib/gen-result.ts';
import { runMulti } from './lib/multi-load.ts';
import { runBullmq } from './lib/bullmq-load.ts';
import { KEYSPACE, VALUE_BYTES } from './harness/workloads.ts';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  strict: true,
  options: {
    port: { type: 'string' },
    pid: { type: 'string' },
    subscribers: { type: 'string', default: '1000' },
    messages: { type: 'string', default: '2000' },
    window: { type: 'string', default: '32' },
    payload: { type: 'string', default: String(VALUE_BYTES) },
    channel: { type: 'string', default: 'bench:fanout' },
    connections: { type: 'string', default: '50' },
    transactions: { type: 'string', default: '20000' },
    jobs: { type: 'string', default: '2000' },
    concurrency: { type: 'string', default: '8' },
    sets: { type: 'string', default: '10' },
    value: { type: 'string', default: String(VALUE_BYTES) },
    keyspace: { type: 'string', default: String(KEYSPACE) },
    seed: { type: 'string', default: '1' },
    pipeline: { type: 'string' },
    'max-seconds': { type: 'string', default: '10' },
    'drain-seconds': { type: 'string', default: '5' },
    'setup-seconds': { type: 'string', default: '30' },
  },
});

function int(name: keyof typeof values, min: number): number {
  const v = values[name];
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw new Error(`--${name}: expected an integer >= ${min}, got '${String(v)}'`);
  return n;
}

function num(name: keyof typeof values): number {
  const n = Number(values[name]);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`--${name}: expected a positive number, got '${String(values[name])}'`);
  return n;
}

async function main(): Promise<void> {
  const kind = positionals[0];
  if (values.port === undefined) throw new Error('--port is required');
  const port = int('port', 1);
  const pid = values.pid === undefined ? undefined : int('pid', 1);
  const sample = (): WindowSample => {
    const u = process.cpuUsage();
    return {
      at: performance.now(),
      serverCpu: pid === undefined ? NaN : cpuSecondsPrecise(pid),
      serverWaitNs: runQueueWaitNs(pid),
      genCpuUs: u.user + u.system,
      genSystemUs: u.system,
      genWaitNs: runQueueWaitNs(process.pid),
    };
  };
  sample(); // a first reading (compiling, opening /proc) outside the window
  const bounds = { maxSeconds: num('max-seconds'), drainSeconds: num('drain-seconds'), setupSeconds: num('setup-seconds') };
  let result: GenResult;
  if (kind === 'fanout') {
    result = await runFanout({
      port,
      subscribers: int('subscribers', 1),
      messages: int('messages', 1),
      pipeline: values.pipeline === undefined ? 16 : int('pipeline', 1),
      window: int('window', 1),
      payloadBytes: int('payload', 12),
      channel: values.channel!,
      sample,
      ...bounds,
    });
  } else if (kind === 'multi') {
    result = await runMulti({
      port,
      connections: int('connections', 1),
      transactions: int('transactions', 1),
      pipeline: values.pipeline === undefined ? 1 : int('pipeline', 1),
      sets: int('sets', 1),
      valueBytes: int('value', 0),
      keyspace: int('keyspace', 1),
      seed: int('seed', 0),
      sample,
      ...bounds,
    });
  } else if (kind === 'bullmq') {
    result = await runBullmq({
      port,
      jobs: int('jobs', 1),
      concurrency: int('concurrency', 1),
      window: int('window', 1),
      sample,
      ...bounds,
    });
  } else {
    throw new Error(`usage: node bench/load-gen.ts fanout|multi|bullmq --port P [options] (got '${kind ?? ''}')`);
  }
  process.stdout.write(JSON.stringify(result, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? null : v)) + '\n');
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`load-gen: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
