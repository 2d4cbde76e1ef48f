/*
 * The intset blob of RDB_TYPE_SET_INTSET (intset.c): encoding (u32 LE: 2, 4 or 8 bytes per
 * member) | length (u32 LE) | members, sorted ascending, little-endian signed integers of
 * that width. The writer picks the narrowest width holding every member, as intsetAdd's
 * upgrades leave it. The reader checks the header against the blob's size
 * (intsetValidateIntegrity, shallow); order and uniqueness are left to the set it fills.
 */

/** Members (ascending int64s, numbers or bigints) as an intset blob. */
export function encodeIntset(count: number, get: (i: number) => number | bigint): Buffer {
  let width = 2;
  for (let i = 0; i < count; i++) {
    const v = get(i);
    if (typeof v === 'bigint' || v < -2147483648 || v > 2147483647) {
      width = 8;
      break;
    }
    if (v < -32768 || v > 32767) width = 4;
  }
  const out = Buffer.allocUnsafe(8 + count * width);
  out.writeUInt32LE(width, 0);
  out.writeUInt32LE(count, 4);
  for (let i = 0; i < count; i++) {
    const v = get(i);
    const p = 8 + i * width;
    if (width === 2) out.writeInt16LE(v as number, p);
    else if (width === 4) out.writeInt32LE(v as number, p);
    else out.writeBigInt64LE(BigInt(v), p);
  }
  return out;
}

/** Visit an intset blob's members in stored order; false when its header does not fit the blob. */
export function decodeIntset(blob: Uint8Array, visit: (v: number | bigint) => boolean): boolean {
  if (blob.length < 8) return false;
  const view = new DataView(blob.buffer, blob.byteOffset, blob.byteLength);
  const width = view.getUint32(0, true);
  const count = view.getUint32(4, true);
  if ((width !== 2 && width !== 4 && width !== 8) || 8 + count * width !== blob.length) return false;
  for (let i = 0; i < count; i++) {
    const p = 8 + i * width;
    let v: number | bigint;
    if (width === 2) v = view.getInt16(p, true);
    else if (width === 4) v = view.getInt32(p, true);
    else {
      const b = view.getBigInt64(p, true);
      v = b >= -9007199254740991n && b <= 9007199254740991n ? Number(b) : b;
    }
    if (!visit(v)) return false;
  }
  return true;
}
