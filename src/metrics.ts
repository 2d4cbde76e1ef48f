/*
 * Metrics: what the server learns about its own commands as they run. It is the server's
 * CommandObserver (server-state.ts), called by connection.ts once per executed command with its
 * run time, and it holds:
 *
 * - Per-command latency histograms (INFO latencystats, LATENCY HISTOGRAM): the layout of
 *   HdrHistogram as redis-server 7 configures it (hdr_init(1 ns, 1 s, 2 significant digits)):
 *   256 sub-buckets of linear resolution, doubling bucket widths above them, 3072 counters per
 *   command in one Float64Array. Recording is an index computation (Math.clz32) and one
 *   increment; a command's counters are allocated the first time it runs (Redis allocates its
 *   hdr_histogram lazily too), and CONFIG RESETSTAT drops them. Percentiles and the log-2
 *   iteration LATENCY HISTOGRAM prints are ports of hdr_value_at_percentile and the hdr log
 *   iterator, so the bucket boundaries are Redis's (1, 2, 4, 8, 16, 33, 66 ... usec).
 * - SLOWLOG: a ring of entries, newest first, trimmed to slowlog-max-len; an entry (argument
 *   copies, at most 32 arguments of at most 128 bytes, as Redis keeps them) is built only for
 *   a command slower than slowlog-log-slower-than.
 * - LATENCY events: Redis's latency monitor time series (160 samples per event, at most one per
 *   second, keeping the worst), fed with "command" / "fast-command" when a command takes at
 *   least latency-monitor-threshold milliseconds.
 * - MONITOR: the set of monitoring clients. With none, feeding costs one branch; with some, each
 *   executed command is rendered once (Redis's format and sdscatrepr escaping) into a Buffer
 *   shared by every monitor and appended to each monitor's own output buffer, flushed with the
 *   turn's other writes (a monitor running the command gets its reply first, as in Redis).
 * - The instantaneous metrics of INFO stats (ops/sec, input/output kbps): Redis's 16 samples,
 *   one per 100 ms, averaged.
 *
 * Everything on the command path is typed-array arithmetic on preallocated state; allocation
 * happens only for a slow command (slowlog entry), a latency spike, the first call of a
 * command, or while a MONITOR is connected.
 */
import { performance } from 'node:perf_hooks';
import fs from 'node:fs';
import type { Client } from './client.ts';
import type { CommandEntry, Registry } from './registry.ts';
import { CommandFlag } from './registry.ts';
import type { CommandObserver } from './server-state.ts';
import type { ConfigStore } from './config-table.ts';
import type { CachedClock } from './clock.ts';
import type { Keyspace } from '../store/keyspace.ts';
import { parseInt64, parsed } from './numbers.ts';

// ---- HdrHistogram (lowest 1, highest 1e9, 2 significant figures) ----------------------------

/** Counters per histogram: (bucket_count + 1) * sub_bucket_half_count = 24 * 128. */
export const HIST_LEN = 3072;
const SUB_HALF = 128;
const SUB_HALF_MAG = 7;
export const HIST_MIN_NS = 1;
export const HIST_MAX_NS = 1_000_000_000;

/** Bucket of a value below 2^31: log2 of its equivalent-range width. */
function bucketOf(v: number): number {
  return 24 - Math.clz32(v | 255);
}

/** Counter index of a value in [0, 2^31). */
export function histIndex(v: number): number {
  const b = bucketOf(v);
  return ((b + 1) << SUB_HALF_MAG) + ((v >>> b) - SUB_HALF);
}

/** hdr_value_at_index: the lowest value counted at an index. */
export function valueAtIndex(index: number): number {
  let bucket = (index >> SUB_HALF_MAG) - 1;
  let sub = (index & (SUB_HALF - 1)) + SUB_HALF;
  if (bucket < 0) {
    sub -= SUB_HALF;
    bucket = 0;
  }
  return sub * 2 ** bucket;
}

export function lowestEquivalent(v: number): number {
  const b = bucketOf(v);
  return (v >>> b) * 2 ** b;
}

export function highestEquivalent(v: number): number {
  const b = bucketOf(v);
  return (v >>> b) * 2 ** b + 2 ** b - 1;
}

/** hdr_value_at_percentile, in nanoseconds. */
export function valueAtPercentile(counts: Float64Array, total: number, percentile: number): number {
  const requested = percentile < 100 ? percentile : 100;
  let target = Math.floor((requested / 100) * total + 0.5);
  if (target < 1) target = 1;
  let value = 0;
  let sum = 0;
  for (let i = 0; i < HIST_LEN; i++) {
    sum += counts[i];
    if (sum >= target) {
      value = valueAtIndex(i);
      break;
    }
  }
  return percentile === 0 ? lowestEquivalent(value) : highestEquivalent(value);
}

/**
 * LATENCY HISTOGRAM's buckets: Redis walks hdr_iter_log_init(1024 ns, base 2) and replies each
 * step whose cumulative count grew, as [highest equivalent value in usec, cumulative count].
 */
export function logBuckets(counts: Float64Array, total: number): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  let index = -1;
  let cumulative = 0;
  let value = 0;
  let highest = 0;
  let level = 1024;
  let levelLowest = lowestEquivalent(level);
  let previous = 0;
  const moveNext = (): boolean => {
    index++;
    if (index >= HIST_LEN) return false;
    cumulative += counts[index];
    value = valueAtIndex(index);
    highest = highestEquivalent(value);
    return true;
  };
  for (;;) {
    // log_iter_next
    const more = cumulative < total || (index < HIST_LEN && valueAtIndex(index + 1) > levelLowest);
    if (!more) break;
    for (;;) {
      if (value >= levelLowest) {
        level *= 2;
        levelLowest = lowestEquivalent(level);
        break;
      }
      if (!moveNext()) break;
    }
    if (cumulative > previous) out.push([Math.floor(highest / 1000), cumulative]);
    previous = cumulative;
    if (index >= HIST_LEN) break;
  }
  return out;
}

// ---- SLOWLOG ------------------------------------------------------------------------------

const SLOWLOG_ENTRY_MAX_ARGC = 32;
const SLOWLOG_ENTRY_MAX_STRING = 128;
const REDACTED = Buffer.from('(redacted)');

export interface SlowlogEntry {
  readonly id: number;
  /** Unix time, seconds. */
  readonly time: number;
  /** Microseconds. */
  readonly duration: number;
  readonly argv: Buffer[];
  readonly peer: string;
  readonly name: string;
}

// ---- LATENCY ------------------------------------------------------------------------------

export const LATENCY_TS_LEN = 160;

export interface LatencySeries {
  /** Sample times (unix seconds, 0 = empty) and latencies (ms), a ring written at idx. */
  readonly time: Float64Array;
  readonly latency: Float64Array;
  idx: number;
  /** Worst latency ever recorded for the event (ms). */
  max: number;
}

// ---- instantaneous metrics (INFO stats) ----------------------------------------------------

const STATS_METRIC_SAMPLES = 16;
export const METRIC_COMMAND = 0;
export const METRIC_NET_INPUT = 1;
export const METRIC_NET_OUTPUT = 2;
const METRIC_COUNT = 3;

/** Configuration parameters that CONFIG SET redacts in SLOWLOG (Redis's SENSITIVE_CONFIG). */
const SENSITIVE_CONFIGS = new Set(['requirepass', 'masterauth', 'masteruser', 'tls-key-file-pass', 'tls-client-key-file-pass']);

export class Metrics implements CommandObserver {
  /** Per command id: latency counters (null until the command first runs) and their totals. */
  readonly histograms: Array<Float64Array | null>;
  readonly histogramTotals: Float64Array;

  // Settings, kept as numbers for the command path.
  latencyTracking = true;
  /** slowlog-log-slower-than in usec; -1 disables. */
  slowlogSlowerThan = 10000;
  slowlogMaxLen = 128;
  /** latency-monitor-threshold in ms; 0 disables. */
  latencyThreshold = 0;
  /** Runs at least this long (usec) go to slowCommand: the lower of the two thresholds. */
  private attentionUsec = 9999.5;
  /** latency-tracking-info-percentiles as numbers and as INFO prints them. */
  percentiles: number[] = [50, 99, 99.9];
  percentileLabels: string[] = ['50', '99', '99.9'];

  /** Slowlog ring: `slowCount` entries, the newest at `slowHead`. */
  private slowRing: Array<SlowlogEntry | undefined> = new Array(16);
  private slowHead = 0;
  private slowCount = 0;
  private nextSlowlogId = 0;

  /** Latency monitor: event name -> time series, in creation order. */
  readonly latencyEvents = new Map<string, LatencySeries>();

  /** Clients in MONITOR mode. */
  readonly monitors = new Set<Client>();
  private monitorScratch = Buffer.allocUnsafe(1024);

  /** used_memory and the store's table bytes when the server was built (used_memory_startup). */
  startupMemory = 0;
  startupTableBytes = 0;

  private readonly instSamples = new Float64Array(METRIC_COUNT * STATS_METRIC_SAMPLES);
  private readonly instIdx = new Int32Array(METRIC_COUNT);
  private readonly instLastTime = new Float64Array(METRIC_COUNT);
  private readonly instLastValue = new Float64Array(METRIC_COUNT);

  private readonly clock: CachedClock;

  constructor(registry: Registry, config: ConfigStore, clock: CachedClock) {
    const n = registry.all.length;
    this.histograms = new Array<Float64Array | null>(n).fill(null);
    this.histogramTotals = new Float64Array(n);
    this.clock = clock;
    for (const name of ['latency-tracking', 'slowlog-log-slower-than', 'slowlog-max-len', 'latency-monitor-threshold', 'latency-tracking-info-percentiles']) {
      this.applyConfig(name, config.value(name));
    }
    config.onAnyChange((name, value) => this.applyConfig(name, value));
    this.instLastTime.fill(clock.now);
  }

  /** Remember the store's start-up footprint (MEMORY STATS startup.allocated). */
  noteStartup(store: Keyspace): void {
    this.startupMemory = store.usedMemory();
    this.startupTableBytes = storeTableBytes(store);
  }

  applyConfig(name: string, value: string): void {
    switch (name) {
      case 'latency-tracking': this.latencyTracking = value === 'yes'; break;
      case 'slowlog-log-slower-than': this.slowlogSlowerThan = Number(value); this.updateAttention(); break;
      case 'slowlog-max-len': this.slowlogMaxLen = Number(value); break;
      case 'latency-monitor-threshold': this.latencyThreshold = Number(value); this.updateAttention(); break;
      case 'latency-tracking-info-percentiles':
        this.percentileLabels = value.split(' ').filter((w) => w !== '');
        this.percentiles = this.percentileLabels.map(Number);
        break;
      default: break;
    }
  }

  // ---- the command path ----

  afterCommand(client: Client, cmd: CommandEntry, usec: number): void {
    if (this.latencyTracking) this.record(cmd.id, usec);
    if (usec >= this.attentionUsec) this.slowCommand(client, cmd, usec);
    if (this.monitors.size !== 0) this.feedMonitors(client, cmd);
  }

  /** A run long enough for the slowlog or the latency monitor: Redis compares whole microseconds. */
  private slowCommand(client: Client, cmd: CommandEntry, usec: number): void {
    const duration = Math.round(usec);
    const slower = this.slowlogSlowerThan;
    if (slower >= 0 && duration >= slower && (cmd.flags & CommandFlag.SKIP_SLOWLOG) === 0) this.slowlogPush(client, cmd, duration);
    const threshold = this.latencyThreshold;
    if (threshold !== 0 && duration >= threshold * 1000) {
      this.latencyAddSample((cmd.flags & CommandFlag.FAST) !== 0 ? 'fast-command' : 'command', Math.floor(duration / 1000));
    }
  }

  /** The shortest run (usec, before rounding) either the slowlog or the latency monitor wants. */
  private updateAttention(): void {
    const slow = this.slowlogSlowerThan >= 0 ? this.slowlogSlowerThan - 0.5 : Infinity;
    const latency = this.latencyThreshold > 0 ? this.latencyThreshold * 1000 - 0.5 : Infinity;
    this.attentionUsec = Math.min(slow, latency);
  }

  /** Count one run of command `id` that took `usec` microseconds. */
  record(id: number, usec: number): void {
    let counts = this.histograms[id];
    if (counts === null) counts = this.histograms[id] = new Float64Array(HIST_LEN);
    let ns = Math.round(usec * 1000);
    if (ns < HIST_MIN_NS) ns = HIST_MIN_NS;
    else if (ns > HIST_MAX_NS) ns = HIST_MAX_NS;
    counts[histIndex(ns)]++;
    this.histogramTotals[id]++;
  }

  /** CONFIG RESETSTAT: histograms and instantaneous metrics (the server-wide counters are reset by resetStats). */
  resetStats(): void {
    this.histograms.fill(null);
    this.histogramTotals.fill(0);
    this.instSamples.fill(0);
    this.instIdx.fill(0);
    this.instLastTime.fill(this.clock.now);
    this.instLastValue.fill(0);
  }

  // ---- SLOWLOG ----

  get slowlogLength(): number {
    return this.slowCount;
  }

  /** The i-th newest entry (0 = newest), i < slowlogLength. */
  slowlogEntry(i: number): SlowlogEntry {
    const cap = this.slowRing.length;
    return this.slowRing[(this.slowHead - i + cap) % cap]!;
  }

  slowlogReset(): void {
    this.slowRing = new Array(16);
    this.slowHead = 0;
    this.slowCount = 0;
  }

  private slowlogPush(client: Client, cmd: CommandEntry, duration: number): void {
    const argc = client.argc;
    const slargc = argc > SLOWLOG_ENTRY_MAX_ARGC ? SLOWLOG_ENTRY_MAX_ARGC : argc;
    const redact = redactedArguments(client, cmd);
    const argv: Buffer[] = new Array(slargc);
    for (let j = 0; j < slargc; j++) {
      if (slargc !== argc && j === slargc - 1) {
        argv[j] = Buffer.from(`... (${argc - slargc + 1} more arguments)`);
      } else if (redact !== 0 && (j < 31 ? (redact & (1 << j)) !== 0 : redact < 0)) {
        argv[j] = REDACTED;
      } else {
        const off = client.argOff[j];
        const len = client.argLen[j];
        if (len > SLOWLOG_ENTRY_MAX_STRING) {
          const head = client.argBuf.subarray(off, off + SLOWLOG_ENTRY_MAX_STRING);
          argv[j] = Buffer.concat([head, Buffer.from(`... (${len - SLOWLOG_ENTRY_MAX_STRING} more bytes)`)]);
        } else {
          argv[j] = Buffer.from(client.argBuf.subarray(off, off + len));
        }
      }
    }
    const entry: SlowlogEntry = {
      id: this.nextSlowlogId++,
      time: Math.floor(this.clock.now / 1000),
      duration,
      argv,
      peer: client.addr,
      name: client.name,
    };
    const max = this.slowlogMaxLen;
    if (max <= 0) {
      // Redis adds the entry and trims the list back to its (zero) length: the id is spent.
      if (this.slowCount !== 0) this.slowlogReset();
      return;
    }
    while (this.slowCount >= max) this.dropOldest();
    if (this.slowCount === this.slowRing.length) this.growRing();
    const cap = this.slowRing.length;
    this.slowHead = (this.slowHead + 1) % cap;
    this.slowRing[this.slowHead] = entry;
    this.slowCount++;
  }

  private dropOldest(): void {
    const cap = this.slowRing.length;
    this.slowRing[(this.slowHead - this.slowCount + 1 + cap) % cap] = undefined;
    this.slowCount--;
  }

  private growRing(): void {
    const next: Array<SlowlogEntry | undefined> = new Array(this.slowRing.length * 2);
    // Oldest first at 0 .. count-1, newest at count-1.
    for (let i = 0; i < this.slowCount; i++) next[this.slowCount - 1 - i] = this.slowlogEntry(i);
    this.slowRing = next;
    this.slowHead = this.slowCount - 1;
  }

  // ---- LATENCY ----

  /** latencyAddSample: at most one sample per second per event, keeping the worst. */
  latencyAddSample(event: string, ms: number): void {
    let ts = this.latencyEvents.get(event);
    if (ts === undefined) {
      ts = { time: new Float64Array(LATENCY_TS_LEN), latency: new Float64Array(LATENCY_TS_LEN), idx: 0, max: 0 };
      this.latencyEvents.set(event, ts);
    }
    const now = Math.floor(this.clock.now / 1000);
    if (ms > ts.max) ts.max = ms;
    const prev = (ts.idx + LATENCY_TS_LEN - 1) % LATENCY_TS_LEN;
    if (ts.time[prev] === now) {
      if (ms > ts.latency[prev]) ts.latency[prev] = ms;
      return;
    }
    ts.time[ts.idx] = now;
    ts.latency[ts.idx] = ms;
    ts.idx = (ts.idx + 1) % LATENCY_TS_LEN;
  }

  /** LATENCY RESET: all events (null) or the named one (case-insensitive); how many were dropped. */
  latencyReset(event: string | null): number {
    let resets = 0;
    for (const name of [...this.latencyEvents.keys()]) {
      if (event === null || name.toLowerCase() === event.toLowerCase()) {
        this.latencyEvents.delete(name);
        resets++;
      }
    }
    return resets;
  }

  // ---- MONITOR ----

  addMonitor(client: Client): void {
    if (this.monitors.has(client)) return;
    this.monitors.add(client);
    client.socket.once('close', () => this.monitors.delete(client));
  }

  private feedMonitors(client: Client, cmd: CommandEntry): void {
    if (cmd.name === 'reset' && cmd.parent === null) this.monitors.delete(client);
    if ((cmd.flags & (CommandFlag.ADMIN | CommandFlag.SKIP_MONITOR)) !== 0 || this.monitors.size === 0) return;
    const line = this.renderMonitorLine(client, cmd);
    for (const monitor of this.monitors) {
      if (monitor.closed) {
        this.monitors.delete(monitor);
        continue;
      }
      if (monitor.closeAfterReply) continue;
      // Appended to the monitor's own output: its lines of one turn leave in one write, and
      // its output limits apply (output.ts).
      monitor.reply.raw(line);
      monitor.queueOutput();
    }
  }

  /** `+<sec>.<usec> [<db> <addr>] "arg" ...\r\n`, arguments escaped as sdscatrepr does. */
  renderMonitorLine(client: Client, cmd: CommandEntry): Buffer {
    const t = performance.timeOrigin + performance.now();
    const sec = Math.floor(t / 1000);
    let usec = Math.floor((t - sec * 1000) * 1000);
    if (usec > 999999) usec = 999999;
    const head = `+${sec}.${String(usec).padStart(6, '0')} [${client.db} ${client.addr}] `;
    const redact = redactedArguments(client, cmd);
    let need = head.length + 2;
    for (let j = 0; j < client.argc; j++) need += client.argLen[j] * 4 + 3;
    if (this.monitorScratch.length < need) this.monitorScratch = Buffer.allocUnsafe(need * 2);
    const out = this.monitorScratch;
    let p = out.write(head, 0, 'latin1');
    for (let j = 0; j < client.argc; j++) {
      if (j !== 0) out[p++] = 32;
      if (redact !== 0 && (j < 31 ? (redact & (1 << j)) !== 0 : redact < 0)) {
        p += out.write('"(redacted)"', p, 'latin1');
        continue;
      }
      p = catRepr(out, p, client.argBuf, client.argOff[j], client.argLen[j]);
    }
    out[p++] = 13;
    out[p++] = 10;
    return Buffer.from(out.subarray(0, p));
  }

  // ---- instantaneous metrics ----

  /** trackInstantaneousMetric for the three INFO rates; call about every 100 ms. */
  sampleInstantaneous(now: number, commands: number, netInput: number, netOutput: number): void {
    this.trackMetric(METRIC_COMMAND, commands, now);
    this.trackMetric(METRIC_NET_INPUT, netInput, now);
    this.trackMetric(METRIC_NET_OUTPUT, netOutput, now);
  }

  private trackMetric(metric: number, current: number, now: number): void {
    const elapsed = now - this.instLastTime[metric];
    if (elapsed <= 0) return;
    const ops = current - this.instLastValue[metric];
    const perSec = ops > 0 ? (ops * 1000) / elapsed : 0;
    const base = metric * STATS_METRIC_SAMPLES;
    this.instSamples[base + this.instIdx[metric]] = Math.floor(perSec);
    this.instIdx[metric] = (this.instIdx[metric] + 1) % STATS_METRIC_SAMPLES;
    this.instLastTime[metric] = now;
    this.instLastValue[metric] = current;
  }

  /** getInstantaneousMetric: the mean of the last 16 samples (integer division, as in C). */
  instantaneous(metric: number): number {
    let sum = 0;
    const base = metric * STATS_METRIC_SAMPLES;
    for (let i = 0; i < STATS_METRIC_SAMPLES; i++) sum += this.instSamples[base + i];
    return Math.floor(sum / STATS_METRIC_SAMPLES);
  }
}

/**
 * Which arguments Redis replaces with "(redacted)" in MONITOR and SLOWLOG, as a bit mask over
 * argument positions (0 when none): AUTH's credentials, HELLO's AUTH pair, ACL SETUSER's
 * arguments, CONFIG SET's values of sensitive parameters. Mirrors where authCommand, helloCommand and configSetCommand call
 * redactClientCommandArgument, including the early returns that leave arguments as they are.
 */
export function redactedArguments(client: Client, cmd: CommandEntry): number {
  const argc = client.argc;
  if (cmd.parent === null) {
    if (cmd.name === 'auth') {
      if (argc > 3) return 0;
      return argc === 3 ? 0b110 : 0b10;
    }
    if (cmd.name === 'hello') {
      let j = 1;
      if (argc >= 2) {
        if (!parseInt64(client.argBuf, client.argOff[1], client.argLen[1])) return 0;
        if (parsed.isBig || parsed.num < 2 || parsed.num > 3) return 0;
        j = 2;
      }
      let mask = 0;
      for (; j < argc; j++) {
        const more = argc - 1 - j;
        if (client.argIs(j, 'auth') && more >= 2) {
          if (j + 2 < 31) mask |= (1 << (j + 1)) | (1 << (j + 2));
          j += 2;
        } else if (client.argIs(j, 'setname') && more >= 1) {
          j++;
        } else {
          break;
        }
      }
      return mask;
    }
    return 0;
  }
  // ACL SETUSER: the user name and every rule (passwords among them); the sign bit stands for
  // every argument from the 31st on.
  if (cmd.parent.name === 'acl' && cmd.name === 'setuser') return ~0b11;
  if (cmd.parent.name === 'config' && cmd.name === 'set') {
    if (argc < 4 || argc % 2 !== 0) return 0;
    let mask = 0;
    for (let j = 2; j + 1 < argc && j + 1 < 31; j += 2) {
      if (SENSITIVE_CONFIGS.has(client.argLower(j))) mask |= 1 << (j + 1);
    }
    return mask;
  }
  return 0;
}

const HEX = '0123456789abcdef';

/** sdscatrepr: a quoted, escaped copy of bytes[off .. off+len) at out[p]; returns the new end. */
export function catRepr(out: Uint8Array, p: number, bytes: Uint8Array, off: number, len: number): number {
  out[p++] = 34;
  for (let i = off; i < off + len; i++) {
    const ch = bytes[i];
    switch (ch) {
      case 92: case 34: out[p++] = 92; out[p++] = ch; break;
      case 10: out[p++] = 92; out[p++] = 110; break;
      case 13: out[p++] = 92; out[p++] = 114; break;
      case 9: out[p++] = 92; out[p++] = 116; break;
      case 7: out[p++] = 92; out[p++] = 97; break;
      case 8: out[p++] = 92; out[p++] = 98; break;
      default:
        if (ch >= 32 && ch <= 126) out[p++] = ch;
        else {
          out[p++] = 92;
          out[p++] = 120;
          out[p++] = HEX.charCodeAt(ch >> 4);
          out[p++] = HEX.charCodeAt(ch & 15);
        }
    }
  }
  out[p++] = 34;
  return p;
}

/**
 * The store's bookkeeping tables (entry records and cold words, free-id stacks, key indexes,
 * volatile sets, expiry wheels): what Redis would call dict overhead. O(shards); computed from
 * the tables' sizes as the store's memory meter charges them.
 */
export function storeTableBytes(store: Keyspace): number {
  let bytes = 0;
  for (const shard of store.shards) {
    bytes += shard.table.bytes() + shard.index.bytes() + shard.vol.byteLength + shard.wheel.heads.byteLength * 2;
  }
  return bytes;
}

/** The anonymous huge pages of this process (LATENCY DOCTOR's THP advice), 0 when unknown. */
export function anonHugePagesBytes(): number {
  try {
    const text = fs.readFileSync('/proc/self/smaps_rollup', 'latin1');
    const m = /^AnonHugePages:\s+(\d+) kB/m.exec(text);
    return m === null ? 0 : Number(m[1]) * 1024;
  } catch {
    return 0;
  }
}
