/*
 * The DUMP payload envelope (cluster.c's createDumpPayload / verifyDumpPayload), shared by
 * DUMP/RESTORE and FUNCTION DUMP/RESTORE:
 *
 *     ... RDB body | RDB version (2 bytes, LE) | CRC-64 of everything before it (8 bytes, LE)
 *
 * A payload is accepted when its version is not newer than ours (10, Redis 7.0) and its
 * checksum matches.
 */
import { crc64 } from './crc64.ts';
import type { RdbWriter } from './rdb-writer.ts';

/** RDB_VERSION of Redis 7.0. */
export const RDB_VERSION = 10;

/** Append the version and the CRC-64 to the body in w. */
export function sealDumpPayload(w: RdbWriter): void {
  w.byte(RDB_VERSION & 0xff);
  w.byte((RDB_VERSION >> 8) & 0xff);
  const crc = crc64(w.buf.subarray(0, w.pos));
  w.bytes(bigLE(crc), 0, 8);
}

function bigLE(v: bigint): Buffer {
  const b = Buffer.allocUnsafe(8);
  b.writeBigUInt64LE(v);
  return b;
}

/** verifyDumpPayload: at least the 10-byte footer, a version <= ours, and a matching CRC-64. */
export function verifyDumpPayload(data: Uint8Array, off: number, len: number): boolean {
  if (len < 10) return false;
  const footer = off + len - 10;
  const version = data[footer] | (data[footer + 1] << 8);
  if (version > RDB_VERSION) return false;
  const crc = crc64(data.subarray(off, off + len - 8));
  const stored = new DataView(data.buffer, data.byteOffset + off + len - 8, 8).getBigUint64(0, true);
  return crc === stored;
}
