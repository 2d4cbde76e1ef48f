/*
 * Set commands driven by ioredis, as applications use them (tags, online users, dedup): every
 * command with its edge cases, integer forms and the intset -> hashtable conversion, binary
 * members through Buffers, the algebra commands and their STORE forms (result encodings, the
 * destination replaced or deleted), SPOP / SRANDMEMBER sampling rules, big sets (SSCAN's
 * guarantee, SMEMBERS streaming), memory accounting, keyspace commands on sets, and the RESP3
 * shapes over a raw socket. Expectations are what redis-server 7.0.15 answers.
 *
 * INTEGRATION_TARGET=redis runs the file against a real redis-server instead.
 */
import { describe, it, expect, beforeAll, afterAll, beforeEach, afterEach } from 'vitest';
import { Redis } from 'ioredis';
import { RawClient } from '../helpers/raw-client.ts';
import { startRedisServer } from '../helpers/redis-server.ts';
import type { Keyspace } from '../../store/keyspace.ts';
import { holdsObject, KeyType } from '../../store/types.ts';
import type { Collection } from '../../src/types/collection.ts';

interface Target {
  kind: 'slabcache' | 'redis';
  port: number;
  /** slabcache's keyspace, for white-box checks (null against redis-server). */
  store: Keyspace | null;
  close(): Promise<void>;
}

const againstRedis = process.env['INTEGRATION_TARGET'] === 'redis';

async function startTarget(): Promise<Target> {
  if (againstRedis) {
    const r = await startRedisServer({});
    return { kind: 'redis', port: r.port, store: null, close: () => r.stop() };
  }
  const { startServer } = await import('../../src/server.ts');
  const s = await startServer({ loglevel: 'warning', 'metrics-port': '0', port: '0', bind: '127.0.0.1' });
  return { kind: 'slabcache', port: s.port, store: s.state.store, close: () => s.close() };
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
const sorted = (xs: string[]): string[] => [...xs].sort();

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
  await redis.config('SET', 'set-max-intset-entries', '512');
});

describe('set basics', () => {
  it('tags: add, test, count, list, remove', async () => {
    expect(await redis.sadd('tags:post:1', 'redis', 'cache', 'node')).toBe(3);
    expect(await redis.sadd('tags:post:1', 'node', 'typescript')).toBe(1);
    expect(await redis.scard('tags:post:1')).toBe(4);
    expect(await redis.sismember('tags:post:1', 'cache')).toBe(1);
    expect(await redis.sismember('tags:post:1', 'Cache')).toBe(0);
    expect(await redis.smismember('tags:post:1', 'redis', 'nope', 'node')).toEqual([1, 0, 1]);
    expect(await redis.smismember('nokey', 'a', 'b')).toEqual([0, 0]);
    expect(sorted(await redis.smembers('tags:post:1'))).toEqual(['cache', 'node', 'redis', 'typescript']);
    expect(await redis.smembers('nokey')).toEqual([]);
    expect(await redis.srem('tags:post:1', 'cache', 'cache', 'nope')).toBe(1);
    expect(await redis.type('tags:post:1')).toBe('set');
    expect(await redis.object('ENCODING', 'tags:post:1')).toBe('hashtable');
  });

  it('integer members: canonical int64 text only stays an intset, listed ascending', async () => {
    expect(await redis.sadd('ids', '30', '-5', '9223372036854775807', '-9223372036854775808', '0', '7')).toBe(6);
    expect(await redis.object('ENCODING', 'ids')).toBe('intset');
    expect(await redis.smembers('ids')).toEqual(['-9223372036854775808', '-5', '0', '7', '30', '9223372036854775807']);
    expect(await redis.sismember('ids', '07')).toBe(0);
    expect(await redis.sismember('ids', '-0')).toBe(0);
    for (const odd of ['-0', '01', '+1', ' 1', '1.0', '9223372036854775808', '']) {
      await redis.del('x');
      await redis.sadd('x', odd);
      expect(await redis.object('ENCODING', 'x'), JSON.stringify(odd)).toBe('hashtable');
    }
    await redis.sadd('ids', 'word');
    expect(await redis.object('ENCODING', 'ids')).toBe('hashtable');
    await redis.srem('ids', 'word');
    expect(await redis.object('ENCODING', 'ids')).toBe('hashtable');
  });

  it('set-max-intset-entries converts a growing intset', async () => {
    await redis.config('SET', 'set-max-intset-entries', '3');
    await redis.sadd('s', '1', '2', '3');
    expect(await redis.object('ENCODING', 's')).toBe('intset');
    await redis.sadd('s', '4');
    expect(await redis.object('ENCODING', 's')).toBe('hashtable');
    expect(sorted(await redis.smembers('s'))).toEqual(['1', '2', '3', '4']);
  });

  it('an emptied set deletes its key (SREM, SPOP, SMOVE)', async () => {
    await redis.sadd('a', 'x', 'y');
    expect(await redis.srem('a', 'x', 'y', 'z')).toBe(2);
    expect(await redis.exists('a')).toBe(0);
    await redis.sadd('b', 'only');
    expect(await redis.spop('b')).toBe('only');
    expect(await redis.exists('b')).toBe(0);
    await redis.sadd('c', 'm');
    expect(await redis.smove('c', 'd', 'm')).toBe(1);
    expect(await redis.exists('c')).toBe(0);
    expect(await redis.smembers('d')).toEqual(['m']);
  });

  it('binary members round-trip byte for byte (Buffers)', async () => {
    const m1 = Buffer.from([0, 255, 13, 10]);
    const m2 = Buffer.from('\xe9t\xe9', 'latin1');
    const m3 = Buffer.alloc(100, 0x80);
    expect(await redis.sadd('bin', m1, m2, m3)).toBe(3);
    expect(await redis.sismember('bin', m2)).toBe(1);
    expect(await redis.sismember('bin', Buffer.from('\xe9t\xe8', 'latin1'))).toBe(0);
    const got = (await redis.smembersBuffer('bin')).map((x) => x.toString('hex')).sort();
    expect(got).toEqual([m1, m2, m3].map((x) => x.toString('hex')).sort());
    expect(await redis.srem('bin', m3)).toBe(1);
    expect((await redis.spopBuffer('bin', 5)).map((x: Buffer) => x.toString('hex')).sort()).toEqual([m1, m2].map((x) => x.toString('hex')).sort());
  });

  it('WRONGTYPE for set commands on a string, and SMOVE rules', async () => {
    await redis.set('str', 'v');
    for (const args of [['SADD', 'str', 'a'], ['SREM', 'str', 'a'], ['SCARD', 'str'], ['SISMEMBER', 'str', 'a'],
      ['SMISMEMBER', 'str', 'a'], ['SMEMBERS', 'str'], ['SRANDMEMBER', 'str'], ['SPOP', 'str'], ['SSCAN', 'str', '0'],
      ['SINTER', 'str'], ['SUNION', 'str'], ['SDIFF', 'str'], ['SINTERCARD', '1', 'str']]) {
      expect(await errorOf(redis.call(args[0]!, ...args.slice(1))), args.join(' ')).toBe(WRONGTYPE);
    }
    await redis.sadd('s', 'a');
    expect(await redis.smove('missing', 'str', 'a')).toBe(0);
    expect(await errorOf(redis.smove('s', 'str', 'a'))).toBe(WRONGTYPE);
    expect(await redis.smove('s', 's', 'a')).toBe(1);
    expect(await redis.smove('s', 's', 'b')).toBe(0);
  });
});

describe('set algebra', () => {
  beforeEach(async () => {
    await redis.sadd('a', '1', '2', '3', '4', '5');
    await redis.sadd('b', '3', '4', '5', '6', '7');
    await redis.sadd('w', 'x', 'y', '3');
  });

  it('SINTER / SUNION / SDIFF with missing keys, repeated keys and mixed encodings', async () => {
    expect(await redis.sinter('a', 'b')).toEqual(['3', '4', '5']);
    expect(await redis.sinter('a', 'missing')).toEqual([]);
    expect(await redis.sinter('a', 'a')).toEqual(['1', '2', '3', '4', '5']);
    expect(await redis.sinter('a', 'w')).toEqual(['3']);
    expect(await redis.sunion('a', 'b')).toEqual(['1', '2', '3', '4', '5', '6', '7']);
    expect(sorted(await redis.sunion('a', 'w', 'missing'))).toEqual(['1', '2', '3', '4', '5', 'x', 'y']);
    expect(await redis.sdiff('a', 'b')).toEqual(['1', '2']);
    expect(await redis.sdiff('a', 'b', 'a')).toEqual([]);
    expect(await redis.sdiff('missing', 'a')).toEqual([]);
    expect(sorted(await redis.sdiff('w', 'a'))).toEqual(['x', 'y']);
    await redis.set('str', 'v');
    expect(await errorOf(redis.sinter('a', 'missing', 'str'))).toBe(WRONGTYPE);
    expect(await errorOf(redis.sunion('missing', 'str'))).toBe(WRONGTYPE);
  });

  it('STORE forms replace the destination (any type), delete it on an empty result, pick the encoding', async () => {
    await redis.set('dst', 'a string');
    expect(await redis.sinterstore('dst', 'a', 'b')).toBe(3);
    expect(await redis.type('dst')).toBe('set');
    expect(await redis.object('ENCODING', 'dst')).toBe('intset');
    expect(await redis.sunionstore('dst', 'a', 'w')).toBe(7);
    expect(await redis.object('ENCODING', 'dst')).toBe('hashtable');
    expect(await redis.sdiffstore('dst', 'dst', 'w')).toBe(4);
    // All integers again: the stored result is an intset, listed ascending.
    expect(await redis.object('ENCODING', 'dst')).toBe('intset');
    expect(await redis.smembers('dst')).toEqual(['1', '2', '4', '5']);
    expect(await redis.sinterstore('dst', 'a', 'missing')).toBe(0);
    expect(await redis.exists('dst')).toBe(0);
    await redis.sadd('dst', 'x');
    await redis.expire('dst', 100);
    expect(await redis.sunionstore('dst', 'a')).toBe(5);
    expect(await redis.ttl('dst')).toBe(-1);
  });

  it('SINTERCARD with LIMIT and its argument errors', async () => {
    expect(await redis.call('SINTERCARD', '2', 'a', 'b')).toBe(3);
    expect(await redis.call('SINTERCARD', '2', 'a', 'b', 'LIMIT', '2')).toBe(2);
    expect(await redis.call('SINTERCARD', '2', 'a', 'b', 'LIMIT', '0')).toBe(3);
    expect(await redis.call('SINTERCARD', '2', 'a', 'missing')).toBe(0);
    expect(await errorOf(redis.call('SINTERCARD', '0', 'a'))).toBe('ERR numkeys should be greater than 0');
    expect(await errorOf(redis.call('SINTERCARD', '3', 'a', 'b'))).toBe("ERR Number of keys can't be greater than number of args");
    expect(await errorOf(redis.call('SINTERCARD', '2', 'a', 'b', 'LIMIT', '-1'))).toBe("ERR LIMIT can't be negative");
    expect(await errorOf(redis.call('SINTERCARD', '1', 'a', 'b'))).toBe('ERR syntax error');
  });
});

describe('SPOP / SRANDMEMBER', () => {
  it('sampling rules and argument errors', async () => {
    const members = Array.from({ length: 200 }, (_, i) => `m${i}`);
    await redis.sadd('s', ...members);
    const some = await redis.srandmember('s', 50);
    expect(some.length).toBe(50);
    expect(new Set(some).size).toBe(50);
    const most = await redis.srandmember('s', 190);
    expect(new Set(most).size).toBe(190);
    expect(sorted(await redis.srandmember('s', 500))).toEqual(sorted(members));
    const rep = await redis.srandmember('s', -1000);
    expect(rep.length).toBe(1000);
    expect(rep.every((m: string) => members.includes(m))).toBe(true);
    expect(await redis.scard('s')).toBe(200);
    expect(await redis.srandmember('missing')).toBeNull();
    expect(await redis.srandmember('missing', 3)).toEqual([]);
    expect(await errorOf(redis.call('SRANDMEMBER', 's', '-9223372036854775808')))
      .toBe('ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807');

    const popped = await redis.spop('s', 20);
    expect(new Set(popped).size).toBe(20);
    expect(await redis.scard('s')).toBe(180);
    for (const m of popped) expect(await redis.sismember('s', m)).toBe(0);
    const mostPopped = await redis.spop('s', 170);
    expect(new Set(mostPopped).size).toBe(170);
    expect(await redis.scard('s')).toBe(10);
    const rest = await redis.spop('s', 100);
    expect(new Set([...popped, ...mostPopped, ...rest]).size).toBe(200);
    expect(await redis.exists('s')).toBe(0);
    expect(await errorOf(redis.call('SPOP', 's', '-1'))).toBe('ERR value is out of range, must be positive');
    expect(await errorOf(redis.call('SPOP', 's', '1', '2'))).toBe('ERR syntax error');
  });

  it('SPOP of most of an all-integer hashtable set leaves an intset, as Redis rebuilds it', async () => {
    await redis.sadd('s', ...Array.from({ length: 20 }, (_, i) => String(i)), 'word');
    await redis.srem('s', 'word');
    expect(await redis.object('ENCODING', 's')).toBe('hashtable');
    await redis.spop('s', 18);
    expect(await redis.scard('s')).toBe(2);
    expect(await redis.object('ENCODING', 's')).toBe('intset');
  });
});

describe('big sets', () => {
  const N = 30000;

  async function fill(key: string, n: number, prefix = 'member:'): Promise<void> {
    const p = redis.pipeline();
    for (let i = 0; i < n; i += 1000) p.sadd(key, ...Array.from({ length: Math.min(1000, n - i) }, (_, j) => `${prefix}${i + j}`));
    await p.exec();
  }

  it('SMEMBERS, SCARD, algebra on 30,000-member sets', async () => {
    await fill('big', N);
    await fill('odd', N / 2, 'member:1');
    expect(await redis.scard('big')).toBe(N);
    const all = await redis.smembers('big');
    expect(new Set(all).size).toBe(N);
    const inter = await redis.sinter('big', 'odd');
    expect(new Set(inter).size).toBe(inter.length);
    expect(inter.every((m: string) => m.startsWith('member:1'))).toBe(true);
    expect(await redis.call('SINTERCARD', '2', 'big', 'odd')).toBe(inter.length);
    expect(await redis.sdiffstore('d', 'big', 'odd')).toBe(N - inter.length);
    expect(await redis.sunionstore('u', 'big', 'odd')).toBe(N + N / 2 - inter.length);
  });

  it('a full SSCAN returns every member present throughout, while the set grows and shrinks', async () => {
    await fill('scan', N);
    const seen = new Set<string>();
    let cursor = '0';
    let round = 0;
    do {
      const [next, items] = await redis.sscan('scan', cursor, 'COUNT', 200);
      for (const m of items) seen.add(m);
      if (round % 2 === 0) await redis.sadd('scan', ...Array.from({ length: 50 }, (_, i) => `extra:${round}:${i}`));
      else await redis.srem('scan', ...Array.from({ length: 50 }, (_, i) => `extra:${round - 1}:${i}`));
      cursor = next;
      round++;
    } while (cursor !== '0');
    for (let i = 0; i < N; i++) expect(seen.has(`member:${i}`)).toBe(true);
  });

  it('memory accounting follows the set', async () => {
    const usedMemory = async (): Promise<number> => Number(/used_memory:(\d+)/.exec(await redis.info('memory'))![1]);
    const base = await usedMemory();
    await fill('mem', N);
    const usage = Number(await redis.call('MEMORY', 'USAGE', 'mem'));
    expect(usage).toBeGreaterThan(N * 10);
    expect(usage).toBeLessThan(N * 150);
    await redis.del('mem');
    expect(Math.abs((await usedMemory()) - base)).toBeLessThan(N * 5);
    await redis.sadd('ints', ...Array.from({ length: 500 }, (_, i) => String(i * 7)));
    const ints = Number(await redis.call('MEMORY', 'USAGE', 'ints'));
    expect(ints).toBeLessThan(500 * 20);
  });
});

describe('maxmemory', () => {
  afterEach(async () => {
    await redis.config('SET', 'maxmemory', '0');
    await redis.config('SET', 'maxmemory-policy', 'noeviction');
  });

  it('collections count toward maxmemory: big sets and hashes are evicted to stay under it', async () => {
    const used = async (): Promise<number> => Number(/used_memory:(\d+)/.exec(await redis.info('memory'))![1]);
    const limit = (await used()) + 4 * 1024 * 1024;
    await redis.config('SET', 'maxmemory-policy', 'allkeys-lru');
    await redis.config('SET', 'maxmemory', String(limit));
    for (let k = 0; k < 40; k++) {
      const p = redis.pipeline();
      for (let i = 0; i < 5000; i += 500) {
        p.sadd(`set:${k}`, ...Array.from({ length: 500 }, (_, j) => `member:${k}:${i + j}`));
        p.hset(`hash:${k}`, ...Array.from({ length: 500 }, (_, j) => [`f${i + j}`, `value:${k}:${i + j}`]).flat());
      }
      await p.exec();
    }
    const evicted = Number(/evicted_keys:(\d+)/.exec(await redis.info('stats'))![1]);
    expect(evicted).toBeGreaterThan(0);
    expect(await redis.dbsize()).toBeLessThan(80);
    expect(await used()).toBeLessThan(limit + 1024 * 1024);
  });

  it('with noeviction, a write that would pass maxmemory is refused', async () => {
    await redis.sadd('s', ...Array.from({ length: 20000 }, (_, i) => `member:${i}`));
    const used = Number(/used_memory:(\d+)/.exec(await redis.info('memory'))![1]);
    await redis.config('SET', 'maxmemory', String(used - 1024));
    expect(await errorOf(redis.sadd('s', 'one-more'))).toBe("OOM command not allowed when used memory > 'maxmemory'.");
    expect(await redis.sismember('s', 'member:1')).toBe(1);
    expect(await redis.srem('s', 'member:1')).toBe(1);
  });
});

describe.skipIf(againstRedis)('memory accounting (white box)', () => {
  it('each key is charged exactly its collection\'s current estimate after any mix of writes', async () => {
    const store = target.store!;
    let seed = 7;
    const rnd = (n: number): number => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return (seed >>> 8) % n;
    };
    const keys = ['s1', 's2', 's3', 'h1', 'h2'];
    const member = (): string => (rnd(3) === 0 ? String(rnd(700)) : rnd(2) === 0 ? `m${rnd(400)}` : 'L'.repeat(60 + rnd(20)));
    const mask = store.shards.length - 1;
    let checked = 0;
    for (let round = 0; round < 20; round++) {
      const p = redis.pipeline();
      for (let i = 0; i < 500; i++) {
        const k = keys[rnd(3)]!;
        const h = keys[3 + rnd(2)]!;
        switch (rnd(15)) {
          case 0: p.sadd(k, member(), member(), member()); break;
          case 1: p.srem(k, member(), member()); break;
          case 2: p.spop(k, rnd(5)); break;
          case 3: p.smove(k, keys[rnd(3)]!, member()); break;
          case 4: p.sunionstore(k, keys[rnd(3)]!, keys[rnd(3)]!); break;
          case 5: p.sdiffstore(k, keys[rnd(3)]!, keys[rnd(3)]!); break;
          case 6: p.hset(h, member(), member(), member(), member()); break;
          case 7: p.hdel(h, member(), member()); break;
          case 8: p.hincrby(h, `n${rnd(50)}`, 1); break;
          case 9: p.hincrbyfloat(h, `f${rnd(50)}`, '0.5'); break;
          case 10: p.hsetnx(h, member(), member()); break;
          case 11: p.spop(k); break;
          case 12: p.sinterstore(k, keys[rnd(3)]!, keys[rnd(3)]!); break;
          case 13: p.hdel(h, ...Array.from({ length: 30 }, () => member())); break;
          default: p.sadd(k, ...Array.from({ length: 40 }, () => member()));
        }
      }
      await p.exec();
      for (const key of keys) {
        const h = store.lookup(0, Buffer.from(key), 0, key.length, 2);
        if (h < 0) continue;
        // A small hash is packed bytes in its key's chunk, charged as the chunk: no object.
        if (!holdsObject(store.typeOf(h), store.encodingOf(h))) {
          expect(store.typeOf(h), key).toBe(KeyType.HASH);
          continue;
        }
        const shard = store.shards[h & mask]!;
        const charged = shard.objectBytes[shard.table.vlen(h >>> store.shardBits)];
        expect(charged, key).toBe((store.objectOf(h) as Collection & { memoryBytes(): number }).memoryBytes());
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(40);
  });
});

describe('keyspace commands on sets', () => {
  it('COPY is independent, RENAME keeps contents, SCAN TYPE set', async () => {
    await redis.sadd('s', '1', '2', 'x');
    expect(await redis.copy('s', 's2')).toBe(1);
    await redis.sadd('s2', 'y');
    expect(await redis.scard('s')).toBe(3);
    expect(await redis.scard('s2')).toBe(4);
    await redis.rename('s2', 's3');
    expect(sorted(await redis.smembers('s3'))).toEqual(['1', '2', 'x', 'y']);
    const [, keys] = (await redis.call('SCAN', '0', 'TYPE', 'set', 'COUNT', '1000')) as [string, string[]];
    expect(keys.sort()).toEqual(['s', 's3']);
  });
});

describe('RESP3 (raw socket)', () => {
  it('sets are RESP3 sets; SRANDMEMBER count is an array', async () => {
    await redis.sadd('s', '3', '1', '2');
    const c = await RawClient.connect(target.port);
    try {
      await c.call('HELLO', '3');
      expect((await c.call('SMEMBERS', 's')).toString()).toBe('~3\r\n$1\r\n1\r\n$1\r\n2\r\n$1\r\n3\r\n');
      expect((await c.call('SMEMBERS', 'nokey')).toString()).toBe('~0\r\n');
      expect((await c.call('SINTER', 's', 's')).toString()).toBe('~3\r\n$1\r\n1\r\n$1\r\n2\r\n$1\r\n3\r\n');
      expect((await c.call('SRANDMEMBER', 's', '5')).toString()).toBe('*3\r\n$1\r\n1\r\n$1\r\n2\r\n$1\r\n3\r\n');
      expect((await c.call('SPOP', 'nokey', '2')).toString()).toBe('~0\r\n');
      expect((await c.call('SPOP', 'nokey')).toString()).toBe('_\r\n');
      expect((await c.call('SMISMEMBER', 's', '1', '9')).toString()).toBe('*2\r\n:1\r\n:0\r\n');
      expect((await c.call('SPOP', 's', '3')).toString()).toBe('~3\r\n$1\r\n1\r\n$1\r\n2\r\n$1\r\n3\r\n');
    } finally {
      await c.close();
    }
  });
});
