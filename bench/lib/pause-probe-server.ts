/*
 * slabcache with an event-loop stall probe, for bench/pauses.ts. Starts the real server
 * (src/server.ts startServer, the same code the CLI runs) from `--directive value` pairs,
 * and records perf_hooks.monitorEventLoopDelay at 1 ms resolution in the same process.
 *
 * Protocol over stdio, one JSON line per reply on stdout:
 *   start-up          -> {"ready":true,"port":N,"pid":N}
 *   stdin "reset"     -> {"reset":true}            (clears the histograms)
 *   stdin "report"    -> {"report":{...}}          (see EventLoopReport in servers.ts; ms)
 *   SIGTERM / SIGINT  -> {"report":...} for the time since the last reset, then exit 0
 *
 * Two views of a stall. Wall clock: monitorEventLoopDelay, each sample the time between two
 * ticks of a 1 ms timer, so an idle loop reads about 1 ms and a stall of S ms about S + 1 ms.
 * On-CPU: a 1 ms JS interval records the main thread's CPU time (process.threadCpuUsage,
 * user + system) since its previous tick, i.e. the work the server itself did between two
 * ticks, GC on the main thread included. The difference is time the thread was runnable but
 * not running (preempted by other processes); on a shared 2-core machine it can dominate the
 * wall-clock figure. The main thread's involuntary context switches are counted as well.
  */
import fs from 'node:fs';
import { createHistogram, monitorEventLoopDelay } from 'node:perf_hooks';
import { startServer } from '../../src/server.ts';

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
    cpuP99: ms(onCpu.percentile(99)),
    cpuP999: ms(onCpu.percentile(99.9)),
    cpuMax: ms(onCpu.max),
    preemptions: preemptions() - preemptionsAtReset,
  };
}

const directives = directivesFromArgs(process.argv.slice(2));
const wall = monitorEventLoopDelay({ resolution: 1 });
wall.enable();
/** Main-thread CPU time between two ticks of a 1 ms interval, in ns. */
const onCpu = createHistogram();
let lastCpu = process.threadCpuUsage();
const cpuTicker = setInterval(() => {
  const now = process.threadCpuUsage();
  onCpu.record(Math.max(1, (now.user - lastCpu.user + now.system - lastCpu.system) * 1000));
  lastCpu = now;
}, 1);
let preemptionsAtReset = preemptions();
const server = await startServer({ 'metrics-port': '0', loglevel: 'warning', ...directives });

const say = (obj: unknown) => process.stdout.write(JSON.stringify(obj) + '\n');
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
      onCpu.reset();
      lastCpu = process.threadCpuUsage();
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
  clearInterval(cpuTicker);
  say({ report: snapshot() });
  const force = setTimeout(() => process.exit(0), 3000);
  force.unref();
  void server.close().then(() => process.exit(0));
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
