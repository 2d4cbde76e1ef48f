/*
 * Introspection commands (Redis 7.0 slowlog.c / latency.c / object.c memoryCommand /
 * replication.c monitorCommand semantics): SLOWLOG, LATENCY, MEMORY and MONITOR, plus the
 * memory figures INFO memory shares with MEMORY STATS / DOCTOR.
 *
 * The data they read is gathered by src/metrics.ts on the command path; these handlers are the
 * control plane and may allocate. Reply shapes and error texts are redis-server 7.0.15's.
 */
import type { Client } from '../client.ts';
import type { Registry, CommandEntry } from '../registry.ts';
import type { ServerState } from '../server-state.ts';
import type { Keyspace } from '../../store/keyspace.ts';
import { KeyType, Lookup, holdsObject } from '../../store/types.ts';
import { COLD_BYTES, RECORD_BYTES } from '../../store/entry-table.ts';
import { R_OK, E_SYNTAX, E_NOT_INTEGER } from '../../protocol/replies.ts';
import { parsed } from '../numbers.ts';
import { replyHelp } from './keys.ts';
import { anonHugePagesBytes, logBuckets, storeTableBytes, LATENCY_TS_LEN, type LatencySeries, type Metrics } from '../metrics.ts';

// ---- SLOWLOG ----

function cmdSlowlogGet(c: Client): void {
  const m = c.server.metrics;
  let count = 10;
  if (c.argc === 3) {
    const ok = c.argInt64(2);
    if (!ok || (parsed.isBig ? parsed.big < -1n : parsed.num < -1)) {
      c.reply.error('ERR count should be greater than or equal to -1');
      return;
    }
    count = parsed.isBig ? Number.MAX_SAFE_INTEGER : parsed.num;
    if (count === -1) count = m.slowlogLength;
  } else if (c.argc > 3) {
    // addReplySubcommandSyntaxError: the subcommand as typed, the command upper-cased.
    c.reply.error(`ERR unknown subcommand or wrong number of arguments for '${c.argBuf.toString('latin1', c.argOff[1], c.argOff[1] + Math.min(c.argLen[1], 128))}'. Try SLOWLOG HELP.`);
    return;
  }
  const sent = Math.min(count, m.slowlogLength);
  c.reply.arrayLen(sent);
  for (let i = 0; i < sent; i++) {
    const e = m.slowlogEntry(i);
    c.reply.arrayLen(6);
    c.reply.int(e.id);
    c.reply.int(e.time);
    c.reply.int(e.duration);
    c.reply.arrayLen(e.argv.length);
    for (const arg of e.argv) c.reply.bulk(arg, 0, arg.length);
    c.reply.bulkString(e.peer);
    c.reply.bulkString(e.name);
  }
}

function cmdSlowlogLen(c: Client): void {
  c.reply.int(c.server.metrics.slowlogLength);
}

function cmdSlowlogReset(c: Client): void {
  c.server.metrics.slowlogReset();
  c.reply.raw(R_OK);
}

const SLOWLOG_HELP = [
  'SLOWLOG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
  'GET [<count>]',
  '    Return top <count> entries from the slowlog (default: 10, -1 mean all).',
  '    Entries are made of:',
  '    id, timestamp, time in microseconds, arguments array, client IP and port,',
  '    client name',
  'LEN',
  '    Return the length of the slowlog.',
  'RESET',
  '    Reset the slowlog.',
  'HELP',
  '    Prints this help.',
];

// ---- LATENCY ----

function cmdLatencyLatest(c: Client): void {
  const events = c.server.metrics.latencyEvents;
  c.reply.arrayLen(events.size);
  for (const [name, ts] of events) {
    const last = (ts.idx + LATENCY_TS_LEN - 1) % LATENCY_TS_LEN;
    c.reply.arrayLen(4);
    c.reply.bulkString(name);
    c.reply.int(ts.time[last]);
    c.reply.int(ts.latency[last]);
    c.reply.int(ts.max);
  }
}

function cmdLatencyHistory(c: Client): void {
  const ts = c.server.metrics.latencyEvents.get(c.argString(2));
  if (ts === undefined) {
    c.reply.arrayLen(0);
    return;
  }
  let samples = 0;
  for (let j = 0; j < LATENCY_TS_LEN; j++) if (ts.time[j] !== 0) samples++;
  c.reply.arrayLen(samples);
  for (let j = 0; j < LATENCY_TS_LEN; j++) {
    const i = (ts.idx + j) % LATENCY_TS_LEN;
    if (ts.time[i] === 0) continue;
    c.reply.arrayLen(2);
    c.reply.int(ts.time[i]);
    c.reply.int(ts.latency[i]);
  }
}

function cmdLatencyReset(c: Client): void {
  const m = c.server.metrics;
  if (c.argc === 2) {
    c.reply.int(m.latencyReset(null));
    return;
  }
  let resets = 0;
  for (let j = 2; j < c.argc; j++) resets += m.latencyReset(c.argString(j));
  c.reply.int(resets);
}

function cmdLatencyDoctor(c: Client): void {
  c.reply.verbatim(latencyReport(c.server), 'txt');
}

function cmdLatencyGraph(c: Client): void {
  const name = c.argString(2);
  const ts = c.server.metrics.latencyEvents.get(name);
  if (ts === undefined) {
    c.reply.error(`ERR No samples available for event '${c.argBuf.toString('latin1', c.argOff[2], c.argOff[2] + c.argLen[2])}'`);
    return;
  }
  c.reply.verbatim(latencyGraph(name, ts, Math.floor(c.server.clock.now / 1000)), 'txt');
}

/** LATENCY HISTOGRAM [command ...]: per command, its call count and cumulative latency buckets. */
function cmdLatencyHistogram(c: Client): void {
  const registry = c.server.registry;
  const selected: CommandEntry[] = [];
  const m = c.server.metrics;
  const withData = (cmd: CommandEntry) => {
    if (m.histograms[cmd.id] !== null) selected.push(cmd);
  };
  if (c.argc === 2) {
    for (const cmd of registry.commands) {
      withData(cmd);
      if (cmd.subcommands !== null) for (const sub of cmd.subcommands.values()) withData(sub);
    }
  } else {
    for (let j = 2; j < c.argc; j++) {
      const name = c.argLower(j);
      if (name.split('|').length > 2) continue;
      const cmd = registry.byFullName(name);
      if (cmd === undefined) continue;
      withData(cmd);
      if (cmd.subcommands !== null) for (const sub of cmd.subcommands.values()) withData(sub);
    }
  }
  c.reply.mapLen(selected.length);
  for (const cmd of selected) {
    const counts = m.histograms[cmd.id]!;
    const total = m.histogramTotals[cmd.id];
    const buckets = logBuckets(counts, total);
    c.reply.bulkString(cmd.fullName);
    c.reply.mapLen(2);
    c.reply.bulkString('calls');
    c.reply.int(total);
    c.reply.bulkString('histogram_usec');
    c.reply.mapLen(buckets.length);
    for (const [usec, cumulative] of buckets) {
      c.reply.int(usec);
      c.reply.int(cumulative);
    }
  }
}

const LATENCY_HELP = [
  'LATENCY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
  'DOCTOR',
  '    Return a human readable latency analysis report.',
  'GRAPH <event>',
  '    Return an ASCII latency graph for the <event> class.',
  'HISTORY <event>',
  '    Return time-latency samples for the <event> class.',
  'LATEST',
  '    Return the latest latency samples for all events.',
  'RESET [<event> ...]',
  '    Reset latency data of one or more <event> classes.',
  '    (default: reset all data for all event classes)',
  'HISTOGRAM [COMMAND ...]',
  '    Return a cumulative distribution of latencies in the format of a histogram for the specified command names.',
  '    If no commands are specified then all histograms are replied.',
  'HELP',
  '    Prints this help.',
];

/** analyzeLatencyForEvent: samples, average, mean absolute deviation, period (integer arithmetic as in C). */
function analyzeLatency(ts: LatencySeries, nowSec: number): { samples: number; avg: number; mad: number; period: number } {
  let samples = 0;
  let sum = 0;
  let oldest = 0;
  for (let j = 0; j < LATENCY_TS_LEN; j++) {
    if (ts.time[j] === 0) continue;
    samples++;
    sum += ts.latency[j];
    if (oldest === 0 || ts.time[j] < oldest) oldest = ts.time[j];
  }
  if (samples === 0) return { samples: 0, avg: 0, mad: 0, period: 0 };
  const avg = Math.floor(sum / samples);
  let period = nowSec - oldest;
  if (period === 0) period = 1;
  let dev = 0;
  for (let j = 0; j < LATENCY_TS_LEN; j++) {
    if (ts.time[j] === 0) continue;
    dev += Math.abs(avg - ts.latency[j]);
  }
  return { samples, avg, mad: Math.floor(dev / samples), period };
}

/** createLatencyReport, for the events slabcache records ("command", "fast-command"). */
export function latencyReport(server: ServerState): string {
  const m = server.metrics;
  if (m.latencyEvents.size === 0 && m.latencyThreshold === 0) {
    return 'I\'m sorry, Dave, I can\'t do that. Latency monitoring is disabled in this Redis instance. You may use "CONFIG SET latency-monitor-threshold <milliseconds>." in order to enable it. If we weren\'t in a deep space mission I\'d suggest to take a look at https://redis.io/topics/latency-monitor.\n';
  }
  const nowSec = Math.floor(server.clock.now / 1000);
  let report = '';
  let advices = 0;
  let slowlogEnabled = false;
  let slowlogTuning = false;
  let slowlogInspect = false;
  let scheduler = false;
  let largeObjects = false;
  let disableThp = false;
  let eventnum = 0;
  for (const [event, ts] of m.latencyEvents) {
    eventnum++;
    if (eventnum === 1) report += "Dave, I have observed latency spikes in this Redis instance. You don't mind talking about it, do you Dave?\n\n";
    const ls = analyzeLatency(ts, nowSec);
    report += `${eventnum}. ${event}: ${ls.samples} latency spikes (average ${ls.avg}ms, mean deviation ${ls.mad}ms, period ${(ls.period / ls.samples).toFixed(2)} sec). Worst all time event ${ts.max}ms.`;
    const name = event.toLowerCase();
    if (name === 'command') {
      if (m.slowlogSlowerThan < 0) {
        slowlogEnabled = true;
        advices++;
      } else if (Math.trunc(m.slowlogSlowerThan / 1000) > m.latencyThreshold) {
        slowlogTuning = true;
        advices++;
      }
      slowlogInspect = true;
      largeObjects = true;
      advices += 2;
    }
    if (name === 'fast-command') {
      scheduler = true;
      advices++;
    }
    report += '\n';
  }
  if (anonHugePagesBytes() > 0) {
    disableThp = true;
    advices++;
  }
  if (eventnum === 0 && advices === 0) {
    report += 'Dave, no latency spike was observed during the lifetime of this Redis instance, not in the slightest bit. I honestly think you ought to sit down calmly, take a stress pill, and think things over.\n';
  } else if (eventnum > 0 && advices === 0) {
    report += "\nWhile there are latency events logged, I'm not able to suggest any easy fix. Please use the Redis community to get some help, providing this report in your help request.\n";
  } else {
    report += '\nI have a few advices for you:\n\n';
    const threshold = m.latencyThreshold * 1000;
    if (slowlogEnabled) report += `- There are latency issues with potentially slow commands you are using. Try to enable the Slow Log Redis feature using the command 'CONFIG SET slowlog-log-slower-than ${threshold}'. If the Slow log is disabled Redis is not able to log slow commands execution for you.\n`;
    if (slowlogTuning) report += `- Your current Slow Log configuration only logs events that are slower than your configured latency monitor threshold. Please use 'CONFIG SET slowlog-log-slower-than ${threshold}'.\n`;
    if (slowlogInspect) report += '- Check your Slow Log to understand what are the commands you are running which are too slow to execute. Please check https://redis.io/commands/slowlog for more information.\n';
    if (scheduler) {
      report += '- The system is slow to execute Redis code paths not containing system calls. This usually means the system does not provide Redis CPU time to run for long periods. You should try to:\n' +
        '  1) Lower the system load.\n' +
        '  2) Use a computer / VM just for Redis if you are running other software in the same system.\n' +
        '  3) Check if you have a "noisy neighbour" problem.\n' +
        "  4) Check with 'redis-cli --intrinsic-latency 100' what is the intrinsic latency in your system.\n" +
        '  5) Check if the problem is allocator-related by recompiling Redis with MALLOC=libc, if you are using Jemalloc. However this may create fragmentation problems.\n';
    }
    if (largeObjects) report += '- Deleting, expiring or evicting (because of maxmemory policy) large objects is a blocking operation. If you have very large objects that are often deleted, expired, or evicted, try to fragment those objects into multiple smaller objects.\n';
    if (disableThp) report += "- I detected a non zero amount of anonymous huge pages used by your process. This creates very serious latency events in different conditions, especially when Redis is persisting on disk. To disable THP support use the command 'echo never > /sys/kernel/mm/transparent_hugepage/enabled', make sure to also add it into /etc/rc.local so that the command will be executed again after a reboot. Note that even if you have already disabled THP, you still need to restart the Redis process to get rid of the huge pages already created.\n";
  }
  return report;
}

const GRAPH_COLS = 80;
const SPARK_CHARS = '_o#';

/** latencyCommandGenSparkeline + sparklineRender(80 columns, 4 rows, SPARKLINE_FILL). */
export function latencyGraph(event: string, ts: LatencySeries, nowSec: number): string {
  const values: number[] = [];
  const labels: string[] = [];
  let min = 0;
  let max = 0;
  for (let j = 0; j < LATENCY_TS_LEN; j++) {
    const i = (ts.idx + j) % LATENCY_TS_LEN;
    if (ts.time[i] === 0) continue;
    const v = ts.latency[i];
    if (values.length === 0) min = max = v;
    else {
      if (v > max) max = v;
      if (v < min) min = v;
    }
    const elapsed = nowSec - ts.time[i];
    let label: string;
    if (elapsed < 60) label = `${elapsed}s`;
    else if (elapsed < 3600) label = `${Math.trunc(elapsed / 60)}m`;
    else if (elapsed < 86400) label = `${Math.trunc(elapsed / 3600)}h`;
    else label = `${Math.trunc(elapsed / 86400)}d`;
    values.push(v);
    labels.push(label);
  }
  let out = `${event} - high ${max} ms, low ${min} ms (all time high ${ts.max} ms)\n${'-'.repeat(GRAPH_COLS)}\n`;
  // Sequence min/max as sparklineSequenceAddSample keeps them.
  let seqMin = 0;
  let seqMax = 0;
  values.forEach((v, k) => {
    if (k === 0) seqMin = seqMax = v;
    else if (v < seqMin) seqMin = v;
    else if (v > seqMax) seqMax = v;
  });
  for (let j = 0; j < values.length; j += GRAPH_COLS) {
    const sublen = Math.min(values.length - j, GRAPH_COLS);
    if (j !== 0) out += '\n';
    out += sparklineRange(values, labels, seqMin, seqMax, 4, j, sublen);
  }
  return out;
}

function sparklineRange(values: number[], labels: string[], min: number, max: number, rows: number, offset: number, len: number): string {
  let relmax = max - min;
  if (relmax === 0) relmax = 1;
  const steps = SPARK_CHARS.length * rows;
  let out = '';
  let row = 0;
  let loop = true;
  while (loop) {
    loop = false;
    const chars: string[] = new Array(len).fill(' ');
    for (let j = 0; j < len; j++) {
      const relval = values[j + offset] - min;
      let step = Math.trunc(Math.trunc(relval * steps) / relmax);
      if (step < 0) step = 0;
      if (step >= steps) step = steps - 1;
      if (row < rows) {
        const charidx = step - (rows - row - 1) * SPARK_CHARS.length;
        loop = true;
        if (charidx >= 0 && charidx < SPARK_CHARS.length) chars[j] = SPARK_CHARS[charidx];
        else if (charidx >= SPARK_CHARS.length) chars[j] = '|';
      } else {
        if (labels.length > 0 && row - rows < 1) {
          loop = true;
          break;
        }
        const label = labels[j + offset];
        const labelChar = row - rows - 1;
        if (label.length > labelChar) {
          loop = true;
          chars[j] = label[labelChar];
        }
      }
    }
    if (loop) {
      row++;
      out += chars.join('') + '\n';
    }
  }
  return out;
}

// ---- MEMORY ----

/** Memory figures shared by INFO memory, MEMORY STATS and MEMORY DOCTOR (getMemoryOverheadData). */
export interface MemoryOverview {
  used: number;
  peak: number;
  startup: number;
  clientsNormal: number;
  dbs: Array<{ db: number; main: number; expires: number }>;
  overhead: number;
  keys: number;
  bytesPerKey: number;
  dataset: number;
  datasetPerc: number;
  peakPerc: number;
  allocated: number;
  active: number;
  resident: number;
  rss: number;
  allocatorFrag: number;
  allocatorFragBytes: number;
  allocatorRss: number;
  allocatorRssBytes: number;
  rssOverhead: number;
  rssOverheadBytes: number;
  fragmentation: number;
  fragmentationBytes: number;
}

/**
 * slabcache's answers to Redis's memory questions. used = the store's used_memory (what
 * maxmemory is compared with); startup = used_memory when the server was built (mostly the
 * shards' initial entry tables and indexes); overhead = startup plus the tables' growth since,
 * charged to each database by its share of the keys, at most used; dataset = used - overhead
 * (slab chunks holding keys and values, and complex-value estimates); clients.normal (the
 * clients' query and output buffers and unsent socket bytes) is part of used, as in Redis,
 * though maxmemory eviction compares the store's own bytes. The
 * "allocator" figures map onto the process: allocated = the store's pages and tables, active =
 * V8 heap in use plus off-heap memory, resident = V8 heap reserved plus off-heap memory.
 */
export function memoryOverview(server: ServerState): MemoryOverview {
  const store = server.store;
  let clientsNormal = 0;
  for (const client of server.clients.values()) clientsNormal += client.memoryBytes();
  const used = store.usedMemory() + clientsNormal;
  if (used > server.peakMemory) server.peakMemory = used;
  const peak = server.peakMemory;
  const startup = Math.min(server.metrics.startupMemory, used);
  let keys = 0;
  let volatile = 0;
  for (let db = 0; db < store.databases; db++) {
    keys += store.dbSize(db);
    volatile += store.dbExpires(db);
  }
  // The tables' growth since start-up (the initial tables are in `startup`), shared among the
  // databases by their keys; the volatile sets' part (4 bytes a key) counted as `expires`.
  const growth = Math.max(0, storeTableBytes(store) - server.metrics.startupTableBytes - volatile * 4);
  const dbs: MemoryOverview['dbs'] = [];
  let overhead = startup + clientsNormal;
  for (let db = 0; db < store.databases; db++) {
    const n = store.dbSize(db);
    if (n === 0) continue;
    const main = Math.round((growth * n) / keys);
    const expires = store.dbExpires(db) * 4;
    dbs.push({ db, main, expires });
    overhead += main + expires;
  }
  if (overhead > used) overhead = used;
  const netUsage = used > startup ? used - startup : 1;
  const dataset = used - overhead;
  const mu = process.memoryUsage();
  const allocated = store.allocatedMemory();
  const active = mu.heapUsed + mu.external;
  const resident = mu.heapTotal + mu.external;
  const rss = mu.rss;
  return {
    used,
    peak,
    startup,
    clientsNormal,
    dbs,
    overhead,
    keys,
    bytesPerKey: keys > 0 ? Math.floor(netUsage / keys) : 0,
    dataset,
    datasetPerc: Math.fround((dataset * 100) / netUsage),
    peakPerc: Math.fround((used * 100) / (peak || 1)),
    allocated,
    active,
    resident,
    rss,
    allocatorFrag: Math.fround(active / (allocated || 1)),
    allocatorFragBytes: active - allocated,
    allocatorRss: Math.fround(resident / (active || 1)),
    allocatorRssBytes: resident - active,
    rssOverhead: Math.fround(rss / (resident || 1)),
    rssOverheadBytes: rss - resident,
    fragmentation: Math.fround(rss / (used || 1)),
    fragmentationBytes: rss - used,
  };
}

/** Index bytes charged per key: an 8-byte slot at the index's typical 50% load. */
const INDEX_BYTES_PER_KEY = 16;

/**
 * Bytes a key and its value hold: its slab chunk (key and value bytes, rounded up to the size
 * class), its entry record, its index slot, the estimate of a complex value and, with a TTL,
 * its cold words (expiry-wheel links, volatile position) and volatile-set slot. SAMPLES is
 * accepted and has no effect: object estimates are kept up to date as the objects change, so
 * there is nothing to sample.
 */
export function keyMemoryUsage(store: Keyspace, h: number): number {
  const shard = store.shards[h & ((1 << store.shardBits) - 1)];
  const id = h >>> store.shardBits;
  let bytes = store.alloc.chunkSize(shard.table.loc(id)) + RECORD_BYTES + INDEX_BYTES_PER_KEY;
  if (holdsObject(store.typeOf(h), store.encodingOf(h))) bytes += shard.objectBytes[shard.table.vlen(id)];
  if (store.expireAt(h) !== 0) bytes += COLD_BYTES + 4;
  return bytes;
}

function cmdMemoryUsage(c: Client): void {
  for (let j = 3; j < c.argc; j++) {
    if (c.argIs(j, 'samples') && j + 1 < c.argc) {
      if (!c.argInt64(j + 1)) {
        c.reply.raw(E_NOT_INTEGER);
        return;
      }
      if (parsed.isBig ? parsed.big < 0n : parsed.num < 0) {
        c.reply.raw(E_SYNTAX);
        return;
      }
      j++;
    } else {
      c.reply.raw(E_SYNTAX);
      return;
    }
  }
  const h = c.lookupArg(2, Lookup.PEEK);
  if (h < 0) {
    c.reply.nullBulk();
    return;
  }
  c.reply.int(keyMemoryUsage(c.store, h));
}

function cmdMemoryStats(c: Client): void {
  const mh = memoryOverview(c.server);
  const r = c.reply;
  r.mapLen(27 + mh.dbs.length);
  const num = (name: string, value: number) => {
    r.bulkString(name);
    r.int(value);
  };
  const dbl = (name: string, value: number) => {
    r.bulkString(name);
    r.double(value);
  };
  num('peak.allocated', mh.peak);
  num('total.allocated', mh.used);
  num('startup.allocated', mh.startup);
  num('replication.backlog', 0);
  num('clients.slaves', 0);
  num('clients.normal', mh.clientsNormal);
  num('cluster.links', 0);
  num('aof.buffer', 0);
  num('lua.caches', 0);
  num('functions.caches', 0);
  for (const db of mh.dbs) {
    r.bulkString(`db.${db.db}`);
    r.mapLen(3);
    num('overhead.hashtable.main', db.main);
    num('overhead.hashtable.expires', db.expires);
    num('overhead.hashtable.slot-to-keys', 0);
  }
  num('overhead.total', mh.overhead);
  num('keys.count', mh.keys);
  num('keys.bytes-per-key', mh.bytesPerKey);
  num('dataset.bytes', mh.dataset);
  dbl('dataset.percentage', mh.datasetPerc);
  dbl('peak.percentage', mh.peakPerc);
  num('allocator.allocated', mh.allocated);
  num('allocator.active', mh.active);
  num('allocator.resident', mh.resident);
  dbl('allocator-fragmentation.ratio', mh.allocatorFrag);
  num('allocator-fragmentation.bytes', mh.allocatorFragBytes);
  dbl('allocator-rss.ratio', mh.allocatorRss);
  num('allocator-rss.bytes', mh.allocatorRssBytes);
  dbl('rss-overhead.ratio', mh.rssOverhead);
  num('rss-overhead.bytes', mh.rssOverheadBytes);
  dbl('fragmentation', mh.fragmentation);
  num('fragmentation.bytes', mh.fragmentationBytes);
}

const MB = 1024 * 1024;

/** getMemoryDoctorReport, over memoryOverview's figures. */
export function memoryDoctorReport(server: ServerState): string {
  const mh = memoryOverview(server);
  let empty = false;
  let bigPeak = false;
  let highFrag = false;
  let highAllocFrag = false;
  let highAllocRss = false;
  let highProcRss = false;
  let bigClientBuf = false;
  let reports = 0;
  if (mh.used < 5 * MB) {
    empty = true;
    reports++;
  } else {
    if (Math.fround(mh.peak / mh.used) > 1.5) {
      bigPeak = true;
      reports++;
    }
    if (mh.fragmentation > 1.4 && mh.fragmentationBytes > 10 * MB) {
      highFrag = true;
      reports++;
    }
    if (mh.allocatorFrag > 1.1 && mh.allocatorFragBytes > 10 * MB) {
      highAllocFrag = true;
      reports++;
    }
    if (mh.allocatorRss > 1.1 && mh.allocatorRssBytes > 10 * MB) {
      highAllocRss = true;
      reports++;
    }
    if (mh.rssOverhead > 1.1 && mh.rssOverheadBytes > 10 * MB) {
      highProcRss = true;
      reports++;
    }
    if (Math.floor(mh.clientsNormal / Math.max(1, server.clients.size)) > 1024 * 200) {
      bigClientBuf = true;
      reports++;
    }
  }
  if (reports === 0) return "Hi Sam, I can't find any memory issue in your instance. I can only account for what occurs on this base.\n";
  if (empty) return "Hi Sam, this instance is empty or is using very little memory, my issues detector can't be used in these conditions. Please, leave for your mission on Earth and fill it with some data. The new Sam and I will be back to our programming as soon as I finished rebooting.\n";
  let s = 'Sam, I detected a few issues in this Redis instance memory implants:\n\n';
  if (bigPeak) s += ' * Peak memory: In the past this instance used more than 150% the memory that is currently using. The allocator is normally not able to release memory after a peak, so you can expect to see a big fragmentation ratio, however this is actually harmless and is only due to the memory peak, and if the Redis instance Resident Set Size (RSS) is currently bigger than expected, the memory will be used as soon as you fill the Redis instance with more data. If the memory peak was only occasional and you want to try to reclaim memory, please try the MEMORY PURGE command, otherwise the only other option is to shutdown and restart the instance.\n\n';
  if (highFrag) s += ' * High total RSS: This instance has a memory fragmentation and RSS overhead greater than 1.4 (this means that the Resident Set Size of the Redis process is much larger than the sum of the logical allocations Redis performed). This problem is usually due either to a large peak memory (check if there is a peak memory entry above in the report) or may result from a workload that causes the allocator to fragment memory a lot. If the problem is a large peak memory, then there is no issue. Otherwise, make sure you are using the Jemalloc allocator and not the default libc malloc. Note: The currently used allocator is "slabcache".\n\n';
  if (highAllocFrag) s += " * High allocator fragmentation: This instance has an allocator external fragmentation greater than 1.1. This problem is usually due either to a large peak memory (check if there is a peak memory entry above in the report) or may result from a workload that causes the allocator to fragment memory a lot. You can try enabling 'activedefrag' config option.\n\n";
  if (highAllocRss) s += ' * High allocator RSS overhead: This instance has an RSS memory overhead is greater than 1.1 (this means that the Resident Set Size of the allocator is much larger than the sum what the allocator actually holds). This problem is usually due to a large peak memory (check if there is a peak memory entry above in the report), you can try the MEMORY PURGE command to reclaim it.\n\n';
  if (highProcRss) s += ' * High process RSS overhead: This instance has non-allocator RSS memory overhead is greater than 1.1 (this means that the Resident Set Size of the Redis process is much larger than the RSS the allocator holds). This problem may be due to Lua scripts or Modules.\n\n';
  if (bigClientBuf) s += ' * Big client buffers: The clients output buffers in this instance are greater than 200K per client (on average). This may result from different causes, like Pub/Sub clients subscribed to channels bot not receiving data fast enough, so that data piles on the Redis instance output buffer, or clients sending commands with large replies or very large sequences of commands in the same pipeline. Please use the CLIENT LIST command in order to investigate the issue if it causes problems in your instance, or to understand better why certain clients are using a big amount of memory.\n\n';
  s += "I'm here to keep you safe, Sam. I want to help you.\n";
  return s;
}

function cmdMemoryDoctor(c: Client): void {
  c.reply.verbatim(memoryDoctorReport(c.server), 'txt');
}

function cmdMemoryMallocStats(c: Client): void {
  c.reply.verbatim('Stats not supported for the current allocator', 'txt');
}

function cmdMemoryPurge(c: Client): void {
  c.reply.raw(R_OK);
}

const MEMORY_HELP = [
  'MEMORY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
  'DOCTOR',
  '    Return memory problems reports.',
  'MALLOC-STATS',
  '    Return internal statistics report from the memory allocator.',
  'PURGE',
  '    Attempt to purge dirty pages for reclamation by the allocator.',
  'STATS',
  '    Return information about the memory usage of the server.',
  'USAGE <key> [SAMPLES <count>]',
  '    Return memory in bytes used by <key> and its value. Nested values are',
  '    sampled up to <count> times (default: 5, 0 means sample all).',
  'HELP',
  '    Prints this help.',
];

// ---- MONITOR ----

function cmdMonitor(c: Client): void {
  const m: Metrics = c.server.metrics;
  if (c.denyBlocking) {
    // Inside EXEC (or a script) a reply per command is expected.
    c.reply.error("ERR MONITOR isn't allowed for DENY BLOCKING client");
    return;
  }
  // Already monitoring: ignored without a reply, as Redis ignores it.
  if (m.monitors.has(c)) return;
  m.addMonitor(c);
  c.reply.raw(R_OK);
}

export function registerIntrospectionCommands(registry: Registry): void {
  registry.add('slowlog', null);
  registry.add('slowlog|get', cmdSlowlogGet);
  registry.add('slowlog|len', cmdSlowlogLen);
  registry.add('slowlog|reset', cmdSlowlogReset);
  registry.add('slowlog|help', (c) => replyHelp(c, SLOWLOG_HELP));
  registry.add('latency', null);
  registry.add('latency|latest', cmdLatencyLatest);
  registry.add('latency|history', cmdLatencyHistory);
  registry.add('latency|reset', cmdLatencyReset);
  registry.add('latency|doctor', cmdLatencyDoctor);
  registry.add('latency|graph', cmdLatencyGraph);
  registry.add('latency|histogram', cmdLatencyHistogram);
  registry.add('latency|help', (c) => replyHelp(c, LATENCY_HELP));
  registry.add('memory', null);
  registry.add('memory|usage', cmdMemoryUsage);
  registry.add('memory|stats', cmdMemoryStats);
  registry.add('memory|doctor', cmdMemoryDoctor);
  registry.add('memory|malloc-stats', cmdMemoryMallocStats);
  registry.add('memory|purge', cmdMemoryPurge);
  registry.add('memory|help', (c) => replyHelp(c, MEMORY_HELP));
  registry.add('monitor', cmdMonitor);
}
