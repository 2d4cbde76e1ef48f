/*
 * Command-level fuzzing, differential: every entry of slabcache's command table (buildRegistry
 * in src/server.ts; subcommands included) is called with random argument counts around its
 * arity and values drawn from edge cases (empty, 64 KB and 1 MB, negative, integer limits,
 * NaN and inf, non-UTF-8, NUL and CRLF, the command's own option tokens, keys holding every
 * type), and the same sequence goes to redis-server in the same run. Each round starts from
 * the same fixture keys on both. Reported: a crash (the child process exits), a hang (no reply
 * where Redis replied), and a reply of a different RESP type (top-level type byte, with null
 * bulk, null array and RESP3 null told apart). Content is not compared: randomness (SPOP,
 * RANDOMKEY, TIME, INFO, CLIENT LIST ...) makes it differ legitimately.
 *
 * Handled deliberately:
 * - blocking commands (BLPOP and the other pops, XREAD/XREADGROUP BLOCK, WAIT): when neither
 *   server answers within BLOCK_WAIT_MS, both connections are released with CLIENT UNBLOCK from
 *   a control connection and the replies compared;
 * - MULTI/EXEC, HELLO 3, SELECT, RESET, AUTH: run on both, so both connections change alike;
 * - QUIT: both connections close and are reopened;
 * - memory bombs by design: numbers past 1,000,000 given to SETRANGE/SETBIT/BITFIELD become
 *   4294967296 (an out-of-range error on both); counts past 1000 given to SRANDMEMBER,
 *   HRANDFIELD and ZRANDMEMBER become ±1000 (a negative count repeats members without bound).
 * Excluded (EXCLUDED below), each for a reason: SHUTDOWN, DEBUG, MONITOR, SAVE, BGSAVE,
 * BGREWRITEAOF, CONFIG SET/REWRITE, REPLICAOF/SLAVEOF/FAILOVER/SYNC/PSYNC/REPLCONF, MIGRATE,
 * MODULE, CLIENT KILL/PAUSE/REPLY/TRACKING/NO-EVICT, ACL SETUSER/DELUSER/LOAD/SAVE (stop,
 * persist, reconfigure or silence the server or the fuzzer's own connections); the SUBSCRIBE
 * family (several replies per command and a reply mode of its own: the differential corpus
 * covers them); PFSELFTEST (seconds of work); LCS (allocates len1 x len2 cells: two 1 MB
 * values would make redis-server abort); commands newer than Redis 7.0 (no reference).
 */
import fs from 'node:fs';
import path from 'node:path';
import { encodeCommand } from '../helpers/raw-client.ts';
import { buildRegistry } from '../../src/server.ts';
import { metaFor, type DocArg } from '../../src/commands/command-meta.ts';
import type { CommandEntry } from '../../src/registry.ts';
import { FuzzConn } from './conn.ts';
import { Rng } from './rng.ts';

export interface CommandFuzzOptions {
  seed: number;
  commands: number;
  seconds: number;
  slab: { host: string; port: number };
  redis: { host: string; port: number };
  failureDir: string;
  crashed: () => boolean;
}

export interface CommandFuzzStats {
  commands: number;
  distinctCommands: number;
  typeMismatches: number;
  hangs: number;
  bothBlocked: number;
  reconnects: number;
  elapsedMs: number;
  failures: string[];
}

export const EXCLUDED = new Set([
  'shutdown', 'debug', 'monitor', 'save', 'bgsave', 'bgrewriteaof', 'config|set', 'config|rewrite',
  'replicaof', 'slaveof', 'failover', 'sync', 'psync', 'replconf', 'migrate', 'module',
  'client|kill', 'client|pause', 'client|reply', 'client|tracking', 'client|no-evict',
  'acl|setuser', 'acl|deluser', 'acl|load', 'acl|save',
  'subscribe', 'psubscribe', 'ssubscribe', 'unsubscribe', 'punsubscribe', 'sunsubscribe',
  'pfselftest', 'lcs',
]);
const BIG_OFFSET = new Set(['setrange', 'setbit', 'bitfield', 'bitfield_ro']);
const RANDOM_COUNT = new Set(['srandmember', 'hrandfield', 'zrandmember']);

const BLOCK_WAIT_MS = 300;
const SLOW_MS = 5000;
const ROUND = 40;

const KEYS = ['fz:str', 'fz:int', 'fz:float', 'fz:list', 'fz:hash', 'fz:set', 'fz:intset', 'fz:zset', 'fz:stream', 'fz:hll', 'fz:geo', 'fz:missing'];
const FIXTURE: string[][] = [
  ['FLUSHALL'],
  ['SET', 'fz:str', 'hello'],
  ['SET', 'fz:int', '42'],
  ['SET', 'fz:float', '3.5'],
  ['RPUSH', 'fz:list', 'a', 'b', 'c', '1', '2', '3'],
  ['HSET', 'fz:hash', 'f1', 'v1', 'f2', '2', 'f3', '1.5'],
  ['SADD', 'fz:set', 'a', 'b', 'c'],
  ['SADD', 'fz:intset', '1', '2', '3'],
  ['ZADD', 'fz:zset', '1', 'a', '2', 'b', '3', 'c'],
  ['XADD', 'fz:stream', '1-1', 'f', 'v'],
  ['XADD', 'fz:stream', '2-1', 'g', 'w'],
  ['XGROUP', 'CREATE', 'fz:stream', 'g', '0'],
  ['PFADD', 'fz:hll', 'a', 'b', 'c'],
  ['GEOADD', 'fz:geo', '13.361389', '38.115556', 'palermo', '15.087269', '37.502669', 'catania'],
];
const HUGE = 'x'.repeat(64 * 1024);
const VERY_HUGE = 'y'.repeat(1024 * 1024);
const EDGE_VALUES: Array<string | Buffer> = [
  '', ' ', '0', '1', '-1', '2', '3', '10', '100', '-100', '0.5', '-0', '1.5', '+1', '01', ' 1', '1 ', '0x10', '1e3',
  '2147483647', '-2147483648', '2147483648', '4294967295', '4294967296',
  '9223372036854775807', '-9223372036854775808', '9223372036854775808', '-9223372036854775809', '18446744073709551616',
  'nan', 'NaN', '-nan', 'inf', '-inf', '+inf', 'Infinity', '1e308', '1e309', '-1e309', '5e-324', '1e-400',
  Buffer.from([0xff, 0xfe, 0xfd]), Buffer.from([0xc3, 0x28]), Buffer.from([0]), Buffer.from('a\x00b', 'latin1'), '\r\n', 'a\r\nb',
  '*', '?', '[', '[a-', '\\', '$', '>', '-', '+', '(', '(1', '[a', '0-0', '0-1', '1-1', '*-*', '9999999999999-0', '18446744073709551615-18446744073709551615',
  'a', 'b', 'c', 'f1', 'palermo', 'g', 'return 1', "return redis.call('get', KEYS[1])", 'return {1,2,{3}}', "return redis.pcall('incr', 'fz:str')",
  HUGE,
];

function tokensOf(args: readonly DocArg[] | undefined, out: Set<string>): void {
  if (args === undefined) return;
  for (const a of args) {
    if (a.token !== undefined) out.add(a.token);
    if (a.type === 'pure-token' && a.token === undefined) out.add(a.name.toUpperCase());
    tokensOf(a.arguments, out);
  }
}

interface Target {
  argv: string[];
  arity: number;
  tokens: string[];
  name: string;
}

/** Every fuzzable entry of the table: top-level commands and subcommands (argv prefix, arity, option tokens). */
export function fuzzTargets(): Target[] {
  const registry = buildRegistry();
  const out: Target[] = [];
  const add = (e: CommandEntry): void => {
    if (EXCLUDED.has(e.fullName) || metaFor(e.fullName) === undefined) return;
    const tokens = new Set<string>();
    tokensOf(e.meta.docs.arguments, tokens);
    out.push({ argv: e.fullName.split('|'), arity: e.arity, tokens: [...tokens], name: e.fullName });
  };
  for (const e of registry.commands) {
    add(e);
    if (e.subcommands !== null) for (const s of e.subcommands.values()) add(s);
  }
  return out;
}

function randomArg(rng: Rng, t: Target, i: number): string | Buffer {
  const r = rng.int(100);
  if (i === 0 && r < 60) return rng.pick(KEYS);
  if (r < 25) return rng.pick(KEYS);
  if (r < 50 && t.tokens.length > 0) return rng.chance(0.2) ? rng.pick(t.tokens).toLowerCase() : rng.pick(t.tokens);
  if (r < 52) return VERY_HUGE;
  return rng.pick(EDGE_VALUES);
}

function tame(name: string, arg: string | Buffer): string | Buffer {
  if (typeof arg !== 'string') return arg;
  const cmd = name.split('|')[0]!;
  if (BIG_OFFSET.has(cmd) && /^#?-?\d/.test(arg) && Math.abs(Number(arg.replace('#', ''))) > 1e6) return '4294967296';
  if (RANDOM_COUNT.has(cmd) && /^-?\d+$/.test(arg) && Math.abs(Number(arg)) > 1000) return arg.startsWith('-') ? '-1000' : '1000';
  return arg;
}

export function randomCommand(rng: Rng, t: Target): Array<string | Buffer> {
  const fixed = t.argv.length;
  let n: number;
  if (t.arity > 0) {
    n = t.arity - fixed;
    if (rng.chance(0.15)) n += rng.pick([-2, -1, 1, 2]);
  } else {
    n = -t.arity - fixed + rng.int(7);
    if (rng.chance(0.1)) n -= 1 + rng.int(2);
  }
  const argv: Array<string | Buffer> = [...t.argv];
  if (rng.chance(0.2)) argv[0] = t.argv[0]!.toUpperCase();
  for (let i = 0; i < Math.max(0, n); i++) argv.push(tame(t.name, randomArg(rng, t, i)));
  return argv;
}

/** The reply's RESP type: its first byte, with null bulk and null array told apart. */
export function replyType(r: Buffer): string {
  const t = String.fromCharCode(r[0]!);
  if ((t === '$' || t === '*') && r[1] === 45 && r[2] === 49) return `${t}-1`;
  return t;
}

interface Pair {
  slab: FuzzConn;
  redis: FuzzConn;
  slabId: string;
  redisId: string;
}

async function openPair(opts: CommandFuzzOptions): Promise<Pair> {
  const slab = await FuzzConn.open(opts.slab.host, opts.slab.port);
  const redis = await FuzzConn.open(opts.redis.host, opts.redis.port);
  const [a, b] = await Promise.all([slab.call(encodeCommand(['CLIENT', 'ID']), SLOW_MS), redis.call(encodeCommand(['CLIENT', 'ID']), SLOW_MS)]);
  slab.clearReplies();
  redis.clearReplies();
  return { slab, redis, slabId: a!.toString('latin1').slice(1, -2), redisId: b!.toString('latin1').slice(1, -2) };
}

function show(argv: ReadonlyArray<string | Buffer>): string {
  return argv.map((a) => {
    const b = typeof a === 'string' ? Buffer.from(a, 'latin1') : a;
    return b.length > 40 ? `<${b.length} bytes>` : JSON.stringify(b.toString('latin1'));
  }).join(' ');
}

export async function runCommandFuzz(opts: CommandFuzzOptions): Promise<CommandFuzzStats> {
  const stats: CommandFuzzStats = { commands: 0, distinctCommands: 0, typeMismatches: 0, hangs: 0, bothBlocked: 0, reconnects: 0, elapsedMs: 0, failures: [] };
  const start = Date.now();
  const deadline = start + opts.seconds * 1000;
  const rng = new Rng(opts.seed ^ 0x5bd1e995);
  const targets = fuzzTargets();
  const seen = new Set<string>();
  const ctlSlab = await FuzzConn.open(opts.slab.host, opts.slab.port);
  const ctlRedis = await FuzzConn.open(opts.redis.host, opts.redis.port);
  let pair = await openPair(opts);
  const history: string[] = [];
  const fail = (why: string, argv: ReadonlyArray<string | Buffer>, detail: string): void => {
    stats.failures.push(`${why}: ${show(argv)}: ${detail}`);
    fs.mkdirSync(opts.failureDir, { recursive: true });
    fs.writeFileSync(path.join(opts.failureDir, `command-seed${opts.seed}-${stats.commands}.json`), JSON.stringify({
      seed: opts.seed, index: stats.commands, why, detail,
      argvBase64: argv.map((a) => (typeof a === 'string' ? Buffer.from(a, 'latin1') : a).toString('base64')),
      argvShown: show(argv), roundSoFar: history,
    }, null, 1));
  };
  let i = 0;
  // Round-robin over the table (shuffled per pass) so every entry is called.
  let order: Target[] = [];
  while (stats.commands < opts.commands && Date.now() < deadline && !opts.crashed() && stats.failures.length < 50) {
    if (i % ROUND === 0) {
      history.length = 0;
      for (const cmd of FIXTURE) {
        await Promise.all([ctlSlab.call(encodeCommand(cmd), SLOW_MS), ctlRedis.call(encodeCommand(cmd), SLOW_MS)]);
      }
      ctlSlab.clearReplies();
      ctlRedis.clearReplies();
    }
    i++;
    if (order.length === 0) {
      order = targets.slice();
      for (let k = order.length - 1; k > 0; k--) {
        const j = rng.int(k + 1);
        [order[k], order[j]] = [order[j]!, order[k]!];
      }
    }
    const t = order.pop()!;
    const argv = randomCommand(rng, t);
    history.push(show(argv));
    seen.add(t.name);
    stats.commands++;
    const cmd = encodeCommand(argv);
    const { slab, redis } = pair;
    const ns = slab.replies.length;
    const nr = redis.replies.length;
    slab.write(cmd);
    redis.write(cmd);
    const got = (c: FuzzConn, n: number) => () => c.replies.length > n || c.closed;
    await Promise.all([slab.waitUntil(got(slab, ns), BLOCK_WAIT_MS), redis.waitUntil(got(redis, nr), BLOCK_WAIT_MS)]);
    let sDone = got(slab, ns)();
    let rDone = got(redis, nr)();
    if (sDone !== rDone) {
      // One answered: the other may just be slower.
      await Promise.all([slab.waitUntil(got(slab, ns), SLOW_MS), redis.waitUntil(got(redis, nr), SLOW_MS)]);
      sDone = got(slab, ns)();
      rDone = got(redis, nr)();
    }
    let blocked = false;
    if (!sDone && !rDone) {
      // Both blocked (a blocking command): release both and compare what they answer.
      blocked = true;
      stats.bothBlocked++;
      await Promise.all([ctlSlab.call(encodeCommand(['CLIENT', 'UNBLOCK', pair.slabId]), SLOW_MS), ctlRedis.call(encodeCommand(['CLIENT', 'UNBLOCK', pair.redisId]), SLOW_MS)]);
      await Promise.all([slab.waitUntil(got(slab, ns), SLOW_MS), redis.waitUntil(got(redis, nr), SLOW_MS)]);
      sDone = got(slab, ns)();
      rDone = got(redis, nr)();
    } else if (sDone !== rDone && !sDone) {
      // Redis answered, slabcache did not: blocked where Redis is not, or hung.
      await ctlSlab.call(encodeCommand(['CLIENT', 'UNBLOCK', pair.slabId]), SLOW_MS);
      await slab.waitUntil(got(slab, ns), SLOW_MS);
      if (got(slab, ns)()) {
        stats.typeMismatches++;
        fail('slabcache blocked where redis-server answered', argv, `redis ${JSON.stringify(redis.replies[nr]?.toString('latin1').slice(0, 120))}`);
      } else {
        stats.hangs++;
        fail('hang: no reply from slabcache', argv, `redis ${JSON.stringify(redis.replies[nr]?.toString('latin1').slice(0, 120))}`);
      }
      sDone = rDone = false; // reconnect below
    }
    if (sDone && rDone) {
      const sr = slab.replies[ns];
      const rr = redis.replies[nr];
      if (sr === undefined || rr === undefined) {
        if ((sr === undefined) !== (rr === undefined)) {
          stats.typeMismatches++;
          fail('one server closed the connection', argv, `slabcache ${sr === undefined ? 'closed' : JSON.stringify(sr.toString('latin1').slice(0, 120))}, redis ${rr === undefined ? 'closed' : JSON.stringify(rr.toString('latin1').slice(0, 120))}`);
        }
      } else {
        if (sr.includes('internal error')) fail('internal error', argv, sr.toString('latin1').slice(0, 200));
        if (replyType(sr) !== replyType(rr)) {
          stats.typeMismatches++;
          fail(`different reply type${blocked ? ' (after CLIENT UNBLOCK)' : ''}`, argv, `slabcache ${JSON.stringify(sr.toString('latin1').slice(0, 160))}, redis ${JSON.stringify(rr.toString('latin1').slice(0, 160))}`);
        }
      }
    } else if (sDone !== rDone && !rDone) {
      stats.typeMismatches++;
      fail('slabcache answered where redis-server blocked', argv, JSON.stringify(slab.replies[ns]?.toString('latin1').slice(0, 120)));
    }
    // A reply each, or start again: closed, stuck, or out of step.
    if (slab.closed || redis.closed || !sDone || !rDone || slab.replies.length !== ns + 1 || redis.replies.length !== nr + 1) {
      slab.destroy();
      redis.destroy();
      stats.reconnects++;
      if (opts.crashed()) break;
      pair = await openPair(opts);
    } else {
      slab.clearReplies();
      redis.clearReplies();
    }
  }
  pair.slab.destroy();
  pair.redis.destroy();
  ctlSlab.destroy();
  ctlRedis.destroy();
  stats.distinctCommands = seen.size;
  stats.elapsedMs = Date.now() - start;
  return stats;
}
