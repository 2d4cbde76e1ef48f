/*
 * Zipmap: the small-hash encoding of Redis 2.4 and older (zipmap.c), which 7.0 still loads
 * from RDB_TYPE_HASH_ZIPMAP payloads. Read-only here.
 *
 *     zmlen (1 byte) | entries ... | 0xFF
 *     entry = len(key) | key | len(value) | free (1 byte) | value | free unused bytes
 *     len = 1 byte below 254, or 0xFE + u32 LE
 */

/** Visit each field and value; false when the blob is malformed. */
export function decodeZipmap(zm: Uint8Array, visit: (buf: Uint8Array, foff: number, flen: number, voff: number, vlen: number) => boolean): boolean {
  const end = zm.length;
  if (end < 2) return false;
  const view = new DataView(zm.buffer, zm.byteOffset, zm.byteLength);
  let p = 1;
  const readLen = (): number => {
    if (p >= end) return -1;
    const b = zm[p];
    if (b < 254) {
      p += 1;
      return b;
    }
    if (b === 254 && p + 5 <= end) {
      const v = view.getUint32(p + 1, true);
      p += 5;
      return v;
    }
    return -1;
  };
  for (;;) {
    if (p >= end) return false;
    if (zm[p] === 0xff) return p === end - 1;
    const flen = readLen();
    if (flen < 0 || p + flen > end) return false;
    const foff = p;
    p += flen;
    const vlen = readLen();
    if (vlen < 0 || p + 1 + vlen > end) return false;
    const free = zm[p];
    const voff = p + 1;
    p = voff + vlen + free;
    if (p > end) return false;
    if (!visit(zm, foff, flen, voff, vlen)) return false;
  }
}
