/*
 * Store micro-benchmark: the keyspace alone, no sockets, no RESP.
 *
 * 1,000,000 keys of 16 bytes with 32-byte values, default config (64 shards, 1 MiB pages).
 * Each round builds a fresh store and measures, in random key order: insert (SET of a new key),
 * GET (lookup READ + stringBytes), overwrite (SET of an existing key), DEL; then the same load
 * with a TTL on every key and its active expiry. Prints the median ops/s of the rounds, the
 * store's bytes per key and eviction throughput. Then it grows one store to 10,000,000 keys
 * (BIG_KEYS env; 0 skips) and reports the slowest single SET and the worst table / index
 * growth step: the pauses that growth can cause. Bounded: a fixed number of rounds (ROUNDS env,
 * default 5), no timers; stops by itself.
 *
 *   npm run bench:store        (node bench/store-micro.ts on the pinned Node 24)
 */
import { Keyspace } from '../store/keyspace.ts';
import { DEFAULT_STORE_CONFIG, Encoding, EvictionPolicy, Lookup, NO_TTL } from '../store/types.ts';

const N = Number(process.env.KEYS ?? 1_000_000);
const ROUNDS = Number(process.env.ROUNDS ?? 5);
const KLEN = 16;
const VLEN = 32;

const keys = new Uint8Array(N * KLEN);
for (let i = 0; i < N; i++) {
  // "key:" + 12 hex digits, like memtier's key pattern
  const o = i * KLEN;
  keys[o] = 107;
  keys[o + 1] = 101;
  keys[o + 2] = 121;
  keys[o + 3] = 58;
  let v = i;
  for (let d = 15; d >= 4; d--) {
    const x = v & 15;
    keys[o + d] = x < 10 ? 48 + x : 87 + x;
    v = Math.floor(v / 16);
  }
}
const val = new Uint8Array(VLEN).fill(120);
const order = new Int32Array(N);
for (let i = 0; i < N; i++) order[i] = i;
let seed = 42;
for (let i = N - 1; i > 0; i--) {
  seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
  const j = seed % (i + 1);
  const t = order[i];
  order[i] = order[j];
  order[j] = t;
}

const median = (a: number[]) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
const results: Record<string, number[]> = {};
const rec = (name: string, ops: number, ms: number) => (results[name] ??= []).push((ops / ms) * 1000);

let bytesPerKeyUsed = 0;
let bytesPerKeyAlloc = 0;
let bytesPerKeyTtl = 0;
let worstResize = 0;
let sink = 0;

for (let r = 0; r < ROUNDS; r++) {
  const clock = { now: Date.now() };
  const ks = new Keyspace({ ...DEFAULT_STORE_CONFIG }, clock);

  let t0 = performance.now();
  for (let i = 0; i < N; i++) ks.setString(0, keys, order[i] * KLEN, KLEN, val, 0, VLEN, NO_TTL, Encoding.EMBSTR);
  rec('set (insert)', N, performance.now() - t0);
  bytesPerKeyUsed = ks.usedMemory() / N;
  bytesPerKeyAlloc = ks.allocatedMemory() / N;

  t0 = performance.now();
  for (let i = 0; i < N; i++) {
    const h = ks.lookup(0, keys, order[i] * KLEN, KLEN, Lookup.READ);
    const page = ks.stringBytes(h);
    sink += page[ks.offset];
  }
  rec('get (hit)', N, performance.now() - t0);

  t0 = performance.now();
  for (let i = 0; i < N; i++) {
    const h = ks.lookup(0, keys, order[i] * KLEN + 1, KLEN - 1, Lookup.READ);
    sink += h;
  }
  rec('get (miss)', N, performance.now() - t0);

  t0 = performance.now();
  for (let i = 0; i < N; i++) ks.setString(0, keys, order[(i * 7) % N] * KLEN, KLEN, val, 0, VLEN, NO_TTL, Encoding.EMBSTR);
  rec('set (overwrite)', N, performance.now() - t0);

  t0 = performance.now();
  for (let i = 0; i < N; i++) ks.delete(0, keys, order[i] * KLEN, KLEN);
  rec('del', N, performance.now() - t0);

  // The same load with a TTL on every key, then its active expiry in 10 ms maintenance calls.
  t0 = performance.now();
  for (let i = 0; i < N; i++) ks.setString(0, keys, order[i] * KLEN, KLEN, val, 0, VLEN, clock.now + 60_000 + (i % 1000), Encoding.EMBSTR);
  rec('set (insert, with TTL)', N, performance.now() - t0);
  bytesPerKeyTtl = ks.usedMemory() / N;
  clock.now += 120_000;
  t0 = performance.now();
  let calls = 0;
  while (ks.dbSize(0) > 0) {
    ks.maintenance(10);
    calls++;
  }
  rec('active expiry', N, performance.now() - t0);

  for (const s of ks.shards) worstResize = Math.max(worstResize, s.index.worstResizeMs);

  // Eviction: insert 1M keys under a maxmemory of a quarter of that, allkeys-lru.
  if (r < 2) {
    const ev = new Keyspace({ ...DEFAULT_STORE_CONFIG, policy: EvictionPolicy.ALLKEYS_LRU, maxmemory: Math.floor(bytesPerKeyUsed * N * 0.25) }, clock);
    t0 = performance.now();
    for (let i = 0; i < N; i++) {
      ev.evictIfNeeded();
      ev.setString(0, keys, order[i] * KLEN, KLEN, val, 0, VLEN, NO_TTL, Encoding.EMBSTR);
    }
    rec('set under maxmemory (allkeys-lru)', N, performance.now() - t0);
    sink += ev.stats.evictedKeys + calls;
  }
}

// Growth to BIG_KEYS keys: the worst pause a single write sees while every shard's tables grow.
const BIG = Number(process.env.BIG_KEYS ?? 10_000_000);
let bigWorstSet = 0;
let bigWorstIndex = 0;
let bigWorstTable = 0;
let bigBytesPerKey = 0;
let bigLoadS = 0;
if (BIG > 0) {
  const ks = new Keyspace({ ...DEFAULT_STORE_CONFIG }, { now: Date.now() });
  const key = new Uint8Array(KLEN).fill(107);
  const t0 = performance.now();
  for (let i = 0; i < BIG; i++) {
    let v = i;
    for (let d = KLEN - 1; d >= 8; d--) {
      key[d] = 48 + (v & 15);
      v >>>= 4;
    }
    const a = performance.now();
    ks.setString(0, key, 0, KLEN, val, 0, VLEN, NO_TTL, Encoding.EMBSTR);
    const dt = performance.now() - a;
    if (dt > bigWorstSet) bigWorstSet = dt;
  }
  bigLoadS = (performance.now() - t0) / 1000;
  bigBytesPerKey = ks.usedMemory() / BIG;
  for (const s of ks.shards) {
    bigWorstIndex = Math.max(bigWorstIndex, s.index.worstResizeMs);
    bigWorstTable = Math.max(bigWorstTable, s.table.worstResizeMs);
  }
}

console.log(`store micro-benchmark: ${N.toLocaleString('en')} keys, ${KLEN}-byte keys, ${VLEN}-byte values, ${ROUNDS} rounds, node ${process.version}`);
for (const [name, a] of Object.entries(results)) {
  console.log(`  ${name.padEnd(36)} ${(median(a) / 1e6).toFixed(2).padStart(6)} M ops/s  (rounds: ${a.map((x) => (x / 1e6).toFixed(2)).join(' ')})`);
}
console.log(`  used_memory per key                  ${bytesPerKeyUsed.toFixed(1)} B (with TTL: ${bytesPerKeyTtl.toFixed(1)} B)`);
console.log(`  allocated per key                    ${bytesPerKeyAlloc.toFixed(1)} B`);
console.log(`  worst index resize step (1M keys)    ${worstResize.toFixed(2)} ms`);
if (BIG > 0) {
  console.log(`growth to ${BIG.toLocaleString('en')} keys in one store (${DEFAULT_STORE_CONFIG.shards} shards): ${bigLoadS.toFixed(1)} s, ${bigBytesPerKey.toFixed(1)} B/key used`);
  console.log(`  slowest single SET                   ${bigWorstSet.toFixed(2)} ms`);
  console.log(`  worst index resize step              ${bigWorstIndex.toFixed(2)} ms`);
  console.log(`  worst entry-table growth step        ${bigWorstTable.toFixed(2)} ms`);
}
if (sink === 0.5) console.log(sink);
