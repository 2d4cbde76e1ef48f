/*
 * `npm run bench:tls`: GET and SET over TLS, slabcache beside redis-server's TLS port.
 *
 * Makes a CA and a server certificate with the openssl CLI in a temp dir, starts redis-server
 * (when on PATH and built with TLS, as Debian's is) and slabcache through its CLI, each with
 * the same certificate, `tls-port` beside its plain port and `tls-auth-clients no` (the
 * handshake is paid once per connection; client certificates change only that), preloads the
 * key GET reads, and runs redis-benchmark `--tls --cacert` (-t set,get -d 32 -c --connections,
 * at pipeline 1 and --pipeline) against each TLS port, and the same over the plain port for
 * the cost of TLS itself, in --rounds interleaved rounds. Prints the medians (ops/s, p50, p99)
 * and the slabcache/redis-server ratios.
 *
 * Placement, with taskset on a machine of two or more CPUs: both servers on CPU 0 (one is under
 * load at a time), this process and its redis-benchmark children on CPU 1.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runRedisBenchmark } from './lib/redis-benchmark.ts';
import { commandLine, fmt, loadLine, machineLine, median, parseOptions, printTable, ratio, run } from './lib/report.ts';
import { freePort, onPath, startRedis, startSlabcache, withServers, type ServerProcess } from './lib/servers.ts';

const USAGE = `npm run bench:tls -- [options]
  --requests N     requests per redis-benchmark test (default 100000)
  --connections N  redis-benchmark clients (default 50)
  --pipeline N     the pipelined runs' depth (default 16)
  --rounds N       interleaved rounds per server (default 3)`;

function makeCertificates(dir: string): { ca: string; cert: string; key: string } {
  const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });
  openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=bench CA', '-keyout', 'ca.key', '-out', 'ca.crt');
  openssl('req', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=localhost', '-keyout', 'server.key', '-out', 'server.csr');
  fs.writeFileSync(path.join(dir, 'server.ext'), 'subjectAltName=DNS:localhost,IP:127.0.0.1\n');
  openssl('x509', '-req', '-in', 'server.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '2', '-extfile', 'server.ext', '-out', 'server.crt');
  return { ca: path.join(dir, 'ca.crt'), cert: path.join(dir, 'server.crt'), key: path.join(dir, 'server.key') };
}

function pin(pid: number, cpu: number): void {
  execFileSync('taskset', ['-a', '-pc', String(cpu), String(pid)], { stdio: 'ignore' });
}

interface Side {
  label: string;
  server: ServerProcess;
  tlsPort: number;
}

async function main(): Promise<void> {
  const opts = parseOptions({ requests: { type: 'string' }, connections: { type: 'string' }, pipeline: { type: 'string' }, rounds: { type: 'string' } }, USAGE);
  const requests = opts.num('requests', 100_000);
  const connections = opts.num('connections', 50);
  const pipeline = opts.num('pipeline', 16);
  const rounds = opts.num('rounds', 3);
  for (const tool of ['openssl', 'redis-benchmark']) if (!onPath(tool)) throw new Error(`${tool} is not on PATH (Debian: apt-get install openssl redis-tools)`);
  console.log(`# GET/SET over TLS (${commandLine('bench/tls.ts')})`);
  console.log(machineLine());
  const pinned = os.availableParallelism() >= 2 && onPath('taskset');
  if (pinned) pin(process.pid, 1);

  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'slabcache-bench-tls-'));
  try {
    const files = makeCertificates(dir);
    const tlsDirectives = { 'tls-cert-file': files.cert, 'tls-key-file': files.key, 'tls-ca-cert-file': files.ca, 'tls-auth-clients': 'no' };
    const sides: Side[] = [];
    if (onPath('redis-server')) {
      const tlsPort = await freePort();
      try {
        sides.push({ label: 'redis-server', server: await startRedis({ directives: { ...tlsDirectives, 'tls-port': String(tlsPort) } }), tlsPort });
      } catch (err) {
        console.log(`redis-server could not serve TLS (built without it?): ${String(err).split('\n')[0]}; slabcache alone`);
      }
    } else {
      console.log('redis-server not on PATH: slabcache alone');
    }
    const tlsPort = await freePort();
    sides.push({ label: 'slabcache', server: await startSlabcache({ directives: { ...tlsDirectives, 'tls-port': String(tlsPort) } }), tlsPort });
    if (pinned) for (const side of sides) pin(side.server.pid, 0);
    console.log(`placement: ${pinned ? 'servers on CPU 0, redis-benchmark on CPU 1 (taskset)' : 'not pinned'}; ${connections} connections, 32-byte values, ${requests} requests per test, ${rounds} round(s)`);

    await withServers(sides.map((s) => s.server), async () => {
      const loads = [
        { name: 'TLS', tls: true, pipeline: 1 },
        { name: `TLS P${pipeline}`, tls: true, pipeline },
        { name: 'plain', tls: false, pipeline: 1 },
        { name: `plain P${pipeline}`, tls: false, pipeline },
      ];
      // figures[side][load][test] = ops/s, p50, p99 of each round
      const figures = new Map<string, { rps: number[]; p50: number[]; p99: number[] }>();
      const key = (side: string, load: string, test: string) => `${side}|${load}|${test}`;
      for (const side of sides) {
        // Warm-up (slabcache's JIT) and the key GET reads.
        await runRedisBenchmark(side.tlsPort, ['--tls', '--cacert', files.ca, '-t', 'set,get', '-d', '32', '-c', String(connections), '-n', '50000']);
      }
      for (let round = 0; round < rounds; round++) {
        for (const load of loads) {
          for (const side of sides) {
            const port = load.tls ? side.tlsPort : side.server.port;
            const args = [...(load.tls ? ['--tls', '--cacert', files.ca] : []), '-t', 'set,get', '-d', '32', '-c', String(connections), '-n', String(requests), '-P', String(load.pipeline)];
            for (const r of await runRedisBenchmark(port, args)) {
              const k = key(side.label, load.name, r.test);
              const f = figures.get(k) ?? { rps: [], p50: [], p99: [] };
              f.rps.push(r.rps);
              f.p50.push(r.p50);
              f.p99.push(r.p99);
              figures.set(k, f);
            }
          }
        }
      }
      const rows: Array<Array<string | number>> = [['test', 'transport', 'server', 'ops/s', 'p50 ms', 'p99 ms', 'slabcache/redis ops/s']];
      for (const test of ['SET', 'GET']) {
        for (const load of loads) {
          const redis = figures.get(key('redis-server', load.name, test));
          for (const side of sides) {
            const f = figures.get(key(side.label, load.name, test));
            if (f === undefined) continue;
            const rel = side.label === 'slabcache' && redis !== undefined ? ratio(median(f.rps), median(redis.rps)) : '';
            rows.push([test, load.name, side.label, fmt(median(f.rps), 0), fmt(median(f.p50), 3), fmt(median(f.p99), 3), rel]);
          }
        }
      }
      printTable(rows);
      for (const side of sides) {
        for (const test of ['SET', 'GET']) {
          const t = figures.get(key(side.label, 'TLS', test));
          const p = figures.get(key(side.label, 'plain', test));
          if (t !== undefined && p !== undefined) console.log(`${side.label} ${test}: TLS at ${ratio(median(t.rps), median(p.rps))} of plain ops/s (pipeline 1)`);
        }
      }
      console.log(loadLine());
    });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

run(main);
