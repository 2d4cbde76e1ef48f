/*
 * Small hashes, sorted sets and lists kept as packed bytes in their keys' slab chunks (issue 13),
 * driven over the wire against a model. Hashes: random HSET / HSETNX / HDEL / HINCRBY over many hashes at once, with string
 * keys growing and shrinking between them, so chunks move between size classes and pages are
 * shared and fragmented. After every round each hash is read back whole (HGETALL in listpack
 * order while it is a listpack), with HLEN, OBJECT ENCODING, its TTL (kept through the move to
 * the object table), and a DUMP / RESTORE and a COPY of it. Sorted sets the same way, with
 * ZADD / ZINCRBY / ZREM / ZPOPMIN / ZREMRANGEBYRANK, read back with ZRANGE WITHSCORES in
 * (score, member) order. Lists with pushes, pops, LSET / LINSERT / LREM / LTRIM and LMOVE
 * between them (source and destination packed, in nodes, the same key or missing), with
 * elements big enough to cross the small-list size both ways, read back with LRANGE. The
 * differential corpus checks the replies against redis-server;
 * this checks the storage under churn.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { Redis } from 'ioredis';
import { rng } from '../helpers/prng.ts';

let server: { port: number; close(): Promise<void> };
let redis: Redis;

beforeAll(async () => {
  const { startServer } = await import('../../src/server.ts');
  server = await startServer({ loglevel: 'warning', 'metrics-port': '0', port: '0', bind: '127.0.0.1' });
  redis = new Redis({ port: server.port, host: '127.0.0.1', maxRetriesPerRequest: 0, retryStrategy: () => null });
});

afterAll(async () => {
  redis?.disconnect();
  await server?.close();
});

function bytes(random: () => number, maxLen: number): Buffer {
  const len = Math.floor(random() * (maxLen + 1));
  const b = Buffer.alloc(len);
  for (let i = 0; i < len; i++) b[i] = Math.floor(random() * 256);
  return b;
}

type Pipeline = ReturnType<Redis['pipeline']>;

/** Keep key's model entry, or drop it and its TTL once it has no elements (the server deletes an emptied key). */
function keepOrDrop<T>(model: Map<string, T>, withTtl: Set<string>, key: string, value: T, size: number): void {
  if (size > 0) {
    model.set(key, value);
    return;
  }
  model.delete(key);
  withTtl.delete(key);
}

/** Give about a tenth of the live keys that have no TTL one (EXPIRE 1000), in the pipeline and the model. */
function expireSome(pipe: Pipeline, keys: string[], model: Map<string, unknown>, withTtl: Set<string>, random: () => number): void {
  for (const key of keys) {
    if (model.has(key) && !withTtl.has(key) && random() < 0.1) {
      pipe.expire(key, 1000);
      withTtl.add(key);
    }
  }
}

interface ModelHash {
  fields: Map<string, string>;
  hashtable: boolean;
}

/** Pairs of an HGETALL reply (Buffers) as latin1 strings. */
function pairs(flat: Buffer[]): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (let i = 0; i < flat.length; i += 2) out.push([flat[i].toString('latin1'), flat[i + 1].toString('latin1')]);
  return out;
}

describe('packed hashes under churn', () => {
  it('match a model through edits, conversions, chunk moves, DUMP/RESTORE, COPY and TTLs', async () => {
    const random = rng(13);
    const maxEntries = 12;
    const maxValue = 24;
    await redis.config('SET', 'hash-max-listpack-entries', String(maxEntries));
    await redis.config('SET', 'hash-max-listpack-value', String(maxValue));
    const model = new Map<string, ModelHash>();
    const keys = Array.from({ length: 40 }, (_, i) => `ph:${i}`);
    const fieldPool = Array.from({ length: 24 }, () => bytes(random, 10));
    const withTtl = new Set<string>();
    for (let round = 0; round < 25; round++) {
      const pipe = redis.pipeline();
      for (let op = 0; op < 150; op++) {
        const key = keys[Math.floor(random() * keys.length)];
        const m = model.get(key) ?? { fields: new Map<string, string>(), hashtable: false };
        const f = fieldPool[Math.floor(random() * fieldPool.length)];
        const fk = f.toString('latin1');
        const r = random();
        if (r < 0.5) {
          const v = bytes(random, random() < 0.02 ? maxValue * 3 : maxValue);
          pipe.hset(key, f, v);
          m.fields.set(fk, v.toString('latin1'));
          if (f.length > maxValue || v.length > maxValue) m.hashtable = true;
        } else if (r < 0.6) {
          const v = bytes(random, maxValue);
          pipe.hsetnx(key, f, v);
          if (!m.fields.has(fk)) m.fields.set(fk, v.toString('latin1'));
        } else if (r < 0.7) {
          const current = m.fields.get(fk);
          if (current === undefined || /^-?[1-9][0-9]{0,8}$|^0$/.test(current)) {
            const by = Math.floor(random() * 2000) - 1000;
            pipe.hincrby(key, f, by);
            m.fields.set(fk, String(Number(current ?? '0') + by));
          }
        } else if (r < 0.9) {
          pipe.hdel(key, f);
          m.fields.delete(fk);
        } else {
          // Strings of other sizes between the hashes: chunks of many classes on shared pages.
          const s = `str:${Math.floor(random() * 30)}`;
          if (random() < 0.5) pipe.append(s, bytes(random, 200));
          else pipe.del(s);
        }
        if (m.fields.size > maxEntries) m.hashtable = true;
        keepOrDrop(model, withTtl, key, m, m.fields.size);
      }
      expireSome(pipe, keys, model, withTtl, random);
      await pipe.exec();
      for (const key of keys) {
        const m = model.get(key);
        if (m === undefined) {
          expect(await redis.exists(key)).toBe(0);
          continue;
        }
        // The raw reply: ioredis's object form would lose the order and decode binary fields.
        const raw = (await redis.callBuffer('HGETALL', key)) as Buffer[];
        if (m.hashtable) expect(new Map(pairs(raw))).toEqual(m.fields);
        else expect(pairs(raw)).toEqual([...m.fields]);
        expect(await redis.hlen(key)).toBe(m.fields.size);
        expect(await redis.object('ENCODING', key)).toBe(m.hashtable ? 'hashtable' : 'listpack');
        const ttl = await redis.ttl(key);
        expect(ttl > 0).toBe(withTtl.has(key));
      }
      // A DUMP restored elsewhere and a COPY read back the same, and stay independent.
      const key = [...model.keys()][Math.floor(random() * model.size)];
      if (key !== undefined) {
        const dump = await redis.dumpBuffer(key);
        await redis.restore('ph:restored', 0, dump, 'REPLACE');
        await redis.copy(key, 'ph:copied', 'REPLACE');
        const expected = new Map(model.get(key)!.fields);
        await redis.hset(key, 'after-copy', '1');
        model.get(key)!.fields.set('after-copy', '1');
        if (model.get(key)!.fields.size > maxEntries) model.get(key)!.hashtable = true;
        for (const other of ['ph:restored', 'ph:copied']) {
          expect(new Map(pairs((await redis.callBuffer('HGETALL', other)) as Buffer[]))).toEqual(expected);
        }
      }
    }
  });

  it('a same-size overwrite in the chunk still stores an encoding change (a lowered hash-max-listpack-value)', async () => {
    await redis.config('SET', 'hash-max-listpack-value', '64');
    await redis.del('ph:same');
    await redis.hset('ph:same', 'f', 'a'.repeat(20), 'g', 'x');
    expect(await redis.object('ENCODING', 'ph:same')).toBe('listpack');
    // Same length: the value is overwritten in place, and still stored.
    await redis.hset('ph:same', 'f', 'b'.repeat(20));
    expect(await redis.hget('ph:same', 'f')).toBe('b'.repeat(20));
    expect(await redis.object('ENCODING', 'ph:same')).toBe('listpack');
    await redis.config('SET', 'hash-max-listpack-value', '10');
    await redis.hset('ph:same', 'f', 'c'.repeat(20));
    expect(await redis.object('ENCODING', 'ph:same')).toBe('hashtable');
    expect(await redis.hgetall('ph:same')).toEqual({ f: 'c'.repeat(20), g: 'x' });
    await redis.config('SET', 'hash-max-listpack-value', '64');
  });

  it('sorted sets match a model through edits, conversion to a skiplist, chunk moves, DUMP/RESTORE, COPY and TTLs', async () => {
    const random = rng(29);
    const maxEntries = 10;
    const maxValue = 20;
    await redis.config('SET', 'zset-max-listpack-entries', String(maxEntries));
    await redis.config('SET', 'zset-max-listpack-value', String(maxValue));
    const model = new Map<string, { members: Map<string, number>; skiplist: boolean }>();
    const keys = Array.from({ length: 30 }, (_, i) => `pz:${i}`);
    const memberPool = Array.from({ length: 20 }, () => bytes(random, 8));
    const withTtl = new Set<string>();
    const score = (): number => (random() < 0.5 ? Math.floor(random() * 20) - 10 : Math.round((random() * 200 - 100) * 1000) / 1000);
    const sorted = (m: Map<string, number>): Array<[string, number]> =>
      [...m].sort((a, b) => a[1] - b[1] || Buffer.compare(Buffer.from(a[0], 'latin1'), Buffer.from(b[0], 'latin1')));
    for (let round = 0; round < 25; round++) {
      const pipe = redis.pipeline();
      for (let op = 0; op < 120; op++) {
        const key = keys[Math.floor(random() * keys.length)];
        const z = model.get(key) ?? { members: new Map<string, number>(), skiplist: false };
        const mb = random() < 0.02 ? bytes(random, maxValue * 2) : memberPool[Math.floor(random() * memberPool.length)];
        const mk = mb.toString('latin1');
        const r = random();
        if (r < 0.45) {
          const sc = score();
          pipe.zadd(key, sc, mb);
          if (!z.members.has(mk) && (z.members.size + 1 > maxEntries || mb.length > maxValue)) z.skiplist = true;
          z.members.set(mk, sc);
        } else if (r < 0.55) {
          const by = score();
          pipe.zincrby(key, by, mb);
          if (!z.members.has(mk) && (z.members.size + 1 > maxEntries || mb.length > maxValue)) z.skiplist = true;
          z.members.set(mk, (z.members.get(mk) ?? 0) + by);
        } else if (r < 0.75) {
          pipe.zrem(key, mb);
          z.members.delete(mk);
        } else if (r < 0.82) {
          pipe.zpopmin(key);
          const first = sorted(z.members)[0];
          if (first !== undefined) z.members.delete(first[0]);
        } else if (r < 0.88) {
          pipe.zremrangebyrank(key, 0, 1);
          for (const [m] of sorted(z.members).slice(0, 2)) z.members.delete(m);
        } else {
          const s = `zstr:${Math.floor(random() * 30)}`;
          if (random() < 0.5) pipe.append(s, bytes(random, 150));
          else pipe.del(s);
        }
        keepOrDrop(model, withTtl, key, z, z.members.size);
      }
      expireSome(pipe, keys, model, withTtl, random);
      await pipe.exec();
      for (const key of keys) {
        const z = model.get(key);
        if (z === undefined) {
          expect(await redis.exists(key)).toBe(0);
          continue;
        }
        const raw = (await redis.callBuffer('ZRANGE', key, 0, -1, 'WITHSCORES')) as Buffer[];
        const got: Array<[string, number]> = [];
        for (let i = 0; i < raw.length; i += 2) got.push([raw[i].toString('latin1'), Number(raw[i + 1].toString())]);
        const want = sorted(z.members);
        expect(got.map((e) => e[0])).toEqual(want.map((e) => e[0]));
        got.forEach((e, i) => expect(e[1]).toBeCloseTo(want[i][1], 9));
        expect(await redis.zcard(key)).toBe(z.members.size);
        expect(await redis.object('ENCODING', key)).toBe(z.skiplist ? 'skiplist' : 'listpack');
        expect((await redis.ttl(key)) > 0).toBe(withTtl.has(key));
      }
      const key = [...model.keys()][Math.floor(random() * model.size)];
      if (key !== undefined) {
        await redis.restore('pz:restored', 0, await redis.dumpBuffer(key), 'REPLACE');
        await redis.copy(key, 'pz:copied', 'REPLACE');
        const expected = await redis.zrange(key, 0, -1, 'WITHSCORES');
        await redis.zadd(key, 1e9, 'after-copy');
        model.get(key)!.members.set('after-copy', 1e9);
        if (model.get(key)!.members.size > maxEntries) model.get(key)!.skiplist = true;
        for (const other of ['pz:restored', 'pz:copied']) expect(await redis.zrange(other, 0, -1, 'WITHSCORES')).toEqual(expected);
      }
    }
  });

  it('lists match a model through pushes, pops, edits, LMOVE, packing both ways, chunk moves, DUMP/RESTORE, COPY and TTLs', async () => {
    const random = rng(41);
    const model = new Map<string, string[]>();
    const keys = Array.from({ length: 30 }, (_, i) => `pl:${i}`);
    const withTtl = new Set<string>();
    // Mostly short elements; now and then one of 100 to 300 bytes, so a list crosses the
    // 512-byte small form and, popped again, falls back under half of it.
    const element = (): Buffer => bytes(random, random() < 0.1 ? 100 + Math.floor(random() * 200) : 12);
    const pick = (): string => keys[Math.floor(random() * keys.length)];
    for (let round = 0; round < 30; round++) {
      const pipe = redis.pipeline();
      for (let op = 0; op < 120; op++) {
        const key = pick();
        const l = model.get(key) ?? [];
        const r = random();
        if (r < 0.3) {
          const els = Array.from({ length: 1 + Math.floor(random() * 4) }, element);
          if (random() < 0.5) {
            pipe.lpush(key, ...els);
            for (const e of els) l.unshift(e.toString('latin1'));
          } else {
            pipe.rpush(key, ...els);
            for (const e of els) l.push(e.toString('latin1'));
          }
        } else if (r < 0.45) {
          const n = 1 + Math.floor(random() * 3);
          if (random() < 0.5) {
            pipe.lpop(key, n);
            l.splice(0, n);
          } else {
            pipe.rpop(key, n);
            l.splice(Math.max(0, l.length - n), n);
          }
        } else if (r < 0.52 && l.length > 0) {
          const i = Math.floor(random() * l.length);
          const e = element();
          pipe.lset(key, i, e);
          l[i] = e.toString('latin1');
        } else if (r < 0.59 && l.length > 0) {
          const pivot = l[Math.floor(random() * l.length)];
          const e = element();
          const before = random() < 0.5;
          pipe.call('LINSERT', key, before ? 'BEFORE' : 'AFTER', Buffer.from(pivot, 'latin1'), e);
          const at = l.indexOf(pivot);
          l.splice(before ? at : at + 1, 0, e.toString('latin1'));
        } else if (r < 0.64 && l.length > 0) {
          const target = l[Math.floor(random() * l.length)];
          pipe.lrem(key, 0, Buffer.from(target, 'latin1'));
          for (let i = l.length - 1; i >= 0; i--) if (l[i] === target) l.splice(i, 1);
        } else if (r < 0.68) {
          pipe.ltrim(key, 1, -2);
          l.splice(0, l.length, ...l.slice(1, -1));
        } else if (r < 0.85) {
          const dst = random() < 0.2 ? key : pick();
          const fromLeft = random() < 0.5;
          const toLeft = random() < 0.5;
          pipe.call('LMOVE', key, dst, fromLeft ? 'LEFT' : 'RIGHT', toLeft ? 'LEFT' : 'RIGHT');
          if (l.length > 0) {
            const e = fromLeft ? l.shift()! : l.pop()!;
            const d = dst === key ? l : (model.get(dst) ?? []);
            if (toLeft) d.unshift(e);
            else d.push(e);
            if (dst !== key) model.set(dst, d);
          }
        } else {
          const s = `lstr:${Math.floor(random() * 30)}`;
          if (random() < 0.5) pipe.append(s, bytes(random, 150));
          else pipe.del(s);
        }
        model.set(key, l);
        for (const [k, list] of model) {
          if (list.length > 0) continue;
          model.delete(k);
          withTtl.delete(k);
        }
      }
      expireSome(pipe, keys, model, withTtl, random);
      const results = await pipe.exec();
      for (const [err] of results ?? []) expect(err).toBeNull();
      for (const key of keys) {
        const l = model.get(key);
        if (l === undefined) {
          expect(await redis.exists(key)).toBe(0);
          continue;
        }
        const raw = (await redis.lrangeBuffer(key, 0, -1)).map((b) => b.toString('latin1'));
        expect(raw).toEqual(l);
        expect(await redis.llen(key)).toBe(l.length);
        expect(await redis.object('ENCODING', key)).toBe('quicklist');
        expect((await redis.ttl(key)) > 0).toBe(withTtl.has(key));
      }
      const key = [...model.keys()][Math.floor(random() * model.size)];
      if (key !== undefined) {
        await redis.restore('pl:restored', 0, await redis.dumpBuffer(key), 'REPLACE');
        await redis.copy(key, 'pl:copied', 'REPLACE');
        const expected = [...model.get(key)!];
        await redis.rpush(key, 'after-copy');
        model.get(key)!.push('after-copy');
        for (const other of ['pl:restored', 'pl:copied']) {
          expect((await redis.lrangeBuffer(other, 0, -1)).map((b) => b.toString('latin1'))).toEqual(expected);
        }
      }
    }
  });

  it('a small list costs its chunk alone, moves to nodes past 512 bytes of entries and back into its chunk when it shrinks', async () => {
    await redis.del('pl:size');
    await redis.rpush('pl:size', 'a', 'b', 'c');
    const packed = Number(await redis.memory('USAGE', 'pl:size'));
    // Chunk (owner, key, count, three 3-byte entries), entry record and index slot: no list object.
    expect(packed).toBeLessThan(120);
    await redis.rpush('pl:size', 'x'.repeat(300), 'y'.repeat(300));
    expect(Number(await redis.memory('USAGE', 'pl:size'))).toBeGreaterThan(packed + 600);
    expect(await redis.rpop('pl:size', 2)).toEqual(['y'.repeat(300), 'x'.repeat(300)]);
    expect(Number(await redis.memory('USAGE', 'pl:size'))).toBe(packed);
    expect(await redis.lrange('pl:size', 0, -1)).toEqual(['a', 'b', 'c']);
    expect(await redis.object('ENCODING', 'pl:size')).toBe('quicklist');
  });
});
