/*
 * The in-process API (src/index.ts) as a test suite uses it: startServer() on a free port,
 * options as an object, several servers in one process with separate state, config errors as
 * rejections with Redis's text, and nothing left running after close(): a child process that
 * starts servers (with the HTTP sidecar), uses them through ioredis (blocking pops, pub/sub,
 * scripts, CLIENT PAUSE), closes them and does nothing else must exit by itself.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { startServer, type SlabcacheServer } from '../../src/index.ts';
import { freePort } from '../helpers/redis-server.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');
const NODE = path.join(ROOT, 'node_modules', '.bin', 'node');

const servers: SlabcacheServer[] = [];
const clients: Redis[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.disconnect();
  for (const s of servers.splice(0)) await s.close();
});

async function start(options: Parameters<typeof startServer>[0] = {}): Promise<SlabcacheServer> {
  const server = await startServer({ logger: false, ...options });
  servers.push(server);
  return server;
}

function connect(server: SlabcacheServer): Redis {
  const client = new Redis(server.url, { lazyConnect: false, maxRetriesPerRequest: 1 });
  clients.push(client);
  return client;
}

describe('startServer()', () => {
  it('listens on a free loopback port and gives a redis:// url, with the sidecar off', async () => {
    const server = await start();
    expect(server.host).toBe('127.0.0.1');
    expect(server.port).toBeGreaterThan(0);
    expect(server.url).toBe(`redis://127.0.0.1:${server.port}`);
    expect(server.metricsPort).toBe(0);
    expect(await connect(server).ping()).toBe('PONG');
  });

  it('takes config options as an object: strings, numbers and booleans', async () => {
    const server = await start({ maxmemory: '10mb', 'maxmemory-policy': 'allkeys-lru', 'lazyfree-lazy-user-del': true, 'hash-max-listpack-entries': 7 });
    const client = connect(server);
    expect(await client.config('GET', 'maxmemory')).toEqual(['maxmemory', '10485760']);
    expect(await client.config('GET', 'maxmemory-policy')).toEqual(['maxmemory-policy', 'allkeys-lru']);
    expect(await client.config('GET', 'lazyfree-lazy-user-del')).toEqual(['lazyfree-lazy-user-del', 'yes']);
    expect(await client.config('GET', 'hash-max-listpack-entries')).toEqual(['hash-max-listpack-entries', '7']);
  });

  it('servers in one process share no state', async () => {
    const [a, b] = [await start(), await start({ databases: 2 })];
    const [ca, cb] = [connect(a), connect(b)];
    await ca.set('k', 'a');
    expect(await cb.get('k')).toBeNull();
    await cb.config('SET', 'notify-keyspace-events', 'KEA');
    expect(await ca.config('GET', 'notify-keyspace-events')).toEqual(['notify-keyspace-events', '']);
    expect(await cb.select(2).catch((e: Error) => e.message)).toBe('ERR DB index is out of range');
    expect(await ca.select(2)).toBe('OK');
    expect(await ca.dbsize()).toBe(0);
  });

  it('rejects a bad option with the config error, and leaves nothing listening', async () => {
    await expect(startServer({ logger: false, 'maxmemory-policy': 'fifo' as never })).rejects.toThrow(/argument\(s\) must be one of the following|Bad directive/);
    await expect(startServer({ logger: false, 'no-such-directive': 1 } as never)).rejects.toThrow("ERR Unknown option or number of arguments for CONFIG SET - 'no-such-directive'");
  });

  it('a process that closes its servers exits by itself', async () => {
    const metricsPort = await freePort();
    const script = `
      import { startServer } from ${JSON.stringify(path.join(ROOT, 'src', 'index.ts'))};
      import { Redis } from 'ioredis';
      const a = await startServer({ 'metrics-port': ${metricsPort}, logger: false });
      const b = await startServer({ logger: false });
      const sub = new Redis(a.url), pub = new Redis(a.url), waiter = new Redis(b.url), other = new Redis(b.url);
      await sub.subscribe('news');
      const message = new Promise((resolve) => sub.on('message', (_c, m) => resolve(m)));
      await pub.publish('news', 'hello');
      const popped = waiter.blpop('q', 5);
      await other.rpush('q', 'x');
      await other.eval("return redis.call('incr', KEYS[1])", 1, 'n');
      await other.client('PAUSE', 60000, 'WRITE');
      const metrics = await fetch('http://127.0.0.1:${metricsPort}/healthz');
      console.log(JSON.stringify([await message, await popped, metrics.status]));
      sub.disconnect(); pub.disconnect(); waiter.disconnect(); other.disconnect();
      await a.close(); await b.close();
    `;
    const child = spawn(NODE, ['--input-type=module', '--eval', script], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const killer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    const [code, signal] = await new Promise<[number | null, string | null]>((resolve) => child.on('exit', (c, s) => resolve([c, s])));
    clearTimeout(killer);
    expect(err).toBe('');
    expect(signal).toBeNull();
    expect(code).toBe(0);
    expect(JSON.parse(out)).toEqual(['hello', ['q', 'x'], 200]);
  }, 30_000);
});
