/*
 * HyperLogLog counts and bytes equal to redis-server's over random inputs: fast-check builds
 * random element batches (short and long, text and binary, many duplicates) and a random
 * hll-sparse-max-bytes, and both servers run the same PFADD / PFMERGE / PFCOUNT sequence. The
 * reference is a redis-server started here; every count (single-key, cached or recomputed, and
 * of several keys), and the value's bytes after each step, must be equal. Then the same for a
 * few large sets (dense values, 100k elements), and PFSELFTEST (10M adds: a few seconds).
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import fc from 'fast-check';
import { Redis } from 'ioredis';
import { startRedisServer, haveRedisServer, type RedisServerHandle } from '../helpers/redis-server.ts';
import type { RunningServer } from '../../src/server.ts';

const enabled = haveRedisServer();

let reference: RedisServerHandle;
let server: RunningServer;
let ref: Redis;
let ours: Redis;

function connect(port: number): Redis {
  return new Redis({ port, host: '127.0.0.1', maxRetriesPerRequest: 0, retryStrategy: () => null, commandTimeout: 30_000 });
}

beforeAll(async () => {
  if (!enabled) return;
  reference = await startRedisServer({});
  const { startServer } = await import('../../src/server.ts');
  server = await startServer({ loglevel: 'warning', 'metrics-port': '0', port: '0', bind: '127.0.0.1' });
  ref = connect(reference.port);
  ours = connect(server.port);
});

afterAll(async () => {
  ref?.disconnect();
  ours?.disconnect();
  await server?.close();
  await reference?.stop();
});

/** Run one command on both servers; the replies (or error texts) must be equal. */
async function both(...args: Array<string | Buffer>): Promise<unknown> {
  const run = (r: Redis) => r.callBuffer(String(args[0]), ...args.slice(1)).catch((e: Error) => `error: ${e.message}`);
  const [a, b] = await Promise.all([run(ref), run(ours)]);
  expect(b, `${args.slice(0, 3).join(' ')} ...`).toEqual(a);
  return a;
}

const element = fc.oneof(
  fc.integer({ min: 0, max: 3000 }).map((n) => Buffer.from(`user:${n}`)),
  fc.uint8Array({ maxLength: 24 }).map((b) => Buffer.from(b)),
  fc.string({ maxLength: 40 }).map((s) => Buffer.from(s)),
);

const step = fc.record({
  key: fc.constantFrom('a', 'b', 'c'),
  elements: fc.array(element, { maxLength: 60 }),
  merge: fc.boolean(),
});

describe.skipIf(!enabled)('HyperLogLog equals redis-server', () => {
  it('random PFADD / PFMERGE / PFCOUNT sequences: same counts, same bytes', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom('3000', '64', '300', '0'), fc.array(step, { minLength: 1, maxLength: 12 }), async (maxBytes, steps) => {
        await both('flushall');
        await both('config', 'set', 'hll-sparse-max-bytes', maxBytes);
        for (const s of steps) {
          await both('pfadd', s.key, ...s.elements);
          await both('pfcount', s.key);
          await both('get', s.key);
          if (s.merge) {
            await both('pfmerge', 'm', s.key, 'a', 'b');
            await both('get', 'm');
          }
          await both('pfcount', 'a', 'b', 'c');
          await both('pfcount', s.key);
        }
      }),
      { numRuns: 40 },
    );
  }, 120_000);

  it('large sets: dense values, counts up to 100k', async () => {
    await both('flushall');
    await both('config', 'set', 'hll-sparse-max-bytes', '3000');
    let n = 0;
    for (const size of [100, 1000, 10_000, 100_000]) {
      while (n < size) {
        const batch: string[] = [];
        for (let i = 0; i < 1000 && n < size; i++) batch.push(`e${n++}`);
        await both('pfadd', 'big', ...batch);
        await both('pfadd', `half${n & 1}`, ...batch);
      }
      const count = Number(await both('pfcount', 'big'));
      expect(Math.abs(count - size) / size).toBeLessThan(0.05);
      await both('get', 'big');
      await both('pfcount', 'half0', 'half1', 'big');
      await both('pfmerge', 'union', 'half0', 'half1');
      await both('get', 'union');
    }
  }, 120_000);

  it('PFSELFTEST passes', async () => {
    expect(String(await ours.call('pfselftest'))).toBe('OK');
  }, 120_000);
});
