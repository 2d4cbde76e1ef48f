import { describe, expect, it } from 'vitest';
import { COLD_BYTES, EntryTable, FIRST_SEG_SIZE, R_HASH, R_KLEN, R_LOC, RECORD_BYTES, SEG_SIZE, type MemoryMeter } from '../../store/entry-table.ts';
import { KeyType } from '../../store/types.ts';

function write(t: EntryTable, id: number): void {
  t.set(id, R_LOC, id * 3);
  t.set(id, R_KLEN, id & 0xffff);
  t.set(id, R_HASH, (id * 2654435761) >>> 0);
  t.setMeta(id, KeyType.STRING, 1, id & 0xff);
  t.setExpire(id, 1_700_000_000_000 + id);
  t.setWprev(id, id - 1);
  t.setWnext(id, id + 1);
  t.setVpos(id, id * 2);
}

function intact(t: EntryTable, id: number): boolean {
  return (
    t.loc(id) === id * 3 &&
    t.klen(id) === (id & 0xffff) &&
    t.hash(id) === (id * 2654435761) >>> 0 &&
    t.type(id) === KeyType.STRING &&
    t.enc(id) === 1 &&
    t.db(id) === (id & 0xff) &&
    t.expire(id) === 1_700_000_000_000 + id &&
    t.wprev(id) === id - 1 &&
    t.wnext(id) === id + 1 &&
    t.vpos(id) === id * 2
  );
}

describe('EntryTable', () => {
  it('starts small, doubles its first segment up to full size, then adds segments, keeping every record', () => {
    const meter: MemoryMeter = { tableBytes: 0 };
    const t = new EntryTable(1 << 24, meter);
    expect(t.capacity).toBe(FIRST_SEG_SIZE);
    const capacities = [t.capacity];
    const n = SEG_SIZE * 2 + 100;
    for (let i = 0; i < n; i++) {
      const id = t.alloc();
      expect(id).toBe(i);
      write(t, id);
      if (t.capacity !== capacities[capacities.length - 1]) capacities.push(t.capacity);
    }
    const expected: number[] = [];
    for (let c = FIRST_SEG_SIZE; c <= SEG_SIZE; c *= 2) expected.push(c);
    expected.push(SEG_SIZE * 2, SEG_SIZE * 3);
    expect(capacities).toEqual(expected);
    expect(t.rs.length).toBe(3);
    let damaged = 0;
    for (let id = 0; id < n; id++) if (!intact(t, id)) damaged++;
    expect(damaged).toBe(0);
    expect(meter.tableBytes).toBe(t.bytes());
    for (let id = 0; id < n; id++) t.free(id);
    expect(t.count).toBe(0);
    t.reset();
    expect(t.capacity).toBe(FIRST_SEG_SIZE);
    expect(meter.tableBytes).toBe(t.bytes());
    expect(t.bytes()).toBe(FIRST_SEG_SIZE * (RECORD_BYTES + 4));
  });

  it('reset() of a table still at its first size clears it in place: fresh records, same memory', () => {
    const meter: MemoryMeter = { tableBytes: 0 };
    const t = new EntryTable(1 << 24, meter);
    const fresh = new EntryTable(1 << 24, { tableBytes: 0 });
    for (let i = 0; i < 300; i++) write(t, t.alloc());
    for (let id = 0; id < 100; id++) t.free(id);
    const records = t.rs[0];
    t.reset();
    expect(t.rs[0]).toBe(records);
    expect(t.count).toBe(0);
    expect(meter.tableBytes).toBe(t.bytes());
    // The cold words the written TTLs gave the segment stay with it.
    expect(t.bytes()).toBe(FIRST_SEG_SIZE * (RECORD_BYTES + COLD_BYTES + 4));
    for (let i = 0; i < 300; i++) {
      const id = t.alloc();
      expect(id).toBe(fresh.alloc());
      for (const f of [R_LOC, R_KLEN, R_HASH]) expect(t.get(id, f)).toBe(fresh.get(id, f));
      expect([t.type(id), t.expire(id), t.wprev(id), t.wnext(id), t.vpos(id)]).toEqual([fresh.type(id), fresh.expire(id), fresh.wprev(id), fresh.wnext(id), fresh.vpos(id)]);
    }
  });

  it('gives a segment cold words only when one of its entries first gets a TTL, and keeps them through growth', () => {
    const meter: MemoryMeter = { tableBytes: 0 };
    const t = new EntryTable(1 << 24, meter);
    const n = SEG_SIZE * 3;
    for (let i = 0; i < n; i++) t.set(t.alloc(), R_LOC, i);
    const withoutCold = t.bytes();
    expect(withoutCold).toBe(t.capacity * RECORD_BYTES + FIRST_SEG_SIZE * 4);
    expect(meter.tableBytes).toBe(withoutCold);
    for (const id of [0, SEG_SIZE + 7, n - 1]) expect([t.wprev(id), t.wnext(id), t.vpos(id)]).toEqual([-1, -1, -1]);

    const ttl = SEG_SIZE + 7;
    t.setVpos(ttl, 5);
    t.setWprev(ttl, -3);
    t.setWnext(ttl, ttl + 1);
    expect(t.bytes()).toBe(withoutCold + SEG_SIZE * COLD_BYTES);
    expect(meter.tableBytes).toBe(t.bytes());
    expect([t.wprev(ttl), t.wnext(ttl), t.vpos(ttl)]).toEqual([-3, ttl + 1, 5]);
    for (const id of [ttl - 1, ttl + 1, 0, n - 1]) expect([t.wprev(id), t.wnext(id), t.vpos(id)]).toEqual([-1, -1, -1]);

    // A freed id handed out again starts with no TTL links, in a segment with cold words too.
    t.free(ttl);
    expect(t.alloc()).toBe(ttl);
    expect([t.wprev(ttl), t.wnext(ttl), t.vpos(ttl)]).toEqual([-1, -1, -1]);

    for (let id = 0; id < n; id++) t.free(id);
    t.reset();
    expect(meter.tableBytes).toBe(t.bytes());
    expect(t.bytes()).toBe(FIRST_SEG_SIZE * (RECORD_BYTES + 4));
  });

  it('keeps the first segment\'s cold words when that segment doubles', () => {
    const meter: MemoryMeter = { tableBytes: 0 };
    const t = new EntryTable(1 << 24, meter);
    t.setVpos(t.alloc(), 9);
    for (let i = 1; i < FIRST_SEG_SIZE * 2 + 1; i++) t.alloc();
    expect(t.capacity).toBe(FIRST_SEG_SIZE * 4);
    expect(t.vpos(0)).toBe(9);
    expect(t.vpos(FIRST_SEG_SIZE * 2)).toBe(-1);
    t.setVpos(FIRST_SEG_SIZE * 3, 4);
    expect(t.vpos(FIRST_SEG_SIZE * 3)).toBe(4);
    expect(t.bytes()).toBe(FIRST_SEG_SIZE * 4 * (RECORD_BYTES + COLD_BYTES) + FIRST_SEG_SIZE * 4);
    expect(meter.tableBytes).toBe(t.bytes());
  });
});
