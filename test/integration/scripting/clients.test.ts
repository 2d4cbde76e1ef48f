/*
 * Real Lua-scripting clients, unchanged, against the server (issue 10): each library runs its
 * own scripts the way applications use it.
 *   - ioredis defineCommand (EVALSHA, falling back to EVAL after SCRIPT FLUSH), RESP2 and RESP3;
 *   - node-redis eval / evalSha / scriptLoad, a defineScript command, and functions
 *     (FUNCTION LOAD, FCALL, FCALL_RO), RESP2 and RESP3;
 *   - redlock 4: acquire, extend, release, and a second acquirer refused while it is held;
 *   - rate-limiter-flexible's RateLimiterRedis (ioredis): consume until rejected, then the
 *     remaining points and the reset time;
 *   - BullMQ: Queue.add, a Worker completing jobs, a delayed job, a failed job retried, a
 *     repeatable job (a job scheduler), queue counts, QueueEvents (XREAD BLOCK on the events stream:
 *     completion events, Job.waitUntilFinished). BullMQ's scripts write Redis streams (XADD) on
 *     every change: against a server without stream commands the suite says so and is skipped.
 * Runs against slabcache (default) or redis-server (DIFF_TARGET=redis), via startTarget.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { Redis } from 'ioredis';
import { createClient, defineScript } from 'redis';
import Redlock from 'redlock';
import { RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import { Queue, Worker, QueueEvents, type Job } from 'bullmq';
import { IOREDIS_MAJORS, NODE_REDIS_PROTOCOLS, closeAll, uniq, within, type IORedis, type NodeRedis, useTarget } from '../clients/support.ts';

const TEST_MS = 15000;

const target = useTarget();
const rejections = target.rejections;

type Incr = IORedis & { incrAndGet(key: string, by: number): Promise<number>; echoArgs(...args: string[]): Promise<string[]> };

describe.each(IOREDIS_MAJORS)('ioredis defineCommand ($name)', ({ connect }) => {
  it('runs a defined command by EVALSHA and falls back to EVAL after SCRIPT FLUSH', { timeout: TEST_MS }, async () => {
    const c = connect(target.port) as Incr;
    try {
      c.defineCommand('incrAndGet', {
        numberOfKeys: 1,
        lua: "redis.call('INCRBY', KEYS[1], ARGV[1]) return tonumber(redis.call('GET', KEYS[1]))",
      });
      c.defineCommand('echoArgs', { numberOfKeys: 0, lua: 'return ARGV' });
      const key = uniq('sc:incr');
      expect(await c.incrAndGet(key, 5)).toBe(5);
      expect(await c.incrAndGet(key, 2)).toBe(7);
      expect(await c.script('FLUSH')).toBe('OK');
      expect(await c.incrAndGet(key, 1)).toBe(8);
      expect(await c.echoArgs('a', 'b', '')).toEqual(['a', 'b', '']);
      // A pipeline of defined commands (EVALSHA, then EVAL for the ones the server lacks).
      await c.script('FLUSH');
      type IncrPipeline = { incrAndGet(key: string, by: number): IncrPipeline; exec(): Promise<unknown> };
      const results = await (c.pipeline() as unknown as IncrPipeline).incrAndGet(key, 1).incrAndGet(key, 1).exec();
      expect(results).toEqual([[null, 9], [null, 10]]);
    } finally {
      await closeAll([c]);
    }
  });

  it('reports a script error as a rejected promise with Redis\'s text', { timeout: TEST_MS }, async () => {
    const c = connect(target.port);
    try {
      await expect(c.eval("return redis.call('incr', KEYS[1])", 1, uniq('sc:notint')).then(() => c.eval("redis.call('set', KEYS[1], 'x') return redis.call('incr', KEYS[1])", 1, 'sc:notint'))).rejects.toThrow(
        /^ERR value is not an integer or out of range script: [0-9a-f]{40}, on @user_script:1\.$/,
      );
      expect(await c.eval("return {1, 'two', {3}, redis.status_reply('FINE')}", 0)).toEqual([1, 'two', [3], 'FINE']);
    } finally {
      await closeAll([c]);
    }
  });
});

describe.each(NODE_REDIS_PROTOCOLS)('node-redis scripts ($name)', ({ resp }) => {
  function connect(): NodeRedis & { addAndGet: (key: string, by: number) => Promise<number> } {
    const client = createClient({
      socket: { host: '127.0.0.1', port: target.port, reconnectStrategy: false },
      RESP: resp,
      scripts: {
        addAndGet: defineScript({
          NUMBER_OF_KEYS: 1,
          SCRIPT: "return redis.call('INCRBY', KEYS[1], ARGV[1])",
          parseCommand(parser, key: string, by: number) {
            parser.pushKey(key);
            parser.push(String(by));
          },
          transformReply: (reply: unknown) => reply as number,
        }),
      },
    });
    client.on('error', () => {});
    return client as never;
  }

  it('eval, evalSha, scriptLoad and a defined script', { timeout: TEST_MS }, async () => {
    const c = connect();
    await c.connect();
    try {
      const key = uniq('sc:nr');
      expect(await c.eval("return redis.call('SET', KEYS[1], ARGV[1])", { keys: [key], arguments: ['v'] })).toBe('OK');
      expect(await c.eval("return redis.call('GET', KEYS[1])", { keys: [key] })).toBe('v');
      const sha = await c.scriptLoad('return ARGV[1] .. ARGV[2]');
      expect(await c.evalSha(sha, { arguments: ['x', 'y'] })).toBe('xy');
      expect(await c.scriptExists(sha)).toEqual([1]);
      await c.scriptFlush();
      await expect(c.evalSha(sha, { arguments: ['x', 'y'] })).rejects.toThrow(/^NOSCRIPT/);
      const counter = uniq('sc:nr:counter');
      expect(await c.addAndGet(counter, 3)).toBe(3);
      expect(await c.addAndGet(counter, 4)).toBe(7);
    } finally {
      await c.quit();
    }
  });

  it('functions: FUNCTION LOAD, FCALL, FCALL_RO, FUNCTION LIST, FUNCTION DELETE', { timeout: TEST_MS }, async () => {
    const c = connect();
    await c.connect();
    try {
      const lib = uniq('lib').replace(/[^A-Za-z0-9_]/g, '_');
      const code = `#!lua name=${lib}
redis.register_function('${lib}_set', function(keys, args) return redis.call('SET', keys[1], args[1]) end)
redis.register_function{function_name='${lib}_get', callback=function(keys) return redis.call('GET', keys[1]) end, flags={'no-writes'}}`;
      expect(await c.functionLoad(code)).toBe(lib);
      const key = uniq('sc:fn');
      expect(await c.fCall(`${lib}_set`, { keys: [key], arguments: ['value'] })).toBe('OK');
      expect(await c.fCallRo(`${lib}_get`, { keys: [key] })).toBe('value');
      await expect(c.fCallRo(`${lib}_set`, { keys: [key], arguments: ['x'] })).rejects.toThrow('ERR Can not execute a script with write flag using *_ro command.');
      const list = await c.functionList({ LIBRARYNAME: lib });
      expect(list).toHaveLength(1);
      expect(list[0].library_name).toBe(lib);
      expect(list[0].functions.map((f: { name: string }) => f.name).sort()).toEqual([`${lib}_get`, `${lib}_set`]);
      expect(await c.functionDelete(lib)).toBe('OK');
      await expect(c.fCall(`${lib}_set`, { keys: [key], arguments: ['x'] })).rejects.toThrow('ERR Function not found');
    } finally {
      await c.quit();
    }
  });
});

describe('redlock 4', () => {
  it('acquires, extends and releases a lock; a second acquirer is refused while it is held', { timeout: TEST_MS }, async () => {
    const a = new Redis({ port: target.port, host: '127.0.0.1', lazyConnect: false });
    const b = new Redis({ port: target.port, host: '127.0.0.1', lazyConnect: false });
    try {
      const redlockA = new Redlock([a], { retryCount: 0 });
      const redlockB = new Redlock([b], { retryCount: 2, retryDelay: 20 });
      redlockA.on('clientError', () => {});
      redlockB.on('clientError', () => {});
      const resource = uniq('locks:order');
      const lock = await redlockA.lock(resource, 2000);
      expect(await a.get(resource)).toBe(lock.value);
      await expect(redlockB.lock(resource, 1000)).rejects.toThrow();
      const extended = await lock.extend(5000);
      const ttl = await a.pttl(resource);
      expect(ttl).toBeGreaterThan(2000);
      expect(ttl).toBeLessThanOrEqual(5000);
      await extended.unlock();
      expect(await a.exists(resource)).toBe(0);
      const second = await redlockB.lock(resource, 1000);
      expect(await b.get(resource)).toBe(second.value);
      // Unlocking with the wrong value leaves the other holder's lock alone.
      await a.set(resource, 'someone-else');
      await expect(second.unlock()).rejects.toThrow();
      expect(await a.get(resource)).toBe('someone-else');
    } finally {
      await closeAll([a, b]);
    }
  });
});

describe('rate-limiter-flexible', () => {
  it('RateLimiterRedis consumes points until it rejects, with the reset time', { timeout: TEST_MS }, async () => {
    const client = new Redis({ port: target.port, host: '127.0.0.1', enableOfflineQueue: false });
    try {
      await within(new Promise((resolve) => client.once('ready', resolve)), 'ioredis ready');
      const limiter = new RateLimiterRedis({ storeClient: client, keyPrefix: uniq('rl'), points: 5, duration: 10 });
      for (let i = 1; i <= 5; i++) {
        const res = await limiter.consume('user-1');
        expect(res.remainingPoints).toBe(5 - i);
        expect(res.consumedPoints).toBe(i);
        expect(res.msBeforeNext).toBeGreaterThan(8000);
      }
      const rejected = await limiter.consume('user-1').then(
        () => null,
        (err: unknown) => err,
      );
      expect(rejected).toBeInstanceOf(RateLimiterRes);
      expect((rejected as RateLimiterRes).remainingPoints).toBe(0);
      expect((rejected as RateLimiterRes).msBeforeNext).toBeGreaterThan(8000);
      // Another key has its own budget; consuming 2 at once is counted as 2.
      expect((await limiter.consume('user-2', 2)).remainingPoints).toBe(3);
      expect((await limiter.get('user-2'))?.consumedPoints).toBe(2);
      await limiter.delete('user-2');
      expect(await limiter.get('user-2')).toBeNull();
    } finally {
      await closeAll([client]);
    }
  });
});

/** BullMQ writes streams from its scripts: it needs XADD on the server. */
async function serverHasStreams(): Promise<boolean> {
  const c = new Redis({ port: target.port, host: '127.0.0.1' });
  try {
    const info = (await c.call('COMMAND', 'INFO', 'xadd')) as unknown[];
    return Array.isArray(info) && info[0] !== null;
  } finally {
    await closeAll([c]);
  }
}

describe('BullMQ', () => {
  let hasStreams = false;
  beforeAll(async () => {
    hasStreams = await serverHasStreams();
    if (!hasStreams) console.warn('BullMQ suite skipped: the server has no stream commands (BullMQ\'s scripts call XADD on every job change)');
  });

  it('adds jobs, a worker completes them, a delayed job runs later, a failed job is retried, a repeatable job repeats', { timeout: 30000 }, async (ctx) => {
    if (!hasStreams) {
      ctx.skip();
      return;
    }
    const connection = { host: '127.0.0.1', port: target.port, maxRetriesPerRequest: null };
    const name = uniq('bull').replace(/[^A-Za-z0-9]/g, '');
    const queue = new Queue(name, { connection });
    const events = new QueueEvents(name, { connection });
    const attempts = new Map<string, number>();
    const done: string[] = [];
    // QueueEvents reads the events stream with XREAD BLOCK: completions arrive through it.
    const completedEvents = new Set<string>();
    events.on('completed', ({ jobId }: { jobId: string }) => completedEvents.add(jobId));
    let finishedResolve: () => void = () => {};
    const allDone = new Promise<void>((resolve) => (finishedResolve = resolve));
    const worker = new Worker(
      name,
      async (job: Job) => {
        const n = (attempts.get(job.name) ?? 0) + 1;
        attempts.set(job.name, n);
        if (job.name === 'flaky' && n === 1) throw new Error('first attempt fails');
        return { doubled: (job.data as { n: number }).n * 2 };
      },
      { connection, concurrency: 2 },
    );
    worker.on('completed', (job: Job) => {
      done.push(job.name);
      if (done.filter((d) => d === 'repeat').length >= 2 && ['plain1', 'plain2', 'delayed', 'flaky'].every((j) => done.includes(j))) finishedResolve();
    });
    try {
      await events.waitUntilReady();
      const plain = await queue.add('plain1', { n: 1 });
      await queue.add('plain2', { n: 2 });
      const started = Date.now();
      await queue.add('delayed', { n: 3 }, { delay: 300 });
      await queue.add('flaky', { n: 4 }, { attempts: 3, backoff: { type: 'fixed', delay: 50 } });
      await queue.upsertJobScheduler('every200', { every: 200, limit: 2 }, { name: 'repeat', data: { n: 5 } });
      const counts = await queue.getJobCounts('wait', 'delayed', 'active', 'completed', 'failed');
      expect(Object.values(counts).reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(4);
      expect(await plain.waitUntilFinished(events, 10000)).toEqual({ doubled: 2 });
      await within(allDone, 'all BullMQ jobs completed', 20000);
      expect(attempts.get('flaky')).toBe(2);
      const finished = await queue.getJob(plain.id!);
      expect(finished?.returnvalue).toEqual({ doubled: 2 });
      const delayed = (await queue.getCompleted()).find((j) => j.name === 'delayed');
      expect(delayed?.finishedOn ?? 0).toBeGreaterThanOrEqual(started + 300);
      const after = await queue.getJobCounts('completed', 'failed');
      expect(after.completed).toBeGreaterThanOrEqual(6);
      expect(after.failed).toBe(0);
      expect(completedEvents.has(plain.id!)).toBe(true);
    } finally {
      await worker.close();
      await events.close();
      await queue.obliterate({ force: true }).catch(() => {});
      await queue.close();
    }
  });
});
