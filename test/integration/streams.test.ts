/*
 * Streams driven by ioredis the way applications use them: an event log tailed with XREAD
 * BLOCK while a producer pipelines thousands of XADDs (nothing lost, nothing reordered); a work
 * queue of three consumers in one group (XREADGROUP BLOCK, XACK: every job exactly once);
 * crash recovery with XPENDING and XAUTOCLAIM / XCLAIM; a capped stream (XADD MAXLEN ~) of
 * 200,000 entries with range reads from both ends and its memory per entry; blocked readers
 * released by timeout and by CLIENT UNBLOCK; binary fields and values through Buffers.
 * Expectations are what redis-server 7.0.15 answers.
 *
 * DIFF_TARGET=redis runs the file against a real redis-server instead.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { Redis } from 'ioredis';
import { startTarget, type TargetServer } from '../helpers/target-server.ts';

let target: TargetServer;
const clients: Redis[] = [];

function connect(): Redis {
  const r = new Redis({ port: target.port, host: '127.0.0.1', maxRetriesPerRequest: 0, retryStrategy: () => null, commandTimeout: 30_000 });
  clients.push(r);
  return r;
}

beforeAll(async () => {
  target = await startTarget({ loglevel: 'warning' });
});

afterAll(async () => {
  for (const c of clients) c.disconnect();
  await target?.stop();
});

type Entries = [string, string[]][];
type ReadReply = [string, Entries][] | null;

describe('streams', () => {
  it('a tail reader with XREAD BLOCK sees every entry of a pipelining producer, in order', { timeout: 30_000 }, async () => {
    const producer = connect();
    const reader = connect();
    const total = 5000;
    const seen: number[] = [];
    const tail = (async () => {
      let last = '$';
      while (seen.length < total) {
        const reply = (await reader.xread('COUNT', 500, 'BLOCK', 5000, 'STREAMS', 'log', last)) as ReadReply;
        if (reply === null) throw new Error('the reader timed out');
        for (const [id, fields] of reply[0][1]) {
          seen.push(Number(fields[1]));
          last = id;
        }
      }
    })();
    // The reader must be blocked on '$' before the first XADD, or '$' would skip entries.
    for (let i = 0; i < 500 && !/blocked_clients:1\r/.test(await producer.info('clients')); i++) await new Promise((r) => setTimeout(r, 10));
    for (let batch = 0; batch < total / 250; batch++) {
      const p = producer.pipeline();
      for (let i = 0; i < 250; i++) p.xadd('log', '*', 'n', String(batch * 250 + i));
      await p.exec();
    }
    await tail;
    expect(seen).toEqual(Array.from({ length: total }, (_, i) => i));
    expect(await producer.xlen('log')).toBe(total);
  });

  it('a consumer group shares a work queue: every job acknowledged exactly once', { timeout: 30_000 }, async () => {
    const admin = connect();
    await admin.xgroup('CREATE', 'jobs', 'workers', '$', 'MKSTREAM');
    const total = 3000;
    const done = new Map<string, number>();
    const perWorker = new Map<string, number>();
    const worker = async (name: string): Promise<void> => {
      const c = connect();
      for (;;) {
        const reply = (await c.xreadgroup('GROUP', 'workers', name, 'COUNT', 50, 'BLOCK', 300, 'STREAMS', 'jobs', '>')) as ReadReply;
        if (reply === null) {
          if (done.size >= total) return;
          continue;
        }
        const entries = reply[0][1];
        for (const [, fields] of entries) done.set(fields[1], (done.get(fields[1]) ?? 0) + 1);
        perWorker.set(name, (perWorker.get(name) ?? 0) + entries.length);
        await c.xack('jobs', 'workers', ...entries.map(([id]) => id));
      }
    };
    const workers = [worker('w1'), worker('w2'), worker('w3')];
    await new Promise((r) => setTimeout(r, 50));
    for (let batch = 0; batch < total / 100; batch++) {
      const p = admin.pipeline();
      for (let i = 0; i < 100; i++) p.xadd('jobs', '*', 'job', String(batch * 100 + i));
      await p.exec();
    }
    await Promise.all(workers);
    expect(done.size).toBe(total);
    expect([...done.values()].every((n) => n === 1)).toBe(true);
    expect([...perWorker.values()].reduce((a, b) => a + b, 0)).toBe(total);
    const pending = (await admin.xpending('jobs', 'workers')) as unknown[];
    expect(pending[0]).toBe(0);
    const groups = (await admin.xinfo('GROUPS', 'jobs')) as unknown[][];
    expect(groups[0]).toEqual(['name', 'workers', 'consumers', 3, 'pending', 0, 'last-delivered-id', expect.any(String), 'entries-read', total, 'lag', 0]);
  });

  it('a crashed consumer\'s entries are recovered with XPENDING, XAUTOCLAIM and XCLAIM', async () => {
    const c = connect();
    await c.xgroup('CREATE', 'orders', 'g', '0', 'MKSTREAM');
    for (let i = 1; i <= 10; i++) await c.xadd('orders', `${i}-0`, 'order', String(i));
    const got = (await c.xreadgroup('GROUP', 'g', 'crashed', 'STREAMS', 'orders', '>')) as ReadReply;
    expect(got![0][1]).toHaveLength(10);
    const summary = (await c.xpending('orders', 'g')) as unknown[];
    expect(summary).toEqual([10, '1-0', '10-0', [['crashed', '10']]]);
    await new Promise((r) => setTimeout(r, 30));
    // Idle entries are taken over 4 at a time; the cursor walks the PEL.
    const first = (await c.xautoclaim('orders', 'g', 'rescuer', 20, '0', 'COUNT', 4)) as [string, Entries, string[]];
    expect(first[0]).toBe('5-0');
    expect(first[1].map(([id]) => id)).toEqual(['1-0', '2-0', '3-0', '4-0']);
    expect(first[2]).toEqual([]);
    // An entry deleted meanwhile leaves the PEL and is reported.
    await c.xdel('orders', '5-0');
    const second = (await c.xautoclaim('orders', 'g', 'rescuer', 20, first[0], 'COUNT', 4, 'JUSTID')) as [string, string[], string[]];
    expect(second).toEqual(['9-0', ['6-0', '7-0', '8-0'], ['5-0']]);
    const claimed = (await c.xclaim('orders', 'g', 'rescuer', 0, '9-0', '10-0', 'RETRYCOUNT', 5)) as Entries;
    expect(claimed).toEqual([['9-0', ['order', '9']], ['10-0', ['order', '10']]]);
    const detail = (await c.xpending('orders', 'g', '-', '+', 100, 'rescuer')) as [string, string, number, number][];
    expect(detail.map(([id, owner, , count]) => [id, owner, count])).toEqual([
      ['1-0', 'rescuer', 2], ['2-0', 'rescuer', 2], ['3-0', 'rescuer', 2], ['4-0', 'rescuer', 2],
      ['6-0', 'rescuer', 1], ['7-0', 'rescuer', 1], ['8-0', 'rescuer', 1], ['9-0', 'rescuer', 5], ['10-0', 'rescuer', 5],
    ]);
    expect(await c.xgroup('DELCONSUMER', 'orders', 'g', 'crashed')).toBe(0);
    expect(await c.xgroup('DELCONSUMER', 'orders', 'g', 'rescuer')).toBe(9);
    expect(((await c.xpending('orders', 'g')) as unknown[])[0]).toBe(0);
  });

  it('a capped stream of 200,000 entries: XADD MAXLEN ~, ranges from both ends, memory per entry', { timeout: 60_000 }, async () => {
    const c = connect();
    for (let batch = 0; batch < 200; batch++) {
      const p = c.pipeline();
      for (let i = 0; i < 1000; i++) {
        const n = batch * 1000 + i + 1;
        p.xadd('capped', 'MAXLEN', '~', 100000, `${n}-0`, 'temp', String(n % 97), 'host', 'web-1');
      }
      await p.exec();
    }
    const len = await c.xlen('capped');
    // Whole 100-entry nodes are dropped: never below the cap, at most a node above it.
    expect(len).toBeGreaterThanOrEqual(100000);
    expect(len).toBeLessThan(100100);
    const head = (await c.xrange('capped', '-', '+', 'COUNT', 2)) as Entries;
    expect(Number(head[0][0].split('-')[0])).toBe(200000 - len + 1);
    const tail = (await c.xrevrange('capped', '+', '-', 'COUNT', 2)) as Entries;
    expect(tail).toEqual([['200000-0', ['temp', String(200000 % 97), 'host', 'web-1']], ['199999-0', ['temp', String(199999 % 97), 'host', 'web-1']]]);
    const mid = (await c.xrange('capped', '150000', '(150010-0')) as Entries;
    expect(mid.map(([id]) => id)).toEqual(Array.from({ length: 10 }, (_, i) => `${150000 + i}-0`));
    const info = (await c.xinfo('STREAM', 'capped')) as unknown[];
    expect(info.slice(0, 4)).toEqual(['length', len, 'radix-tree-keys', Math.ceil(len / 100)]);
    const bytes = (await c.memory('USAGE', 'capped')) as number;
    // redis-server: ~20 bytes per small entry; slabcache's typed arrays stay within a few times that.
    expect(bytes / len).toBeLessThan(150);
    expect(await c.xtrim('capped', 'MAXLEN', 10)).toBe(len - 10);
    expect(await c.xlen('capped')).toBe(10);
  });

  it('blocked readers: a timeout and CLIENT UNBLOCK answer nil; a later XADD serves the others', async () => {
    const a = connect();
    const b = connect();
    const admin = connect();
    const started = Date.now();
    expect(await a.xread('BLOCK', 100, 'STREAMS', 'quiet', '$')).toBeNull();
    expect(Date.now() - started).toBeGreaterThanOrEqual(90);
    const id = (await b.client('ID')) as number;
    const waiting = b.xread('BLOCK', 0, 'STREAMS', 'quiet', '$');
    const served = a.xread('BLOCK', 0, 'STREAMS', 'quiet', '$');
    await new Promise((r) => setTimeout(r, 50));
    expect(await admin.client('UNBLOCK', id)).toBe(1);
    expect(await waiting).toBeNull();
    await admin.xadd('quiet', '1-1', 'k', 'v');
    expect(await served).toEqual([['quiet', [['1-1', ['k', 'v']]]]]);
  });

  it('binary fields and values round-trip through Buffers', async () => {
    const c = connect();
    const field = Buffer.from([0, 1, 2, 255, 13, 10]);
    const value = Buffer.alloc(70_000, 0xab);
    const id = await c.xadd(Buffer.from('bin\x00key'), '*', field, value, Buffer.alloc(0), Buffer.from('ok'));
    const got = (await c.xrangeBuffer(Buffer.from('bin\x00key'), '-', '+')) as unknown as [Buffer, Buffer[]][];
    expect(got).toHaveLength(1);
    expect(got[0][0].toString()).toBe(id);
    expect(got[0][1][0].equals(field)).toBe(true);
    expect(got[0][1][1].equals(value)).toBe(true);
    expect(got[0][1][2].length).toBe(0);
    expect(got[0][1][3].toString()).toBe('ok');
    expect(await c.type(Buffer.from('bin\x00key'))).toBe('stream');
    expect(await c.object('ENCODING', Buffer.from('bin\x00key'))).toBe('stream');
  });
});
