/*
 * Listpack: Redis 7.0's packed element list (listpack.c), which RDB payloads carry verbatim for
 * small hashes and sorted sets, list nodes and stream nodes.
 *
 *     total-bytes (u32 LE) | count (u16 LE, 65535 = unknown) | entries ... | 0xFF
 *     entry = encoding + data | backlen (the entry's size, 1-5 bytes of 7 bits, read backwards)
 *
 * Encodings: 0xxxxxxx a 7-bit uint; 10xxxxxx a string of up to 63 bytes; 110xxxxx a 13-bit
 * int; 1110xxxx a string of up to 4095 bytes; 0xF0 a string with a u32 length; 0xF1..0xF4
 * 16/24/32/64-bit ints. A string that is canonical int64 text is stored as an integer
 * (lpStringToInt64), so elements read back as the same bytes.
 *
 * ListpackWriter builds one listpack in a reusable buffer (the caller copies the result out,
 * the RDB writer does). ListpackReader walks one that may be corrupt: it checks the header's
 * total against the input and every entry's bounds, and a reader that meets a malformed entry
 * stops with `bad` set rather than throwing. Sanitization as deep as Redis's
 * sanitize-dump-payload (backlen checks) is not done: nothing here can read outside the
 * input whatever the bytes. Cost: O(bytes).
 */
import { isCanonicalInt64, parseCanonicalInt, formatInteger } from '../../store/integer-text.ts';
import { formatDouble } from '../../protocol/encoder.ts';
import { copyBytes } from '../../store/bytes.ts';

const HEADER = 6;
const EOF_BYTE = 0xff;

function backlenSize(l: number): number {
  return l <= 127 ? 1 : l < 16383 ? 2 : l < 2097151 ? 3 : l < 268435455 ? 4 : 5;
}

export class ListpackWriter {
  private buf = Buffer.allocUnsafe(1024);
  private pos = HEADER;
  count = 0;

  /** Start a new listpack; a buffer grown past 1 MB by an earlier one is dropped. */
  reset(): void {
    this.pos = HEADER;
    this.count = 0;
    if (this.buf.length > 1 << 20) this.buf = Buffer.allocUnsafe(1024);
  }

  /** Bytes the listpack would have if finished now. */
  get size(): number {
    return this.pos + 1;
  }

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < this.pos + n) cap *= 2;
    const b = Buffer.allocUnsafe(cap);
    this.buf.copy(b, 0, 0, this.pos);
    this.buf = b;
  }

  private backlen(l: number): void {
    const b = this.buf;
    const n = backlenSize(l);
    // Big-endian groups of 7 bits; every byte but the first has the high bit set.
    for (let i = n - 1; i >= 0; i--) {
      b[this.pos + i] = (l & 127) | (i === 0 ? 0 : 128);
      l = Math.floor(l / 128);
    }
    this.pos += n;
  }

  /** lpAppend of src[off, off+len): an integer when it is canonical int64 text. */
  appendString(src: Uint8Array, off: number, len: number): void {
    if (len > 0 && len <= 20 && isCanonicalInt64(src, off, len)) {
      this.appendInteger(parseCanonicalInt(src, off, len));
      return;
    }
    const head = len < 64 ? 1 : len < 4096 ? 2 : 5;
    this.ensure(head + len + 5);
    const b = this.buf;
    if (len < 64) {
      b[this.pos] = 0x80 | len;
    } else if (len < 4096) {
      b[this.pos] = 0xe0 | (len >> 8);
      b[this.pos + 1] = len & 0xff;
    } else {
      b[this.pos] = 0xf0;
      b.writeUInt32LE(len, this.pos + 1);
    }
    this.pos += head;
    copyBytes(src, off, b, this.pos, len);
    this.pos += len;
    this.backlen(head + len);
    this.count++;
  }

  /** lpAppendInteger. */
  appendInteger(v: number | bigint): void {
    this.ensure(14);
    const b = this.buf;
    const p = this.pos;
    let n: number;
    if (typeof v === 'bigint' && v >= -9007199254740991n && v <= 9007199254740991n) v = Number(v);
    if (typeof v === 'bigint') {
      b[p] = 0xf4;
      b.writeBigInt64LE(v, p + 1);
      n = 9;
    } else if (v >= 0 && v <= 127) {
      b[p] = v;
      n = 1;
    } else if (v >= -4096 && v <= 4095) {
      const u = v < 0 ? 8192 + v : v;
      b[p] = 0xc0 | (u >> 8);
      b[p + 1] = u & 0xff;
      n = 2;
    } else if (v >= -32768 && v <= 32767) {
      b[p] = 0xf1;
      b.writeInt16LE(v, p + 1);
      n = 3;
    } else if (v >= -8388608 && v <= 8388607) {
      b[p] = 0xf2;
      b.writeIntLE(v, p + 1, 3);
      n = 4;
    } else if (v >= -2147483648 && v <= 2147483647) {
      b[p] = 0xf3;
      b.writeInt32LE(v, p + 1);
      n = 5;
    } else {
      b[p] = 0xf4;
      b.writeBigInt64LE(BigInt(v), p + 1);
      n = 9;
    }
    this.pos += n;
    this.backlen(n);
    this.count++;
  }

  /** The finished listpack (header and terminator written), a view valid until the next write. */
  finish(): Uint8Array {
    this.ensure(1);
    const b = this.buf;
    b[this.pos] = EOF_BYTE;
    const total = this.pos + 1;
    b.writeUInt32LE(total, 0);
    b.writeUInt16LE(this.count < 65535 ? this.count : 65535, 4);
    return b.subarray(0, total);
  }
}

/**
 * Walks a listpack's entries. After next() returns true the entry is either an integer
 * (isInt, intValue) or a string (lp[off, off+len)); bytes() gives either as text.
 */
export class ListpackReader {
  lp: Uint8Array = new Uint8Array(0);
  private pos = 0;
  private last = 0;
  /** Header element count (65535: unknown). */
  headerCount = 0;
  /** A malformed entry was met. */
  bad = false;
  isInt = false;
  intValue: number | bigint = 0;
  off = 0;
  len = 0;
  private readonly text = new Uint8Array(24);
  private view: DataView = new DataView(new ArrayBuffer(0));

  /** Start on lp; false (and bad) when the header or terminator is wrong (lpValidateIntegrity, shallow). */
  init(lp: Uint8Array): boolean {
    this.lp = lp;
    this.bad = true;
    if (lp.length < HEADER + 1) return false;
    this.view = new DataView(lp.buffer, lp.byteOffset, lp.byteLength);
    if (this.view.getUint32(0, true) !== lp.length || lp[lp.length - 1] !== EOF_BYTE) return false;
    this.headerCount = this.view.getUint16(4, true);
    this.pos = HEADER;
    this.last = lp.length - 1;
    this.bad = false;
    return true;
  }

  /** Advance to the next entry; false at the end or (with bad set) on a malformed entry. */
  next(): boolean {
    const lp = this.lp;
    const p = this.pos;
    if (this.bad || p >= this.last) return false;
    const e = lp[p];
    let size: number;
    const v = this.view;
    this.isInt = true;
    if (e < 0x80) {
      this.intValue = e;
      size = 1;
    } else if (e < 0xc0) {
      this.isInt = false;
      this.off = p + 1;
      this.len = e & 0x3f;
      size = 1 + this.len;
    } else if (e < 0xe0) {
      if (p + 2 > this.last) return this.fail();
      const u = ((e & 0x1f) << 8) | lp[p + 1];
      this.intValue = u >= 4096 ? u - 8192 : u;
      size = 2;
    } else if (e < 0xf0) {
      if (p + 2 > this.last) return this.fail();
      this.isInt = false;
      this.off = p + 2;
      this.len = ((e & 0x0f) << 8) | lp[p + 1];
      size = 2 + this.len;
    } else if (e === 0xf0) {
      if (p + 5 > this.last) return this.fail();
      this.isInt = false;
      this.off = p + 5;
      this.len = v.getUint32(p + 1, true);
      size = 5 + this.len;
    } else if (e === 0xf1) {
      if (p + 3 > this.last) return this.fail();
      this.intValue = v.getInt16(p + 1, true);
      size = 3;
    } else if (e === 0xf2) {
      if (p + 4 > this.last) return this.fail();
      const u = lp[p + 1] | (lp[p + 2] << 8) | (lp[p + 3] << 16);
      this.intValue = u >= 0x800000 ? u - 0x1000000 : u;
      size = 4;
    } else if (e === 0xf3) {
      if (p + 5 > this.last) return this.fail();
      this.intValue = v.getInt32(p + 1, true);
      size = 5;
    } else if (e === 0xf4) {
      if (p + 9 > this.last) return this.fail();
      const b = v.getBigInt64(p + 1, true);
      this.intValue = b >= -9007199254740991n && b <= 9007199254740991n ? Number(b) : b;
      size = 9;
    } else {
      return this.fail();
    }
    const end = p + size + backlenSize(size);
    if (end > this.last) return this.fail();
    this.pos = end;
    return true;
  }

  private fail(): boolean {
    this.bad = true;
    return false;
  }

  /** Read the next entry as an integer (a stream's counts and IDs); null when missing or not one. */
  nextInt(): number | bigint | null {
    if (!this.next()) return null;
    if (this.isInt) return this.intValue;
    if (this.len <= 20 && isCanonicalInt64(this.lp, this.off, this.len)) return parseCanonicalInt(this.lp, this.off, this.len);
    this.bad = true;
    return null;
  }

  /** The current entry as bytes: sets (buf, bOff, bLen), pointing into lp or at scratch text. */
  buf: Uint8Array = this.text;
  bOff = 0;
  bLen = 0;
  bytes(): void {
    if (this.isInt) {
      this.buf = this.text;
      this.bOff = 0;
      this.bLen = formatInteger(this.intValue, this.text, 0);
    } else {
      this.buf = this.lp;
      this.bOff = this.off;
      this.bLen = this.len;
    }
  }

  /** The current entry as a double (zset scores: integers, or text strtod would read); NaN when not one. */
  double(): number {
    if (this.isInt) return Number(this.intValue);
    return parseScoreText(this.lp, this.off, this.len);
  }

  /** Entries left unread would be read by next() (the walk is not at the terminator). */
  get atEnd(): boolean {
    return this.pos >= this.last;
  }
}

/** A score as zzlStrtod reads listpack text: strtod of the bytes, inf/-inf included; NaN when not a number. */
export function parseScoreText(buf: Uint8Array, off: number, len: number): number {
  if (len === 0 || len > 128) return NaN;
  const s = Buffer.from(buf.subarray(off, off + len)).toString('latin1');
  const t = s.toLowerCase();
  if (t === 'inf' || t === '+inf' || t === 'infinity' || t === '+infinity') return Infinity;
  if (t === '-inf' || t === '-infinity') return -Infinity;
  if (!/^[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?$/i.test(s)) return NaN;
  return Number(s);
}

/**
 * A score as a listpack holds it (zzlInsertAt's d2string, then lpAppend's integer test):
 * integral values within +-2^62 as integers, others as %.17g.
 */
export function listpackScoreText(d: number): string {
  if (d === Math.floor(d) && d >= -4611686018427387904 && d <= 4611686018427387904) {
    return d <= 9007199254740991 && d >= -9007199254740991 ? String(d) : BigInt(d).toString();
  }
  return formatDouble(d);
}
