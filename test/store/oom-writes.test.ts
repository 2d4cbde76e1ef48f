/*
 * Every write that runs out of memory leaves its keys exactly as they were (issue 8, defect 4).
 *
 * Out of memory is made deterministic with the slab allocator's hard ceiling (limitBytes):
 * set to the bytes already held, any write that needs a new page fails. A value or key over
 * half a page (512 KiB) always needs a page of its own, so it always fails under the ceiling.
 * Each failed write is followed by reads of everything it touched: type, value bytes, TTL,
 * the object behind a complex key, the key count and used memory.
 */
import { describe, expect, it } from 'vitest';
import { Encoding, KeyType, Lookup, Status, KEEP_TTL, NO_TTL } from '../../store/types.ts';
import type { Keyspace } from '../../store/keyspace.ts';
import { b, makeStore, set, get, handle, T0 } from './helpers.ts';

const BIG = 600 * 1024;
const bigValue = new Uint8Array(BIG).fill(0x61);
const bigKey = new Uint8Array(BIG).fill(0x6b);

/** Refuse every new slab page from now on. */
function exhaust(ks: Keyspace): void {
  ks.alloc.limitBytes = ks.alloc.allocatedBytes;
}

function putObject(ks: Keyspace, key: string, type: (typeof KeyType)[keyof typeof KeyType], obj: object, bytes = 100): void {
  const k = b(key);
  expect(ks.setObject(0, k, 0, k.length, type, obj, bytes)).toBe(Status.OK);
}

/** What a reader can see of a key: type, value (string) or object identity, TTL. */
function snapshot(ks: Keyspace, db: number, key: string): { type: number; value: unknown; ttl: number } | null {
  const h = handle(ks, db, key);
  if (h < 0) return null;
  const type = ks.typeOf(h);
  const value = type === KeyType.STRING ? get(ks, db, key) : ks.objectOf(h);
  return { type, value, ttl: ks.expireAt(h) };
}

function setBig(ks: Keyspace, key: string, expireAt = NO_TTL): number {
  const k = b(key);
  return ks.setString(0, k, 0, k.length, bigValue, 0, BIG, expireAt, Encoding.INT);
}

const TYPES = [
  ['hash', KeyType.HASH],
  ['list', KeyType.LIST],
  ['set', KeyType.SET],
  ['zset', KeyType.ZSET],
] as const;

describe('out-of-memory writes leave keys as they were', () => {
  for (const [name, type] of TYPES) {
    it(`SET over a ${name} fails without touching it (type, object, TTL, memory)`, () => {
      const { ks } = makeStore();
      const obj = { kind: name };
      putObject(ks, 'k', type, obj, 500);
      ks.setExpireAt(handle(ks, 0, 'k'), T0 + 60_000);
      exhaust(ks);
      const used = ks.usedMemory();
      expect(setBig(ks, 'k')).toBe(Status.OOM);
      expect(snapshot(ks, 0, 'k')).toEqual({ type, value: obj, ttl: T0 + 60_000 });
      expect(ks.objectOf(handle(ks, 0, 'k'))).toBe(obj);
      expect(ks.usedMemory()).toBe(used);
      expect(ks.dbSize(0)).toBe(1);
      // Once memory is back the same write succeeds and the object is released.
      ks.alloc.limitBytes = 0;
      expect(setBig(ks, 'k')).toBe(Status.OK);
      expect(ks.typeOf(handle(ks, 0, 'k'))).toBe(KeyType.STRING);
      expect(ks.stringLength(handle(ks, 0, 'k'))).toBe(BIG);
    });
  }

  it('SET over a string keeps the old value and TTL', () => {
    const { ks } = makeStore();
    set(ks, 0, 'k', 'old value', T0 + 5000);
    exhaust(ks);
    expect(setBig(ks, 'k', T0 + 99_000)).toBe(Status.OOM);
    expect(snapshot(ks, 0, 'k')).toEqual({ type: KeyType.STRING, value: 'old value', ttl: T0 + 5000 });
  });

  it('SET of a new key adds nothing', () => {
    const { ks } = makeStore();
    set(ks, 0, 'other', 'x');
    exhaust(ks);
    expect(setBig(ks, 'k')).toBe(Status.OOM);
    expect(get(ks, 0, 'k')).toBeNull();
    expect(ks.dbSize(0)).toBe(1);
  });

  it('INCR into a size class with no page keeps the old number', () => {
    const { ks } = makeStore();
    const k = b('n');
    expect(ks.setInteger(0, k, 0, 1, 9, T0 + 1000)).toBe(Status.OK);
    exhaust(ks);
    expect(ks.setInteger(0, k, 0, 1, 12345678901234567n, KEEP_TTL)).toBe(Status.OOM);
    expect(snapshot(ks, 0, 'n')).toEqual({ type: KeyType.STRING, value: '9', ttl: T0 + 1000 });
    expect(ks.isInteger(handle(ks, 0, 'n'))).toBe(true);
  });

  it('APPEND and SETRANGE keep the old value', () => {
    const { ks } = makeStore();
    set(ks, 0, 'k', 'hello', T0 + 5000);
    exhaust(ks);
    const k = b('k');
    expect(ks.append(0, k, 0, 1, bigValue, 0, BIG)).toBe(-Status.OOM);
    expect(ks.setRange(0, k, 0, 1, BIG, b('x'), 0, 1)).toBe(-Status.OOM);
    expect(snapshot(ks, 0, 'k')).toEqual({ type: KeyType.STRING, value: 'hello', ttl: T0 + 5000 });
    expect(ks.encodingOf(handle(ks, 0, 'k'))).toBe(Encoding.EMBSTR);
    // SETRANGE / APPEND creating a key add nothing.
    const n = b('new');
    expect(ks.setRange(0, n, 0, 3, BIG, b('x'), 0, 1)).toBe(-Status.OOM);
    expect(ks.append(0, bigKey, 0, BIG, b('x'), 0, 1)).toBe(-Status.OOM);
    expect(ks.dbSize(0)).toBe(1);
  });

  it('a write that shrinks a value succeeds even when no new chunk can be had', () => {
    const { ks } = makeStore();
    expect(setBig(ks, 'k', T0 + 5000)).toBe(Status.OK);
    exhaust(ks);
    // A smaller class has no page: the write keeps the bigger chunk rather than failing.
    expect(set(ks, 0, 'k', 'x'.repeat(300))).toBe(Status.OK);
    expect(get(ks, 0, 'k')).toBe('x'.repeat(300));
    const obj = { kind: 'set' };
    putObject(ks, 'k', KeyType.SET, obj);
    expect(snapshot(ks, 0, 'k')).toEqual({ type: KeyType.SET, value: obj, ttl: NO_TTL });
  });

  it('replacing a big string by a collection (SUNIONSTORE, ZUNIONSTORE ...) never loses the key', () => {
    const { ks } = makeStore();
    const long = 'd'.repeat(200);
    expect(setBig(ks, long, T0 + 5000)).toBe(Status.OK);
    exhaust(ks);
    const obj = { kind: 'set' };
    const k = b(long);
    const st = ks.setObject(0, k, 0, k.length, KeyType.SET, obj, 100);
    if (st === Status.OK) expect(snapshot(ks, 0, long)).toEqual({ type: KeyType.SET, value: obj, ttl: NO_TTL });
    else expect(snapshot(ks, 0, long)?.type).toBe(KeyType.STRING);
    expect(st).toBe(Status.OK);
    expect(ks.dbSize(0)).toBe(1);
  });

  it('RENAME onto an existing key keeps both keys when the copy fails', () => {
    const { ks } = makeStore();
    expect(setBig(ks, 'src', T0 + 7000)).toBe(Status.OK);
    const obj = { kind: 'hash' };
    putObject(ks, 'dst', KeyType.HASH, obj);
    ks.setExpireAt(handle(ks, 0, 'dst'), T0 + 9000);
    exhaust(ks);
    const used = ks.usedMemory();
    const s = b('src');
    const d = b('dst');
    expect(ks.rename(0, s, 0, 3, d, 0, 3, false)).toBe(Status.OOM);
    expect(snapshot(ks, 0, 'dst')).toEqual({ type: KeyType.HASH, value: obj, ttl: T0 + 9000 });
    expect(ks.stringLength(handle(ks, 0, 'src'))).toBe(BIG);
    expect(ks.expireAt(handle(ks, 0, 'src'))).toBe(T0 + 7000);
    expect(ks.usedMemory()).toBe(used);
    expect(ks.dbSize(0)).toBe(2);
  });

  it('RENAME to a new key that cannot be created keeps the source', () => {
    const { ks } = makeStore();
    set(ks, 0, 'src', 'v', T0 + 7000);
    exhaust(ks);
    expect(ks.rename(0, b('src'), 0, 3, bigKey, 0, BIG, false)).toBe(Status.OOM);
    expect(snapshot(ks, 0, 'src')).toEqual({ type: KeyType.STRING, value: 'v', ttl: T0 + 7000 });
    expect(ks.dbSize(0)).toBe(1);
  });

  it('COPY ... REPLACE onto an existing key keeps the destination when the copy fails', () => {
    const { ks } = makeStore();
    expect(setBig(ks, 'src')).toBe(Status.OK);
    const obj = { kind: 'list' };
    putObject(ks, 'dst', KeyType.LIST, obj);
    set(ks, 1, 'dst', 'in db 1', T0 + 3000);
    exhaust(ks);
    const s = b('src');
    const d = b('dst');
    expect(ks.copy(0, s, 0, 3, 0, d, 0, 3, true)).toBe(Status.OOM);
    expect(ks.copy(0, s, 0, 3, 1, d, 0, 3, true)).toBe(Status.OOM);
    expect(snapshot(ks, 0, 'dst')).toEqual({ type: KeyType.LIST, value: obj, ttl: NO_TTL });
    expect(snapshot(ks, 1, 'dst')).toEqual({ type: KeyType.STRING, value: 'in db 1', ttl: T0 + 3000 });
    expect(ks.stringLength(handle(ks, 0, 'src'))).toBe(BIG);
  });

  it('RENAME and COPY onto existing keys still work when memory allows, with Redis semantics', () => {
    const { ks } = makeStore();
    set(ks, 0, 'src', 'value', T0 + 7000);
    putObject(ks, 'dst', KeyType.HASH, { kind: 'hash' });
    ks.setExpireAt(handle(ks, 0, 'dst'), T0 + 9000);
    const used = ks.usedMemory();
    expect(ks.copy(0, b('src'), 0, 3, 0, b('dst'), 0, 3, true)).toBe(Status.OK);
    expect(snapshot(ks, 0, 'dst')).toEqual({ type: KeyType.STRING, value: 'value', ttl: T0 + 7000 });
    const obj = { kind: 'zset' };
    putObject(ks, 'z', KeyType.ZSET, obj, 300);
    expect(ks.rename(0, b('z'), 0, 1, b('dst'), 0, 3, false)).toBe(Status.OK);
    expect(snapshot(ks, 0, 'dst')).toEqual({ type: KeyType.ZSET, value: obj, ttl: NO_TTL });
    expect(handle(ks, 0, 'z')).toBe(-1);
    expect(ks.dbSize(0)).toBe(2);
    ks.delete(0, b('dst'), 0, 3);
    ks.delete(0, b('src'), 0, 3);
    expect(ks.dbSize(0)).toBe(0);
    expect(ks.dbExpires(0)).toBe(0);
    expect(ks.usedMemory()).toBeLessThan(used);
  });

  it('MOVE onto a key present in the target db changes nothing', () => {
    const { ks } = makeStore();
    set(ks, 0, 'k', 'zero');
    set(ks, 1, 'k', 'one', T0 + 1000);
    exhaust(ks);
    expect(ks.move(0, b('k'), 0, 1, 1)).toBe(Status.EXISTS);
    expect(get(ks, 0, 'k')).toBe('zero');
    expect(snapshot(ks, 1, 'k')).toEqual({ type: KeyType.STRING, value: 'one', ttl: T0 + 1000 });
  });

  it('lookups after a failed write see a consistent key (no stale object slot)', () => {
    const { ks } = makeStore();
    const a = { kind: 'a' };
    const c = { kind: 'c' };
    putObject(ks, 'a', KeyType.HASH, a);
    exhaust(ks);
    expect(setBig(ks, 'a')).toBe(Status.OOM);
    ks.alloc.limitBytes = 0;
    // A new object takes the next free slot; the failed key must still name its own.
    putObject(ks, 'c', KeyType.SET, c);
    expect(ks.objectOf(ks.lookup(0, b('a'), 0, 1, Lookup.READ))).toBe(a);
    expect(ks.objectOf(ks.lookup(0, b('c'), 0, 1, Lookup.READ))).toBe(c);
  });
  it('a packed collection that outgrows its chunk, or a new one, fails without a change', () => {
    const { ks } = makeStore();
    const k = b('packed');
    const small = b('\x01\x00\x00\x00\x01f\x01v');
    expect(ks.setPacked(0, k, 0, k.length, KeyType.HASH, Encoding.PACKED, small, 0, small.length)).toBe(Status.OK);
    const h = handle(ks, 0, 'packed');
    ks.setExpireAt(h, T0 + 60_000);
    exhaust(ks);
    const used = ks.usedMemory();
    expect(ks.updatePacked(h, Encoding.PACKED_HASHTABLE, bigValue, 0, BIG)).toBe(false);
    expect(ks.encodingOf(h)).toBe(Encoding.PACKED);
    expect(ks.stringLength(h)).toBe(small.length);
    expect(Buffer.from(ks.stringBytes(h).subarray(ks.offset, ks.offset + small.length))).toEqual(Buffer.from(small));
    expect(ks.expireAt(h)).toBe(T0 + 60_000);
    expect(ks.usedMemory()).toBe(used);
    const k2 = b('packed2');
    expect(ks.setPacked(0, k2, 0, k2.length, KeyType.HASH, Encoding.PACKED, bigValue, 0, BIG)).toBe(Status.OOM);
    expect(handle(ks, 0, 'packed2')).toBe(-1);
    // Moving it into the object table only shrinks its chunk: it works under the ceiling, TTL kept.
    const obj = { table: true };
    ks.packedToObject(h, obj, 200);
    expect(ks.encodingOf(h)).toBe(Encoding.RAW);
    expect(ks.objectOf(h)).toBe(obj);
    expect(ks.expireAt(h)).toBe(T0 + 60_000);
    ks.deleteHandle(h);
    expect(ks.usedMemory()).toBeLessThan(used);
  });
  it('an object that shrinks back to a packed form moves into its chunk, or stays an object when no chunk can be had', () => {
    const { ks } = makeStore();
    const list = { list: true };
    putObject(ks, 'shrunk', KeyType.LIST, list, 500);
    const h = handle(ks, 0, 'shrunk');
    ks.setExpireAt(h, T0 + 60_000);
    const used = ks.usedMemory();
    exhaust(ks);
    // No page for a chunk of that size: refused, the object and its charge stay.
    expect(ks.objectToPacked(h, Encoding.PACKED, bigValue, 0, BIG)).toBe(false);
    expect(ks.encodingOf(h)).toBe(Encoding.RAW);
    expect(ks.objectOf(h)).toBe(list);
    expect(ks.usedMemory()).toBe(used);
    ks.alloc.limitBytes = 0;
    const packed = b('\x02\x00\x00\x00\x01a\x01\x01b\x01');
    expect(ks.objectToPacked(h, Encoding.PACKED, packed, 0, packed.length)).toBe(true);
    expect(ks.encodingOf(h)).toBe(Encoding.PACKED);
    expect(ks.typeOf(h)).toBe(KeyType.LIST);
    expect(Buffer.from(ks.stringBytes(h).subarray(ks.offset, ks.offset + packed.length))).toEqual(Buffer.from(packed));
    expect(ks.expireAt(h)).toBe(T0 + 60_000);
    // The object's 500 bytes are no longer charged; the chunk grew by the packed bytes at most.
    expect(ks.usedMemory()).toBeLessThan(used - 500 + 64);
    ks.deleteHandle(h);
    expect(handle(ks, 0, 'shrunk')).toBe(-1);
  });
});
