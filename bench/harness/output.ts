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
import { renderChart } from './chart.ts';
import type { SelfTime } from './cpu-profile.ts';
import type { Outcome } from './measure.ts';
import type { LoadServer, Placement } from './processes.ts';
import { updateReadme } from './readme.ts';
import { checkTargets, generatorNotes, markdownTable, ratioOf, SERVERS, tableRows, targetLine, type Summary, type TargetCheck, type WorkloadResult } from './summary.ts';
import { WORKLOADS, type GeneratorSpec, type Workload } from './workloads.ts';

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

export interface RatioRecord {
  rps: number;
  p50: number;
  p99: number;
  p999: number;
  cpuUsPerOp: number;
}

export interface WorkloadRecord {
  id: string;
  label: string;
  pipeline: number;
  connections: number;
  tool: string;
  /** What one operation is when not a request ('delivery', 'transaction'). */
  unit?: string;
  /** bench/load-gen.ts's workload shape, for the workloads it ran. */
  generator?: GeneratorSpec;
  requestsPerRun: number;
  skipped: Partial<Record<LoadServer, string>>;
  median: Partial<Record<LoadServer, Summary>>;
  /** slabcache / redis-server. */
  ratio: RatioRecord;
  /** slabcache / Node floor (the do-nothing server). */
  ratioToFloor?: RatioRecord;
  rounds: Record<LoadServer, Outcome[]>;
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
  /**
   * Which load generator ran: redis-benchmark for most workloads; memtier_benchmark for the
   * workloads that name it when it was on PATH (memtier true), else their redis-benchmark
   * fallback (fallbackReason says why). Each workload's `tool` says what ran it.
   */
  loadTool: {
    default: string;
    mix: string;
    memtier: boolean;
    memtierDefault?: string;
    memtierVersion?: string | null;
    /** How bench/load-gen.ts ran PUBLISH fan-out and MULTI/EXEC, when they ran. */
    generator?: string;
    fallbackReason?: string;
  };
  servers: Partial<Record<LoadServer, ServerRecord>>;
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
    ...(r.workload.unit !== undefined ? { unit: r.workload.unit } : {}),
    ...(r.workload.generator !== undefined ? { generator: r.workload.generator } : {}),
    requestsPerRun: r.requests,
    skipped: r.skipped,
    median: r.median,
    ratio: ratios(r, 'redis'),
    ratioToFloor: ratios(r, 'floor'),
    rounds: r.rounds,
  };
}

function ratios(r: WorkloadResult, base: 'redis' | 'floor'): RatioRecord {
  return {
    rps: ratioOf(r, (s) => s.rps, base),
    p50: ratioOf(r, (s) => s.p50, base),
    p99: ratioOf(r, (s) => s.p99, base),
    p999: ratioOf(r, (s) => s.p999, base),
    cpuUsPerOp: ratioOf(r, (s) => s.cpuUsPerOp, base),
  };
}

/** Results rebuilt from a saved record (JSON nulls stand for NaN). */
export function resultsFromRecord(record: LoadRecord): WorkloadResult[] {
  const nan = (s: Summary | undefined): Summary | undefined =>
    s === undefined ? undefined : (Object.fromEntries(Object.entries(s).map(([k, v]) => [k, v === null ? NaN : v])) as unknown as Summary);
  return record.workloads.map((w) => {
    const known = WORKLOADS.find((x) => x.id === w.id);
    const workload: Workload = known ?? {
      id: w.id, label: w.label, pipeline: w.pipeline, parts: [], needs: [], warmupRequests: 0, connections: w.connections,
      ...(w.unit !== undefined ? { unit: w.unit } : {}),
      ...(w.generator !== undefined ? { generator: w.generator } : {}),
    };
    const median: Partial<Record<LoadServer, Summary>> = {};
    for (const kind of SERVERS) {
      const s = nan(w.median[kind]);
      if (s !== undefined) median[kind] = s;
    }
    // Records from before the floor have no floor rounds.
    const rounds = { redis: w.rounds.redis ?? [], slabcache: w.rounds.slabcache ?? [], floor: w.rounds.floor ?? [] };
    return { workload, requests: w.requestsPerRun, skipped: w.skipped, rounds, median };
  });
}

export function machineText(m: MachineInfo): string {
  return `${m.nproc} CPUs (${m.cpuModel}), ${(m.memoryBytes / 2 ** 30).toFixed(1)} GiB RAM, ${m.os} ${m.kernel}, Node ${m.node ?? '?'}, redis-server ${m.redisServer ?? 'not on PATH'}, redis-benchmark ${m.redisBenchmark ?? '?'}, memtier_benchmark ${m.memtierBenchmark ?? 'not on PATH'}`;
}

/** Which load generator ran which workloads, one line per tool, for the printed output. */
export function toolLines(record: LoadRecord): string[] {
  const byTool = new Map<string, string[]>();
  for (const w of record.workloads) {
    const list = byTool.get(w.tool) ?? [];
    list.push(w.label);
    byTool.set(w.tool, list);
  }
  const lines = [...byTool.entries()].map(([tool, labels]) => `${tool}: ${labels.join(', ')}`);
  if (record.loadTool.fallbackReason !== undefined) lines.push(`(${record.loadTool.fallbackReason})`);
  return lines;
}

export function printResults(record: LoadRecord, results: readonly WorkloadResult[]): void {
  console.log('');
  console.log(`medians over ${record.options.roundsRun} interleaved round(s); latency in ms as the client sees it; CPU us/op = server user+system CPU time per request; server CPU = share of one core the server used; CPU wait srv/gen = share of the run the server / load generator waited for a CPU (other work on the machine)`);
  console.log('');
  printTable(tableRows(results));
  const notes = generatorNotes(results);
  if (notes.length > 0) {
    console.log('');
    for (const line of notes) console.log(line);
  }
  console.log('\nload generator per workload:');
  for (const line of toolLines(record)) console.log(`  ${line}`);
  if (record.loadTool.generator !== undefined) console.log(`  (${record.loadTool.generator})`);
  if (record.targets.length > 0) {
    console.log('\ntargets (slabcache / redis-server):');
    for (const t of record.targets) console.log(`  ${targetLine(t)}`);
  }
}

/** `npm run bench -- --profile`: per profiled workload, its load figures and the self-time tables. */
export interface ProfileRecord {
  benchmark: string;
  date: string;
  command: string;
  machine: MachineInfo;
  placement: Placement;
  profileSeconds: number;
  slabcacheNodeFlags: string[];
  /** Rows kept of each self-time table. */
  top: number;
  workloads: Array<{
    id: string;
    label: string;
    tool: string;
    server: string;
    load: Outcome;
    /** The .cpuprofile, relative to the repository. */
    profileFile: string;
    seconds: number;
    samples: number;
    idlePercent: number;
    byArea: SelfTime[];
    byFunction: SelfTime[];
    byFile: SelfTime[];
  }>;
}

function stampOf(date: string): string {
  return date.replace(/[-:]/g, '').replace(/\..+$/, '').replace('T', '-');
}

/** JSON with NaN and infinities as null; writes `<prefix>-<stamp><suffix>.json` and `<prefix>-latest.json`. */
function writeRecord(record: object, outDir: string, prefix: string, date: string, suffix: string): string {
  fs.mkdirSync(outDir, { recursive: true });
  const json = JSON.stringify(record, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? null : v), 2) + '\n';
  const file = path.join(outDir, `${prefix}-${stampOf(date)}${suffix}.json`);
  fs.writeFileSync(file, json);
  fs.writeFileSync(path.join(outDir, `${prefix}-latest.json`), json);
  return file;
}

export function writeJson(record: LoadRecord, outDir: string): string {
  return writeRecord(record, outDir, 'load', record.date, record.options.quick ? '-quick' : '');
}

export function writeProfileJson(record: ProfileRecord, outDir: string): string {
  return writeRecord(record, outDir, 'profile', record.date, '');
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
        `Load: redis-benchmark${record.loadTool.memtier ? ' (SET:GET mixes, memtier default: memtier_benchmark)' : ' (memtier_benchmark not on PATH)'}; 100,000 preloaded keys, 32-byte values; 50 connections unless named.`,
        ...(results.some((r) => r.median.floor !== undefined) ? ['Node floor: a do-nothing RESP server on node:net that parses each request and answers a constant reply (bench/floor-server.ts).'] : []),
        ...(results.some((r) => r.workload.generator !== undefined && (r.median.redis !== undefined || r.median.slabcache !== undefined))
          ? ['PUBLISH fan-out (deliveries/s, p99 publish to receipt) and MULTI/EXEC (transactions/s, p99 per transaction): bench/load-gen.ts.']
          : []),
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
        ? `memtier_benchmark ${record.machine.memtierBenchmark ?? ''} --ratio=1:10, and the default memtier run (\`memtier_benchmark -p PORT --test-time N\`: 4 threads x 50 connections, SET:GET 1:10 over 10M keys)`
        : 'a SET and a GET redis-benchmark side by side (5 + 50 connections, requests 1:10; memtier_benchmark was not on PATH; the two generators share one core, so their CPU wait includes each other)'
    }.`,
  );
  if (results.some((r) => r.median.floor !== undefined)) {
    lines.push(
      "- Node floor: a do-nothing RESP server in Node (bench/floor-server.ts: node:net, parses every request, answers a constant reply, one write per read). slabcache/floor shows how far slabcache is from what Node itself allows.",
    );
  }
  if (record.loadTool.generator !== undefined) {
    lines.push(`- ${record.loadTool.generator}. ${generatorNotes(results).join(' ')}`);
  }
  lines.push(
    "- Medians over the rounds; a ratio row is the median of the ratios within each round (the servers of a round run back to back), so it need not equal the quotient of the medians above it. Latency in ms as the client sees it (with pipelining, per pipelined batch). CPU us/op: the server's user+system CPU time (all threads) per request, read from /proc; its ratio is the steadiest figure on a shared machine, and 1 / (CPU us/op) bounds the ops/s one core can serve. Server CPU: share of one core the server used; well below 100% means the server was not the bottleneck (on a small VM the loopback round trip between two vCPUs often sets the pace at pipeline 1). CPU wait srv/gen: share of the run the server's and the load generator's main threads waited for their CPU (/proc/PID/schedstat), i.e. other work on the machine; above a few percent the run was disturbed.",
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
