import { describe, expect, it } from 'vitest';
import { crc16, keyHashSlot, slotShard, SLOT_COUNT } from '../../store/hash-slot.ts';
import { b } from './helpers.ts';

const slot = (s: string) => keyHashSlot(b(s), 0, s.length);

describe('hash-slot', () => {
  it('computes CRC16-XMODEM', () => {
    expect(crc16(b('123456789'), 0, 9)).toBe(0x31c3);
    expect(crc16(b(''), 0, 0)).toBe(0);
  });

  it('matches CLUSTER KEYSLOT for plain keys', () => {
    expect(slot('foo')).toBe(12182);
    expect(slot('bar')).toBe(5061);
    expect(slot('somekey')).toBe(11058);
    expect(slot('')).toBe(0);
  });

  it('follows the {hash tag} rules', () => {
    expect(slot('{user1000}.following')).toBe(slot('user1000'));
    expect(slot('{user1000}.followers')).toBe(slot('user1000'));
    // empty tag: whole key
    expect(slot('foo{}{bar}')).toBe(crc16(b('foo{}{bar}'), 0, 10) & 16383);
    // tag is between the first { and the first } after it
    expect(slot('foo{{bar}}zap')).toBe(slot('{bar'));
    expect(slot('foo{bar}{zap}')).toBe(slot('bar'));
    // no closing brace: whole key
    expect(slot('foo{bar')).toBe(crc16(b('foo{bar'), 0, 7) & 16383);
  });

  it('hashes a sub-range of a larger buffer', () => {
    const buf = b('xx{tag}yyzz');
    expect(keyHashSlot(buf, 2, 7)).toBe(slot('tag'));
  });

  it('maps slots to contiguous shard ranges', () => {
    expect(slotShard(0, 6)).toBe(0);
    expect(slotShard(SLOT_COUNT - 1, 6)).toBe(63);
    expect(slotShard(255, 6)).toBe(0);
    expect(slotShard(256, 6)).toBe(1);
    expect(slotShard(12345, 0)).toBe(0);
  });
});
