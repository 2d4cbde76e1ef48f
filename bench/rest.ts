/*
 * `npm run bench:rest`: the REST API's GET and SET throughput, beside RESP's on the same server.
 *
 * Starts slabcache through its CLI (its own process, 127.0.0.1, free ports) with the REST API
 * on (--http-api-token), warms both HTTP paths up for 3 s each (which also stores the 32-byte
 * value GET reads), then runs, one after the other:
 *   - REST over HTTP/1.1 keep-alive: autocannon, --connections connections, POST / with
 *     ["SET","key:rest","<32 bytes>"] and ["GET","key:rest"] (the requests @upstash/redis sends,
 *     with its Upstash-Encoding: base64 header);
 *   - REST over HTTP/2 (h2c): the same requests from a node:http2 loop in this process,
 *     --sessions sessions with --connections streams in flight in all (autocannon has no
 *     HTTP/2);
 *   - RESP: redis-benchmark -t set,get -d 32 -c --connections (no pipelining), when on PATH.
 * Each load stops at --requests requests or --seconds seconds, whichever comes first. Prints
 * ops/s, p50 and p99 latency per load, and the REST/RESP ratio.
 *
 * The load generator shares the machine with the server (no core pinning here): the figures
 * compare the three paths on one machine, they are not the server's ceiling.
 */
import http2 from 'node:http2';
import autocannon from 'autocannon';
import { runRedisBenchmark } from './lib/redis-benchmark.ts';
import { commandLine, fmt, loadLine, machineLine, parseOptions, printTable, run } from './lib/report.ts';
import { freePort, onPath, startSlabcache, withServers } from './lib/servers.ts';

const USAGE = `npm run bench:rest -- [options]
  --seconds N      time bound of each load (default 10)
  --requests N     request bound of each load (default 200000)
  --connections N  HTTP/1.1 connections, HTTP/2 streams in flight, redis-benchmark clients (default 50)
  --sessions N     HTTP/2 sessions (default 4)`;

const TOKEN = 'bench-token';
const VALUE = 'v'.repeat(32);
const BODIES = { SET: JSON.stringify(['SET', 'key:rest', VALUE]), GET: JSON.stringify(['GET', 'key:rest']) } as const;
const HEADERS = { Authorization: `Bearer ${TOKEN}`, 'Content-Type': 'application/json', 'Upstash-Encoding': 'base64' };

interface Figures {
  ops: number;
  p50: number;
  p99: number;
  requests: number;
  failed: number;
}

function h1Load(base: string, body: string, connections: number, requests: number, seconds: number): Promise<Figures> {
  return new Promise((resolve, reject) => {
    const instance = autocannon({ url: base + '/', method: 'POST', headers: HEADERS, body, connections, amount: requests }, (err, r) => {
      clearTimeout(timer);
      if (err !== null) {
        reject(err);
        return;
      }
      resolve({ ops: r.requests.total / r.duration, p50: r.latency.p50, p99: r.latency.p99, requests: r.requests.total, failed: r.non2xx + r.errors + r.timeouts });
    });
    const timer = setTimeout(() => instance.stop(), seconds * 1000);
  });
}

/** `inFlight` streams over `sessions` sessions, each starting its next request as one ends. */
async function h2Load(base: string, body: string, sessions: number, inFlight: number, requests: number, seconds: number): Promise<Figures> {
  const conns = Array.from({ length: sessions }, () => http2.connect(base));
  await Promise.all(conns.map((s) => new Promise<void>((resolve, reject) => s.once('connect', () => resolve()).once('error', reject))));
  const headers = { ':method': 'POST', ':path': '/', authorization: HEADERS.Authorization, 'content-type': HEADERS['Content-Type'], 'upstash-encoding': 'base64' };
  const latencies: number[] = [];
  let started = 0;
  let failed = 0;
  const t0 = performance.now();
  const deadline = t0 + seconds * 1000;
  const worker = async (session: http2.ClientHttp2Session): Promise<void> => {
    while (started < requests && performance.now() < deadline) {
      started++;
      const begin = performance.now();
      const ok = await new Promise<boolean>((resolve) => {
        const req = session.request(headers);
        let status = 0;
        req.on('response', (h) => {
          status = Number(h[':status']);
        });
        req.on('data', () => {});
        req.on('end', () => resolve(status === 200));
        req.on('error', () => resolve(false));
        req.end(body);
      });
      if (!ok) failed++;
      latencies.push(performance.now() - begin);
    }
  };
  await Promise.all(Array.from({ length: inFlight }, (_, i) => worker(conns[i % sessions])));
  const elapsed = (performance.now() - t0) / 1000;
  for (const s of conns) s.close();
  latencies.sort((a, b) => a - b);
  const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? NaN;
  return { ops: latencies.length / elapsed, p50: at(0.5), p99: at(0.99), requests: latencies.length, failed };
}

async function main(): Promise<void> {
  const opts = parseOptions({ seconds: { type: 'string' }, requests: { type: 'string' }, connections: { type: 'string' }, sessions: { type: 'string' } }, USAGE);
  const seconds = opts.num('seconds', 10);
  const requests = opts.num('requests', 200_000);
  const connections = opts.num('connections', 50);
  const sessions = opts.num('sessions', 4);
  console.log(`# REST API throughput (${commandLine('bench/rest.ts')})`);
  console.log(machineLine());
  const httpPort = await freePort();
  const server = await startSlabcache({ directives: { 'metrics-port': String(httpPort), 'http-api-token': TOKEN } });
  const base = `http://127.0.0.1:${httpPort}`;
  await withServers([server], async () => {
    // Warm-up of both paths (the server's JIT, this process's HTTP/2 client), and the key exists for GET.
    await h1Load(base, BODIES.SET, connections, 20_000, 3);
    await h2Load(base, BODIES.SET, sessions, connections, 20_000, 3);
    const rows: Array<Array<string | number>> = [['load', 'transport', 'ops/s', 'p50 ms', 'p99 ms', 'requests', 'failed']];
    const figures = new Map<string, number>();
    for (const cmd of ['SET', 'GET'] as const) {
      const h1 = await h1Load(base, BODIES[cmd], connections, requests, seconds);
      rows.push([`REST ${cmd}`, `HTTP/1.1 keep-alive, ${connections} conns (autocannon)`, fmt(h1.ops, 0), fmt(h1.p50, 2), fmt(h1.p99, 2), h1.requests, String(h1.failed)]);
      figures.set(`h1 ${cmd}`, h1.ops);
      const h2 = await h2Load(base, BODIES[cmd], sessions, connections, requests, seconds);
      rows.push([`REST ${cmd}`, `HTTP/2 h2c, ${sessions} sessions, ${connections} streams`, fmt(h2.ops, 0), fmt(h2.p50, 2), fmt(h2.p99, 2), h2.requests, String(h2.failed)]);
      figures.set(`h2 ${cmd}`, h2.ops);
    }
    if (onPath('redis-benchmark')) {
      const rb = await runRedisBenchmark(server.port, ['-t', 'set,get', '-d', '32', '-c', String(connections), '-n', String(requests)], (seconds * 2 + 60) * 1000);
      for (const r of rb) {
        rows.push([`RESP ${r.test}`, `redis-benchmark, ${connections} clients, no pipelining`, fmt(r.rps, 0), fmt(r.p50, 2), fmt(r.p99, 2), r.requests, '0']);
        figures.set(`resp ${r.test}`, r.rps);
      }
    } else {
      rows.push(['RESP', 'redis-benchmark not on PATH: not run', '', '', '', '', '']);
    }
    printTable(rows);
    for (const cmd of ['SET', 'GET']) {
      const resp = figures.get(`resp ${cmd}`);
      if (resp === undefined) continue;
      console.log(`${cmd}: REST HTTP/1.1 ${fmt(figures.get(`h1 ${cmd}`)! / resp, 2)}x RESP, HTTP/2 ${fmt(figures.get(`h2 ${cmd}`)! / resp, 2)}x RESP`);
    }
    console.log(loadLine());
  });
}

run(main);
