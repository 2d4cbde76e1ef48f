/*
 * Redis Cluster hash slots.
 *
 * What: keyHashSlot() is redis-server's keyHashSlot(): CRC16-XMODEM (poly 0x1021, init 0) of the
 * key, or of its {hash tag}, masked to 14 bits (16384 slots). The tag is the bytes between the
 * first '{' and the first '}' after it; an empty tag ("{}") or a missing '}' hashes the whole
 * key, exactly as Redis does. slotShard() maps slots to shards as contiguous ranges, so a shard
 * is a slot range that could later be handed to another thread or node as a unit.
 *
 * Invariants: the same bytes always give the same slot; keys sharing a non-empty hash tag share
 * a slot, hence a shard (multi-key commands on tagged keys stay within one shard).
 *
 * Cost: one table lookup per hashed byte; no allocation. The 512-byte table is built once.
 *
 * Why: cluster compatibility (CLUSTER KEYSLOT answers the same) and shard routing in one hash.
 */

export const SLOT_COUNT = 16384;
export const SLOT_BITS = 14;

const CRC16_TABLE = new Uint16Array(256);
for (let i = 0; i < 256; i++) {
  let crc = i << 8;
  for (let b = 0; b < 8; b++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  CRC16_TABLE[i] = crc;
}

/** CRC16-XMODEM of buf[off .. off+len). */
export function crc16(buf: Uint8Array, off: number, len: number): number {
  const t = CRC16_TABLE;
  let crc = 0;
  const end = off + len;
  for (let i = off; i < end; i++) crc = ((crc << 8) & 0xff00) ^ t[((crc >>> 8) ^ buf[i]) & 0xff];
  return crc;
}

/** Redis Cluster hash slot (0..16383) of the key buf[off .. off+len), honouring {hash tags}. */
export function keyHashSlot(buf: Uint8Array, off: number, len: number): number {
  const end = off + len;
  let s = off;
  while (s < end && buf[s] !== 0x7b) s++;
  if (s === end) return crc16(buf, off, len) & 0x3fff;
  let e = s + 1;
  while (e < end && buf[e] !== 0x7d) e++;
  if (e === end || e === s + 1) return crc16(buf, off, len) & 0x3fff;
  return crc16(buf, s + 1, e - s - 1) & 0x3fff;
}

/** Shard of a slot when there are 2^shardBits shards: contiguous slot ranges. */
export function slotShard(slot: number, shardBits: number): number {
  return slot >>> (SLOT_BITS - shardBits);
}
