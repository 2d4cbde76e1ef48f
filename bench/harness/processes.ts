/*
 * Processes of the load harness: the servers (redis-server, slabcache and the do-nothing
 * Node floor, bench/floor-server.ts), each started as a child on 127.0.0.1 and a free port
 * and pinned with `taskset -c` when the machine has two or more allowed CPUs; the load
 * generators (redis-benchmark, memtier_benchmark), pinned to a core the server under test does not use;
 * CPU time of a process from /proc/PID/stat (utime + stime of all its threads, so Node's GC
 * and compiler threads count against slabcache as redis's bio threads count against redis).
 *
 * Core placement (placement()): with 3+ CPUs, slabcache, redis-server and the load generator
 * each get their own; with 2, slabcache gets the first and redis-server the second, and the
 * load generator runs on the core of the server that is idle at that moment. The servers
 * are measured one at a time, so the server under test always has a core to itself and the
 * generator never competes with it; the idle server on the generator's core only wakes for
 * its timers. The floor shares slabcache's core and load placement (slabcache is idle while
 * the floor is measured, and the two Node servers then run on the same core). With 1 CPU
 * nothing is pinned.
 *
 * Children started here are killed when the harness exits, fails or is interrupted.
 * ServerProcess (bench/lib/servers.ts) supplies readiness, stderr capture and stop.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import { freePort, NODE, onPath, ROOT, SERVER_NODE_FLAGS, ServerProcess, type ServerKind } from '../lib/servers.ts';

/** A server of the load harness: the two compared, and the do-nothing Node floor. */
export type LoadServer = ServerKind | 'floor';

const children = new Set<ChildProcess>();
let hooked = false;

function killChildren(): void {
  for (const c of children) {
    try {
      c.kill('SIGKILL');
    } catch {
      // gone already
    }
  }
  children.clear();
}

function hookExit(): void {
  if (hooked) return;
  hooked = true;
  process.on('exit', killChildren);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(signal, () => {
      killChildren();
      process.stderr.write(`\ninterrupted (${signal}); servers and load generators killed\n`);
      process.exit(130);
    });
  }
}

export function track(child: ChildProcess): ChildProcess {
  hookExit();
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

/** CPUs this process may run on (/proc/self/status Cpus_allowed_list), e.g. [0, 1]. */
export function allowedCpus(): number[] {
  try {
    const text = fs.readFileSync('/proc/self/status', 'utf8');
    const m = /^Cpus_allowed_list:\s*(\S+)/m.exec(text);
    if (m !== null) {
      const cpus: number[] = [];
      for (const range of m[1].split(',')) {
        const [a, b] = range.split('-').map(Number);
        for (let c = a; c <= (b ?? a); c++) cpus.push(c);
      }
      if (cpus.length > 0) return cpus;
    }
  } catch {
    // not Linux
  }
  return [];
}

export interface Placement {
  /** taskset -c argument per server, null when not pinned. */
  server: Record<LoadServer, string | null>;
  /** taskset -c argument of the load generator while it loads each server. */
  loadFor: Record<LoadServer, string | null>;
  description: string;
}

export function placement(cpus: readonly number[], taskset: boolean): Placement {
  if (!taskset || cpus.length < 2) {
    const why = !taskset ? 'taskset not on PATH' : `${cpus.length} allowed CPU`;
    return {
      server: { slabcache: null, redis: null, floor: null },
      loadFor: { slabcache: null, redis: null, floor: null },
      description: `not pinned (${why})`,
    };
  }
  const [a, b] = cpus;
  if (cpus.length >= 3) {
    const rest = cpus.slice(2).join(',');
    return {
      server: { slabcache: String(a), redis: String(b), floor: String(a) },
      loadFor: { slabcache: rest, redis: rest, floor: rest },
      description: `slabcache and the Node floor on CPU ${a}, redis-server on CPU ${b}, load generator on CPU ${rest}`,
    };
  }
  return {
    server: { slabcache: String(a), redis: String(b), floor: String(a) },
    loadFor: { slabcache: String(b), redis: String(a), floor: String(b) },
    description: `slabcache and the Node floor on CPU ${a}, redis-server on CPU ${b}; load generator on a CPU of servers idle during that run`,
  };
}

export function tasksetAvailable(): boolean {
  return onPath('taskset');
}

/** argv to run `cmd args` pinned to `cpu` (or unpinned when null). */
export function pinned(cpu: string | null, cmd: string, args: readonly string[]): [string, string[]] {
  return cpu === null ? [cmd, [...args]] : ['taskset', ['-c', cpu, cmd, ...args]];
}

export const MAXCLIENTS = 10_000;

export function redisArgs(port: number): string[] {
  return [
    '--port', String(port), '--bind', '127.0.0.1',
    '--save', '', '--appendonly', 'no', '--daemonize', 'no',
    '--loglevel', 'warning', '--maxclients', String(MAXCLIENTS),
  ];
}

export function slabcacheArgs(port: number): string[] {
  return [
    'cli/main.ts', '--port', String(port), '--bind', '127.0.0.1',
    '--metrics-port', '0', '--loglevel', 'warning', '--maxclients', String(MAXCLIENTS),
  ];
}

export function floorArgs(port: number): string[] {
  return ['bench/floor-server.ts', '--port', String(port), '--bind', '127.0.0.1'];
}

export interface StartOptions {
  cpu: string | null;
  /** Node flags before cli/main.ts (slabcache only), e.g. --cpu-prof. */
  nodeFlags?: string[];
}

export interface StartedServer {
  process: ServerProcess<LoadServer>;
  /** The command line, as run (taskset included). */
  command: string;
}

function shellQuote(s: string): string {
  return s === '' ? "''" : /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

export function commandString(cmd: string, args: readonly string[]): string {
  return [cmd, ...args].map(shellQuote).join(' ');
}

function serverArgv(kind: LoadServer, port: number, opts: StartOptions): [string, string[]] {
  if (kind === 'redis') return pinned(opts.cpu, 'redis-server', redisArgs(port));
  if (kind === 'floor') return pinned(opts.cpu, NODE, floorArgs(port));
  return pinned(opts.cpu, NODE, [...SERVER_NODE_FLAGS, ...(opts.nodeFlags ?? []), ...slabcacheArgs(port)]);
}

export async function startServer(kind: LoadServer, opts: StartOptions): Promise<StartedServer> {
  const port = await freePort();
  const [cmd, args] = serverArgv(kind, port, opts);
  const child = track(spawn(cmd, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] }));
  const server = new ServerProcess<LoadServer>(kind, port, child);
  try {
    await server.waitReady();
  } catch (err) {
    server.kill();
    throw err;
  }
  const shown = cmd === NODE ? 'node_modules/.bin/node' : cmd;
  const shownArgs = args.map((a) => (a === NODE ? 'node_modules/.bin/node' : a));
  return { process: server, command: commandString(shown, shownArgs) };
}

let clockTicks = 0;
function ticksPerSecond(): number {
  if (clockTicks === 0) {
    try {
      clockTicks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      clockTicks = 100;
    }
  }
  return clockTicks;
}

/** User + system CPU seconds of a process and all its threads so far (NaN when unreadable). */
export function cpuSeconds(pid: number): number {
  try {
    const text = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    // fields[0] is field 3 (state); utime and stime are fields 14 and 15.
    return (Number(fields[11]) + Number(fields[12])) / ticksPerSecond();
  } catch {
    return NaN;
  }
}

/**
 * CPU seconds of a process's live threads, from each /proc/PID/task/TID/schedstat (time on
 * a CPU, user and kernel, in nanoseconds): the same quantity as cpuSeconds() without its
 * 10 ms tick granularity, for short windows (bench/load-gen.ts). A thread that exits in
 * the window takes its time with it. NaN when unreadable.
 */
export function cpuSecondsPrecise(pid: number): number {
  try {
    let ns = 0;
    for (const tid of fs.readdirSync(`/proc/${pid}/task`)) {
      try {
        ns += Number(fs.readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
      } catch {
        // the thread exited between the listing and the read
      }
    }
    return ns / 1e9;
  } catch {
    return NaN;
  }
}

/** Soft limit on open files of this process (children inherit it; Node raises it to the hard limit). */
export function openFileLimit(): number {
  try {
    const text = fs.readFileSync('/proc/self/limits', 'utf8');
    const m = /^Max open files\s+(\S+)/m.exec(text);
    if (m !== null) return m[1] === 'unlimited' ? Infinity : Number(m[1]);
  } catch {
    // not Linux
  }
  return NaN;
}

export function toolVersion(cmd: string, args: string[], pattern: RegExp): string | null {
  try {
    const out = execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    return pattern.exec(out)?.[1] ?? out.trim();
  } catch {
    return null;
  }
}
