/*
 * Protocol-level fuzzing, differential: each session sends the same bytes, cut into the same
 * chunks, to slabcache and to redis-server, and compares how the two connections end.
 *
 * A session is a batch of well-formed frames (corpus commands as multibulk or inline, some with
 * their argument bytes flipped, blank lines, *0 and *-1), then, in a share of sessions, one wild
 * frame (bit flips anywhere, truncation, huge, negative and malformed lengths, a nested '*',
 * inline and multibulk mixed, random bytes, unbalanced quotes, over-long lines), then a
 * sentinel ECHO with a nonce. The bytes go whole, in random chunks or one byte per event-loop
 * turn; a share of sessions sends each frame split at every byte boundary in turn.
 *
 * The outcome on each server is one of: the sentinel came back (with n replies before it);
 * the server closed the connection (after n replies, the last one kept); or the connection is
 * still waiting for more input (an announced bulk not yet sent). Redis decides which is right:
 * slabcache must end the same way with the same count, the same protocol error text, and never
 * wait where Redis answered (a hang). A reply that is not RESP, or an "internal error" reply, is
 * a defect too. Connections whose sessions ended with the sentinel are kept for the next
 * session, and all of them, and new ones, must answer PING at the end.
 *
 * Sessions draw from their own Rng seeded by (run seed, session index), so a session's bytes
 * are reproducible from the printed seed; a failing session is written to a JSON file.
 */
import fs from 'node:fs';
import path from 'node:path';
import { encodeCommand } from '../helpers/raw-client.ts';
import { FuzzConn, chunkRandomly } from './conn.ts';
import { Rng } from './rng.ts';

export interface ProtocolFuzzOptions {
  seed: number;
  maxFrames: number;
  seconds: number;
  workers: number;
  slab: { host: string; port: number };
  redis: { host: string; port: number };
  corpus: Buffer[][];
  /** Where failing sessions are written (created on the first failure). */
  failureDir: string;
  /** Called about once a second. */
  onProgress?: (s: ProtocolFuzzStats) => void;
  /** True when the slabcache process is gone: stop at once. */
  crashed: () => boolean;
}

export interface ProtocolFuzzStats {
  frames: number;
  sessions: number;
  wildFrames: number;
  outcomes: Record<string, number>;
  mismatches: number;
  hangs: number;
  /** Sessions ended by a reset on either side (replies in flight lost): counts not compared. */
  resets: number;
  slabResets: number;
  /**
   * Connections the fuzzer still saw open after CONFIRM_MS although their server had closed
   * them (CLIENT LIST no longer lists them): a late close event on the fuzzer's side, seen with
   * both servers under load, not a hang.
   */
  lateCloseEvents: number;
  redisResets: number;
  /** Disagreements explained by a NUL inside a line (a documented difference): not failures. */
  nulLine: number;
  internalErrors: number;
  pingChecked: number;
  pingFailed: number;
  elapsedMs: number;
  failures: string[];
}

const WEIRD_LENGTHS = [
  '2147483647', '2147483648', '536870912', '536870913', '9223372036854775807', '9223372036854775808',
  '99999999999999999999', '-1', '-2', '-2147483648', '-9223372036854775808', '', '+5', '05', ' 5', '5 ',
  '0x10', '1e3', '-0', '00', '65536', '1048576', '4294967296', 'abc', '3\t',
];
/** How long a connection that neither answered nor closed is given before it counts as waiting. */
const SETTLE_MS = 300;
/** Extra time given to the slower side before a disagreement is believed. */
const CONFIRM_MS = 20_000;
const MAX_BATCH = 48;
/**
 * A line is refused once more than 64 KB of it is buffered without its terminator, so whether
 * a longer line that is complete is refused depends on how much each read brought: redis-server
 * reads 16 KB, or as much as its query buffer has room for, slabcache what the socket gives (up
 * to 64 KB). The two can disagree on any such line; the fuzzer only requires no hang of them.
 */
const LONG_LINE_BYTES = 144 * 1024;
const FLUSH_EVERY_MS = 2000;

type OutcomeKind = 'echo' | 'closed' | 'pending';
interface Outcome {
  kind: OutcomeKind;
  count: number;
  last: string;
  framingError: string | null;
  reset: boolean;
}

interface Session {
  chunks: Buffer[];
  expected: number;
  frames: number;
  wild: string | null;
  sentinel: Buffer;
}

function inlineArg(a: Buffer): string {
  if (a.length > 0 && /^[A-Za-z0-9_:.+-]+$/.test(a.toString('latin1'))) return a.toString('latin1');
  let s = '"';
  for (const b of a) s += '\\x' + b.toString(16).padStart(2, '0');
  return s + '"';
}

function encodeInline(args: readonly Buffer[], rng: Rng): Buffer {
  return Buffer.from(args.map(inlineArg).join(rng.chance(0.2) ? '   ' : ' ') + (rng.chance(0.2) ? '\n' : '\r\n'), 'latin1');
}

/** Positions of the header lines (*N and $N) of a multibulk encoding: [start of digits, CR]. */
function headerSpans(frame: Buffer): Array<[number, number]> {
  const spans: Array<[number, number]> = [];
  let p = 0;
  const line = (): number => frame.indexOf('\r\n', p, 'latin1');
  let cr = line();
  spans.push([1, cr]);
  p = cr + 2;
  while (p < frame.length && frame[p] === 36) {
    cr = line();
    spans.push([p + 1, cr]);
    const n = Number(frame.toString('latin1', p + 1, cr));
    p = cr + 2 + n + 2;
  }
  return spans;
}

function flipBits(rng: Rng, frame: Buffer, from: number, to: number, flips: number): Buffer {
  const out = Buffer.from(frame);
  if (to <= from) return out;
  for (let i = 0; i < flips; i++) {
    const at = from + rng.int(to - from);
    let v = out[at]! ^ (1 << rng.int(8));
    if (v === 0) v = 1; // a NUL inside a header line is a documented difference (protocol/parser.ts)
    out[at] = v;
  }
  return out;
}

/** One wild frame built from a corpus command: [bytes, what was done]. */
function wildFrame(rng: Rng, corpus: Buffer[][]): [Buffer, string] {
  const base = encodeCommand(rng.pick(corpus));
  switch (rng.int(10)) {
    case 0:
      return [flipBits(rng, base, 0, base.length, 1 + rng.int(4)), 'bitflip'];
    case 1:
      return [base.subarray(0, rng.int(base.length)), 'truncate'];
    case 2: {
      const spans = headerSpans(base);
      const [s, e] = rng.pick(spans);
      return [Buffer.concat([base.subarray(0, s), Buffer.from(rng.pick(WEIRD_LENGTHS), 'latin1'), base.subarray(e)]), 'length'];
    }
    case 3: {
      const spans = headerSpans(base);
      const [s] = spans[1 + rng.int(spans.length - 1)] ?? spans[0]!;
      const nested = Buffer.from(`*${rng.int(4)}\r\n`, 'latin1');
      return [Buffer.concat([base.subarray(0, s - 1), nested, base.subarray(s - 1)]), 'nested'];
    }
    case 4: {
      const inline = encodeInline(rng.pick(corpus), rng);
      return [rng.chance(0.5) ? Buffer.concat([Buffer.from(`*${1 + rng.int(3)}\r\n`), inline]) : Buffer.concat([inline.subarray(0, inline.length - 1), base]), 'mixed'];
    }
    case 5: {
      const b = rng.bytes(1 + rng.int(300), true);
      if (rng.chance(0.3)) b[0] = rng.chance(0.5) ? 42 : 36;
      return [b, 'random'];
    }
    case 6:
      return [Buffer.from(rng.pick(['SET "abc\r\n', "SET 'a\r\n", 'GET "a"b\r\n', "GET 'a'b\r\n", 'ECHO "\\x4\r\n', 'ECHO "abc\\"\r\n']), 'latin1'), 'quotes'];
    case 7: {
      if (!rng.chance(0.1)) return [Buffer.from(`*1\r\n$${rng.pick(['536870912', '100000', '2147483647', '65536'])}\r\n${'x'.repeat(rng.int(100))}`, 'latin1'), 'huge-bulk'];
      const fill = Buffer.alloc(LONG_LINE_BYTES + rng.int(8192), rng.pick([0x31, 0x61, 0x20]));
      const prefix = rng.pick(['*', '*1\r\n$', '']);
      return [Buffer.concat([Buffer.from(prefix, 'latin1'), fill]), 'long-line'];
    }
    case 8:
      return [Buffer.from(`*${rng.pick(['2147483647', '2147483648', '1024', '100000'])}\r\n`, 'latin1'), 'huge-count'];
    default: {
      const payloadFlip = flipBits(rng, base, headerSpans(base)[0]![1], base.length, 1 + rng.int(3));
      return [payloadFlip, 'bitflip-body'];
    }
  }
}

/** Bit flips inside one argument's bytes only: the framing stays valid (one reply). */
function flipArgument(rng: Rng, args: Buffer[]): Buffer[] {
  const i = rng.int(args.length);
  const out = args.slice();
  const a = Buffer.from(out[i]!);
  for (let k = 0, n = 1 + rng.int(3); k < n && a.length > 0; k++) a[rng.int(a.length)]! ^= 1 << rng.int(8);
  out[i] = a;
  return out;
}

export function buildSession(rng: Rng, corpus: Buffer[][], index: number): Session {
  const frames: Buffer[] = [];
  let expected = 0;
  const n = 1 + rng.int(MAX_BATCH);
  for (let i = 0; i < n; i++) {
    const r = rng.int(100);
    if (r < 65) {
      frames.push(encodeCommand(rng.pick(corpus)));
      expected++;
    } else if (r < 82) {
      frames.push(encodeInline(rng.pick(corpus), rng));
      expected++;
    } else if (r < 92) {
      frames.push(encodeCommand(flipArgument(rng, rng.pick(corpus))));
      expected++;
    } else if (r < 96) {
      frames.push(Buffer.from(rng.pick(['\r\n', '\n', '   \r\n', '\t\n']), 'latin1'));
    } else {
      frames.push(Buffer.from(rng.pick(['*0\r\n', '*-1\r\n', '*-5\r\n']), 'latin1'));
    }
  }
  let wild: string | null = null;
  if (rng.chance(0.35)) {
    const [bytes, what] = wildFrame(rng, corpus);
    frames.push(bytes);
    wild = what;
  }
  const sentinel = Buffer.from(`fz-${index}-${rng.u32().toString(36)}`, 'latin1');
  frames.push(encodeCommand([Buffer.from('ECHO'), sentinel]));
  let chunks: Buffer[];
  if (rng.chance(0.02)) {
    // Every TCP boundary: each frame split in two at each of its byte positions in turn.
    chunks = [];
    for (let f = 0; f < frames.length; f++) {
      const fr = frames[f]!;
      if (fr.length > 256) {
        chunks.push(fr);
        continue;
      }
      const at = 1 + ((index + f) % Math.max(1, fr.length - 1));
      chunks.push(fr.subarray(0, at), fr.subarray(at));
    }
  } else {
    chunks = chunkRandomly(rng, Buffer.concat(frames));
  }
  return { chunks, expected, frames: n + (wild === null ? 0 : 1), wild, sentinel };
}

function sentinelReply(sentinel: Buffer): Buffer {
  return Buffer.concat([Buffer.from(`$${sentinel.length}\r\n`), sentinel, Buffer.from('\r\n')]);
}

function outcomeOf(conn: FuzzConn, sentinel: Buffer): Outcome {
  const r = conn.replies;
  const last = r.length > 0 ? r[r.length - 1]! : null;
  if (last !== null && last.equals(sentinelReply(sentinel))) return { kind: 'echo', count: r.length - 1, last: '', framingError: conn.framingError, reset: conn.reset };
  return {
    kind: conn.closed || conn.ended ? 'closed' : 'pending',
    count: r.length,
    last: last === null ? '' : last.toString('latin1', 0, Math.min(last.length, 200)),
    framingError: conn.framingError,
    reset: conn.reset,
  };
}

async function settle(conn: FuzzConn, sentinel: Buffer, ms: number): Promise<Outcome> {
  const want = sentinelReply(sentinel);
  await conn.waitUntil(() => conn.closed || conn.ended || (conn.replies.length > 0 && conn.replies[conn.replies.length - 1]!.equals(want)), ms);
  return outcomeOf(conn, sentinel);
}

function describe(o: Outcome): string {
  return `${o.kind} after ${o.count} replies${o.last === '' ? '' : `, last ${JSON.stringify(o.last)}`}${o.framingError === null ? '' : `, framing error ${o.framingError}`}`;
}

export async function runProtocolFuzz(opts: ProtocolFuzzOptions): Promise<ProtocolFuzzStats> {
  const stats: ProtocolFuzzStats = {
    frames: 0, sessions: 0, wildFrames: 0, outcomes: {}, mismatches: 0, hangs: 0, resets: 0, slabResets: 0, lateCloseEvents: 0, redisResets: 0, nulLine: 0, internalErrors: 0,
    pingChecked: 0, pingFailed: 0, elapsedMs: 0, failures: [],
  };
  const start = Date.now();
  const deadline = start + opts.seconds * 1000;
  let nextIndex = 0;
  const done = (): boolean => stats.frames >= opts.maxFrames || Date.now() >= deadline || opts.crashed() || stats.failures.length >= 20;
  const kept: Array<[FuzzConn, FuzzConn]> = [];

  const recordFailure = (index: number, session: Session, slab: Outcome, redis: Outcome, why: string): void => {
    stats.failures.push(`session ${index}: ${why}: slabcache ${describe(slab)}; redis ${describe(redis)}`);
    fs.mkdirSync(opts.failureDir, { recursive: true });
    const file = path.join(opts.failureDir, `protocol-seed${opts.seed}-session${index}.json`);
    fs.writeFileSync(file, JSON.stringify({
      seed: opts.seed, session: index, why, wild: session.wild,
      chunksBase64: session.chunks.map((c) => c.toString('base64')),
      bytesLatin1: Buffer.concat(session.chunks).toString('latin1'),
      slabcache: slab, redis,
    }, null, 1));
  };

  const worker = async (): Promise<void> => {
    let slab: FuzzConn | null = null;
    let redis: FuzzConn | null = null;
    while (!done()) {
      slab ??= await FuzzConn.open(opts.slab.host, opts.slab.port);
      redis ??= await FuzzConn.open(opts.redis.host, opts.redis.port);
      slab.clearReplies();
      redis.clearReplies();
      const index = nextIndex++;
      const rng = new Rng((opts.seed ^ Math.imul(index + 1, 0x9e3779b1)) >>> 0);
      const session = buildSession(rng, opts.corpus, index);
      await Promise.all([slab.writeChunks(session.chunks), redis.writeChunks(session.chunks)]);
      let [so, ro] = await Promise.all([settle(slab, session.sentinel, SETTLE_MS), settle(redis, session.sentinel, SETTLE_MS)]);
      // Under load either side may just be late: give the one that has not finished more time.
      if (so.kind !== ro.kind) {
        [so, ro] = await Promise.all([
          so.kind === 'pending' ? settle(slab, session.sentinel, CONFIRM_MS) : so,
          ro.kind === 'pending' ? settle(redis, session.sentinel, CONFIRM_MS) : ro,
        ]);
      }
      // Both still waiting for input but one has answered less so far: let it catch up.
      if (so.kind === 'pending' && ro.kind === 'pending' && so.count !== ro.count) {
        const [late, target] = so.count < ro.count ? [slab, ro.count] : [redis, so.count];
        await late.waitUntil(() => late.replies.length >= target || late.closed, CONFIRM_MS);
        so = outcomeOf(slab, session.sentinel);
        ro = outcomeOf(redis, session.sentinel);
      }
      // A connection still seen open after CONFIRM_MS, where the other server closed: ask the
      // server itself (CLIENT LIST) whether it still holds it before believing in a hang.
      if (so.kind === 'pending' && ro.kind === 'closed' && !(await serverHolds(opts.slab, slab))) {
        so = { ...so, kind: 'closed' };
        stats.lateCloseEvents++;
      } else if (ro.kind === 'pending' && so.kind === 'closed' && !(await serverHolds(opts.redis, redis))) {
        ro = { ...ro, kind: 'closed' };
        stats.lateCloseEvents++;
      }
      stats.sessions++;
      if (so.reset) stats.slabResets++;
      if (ro.reset) stats.redisResets++;
      stats.frames += session.frames;
      if (session.wild !== null) stats.wildFrames++;
      const key = `${session.wild ?? 'valid'}:${so.kind}`;
      stats.outcomes[key] = (stats.outcomes[key] ?? 0) + 1;
      const internal = slab.replies.some((r) => r.includes('internal error'));
      if (internal) stats.internalErrors++;
      const reset = so.reset || ro.reset;
      if (reset) stats.resets++;
      // Redis's strchr() stops at a NUL, so it waits for more input where slabcache reads the
      // line: the difference protocol/parser.ts documents. Only a wild frame can put one there.
      const nul = session.wild !== null && (so.kind !== ro.kind || so.count !== ro.count || so.last !== ro.last) && Buffer.concat(session.chunks).includes(0);
      if (nul) stats.nulLine++;
      let why: string | null = null;
      if (so.framingError !== null) why = 'slabcache sent bytes that are not RESP';
      else if (internal) why = 'internal error reply';
      else if (nul) why = null;
      else if (session.wild === 'long-line') {
        // Whether an over-long line that is complete gets refused depends on read sizes
        // (LONG_LINE_BYTES): only waiting where Redis did not is a failure.
        if (so.kind === 'pending' && ro.kind !== 'pending') {
          why = 'hang: slabcache neither answered nor closed';
          stats.hangs++;
        }
      } else if (so.kind !== ro.kind && !(reset && so.kind !== 'pending' && ro.kind !== 'pending')) {
        why = so.kind === 'pending' ? 'hang: slabcache neither answered nor closed' : 'different outcome';
        if (so.kind === 'pending') stats.hangs++;
      } else if (reset) why = null;
      else if (so.count !== ro.count) why = 'different number of replies';
      else if (so.kind === 'closed' && (so.last.startsWith('-ERR Protocol') || ro.last.startsWith('-ERR Protocol')) && so.last !== ro.last) {
        why = 'different protocol error';
      }
      if (why !== null) {
        stats.mismatches++;
        recordFailure(index, session, so, ro, why);
      }
      if (so.kind === 'echo' && ro.kind === 'echo') continue;
      slab.destroy();
      redis.destroy();
      slab = null;
      redis = null;
    }
    if (slab !== null && redis !== null) kept.push([slab, redis]);
  };

  const flusher = setInterval(() => {
    void Promise.all([flushAll(opts.slab), flushAll(opts.redis)]);
  }, FLUSH_EVERY_MS);
  const progress = setInterval(() => {
    stats.elapsedMs = Date.now() - start;
    opts.onProgress?.(stats);
  }, 1000);
  try {
    await Promise.all(Array.from({ length: opts.workers }, worker));
  } finally {
    clearInterval(flusher);
    clearInterval(progress);
  }
  stats.elapsedMs = Date.now() - start;
  if (!opts.crashed()) {
    for (const [slab, redis] of kept) {
      stats.pingChecked++;
      const reply = await slab.call(encodeCommand(['PING']), CONFIRM_MS);
      if (reply === null || reply.toString('latin1') !== '+PONG\r\n') {
        stats.pingFailed++;
        stats.failures.push(`a connection kept open did not answer PING (got ${reply === null ? 'nothing' : JSON.stringify(reply.toString('latin1'))})`);
      }
      slab.destroy();
      redis.destroy();
    }
    // And the server still takes new connections.
    for (let i = 0; i < 4; i++) {
      stats.pingChecked++;
      const c = await FuzzConn.open(opts.slab.host, opts.slab.port);
      const reply = await c.call(encodeCommand(['PING']), CONFIRM_MS);
      c.destroy();
      if (reply === null || reply.toString('latin1') !== '+PONG\r\n') {
        stats.pingFailed++;
        stats.failures.push(`a new connection did not answer PING (got ${reply === null ? 'nothing' : JSON.stringify(reply.toString('latin1'))})`);
      }
    }
  }
  return stats;
}

/** True when the server's CLIENT LIST still shows the connection (by the fuzzer's local port). */
async function serverHolds(target: { host: string; port: number }, conn: FuzzConn): Promise<boolean> {
  try {
    const c = await FuzzConn.open(target.host, target.port);
    const list = await c.call(encodeCommand(['CLIENT', 'LIST']), CONFIRM_MS);
    c.destroy();
    return list === null || list.toString('latin1').includes(`addr=127.0.0.1:${conn.localPort} `);
  } catch {
    return true;
  }
}

async function flushAll(target: { host: string; port: number }): Promise<void> {
  try {
    const c = await FuzzConn.open(target.host, target.port);
    await c.call(encodeCommand(['FLUSHALL']), CONFIRM_MS);
    c.destroy();
  } catch {
    // the crash check reports a server that is gone
  }
}
