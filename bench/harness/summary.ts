/*
 * From rounds of measurements to what the harness shows: per server and workload the median
 * of every figure over the rounds that succeeded (each figure on its own), the ratios
 * slabcache / redis-server and slabcache / Node floor (the do-nothing server: what Node
 * itself allows) as the median of the ratios within each round, the issue's targets checked, and the same table as plain text rows
 * (bench/lib/report.ts prints them) and as Markdown for the README.
 */
import { fmt } from '../lib/report.ts';
import { isMeasurement, type Outcome } from './measure.ts';
import type { LoadServer } from './processes.ts';
import type { Workload } from './workloads.ts';

export const SERVERS: readonly LoadServer[] = ['redis', 'slabcache', 'floor'];
export const SERVER_LABEL: Record<LoadServer, string> = { redis: 'redis-server', slabcache: 'slabcache', floor: 'Node floor' };
/** The ratio rows: slabcache over each base. */
export const RATIO_LABEL: Record<'redis' | 'floor', string> = { redis: 'slabcache/redis', floor: 'slabcache/floor' };

export interface Summary {
  rounds: number;
  rps: number;
  rpsMin: number;
  rpsMax: number;
  p50: number;
  p99: number;
  p999: number;
  cpuUsPerOp: number;
  cpuPercent: number;
  serverWaitPercent: number;
  clientWaitPercent: number;
  /** load-gen workloads: median of the generator's own CPU, percent of one core. */
  generatorCpuPercent?: number;
}

export interface WorkloadResult {
  workload: Workload;
  /** Requests per measured run (the same for both servers). */
  requests: number;
  /** Why a server did not run this workload. */
  skipped: Partial<Record<LoadServer, string>>;
  rounds: Record<LoadServer, Outcome[]>;
  median: Partial<Record<LoadServer, Summary>>;
}

function med(xs: readonly number[]): number {
  const s = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

export function summarise(outcomes: readonly Outcome[]): Summary | undefined {
  const ok = outcomes.filter(isMeasurement);
  if (ok.length === 0) return undefined;
  const rps = ok.map((m) => m.rps);
  const gen = ok.filter((m) => m.generator !== undefined).map((m) => m.generator!.cpuPercent);
  return {
    ...(gen.length > 0 ? { generatorCpuPercent: med(gen) } : {}),
    rounds: ok.length,
    rps: med(rps),
    rpsMin: Math.min(...rps),
    rpsMax: Math.max(...rps),
    p50: med(ok.map((m) => m.p50)),
    p99: med(ok.map((m) => m.p99)),
    p999: med(ok.map((m) => m.p999)),
    cpuUsPerOp: med(ok.map((m) => m.cpuUsPerOp)),
    cpuPercent: med(ok.map((m) => m.cpuPercent)),
    serverWaitPercent: med(ok.map((m) => m.serverWaitPercent)),
    clientWaitPercent: med(ok.map((m) => m.clientWaitPercent)),
  };
}

/** The figures a ratio is taken of: a round's measurement or a server's medians. */
export type Figures = Pick<Summary, 'rps' | 'p50' | 'p99' | 'p999' | 'cpuUsPerOp'>;

/**
 * slabcache's figure over the base server's (redis-server unless named): the median over the
 * rounds of the ratio within each round, NaN when no round measured both. The servers of one
 * round run back to back, so a slow phase of the machine that lasts a round (every server on
 * a core then costs about 1.5x its usual CPU per operation) weighs on both sides of a ratio;
 * a ratio of per-server medians can take them from different phases.
 */
export function ratioOf(r: WorkloadResult, pick: (s: Figures) => number, base: 'redis' | 'floor' = 'redis'): number {
  const ours = r.rounds.slabcache;
  const theirs = r.rounds[base];
  const ratios: number[] = [];
  for (let i = 0; i < ours.length && i < theirs.length; i++) {
    const a = ours[i];
    const b = theirs[i];
    if (!isMeasurement(a) || !isMeasurement(b)) continue;
    const x = pick(a);
    const y = pick(b);
    if (y > 0 && Number.isFinite(x)) ratios.push(x / y);
  }
  return med(ratios);
}

export interface TargetCheck {
  workload: string;
  what: string;
  /** slabcache / redis-server. */
  value: number;
  limit: number;
  higherIsBetter: boolean;
  met: boolean | null;
}

/**
 * Throughput targets (slabcache / redis-server ops/s) per workload, for the chart's marks:
 * issue 12's (GET and SET at pipeline 16, MSET/MGET of 10 keys, GET over 1,000 connections)
 * and issue 9's (PUBLISH fan-out to 1,000 subscribers, in deliveries per second).
 */
export const THROUGHPUT_TARGETS: Readonly<Record<string, number>> = {
  'set-p16': 1.0,
  'get-p16': 1.0,
  'mset-p1': 1.0,
  'mget-p1': 1.0,
  'get-p1-c1000': 1.0,
  'publish-fanout': 1.0,
};

/** "ops/s" and "CPU us/op" in the words of a workload whose operation is not a request. */
export function opWords(unit: string | undefined): { rate: string; cpu: string } {
  if (unit === 'delivery') return { rate: 'deliveries/s', cpu: 'CPU us/delivery' };
  if (unit === 'transaction') return { rate: 'transactions/s', cpu: 'CPU us/transaction' };
  if (unit === 'job') return { rate: 'jobs/s', cpu: 'CPU us/job' };
  return { rate: 'ops/s', cpu: 'CPU us/op' };
}

/**
 * The issues' performance targets, checked on the ratios (medians of the per-round ratios). Issue 12: ops/s
 * (THROUGHPUT_TARGETS), server CPU per operation <= 1.0x for GET and SET at pipeline 1 and
 * 16, and at pipeline 1 p99 <= 1.2x and p99.9 <= 1.5x. (Its "no workload regresses by more
 * than 5% in CPU per operation" compares two runs, not two servers: not checked here.)
 * Issue 9: PUBLISH fan-out deliveries/s >= 1.0x (THROUGHPUT_TARGETS), MULTI/EXEC server CPU
 * per transaction <= 1.2x. Issue 10: EVALSHA of the two-call script, server CPU per call
 * <= 2.0x at pipeline 1 and 16.
 */
export function checkTargets(results: readonly WorkloadResult[]): TargetCheck[] {
  const checks: TargetCheck[] = [];
  const find = (id: string) => results.find((r) => r.workload.id === id);
  const add = (id: string, what: string, pick: (s: Figures) => number, limit: number, higherIsBetter: boolean) => {
    const r = find(id);
    if (r === undefined) return;
    const value = ratioOf(r, pick);
    const met = Number.isFinite(value) ? (higherIsBetter ? value >= limit : value <= limit) : null;
    checks.push({ workload: r.workload.label, what, value, limit, higherIsBetter, met });
  };
  const words = (id: string) => opWords(find(id)?.workload.unit);
  for (const [id, limit] of Object.entries(THROUGHPUT_TARGETS)) add(id, words(id).rate, (s) => s.rps, limit, true);
  for (const id of ['set-p1', 'get-p1', 'set-p16', 'get-p16']) add(id, 'CPU us/op', (s) => s.cpuUsPerOp, 1.0, false);
  add('multi-exec', words('multi-exec').cpu, (s) => s.cpuUsPerOp, 1.2, false);
  for (const id of ['evalsha-p1', 'evalsha-p16']) add(id, 'CPU us/op', (s) => s.cpuUsPerOp, 2.0, false);
  for (const id of ['set-p1', 'get-p1']) add(id, 'p99 latency', (s) => s.p99, 1.2, false);
  for (const id of ['set-p1', 'get-p1']) add(id, 'p99.9 latency', (s) => s.p999, 1.5, false);
  return checks;
}

export function targetLine(c: TargetCheck): string {
  const verdict = c.met === null ? 'not measured' : c.met ? 'met' : 'MISSED';
  return `${c.workload} ${c.what}: ${Number.isFinite(c.value) ? c.value.toFixed(2) + 'x' : '-'} (target ${c.higherIsBetter ? '>=' : '<='} ${c.limit}x): ${verdict}`;
}

const HEADER = ['workload', 'server', 'ops/s', 'p50 ms', 'p99 ms', 'p99.9 ms', 'CPU us/op', 'server CPU', 'CPU wait srv/gen', 'rounds'];

const pct = (x: number) => (Number.isFinite(x) ? `${x.toFixed(0)}%` : '-');

const ms = (x: number) => (Number.isFinite(x) ? x.toFixed(3) : '-');
const x2 = (x: number) => (Number.isFinite(x) ? x.toFixed(2) + 'x' : '-');

/** Rows for printTable (first row the header): per workload, each server, then the ratio. */
export function tableRows(results: readonly WorkloadResult[]): string[][] {
  const rows: string[][] = [HEADER];
  for (const r of results) {
    for (const kind of SERVERS) {
      const s = r.median[kind];
      const skipped = r.skipped[kind];
      if (s === undefined) {
        if (skipped !== undefined || r.rounds[kind].length > 0) {
          const why = skipped ?? firstError(r.rounds[kind]);
          rows.push([r.workload.label, SERVER_LABEL[kind], `- (${why})`, '-', '-', '-', '-', '-', '-', '0']);
        }
        continue;
      }
      rows.push([
        r.workload.label, SERVER_LABEL[kind], fmt(Math.round(s.rps)), ms(s.p50), ms(s.p99), ms(s.p999),
        s.cpuUsPerOp.toFixed(2), pct(s.cpuPercent), `${pct(s.serverWaitPercent)}/${pct(s.clientWaitPercent)}`, String(s.rounds),
      ]);
    }
    for (const base of ['redis', 'floor'] as const) {
      if (r.median.slabcache === undefined || r.median[base] === undefined) continue;
      rows.push([
        r.workload.label, RATIO_LABEL[base], x2(ratioOf(r, (s) => s.rps, base)), x2(ratioOf(r, (s) => s.p50, base)),
        x2(ratioOf(r, (s) => s.p99, base)), x2(ratioOf(r, (s) => s.p999, base)), x2(ratioOf(r, (s) => s.cpuUsPerOp, base)), '', '', '',
      ]);
    }
  }
  return rows;
}

function firstError(outcomes: readonly Outcome[]): string {
  for (const o of outcomes) if ('error' in o) return o.error.split('\n')[0].slice(0, 60);
  return 'no result';
}

/** The same table in Markdown; a workload's name only on its first row, ratios in bold. */
export function markdownTable(results: readonly WorkloadResult[]): string {
  const rows = tableRows(results);
  const out: string[] = [];
  const head = rows[0];
  out.push(`| ${head.join(' | ')} |`);
  out.push(`|${head.map((_, i) => (i < 2 ? ' --- ' : ' ---: ')).join('|')}|`);
  let last = '';
  for (const row of rows.slice(1)) {
    const cells = [...row];
    if (cells[0] === last) cells[0] = '';
    else last = cells[0];
    if (row[1] === RATIO_LABEL.redis) {
      for (let i = 1; i < cells.length; i++) if (cells[i] !== '') cells[i] = `**${cells[i]}**`;
    }
    out.push(`| ${cells.map((c) => c.replace(/\|/g, '\\|')).join(' | ')} |`);
  }
  return out.join('\n');
}

/**
 * Notes for the workloads bench/load-gen.ts ran: what an operation is, and the median CPU
 * the generator itself used per server (near 100% with the server well below it would mean
 * the generator, not the server, set the pace).
 */
export function generatorNotes(results: readonly WorkloadResult[]): string[] {
  const lines: string[] = [];
  for (const r of results) {
    const g = r.workload.generator;
    if (g === undefined) continue;
    const what =
      g.kind === 'fanout'
        ? `ops = deliveries (messages received, summed over the ${g.subscribers.toLocaleString('en-US')} subscribers), latency = publish to receipt per delivery, CPU us/op = server CPU per delivery`
        : g.kind === 'multi'
          ? `ops = transactions (MULTI, ${g.sets} x SET, EXEC), latency = write to EXEC reply per transaction, CPU us/op = server CPU per transaction`
          : `ops = BullMQ jobs (Queue.add, then a Worker of concurrency ${g.concurrency} processes and completes it; ${g.window} adds in flight), latency = add() to 'completed' per job, CPU us/op = server CPU per job`;
    const ran = SERVERS.filter((k) => r.median[k]?.generatorCpuPercent !== undefined);
    const gen = ran.map((k) => `${SERVER_LABEL[k]} ${pct(r.median[k]!.generatorCpuPercent!)}`);
    lines.push(`${r.workload.label}: ${what}${gen.length > 0 ? `; load-gen CPU (median, of one core): ${gen.join(', ')}` : ''}.`);
    for (const k of ran) {
      const s = r.median[k]!;
      if (!generatorBound(s)) continue;
      lines.push(
        `  caution: against ${SERVER_LABEL[k]} load-gen was the busier side (CPU + CPU wait ${pct(s.generatorCpuPercent! + s.clientWaitPercent)}, ` +
          `server ${pct(s.cpuPercent + s.serverWaitPercent)}): its ops/s there may be the generator's limit, not the server's.`,
      );
    }
  }
  return lines;
}

/**
 * Did the generator, rather than the server, likely set the pace? Busy = CPU used plus time
 * spent waiting for a CPU (other work on the machine): the generator busy 90% or more of
 * the run, and busier than the server.
 */
export function generatorBound(s: Summary): boolean {
  if (s.generatorCpuPercent === undefined) return false;
  const gen = s.generatorCpuPercent + (Number.isFinite(s.clientWaitPercent) ? s.clientWaitPercent : 0);
  const srv = s.cpuPercent + (Number.isFinite(s.serverWaitPercent) ? s.serverWaitPercent : 0);
  return gen >= 90 && gen > srv;
}
