/*
 * Starts a real redis-server (the reference implementation) for differential tests: bound to
 * 127.0.0.1 on a free ephemeral port, no persistence (`--save '' --appendonly no`, working
 * directory in a fresh temp dir), plus the caller's directives, given like startServer's
 * (redis.conf names and values as strings). Resolves once it answers PING.
 *
 * Ports: redis-server has no "port 0 = ephemeral", so a free port is found by listening on
 * port 0 and closing; if another process takes it in between, redis-server exits at start and
 * the start is retried on a new port.
 *
 * Locale: LC_ALL=C, the collation slabcache implements (see the comment at the spawn).
 *
 * Every server started here is killed when the test process exits, even if a test forgot to
 * stop() it.
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

export interface RedisServerHandle {
  host: string;
  port: number;
  /** The version string redis-server reports (e.g. "7.0.15"). */
  version: string;
  stop(): Promise<void>;
}

let cachedBinary: string | null | undefined;
let cachedVersion: string | undefined;

/** Absolute path of redis-server on PATH, or null (`which redis-server`). */
export function redisServerPath(): string | null {
  if (cachedBinary !== undefined) return cachedBinary;
  cachedBinary = whichSync('redis-server');
  return cachedBinary;
}

export function whichSync(name: string): string | null {
  try {
    const out = execFileSync('which', [name], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    return out === '' ? null : out;
  } catch {
    return null;
  }
}

/** The message a suite prints when it skips for lack of redis-server. */
export const REDIS_MISSING_MESSAGE = 'redis-server not on PATH: differential tests skipped';

/** True when redis-server is available; otherwise prints the skip message (once per call site). */
export function haveRedisServer(message = REDIS_MISSING_MESSAGE): boolean {
  if (redisServerPath() !== null) return true;
  console.warn(message);
  return false;
}

export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.once('error', reject);
    srv.listen(0, host, () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

const live = new Set<ChildProcess>();
const liveDirs = new Set<string>();
let exitHookInstalled = false;
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const child of live) {
      try {
        child.kill('SIGKILL');
      } catch {
        // already gone
      }
    }
    for (const dir of liveDirs) fs.rmSync(dir, { recursive: true, force: true });
  });
}

/** One PING over a fresh connection; resolves true on +PONG (or a NOAUTH error: it is up). */
function pingOnce(host: string, port: number, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = net.createConnection({ host, port });
    let got = '';
    const done = (ok: boolean): void => {
      clearTimeout(timer);
      sock.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => done(false), timeoutMs);
    sock.on('error', () => done(false));
    sock.on('connect', () => sock.write('PING\r\n'));
    sock.on('data', (d) => {
      got += d.toString('latin1');
      if (got.includes('\r\n')) done(got.startsWith('+PONG') || got.startsWith('-NOAUTH'));
    });
  });
}

/** Polls PING until the server answers, it exits, or the deadline passes. */
export async function waitForPing(host: string, port: number, timeoutMs: number, exited: () => boolean = () => false): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (exited()) return false;
    if (await pingOnce(host, port, 500)) return true;
    await new Promise((r) => setTimeout(r, 20));
  }
  return false;
}

function stopChild(child: ChildProcess, timeoutMs = 5000): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) {
      live.delete(child);
      resolve();
      return;
    }
    const kill = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('exit', () => {
      clearTimeout(kill);
      live.delete(child);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/**
 * Starts redis-server with the given directives (e.g. { requirepass: 'secret',
 * 'maxmemory-policy': 'allkeys-lfu' }). Throws when redis-server is not on PATH.
 */
export async function startRedisServer(directives: Record<string, string> = {}, attempts = 5): Promise<RedisServerHandle> {
  const bin = redisServerPath();
  if (bin === null) throw new Error(REDIS_MISSING_MESSAGE);
  installExitHook();
  const host = '127.0.0.1';
  let lastOutput = '';
  for (let attempt = 0; attempt < attempts; attempt++) {
    const port = await freePort(host);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'slabcache-redis-'));
    liveDirs.add(dir);
    const removeDir = (): void => {
      fs.rmSync(dir, { recursive: true, force: true });
      liveDirs.delete(dir);
    };
    const args = [
      '--port', String(port),
      '--bind', host,
      '--save', '',
      '--appendonly', 'no',
      '--dir', dir,
      '--daemonize', 'no',
      '--loglevel', 'warning',
    ];
    for (const [name, value] of Object.entries(directives)) args.push(`--${name}`, value);
    // redis-server collates (SORT ... ALPHA, Lua's string comparisons) with strcoll under its
    // environment's locale; slabcache collates as the C locale does, so the reference runs
    // under LC_ALL=C wherever the tests run (C.UTF-8, the usual default, collates the same).
    const child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, LC_ALL: 'C' } });
    live.add(child);
    let output = '';
    child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
    let exited = false;
    child.once('exit', () => {
      exited = true;
      live.delete(child);
    });
    const up = await waitForPing(host, port, 10_000, () => exited);
    if (up) {
      cachedVersion ??= execFileSync(bin, ['--version'], { encoding: 'utf8' }).match(/v=(\S+)/)?.[1] ?? 'unknown';
      const version = cachedVersion;
      let stopped: Promise<void> | null = null;
      return {
        host,
        port,
        version,
        stop: () => {
          stopped ??= stopChild(child).then(removeDir);
          return stopped;
        },
      };
    }
    await stopChild(child);
    removeDir();
    lastOutput = output;
  }
  throw new Error(`redis-server did not start after ${attempts} attempts; last output:\n${lastOutput}`);
}
