/*
 * slabcache with an event-loop stall probe, for bench/pauses.ts. Starts the real server
 * (src/server.ts startServer, the same code the CLI runs) from `--directive value` pairs,
 * and records perf_hooks.monitorEventLoopDelay at 1 ms resolution in the same process.
 *
 * Protocol over stdio, one JSON line per reply on stdout, tagged "probe":true (the server's
 * logger may write to stdout too):
 *   start-up          -> {"ready":true,"port":N,"pid":N}
 *   stdin "reset"     -> {"reset":true}            (clears the histograms)
 *   stdin "report"    -> {"report":{...}}          (see EventLoopReport in servers.ts; ms)
 *   SIGTERM / SIGINT  -> {"report":...} for the time since the last reset, then exit 0
 *
 * Two views of a stall. Wall clock: monitorEventLoopDelay, each sample the time between two
 * ticks of a 1 ms timer, so an idle loop reads about 1 ms and a stall of S ms about S + 1 ms.
 * Own: a 1 ms JS interval records, for each interval between its ticks, the wall time minus
 * the time the main thread spent waiting in the kernel's run queue (run_delay from
 * /proc/thread-self/schedstat, exact in ns), i.e. the stall the server caused itself, its GC
 * included, without the time it was preempted by other processes. On a shared 2-core machine
 * preemption can dominate the wall-clock figure. (process.threadCpuUsage would be the obvious
 * measure, but on this kernel it advances in 4 ms scheduler ticks for a running thread.)
 * The main thread's involuntary context switches are counted as well, and GC pauses (from
 * PerformanceObserver 'gc' entries) so that a stall can be told apart from a collection.
 *
 * To tell the store's periodic work from the rest, the probe also times (own time, as above)
 * every call of the store's maintenance() (the server tick's active expiry, index migration and
 * slab page reassignment) and every slab rebalanceStep() call that reassigned (part of) a page,
 * by wrapping the two methods on the running server's instances, and reports the worst of each.
 */
import fs from 'node:fs';
import { PerformanceObserver, createHistogram, monitorEventLoopDelay } from 'node:perf_hooks';
import { startServer } from '../../src/server.ts';
import { runQueueWaitNs } from './schedstat.ts';

function directivesFromArgs(args: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i < args.length; i += 2) {
    const name = args[i];
    if (!name.startsWith('--') || i + 1 >= args.length) throw new Error(`pause-probe-server: bad argument '${name}' (expected --directive value pairs)`);
    out[name.slice(2)] = args[i + 1];
  }
  return out;
}

/** Involuntary context switches of the main thread (tid = pid). */
function preemptions(): number {
  try {
    const m = /^nonvoluntary_ctxt_switches:\s+(\d+)/m.exec(fs.readFileSync(`/proc/self/task/${process.pid}/status`, 'utf8'));
    return m === null ? NaN : Number(m[1]);
  } catch {
    return NaN;
  }
}

function snapshot(): Record<string, number> {
  const ms = (ns: number) => Math.round(ns / 1e3) / 1e3;
  return {
    min: ms(wall.min),
    mean: ms(wall.mean),
    p50: ms(wall.percentile(50)),
    p99: ms(wall.percentile(99)),
    p999: ms(wall.percentile(99.9)),
    max: ms(wall.max),
    count: wall.count,
    ownP99: ms(own.percentile(99)),
    ownP999: ms(own.percentile(99.9)),
    ownMax: ms(own.max),
    runQueueWait: ms(runQueueWaitNs() - runDelayAtReset),
    gcMax: Math.round(gcMax * 1e3) / 1e3,
    gcTotal: Math.round(gcTotal * 1e3) / 1e3,
    gcCount,
    preemptions: preemptions() - preemptionsAtReset,
    maintenanceMax: ms(maintenanceMax * 1e6),
    rebalanceMax: ms(rebalanceMax * 1e6),
    rebalanceCalls,
  };
}

const directives = directivesFromArgs(process.argv.slice(2));
const wall = monitorEventLoopDelay({ resolution: 1 });
wall.enable();
/** Wall time between two ticks of a 1 ms interval minus the run-queue wait within it, in ns. */
const own = createHistogram();
let lastTick = process.hrtime.bigint();
let lastDelay = runQueueWaitNs();
const ownTicker = setInterval(() => {
  const now = process.hrtime.bigint();
  const delay = runQueueWaitNs();
  const wallNs = Number(now - lastTick);
  const waited = Number.isNaN(delay) ? 0 : delay - lastDelay;
  own.record(Math.max(1, Math.round(wallNs - waited)));
  lastTick = now;
  lastDelay = delay;
}, 1);
let runDelayAtReset = runQueueWaitNs();
let gcMax = 0;
let gcTotal = 0;
let gcCount = 0;
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) {
    gcCount++;
    gcTotal += e.duration;
    if (e.duration > gcMax) gcMax = e.duration;
  }
}).observe({ entryTypes: ['gc'] });
let preemptionsAtReset = preemptions();
const server = await startServer({ 'metrics-port': '0', loglevel: 'warning', ...directives });

/** Own ms since `start` (a performance.now() time), given the run-queue wait (ns) read then. */
function ownSince(start: number, delayAtStart: number): number {
  const wallMs = performance.now() - start;
  const delay = runQueueWaitNs();
  return Number.isNaN(delay) ? wallMs : wallMs - (delay - delayAtStart) / 1e6;
}
let maintenanceMax = 0;
let rebalanceMax = 0;
let rebalanceCalls = 0;
const store = server.state.store;
const maintenance = store.maintenance.bind(store);
store.maintenance = (budgetMs: number): void => {
  const d = runQueueWaitNs();
  const t = performance.now();
  maintenance(budgetMs);
  maintenanceMax = Math.max(maintenanceMax, ownSince(t, d));
};
const rebalanceStep = store.alloc.rebalanceStep.bind(store.alloc);
store.alloc.rebalanceStep = (deadline?: number): boolean => {
  const d = runQueueWaitNs();
  const t = performance.now();
  const worked = rebalanceStep(deadline);
  if (worked) {
    rebalanceCalls++;
    rebalanceMax = Math.max(rebalanceMax, ownSince(t, d));
  }
  return worked;
};

/** Probe replies are tagged, so the benchmark can tell them from the server's own log lines on stdout. */
const say = (obj: Record<string, unknown>) => process.stdout.write(JSON.stringify({ probe: true, ...obj }) + '\n');
say({ ready: true, port: server.port, pid: process.pid });

let input = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (chunk: string) => {
  input += chunk;
  let nl: number;
  while ((nl = input.indexOf('\n')) >= 0) {
    const line = input.slice(0, nl).trim();
    input = input.slice(nl + 1);
    if (line === 'reset') {
      wall.reset();
      own.reset();
      lastTick = process.hrtime.bigint();
      lastDelay = runQueueWaitNs();
      runDelayAtReset = lastDelay;
      gcMax = 0;
      gcTotal = 0;
      gcCount = 0;
      maintenanceMax = 0;
      rebalanceMax = 0;
      rebalanceCalls = 0;
      preemptionsAtReset = preemptions();
      say({ reset: true });
    } else if (line === 'report') {
      say({ report: snapshot() });
    } else if (line !== '') {
      say({ error: `unknown probe command '${line}'` });
    }
  }
});

let stopping = false;
const stop = () => {
  if (stopping) return;
  stopping = true;
  wall.disable();
  clearInterval(ownTicker);
  say({ report: snapshot() });
  const force = setTimeout(() => process.exit(0), 3000);
  force.unref();
  void server.close().then(() => process.exit(0));
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
