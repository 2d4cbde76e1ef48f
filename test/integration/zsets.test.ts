/*
 * Sorted-set commands driven by ioredis, as applications use them: a leaderboard, a sliding-
 * window rate limiter, a delayed-job queue; every command's options and errors; score
 * formatting; binary members through Buffers; the listpack -> skiplist conversion and the
 * encodings STORE results get; big sets (ZRANGE of 200,000 members streamed in one reply,
 * ranks and ranges, a full ZSCAN while the set grows and shrinks, set algebra); memory
 * accounting; keyspace commands on sorted sets; RESP3 shapes over a raw socket.
 * Expectations are what redis-server 7.0.15 answers.
 *
 * INTEGRATION_TARGET=redis runs the file against a real redis-server instead.
 */
import { describe, it, expect, beforeAll, afterAll, beforeEach, afterEach } from 'vitest';
import { Redis } from 'ioredis';
import { RawClient } from '../helpers/raw-client.ts';
import { startRedisServer } from '../helpers/redis-server.ts';
import type { Keyspace } from '../../store/keyspace.ts';
import type { ZsetValue } from '../../src/types/zset-value.ts';
import { STORED_HEADER } from '../../src/types/packed.ts';
import { Encoding, holdsObject } from '../../store/types.ts';

interface Target {
  kind: 'slabcache' | 'redis';
  port: number;
  store: Keyspace | null;
  close(): Promise<void>;
}

async function startTarget(): Promise<Target> {
  if (process.env['INTEGRATION_TARGET'] === 'redis') {
    const r = await startRedisServer({});
    return { kind: 'redis', port: r.port, store: null, close: () => r.stop() };
  }
  const { startServer } = await import('../../src/server.ts');
  const s = await startServer({ loglevel: 'warning', 'metrics-port': '0', port: '0', bind: '127.0.0.1' });
  return { kind: 'slabcache', port: s.port, store: s.state.store, close: () => s.close() };
}

function connect(port: number): Redis {
  return new Redis({ port, host: '127.0.0.1', maxRetriesPerRequest: 0, retryStrategy: () => null, commandTimeout: 30_000 });
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
const SYNTAX = 'ERR syntax error';
const NOT_FLOAT = 'ERR value is not a valid float';

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
  await redis.config('SET', 'zset-max-listpack-entries', '128');
  await redis.config('SET', 'zset-max-listpack-value', '64');
});

describe('applications', () => {
  it('a leaderboard: scores, ranks, top-N, neighbours, increments', async () => {
    await redis.zadd('lb', 1200, 'alice', 950, 'bob', 1500, 'carol', 1200, 'dave', 700, 'erin');
    expect(await redis.zrevrange('lb', 0, 2, 'WITHSCORES')).toEqual(['carol', '1500', 'dave', '1200', 'alice', '1200']);
    expect(await redis.zrevrank('lb', 'alice')).toBe(2);
    expect(await redis.zrank('lb', 'alice')).toBe(2);
    expect(await redis.zincrby('lb', 301, 'bob')).toBe('1251');
    expect(await redis.zrevrank('lb', 'bob')).toBe(1);
    expect(await redis.zscore('lb', 'bob')).toBe('1251');
    expect(await redis.zscore('lb', 'nobody')).toBeNull();
    expect(await redis.zcount('lb', 1000, '+inf')).toBe(4);
    expect(await redis.zrangebyscore('lb', '(1200', '+inf')).toEqual(['bob', 'carol']);
    expect(await redis.zmscore('lb', 'carol', 'ghost', 'erin')).toEqual(['1500', null, '700']);
    expect(await redis.zcard('lb')).toBe(5);
    // Only raise a high score (GT), report changes (CH).
    expect(await redis.zadd('lb', 'GT', 'CH', 1000, 'carol', 1600, 'erin')).toBe(1);
    expect(await redis.zscore('lb', 'carol')).toBe('1500');
    expect(await redis.zscore('lb', 'erin')).toBe('1600');
  });

  it('a sliding-window rate limiter: ZREMRANGEBYSCORE + ZADD + ZCARD + PEXPIRE pipelined', async () => {
    const now = 1_700_000_000_000;
    const hit = async (t: number): Promise<number> => {
      const res = await redis
        .pipeline()
        .zremrangebyscore('rl:user', '-inf', t - 1000)
        .zadd('rl:user', t, `req:${t}`)
        .zcard('rl:user')
        .pexpire('rl:user', 1000)
        .exec();
      return res![2]![1] as number;
    };
    expect(await hit(now)).toBe(1);
    expect(await hit(now + 100)).toBe(2);
    expect(await hit(now + 900)).toBe(3);
    expect(await hit(now + 1050)).toBe(3);
    expect(await hit(now + 2100)).toBe(1);
  });

  it('a delayed-job queue: due jobs by score, claimed atomically with ZPOPMIN / ZREM', async () => {
    await redis.zadd('jobs', 300, 'job:c', 100, 'job:a', 200, 'job:b', 900, 'job:late');
    const due = await redis.zrangebyscore('jobs', '-inf', 250, 'LIMIT', 0, 10);
    expect(due).toEqual(['job:a', 'job:b']);
    expect(await redis.zrem('jobs', ...due)).toBe(2);
    expect(await redis.zpopmin('jobs')).toEqual(['job:c', '300']);
    expect(await redis.call('ZMPOP', '1', 'jobs', 'MIN', 'COUNT', '5')).toEqual(['jobs', [['job:late', '900']]]);
    expect(await redis.exists('jobs')).toBe(0);
    expect(await redis.call('ZMPOP', '1', 'jobs', 'MIN')).toBeNull();
  });
});

describe('ZADD and scores', () => {
  it('options, conflicts and replies', async () => {
    expect(await redis.zadd('z', 1, 'a', 2, 'b')).toBe(2);
    expect(await redis.zadd('z', 'NX', 5, 'a', 3, 'c')).toBe(1);
    expect(await redis.zscore('z', 'a')).toBe('1');
    expect(await redis.zadd('z', 'XX', 'CH', 5, 'a', 9, 'new')).toBe(1);
    expect(await redis.zscore('z', 'new')).toBeNull();
    expect(await redis.zadd('z', 'LT', 'CH', 4, 'a', 10, 'b')).toBe(1);
    expect(await redis.zadd('z', 'INCR', 2, 'a')).toBe('6');
    expect(await redis.zadd('z', 'NX', 'INCR', 2, 'a')).toBeNull();
    expect(await redis.zadd('missing', 'XX', 1, 'a')).toBe(0);
    expect(await redis.exists('missing')).toBe(0);
    expect(await errorOf(redis.zadd('z', 'NX', 'XX', 1, 'a'))).toBe('ERR XX and NX options at the same time are not compatible');
    expect(await errorOf(redis.zadd('z', 'GT', 'LT', 1, 'a'))).toBe('ERR GT, LT, and/or NX options at the same time are not compatible');
    expect(await errorOf(redis.zadd('z', 'NX', 'GT', 1, 'a'))).toBe('ERR GT, LT, and/or NX options at the same time are not compatible');
    expect(await errorOf(redis.zadd('z', 'INCR', 1, 'a', 2, 'b'))).toBe('ERR INCR option supports a single increment-element pair');
    expect(await errorOf(redis.zadd('z', 1, 'a', 2))).toBe(SYNTAX);
    expect(await errorOf(redis.call('ZADD', 'z', 'nan', 'a'))).toBe(NOT_FLOAT);
    expect(await errorOf(redis.call('ZADD', 'z', '1e400', 'a'))).toBe(NOT_FLOAT);
    expect(await errorOf(redis.call('ZINCRBY', 'z', 'nx', 'a'))).toBe(SYNTAX);
    expect(await errorOf(redis.call('ZADD', 'z', '1', 'ok', 'bad', 'x'))).toBe(NOT_FLOAT);
    expect(await redis.zscore('z', 'ok')).toBeNull(); // all scores are parsed before any change
  });

  it('scores print as %.17g; inf, hex, exponents; NaN results are refused', async () => {
    await redis.call('ZADD', 's', '0.1', 'a', '1e17', 'b', '0x10', 'c', '-inf', 'd', '+inf', 'e', '3.0', 'f', '1.5e-7', 'g');
    expect(await redis.zrange('s', 0, -1, 'WITHSCORES')).toEqual([
      'd', '-inf', 'g', '1.4999999999999999e-07', 'a', '0.10000000000000001', 'f', '3', 'c', '16', 'b', '1e+17', 'e', 'inf',
    ]);
    expect(await redis.zincrby('s', '0.2', 'a')).toBe('0.30000000000000004');
    expect(await errorOf(redis.zincrby('s', '-inf', 'e'))).toBe('ERR resulting score is not a number (NaN)');
    expect(await redis.zscore('s', 'e')).toBe('inf');
    // A listpack keeps integral scores as integers: -0 reads back as 0 (a skiplist keeps -0).
    expect(await redis.zadd('s', 'INCR', '-0', 'negzero')).toBe('-0');
    expect(await redis.zscore('s', 'negzero')).toBe('0');
    await redis.config('SET', 'zset-max-listpack-entries', '0');
    await redis.zadd('sk', '-0', 'negzero');
    expect(await redis.zscore('sk', 'negzero')).toBe('-0');
  });

  it('binary members round-trip byte for byte and sort by bytes', async () => {
    const members = [Buffer.from([0xff]), Buffer.from([0x61, 0x00, 0x62]), Buffer.from([]), Buffer.from('a'), Buffer.from([0x00])];
    for (const m of members) await redis.zadd('bin', 0, m);
    const got = await redis.zrangeBuffer('bin', 0, -1);
    expect(got.map((b: Buffer) => b.toString('hex'))).toEqual(['', '00', '61', '610062', 'ff']);
    expect(await redis.zrank('bin', Buffer.from([0xff]))).toBe(4);
    expect(await redis.zrangebylexBuffer('bin', Buffer.from('[a'), '+')).toEqual([Buffer.from('a'), Buffer.from([0x61, 0x00, 0x62]), Buffer.from([0xff])]);
    expect(await redis.zrem('bin', Buffer.from([]))).toBe(1);
  });

  it('an emptied set deletes its key (ZREM, ZPOP*, ZREMRANGEBY*, ZMPOP)', async () => {
    for (const [setup, run] of [
      [() => redis.zadd('e', 1, 'a'), () => redis.zrem('e', 'a')],
      [() => redis.zadd('e', 1, 'a', 2, 'b'), () => redis.zpopmax('e', 5)],
      [() => redis.zadd('e', 1, 'a'), () => redis.zremrangebyrank('e', 0, -1)],
      [() => redis.zadd('e', 1, 'a'), () => redis.zremrangebyscore('e', '-inf', '+inf')],
      [() => redis.zadd('e', 0, 'a'), () => redis.zremrangebylex('e', '-', '+')],
      [() => redis.zadd('e', 0, 'a'), () => redis.call('ZMPOP', '1', 'e', 'MAX', 'COUNT', '3')],
    ] as const) {
      await setup();
      await run();
      expect(await redis.exists('e')).toBe(0);
    }
  });

  it('WRONGTYPE on other types, and other commands on a sorted set', async () => {
    await redis.set('str', 'v');
    for (const p of [
      redis.zadd('str', 1, 'a'), redis.zscore('str', 'a'), redis.zrange('str', 0, -1), redis.zcard('str'),
      redis.zrem('str', 'a'), redis.zpopmin('str'), redis.zrangebyscore('str', 0, 1), redis.zunion(1, 'str'),
      redis.call('ZSCAN', 'str', '0'), redis.zrandmember('str'),
    ]) {
      expect(await errorOf(p)).toBe(WRONGTYPE);
    }
    await redis.zadd('z', 1, 'a');
    expect(await errorOf(redis.get('z'))).toBe(WRONGTYPE);
    expect(await errorOf(redis.sadd('z', 'x'))).toBe(WRONGTYPE);
    expect(await redis.type('z')).toBe('zset');
  });
});

describe('ranges', () => {
  beforeEach(async () => {
    await redis.zadd('r', 1, 'a', 2, 'b', 3, 'c', 4, 'd', 5, 'e');
    await redis.zadd('lex', 0, 'alpha', 0, 'beta', 0, 'delta', 0, 'gamma', 0, 'omega');
  });

  it('ZRANGE by rank, score and lex, forwards and in reverse, with LIMIT', async () => {
    expect(await redis.zrange('r', -2, -1)).toEqual(['d', 'e']);
    expect(await redis.zrange('r', 0, 1, 'REV')).toEqual(['e', 'd']);
    expect(await redis.zrange('r', '(1', 4, 'BYSCORE', 'LIMIT', 1, 2)).toEqual(['c', 'd']);
    expect(await redis.zrange('r', '+inf', '(2', 'BYSCORE', 'REV', 'WITHSCORES')).toEqual(['e', '5', 'd', '4', 'c', '3']);
    expect(await redis.zrange('lex', '[b', '(g', 'BYLEX')).toEqual(['beta', 'delta']);
    expect(await redis.zrange('lex', '+', '-', 'BYLEX', 'REV', 'LIMIT', 0, 2)).toEqual(['omega', 'gamma']);
    expect(await redis.zrangebyscore('r', '-inf', '+inf', 'LIMIT', -1, 2)).toEqual([]);
    expect(await redis.zrangebyscore('r', '-inf', '+inf', 'LIMIT', 3, -1)).toEqual(['d', 'e']);
    expect(await redis.zrevrangebyscore('r', 4, 2)).toEqual(['d', 'c', 'b']);
    expect(await redis.zrevrangebylex('lex', '(g', '-')).toEqual(['delta', 'beta', 'alpha']);
    expect(await redis.zlexcount('lex', '[beta', '[gamma')).toBe(3);
    expect(await errorOf(redis.zrange('r', 0, 1, 'LIMIT', 0, 1))).toBe('ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX');
    expect(await errorOf(redis.zrange('lex', '-', '+', 'BYLEX', 'WITHSCORES'))).toBe('ERR syntax error, WITHSCORES not supported in combination with BYLEX');
    expect(await errorOf(redis.zrangebyscore('r', 'x', 1))).toBe('ERR min or max is not a float');
    expect(await errorOf(redis.zrangebylex('lex', 'a', 'b'))).toBe('ERR min or max not valid string range item');
  });

  it('ZRANGESTORE and the REMRANGE forms', async () => {
    expect(await redis.zrangestore('dst', 'r', 1, 3)).toBe(3);
    expect(await redis.zrange('dst', 0, -1, 'WITHSCORES')).toEqual(['b', '2', 'c', '3', 'd', '4']);
    expect(await redis.object('ENCODING', 'dst')).toBe('listpack');
    expect(await redis.zrangestore('dst', 'r', 10, 20)).toBe(0);
    expect(await redis.exists('dst')).toBe(0);
    expect(await redis.zremrangebyrank('r', 0, 1)).toBe(2);
    expect(await redis.zremrangebyscore('r', '(3', 4)).toBe(1);
    expect(await redis.zrange('r', 0, -1)).toEqual(['c', 'e']);
    expect(await redis.zremrangebylex('lex', '[beta', '(gamma')).toBe(2);
    expect(await redis.zrange('lex', 0, -1)).toEqual(['alpha', 'gamma', 'omega']);
  });

  it('pops and random members', async () => {
    expect(await redis.zpopmax('r', 2)).toEqual(['e', '5', 'd', '4']);
    expect(await errorOf(redis.zpopmin('r', -1))).toBe('ERR value is out of range, must be positive');
    const one = await redis.zrandmember('r');
    expect(['a', 'b', 'c']).toContain(one);
    const distinct = (await redis.zrandmember('r', 2)) as string[];
    expect(new Set(distinct).size).toBe(2);
    const repeated = (await redis.zrandmember('r', -10)) as string[];
    expect(repeated.length).toBe(10);
    expect(repeated.every((m) => ['a', 'b', 'c'].includes(m))).toBe(true);
    const withScores = (await redis.zrandmember('r', 5, 'WITHSCORES')) as string[];
    expect(withScores.length).toBe(6);
    expect(await redis.zrandmember('nokey', 3)).toEqual([]);
  });
});

describe('set algebra', () => {
  it('ZUNION / ZINTER / ZDIFF with WEIGHTS and AGGREGATE, plain sets as score 1', async () => {
    await redis.zadd('a', 1, 'x', 2, 'y', 3, 'z');
    await redis.zadd('b', 10, 'y', 20, 'z', 30, 'w');
    await redis.sadd('s', 'x', 'w');
    expect(await redis.zunion(2, 'a', 'b', 'WITHSCORES')).toEqual(['x', '1', 'y', '12', 'z', '23', 'w', '30']);
    expect(await redis.zinter(2, 'a', 'b', 'WEIGHTS', 2, 0.5, 'WITHSCORES')).toEqual(['y', '9', 'z', '16']);
    expect(await redis.zunion(2, 'a', 'b', 'AGGREGATE', 'MAX', 'WITHSCORES')).toEqual(['x', '1', 'y', '10', 'z', '20', 'w', '30']);
    expect(await redis.zdiff(2, 'a', 'b', 'WITHSCORES')).toEqual(['x', '1']);
    expect(await redis.zunion(2, 'a', 's', 'WITHSCORES')).toEqual(['w', '1', 'x', '2', 'y', '2', 'z', '3']);
    expect(await redis.zinter(2, 's', 'b', 'WITHSCORES')).toEqual(['w', '31']);
    expect(await redis.zintercard(2, 'a', 'b')).toBe(2);
    expect(await redis.zintercard(2, 'a', 'b', 'LIMIT', 1)).toBe(1);
    expect(await redis.zunionstore('out', 2, 'a', 'b')).toBe(4);
    expect(await redis.zinterstore('out', 2, 'a', 'nokey')).toBe(0);
    expect(await redis.exists('out')).toBe(0);
    expect(await redis.zdiffstore('out', 2, 'b', 'a')).toBe(1);
    expect(await redis.zrange('out', 0, -1, 'WITHSCORES')).toEqual(['w', '30']);
    expect(await errorOf(redis.zunion(0, 'a'))).toBe("ERR at least 1 input key is needed for 'zunion' command");
    expect(await errorOf(redis.zunion(2, 'a', 'b', 'WEIGHTS', 1, 'x'))).toBe('ERR weight value is not a float');
    await redis.set('str', 'v');
    expect(await errorOf(redis.zinter(2, 'a', 'str'))).toBe(WRONGTYPE);
  });
});

describe('encodings', () => {
  it('listpack while small, skiplist past either threshold, never back; STORE results re-compact', async () => {
    await redis.config('SET', 'zset-max-listpack-entries', '3');
    await redis.config('SET', 'zset-max-listpack-value', '5');
    await redis.zadd('z', 1, 'a', 2, 'b', 3, 'c');
    expect(await redis.object('ENCODING', 'z')).toBe('listpack');
    await redis.zadd('z', 4, 'd');
    expect(await redis.object('ENCODING', 'z')).toBe('skiplist');
    await redis.zrem('z', 'a', 'b', 'c');
    expect(await redis.object('ENCODING', 'z')).toBe('skiplist');
    await redis.zadd('long', 1, 'sixchr');
    expect(await redis.object('ENCODING', 'long')).toBe('skiplist');
    await redis.zadd('short', 1, 'five5');
    expect(await redis.object('ENCODING', 'short')).toBe('listpack');
    await redis.zadd('short', 2, 'sixchr');
    expect(await redis.object('ENCODING', 'short')).toBe('skiplist');
    expect(await redis.zunionstore('u', 1, 'z')).toBe(1);
    expect(await redis.object('ENCODING', 'u')).toBe('listpack');
    expect(await redis.zrangestore('rs', 'short', 0, -1)).toBe(2);
    expect(await redis.object('ENCODING', 'rs')).toBe('skiplist');
    await redis.config('SET', 'zset-max-listpack-entries', '0');
    await redis.zadd('zero', 1, 'a');
    expect(await redis.object('ENCODING', 'zero')).toBe('skiplist');
  });

  it('keyspace commands: COPY is independent, RENAME, MOVE, EXPIRE, SCAN TYPE zset', async () => {
    await redis.zadd('z', 1, 'a', 2, 'b');
    expect(await redis.copy('z', 'z2')).toBe(1);
    await redis.zadd('z2', 3, 'c');
    expect(await redis.zcard('z')).toBe(2);
    expect(await redis.zcard('z2')).toBe(3);
    await redis.rename('z2', 'z3');
    expect(await redis.zrange('z3', 0, -1)).toEqual(['a', 'b', 'c']);
    expect(await redis.move('z3', 1)).toBe(1);
    await redis.pexpire('z', 50);
    await new Promise((r) => setTimeout(r, 120));
    expect(await redis.exists('z')).toBe(0);
    await redis.zadd('scanme', 1, 'x');
    await redis.set('plain', 'v');
    const [, keys] = (await redis.call('SCAN', '0', 'TYPE', 'zset', 'COUNT', '1000')) as [string, string[]];
    expect(keys).toEqual(['scanme']);
  });
});

describe('big sorted sets', () => {
  const N = 200_000;

  async function fill(key: string, n: number, score: (i: number) => number = (i) => i): Promise<void> {
    const p = redis.pipeline();
    for (let i = 0; i < n; i += 2000) {
      const args: Array<string | number> = [];
      for (let j = i; j < Math.min(n, i + 2000); j++) args.push(score(j), `member:${j}`);
      p.zadd(key, ...args);
    }
    await p.exec();
  }

  it('ZRANGE of 200,000 members in one reply; ranks, ranges and pops stay consistent', async () => {
    await fill('big', N, (i) => (i * 7919) % N);
    expect(await redis.zcard('big')).toBe(N);
    expect(await redis.object('ENCODING', 'big')).toBe('skiplist');
    const all = await redis.zrange('big', 0, -1, 'WITHSCORES');
    expect(all.length).toBe(2 * N);
    for (let k = 0; k < N; k++) expect(all[2 * k + 1]).toBe(String(k));
    expect(await redis.zrank('big', 'member:0')).toBe(0);
    // Scores are a permutation of 0..N-1, so a member's rank is its score.
    for (const i of [1, 12345, 199999]) expect(await redis.zrank('big', `member:${i}`)).toBe((i * 7919) % N);
    expect(await redis.zcount('big', 1000, '(2000')).toBe(1000);
    expect(await redis.zrangebyscore('big', 150000, '+inf', 'WITHSCORES', 'LIMIT', 10, 2)).toEqual([all[2 * 150010], '150010', all[2 * 150011], '150011']);
    expect(await redis.zrevrange('big', 0, 0)).toEqual([all[2 * (N - 1)]]);
    expect(await redis.zremrangebyscore('big', 0, 99999)).toBe(100000);
    expect(await redis.zrank('big', all[2 * 100000]!)).toBe(0);
    expect((await redis.zpopmin('big', 3)).filter((_, i) => i % 2 === 1)).toEqual(['100000', '100001', '100002']);
    expect(await redis.zcard('big')).toBe(99997);
  });

  it('a full ZSCAN returns every member present throughout, while the set grows and shrinks', async () => {
    const n = 30_000;
    await fill('scan', n);
    const seen = new Set<string>();
    let cursor = '0';
    let round = 0;
    do {
      const [next, items] = await redis.zscan('scan', cursor, 'COUNT', 200);
      for (let i = 0; i < items.length; i += 2) seen.add(items[i]!);
      if (round % 2 === 0) await redis.zadd('scan', ...Array.from({ length: 100 }, (_, i) => [String(i), `extra:${round}:${i}`]).flat());
      else await redis.zrem('scan', ...Array.from({ length: 100 }, (_, i) => `extra:${round - 1}:${i}`));
      cursor = next;
      round++;
    } while (cursor !== '0');
    for (let i = 0; i < n; i++) expect(seen.has(`member:${i}`)).toBe(true);
  });

  it('set algebra over 50,000-member sets', async () => {
    await fill('x', 50_000);
    await fill('y', 50_000, (i) => 2 * i);
    expect(await redis.zinterstore('xy', 2, 'x', 'y', 'WEIGHTS', 1, 1)).toBe(50_000);
    expect(await redis.zscore('xy', 'member:49999')).toBe(String(3 * 49999));
    expect(await redis.zdiffstore('d', 2, 'x', 'xy')).toBe(0);
    expect(await redis.zintercard(2, 'x', 'y', 'LIMIT', 10)).toBe(10);
  });

  it('memory accounting follows the set', async () => {
    const usedMemory = async (): Promise<number> => Number(/used_memory:(\d+)/.exec(await redis.info('memory'))![1]);
    const base = await usedMemory();
    await fill('mem', 100_000);
    const grown = (await usedMemory()) - base;
    expect(grown).toBeGreaterThan(100_000 * 20);
    expect(grown).toBeLessThan(100_000 * 150);
    await redis.zremrangebyrank('mem', 0, 89_999);
    const shrunk = (await usedMemory()) - base;
    expect(shrunk).toBeLessThan(grown / 2);
    await redis.del('mem');
    expect(Math.abs((await usedMemory()) - base)).toBeLessThan(100_000);
  });
});

describe('blocking pops', () => {
  const others: Redis[] = [];
  const another = (): Redis => {
    const r = connect(target.port);
    others.push(r);
    return r;
  };
  afterEach(() => {
    for (const r of others.splice(0)) r.disconnect();
  });

  it('BZPOPMIN waits for a ZADD; clients are served in the order they blocked', async () => {
    const a = another();
    const b = another();
    const first = a.bzpopmin('q1', 'q2', 0);
    await new Promise((r) => setTimeout(r, 50));
    const second = b.bzpopmax('q2', 0);
    await new Promise((r) => setTimeout(r, 50));
    expect(await redis.zadd('q2', 5, 'x', 7, 'y')).toBe(2);
    expect(await first).toEqual(['q2', 'x', '5']);
    expect(await second).toEqual(['q2', 'y', '7']);
    expect(await redis.exists('q2')).toBe(0);
  });

  it('BZMPOP wakes on ZUNIONSTORE creating the key, with COUNT; a timeout answers null', async () => {
    const a = another();
    const pending = a.call('BZMPOP', '0', '2', 'w1', 'w2', 'MAX', 'COUNT', '2');
    await new Promise((r) => setTimeout(r, 50));
    await redis.zadd('src', 1, 'a', 2, 'b', 3, 'c');
    expect(await redis.zunionstore('w2', 1, 'src')).toBe(3);
    expect(await pending).toEqual(['w2', [['c', '3'], ['b', '2']]]);
    expect(await redis.zcard('w2')).toBe(1);
    expect(await another().bzpopmin('nothing', 0.05)).toBeNull();
    expect(await another().call('BZMPOP', '0.05', '1', 'nothing', 'MIN')).toBeNull();
  });

  it('a key of another type does not wake a blocked BZPOPMIN', async () => {
    const a = another();
    const pending = a.bzpopmin('t', 0.3);
    await new Promise((r) => setTimeout(r, 50));
    await redis.set('t', 'string');
    await redis.del('t');
    await redis.zadd('t', 1, 'm');
    expect(await pending).toEqual(['t', 'm', '1']);
  });
});

describe.skipIf(process.env['INTEGRATION_TARGET'] === 'redis')('memory accounting (white box)', () => {
  it('each key is charged exactly its sorted set\'s current estimate after any mix of writes', async () => {
    const store = target.store!;
    let seed = 11;
    const rnd = (n: number): number => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return (seed >>> 8) % n;
    };
    await redis.config('SET', 'zset-max-listpack-entries', '16');
    const keys = ['z1', 'z2', 'z3'];
    const member = (): string => (rnd(4) === 0 ? 'L'.repeat(60 + rnd(20)) : `m${rnd(300)}`);
    const mask = store.shards.length - 1;
    let checked = 0;
    for (let round = 0; round < 20; round++) {
      const p = redis.pipeline();
      for (let i = 0; i < 300; i++) {
        const k = keys[rnd(3)]!;
        switch (rnd(14)) {
          case 0: p.zadd(k, rnd(50), member(), rnd(50), member()); break;
          case 1: p.zrem(k, member(), member()); break;
          case 2: p.zpopmin(k, rnd(5)); break;
          case 3: p.zincrby(k, rnd(7) - 3, member()); break;
          case 4: p.zunionstore(k, 2, keys[rnd(3)]!, keys[rnd(3)]!); break;
          case 5: p.zinterstore(k, 2, keys[rnd(3)]!, keys[rnd(3)]!); break;
          case 6: p.zremrangebyscore(k, rnd(50), rnd(50)); break;
          case 7: p.zremrangebyrank(k, rnd(10), rnd(10)); break;
          case 8: p.zrangestore(k, keys[rnd(3)]!, 0, rnd(40)); break;
          case 9: p.zadd(k, 'GT', 'CH', rnd(50), member()); break;
          case 10: p.call('ZMPOP', '1', k, 'MAX', 'COUNT', String(1 + rnd(3))); break;
          case 11: p.zdiffstore(k, 2, keys[rnd(3)]!, keys[rnd(3)]!); break;
          case 12: p.zadd(k, ...Array.from({ length: 30 }, () => [String(rnd(100)), member()]).flat()); break;
          default: p.zrem(k, ...Array.from({ length: 20 }, () => member()));
        }
      }
      await p.exec();
      for (const key of keys) {
        const h = store.lookup(0, Buffer.from(key), 0, key.length, 2);
        if (h < 0) continue;
        // A listpack is packed bytes in its key's chunk, charged as the chunk: no object.
        if (!holdsObject(store.typeOf(h), store.encodingOf(h))) {
          expect(store.encodingOf(h), key).toBe(Encoding.PACKED);
          expect(store.stringLength(h), key).toBeGreaterThan(STORED_HEADER);
          checked++;
          continue;
        }
        const shard = store.shards[h & mask]!;
        const charged = shard.objectBytes[shard.table.vlen(h >>> store.shardBits)];
        expect(charged, key).toBe((store.objectOf(h) as ZsetValue).memoryBytes());
        expect((store.objectOf(h) as ZsetValue).size(), key).toBeGreaterThan(0);
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(20);
  });
});

describe('RESP3 (raw socket)', () => {
  it('scores are doubles; WITHSCORES pairs are nested arrays', async () => {
    await redis.zadd('z', 1, 'a', 2.5, 'b');
    const c = await RawClient.connect(target.port);
    try {
      await c.call('HELLO', '3');
      expect((await c.call('ZSCORE', 'z', 'b')).toString()).toBe(',2.5\r\n');
      expect((await c.call('ZSCORE', 'z', 'nope')).toString()).toBe('_\r\n');
      expect((await c.call('ZRANGE', 'z', '0', '-1', 'WITHSCORES')).toString()).toBe('*2\r\n*2\r\n$1\r\na\r\n,1\r\n*2\r\n$1\r\nb\r\n,2.5\r\n');
      expect((await c.call('ZPOPMIN', 'z')).toString()).toBe('*2\r\n$1\r\na\r\n,1\r\n');
      expect((await c.call('ZPOPMIN', 'z', '1')).toString()).toBe('*1\r\n*2\r\n$1\r\nb\r\n,2.5\r\n');
      expect((await c.call('ZINCRBY', 'z', '1', 'c')).toString()).toBe(',1\r\n');
      expect((await c.call('ZMPOP', '1', 'z', 'MAX')).toString()).toBe('*2\r\n$1\r\nz\r\n*1\r\n*2\r\n$1\r\nc\r\n,1\r\n');
      expect((await c.call('ZMPOP', '1', 'z', 'MAX')).toString()).toBe('_\r\n');
    } finally {
      await c.close();
    }
  });
});
