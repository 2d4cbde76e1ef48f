/*
 * Property-based test: random sequences of store operations against a plain Map model; the
 * store must agree with the model after every step. Keys hold strings or packed collections
 * (setPacked / updatePacked: the bytes a small hash keeps in its chunk), so chunk resizes of
 * both kinds, interleaved across shards and size classes, meet TTLs, rename, copy, move,
 * flushes and eviction.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Encoding, EvictionPolicy, KEEP_TTL, KeyType, NO_TTL, Status, type EvictionPolicyCode } from '../../store/types.ts';
import type { Keyspace } from '../../store/keyspace.ts';
import { b, str, makeStore, T0 } from './helpers.ts';

const KEYS = ['a', 'b', '{t}1', '{t}2', '\xff', '\xfe', '\xc3\x28', 'long-key-' + 'k'.repeat(120), 'n', ''];
const DBS = 3;

interface Entry {
  v: string;
  exp: number;
  enc: number;
  type: number;
}

function encodingOf(v: string): number {
  if (v.length <= 20 && /^(0|-?[1-9][0-9]*)$/.test(v)) {
    const n = BigInt(v);
    if (n >= -(2n ** 63n) && n < 2n ** 63n) return Encoding.INT;
  }
  return v.length <= 44 ? Encoding.EMBSTR : Encoding.RAW;
}

const keyArb = fc.constantFrom(...KEYS);
const dbArb = fc.integer({ min: 0, max: DBS - 1 });
const valArb = fc.oneof(
  fc.bigInt({ min: -(2n ** 64n), max: 2n ** 64n }).map((n) => n.toString()),
  fc.integer({ min: -1000, max: 1000 }).map(String),
  fc.constantFrom('', '-0', '007', '+5', 'x'.repeat(44), 'y'.repeat(45)),
  fc.string({ maxLength: 30, unit: 'binary-ascii' }),
  fc.integer({ min: 100, max: 3000 }).map((n) => 'L'.repeat(n)),
);
const ttlArb = fc.oneof(
  fc.constant({ kind: 'none' as const, ms: 0 }),
  fc.constant({ kind: 'keep' as const, ms: 0 }),
  fc.record({ kind: fc.constant('rel' as const), ms: fc.oneof(fc.integer({ min: -2, max: 3 }), fc.integer({ min: -5, max: 3000 })) }),
);
const policyArb = fc.constantFrom<EvictionPolicyCode>(
  EvictionPolicy.ALLKEYS_LRU,
  EvictionPolicy.ALLKEYS_LFU,
  EvictionPolicy.ALLKEYS_RANDOM,
  EvictionPolicy.VOLATILE_LRU,
  EvictionPolicy.VOLATILE_LFU,
  EvictionPolicy.VOLATILE_RANDOM,
  EvictionPolicy.VOLATILE_TTL,
);

const opArb = fc.oneof(
  { weight: 6, arbitrary: fc.record({ op: fc.constant('set' as const), db: dbArb, key: keyArb, val: valArb, ttl: ttlArb }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('setint' as const), db: dbArb, key: keyArb, n: fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }) }) },
  { weight: 4, arbitrary: fc.record({ op: fc.constant('get' as const), db: dbArb, key: keyArb }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('del' as const), db: dbArb, key: keyArb }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant('expire' as const), db: dbArb, key: keyArb, ms: fc.oneof(fc.integer({ min: -2, max: 3 }), fc.integer({ min: -5, max: 3000 })) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('persist' as const), db: dbArb, key: keyArb }) },
  { weight: 4, arbitrary: fc.record({ op: fc.constant('advance' as const), ms: fc.oneof(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 2000 })) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('append' as const), db: dbArb, key: keyArb, val: valArb }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('setrange' as const), db: dbArb, key: keyArb, at: fc.integer({ min: 0, max: 60 }), val: valArb }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('rename' as const), db: dbArb, k1: keyArb, k2: keyArb, nx: fc.boolean() }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('copy' as const), db1: dbArb, k1: keyArb, db2: dbArb, k2: keyArb, replace: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('move' as const), db1: dbArb, key: keyArb, db2: dbArb }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('swapdb' as const), a: dbArb, b2: dbArb }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('flushdb' as const), db: dbArb }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('maintenance' as const) }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant('tick' as const) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('evict' as const), fraction: fc.double({ min: 0.3, max: 0.98, noNaN: true }), policy: policyArb }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant('pack' as const), db: dbArb, key: keyArb, val: valArb }) },
  { weight: 4, arbitrary: fc.record({ op: fc.constant('repack' as const), db: dbArb, key: keyArb, val: valArb, wide: fc.boolean() }) },
);
type Op = typeof opArb extends fc.Arbitrary<infer T> ? T : never;

class Model {
  dbs: Map<string, Entry>[] = [];
  now: number;
  constructor(now: number) {
    this.now = now;
    for (let i = 0; i < DBS; i++) this.dbs.push(new Map());
  }
  alive(db: number, key: string): Entry | undefined {
    const e = this.dbs[db].get(key);
    if (e && e.exp !== 0 && this.now > e.exp) {
      this.dbs[db].delete(key);
      return undefined;
    }
    return e;
  }
  live(db: number): Map<string, Entry> {
    const out = new Map<string, Entry>();
    for (const k of this.dbs[db].keys()) {
      const e = this.alive(db, k);
      if (e) out.set(k, e);
    }
    return out;
  }
}

function storeLive(ks: Keyspace, db: number): Map<string, Entry> {
  const out = new Map<string, Entry>();
  ks.forEachKey(db, (h) => {
    const kb = ks.keyBytes(h);
    const key = str(kb, ks.offset, ks.keyLength(h));
    const vb = ks.stringBytes(h);
    const v = str(vb, ks.offset, ks.stringLength(h));
    expect(out.has(key), 'key listed twice').toBe(false);
    out.set(key, { v, exp: ks.expireAt(h), enc: ks.encodingOf(h), type: ks.typeOf(h) });
  });
  return out;
}

function apply(ks: Keyspace, clock: { now: number }, m: Model, op: Op): void {
  const now = clock.now;
  switch (op.op) {
    case 'set': {
      const k = b(op.key);
      const v = b(op.val);
      const at = op.ttl.kind === 'none' ? NO_TTL : op.ttl.kind === 'keep' ? KEEP_TTL : now + op.ttl.ms;
      expect(ks.setString(op.db, k, 0, k.length, v, 0, v.length, at, Encoding.INT)).toBe(Status.OK);
      const old = m.alive(op.db, op.key);
      if (op.ttl.kind === 'rel' && at <= now) m.dbs[op.db].delete(op.key);
      else m.dbs[op.db].set(op.key, { v: op.val, exp: op.ttl.kind === 'keep' ? (old?.exp ?? 0) : op.ttl.kind === 'none' ? 0 : at, enc: encodingOf(op.val), type: KeyType.STRING });
      break;
    }
    case 'setint': {
      const k = b(op.key);
      const n = op.n >= -(2n ** 53n) + 1n && op.n <= 2n ** 53n - 1n ? Number(op.n) : op.n;
      expect(ks.setInteger(op.db, k, 0, k.length, n, KEEP_TTL)).toBe(Status.OK);
      const old = m.alive(op.db, op.key);
      m.dbs[op.db].set(op.key, { v: op.n.toString(), exp: old?.exp ?? 0, enc: Encoding.INT, type: KeyType.STRING });
      const h = ks.lookup(op.db, k, 0, k.length, 2);
      expect(ks.integerValue(h)).toBe(n);
      break;
    }
    case 'get': {
      const k = b(op.key);
      const h = ks.lookup(op.db, k, 0, k.length, 0);
      const e = m.alive(op.db, op.key);
      if (!e) expect(h).toBe(-1);
      else {
        expect(h).toBeGreaterThanOrEqual(0);
        const vb = ks.stringBytes(h);
        expect(str(vb, ks.offset, ks.stringLength(h))).toBe(e.v);
      }
      break;
    }
    case 'del': {
      const k = b(op.key);
      expect(ks.delete(op.db, k, 0, k.length)).toBe(m.alive(op.db, op.key) !== undefined);
      m.dbs[op.db].delete(op.key);
      break;
    }
    case 'expire': {
      const k = b(op.key);
      const h = ks.lookup(op.db, k, 0, k.length, 1);
      const e = m.alive(op.db, op.key);
      expect(h >= 0).toBe(e !== undefined);
      if (e) {
        ks.setExpireAt(h, now + op.ms);
        if (op.ms <= 0) m.dbs[op.db].delete(op.key);
        else e.exp = now + op.ms;
      }
      break;
    }
    case 'persist': {
      const k = b(op.key);
      const h = ks.lookup(op.db, k, 0, k.length, 1);
      const e = m.alive(op.db, op.key);
      if (e) {
        expect(ks.persist(h)).toBe(e.exp !== 0);
        e.exp = 0;
      }
      break;
    }
    case 'advance':
      clock.now += op.ms;
      m.now = clock.now;
      break;
    case 'append': {
      const k = b(op.key);
      const v = b(op.val);
      const e = m.alive(op.db, op.key);
      if (e && e.type !== KeyType.STRING) {
        expect(ks.append(op.db, k, 0, k.length, v, 0, v.length)).toBe(-Status.WRONG_TYPE);
        break;
      }
      const nv = (e ? e.v : '') + op.val;
      expect(ks.append(op.db, k, 0, k.length, v, 0, v.length)).toBe(nv.length);
      m.dbs[op.db].set(op.key, { v: nv, exp: e?.exp ?? 0, enc: Encoding.RAW, type: KeyType.STRING });
      break;
    }
    case 'setrange': {
      const k = b(op.key);
      const v = b(op.val);
      const e = m.alive(op.db, op.key);
      const r = ks.setRange(op.db, k, 0, k.length, op.at, v, 0, v.length);
      if (e && e.type !== KeyType.STRING) {
        expect(r).toBe(-Status.WRONG_TYPE);
        break;
      }
      if (!e && op.val.length === 0) {
        expect(r).toBe(0);
        break;
      }
      let cur = e ? e.v : '';
      if (op.val.length > 0) {
        if (cur.length < op.at) cur += '\x00'.repeat(op.at - cur.length);
        cur = cur.slice(0, op.at) + op.val + cur.slice(op.at + op.val.length);
        m.dbs[op.db].set(op.key, { v: cur, exp: e?.exp ?? 0, enc: Encoding.RAW, type: KeyType.STRING });
      }
      expect(r).toBe(cur.length);
      break;
    }
    case 'rename': {
      const k1 = b(op.k1);
      const k2 = b(op.k2);
      const st = ks.rename(op.db, k1, 0, k1.length, k2, 0, k2.length, op.nx);
      const e1 = m.alive(op.db, op.k1);
      const e2 = m.alive(op.db, op.k2);
      if (!e1) expect(st).toBe(Status.NOT_FOUND);
      else if (op.k1 === op.k2) expect(st).toBe(op.nx ? Status.EXISTS : Status.OK);
      else if (e2 && op.nx) expect(st).toBe(Status.EXISTS);
      else {
        expect(st).toBe(Status.OK);
        m.dbs[op.db].delete(op.k1);
        m.dbs[op.db].set(op.k2, e1);
      }
      break;
    }
    case 'copy': {
      const k1 = b(op.k1);
      const k2 = b(op.k2);
      const st = ks.copy(op.db1, k1, 0, k1.length, op.db2, k2, 0, k2.length, op.replace);
      const e1 = m.alive(op.db1, op.k1);
      const e2 = m.alive(op.db2, op.k2);
      if (!e1) expect(st).toBe(Status.NOT_FOUND);
      else if (op.db1 === op.db2 && op.k1 === op.k2) expect(st).toBe(Status.EXISTS);
      else if (e2 && !op.replace) expect(st).toBe(Status.EXISTS);
      else {
        expect(st).toBe(Status.OK);
        m.dbs[op.db2].set(op.k2, { ...e1 });
      }
      break;
    }
    case 'move': {
      const k = b(op.key);
      const st = ks.move(op.db1, k, 0, k.length, op.db2);
      const e1 = m.alive(op.db1, op.key);
      const e2 = m.alive(op.db2, op.key);
      if (!e1) expect(st).toBe(Status.NOT_FOUND);
      else if (op.db1 === op.db2 || e2) expect(st).toBe(Status.EXISTS);
      else {
        expect(st).toBe(Status.OK);
        m.dbs[op.db1].delete(op.key);
        m.dbs[op.db2].set(op.key, e1);
      }
      break;
    }
    case 'swapdb': {
      ks.swapDb(op.a, op.b2);
      const t = m.dbs[op.a];
      m.dbs[op.a] = m.dbs[op.b2];
      m.dbs[op.b2] = t;
      break;
    }
    case 'flushdb':
      ks.flushDb(op.db);
      m.dbs[op.db].clear();
      break;
    case 'tick':
      clock.now += 1;
      m.now = clock.now;
    // falls through
    case 'maintenance': {
      ks.maintenance(1000);
      expect(ks.pendingReclaim()).toBe(0); // flushed dbs' keys are all reclaimed within the budget
      for (let db = 0; db < DBS; db++) {
        expect(ks.dbSize(db)).toBe(m.live(db).size);
        expect(ks.dbExpires(db)).toBe([...m.live(db).values()].filter((e) => e.exp !== 0).length);
      }
      break;
    }
    case 'pack': {
      const k = b(op.key);
      const v = b(op.val);
      expect(ks.setPacked(op.db, k, 0, k.length, KeyType.HASH, Encoding.PACKED, v, 0, v.length)).toBe(Status.OK);
      m.dbs[op.db].set(op.key, { v: op.val, exp: 0, enc: Encoding.PACKED, type: KeyType.HASH });
      break;
    }
    case 'repack': {
      const k = b(op.key);
      const e = m.alive(op.db, op.key);
      if (!e || e.type !== KeyType.HASH) break;
      const h = ks.lookup(op.db, k, 0, k.length, 1);
      const v = b(op.val);
      const enc = op.wide ? Encoding.PACKED_HASHTABLE : Encoding.PACKED;
      expect(ks.updatePacked(h, enc, v, 0, v.length)).toBe(true);
      e.v = op.val;
      e.enc = enc;
      break;
    }
    case 'evict': {
      const before = ks.stats.evictedKeys;
      const fixed = ks.usedMemory() - ks.alloc.usedBytes;
      const limit = Math.floor(fixed + ks.alloc.usedBytes * op.fraction);
      ks.setPolicy(op.policy);
      ks.setMaxmemory(limit);
      const st = ks.evictIfNeeded();
      const volatileOnly = op.policy >= EvictionPolicy.VOLATILE_LRU;
      if (st === Status.OK) expect(ks.usedMemory()).toBeLessThanOrEqual(limit);
      else {
        // Nothing evictable left.
        for (let db = 0; db < DBS; db++) expect(volatileOnly ? ks.dbExpires(db) : ks.dbSize(db)).toBe(0);
      }
      let gone = 0;
      for (let db = 0; db < DBS; db++) {
        const s = storeLive(ks, db);
        for (const [k, e] of m.live(db)) {
          if (!s.has(k)) {
            gone++;
            if (volatileOnly) expect(e.exp, 'volatile policy evicted a key without TTL').not.toBe(0);
            m.dbs[db].delete(k);
          }
        }
      }
      expect(ks.stats.evictedKeys - before).toBeGreaterThanOrEqual(gone);
      ks.setMaxmemory(0);
      break;
    }
  }
}

function check(ks: Keyspace, m: Model): void {
  for (let db = 0; db < DBS; db++) {
    const s = storeLive(ks, db);
    const want = m.live(db);
    expect(new Map([...s].sort())).toEqual(new Map([...want].sort()));
    expect(ks.dbSize(db)).toBeGreaterThanOrEqual(want.size);
  }
}

describe('Keyspace against a Map model', () => {
  for (const [name, cfg] of [
    ['4 shards, 4 KiB pages', { shards: 4, databases: DBS, pageSize: 4096 }],
    ['1 shard', { shards: 1, databases: DBS, pageSize: 8192 }],
    ['64 shards', { shards: 64, databases: DBS }],
  ] as const) {
    it(`agrees after every step (${name})`, () => {
      fc.assert(
        fc.property(fc.array(opArb, { minLength: 1, maxLength: 80 }), (ops) => {
          const { ks, clock } = makeStore(cfg);
          const m = new Model(T0);
          for (const op of ops) {
            apply(ks, clock, m, op);
            check(ks, m);
          }
          ks.flushAll();
          expect(ks.alloc.usedBytes).toBe(0);
        }),
        { numRuns: name === '64 shards' ? 150 : 400 },
      );
    });
  }
});
