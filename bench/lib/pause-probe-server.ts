/*
 * slabcache with an event-loop stall probe, for bench/pauses.ts. Starts the real server
 * (src/server.ts startServer, the same code the CLI runs) from `--directive value` pairs,
 * and records perf_hooks.monitorEventLoopDelay at 1 ms resolution in the same process.
 *
 * Protocol over stdio, one JSON line per reply on stdout:
 *   start-up          -> {"ready":true,"port":N,"pid":N}
 *   stdin "reset"     -> {"reset":true}            (clears the histogram)
 *   stdin "report"    -> {"report":{min,mean,p50,p99,p999,max,count}} (milliseconds)
 *   SIGTERM / SIGINT  -> {"report":...} for the time since the last reset, then exit 0
 *
 * Each sample is the time between two ticks of a 1 ms timer, so an idle loop reads about
 * 1 ms and a stall of S ms reads about S + 1 ms.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
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

function snapshot(h: ReturnType<typeof monitorEventLoopDelay>): Record<string, number> {
  const ms = (ns: number) => Math.round(ns / 1e3) / 1e3;
  return {
    min: ms(h.min),
    mean: ms(h.mean),
    p50: ms(h.percentile(50)),
    p99: ms(h.percentile(99)),
    p999: ms(h.percentile(99.9)),
    max: ms(h.max),
    count: h.count,
  };
}

const directives = directivesFromArgs(process.argv.slice(2));
const histogram = monitorEventLoopDelay({ resolution: 1 });
histogram.enable();
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
      histogram.reset();
      say({ reset: true });
    } else if (line === 'report') {
      say({ report: snapshot(histogram) });
    } else if (line !== '') {
      say({ error: `unknown probe command '${line}'` });
    }
  }
});

let stopping = false;
const stop = () => {
  if (stopping) return;
  stopping = true;
  histogram.disable();
  say({ report: snapshot(histogram) });
  const force = setTimeout(() => process.exit(0), 3000);
  force.unref();
  void server.close().then(() => process.exit(0));
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
