/*
 * Hash commands driven by ioredis, as applications use them (sessions and objects): every
 * command with its edge cases, binary fields and values through Buffers, pipelines, the
 * listpack -> hashtable conversion under both thresholds, big hashes (HSCAN's guarantee,
 * HGETALL streaming, HRANDFIELD), memory accounting (MEMORY USAGE and used_memory follow the
 * contents), keyspace commands on hashes (TTL, COPY, RENAME, emptied hash deletes its key),
 * and the RESP3 shapes over a raw socket. Expectations are what redis-server 7.0.15 answers.
 *
 * INTEGRATION_TARGET=redis runs the file against a real redis-server instead.
 */
import { describe, it, expect, beforeAll, afterAll, beforeEach, afterEach } from 'vitest';
import { Redis } from 'ioredis';
import { RawClient } from '../helpers/raw-client.ts';
import { startRedisServer } from '../helpers/redis-server.ts';

interface Target {
  kind: 'slabcache' | 'redis';
  port: number;
  close(): Promise<void>;
}

async function startTarget(): Promise<Target> {
  if (process.env['INTEGRATION_TARGET'] === 'redis') {
    const r = await startRedisServer({});
    return { kind: 'redis', port: r.port, close: () => r.stop() };
  }
  const { startServer } = await import('../../src/server.ts');
  const s = await startServer({ loglevel: 'warning', 'metrics-port': '0', port: '0', bind: '127.0.0.1' });
  return { kind: 'slabcache', port: s.port, close: () => s.close() };
}

function connect(port: number): Redis {
  return new Redis({ port, host: '127.0.0.1', maxRetriesPerRequest: 0, retryStrategy: () => null, commandTimeout: 20_000 });
}

async function errorOf(p: Promise<unknown>): Promise<string> {
  let value: unknown;
  try {
    value = await p;
  } catch (err) {
    return (err as Error).message;
  }
  throw new Error(`expected an error reply, got ${JSON.stringify(value)}`);
}

const WRONGTYPE = 'WRONGTYPE Operation against a key holding the wrong kind of value';
const NOT_INT = 'ERR value is not an integer or out of range';

let target: Target;
let redis: Redis;

beforeAll(async () => {
  target = await startTarget();
  redis = connect(target.port);
  await redis.ping();
});

afterAll(async () => {
  redis?.disconnect();
  await target?.close();
});

beforeEach(async () => {
  await redis.flushall();
});

afterEach(async () => {
  await redis.config('SET', 'hash-max-listpack-entries', '512');
  await redis.config('SET', 'hash-max-listpack-value', '64');
});

describe('hash basics', () => {
  it('stores a session object field by field and reads it back in insertion order', async () => {
    expect(await redis.hset('session:1', { user: 'ada', role: 'admin', visits: '1' })).toBe(3);
    expect(await redis.hset('session:1', 'role', 'owner', 'theme', 'dark')).toBe(1);
    expect(await redis.hgetall('session:1')).toEqual({ user: 'ada', role: 'owner', visits: '1', theme: 'dark' });
    expect(await redis.call('HGETALL', 'session:1')).toEqual(['user', 'ada', 'role', 'owner', 'visits', '1', 'theme', 'dark']);
    expect(await redis.hkeys('session:1')).toEqual(['user', 'role', 'visits', 'theme']);
    expect(await redis.hvals('session:1')).toEqual(['ada', 'owner', '1', 'dark']);
    expect(await redis.hget('session:1', 'user')).toBe('ada');
    expect(await redis.hget('session:1', 'nope')).toBeNull();
    expect(await redis.hget('nokey', 'user')).toBeNull();
    expect(await redis.hmget('session:1', 'user', 'nope', 'theme')).toEqual(['ada', null, 'dark']);
    expect(await redis.hmget('nokey', 'a', 'b')).toEqual([null, null]);
    expect(await redis.hlen('session:1')).toBe(4);
    expect(await redis.hlen('nokey')).toBe(0);
    expect(await redis.hexists('session:1', 'theme')).toBe(1);
    expect(await redis.hexists('session:1', 'THEME')).toBe(0);
    expect(await redis.hstrlen('session:1', 'role')).toBe(5);
    expect(await redis.hstrlen('session:1', 'nope')).toBe(0);
    expect(await redis.type('session:1')).toBe('hash');
    expect(await redis.object('ENCODING', 'session:1')).toBe('listpack');
  });

  it('HMSET replies OK, HSETNX only sets new fields, duplicate fields in one HSET count once', async () => {
    expect(await redis.hmset('h', 'a', '1', 'b', '2')).toBe('OK');
    expect(await redis.hsetnx('h', 'a', 'x')).toBe(0);
    expect(await redis.hsetnx('h', 'c', '3')).toBe(1);
    expect(await redis.hsetnx('fresh', 'f', 'v')).toBe(1);
    expect(await redis.hset('h', 'd', '1', 'd', '2', 'd', '3')).toBe(1);
    expect(await redis.hget('h', 'd')).toBe('3');
    expect(await redis.hgetall('h')).toEqual({ a: '1', b: '2', c: '3', d: '3' });
  });

  it('argument counts are checked with Redis wording', async () => {
    expect(await errorOf(redis.call('HSET', 'h', 'f'))).toBe("ERR wrong number of arguments for 'hset' command");
    expect(await errorOf(redis.call('HSET', 'h', 'f', 'v', 'g'))).toBe("ERR wrong number of arguments for 'hset' command");
    expect(await errorOf(redis.call('HMSET', 'h', 'f', 'v', 'g'))).toBe("ERR wrong number of arguments for 'hmset' command");
    expect(await errorOf(redis.call('HGET', 'h'))).toBe("ERR wrong number of arguments for 'hget' command");
    expect(await errorOf(redis.call('HDEL', 'h'))).toBe("ERR wrong number of arguments for 'hdel' command");
    expect(await errorOf(redis.call('HSCAN', 'h'))).toBe("ERR wrong number of arguments for 'hscan' command");
  });

  it('an emptied hash deletes its key; HDEL counts distinct removals', async () => {
    await redis.hset('h', 'a', '1', 'b', '2', 'c', '3');
    expect(await redis.hdel('h', 'a', 'a', 'nope')).toBe(1);
    expect(await redis.hdel('h', 'b', 'c', 'd')).toBe(2);
    expect(await redis.exists('h')).toBe(0);
    expect(await redis.hgetall('h')).toEqual({});
    expect(await redis.hdel('h', 'a')).toBe(0);
    expect(await redis.dbsize()).toBe(0);
  });

  it('binary fields and values round-trip byte for byte (Buffers)', async () => {
    const f1 = Buffer.from([0, 255, 13, 10, 0xc3]);
    const v1 = Buffer.from([0xff, 0xfe, 0, 1, 2]);
    const f2 = Buffer.from('\xe9t\xe9', 'latin1');
    const v2 = Buffer.alloc(300, 0x80);
    expect(await redis.hset('bin', f1, v1, f2, v2)).toBe(2);
    expect(await redis.hgetBuffer('bin', f1)).toEqual(v1);
    expect(await redis.hgetBuffer('bin', f2)).toEqual(v2);
    // A field whose utf8 decoding equals f2's (both invalid) must not match it.
    expect(await redis.hexists('bin', Buffer.from('\xe9t\xe8', 'latin1'))).toBe(0);
    const all = await redis.hgetallBuffer('bin');
    expect(Object.keys(all).length).toBe(2);
    // A 300-byte value makes it a hashtable: compare the pairs, not their order.
    const flat = (await redis.callBuffer('HGETALL', 'bin')) as Buffer[];
    const pairs = [];
    for (let i = 0; i < flat.length; i += 2) pairs.push(Buffer.concat([flat[i]!, Buffer.from('='), flat[i + 1]!]).toString('hex'));
    expect(pairs.sort()).toEqual([Buffer.concat([f1, Buffer.from('='), v1]).toString('hex'), Buffer.concat([f2, Buffer.from('='), v2]).toString('hex')].sort());
    expect(await redis.hstrlen('bin', f2)).toBe(300);
    expect(await redis.object('ENCODING', 'bin')).toBe('hashtable');
  });

  it('WRONGTYPE for every hash command on a string, and string commands on a hash', async () => {
    await redis.set('s', 'v');
    for (const args of [['HSET', 's', 'f', 'v'], ['HGET', 's', 'f'], ['HMGET', 's', 'f'], ['HGETALL', 's'], ['HDEL', 's', 'f'],
      ['HLEN', 's'], ['HINCRBY', 's', 'f', '1'], ['HINCRBYFLOAT', 's', 'f', '1'], ['HRANDFIELD', 's'], ['HSCAN', 's', '0'],
      ['HSETNX', 's', 'f', 'v'], ['HKEYS', 's'], ['HVALS', 's'], ['HEXISTS', 's', 'f'], ['HSTRLEN', 's', 'f']]) {
      expect(await errorOf(redis.call(args[0]!, ...args.slice(1))), args.join(' ')).toBe(WRONGTYPE);
    }
    await redis.hset('h', 'f', 'v');
    expect(await errorOf(redis.get('h'))).toBe(WRONGTYPE);
    expect(await errorOf(redis.sadd('h', 'x'))).toBe(WRONGTYPE);
    expect(await redis.set('h', 'now a string')).toBe('OK');
    expect(await redis.type('h')).toBe('string');
  });
});

describe('HINCRBY / HINCRBYFLOAT', () => {
  it('counts with 64-bit overflow checks', async () => {
    expect(await redis.hincrby('c', 'n', 5)).toBe(5);
    expect(await redis.hincrby('c', 'n', -7)).toBe(-2);
    await redis.hset('c', 'max', '9223372036854775807', 'txt', 'abc', 'lead', '007');
    expect(await errorOf(redis.hincrby('c', 'max', 1))).toBe('ERR increment or decrement would overflow');
    expect(await redis.call('HINCRBY', 'c', 'max', '-9223372036854775807')).toBe(0);
    expect(await errorOf(redis.hincrby('c', 'txt', 1))).toBe('ERR hash value is not an integer');
    expect(await errorOf(redis.hincrby('c', 'lead', 1))).toBe('ERR hash value is not an integer');
    expect(await errorOf(redis.call('HINCRBY', 'c', 'n', '1.5'))).toBe(NOT_INT);
    await redis.call('HINCRBY', 'big', 'f', '9223372036854775807');
    expect(await redis.hget('big', 'f')).toBe('9223372036854775807');
    expect(await errorOf(redis.call('HINCRBY', 'nokey', 'f', 'x'))).toBe(NOT_INT);
    expect(await redis.exists('nokey')).toBe(0);
  });

  it('adds in long double and prints like Redis', async () => {
    expect(await redis.hincrbyfloat('f', 'x', '10.5')).toBe('10.5');
    expect(await redis.hincrbyfloat('f', 'x', '0.1')).toBe('10.6');
    expect(await redis.hincrbyfloat('f', 'x', '5.0e3')).toBe('5010.60000000000000009');
    expect(await redis.hincrbyfloat('f', 'y', '3.0')).toBe('3');
    expect(await errorOf(redis.hincrbyfloat('f', 'x', 'abc'))).toBe('ERR value is not a valid float');
    expect(await errorOf(redis.hincrbyfloat('f', 'x', 'inf'))).toBe('ERR value is NaN or Infinity');
    await redis.hset('f', 'word', 'hello', 'inf', 'inf');
    expect(await errorOf(redis.hincrbyfloat('f', 'word', '1'))).toBe('ERR hash value is not a float');
    expect(await errorOf(redis.hincrbyfloat('f', 'inf', '1'))).toBe('ERR increment would produce NaN or Infinity');
    expect(await errorOf(redis.hincrbyfloat('newkey', 'f', 'inf'))).toBe('ERR value is NaN or Infinity');
    expect(await redis.exists('newkey')).toBe(0);
  });
});

describe('encodings', () => {
  it('listpack until hash-max-listpack-entries, then hashtable for good', async () => {
    await redis.config('SET', 'hash-max-listpack-entries', '3');
    await redis.hset('h', 'a', '1', 'b', '2', 'c', '3');
    expect(await redis.object('ENCODING', 'h')).toBe('listpack');
    await redis.hset('h', 'd', '4');
    expect(await redis.object('ENCODING', 'h')).toBe('hashtable');
    await redis.hdel('h', 'a', 'b', 'c');
    expect(await redis.object('ENCODING', 'h')).toBe('hashtable');
    expect(await redis.hgetall('h')).toEqual({ d: '4' });
  });

  it('a field or value longer than hash-max-listpack-value converts, also when HINCRBY* writes it', async () => {
    await redis.config('SET', 'hash-max-listpack-value', '5');
    await redis.hset('v', 'f', '12345');
    expect(await redis.object('ENCODING', 'v')).toBe('listpack');
    await redis.hset('v', 'g', '123456');
    expect(await redis.object('ENCODING', 'v')).toBe('hashtable');
    await redis.hset('w', 'f', '1');
    await redis.hincrby('w', 'f', 100000);
    expect(await redis.object('ENCODING', 'w')).toBe('hashtable');
    await redis.hset('x', 'f', '1');
    expect(await redis.hsetnx('x', 'f', 'long value')).toBe(0);
    expect(await redis.object('ENCODING', 'x')).toBe('listpack');
    // CONFIG SET takes effect at once, through the alias too.
    await redis.config('SET', 'hash-max-ziplist-entries', '1');
    await redis.hset('y', 'a', '1', 'b', '2');
    expect(await redis.object('ENCODING', 'y')).toBe('hashtable');
  });
});

describe('big hashes', () => {
  const N = 20000;

  async function fill(key: string, n: number): Promise<void> {
    const p = redis.pipeline();
    for (let i = 0; i < n; i += 500) {
      const args: string[] = [];
      for (let j = i; j < Math.min(n, i + 500); j++) args.push(`field:${j}`, `value:${j}`);
      p.hset(key, ...args);
    }
    await p.exec();
  }

  it('HGETALL, HKEYS and HLEN of a 20,000-field hash', async () => {
    await fill('big', N);
    expect(await redis.hlen('big')).toBe(N);
    expect(await redis.object('ENCODING', 'big')).toBe('hashtable');
    const all = await redis.hgetall('big');
    expect(Object.keys(all).length).toBe(N);
    for (let i = 0; i < N; i += 997) expect(all[`field:${i}`]).toBe(`value:${i}`);
    expect(new Set(await redis.hkeys('big')).size).toBe(N);
    expect(await redis.hget('big', 'field:12345')).toBe('value:12345');
  });

  it('a full HSCAN returns every field present throughout, while the hash grows and shrinks', async () => {
    await fill('scan', N);
    const seen = new Map<string, string>();
    let cursor = '0';
    let round = 0;
    do {
      const [next, items] = await redis.hscan('scan', cursor, 'COUNT', 100);
      for (let i = 0; i < items.length; i += 2) seen.set(items[i]!, items[i + 1]!);
      // Churn: add fields (forcing rehashes) then delete the added ones again.
      if (round % 3 === 0) await redis.hset('scan', `extra:${round}`, 'x');
      if (round % 3 === 2) await redis.hdel('scan', `extra:${round - 2}`);
      cursor = next;
      round++;
    } while (cursor !== '0');
    for (let i = 0; i < N; i++) expect(seen.get(`field:${i}`)).toBe(`value:${i}`);
    expect(round).toBeGreaterThan(20);
    // MATCH filters fields; COUNT is a hint.
    const matched = new Set<string>();
    cursor = '0';
    do {
      const [next, items] = await redis.hscan('scan', cursor, 'MATCH', 'field:1234*', 'COUNT', 1000);
      for (let i = 0; i < items.length; i += 2) matched.add(items[i]!);
      cursor = next;
    } while (cursor !== '0');
    expect([...matched].sort()).toEqual(['field:1234', ...Array.from({ length: 10 }, (_, i) => `field:1234${i}`)].sort());
  });

  it('HRANDFIELD: distinct fields for a positive count, repetitions for a negative one', async () => {
    await fill('r', 1000);
    const distinct = (await redis.call('HRANDFIELD', 'r', '300')) as string[];
    expect(distinct.length).toBe(300);
    expect(new Set(distinct).size).toBe(300);
    const close = (await redis.call('HRANDFIELD', 'r', '900', 'WITHVALUES')) as string[];
    expect(close.length).toBe(1800);
    for (let i = 0; i < close.length; i += 2) expect(close[i + 1]).toBe(close[i]!.replace('field', 'value'));
    expect(new Set(close.filter((_, i) => i % 2 === 0)).size).toBe(900);
    const repeated = (await redis.call('HRANDFIELD', 'r', '-5000')) as string[];
    expect(repeated.length).toBe(5000);
    expect(new Set(repeated).size).toBeGreaterThan(900);
    expect(await redis.call('HRANDFIELD', 'r', '2000')).toHaveLength(1000);
    const one = (await redis.call('HRANDFIELD', 'r')) as string;
    expect(one).toMatch(/^field:\d+$/);
    expect(await errorOf(redis.call('HRANDFIELD', 'r', '-9223372036854775807', 'WITHVALUES'))).toBe('ERR value is out of range');
  });

  it('HRANDFIELD of a few fields of a listpack hash answers them in the hash order', async () => {
    const fields = Array.from({ length: 30 }, (_, i) => `f${String.fromCharCode(122 - i)}`);
    await redis.hset('lp', ...fields.flatMap((f) => [f, '1']));
    expect(await redis.object('ENCODING', 'lp')).toBe('listpack');
    for (let round = 0; round < 20; round++) {
      const got = (await redis.call('HRANDFIELD', 'lp', '5')) as string[];
      expect(new Set(got).size).toBe(5);
      const positions = got.map((f) => fields.indexOf(f));
      expect(positions).toEqual([...positions].sort((a, b) => a - b));
    }
  });

  it('MEMORY USAGE and used_memory follow the hash as it grows and is deleted', async () => {
    const usedMemory = async (): Promise<number> => Number(/used_memory:(\d+)/.exec(await redis.info('memory'))![1]);
    const base = await usedMemory();
    await fill('mem', N);
    const usage = Number(await redis.call('MEMORY', 'USAGE', 'mem'));
    // At least the bytes of the fields and values, and not absurdly more.
    expect(usage).toBeGreaterThan(N * 20);
    expect(usage).toBeLessThan(N * 200);
    const grown = await usedMemory();
    expect(grown - base).toBeGreaterThan(N * 20);
    await redis.hdel('mem', ...Array.from({ length: N - 10 }, (_, i) => `field:${i}`));
    const shrunk = Number(await redis.call('MEMORY', 'USAGE', 'mem'));
    expect(shrunk).toBeLessThan(usage / 2);
    await redis.del('mem');
    expect(Math.abs((await usedMemory()) - base)).toBeLessThan(N * 5);
  });

  it('a small hash costs far less than its hashtable form', async () => {
    const args: string[] = [];
    for (let i = 0; i < 10; i++) args.push(`f${i}`, `value-${i}`);
    await redis.hset('small', ...args);
    await redis.config('SET', 'hash-max-listpack-entries', '0');
    await redis.hset('table', ...args);
    const small = Number(await redis.call('MEMORY', 'USAGE', 'small'));
    const table = Number(await redis.call('MEMORY', 'USAGE', 'table'));
    expect(await redis.object('ENCODING', 'small')).toBe('listpack');
    expect(small).toBeLessThan(table);
  });
});

describe('keyspace commands on hashes', () => {
  it('TTL, COPY (an independent copy), RENAME, MOVE and SCAN TYPE', async () => {
    await redis.hset('h', 'a', '1');
    expect(await redis.expire('h', 100)).toBe(1);
    await redis.hset('h', 'b', '2');
    expect(await redis.ttl('h')).toBeGreaterThan(90);
    expect(await redis.copy('h', 'h2')).toBe(1);
    await redis.hset('h2', 'c', '3');
    expect(await redis.hlen('h')).toBe(2);
    expect(await redis.hlen('h2')).toBe(3);
    expect(await redis.rename('h2', 'h3')).toBe('OK');
    expect(await redis.hgetall('h3')).toEqual({ a: '1', b: '2', c: '3' });
    await redis.config('SET', 'hash-max-listpack-entries', '1');
    await redis.hset('big', 'a', '1', 'b', '2');
    expect(await redis.copy('big', 'big2')).toBe(1);
    await redis.hdel('big', 'a');
    expect(await redis.hgetall('big2')).toEqual({ a: '1', b: '2' });
    expect(await redis.object('ENCODING', 'big2')).toBe('hashtable');
    const [, keys] = (await redis.call('SCAN', '0', 'TYPE', 'hash', 'COUNT', '1000')) as [string, string[]];
    expect(keys.sort()).toEqual(['big', 'big2', 'h', 'h3']);
    expect(await redis.move('h3', 1)).toBe(1);
    expect(await redis.exists('h3')).toBe(0);
  });

  it('an expired hash is gone for every command', async () => {
    await redis.hset('h', 'a', '1');
    await redis.pexpire('h', 1);
    await new Promise((r) => setTimeout(r, 20));
    expect(await redis.hget('h', 'a')).toBeNull();
    expect(await redis.hlen('h')).toBe(0);
    expect(await redis.hset('h', 'b', '2')).toBe(1);
    expect(await redis.ttl('h')).toBe(-1);
  });
});

describe('RESP3 (raw socket)', () => {
  it('HGETALL is a map, HRANDFIELD WITHVALUES pairs, missing keys', async () => {
    await redis.hset('h', 'a', '1', 'b', '2');
    const c = await RawClient.connect(target.port);
    try {
      await c.call('HELLO', '3');
      expect((await c.call('HGETALL', 'h')).toString()).toBe('%2\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nb\r\n$1\r\n2\r\n');
      expect((await c.call('HGETALL', 'nokey')).toString()).toBe('%0\r\n');
      expect((await c.call('HKEYS', 'nokey')).toString()).toBe('*0\r\n');
      expect((await c.call('HGET', 'h', 'nope')).toString()).toBe('_\r\n');
      expect((await c.call('HRANDFIELD', 'h', '5', 'WITHVALUES')).toString()).toBe('*2\r\n*2\r\n$1\r\na\r\n$1\r\n1\r\n*2\r\n$1\r\nb\r\n$1\r\n2\r\n');
      expect((await c.call('HRANDFIELD', 'nokey')).toString()).toBe('_\r\n');
      expect((await c.call('HSCAN', 'h', '0')).toString()).toBe('*2\r\n$1\r\n0\r\n*4\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nb\r\n$1\r\n2\r\n');
    } finally {
      await c.close();
    }
  });
});
