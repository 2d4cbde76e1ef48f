/*
 * RdbReader: the RDB value primitives as Redis 7.0's rdb.c loads them (rdbLoadLen,
 * rdbGenericLoadStringObject with its int8/16/32 and LZF forms, millisecond times, binary
 * and text doubles), over a byte range that may be corrupt or truncated.
 *
 * Every read is bounds-checked and answers null (or NaN / -1 where stated) on malformed
 * input instead of throwing: a bad payload is an expected outcome for RESTORE. A length is
 * checked against the bytes that remain before anything is allocated for it, so a forged
 * length cannot ask for gigabytes. Strings come back as views into the input when stored
 * verbatim (valid while the input is; callers copy what they keep) and as new buffers when
 * they had to be decoded. Cost: O(bytes read).
 */
import { lzfDecompress } from './lzf.ts';

export class RdbReader {
  pos: number;
  readonly end: number;
  readonly data: Uint8Array;
  private readonly view: DataView;
  /** The last length() read was an RDB_ENCVAL marker (its value is the encoding). */
  encoded = false;

  constructor(data: Uint8Array, start = 0, end = data.length) {
    this.data = data;
    this.pos = start;
    this.end = end;
    this.view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  }

  get remaining(): number {
    return this.end - this.pos;
  }

  /** One byte, or -1 at the end. */
  byte(): number {
    return this.pos < this.end ? this.data[this.pos++] : -1;
  }

  /** rdbLoadLen: a length (or, when `encoded` is set, an encoding type); null when malformed. */
  length(): number | null {
    const big = this.lengthBig();
    if (big === null) return null;
    return big <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(big) : null;
  }

  /** rdbLoadLen as an exact unsigned 64-bit value. */
  lengthBig(): bigint | null {
    if (this.pos >= this.end) return null;
    const first = this.data[this.pos++];
    const type = first >> 6;
    this.encoded = false;
    if (type === 3) {
      this.encoded = true;
      return BigInt(first & 0x3f);
    }
    if (type === 0) return BigInt(first & 0x3f);
    if (type === 1) {
      if (this.pos >= this.end) return null;
      return BigInt(((first & 0x3f) << 8) | this.data[this.pos++]);
    }
    if (first === 0x80) {
      if (this.pos + 4 > this.end) return null;
      const v = this.view.getUint32(this.pos);
      this.pos += 4;
      return BigInt(v);
    }
    if (first === 0x81) {
      if (this.pos + 8 > this.end) return null;
      const v = this.view.getBigUint64(this.pos);
      this.pos += 8;
      return v;
    }
    return null;
  }

  /** len raw bytes as a view, or null when fewer remain. */
  raw(len: number): Uint8Array | null {
    if (len > this.end - this.pos) return null;
    const out = this.data.subarray(this.pos, this.pos + len);
    this.pos += len;
    return out;
  }

  /** rdbGenericLoadStringObject: the string's bytes, or null when malformed. */
  string(): Uint8Array | null {
    const len = this.length();
    if (len === null) return null;
    if (!this.encoded) return this.raw(len);
    const v = this.view;
    const p = this.pos;
    switch (len) {
      case 0:
        if (p + 1 > this.end) return null;
        this.pos += 1;
        return Buffer.from(String(v.getInt8(p)), 'latin1');
      case 1:
        if (p + 2 > this.end) return null;
        this.pos += 2;
        return Buffer.from(String(v.getInt16(p, true)), 'latin1');
      case 2:
        if (p + 4 > this.end) return null;
        this.pos += 4;
        return Buffer.from(String(v.getInt32(p, true)), 'latin1');
      case 3: {
        const clen = this.length();
        if (clen === null || this.encoded) return null;
        const olen = this.length();
        if (olen === null || this.encoded) return null;
        const packed = this.raw(clen);
        // LZF expands at most ~ 264/2 times per 2 input bytes: a longer claim is forged.
        if (packed === null || olen > clen * 132 + 32) return null;
        return lzfDecompress(packed, olen);
      }
      default:
        return null;
    }
  }

  /** rdbLoadMillisecondTime (RDB >= 9: little endian); NaN when truncated. */
  millis(): number {
    if (this.pos + 8 > this.end) return NaN;
    const v = this.view.getBigInt64(this.pos, true);
    this.pos += 8;
    return Number(v);
  }

  /** rdbLoadBinaryDoubleValue; NaN when truncated (a stored NaN is rejected by callers anyway). */
  binaryDouble(): number {
    if (this.pos + 8 > this.end) return NaN;
    const d = this.view.getFloat64(this.pos, true);
    this.pos += 8;
    return d;
  }

  /** rdbLoadDoubleValue (RDB_TYPE_ZSET's text doubles); NaN when malformed or NaN. */
  textDouble(): number {
    const len = this.byte();
    if (len < 0) return NaN;
    if (len === 255) return -Infinity;
    if (len === 254) return Infinity;
    if (len === 253) return NaN;
    const text = this.raw(len);
    if (text === null) return NaN;
    const s = Buffer.from(text).toString('latin1').trim();
    if (/^[-+]?inf(inity)?$/i.test(s)) return s[0] === '-' ? -Infinity : Infinity;
    const d = Number.parseFloat(s);
    return d;
  }
}
