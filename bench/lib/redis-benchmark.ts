/*
 * Runs redis-benchmark (from PATH) against a port and parses its report: throughput, the
 * latency summary (avg, min, p50, p95, p99, max) and p99.9 from the "Latency by percentile
 * distribution" block (the first line at or above 99.9%, i.e. an upper estimate: the tool
 * prints percentiles in halving steps, 99.902% being the one that lands there).
 * Client-observed latency is the figure comparable between two servers. The client's own
 * run-queue wait is sampled too: on a 2-core machine a latency spike can be the client
 * waiting for a CPU, not the server.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';

/** run_delay (ns) of a process's main thread, from /proc/PID/schedstat; NaN when unreadable. */
function runDelayNs(pid: number | undefined): number {
  if (pid === undefined) return NaN;
  try {
    return Number(fs.readFileSync(`/proc/${pid}/schedstat`, 'utf8').split(' ')[1]);
  } catch {
    return NaN;
  }
}

export interface RedisBenchmarkResult {
  test: string;
  requests: number;
  rps: number;
  avg: number;
  min: number;
  p50: number;
  p95: number;
  p99: number;
  p999: number;
  max: number;
  /** Time the redis-benchmark process waited for a CPU during the whole run (all tests), ms; NaN if unknown. */
  clientRunQueueWait: number;
}

export function parseRedisBenchmark(output: string): RedisBenchmarkResult[] {
  const results: RedisBenchmarkResult[] = [];
  const sections = output.split(/={6} (.+?) ={6}/);
  for (let i = 1; i + 1 < sections.length; i += 2) {
    const test = sections[i].trim();
    const body = sections[i + 1];
    const requests = Number(/(\d+) requests completed/.exec(body)?.[1] ?? NaN);
    const rps = Number(/throughput summary: ([\d.]+) requests per second/.exec(body)?.[1] ?? NaN);
    const summary = /avg\s+min\s+p50\s+p95\s+p99\s+max\s*\n\s*([\d.]+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)/.exec(body);
    let p999 = NaN;
    const dist = body.split('Latency by percentile distribution:')[1]?.split('Cumulative distribution')[0] ?? '';
    for (const m of dist.matchAll(/([\d.]+)% <= ([\d.]+) milliseconds/g)) {
      if (Number(m[1]) >= 99.9) {
        p999 = Number(m[2]);
        break;
      }
    }
    const n = (k: number) => (summary === null ? NaN : Number(summary[k]));
    results.push({ test, requests, rps, avg: n(1), min: n(2), p50: n(3), p95: n(4), p99: n(5), p999, max: n(6), clientRunQueueWait: NaN });
  }
  return results;
}

/** Run redis-benchmark -h 127.0.0.1 -p port ...args; killed after timeoutMs. */
export function runRedisBenchmark(port: number, args: string[], timeoutMs = 10 * 60_000): Promise<RedisBenchmarkResult[]> {
  return new Promise((resolve, reject) => {
    const child = spawn('redis-benchmark', ['-h', '127.0.0.1', '-p', String(port), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => (out += s));
    child.stderr.setEncoding('utf8').on('data', (s: string) => (err += s));
    // Sample the client's run-queue wait while it runs (it is gone by the time 'exit' fires).
    const first = runDelayNs(child.pid);
    let last = first;
    const sampler = setInterval(() => {
      const v = runDelayNs(child.pid);
      if (!Number.isNaN(v)) last = v;
    }, 100);
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`redis-benchmark ${args.join(' ')} did not finish within ${timeoutMs} ms`));
    }, timeoutMs);
    child.once('error', (e) => {
      clearTimeout(timer);
      clearInterval(sampler);
      reject(e);
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      clearInterval(sampler);
      const results = parseRedisBenchmark(out);
      for (const r of results) r.clientRunQueueWait = (last - first) / 1e6;
      if (code !== 0 || results.length === 0) reject(new Error(`redis-benchmark exited ${code}: ${err.trim() || out.slice(-2000)}`));
      else resolve(results);
    });
  });
}
