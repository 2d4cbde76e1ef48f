/*
 * Output helpers shared by the benchmarks: the machine line, medians, fixed-width tables,
 * and option parsing (node:util parseArgs with numeric options checked).
 */
import fs from 'node:fs';
import os from 'node:os';
import { execFileSync } from 'node:child_process';
import { parseArgs } from 'node:util';
import { serverDiagnostics } from './servers.ts';

export function median(xs: readonly number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

export function cpuModel(): string {
  try {
    const text = fs.readFileSync('/proc/cpuinfo', 'utf8');
    const m = /^model name\s*:\s*(.+)$/m.exec(text);
    if (m !== null) return m[1].trim();
  } catch {
    // fall through
  }
  return os.cpus()[0]?.model ?? 'unknown CPU';
}

function redisVersion(): string {
  try {
    return execFileSync('redis-server', ['--version'], { encoding: 'utf8' }).trim().replace(/^Redis server v=(\S+).*$/, '$1');
  } catch {
    return 'redis-server not found';
  }
}

export function machineLine(): string {
  const gib = (os.totalmem() / 2 ** 30).toFixed(1);
  return `${os.availableParallelism()} CPUs (${cpuModel()}), ${gib} GiB RAM, ${os.type()} ${os.release()}, Node ${process.version}, redis-server ${redisVersion()}`;
}

export function loadLine(): string {
  return `load average ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}`;
}

export function printHeader(title: string, command: string): void {
  console.log(`# ${title}`);
  console.log(`machine: ${machineLine()}`);
  console.log(`command: ${command}`);
  console.log(`started: ${new Date().toISOString()}, ${loadLine()}`);
  console.log('');
}

export function printFooter(): void {
  console.log('');
  console.log(`finished: ${new Date().toISOString()}, ${loadLine()}`);
}

/** Print rows as an aligned plain-text table (first row = header). Numbers right-aligned. */
export function printTable(rows: ReadonlyArray<ReadonlyArray<string | number>>): void {
  const cells = rows.map((r) => r.map((c) => (typeof c === 'number' ? fmt(c) : c)));
  const widths: number[] = [];
  for (const r of cells) r.forEach((c, i) => (widths[i] = Math.max(widths[i] ?? 0, c.length)));
  const numeric = (i: number) => rows.slice(1).every((r) => typeof r[i] === 'number' || /^[-+]?[\d.,]+( ?[a-zA-Z%x/]*)?$/.test(String(r[i])) || r[i] === '-');
  const line = (r: string[]) => r.map((c, i) => (i > 0 && numeric(i) ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join('  ');
  console.log(line(cells[0]));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const r of cells.slice(1)) console.log(line(r));
}

/** A number with sensible precision for a table cell. */
export function fmt(x: number, digits?: number): string {
  if (Number.isNaN(x)) return '-';
  if (!Number.isFinite(x)) return String(x);
  if (digits !== undefined) return x.toFixed(digits);
  const a = Math.abs(x);
  if (a >= 1000) return Math.round(x).toLocaleString('en-US');
  if (a >= 100) return x.toFixed(0);
  if (a >= 10) return x.toFixed(1);
  return x.toFixed(2);
}

export function ratio(ours: number, theirs: number): string {
  if (!(theirs > 0) || !Number.isFinite(ours)) return '-';
  return (ours / theirs).toFixed(2) + 'x';
}

export function mib(bytes: number): string {
  return (bytes / 2 ** 20).toFixed(1) + ' MiB';
}

type OptionSpec = Record<string, { type: 'string' | 'boolean'; default?: string | boolean; short?: string }>;

/**
 * Parse argv with parseArgs; numeric options are declared as strings and read with num().
 * --help prints `usage` and exits.
 */
export function parseOptions<T extends OptionSpec>(spec: T, usage: string) {
  const parsed = parseArgs({ args: process.argv.slice(2), options: { ...spec, help: { type: 'boolean', short: 'h' } }, strict: true, allowPositionals: false });
  const values = parsed.values as Record<string, unknown>;
  if (values.help === true) {
    console.log(usage);
    process.exit(0);
  }
  const num = (name: keyof T & string, fallback: number): number => {
    const v = values[name];
    if (v === undefined) return fallback;
    const n = Number(String(v).replace(/_/g, ''));
    if (!Number.isFinite(n) || n < 0) throw new Error(`--${name} must be a non-negative number, got '${String(v)}'`);
    return n;
  };
  const flag = (name: keyof T & string): boolean => values[name] === true;
  const str = (name: keyof T & string, fallback: string): string => {
    const v = values[name];
    return typeof v === 'string' ? v : fallback;
  };
  return { num, flag, str };
}

/** The command line this run was started with, for the printed header. */
export function commandLine(script: string): string {
  const args = process.argv.slice(2);
  return ['npx node', script, ...args].join(' ');
}

/** Run main(); print the error and exit 1 on failure (servers are killed by the exit hook). */
export function run(main: () => Promise<void>): void {
  main().then(
    () => process.exit(0),
    (err: unknown) => {
      console.error('\nbenchmark failed:', err instanceof Error ? (err.stack ?? err.message) : err);
      const diag = serverDiagnostics();
      if (diag !== '') console.error(diag);
      process.exit(1);
    },
  );
}

/** --servers redis,slabcache (default both): which sides to run, e.g. to try one alone. */
export function serverKinds(value: string): Array<'redis' | 'slabcache'> {
  const kinds = value.split(',').map((s) => s.trim()).filter((s) => s !== '');
  for (const k of kinds) if (k !== 'redis' && k !== 'slabcache') throw new Error(`--servers: unknown server '${k}' (redis, slabcache)`);
  if (kinds.length === 0) throw new Error('--servers: name at least one of redis, slabcache');
  return kinds as Array<'redis' | 'slabcache'>;
}
