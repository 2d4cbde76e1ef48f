/*
 * Issue 8, defect 7: a hashtable-encoded hash or set costs about what its contents need.
 *
 * A ByteTable used to start with a 4,096-record segment (about 100 KB for a hash), so a hash
 * converted for one value over 64 bytes cost ~100 KB where Redis spends ~280 bytes. Tables now
 * start small and grow geometrically (first segment doubling up to 4,096 records, then fixed
 * segments; pages from the first element's size), and small hashtable-encoded hashes and sets
 * keep their packed form. These tests pin the sizes and check the structures stay correct
 * through growth and shrinkage.
 */
import { describe, expect, it } from 'vitest';
import { ByteTable, hashBytes } from '../../src/types/byte-table.ts';
import { HashValue, HashEntry, SMALL_TABLE_BYTES } from '../../src/types/hash-value.ts';
import { SetValue, SetKind } from '../../src/types/set-value.ts';
import { ElementBytes } from '../../src/types/packed.ts';

const b = (s: string): Buffer => Buffer.from(s, 'latin1');
const text = (e: ElementBytes): string => Buffer.from(e.buf.subarray(e.off, e.off + e.len)).toString('latin1');

function add(t: ByteTable, key: string, value: string | null = null): void {
  const k = b(key);
  const v = value === null ? null : b(value);
  t.insert(k, 0, k.length, hashBytes(k, 0, k.length), v, 0, v === null ? 0 : v.length);
}

function remove(t: ByteTable, key: string): boolean {
  const k = b(key);
  return t.remove(k, 0, k.length, hashBytes(k, 0, k.length));
}

function has(t: ByteTable, key: string): boolean {
  const k = b(key);
  return t.find(k, 0, k.length, hashBytes(k, 0, k.length)) >= 0;
}

describe('ByteTable starts small and grows geometrically', () => {
  it('a table of one 100-byte value costs about a kilobyte, not a 4,096-record segment', () => {
    const t = new ByteTable(true);
    add(t, 'f', 'x'.repeat(100));
    // Records, buckets, one page and their V8 objects; the old first segment alone was 98,304 bytes.
    expect(t.memoryBytes()).toBeLessThan(1500);
    const s = new ByteTable(false);
    add(s, 'member');
    expect(s.memoryBytes()).toBeLessThan(1200);
  });

  it('memory follows the element count up and down; every element stays reachable', () => {
    const t = new ByteTable(true);
    const N = 20_000;
    let last = t.memoryBytes();
    const sizes: number[] = [];
    for (let i = 0; i < N; i++) {
      add(t, `field:${i}`, `value:${i}`);
      if ((i & (i + 1)) === 0) {
        // At powers of two: never more than ~2x the record bytes plus one spare segment.
        const m = t.memoryBytes();
        sizes.push(m);
        expect(m).toBeGreaterThanOrEqual(last);
        last = m;
      }
    }
    t.checkInvariants();
    const full = t.memoryBytes();
    // 24 bytes of record + 4-8 of buckets + ~18 bytes of data per field, with geometric slack.
    expect(full).toBeLessThan(N * 110);
    for (let i = 0; i < N; i += 997) expect(has(t, `field:${i}`)).toBe(true);
    // Small tables stay small: 1 element about a kilobyte (V8 objects), 16 about 2 KB.
    expect(sizes[0]).toBeLessThan(1500);
    expect(sizes[4]).toBeLessThan(3000);
    for (let i = 0; i < N - 3; i++) expect(remove(t, `field:${i}`)).toBe(true);
    t.checkInvariants();
    expect(t.count).toBe(3);
    for (let i = N - 3; i < N; i++) expect(has(t, `field:${i}`)).toBe(true);
    // What remains: a few records, the last page, and buckets whose incremental shrink (one
    // bucket per write) may still hold the old array.
    expect(t.memoryBytes()).toBeLessThan(full / 4);
  });

  it('crosses the one-segment boundary both ways with ids, chains and values intact', () => {
    const t = new ByteTable(true, 3);
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < 9000; i++) add(t, `k${round}:${i}`, `v${i}`);
      t.checkInvariants();
      for (let i = 0; i < 9000; i++) if (i % 7 !== 0) expect(remove(t, `k${round}:${i}`)).toBe(true);
      t.checkInvariants();
    }
    const out = new ElementBytes();
    const k = b('k2:700');
    const id = t.find(k, 0, k.length, hashBytes(k, 0, k.length));
    t.readValue(id, out);
    expect(text(out)).toBe('v700');
    const copy = t.clone();
    copy.checkInvariants();
    expect(copy.count).toBe(t.count);
    expect(copy.memoryBytes()).toBe(t.memoryBytes());
  });
});

describe('hashtable-encoded hashes and sets keep small contents packed', () => {
  const e = new HashEntry();

  function contents(hv: HashValue): Record<string, string> {
    const out: Record<string, string> = {};
    for (let h = hv.first(); h >= 0; h = hv.next(h)) {
      hv.readEntry(h, e);
      out[text(e.field)] = text(e.value);
    }
    return out;
  }

  function hset(hv: HashValue, f: string, v: string, maxEntries = 512, maxValue = 64): boolean {
    return hv.set(b(f), 0, f.length, b(v), 0, v.length, maxEntries, maxValue);
  }

  it('a hash with one value over 64 bytes is hashtable-encoded and costs its bytes', () => {
    const hv = new HashValue();
    hset(hv, 'token', 'x'.repeat(100));
    expect(hv.encodingName()).toBe('hashtable');
    expect(hv.table).toBeNull();
    // Redis 7.0 MEMORY USAGE of the whole key is 280 bytes.
    expect(hv.memoryBytes()).toBeLessThan(250);
    expect(contents(hv)).toEqual({ token: 'x'.repeat(100) });
  });

  it('moves into a ByteTable past 128 fields, past 16 KiB, or past hash-max-listpack-entries, never back', () => {
    const many = new HashValue();
    hset(many, 'long', 'y'.repeat(65));
    for (let i = 0; i < 127; i++) hset(many, `f${i}`, 'v');
    expect(many.table).toBeNull();
    hset(many, 'f127', 'v');
    expect(many.table).not.toBeNull();
    expect(many.size()).toBe(129);

    const bulky = new HashValue();
    hset(bulky, 'a', 'z'.repeat(SMALL_TABLE_BYTES - 100));
    expect(bulky.table).toBeNull();
    hset(bulky, 'a', 'z'.repeat(SMALL_TABLE_BYTES + 100));
    expect(bulky.table).not.toBeNull();
    expect(contents(bulky)).toEqual({ a: 'z'.repeat(SMALL_TABLE_BYTES + 100) });

    const lowered = new HashValue();
    hset(lowered, 'a', 'q'.repeat(80), 2);
    hset(lowered, 'b', '1', 2);
    expect(lowered.table).toBeNull();
    hset(lowered, 'c', '1', 2);
    expect(lowered.table).not.toBeNull();

    for (const hv of [many, bulky, lowered]) {
      expect(hv.encodingName()).toBe('hashtable');
      while (hv.size() > 1) {
        hv.readEntry(hv.first(), e);
        const f = text(e.field);
        expect(hv.remove(b(f), 0, f.length)).toBe(true);
      }
      expect(hv.encodingName()).toBe('hashtable');
    }
  });

  it('sets: 129 members, or members over 64 bytes, cost about what Redis spends', () => {
    const s129 = new SetValue();
    for (let i = 0; i < 129; i++) s129.add(b(`m${i}`), 0, `m${i}`.length, 512);
    expect(s129.encodingName()).toBe('hashtable');
    expect(s129.kind).toBe(SetKind.TABLE);
    // Redis 7.0: 7,304 bytes for the key.
    expect(s129.memoryBytes()).toBeLessThan(9000);

    const long = new SetValue();
    const m = 'y'.repeat(65);
    long.add(b(m), 0, m.length, 512);
    expect(long.encodingName()).toBe('hashtable');
    expect(long.kind).toBe(SetKind.PACKED);
    // Redis 7.0: 240 bytes for the key.
    expect(long.memoryBytes()).toBeLessThan(250);
    const big = 'w'.repeat(5000);
    long.add(b(big), 0, big.length, 512);
    expect(long.kind).toBe(SetKind.TABLE);
    expect(long.has(b(m), 0, m.length) && long.has(b(big), 0, big.length)).toBe(true);

    // From an intset, a long member packs the integers rather than building a table.
    const ints = new SetValue();
    for (let i = 0; i < 10; i++) ints.add(b(String(i)), 0, String(i).length, 512);
    ints.add(b(m), 0, m.length, 512);
    expect(ints.kind).toBe(SetKind.PACKED);
    expect(ints.size()).toBe(11);
  });
});
