/*
 * Proves that ioredis, unchanged (major 5 over RESP2 and the current major 6 over RESP3), can
 * run transactions against the server as applications do:
 *   - multi().exec() with several commands returns every reply in order;
 *   - a runtime error inside EXEC (INCR of a non-integer) fails only that command, the rest
 *     still run;
 *   - a command rejected while queuing (unknown command, wrong arity) aborts the whole
 *     transaction with EXECABORT and nothing queued runs;
 *   - WATCH: EXEC returns null when another client wrote the watched key, UNWATCH lifts it;
 *   - the optimistic-locking loop (WATCH, GET, MULTI, SET, EXEC, retry on null) retries when a
 *     second client writes in between and ends with the right value, also with 20 clients
 *     incrementing one key at once (every increment lands exactly once: the key ends at 20).
 * Runs against slabcache (default) or redis-server (DIFF_TARGET=redis), via startTarget.
 */
import { describe, it, expect, beforeAll, afterAll, afterEach } from 'vitest';
import { IOREDIS_MAJORS, type IORedis, ErrorLog, barrier, closeAll, uniq, TEST_MS, useTarget } from './support.ts';

const NOT_INT = 'ERR value is not an integer or out of range';

/**
 * Adds 1 to `key` with WATCH/GET/MULTI/SET/EXEC, retrying while EXEC answers null.
 * `afterFirstRead` runs once, between the first GET and its MULTI. Returns the number of
 * aborted attempts.
 */
async function incrementOptimistically(c: IORedis, key: string, afterFirstRead: () => Promise<unknown> = async () => {}): Promise<number> {
  let aborted = 0;
  for (let attempt = 0; attempt < 100; attempt++) {
    await c.watch(key);
    const current = Number((await c.get(key)) ?? '0');
    if (attempt === 0) await afterFirstRead();
    const result = await c.multi().set(key, String(current + 1)).exec();
    if (result !== null) {
      expect(result).toEqual([[null, 'OK']]);
      return aborted;
    }
    aborted++;
  }
  throw new Error(`${key}: gave up after 100 aborted attempts`);
}

const target = useTarget();
const rejections = target.rejections;

describe.each(IOREDIS_MAJORS)('$name: transactions', ({ connect }) => {
  const errors = new ErrorLog();
  const clients: IORedis[] = [];
  const open = (): IORedis => {
    const c = errors.watch('ioredis', connect(target.port));
    clients.push(c);
    return c;
  };
  let a: IORedis;
  let b: IORedis;

  beforeAll(() => {
    a = open();
    b = open();
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
      .rpush(`${k}:l`, 'x', 'y')
      .lrange(`${k}:l`, 0, -1)
      .hset(`${k}:h`, 'f', 'v')
      .hgetall(`${k}:h`)
      .exists(`${k}:s`, `${k}:none`)
      .exec();
    expect(result).toEqual([
      [null, 'OK'],
      [null, 2],
      [null, '2'],
      [null, 2],
      [null, ['x', 'y']],
      [null, 1],
      [null, { f: 'v' }],
      [null, 1],
    ]);
    // The writes are visible afterwards to another connection.
    expect(await b.get(`${k}:s`)).toBe('2');
    expect(await b.lrange(`${k}:l`, 0, -1)).toEqual(['x', 'y']);
    // An empty transaction is an empty array.
    expect(await a.multi().exec()).toEqual([]);
  });

  it('a transaction bigger than the queue keeps between transactions runs right, and so does a small one after it', { timeout: TEST_MS }, async () => {
    const k = uniq('txbig');
    const value = (i: number) => String(i).repeat(3000);
    const big = a.multi();
    for (let i = 0; i < 120; i++) big.set(`${k}:${i}`, value(i));
    big.mget(...Array.from({ length: 120 }, (_, i) => `${k}:${i}`));
    const result = (await big.exec())!;
    expect(result.slice(0, 120)).toEqual(Array.from({ length: 120 }, () => [null, 'OK']));
    expect(result[120]).toEqual([null, Array.from({ length: 120 }, (_, i) => value(i))]);
    expect(await a.multi().set(`${k}:small`, 'v').get(`${k}:small`).get(`${k}:7`).exec()).toEqual([[null, 'OK'], [null, 'v'], [null, value(7)]]);
  });

  it('a runtime error inside EXEC fails only that command; the rest still run', { timeout: TEST_MS }, async () => {
    const k = uniq('txerr');
    await a.set(`${k}:text`, 'not-a-number');
    const result = await a.multi().set(`${k}:n`, '1').incr(`${k}:text`).incr(`${k}:n`).lpush(`${k}:text`, 'x').get(`${k}:n`).exec();
    expect(result).not.toBeNull();
    const replies = result!;
    expect(replies).toHaveLength(5);
    expect(replies[0]).toEqual([null, 'OK']);
    expect((replies[1]![0] as Error).message).toBe(NOT_INT);
    expect(replies[2]).toEqual([null, 2]);
    expect((replies[3]![0] as Error).message).toBe('WRONGTYPE Operation against a key holding the wrong kind of value');
    expect(replies[4]).toEqual([null, '2']);
    expect(await b.get(`${k}:n`)).toBe('2');
    expect(await b.get(`${k}:text`)).toBe('not-a-number');
  });

  it('a command rejected while queuing aborts the transaction (EXECABORT) and nothing queued runs', { timeout: TEST_MS }, async () => {
    const k = uniq('txabort');
    await expect(a.multi().set(`${k}:a`, '1').call('NOSUCHCOMMAND', 'x').set(`${k}:b`, '1').exec()).rejects.toThrow(
      'EXECABORT Transaction discarded because of previous errors.',
    );
    await expect(a.multi().set(`${k}:a`, '1').call('GET').exec()).rejects.toThrow('EXECABORT Transaction discarded because of previous errors.');
    expect(await b.exists(`${k}:a`, `${k}:b`)).toBe(0);
    // The connection is out of MULTI afterwards.
    expect(await a.set(`${k}:after`, 'ok')).toBe('OK');
  });

  it('EXEC returns null when another client wrote a watched key, and nothing queued runs', { timeout: TEST_MS }, async () => {
    const k = uniq('watch');
    await a.set(`${k}:w`, '1');
    expect(await a.watch(`${k}:w`, `${k}:other`)).toBe('OK');
    expect(await b.set(`${k}:w`, '2')).toBe('OK');
    expect(await a.multi().set(`${k}:out`, 'x').incr(`${k}:w`).exec()).toBeNull();
    expect(await b.get(`${k}:w`)).toBe('2');
    expect(await b.exists(`${k}:out`)).toBe(0);
    // EXEC unwatched everything: the same transaction now commits.
    expect(await a.multi().set(`${k}:out`, 'x').incr(`${k}:w`).exec()).toEqual([
      [null, 'OK'],
      [null, 3],
    ]);
  });

  it('WATCH of a key that is deleted, or created, by another client also aborts EXEC', { timeout: TEST_MS }, async () => {
    const k = uniq('watchdel');
    await a.set(`${k}:gone`, '1');
    await a.watch(`${k}:gone`);
    expect(await b.del(`${k}:gone`)).toBe(1);
    expect(await a.multi().set(`${k}:gone`, 'mine').exec()).toBeNull();
    expect(await b.exists(`${k}:gone`)).toBe(0);

    await a.watch(`${k}:new`);
    expect(await b.set(`${k}:new`, 'theirs')).toBe('OK');
    expect(await a.multi().set(`${k}:new`, 'mine').exec()).toBeNull();
    expect(await b.get(`${k}:new`)).toBe('theirs');
  });

  it('UNWATCH lifts the watch: a later write by another client no longer aborts EXEC', { timeout: TEST_MS }, async () => {
    const k = uniq('unwatch');
    await a.watch(`${k}:w`);
    expect(await a.unwatch()).toBe('OK');
    await b.set(`${k}:w`, 'theirs');
    expect(await a.multi().set(`${k}:w`, 'mine').exec()).toEqual([[null, 'OK']]);
    expect(await b.get(`${k}:w`)).toBe('mine');
  });

  it('optimistic-locking loop retries when a second client writes between GET and EXEC, and ends right', { timeout: TEST_MS }, async () => {
    const k = uniq('cas');
    await a.set(k, '10');
    // b increments after a's first read: a's first EXEC must abort, its retry must see 11.
    const aborted = await incrementOptimistically(a, k, () => b.incr(k));
    expect(aborted).toBe(1);
    expect(await b.get(k)).toBe('12');
  });

  it('20 clients each add 1 to one key with WATCH/GET/MULTI/SET/EXEC at once: it ends at 20', { timeout: TEST_MS }, async () => {
    const k = uniq('cas20');
    const n = 20;
    const workers = Array.from({ length: n }, () => open());
    // Every worker reads 0 before any of them commits: exactly one EXEC of that first round
    // can succeed, so at least n - 1 attempts must abort and retry.
    const allRead = barrier(n);
    const aborted = await Promise.all(workers.map((w) => incrementOptimistically(w, k, allRead)));
    expect(await b.get(k)).toBe(String(n));
    expect(aborted.reduce((s, x) => s + x, 0)).toBeGreaterThanOrEqual(n - 1);
    expect(aborted.filter((x) => x === 0)).toHaveLength(1);
  });
});
