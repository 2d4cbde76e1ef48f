/*
 * Bulk loading over deeply pipelined raw RESP: `batch` commands per write, at most `window`
 * writes awaiting replies. Keys are "key:" + 12 zero-padded digits (16 bytes), the same
 * names redis-benchmark -r generates for "key:__rand_int__", so a redis-benchmark run after
 * a load hits the loaded keys.
 */
import { BatchBuilder, type BatchResult, type RespClient } from './resp-client.ts';

export const KEY_LEN = 16;
const KEY_PREFIX = Buffer.from('key:');

/** Write the 16-byte key for id `i` at buf[off..off+16). */
export function writeKey(buf: Uint8Array, off: number, i: number): void {
  buf.set(KEY_PREFIX, off);
  let n = i;
  for (let p = off + KEY_LEN - 1; p >= off + 4; p--) {
    buf[p] = 48 + (n % 10);
    n = Math.floor(n / 10);
  }
}

export function keyName(i: number): string {
  return 'key:' + String(i).padStart(12, '0');
}

/** A value of `len` bytes for key id `i`: "val:" + 12 digits of i, then 'x' padding (never an integer). */
export function writeValue(buf: Uint8Array, off: number, len: number, i: number): void {
  buf.fill(120, off, off + len);
  if (len >= 16) {
    buf[off] = 118; // v
    buf[off + 1] = 97; // a
    buf[off + 2] = 108; // l
    buf[off + 3] = 58; // :
    let n = i;
    for (let p = off + 15; p >= off + 4; p--) {
      buf[p] = 48 + (n % 10);
      n = Math.floor(n / 10);
    }
  }
}

export interface PipelineOptions {
  batch?: number;
  window?: number;
  /** Give up (throw) after this long. */
  timeoutMs?: number;
  /** Shown on stderr progress lines (only when stderr is a terminal). */
  label?: string;
}

export interface PipelineStats {
  commands: number;
  seconds: number;
  errors: number;
  firstError: Error | null;
}

/**
 * Send commands 0..total-1, each encoded by `encode(builder, i)` (exactly one command per
 * call), batch by batch with a bounded window of batches in flight.
 */
export async function pipelineCommands(
  client: RespClient,
  total: number,
  encode: (b: BatchBuilder, i: number) => void,
  opts: PipelineOptions = {},
): Promise<PipelineStats> {
  const batch = opts.batch ?? 1000;
  const window = opts.window ?? 16;
  const deadline = Date.now() + (opts.timeoutMs ?? 15 * 60_000);
  const progress = opts.label !== undefined && process.stderr.isTTY;
  const started = process.hrtime.bigint();
  const builder = new BatchBuilder(batch * 160);
  const inflight: Array<Promise<BatchResult>> = [];
  const stats: PipelineStats = { commands: 0, seconds: 0, errors: 0, firstError: null };
  const account = (r: BatchResult) => {
    stats.commands += r.replies;
    stats.errors += r.errors;
    stats.firstError ??= r.firstError;
  };
  let nextProgress = 0;
  for (let i = 0; i < total; ) {
    const n = Math.min(batch, total - i);
    for (let k = 0; k < n; k++) encode(builder, i + k);
    const sent = client.pipeline(builder.take(), n);
    sent.catch(() => undefined); // awaited below; this only keeps a failure of a later batch from going unhandled
    inflight.push(sent);
    i += n;
    if (inflight.length >= window) account(await inflight.shift()!);
    if (Date.now() > deadline) throw new Error(`${opts.label ?? 'pipeline'}: gave up after ${opts.timeoutMs} ms at ${i}/${total} commands`);
    if (progress && i >= nextProgress) {
      process.stderr.write(`\r  ${opts.label}: ${(i / 1e6).toFixed(1)}M / ${(total / 1e6).toFixed(1)}M   `);
      nextProgress = i + 500_000;
    }
  }
  for (const p of inflight) account(await p);
  if (progress) process.stderr.write('\r' + ' '.repeat(60) + '\r');
  stats.seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return stats;
}

const SET_HEAD = Buffer.from('*3\r\n$3\r\nSET\r\n');
const SET_EX_HEAD = Buffer.from('*5\r\n$3\r\nSET\r\n');

export interface LoadOptions extends PipelineOptions {
  /** Key ids first .. first+count-1. */
  first?: number;
  /** Value length, fixed or per key id. */
  valueLen: number | ((i: number) => number);
  /** SET k v EX <seconds> when given. */
  exSeconds?: number;
}

/** SET `count` keys; throws if any SET is answered with an error. */
export async function loadKeys(client: RespClient, count: number, opts: LoadOptions): Promise<PipelineStats> {
  const first = opts.first ?? 0;
  const lenOf = opts.valueLen;
  const ex = opts.exSeconds;
  const exArg = ex === undefined ? '' : String(ex);
  const stats = await pipelineCommands(
    client,
    count,
    (b, k) => {
      const id = first + k;
      const vlen = typeof lenOf === 'number' ? lenOf : lenOf(id);
      b.count++;
      b.raw(ex === undefined ? SET_HEAD : SET_EX_HEAD);
      b.argFill(KEY_LEN, (buf, off) => writeKey(buf, off, id));
      b.argFill(vlen, (buf, off) => writeValue(buf, off, vlen, id));
      if (ex !== undefined) b.arg('EX').arg(exArg);
    },
    opts,
  );
  if (stats.errors > 0) throw new Error(`${stats.errors} SETs failed, first: ${stats.firstError?.message}`);
  return stats;
}
