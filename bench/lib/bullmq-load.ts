/*
 * BullMQ add + process load (bench/load-gen.ts bullmq): one BullMQ Queue adds `jobs` jobs
 * (at most `window` add() calls unanswered) while one Worker in the same process processes
 * them with `concurrency` (the processor does nothing but return), until every job has
 * completed or `maxSeconds` have passed (then it waits up to `drainSeconds` for the jobs
 * already added). An operation is a job: added, processed and completed; jobs/s is
 * completions per second of the window, latency per job is from the add() call to the
 * Worker's 'completed' event, server CPU per job covers everything BullMQ asks of the
 * server for it (its Lua scripts by EVALSHA, the worker's blocking waits, events stream).
 *
 * Every run uses a fresh queue name and removeOnComplete, so rounds neither share nor pile
 * up jobs; the queue is obliterated after the window (outside it). A failed job, a Worker
 * or Queue 'error' event, or an add() that rejects is an error (the harness rejects the
 * run). The Worker's own connections are BullMQ's: a blocking one and a normal one, plus
 * the Queue's.
 */
import { Queue, Worker, type Job } from 'bullmq';
import { ErrorLog, genResult, type GenResult, type WindowSample } from './gen-result.ts';
import { withDeadline } from './fanout-load.ts';
import { LatencyHistogram } from './latency-histogram.ts';

export interface BullmqOptions {
  port: number;
  jobs: number;
  concurrency: number;
  /** add() calls in flight at most. */
  window: number;
  maxSeconds: number;
  drainSeconds: number;
  setupSeconds: number;
  sample: () => WindowSample;
  /** Queue name prefix; a per-run suffix is added. */
  name?: string;
}

const HOST = '127.0.0.1';

/** A queue name of its own for this run. */
export function runQueueName(prefix: string, pid: number, now: number): string {
  return `${prefix}-${pid}-${now.toString(36)}`;
}

export async function runBullmq(o: BullmqOptions): Promise<GenResult> {
  const hist = new LatencyHistogram();
  const errors = new ErrorLog();
  const name = runQueueName(o.name ?? 'bench-bullmq', process.pid, Date.now());
  // maxRetriesPerRequest: null is what BullMQ's Worker requires; no reconnect storms on a dead server.
  const connection = { host: HOST, port: o.port, maxRetriesPerRequest: null, retryStrategy: () => null };
  const setupDeadline = performance.now() + o.setupSeconds * 1000;
  const queue = new Queue(name, { connection, defaultJobOptions: { removeOnComplete: true, removeOnFail: 1000 } });
  let completed = 0;
  let onDone: () => void = () => undefined;
  const worker = new Worker(
    name,
    async () => {
      // The job itself does nothing: the cost measured is BullMQ's and the server's.
    },
    { connection, concurrency: o.concurrency, autorun: false },
  );
  worker.on('completed', (job: Job) => {
    const t = (job.data as { t?: number }).t;
    if (typeof t === 'number') hist.record(Math.max(0, (performance.now() - t) * 1000));
    completed++;
    if (completed >= added && (!adding || completed >= o.jobs)) onDone();
  });
  worker.on('failed', (job: Job | undefined, err: Error) => errors.add(`job ${job?.id ?? '?'} failed: ${err.message}`));
  worker.on('error', (err: Error) => errors.add(`worker: ${err.message}`));
  queue.on('error', (err: Error) => errors.add(`queue: ${err.message}`));
  let added = 0;
  let adding = true;
  let stoppedBy: GenResult['stoppedBy'] = 'count';
  try {
    await withDeadline(Promise.all([queue.waitUntilReady(), worker.waitUntilReady()]), setupDeadline, 'BullMQ Queue and Worker connecting');
    const running = worker.run();
    running.catch((err: unknown) => errors.add(`worker run: ${err instanceof Error ? err.message : String(err)}`));
    const start = o.sample();
    const stopAt = start.at + o.maxSeconds * 1000;
    const allDone = new Promise<void>((resolve) => (onDone = resolve));
    // The adders: `window` loops, each adding one job at a time.
    let next = 0;
    const adder = async (): Promise<void> => {
      while (next < o.jobs && errors.count === 0) {
        if (performance.now() > stopAt) {
          stoppedBy = 'time';
          return;
        }
        const i = next++;
        try {
          await queue.add('j', { i, t: performance.now() });
          added++;
        } catch (err) {
          errors.add(`add ${i}: ${err instanceof Error ? err.message : String(err)}`);
          return;
        }
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, o.window) }, adder));
    adding = false;
    if (errors.count > 0) stoppedBy = 'error';
    if (completed < added) {
      const drainAt = Math.max(stopAt, performance.now()) + o.drainSeconds * 1000;
      await Promise.race([allDone, new Promise<void>((resolve) => setTimeout(resolve, Math.max(0, drainAt - performance.now())).unref())]);
    }
    const end = o.sample();
    if (completed < added) errors.add(`${added - completed} of ${added} jobs not completed within the drain bound`);
    return genResult('bullmq', completed, start, end, hist, stoppedBy, errors, { jobs: o.jobs, added, completed, concurrency: o.concurrency, window: o.window });
  } finally {
    const closeBy = performance.now() + 10_000;
    await withDeadline(worker.close(true), closeBy, 'closing the Worker').catch(() => undefined);
    await withDeadline(queue.obliterate({ force: true }), closeBy, 'obliterating the queue').catch(() => undefined);
    await withDeadline(queue.close(), closeBy, 'closing the Queue').catch(() => undefined);
  }
}
