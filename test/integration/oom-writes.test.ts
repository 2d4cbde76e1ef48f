/*
 * Issue 8, defect 4: a write that fails for memory leaves its keys exactly as they were.
 *
 * Driven with ioredis against an in-process slabcache. Out of memory is forced with the slab
 * allocator's hard ceiling (store.alloc.limitBytes): set to the bytes already held, any write
 * needing a new slab page is refused, as when an ArrayBuffer allocation fails. A value, or a
 * key name, over half a page (512 KiB) always needs a page of its own, so such a write always
 * hits the ceiling. Each failed write is followed by the reads a client would make: the old
 * value, type, TTL and, for collections, the contents.
 *
 * Collection growth (HSET, SADD, ZADD, LPUSH on an existing key) allocates no slab page, so it
 * is covered under maxmemory with noeviction, the other way a write is refused.
 */
import { describe, it, expect, beforeAll, afterAll, beforeEach, afterEach } from 'vitest';
import { Redis } from 'ioredis';
import { startServer, type RunningServer } from '../../src/server.ts';

const OOM = "OOM command not allowed when used memory > 'maxmemory'.";
const WRONGTYPE = 'WRONGTYPE Operation against a key holding the wrong kind of value';
const BIG = 600 * 1024;
const big = 'v'.repeat(BIG);
const bigKey = 'k'.repeat(BIG);

let server: RunningServer;
let redis: Redis;

async function errorOf(p: Promise<unknown>): Promise<string> {
  let value: unknown;
  try {
    value = await p;
  } catch (err) {
    return (err as Error).message;
  }
  throw new Error(`expected an error reply, got ${JSON.stringify(value)?.slice(0, 200)}`);
}

/** From now on no new slab page can be had. */
function exhaust(): void {
  const alloc = server.state.store.alloc;
  alloc.limitBytes = alloc.allocatedBytes;
}

function restore(): void {
  server.state.store.alloc.limitBytes = 0;
}

beforeAll(async () => {
  server = await startServer({ loglevel: 'warning', 'metrics-port': '0', port: '0', bind: '127.0.0.1' });
  redis = new Redis({ port: server.port, host: '127.0.0.1', maxRetriesPerRequest: 0, retryStrategy: () => null });
  await redis.ping();
});

afterAll(async () => {
  redis?.disconnect();
  await server?.close();
});

beforeEach(async () => {
  await redis.flushall();
});

afterEach(async () => {
  restore();
  await redis.config('SET', 'maxmemory', '0');
  await redis.config('SET', 'maxmemory-policy', 'noeviction');
});

/** One key of each type, each with a TTL on the string and the hash. */
async function fillEachType(): Promise<void> {
  await redis.set('str', 'old value', 'PX', 100_000);
  await redis.hset('hash', 'field', 'value', 'f2', 'v2');
  await redis.pexpire('hash', 100_000);
  await redis.rpush('list', 'a', 'b', 'c');
  await redis.sadd('set', 'x', 'y');
  await redis.zadd('zset', 1, 'one', 2, 'two');
}

async function expectEachTypeIntact(): Promise<void> {
  expect(await redis.get('str')).toBe('old value');
  expect(await redis.pttl('str')).toBeGreaterThan(90_000);
  expect(await redis.type('hash')).toBe('hash');
  expect(await redis.hgetall('hash')).toEqual({ field: 'value', f2: 'v2' });
  expect(await redis.pttl('hash')).toBeGreaterThan(90_000);
  expect(await redis.lrange('list', 0, -1)).toEqual(['a', 'b', 'c']);
  expect((await redis.smembers('set')).sort()).toEqual(['x', 'y']);
  expect(await redis.zrange('zset', 0, -1, 'WITHSCORES')).toEqual(['one', '1', 'two', '2']);
}

describe('a write that runs out of memory leaves the key as it was', () => {
  it('SET over a key of each type: OOM, then every old value reads back', async () => {
    await fillEachType();
    exhaust();
    for (const key of ['str', 'hash', 'list', 'set', 'zset']) {
      expect(await errorOf(redis.set(key, big))).toBe(OOM);
      expect(await errorOf(redis.set(key, big, 'EX', 1000))).toBe(OOM);
    }
    // GET on a collection must still be WRONGTYPE, not bytes of some other chunk.
    expect(await errorOf(redis.get('hash'))).toBe(WRONGTYPE);
    expect(await errorOf(redis.get('set'))).toBe(WRONGTYPE);
    restore();
    await expectEachTypeIntact();
    expect(await redis.dbsize()).toBe(5);
  });

  it('SETEX, PSETEX, GETSET-style and MSET of one key over a collection leave it intact', async () => {
    await fillEachType();
    exhaust();
    expect(await errorOf(redis.setex('hash', 100, big))).toBe(OOM);
    expect(await errorOf(redis.psetex('list', 100_000, big))).toBe(OOM);
    expect(await errorOf(redis.mset('zset', big))).toBe(OOM);
    expect(await errorOf(redis.call('SETNX', 'fresh', big))).toBe(OOM);
    restore();
    await expectEachTypeIntact();
    expect(await redis.exists('fresh')).toBe(0);
  });

  it('SET ... GET and GETSET answer only the error when the write fails; MSETNX sets all or nothing', async () => {
    await redis.set('s', 'old', 'PX', 100_000);
    exhaust();
    expect(await errorOf(redis.set('s', big, 'GET'))).toBe(OOM);
    expect(await errorOf(redis.getset('s', big))).toBe(OOM);
    // The connection is still in step: the next reply is the next command's.
    expect(await redis.get('s')).toBe('old');
    expect(await errorOf(redis.msetnx('a', '1', 'b', '2', 'c', big))).toBe(OOM);
    restore();
    expect(await redis.exists('a', 'b', 'c')).toBe(0);
    expect(await redis.get('s')).toBe('old');
    expect(await redis.pttl('s')).toBeGreaterThan(90_000);
    expect(await redis.set('s', 'new', 'GET')).toBe('old');
  });

  it('APPEND and SETRANGE: OOM, old value and TTL intact', async () => {
    await redis.set('s', 'hello', 'PX', 100_000);
    exhaust();
    expect(await errorOf(redis.append('s', big))).toBe(OOM);
    expect(await errorOf(redis.setrange('s', BIG, 'x'))).toBe(OOM);
    expect(await errorOf(redis.setrange('new', BIG, 'x'))).toBe(OOM);
    expect(await errorOf(redis.append(bigKey, 'x'))).toBe(OOM);
    restore();
    expect(await redis.get('s')).toBe('hello');
    expect(await redis.pttl('s')).toBeGreaterThan(90_000);
    expect(await redis.object('ENCODING', 's')).toBe('embstr');
    expect(await redis.exists('new')).toBe(0);
    expect(await redis.dbsize()).toBe(1);
  });

  it('SETBIT far beyond the end and BITOP into a collection: OOM, old values intact', async () => {
    await fillEachType();
    await redis.set('src', big);
    exhaust();
    expect(await errorOf(redis.setbit('str', BIG * 8, 1))).toBe(OOM);
    expect(await errorOf(redis.bitop('NOT', 'hash', 'src'))).toBe(OOM);
    restore();
    await expectEachTypeIntact();
  });

  it('RENAME onto an existing key: OOM, both keys intact', async () => {
    await fillEachType();
    await redis.set('src', big, 'PX', 200_000);
    exhaust();
    for (const dst of ['str', 'hash', 'list', 'set', 'zset']) {
      expect(await errorOf(redis.rename('src', dst))).toBe(OOM);
    }
    expect(await errorOf(redis.rename('hash', bigKey))).toBe(OOM);
    restore();
    await expectEachTypeIntact();
    expect(await redis.strlen('src')).toBe(BIG);
    expect(await redis.pttl('src')).toBeGreaterThan(190_000);
    expect(await redis.dbsize()).toBe(6);
  });

  it('COPY ... REPLACE onto an existing key (same db and another db): OOM, destination intact', async () => {
    await fillEachType();
    await redis.set('src', big);
    await redis.select(1);
    await redis.hset('hash', 'in', 'db1');
    await redis.select(0);
    exhaust();
    for (const dst of ['str', 'hash', 'list', 'set', 'zset']) {
      expect(await errorOf(redis.copy('src', dst, 'REPLACE'))).toBe(OOM);
    }
    expect(await errorOf(redis.copy('src', 'hash', 'DB', '1', 'REPLACE'))).toBe(OOM);
    restore();
    await expectEachTypeIntact();
    await redis.select(1);
    expect(await redis.hgetall('hash')).toEqual({ in: 'db1' });
    await redis.select(0);
  });

  it('MOVE onto a key present in the target db changes neither key', async () => {
    await fillEachType();
    await redis.select(1);
    await redis.set('hash', 'db1 string');
    await redis.select(0);
    exhaust();
    expect(await redis.move('hash', 1)).toBe(0);
    restore();
    await expectEachTypeIntact();
    await redis.select(1);
    expect(await redis.get('hash')).toBe('db1 string');
    await redis.select(0);
  });

  it('SMOVE and LMOVE to a destination that cannot be created keep the element in the source', async () => {
    await fillEachType();
    exhaust();
    expect(await errorOf(redis.smove('set', bigKey, 'x'))).toBe(OOM);
    expect(await errorOf(redis.lmove('list', bigKey, 'LEFT', 'RIGHT'))).toBe(OOM);
    expect(await errorOf(redis.rpoplpush('list', bigKey))).toBe(OOM);
    restore();
    await expectEachTypeIntact();
    expect(await redis.dbsize()).toBe(5);
    // And with memory they move as before.
    expect(await redis.smove('set', 'set2', 'x')).toBe(1);
    expect(await redis.lmove('list', 'list2', 'LEFT', 'RIGHT')).toBe('a');
    expect(await redis.smembers('set2')).toEqual(['x']);
    expect(await redis.lrange('list', 0, -1)).toEqual(['b', 'c']);
  });

  it('creating a collection under a key that cannot be stored adds nothing', async () => {
    await fillEachType();
    exhaust();
    expect(await errorOf(redis.hset(bigKey, 'f', 'v'))).toBe(OOM);
    expect(await errorOf(redis.sadd(bigKey, 'm'))).toBe(OOM);
    expect(await errorOf(redis.zadd(bigKey, 1, 'm'))).toBe(OOM);
    expect(await errorOf(redis.lpush(bigKey, 'm'))).toBe(OOM);
    expect(await errorOf(redis.sunionstore(bigKey, 'set'))).toBe(OOM);
    restore();
    expect(await redis.dbsize()).toBe(5);
    await expectEachTypeIntact();
  });

  it('a store command replacing a big string under memory pressure replaces it whole', async () => {
    // The key-only chunk of the new collection comes from a size class with no page yet;
    // the big string's chunk is reused rather than the key being lost.
    const dest = 'd'.repeat(200);
    await redis.sadd('set', 'x', 'y');
    await redis.zadd('zset', 1, 'one');
    await redis.set(dest, big, 'PX', 100_000);
    exhaust();
    expect(await redis.sunionstore(dest, 'set')).toBe(2);
    expect((await redis.smembers(dest)).sort()).toEqual(['x', 'y']);
    expect(await redis.pttl(dest)).toBe(-1);
    expect(await redis.zunionstore(dest, 1, 'zset')).toBe(1);
    expect(await redis.zrange(dest, 0, -1)).toEqual(['one']);
    expect(await redis.set(dest, 'small again')).toBe('OK');
    expect(await redis.get(dest)).toBe('small again');
  });

  it('collection growth refused under maxmemory (noeviction) leaves each collection as it was', async () => {
    await fillEachType();
    await redis.config('SET', 'maxmemory-policy', 'noeviction');
    await redis.config('SET', 'maxmemory', '1');
    expect(await errorOf(redis.hset('hash', 'new', big))).toBe(OOM);
    expect(await errorOf(redis.sadd('set', 'z'))).toBe(OOM);
    expect(await errorOf(redis.zadd('zset', 3, 'three'))).toBe(OOM);
    expect(await errorOf(redis.rpush('list', 'd'))).toBe(OOM);
    expect(await errorOf(redis.hincrby('hash', 'n', 1))).toBe(OOM);
    expect(await errorOf(redis.incr('n'))).toBe(OOM);
    expect(await errorOf(redis.append('str', '!'))).toBe(OOM);
    await redis.config('SET', 'maxmemory', '0');
    await expectEachTypeIntact();
  });
});
