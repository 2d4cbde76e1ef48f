/*
 * The server as a process that many clients share: admission (maxclients), idle timeouts,
 * authentication, backpressure from clients that do not read, the output-buffer hard limit,
 * CLIENT KILL / LIST, INFO, maxmemory (OOM under noeviction, eviction under allkeys-lru) and
 * a graceful close that still delivers the replies a client is owed.
 *
 * No assertion is on elapsed time: waits are bounded polls for a state to be reached.
 * INTEGRATION_TARGET=redis runs the file against a real redis-server instead (the tests that
 * need slabcache's in-process handle, or its stop-reading behaviour, skip there).
 */
import { describe, it, expect, beforeAll, afterAll, afterEach } from 'vitest';
import net from 'node:net';
import { once } from 'node:events';
import { Redis } from 'ioredis';
import { RawClient, encodeCommand } from '../helpers/raw-client.ts';
import { startRedisServer } from '../helpers/redis-server.ts';

interface Target {
  kind: 'slabcache' | 'redis';
  port: number;
  close(): Promise<void>;
}

async function startTarget(directives: Record<string, string> = {}): Promise<Target> {
  if (process.env['INTEGRATION_TARGET'] === 'redis') {
    const r = await startRedisServer(directives);
    return { kind: 'redis', port: r.port, close: () => r.stop() };
  }
  const { startServer } = await import('../../src/server.ts');
  const s = await startServer({ loglevel: 'warning', 'metrics-port': '0', ...directives, port: '0', bind: '127.0.0.1' });
  return { kind: 'slabcache', port: s.port, close: () => s.close() };
}

const isRedisTarget = process.env['INTEGRATION_TARGET'] === 'redis';
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const text = (b: Uint8Array) => Buffer.from(b).toString('latin1');

/** Polls `probe` until it returns true; fails after `timeoutMs` with `what`. */
async function until(what: string, probe: () => Promise<boolean> | boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await probe()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(20);
  }
}

let shared: Target;
const servers: Target[] = [];
const raws: RawClient[] = [];
const sockets: net.Socket[] = [];
const ioredises: Redis[] = [];

async function server(directives: Record<string, string> = {}): Promise<Target> {
  const t = await startTarget(directives);
  servers.push(t);
  return t;
}

async function raw(port = shared.port): Promise<RawClient> {
  const c = await RawClient.connect(port);
  raws.push(c);
  return c;
}

/**
 * A client that names itself (and reads that one reply, so the server has registered it),
 * then writes `payload` and never reads again: its socket is paused.
 */
async function stuckClient(port: number, name: string, payload: Buffer): Promise<net.Socket> {
  const s = net.createConnection({ port, host: '127.0.0.1' });
  sockets.push(s);
  s.on('error', () => {});
  await once(s, 'connect');
  s.write(`CLIENT SETNAME ${name}\r\n`);
  const [first] = (await once(s, 'data')) as [Buffer];
  expect(text(first)).toBe('+OK\r\n');
  s.pause();
  s.write(payload);
  return s;
}

/** Resolves when the socket is closed (also when it already is). */
function closedPromise(s: net.Socket): Promise<void> {
  if (s.closed) return Promise.resolve();
  return new Promise((resolve) => s.once('close', () => resolve()));
}

async function call(c: RawClient, ...args: string[]): Promise<string> {
  return text(await c.call(...args));
}

/** Decodes a bulk-string reply ($n\r\n...\r\n) to its text. */
function bulk(reply: string): string {
  const m = /^\$(\d+)\r\n/.exec(reply);
  if (!m) throw new Error(`not a bulk reply: ${JSON.stringify(reply.slice(0, 200))}`);
  return reply.slice(m[0].length, m[0].length + Number(m[1]));
}

/** Decodes a flat array of bulk strings. */
function bulkArray(reply: string): string[] {
  const m = /^\*(\d+)\r\n/.exec(reply);
  if (!m) throw new Error(`not an array reply: ${JSON.stringify(reply.slice(0, 200))}`);
  const out: string[] = [];
  let pos = m[0].length;
  for (let i = 0; i < Number(m[1]); i++) {
    const b = /^\$(\d+)\r\n/.exec(reply.slice(pos))!;
    pos += b[0].length;
    out.push(reply.slice(pos, pos + Number(b[1])));
    pos += Number(b[1]) + 2;
  }
  return out;
}

function infoFields(info: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of info.split('\r\n')) {
    const i = line.indexOf(':');
    if (i > 0 && !line.startsWith('#')) out.set(line.slice(0, i), line.slice(i + 1));
  }
  return out;
}

async function infoField(c: RawClient, section: string, name: string): Promise<string> {
  const v = infoFields(bulk(await call(c, 'INFO', section))).get(name);
  if (v === undefined) throw new Error(`INFO ${section} has no ${name}`);
  return v;
}

/** CLIENT LIST parsed into one field map per client. */
async function clientList(c: RawClient): Promise<Array<Map<string, string>>> {
  const body = bulk(await call(c, 'CLIENT', 'LIST'));
  return body.split('\n').filter((l) => l !== '').map((line) => {
    const m = new Map<string, string>();
    for (const pair of line.split(' ')) {
      const i = pair.indexOf('=');
      m.set(pair.slice(0, i), pair.slice(i + 1));
    }
    return m;
  });
}

beforeAll(async () => {
  shared = await startTarget();
});

afterAll(async () => {
  await shared?.close();
});

afterEach(async () => {
  for (const r of ioredises.splice(0)) r.disconnect();
  for (const s of sockets.splice(0)) s.destroy();
  for (const c of raws.splice(0)) await c.close();
  for (const s of servers.splice(0)) await s.close();
});

describe('admission', () => {
  it('maxclients refuses the next connection with Redis text, and admits again once one leaves', async () => {
    const t = await server({ maxclients: '3' });
    const admitted: RawClient[] = [];
    for (let i = 0; i < 3; i++) {
      const c = await raw(t.port);
      expect(await call(c, 'PING')).toBe('+PONG\r\n');
      admitted.push(c);
    }
    const refused = await raw(t.port);
    await refused.waitClosed();
    expect(text(refused.buffered)).toBe('-ERR max number of clients reached\r\n');
    expect(await call(admitted[0]!, 'PING')).toBe('+PONG\r\n');
    const rejected = Number(await infoField(admitted[0]!, 'stats', 'rejected_connections'));
    expect(rejected).toBeGreaterThanOrEqual(1);
    await admitted[2]!.close();
    // Once the server has seen the close, a new client gets in.
    await until('a slot to free up', async () => Number(await infoField(admitted[0]!, 'clients', 'connected_clients')) === 2);
    const again = await raw(t.port);
    expect(await call(again, 'PING')).toBe('+PONG\r\n');
  });

  it('a refused client that resets at once ends only its own connection', async () => {
    // The refusal's write fails with ECONNRESET; unhandled, that error ended the server.
    const t = await server({ maxclients: '1' });
    const admitted = await raw(t.port);
    expect(await call(admitted, 'PING')).toBe('+PONG\r\n');
    const resets = Array.from({ length: 20 }, () =>
      new Promise<void>((resolve) => {
        const s = net.connect(t.port, '127.0.0.1', () => s.resetAndDestroy());
        s.on('error', () => undefined);
        s.on('close', () => resolve());
      }),
    );
    await Promise.all(resets);
    await until('20 refusals', async () => Number(await infoField(admitted, 'stats', 'rejected_connections')) >= 20);
    await sleep(100);
    expect(await call(admitted, 'PING')).toBe('+PONG\r\n');
  });

  it('timeout closes idle clients and only them', async () => {
    const t = await server({ timeout: '1' });
    const idle = await raw(t.port);
    expect(await call(idle, 'PING')).toBe('+PONG\r\n');
    const busy = await raw(t.port);
    // Keep one client busy until the idle one has been closed (bounded wait).
    const deadline = Date.now() + 10_000;
    while (!idle.isClosed) {
      if (Date.now() > deadline) throw new Error('the idle client was never closed');
      expect(await call(busy, 'PING')).toBe('+PONG\r\n');
      await sleep(100);
    }
    // Closed silently, without a reply.
    expect(idle.buffered.length).toBe(0);
    expect(busy.isClosed).toBe(false);
    expect(await call(busy, 'PING')).toBe('+PONG\r\n');
  });

  it('timeout 0 never closes idle clients; CONFIG SET timeout takes effect at once', async () => {
    const t = await server({ timeout: '0' });
    const idle = await raw(t.port);
    const admin = await raw(t.port);
    expect(await call(admin, 'CONFIG', 'GET', 'timeout')).toBe('*2\r\n$7\r\ntimeout\r\n$1\r\n0\r\n');
    await sleep(1500);
    expect(idle.isClosed).toBe(false);
    expect(await call(admin, 'CONFIG', 'SET', 'timeout', '1')).toBe('+OK\r\n');
    await idle.waitClosed(10_000);
    expect(idle.isClosed).toBe(true);
  });
});

describe('authentication', () => {
  let secured: Target;
  beforeAll(async () => {
    secured = await startTarget({ requirepass: 'secret' });
  });
  afterAll(async () => {
    await secured?.close();
  });

  const NOAUTH = '-NOAUTH Authentication required.\r\n';
  const WRONGPASS = '-WRONGPASS invalid username-password pair or user is disabled.\r\n';

  it('NOAUTH, WRONGPASS and AUTH forms', async () => {
    const c = await raw(secured.port);
    expect(await call(c, 'PING')).toBe(NOAUTH);
    expect(await call(c, 'GET', 'k')).toBe(NOAUTH);
    expect(await call(c, 'SELECT', '1')).toBe(NOAUTH);
    expect(await call(c, 'CLIENT', 'ID')).toBe(NOAUTH);
    expect(await call(c, 'AUTH', 'wrong')).toBe(WRONGPASS);
    expect(await call(c, 'AUTH', 'default', 'wrong')).toBe(WRONGPASS);
    expect(await call(c, 'AUTH', 'nobody', 'secret')).toBe(WRONGPASS);
    expect(await call(c, 'AUTH', 'a', 'b', 'c')).toBe('-ERR syntax error\r\n');
    expect(await call(c, 'AUTH')).toBe("-ERR wrong number of arguments for 'auth' command\r\n");
    expect(await call(c, 'PING')).toBe(NOAUTH);
    expect(await call(c, 'AUTH', 'secret')).toBe('+OK\r\n');
    expect(await call(c, 'PING')).toBe('+PONG\r\n');
    // A failed AUTH on an authenticated connection does not log it out.
    expect(await call(c, 'AUTH', 'wrong')).toBe(WRONGPASS);
    expect(await call(c, 'PING')).toBe('+PONG\r\n');
    const d = await raw(secured.port);
    expect(await call(d, 'AUTH', 'default', 'secret')).toBe('+OK\r\n');
    expect(await call(d, 'SET', 'k', 'v')).toBe('+OK\r\n');
    // QUIT works before authenticating.
    const q = await raw(secured.port);
    q.write('QUIT\r\n');
    await q.waitClosed();
    expect(text(q.buffered)).toBe('+OK\r\n');
  });

  it('HELLO before AUTH, HELLO AUTH and HELLO SETNAME', async () => {
    const c = await raw(secured.port);
    expect(await call(c, 'HELLO', '3')).toBe('-NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time\r\n');
    expect(await call(c, 'HELLO', '3', 'AUTH', 'default', 'wrong')).toBe(WRONGPASS);
    expect(await call(c, 'GET', 'nokey')).toBe(NOAUTH);
    const hello = await call(c, 'HELLO', '3', 'AUTH', 'default', 'secret', 'SETNAME', 'app-1');
    expect(hello).toMatch(/^%7\r\n\$6\r\nserver\r\n\$5\r\nredis\r\n/);
    expect(hello).toContain('$5\r\nproto\r\n:3\r\n');
    expect(await call(c, 'GET', 'nokey')).toBe('_\r\n');
    expect(await call(c, 'CLIENT', 'GETNAME')).toBe('$5\r\napp-1\r\n');
    const d = await raw(secured.port);
    expect(await call(d, 'HELLO', '2', 'AUTH', 'default', 'secret')).toMatch(/^\*14\r\n/);
    expect(await call(d, 'GET', 'nokey')).toBe('$-1\r\n');
  });

  it('ioredis with the password works; with a wrong one it fails with WRONGPASS', async () => {
    const good = new Redis({ port: secured.port, host: '127.0.0.1', password: 'secret', maxRetriesPerRequest: 0, retryStrategy: () => null });
    ioredises.push(good);
    expect(await good.ping()).toBe('PONG');
    const bad = new Redis({ port: secured.port, host: '127.0.0.1', password: 'nope', maxRetriesPerRequest: 0, retryStrategy: () => null, lazyConnect: true });
    ioredises.push(bad);
    const errors: Error[] = [];
    bad.on('error', (e: Error) => errors.push(e));
    await bad.connect().catch((e: Error) => errors.push(e));
    await until('ioredis to report the failed AUTH', () => errors.length > 0);
    expect(errors.map((e) => e.message).join('\n')).toMatch(/WRONGPASS invalid username-password pair or user is disabled\./);
  });

  it('AUTH without a password configured, and changing requirepass at run time', async () => {
    const t = await server();
    const c = await raw(t.port);
    expect(await call(c, 'AUTH', 'x')).toBe('-ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?\r\n');
    // The default user has no password: any password is accepted in the two-argument form.
    expect(await call(c, 'AUTH', 'default', 'x')).toBe('+OK\r\n');
    expect(await call(c, 'CONFIG', 'SET', 'requirepass', 'pw2')).toBe('+OK\r\n');
    // Already-connected clients stay in; new ones must authenticate.
    expect(await call(c, 'PING')).toBe('+PONG\r\n');
    const d = await raw(t.port);
    expect(await call(d, 'PING')).toBe(NOAUTH);
    expect(await call(d, 'AUTH', 'pw2')).toBe('+OK\r\n');
    const e = await raw(t.port);
    expect(await call(e, 'PING')).toBe(NOAUTH);
    // Clearing the password lets the unauthenticated client through.
    expect(await call(c, 'CONFIG', 'SET', 'requirepass', '')).toBe('+OK\r\n');
    expect(await call(e, 'PING')).toBe('+PONG\r\n');
  });
});

describe('clients that do not read', () => {
  it('backpressure: a non-reading pipeline of 100 KB GETs stays bounded and blocks nobody', async (ctx) => {
    // redis-server buffers without bound for normal clients (limit 0 0 0): this is slabcache's
    // stop-reading rule.
    if (isRedisTarget) ctx.skip();
    const t = await server();
    const admin = await raw(t.port);
    const value = Buffer.alloc(100 * 1024, 'v');
    expect(text(await admin.call('SET', 'big', value))).toBe('+OK\r\n');
    const n = 2000; // 200 MB of replies if the server produced them all
    const rssBefore = process.memoryUsage().rss;
    const stuck = await stuckClient(t.port, 'stuck', Buffer.from('GET big\r\n'.repeat(n)));
    await until('the stuck client to start executing GETs', async () =>
      (await clientList(admin)).some((c) => c.get('name') === 'stuck' && c.get('cmd') === 'get'));
    // Let the server do whatever it will with the rest; nothing here is timed.
    await sleep(500);
    expect(await call(admin, 'PING')).toBe('+PONG\r\n');
    expect(await call(admin, 'GET', 'nokey')).toBe('$-1\r\n');
    const me = (await clientList(admin)).find((c) => c.get('name') === 'stuck');
    expect(me, 'the stuck client is listed').toBeDefined();
    const omem = Number(me!.get('omem'));
    expect(omem, 'pending output of the stuck client').toBeLessThan(64 * 1024 * 1024);
    const out = Number(await infoField(admin, 'stats', 'total_net_output_bytes'));
    expect(out, 'bytes the server produced').toBeLessThan(100 * 1024 * 1024);
    expect(process.memoryUsage().rss - rssBefore, 'memory of the process hosting the server').toBeLessThan(150 * 1024 * 1024);
    // Once the client reads, everything it asked for arrives, complete.
    const replyLen = `$${value.length}\r\n`.length + value.length + 2;
    const expected = n * replyLen;
    let got = 0;
    let tail = Buffer.alloc(0);
    const done = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`only ${got} of ${expected} bytes arrived`)), 25_000);
      stuck.on('data', (d: Buffer) => {
        got += d.length;
        tail = Buffer.concat([tail, d]).subarray(-16);
        if (got >= expected) {
          clearTimeout(timer);
          resolve();
        }
      });
    });
    stuck.resume();
    await done;
    expect(got).toBe(expected);
    expect(text(tail.subarray(-4))).toBe('vv\r\n');
    stuck.destroy();
    await until('the stuck client to be gone', async () => !(await clientList(admin)).some((c) => c.get('name') === 'stuck'));
    expect(await call(admin, 'PING')).toBe('+PONG\r\n');
  });

  it('client-output-buffer-limit normal hard limit closes the non-reading client, not the others', async () => {
    const t = await server();
    const admin = await raw(t.port);
    expect(await call(admin, 'CONFIG', 'SET', 'client-output-buffer-limit', 'normal 1mb 0 0')).toBe('+OK\r\n');
    expect(bulk((await call(admin, 'CONFIG', 'GET', 'client-output-buffer-limit')).slice('*2\r\n$26\r\nclient-output-buffer-limit\r\n'.length)))
      .toMatch(/^normal 1048576 0 0 /);
    const value = Buffer.alloc(2 * 1024 * 1024, 'w');
    expect(text(await admin.call('SET', 'huge', value))).toBe('+OK\r\n');
    const victim = await stuckClient(t.port, 'victim', Buffer.from('GET huge\r\n'.repeat(100)));
    await until('the server to close the client over its hard limit', async () =>
      !(await clientList(admin)).some((c) => c.get('name') === 'victim'));
    const closed = closedPromise(victim);
    victim.resume();
    await closed;
    // The victim got less than it asked for, and the others are fine.
    expect(victim.bytesRead).toBeLessThan(100 * value.length);
    expect(await call(admin, 'PING')).toBe('+PONG\r\n');
    expect(Number(await infoField(admin, 'clients', 'connected_clients'))).toBe(1);
  });
});

describe('CLIENT LIST / INFO / KILL', () => {
  it('CLIENT LIST and CLIENT INFO fields, in Redis order', async () => {
    const c = await raw();
    const other = await raw();
    expect(await call(c, 'CLIENT', 'SETNAME', 'lister')).toBe('+OK\r\n');
    expect(await call(c, 'SELECT', '4')).toBe('+OK\r\n');
    const id = Number(/^:(\d+)\r\n$/.exec(await call(c, 'CLIENT', 'ID'))![1]);
    const info = bulk(await call(c, 'CLIENT', 'INFO'));
    expect(info.endsWith('\n')).toBe(true);
    const names = info.trim().split(' ').map((p) => p.slice(0, p.indexOf('=')));
    expect(names).toEqual(['id', 'addr', 'laddr', 'fd', 'name', 'age', 'idle', 'flags', 'db', 'sub', 'psub', 'ssub', 'multi',
      'qbuf', 'qbuf-free', 'argv-mem', 'multi-mem', 'rbs', 'rbp', 'obl', 'oll', 'omem', 'tot-mem', 'events', 'cmd', 'user', 'redir', 'resp']);
    const list = await clientList(c);
    expect(list.length).toBe(2);
    const mine = list.find((m) => m.get('id') === String(id))!;
    expect(mine).toBeDefined();
    expect(mine.get('name')).toBe('lister');
    expect(mine.get('db')).toBe('4');
    expect(mine.get('flags')).toBe('N');
    expect(mine.get('cmd')).toBe('client|list');
    expect(mine.get('user')).toBe('default');
    expect(mine.get('resp')).toBe('2');
    expect(mine.get('laddr')).toBe(`127.0.0.1:${shared.port}`);
    expect(mine.get('addr')).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(mine.get('multi')).toBe('-1');
    for (const f of ['age', 'idle', 'omem', 'tot-mem', 'qbuf', 'sub', 'psub']) expect(mine.get(f), f).toMatch(/^\d+$/);
    const theirs = list.find((m) => m.get('id') !== String(id))!;
    expect(theirs.get('name')).toBe('');
    expect(theirs.get('db')).toBe('0');
    expect(Number(theirs.get('id'))).not.toBe(id);
    // Filters.
    const byId = bulk(await call(c, 'CLIENT', 'LIST', 'ID', String(id)));
    expect(byId.split('\n').filter(Boolean).length).toBe(1);
    expect(byId).toContain(`id=${id} `);
    expect(bulk(await call(c, 'CLIENT', 'LIST', 'ID', '999999'))).toBe('');
    expect(bulk(await call(c, 'CLIENT', 'LIST', 'TYPE', 'normal')).split('\n').filter(Boolean).length).toBe(2);
    expect(await call(c, 'CLIENT', 'LIST', 'TYPE', 'foo')).toBe("-ERR Unknown client type 'foo'\r\n");
    expect(await call(c, 'CLIENT', 'LIST', 'ID', 'abc')).toBe('-ERR Invalid client ID\r\n');
    // Names.
    expect(await call(c, 'CLIENT', 'SETNAME', 'a b')).toBe('-ERR Client names cannot contain spaces, newlines or special characters.\r\n');
    expect(await call(c, 'CLIENT', 'GETNAME')).toBe('$6\r\nlister\r\n');
    expect(await call(c, 'CLIENT', 'SETNAME', '')).toBe('+OK\r\n');
    expect(await call(c, 'CLIENT', 'GETNAME')).toBe('$-1\r\n');
    expect(await call(c, 'CLIENT', 'FOO')).toBe("-ERR unknown subcommand 'FOO'. Try CLIENT HELP.\r\n");
    expect(await call(other, 'PING')).toBe('+PONG\r\n');
  });

  it('CLIENT KILL by ID, ADDR (both syntaxes), LADDR, USER and SKIPME', async () => {
    const admin = await raw();
    const idOf = async (c: RawClient) => /^:(\d+)\r\n$/.exec(await call(c, 'CLIENT', 'ID'))![1]!;
    const addrOf = async (c: RawClient) => /(?:^| )addr=(\S+)/.exec(bulk(await call(c, 'CLIENT', 'INFO')))![1]!;

    const a = await raw();
    expect(await call(admin, 'CLIENT', 'KILL', 'ID', await idOf(a))).toBe(':1\r\n');
    await a.waitClosed();
    expect(await call(admin, 'CLIENT', 'KILL', 'ID', '999999')).toBe(':0\r\n');
    expect(await call(admin, 'CLIENT', 'KILL', 'ID', 'abc')).toBe('-ERR client-id should be greater than 0\r\n');

    const b = await raw();
    expect(await call(admin, 'CLIENT', 'KILL', 'ADDR', await addrOf(b))).toBe(':1\r\n');
    await b.waitClosed();
    const old = await raw();
    expect(await call(admin, 'CLIENT', 'KILL', await addrOf(old))).toBe('+OK\r\n');
    await old.waitClosed();
    expect(await call(admin, 'CLIENT', 'KILL', '1.2.3.4:5')).toBe('-ERR No such client\r\n');
    expect(await call(admin, 'CLIENT', 'KILL', 'ADDR', '1.2.3.4:5')).toBe(':0\r\n');
    expect(await call(admin, 'CLIENT', 'KILL', 'foo', 'bar')).toBe('-ERR syntax error\r\n');
    expect(await call(admin, 'CLIENT', 'KILL', 'ID', '1', 'SKIPME', 'maybe')).toBe('-ERR syntax error\r\n');
    expect(await call(admin, 'CLIENT', 'KILL', 'USER', 'nobody')).toBe("-ERR No such user 'nobody'\r\n");

    // SKIPME (default yes) spares the caller.
    expect(await call(admin, 'CLIENT', 'KILL', 'ADDR', await addrOf(admin))).toBe(':0\r\n');
    expect(await call(admin, 'PING')).toBe('+PONG\r\n');
    const c1 = await raw();
    const c2 = await raw();
    expect(await call(admin, 'CLIENT', 'KILL', 'LADDR', `127.0.0.1:${shared.port}`)).toBe(':2\r\n');
    await c1.waitClosed();
    await c2.waitClosed();
    const c3 = await raw();
    expect(await call(admin, 'CLIENT', 'KILL', 'USER', 'default')).toBe(':1\r\n');
    await c3.waitClosed();
    expect(await call(admin, 'PING')).toBe('+PONG\r\n');
    // SKIPME no: the caller gets its reply, then is closed.
    const self = await raw();
    self.send('CLIENT', 'KILL', 'ADDR', await addrOf(self), 'SKIPME', 'no');
    await self.waitClosed();
    expect(text(self.buffered)).toBe(':1\r\n');
    expect(await call(admin, 'PING')).toBe('+PONG\r\n');
  });

  it('INFO sections and field names', async () => {
    const t = await server();
    const c = await raw(t.port);
    const all = bulk(await call(c, 'INFO'));
    for (const line of all.split('\r\n')) {
      if (line === '' || line.startsWith('# ')) continue;
      expect(line, 'INFO line').toMatch(/^[a-z][a-z0-9_]*:/);
    }
    const sections = all.split('\r\n').filter((l) => l.startsWith('# '));
    expect(sections).toEqual(expect.arrayContaining(['# Server', '# Clients', '# Memory', '# Persistence', '# Stats', '# Replication', '# CPU', '# Keyspace']));
    expect(sections.indexOf('# Server')).toBe(0);
    const f = infoFields(all);
    expect(f.get('redis_version')).toBe('7.0.15');
    expect(f.get('redis_mode')).toBe('standalone');
    expect(f.get('tcp_port')).toBe(String(t.port));
    expect(f.get('role')).toBe('master');
    expect(f.get('connected_slaves')).toBe('0');
    expect(f.get('loading')).toBe('0');
    expect(f.get('maxmemory')).toBe('0');
    expect(f.get('maxmemory_policy')).toBe('noeviction');
    expect(f.get('connected_clients')).toBe('1');
    expect(f.get('maxclients')).toBe('10000');
    for (const name of ['process_id', 'uptime_in_seconds', 'uptime_in_days', 'hz', 'used_memory', 'used_memory_peak', 'total_connections_received',
      'total_commands_processed', 'instantaneous_ops_per_sec', 'total_net_input_bytes', 'total_net_output_bytes', 'rejected_connections',
      'expired_keys', 'evicted_keys', 'keyspace_hits', 'keyspace_misses', 'total_error_replies', 'blocked_clients']) {
      expect(f.get(name), name).toMatch(/^\d+$/);
    }
    expect(f.get('used_memory_human')).toMatch(/^\d+(\.\d+)?[BKMG]$/);
    expect(f.get('used_cpu_sys')).toMatch(/^\d+\.\d+$/);
    expect(f.get('used_cpu_user')).toMatch(/^\d+\.\d+$/);
    expect(f.get('run_id')).toMatch(/^[0-9a-f]{40}$/);
    expect(f.get('rdb_changes_since_last_save')).toMatch(/^\d+$/);

    // Keyspace: empty, then one line per non-empty db.
    expect(bulk(await call(c, 'INFO', 'keyspace'))).toBe('# Keyspace\r\n');
    await call(c, 'SET', 'a', '1');
    await call(c, 'SET', 'b', '2', 'EX', '100');
    await call(c, 'SELECT', '3');
    await call(c, 'SET', 'c', '3');
    await call(c, 'SELECT', '0');
    expect(bulk(await call(c, 'INFO', 'keyspace'))).toMatch(/^# Keyspace\r\ndb0:keys=2,expires=1,avg_ttl=\d+\r\ndb3:keys=1,expires=0,avg_ttl=0\r\n$/);

    // Several sections, case-insensitively; unknown sections are empty.
    const two = bulk(await call(c, 'INFO', 'SERVER', 'clients'));
    expect(two.split('\r\n').filter((l) => l.startsWith('# '))).toEqual(['# Server', '# Clients']);
    expect(bulk(await call(c, 'INFO', 'nosuchsection'))).toBe('');

    // Hits and misses.
    const hits = Number(await infoField(c, 'stats', 'keyspace_hits'));
    const misses = Number(await infoField(c, 'stats', 'keyspace_misses'));
    await call(c, 'GET', 'a');
    await call(c, 'GET', 'nokey');
    await call(c, 'GET', 'nokey2');
    expect(Number(await infoField(c, 'stats', 'keyspace_hits'))).toBe(hits + 1);
    expect(Number(await infoField(c, 'stats', 'keyspace_misses'))).toBe(misses + 2);

    // Command and error statistics.
    expect(await call(c, 'CONFIG', 'RESETSTAT')).toBe('+OK\r\n');
    await call(c, 'SET', 'x', 'y');
    await call(c, 'SET', 'x', 'y');
    await call(c, 'INCR', 'x');
    const cmdstats = bulk(await call(c, 'INFO', 'commandstats'));
    expect(cmdstats).toMatch(/^# Commandstats\r\n/);
    expect(cmdstats).toMatch(/\r\ncmdstat_set:calls=2,usec=\d+,usec_per_call=\d+\.\d\d,rejected_calls=0,failed_calls=0\r\n/);
    expect(cmdstats).toMatch(/\r\ncmdstat_incr:calls=1,usec=\d+,usec_per_call=\d+\.\d\d,rejected_calls=0,failed_calls=1\r\n/);
    expect(bulk(await call(c, 'INFO', 'errorstats'))).toBe('# Errorstats\r\nerrorstat_ERR:count=1\r\n');
    await call(c, 'GET');
    expect(bulk(await call(c, 'INFO', 'errorstats'))).toBe('# Errorstats\r\nerrorstat_ERR:count=2\r\n');
    expect(bulk(await call(c, 'INFO', 'commandstats'))).toMatch(/\r\ncmdstat_get:calls=0,usec=0,usec_per_call=0\.00,rejected_calls=1,failed_calls=0\r\n/);
    const everything = bulk(await call(c, 'INFO', 'everything'));
    expect(everything).toContain('# Commandstats\r\n');
    expect(everything).toContain('# Errorstats\r\n');
    expect(all).not.toContain('# Commandstats');
  });
});

describe('maxmemory', () => {
  it('noeviction: write commands get the OOM error, reads and deletes still work', async () => {
    const t = await server({ 'maxmemory-policy': 'noeviction' });
    const c = await raw(t.port);
    const base = Number(await infoField(c, 'memory', 'used_memory'));
    const value = Buffer.alloc(100 * 1024, 'm');
    for (let i = 0; i < 50; i++) expect(text(await c.call('SET', `fill:${i}`, value))).toBe('+OK\r\n');
    const limit = base + 2 * 1024 * 1024;
    expect(await call(c, 'CONFIG', 'SET', 'maxmemory', String(limit))).toBe('+OK\r\n');
    expect(await infoField(c, 'memory', 'maxmemory')).toBe(String(limit));
    const OOM = "-OOM command not allowed when used memory > 'maxmemory'.\r\n";
    expect(await call(c, 'SET', 'x', '1')).toBe(OOM);
    expect(await call(c, 'APPEND', 'fill:0', 'x')).toBe(OOM);
    expect(await call(c, 'INCR', 'n')).toBe(OOM);
    expect(await call(c, 'MSET', 'a', '1', 'b', '2')).toBe(OOM);
    expect(await call(c, 'SETRANGE', 'fill:1', '0', 'x')).toBe(OOM);
    expect(await call(c, 'EXISTS', 'x', 'n', 'a')).toBe(':0\r\n');
    // Reads, deletes and expiry changes are allowed.
    expect((await c.call('GET', 'fill:0')).length).toBe(value.length + '$102400\r\n\r\n'.length);
    expect(await call(c, 'EXPIRE', 'fill:1', '100')).toBe(':1\r\n');
    expect(await call(c, 'DEL', 'fill:2')).toBe(':1\r\n');
    expect(await call(c, 'DBSIZE')).toBe(':49\r\n');
    expect(await infoField(c, 'stats', 'evicted_keys')).toBe('0');
    // Under the limit again, writes succeed.
    expect(await call(c, 'FLUSHALL')).toBe('+OK\r\n');
    expect(await call(c, 'SET', 'x', '1')).toBe('+OK\r\n');
    // Errorstats count OOM under its own prefix.
    expect(bulk(await call(c, 'INFO', 'errorstats'))).toContain('errorstat_OOM:count=5\r\n');
  });

  it('allkeys-lru keeps used memory under the limit while writing, evicting the least recently used', async () => {
    const t = await server();
    const c = await raw(t.port);
    const base = Number(await infoField(c, 'memory', 'used_memory'));
    const limit = base + 4 * 1024 * 1024;
    expect(await call(c, 'CONFIG', 'SET', 'maxmemory', String(limit), 'maxmemory-policy', 'allkeys-lru')).toBe('+OK\r\n');
    expect(await call(c, 'CONFIG', 'GET', 'maxmemory-policy')).toBe('*2\r\n$16\r\nmaxmemory-policy\r\n$11\r\nallkeys-lru\r\n');
    const value = Buffer.alloc(10 * 1024, 'l');
    let maxSeen = 0;
    const write = async (key: string) => {
      expect(text(await c.call('SET', key, value)), `SET ${key}`).toBe('+OK\r\n');
      expect(await call(c, 'EXISTS', key)).toBe(':1\r\n');
    };
    // 2 MB of keys, then (Redis's LRU clock ticks once a second) 1.1 s later 8 MB more.
    for (let i = 0; i < 200; i++) await write(`old:${i}`);
    await sleep(1100);
    for (let i = 0; i < 800; i++) {
      await write(`new:${i}`);
      if (i % 50 === 49) maxSeen = Math.max(maxSeen, Number(await infoField(c, 'memory', 'used_memory')));
    }
    // Redis evicts before each write, so one value plus bookkeeping may sit above the limit.
    expect(maxSeen).toBeLessThanOrEqual(limit + 256 * 1024);
    expect(maxSeen).toBeGreaterThan(base + 2 * 1024 * 1024);
    const dbsize = Number(/^:(\d+)\r\n$/.exec(await call(c, 'DBSIZE'))![1]);
    expect(dbsize).toBeLessThan(1000);
    expect(dbsize).toBeGreaterThan(100);
    const evicted = Number(await infoField(c, 'stats', 'evicted_keys'));
    expect(evicted).toBeGreaterThanOrEqual(1000 - dbsize);
    expect(evicted).toBeLessThanOrEqual(1000);
    let oldLeft = 0;
    let newLeft = 0;
    for (const k of bulkArray(await call(c, 'KEYS', '*'))) {
      if (k.startsWith('old:')) oldLeft++;
      else newLeft++;
    }
    // (Redis may evict a little more before any later command while still above the limit.)
    expect(oldLeft + newLeft).toBeLessThanOrEqual(dbsize);
    expect(oldLeft + newLeft).toBeGreaterThan(dbsize - 10);
    // The keys idle the longest went first.
    expect(oldLeft).toBeLessThan(20);
    expect(newLeft).toBeGreaterThan(100);
    expect(await call(c, 'EXISTS', 'new:799')).toBe(':1\r\n');
  });
});

describe('graceful close', () => {
  async function inProcessServer() {
    const { startServer } = await import('../../src/server.ts');
    return startServer({ loglevel: 'warning', 'metrics-port': '0', port: '0', bind: '127.0.0.1' });
  }

  it('close() delivers every reply of the commands already executed, then closes the connection', async (ctx) => {
    if (isRedisTarget) ctx.skip();
    const s = await inProcessServer();
    let closing: Promise<void> | null = null;
    try {
      const c = await RawClient.connect(s.port, '127.0.0.1', { timeoutMs: 20_000 });
      raws.push(c);
      const value = Buffer.alloc(1024, 'g');
      expect(text(await c.call('SET', 'v', value))).toBe('+OK\r\n');
      const n = 300; // 300 KB of replies: one read batch, executed at once
      c.write(Buffer.from(encodeCommand(['GET', 'v']).toString('latin1').repeat(n), 'latin1'));
      await until('the first reply bytes', () => c.buffered.length > 0);
      closing = s.close();
      const replies = await c.readReplies(n);
      for (const r of replies) expect(text(r)).toBe(`$1024\r\n${value.toString('latin1')}\r\n`);
      await c.waitClosed(20_000);
      expect(c.buffered.length).toBe(0);
      await closing;
      // Nothing listens any more.
      await expect(RawClient.connect(s.port, '127.0.0.1', { timeoutMs: 2000 })).rejects.toThrow();
    } finally {
      await (closing ?? s.close());
    }
  });

  // server.ts documents that a client held back by backpressure is still owed the replies of
  // the commands it sent: it is ended once they have drained, within the grace period.
  it('close() with a client behind on reading: every owed reply, whole, then the close', async (ctx) => {
    if (isRedisTarget) ctx.skip();
    const s = await inProcessServer();
    let closing: Promise<void> | null = null;
    try {
      const admin = await RawClient.connect(s.port);
      raws.push(admin);
      const value = Buffer.alloc(100 * 1024, 'h');
      expect(text(await admin.call('SET', 'big', value))).toBe('+OK\r\n');
      const slow = await stuckClient(s.port, 'slow', Buffer.from('GET big\r\n'.repeat(60)));
      await until('the slow client to execute GETs', async () =>
        (await clientList(admin)).some((c) => c.get('name') === 'slow' && c.get('cmd') === 'get'));
      const chunks: Buffer[] = [];
      slow.on('data', (d: Buffer) => chunks.push(d));
      const slowClosed = closedPromise(slow);
      closing = s.close();
      slow.resume();
      await slowClosed;
      await closing;
      const received = Buffer.concat(chunks);
      // A whole number of complete, correct replies: nothing cut in the middle.
      const replyLen = `$${value.length}\r\n`.length + value.length + 2;
      expect(received.length % replyLen, `${received.length} bytes is not a whole number of replies`).toBe(0);
      expect(received.length / replyLen).toBe(60);
      for (let off = 0; off < received.length; off += replyLen) {
        const r = received.subarray(off, off + replyLen);
        expect(text(r.subarray(0, 10))).toBe('$102400\r\nh');
        expect(text(r.subarray(replyLen - 3))).toBe('h\r\n');
      }
    } finally {
      await (closing ?? s.close());
    }
  });
});
