/*
 * Lists through ioredis, as applications use them: queues, capped recent-item lists, binary
 * and large elements (every entry-encoding boundary, up to megabytes), a 200,000-element list
 * (LRANGE streams it back, LINDEX/LSET/LINSERT in its middle, LTRIM, LREM), memory accounting
 * (INFO used_memory rises with the elements and falls back when the key goes), emptied lists
 * deleting their key, and the generic commands (TYPE, OBJECT ENCODING, COPY, RENAME, EXPIRE,
 * SCAN TYPE) on list keys. Edge cases of every option are in the differential corpus
 * (test/differential/corpus/lists.txt).
 *
 * INTEGRATION_TARGET=redis runs the file against a real redis-server instead.
 */
import { describe, it, expect, beforeAll, afterAll, beforeEach } from 'vitest';
import { Redis } from 'ioredis';
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

let target: Target;
let redis: Redis;

async function errorOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    return (err as Error).message;
  }
  throw new Error('expected an error reply');
}

async function usedMemory(): Promise<number> {
  const info = await redis.info('memory');
  return Number(/used_memory:(\d+)/.exec(info)![1]);
}

function element(seed: number, len: number): Buffer {
  const b = Buffer.allocUnsafe(len);
  for (let i = 0; i < len; i++) b[i] = (seed + i * 13) & 0xff;
  return b;
}

beforeAll(async () => {
  target = await startTarget();
  redis = new Redis({ port: target.port, host: '127.0.0.1', maxRetriesPerRequest: 0, retryStrategy: () => null, commandTimeout: 20_000 });
});

afterAll(async () => {
  redis.disconnect();
  await target.close();
});

beforeEach(async () => {
  await redis.flushall();
});

const WRONGTYPE = 'WRONGTYPE Operation against a key holding the wrong kind of value';

describe('lists as applications use them', () => {
  it('a FIFO queue: LPUSH producers, RPOP consumers, LLEN', async () => {
    for (let i = 0; i < 100; i++) await redis.lpush('queue', `job:${i}`);
    expect(await redis.llen('queue')).toBe(100);
    for (let i = 0; i < 100; i++) expect(await redis.rpop('queue')).toBe(`job:${i}`);
    expect(await redis.rpop('queue')).toBeNull();
    expect(await redis.exists('queue')).toBe(0);
  });

  it('a capped recent-items list: LPUSH + LTRIM keeps the newest N', async () => {
    for (let i = 0; i < 500; i++) {
      await redis.pipeline().lpush('recent', `item${i}`).ltrim('recent', 0, 9).exec();
    }
    expect(await redis.lrange('recent', 0, -1)).toEqual(Array.from({ length: 10 }, (_, i) => `item${499 - i}`));
    expect(await redis.object('ENCODING', 'recent')).toBe('quicklist');
  });

  it('a reliable queue: RPOPLPUSH / LMOVE into a processing list, LREM to acknowledge', async () => {
    await redis.rpush('pending', 'a', 'b', 'c');
    expect(await redis.rpoplpush('pending', 'processing')).toBe('c');
    expect(await redis.lmove('pending', 'processing', 'RIGHT', 'LEFT')).toBe('b');
    expect(await redis.lrange('processing', 0, -1)).toEqual(['b', 'c']);
    expect(await redis.lrem('processing', 1, 'c')).toBe(1);
    expect(await redis.lrange('processing', 0, -1)).toEqual(['b']);
    expect(await redis.lmpop(2, 'none', 'pending', 'LEFT', 'COUNT', 5)).toEqual(['pending', ['a']]);
    expect(await redis.exists('pending')).toBe(0);
  });

  it('every list command answers WRONGTYPE on a string key', async () => {
    await redis.set('s', 'v');
    const calls: Array<[string, ...Array<string | number>]> = [
      ['lpush', 's', 'x'], ['rpush', 's', 'x'], ['lpushx', 's', 'x'], ['rpushx', 's', 'x'], ['lpop', 's'], ['rpop', 's', 2],
      ['llen', 's'], ['lrange', 's', 0, -1], ['lindex', 's', 0], ['lset', 's', 0, 'x'], ['linsert', 's', 'BEFORE', 'a', 'b'],
      ['lrem', 's', 0, 'x'], ['ltrim', 's', 0, 1], ['lpos', 's', 'x'], ['lmove', 's', 'd', 'LEFT', 'LEFT'], ['rpoplpush', 's', 'd'],
      ['lmpop', 1, 's', 'LEFT'], ['blpop', 's', 0], ['brpop', 's', 0], ['blmove', 's', 'd', 'LEFT', 'LEFT', 0],
      ['brpoplpush', 's', 'd', 0], ['blmpop', 0, 1, 's', 'LEFT'],
    ];
    for (const [cmd, ...args] of calls) expect(await errorOf(redis.call(cmd, ...args)), cmd).toBe(WRONGTYPE);
    expect(await redis.get('s')).toBe('v');
  });
});

describe('elements are binary-safe bytes of any size', () => {
  it('round-trips every byte value, empty elements and sizes around each encoding boundary', async () => {
    const all = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
    const sizes = [0, 1, 126, 127, 128, 129, 255, 8191, 8192, 16383, 16384, 16385, 100_000, 1_000_000];
    const els = [all, ...sizes.map((n, i) => element(i, n))];
    await redis.rpush('bin', ...els);
    const back = await redis.lrangeBuffer('bin', 0, -1);
    expect(back.length).toBe(els.length);
    back.forEach((b, i) => expect(b.equals(els[i]), `element ${i}`).toBe(true));
    for (let i = 0; i < els.length; i++) expect((await redis.lindexBuffer('bin', i))!.equals(els[i])).toBe(true);
    expect(await redis.lpos('bin', all)).toBe(0);
    expect(await redis.lpos('bin', element(13, 1_000_000))).toBe(14);
    // Replace an element by ones of other sizes, insert around it, remove it.
    await redis.lset('bin', 5, element(99, 20_000));
    expect((await redis.lindexBuffer('bin', 5))!.equals(element(99, 20_000))).toBe(true);
    await redis.lset('bin', 5, 'tiny');
    expect(await redis.linsert('bin', 'BEFORE', 'tiny', element(7, 5000))).toBe(els.length + 1);
    expect(await redis.linsert('bin', 'AFTER', 'tiny', '')).toBe(els.length + 2);
    expect((await redis.lrangeBuffer('bin', 5, 7)).map((b) => b.length)).toEqual([5000, 4, 0]);
    expect(await redis.lrem('bin', 0, 'tiny')).toBe(1);
    expect(await redis.llen('bin')).toBe(els.length + 1);
    // Pops from both ends return the big elements intact.
    expect((await redis.rpopBuffer('bin'))!.equals(els[els.length - 1])).toBe(true);
    expect((await redis.lpopBuffer('bin'))!.equals(all)).toBe(true);
  });

  it('LMOVE of a big element onto the same list and onto another keeps its bytes', async () => {
    const big = element(3, 300_000);
    await redis.rpush('m', big, 'small');
    expect((await redis.lmoveBuffer('m', 'm', 'LEFT', 'RIGHT')).equals(big)).toBe(true);
    expect((await redis.lrangeBuffer('m', 0, -1)).map((b) => b.length)).toEqual([5, 300_000]);
    expect((await redis.rpoplpushBuffer('m', 'other'))!.equals(big)).toBe(true);
    expect((await redis.lindexBuffer('other', 0))!.equals(big)).toBe(true);
  });
});

describe('a big list', () => {
  const N = 200_000;

  async function fill(key: string): Promise<void> {
    for (let base = 0; base < N; base += 10_000) {
      const batch = Array.from({ length: 10_000 }, (_, i) => `e${base + i}`);
      await redis.rpush(key, ...batch);
    }
  }

  it('LRANGE streams all of it back; LINDEX, LSET and LINSERT work in the middle', async () => {
    await fill('big');
    expect(await redis.llen('big')).toBe(N);
    const all = await redis.lrange('big', 0, -1);
    expect(all.length).toBe(N);
    expect(all[0]).toBe('e0');
    expect(all[N - 1]).toBe(`e${N - 1}`);
    expect(all.every((v, i) => v === `e${i}`)).toBe(true);
    expect(await redis.lindex('big', 100_000)).toBe('e100000');
    expect(await redis.lindex('big', -100_000)).toBe('e100000');
    expect(await redis.lset('big', 123_456, 'changed')).toBe('OK');
    expect(await redis.linsert('big', 'AFTER', 'changed', 'inserted')).toBe(N + 1);
    expect(await redis.lrange('big', 123_455, 123_458)).toEqual(['e123455', 'changed', 'inserted', 'e123457']);
    expect(await redis.lpos('big', 'inserted')).toBe(123_457);
    expect(await redis.lpos('big', 'e5', 'RANK', -1)).toBe(5);
    expect(await redis.lpos('big', 'e199999', 'MAXLEN', 1000)).toBeNull();
  });

  it('LTRIM and LREM over the whole list; pops from both ends', async () => {
    await fill('big');
    expect(await redis.ltrim('big', 1000, -1001)).toBe('OK');
    expect(await redis.llen('big')).toBe(N - 2000);
    expect(await redis.lindex('big', 0)).toBe('e1000');
    await redis.rpush('big', 'dup', 'dup', 'dup');
    await redis.lpush('big', 'dup');
    expect(await redis.lrem('big', -2, 'dup')).toBe(2);
    expect(await redis.lrem('big', 0, 'dup')).toBe(2);
    expect(await redis.lpop('big', 5)).toEqual(['e1000', 'e1001', 'e1002', 'e1003', 'e1004']);
    expect(await redis.rpop('big', 2)).toEqual([`e${N - 1001}`, `e${N - 1002}`]);
    expect(await redis.lmpop(1, 'big', 'RIGHT', 'COUNT', 1)).toEqual(['big', [`e${N - 1003}`]]);
  });

  it('memory: used_memory grows with the elements and returns when the key goes', async () => {
    const before = await usedMemory();
    await fill('big');
    const grown = (await usedMemory()) - before;
    // About 10 bytes per element here; Redis's quicklist takes ~11.
    expect(grown).toBeGreaterThan(N * 5);
    expect(grown).toBeLessThan(N * 40);
    await redis.ltrim('big', 0, N / 2 - 1);
    const halved = (await usedMemory()) - before;
    expect(halved).toBeLessThan(grown * 0.7);
    await redis.del('big');
    const after = (await usedMemory()) - before;
    expect(after).toBeLessThan(grown / 10);
  });

  it('popping every element deletes the key and releases its memory', async () => {
    const before = await usedMemory();
    await fill('big');
    for (let i = 0; i < N / 1000; i++) await redis.lpop('big', 1000);
    expect(await redis.exists('big')).toBe(0);
    expect((await usedMemory()) - before).toBeLessThan(N);
  });
});

describe('generic commands on list keys', () => {
  it('TYPE, OBJECT ENCODING, COPY (an independent copy), RENAME, EXPIRE, SCAN TYPE', async () => {
    await redis.rpush('l', 'a', 'b', 'c');
    expect(await redis.type('l')).toBe('list');
    expect(await redis.object('ENCODING', 'l')).toBe('quicklist');
    expect(await redis.copy('l', 'l2')).toBe(1);
    await redis.rpush('l2', 'd');
    await redis.lpop('l');
    expect(await redis.lrange('l', 0, -1)).toEqual(['b', 'c']);
    expect(await redis.lrange('l2', 0, -1)).toEqual(['a', 'b', 'c', 'd']);
    expect(await redis.rename('l2', 'l3')).toBe('OK');
    expect(await redis.lrange('l3', 0, -1)).toEqual(['a', 'b', 'c', 'd']);
    expect(await redis.pexpire('l3', 50)).toBe(1);
    await new Promise((r) => setTimeout(r, 80));
    expect(await redis.exists('l3')).toBe(0);
    expect(await redis.lpushx('l3', 'x')).toBe(0);
    await redis.set('str', 'v');
    const [, keys] = (await redis.call('scan', '0', 'TYPE', 'list', 'COUNT', '1000')) as [string, string[]];
    expect(keys).toEqual(['l']);
  });

  it('an emptied list deletes its key, whichever command empties it', async () => {
    const emptiers: Array<[string, ...Array<string | number>]> = [
      ['lpop', 'k'], ['rpop', 'k', 5], ['lrem', 'k', 0, 'v'], ['ltrim', 'k', 1, 0], ['lmove', 'k', 'other', 'LEFT', 'LEFT'],
      ['rpoplpush', 'k', 'other'], ['lmpop', 1, 'k', 'LEFT'], ['blpop', 'k', 0], ['brpop', 'k', 0], ['blmpop', 0, 1, 'k', 'RIGHT'],
      ['blmove', 'k', 'other', 'RIGHT', 'LEFT', 0], ['brpoplpush', 'k', 'other', 0],
    ];
    for (const [cmd, ...args] of emptiers) {
      await redis.rpush('k', 'v');
      await redis.call(cmd, ...args);
      expect(await redis.exists('k'), cmd).toBe(0);
    }
  });
});
