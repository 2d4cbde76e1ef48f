/*
 * What a finished load run leaves behind: the JSON record (machine, placement, exact server
 * and load commands, every round, the medians, ratios and targets), the SVG chart, the
 * printed table and, on request, the README's load section. A record read back from JSON
 * (`npm run bench -- --from bench/results/load-latest.json`) gives the same table, chart and
 * README text without measuring again.
 */
import fs from 'node:fs';
import path from 'node:path';
import { printTable } from '../lib/report.ts';
import type { ServerKind } from '../lib/servers.ts';
import { renderChart } from './chart.ts';
import type { Outcome } from './measure.ts';
import type { Placement } from './processes.ts';
import { updateReadme } from './readme.ts';
import { checkTargets, markdownTable, ratioOf, tableRows, targetLine, type Summary, type TargetCheck, type WorkloadResult } from './summary.ts';
import { WORKLOADS, type Workload } from './workloads.ts';

export interface MachineInfo {
  nproc: number;
  allowedCpus: number[];
  cpuModel: string;
  memoryBytes: number;
  os: string;
  kernel: string;
  node: string | null;
  redisServer: string | null;
  redisBenchmark: string | null;
  memtierBenchmark: string | null;
  openFileLimit: number;
  loadAverageStart: number[];
  loadAverageEnd?: number[];
}

export interface ServerRecord {
  command: string;
  version: string | null;
  rssBytesAtEnd?: number;
  peakRssBytes?: number;
  cpuSecondsTotal?: number;
}

export interface WorkloadRecord {
  id: string;
  label: string;
  pipeline: number;
  connections: number;
  tool: string;
  requestsPerRun: number;
  skipped: Partial<Record<ServerKind, string>>;
  median: Partial<Record<ServerKind, Summary>>;
  ratio: { rps: number; p50: number; p99: number; p999: number; cpuUsPerOp: number };
  rounds: Record<ServerKind, Outcome[]>;
}

export interface LoadRecord {
  benchmark: string;
  date: string;
  command: string;
  options: {
    quick: boolean;
    rounds: number;
    roundsRun: number;
    secondsPerRun: number;
    maxSeconds: number;
    warmScale: number;
    only: string[] | null;
    slabcacheNodeFlags: string[];
  };
  machine: MachineInfo;
  placement: Placement;
  loadTool: { default: string; mix: string; memtier: boolean };
  servers: Partial<Record<ServerKind, ServerRecord>>;
  workloads: WorkloadRecord[];
  targets: TargetCheck[];
  elapsedSeconds: number;
}

export function workloadRecord(r: WorkloadResult, tool: string): WorkloadRecord {
  return {
    id: r.workload.id,
    label: r.workload.label,
    pipeline: r.workload.pipeline,
    connections: r.workload.connections,
    tool,
    requestsPerRun: r.requests,
    skipped: r.skipped,
    median: r.median,
    ratio: {
      rps: ratioOf(r, (s) => s.rps),
      p50: ratioOf(r, (s) => s.p50),
      p99: ratioOf(r, (s) => s.p99),
      p999: ratioOf(r, (s) => s.p999),
      cpuUsPerOp: ratioOf(r, (s) => s.cpuUsPerOp),
    },
    rounds: r.rounds,
  };
}

/** Results rebuilt from a saved record (JSON nulls stand for NaN). */
export function resultsFromRecord(record: LoadRecord): WorkloadResult[] {
  const nan = (s: Summary | undefined): Summary | undefined =>
    s === undefined ? undefined : (Object.fromEntries(Object.entries(s).map(([k, v]) => [k, v === null ? NaN : v])) as unknown as Summary);
  return record.workloads.map((w) => {
    const known = WORKLOADS.find((x) => x.id === w.id);
    const workload: Workload = known ?? { id: w.id, label: w.label, pipeline: w.pipeline, parts: [], needs: [], warmupRequests: 0, connections: w.connections };
    const median: Partial<Record<ServerKind, Summary>> = {};
    for (const kind of ['redis', 'slabcache'] as const) {
      const s = nan(w.median[kind]);
      if (s !== undefined) median[kind] = s;
    }
    return { workload, requests: w.requestsPerRun, skipped: w.skipped, rounds: w.rounds, median };
  });
}

export function machineText(m: MachineInfo): string {
  return `${m.nproc} CPUs (${m.cpuModel}), ${(m.memoryBytes / 2 ** 30).toFixed(1)} GiB RAM, ${m.os} ${m.kernel}, Node ${m.node ?? '?'}, redis-server ${m.redisServer ?? 'not on PATH'}, redis-benchmark ${m.redisBenchmark ?? '?'}`;
}

export function printResults(record: LoadRecord, results: readonly WorkloadResult[]): void {
  console.log('');
  console.log(`medians over ${record.options.roundsRun} interleaved round(s); latency in ms as the client sees it; CPU us/op = server user+system CPU time per request; server CPU = share of one core the server used; CPU wait srv/gen = share of the run the server / load generator waited for a CPU (other work on the machine)`);
  console.log('');
  printTable(tableRows(results));
  if (record.targets.length > 0) {
    console.log('\ntargets (slabcache / redis-server):');
    for (const t of record.targets) console.log(`  ${targetLine(t)}`);
  }
}

export function writeJson(record: LoadRecord, outDir: string): string {
  fs.mkdirSync(outDir, { recursive: true });
  const stamp = record.date.replace(/[-:]/g, '').replace(/\..+$/, '').replace('T', '-');
  const json = JSON.stringify(record, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? null : v), 2) + '\n';
  const file = path.join(outDir, `load-${stamp}${record.options.quick ? '-quick' : ''}.json`);
  fs.writeFileSync(file, json);
  fs.writeFileSync(path.join(outDir, 'load-latest.json'), json);
  return file;
}

export function writeChart(record: LoadRecord, results: readonly WorkloadResult[], outDir: string): string {
  fs.mkdirSync(outDir, { recursive: true });
  const m = record.machine;
  const file = path.join(outDir, 'load.svg');
  fs.writeFileSync(
    file,
    renderChart(results, {
      title: 'slabcache vs redis-server: whole-server load (medians)',
      subtitle: `${m.nproc} CPUs (${m.cpuModel}), Node ${m.node}, redis-server ${m.redisServer ?? '-'}; ${record.date.slice(0, 16).replace('T', ' ')} UTC; ${record.command}`,
      footer: [
        `Placement: ${record.placement.description}.`,
        `Load: redis-benchmark${record.loadTool.memtier ? ' (mix: memtier_benchmark)' : ''}; 100,000 preloaded keys, 32-byte values; 50 connections unless named; latency as the client sees it.`,
      ],
    }),
  );
  return file;
}

/** The README's load section: chart, how it was measured, the table, targets, where slabcache is slower. */
export function readmeBody(record: LoadRecord, results: readonly WorkloadResult[]): string {
  const m = record.machine;
  const lines: string[] = [];
  lines.push('![slabcache vs redis-server, whole-server load](bench/results/load.svg)');
  lines.push('');
  lines.push(
    `Latest run: \`${record.command}\` on ${record.date.slice(0, 16).replace('T', ' ')} UTC: ${record.options.roundsRun} interleaved round(s) of ~${record.options.secondsPerRun} s runs per server and workload${record.options.slabcacheNodeFlags.length > 0 ? `, slabcache with Node flags \`${record.options.slabcacheNodeFlags.join(' ')}\`` : ''}.`,
  );
  lines.push('');
  lines.push(`- Machine: ${machineText(m)}; load average ${m.loadAverageStart.map((x) => x.toFixed(2)).join(' ')} at the start, ${(m.loadAverageEnd ?? []).map((x) => x.toFixed(2)).join(' ')} at the end.`);
  lines.push(`- Placement: ${record.placement.description}.`);
  lines.push(
    `- Load: redis-benchmark, 100,000 random keys preloaded, 32-byte values, 50 connections unless named; SET:GET 1:10 by ${
      record.loadTool.memtier
        ? 'memtier_benchmark --ratio=1:10'
        : 'a SET and a GET redis-benchmark side by side (5 + 50 connections, requests 1:10; memtier_benchmark was not on PATH; the two generators share one core, so their CPU wait includes each other)'
    }.`,
  );
  lines.push(
    "- Medians over the rounds. Latency in ms as the client sees it (with pipelining, per pipelined batch). CPU us/op: the server's user+system CPU time (all threads) per request, read from /proc; its ratio is the steadiest figure on a shared machine, and 1 / (CPU us/op) bounds the ops/s one core can serve. Server CPU: share of one core the server used; well below 100% means the server was not the bottleneck (on a small VM the loopback round trip between two vCPUs often sets the pace at pipeline 1). CPU wait srv/gen: share of the run the server's and the load generator's main threads waited for their CPU (/proc/PID/schedstat), i.e. other work on the machine; above a few percent the run was disturbed.",
  );
  lines.push('');
  lines.push(markdownTable(results));
  lines.push('');
  const targets: TargetCheck[] = checkTargets(results);
  if (targets.length > 0) {
    lines.push('Targets (slabcache / redis-server):');
    lines.push('');
    for (const t of targets) lines.push(`- ${targetLine(t)}`);
    lines.push('');
  }
  const slower = results.filter((r) => ratioOf(r, (s) => s.rps) < 0.97);
  if (slower.length > 0) {
    lines.push(`slabcache has lower throughput than redis-server in: ${slower.map((r) => `${r.workload.label} (${ratioOf(r, (s) => s.rps).toFixed(2)}x)`).join(', ')}.`);
  }
  const moreCpu = results.filter((r) => ratioOf(r, (s) => s.cpuUsPerOp) > 1.03);
  if (moreCpu.length > 0) {
    lines.push(`It spends more CPU per operation than redis-server in: ${moreCpu.map((r) => `${r.workload.label} (${ratioOf(r, (s) => s.cpuUsPerOp).toFixed(2)}x)`).join(', ')}.`);
  }
  const skipped = results.filter((r) => r.skipped.slabcache !== undefined && r.median.slabcache === undefined);
  if (skipped.length > 0) lines.push(`Not run on slabcache: ${skipped.map((r) => `${r.workload.label} (${r.skipped.slabcache})`).join(', ')}.`);
  return lines.join('\n');
}

export function writeReadme(file: string, record: LoadRecord, results: readonly WorkloadResult[]): boolean {
  return updateReadme(file, readmeBody(record, results));
}
