/*
 * Benchmark 3, hit ratio under eviction: a Zipf-distributed (s = 0.99) GET / SET-on-miss
 * workload over N keys (values 32..100 bytes, the length fixed per key), with maxmemory set
 * to hold 10% of the data, for allkeys-lru and allkeys-lfu, against redis-server and
 * slabcache with the same settings. Target: slabcache's hit ratio at least Redis's.
 *
 * Sizing. "10% of the data" is measured on each server, because each server spends a
 * different number of bytes per key. A fresh server with no limit is loaded with 10% of the
 * keys (ids 0..N/10-1: value lengths are hashed from the id, so this is an unbiased sample of
 * the value mix), and its used_memory, read after 3 s of rest (so incremental rehashing has
 * finished), then becomes that server's maxmemory; the load goes on
 * to all N keys to print the full size too. Measuring at 10% (rather than scaling down a full
 * load, --sizing full: u0 + 10% x (u1 - u0)) counts the per-key overhead at the size the cache
 * runs at: hash tables sized for N keys are not credited to a cache holding N/10, and that
 * error differs between servers (in a trial, full-load scaling let slabcache hold 13% of the
 * keys and Redis 9.4%). So both servers hold about 10% of the keys, and the comparison is of
 * eviction choices, not of bytes per key (benchmark 1's job). "keys held" shows the outcome.
 *
 * Workload. One connection, requests in batches of `batch` GETs (pipelined); after each
 * batch's replies, a SET for every key that missed is sent ahead of the next batch's GETs.
 * A key that misses twice within one batch is counted as a hit the second time and set once:
 * a one-request-at-a-time client would have set it right after the first miss. The key
 * sequence comes from a seeded PRNG (xoshiro128**) and is identical for both servers; rank to
 * key id goes through a seeded permutation. Warm-up requests first, then hits / (hits +
 * misses) counted by the client over the measured requests. INFO's keyspace_hits/misses over
 * the same window are printed too. Rounds use seeds seed, seed+1, ... (a new sequence and a
 * new rank-to-key mapping each) on fresh servers; the summary gives medians and ranges. Both
 * servers' figures move by a few tenths of a point between runs: LFU decay and the LFU
 * counter's log increments depend on time and randomness, and Redis samples at random.
 *
 *   npx node bench/hit-ratio.ts [--keys 1000000] [--requests 2000000] [--warmup 1000000] [--quick]
 */
import { BatchBuilder, RespClient } from './lib/resp-client.ts';
import { KEY_LEN, loadKeys, writeKey, writeValue } from './lib/load.ts';
import { Rng, Zipf, permutation } from './lib/prng.ts';
import { dbsize, info, infoNumber, sleep, startServer, type ServerKind } from './lib/servers.ts';
import { commandLine, fmt, median, mib, printFooter, printHeader, printTable, parseOptions, run, serverKinds } from './lib/report.ts';

const USAGE = `usage: npx node bench/hit-ratio.ts [options]
  --keys N        key space (default 1000000)
  --requests N    measured GETs per run (default 2000000)
  --warmup N      GETs before measuring (default 1000000)
  --fraction F    maxmemory as a share of each server's measured data size (default 0.1)
  --batch N       GETs per pipelined batch (default 100)
  --seed N        PRNG seed of the first round (default 1)
  --rounds N      rounds, seeds seed..seed+N-1, fresh servers each; medians (default 3)
  --zipf S        Zipf exponent (default 0.99)
  --policies L    comma list (default allkeys-lru,allkeys-lfu)
  --sizing M      sample (default): maxmemory = used_memory holding 10% of the keys;
                  full: used_memory(empty) + 10% x growth of a full load
  --servers L     redis,slabcache (default both)
  --quick         100000 keys, 100000 warm-up, 200000 measured, 1 round`;

/** Value length for key id: 32..100 bytes, fixed per key, uniform over ids. */
function valueLen(id: number): number {
  let z = Math.imul(id ^ 0x9e3779b9, 0x85ebca6b);
  z ^= z >>> 13;
  z = Math.imul(z, 0xc2b2ae35);
  z ^= z >>> 16;
  return 32 + ((z >>> 0) % 69);
}

const SETTLE_MS = 3000;
const GET_HEAD = Buffer.from('*2\r\n$3\r\nGET\r\n');
const SET_HEAD = Buffer.from('*3\r\n$3\r\nSET\r\n');

interface RunResult {
  hits: number;
  misses: number;
  serverHits: number;
  serverMisses: number;
  evicted: number;
  keysHeld: number;
  usedMemory: number;
  requestsPerSec: number;
  setErrors: number;
}

interface Workload {
  keys: number;
  zipf: Zipf;
  rankToId: Int32Array;
  seed: number;
  batch: number;
}

/** Issue `count` GETs (and SET-on-miss); returns client-side hits/misses. */
async function drive(client: RespClient, w: Workload, rng: Rng, count: number, carry: number[]): Promise<{ hits: number; misses: number; setErrors: number }> {
  let hits = 0;
  let misses = 0;
  let setErrors = 0;
  const builder = new BatchBuilder(w.batch * 200);
  const ids = new Int32Array(w.batch);
  const missedInBatch = new Set<number>();
  const deadline = Date.now() + 30 * 60_000;
  for (let done = 0; done < count; ) {
    const n = Math.min(w.batch, count - done);
    const sets = carry.length;
    for (const id of carry) {
      const len = valueLen(id);
      builder.count++;
      builder.raw(SET_HEAD);
      builder.argFill(KEY_LEN, (buf, off) => writeKey(buf, off, id));
      builder.argFill(len, (buf, off) => writeValue(buf, off, len, id));
    }
    carry.length = 0;
    for (let j = 0; j < n; j++) {
      const id = w.rankToId[w.zipf.sample(rng)];
      ids[j] = id;
      builder.count++;
      builder.raw(GET_HEAD);
      builder.argFill(KEY_LEN, (buf, off) => writeKey(buf, off, id));
    }
    const r = await client.pipeline(builder.take(), sets + n, true, false);
    const values = r.values!;
    for (let j = 0; j < sets; j++) if (values[j] instanceof Error) setErrors++;
    missedInBatch.clear();
    for (let j = 0; j < n; j++) {
      const v = values[sets + j];
      if (v instanceof Error) throw new Error(`GET failed: ${v.message}`);
      if (v !== null) hits++;
      else if (missedInBatch.has(ids[j])) hits++;
      else {
        misses++;
        missedInBatch.add(ids[j]);
        carry.push(ids[j]);
      }
    }
    done += n;
    if (Date.now() > deadline) throw new Error('workload did not finish within 30 minutes');
  }
  return { hits, misses, setErrors };
}

interface Sizing {
  empty: number;
  /** used_memory with the first fraction x N keys (an unbiased sample: value lengths are hashed from the id). */
  sample: number;
  full: number;
  rawBytes: number;
}

async function measureDataSize(kind: ServerKind, keys: number, sampleKeys: number): Promise<Sizing> {
  const server = await startServer(kind);
  try {
    const client = await RespClient.connect(server.port);
    try {
      const empty = await infoNumber(client, 'memory', 'used_memory');
      await loadKeys(client, sampleKeys, { valueLen, label: `${server.label} sizing load` });
      // Let incremental rehashing finish (both servers migrate hash tables in the background;
      // a table caught mid-migration counts twice and would inflate the limit).
      await sleep(SETTLE_MS);
      const sample = await infoNumber(client, 'memory', 'used_memory');
      await loadKeys(client, keys - sampleKeys, { first: sampleKeys, valueLen, label: `${server.label} sizing load` });
      const full = await infoNumber(client, 'memory', 'used_memory');
      const n = await dbsize(client);
      if (n !== keys) throw new Error(`${server.label}: DBSIZE ${n} after loading ${keys} keys`);
      let rawBytes = 0;
      for (let i = 0; i < keys; i++) rawBytes += KEY_LEN + valueLen(i);
      return { empty, sample, full, rawBytes };
    } finally {
      client.close();
    }
  } finally {
    await server.stop();
  }
}

async function runPolicy(kind: ServerKind, maxmemory: number, policy: string, w: Workload, warmup: number, requests: number): Promise<RunResult> {
  const server = await startServer(kind, { maxmemory: String(maxmemory), policy });
  try {
    const client = await RespClient.connect(server.port);
    try {
      const rng = new Rng(w.seed);
      const carry: number[] = [];
      await drive(client, w, rng, warmup, carry);
      const s0 = await info(client, 'stats');
      const t0 = process.hrtime.bigint();
      const r = await drive(client, w, rng, requests, carry);
      const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
      const s1 = await info(client, 'stats');
      const d = (f: string) => Number(s1.get(f) ?? NaN) - Number(s0.get(f) ?? NaN);
      return {
        hits: r.hits,
        misses: r.misses,
        serverHits: d('keyspace_hits'),
        serverMisses: d('keyspace_misses'),
        evicted: d('evicted_keys'),
        keysHeld: await dbsize(client),
        usedMemory: await infoNumber(client, 'memory', 'used_memory'),
        requestsPerSec: requests / seconds,
        setErrors: r.setErrors,
      };
    } finally {
      client.close();
    }
  } finally {
    await server.stop();
  }
}

async function main(): Promise<void> {
  const opt = parseOptions(
    {
      keys: { type: 'string' }, requests: { type: 'string' }, warmup: { type: 'string' }, fraction: { type: 'string' },
      batch: { type: 'string' }, seed: { type: 'string' }, zipf: { type: 'string' }, policies: { type: 'string' },
      servers: { type: 'string' }, quick: { type: 'boolean' }, sizing: { type: 'string' }, rounds: { type: 'string' },
    },
    USAGE,
  );
  const quick = opt.flag('quick');
  const keys = Math.floor(opt.num('keys', quick ? 100_000 : 1_000_000));
  const requests = Math.floor(opt.num('requests', quick ? 200_000 : 2_000_000));
  const warmup = Math.floor(opt.num('warmup', quick ? 100_000 : 1_000_000));
  const fraction = opt.num('fraction', 0.1);
  const batch = Math.max(1, Math.floor(opt.num('batch', 100)));
  const seed = Math.floor(opt.num('seed', 1));
  const rounds = Math.max(1, Math.floor(opt.num('rounds', quick ? 1 : 3)));
  const s = opt.num('zipf', 0.99);
  const policies = opt.str('policies', 'allkeys-lru,allkeys-lfu').split(',');
  const kinds = serverKinds(opt.str('servers', 'redis,slabcache'));
  const sizing = opt.str('sizing', 'sample');
  if (sizing !== 'sample' && sizing !== 'full') throw new Error(`--sizing must be sample or full, got '${sizing}'`);

  printHeader('slabcache benchmark 3: hit ratio under eviction', commandLine('bench/hit-ratio.ts'));
  console.log(`workload: Zipf s=${s} over ${fmt(keys)} keys (16-byte keys, values 32..100 bytes), GET then SET on miss,`);
  console.log(`  ${fmt(warmup)} warm-up + ${fmt(requests)} measured GETs per run, batches of ${batch}; ${rounds} round(s), seeds ${seed}..${seed + rounds - 1}; same sequence for both servers in a round`);
  console.log(
    sizing === 'sample'
      ? `maxmemory: each server's used_memory holding ${fraction * 100}% of the keys (ids 0..${fmt(Math.round(keys * fraction) - 1)}, an unbiased sample), measured on a fresh server\n`
      : `maxmemory: used_memory(empty) + ${fraction} x (used_memory(all keys) - used_memory(empty)), measured per server\n`,
  );

  const zipf = new Zipf(keys, s);

  const maxmemory = new Map<ServerKind, number>();
  const sampleKeys = Math.round(keys * fraction);
  const sizingRows: Array<Array<string | number>> = [['server', 'used_memory empty', `with ${fmt(sampleKeys)} keys`, `with ${fmt(keys)} keys`, 'bytes/key (all)', 'maxmemory']];
  for (const kind of kinds) {
    const m = await measureDataSize(kind, keys, sampleKeys);
    const limit = sizing === 'sample' ? m.sample : Math.round(m.empty + fraction * (m.full - m.empty));
    maxmemory.set(kind, limit);
    sizingRows.push([kind === 'redis' ? 'redis-server' : 'slabcache', mib(m.empty), mib(m.sample), mib(m.full), (m.full - m.empty) / keys, `${limit} (${mib(limit)})`]);
    if (kind === kinds[0]) console.log(`key+value bytes: ${mib(m.rawBytes)} (${fmt(m.rawBytes / keys)} per key)`);
  }
  printTable(sizingRows);
  console.log('');

  const summary: Array<Array<string | number>> = [['policy', 'redis-server', 'slabcache', 'difference', 'slabcache >= redis', 'target (>= redis)']];
  const detail: Array<Array<string | number>> = [['policy', 'seed', 'server', 'hit ratio', 'INFO hit ratio', 'keys held', 'used_memory', 'evicted (measured)', 'req/s', 'perfect-LFU bound']];
  const ratios = new Map<string, number[]>();
  for (let round = 0; round < rounds; round++) {
    const roundSeed = seed + round;
    const w: Workload = { keys, zipf, rankToId: permutation(keys, new Rng(roundSeed ^ 0x5bd1e995)), seed: roundSeed, batch };
    for (const policy of policies) {
      const order = (policies.indexOf(policy) + round) % 2 === 0 ? kinds : [...kinds].reverse();
      for (const kind of order) {
        const r = await runPolicy(kind, maxmemory.get(kind)!, policy, w, warmup, requests);
        const label = kind === 'redis' ? 'redis-server' : 'slabcache';
        const hr = r.hits / (r.hits + r.misses);
        const key = `${policy} ${kind}`;
        ratios.set(key, [...(ratios.get(key) ?? []), hr]);
        console.log(`  seed ${roundSeed} ${policy} ${label}: hit ratio ${(hr * 100).toFixed(2)}% (${fmt(r.requestsPerSec)} req/s)${r.setErrors > 0 ? `, ${r.setErrors} SET errors` : ''}`);
        detail.push([
          policy, String(roundSeed), label, pct(hr), pct(r.serverHits / (r.serverHits + r.serverMisses)), r.keysHeld, mib(r.usedMemory), r.evicted, r.requestsPerSec,
          pct(zipf.headMass(r.keysHeld)),
        ]);
      }
    }
  }
  for (const policy of policies) {
    const a = ratios.get(`${policy} redis`) ?? [];
    const b = ratios.get(`${policy} slabcache`) ?? [];
    const ma = median(a);
    const mb = median(b);
    const both = a.length > 0 && b.length > 0;
    const range = (xs: number[]) => (xs.length > 1 ? ` (${pct(Math.min(...xs))}..${pct(Math.max(...xs))})` : '');
    const ahead = both ? `${b.filter((x, i) => x >= a[i]).length} of ${b.length} seeds` : '-';
    summary.push([policy, a.length > 0 ? pct(ma) + range(a) : '-', b.length > 0 ? pct(mb) + range(b) : '-', both ? `${((mb - ma) * 100).toFixed(2)} pp` : '-', ahead, both ? (mb >= ma ? 'MET' : 'MISSED') : 'not measured']);
  }
  console.log('');
  printTable(detail);
  console.log('(perfect-LFU bound: share of requests to the N hottest keys, N = keys held at the end)\n');
  console.log(`medians over ${rounds} seed(s) (${seed}..${seed + rounds - 1}), range in brackets:`);
  printTable(summary);
  printFooter();
}

function pct(x: number): string {
  return Number.isNaN(x) ? '-' : (x * 100).toFixed(2) + '%';
}

run(main);
