/*
 * `npm run bench:collections`: memory per collection element, slabcache vs redis-server 7.0,
 * side by side in the same run (issue 5, "Memory accounting"). Seven cases:
 *
 *   hash          one hash of 1,000,000 fields       HSET bighash f0 v0 ... (field "f<i>")
 *   set           one set of 1,000,000 members       SADD bigset m0 m1 ...  (member "m<i>")
 *   zset          one sorted set of 1,000,000        ZADD bigzset s0 m0 ... (random double scores)
 *   small-hashes  100,000 hashes of 10 fields        HSET h:<8 digits> f0 v f1 v ... f9 v
 *   token-hashes  20,000 hashes of 1 field whose     HSET t:<8 digits> token v<i>xxx... (100 bytes)
 *                 value is over 64 bytes (issue 8, defect 7: hashtable-encoded in Redis; each
 *                 used to cost a 4,096-record table, ~70 KB of RSS, in slabcache)
 *   hll           one HyperLogLog of 1,000,000       PFADD bighll m0 m1 ... (issue 11): a dense
 *                 elements                           value of 12,304 bytes in both servers, so
 *                                                    its RSS figures are the cost of receiving
 *                                                    1,000 commands of 1,000 arguments (slabcache
 *                                                    grows about as much for an MGET load of the
 *                                                    same shape), not of the value
 *   stream        one stream of 1,000,000 entries    XADD bigstream * f v<i>xxx... (issue 11): one
 *                                                    entry per command, auto IDs, one field
 *
 * and, for issue 13 ("no collection costs more than Redis at any size"), the sized cases: the
 * same 1,000,000 elements spread over keys of one size each, so a row is what an element costs
 * in collections of that size, its key's share included (`--cases sizes` runs them all):
 *
 *   hash-N       1M/N hashes of N fields f<j>, 10-byte values     N = 1, 10, 100, 1000
 *   hash100-N    the same with 100-byte values (hashtable-encoded in Redis: over 64 bytes)
 *   set-N        1M/N sets of N members m<j>                      N = 1, 10, 100, 1000
 *   zset-N       1M/N sorted sets of N members m<j>, random scores N = 1, 10, 100, 1000
 *   list-N       1M/N lists of N 10-byte values (RPUSH)           N = 10, 10000
 *
 * Values are 10-16 bytes ("v<i>" padded with 'x' to a length drawn from a seeded PRNG, never an
 * integer); set and sorted-set members are "m<i>" (not integers, so Redis does not use an
 * intset). The HyperLogLog is checked by its STRLEN (12,304: dense). --quick scales to 100,000 elements and 10,000 small hashes (token hashes stay at
 * 20,000; --tokens N sets their count).
 *
 * Every case (and every round) starts a fresh pair of servers (127.0.0.1, free ports,
 * --save '' --appendonly no, no maxmemory; slabcache through node_modules/.bin/node
 * cli/main.ts --metrics-port 0 --loglevel warning), then loads one server after the other
 * (so they never compete for the CPU) through the same pipelined raw-RESP loader:
 * --per-command elements per HSET/SADD/ZADD/PFADD (default 1000), --per-write commands per socket
 * write (default 1000), at most --window writes awaiting replies. Figures per element (per
 * hash for the small hashes):
 *
 *   RSS growth         (VmRSS after load and settle - VmRSS before) / elements, /proc/PID/status
 *   peak RSS growth    (VmHWM after - VmRSS before) / elements: the high-water mark during load
 *   used_memory        INFO memory used_memory growth / elements (slabcache: the store's own
 *                      estimate, the figure maxmemory and eviction compare against)
 *   MEMORY USAGE       MEMORY USAGE <key> SAMPLES 0 / elements (summed over all keys for the
 *                      small and token hashes): each server's own per-key estimate
 *
 * The per-server progress lines add INFO memory allocator_active / allocator_resident growth
 * (jemalloc's pages for Redis; for slabcache V8 heap used / reserved plus off-heap memory),
 * which shows how much of slabcache's RSS growth is V8 heap reserve rather than data.
 *
 * The loaded data is checked (HLEN / SCARD / ZCARD, DBSIZE, an HLEN of a small hash) and
 * OBJECT ENCODING is printed for both, so the two servers are known to hold the same thing in
 * comparable encodings. The sorted-set case is skipped (and says so) on a server without ZADD.
 * Bounded: fixed loads, a timeout per load and per reply stall; servers are stopped after
 * every case and killed on error or interrupt (bench/lib/servers.ts).
 *
 *   npx node bench/collections-memory.ts [--quick] [--elements N] [--small N] [--tokens N]
 *     [--rounds N] [--cases hash,set,zset,small-hashes,token-hashes,hll,stream] [--servers redis,slabcache] [--settle MS]
 *     [--per-command N] [--per-write N] [--window N] [--seed N]
 */
import { BatchBuilder, RespClient, type RespValue } from './lib/resp-client.ts';
import { pipelineCommands } from './lib/load.ts';
import { Rng } from './lib/prng.ts';
import { dbsize, info, sleep, startServer, type ServerKind, type ServerProcess } from './lib/servers.ts';
import { commandLine, fmt, median, mib, parseOptions, printFooter, printHeader, printTable, ratio, run, serverKinds } from './lib/report.ts';

const USAGE = `usage: npx node bench/collections-memory.ts [options]
  --quick          100,000 elements and 10,000 small hashes (default 1,000,000 and 100,000)
  --elements N     elements of the big hash, set and sorted set
  --small N        hashes of 10 fields in the small-hashes case
  --tokens N       hashes of one 100-byte value in the token-hashes case (default 20,000)
  --rounds N       fresh-server rounds per case; figures are medians (default 1)
  --cases L        hash,set,zset,small-hashes,token-hashes,hll,stream, sized cases (hash-10,
                   hash100-1000, set-1, zset-100, list-10000, ...) or \`sizes\` for all of them (default
                   all; zset, hll and stream skipped on a server without ZADD / PFADD / XADD)
  --servers L      redis,slabcache (default both)
  --settle MS      wait after a load before reading RSS (default 2000)
  --per-command N  elements per HSET / SADD / ZADD / PFADD of the big collections (default 1000)
  --per-write N    commands per socket write (default 1000)
  --window N       writes awaiting replies at most (default 4)
  --seed N         PRNG seed for value lengths and scores (default 1)`;

const SMALL_FIELDS = 10;
/** Bytes of each token-hashes value: over hash-max-listpack-value (64), so hashtable-encoded. */
const TOKEN_BYTES = 100;
const LOAD_TIMEOUT_MS = 10 * 60_000;

const BASE_CASE_IDS: readonly string[] = ['hash', 'set', 'zset', 'small-hashes', 'token-hashes', 'hll', 'stream'];

/** A sized case's collection type: how its command names and fills an element. */
interface SizedKind {
  prefix: string;
  /** The case's title for keys of n elements (n formatted). */
  title: (n: string) => string;
  command: string;
  sizeCommand: string;
  argsPerElement: number;
  sizes: readonly number[];
  /** Element j (index within its key) of global index g. */
  element: (b: BatchBuilder, j: number, g: number, data: Data) => void;
}

const SIZED_KINDS: readonly SizedKind[] = [
  { prefix: 'hash', title: (n) => `hashes of ${n} field${n === '1' ? '' : 's'}, 10 B values`, command: 'HSET', sizeCommand: 'HLEN', argsPerElement: 2, sizes: [1, 10, 100, 1000],
    element: (b, j, g, data) => { b.arg(`f${j}`); data.longValue(b, g, 10); } },
  { prefix: 'hash100', title: (n) => `hashes of ${n} field${n === '1' ? '' : 's'}, 100 B values`, command: 'HSET', sizeCommand: 'HLEN', argsPerElement: 2, sizes: [1, 10, 100, 1000],
    element: (b, j, g, data) => { b.arg(`f${j}`); data.longValue(b, g, 100); } },
  { prefix: 'set', title: (n) => `sets of ${n} member${n === '1' ? '' : 's'}`, command: 'SADD', sizeCommand: 'SCARD', argsPerElement: 1, sizes: [1, 10, 100, 1000],
    element: (b, j) => { b.arg(`m${j}`); } },
  { prefix: 'zset', title: (n) => `sorted sets of ${n} member${n === '1' ? '' : 's'}`, command: 'ZADD', sizeCommand: 'ZCARD', argsPerElement: 2, sizes: [1, 10, 100, 1000],
    element: (b, j, g, data) => { b.arg(String(data.score[g])).arg(`m${j}`); } },
  { prefix: 'list', title: (n) => `lists of ${n} 10 B values`, command: 'RPUSH', sizeCommand: 'LLEN', argsPerElement: 1, sizes: [10, 10_000],
    element: (b, j, g, data) => { data.longValue(b, g, 10); } },
];
const SIZED_CASE_IDS: readonly string[] = SIZED_KINDS.flatMap((k) => k.sizes.map((n) => `${k.prefix}-${n}`));
const CASE_IDS: readonly string[] = [...BASE_CASE_IDS, ...SIZED_CASE_IDS];
/** STRLEN of a dense HyperLogLog: the 16-byte header and 16384 6-bit registers. */
const HLL_DENSE_BYTES = 12304;

interface Case {
  id: string;
  title: string;
  /** What the figures are divided by, and its name. */
  units: number;
  unit: 'element' | 'hash';
  /** Commands the load sends. */
  commands: number;
  encode: (b: BatchBuilder, i: number) => void;
  /** A command the server must have, else the case is skipped on it. */
  needs?: string;
  /** Keys expected afterwards. */
  keys: number;
  /** The key whose size and encoding are checked, and the command counting its elements. */
  probeKey: string;
  sizeCommand: string;
  probeSize: number;
  /** Key i of a many-keys case, whose MEMORY USAGE figures are summed over every key. */
  keyOf?: (i: number) => string;
}

/**
 * Deterministic data, the same bytes for both servers: value lengths 10..16 and scores are
 * drawn once from the seeded PRNG, into typed arrays (so encoding is cheap and allocation-free).
 */
class Data {
  readonly valueLen: Uint8Array;
  readonly score: Float64Array;

  constructor(values: number, scores: number, seed: number) {
    const rng = new Rng(seed);
    this.valueLen = new Uint8Array(values);
    for (let i = 0; i < values; i++) this.valueLen[i] = 10 + rng.int(7);
    this.score = new Float64Array(scores);
    for (let i = 0; i < scores; i++) this.score[i] = rng.float() * 1e6;
  }

  /** "v<i>" padded with 'x' to `len` bytes (len >= 10). */
  longValue(b: BatchBuilder, i: number, len: number): void {
    const digits = String(i);
    b.argFill(len, (buf, off) => {
      buf[off] = 118; // v
      buf.write(digits, off + 1, 'latin1');
      buf.fill(120, off + 1 + digits.length, off + len); // x
    });
  }

  /** "v<i>" padded with 'x' to 10..16 bytes (i < 10^9 fits in 10 bytes). */
  value(b: BatchBuilder, i: number): void {
    const len = this.valueLen[i];
    const digits = String(i);
    b.argFill(len, (buf, off) => {
      buf[off] = 118; // v
      buf.write(digits, off + 1, 'latin1');
      buf.fill(120, off + 1 + digits.length, off + len); // x
    });
  }
}

function cases(elements: number, small: number, tokens: number, perCommand: number, data: Data): Case[] {
  const bigCommands = Math.ceil(elements / perCommand);
  /** Command i of a big collection: `head` for its element count, then each element. */
  const batched = (argsPerElement: number, name: string, key: string, each: (b: BatchBuilder, j: number) => void) =>
    (b: BatchBuilder, i: number): void => {
      const from = i * perCommand;
      const count = Math.min(perCommand, elements - from);
      b.header(2 + argsPerElement * count).arg(name).arg(key);
      for (let j = from; j < from + count; j++) each(b, j);
    };
  return [
    {
      id: 'hash', title: `hash, ${fmt(elements)} fields`, units: elements, unit: 'element', commands: bigCommands, keys: 1,
      probeKey: 'bighash', sizeCommand: 'HLEN', probeSize: elements,
      encode: batched(2, 'HSET', 'bighash', (b, j) => {
        b.arg(`f${j}`);
        data.value(b, j);
      }),
    },
    {
      id: 'set', title: `set, ${fmt(elements)} members`, units: elements, unit: 'element', commands: bigCommands, keys: 1,
      probeKey: 'bigset', sizeCommand: 'SCARD', probeSize: elements,
      encode: batched(1, 'SADD', 'bigset', (b, j) => b.arg(`m${j}`)),
    },
    {
      id: 'zset', title: `sorted set, ${fmt(elements)} members`, units: elements, unit: 'element', commands: bigCommands, keys: 1,
      probeKey: 'bigzset', sizeCommand: 'ZCARD', probeSize: elements, needs: 'zadd',
      encode: batched(2, 'ZADD', 'bigzset', (b, j) => b.arg(String(data.score[j])).arg(`m${j}`)),
    },
    {
      id: 'small-hashes', title: `${fmt(small)} hashes of ${SMALL_FIELDS} fields`, units: small, unit: 'hash', commands: small, keys: small,
      probeKey: smallKey(small >> 1), sizeCommand: 'HLEN', probeSize: SMALL_FIELDS, keyOf: smallKey,
      encode: (b, i) => {
        b.header(2 + 2 * SMALL_FIELDS).arg('HSET').arg(smallKey(i));
        for (let f = 0; f < SMALL_FIELDS; f++) {
          b.arg(`f${f}`);
          data.value(b, i * SMALL_FIELDS + f);
        }
      },
    },
    {
      id: 'token-hashes', title: `${fmt(tokens)} hashes of 1 ${TOKEN_BYTES}-byte value`, units: tokens, unit: 'hash', commands: tokens, keys: tokens,
      probeKey: tokenKey(tokens >> 1), sizeCommand: 'HLEN', probeSize: 1, keyOf: tokenKey,
      encode: (b, i) => {
        b.header(4).arg('HSET').arg(tokenKey(i)).arg('token');
        data.longValue(b, i, TOKEN_BYTES);
      },
    },
    {
      id: 'hll', title: `HyperLogLog, ${fmt(elements)} elements`, units: elements, unit: 'element', commands: bigCommands, keys: 1,
      probeKey: 'bighll', sizeCommand: 'STRLEN', probeSize: HLL_DENSE_BYTES, needs: 'pfadd',
      encode: batched(1, 'PFADD', 'bighll', (b, j) => b.arg(`m${j}`)),
    },
    {
      id: 'stream', title: `stream, ${fmt(elements)} entries`, units: elements, unit: 'element', commands: elements, keys: 1,
      probeKey: 'bigstream', sizeCommand: 'XLEN', probeSize: elements, needs: 'xadd',
      encode: (b, i) => {
        b.header(5).arg('XADD').arg('bigstream').arg('*').arg('f');
        data.value(b, i);
      },
    },
  ];
}

/**
 * The sized cases: `elements` elements in keys of `size` elements each (c:<8 digits>), one
 * command per key, or several of perCommand elements when a key holds more.
 */
function sizedCases(elements: number, perCommand: number, data: Data): Case[] {
  const out: Case[] = [];
  for (const kind of SIZED_KINDS) {
    for (const size of kind.sizes) {
      if (elements % size !== 0) continue;
      const keys = elements / size;
      const perKey = Math.ceil(size / perCommand);
      out.push({
        id: `${kind.prefix}-${size}`, title: `${keys.toLocaleString('en-US')} ${kind.title(size.toLocaleString('en-US'))}`, units: elements, unit: 'element',
        commands: keys * perKey, keys, probeKey: sizedKey(keys >> 1), sizeCommand: kind.sizeCommand, probeSize: size, keyOf: sizedKey,
        needs: kind.command.toLowerCase(),
        encode: (b, i) => {
          const key = Math.floor(i / perKey);
          const from = (i % perKey) * perCommand;
          const count = Math.min(perCommand, size - from);
          b.header(2 + kind.argsPerElement * count).arg(kind.command).arg(sizedKey(key));
          for (let j = from; j < from + count; j++) kind.element(b, j, key * size + j, data);
        },
      });
    }
  }
  return out;
}

function sizedKey(i: number): string {
  return 'c:' + String(i).padStart(8, '0');
}

function smallKey(i: number): string {
  return 'h:' + String(i).padStart(8, '0');
}

function tokenKey(i: number): string {
  return 't:' + String(i).padStart(8, '0');
}

interface Sample {
  rss: number;
  hwm: number;
  used: number;
  usage: number;
  seconds: number;
  encoding: string;
  rssBefore: number;
  /** INFO memory allocator_active / allocator_resident growth per unit (jemalloc's for Redis; V8 heap used / reserved plus off-heap memory for slabcache). */
  active: number;
  resident: number;
}

function infoField(map: Map<string, string>, field: string): number {
  const v = Number(map.get(field));
  if (!Number.isFinite(v)) throw new Error(`INFO memory has no numeric ${field}`);
  return v;
}

async function supports(client: RespClient, command: string): Promise<boolean> {
  const reply = await client.call('COMMAND', 'INFO', command);
  return Array.isArray(reply) && reply.length > 0 && reply[0] !== null;
}

/** Sum of MEMORY USAGE <key> SAMPLES 0 over the case's keys (pipelined for the many-keys cases). */
async function memoryUsage(client: RespClient, c: Case): Promise<number> {
  const keyOf = c.keyOf;
  if (keyOf === undefined) return Number(await client.call('MEMORY', 'USAGE', c.probeKey, 'SAMPLES', '0'));
  let total = 0;
  const per = 1000;
  for (let from = 0; from < c.keys; from += per) {
    const n = Math.min(per, c.keys - from);
    const b = new BatchBuilder(n * 48);
    for (let i = from; i < from + n; i++) b.command(['MEMORY', 'USAGE', keyOf(i), 'SAMPLES', '0']);
    const r = await client.pipeline(b.take(), n, true, false);
    if (r.errors > 0) throw new Error(`MEMORY USAGE: ${r.firstError?.message}`);
    for (const v of r.values as RespValue[]) {
      if (typeof v !== 'number') throw new Error(`MEMORY USAGE answered ${String(v)}`);
      total += v;
    }
  }
  return total;
}

interface LoadShape {
  perWrite: number;
  window: number;
  settleMs: number;
}

async function measure(server: ServerProcess, c: Case, shape: LoadShape): Promise<Sample | null> {
  const client = await RespClient.connect(server.port);
  try {
    if (c.needs !== undefined && !(await supports(client, c.needs))) return null;
    if ((await dbsize(client)) !== 0) throw new Error(`${server.label} not empty before loading`);
    const before = server.memory();
    const mBefore = await info(client, 'memory');
    const stats = await pipelineCommands(client, c.commands, c.encode, {
      batch: shape.perWrite, window: shape.window, timeoutMs: LOAD_TIMEOUT_MS, label: `${server.label} ${c.id}`,
    });
    if (stats.errors > 0) throw new Error(`${server.label} ${c.title}: ${stats.errors} errors, first: ${stats.firstError?.message}`);
    await sleep(shape.settleMs);
    const after = server.memory();
    const mAfter = await info(client, 'memory');
    const growth = (field: string): number => (infoField(mAfter, field) - infoField(mBefore, field)) / c.units;
    const keys = await dbsize(client);
    if (keys !== c.keys) throw new Error(`${server.label}: DBSIZE ${keys} after ${c.title}, expected ${c.keys}`);
    const size = await client.call(c.sizeCommand, c.probeKey);
    if (size !== c.probeSize) throw new Error(`${server.label}: ${c.sizeCommand} ${c.probeKey} = ${String(size)}, expected ${c.probeSize}`);
    const encoding = String(await client.call('OBJECT', 'ENCODING', c.probeKey));
    const usage = await memoryUsage(client, c);
    return {
      rss: (after.rss - before.rss) / c.units,
      hwm: (after.hwm - before.rss) / c.units,
      used: growth('used_memory'),
      usage: usage / c.units,
      seconds: stats.seconds,
      encoding,
      rssBefore: before.rss,
      active: growth('allocator_active'),
      resident: growth('allocator_resident'),
    };
  } finally {
    client.close();
  }
}

/** Medians over rounds of each figure; null when the server skipped the case. */
function combine(samples: Sample[]): Sample | null {
  if (samples.length === 0) return null;
  const m = (f: (s: Sample) => number) => median(samples.map(f));
  return {
    rss: m((s) => s.rss), hwm: m((s) => s.hwm), used: m((s) => s.used), usage: m((s) => s.usage),
    seconds: m((s) => s.seconds), encoding: samples[0].encoding, rssBefore: m((s) => s.rssBefore),
    active: m((s) => s.active), resident: m((s) => s.resident),
  };
}

async function main(): Promise<void> {
  const opt = parseOptions(
    {
      quick: { type: 'boolean' }, elements: { type: 'string' }, small: { type: 'string' }, tokens: { type: 'string' }, rounds: { type: 'string' },
      cases: { type: 'string' }, servers: { type: 'string' }, settle: { type: 'string' }, 'per-command': { type: 'string' },
      'per-write': { type: 'string' }, window: { type: 'string' }, seed: { type: 'string' },
    },
    USAGE,
  );
  const quick = opt.flag('quick');
  const elements = Math.floor(opt.num('elements', quick ? 100_000 : 1_000_000));
  const small = Math.floor(opt.num('small', quick ? 10_000 : 100_000));
  const tokens = Math.floor(opt.num('tokens', 20_000));
  const rounds = Math.max(1, Math.floor(opt.num('rounds', 1)));
  const perCommand = Math.max(1, Math.floor(opt.num('per-command', 1000)));
  const shape: LoadShape = {
    perWrite: Math.max(1, Math.floor(opt.num('per-write', 1000))),
    window: Math.max(1, Math.floor(opt.num('window', 4))),
    settleMs: opt.num('settle', 2000),
  };
  const kinds = serverKinds(opt.str('servers', 'redis,slabcache'));
  const wanted = opt.str('cases', CASE_IDS.join(',')).split(',').map((s) => s.trim()).filter((s) => s !== '')
    .flatMap((w) => (w === 'sizes' ? SIZED_CASE_IDS : [w]));
  for (const w of wanted) if (!CASE_IDS.includes(w)) throw new Error(`--cases: unknown case '${w}' (${BASE_CASE_IDS.join(', ')}, sizes: ${SIZED_CASE_IDS.join(', ')})`);
  if (elements < 1 || small < 2 || tokens < 2) throw new Error('--elements must be at least 1, --small and --tokens at least 2');

  const data = new Data(Math.max(elements, small * SMALL_FIELDS), elements, Math.floor(opt.num('seed', 1)));
  const chosen = [...cases(elements, small, tokens, perCommand, data), ...sizedCases(elements, perCommand, data)].filter((c) => wanted.includes(c.id));

  printHeader('slabcache benchmark: memory per collection element', commandLine('bench/collections-memory.ts'));
  console.log(`fresh servers per case and round (${rounds} round${rounds > 1 ? 's' : ''}, medians), persistence off, no maxmemory; loaded one after the other`);
  console.log(`load: ${perCommand} elements per HSET/SADD/ZADD/PFADD (10 fields per small-hash HSET, one entry per XADD), ${shape.perWrite} commands per write, ${shape.window} writes in flight; settle ${shape.settleMs} ms`);
  console.log(`values 10-16 bytes (token hashes: ${TOKEN_BYTES}); fields f<i>, members m<i>; sorted-set scores uniform random doubles in [0, 1e6)\n`);

  const rows: Array<Array<string | number>> = [['case', 'figure', 'redis-server', 'slabcache', 'slabcache/redis']];
  const over: string[] = [];
  const encodings: string[] = [];
  for (const c of chosen) {
    const samples: Record<ServerKind, Sample[]> = { redis: [], slabcache: [] };
    const skipped = new Set<ServerKind>();
    for (let round = 1; round <= rounds; round++) {
      const servers: ServerProcess[] = [];
      try {
        for (const kind of kinds) servers.push(await startServer(kind));
        await sleep(500);
        for (const server of servers) {
          const s = await measure(server, c, shape);
          const tag = `  ${c.title.padEnd(30)} ${rounds > 1 ? `round ${round} ` : ''}${server.label.padEnd(12)}`;
          if (s === null) {
            skipped.add(server.kind);
            console.log(`${tag} skipped: no ${c.needs!.toUpperCase()} (COMMAND INFO ${c.needs} is empty)`);
            continue;
          }
          samples[server.kind].push(s);
          console.log(
            `${tag} ${s.encoding.padEnd(9)} RSS ${mib(s.rssBefore)} + ${fmt(s.rss)} B/${c.unit} (peak +${fmt(s.hwm)}), ` +
              `used_memory +${fmt(s.used)}, MEMORY USAGE ${fmt(s.usage)}, allocator active +${fmt(s.active)} resident +${fmt(s.resident)} B/${c.unit}; ` +
              `loaded in ${fmt(s.seconds, 2)} s`,
          );
        }
      } finally {
        await Promise.all(servers.map((s) => s.stop()));
      }
      if (skipped.size > 0) break;
    }
    const redis = combine(samples.redis);
    const slab = combine(samples.slabcache);
    const figures: Array<[string, (s: Sample) => number]> = [
      [`RSS growth, B/${c.unit}`, (s) => s.rss],
      [`peak RSS growth, B/${c.unit}`, (s) => s.hwm],
      [`used_memory growth, B/${c.unit}`, (s) => s.used],
      [`MEMORY USAGE, B/${c.unit}`, (s) => s.usage],
    ];
    const cell = (s: Sample | null, f: (s: Sample) => number) => (s === null ? NaN : f(s));
    encodings.push(`${c.title}: redis-server ${redis?.encoding ?? '-'}, slabcache ${slab?.encoding ?? '-'}`);
    for (const [name, f] of figures) {
      const a = cell(redis, f);
      const b = cell(slab, f);
      rows.push([c.title, name, a, b, ratio(b, a)]);
      if (b > a && a > 0) over.push(`${c.title}: ${name} ${fmt(b)} vs ${fmt(a)} (${ratio(b, a)})`);
    }
  }
  console.log('');
  printTable(rows);
  console.log('');
  console.log(`OBJECT ENCODING: ${encodings.join('; ')}`);
  if (over.length === 0) console.log('slabcache uses no more memory than redis-server on any figure measured');
  else {
    console.log('slabcache uses MORE memory than redis-server on:');
    for (const line of over) console.log(`  ${line}`);
  }
  printFooter();
}

run(main);
