/*
 * Ziplist: the packed list of Redis before 7.0 (ziplist.c), which 7.0 still loads from RDB
 * payloads (RDB_TYPE_LIST_ZIPLIST, ZSET_ZIPLIST, HASH_ZIPLIST and the nodes of
 * RDB_TYPE_LIST_QUICKLIST) and converts to listpacks. Read-only here.
 *
 *     zlbytes (u32 LE) | zltail (u32 LE) | zllen (u16 LE) | entries ... | 0xFF
 *     entry = prevlen (1 byte, or 0xFE + u32 LE) | encoding | data
 *
 * Encodings: 00pppppp / 01pppppp qqqqqqqq (big-endian) / 10000000 + u32 BE: strings;
 * 0xC0 int16, 0xD0 int32, 0xE0 int64, 0xF0 int24, 0xFE int8, 0xF1..0xFD the values 0..12.
 * Every entry is bounds-checked; a malformed one ends the walk with a false result.
 */

/** Visit each element as bytes (integers as their decimal text); false when the blob is malformed. */
export function decodeZiplist(zl: Uint8Array, visit: (buf: Uint8Array, off: number, len: number) => boolean): boolean {
  if (zl.length < 11) return false;
  const view = new DataView(zl.buffer, zl.byteOffset, zl.byteLength);
  if (view.getUint32(0, true) !== zl.length || zl[zl.length - 1] !== 0xff) return false;
  const last = zl.length - 1;
  let p = 10;
  while (p < last) {
    p += zl[p] === 0xfe ? 5 : 1;
    if (p >= last) return false;
    const e = zl[p];
    const kind = e >> 6;
    let off: number;
    let len: number;
    let int: number | bigint | null = null;
    if (kind === 0) {
      off = p + 1;
      len = e & 0x3f;
    } else if (kind === 1) {
      if (p + 2 > last) return false;
      off = p + 2;
      len = ((e & 0x3f) << 8) | zl[p + 1];
    } else if (kind === 2) {
      if (e !== 0x80 || p + 5 > last) return false;
      off = p + 5;
      len = view.getUint32(p + 1);
    } else {
      off = p + 1;
      if (e === 0xc0) {
        len = 2;
        if (off + 2 <= last) int = view.getInt16(off, true);
      } else if (e === 0xd0) {
        len = 4;
        if (off + 4 <= last) int = view.getInt32(off, true);
      } else if (e === 0xe0) {
        len = 8;
        if (off + 8 <= last) {
          const b = view.getBigInt64(off, true);
          int = b >= -9007199254740991n && b <= 9007199254740991n ? Number(b) : b;
        }
      } else if (e === 0xf0) {
        len = 3;
        if (off + 3 <= last) {
          const u = zl[off] | (zl[off + 1] << 8) | (zl[off + 2] << 16);
          int = u >= 0x800000 ? u - 0x1000000 : u;
        }
      } else if (e === 0xfe) {
        len = 1;
        if (off + 1 <= last) int = view.getInt8(off);
      } else if (e >= 0xf1 && e <= 0xfd) {
        len = 0;
        int = (e & 0x0f) - 1;
      } else {
        return false;
      }
      if (int === null) return false;
    }
    if (off + len > last) return false;
    if (int !== null) {
      const text = Buffer.from(String(int), 'latin1');
      if (!visit(text, 0, text.length)) return false;
    } else if (!visit(zl, off, len)) {
      return false;
    }
    p = off + len;
  }
  return true;
}
