/*
 * bench/load-gen.ts's report, read for the load harness: the last JSON line of its stdout
 * (bench/lib/gen-result.ts; JSON null stands for NaN) turned into the harness's figures.
 * The generator measures its own window (from the first request written to the last reply
 * or message received, connection set-up excluded) and reads the server's CPU (summed
 * over its threads' schedstat, in nanoseconds) and run-queue wait at its two ends, so those
 * replace the harness's whole-process readings.
 * A run that saw any error (a wrong reply, a lost, repeated or reordered message, a closed
 * connection, replies still missing at the drain bound) is a failed run.
 */
import type { GenResult } from '../lib/gen-result.ts';
import type { LoadFigures } from './rb-output.ts';

export interface GeneratorFigures extends LoadFigures {
  wallSeconds: number;
  cpuUsPerOp: number;
  cpuPercent: number;
  serverWaitPercent: number;
  clientWaitPercent: number;
  /** The generator's own CPU, percent of one core (near 100% with the server well below: the generator set the pace). */
  generatorCpuPercent: number;
  /** The part of it in the kernel. */
  generatorSystemPercent: number;
  stoppedBy: GenResult['stoppedBy'];
  detail: Record<string, number>;
}

const num = (v: unknown): number => (typeof v === 'number' ? v : NaN);

/** The GenResult on the last non-empty line of `stdout`; throws when there is none. */
export function parseGenOutput(stdout: string): GenResult {
  const line = stdout.trim().split('\n').at(-1) ?? '';
  let doc: unknown;
  try {
    doc = JSON.parse(line);
  } catch {
    throw new Error(`load-gen printed no result: ${stdout.trim().slice(-300)}`);
  }
  const d = doc as Record<string, unknown>;
  if (typeof d !== 'object' || d === null || (d.kind !== 'fanout' && d.kind !== 'multi' && d.kind !== 'bullmq') || typeof d.ops !== 'number') {
    throw new Error(`load-gen result has another layout: ${line.slice(0, 300)}`);
  }
  const detail: Record<string, number> = {};
  for (const [k, v] of Object.entries((d.detail as Record<string, unknown>) ?? {})) detail[k] = num(v);
  return {
    kind: d.kind,
    ops: d.ops,
    seconds: num(d.seconds),
    rps: num(d.rps),
    p50: num(d.p50),
    p99: num(d.p99),
    p999: num(d.p999),
    maxMs: num(d.maxMs),
    serverCpuSeconds: num(d.serverCpuSeconds),
    serverWaitMs: num(d.serverWaitMs),
    genCpuSeconds: num(d.genCpuSeconds),
    genWaitMs: num(d.genWaitMs),
    genSystemSeconds: num(d.genSystemSeconds),
    stoppedBy: d.stoppedBy === 'time' || d.stoppedBy === 'error' ? d.stoppedBy : 'count',
    errorCount: num(d.errorCount),
    errors: Array.isArray(d.errors) ? d.errors.map(String) : [],
    detail,
  };
}

/** The harness's figures from a generator result; throws (a failed run) when it saw errors or measured nothing. */
export function generatorFigures(r: GenResult): GeneratorFigures {
  if (r.errorCount !== 0) {
    const more = r.errorCount > r.errors.length ? ` (${r.errorCount} in all)` : '';
    throw new Error(`load-gen ${r.kind}: ${r.errorCount} error(s)${more}: ${r.errors.join('; ')}`);
  }
  if (!(r.ops > 0) || !(r.seconds > 0)) throw new Error(`load-gen ${r.kind}: nothing measured (${r.ops} operations in ${r.seconds} s)`);
  return {
    requests: r.ops,
    rps: r.ops / r.seconds,
    p50: r.p50,
    p99: r.p99,
    p999: r.p999,
    wallSeconds: r.seconds,
    cpuUsPerOp: (r.serverCpuSeconds * 1e6) / r.ops,
    cpuPercent: (100 * r.serverCpuSeconds) / r.seconds,
    serverWaitPercent: r.serverWaitMs / (10 * r.seconds),
    clientWaitPercent: r.genWaitMs / (10 * r.seconds),
    generatorCpuPercent: (100 * r.genCpuSeconds) / r.seconds,
    generatorSystemPercent: (100 * r.genSystemSeconds) / r.seconds,
    stoppedBy: r.stoppedBy,
    detail: r.detail,
  };
}
