/*
 * One measurement: a workload's redis-benchmark parts started side by side against one
 * server (or one memtier_benchmark for a workload that names it, or bench/load-gen.ts for
 * PUBLISH fan-out and MULTI/EXEC), pinned to the load generator's core, with the server's
 * CPU time read from /proc/PID/stat before and after (load-gen reads it itself at the ends
 * of its measured window, connection set-up excluded: gen-output.ts).
 * Bounded: every part is killed after `timeoutMs`. A failed run (server error, timeout, any
 * error reply counted by memtier_benchmark) comes back as { error } instead of throwing,
 * so one unsupported or broken workload does not cost the rest of the benchmark.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseMemtierJson } from './memtier-output.ts';
import { NODE, ROOT } from '../lib/servers.ts';
import { generatorFigures, parseGenOutput } from './gen-output.ts';
import { mergedFigures, parseRbOutput, type LoadFigures, type RbRun } from './rb-output.ts';
import { commandString, cpuSeconds, pinned, track } from './processes.ts';
import { generatorArgs, memtierArgs, partArgs, partCommand, type MemtierSize, type Workload } from './workloads.ts';

export type LoadTool = 'redis-benchmark' | 'memtier_benchmark' | 'load-gen';

/** The harness's own generator (PUBLISH fan-out, MULTI/EXEC), run with the pinned Node. */
export const LOAD_GEN = 'bench/load-gen.ts';

export interface Measurement extends LoadFigures {
  /** Wall-clock seconds from starting the parts to the last one exiting. */
  wallSeconds: number;
  /** Server CPU time (all threads) per request, microseconds. */
  cpuUsPerOp: number;
  /** Server CPU time over wall time, percent of one core. */
  cpuPercent: number;
  /**
   * Time the server's main thread was runnable but waiting for its CPU, percent of the run
   * (/proc/PID/schedstat): other work on the server's core. Likewise for the load generator
   * (sampled every 50 ms while it runs). Either above a few percent marks a disturbed run.
   */
  serverWaitPercent: number;
  clientWaitPercent: number;
  /** 1-minute load average when the run ended (other work on the machine shows here). */
  load1: number;
  commands: string[];
  /** load-gen runs: its own CPU (percent of one core), what stopped it, and its counters. */
  generator?: { cpuPercent: number; systemPercent: number; stoppedBy: string; detail: Record<string, number> };
}

export type Outcome = Measurement | { error: string; commands: string[] };

export function isMeasurement(o: Outcome): o is Measurement {
  return !('error' in o);
}

/** Nanoseconds a process's main thread has waited on a run queue (/proc/PID/schedstat); NaN when unreadable. */
export function runQueueWaitNs(pid: number | undefined): number {
  if (pid === undefined) return NaN;
  try {
    return Number(fs.readFileSync(`/proc/${pid}/schedstat`, 'utf8').split(' ')[1]);
  } catch {
    return NaN;
  }
}

interface ToolRun {
  out: string;
  /** Run-queue wait of the tool's main thread, ms (sampled; NaN when unreadable). */
  waitMs: number;
  /** Lines of stderr matching the run's error pattern, and the first of them. */
  errorLines: number;
  firstErrorLine: string;
}

/**
 * Counts the lines of a stream that match `pattern`, fed in arbitrary chunks (a line split
 * across two chunks counts once). memtier_benchmark logs each error reply to stderr as
 * "server ... handle error response: -ERR ...".
 */
export class LineCounter {
  count = 0;
  first = '';
  private carry = '';
  private readonly pattern: RegExp;

  constructor(pattern: RegExp) {
    this.pattern = pattern;
  }

  feed(text: string): void {
    const lines = (this.carry + text).split(/[\r\n]/);
    this.carry = lines.pop()!.slice(-4096);
    for (const line of lines) this.take(line);
  }

  end(): void {
    this.take(this.carry);
    this.carry = '';
  }

  private take(line: string): void {
    if (!this.pattern.test(line)) return;
    if (this.count === 0) this.first = line.trim().slice(0, 200);
    this.count++;
  }
}

/** memtier_benchmark's stderr lines that report an error reply, a failed or dropped connection, or a parse failure. */
export const MEMTIER_ERROR_LINE = /handle error response|error[:= ]|connection dropped|failed|exception|timeout/i;

/** Run a tool to completion; resolves with its stdout, rejects on timeout or a non-zero exit. */
function runTool(cpu: string | null, tool: string, args: string[], timeoutMs: number, errorLine?: RegExp): Promise<ToolRun> {
  return new Promise((resolve, reject) => {
    const [cmd, argv] = pinned(cpu, tool, args);
    const child = track(spawn(cmd, argv, { stdio: ['ignore', 'pipe', 'pipe'] }));
    // taskset execs the tool, so the pid is the tool's; sample its wait while it lives.
    let firstWait = NaN;
    let lastWait = NaN;
    const sample = () => {
      const v = runQueueWaitNs(child.pid);
      if (Number.isNaN(v)) return;
      if (Number.isNaN(firstWait)) firstWait = v;
      lastWait = v;
    };
    const sampler = setInterval(sample, 50);
    let out = '';
    let err = '';
    const errors = new LineCounter(errorLine ?? /(?!)/);
    child.stdout!.setEncoding('utf8').on('data', (s: string) => (out += s));
    child.stderr!.setEncoding('utf8').on('data', (s: string) => {
      err = (err + s).slice(-4000);
      errors.feed(s);
    });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`timed out after ${(timeoutMs / 1000).toFixed(0)} s`));
    }, timeoutMs);
    child.once('error', (e) => {
      clearTimeout(timer);
      clearInterval(sampler);
      reject(e);
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      clearInterval(sampler);
      errors.end();
      if (code === 0) resolve({ out, waitMs: (lastWait - firstWait) / 1e6, errorLines: errors.count, firstErrorLine: errors.first });
      else {
        const tail = (err.trim() || out.replace(/\r[^\n]*/g, '').trim()).slice(-500);
        reject(new Error(`${path.basename(tool)} exited ${code ?? signal}: ${tail}`));
      }
    });
  });
}

async function runPart(cpu: string | null, port: number, args: string[], timeoutMs: number): Promise<{ run: RbRun; waitMs: number }> {
  const { out, waitMs } = await runTool(cpu, 'redis-benchmark', ['-h', '127.0.0.1', '-p', String(port), ...args], timeoutMs);
  // The measured test is the last section (a test that needs data first prints that part before it).
  const run = parseRbOutput(out).at(-1);
  if (run === undefined || !(run.rps > 0)) throw new Error(`redis-benchmark printed no result: ${out.replace(/\r[^\n]*/g, '').trim().slice(-300)}`);
  return { run, waitMs };
}

async function runMemtier(w: Workload, cpu: string | null, port: number, size: MemtierSize, timeoutMs: number): Promise<{ figures: LoadFigures; waitMs: number }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'slabcache-bench-'));
  const file = path.join(dir, 'memtier.json');
  try {
    const { waitMs, errorLines, firstErrorLine } = await runTool(cpu, 'memtier_benchmark', memtierArgs(w, port, size, file), timeoutMs, MEMTIER_ERROR_LINE);
    const parsed = parseMemtierJson(fs.readFileSync(file, 'utf8'));
    const errors = errorLines + parsed.connectionErrors;
    if (errors > 0) {
      throw new Error(`memtier_benchmark: ${errorLines} error line(s), ${parsed.connectionErrors} connection error(s)${firstErrorLine !== '' ? `, first: ${firstErrorLine}` : ''}`);
    }
    const figures: LoadFigures = { requests: parsed.requests, rps: parsed.rps, p50: parsed.p50, p99: parsed.p99, p999: parsed.p999 };
    if (!Number.isFinite(figures.requests)) {
      if (size.seconds !== undefined && w.memtierDefault === true) throw new Error('memtier JSON: no Totals.Count for a --test-time run');
      figures.requests = size.requests;
    }
    return { figures, waitMs };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

export async function measure(
  w: Workload,
  tool: LoadTool,
  serverPid: number,
  port: number,
  loadCpu: string | null,
  requests: number,
  timeoutMs: number,
  /**
   * The memtier default run's --test-time; for load-gen the run's target duration (it stops
   * itself after generatorMaxSeconds of it; 10 s when undefined). redis-benchmark and the
   * ratio runs use `requests`.
   */
  seconds?: number,
): Promise<Outcome> {
  const size: MemtierSize = seconds === undefined ? { requests } : { requests, seconds };
  const genArgs = tool === 'load-gen' ? generatorArgs(w, port, serverPid, requests, seconds ?? 10 / 3) : [];
  const commands =
    tool === 'memtier_benchmark'
      ? [commandString('memtier_benchmark', memtierArgs(w, port, size, 'memtier.json'))]
      : tool === 'load-gen'
        ? [commandString('node_modules/.bin/node', [LOAD_GEN, ...genArgs])]
        : w.parts.map((p) => partCommand(w, p, requests, port));
  if (tool === 'load-gen') {
    try {
      const { out, waitMs } = await runTool(loadCpu, NODE, [path.join(ROOT, LOAD_GEN), ...genArgs], timeoutMs);
      void waitMs; // the generator reports its own wait over its window
      const g = generatorFigures(parseGenOutput(out));
      return {
        requests: g.requests, rps: g.rps, p50: g.p50, p99: g.p99, p999: g.p999,
        wallSeconds: g.wallSeconds, cpuUsPerOp: g.cpuUsPerOp, cpuPercent: g.cpuPercent,
        serverWaitPercent: g.serverWaitPercent, clientWaitPercent: g.clientWaitPercent,
        load1: os.loadavg()[0], commands,
        generator: { cpuPercent: g.generatorCpuPercent, systemPercent: g.generatorSystemPercent, stoppedBy: g.stoppedBy, detail: g.detail },
      };
    } catch (err) {
      return { error: err instanceof Error ? err.message : String(err), commands };
    }
  }
  const cpu0 = cpuSeconds(serverPid);
  const wait0 = runQueueWaitNs(serverPid);
  const t0 = performance.now();
  try {
    let figures: LoadFigures;
    let clientWaitMs: number;
    if (tool === 'memtier_benchmark') {
      const m = await runMemtier(w, loadCpu, port, size, timeoutMs);
      figures = m.figures;
      clientWaitMs = m.waitMs;
    } else {
      const parts = await Promise.all(w.parts.map((p) => runPart(loadCpu, port, partArgs(w, p, requests), timeoutMs)));
      figures = mergedFigures(parts.map((p) => p.run));
      clientWaitMs = parts.reduce((sum, p) => sum + p.waitMs, 0);
    }
    const wallSeconds = (performance.now() - t0) / 1000;
    const cpu = cpuSeconds(serverPid) - cpu0;
    const serverWaitMs = (runQueueWaitNs(serverPid) - wait0) / 1e6;
    return {
      ...figures,
      wallSeconds,
      cpuUsPerOp: (cpu * 1e6) / figures.requests,
      cpuPercent: (100 * cpu) / wallSeconds,
      serverWaitPercent: serverWaitMs / (10 * wallSeconds),
      clientWaitPercent: clientWaitMs / (10 * wallSeconds),
      load1: os.loadavg()[0],
      commands,
    };
  } catch (err) {
    return { error: err instanceof Error ? err.message : String(err), commands };
  }
}
