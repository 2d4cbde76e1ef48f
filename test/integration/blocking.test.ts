/*
 * Blocking list commands with real clients: BLPOP, BRPOP, BRPOPLPUSH, BLMOVE and BLMPOP block,
 * are served in the order they blocked when another client pushes, time out with a null array
 * (RESP2 *-1, RESP3 _), hold back their connection's pipelined commands until served, and are
 * released by CLIENT UNBLOCK (TIMEOUT or ERROR), CLIENT KILL and disconnects; INFO clients
 * counts them. Expected bytes are what redis-server 7.0.15 sends.
 *
 * No assertion depends on a duration: a test waits until INFO reports the clients blocked
 * (so a push cannot race the block), timeouts are a few milliseconds, and only the order and
 * contents of replies are checked.
 *
 * INTEGRATION_TARGET=redis runs the file against a real redis-server instead.
 */
import { describe, it, expect, beforeAll, afterAll, afterEach } from 'vitest';
import { Redis } from 'ioredis';
import { RawClient } from '../helpers/raw-client.ts';
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

let target: Target;
const clients: RawClient[] = [];
const ioclients: Redis[] = [];
let admin: RawClient;

async function client(): Promise<RawClient> {
  const c = await RawClient.connect(target.port);
  clients.push(c);
  return c;
}

function ioclient(): Redis {
  const r = new Redis({ port: target.port, host: '127.0.0.1', maxRetriesPerRequest: 0, retryStrategy: () => null, lazyConnect: false });
  ioclients.push(r);
  return r;
}

const text = (b: Uint8Array) => Buffer.from(b).toString('latin1');
const tick = (ms = 0) => new Promise<void>((r) => setTimeout(r, ms));

async function call(c: RawClient, ...args: string[]): Promise<string> {
  return text(await c.call(...args));
}

async function infoField(name: string): Promise<number> {
  const info = await call(admin, 'INFO', 'clients');
  const m = new RegExp(`${name}:(\\d+)`).exec(info);
  if (m === null) throw new Error(`no ${name} in INFO clients`);
  return Number(m[1]);
}

/** Wait until INFO clients reports exactly n blocked clients. */
async function waitBlocked(n: number): Promise<void> {
  for (let i = 0; i < 2000; i++) {
    if ((await infoField('blocked_clients')) === n) return;
    await tick(2);
  }
  throw new Error(`blocked_clients never reached ${n}`);
}

async function clientId(c: RawClient): Promise<string> {
  return (await call(c, 'CLIENT', 'ID')).slice(1, -2);
}

beforeAll(async () => {
  target = await startTarget();
  admin = await RawClient.connect(target.port);
});

afterAll(async () => {
  await admin?.close();
  await target?.close();
});

afterEach(async () => {
  for (const c of clients.splice(0)) await c.close();
  for (const r of ioclients.splice(0)) r.disconnect();
  await waitBlocked(0);
  await call(admin, 'FLUSHALL');
});

describe('BLPOP / BRPOP', () => {
  it('a push from another client serves the blocked client with [key, element]', async () => {
    const a = await client();
    a.send('BLPOP', 'q', '0');
    await waitBlocked(1);
    expect(await call(admin, 'RPUSH', 'q', 'job1')).toBe(':1\r\n');
    expect(text(await a.readReply())).toBe('*2\r\n$1\r\nq\r\n$4\r\njob1\r\n');
    await waitBlocked(0);
    // The element was consumed: the emptied list is gone.
    expect(await call(admin, 'EXISTS', 'q')).toBe(':0\r\n');
  });

  it('clients are served in the order they blocked; BRPOP pops from the tail', async () => {
    const a = await client();
    const b = await client();
    const c = await client();
    a.send('BLPOP', 'q', '0');
    await waitBlocked(1);
    b.send('BRPOP', 'q', '0');
    await waitBlocked(2);
    c.send('BLPOP', 'q', '0');
    await waitBlocked(3);
    expect(await call(admin, 'RPUSH', 'q', 'one', 'two', 'three', 'four')).toBe(':4\r\n');
    expect(text(await a.readReply())).toBe('*2\r\n$1\r\nq\r\n$3\r\none\r\n');
    expect(text(await b.readReply())).toBe('*2\r\n$1\r\nq\r\n$4\r\nfour\r\n');
    expect(text(await c.readReply())).toBe('*2\r\n$1\r\nq\r\n$3\r\ntwo\r\n');
    expect(await call(admin, 'LRANGE', 'q', '0', '-1')).toBe('*1\r\n$5\r\nthree\r\n');
  });

  it('one element serves only the first blocked client; the others keep waiting', async () => {
    const a = await client();
    const b = await client();
    a.send('BLPOP', 'q', '0');
    await waitBlocked(1);
    b.send('BLPOP', 'q', '0');
    await waitBlocked(2);
    await call(admin, 'LPUSH', 'q', 'x');
    expect(text(await a.readReply())).toBe('*2\r\n$1\r\nq\r\n$1\r\nx\r\n');
    await waitBlocked(1);
    expect(b.buffered.length).toBe(0);
    await call(admin, 'LPUSH', 'q', 'y');
    expect(text(await b.readReply())).toBe('*2\r\n$1\r\nq\r\n$1\r\ny\r\n');
  });

  it('blocks on several keys and is served from the one that gets an element', async () => {
    const a = await client();
    a.send('BLPOP', 'k1', 'k2', 'k3', '0');
    await waitBlocked(1);
    await call(admin, 'RPUSH', 'k2', 'v2');
    expect(text(await a.readReply())).toBe('*2\r\n$2\r\nk2\r\n$2\r\nv2\r\n');
    await waitBlocked(0);
    // Registered once per key: pushing to the other keys now leaves them alone.
    await call(admin, 'RPUSH', 'k1', 'v1');
    expect(await call(admin, 'LLEN', 'k1')).toBe(':1\r\n');
  });

  it('a key named twice is waited on once', async () => {
    const a = await client();
    a.send('BLPOP', 'k', 'k', '0');
    await waitBlocked(1);
    await call(admin, 'RPUSH', 'k', 'a', 'b');
    expect(text(await a.readReply())).toBe('*2\r\n$1\r\nk\r\n$1\r\na\r\n');
    expect(await call(admin, 'LRANGE', 'k', '0', '-1')).toBe('*1\r\n$1\r\nb\r\n');
  });

  it('times out with a null array, *-1 in RESP2 and _ in RESP3', async () => {
    const a = await client();
    expect(await call(a, 'BLPOP', 'nokey', '0.01')).toBe('*-1\r\n');
    expect(await call(a, 'BRPOP', 'nokey', 'other', '0.02')).toBe('*-1\r\n');
    expect(await call(a, 'BRPOPLPUSH', 'nokey', 'dst', '0.01')).toBe('*-1\r\n');
    expect(await call(a, 'BLMOVE', 'nokey', 'dst', 'LEFT', 'RIGHT', '0.01')).toBe('*-1\r\n');
    expect(await call(a, 'BLMPOP', '0.01', '1', 'nokey', 'LEFT')).toBe('*-1\r\n');
    expect((await call(a, 'HELLO', '3')).startsWith('%7')).toBe(true);
    expect(await call(a, 'BLPOP', 'nokey', '0.01')).toBe('_\r\n');
    expect(await call(a, 'BRPOPLPUSH', 'nokey', 'dst', '0.01')).toBe('_\r\n');
    expect(await call(a, 'BLMPOP', '0.01', '1', 'nokey', 'RIGHT', 'COUNT', '2')).toBe('_\r\n');
    expect(await call(admin, 'EXISTS', 'dst')).toBe(':0\r\n');
  });

  it('clients with timeouts are released in deadline order; a timeout of 0 waits on', async () => {
    const a = await client();
    const b = await client();
    const forever = await client();
    const order: string[] = [];
    forever.send('BLPOP', 'k', '0');
    await waitBlocked(1);
    a.send('BLPOP', 'k', '0.15');
    b.send('BLPOP', 'k', '0.05');
    const ra = a.readReply(5000).then((r) => order.push(`a ${text(r)}`));
    const rb = b.readReply(5000).then((r) => order.push(`b ${text(r)}`));
    await Promise.all([ra, rb]);
    expect(order).toEqual(['b *-1\r\n', 'a *-1\r\n']);
    expect(await infoField('blocked_clients')).toBe(1);
    await call(admin, 'RPUSH', 'k', 'late');
    expect(text(await forever.readReply())).toBe('*2\r\n$1\r\nk\r\n$4\r\nlate\r\n');
  });

  it('timeouts that round to 0 ms (-0.0001) or overflow the clock (9223372036854775 s) wait until served', async () => {
    const a = await client();
    const b = await client();
    a.send('BLPOP', 'k', '-0.0001');
    b.send('BLPOP', 'k', '9223372036854775');
    await waitBlocked(2);
    expect(await infoField('clients_in_timeout_table')).toBe(1);
    await call(admin, 'RPUSH', 'k', '1', '2');
    expect(text(await a.readReply())).toBe('*2\r\n$1\r\nk\r\n$1\r\n1\r\n');
    expect(text(await b.readReply())).toBe('*2\r\n$1\r\nk\r\n$1\r\n2\r\n');
  });

  it('pipelined commands after a blocking command wait until it is served, then run in order', async () => {
    const a = await client();
    a.write('SET before 1\r\nBLPOP q 0\r\nSET after 1\r\nPING\r\n');
    expect(text(await a.readReply())).toBe('+OK\r\n');
    await waitBlocked(1);
    expect(await call(admin, 'EXISTS', 'after')).toBe(':0\r\n');
    await call(admin, 'RPUSH', 'q', 'v');
    expect(text(Buffer.concat(await a.readReplies(3)))).toBe('*2\r\n$1\r\nq\r\n$1\r\nv\r\n+OK\r\n+PONG\r\n');
    expect(await call(admin, 'EXISTS', 'after')).toBe(':1\r\n');
  });

  it('is served right after the pushing command, before the pusher\'s next pipelined command', async () => {
    const a = await client();
    const b = await client();
    a.send('BLPOP', 'q', '0');
    await waitBlocked(1);
    b.write('RPUSH q x\r\nLPOP q\r\nRPUSH q y z\r\nLPOP q\r\n');
    expect(text(Buffer.concat(await b.readReplies(4)))).toBe(':1\r\n$-1\r\n:2\r\n$1\r\ny\r\n');
    expect(text(await a.readReply())).toBe('*2\r\n$1\r\nq\r\n$1\r\nx\r\n');
  });

  it('a client blocked in one db is not served by a push in another', async () => {
    const a = await client();
    await call(a, 'SELECT', '3');
    a.send('BLPOP', 'q', '0');
    await waitBlocked(1);
    await call(admin, 'RPUSH', 'q', 'db0');
    expect(await infoField('blocked_clients')).toBe(1);
    await call(admin, 'SELECT', '3');
    await call(admin, 'RPUSH', 'q', 'db3');
    await call(admin, 'SELECT', '0');
    expect(text(await a.readReply())).toBe('*2\r\n$1\r\nq\r\n$3\r\ndb3\r\n');
    expect(await call(admin, 'LLEN', 'q')).toBe(':1\r\n');
  });

  it('a key that turns into another type does not serve the list client; a list later does', async () => {
    const a = await client();
    a.send('BLPOP', 'k', '0');
    await waitBlocked(1);
    await call(admin, 'SET', 'k', 'string');
    await call(admin, 'DEL', 'k');
    await call(admin, 'SADD', 'k', 'member');
    expect(await infoField('blocked_clients')).toBe(1);
    await call(admin, 'DEL', 'k');
    await call(admin, 'RPUSH', 'k', 'finally');
    expect(text(await a.readReply())).toBe('*2\r\n$1\r\nk\r\n$7\r\nfinally\r\n');
  });

  it('RENAME onto the key it waits for serves it, as Redis\'s dbAdd signals the key', async () => {
    const a = await client();
    a.send('BRPOP', 'dest', '0');
    await waitBlocked(1);
    await call(admin, 'RPUSH', 'src', '1', '2');
    expect(await call(admin, 'RENAME', 'src', 'dest')).toBe('+OK\r\n');
    expect(text(await a.readReply())).toBe('*2\r\n$4\r\ndest\r\n$1\r\n2\r\n');
  });

  it('MOVE and SWAPDB bringing a list into the waited db serve the client', async () => {
    const a = await client();
    a.send('BLPOP', 'k', '0');
    await waitBlocked(1);
    await call(admin, 'SELECT', '1');
    await call(admin, 'RPUSH', 'k', 'moved');
    expect(await call(admin, 'MOVE', 'k', '0')).toBe(':1\r\n');
    expect(text(await a.readReply())).toBe('*2\r\n$1\r\nk\r\n$5\r\nmoved\r\n');
    a.send('BLPOP', 'k', '0');
    await waitBlocked(1);
    await call(admin, 'RPUSH', 'k', 'swapped');
    await call(admin, 'SELECT', '0');
    expect(await call(admin, 'SWAPDB', '0', '1')).toBe('+OK\r\n');
    expect(text(await a.readReply())).toBe('*2\r\n$1\r\nk\r\n$7\r\nswapped\r\n');
  });

  it('a client with CLIENT REPLY OFF is served silently', async () => {
    const a = await client();
    a.write('CLIENT REPLY OFF\r\nBLPOP q 0\r\nCLIENT REPLY ON\r\n');
    await waitBlocked(1);
    await call(admin, 'RPUSH', 'q', 'v');
    expect(text(await a.readReply())).toBe('+OK\r\n');
    expect(await call(admin, 'EXISTS', 'q')).toBe(':0\r\n');
  });

  it('through ioredis: a worker loop over BRPOP receives every job in order', async () => {
    const worker = ioclient();
    const producer = ioclient();
    const got: string[] = [];
    const loop = (async () => {
      for (let i = 0; i < 20; i++) {
        const r = await worker.brpop('jobs', 0);
        got.push(r![1]);
      }
    })();
    await waitBlocked(1);
    for (let i = 0; i < 20; i++) await producer.lpush('jobs', `job${i}`);
    await loop;
    expect(got).toEqual(Array.from({ length: 20 }, (_, i) => `job${i}`));
  });
});

describe('BLMOVE / BRPOPLPUSH / BLMPOP', () => {
  it('BRPOPLPUSH moves the pushed element and replies it as a bulk string', async () => {
    const a = await client();
    a.send('BRPOPLPUSH', 'src', 'dst', '0');
    await waitBlocked(1);
    await call(admin, 'RPUSH', 'src', 'a', 'b');
    expect(text(await a.readReply())).toBe('$1\r\nb\r\n');
    expect(await call(admin, 'LRANGE', 'src', '0', '-1')).toBe('*1\r\n$1\r\na\r\n');
    expect(await call(admin, 'LRANGE', 'dst', '0', '-1')).toBe('*1\r\n$1\r\nb\r\n');
  });

  it('a chain: BLMOVE into a key another client waits on serves that client too', async () => {
    const mover = await client();
    const reader = await client();
    mover.send('BLMOVE', 'src', 'dst', 'LEFT', 'RIGHT', '0');
    await waitBlocked(1);
    reader.send('BLPOP', 'dst', '0');
    await waitBlocked(2);
    await call(admin, 'RPUSH', 'src', 'payload');
    expect(text(await mover.readReply())).toBe('$7\r\npayload\r\n');
    expect(text(await reader.readReply())).toBe('*2\r\n$3\r\ndst\r\n$7\r\npayload\r\n');
    expect(await call(admin, 'EXISTS', 'src', 'dst')).toBe(':0\r\n');
  });

  it('BLMOVE onto a key of another type answers WRONGTYPE when served and leaves the element', async () => {
    const a = await client();
    a.send('BLMOVE', 'src', 'dst', 'RIGHT', 'LEFT', '0');
    await waitBlocked(1);
    await call(admin, 'SET', 'dst', 'string');
    await call(admin, 'RPUSH', 'src', 'x');
    expect(text(await a.readReply())).toBe('-WRONGTYPE Operation against a key holding the wrong kind of value\r\n');
    await waitBlocked(0);
    expect(await call(admin, 'LRANGE', 'src', '0', '-1')).toBe('*1\r\n$1\r\nx\r\n');
  });

  it('BLMOVE with the same source and destination rotates the new element back', async () => {
    const a = await client();
    a.send('BLMOVE', 'ring', 'ring', 'LEFT', 'RIGHT', '0');
    await waitBlocked(1);
    await call(admin, 'RPUSH', 'ring', '1', '2', '3');
    expect(text(await a.readReply())).toBe('$1\r\n1\r\n');
    expect(await call(admin, 'LRANGE', 'ring', '0', '-1')).toBe('*3\r\n$1\r\n2\r\n$1\r\n3\r\n$1\r\n1\r\n');
  });

  it('BLMPOP is served with [key, [elements]] up to COUNT, from the chosen end', async () => {
    const a = await client();
    const b = await client();
    a.send('BLMPOP', '0', '2', 'x', 'y', 'RIGHT', 'COUNT', '2');
    await waitBlocked(1);
    b.send('BLMPOP', '0', '1', 'y', 'LEFT', 'COUNT', '10');
    await waitBlocked(2);
    await call(admin, 'RPUSH', 'y', '1', '2', '3', '4', '5');
    expect(text(await a.readReply())).toBe('*2\r\n$1\r\ny\r\n*2\r\n$1\r\n5\r\n$1\r\n4\r\n');
    expect(text(await b.readReply())).toBe('*2\r\n$1\r\ny\r\n*3\r\n$1\r\n1\r\n$1\r\n2\r\n$1\r\n3\r\n');
    expect(await call(admin, 'EXISTS', 'y')).toBe(':0\r\n');
  });

  it('RESP3 clients get their served replies in RESP3 shapes while the pusher speaks RESP2', async () => {
    const a = await client();
    await call(a, 'HELLO', '3');
    a.send('BLMPOP', '0', '1', 'k', 'LEFT');
    await waitBlocked(1);
    await call(admin, 'RPUSH', 'k', 'v');
    expect(text(await a.readReply())).toBe('*2\r\n$1\r\nk\r\n*1\r\n$1\r\nv\r\n');
    expect(await call(a, 'LPOP', 'nokey')).toBe('_\r\n');
  });
});

describe('releasing blocked clients', () => {
  it('CLIENT UNBLOCK answers the timeout reply by default, or -UNBLOCKED with ERROR', async () => {
    const a = await client();
    const b = await client();
    const ida = await clientId(a);
    const idb = await clientId(b);
    a.send('BLPOP', 'q', '0');
    b.write('BRPOPLPUSH q dst 0\r\nPING\r\n');
    await waitBlocked(2);
    expect(await call(admin, 'CLIENT', 'UNBLOCK', ida)).toBe(':1\r\n');
    expect(text(await a.readReply())).toBe('*-1\r\n');
    expect(await call(admin, 'CLIENT', 'UNBLOCK', idb, 'ERROR')).toBe(':1\r\n');
    expect(text(Buffer.concat(await b.readReplies(2)))).toBe('-UNBLOCKED client unblocked via CLIENT UNBLOCK\r\n+PONG\r\n');
    expect(await call(admin, 'CLIENT', 'UNBLOCK', ida)).toBe(':0\r\n');
    expect(await call(a, 'PING')).toBe('+PONG\r\n');
  });

  it('CLIENT UNBLOCK errors and non-blocked targets', async () => {
    const id = await clientId(admin);
    expect(await call(admin, 'CLIENT', 'UNBLOCK', id)).toBe(':0\r\n');
    expect(await call(admin, 'CLIENT', 'UNBLOCK', '999999')).toBe(':0\r\n');
    expect(await call(admin, 'CLIENT', 'UNBLOCK', '-1', 'timeout')).toBe(':0\r\n');
    expect(await call(admin, 'CLIENT', 'UNBLOCK', 'abc')).toBe('-ERR value is not an integer or out of range\r\n');
    expect(await call(admin, 'CLIENT', 'UNBLOCK', 'abc', 'maybe')).toBe('-ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR\r\n');
    expect(await call(admin, 'CLIENT', 'UNBLOCK')).toBe("-ERR wrong number of arguments for 'client|unblock' command\r\n");
    expect(await call(admin, 'client', 'Unblock', '1', 'timeout', 'x')).toBe("-ERR unknown subcommand or wrong number of arguments for 'Unblock'. Try CLIENT HELP.\r\n");
  });

  it('in RESP3 the UNBLOCK TIMEOUT reply is _', async () => {
    const a = await client();
    await call(a, 'HELLO', '3');
    const id = await clientId(a);
    a.send('BLMOVE', 'q', 'd', 'LEFT', 'LEFT', '0');
    await waitBlocked(1);
    await call(admin, 'CLIENT', 'UNBLOCK', id, 'TIMEOUT');
    expect(text(await a.readReply())).toBe('_\r\n');
  });

  it('CLIENT KILL releases a blocked client: it is gone and consumes nothing', async () => {
    const a = await client();
    const id = await clientId(a);
    a.send('BLPOP', 'q', '0');
    await waitBlocked(1);
    expect(await call(admin, 'CLIENT', 'KILL', 'ID', id)).toBe(':1\r\n');
    await a.waitClosed();
    await waitBlocked(0);
    await call(admin, 'RPUSH', 'q', 'kept');
    expect(await call(admin, 'LRANGE', 'q', '0', '-1')).toBe('*1\r\n$4\r\nkept\r\n');
  });

  it('a disconnecting blocked client is forgotten; the next one in line is served', async () => {
    const a = await client();
    const b = await client();
    a.send('BLPOP', 'q', '0');
    await waitBlocked(1);
    b.send('BLPOP', 'q', '0');
    await waitBlocked(2);
    await a.close();
    await waitBlocked(1);
    await call(admin, 'RPUSH', 'q', 'v');
    expect(text(await b.readReply())).toBe('*2\r\n$1\r\nq\r\n$1\r\nv\r\n');
  });

  it('INFO clients and CLIENT LIST show blocked clients', async () => {
    const a = await client();
    const b = await client();
    a.send('BLPOP', 'q', '0');
    b.send('BLPOP', 'q', '10');
    await waitBlocked(2);
    expect(await infoField('clients_in_timeout_table')).toBe(1);
    const list = await call(admin, 'CLIENT', 'LIST');
    const blocked = list.split('\n').filter((l) => / flags=b /.test(l));
    expect(blocked.length).toBe(2);
    expect(blocked.every((l) => / cmd=blpop /.test(l))).toBe(true);
  });
});
