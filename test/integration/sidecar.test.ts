/*
 * The HTTP metrics sidecar (src/sidecar.ts): /metrics under load, read by a Prometheus text
 * parser (parse-prometheus-text-format, a port of prom2json's; promtool too where installed)
 * and by a stricter check of the exposition rules here (name and label syntax, one TYPE before a family's samples, families
 * contiguous, no duplicate series, cumulative histogram buckets); redis_exporter's names,
 * types and labels; /healthz through a shutdown; /info against the INFO command.
 */
import net from 'node:net';
import { spawnSync } from 'node:child_process';
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { Redis } from 'ioredis';
import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import { pino } from 'pino';
import { startServer, type RunningServer } from '../../src/server.ts';
import { freePort } from '../helpers/redis-server.ts';

async function start(metricsPort: number): Promise<RunningServer> {
  return startServer({ loglevel: 'warning', port: '0', bind: '127.0.0.1', 'metrics-port': String(metricsPort) });
}

function connect(port: number, db = 0): Redis {
  return new Redis({ port, host: '127.0.0.1', db, maxRetriesPerRequest: 0, retryStrategy: () => null, reconnectOnError: () => false });
}

// ---- the exposition, read strictly ----

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

interface Page {
  types: Map<string, string>;
  samples: Sample[];
}

const NAME = '[a-zA-Z_:][a-zA-Z0-9_:]*';
const LABEL = '[a-zA-Z_][a-zA-Z0-9_]*';
const VALUE = '(?:[-+]?(?:[0-9]+(?:\\.[0-9]*)?|\\.[0-9]+)(?:[eE][-+]?[0-9]+)?|NaN|[-+]Inf)';
const SAMPLE_LINE = new RegExp(`^(${NAME})(?:\\{((?:${LABEL}="(?:[^"\\\\\\n]|\\\\[\\\\"n])*")(?:,${LABEL}="(?:[^"\\\\\\n]|\\\\[\\\\"n])*")*)?\\})? (${VALUE})$`);
const LABEL_PAIR = new RegExp(`(${LABEL})="((?:[^"\\\\]|\\\\.)*)"`, 'g');
const SUFFIXES: Record<string, string[]> = { histogram: ['_bucket', '_sum', '_count'], summary: ['_sum', '_count'] };

/** The family a sample belongs to, given the TYPEs seen. */
function familyOf(name: string, types: Map<string, string>): string | undefined {
  if (types.has(name)) return name;
  for (const [family, type] of types) {
    for (const suffix of SUFFIXES[type] ?? []) if (name === family + suffix) return family;
  }
  return undefined;
}

/** Parse the page by the text format's rules; throws on the first violation. */
function readPage(text: string): Page {
  expect(text.endsWith('\n')).toBe(true);
  const types = new Map<string, string>();
  const helps = new Set<string>();
  const samples: Sample[] = [];
  const series = new Set<string>();
  const closed = new Set<string>();
  let current: string | undefined;
  for (const line of text.slice(0, -1).split('\n')) {
    if (line.startsWith('# HELP ') || line.startsWith('# TYPE ')) {
      const [, kind, name, ...rest] = line.split(' ');
      if (!new RegExp(`^${NAME}$`).test(name)) throw new Error(`bad metric name: ${line}`);
      if (kind === 'TYPE') {
        if (types.has(name)) throw new Error(`second TYPE for ${name}`);
        if (rest.length !== 1 || !['counter', 'gauge', 'histogram', 'summary', 'untyped'].includes(rest[0])) throw new Error(`bad TYPE line: ${line}`);
        types.set(name, rest[0]);
      } else {
        if (helps.has(name)) throw new Error(`second HELP for ${name}`);
        helps.add(name);
      }
      if (current !== name) {
        if (current !== undefined) closed.add(current);
        if (closed.has(name)) throw new Error(`family ${name} is not contiguous`);
        current = name;
      }
      continue;
    }
    if (line.startsWith('#')) continue;
    const m = SAMPLE_LINE.exec(line);
    if (m === null) throw new Error(`not a valid sample line: ${JSON.stringify(line)}`);
    const family = familyOf(m[1], types);
    if (family === undefined) throw new Error(`sample before its TYPE: ${line}`);
    if (family !== current) throw new Error(`sample of ${family} outside its family block: ${line}`);
    const labels: Record<string, string> = {};
    for (const [, k, v] of (m[2] ?? '').matchAll(LABEL_PAIR)) {
      if (k in labels) throw new Error(`label ${k} twice: ${line}`);
      labels[k] = v.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
    }
    const key = m[1] + JSON.stringify(Object.entries(labels).sort());
    if (series.has(key)) throw new Error(`duplicate series: ${line}`);
    series.add(key);
    const v = m[3];
    samples.push({ name: m[1], labels, value: v === 'NaN' ? NaN : v === '+Inf' ? Infinity : v === '-Inf' ? -Infinity : Number(v) });
  }
  // Histograms: per label set, buckets non-decreasing in le, +Inf equal to _count.
  for (const [family, type] of types) {
    if (type !== 'histogram') continue;
    const groups = new Map<string, Sample[]>();
    for (const s of samples.filter((x) => x.name === `${family}_bucket`)) {
      const { le, ...rest } = s.labels;
      expect(le).toBeDefined();
      const k = JSON.stringify(rest);
      groups.set(k, [...(groups.get(k) ?? []), s]);
    }
    expect(groups.size).toBeGreaterThan(0);
    for (const [k, buckets] of groups) {
      const les = buckets.map((b) => (b.labels.le === '+Inf' ? Infinity : Number(b.labels.le)));
      expect(les).toEqual([...les].sort((a, b) => a - b));
      expect(les.at(-1)).toBe(Infinity);
      for (let i = 1; i < buckets.length; i++) expect(buckets[i].value).toBeGreaterThanOrEqual(buckets[i - 1].value);
      const count = samples.find((s) => s.name === `${family}_count` && JSON.stringify(s.labels) === k);
      expect(count?.value).toBe(buckets.at(-1)!.value);
    }
  }
  return { types, samples };
}

function value(page: Page, name: string, labels: Record<string, string> = {}): number {
  const found = page.samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  if (found.length !== 1) throw new Error(`${found.length} samples of ${name} ${JSON.stringify(labels)}`);
  return found[0].value;
}

/** The metrics the issue lists, with redis_exporter's types and label names. */
const REDIS_EXPORTER: Array<[string, string, string[]]> = [
  ['redis_up', 'gauge', []],
  ['redis_uptime_in_seconds', 'gauge', []],
  ['redis_connected_clients', 'gauge', []],
  ['redis_blocked_clients', 'gauge', []],
  ['redis_memory_used_bytes', 'gauge', []],
  ['redis_memory_max_bytes', 'gauge', []],
  ['redis_memory_used_rss_bytes', 'gauge', []],
  ['redis_mem_fragmentation_ratio', 'gauge', []],
  ['redis_commands_processed_total', 'counter', []],
  ['redis_commands_total', 'counter', ['cmd']],
  ['redis_commands_duration_seconds_total', 'counter', ['cmd']],
  ['redis_commands_rejected_calls_total', 'counter', ['cmd']],
  ['redis_commands_failed_calls_total', 'counter', ['cmd']],
  ['redis_errors_total', 'counter', ['err']],
  ['redis_keyspace_hits_total', 'counter', []],
  ['redis_keyspace_misses_total', 'counter', []],
  ['redis_expired_keys_total', 'counter', []],
  ['redis_evicted_keys_total', 'counter', []],
  ['redis_db_keys', 'gauge', ['db']],
  ['redis_db_keys_expiring', 'gauge', ['db']],
  ['redis_db_avg_ttl_seconds', 'gauge', ['db']],
  ['redis_net_input_bytes_total', 'counter', []],
  ['redis_net_output_bytes_total', 'counter', []],
  ['redis_connections_received_total', 'counter', []],
  ['redis_rejected_connections_total', 'counter', []],
  ['redis_config_maxclients', 'gauge', []],
];

const SLABCACHE: Array<[string, string, string[]]> = [
  ['slabcache_shard_keys', 'gauge', ['shard']],
  ['slabcache_shard_keys_expiring', 'gauge', ['shard']],
  ['slabcache_shard_bytes', 'gauge', ['shard']],
  ['slabcache_slab_class_chunk_bytes', 'gauge', ['class']],
  ['slabcache_slab_class_pages', 'gauge', ['class']],
  ['slabcache_slab_class_chunks_used', 'gauge', ['class']],
  ['slabcache_slab_class_fill_ratio', 'gauge', ['class']],
  ['slabcache_expired_unreclaimed_keys', 'gauge', []],
  ['slabcache_eventloop_delay_seconds', 'histogram', []],
  ['slabcache_gc_pause_seconds', 'histogram', ['kind']],
];

describe('HTTP metrics sidecar', () => {
  let server: RunningServer;
  let base: string;
  let client: Redis;

  beforeAll(async () => {
    const port = await freePort();
    server = await start(port);
    base = `http://127.0.0.1:${port}`;
    client = connect(server.port);
  });

  afterAll(async () => {
    client.disconnect();
    await server.close();
  });

  async function scrape(): Promise<{ text: string; page: Page }> {
    const res = await fetch(`${base}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    const text = await res.text();
    return { text, page: readPage(text) };
  }

  it('/metrics under load: counters move, and a Prometheus text parser accepts the whole page', async () => {
    const before = (await scrape()).page;
    const db3 = connect(server.port, 3);
    // Load: pipelines of SET / GET (hits and misses) / EXPIRE on two databases, with pages
    // fetched while they are in flight; then one last page once every reply is in.
    const rounds = 20;
    const perRound = 100;
    const load = (async () => {
      for (let r = 0; r < rounds; r++) {
        const p = db3.pipeline();
        for (let i = 0; i < perRound; i++) {
          p.set(`k:${r}:${i}`, 'v'.repeat(32));
          p.get(`k:${r}:${i}`);
          p.get(`missing:${i}`);
        }
        p.expire(`k:${r}:0`, 1000);
        await p.exec();
      }
    })();
    const during: Page[] = [];
    let loading = true;
    void load.finally(() => (loading = false));
    while (loading || during.length === 0) during.push((await scrape()).page);
    await load;
    await expect(client.call('NOSUCHCOMMAND')).rejects.toThrow(/unknown command/);
    const { text, page: after } = await scrape();
    db3.disconnect();

    // The parser reads every family with the type it was given.
    const families = parsePrometheusTextFormat(text);
    const byName = new Map(families.map((f) => [f.name, f]));
    expect(byName.size).toBe(after.types.size);
    for (const [name, type] of after.types) expect(byName.get(name)?.type).toBe(type.toUpperCase());
    for (const p of during) expect(p.samples.length).toBeGreaterThan(0);

    const calls = rounds * perRound;
    expect(value(after, 'redis_commands_total', { cmd: 'set' }) - (before.samples.some((s) => s.name === 'redis_commands_total' && s.labels.cmd === 'set') ? value(before, 'redis_commands_total', { cmd: 'set' }) : 0)).toBe(calls);
    expect(value(after, 'redis_commands_total', { cmd: 'get' })).toBeGreaterThanOrEqual(2 * calls);
    expect(value(after, 'redis_commands_total', { cmd: 'expire' })).toBe(rounds);
    expect(value(after, 'redis_commands_duration_seconds_total', { cmd: 'set' })).toBeGreaterThan(0);
    expect(value(after, 'redis_commands_processed_total') - value(before, 'redis_commands_processed_total')).toBeGreaterThanOrEqual(3 * calls + rounds);
    expect(value(after, 'redis_keyspace_hits_total') - value(before, 'redis_keyspace_hits_total')).toBe(calls);
    expect(value(after, 'redis_keyspace_misses_total') - value(before, 'redis_keyspace_misses_total')).toBe(calls);
    expect(value(after, 'redis_net_input_bytes_total')).toBeGreaterThan(value(before, 'redis_net_input_bytes_total'));
    expect(value(after, 'redis_net_output_bytes_total')).toBeGreaterThan(value(before, 'redis_net_output_bytes_total'));
    expect(value(after, 'redis_connections_received_total')).toBeGreaterThanOrEqual(2);
    expect(value(after, 'redis_connected_clients')).toBe(2);
    expect(value(after, 'redis_blocked_clients')).toBe(0);
    expect(value(after, 'redis_errors_total', { err: 'ERR' })).toBeGreaterThanOrEqual(1);
    expect(value(after, 'redis_db_keys', { db: 'db3' })).toBe(calls);
    expect(value(after, 'redis_db_keys_expiring', { db: 'db3' })).toBe(rounds);
    expect(value(after, 'redis_db_keys', { db: 'db15' })).toBe(0);
    expect(value(after, 'redis_memory_used_bytes')).toBeGreaterThan(value(before, 'redis_memory_used_bytes'));
    expect(value(after, 'redis_up')).toBe(1);
    expect(value(after, 'redis_config_maxclients')).toBe(10000);

    // slabcache's own agree with the store.
    const shardKeys = after.samples.filter((s) => s.name === 'slabcache_shard_keys');
    expect(shardKeys.length).toBe(server.state.store.shards.length);
    expect(shardKeys.reduce((a, s) => a + s.value, 0)).toBe(calls);
    const chunks = after.samples.filter((s) => s.name === 'slabcache_slab_class_chunks_used').reduce((a, s) => a + s.value, 0);
    expect(chunks).toBe(calls);
    for (const s of after.samples.filter((x) => x.name === 'slabcache_slab_class_fill_ratio')) {
      expect(s.value).toBeGreaterThanOrEqual(0);
      expect(s.value).toBeLessThanOrEqual(1);
    }
    expect(value(after, 'slabcache_expired_unreclaimed_keys')).toBe(0);
    expect(value(after, 'slabcache_eventloop_delay_seconds_count')).toBeGreaterThan(0);
    expect(value(after, 'slabcache_scrapes_total')).toBe(value(before, 'slabcache_scrapes_total') + during.length + 1);
  });

  it("uses redis_exporter's metric names, types and labels, and slabcache_ for its own", async () => {
    const { page } = await scrape();
    for (const [name, type, labels] of [...REDIS_EXPORTER, ...SLABCACHE]) {
      expect(page.types.get(name), name).toBe(type);
      const samples = page.samples.filter((s) => s.name === name || (type === 'histogram' && s.name.startsWith(name + '_')));
      expect(samples.length, name).toBeGreaterThan(0);
      for (const s of samples) expect(Object.keys(s.labels).filter((l) => l !== 'le').sort(), name).toEqual([...labels].sort());
    }
    for (const name of page.types.keys()) expect(name).toMatch(/^(redis|slabcache)_/);
    // Counters end in _total (a Prometheus convention redis_exporter follows).
    for (const [name, type] of page.types) if (type === 'counter') expect(name).toMatch(/_total$/);
    expect(page.samples.filter((s) => s.name === 'redis_db_keys').map((s) => s.labels.db)).toEqual(Array.from({ length: 16 }, (_, i) => `db${i}`));
    expect(page.samples.filter((s) => s.name === 'slabcache_gc_pause_seconds_count').map((s) => s.labels.kind)).toEqual(['minor', 'major', 'incremental', 'weakcb']);
  });

  it('counts clients blocked in BLPOP in redis_blocked_clients', async () => {
    const blocker = connect(server.port);
    const pending = blocker.blpop('sidecar:nothing', 0).catch(() => null);
    // The BLPOP reaches the server some time after the call: read pages until it shows.
    let blocked = 0;
    for (let i = 0; i < 200 && blocked === 0; i++) blocked = value((await scrape()).page, 'redis_blocked_clients');
    expect(blocked).toBe(1);
    blocker.disconnect();
    await pending;
    for (let i = 0; i < 200 && blocked !== 0; i++) blocked = value((await scrape()).page, 'redis_blocked_clients');
    expect(blocked).toBe(0);
  });

  it('/info returns every INFO section as JSON, as the INFO command reports it', async () => {
    await client.set('info:key', '1', 'EX', 100);
    const res = await fetch(`${base}/info`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
    const json = (await res.json()) as Record<string, Record<string, unknown>>;
    const text = (await client.info('everything')) as string;
    const expected = new Map<string, string[]>();
    let section = '';
    for (const line of text.split('\r\n')) {
      if (line.startsWith('# ')) expected.set((section = line.slice(2).toLowerCase()), []);
      else if (line.includes(':')) expected.get(section)!.push(line.slice(0, line.indexOf(':')));
    }
    expect(Object.keys(json)).toEqual([...expected.keys()]);
    for (const [name, fields] of expected) expect(Object.keys(json[name]), name).toEqual(fields);
    expect(json.server.redis_version).toBe('7.0.15');
    expect(json.server.tcp_port).toBe(server.port);
    expect(json.server.redis_git_sha1).toBe('00000000');
    expect(json.keyspace.db0).toMatchObject({ keys: 1, expires: 1 });
    const set = json.commandstats.cmdstat_set as Record<string, number>;
    expect(set.calls).toBeGreaterThanOrEqual(1);
    expect(Object.keys(set)).toEqual(['calls', 'usec', 'usec_per_call', 'rejected_calls', 'failed_calls']);
    await client.del('info:key');
  });

  // Prometheus's own parser and linter, where installed (Debian: prometheus).
  const promtool = spawnSync('promtool', ['--version']).status === 0;
  it.runIf(promtool)('promtool check metrics accepts the page', async () => {
    await client.set('p', '1');
    const { text } = await scrape();
    const r = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
    expect(r.stdout + r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it('answers 404 for other paths and 405 for other methods; HEAD has no body', async () => {
    expect((await fetch(`${base}/nope`)).status).toBe(404);
    const post = await fetch(`${base}/metrics`, { method: 'POST' });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET, HEAD');
    const head = await fetch(`${base}/metrics`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe('');
  });
});

describe('sidecar: one client cannot make it hold unbounded pages', () => {
  let server: RunningServer;
  let port: number;

  beforeAll(async () => {
    port = await freePort();
    server = await start(port);
  });

  afterAll(async () => {
    await server.close();
  });

  /** Send `text` on a fresh connection; resolves with all it received once the server closed it, or at `ms`. */
  function exchange(text: string, ms: number): Promise<{ data: string; closedByServer: boolean }> {
    return new Promise((resolve) => {
      const s = net.connect(port, '127.0.0.1', () => s.write(text));
      let data = '';
      s.on('data', (d: Buffer) => (data += d.toString('latin1')));
      const timer = setTimeout(() => {
        s.destroy();
        resolve({ data, closedByServer: false });
      }, ms);
      s.on('error', () => undefined);
      s.on('close', () => {
        clearTimeout(timer);
        resolve({ data, closedByServer: true });
      });
    });
  }

  it('serves a few pipelined pages to a client that reads them, each whole', async () => {
    const pipelined = 'GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n'.repeat(4) + 'GET /info HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n';
    const { data, closedByServer } = await exchange(pipelined, 10_000);
    expect(closedByServer).toBe(true);
    expect(data.match(/HTTP\/1\.1 200 OK/g)?.length).toBe(5);
    // Chunked bodies: each page ends with the zero-length chunk.
    expect(data.match(/\r\n0\r\n\r\n/g)?.length).toBe(5);
    expect(data).toContain('"server":{');
  });

  it('serves a keep-alive scraper any number of pages, one after another', async () => {
    const s = net.connect(port, '127.0.0.1');
    await new Promise<void>((resolve) => s.once('connect', () => resolve()));
    let data = '';
    s.on('data', (d: Buffer) => (data += d.toString('latin1')));
    for (let i = 1; i <= 24; i++) {
      s.write('GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n');
      const deadline = Date.now() + 10_000;
      while ((data.match(/\r\n0\r\n\r\n/g)?.length ?? 0) < i) {
        if (Date.now() > deadline || s.destroyed) throw new Error(`page ${i} did not arrive`);
        await new Promise((r) => setTimeout(r, 5));
      }
    }
    expect(s.destroyed).toBe(false);
    s.destroy();
  });

  it('closes a connection with more pages pipelined than the bound, and keeps serving others', async () => {
    // 2,000 pipelined GET /metrics (about 30 KB each): before the bound, the server made every
    // page and held it, about 55 KB per request when the client did not read.
    const flood = 'GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n'.repeat(2_000);
    const { data, closedByServer } = await exchange(flood, 10_000);
    expect(closedByServer).toBe(true);
    expect(data.match(/HTTP\/1\.1 200 OK/g)?.length ?? 0).toBeLessThanOrEqual(16);
    const res = await fetch(`http://127.0.0.1:${port}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('OK\n');
  });

  it('closes an HTTP/2 session with more page streams open than the bound, unread', async () => {
    const http2 = await import('node:http2');
    const session = http2.connect(`http://127.0.0.1:${port}`, { settings: { initialWindowSize: 0 } });
    session.on('error', () => undefined);
    const closed = new Promise<void>((resolve) => session.on('close', () => resolve()));
    await new Promise<void>((resolve) => session.once('connect', () => resolve()));
    for (let i = 0; i < 40 && !session.closed && !session.destroyed; i++) {
      const stream = session.request({ ':path': '/metrics' });
      stream.on('error', () => undefined);
      stream.pause();
    }
    const outcome = await Promise.race([closed.then(() => 'closed'), new Promise((r) => setTimeout(() => r('open'), 10_000))]);
    session.destroy();
    expect(outcome).toBe('closed');
  });
});

describe('sidecar lifecycle', () => {
  it('/healthz is 200 while accepting, 503 while shutting down, and the port is closed after', async () => {
    const port = await freePort();
    const server = await start(port);
    const url = `http://127.0.0.1:${port}/healthz`;
    const ok = await fetch(url);
    expect(ok.status).toBe(200);
    expect(await ok.text()).toBe('OK\n');
    // A client that keeps its side open holds close() in its drain phase.
    const holder = net.connect({ port: server.port, host: '127.0.0.1', allowHalfOpen: true });
    await new Promise<void>((resolve) => holder.once('connect', () => resolve()));
    const ended = new Promise<void>((resolve) => holder.once('end', () => resolve()));
    const closing = server.close();
    await ended;
    const during = await fetch(url);
    expect(during.status).toBe(503);
    expect(await during.text()).toBe('shutting down\n');
    holder.end();
    await closing;
    await expect(fetch(url)).rejects.toThrow();
  });

  it('refuses to start when the metrics port is taken, and leaves the RESP port free', async () => {
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', () => resolve()));
    const taken = (blocker.address() as net.AddressInfo).port;
    const respPort = await freePort();
    await expect(startServer({ loglevel: 'warning', port: String(respPort), bind: '127.0.0.1', 'metrics-port': String(taken) })).rejects.toThrow(/metrics HTTP listening socket.*EADDRINUSE/);
    // The RESP listener it had opened is closed again: the same port can be bound.
    const again = await startServer({ loglevel: 'warning', port: String(respPort), bind: '127.0.0.1', 'metrics-port': '0' });
    expect(again.port).toBe(respPort);
    await again.close();
    await new Promise<void>((resolve) => blocker.close(() => resolve()));
  });

  it('logs where it listens, and metrics-port 0 starts none', async () => {
    const lines: string[] = [];
    const logger = pino({ level: 'info' }, { write: (line: string) => void lines.push(line) });
    const port = await freePort();
    const on = await startServer({ port: '0', bind: '127.0.0.1', 'metrics-port': String(port) }, { logger });
    await on.close();
    const listening = lines.map((l) => JSON.parse(l) as { msg: string; addresses?: string[] }).filter((l) => l.msg === 'metrics sidecar listening');
    expect(listening.map((l) => l.addresses)).toEqual([[`127.0.0.1:${port}`]]);
    lines.length = 0;
    const off = await startServer({ port: '0', bind: '127.0.0.1', 'metrics-port': '0' }, { logger });
    await off.close();
    expect(lines.some((l) => l.includes('metrics sidecar'))).toBe(false);
    expect(lines.some((l) => l.includes('ready to accept connections'))).toBe(true);
  });
});
