import { describe, expect, it } from 'vitest';
import { Encoding, EvictionPolicy, KeyType, Lookup, Status, KEEP_TTL, NO_TTL, DEFAULT_STORE_CONFIG } from '../../store/types.ts';
import { keyHashSlot } from '../../store/hash-slot.ts';
import { Keyspace } from '../../store/keyspace.ts';
import { b, makeStore, set, get, handle, del, keys, keyOf, T0 } from './helpers.ts';

function shardOf(key: string, shards = 64): number {
  return keyHashSlot(b(key), 0, key.length) >>> (14 - Math.log2(shards));
}

describe('Keyspace basics', () => {
  it('rejects a bad shard count at construction', () => {
    expect(() => new Keyspace({ ...DEFAULT_STORE_CONFIG, shards: 3 }, { now: 0 })).toThrow(RangeError);
    expect(new Keyspace({ ...DEFAULT_STORE_CONFIG, shards: 1 }, { now: 0 }).databases).toBe(16);
  });

  it('sets, gets, overwrites and deletes', () => {
    const { ks } = makeStore();
    expect(set(ks, 0, 'k', 'v1')).toBe(Status.OK);
    expect(get(ks, 0, 'k')).toBe('v1');
    expect(set(ks, 0, 'k', 'a much longer value that needs another size class, surely')).toBe(Status.OK);
    expect(get(ks, 0, 'k')).toBe('a much longer value that needs another size class, surely');
    expect(set(ks, 0, 'k', 'x')).toBe(Status.OK);
    expect(get(ks, 0, 'k')).toBe('x');
    expect(ks.dbSize(0)).toBe(1);
    expect(get(ks, 1, 'k')).toBeNull();
    expect(del(ks, 0, 'k')).toBe(true);
    expect(del(ks, 0, 'k')).toBe(false);
    expect(get(ks, 0, 'k')).toBeNull();
    expect(ks.dbSize(0)).toBe(0);
  });

  it('stores empty keys and empty values', () => {
    const { ks } = makeStore();
    set(ks, 0, '', '');
    expect(get(ks, 0, '')).toBe('');
    expect(ks.encodingOf(handle(ks, 0, ''))).toBe(Encoding.EMBSTR);
  });

  it('keeps binary keys differing only in invalid UTF-8 distinct', () => {
    const { ks } = makeStore();
    const keysBin = ['\xff', '\xfe', '\xc3\x28', '\xc3\x29', 'a\x00b', 'a\x00c', '\x80\x80'];
    keysBin.forEach((k, i) => set(ks, 0, k, `v${i}`));
    expect(ks.dbSize(0)).toBe(keysBin.length);
    keysBin.forEach((k, i) => expect(get(ks, 0, k)).toBe(`v${i}`));
    // All decode to the same replacement characters under UTF-8; the store does not care.
    expect(new TextDecoder().decode(b('\xff'))).toBe(new TextDecoder().decode(b('\xfe')));
    expect(keys(ks, 0)).toEqual([...keysBin].sort());
  });

  it('stores values larger than the largest size class in their own allocation', () => {
    const { ks } = makeStore({ pageSize: 4096 });
    const big = 'x'.repeat(10000);
    set(ks, 0, 'big', big);
    expect(get(ks, 0, 'big')).toBe(big);
    expect(ks.usedMemory()).toBeGreaterThan(10000);
    del(ks, 0, 'big');
    expect(ks.alloc.usedBytes).toBe(0);
  });

  it('counts keyspace hits and misses only for READ lookups', () => {
    const { ks } = makeStore();
    set(ks, 0, 'k', 'v');
    handle(ks, 0, 'k', Lookup.READ);
    handle(ks, 0, 'nope', Lookup.READ);
    handle(ks, 0, 'k', Lookup.WRITE);
    handle(ks, 0, 'nope', Lookup.PEEK);
    expect(ks.stats.keyspaceHits).toBe(1);
    expect(ks.stats.keyspaceMisses).toBe(1);
  });

  it('reports key bytes and type through handles', () => {
    const { ks } = makeStore();
    set(ks, 3, 'hello', 'world');
    const h = handle(ks, 3, 'hello');
    expect(h).toBeGreaterThanOrEqual(0);
    expect(keyOf(ks, h)).toBe('hello');
    expect(ks.typeOf(h)).toBe(KeyType.STRING);
    expect(ks.keyLength(h)).toBe(5);
  });
});

describe('encodings (tryObjectEncoding)', () => {
  it('picks int, embstr or raw as Redis does', () => {
    const { ks } = makeStore();
    const cases: [string, number][] = [
      ['0', Encoding.INT],
      ['-1', Encoding.INT],
      ['12345678901234567890', Encoding.EMBSTR], // > int64
      ['9223372036854775807', Encoding.INT],
      ['-9223372036854775808', Encoding.INT],
      ['-0', Encoding.EMBSTR],
      ['007', Encoding.EMBSTR],
      ['+1', Encoding.EMBSTR],
      [' 1', Encoding.EMBSTR],
      ['x'.repeat(44), Encoding.EMBSTR],
      ['x'.repeat(45), Encoding.RAW],
    ];
    for (const [v, enc] of cases) {
      set(ks, 0, 'k', v);
      const h = handle(ks, 0, 'k');
      expect(ks.encodingOf(h), v).toBe(enc);
      expect(ks.isInteger(h)).toBe(enc === Encoding.INT);
      expect(get(ks, 0, 'k')).toBe(v);
    }
    set(ks, 0, 'k', '123', NO_TTL, Encoding.RAW);
    expect(ks.encodingOf(handle(ks, 0, 'k'))).toBe(Encoding.RAW);
    set(ks, 0, 'k', '123', NO_TTL, Encoding.INT);
    expect(ks.encodingOf(handle(ks, 0, 'k'))).toBe(Encoding.INT);
    // EMBSTR is createStringObject without the int step (INCRBYFLOAT's results).
    set(ks, 0, 'k', '17', NO_TTL, Encoding.EMBSTR);
    expect(ks.encodingOf(handle(ks, 0, 'k'))).toBe(Encoding.EMBSTR);
  });

  it('setInteger stores int-encoded numbers and bigints', () => {
    const { ks } = makeStore();
    const k = b('n');
    expect(ks.setInteger(0, k, 0, 1, 42, NO_TTL)).toBe(Status.OK);
    let h = handle(ks, 0, 'n');
    expect(ks.encodingOf(h)).toBe(Encoding.INT);
    expect(ks.integerValue(h)).toBe(42);
    expect(get(ks, 0, 'n')).toBe('42');
    ks.setInteger(0, k, 0, 1, -9223372036854775808n, NO_TTL);
    h = handle(ks, 0, 'n');
    expect(ks.integerValue(h)).toBe(-9223372036854775808n);
    expect(ks.stringLength(h)).toBe(20);
    ks.setInteger(0, k, 0, 1, 2 ** 53 - 1, NO_TTL);
    expect(ks.integerValue(handle(ks, 0, 'n'))).toBe(2 ** 53 - 1);
  });

  it('APPEND and SETRANGE give raw results and keep the TTL', () => {
    const { ks, clock } = makeStore();
    const k = b('k');
    expect(ks.append(0, k, 0, 1, b('12'), 0, 2)).toBe(2);
    expect(ks.encodingOf(handle(ks, 0, 'k'))).toBe(Encoding.RAW);
    set(ks, 0, 'k', '10', clock.now + 5000);
    expect(ks.encodingOf(handle(ks, 0, 'k'))).toBe(Encoding.INT);
    expect(ks.append(0, k, 0, 1, b('0'), 0, 1)).toBe(3);
    let h = handle(ks, 0, 'k');
    expect(ks.encodingOf(h)).toBe(Encoding.RAW);
    expect(get(ks, 0, 'k')).toBe('100');
    expect(ks.expireAt(h)).toBe(clock.now + 5000);
    // grow through several size classes
    const long = 'y'.repeat(300);
    expect(ks.append(0, k, 0, 1, b(long), 0, 300)).toBe(303);
    expect(get(ks, 0, 'k')).toBe('100' + long);
    // SETRANGE with zero padding
    expect(ks.setRange(0, k, 0, 1, 305, b('ab'), 0, 2)).toBe(307);
    expect(get(ks, 0, 'k')).toBe('100' + long + '\x00\x00ab');
    expect(ks.setRange(0, k, 0, 1, 0, b('XY'), 0, 2)).toBe(307);
    expect(get(ks, 0, 'k')!.slice(0, 4)).toBe('XY0y');
    h = handle(ks, 0, 'k');
    expect(ks.expireAt(h)).toBe(clock.now + 5000);
    expect(ks.encodingOf(h)).toBe(Encoding.RAW);
    // empty write: no key created, length of existing reported
    expect(ks.setRange(0, b('none'), 0, 4, 10, b(''), 0, 0)).toBe(0);
    expect(handle(ks, 0, 'none')).toBe(-1);
    expect(ks.setRange(0, k, 0, 1, 1000, b(''), 0, 0)).toBe(307);
    expect(ks.setRange(0, b('new'), 0, 3, 3, b('z'), 0, 1)).toBe(4);
    expect(get(ks, 0, 'new')).toBe('\x00\x00\x00z');
  });

  it('APPEND and SETRANGE report WRONG_TYPE for non-string keys', () => {
    const { ks } = makeStore();
    const k = b('h');
    ks.setObject(0, k, 0, 1, KeyType.HASH, new Map(), 100);
    expect(ks.append(0, k, 0, 1, b('x'), 0, 1)).toBe(-Status.WRONG_TYPE);
    expect(ks.setRange(0, k, 0, 1, 0, b('x'), 0, 1)).toBe(-Status.WRONG_TYPE);
    // setString overwrites any type
    set(ks, 0, 'h', 'now a string');
    expect(ks.typeOf(handle(ks, 0, 'h'))).toBe(KeyType.STRING);
    expect(get(ks, 0, 'h')).toBe('now a string');
  });

  it('APPEND reading bytes from its own value is safe', () => {
    const { ks } = makeStore();
    set(ks, 0, 'k', 'abcdef');
    const h = handle(ks, 0, 'k');
    const page = ks.stringBytes(h);
    const off = ks.offset;
    const k = b('k');
    // appended bytes alias the current value inside the slab page
    expect(ks.append(0, k, 0, 1, page, off, 6)).toBe(12);
    expect(get(ks, 0, 'k')).toBe('abcdefabcdef');
  });
});

describe('TTL semantics', () => {
  it('setString KEEP_TTL keeps, NO_TTL clears, a time sets', () => {
    const { ks, clock } = makeStore();
    set(ks, 0, 'k', 'v', clock.now + 1000);
    expect(ks.expireAt(handle(ks, 0, 'k'))).toBe(clock.now + 1000);
    set(ks, 0, 'k', 'v2', KEEP_TTL);
    expect(ks.expireAt(handle(ks, 0, 'k'))).toBe(clock.now + 1000);
    expect(ks.dbExpires(0)).toBe(1);
    set(ks, 0, 'k', 'v3', NO_TTL);
    expect(ks.expireAt(handle(ks, 0, 'k'))).toBe(NO_TTL);
    expect(ks.dbExpires(0)).toBe(0);
    set(ks, 0, 'k', 'v4', clock.now + 2000);
    expect(ks.dbAvgTtl(0)).toBe(2000);
    // KEEP_TTL on a new key: no TTL
    set(ks, 0, 'fresh', 'v', KEEP_TTL);
    expect(ks.expireAt(handle(ks, 0, 'fresh'))).toBe(NO_TTL);
  });

  it('expires exactly when now > expireAt (TTL of 1 ms)', () => {
    const { ks, clock } = makeStore();
    set(ks, 0, 'k', 'v', clock.now + 1);
    clock.now += 1;
    expect(get(ks, 0, 'k')).toBe('v');
    clock.now += 1;
    expect(get(ks, 0, 'k')).toBeNull();
    expect(ks.stats.expiredKeys).toBe(1);
    expect(ks.dbSize(0)).toBe(0);
  });

  it('a TTL in the past deletes without counting an expiry', () => {
    const { ks, clock } = makeStore();
    set(ks, 0, 'k', 'v', clock.now - 10);
    expect(get(ks, 0, 'k')).toBeNull();
    set(ks, 0, 'k', 'v');
    set(ks, 0, 'k', 'v', clock.now); // not in the future
    expect(get(ks, 0, 'k')).toBeNull();
    set(ks, 0, 'k', 'v');
    ks.setExpireAt(handle(ks, 0, 'k'), clock.now);
    expect(get(ks, 0, 'k')).toBeNull();
    expect(ks.stats.expiredKeys).toBe(0);
    expect(ks.dbSize(0)).toBe(0);
  });

  it('persist removes a TTL', () => {
    const { ks, clock } = makeStore();
    set(ks, 0, 'k', 'v', clock.now + 10);
    const h = handle(ks, 0, 'k');
    expect(ks.persist(h)).toBe(true);
    expect(ks.persist(h)).toBe(false);
    clock.now += 100;
    ks.maintenance(10);
    expect(get(ks, 0, 'k')).toBe('v');
  });

  it('setInteger with KEEP_TTL keeps the TTL (INCR)', () => {
    const { ks, clock } = makeStore();
    set(ks, 0, 'n', '1', clock.now + 500);
    ks.setInteger(0, b('n'), 0, 1, 2, KEEP_TTL);
    expect(ks.expireAt(handle(ks, 0, 'n'))).toBe(clock.now + 500);
    expect(get(ks, 0, 'n')).toBe('2');
  });

  it('counts expired keys met by delete and overwrite', () => {
    const { ks, clock } = makeStore();
    set(ks, 0, 'a', 'v', clock.now + 5);
    set(ks, 0, 'b', 'v', clock.now + 5);
    clock.now += 10;
    expect(del(ks, 0, 'a')).toBe(false);
    set(ks, 0, 'b', 'new', KEEP_TTL);
    expect(ks.expireAt(handle(ks, 0, 'b'))).toBe(NO_TTL);
    expect(ks.stats.expiredKeys).toBe(2);
  });

  it('TTLs beyond the wheel horizon still work', () => {
    const { ks, clock } = makeStore();
    set(ks, 0, 'far', 'v', 8.6e15);
    set(ks, 0, 'near', 'v', clock.now + 100);
    clock.now += 1000;
    ks.maintenance(10);
    expect(get(ks, 0, 'far')).toBe('v');
    expect(get(ks, 0, 'near')).toBeNull();
    expect(ks.dbSize(0)).toBe(1);
  });
});

describe('multi-key operations across shards', () => {
  // 'foo' and 'bar' are in different shards at 64 shards.
  it('uses keys in different shards', () => {
    expect(shardOf('foo')).not.toBe(shardOf('bar'));
  });

  it('RENAME keeps value, TTL, LRU state; RENAMENX respects existing keys', () => {
    const { ks, clock } = makeStore();
    set(ks, 0, 'foo', 'value', clock.now + 1000);
    const idle0 = ks.idleTimeMs(handle(ks, 0, 'foo'));
    clock.now += 50;
    const k1 = b('foo');
    const k2 = b('bar');
    expect(ks.rename(0, k1, 0, 3, k2, 0, 3, false)).toBe(Status.OK);
    expect(get(ks, 0, 'foo')).toBeNull();
    expect(get(ks, 0, 'bar')).toBe('value');
    const h = handle(ks, 0, 'bar');
    expect(ks.expireAt(h)).toBe(T0 + 1000);
    expect(ks.idleTimeMs(h)).toBe(idle0 + 50);
    expect(ks.dbSize(0)).toBe(1);
    expect(ks.dbExpires(0)).toBe(1);
    expect(ks.rename(0, k1, 0, 3, k2, 0, 3, false)).toBe(Status.NOT_FOUND);
    set(ks, 0, 'foo', 'other');
    expect(ks.rename(0, k1, 0, 3, k2, 0, 3, true)).toBe(Status.EXISTS);
    expect(ks.rename(0, k1, 0, 3, k2, 0, 3, false)).toBe(Status.OK);
    expect(get(ks, 0, 'bar')).toBe('other');
    expect(ks.expireAt(handle(ks, 0, 'bar'))).toBe(NO_TTL);
    expect(ks.dbExpires(0)).toBe(0);
    expect(ks.rename(0, k2, 0, 3, k2, 0, 3, false)).toBe(Status.OK);
    expect(ks.rename(0, k2, 0, 3, k2, 0, 3, true)).toBe(Status.EXISTS);
    expect(get(ks, 0, 'bar')).toBe('other');
  });

  it('COPY copies value and TTL, across databases and shards', () => {
    const { ks, clock } = makeStore();
    set(ks, 0, 'foo', '12', clock.now + 1000);
    const f = b('foo');
    const r = b('bar');
    expect(ks.copy(0, f, 0, 3, 2, r, 0, 3, false)).toBe(Status.OK);
    expect(get(ks, 2, 'bar')).toBe('12');
    expect(ks.encodingOf(handle(ks, 2, 'bar'))).toBe(Encoding.INT);
    expect(ks.expireAt(handle(ks, 2, 'bar'))).toBe(clock.now + 1000);
    expect(get(ks, 0, 'foo')).toBe('12');
    expect(ks.copy(0, f, 0, 3, 2, r, 0, 3, false)).toBe(Status.EXISTS);
    set(ks, 0, 'foo', 'changed');
    expect(ks.copy(0, f, 0, 3, 2, r, 0, 3, true)).toBe(Status.OK);
    expect(get(ks, 2, 'bar')).toBe('changed');
    expect(ks.expireAt(handle(ks, 2, 'bar'))).toBe(NO_TTL);
    expect(ks.copy(0, b('zzz'), 0, 3, 2, r, 0, 3, true)).toBe(Status.NOT_FOUND);
    expect(ks.copy(0, f, 0, 3, 0, f, 0, 3, true)).toBe(Status.EXISTS);
    expect(ks.dbSize(2)).toBe(1);
  });

  it('MOVE keeps the TTL and refuses existing targets', () => {
    const { ks, clock } = makeStore();
    set(ks, 0, 'foo', 'v', clock.now + 1000);
    const f = b('foo');
    expect(ks.move(0, f, 0, 3, 5)).toBe(Status.OK);
    expect(get(ks, 0, 'foo')).toBeNull();
    expect(get(ks, 5, 'foo')).toBe('v');
    expect(ks.expireAt(handle(ks, 5, 'foo'))).toBe(clock.now + 1000);
    expect(ks.dbExpires(5)).toBe(1);
    expect(ks.dbExpires(0)).toBe(0);
    expect(ks.move(0, f, 0, 3, 5)).toBe(Status.NOT_FOUND);
    set(ks, 0, 'foo', 'w');
    expect(ks.move(0, f, 0, 3, 5)).toBe(Status.EXISTS);
    expect(get(ks, 0, 'foo')).toBe('w');
    expect(get(ks, 5, 'foo')).toBe('v');
  });

  it('SWAPDB swaps whole databases in O(1), including counters', () => {
    const { ks, clock } = makeStore();
    set(ks, 0, 'foo', 'a');
    set(ks, 0, 'bar', 'b', clock.now + 1000);
    set(ks, 1, 'foo', 'c');
    ks.swapDb(0, 1);
    expect(get(ks, 0, 'foo')).toBe('c');
    expect(get(ks, 0, 'bar')).toBeNull();
    expect(get(ks, 1, 'foo')).toBe('a');
    expect(get(ks, 1, 'bar')).toBe('b');
    expect(ks.dbSize(0)).toBe(1);
    expect(ks.dbSize(1)).toBe(2);
    expect(ks.dbExpires(1)).toBe(1);
    set(ks, 0, 'new', 'n');
    ks.swapDb(0, 1);
    expect(keys(ks, 0)).toEqual(['bar', 'foo']);
    expect(keys(ks, 1)).toEqual(['foo', 'new']);
  });

  it('FLUSHDB empties one database, FLUSHALL all', () => {
    const { ks, clock } = makeStore();
    for (let i = 0; i < 500; i++) {
      set(ks, 0, `a${i}`, 'v', i % 2 ? clock.now + 1000 : NO_TTL);
      set(ks, 1, `b${i}`, 'w');
    }
    ks.flushDb(0);
    expect(ks.dbSize(0)).toBe(0);
    expect(ks.dbExpires(0)).toBe(0);
    expect(ks.dbSize(1)).toBe(500);
    expect(get(ks, 1, 'b42')).toBe('w');
    expect(get(ks, 0, 'a42')).toBeNull();
    ks.flushDb(1);
    expect(ks.dbSize(1)).toBe(0);
    expect(ks.alloc.usedBytes).toBe(0);
    set(ks, 3, 'x', 'y');
    ks.flushAll();
    expect(ks.dbSize(3)).toBe(0);
    expect(get(ks, 3, 'x')).toBeNull();
    set(ks, 3, 'x', 'y');
    expect(get(ks, 3, 'x')).toBe('y');
  });

  it('FLUSHDB of one db among others costs nothing at the call: its keys vanish at once and maintenance reclaims them in budgeted steps', () => {
    const { ks, clock } = makeStore();
    const removed: string[] = [];
    ks.onRemove = (db, key, off, len) => removed.push(`${db}:${Buffer.from(key.subarray(off, off + len)).toString()}`);
    for (let i = 0; i < 20_000; i++) {
      set(ks, 0, `a${i}`, 'v'.repeat(40), i % 2 ? clock.now + 5 : NO_TTL);
      set(ks, 1, `b${i}`, 'w');
    }
    const usedBefore = ks.usedMemory();
    ks.flushDb(0);
    expect(ks.dbSize(0)).toBe(0);
    expect(ks.dbExpires(0)).toBe(0);
    expect(get(ks, 0, 'a42')).toBeNull();
    expect(keys(ks, 0)).toEqual([]);
    expect(ks.dbSize(1)).toBe(20_000);
    expect(ks.pendingReclaim()).toBe(20_000);
    expect(ks.usedMemory()).toBe(usedBefore); // not yet reclaimed
    // A key written to the flushed db now is a new key, untouched by the reclamation.
    set(ks, 0, 'a7', 'fresh');
    clock.now += 10; // half the flushed keys are past their TTL: reclaimed silently, not expired
    let steps = 0;
    while (ks.pendingReclaim() > 0 && steps < 10_000) {
      ks.maintenance(0.05);
      steps++;
    }
    expect(ks.pendingReclaim()).toBe(0);
    expect(steps).toBeGreaterThan(1); // it took several budgeted steps
    expect(removed).toEqual([]);
    expect(ks.stats.expiredKeys).toBe(0);
    expect(ks.stats.lazyfreedObjects).toBe(20_000);
    expect(get(ks, 0, 'a7')).toBe('fresh');
    expect(ks.dbSize(0)).toBe(1);
    expect(ks.dbSize(1)).toBe(20_000);
    expect(usedBefore - ks.usedMemory()).toBeGreaterThan(20_000 * 40); // at least the flushed values' bytes
  });

  it('FLUSHDB again and again before the reclamation ends: past the spare internal dbs it removes the keys at once', () => {
    const { ks } = makeStore();
    set(ks, 1, 'keep', 'k');
    for (let round = 0; round < 100; round++) {
      for (let i = 0; i < 50; i++) set(ks, 0, `r${round}:${i}`, 'v');
      ks.flushDb(0);
      expect(ks.dbSize(0)).toBe(0);
      expect(get(ks, 0, `r${round}:3`)).toBeNull();
    }
    expect(ks.pendingReclaim()).toBeLessThanOrEqual(64 * 50);
    ks.maintenance(1000);
    expect(ks.pendingReclaim()).toBe(0);
    expect(ks.totalKeys()).toBe(1);
    expect(get(ks, 1, 'keep')).toBe('k');
  });

  it('SWAPDB and eviction meet flushed keys not yet reclaimed: neither sees them as keys of a db', () => {
    const { ks } = makeStore();
    for (let i = 0; i < 1000; i++) set(ks, 2, `x${i}`, 'v'.repeat(100));
    set(ks, 3, 'y', 'w');
    ks.flushDb(2);
    ks.swapDb(2, 3);
    expect(ks.dbSize(2)).toBe(1);
    expect(ks.dbSize(3)).toBe(0);
    expect(get(ks, 2, 'y')).toBe('w');
    const removed: number[] = [];
    ks.onRemove = (db) => removed.push(db);
    ks.setPolicy(EvictionPolicy.ALLKEYS_RANDOM);
    ks.setMaxmemory(ks.usedMemory() - 50_000);
    expect(ks.evictIfNeeded()).toBe(Status.OK);
    expect(removed.every((db) => db >= 0)).toBe(true);
    expect(ks.stats.evictedKeys).toBe(removed.length);
  });

  it('randomKey returns live keys of the db and skips expired ones', () => {
    const { ks, clock } = makeStore();
    expect(ks.randomKey(0)).toBe(-1);
    for (let i = 0; i < 50; i++) set(ks, 0, `e${i}`, 'v', clock.now + 10);
    set(ks, 0, 'live', 'v');
    set(ks, 1, 'other', 'v');
    clock.now += 20;
    const seen = new Set<string>();
    for (let i = 0; i < 20; i++) seen.add(keyOf(ks, ks.randomKey(0)));
    expect([...seen]).toEqual(['live']);
    expect(keyOf(ks, ks.randomKey(1))).toBe('other');
    expect(ks.randomKey(2)).toBe(-1);
  });
});

describe('LRU / LFU introspection', () => {
  it('idle time grows with the clock and resets on access', () => {
    const { ks, clock } = makeStore();
    set(ks, 0, 'k', 'v');
    clock.now += 5000;
    expect(ks.idleTimeMs(handle(ks, 0, 'k'))).toBe(5000);
    handle(ks, 0, 'k', Lookup.PEEK);
    expect(ks.idleTimeMs(handle(ks, 0, 'k'))).toBe(5000);
    handle(ks, 0, 'k', Lookup.READ);
    expect(ks.idleTimeMs(handle(ks, 0, 'k'))).toBe(0);
    clock.now += 10;
    ks.touch(handle(ks, 0, 'k'));
    expect(ks.idleTimeMs(handle(ks, 0, 'k'))).toBe(0);
  });

  it('LFU counters start at 5, grow logarithmically and decay per lfu-decay-time', () => {
    const { ks, clock } = makeStore({ policy: 2 /* allkeys-lfu */ });
    set(ks, 0, 'k', 'v');
    expect(ks.lfuFrequency(handle(ks, 0, 'k'))).toBe(5);
    for (let i = 0; i < 1000; i++) handle(ks, 0, 'k', Lookup.READ);
    const f = ks.lfuFrequency(handle(ks, 0, 'k'));
    expect(f).toBeGreaterThan(8);
    expect(f).toBeLessThan(40);
    clock.now += 3 * 60_000;
    expect(ks.lfuFrequency(handle(ks, 0, 'k'))).toBe(f - 3);
    ks.setLfuDecayTime(0);
    expect(ks.lfuFrequency(handle(ks, 0, 'k'))).toBe(f);
  });
});

describe('object table hooks', () => {
  it('charges object estimates and frees them on delete', () => {
    const { ks } = makeStore();
    const before = ks.usedMemory();
    const k = b('h');
    const obj = new Map([['f', 'v']]);
    expect(ks.setObject(0, k, 0, 1, KeyType.HASH, obj, 1000)).toBe(Status.OK);
    const h = handle(ks, 0, 'h');
    expect(ks.typeOf(h)).toBe(KeyType.HASH);
    expect(ks.objectOf(h)).toBe(obj);
    ks.adjustObjectBytes(h, 500);
    expect(ks.usedMemory() - before).toBeGreaterThanOrEqual(1500);
    expect(ks.rename(0, k, 0, 1, b('g'), 0, 1, false)).toBe(Status.OK);
    expect(ks.objectOf(handle(ks, 0, 'g'))).toBe(obj);
    expect(ks.copy(0, b('g'), 0, 1, 1, b('g'), 0, 1, false)).toBe(Status.OK);
    const copied = ks.objectOf(handle(ks, 1, 'g'));
    expect(copied).not.toBe(obj);
    expect(copied).toEqual(obj);
    del(ks, 0, 'g');
    del(ks, 1, 'g');
    expect(ks.usedMemory()).toBe(before);
  });
});

describe('large values', () => {
  it('APPEND to a large value grows greedily and keeps every byte', () => {
    const { ks } = makeStore({ pageSize: 4096 });
    const k = b('big');
    const piece = new Uint8Array(1000);
    let expected = 0;
    let moves = 0;
    let lastLoc = -1;
    for (let i = 0; i < 200; i++) {
      piece.fill(i & 255);
      expected = ks.append(0, k, 0, 3, piece, 0, 1000);
      const h = handle(ks, 0, 'big');
      const loc = ks.shards[h & 63].table.loc(h >>> 6);
      if (loc !== lastLoc) moves++;
      lastLoc = loc;
    }
    expect(expected).toBe(200_000);
    expect(moves).toBeLessThan(30);
    const h = handle(ks, 0, 'big');
    const page = ks.stringBytes(h);
    for (let i = 0; i < 200; i++) expect(page[ks.offset + i * 1000 + 999]).toBe(i & 255);
    // an overwrite with a small value gives the large allocation back
    set(ks, 0, 'big', 'small');
    expect(ks.alloc.allocatedBytes).toBeLessThan(10 * 4096);
  });
});

describe('Keyspace.prefetch', () => {
  it('changes nothing, whatever the keys: stored, deleted, missing, other dbs, mid-migration', () => {
    const { ks } = makeStore({ shards: 1 });
    const names: string[] = [];
    for (let i = 0; i < 3000; i++) {
      names.push(`k:${i}`);
      set(ks, i % 3, `k:${i}`, `value ${i}`.repeat(1 + (i % 5)));
      if (i % 7 === 0) del(ks, i % 3, `k:${i >> 1}`);
    }
    const snapshot = [0, 1, 2].map((db) => keys(ks, db).sort().map((k) => `${k}=${get(ks, db, k)}`));
    const stats = { ...ks.stats };
    const named = ['', 'missing', ...names.slice(0, 60)];
    const batch = Buffer.from(named.join(''), 'latin1');
    const offs = new Int32Array(named.length);
    const lens = new Int32Array(named.length);
    let off = 0;
    named.forEach((k, i) => {
      offs[i] = off;
      lens[i] = k.length;
      off += k.length;
    });
    for (let db = 0; db < 3; db++) ks.prefetch(db, batch, offs, lens, 0, named.length, 1);
    expect([0, 1, 2].map((db) => keys(ks, db).sort().map((k) => `${k}=${get(ks, db, k)}`))).toEqual(snapshot);
    expect(ks.stats).toEqual(stats);
  });
});
