// BullMQ and ioredis, unchanged, against the slabcache server of global-setup.ts.
import { Queue, Worker, QueueEvents } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, expect, inject, test } from 'vitest';

const connection = new Redis(inject('redisUrl'), { maxRetriesPerRequest: null });
afterAll(() => connection.quit());

test('ioredis: a counter with an expiry', async () => {
  await connection.set('visits', 0, 'EX', 60);
  expect(await connection.incr('visits')).toBe(1);
  expect(await connection.ttl('visits')).toBeGreaterThan(0);
});

test('BullMQ: a job runs on a worker and its result comes back', async () => {
  const queue = new Queue('emails', { connection });
  const events = new QueueEvents('emails', { connection: connection.duplicate() });
  const worker = new Worker('emails', async (job) => `sent to ${job.data.to}`, { connection: connection.duplicate() });
  // The events stream is read from '$': be listening before the job can finish.
  await events.waitUntilReady();
  const job = await queue.add('welcome', { to: 'ada@example.com' });
  expect(await job.waitUntilFinished(events, 10_000)).toBe('sent to ada@example.com');
  await Promise.all([worker.close(), events.close(), queue.close()]);
}, 20_000);
