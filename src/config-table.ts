/*
 * Every configuration parameter redis-server 7.0.15 knows, declared once (CONFIG_PARAMS), and
 * the store of their current values (ConfigStore) behind CONFIG GET, CONFIG SET and redis.conf
 * files.
 *
 * Each parameter has a name, an optional alias (slave-* for replica-*, *-ziplist-* for
 * *-listpack-*, ...), a type (yes/no bool, string, enum, numeric, or special), its default as
 * CONFIG GET prints it on a default redis-server 7.0.15, and flags: IMMUTABLE (settable only
 * from the configuration, never by CONFIG SET), PROTECTED (CONFIG SET only when
 * enable-protected-configs allows), HIDDEN (CONFIG GET patterns skip it; its exact name still
 * works) and MULTI_ARG (CONFIG SET splits the value at spaces; a config-file line passes all its
 * arguments).
 *
 * Invariant: the store holds each parameter's value as the exact string CONFIG GET prints
 * ("536870912" for 512mb, "10%" for a percent, "777" for an octal), so reading, comparing and
 * rolling back are string operations; number(), flag() and clientOutputBufferLimit() parse
 * that string for the runtime. Numbers are parsed and range-checked in BigInt with the C
 * semantics Redis applies (memtoull's saturation and 64-bit wrap-around, string2ll's strictness,
 * strtoll in save and client-output-buffer-limit, int truncation), so values and error texts
 * match redis-server's, which test/config-table.test.ts checks against a live one.
 *
 * CONFIG SET is all-or-nothing, as in Redis 7.0: every name is checked first (unknown,
 * immutable, protected, duplicate: the first problem is reported), then each value is
 * validated and stored in order (the first invalid one restores the previous values), then,
 * for each parameter whose value changed, Redis's own apply step (ParamDef.apply) and the
 * listeners (onChange, onAnyChange) run; either may refuse (a listener, say, a port it cannot
 * listen on) by returning an error text, which restores every value and re-runs the listeners
 * with the old ones. Loading a configuration file runs neither: it happens before the runtime
 * starts, which then reads the values (as redis-server does).
 *
 * A few parameters are slabcache's own (shards, metrics-port, metrics-tls, http-api-token,
 * http-api-max-body-size): hidden from patterns, so `CONFIG GET *` lists exactly
 * redis-server's parameters.
 *
 * Costs: control-plane only. A CONFIG GET pattern scans the ~190 names; nothing here runs per
 * data command (the runtime copies what it needs in its listeners).
 */
import fs from 'node:fs';
import path from 'node:path';
import { globMatchString } from './glob.ts';
import { splitArgs } from './split-args.ts';

export const IMMUTABLE = 1;
export const PROTECTED = 2;
export const HIDDEN = 4;
export const MULTI_ARG = 8;

const INT_MIN = -2147483648n;
const INT_MAX = 2147483647n;
const UINT_MAX = 4294967295n;
const LLONG_MAX = 9223372036854775807n;
const ULLONG_MAX = 18446744073709551615n;

/** A setter's rejection; `error` is the text after "CONFIG SET failed (...) - ". */
interface Invalid {
  readonly error: string;
}
type SetResult = string | Invalid;

interface SetContext {
  readonly store: ConfigStore;
  /** The parameter's value before this directive. */
  readonly current: string;
  /** A config file's second and later `save` lines add to the first instead of replacing it. */
  readonly appendSave: boolean;
}

/** How an integer parameter is written: plain, memory (100mb), memory or percent (10%), or octal. */
export type NumericForm = 'integer' | 'memory' | 'memory-percent' | 'octal';

export type ParamType =
  | { readonly kind: 'bool'; readonly check?: (yes: boolean) => string | null }
  | { readonly kind: 'string'; readonly check?: (value: string, store: ConfigStore) => string | null }
  | {
    readonly kind: 'enum';
    /** Legal names and their values; several names may share a value (the first one prints). */
    readonly values: ReadonlyArray<readonly [string, number]>;
    /** The value is a set of flags: several names, OR-ed (shutdown-on-sigint). */
    readonly bitflags?: boolean;
    readonly check?: (value: number) => string | null;
  }
  | {
    readonly kind: 'numeric';
    readonly form: NumericForm;
    /** Bounds, inclusive; compared as unsigned 64-bit numbers when `unsigned` (C unsigned types). */
    readonly min: bigint;
    readonly max: bigint;
    readonly unsigned?: boolean;
    /** What the number counts, for documentation (memory values count bytes). */
    readonly unit?: 'seconds' | 'milliseconds' | 'microseconds' | 'minutes' | 'bytes';
    /** Applied after a successful set, as Redis caps hz into 1..500. */
    readonly clamp?: readonly [bigint, bigint];
    readonly check?: (value: bigint) => string | null;
  }
  | { readonly kind: 'special'; readonly set: (args: readonly string[], ctx: SetContext) => SetResult };

export interface ParamDef {
  readonly name: string;
  readonly alias?: string;
  readonly flags: number;
  /** As CONFIG GET prints it on a default redis-server 7.0.15 ("dir" prints the working directory). */
  readonly default: string;
  readonly type: ParamType;
  /**
   * Redis's "apply" step, run by CONFIG SET (not by configuration files) once every value is
   * set: returns the value to keep (Redis raises repl-backlog-size to 16kb there) or refuses.
   */
  readonly apply?: (value: string) => SetResult;
  /** How CONFIG GET prints the kept value, when the two differ (notify-keyspace-events). */
  readonly show?: (value: string) => string;
}

// ---------------------------------------------------------------------------------------------
// C number parsing, as Redis does it.

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

/** C isspace. */
function isSpace(c: number): boolean {
  return c === 32 || (c >= 9 && c <= 13);
}

/**
 * Redis's memtoull: digits and an optional unit b, k (1000), kb (1024), m, mb, g, gb, any case.
 * An empty number counts as 0, an overlong one saturates at 2^64-1, and the product wraps
 * modulo 2^64, all as in Redis. Null when invalid.
 */
function memtoull(text: string): bigint | null {
  if (text.startsWith('-')) return null;
  let u = 0;
  while (u < text.length && isDigit(text.charCodeAt(u))) u++;
  let mul: bigint;
  switch (text.slice(u).toLowerCase()) {
    case '': case 'b': mul = 1n; break;
    case 'k': mul = 1000n; break;
    case 'kb': mul = 1024n; break;
    case 'm': mul = 1000n * 1000n; break;
    case 'mb': mul = 1024n * 1024n; break;
    case 'g': mul = 1000n * 1000n * 1000n; break;
    case 'gb': mul = 1024n * 1024n * 1024n; break;
    default: return null;
  }
  if (u >= 128) return null;
  let value = u === 0 ? 0n : BigInt(text.slice(0, u));
  if (value > ULLONG_MAX) value = ULLONG_MAX;
  return BigInt.asUintN(64, value * mul);
}

/**
 * A memory value as Redis parses it (100mb = 104857600, 5k = 5000, 1GB = 1073741824), or -1
 * when invalid. Values above 2^53 lose precision as JS numbers do.
 */
export function parseMemory(text: string): number {
  const v = memtoull(text);
  return v === null ? -1 : Number(v);
}

/** Redis's string2ll: the whole text is a canonical signed 64-bit decimal (no sign, space or leading zero). */
function string2ll(text: string): bigint | null {
  if (text.length === 0 || text.length >= 21 || !/^(0|-?[1-9][0-9]*)$/.test(text)) return null;
  const v = BigInt(text);
  return v > LLONG_MAX || v < -LLONG_MAX - 1n ? null : v;
}

/** C strtoll: leading spaces, a sign, digits; saturates on overflow. `end` is 0 when no digit was read. */
function strtoll(text: string, base: 8 | 10): { value: bigint; end: number; overflow: boolean } {
  let i = 0;
  while (i < text.length && isSpace(text.charCodeAt(i))) i++;
  let negative = false;
  if (text[i] === '+' || text[i] === '-') negative = text[i++] === '-';
  const start = i;
  let value = 0n;
  while (i < text.length) {
    const d = text.charCodeAt(i) - 48;
    if (d < 0 || d >= base) break;
    value = value * BigInt(base) + BigInt(d);
    i++;
  }
  if (i === start) return { value: 0n, end: 0, overflow: false };
  if (negative) value = -value;
  const overflow = value > LLONG_MAX || value < -LLONG_MAX - 1n;
  if (overflow) value = negative ? -LLONG_MAX - 1n : LLONG_MAX;
  return { value, end: i, overflow };
}

/** strtoll over the whole text (C's `*eptr == '\0'` check); null otherwise. */
function strtollWhole(text: string): bigint | null {
  const r = strtoll(text, 10);
  return r.end === text.length ? r.value : null;
}

/** C strtod over the whole text with Redis's string2d rules (no leading space, no NaN, no overflow or underflow to 0). */
function string2d(text: string): number | null {
  if (text.length === 0 || isSpace(text.charCodeAt(0))) return null;
  let v: number;
  if (/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(text)) {
    v = Number(text);
    if (!Number.isFinite(v) || (v === 0 && /[1-9]/.test(text.replace(/e.*$/i, '')))) return null;
  } else if (/^[+-]?(inf|infinity)$/i.test(text)) {
    v = text.startsWith('-') ? -Infinity : Infinity;
  } else {
    const hex = /^([+-]?)0x([0-9a-f]*)\.?([0-9a-f]*)(?:p([+-]?\d+))?$/i.exec(text);
    if (hex === null || hex[2]! + hex[3]! === '') return null;
    const digits = hex[2]! + hex[3]!;
    v = parseInt(digits, 16) * 2 ** (Number(hex[4] ?? '0') - 4 * hex[3]!.length);
    if (hex[1] === '-') v = -v;
    if (!Number.isFinite(v) || (v === 0 && /[1-9a-f]/i.test(digits))) return null;
  }
  return v;
}

/** printf("%f") of a double (exact binary value, ties to even), then Redis's trimDoubleString. */
function formatPercentile(x: number): string {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, x);
  const bits = view.getBigUint64(0);
  const negative = bits >> 63n === 1n;
  const exp = Number((bits >> 52n) & 0x7ffn);
  const frac = bits & ((1n << 52n) - 1n);
  // |x| = mant * 2^e exactly.
  const mant = exp === 0 ? frac : frac | (1n << 52n);
  const e = (exp === 0 ? -1074 : exp - 1075);
  let micros: bigint;
  if (e >= 0) {
    micros = mant * 1_000_000n << BigInt(e);
  } else {
    const num = mant * 1_000_000n;
    const den = 1n << BigInt(-e);
    micros = num / den;
    const twice = (num % den) * 2n;
    if (twice > den || (twice === den && (micros & 1n) === 1n)) micros++;
  }
  const s = micros.toString().padStart(7, '0');
  const fixed = `${negative ? '-' : ''}${s.slice(0, -6)}.${s.slice(-6)}`;
  return fixed.replace(/0+$/, '').replace(/\.$/, '');
}

// ---------------------------------------------------------------------------------------------
// Special parameters.

const INVALID_SAVE: Invalid = { error: 'Invalid save parameters' };

function setSave(args: readonly string[], ctx: SetContext): SetResult {
  // A single "" means no save points, and always resets (also in a file).
  const reset = args.length === 1 && args[0] === '';
  const list = reset ? [] : args;
  if (list.length % 2 !== 0) return INVALID_SAVE;
  const pairs: string[] = [];
  for (let j = 0; j < list.length; j++) {
    const v = strtollWhole(list[j]!);
    if (v === null || (j % 2 === 0 ? v < 1n : v < 0n)) return INVALID_SAVE;
    pairs.push(String(j % 2 === 0 ? v : BigInt.asIntN(32, v))); // seconds: time_t; changes: int
  }
  if (reset || !ctx.appendSave || ctx.current === '') return pairs.join(' ');
  return pairs.length === 0 ? ctx.current : `${ctx.current} ${pairs.join(' ')}`;
}

const OBUF_CLASSES = ['normal', 'slave', 'pubsub'] as const;
export type OutputBufferClass = 'normal' | 'replica' | 'pubsub';

function setClientOutputBufferLimit(args: readonly string[], ctx: SetContext): SetResult {
  if (args.length % 4 !== 0) return { error: 'Wrong number of arguments in buffer limit configuration.' };
  const classes = parseOutputBufferLimits(ctx.current);
  for (let j = 0; j < args.length; j += 4) {
    const name = args[j]!.toLowerCase();
    const cls = name === 'normal' ? 0 : name === 'slave' || name === 'replica' ? 1 : name === 'pubsub' ? 2 : -1;
    if (cls < 0) return { error: 'Invalid client class specified in buffer limit configuration.' };
    const hard = memtoull(args[j + 1]!);
    const soft = memtoull(args[j + 2]!);
    const seconds = strtollWhole(args[j + 3]!);
    const secondsInt = seconds === null ? -1n : BigInt.asIntN(32, seconds); // stored in an int
    if (hard === null || soft === null || secondsInt < 0n) {
      return { error: 'Error in hard, soft or soft_seconds setting in buffer limit configuration.' };
    }
    classes[cls] = [hard, soft, secondsInt];
  }
  return classes.map((c, i) => `${OBUF_CLASSES[i]} ${c[0]} ${c[1]} ${c[2]}`).join(' ');
}

/** The printed client-output-buffer-limit value as [hard, soft, seconds] per class. */
function parseOutputBufferLimits(value: string): Array<[bigint, bigint, bigint]> {
  const f = value.split(' ');
  return OBUF_CLASSES.map((_, i) => [BigInt(f[4 * i + 1]!), BigInt(f[4 * i + 2]!), BigInt(f[4 * i + 3]!)]);
}

function setOomScoreAdjValues(args: readonly string[]): SetResult {
  if (args.length !== 3) return { error: 'wrong number of arguments' };
  const values: bigint[] = [];
  for (const a of args) {
    const v = strtollWhole(a);
    if (v === null || v < -2000n || v > 2000n) {
      return { error: 'Invalid oom-score-adj-values, elements must be between -2000 and 2000.' };
    }
    values.push(v);
  }
  return values.join(' ');
}

/** notify-keyspace-events classes, in the order Redis prints them after A (K, E and m print last). */
const NOTIFY = { K: 1, E: 2, g: 4, $: 8, l: 16, s: 32, h: 64, z: 128, x: 256, e: 512, t: 1024, m: 2048, d: 8192, n: 16384 } as const;
const NOTIFY_ALL = NOTIFY.g | NOTIFY.$ | NOTIFY.l | NOTIFY.s | NOTIFY.h | NOTIFY.z | NOTIFY.x | NOTIFY.e | NOTIFY.t | NOTIFY.d;

function setNotifyKeyspaceEvents(args: readonly string[]): SetResult {
  if (args.length !== 1) return { error: 'wrong number of arguments' };
  let flags = 0;
  for (const c of args[0]!) {
    if (c === 'A') flags |= NOTIFY_ALL;
    else if (Object.hasOwn(NOTIFY, c)) flags |= NOTIFY[c as keyof typeof NOTIFY];
    else return { error: "Invalid event class character. Use 'Ag$lshzxeKEtmdn'." };
  }
  let out = '';
  // Redis prints A without n (n is not part of A) but keeps n: the kept value does too.
  if ((flags & NOTIFY_ALL) === NOTIFY_ALL) out = (flags & NOTIFY.n) !== 0 ? 'An' : 'A';
  else for (const c of 'g$lshzxetdn') if (flags & NOTIFY[c as keyof typeof NOTIFY]) out += c;
  for (const c of 'KEm') if (flags & NOTIFY[c as keyof typeof NOTIFY]) out += c;
  return out;
}

function setBind(args: readonly string[]): SetResult {
  if (args.length > 16) return { error: 'Too many bind addresses specified.' };
  return args.length === 1 && args[0] === '' ? '' : args.join(' ');
}

function setReplicaOf(args: readonly string[]): SetResult {
  if (args.length !== 2) return { error: 'wrong number of arguments' };
  if (args[0]!.toLowerCase() === 'no' && args[1]!.toLowerCase() === 'one') return '';
  const port = strtollWhole(args[1]!);
  const portInt = port === null ? -1n : BigInt.asIntN(32, port); // strtol into an int
  if (portInt < 0n || portInt > 65535n) return { error: 'Invalid master port' };
  return `${args[0]} ${portInt}`;
}

function setLatencyPercentiles(args: readonly string[]): SetResult {
  const list = args.length === 1 && args[0] === '' ? [] : args;
  const out: string[] = [];
  for (const a of list) {
    const p = string2d(a);
    if (p === null || Number.isNaN(p)) return { error: 'Invalid latency-tracking-info-percentiles parameters' };
    if (p > 100 || p < 0) return { error: 'latency-tracking-info-percentiles parameters should sit between [0.0,100.0]' };
    out.push(formatPercentile(p));
  }
  return out.join(' ');
}

const ERRNO_TEXT: Record<string, string> = {
  ENOENT: 'No such file or directory',
  ENOTDIR: 'Not a directory',
  EACCES: 'Permission denied',
  ELOOP: 'Too many levels of symbolic links',
  ENAMETOOLONG: 'File name too long',
};

/** dir: like chdir, relative to the current dir, which must exist and be searchable. */
function setDir(args: readonly string[], ctx: SetContext): SetResult {
  if (args.length !== 1) return { error: 'wrong number of arguments' };
  if (args[0] === '') return { error: ERRNO_TEXT['ENOENT']! };
  try {
    const dir = fs.realpathSync(path.resolve(ctx.current, args[0]!));
    if (!fs.statSync(dir).isDirectory()) return { error: ERRNO_TEXT['ENOTDIR']! };
    fs.accessSync(dir, fs.constants.X_OK);
    return dir;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? '';
    return { error: ERRNO_TEXT[code] ?? code };
  }
}

// ---------------------------------------------------------------------------------------------
// String checks.

function isBaseName(value: string): boolean {
  return !value.includes('/') && !value.includes('\\');
}

function checkHostname(value: string): string | null {
  if (value.length >= 256) return 'Hostnames must be less than 256 characters';
  if (!/^[A-Za-z0-9.-]*$/.test(value)) return 'Hostnames may only contain alphanumeric characters, hyphens or dots';
  return null;
}

/** Redis's proc-title-template check: known {variables}, balanced braces, not blank once expanded. */
function checkProcTitleTemplate(template: string, store: ConfigStore): string | null {
  const port = store.value('port');
  const tlsPort = store.value('tls-port');
  const vars: Record<string, string> = {
    'title': '',
    'listen-addr': port !== '0' || tlsPort !== '0'
      ? `${store.value('bind').split(' ')[0] || '*'}:${port !== '0' ? port : tlsPort}`
      : `unixsocket:${store.value('unixsocket')}`,
    'server-mode': store.flag('cluster-enabled') ? '[cluster]' : '',
    'config-file': '-',
    'port': port,
    'tls-port': tlsPort,
    'unixsocket': store.value('unixsocket'),
  };
  let out = '';
  let p = 0;
  const invalid = 'template format is invalid or contains unknown variables';
  while (p < template.length) {
    const open = template.indexOf('{', p);
    if (open < 0) {
      out += template.slice(p);
      break;
    }
    out += template.slice(p, open);
    if (open + 1 === template.length) return invalid;
    if (template[open + 1] === '{') {
      out += '{';
      p = open + 2;
      continue;
    }
    const close = template.indexOf('}', open + 1);
    if (close < 0) return invalid;
    const name = template.slice(open + 1, close);
    if (!Object.hasOwn(vars, name)) return invalid;
    out += vars[name];
    p = close + 1;
  }
  return out.replace(/^ +| +$/g, '') === '' ? invalid : null;
}

// ---------------------------------------------------------------------------------------------
// The table, in redis-server 7.0's declaration order.

function bool(name: string, def: 'yes' | 'no', flags = 0, alias?: string, check?: (yes: boolean) => string | null): ParamDef {
  return { name, alias, flags, default: def, type: { kind: 'bool', check } };
}
function str(name: string, def: string, flags = 0, alias?: string, check?: (value: string, store: ConfigStore) => string | null): ParamDef {
  return { name, alias, flags, default: def, type: { kind: 'string', check } };
}
function oneOf(name: string, names: readonly string[], def: string, flags = 0): ParamDef {
  return { name, flags, default: def, type: { kind: 'enum', values: names.map((n, i) => [n, i] as const) } };
}
function int(
  name: string, def: number, min: bigint, max: bigint, flags = 0,
  extra: {
    alias?: string; unit?: 'seconds' | 'milliseconds' | 'microseconds' | 'minutes'; unsigned?: boolean;
    clamp?: readonly [bigint, bigint]; check?: (value: bigint) => string | null;
  } = {},
): ParamDef {
  const { alias, ...type } = extra;
  return { name, alias, flags, default: String(def), type: { kind: 'numeric', form: 'integer', min, max, ...type } };
}
function mem(name: string, def: number, min: bigint, max: bigint, unsigned: boolean, alias?: string): ParamDef {
  return { name, alias, flags: 0, default: String(def), type: { kind: 'numeric', form: 'memory', min, max, unsigned, unit: 'bytes' } };
}
/** A parameter's value as CONFIG GET prints it. */
function shown(index: number, value: string): string {
  const show = CONFIG_PARAMS[index]!.show;
  return show === undefined ? value : show(value);
}

function special(name: string, def: string, flags: number, set: (args: readonly string[], ctx: SetContext) => SetResult, alias?: string): ParamDef {
  return { name, alias, flags, default: def, type: { kind: 'special', set } };
}

function refuseTls(off: string): (value: string) => SetResult {
  return (value) => (value === off ? value : { error: 'Unable to update TLS configuration. Check server logs.' });
}

const PROTECTED_ACTION = ['no', 'yes', 'local'] as const;
const SHUTDOWN_FLAGS = [['default', 0], ['save', 1], ['nosave', 2], ['now', 4], ['force', 8]] as const;
function checkShutdownFlags(v: number): string | null {
  return (v & 1) !== 0 && (v & 2) !== 0 ? "shutdown options SAVE and NOSAVE can't be used simultaneously" : null;
}

const I = IMMUTABLE;
const SECONDS = { unit: 'seconds' } as const;

export const CONFIG_PARAMS: readonly ParamDef[] = [
  // Bool
  bool('rdbchecksum', 'yes', I),
  bool('daemonize', 'no', I),
  bool('io-threads-do-reads', 'no', I),
  bool('always-show-logo', 'no', I),
  bool('protected-mode', 'yes'),
  bool('rdbcompression', 'yes'),
  bool('rdb-del-sync-files', 'no'),
  bool('activerehashing', 'yes'),
  bool('stop-writes-on-bgsave-error', 'yes'),
  bool('set-proc-title', 'yes', I),
  bool('dynamic-hz', 'yes'),
  bool('lazyfree-lazy-eviction', 'no'),
  bool('lazyfree-lazy-expire', 'no'),
  bool('lazyfree-lazy-server-del', 'no'),
  bool('lazyfree-lazy-user-del', 'no'),
  bool('lazyfree-lazy-user-flush', 'no'),
  bool('repl-disable-tcp-nodelay', 'no'),
  bool('repl-diskless-sync', 'yes'),
  bool('aof-rewrite-incremental-fsync', 'yes'),
  bool('no-appendfsync-on-rewrite', 'no'),
  bool('cluster-require-full-coverage', 'yes'),
  bool('rdb-save-incremental-fsync', 'yes'),
  bool('aof-load-truncated', 'yes'),
  bool('aof-use-rdb-preamble', 'yes'),
  bool('aof-timestamp-enabled', 'no'),
  bool('cluster-replica-no-failover', 'no', 0, 'cluster-slave-no-failover'),
  bool('replica-lazy-flush', 'no', 0, 'slave-lazy-flush'),
  bool('replica-serve-stale-data', 'yes', 0, 'slave-serve-stale-data'),
  bool('replica-read-only', 'yes', 0, 'slave-read-only'),
  bool('replica-ignore-maxmemory', 'yes', 0, 'slave-ignore-maxmemory'),
  bool('jemalloc-bg-thread', 'yes'),
  // The reference build (Debian's, with the system jemalloc) has no active defrag; nor has slabcache.
  bool('activedefrag', 'no', 0, undefined, (yes) => yes
    ? 'Active defragmentation cannot be enabled: it requires a Redis server compiled with a modified Jemalloc like the one shipped by default with the Redis source distribution'
    : null),
  bool('syslog-enabled', 'no', I),
  bool('cluster-enabled', 'no', I),
  bool('appendonly', 'no'),
  bool('cluster-allow-reads-when-down', 'no'),
  bool('cluster-allow-pubsubshard-when-down', 'yes'),
  bool('crash-log-enabled', 'yes'),
  bool('crash-memcheck-enabled', 'yes'),
  bool('use-exit-on-panic', 'no', HIDDEN),
  bool('disable-thp', 'yes', I),
  bool('cluster-allow-replica-migration', 'yes'),
  bool('replica-announced', 'yes'),
  bool('latency-tracking', 'yes'),
  bool('aof-disable-auto-gc', 'no'),
  bool('replica-ignore-disk-write-errors', 'no'),

  // String
  str('aclfile', '', I),
  str('unixsocket', '', I),
  str('pidfile', '', I),
  str('replica-announce-ip', '', 0, 'slave-announce-ip'),
  str('masteruser', ''),
  str('cluster-announce-ip', ''),
  str('cluster-config-file', 'nodes.conf', I),
  str('cluster-announce-hostname', '', 0, undefined, checkHostname),
  str('syslog-ident', 'redis', I),
  str('dbfilename', 'dump.rdb', PROTECTED, undefined,
    (v) => (isBaseName(v) ? null : "dbfilename can't be a path, just a filename")),
  str('appendfilename', 'appendonly.aof', I, undefined, (v) => v === ''
    ? "appendfilename can't be empty"
    : isBaseName(v) ? null : "appendfilename can't be a path, just a filename"),
  str('appenddirname', 'appendonlydir', I, undefined, (v) => v === ''
    ? "appenddirname can't be empty"
    : isBaseName(v) ? null : "appenddirname can't be a path, just a dirname"),
  str('server_cpulist', '', I),
  str('bio_cpulist', '', I),
  str('aof_rewrite_cpulist', '', I),
  str('bgsave_cpulist', '', I),
  str('ignore-warnings', ''),
  str('proc-title-template', '{title} {listen-addr} {server-mode}', 0, undefined, checkProcTitleTemplate),
  str('bind-source-addr', ''),
  str('logfile', '', I),
  str('masterauth', ''),
  str('requirepass', ''),

  // Enum
  oneOf('supervised', ['upstart', 'systemd', 'auto', 'no'], 'no', I),
  oneOf('syslog-facility', ['user', 'local0', 'local1', 'local2', 'local3', 'local4', 'local5', 'local6', 'local7'], 'local0', I),
  oneOf('repl-diskless-load', ['disabled', 'on-empty-db', 'swapdb'], 'disabled'),
  oneOf('loglevel', ['debug', 'verbose', 'notice', 'warning'], 'notice'),
  oneOf('maxmemory-policy', ['volatile-lru', 'volatile-lfu', 'volatile-random', 'volatile-ttl', 'allkeys-lru', 'allkeys-lfu', 'allkeys-random', 'noeviction'], 'noeviction'),
  oneOf('appendfsync', ['everysec', 'always', 'no'], 'everysec'),
  { name: 'oom-score-adj', flags: 0, default: 'no', type: { kind: 'enum', values: [['no', 0], ['yes', 1], ['relative', 1], ['absolute', 2]] } },
  oneOf('acl-pubsub-default', ['allchannels', 'resetchannels'], 'resetchannels'),
  oneOf('sanitize-dump-payload', ['no', 'yes', 'clients'], 'no'),
  oneOf('enable-protected-configs', PROTECTED_ACTION, 'no', I),
  oneOf('enable-debug-command', PROTECTED_ACTION, 'no', I),
  oneOf('enable-module-command', PROTECTED_ACTION, 'no', I),
  oneOf('cluster-preferred-endpoint-type', ['ip', 'hostname', 'unknown-endpoint'], 'ip'),
  oneOf('propagation-error-behavior', ['ignore', 'panic', 'panic-on-replicas'], 'ignore'),
  { name: 'shutdown-on-sigint', flags: MULTI_ARG, default: 'default', type: { kind: 'enum', values: SHUTDOWN_FLAGS, bitflags: true, check: checkShutdownFlags } },
  { name: 'shutdown-on-sigterm', flags: MULTI_ARG, default: 'default', type: { kind: 'enum', values: SHUTDOWN_FLAGS, bitflags: true, check: checkShutdownFlags } },

  // Integer: int
  int('databases', 16, 1n, INT_MAX, I),
  int('port', 6379, 0n, 65535n),
  int('io-threads', 1, 1n, 128n, I),
  int('auto-aof-rewrite-percentage', 100, 0n, INT_MAX),
  int('cluster-replica-validity-factor', 10, 0n, INT_MAX, 0, { alias: 'cluster-slave-validity-factor' }),
  int('list-max-listpack-size', -2, INT_MIN, INT_MAX, 0, { alias: 'list-max-ziplist-size' }),
  int('tcp-keepalive', 300, 0n, INT_MAX, 0, SECONDS),
  int('cluster-migration-barrier', 1, 0n, INT_MAX),
  int('active-defrag-cycle-min', 1, 1n, 99n),
  int('active-defrag-cycle-max', 25, 1n, 99n),
  int('active-defrag-threshold-lower', 10, 0n, 1000n),
  int('active-defrag-threshold-upper', 100, 0n, 1000n),
  int('lfu-log-factor', 10, 0n, INT_MAX),
  int('lfu-decay-time', 1, 0n, INT_MAX, 0, { unit: 'minutes' }),
  int('replica-priority', 100, 0n, INT_MAX, 0, { alias: 'slave-priority' }),
  int('repl-diskless-sync-delay', 5, 0n, INT_MAX, 0, SECONDS),
  int('maxmemory-samples', 5, 1n, INT_MAX),
  int('maxmemory-eviction-tenacity', 10, 0n, 100n),
  int('timeout', 0, 0n, INT_MAX, 0, SECONDS),
  int('replica-announce-port', 0, 0n, 65535n, 0, { alias: 'slave-announce-port' }),
  int('tcp-backlog', 511, 0n, INT_MAX, I),
  int('cluster-port', 0, 0n, 65535n, I),
  int('cluster-announce-bus-port', 0, 0n, 65535n),
  int('cluster-announce-port', 0, 0n, 65535n),
  int('cluster-announce-tls-port', 0, 0n, 65535n),
  int('repl-timeout', 60, 1n, INT_MAX, 0, SECONDS),
  int('repl-ping-replica-period', 10, 1n, INT_MAX, 0, { alias: 'repl-ping-slave-period', unit: 'seconds' }),
  int('list-compress-depth', 0, 0n, INT_MAX),
  int('rdb-key-save-delay', 0, INT_MIN, INT_MAX, HIDDEN, { unit: 'microseconds' }),
  int('key-load-delay', 0, INT_MIN, INT_MAX, HIDDEN, { unit: 'microseconds' }),
  int('active-expire-effort', 1, 1n, 10n),
  int('hz', 10, 0n, INT_MAX, 0, { clamp: [1n, 500n] }),
  int('min-replicas-to-write', 0, 0n, INT_MAX, 0, { alias: 'min-slaves-to-write' }),
  int('min-replicas-max-lag', 10, 0n, INT_MAX, 0, { alias: 'min-slaves-max-lag', unit: 'seconds' }),
  int('watchdog-period', 0, 0n, INT_MAX, HIDDEN, { unit: 'milliseconds' }),
  int('shutdown-timeout', 10, 0n, INT_MAX, 0, SECONDS),
  int('repl-diskless-sync-max-replicas', 0, 0n, INT_MAX),
  // unsigned int
  int('maxclients', 10000, 1n, UINT_MAX, 0, { unsigned: true }),
  { name: 'unixsocketperm', flags: I, default: '0', type: { kind: 'numeric', form: 'octal', min: 0n, max: 0o777n, unsigned: true } },
  int('socket-mark-id', 0, 0n, UINT_MAX, I, { unsigned: true }),
  // unsigned long (checked as signed, as Redis does)
  int('active-defrag-max-scan-fields', 1000, 1n, LLONG_MAX),
  int('slowlog-max-len', 128, 0n, LLONG_MAX),
  int('acllog-max-len', 128, 0n, LLONG_MAX),
  // long long
  int('busy-reply-threshold', 5000, 0n, LLONG_MAX, 0, { alias: 'lua-time-limit', unit: 'milliseconds' }),
  int('cluster-node-timeout', 15000, 0n, LLONG_MAX, 0, { unit: 'milliseconds' }),
  int('slowlog-log-slower-than', 10000, -1n, LLONG_MAX, 0, { unit: 'microseconds' }),
  int('latency-monitor-threshold', 0, 0n, LLONG_MAX, 0, { unit: 'milliseconds' }),
  mem('proto-max-bulk-len', 512 * 1024 * 1024, 1024n * 1024n, LLONG_MAX, false),
  int('stream-node-max-entries', 100, 0n, LLONG_MAX),
  { ...mem('repl-backlog-size', 1024 * 1024, 1n, LLONG_MAX, false), apply: (v) => (BigInt(v) < 16384n ? '16384' : v) },
  // unsigned long long
  mem('maxmemory', 0, 0n, ULLONG_MAX, true),
  mem('cluster-link-sendbuf-limit', 0, 0n, ULLONG_MAX, true),
  // size_t
  int('hash-max-listpack-entries', 512, 0n, LLONG_MAX, 0, { alias: 'hash-max-ziplist-entries', unsigned: true }),
  int('set-max-intset-entries', 512, 0n, LLONG_MAX, 0, { unsigned: true }),
  int('zset-max-listpack-entries', 128, 0n, LLONG_MAX, 0, { alias: 'zset-max-ziplist-entries', unsigned: true }),
  mem('active-defrag-ignore-bytes', 100 * 1024 * 1024, 1n, LLONG_MAX, true),
  mem('hash-max-listpack-value', 64, 0n, LLONG_MAX, true, 'hash-max-ziplist-value'),
  mem('stream-node-max-bytes', 4096, 0n, LLONG_MAX, true),
  mem('zset-max-listpack-value', 64, 0n, LLONG_MAX, true, 'zset-max-ziplist-value'),
  mem('hll-sparse-max-bytes', 3000, 0n, LLONG_MAX, true),
  int('tracking-table-max-keys', 1000000, 0n, LLONG_MAX, 0, { unsigned: true }),
  mem('client-query-buffer-limit', 1024 * 1024 * 1024, 1024n * 1024n, LLONG_MAX, true),
  // ssize_t: a memory value, or a percentage (of maxmemory) stored as its negation
  { name: 'maxmemory-clients', flags: 0, default: '0', type: { kind: 'numeric', form: 'memory-percent', min: -100n, max: LLONG_MAX, unit: 'bytes' } },
  // time_t, off_t
  int('repl-backlog-ttl', 3600, 0n, LLONG_MAX, 0, SECONDS),
  mem('auto-aof-rewrite-min-size', 64 * 1024 * 1024, 0n, LLONG_MAX, false),
  int('loading-process-events-interval-bytes', 2 * 1024 * 1024, 1024n, INT_MAX, HIDDEN),

  // TLS (tls.ts). The server rebuilds its TLS context when these change (server.ts); TLS for
  // replication and cluster links is refused as Redis refuses TLS it cannot configure, since
  // slabcache has neither.
  int('tls-port', 0, 0n, 65535n),
  int('tls-session-cache-size', 20 * 1024, 0n, INT_MAX),
  int('tls-session-cache-timeout', 300, 0n, INT_MAX, 0, SECONDS),
  { ...bool('tls-cluster', 'no'), apply: refuseTls('no') },
  { ...bool('tls-replication', 'no'), apply: refuseTls('no') },
  oneOf('tls-auth-clients', ['no', 'yes', 'optional'], 'yes'),
  bool('tls-prefer-server-ciphers', 'no'),
  bool('tls-session-caching', 'yes'),
  str('tls-cert-file', ''),
  str('tls-key-file', ''),
  str('tls-key-file-pass', ''),
  str('tls-client-cert-file', ''),
  str('tls-client-key-file', ''),
  str('tls-client-key-file-pass', ''),
  str('tls-dh-params-file', ''),
  str('tls-ca-cert-file', ''),
  str('tls-ca-cert-dir', ''),
  str('tls-protocols', ''),
  str('tls-ciphers', ''),
  str('tls-ciphersuites', ''),

  // Special
  special('dir', '', PROTECTED, setDir),
  special('save', '3600 1 300 100 60 10000', MULTI_ARG, setSave),
  special('client-output-buffer-limit', 'normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60', MULTI_ARG, setClientOutputBufferLimit),
  special('oom-score-adj-values', '0 200 800', MULTI_ARG, setOomScoreAdjValues),
  { ...special('notify-keyspace-events', '', 0, setNotifyKeyspaceEvents), show: (v) => (v.startsWith('An') ? 'A' + v.slice(2) : v) },
  special('bind', '* -::*', MULTI_ARG, setBind),
  special('replicaof', '', IMMUTABLE | MULTI_ARG, setReplicaOf, 'slaveof'),
  special('latency-tracking-info-percentiles', '50 99 99.9', MULTI_ARG, setLatencyPercentiles),

  // slabcache's own, not Redis's: hidden from CONFIG GET patterns, so `CONFIG GET *` answers as
  // redis-server does, and fixed at start-up.
  int('shards', 64, 1n, 16384n, IMMUTABLE | HIDDEN, {
    check: (v) => ((v & (v - 1n)) === 0n ? null : 'argument must be a power of two'),
  }),
  int('metrics-port', 9121, 0n, 65535n, IMMUTABLE | HIDDEN),
  // The sidecar over HTTPS, with the tls-cert-file certificate (sidecar.ts).
  bool('metrics-tls', 'no', IMMUTABLE | HIDDEN),
  // The REST API on the metrics port (rest-api.ts): on when the token is set.
  str('http-api-token', '', IMMUTABLE | HIDDEN),
  { ...mem('http-api-max-body-size', 10 * 1024 * 1024, 1024n, 256n * 1024n * 1024n, false), flags: IMMUTABLE | HIDDEN },
];

// ---------------------------------------------------------------------------------------------
// Setting one parameter from its arguments (shared by CONFIG SET and configuration files).

function enumError(values: ReadonlyArray<readonly [string, number]>): Invalid {
  return { error: `argument(s) must be one of the following: ${values.map(([n]) => n).join(', ')}` };
}

/** The printed name of an enum value: the first name with exactly that value, else its flag names in order. */
function enumName(values: ReadonlyArray<readonly [string, number]>, v: number): string {
  const exact = values.find(([, x]) => x === v);
  if (exact !== undefined) return exact[0];
  return values.filter(([, x]) => x !== 0 && (v & x) === x).map(([n]) => n).join(' ');
}

function parseNumeric(type: Extract<ParamType, { kind: 'numeric' }>, text: string): bigint | Invalid {
  if (type.form === 'memory' || type.form === 'memory-percent') {
    const v = memtoull(text);
    if (v !== null) return BigInt.asIntN(64, v);
  }
  if (type.form === 'memory-percent' && text.length > 1 && text.endsWith('%')) {
    const v = string2ll(text.slice(0, -1));
    if (v !== null && v >= 0n) return -v; // a percentage is stored negated
  }
  if (type.form === 'octal') {
    const r = strtoll(text, 8);
    if (!r.overflow && (r.end === text.length || text.length === 0)) return r.value;
  }
  if (type.form === 'integer') {
    const v = string2ll(text);
    if (v !== null) return v;
  }
  switch (type.form) {
    case 'memory-percent': return { error: 'argument must be a memory or percent value' };
    case 'memory': return { error: 'argument must be a memory value' };
    case 'octal': return { error: "argument couldn't be parsed as an octal number" };
    default: return { error: "argument couldn't be parsed into an integer" };
  }
}

function checkBounds(type: Extract<ParamType, { kind: 'numeric' }>, v: bigint): Invalid | null {
  if (type.unsigned) {
    const u = BigInt.asUintN(64, v);
    if (u >= BigInt.asUintN(64, type.min) && u <= BigInt.asUintN(64, type.max)) return null;
    const fmt = (x: bigint): string => BigInt.asUintN(64, x).toString(type.form === 'octal' ? 8 : 10);
    return { error: `argument must be between ${fmt(type.min)} and ${fmt(type.max)} inclusive` };
  }
  if (type.form === 'memory-percent' && v < 0n) {
    return v < type.min ? { error: `percentage argument must be less or equal to ${-type.min}` } : null;
  }
  if (v >= type.min && v <= type.max) return null;
  return { error: `argument must be between ${type.min} and ${type.max} inclusive` };
}

function formatNumeric(type: Extract<ParamType, { kind: 'numeric' }>, v: bigint): string {
  if (type.form === 'memory-percent' && v < 0n) return `${-v}%`;
  if (type.form === 'memory' || type.form === 'memory-percent') return BigInt.asUintN(64, v).toString();
  if (type.form === 'octal') return v.toString(8);
  return v.toString();
}

function setParam(def: ParamDef, args: readonly string[], ctx: SetContext): SetResult {
  const type = def.type;
  switch (type.kind) {
    case 'bool': {
      const a = args[0]!.toLowerCase();
      if (a !== 'yes' && a !== 'no') return { error: "argument must be 'yes' or 'no'" };
      const error = type.check?.(a === 'yes') ?? null;
      return error === null ? a : { error };
    }
    case 'string': {
      const error = type.check?.(args[0]!, ctx.store) ?? null;
      return error === null ? args[0]! : { error };
    }
    case 'enum': {
      if (args.length === 0 || (!type.bitflags && args.length !== 1)) return enumError(type.values);
      let v = 0;
      for (const a of args) {
        const lower = a.toLowerCase();
        const hits = type.values.filter(([n]) => n === lower);
        if (hits.length === 0) return enumError(type.values);
        for (const [, x] of hits) v |= x;
      }
      const error = type.check?.(v) ?? null;
      return error === null ? enumName(type.values, v) : { error };
    }
    case 'numeric': {
      const v = parseNumeric(type, args[0]!);
      if (typeof v !== 'bigint') return v;
      const bad = checkBounds(type, v);
      if (bad !== null) return bad;
      const error = type.check?.(v) ?? null;
      if (error !== null) return { error };
      const clamped = type.clamp === undefined ? v : v < type.clamp[0] ? type.clamp[0] : v > type.clamp[1] ? type.clamp[1] : v;
      return formatNumeric(type, clamped);
    }
    case 'special':
      return type.set(args, ctx);
  }
}

// ---------------------------------------------------------------------------------------------
// Configuration files.

export const ConfigErrorCode = {
  /** Unknown directive, or a known one with the wrong number of arguments. */
  BAD_DIRECTIVE: 'CONFIG_BAD_DIRECTIVE',
  BAD_VALUE: 'CONFIG_BAD_VALUE',
  UNBALANCED_QUOTES: 'CONFIG_UNBALANCED_QUOTES',
  /** A redis.conf directive slabcache does not implement (include, rename-command, user, ...). */
  UNSUPPORTED: 'CONFIG_UNSUPPORTED',
} as const;
export type ConfigErrorCodeValue = (typeof ConfigErrorCode)[keyof typeof ConfigErrorCode];

/** A configuration file error; the message is one line in redis-server's words. */
export class ConfigError extends Error {
  readonly code: ConfigErrorCodeValue;
  readonly source: string;
  readonly line: number;
  readonly directive: string;
  readonly reason: string;

  constructor(code: ConfigErrorCodeValue, source: string, line: number, directive: string, reason: string) {
    super(`*** FATAL CONFIG FILE ERROR (Redis 7.0.15) *** Reading the configuration file ${source}, at line ${line} >>> '${directive}' ${reason}`);
    this.name = 'ConfigError';
    this.code = code;
    this.source = source;
    this.line = line;
    this.directive = directive;
    this.reason = reason;
  }
}

/** Directives Redis accepts and ignores since 7.0, with the exact argument count it accepts. */
const DEPRECATED = new Set(['list-max-ziplist-entries', 'list-max-ziplist-value', 'lua-replicate-commands']);
const UNSUPPORTED = new Set(['include', 'rename-command', 'loadmodule', 'sentinel']);

// ---------------------------------------------------------------------------------------------
// The store.

/** A name CONFIG GET/SET knows: a parameter's own name or its alias (each is its own entry, as in Redis). */
interface Registration {
  readonly name: string;
  readonly index: number;
}

const REGISTRATIONS: readonly Registration[] = CONFIG_PARAMS.flatMap((def, index) =>
  def.alias === undefined ? [{ name: def.name, index }] : [{ name: def.name, index }, { name: def.alias, index }]);
const BY_NAME = new Map(REGISTRATIONS.map((r) => [r.name, r]));

/**
 * Applies a changed value (under the parameter's own name, never an alias); returns an error
 * text to refuse it (CONFIG SET then rolls back).
 */
export type ConfigListener = (name: string, value: string, store: ConfigStore) => string | void;

export interface ClientLimits {
  hardBytes: number;
  softBytes: number;
  softSeconds: number;
}

export class ConfigStore {
  private readonly values: string[];
  private readonly listeners: ConfigListener[][] = CONFIG_PARAMS.map(() => []);
  private readonly anyListeners: ConfigListener[] = [];
  /** `user <name> <rules...>` lines of the configuration, in order (loaded once ACLs exist). */
  readonly userLines: string[][] = [];
  /**
   * Checks a `user` line as ACLAppendUserForLoading does: null when valid, else the index of
   * the argument to quote and the error (set by the server before loading a configuration).
   */
  validateUser: ((argv: string[]) => [number, string] | null) | null = null;

  /** Defaults of redis-server 7.0.15; `dir` starts as the process's working directory. */
  constructor() {
    this.values = CONFIG_PARAMS.map((def) => (def.name === 'dir' ? process.cwd() : def.default));
  }

  private indexOf(name: string): number {
    const reg = BY_NAME.get(name.toLowerCase());
    if (reg === undefined) throw new Error(`unknown configuration parameter ${name}`);
    return reg.index;
  }

  /** The current value of a parameter (name or alias), as CONFIG GET prints it. */
  value(name: string): string {
    return this.values[this.indexOf(name)]!;
  }

  /** A numeric parameter's value; a maxmemory-clients percentage is returned negated, as Redis stores it. */
  number(name: string): number {
    const i = this.indexOf(name);
    if (CONFIG_PARAMS[i]!.type.kind !== 'numeric') throw new Error(`${name} is not numeric`);
    const v = this.values[i]!;
    return v.endsWith('%') ? -Number(v.slice(0, -1)) : Number(v);
  }

  /** A yes/no parameter's value. */
  flag(name: string): boolean {
    const i = this.indexOf(name);
    if (CONFIG_PARAMS[i]!.type.kind !== 'bool') throw new Error(`${name} is not yes/no`);
    return this.values[i] === 'yes';
  }

  /** One class of client-output-buffer-limit (0 means no limit). */
  clientOutputBufferLimit(cls: OutputBufferClass): ClientLimits {
    const [hard, soft, seconds] = parseOutputBufferLimits(this.value('client-output-buffer-limit'))[
      cls === 'normal' ? 0 : cls === 'replica' ? 1 : 2]!;
    return { hardBytes: Number(hard), softBytes: Number(soft), softSeconds: Number(seconds) };
  }

  /** Calls `listener` after each set() that changes the parameter (name or alias). */
  onChange(name: string, listener: ConfigListener): void {
    this.listeners[this.indexOf(name)]!.push(listener);
  }

  /** Calls `listener` after each set() for every parameter it changes. */
  onAnyChange(listener: ConfigListener): void {
    this.anyListeners.push(listener);
  }

  /** Runs the parameter's listeners with its current value; the first refusal's text, if any. */
  private notify(index: number): string | undefined {
    const name = CONFIG_PARAMS[index]!.name;
    for (const listener of [...this.listeners[index]!, ...this.anyListeners]) {
      const error = listener(name, this.values[index]!, this);
      if (typeof error === 'string') return error;
    }
    return undefined;
  }

  /**
   * Runs every listener with its parameter's current value, so a runtime can initialise
   * itself through the same listeners that later apply changes. Null, or the first refusal
   * as "name: error".
   */
  applyAll(): string | null {
    for (let index = 0; index < CONFIG_PARAMS.length; index++) {
      const error = this.notify(index);
      if (error !== undefined) return `${CONFIG_PARAMS[index]!.name}: ${error}`;
    }
    return null;
  }

  /**
   * CONFIG GET: [name, value] pairs for the given names and glob patterns (case-insensitive;
   * a pattern is a name containing `*`, `?` or `[`). An exact name answers under the spelling
   * asked, even for a hidden parameter; patterns answer with the registered names, aliases
   * included, hidden ones excluded. Each parameter name appears once. Redis replies in its
   * hash table's order, which changes with every process; this is argument order, then
   * declaration order.
   */
  get(patterns: readonly string[]): Array<[string, string]> {
    const out: Array<[string, string]> = [];
    const seen = new Set<string>();
    for (const pattern of patterns) {
      if (!/[[*?]/.test(pattern)) {
        const reg = BY_NAME.get(pattern.toLowerCase());
        if (reg !== undefined && !seen.has(pattern.toLowerCase())) {
          seen.add(pattern.toLowerCase());
          out.push([pattern, shown(reg.index, this.values[reg.index]!)]);
        }
        continue;
      }
      for (const reg of REGISTRATIONS) {
        if ((CONFIG_PARAMS[reg.index]!.flags & HIDDEN) !== 0 || seen.has(reg.name)) continue;
        if (globMatchString(pattern, reg.name, true)) {
          seen.add(reg.name);
          out.push([reg.name, shown(reg.index, this.values[reg.index]!)]);
        }
      }
    }
    return out;
  }

  /**
   * CONFIG SET name value [name value ...] (the caller replies `ERR syntax error` to an odd
   * argument count, as Redis does): null when done, else the error reply text (without the
   * leading '-'), exactly as redis-server 7.0.15 words it. A value of a MULTI_ARG parameter
   * is split at spaces. `localClient` (a loopback or Unix-socket connection) matters when
   * enable-protected-configs is "local"; `startup` lets the server's own start-up directives
   * set immutable and protected parameters too.
   */
  set(pairs: ReadonlyArray<readonly [string, string]>, options: { localClient?: boolean; startup?: boolean } = {}): string | null {
    const regs: Registration[] = [];
    let unknown: string | null = null;
    let failed: { arg: string; error: string } | null = null;
    const allowProtected = this.value('enable-protected-configs');
    for (const [arg] of pairs) {
      const reg = BY_NAME.get(arg.toLowerCase());
      if (reg === undefined) {
        if (failed === null && unknown === null) unknown = arg;
        continue;
      }
      if (failed !== null || unknown !== null) continue;
      const flags = options.startup ? 0 : CONFIG_PARAMS[reg.index]!.flags;
      if ((flags & IMMUTABLE) !== 0) {
        failed = { arg, error: "can't set immutable config" };
      } else if ((flags & PROTECTED) !== 0 && !(allowProtected === 'yes' || (allowProtected === 'local' && options.localClient))) {
        failed = { arg, error: "can't set protected config" };
      } else if (regs.includes(reg)) {
        failed = { arg, error: 'duplicate parameter' };
      }
      regs.push(reg);
    }
    if (unknown !== null) return `ERR Unknown option or number of arguments for CONFIG SET - '${unknown}'`;
    if (failed !== null) return `ERR CONFIG SET failed (possibly related to argument '${failed.arg}') - ${failed.error}`;

    const before = this.values.slice();
    for (let i = 0; i < regs.length; i++) {
      const { index, name } = regs[i]!;
      const def = CONFIG_PARAMS[index]!;
      const raw = pairs[i]![1];
      const parts = (def.flags & MULTI_ARG) === 0 ? [raw] : raw === '' ? [] : raw.split(' ');
      const result = setParam(def, parts, { store: this, current: this.values[index]!, appendSave: false });
      if (typeof result !== 'string') {
        this.values.splice(0, this.values.length, ...before);
        return `ERR CONFIG SET failed (possibly related to argument '${name}') - ${result.error}`;
      }
      this.values[index] = result;
    }
    // Each changed parameter once, under the first name it was set by.
    const changed = regs.filter((r, i) => this.values[r.index] !== before[r.index] && regs.findIndex((x) => x.index === r.index) === i);
    for (const { index, name } of changed) {
      const applied = CONFIG_PARAMS[index]!.apply?.(this.values[index]!) ?? this.values[index]!;
      if (typeof applied === 'string') this.values[index] = applied;
      const error = typeof applied === 'string' ? this.notify(index) : applied.error;
      if (error !== undefined) {
        this.values.splice(0, this.values.length, ...before);
        for (const undo of changed) this.notify(undo.index);
        return `ERR CONFIG SET failed (possibly related to argument '${name}') - ${error}`;
      }
    }
    return null;
  }

  /**
   * Applies a configuration in redis.conf syntax (a file's text, with any command-line
   * options appended as further lines, as redis-server does), in order; immutable and
   * protected parameters are set too. Throws ConfigError at the first bad line; `sourceName`
   * names the text in the message. Listeners are not called.
   */
  loadConfigText(text: string, sourceName: string): void {
    const lines = text.split('\n');
    let saveSeen = false;
    lines.forEach((raw, i) => {
      const line = raw.replace(/^[ \t\r\n]+|[ \t\r\n]+$/g, '');
      if (line === '' || line.startsWith('#')) return;
      const fail = (code: ConfigErrorCodeValue, reason: string): never => {
        throw new ConfigError(code, sourceName, i + 1, line, reason);
      };
      const argv = splitArgs(line);
      if (argv === null) return fail(ConfigErrorCode.UNBALANCED_QUOTES, 'Unbalanced quotes in configuration line');
      if (argv.length === 0) return;
      const name = argv[0]!.toLowerCase();
      const reg = BY_NAME.get(name);
      if (reg !== undefined) {
        const def = CONFIG_PARAMS[reg.index]!;
        if ((def.flags & MULTI_ARG) === 0 && argv.length !== 2) return fail(ConfigErrorCode.BAD_DIRECTIVE, 'wrong number of arguments');
        // A MULTI_ARG parameter given one non-empty argument is split again (redis-server's
        // `--client-output-buffer-limit "normal 1mb 512kb 10"`), as loadServerConfigFromString does.
        const args = (def.flags & MULTI_ARG) !== 0 && argv.length === 2 && argv[1] !== '' ? splitArgs(argv[1]!) : argv.slice(1);
        if (args === null) return fail(ConfigErrorCode.UNBALANCED_QUOTES, 'Unbalanced quotes in configuration line');
        const result = setParam(def, args, { store: this, current: this.values[reg.index]!, appendSave: saveSeen });
        if (typeof result !== 'string') return fail(ConfigErrorCode.BAD_VALUE, result.error);
        this.values[reg.index] = result;
        if (def.name === 'save') saveSeen = true;
        return;
      }
      if (name === 'user' && argv.length >= 2) {
        const duplicate = this.userLines.some((u) => u[1] === argv[1]);
        const invalid = duplicate ? [1, 'Duplicate user found. A user can only be defined once in config files'] as const : this.validateUser?.(argv) ?? null;
        if (invalid !== null) return fail(ConfigErrorCode.BAD_VALUE, `Error in user declaration '${argv[invalid[0]]}': ${invalid[1]}`);
        this.userLines.push(argv);
        return;
      }
      if (DEPRECATED.has(name) && argv.length === 2) return;
      if (UNSUPPORTED.has(name) || name.includes('.')) {
        return fail(ConfigErrorCode.UNSUPPORTED, `'${name}' is not supported by slabcache`);
      }
      return fail(ConfigErrorCode.BAD_DIRECTIVE, 'Bad directive or wrong number of arguments');
    });
  }
}
