/*
 * memtier_benchmark's --json-out-file, read for the load harness: "ALL STATS" -> "Totals"
 * holds Ops/sec, Count, "Connection Errors" and "Percentile Latencies" {"p50.00", "p99.00",
 * "p99.90"} in ms (with --print-percentiles=50,99,99.9). Throws when a figure is missing, so
 * a memtier version with another layout fails loudly rather than reporting zeros. Error
 * replies are not in the JSON: memtier logs each to stderr (measure.ts counts them).
 */
import type { LoadFigures } from './rb-output.ts';

type Json = Record<string, unknown>;

export interface MemtierFigures extends LoadFigures {
  /** Totals."Connection Errors" (0 when the field is absent, as in older versions). */
  connectionErrors: number;
}

function obj(v: unknown, what: string): Json {
  if (typeof v !== 'object' || v === null) throw new Error(`memtier JSON: no ${what}`);
  return v as Json;
}

function num(o: Json, key: string, what: string): number {
  const v = o[key];
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new Error(`memtier JSON: no number ${what}.${key}`);
  return v;
}

export function parseMemtierJson(text: string): MemtierFigures {
  const root = obj(JSON.parse(text), 'document');
  const totals = obj(obj(root['ALL STATS'], '"ALL STATS"')['Totals'], 'Totals');
  const pct = obj(totals['Percentile Latencies'], 'Totals."Percentile Latencies"');
  const rps = num(totals, 'Ops/sec', 'Totals');
  const count = typeof totals['Count'] === 'number' ? (totals['Count'] as number) : NaN;
  const connErrors = totals['Connection Errors'];
  return {
    requests: count,
    rps,
    p50: num(pct, 'p50.00', 'Percentile Latencies'),
    p99: num(pct, 'p99.00', 'Percentile Latencies'),
    p999: num(pct, 'p99.90', 'Percentile Latencies'),
    connectionErrors: typeof connErrors === 'number' && Number.isFinite(connErrors) ? connErrors : 0,
  };
}

/**
 * The version from `memtier_benchmark --version`, with the source commit when the build
 * recorded one: "memtier_benchmark v=2.1.0 sha=00000000:0 ..." -> "2.1.0";
 * "... v=255.255.255 sha=2f74d611:0 ..." (a build of the main branch) -> "255.255.255 (2f74d611)".
 */
export function parseMemtierVersion(text: string): string {
  const m = /v=(\S+)(?: sha=([0-9a-f]+):(\d))?/.exec(text);
  if (m === null) return text.trim();
  const sha = m[2] !== undefined && !/^0+$/.test(m[2]) ? ` (${m[2]}${m[3] === '1' ? ', dirty' : ''})` : '';
  return `${m[1]}${sha}`;
}
