/*
 * The /metrics page: redis_exporter's metric names for what Redis dashboards and alert rules
 * read, then slabcache's own (per-shard keys and bytes, slab classes, event-loop delay, GC
 * pauses, expired keys not yet reclaimed), built from the counters the command path already
 * keeps (server.stats, store.stats, the store's tables).
 *
 * What: metricsPage() is a generator. Its first step copies every counter it will print into a
 * snapshot (typed-array copies: microseconds even with a thousand commands), so the page is
 * one consistent moment, as an INFO reply would be (only the per-database counters are read in
 * later steps, DBS_PER_STEP at a time, since `databases` may be 65536); the later steps format
 * the snapshot, a bounded amount each (SERIES_PER_STEP series), and the sidecar runs steps
 * under a time budget per event-loop turn. The command path gets no new call.
 *
 * Names, types and labels follow redis_exporter (exporter/exporter.go, info.go): counters end
 * in _total, the `cmd` label is the commandstats name (`get`, `config|get`), `db` is `db0`,
 * `err` the errorstats prefix; every database gets redis_db_keys (its
 * include-metrics-for-empty-databases behaviour).
 *
 * Per-shard bytes are the shard's own structures (entry table, key index, volatile array):
 * key and value bytes live in slab pages shared by all shards, reported per size class.
 * Expired-but-unreclaimed keys are estimated by sampling each shard's volatile keys
 * (STALE_SAMPLES per shard), read-only: nothing is expired by a scrape.
 */
import os from 'node:os';
import type { ServerState } from './server-state.ts';
import { labels, type MetricType, type PromWriter } from './prometheus.ts';
import { GC_KINDS, type RuntimeMonitor } from './runtime-monitor.ts';
import { REDIS_COMPAT_VERSION } from './commands/connection.ts';
import { EVICTION_POLICY_NAMES } from '../store/types.ts';
import { PAGE_LARGE, PAGE_POOL } from '../store/slab-allocator.ts';

/** Series written per step, and databases read per step. */
const SERIES_PER_STEP = 128;
const DBS_PER_STEP = 2048;
/** Volatile keys sampled per shard for the expired-but-unreclaimed estimate, shards per step
 * (random reads into the entry tables: ~0.15 us each when they miss the cache). */
const STALE_SAMPLES = 32;
const STALE_SHARDS_PER_STEP = 16;

/** The sidecar's own figures about past scrapes, printed on the next page. */
export interface ScrapeStats {
  scrapes: number;
  lastDurationMs: number;
  lastMaxSliceMs: number;
}

/** Everything the page prints, copied in one step. */
interface Snapshot {
  now: number;
  startedAt: number;
  clients: number;
  blocked: number;
  maxclients: number;
  maxmemory: number;
  policy: string;
  used: number;
  peak: number;
  rss: number;
  commandsProcessed: number;
  connectionsReceived: number;
  rejectedConnections: number;
  netIn: number;
  netOut: number;
  hits: number;
  misses: number;
  expired: number;
  evicted: number;
  cpuUser: number;
  cpuSys: number;
  calls: Float64Array;
  usec: Float64Array;
  rejectedCalls: Float64Array;
  failedCalls: Float64Array;
  errors: [string, number][];
  dbKeys: Float64Array;
  dbExpires: Float64Array;
  dbAvgTtl: Float64Array;
  shardKeys: Float64Array;
  shardVolatile: Float64Array;
  shardBytes: Float64Array;
  classSize: Int32Array;
  classPages: Float64Array;
  classChunks: Float64Array;
  pageSize: number;
  pagesClass: number;
  pagesLarge: number;
  pagesPool: number;
  slabUsed: number;
  slabAllocated: number;
}

function takeSnapshot(state: ServerState): Snapshot {
  const { store, stats, settings } = state;
  const ndb = store.databases;
  const shards = store.shards;
  const shardKeys = new Float64Array(shards.length);
  const shardVolatile = new Float64Array(shards.length);
  const shardBytes = new Float64Array(shards.length);
  for (let i = 0; i < shards.length; i++) {
    const s = shards[i];
    shardKeys[i] = s.table.count;
    shardVolatile[i] = s.volCount;
    shardBytes[i] = s.table.bytes() + s.index.bytes() + s.vol.byteLength;
  }
  const alloc = store.alloc;
  const nc = alloc.classCount;
  const classPages = new Float64Array(nc);
  const classChunks = new Float64Array(nc);
  for (let c = 0; c < nc; c++) {
    classPages[c] = alloc.pagesOfClass(c);
    classChunks[c] = alloc.liveChunks(c);
  }
  let pagesClass = 0;
  let pagesLarge = 0;
  let pagesPool = 0;
  const pageClass = alloc.pageClass;
  const npages = Math.min(alloc.pages.length, pageClass.length);
  for (let p = 0; p < npages; p++) {
    const k = pageClass[p];
    if (k >= 0) pagesClass++;
    else if (k === PAGE_LARGE) pagesLarge++;
    else if (k === PAGE_POOL) pagesPool++;
  }
  const used = store.usedMemory();
  const cpu = process.cpuUsage();
  return {
    now: state.clock.now,
    startedAt: state.startedAt,
    clients: state.clients.size,
    blocked: state.blocking.blockedCount,
    maxclients: settings.maxclients,
    maxmemory: settings.maxmemory,
    policy: EVICTION_POLICY_NAMES[settings.maxmemoryPolicy] ?? '',
    used,
    peak: Math.max(used, state.peakMemory),
    rss: process.memoryUsage.rss(),
    commandsProcessed: stats.commandsProcessed,
    connectionsReceived: stats.connectionsReceived,
    rejectedConnections: stats.rejectedConnections,
    netIn: stats.netInputBytes,
    netOut: stats.netOutputBytes,
    hits: store.stats.keyspaceHits,
    misses: store.stats.keyspaceMisses,
    expired: store.stats.expiredKeys,
    evicted: store.stats.evictedKeys,
    cpuUser: cpu.user / 1e6,
    cpuSys: cpu.system / 1e6,
    calls: stats.calls.slice(),
    usec: stats.usec.slice(),
    rejectedCalls: stats.rejectedCalls.slice(),
    failedCalls: stats.failedCalls.slice(),
    errors: [...stats.errors],
    dbKeys: new Float64Array(ndb),
    dbExpires: new Float64Array(ndb),
    dbAvgTtl: new Float64Array(ndb),
    shardKeys,
    shardVolatile,
    shardBytes,
    classSize: alloc.classSize.slice(),
    classPages,
    classChunks,
    pageSize: alloc.pageSize,
    pagesClass,
    pagesLarge,
    pagesPool,
    slabUsed: alloc.usedBytes,
    slabAllocated: alloc.allocatedBytes,
  };
}

/** The per-database counters, DBS_PER_STEP databases a step (`databases` may be up to 65536). */
function* snapshotDbs(state: ServerState, s: Snapshot): Generator<void, void, void> {
  const store = state.store;
  for (let db = 0; db < s.dbKeys.length; db++) {
    s.dbKeys[db] = store.dbSize(db);
    s.dbExpires[db] = store.dbExpires(db);
    s.dbAvgTtl[db] = store.dbAvgTtl(db);
    if ((db + 1) % DBS_PER_STEP === 0) yield;
  }
}

/** One labelled family, SERIES_PER_STEP series a step. */
function* labelled(out: PromWriter, name: string, type: MetricType, help: string, n: number, label: (i: number) => string, value: (i: number) => number): Generator<void, void, void> {
  out.family(name, type, help);
  for (let i = 0; i < n; i++) {
    out.sample(name, label(i), value(i));
    if ((i + 1) % SERIES_PER_STEP === 0) yield;
  }
  yield;
}

/** Estimated keys of shards [from, to) whose TTL has passed but that are still stored. */
function staleEstimate(state: ServerState, from: number, to: number): number {
  const now = state.clock.now;
  const shards = state.store.shards;
  let total = 0;
  for (let i = from; i < to; i++) {
    const shard = shards[i];
    const n = shard.volCount;
    if (n === 0) continue;
    const vol = shard.vol;
    const table = shard.table;
    const k = Math.min(n, STALE_SAMPLES);
    let stale = 0;
    for (let j = 0; j < k; j++) {
      const id = vol[k === n ? j : Math.floor(Math.random() * n)];
      const at = table.expire(id);
      if (at !== 0 && now > at) stale++;
    }
    total += (stale * n) / k;
  }
  return total;
}

/** The page, one bounded step per iteration; the text accumulates in `out`. */
export function* metricsPage(state: ServerState, runtime: RuntimeMonitor, scrape: ScrapeStats, out: PromWriter): Generator<void, void, void> {
  const s = takeSnapshot(state);
  yield;
  yield* snapshotDbs(state, s);

  // ---- redis_exporter names ----
  out.single('redis_up', 'gauge', 'Information about the Redis instance', 1);
  out.single('redis_uptime_in_seconds', 'gauge', 'uptime_in_seconds metric', Math.floor((s.now - s.startedAt) / 1000));
  out.single('redis_start_time_seconds', 'gauge', 'Start time of the Redis instance since unix epoch in seconds.', Math.floor(s.startedAt / 1000));
  out.family('redis_instance_info', 'gauge', 'Information about the Redis instance');
  out.sample('redis_instance_info', labels({
    role: 'master',
    redis_version: REDIS_COMPAT_VERSION,
    redis_build_id: '0',
    redis_mode: 'standalone',
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    maxmemory_policy: s.policy,
    tcp_port: state.port,
    run_id: state.runId,
    process_id: process.pid,
  }), 1);
  out.single('redis_connected_clients', 'gauge', 'connected_clients metric', s.clients);
  out.single('redis_blocked_clients', 'gauge', 'blocked_clients metric', s.blocked);
  out.single('redis_config_maxclients', 'gauge', 'config_maxclients metric', s.maxclients);
  out.single('redis_memory_used_bytes', 'gauge', 'memory_used_bytes metric', s.used);
  out.single('redis_memory_used_peak_bytes', 'gauge', 'memory_used_peak_bytes metric', s.peak);
  out.single('redis_memory_used_rss_bytes', 'gauge', 'memory_used_rss_bytes metric', s.rss);
  out.single('redis_memory_max_bytes', 'gauge', 'memory_max_bytes metric', s.maxmemory);
  out.single('redis_config_maxmemory', 'gauge', 'config_maxmemory metric', s.maxmemory);
  out.single('redis_mem_fragmentation_ratio', 'gauge', 'mem_fragmentation_ratio metric', s.used > 0 ? Math.round((s.rss / s.used) * 100) / 100 : 0);
  out.single('redis_commands_processed_total', 'counter', 'commands_processed_total metric', s.commandsProcessed);
  out.single('redis_connections_received_total', 'counter', 'connections_received_total metric', s.connectionsReceived);
  out.single('redis_rejected_connections_total', 'counter', 'rejected_connections_total metric', s.rejectedConnections);
  out.single('redis_net_input_bytes_total', 'counter', 'net_input_bytes_total metric', s.netIn);
  out.single('redis_net_output_bytes_total', 'counter', 'net_output_bytes_total metric', s.netOut);
  out.single('redis_keyspace_hits_total', 'counter', 'keyspace_hits_total metric', s.hits);
  out.single('redis_keyspace_misses_total', 'counter', 'keyspace_misses_total metric', s.misses);
  out.single('redis_expired_keys_total', 'counter', 'expired_keys_total metric', s.expired);
  out.single('redis_evicted_keys_total', 'counter', 'evicted_keys_total metric', s.evicted);
  out.single('redis_cpu_user_seconds_total', 'counter', 'cpu_user_seconds_total metric', s.cpuUser);
  out.single('redis_cpu_sys_seconds_total', 'counter', 'cpu_sys_seconds_total metric', s.cpuSys);
  yield;

  // Per command, as INFO commandstats lists them: those with any call, rejection or failure.
  const all = state.registry.all;
  const n = Math.min(all.length, s.calls.length);
  const cmdLabels: string[] = [];
  const cmdIds: number[] = [];
  for (let id = 0; id < n; id++) {
    if (s.calls[id] === 0 && s.rejectedCalls[id] === 0 && s.failedCalls[id] === 0) continue;
    cmdIds.push(id);
    cmdLabels.push(labels({ cmd: all[id].fullName }));
  }
  yield;
  // Durations are whole microseconds, as INFO prints them.
  const cmd = (i: number) => cmdLabels[i];
  yield* labelled(out, 'redis_commands_total', 'counter', 'Total number of calls per command', cmdIds.length, cmd, (i) => s.calls[cmdIds[i]]);
  yield* labelled(out, 'redis_commands_duration_seconds_total', 'counter', 'Total amount of time in seconds spent per command', cmdIds.length, cmd, (i) => Math.round(s.usec[cmdIds[i]]) / 1e6);
  yield* labelled(out, 'redis_commands_rejected_calls_total', 'counter', 'Total number of errors prior command execution per command', cmdIds.length, cmd, (i) => s.rejectedCalls[cmdIds[i]]);
  yield* labelled(out, 'redis_commands_failed_calls_total', 'counter', 'Total number of errors within command execution per command', cmdIds.length, cmd, (i) => s.failedCalls[cmdIds[i]]);
  yield* labelled(out, 'redis_errors_total', 'counter', 'Total number of errors per error type', s.errors.length, (i) => labels({ err: s.errors[i][0] }), (i) => s.errors[i][1]);

  const ndb = s.dbKeys.length;
  const db = (i: number) => labels({ db: `db${i}` });
  yield* labelled(out, 'redis_db_keys', 'gauge', 'Total number of keys by DB', ndb, db, (i) => s.dbKeys[i]);
  yield* labelled(out, 'redis_db_keys_expiring', 'gauge', 'Total number of expiring keys by DB', ndb, db, (i) => s.dbExpires[i]);
  yield* labelled(out, 'redis_db_avg_ttl_seconds', 'gauge', 'Avg TTL in seconds', ndb, db, (i) => s.dbAvgTtl[i] / 1000);

  // ---- slabcache's own ----
  const nshards = s.shardKeys.length;
  const shard = (i: number) => labels({ shard: i });
  yield* labelled(out, 'slabcache_shard_keys', 'gauge', 'Keys stored in the shard, all databases (expired ones not yet reclaimed included)', nshards, shard, (i) => s.shardKeys[i]);
  yield* labelled(out, 'slabcache_shard_keys_expiring', 'gauge', 'Keys with a TTL in the shard', nshards, shard, (i) => s.shardVolatile[i]);
  yield* labelled(out, 'slabcache_shard_bytes', 'gauge', "Bytes of the shard's entry table, key index and volatile-key array (key and value bytes live in the shared slab pages)", nshards, shard, (i) => s.shardBytes[i]);

  const nc = s.classSize.length;
  const cls = (c: number) => labels({ class: c });
  yield* labelled(out, 'slabcache_slab_class_chunk_bytes', 'gauge', 'Chunk size of the slab class', nc, cls, (c) => s.classSize[c]);
  yield* labelled(out, 'slabcache_slab_class_pages', 'gauge', 'Slab pages assigned to the class', nc, cls, (c) => s.classPages[c]);
  yield* labelled(out, 'slabcache_slab_class_chunks_used', 'gauge', 'Chunks of the class holding a key', nc, cls, (c) => s.classChunks[c]);
  yield* labelled(out, 'slabcache_slab_class_fill_ratio', 'gauge', "Share of the class's page bytes in used chunks (0 without pages)", nc, cls, (c) => {
    const bytes = s.classPages[c] * s.pageSize;
    return bytes === 0 ? 0 : (s.classChunks[c] * s.classSize[c]) / bytes;
  });
  out.single('slabcache_slab_page_bytes', 'gauge', 'Size of a slab page', s.pageSize);
  out.family('slabcache_slab_pages', 'gauge', 'Slab pages held, by use: carved into a size class, one large value each, or pooled for reuse');
  out.sample('slabcache_slab_pages', labels({ use: 'class' }), s.pagesClass);
  out.sample('slabcache_slab_pages', labels({ use: 'large' }), s.pagesLarge);
  out.sample('slabcache_slab_pages', labels({ use: 'pool' }), s.pagesPool);
  out.single('slabcache_slab_used_bytes', 'gauge', 'Bytes of slab chunks in use and of large values', s.slabUsed);
  out.single('slabcache_slab_allocated_bytes', 'gauge', 'Bytes of every slab page held, pool included', s.slabAllocated);
  yield;

  let stale = 0;
  for (let from = 0; from < nshards; from += STALE_SHARDS_PER_STEP) {
    stale += staleEstimate(state, from, Math.min(nshards, from + STALE_SHARDS_PER_STEP));
    yield;
  }
  out.single('slabcache_expired_unreclaimed_keys', 'gauge', 'Estimated keys whose TTL has passed but that active expiry has not removed yet (sampled)', Math.round(stale));

  out.family('slabcache_eventloop_delay_seconds', 'histogram', 'How late a 10 ms timer fired: time the event loop was held by other work');
  out.histogram('slabcache_eventloop_delay_seconds', '', runtime.loopDelay);
  out.family('slabcache_gc_pause_seconds', 'histogram', 'Garbage collection pauses by kind (perf_hooks)');
  for (let k = 0; k < GC_KINDS.length; k++) out.histogram('slabcache_gc_pause_seconds', `kind="${GC_KINDS[k]}"`, runtime.gcPauses[k]);
  out.single('slabcache_scrapes_total', 'counter', 'Metrics pages served before this one', scrape.scrapes);
  out.single('slabcache_scrape_last_duration_seconds', 'gauge', 'Time from request to last byte of the previous metrics page', scrape.lastDurationMs / 1000);
  out.single('slabcache_scrape_last_max_slice_seconds', 'gauge', 'Longest synchronous slice of the previous metrics page: the most it held up the RESP side', scrape.lastMaxSliceMs / 1000);
}
