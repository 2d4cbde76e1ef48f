/*
 * RdbWriter: the RDB value primitives as Redis 7.0's rdb.c writes them, into one growable
 * Buffer: rdbSaveLen (6/14/32/64-bit lengths), rdbSaveRawString (an int8/16/32 form for
 * integer text of at most 11 bytes, LZF when rdbcompression is on and the string is longer
 * than 20 bytes and shrinks by at least 4, else verbatim), rdbSaveLongLongAsStringObject,
 * little-endian millisecond times and binary doubles.
 *
 * The buffer doubles as it fills; result() copies the written bytes out, so one writer can be
 * reused. Cost: O(bytes written), plus LZF's O(n) per compressed string.
 */
import { lzfCompress } from './lzf.ts';
import { isCanonicalInt64, parseCanonicalInt } from '../../store/integer-text.ts';
import { copyBytes } from '../../store/bytes.ts';

/** RDB_ENCVAL (the top two bits) with RDB_ENC_INT8 / INT16 / INT32 / LZF. */
const ENC_INT8 = 0xc0;
const ENC_INT16 = 0xc1;
const ENC_INT32 = 0xc2;
const ENC_LZF = 0xc3;

export class RdbWriter {
  buf = Buffer.allocUnsafe(256);
  pos = 0;

  /** Start over; a buffer grown past keepBytes is dropped so one big value does not pin it. */
  reset(keepBytes = 1 << 20): void {
    this.pos = 0;
    if (this.buf.length > keepBytes) this.buf = Buffer.allocUnsafe(256);
  }

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < this.pos + n) cap *= 2;
    const b = Buffer.allocUnsafe(cap);
    this.buf.copy(b, 0, 0, this.pos);
    this.buf = b;
  }

  byte(b: number): void {
    this.ensure(1);
    this.buf[this.pos++] = b;
  }

  bytes(src: Uint8Array, off: number, len: number): void {
    this.ensure(len);
    copyBytes(src, off, this.buf, this.pos, len);
    this.pos += len;
  }

  /** rdbSaveLen. */
  length(len: number | bigint): void {
    if (typeof len === 'bigint' && len <= 0xffffffffn) len = Number(len);
    this.ensure(9);
    const b = this.buf;
    if (typeof len === 'number' && len < 64) {
      b[this.pos++] = len;
    } else if (typeof len === 'number' && len < 16384) {
      b[this.pos++] = 0x40 | (len >> 8);
      b[this.pos++] = len & 0xff;
    } else if (len <= 0xffffffff) {
      b[this.pos++] = 0x80;
      b.writeUInt32BE(Number(len), this.pos);
      this.pos += 4;
    } else {
      b[this.pos++] = 0x81;
      b.writeBigUInt64BE(BigInt(len), this.pos);
      this.pos += 8;
    }
  }

  /** rdbEncodeInteger: the int8/16/32 form of v, false when v is outside int32. */
  private encodedInteger(v: number): boolean {
    this.ensure(5);
    const b = this.buf;
    if (v >= -128 && v <= 127) {
      b[this.pos++] = ENC_INT8;
      b.writeInt8(v, this.pos);
      this.pos += 1;
    } else if (v >= -32768 && v <= 32767) {
      b[this.pos++] = ENC_INT16;
      b.writeInt16LE(v, this.pos);
      this.pos += 2;
    } else if (v >= -2147483648 && v <= 2147483647) {
      b[this.pos++] = ENC_INT32;
      b.writeInt32LE(v, this.pos);
      this.pos += 4;
    } else {
      return false;
    }
    return true;
  }

  /** rdbSaveRawString of src[off, off+len). */
  string(src: Uint8Array, off: number, len: number, compress: boolean): void {
    if (len <= 11 && isCanonicalInt64(src, off, len)) {
      const v = parseCanonicalInt(src, off, len);
      if (typeof v === 'number' && this.encodedInteger(v)) return;
    }
    if (compress && len > 20) {
      const packed = lzfCompress(src.subarray(off, off + len), len - 4);
      if (packed !== null) {
        this.byte(ENC_LZF);
        this.length(packed.length);
        this.length(len);
        this.bytes(packed, 0, packed.length);
        return;
      }
    }
    this.length(len);
    this.bytes(src, off, len);
  }

  /** rdbSaveLongLongAsStringObject. */
  integerString(v: number | bigint): void {
    if (typeof v === 'number' && this.encodedInteger(v)) return;
    const text = Buffer.from(String(v), 'latin1');
    this.length(text.length);
    this.bytes(text, 0, text.length);
  }

  /** rdbSaveMillisecondTime: a signed 64-bit little-endian integer. */
  millis(ms: number): void {
    this.ensure(8);
    this.buf.writeBigInt64LE(BigInt(Math.trunc(ms)), this.pos);
    this.pos += 8;
  }

  /** rdbSaveBinaryDoubleValue. */
  binaryDouble(d: number): void {
    this.ensure(8);
    this.buf.writeDoubleLE(d, this.pos);
    this.pos += 8;
  }

  /** A copy of the bytes written so far. */
  result(): Buffer {
    return Buffer.from(this.buf.subarray(0, this.pos));
  }
}
