/*
 * Starting and stopping the servers a benchmark compares: redis-server (from PATH) and
 * slabcache, each in its own child process on 127.0.0.1 and a free ephemeral port, with the
 * same maxmemory and policy, persistence off. Every child is registered so that it is killed
 * when the benchmark ends, fails, or is interrupted; RSS is read from /proc/PID/status, the
 * same way for both.
 *
 * slabcache runs either as the real CLI (cli/main.ts) or, for the pause benchmark, as
 * bench/lib/pause-probe-server.ts: the same server plus an event-loop delay histogram that
 * the benchmark resets and reads over the child's stdin/stdout.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { RespClient } from './resp-client.ts';
import launcherNodeFlags from '../../cli/node-flags.json' with { type: 'json' };

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
/** The pinned Node 24 binary (the system node may be older). */
export const NODE = path.join(ROOT, 'node_modules/.bin/node');

export type ServerKind = 'redis' | 'slabcache';

export interface ServerOptions {
  /** redis.conf syntax, e.g. '100mb' or bytes as a string; '0' for no limit. */
  maxmemory?: string;
  policy?: string;
  /** Further directives, the same for both servers (name without dashes -> value). */
  directives?: Record<string, string>;
}

export interface EventLoopReport {
  /** Wall clock (monitorEventLoopDelay), ms; each sample includes the 1 ms sampling interval. */
  min: number;
  mean: number;
  p50: number;
  p99: number;
  p999: number;
  max: number;
  count: number;
  /** Own stall, ms: wall time between ticks of a 1 ms interval minus the main thread's run-queue wait in it. */
  ownP99: number;
  ownP999: number;
  ownMax: number;
  /** Total time the main thread waited for a CPU (preempted while runnable), ms. */
  runQueueWait: number;
  /** Involuntary context switches of the main thread. */
  preemptions: number;
  /** GC pauses (PerformanceObserver 'gc' entries): longest and total ms, and how many. */
  gcMax: number;
  gcTotal: number;
  gcCount: number;
  /** Worst own time of one store maintenance() call (the server tick's periodic store work), ms. */
  maintenanceMax: number;
  /** Worst own time of one slab rebalanceStep() call that reassigned (part of) a page, ms, and how many such calls. */
  rebalanceMax: number;
  rebalanceCalls: number;
}

const live = new Set<ChildProcess>();
const started: Array<ServerProcess<string>> = [];

/** Exit status and stderr tail of every server started in this run that died or complained. */
export function serverDiagnostics(): string {
  const lines: string[] = [];
  for (const s of started) {
    const code = s.child.exitCode;
    const signal = s.child.signalCode;
    const tail = s.stderrTail();
    if (tail === '' && code === null && signal === null) continue;
    lines.push(`${s.label} (pid ${s.child.pid}, port ${s.port}): ${code !== null || signal !== null ? `exited code=${code} signal=${signal}` : 'running'}${tail !== '' ? `, stderr:\n${tail}` : ''}`);
  }
  return lines.join('\n');
}

function killAllNow(): void {
  for (const child of live) {
    try {
      child.kill('SIGKILL');
    } catch {
      // already gone
    }
  }
  live.clear();
}

let handlersInstalled = false;
function installExitHandlers(): void {
  if (handlersInstalled) return;
  handlersInstalled = true;
  process.on('exit', killAllNow);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(signal, () => {
      killAllNow();
      process.stderr.write(`\ninterrupted (${signal}); servers killed\n`);
      process.exit(130);
    });
  }
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** VmRSS and VmHWM (peak RSS) of a process, in bytes. */
export function processMemory(pid: number): { rss: number; hwm: number } {
  const text = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const field = (name: string): number => {
    const m = new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(text);
    if (m === null) throw new Error(`/proc/${pid}/status has no ${name}`);
    return Number(m[1]) * 1024;
  };
  return { rss: field('VmRSS'), hwm: field('VmHWM') };
}

/** Redis-style INFO text to a name -> value map. */
export function parseInfo(text: string): Map<string, string> {
  const map = new Map<string, string>();
  for (const line of text.split('\r\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const colon = line.indexOf(':');
    if (colon > 0) map.set(line.slice(0, colon), line.slice(colon + 1));
  }
  return map;
}

/** Display names of the servers the benchmarks start (the load harness adds its Node floor). */
const LABELS: Record<string, string> = { redis: 'redis-server', slabcache: 'slabcache', floor: 'Node floor' };

export class ServerProcess<K extends string = ServerKind> {
  readonly kind: K;
  readonly port: number;
  readonly child: ChildProcess;
  private stderr = '';
  private stdoutBuf = '';
  private readonly lineWaiters: Array<(line: string) => void> = [];
  private readonly lines: string[] = [];
  private exited: Promise<void>;
  private hasExited = false;

  constructor(kind: K, port: number, child: ChildProcess) {
    this.kind = kind;
    this.port = port;
    this.child = child;
    live.add(child);
    started.push(this);
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (s: string) => {
      this.stderr = (this.stderr + s).slice(-8000);
    });
    child.stdout?.setEncoding('utf8');
    child.stdout?.on('data', (s: string) => {
      this.stdoutBuf += s;
      let nl: number;
      while ((nl = this.stdoutBuf.indexOf('\n')) >= 0) {
        const line = this.stdoutBuf.slice(0, nl);
        this.stdoutBuf = this.stdoutBuf.slice(nl + 1);
        if (!line.startsWith('{"probe":true')) {
          // The server's own output (log lines): keep it with stderr for diagnostics.
          this.stderr = (this.stderr + line + '\n').slice(-8000);
          continue;
        }
        const waiter = this.lineWaiters.shift();
        if (waiter !== undefined) waiter(line);
        else this.lines.push(line);
      }
    });
    this.exited = new Promise((resolve) =>
      child.once('exit', () => {
        this.hasExited = true;
        live.delete(child);
        resolve();
      }),
    );
  }

  get pid(): number {
    return this.child.pid!;
  }

  get label(): string {
    return LABELS[this.kind] ?? this.kind;
  }

  stderrTail(): string {
    return this.stderr.trim();
  }

  memory(): { rss: number; hwm: number } {
    return processMemory(this.pid);
  }

  /** Next probe reply line on stdout (other stdout lines go to the diagnostics tail). */
  nextLine(timeoutMs = 30_000): Promise<string> {
    const queued = this.lines.shift();
    if (queued !== undefined) return Promise.resolve(queued);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        const i = this.lineWaiters.indexOf(onLine);
        if (i >= 0) this.lineWaiters.splice(i, 1);
        reject(new Error(`${this.label}: no output line within ${timeoutMs} ms; stderr: ${this.stderrTail()}`));
      }, timeoutMs);
      const onLine = (line: string) => {
        clearTimeout(timer);
        resolve(line);
      };
      this.lineWaiters.push(onLine);
    });
  }

  /** Probe only: clear the event-loop delay histogram. */
  async resetLoopDelay(): Promise<void> {
    this.child.stdin!.write('reset\n');
    const line = await this.nextLine();
    if (!line.includes('"reset"')) throw new Error(`probe: unexpected reply ${line}`);
  }

  /** Probe only: the event-loop delay histogram since the last reset. */
  async loopDelay(): Promise<EventLoopReport> {
    this.child.stdin!.write('report\n');
    const line = await this.nextLine();
    const parsed = JSON.parse(line) as { report?: EventLoopReport };
    if (parsed.report === undefined) throw new Error(`probe: unexpected reply ${line}`);
    return parsed.report;
  }

  async waitReady(timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let lastError: unknown = null;
    while (Date.now() < deadline) {
      if (this.hasExited) throw new Error(`${this.label} exited during start-up (code ${this.child.exitCode}): ${this.stderrTail()}`);
      try {
        const c = await RespClient.connect(this.port, '127.0.0.1', 10_000);
        try {
          const pong = await c.call('PING');
          if (pong === 'PONG') return;
          lastError = new Error(`PING answered ${String(pong)}`);
        } finally {
          c.close();
        }
      } catch (err) {
        lastError = err;
      }
      await sleep(100);
    }
    throw new Error(`${this.label} not ready after ${timeoutMs} ms: ${String(lastError)}; stderr: ${this.stderrTail()}`);
  }

  /** SIGTERM, then SIGKILL after `graceMs`. Resolves once the process is gone. */
  async stop(graceMs = 5000): Promise<void> {
    if (this.hasExited) return;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
  }

  kill(): void {
    if (!this.hasExited) this.child.kill('SIGKILL');
  }
}

export async function startRedis(opts: ServerOptions = {}): Promise<ServerProcess> {
  installExitHandlers();
  const port = await freePort();
  const args = [
    '--port', String(port),
    '--bind', '127.0.0.1',
    '--save', '',
    '--appendonly', 'no',
    '--daemonize', 'no',
    '--loglevel', 'warning',
    '--maxmemory', opts.maxmemory ?? '0',
    '--maxmemory-policy', opts.policy ?? 'noeviction',
  ];
  for (const [k, v] of Object.entries(opts.directives ?? {})) args.push(`--${k}`, v);
  const child = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const server = new ServerProcess('redis', port, child);
  await server.waitReady();
  return server;
}

/**
 * The V8 flags the `slabcache` launcher gives Node (cli/node-flags.json): the benchmarks start
 * cli/main.ts directly, so they add them themselves and measure the server as users run it.
 */
export const SERVER_NODE_FLAGS: readonly string[] = launcherNodeFlags;

/**
 * Node flags for the slabcache processes these scripts start: SERVER_NODE_FLAGS, then (a later
 * value of the same flag wins) those of the environment variable
 * SLABCACHE_NODE_FLAGS (space-separated), e.g. '--cpu-prof --cpu-prof-dir=/tmp/prof' to profile
 * slabcache under any benchmark's load (NODE_OPTIONS refuses --cpu-prof).
 */
function extraNodeFlags(): string[] {
  const flags = process.env.SLABCACHE_NODE_FLAGS;
  return [...SERVER_NODE_FLAGS, ...(flags === undefined || flags.trim() === '' ? [] : flags.trim().split(/\s+/))];
}

function slabcacheArgs(port: number, opts: ServerOptions): string[] {
  const args = [
    '--port', String(port),
    '--bind', '127.0.0.1',
    '--metrics-port', '0',
    '--loglevel', 'warning',
    '--maxmemory', opts.maxmemory ?? '0',
    '--maxmemory-policy', opts.policy ?? 'noeviction',
  ];
  for (const [k, v] of Object.entries(opts.directives ?? {})) args.push(`--${k}`, v);
  return args;
}

/** slabcache through its CLI, in its own process (so its RSS is its own). */
export async function startSlabcache(opts: ServerOptions = {}): Promise<ServerProcess> {
  installExitHandlers();
  const port = await freePort();
  const child = spawn(NODE, [...extraNodeFlags(), 'cli/main.ts', ...slabcacheArgs(port, opts)], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  const server = new ServerProcess('slabcache', port, child);
  await server.waitReady();
  return server;
}

/** slabcache inside bench/lib/pause-probe-server.ts, which also records event-loop delay. */
export async function startSlabcacheProbe(opts: ServerOptions = {}): Promise<ServerProcess> {
  installExitHandlers();
  const port = await freePort();
  const child = spawn(NODE, [...extraNodeFlags(), 'bench/lib/pause-probe-server.ts', ...slabcacheArgs(port, opts)], { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
  const server = new ServerProcess('slabcache', port, child);
  const first = await server.nextLine(30_000).catch((err: Error) => {
    server.kill();
    throw err;
  });
  if (!first.includes('"ready"')) {
    server.kill();
    throw new Error(`probe did not start: ${first} ${server.stderrTail()}`);
  }
  await server.waitReady();
  return server;
}

export function startServer(kind: ServerKind, opts: ServerOptions = {}): Promise<ServerProcess> {
  return kind === 'redis' ? startRedis(opts) : startSlabcache(opts);
}

/** Run `body` with the servers, stopping all of them afterwards even when it throws. */
export async function withServers<T>(servers: ServerProcess[], body: () => Promise<T>): Promise<T> {
  try {
    return await body();
  } finally {
    await Promise.all(servers.map((s) => s.stop()));
  }
}

export async function info(client: RespClient, section: string): Promise<Map<string, string>> {
  const text = await client.call('INFO', section);
  if (typeof text !== 'string') throw new Error(`INFO ${section} answered ${String(text)}`);
  return parseInfo(text);
}

export async function infoNumber(client: RespClient, section: string, field: string): Promise<number> {
  const map = await info(client, section);
  const v = map.get(field);
  if (v === undefined) throw new Error(`INFO ${section} has no ${field}`);
  return Number(v);
}

export async function dbsize(client: RespClient): Promise<number> {
  const n = await client.call('DBSIZE');
  if (typeof n !== 'number') throw new Error(`DBSIZE answered ${String(n)}`);
  return n;
}

/** Is a program on PATH? */
export function onPath(program: string): boolean {
  for (const dir of (process.env.PATH ?? '').split(':')) {
    if (dir === '') continue;
    try {
      fs.accessSync(path.join(dir, program), fs.constants.X_OK);
      return true;
    } catch {
      // keep looking
    }
  }
  return false;
}
