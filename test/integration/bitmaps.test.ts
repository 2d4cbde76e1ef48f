/*
 * Bitmap commands driven by ioredis, as applications use them: daily-active-user bitmaps
 * (SETBIT, BITCOUNT, BITOP), feature flags (GETBIT), packed counters (BITFIELD with its
 * overflow modes); random SETBIT / BITFIELD sequences checked against a Uint8Array model
 * (GET, BITCOUNT and BITPOS with BYTE and BIT ranges); argument errors; and, in process, that
 * SETBIT on a large bitmap writes one byte in place instead of copying the value.
 * Expectations are what redis-server 7.0.15 answers.
 *
 * INTEGRATION_TARGET=redis runs the file against a real redis-server instead (the in-process
 * write check is then skipped).
 */
import { describe, it, expect, beforeAll, afterAll, beforeEach, vi } from 'vitest';
import { Redis } from 'ioredis';
import { startRedisServer } from '../helpers/redis-server.ts';
import type { RunningServer } from '../../src/server.ts';

interface Target {
  kind: 'slabcache' | 'redis';
  port: number;
  server: RunningServer | null;
  close(): Promise<void>;
}

async function startTarget(): Promise<Target> {
  if (process.env['INTEGRATION_TARGET'] === 'redis') {
    const r = await startRedisServer({});
    return { kind: 'redis', port: r.port, server: null, close: () => r.stop() };
  }
  const { startServer } = await import('../../src/server.ts');
  const s = await startServer({ loglevel: 'warning', 'metrics-port': '0', port: '0', bind: '127.0.0.1' });
  return { kind: 'slabcache', port: s.port, server: s, close: () => s.close() };
}

function connect(port: number): Redis {
  return new Redis({ port, host: '127.0.0.1', maxRetriesPerRequest: 0, retryStrategy: () => null, commandTimeout: 20_000 });
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

/** A deterministic generator (tests must be reproducible). */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296;
  };
}

function popcount(bytes: Uint8Array, from: number, to: number): number {
  let n = 0;
  for (let i = from; i <= to; i++) for (let b = bytes[i]!; b; b &= b - 1) n++;
  return n;
}

function bitAt(bytes: Uint8Array, pos: number): number {
  const byte = pos >> 3;
  return byte < bytes.length ? (bytes[byte]! >> (7 - (pos & 7))) & 1 : 0;
}

describe('applications', () => {
  it('daily active users: SETBIT per user id, BITCOUNT per day, BITOP across days', async () => {
    const days: Record<string, number[]> = { d1: [1, 5, 9, 1000, 70000], d2: [5, 9, 12], d3: [9, 70000] };
    for (const [day, users] of Object.entries(days)) for (const u of users) await redis.setbit(`dau:${day}`, u, 1);
    expect(await redis.bitcount('dau:d1')).toBe(5);
    expect(await redis.strlen('dau:d1')).toBe(Math.floor(70000 / 8) + 1);
    expect(await redis.bitop('AND', 'dau:all3', 'dau:d1', 'dau:d2', 'dau:d3')).toBe(Math.floor(70000 / 8) + 1);
    expect(await redis.bitcount('dau:all3')).toBe(1);
    expect(await redis.bitpos('dau:all3', 1)).toBe(9);
    expect(await redis.bitop('OR', 'dau:any', 'dau:d1', 'dau:d2', 'dau:d3')).toBe(Math.floor(70000 / 8) + 1);
    expect(await redis.bitcount('dau:any')).toBe(6);
    expect(await redis.getbit('dau:d2', 12)).toBe(1);
    expect(await redis.getbit('dau:d2', 13)).toBe(0);
    expect(await redis.getbit('dau:none', 13)).toBe(0);
  });

  it('packed counters with BITFIELD: u8 page views, i16 balances, overflow policies', async () => {
    const r = await redis.call('BITFIELD', 'c', 'INCRBY', 'u8', '#0', 200, 'INCRBY', 'u8', '#0', 100, 'OVERFLOW', 'SAT', 'INCRBY', 'u8', '#1', 300, 'OVERFLOW', 'FAIL', 'INCRBY', 'u8', '#2', 256);
    expect(r).toEqual([200, 44, 255, null]);
    expect(await redis.call('BITFIELD', 'c', 'SET', 'i16', 32, -2, 'GET', 'i16', 32, 'GET', 'u16', 32)).toEqual([0, -2, 65534]);
    expect(await redis.call('BITFIELD_RO', 'c', 'GET', 'u8', '#0', 'GET', 'u8', '#1')).toEqual([44, 255]);
    expect(await errorOf(redis.call('BITFIELD_RO', 'c', 'SET', 'u8', '0', '1'))).toBe('ERR BITFIELD_RO only supports the GET subcommand');
    expect(await errorOf(redis.call('BITFIELD', 'c', 'GET', 'u64', 0))).toBe('ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.');
    expect(await errorOf(redis.call('BITFIELD', 'c', 'OVERFLOW', 'NEVER', 'GET', 'u8', '0'))).toBe('ERR Invalid OVERFLOW type specified');
    // i64 wraps like C: INT64_MIN - 1 becomes INT64_MAX (0x7fff...).
    expect(await redis.call('BITFIELD', 'c64', 'SET', 'i64', 0, '-9223372036854775808', 'GET', 'u8', 0)).toEqual([0, 128]);
    await redis.call('BITFIELD', 'c64', 'INCRBY', 'i64', 0, -1);
    expect(await redis.call('BITFIELD', 'c64', 'GET', 'u8', '#0', 'GET', 'u8', '#7', 'GET', 'i8', '#0')).toEqual([127, 255, 127]);
    expect(await redis.call('BITFIELD', 'c64', 'OVERFLOW', 'FAIL', 'INCRBY', 'i64', 0, 1, 'OVERFLOW', 'SAT', 'INCRBY', 'i1', 63, 5)).toEqual([null, 0]);
  });

  it('argument errors', async () => {
    expect(await errorOf(redis.setbit('k', -1, 1))).toBe('ERR bit offset is not an integer or out of range');
    expect(await errorOf(redis.call('SETBIT', 'k', '4294967296', '1'))).toBe('ERR bit offset is not an integer or out of range');
    expect(await errorOf(redis.call('SETBIT', 'k', '0', '2'))).toBe('ERR bit is not an integer or out of range');
    expect(await errorOf(redis.call('BITPOS', 'k', '2'))).toBe('ERR The bit argument must be 1 or 0.');
    expect(await errorOf(redis.call('BITOP', 'NOT', 'd', 'a', 'b'))).toBe('ERR BITOP NOT must be called with a single source key.');
    expect(await redis.call('BITCOUNT', 'k', '0')).toBe(0); // 7.0: a missing key answers before the range is checked
    await redis.set('k', 'v');
    expect(await errorOf(redis.call('BITCOUNT', 'k', '0'))).toBe('ERR syntax error');
    await redis.zadd('zset', 1, 'x');
    expect(await errorOf(redis.setbit('zset', 0, 1))).toBe('WRONGTYPE Operation against a key holding the wrong kind of value');
    expect(await errorOf(redis.bitop('AND', 'd', 'k', 'zset'))).toBe('WRONGTYPE Operation against a key holding the wrong kind of value');
  });
});

describe('against a Uint8Array model', () => {
  it('random SETBIT / BITFIELD SET, then GET, BITCOUNT and BITPOS over BYTE and BIT ranges', async () => {
    const rnd = lcg(12345);
    const model = new Uint8Array(300);
    let length = 0;
    for (let step = 0; step < 400; step++) {
      const offset = Math.floor(rnd() * 2000);
      if (rnd() < 0.7) {
        const value = rnd() < 0.6 ? 1 : 0;
        const old = bitAt(model, offset);
        expect(await redis.setbit('bm', offset, value)).toBe(old);
        length = Math.max(length, (offset >> 3) + 1);
        const byte = offset >> 3;
        model[byte] = (model[byte]! & ~(1 << (7 - (offset & 7)))) | (value << (7 - (offset & 7)));
      } else {
        const bits = 1 + Math.floor(rnd() * 16);
        const value = Math.floor(rnd() * (1 << bits));
        await redis.call('BITFIELD', 'bm', 'SET', `u${bits}`, offset, value);
        for (let b = 0; b < bits; b++) {
          const pos = offset + b;
          const bit = (value >> (bits - 1 - b)) & 1;
          model[pos >> 3] = (model[pos >> 3]! & ~(1 << (7 - (pos & 7)))) | (bit << (7 - (pos & 7)));
        }
        length = Math.max(length, ((offset + bits - 1) >> 3) + 1);
      }
    }
    const value = await redis.getBuffer('bm');
    expect(value!.length).toBe(length);
    expect(Buffer.from(model.subarray(0, length)).equals(value!)).toBe(true);
    expect(await redis.bitcount('bm')).toBe(popcount(model, 0, length - 1));
    for (let q = 0; q < 60; q++) {
      const a = Math.floor(rnd() * length * 8);
      const b = a + Math.floor(rnd() * 200);
      const end = Math.min(b, length * 8 - 1);
      let bits = 0;
      for (let p = a; p <= end; p++) bits += bitAt(model, p);
      expect(await redis.call('BITCOUNT', 'bm', String(a), String(b), 'BIT')).toBe(bits);
      for (const bit of [0, 1]) {
        let want = -1;
        for (let p = a; p <= end; p++) if (bitAt(model, p) === bit) { want = p; break; }
        expect(await redis.call('BITPOS', 'bm', String(bit), String(a), String(b), 'BIT')).toBe(want);
      }
      const ab = a >> 3;
      const bb = Math.min(b >> 3, length - 1);
      expect(await redis.bitcount('bm', ab, b >> 3)).toBe(popcount(model, ab, bb));
    }
  });
});

describe.skipIf(process.env['INTEGRATION_TARGET'] === 'redis')('writes in place', () => {
  it('SETBIT on a 16 MB bitmap writes one byte per call and never copies the value', async () => {
    const store = target.server!.state.store;
    await redis.setbit('huge', 16 * 1024 * 1024 * 8 - 1, 1);
    expect(await redis.strlen('huge')).toBe(16 * 1024 * 1024);
    const setRange = vi.spyOn(store, 'setRange');
    const setString = vi.spyOn(store, 'setString');
    const append = vi.spyOn(store, 'append');
    try {
      for (let i = 0; i < 200; i++) await redis.setbit('huge', i * 65537, 1);
      expect(setString).not.toHaveBeenCalled();
      expect(append).not.toHaveBeenCalled();
      expect(setRange.mock.calls.length).toBeGreaterThan(0);
      for (const call of setRange.mock.calls) expect(call[7]).toBe(1); // one byte written
      expect(await redis.bitcount('huge')).toBe(201);
      // Setting a bit that is already set writes nothing.
      setRange.mockClear();
      await redis.setbit('huge', 0, 1);
      expect(setRange).not.toHaveBeenCalled();
    } finally {
      setRange.mockRestore();
      setString.mockRestore();
      append.mockRestore();
    }
  });
});
