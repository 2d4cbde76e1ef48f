/*
 * Limits under load (issue 14): redis-server and slabcache side by side, each in its own
 * process on 127.0.0.1, fresh for each part, loaded by this one process.
 *
 * (a) Idle clients: `--idle` (10,000) connections that send nothing, plus `--active` (50) other
 *     clients sending PING one at a time; maxclients is set to idle + active + 10 so they all fit
 *     (the "maxclients 10000" counts the idle ones). Reported: RSS growth per idle client
 *     ((VmRSS after connecting - before) / idle), and the active clients' PING p50/p99 with
 *     the idle connections open, and its ratio to redis-server's. Target: p99 <= 2x Redis's.
 * (b) Stuck readers: `--stuck` (1,000) clients each send a 100 KB GET every --stuck-interval ms
 *     and never read. client-output-buffer-limit normal defaults to 0 0 0 in Redis, which lets
 *     a non-reading client grow without bound, so this part sets
 *     `client-output-buffer-limit normal 1mb 512kb 10` on both servers (and says so). Reported:
 *     peak RSS growth while they run (sampled every 20 ms, and VmHWM), the active clients' PING
 *     p99 without them, over the whole phase with them, and over the PINGs sent while any of
 *     them was still connected (the servers close them within about a second, so that is the
 *     figure the target is about), when the last one was closed, and how many were closed. Targets: growth
 *     < 64 MiB; p99 with them <= 1.5x without; every stuck client closed.
 *
 * Bounded: every phase runs for --seconds and every wait has a deadline; the servers are
 * killed when the script ends, fails or is interrupted (bench/lib/servers.ts).
 *
 *   npx node bench/limits.ts [--idle 10000] [--active 50] [--stuck 1000] [--seconds 3]
 */
import fs from 'node:fs';
import net from 'node:net';
import { parseInfo, processMemory, sleep, startRedis, startSlabcache, type ServerProcess } from './lib/servers.ts';
import { RespClient } from './lib/resp-client.ts';
import { commandLine, fmt, mib, parseOptions, printFooter, printHeader, printTable, ratio, run, serverKinds } from './lib/report.ts';

const USAGE = `usage: npx node bench/limits.ts [options]
  --idle N            idle connections in part (a) (default 10000)
  --active N          PING clients measured (default 50)
  --stuck N           non-reading GET clients in part (b) (default 1000)
  --stuck-interval MS each stuck client sends one GET this often (default 20)
  --seconds S         length of each measured phase (default 3)
  --servers L         redis,slabcache (default both)`;

const VALUE_BYTES = 100 * 1024;
const OUTPUT_LIMIT = 'normal 1mb 512kb 10';
const CONNECT_BATCH = 250;

/** The process's open-file limit (soft), from /proc/self/limits. */
function openFileLimit(): number {
  const m = /^Max open files\s+(\d+|unlimited)/m.exec(fs.readFileSync('/proc/self/limits', 'utf8'));
  return m === null || m[1] === 'unlimited' ? Infinity : Number(m[1]);
}

function connect(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ port, host: '127.0.0.1' });
    s.once('connect', () => {
      s.off('error', reject);
      s.on('error', () => {});
      resolve(s);
    });
    s.once('error', reject);
  });
}

/** Open n connections, CONNECT_BATCH at a time; the sockets, and how many the server refused. */
async function openMany(port: number, n: number): Promise<{ sockets: net.Socket[]; refused: number }> {
  const sockets: net.Socket[] = [];
  let refused = 0;
  for (let i = 0; i < n; i += CONNECT_BATCH) {
    const batch = await Promise.all(Array.from({ length: Math.min(CONNECT_BATCH, n - i) }, () => connect(port)));
    for (const s of batch) {
      s.on('data', (d: Buffer) => {
        if (d[0] === 0x2d) refused++;
      });
      sockets.push(s);
    }
  }
  await sleep(500);
  return { sockets, refused };
}

/**
 * One PING at a time on each of `clients`, for `ms`; latencies in microseconds, sorted. With
 * `sentAts`, each PING's send time (performance.now) is pushed there beside its latency in `raw`.
 */
async function pingLatencies(clients: net.Socket[], ms: number, sentAts: number[] | null = null, raw: number[] | null = null): Promise<Float64Array> {
  const samples: number[] = [];
  const deadline = performance.now() + ms;
  const ping = Buffer.from('PING\r\n');
  await Promise.all(clients.map((s) => new Promise<void>((resolve) => {
    let sentAt = 0;
    let got = 0;
    const next = (): void => {
      if (performance.now() >= deadline || s.destroyed) {
        s.off('data', onData);
        resolve();
        return;
      }
      sentAt = performance.now();
      s.write(ping);
    };
    const onData = (d: Buffer): void => {
      got += d.length;
      while (got >= 7) {
        got -= 7;
        const latency = (performance.now() - sentAt) * 1000;
        samples.push(latency);
        if (sentAts !== null) {
          sentAts.push(sentAt);
          raw!.push(latency);
        }
        next();
      }
    };
    s.on('data', onData);
    s.once('close', () => resolve());
    next();
  })));
  return Float64Array.from(samples).sort();
}

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

interface IdleResult {
  connected: number;
  refused: number;
  bytesPerClient: number;
  p50: number;
  p99: number;
  baseP99: number;
  pings: number;
}

async function idlePart(kind: 'redis' | 'slabcache', idle: number, active: number, seconds: number): Promise<IdleResult> {
  const opts = { directives: { maxclients: String(idle + active + 10) } };
  const server = kind === 'redis' ? await startRedis(opts) : await startSlabcache(opts);
  try {
    const pingers = await Promise.all(Array.from({ length: active }, () => connect(server.port)));
    const base = await pingLatencies(pingers, seconds * 1000);
    await sleep(500);
    const before = server.memory().rss;
    const { sockets, refused } = await openMany(server.port, idle);
    await sleep(1000);
    const after = server.memory().rss;
    const lat = await pingLatencies(pingers, seconds * 1000);
    const connected = sockets.filter((s) => !s.destroyed).length - refused;
    for (const s of [...sockets, ...pingers]) s.destroy();
    return { connected, refused, bytesPerClient: (after - before) / idle, p50: percentile(lat, 50), p99: percentile(lat, 99), baseP99: percentile(base, 99), pings: lat.length };
  } finally {
    await server.stop();
  }
}

interface StuckResult {
  baseP99: number;
  p99: number;
  peakGrowth: number;
  hwmGrowth: number;
  closed: number;
  stuck: number;
  pings: number;
  /** PING p99 over the PINGs sent before the last stuck client was closed. */
  p99WhileOpen: number;
  /** Stuck clients still connected when the PING phase ended. */
  openAtEnd: number;
  /** When the last stuck client was closed, ms after they started sending (NaN: not within the phase). */
  allClosedMs: number;
}

async function stuckPart(kind: 'redis' | 'slabcache', stuck: number, active: number, intervalMs: number, seconds: number): Promise<StuckResult> {
  const opts = { directives: { maxclients: String(stuck + active + 10), 'client-output-buffer-limit': OUTPUT_LIMIT } };
  const server = kind === 'redis' ? await startRedis(opts) : await startSlabcache(opts);
  try {
    const ctl = await RespClient.connect(server.port);
    await ctl.call('SET', 'big', 'x'.repeat(VALUE_BYTES));
    const connectedClients = async () => Number(parseInfo(String(await ctl.call('INFO', 'clients'))).get('connected_clients'));
    const pingers = await Promise.all(Array.from({ length: active }, () => connect(server.port)));
    const base = await pingLatencies(pingers, seconds * 1000);
    const { sockets } = await openMany(server.port, stuck);
    // They never read, so they cannot see the server close them: it says how many it still has.
    for (const s of sockets) s.pause();
    const others = active + 1;
    await sleep(500);
    const before = server.memory().rss;
    let peak = before;
    const get = Buffer.from(`*2\r\n$3\r\nGET\r\n$3\r\nbig\r\n`);
    const sender = setInterval(() => {
      for (const s of sockets) if (!s.destroyed && s.writableLength < 64 * 1024) s.write(get);
    }, intervalMs);
    const sampler = setInterval(() => {
      peak = Math.max(peak, processMemory(server.pid).rss);
    }, 20);
    const started = performance.now();
    let openAtEnd = stuck;
    let allClosedMs = NaN;
    let polling = true;
    const poller = (async () => {
      while (polling) {
        openAtEnd = (await connectedClients()) - others;
        if (openAtEnd <= 0 && Number.isNaN(allClosedMs)) allClosedMs = performance.now() - started;
        await sleep(100);
      }
    })();
    const sentAts: number[] = [];
    const raw: number[] = [];
    const lat = await pingLatencies(pingers, seconds * 1000, sentAts, raw);
    polling = false;
    await poller;
    clearInterval(sender);
    // Give the output limits (soft: 10 s) their time before counting who was closed.
    const deadline = Date.now() + 12_000;
    let closed = stuck - ((await connectedClients()) - others);
    while (closed < stuck && Date.now() < deadline) {
      await sleep(200);
      closed = stuck - ((await connectedClients()) - others);
    }
    clearInterval(sampler);
    ctl.close();
    const hwm = server.memory().hwm;
    for (const s of [...sockets, ...pingers]) s.destroy();
    // The PINGs sent while stuck clients were still connected (all of them if some outlived the phase).
    const cutoff = Number.isNaN(allClosedMs) ? Infinity : started + allClosedMs;
    const whileOpen = Float64Array.from(raw.filter((_, i) => sentAts[i] < cutoff)).sort();
    return { baseP99: percentile(base, 99), p99: percentile(lat, 99), p99WhileOpen: percentile(whileOpen, 99), peakGrowth: peak - before, hwmGrowth: hwm - before, closed, stuck, pings: lat.length, openAtEnd, allClosedMs };
  } finally {
    await server.stop();
  }
}

const us = (x: number) => `${fmt(x)} us`;

async function main(): Promise<void> {
  const opt = parseOptions({ idle: { type: 'string' }, active: { type: 'string' }, stuck: { type: 'string' }, 'stuck-interval': { type: 'string' }, seconds: { type: 'string' }, servers: { type: 'string' } }, USAGE);
  const kinds = serverKinds(opt.str('servers', 'redis,slabcache'));
  let idle = Math.floor(opt.num('idle', 10_000));
  const active = Math.max(1, Math.floor(opt.num('active', 50)));
  const stuck = Math.floor(opt.num('stuck', 1000));
  const intervalMs = Math.max(1, opt.num('stuck-interval', 20));
  const seconds = Math.max(0.5, opt.num('seconds', 3));
  printHeader('slabcache limits under load', commandLine('bench/limits.ts'));
  const fdLimit = openFileLimit();
  if (idle + active + 64 > fdLimit) {
    console.log(`open-file limit ${fdLimit} in this process: idle clients reduced from ${idle} to ${fdLimit - active - 64} (raise ulimit -n to run all)`);
    idle = fdLimit - active - 64;
  }

  console.log(`(a) ${fmt(idle)} idle clients + ${active} PING clients (one PING in flight each, ${seconds} s per phase); maxclients ${idle + active + 10}`);
  const a = new Map<string, IdleResult>();
  for (const k of kinds) a.set(k, await idlePart(k, idle, active, seconds));
  const ra = a.get('redis');
  printTable([
    ['server', 'connected', 'refused', 'RSS/idle client', 'PING p99 alone', 'PING p50 w/ idle', 'PING p99 w/ idle', 'p99 vs redis', 'PINGs'],
    ...[...a].map(([k, r]) => [k, String(r.connected), String(r.refused), `${fmt(r.bytesPerClient)} B`, us(r.baseP99), us(r.p50), us(r.p99), ra === undefined ? '-' : ratio(r.p99, ra.p99), r.pings]),
  ]);

  console.log(`\n(b) ${stuck} clients sending GET of a ${VALUE_BYTES / 1024} KB value every ${intervalMs} ms, never reading; client-output-buffer-limit ${OUTPUT_LIMIT} (Redis's default is normal 0 0 0); ${active} PING clients measured ${seconds} s without, then with them`);
  const b = new Map<string, StuckResult>();
  for (const k of kinds) b.set(k, await stuckPart(k, stuck, active, intervalMs, seconds));
  printTable([
    ['server', 'peak RSS growth', 'VmHWM growth', 'PING p99 without', 'PING p99 with', 'with/without', 'p99 while stuck open', 'while open/without', 'all closed after', 'open at phase end', 'stuck closed', 'PINGs'],
    ...[...b].map(([k, r]) => [k, mib(r.peakGrowth), mib(r.hwmGrowth), us(r.baseP99), us(r.p99), ratio(r.p99, r.baseP99), us(r.p99WhileOpen), ratio(r.p99WhileOpen, r.baseP99), Number.isNaN(r.allClosedMs) ? 'after the phase' : `${fmt(r.allClosedMs)} ms`, String(r.openAtEnd), `${r.closed}/${r.stuck}`, r.pings]),
  ]);
  console.log('\ntargets: (a) p99 w/ idle <= 2x redis-server\'s; (b) peak growth < 64 MiB, p99 with <= 1.5x without, every stuck client closed');
  printFooter();
}

run(main);
