/*
 * SORT and SORT_RO through unchanged clients, as applications use them, and at sizes the
 * differential corpus does not reach:
 *   - node-redis's sort / sortRo / sortStore helpers (BY, LIMIT, GET, DIRECTION, ALPHA) over
 *     RESP3 and RESP2: a leaderboard of user ids in a set, ranked by a hash field, paged with
 *     LIMIT, names fetched with GET ->field, a missing user's fields as nulls;
 *   - ioredis: the result cached with SORT ... STORE plus EXPIRE, the stored list replacing
 *     whatever the key held;
 *   - a 100,000-element list of integers and fractions with many equal weights, sorted
 *     numerically (ties ordered by the elements' bytes) and checked element for element
 *     against the same order computed here, ascending, descending and a deep LIMIT page;
 *   - 20,000 binary members (NUL, CR, LF, bytes >= 0x80) sorted ALPHA with STORE (memcmp,
 *     then length) against Buffer.compare.
 * Option-by-option edge cases are in test/differential/corpus/sort.txt. Runs against slabcache
 * (default) or redis-server (DIFF_TARGET=redis), via startTarget.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { NODE_REDIS_PROTOCOLS, IOREDIS_MAJORS, nodeRedis, type NodeRedis, type IORedis, ErrorLog, closeAll, uniq, TEST_MS, useTarget } from './support.ts';

const target = useTarget();

describe.each(NODE_REDIS_PROTOCOLS)('$name: SORT helpers', ({ resp }) => {
  const errors = new ErrorLog();
  let c: NodeRedis;

  beforeAll(async () => {
    c = errors.watch('c', nodeRedis(target.port, resp));
    await c.connect();
  });
  afterAll(async () => {
    await closeAll([c]);
    errors.assertNone();
  });

  it('ranks a leaderboard by a hash field, pages it, and fetches fields with GET', async () => {
    const p = uniq('board');
    const scores: Record<string, number> = { u1: 120, u2: 95.5, u3: 300, u4: 95.5, u5: 10 };
    for (const [id, score] of Object.entries(scores)) await c.hSet(`${p}:user:${id}`, { score: String(score), name: `name-${id}` });
    await c.sAdd(`${p}:ids`, [...Object.keys(scores), 'u6']);
    const by = `${p}:user:*->score`;

    // u6 has no hash: weight 0. Equal weights (u2, u4) are ordered by the ids' bytes.
    expect(await c.sort(`${p}:ids`, { BY: by })).toEqual(['u6', 'u5', 'u2', 'u4', 'u1', 'u3']);
    expect(await c.sort(`${p}:ids`, { BY: by, DIRECTION: 'DESC', LIMIT: { offset: 0, count: 3 } })).toEqual(['u3', 'u1', 'u4']);
    expect(await c.sortRo(`${p}:ids`, { BY: by, DIRECTION: 'DESC', LIMIT: { offset: 3, count: 3 } })).toEqual(['u2', 'u5', 'u6']);
    expect(await c.sort(`${p}:ids`, { BY: by, DIRECTION: 'DESC', LIMIT: { offset: 4, count: 2 }, GET: ['#', `${p}:user:*->name`] })).toEqual([
      'u5',
      'name-u5',
      'u6',
      null,
    ]);
    expect(await c.sort(`${p}:ids`, { ALPHA: true, DIRECTION: 'DESC' })).toEqual(['u6', 'u5', 'u4', 'u3', 'u2', 'u1']);

    expect(await c.sortStore(`${p}:ids`, `${p}:ranked`, { BY: by, GET: `${p}:user:*->name` })).toBe(6);
    expect(await c.lRange(`${p}:ranked`, 0, -1)).toEqual(['', 'name-u5', 'name-u2', 'name-u4', 'name-u1', 'name-u3']);
  }, TEST_MS);

  it('answers the scores error for a weight that is not a number', async () => {
    const p = uniq('bad');
    await c.rPush(`${p}:l`, ['1', 'two', '3']);
    await expect(c.sort(`${p}:l`)).rejects.toThrow("ERR One or more scores can't be converted into double");
    expect(await c.sort(`${p}:l`, { ALPHA: true })).toEqual(['1', '3', 'two']);
  }, TEST_MS);
});

describe.each(IOREDIS_MAJORS)('$name: SORT', ({ connect }) => {
  const errors = new ErrorLog();
  let io: IORedis;

  beforeAll(async () => {
    io = errors.watch('io', connect(target.port));
    await io.ping();
  });
  afterAll(async () => {
    await closeAll([io]);
    errors.assertNone();
  });

  it('caches a sorted result with STORE and EXPIRE, replacing what the key held', async () => {
    const p = uniq('cache');
    await io.rpush(`${p}:src`, '3', '1', '2');
    await io.set(`${p}:dst`, 'old', 'EX', 1000);
    expect(await io.sort(`${p}:src`, 'DESC', 'STORE', `${p}:dst`)).toBe(3);
    expect(await io.ttl(`${p}:dst`)).toBe(-1);
    expect(await io.expire(`${p}:dst`, 60)).toBe(1);
    expect(await io.lrange(`${p}:dst`, 0, -1)).toEqual(['3', '2', '1']);
    expect(await io.sort(`${p}:missing`, 'STORE', `${p}:dst`)).toBe(0);
    expect(await io.exists(`${p}:dst`)).toBe(0);
  }, TEST_MS);

  it('sorts 100,000 elements with equal weights exactly as Redis orders them', async () => {
    const p = uniq('big');
    const n = 100_000;
    const elements: string[] = [];
    let x = 12345;
    for (let i = 0; i < n; i++) {
      x = (x * 16807) % 2147483647;
      // Few distinct weights, written several ways ("7", "7.0", "07"): ties everywhere.
      const w = x % 500;
      elements.push(i % 3 === 0 ? String(w) : i % 3 === 1 ? `${w}.0` : `0${w}`);
    }
    for (let i = 0; i < n; i += 10_000) await io.rpush(`${p}:l`, ...elements.slice(i, i + 10_000));
    const byBytes = (a: string, b: string): number => Buffer.compare(Buffer.from(a), Buffer.from(b));
    const expected = [...elements].sort((a, b) => Number(a) - Number(b) || byBytes(a, b));

    expect(await io.sort(`${p}:l`)).toEqual(expected);
    expect(await io.sort(`${p}:l`, 'DESC')).toEqual([...expected].reverse());
    expect(await io.sort(`${p}:l`, 'LIMIT', 54_321, 100)).toEqual(expected.slice(54_321, 54_421));
  }, 30_000);

  it('sorts binary members ALPHA with STORE byte by byte', async () => {
    const p = uniq('bin');
    const members: Buffer[] = [];
    let x = 777;
    for (let i = 0; i < 20_000; i++) {
      const len = 1 + (i % 7);
      const m = Buffer.alloc(len + 4);
      for (let j = 0; j < len; j++) {
        x = (x * 16807) % 2147483647;
        m[j] = [0x00, 0x0d, 0x0a, 0x41, 0x61, 0x80, 0xff, 0xc3][x % 8];
      }
      m.writeUInt32BE(i, len);
      members.push(m);
    }
    for (let i = 0; i < members.length; i += 5000) await io.sadd(`${p}:s`, ...members.slice(i, i + 5000));
    expect(await io.sort(`${p}:s`, 'ALPHA', 'STORE', `${p}:sorted`)).toBe(members.length);
    const stored = await io.lrangeBuffer(`${p}:sorted`, 0, -1);
    expect(stored).toEqual([...members].sort(Buffer.compare));
  }, 30_000);
});
