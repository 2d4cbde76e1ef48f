/*
 * Introspection against a listening server: SLOWLOG, LATENCY (events, histograms, DOCTOR),
 * MEMORY, MONITOR (raw sockets and redis-cli), CONFIG RESETSTAT and the INFO sections they
 * feed. Reply bytes that are the same on every run are checked in the differential corpus
 * (test/differential/corpus/introspection.txt); this file checks contents that vary (times,
 * durations, ports) by their meaning.
 *
 * INTEGRATION_TARGET=redis runs the file against a real redis-server; the tests that inject
 * latency samples through slabcache's in-process observer skip there. No assertion is on
 * elapsed time: waits are bounded polls for a state to be reached.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { RawClient, decodeReply, type RespValue } from '../helpers/raw-client.ts';
import { startRedisServer, whichSync } from '../helpers/redis-server.ts';
import type { RunningServer } from '../../src/server.ts';

interface Target {
  kind: 'slabcache' | 'redis';
  port: number;
  running: RunningServer | null;
  close(): Promise<void>;
}

const isRedisTarget = process.env['INTEGRATION_TARGET'] === 'redis';

async function startTarget(directives: Record<string, string> = {}): Promise<Target> {
  if (isRedisTarget) {
    const r = await startRedisServer(directives);
    return { kind: 'redis', port: r.port, running: null, close: () => r.stop() };
  }
  const { startServer } = await import('../../src/server.ts');
  const s = await startServer({ loglevel: 'warning', 'metrics-port': '0', ...directives, port: '0', bind: '127.0.0.1' });
  return { kind: 'slabcache', port: s.port, running: s, close: () => s.close() };
}

type Plain = string | number | null | Plain[];

/** A reply as plain values: integers as numbers, other scalars as latin1 text, maps flattened. */
function plain(v: RespValue): Plain {
  if (v.kind === 'null') return null;
  if (v.kind === 'aggregate') return v.items.map(plain);
  if (v.type === ':') return Number(v.data.toString());
  if (v.type === '=') return v.data.subarray(4).toString('latin1');
  return v.data.toString('latin1');
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

async function until(what: string, probe: () => Promise<boolean> | boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await probe()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(20);
  }
}

let target: Target;
const clients: RawClient[] = [];

async function connect(): Promise<RawClient> {
  const c = await RawClient.connect(target.port);
  clients.push(c);
  return c;
}

async function call(c: RawClient, ...args: string[]): Promise<Plain> {
  return plain(decodeReply(await c.call(...args)));
}

function infoFields(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split('\r\n')) {
    const i = line.indexOf(':');
    if (i > 0 && !line.startsWith('#')) out.set(line.slice(0, i), line.slice(i + 1));
  }
  return out;
}

async function info(c: RawClient, section: string): Promise<Map<string, string>> {
  return infoFields((await call(c, 'INFO', section)) as string);
}

/** The client's own address, as SLOWLOG and MONITOR print it. */
async function addrOf(c: RawClient): Promise<string> {
  const line = (await call(c, 'CLIENT', 'INFO')) as string;
  return /addr=(\S+)/.exec(line)![1]!;
}

/** Flat name/value list (a RESP2 map) to a Map. */
function pairs(list: Plain): Map<string, Plain> {
  const items = list as Plain[];
  const out = new Map<string, Plain>();
  for (let i = 0; i < items.length; i += 2) out.set(items[i] as string, items[i + 1]!);
  return out;
}

beforeAll(async () => {
  target = await startTarget();
});

afterAll(async () => {
  await target.close();
});

afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
});

let admin: RawClient;
beforeEach(async () => {
  admin = await connect();
  for (const [name, value] of [
    ['slowlog-log-slower-than', '10000'],
    ['slowlog-max-len', '128'],
    ['latency-monitor-threshold', '0'],
    ['latency-tracking', 'yes'],
    ['latency-tracking-info-percentiles', '50 99 99.9'],
  ]) {
    expect(await call(admin, 'CONFIG', 'SET', name!, value!)).toBe('OK');
  }
  await call(admin, 'SLOWLOG', 'RESET');
  await call(admin, 'LATENCY', 'RESET');
  await call(admin, 'FLUSHALL');
});

describe('SLOWLOG', () => {
  it('logs every command at least as slow as the threshold, newest first, with Redis fields', async () => {
    const c = await connect();
    await call(admin, 'CONFIG', 'SET', 'slowlog-log-slower-than', '0');
    await call(c, 'SLOWLOG', 'RESET');
    await call(c, 'CLIENT', 'SETNAME', 'tester');
    await call(c, 'SET', 'k', 'v');
    await call(c, 'GET', 'k');
    const addr = await addrOf(c);
    const entries = (await call(c, 'SLOWLOG', 'GET', '-1')) as Plain[][];
    // CLIENT INFO ran after GET, SLOWLOG GET itself is logged after it replies.
    expect(entries.map((e) => e[3])).toEqual([['CLIENT', 'INFO'], ['GET', 'k'], ['SET', 'k', 'v'], ['CLIENT', 'SETNAME', 'tester'], ['SLOWLOG', 'RESET']]);
    const ids = entries.map((e) => e[0] as number);
    for (let i = 1; i < ids.length; i++) expect(ids[i]).toBe(ids[i - 1]! - 1);
    const now = Date.now() / 1000;
    for (const e of entries) {
      expect(e).toHaveLength(6);
      expect(Math.abs((e[1] as number) - now)).toBeLessThan(120);
      expect(Number.isInteger(e[2])).toBe(true);
      expect(e[2] as number).toBeGreaterThanOrEqual(0);
      expect(e[4]).toBe(addr);
    }
    // The client name as it is when the command ends.
    expect(entries.map((e) => e[5])).toEqual(['tester', 'tester', 'tester', 'tester', '']);
    expect(await call(c, 'SLOWLOG', 'LEN')).toBe(6);
  });

  it('GET count: 10 by default, -1 for all, errors below -1', async () => {
    const c = await connect();
    await call(admin, 'CONFIG', 'SET', 'slowlog-log-slower-than', '0');
    for (let i = 0; i < 14; i++) await call(c, 'PING', String(i));
    expect(((await call(c, 'SLOWLOG', 'GET')) as Plain[]).length).toBe(10);
    expect(((await call(c, 'SLOWLOG', 'GET', '3')) as Plain[][]).map((e) => e[3])).toEqual([['SLOWLOG', 'GET'], ['PING', '13'], ['PING', '12']]);
    expect(await call(c, 'SLOWLOG', 'GET', '0')).toEqual([]);
    const len = (await call(c, 'SLOWLOG', 'LEN')) as number;
    // -1: all of them, the SLOWLOG LEN just run included.
    expect(((await call(c, 'SLOWLOG', 'GET', '-1')) as Plain[]).length).toBe(len + 1);
    expect(await call(c, 'SLOWLOG', 'GET', '-2')).toBe('ERR count should be greater than or equal to -1');
  });

  it('keeps 32 arguments of 128 bytes at most, as Redis cuts them', async () => {
    const c = await connect();
    await call(admin, 'CONFIG', 'SET', 'slowlog-log-slower-than', '0');
    const mset = ['MSET'];
    for (let i = 0; i < 20; i++) mset.push(`k${i}`, `v${i}`);
    await call(c, ...mset);
    const [msetEntry] = (await call(c, 'SLOWLOG', 'GET', '1')) as Plain[][];
    const argv = msetEntry![3] as string[];
    expect(argv).toHaveLength(32);
    expect(argv.slice(0, 31)).toEqual(mset.slice(0, 31));
    expect(argv[31]).toBe('... (10 more arguments)');
    await call(c, 'SET', 'k', 'x'.repeat(200));
    const [setEntry] = (await call(c, 'SLOWLOG', 'GET', '1')) as Plain[][];
    expect(setEntry![3]).toEqual(['SET', 'k', 'x'.repeat(128) + '... (72 more bytes)']);
  });

  it('redacts credentials of AUTH, HELLO AUTH and CONFIG SET of sensitive parameters', async () => {
    const c = await connect();
    await call(admin, 'CONFIG', 'SET', 'slowlog-log-slower-than', '0');
    await call(c, 'AUTH', 'secret');
    await call(c, 'AUTH', 'user', 'secret');
    await call(c, 'AUTH', 'a', 'b', 'c');
    await call(c, 'HELLO', '2', 'AUTH', 'user', 'secret');
    await call(c, 'HELLO', '4', 'AUTH', 'user', 'secret');
    await call(c, 'CONFIG', 'SET', 'maxmemory', '0', 'requirepass', '');
    const argvs = ((await call(c, 'SLOWLOG', 'GET', '6')) as Plain[][]).map((e) => e[3]).reverse();
    expect(argvs).toEqual([
      ['AUTH', '(redacted)'],
      ['AUTH', '(redacted)', '(redacted)'],
      // a syntax error returns before Redis redacts anything
      ['AUTH', 'a', 'b', 'c'],
      ['HELLO', '2', 'AUTH', '(redacted)', '(redacted)'],
      // so does an unsupported protocol version
      ['HELLO', '4', 'AUTH', 'user', 'secret'],
      ['CONFIG', 'SET', 'maxmemory', '0', 'requirepass', '(redacted)'],
    ]);
  });

  it('trims to slowlog-max-len on the next entry; -1 turns it off; rejected commands are not logged', async () => {
    const c = await connect();
    await call(admin, 'CONFIG', 'SET', 'slowlog-log-slower-than', '0');
    for (let i = 0; i < 5; i++) await call(c, 'PING');
    await call(c, 'CONFIG', 'SET', 'slowlog-max-len', '2');
    expect(await call(c, 'SLOWLOG', 'LEN')).toBe(2);
    await call(c, 'CONFIG', 'SET', 'slowlog-max-len', '0');
    expect(await call(c, 'SLOWLOG', 'LEN')).toBe(0);
    await call(c, 'CONFIG', 'SET', 'slowlog-max-len', '128');
    await call(c, 'SLOWLOG', 'RESET');
    await call(c, 'GET');
    await call(c, 'NOSUCHCOMMAND');
    expect(await call(c, 'SLOWLOG', 'LEN')).toBe(1);
    await call(c, 'CONFIG', 'SET', 'slowlog-log-slower-than', '-1');
    await call(c, 'SLOWLOG', 'RESET');
    await call(c, 'PING');
    expect(await call(c, 'SLOWLOG', 'LEN')).toBe(0);
    // The default threshold (10 ms) keeps fast commands out.
    await call(c, 'CONFIG', 'SET', 'slowlog-log-slower-than', '10000');
    for (let i = 0; i < 20; i++) await call(c, 'PING');
    const slow = (await call(c, 'SLOWLOG', 'GET', '-1')) as Plain[][];
    for (const e of slow) expect(e[2] as number).toBeGreaterThanOrEqual(10000);
  });
});

describe('LATENCY HISTOGRAM and INFO latencystats', () => {
  it('counts each command, cumulatively, in Redis buckets; CONFIG RESETSTAT clears them', async () => {
    const c = await connect();
    await call(c, 'CONFIG', 'RESETSTAT');
    for (let i = 0; i < 3; i++) await call(c, 'SET', 'k', String(i));
    for (let i = 0; i < 2; i++) await call(c, 'GET', 'k');
    const reply = (await call(c, 'LATENCY', 'HISTOGRAM', 'set', 'GET', 'nosuchcommand')) as Plain[];
    expect(reply.length).toBe(4);
    expect(reply[0]).toBe('set');
    expect(reply[2]).toBe('get');
    for (const [i, calls] of [[1, 3], [3, 2]] as const) {
      const h = pairs(reply[i]!);
      expect(h.get('calls')).toBe(calls);
      const buckets = h.get('histogram_usec') as number[];
      expect(buckets.length % 2).toBe(0);
      expect(buckets.at(-1)).toBe(calls);
      // Redis reports the top of the 2-digit range holding each power of two from 1024 ns.
      const levels = Array.from({ length: 20 }, (_, k) => Math.floor((2 ** (k + 10) + 2 ** (k + 3) - 1) / 1000));
      for (const b of buckets.filter((_, j) => j % 2 === 0)) expect([...levels, 1073741]).toContain(b);
    }
    const all = pairs(await call(c, 'LATENCY', 'HISTOGRAM'));
    expect([...all.keys()].sort()).toEqual(['config|resetstat', 'get', 'latency|histogram', 'set']);
    await call(c, 'CONFIG', 'RESETSTAT');
    expect(await call(c, 'LATENCY', 'HISTOGRAM', 'set')).toEqual([]);
  });

  it('a container name lists its subcommands with data', async () => {
    const c = await connect();
    await call(c, 'CONFIG', 'RESETSTAT');
    await call(c, 'CONFIG', 'GET', 'maxmemory');
    const names = pairs(await call(c, 'LATENCY', 'HISTOGRAM', 'config'));
    expect([...names.keys()].sort()).toEqual(['config|get', 'config|resetstat']);
    expect([...pairs(await call(c, 'LATENCY', 'HISTOGRAM', 'CONFIG|GET')).keys()]).toEqual(['config|get']);
  });

  it('is a RESP3 map of maps under HELLO 3', async () => {
    const c = await connect();
    await call(c, 'HELLO', '3');
    await call(c, 'CONFIG', 'RESETSTAT');
    await call(c, 'PING');
    const raw = await c.call('LATENCY', 'HISTOGRAM', 'ping');
    expect(raw.toString('latin1')).toMatch(/^%1\r\n\$4\r\nping\r\n%2\r\n\$5\r\ncalls\r\n:1\r\n\$14\r\nhistogram_usec\r\n%1\r\n:\d+\r\n:1\r\n$/);
  });

  it('INFO latencystats prints the configured percentiles for each command run', async () => {
    const c = await connect();
    await call(c, 'CONFIG', 'RESETSTAT');
    await call(c, 'SET', 'k', 'v');
    let fields = await info(c, 'latencystats');
    expect(fields.get('latency_percentiles_usec_set')).toMatch(/^p50=\d+\.\d{3},p99=\d+\.\d{3},p99\.9=\d+\.\d{3}$/);
    expect(fields.has('latency_percentiles_usec_get')).toBe(false);
    await call(c, 'CONFIG', 'SET', 'latency-tracking-info-percentiles', '0 12.5 100');
    fields = await info(c, 'latencystats');
    const [p0, p125, p100] = fields.get('latency_percentiles_usec_set')!.split(',');
    expect(p0).toMatch(/^p0=\d+\.\d{3}$/);
    expect(p125).toMatch(/^p12\.5=\d+\.\d{3}$/);
    expect(p100).toMatch(/^p100=\d+\.\d{3}$/);
    // With a single call every percentile is that call's bucket.
    expect(Number(p100!.slice(5))).toBeGreaterThanOrEqual(Number(p0!.slice(3)));
    await call(c, 'CONFIG', 'SET', 'latency-tracking', 'no');
    expect((await call(c, 'INFO', 'latencystats')) as string).toBe('# Latencystats\r\n');
    await call(c, 'CONFIG', 'SET', 'latency-tracking', 'yes');
    const text = (await call(c, 'INFO', 'everything')) as string;
    expect(text).toContain('\r\n# Errorstats\r\n');
    expect(text.indexOf('# Latencystats')).toBeGreaterThan(text.indexOf('# Errorstats'));
    expect(text.indexOf('# Latencystats')).toBeLessThan(text.indexOf('# Cluster'));
    expect((await call(c, 'INFO')) as string).not.toContain('# Latencystats');
  });
});

describe.skipIf(isRedisTarget)('LATENCY events (samples injected through the command observer)', () => {
  /** Reports one run of `name` that took `ms` milliseconds, as connection.ts does after a handler. */
  function slowRun(name: string, ms: number): void {
    const state = target.running!.state;
    const client = [...state.clients.values()][0]!;
    state.observer.afterCommand(client, state.registry.byFullName(name)!, ms * 1000);
  }

  it('records "command" and "fast-command" spikes at or over latency-monitor-threshold', async () => {
    const c = await connect();
    await call(c, 'CONFIG', 'SET', 'slowlog-log-slower-than', '-1');
    slowRun('keys', 50);
    expect(await call(c, 'LATENCY', 'LATEST')).toEqual([]);
    await call(c, 'CONFIG', 'SET', 'latency-monitor-threshold', '20');
    slowRun('keys', 19);
    slowRun('keys', 25);
    slowRun('get', 40);
    const latest = (await call(c, 'LATENCY', 'LATEST')) as Plain[][];
    expect(latest.map((e) => [e[0], e[2], e[3]]).sort()).toEqual([['command', 25, 25], ['fast-command', 40, 40]]);
    const now = Date.now() / 1000;
    for (const e of latest) expect(Math.abs((e[1] as number) - now)).toBeLessThan(120);
    const history = (await call(c, 'LATENCY', 'HISTORY', 'command')) as number[][];
    expect(history.length).toBe(1);
    expect(history[0]![1]).toBe(25);
    expect(await call(c, 'LATENCY', 'HISTORY', 'COMMAND')).toEqual([]);
    const graph = (await call(c, 'LATENCY', 'GRAPH', 'command')) as string;
    expect(graph.split('\n').slice(0, 2)).toEqual(['command - high 25 ms, low 25 ms (all time high 25 ms)', '-'.repeat(80)]);
    expect(await call(c, 'LATENCY', 'RESET', 'COMMAND', 'nosuchevent')).toBe(1);
    expect(await call(c, 'LATENCY', 'RESET')).toBe(1);
    expect(await call(c, 'LATENCY', 'LATEST')).toEqual([]);
    expect(await call(c, 'LATENCY', 'GRAPH', 'command')).toBe("ERR No samples available for event 'command'");
  });

  it('DOCTOR analyses the events and gives Redis advice', async () => {
    const c = await connect();
    expect(await call(c, 'LATENCY', 'DOCTOR')).toMatch(/^I'm sorry, Dave, I can't do that\. Latency monitoring is disabled/);
    await call(c, 'CONFIG', 'SET', 'latency-monitor-threshold', '5');
    expect(await call(c, 'LATENCY', 'DOCTOR')).toMatch(/^Dave, no latency spike was observed during the lifetime of this Redis instance|^\nI have a few advices/);
    await call(c, 'CONFIG', 'SET', 'slowlog-log-slower-than', '-1');
    slowRun('keys', 30);
    let report = (await call(c, 'LATENCY', 'DOCTOR')) as string;
    expect(report).toMatch(/^Dave, I have observed latency spikes in this Redis instance\. You don't mind talking about it, do you Dave\?\n\n1\. command: 1 latency spikes \(average 30ms, mean deviation 0ms, period \d+\.\d\d sec\)\. Worst all time event 30ms\.\n\nI have a few advices for you:\n\n/);
    expect(report).toContain("- There are latency issues with potentially slow commands you are using. Try to enable the Slow Log Redis feature using the command 'CONFIG SET slowlog-log-slower-than 5000'.");
    expect(report).toContain('- Check your Slow Log to understand what are the commands you are running');
    expect(report).toContain('- Deleting, expiring or evicting (because of maxmemory policy) large objects is a blocking operation.');
    await call(c, 'CONFIG', 'SET', 'slowlog-log-slower-than', '10000');
    report = (await call(c, 'LATENCY', 'DOCTOR')) as string;
    expect(report).toContain("Please use 'CONFIG SET slowlog-log-slower-than 5000'.");
    expect(report).not.toContain('Try to enable the Slow Log');
  });

  it('CONFIG RESETSTAT keeps the latency events and the slowlog', async () => {
    const c = await connect();
    await call(c, 'CONFIG', 'SET', 'latency-monitor-threshold', '5');
    await call(c, 'CONFIG', 'SET', 'slowlog-log-slower-than', '0');
    slowRun('keys', 30);
    await call(c, 'CONFIG', 'RESETSTAT');
    expect(((await call(c, 'LATENCY', 'LATEST')) as Plain[]).length).toBe(1);
    expect(await call(c, 'SLOWLOG', 'LEN')).toBeGreaterThan(1);
  });
});

describe('MEMORY', () => {
  it('USAGE: null for a missing key, grows with the value, SAMPLES validated', async () => {
    const c = await connect();
    expect(await call(c, 'MEMORY', 'USAGE', 'missing')).toBe(null);
    await call(c, 'SET', 'small', 'v');
    await call(c, 'SET', 'big', 'x'.repeat(10000));
    const small = (await call(c, 'MEMORY', 'USAGE', 'small')) as number;
    const big = (await call(c, 'MEMORY', 'USAGE', 'big', 'SAMPLES', '0')) as number;
    expect(small).toBeGreaterThan(0);
    expect(small).toBeLessThan(200);
    expect(big).toBeGreaterThanOrEqual(10000);
    expect(big).toBeLessThan(13000);
    expect(await call(c, 'MEMORY', 'USAGE', 'small', 'SAMPLES', '-1')).toBe('ERR syntax error');
    expect(await call(c, 'MEMORY', 'USAGE', 'small', 'SAMPLES', 'x')).toBe('ERR value is not an integer or out of range');
    expect(await call(c, 'MEMORY', 'USAGE', 'small', 'BOGUS')).toBe('ERR syntax error');
    // A hash is charged its fields (when the server has hashes).
    const fields: string[] = [];
    for (let i = 0; i < 100; i++) fields.push(`field${i}`, 'v'.repeat(100));
    if (typeof (await call(c, 'HSET', 'h', ...fields)) === 'number') {
      expect(await call(c, 'MEMORY', 'USAGE', 'h')).toBeGreaterThan(100 * 100);
    }
  });

  it('STATS: Redis fields, one db.N entry per non-empty database, key counts', async () => {
    const c = await connect();
    await call(c, 'MSET', 'a', '1', 'b', '2');
    await call(c, 'SELECT', '5');
    await call(c, 'SET', 'c', '3');
    const stats = pairs(await call(c, 'MEMORY', 'STATS'));
    expect([...stats.keys()]).toEqual([
      'peak.allocated', 'total.allocated', 'startup.allocated', 'replication.backlog', 'clients.slaves', 'clients.normal',
      'cluster.links', 'aof.buffer', 'lua.caches', 'functions.caches', 'db.0', 'db.5', 'overhead.total', 'keys.count',
      'keys.bytes-per-key', 'dataset.bytes', 'dataset.percentage', 'peak.percentage', 'allocator.allocated',
      'allocator.active', 'allocator.resident', 'allocator-fragmentation.ratio', 'allocator-fragmentation.bytes',
      'allocator-rss.ratio', 'allocator-rss.bytes', 'rss-overhead.ratio', 'rss-overhead.bytes', 'fragmentation',
      'fragmentation.bytes',
    ]);
    expect(stats.get('keys.count')).toBe(3);
    expect([...pairs(stats.get('db.5')!).keys()]).toEqual(['overhead.hashtable.main', 'overhead.hashtable.expires', 'overhead.hashtable.slot-to-keys']);
    const total = stats.get('total.allocated') as number;
    expect(stats.get('peak.allocated') as number).toBeGreaterThanOrEqual(total);
    expect((stats.get('overhead.total') as number) + (stats.get('dataset.bytes') as number)).toBeLessThanOrEqual(total + (stats.get('clients.normal') as number));
    if (target.kind === 'slabcache') {
      const used = Number((await info(c, 'memory')).get('used_memory'));
      expect(used).toBe(total);
      expect(stats.get('overhead.total') as number + (stats.get('dataset.bytes') as number)).toBe(total);
    }
  });

  it('DOCTOR, MALLOC-STATS, PURGE and HELP answer', async () => {
    const c = await connect();
    expect(await call(c, 'MEMORY', 'DOCTOR')).toMatch(/^(Hi Sam, |Sam, I detected)/);
    expect(typeof (await call(c, 'MEMORY', 'MALLOC-STATS'))).toBe('string');
    expect(await call(c, 'MEMORY', 'PURGE')).toBe('OK');
    expect(((await call(c, 'MEMORY', 'HELP')) as string[])[0]).toBe('MEMORY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:');
  });
});

describe('MONITOR', () => {
  const LINE = /^\+(\d+)\.(\d{6}) \[(\d+) ([^\]]+)\] (.*)\r\n$/;

  it('streams each executed command to the monitor, as Redis formats it', async () => {
    const m = await connect();
    const c = await connect();
    const addr = await addrOf(c);
    expect(await call(m, 'MONITOR')).toBe('OK');
    await call(c, 'SET', 'a b', 'x');
    await c.call('SET', Buffer.from([0x00, 0xff, 0x22, 0x5c, 0x0a]), '1');
    await call(c, 'SELECT', '2');
    await call(c, 'CONFIG', 'GET', 'maxmemory'); // admin: not shown
    await call(c, 'GET'); // refused by the arity check: not shown
    await call(c, 'AUTH', 'user', 'secret');
    await call(c, 'SELECT', '0');
    const lines = (await m.readReplies(5)).map((b) => b.toString('latin1'));
    const parsed = lines.map((l) => LINE.exec(l));
    for (const [i, p] of parsed.entries()) expect(p, lines[i]).not.toBeNull();
    expect(parsed.map((p) => [p![3], p![4], p![5]])).toEqual([
      ['0', addr, '"SET" "a b" "x"'],
      ['0', addr, '"SET" "\\x00\\xff\\"\\\\\\n" "1"'],
      // SELECT is shown with the database it selected: Redis feeds monitors after the command runs
      ['2', addr, '"SELECT" "2"'],
      ['2', addr, '"AUTH" "(redacted)" "(redacted)"'],
      ['0', addr, '"SELECT" "0"'],
    ]);
    const seconds = Number(parsed[0]![1]);
    expect(Math.abs(seconds - Date.now() / 1000)).toBeLessThan(120);
  });

  it("a monitor's own commands follow their replies; MONITOR again is ignored; RESET stops it", async () => {
    const m = await connect();
    const other = await connect();
    expect(await call(m, 'MONITOR')).toBe('OK');
    m.send('MONITOR');
    m.send('PING');
    const [pong, echo] = (await m.readReplies(2)).map((b) => b.toString('latin1'));
    expect(pong).toBe('+PONG\r\n');
    expect(echo).toMatch(/^\+\d+\.\d{6} \[0 [^\]]+\] "PING"\r\n$/);
    expect(await call(m, 'RESET')).toBe('RESET');
    await call(other, 'SET', 'k', 'v');
    expect(await call(m, 'PING')).toBe('PONG');
    expect(m.buffered.length).toBe(0);
  });

  it('several monitors each get every line; a closed monitor is dropped', async () => {
    const m1 = await connect();
    const m2 = await connect();
    const c = await connect();
    await call(m1, 'MONITOR');
    await call(m2, 'MONITOR');
    await call(c, 'INCR', 'n');
    for (const m of [m1, m2]) expect((await m.readReply()).toString('latin1')).toMatch(/"INCR" "n"\r\n$/);
    // A pipelined batch reaches every monitor complete and in order.
    c.write('INCR n\r\nGET n\r\nDEL n\r\n');
    await c.readReplies(3);
    for (const m of [m1, m2]) {
      const lines = (await m.readReplies(3)).map((b) => /\] (.*)\r\n$/.exec(b.toString('latin1'))![1]);
      expect(lines).toEqual(['"INCR" "n"', '"GET" "n"', '"DEL" "n"']);
    }
    await m1.close();
    if (target.running !== null) {
      const metrics = target.running.state.metrics;
      await until('the closed monitor to be dropped', () => metrics.monitors.size === 1);
      await m2.close();
      await until('no monitor left', () => metrics.monitors.size === 0);
    }
  });

  const haveCli = whichSync('redis-cli') !== null;
  it.skipIf(!haveCli)('redis-cli monitor prints OK, then one line per command', async () => {
    const c = await connect();
    const addr = await addrOf(c);
    let out = '';
    const child: ChildProcess = spawn('redis-cli', ['-h', '127.0.0.1', '-p', String(target.port), 'monitor'], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout!.on('data', (d: Buffer) => (out += d.toString('latin1')));
    try {
      await until('redis-cli to print OK', () => out.startsWith('OK\n'));
      await call(c, 'SET', 'greeting', 'hello world');
      await call(c, 'GET', 'greeting');
      await until('two monitor lines', () => out.split('\n').length >= 4);
      const lines = out.split('\n').slice(1, 3);
      expect(lines[0]).toMatch(new RegExp(`^\\d+\\.\\d{6} \\[0 ${addr.replace(/\./g, '\\.')}\\] "SET" "greeting" "hello world"$`));
      expect(lines[1]).toMatch(/^\d+\.\d{6} \[0 [^\]]+\] "GET" "greeting"$/);
    } finally {
      child.kill('SIGKILL');
    }
  });
});

describe('CONFIG RESETSTAT and INFO stats', () => {
  it('resets command, error and server counters, as Redis does', async () => {
    const c = await connect();
    await call(c, 'SET', 'k', 'v');
    await call(c, 'GET', 'k');
    await call(c, 'GET', 'missing');
    await call(c, 'GET');
    await call(c, 'INCR', 'k');
    await connect();
    expect(await call(c, 'CONFIG', 'RESETSTAT')).toBe('OK');
    const stats = await info(c, 'stats');
    expect(stats.get('total_commands_processed')).toBe('1');
    expect(stats.get('total_connections_received')).toBe('0');
    expect(stats.get('keyspace_hits')).toBe('0');
    expect(stats.get('keyspace_misses')).toBe('0');
    expect(stats.get('total_error_replies')).toBe('0');
    expect(stats.get('rejected_connections')).toBe('0');
    // INFO's own request bytes arrived after the reset, and RESETSTAT's +OK was sent after it.
    expect(Number(stats.get('total_net_input_bytes'))).toBe('*2\r\n$4\r\nINFO\r\n$5\r\nstats\r\n'.length);
    expect(stats.get('total_net_output_bytes')).toBe('5');
    expect((await call(c, 'INFO', 'errorstats')) as string).toBe('# Errorstats\r\n');
    const commandstats = await info(c, 'commandstats');
    expect([...commandstats.keys()].sort()).toEqual(['cmdstat_config|resetstat', 'cmdstat_info']);
    expect(commandstats.get('cmdstat_config|resetstat')).toMatch(/^calls=1,usec=\d+,usec_per_call=\d+\.\d\d,rejected_calls=0,failed_calls=0$/);
  });

  it('errorstats lists error codes in byte order', async () => {
    const c = await connect();
    await call(c, 'CONFIG', 'RESETSTAT');
    await call(c, 'AUTH', 'user', 'wrong');
    await call(c, 'GET');
    expect((await call(c, 'INFO', 'errorstats')) as string).toBe('# Errorstats\r\nerrorstat_ERR:count=1\r\nerrorstat_WRONGPASS:count=1\r\n');
  });

  it('has the fields of Redis 7.0.15 INFO stats and memory, in order', async () => {
    const c = await connect();
    expect([...(await info(c, 'stats')).keys()]).toEqual([
      'total_connections_received', 'total_commands_processed', 'instantaneous_ops_per_sec', 'total_net_input_bytes',
      'total_net_output_bytes', 'total_net_repl_input_bytes', 'total_net_repl_output_bytes', 'instantaneous_input_kbps',
      'instantaneous_output_kbps', 'instantaneous_input_repl_kbps', 'instantaneous_output_repl_kbps', 'rejected_connections',
      'sync_full', 'sync_partial_ok', 'sync_partial_err', 'expired_keys', 'expired_stale_perc', 'expired_time_cap_reached_count',
      'expire_cycle_cpu_milliseconds', 'evicted_keys', 'evicted_clients', 'total_eviction_exceeded_time',
      'current_eviction_exceeded_time', 'keyspace_hits', 'keyspace_misses', 'pubsub_channels', 'pubsub_patterns',
      'pubsubshard_channels', 'latest_fork_usec', 'total_forks', 'migrate_cached_sockets', 'slave_expires_tracked_keys',
      'active_defrag_hits', 'active_defrag_misses', 'active_defrag_key_hits', 'active_defrag_key_misses',
      'total_active_defrag_time', 'current_active_defrag_time', 'tracking_total_keys', 'tracking_total_items',
      'tracking_total_prefixes', 'unexpected_error_replies', 'total_error_replies', 'dump_payload_sanitizations',
      'total_reads_processed', 'total_writes_processed', 'io_threaded_reads_processed', 'io_threaded_writes_processed',
      'reply_buffer_shrinks', 'reply_buffer_expands',
    ]);
    expect([...(await info(c, 'memory')).keys()]).toEqual([
      'used_memory', 'used_memory_human', 'used_memory_rss', 'used_memory_rss_human', 'used_memory_peak',
      'used_memory_peak_human', 'used_memory_peak_perc', 'used_memory_overhead', 'used_memory_startup',
      'used_memory_dataset', 'used_memory_dataset_perc', 'allocator_allocated', 'allocator_active', 'allocator_resident',
      'total_system_memory', 'total_system_memory_human', 'used_memory_lua', 'used_memory_vm_eval', 'used_memory_lua_human',
      'used_memory_scripts_eval', 'number_of_cached_scripts', 'number_of_functions', 'number_of_libraries',
      'used_memory_vm_functions', 'used_memory_vm_total', 'used_memory_vm_total_human', 'used_memory_functions',
      'used_memory_scripts', 'used_memory_scripts_human', 'maxmemory', 'maxmemory_human', 'maxmemory_policy',
      'allocator_frag_ratio', 'allocator_frag_bytes', 'allocator_rss_ratio', 'allocator_rss_bytes', 'rss_overhead_ratio',
      'rss_overhead_bytes', 'mem_fragmentation_ratio', 'mem_fragmentation_bytes', 'mem_not_counted_for_evict',
      'mem_replication_backlog', 'mem_total_replication_buffers', 'mem_clients_slaves', 'mem_clients_normal',
      'mem_cluster_links', 'mem_aof_buffer', 'mem_allocator', 'active_defrag_running', 'lazyfree_pending_objects', 'lazyfreed_objects',
    ]);
  });

  it('instantaneous_ops_per_sec and input/output kbps follow the load', async () => {
    const c = await connect();
    const load = await connect();
    let stop = false;
    const pump = (async () => {
      const batch = Array.from({ length: 50 }, () => 'PING\r\n').join('');
      while (!stop) {
        load.write(batch);
        await load.readReplies(50);
      }
    })();
    try {
      await until('instantaneous_ops_per_sec > 0', async () => {
        const s = await info(c, 'stats');
        return Number(s.get('instantaneous_ops_per_sec')) > 0 && Number(s.get('instantaneous_input_kbps')) > 0 && Number(s.get('instantaneous_output_kbps')) > 0;
      });
    } finally {
      stop = true;
      await pump;
    }
  });
});
