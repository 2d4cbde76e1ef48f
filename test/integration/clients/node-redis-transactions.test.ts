/*
 * Proves that node-redis (npm `redis`, current major, unchanged) can run transactions against
 * the server, over RESP3 (its default, HELLO 3) and over RESP2:
 *   - multi().exec() with several commands returns every reply in order;
 *   - a runtime error inside EXEC (INCR of a non-integer) fails only that command: node-redis
 *     throws MultiErrorReply carrying every reply, and the other commands ran;
 *   - a command rejected while queuing (unknown command) aborts the transaction and nothing
 *     queued runs;
 *   - WATCH: EXEC answers null when another client wrote the watched key, which node-redis
 *     surfaces as WatchError; UNWATCH lifts it;
 *   - the optimistic-locking loop (WATCH, GET, MULTI, SET, EXEC, retry on WatchError) retries
 *     when a second client writes in between and ends with the right value, also with 20
 *     connections (duplicate()) incrementing one key at once (the key ends at 20).
 * Runs against slabcache (default) or redis-server (DIFF_TARGET=redis), via startTarget.
 */
import { describe, it, expect, beforeAll, afterAll, afterEach } from 'vitest';
import { WatchError, MultiErrorReply, ErrorReply } from 'redis';
import { NODE_REDIS_PROTOCOLS, nodeRedis, type NodeRedis, ErrorLog, barrier, closeAll, uniq, TEST_MS, useTarget } from './support.ts';

const NOT_INT = 'ERR value is not an integer or out of range';

/**
 * Adds 1 to `key` with WATCH/GET/MULTI/SET/EXEC, retrying on WatchError (EXEC answered null).
 * `afterFirstRead` runs once, between the first GET and its MULTI. Returns the number of
 * aborted attempts.
 */
async function incrementOptimistically(c: NodeRedis, key: string, afterFirstRead: () => Promise<unknown> = async () => {}): Promise<number> {
  let aborted = 0;
  for (let attempt = 0; attempt < 100; attempt++) {
    await c.watch(key);
    const current = Number((await c.get(key)) ?? '0');
    if (attempt === 0) await afterFirstRead();
    try {
      const result = await c.multi().set(key, String(current + 1)).exec();
      expect(result).toEqual(['OK']);
      return aborted;
    } catch (err) {
      if (!(err instanceof WatchError)) throw err;
      aborted++;
    }
  }
  throw new Error(`${key}: gave up after 100 aborted attempts`);
}

const target = useTarget();
const rejections = target.rejections;

describe.each(NODE_REDIS_PROTOCOLS)('$name: transactions', ({ resp }) => {
  const errors = new ErrorLog();
  const clients: NodeRedis[] = [];
  let a: NodeRedis;
  let b: NodeRedis;

  beforeAll(async () => {
    a = errors.watch('a', nodeRedis(target.port, resp));
    clients.push(a);
    await a.connect();
    b = errors.watch('b', a.duplicate());
    clients.push(b);
    await b.connect();
  });

  afterEach(() => {
    errors.assertNone();
    rejections.assertNone();
  });

  afterAll(async () => {
    await closeAll(clients);
  });

  it('multi().exec() runs several commands and returns their replies in order', { timeout: TEST_MS }, async () => {
    const k = uniq('tx');
    const result = await a
      .multi()
      .set(`${k}:s`, '1')
      .incr(`${k}:s`)
      .get(`${k}:s`)
      .rPush(`${k}:l`, ['x', 'y'])
      .lRange(`${k}:l`, 0, -1)
      .hSet(`${k}:h`, 'f', 'v')
      .hGetAll(`${k}:h`)
      .exists([`${k}:s`, `${k}:none`])
      .exec();
    expect(result).toEqual(['OK', 2, '2', 2, ['x', 'y'], 1, { f: 'v' }, 1]);
    expect(await b.get(`${k}:s`)).toBe('2');
    expect(await b.lRange(`${k}:l`, 0, -1)).toEqual(['x', 'y']);
    expect(await a.multi().exec()).toEqual([]);
  });

  it('a runtime error inside EXEC fails only that command; the rest still run', { timeout: TEST_MS }, async () => {
    const k = uniq('txerr');
    await a.set(`${k}:text`, 'not-a-number');
    let caught: unknown;
    try {
      await a.multi().set(`${k}:n`, '1').incr(`${k}:text`).incr(`${k}:n`).lPush(`${k}:text`, 'x').get(`${k}:n`).exec();
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(MultiErrorReply);
    const multiErr = caught as MultiErrorReply;
    expect(multiErr.errorIndexes).toEqual([1, 3]);
    expect(multiErr.replies[0]).toBe('OK');
    expect(multiErr.replies[1]).toBeInstanceOf(ErrorReply);
    expect((multiErr.replies[1] as ErrorReply).message).toBe(NOT_INT);
    expect(multiErr.replies[2]).toBe(2);
    expect((multiErr.replies[3] as ErrorReply).message).toBe('WRONGTYPE Operation against a key holding the wrong kind of value');
    expect(multiErr.replies[4]).toBe('2');
    expect(await b.get(`${k}:n`)).toBe('2');
    expect(await b.get(`${k}:text`)).toBe('not-a-number');
  });

  it('a command rejected while queuing aborts the transaction and nothing queued runs', { timeout: TEST_MS }, async () => {
    const k = uniq('txabort');
    // node-redis rejects exec() with the first error of the batch: the queuing error (EXEC's
    // own reply is -EXECABORT).
    const rejected = a.multi().set(`${k}:a`, '1').addCommand(['NOSUCHCOMMAND', 'x']).set(`${k}:b`, '1').exec();
    await expect(rejected).rejects.toBeInstanceOf(ErrorReply);
    await expect(rejected).rejects.toMatchObject({ message: "ERR unknown command 'NOSUCHCOMMAND', with args beginning with: 'x' " });
    expect(await b.exists([`${k}:a`, `${k}:b`])).toBe(0);
    // The connection is out of MULTI afterwards.
    expect(await a.set(`${k}:after`, 'ok')).toBe('OK');
    expect(await a.get(`${k}:after`)).toBe('ok');
  });

  it('EXEC aborts (WatchError) when another client wrote a watched key, and nothing queued runs', { timeout: TEST_MS }, async () => {
    const k = uniq('watch');
    await a.set(`${k}:w`, '1');
    expect(await a.watch([`${k}:w`, `${k}:other`])).toBe('OK');
    expect(await b.set(`${k}:w`, '2')).toBe('OK');
    await expect(a.multi().set(`${k}:out`, 'x').incr(`${k}:w`).exec()).rejects.toBeInstanceOf(WatchError);
    expect(await b.get(`${k}:w`)).toBe('2');
    expect(await b.exists(`${k}:out`)).toBe(0);
    // EXEC unwatched everything: the same transaction now commits.
    expect(await a.multi().set(`${k}:out`, 'x').incr(`${k}:w`).exec()).toEqual(['OK', 3]);
  });

  it('UNWATCH lifts the watch: a later write by another client no longer aborts EXEC', { timeout: TEST_MS }, async () => {
    const k = uniq('unwatch');
    await a.watch(`${k}:w`);
    expect(await a.unwatch()).toBe('OK');
    await b.set(`${k}:w`, 'theirs');
    expect(await a.multi().set(`${k}:w`, 'mine').exec()).toEqual(['OK']);
    expect(await b.get(`${k}:w`)).toBe('mine');
  });

  it('optimistic-locking loop retries when a second client writes between GET and EXEC, and ends right', { timeout: TEST_MS }, async () => {
    const k = uniq('cas');
    await a.set(k, '10');
    const aborted = await incrementOptimistically(a, k, () => b.incr(k));
    expect(aborted).toBe(1);
    expect(await b.get(k)).toBe('12');
  });

  it('20 connections each add 1 to one key with WATCH/GET/MULTI/SET/EXEC at once: it ends at 20', { timeout: TEST_MS }, async () => {
    const k = uniq('cas20');
    const n = 20;
    const workers = Array.from({ length: n }, () => errors.watch('worker', a.duplicate()));
    clients.push(...workers);
    await Promise.all(workers.map((w) => w.connect()));
    // Every worker reads 0 before any of them commits: exactly one EXEC of that first round
    // can succeed, so at least n - 1 attempts must abort and retry.
    const allRead = barrier(n);
    const aborted = await Promise.all(workers.map((w) => incrementOptimistically(w, k, allRead)));
    expect(await b.get(k)).toBe(String(n));
    expect(aborted.reduce((s, x) => s + x, 0)).toBeGreaterThanOrEqual(n - 1);
    expect(aborted.filter((x) => x === 0)).toHaveLength(1);
  });
});
