/*
 * Bitmap commands (Redis 7.0 bitops.c semantics) on string values: SETBIT, GETBIT, BITCOUNT
 * and BITPOS (BYTE|BIT ranges), BITOP AND/OR/XOR/NOT, BITFIELD and BITFIELD_RO (GET / SET /
 * INCRBY, OVERFLOW WRAP/SAT/FAIL, i1..i64 and u1..u63, `#n` offsets).
 *
 * Bit 0 is the most significant bit of the first byte. Reads go straight to the value's bytes
 * in the slab (store.stringBytes). Writes touch only the bytes they change: SETBIT writes one
 * byte and BITFIELD at most nine per operation, through the store's SETRANGE primitive, which
 * zero-pads and grows the value in place (amortized, as Redis's sdsgrowzero) and leaves it
 * raw-encoded, as Redis's dbUnshareStringValue does; a large bitmap is never copied per bit.
 * BITFIELD values are int64/uint64: the field arithmetic and the overflow rules are done in
 * BigInt, exactly as the C code wraps.
 *
 * Keyspace events and WATCH as bitops.c: SETBIT and BITFIELD signal the key and publish
 * "setbit" only when the value was created, grew, or a bit / field changed (a BITFIELD whose
 * writes all failed with OVERFLOW FAIL publishes nothing, even when it created the key);
 * BITOP publishes "set" on its destination, or "del" when the result is empty and the
 * destination existed. The store publishes "new" itself when a key is created.
 */
import type { Client } from '../client.ts';
import type { Registry } from '../registry.ts';
import { R_ZERO, R_ONE, E_WRONGTYPE, E_SYNTAX, E_NOT_INTEGER, E_OOM, E_BIT_OFFSET, E_BIT_VALUE } from '../../protocol/replies.ts';
import { KeyType, Lookup, Encoding, Status, NO_TTL } from '../../store/types.ts';
import { parsed, parseInt64, parsedBigInt } from '../numbers.ts';
import { NotifyClass } from '../keyspace-events.ts';
import { copyBytes } from '../../store/bytes.ts';

function err(text: string): Buffer {
  return Buffer.from(`-${text}\r\n`, 'latin1');
}

const E_BIT_ARGUMENT = err('ERR The bit argument must be 1 or 0.');
const E_BITOP_NOT = err('ERR BITOP NOT must be called with a single source key.');
const E_BITFIELD_TYPE = err('ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.');
const E_OVERFLOW_TYPE = err('ERR Invalid OVERFLOW type specified');
const E_BITFIELD_RO = err('ERR BITFIELD_RO only supports the GET subcommand');

const POPCOUNT = new Uint8Array(256);
for (let i = 1; i < 256; i++) POPCOUNT[i] = (i & 1) + POPCOUNT[i >> 1];

const one = new Uint8Array(16);

// ---- helpers -------------------------------------------------------------------------------

/**
 * getBitOffsetFromArgument: a bit offset (with `#n` = n * bits when `bits` > 0), below
 * proto-max-bulk-len bytes; -1 after replying the error.
 */
function bitOffsetArg(c: Client, i: number, bits: number): number {
  const buf = c.argBuf;
  let off = c.argOff[i];
  let len = c.argLen[i];
  const usehash = bits > 0 && len > 0 && buf[off] === 35; /* # */
  if (usehash) {
    off++;
    len--;
  }
  if (!parseInt64(buf, off, len)) {
    c.reply.raw(E_BIT_OFFSET);
    return -1;
  }
  let value = parsedBigInt();
  if (usehash) value = BigInt.asIntN(64, value * BigInt(bits));
  if (value < 0n || value >> 3n >= BigInt(c.server.settings.protoMaxBulkLen)) {
    c.reply.raw(E_BIT_OFFSET);
    return -1;
  }
  return Number(value);
}

/** getLongLongFromObjectOrReply as a number (beyond 2^53 approximated: only used clamped). */
function longLongArg(c: Client, i: number): number | null {
  if (!c.argInt64(i)) {
    c.reply.raw(E_NOT_INTEGER);
    return null;
  }
  return parsed.isBig ? Number(parsed.big) : parsed.num;
}

/** The string at argument i for reading: its handle, -1 when missing, or -2 after WRONGTYPE. */
function stringForRead(c: Client, i: number): number {
  const h = c.lookupArg(i, Lookup.READ);
  if (h >= 0 && c.store.typeOf(h) !== KeyType.STRING) {
    c.reply.raw(E_WRONGTYPE);
    return -2;
  }
  return h;
}

/** Write bytes [0, n) of `src` at byte position `at` of the string at argument 1 (creating / zero-padding it). */
function writeBytes(c: Client, at: number, src: Uint8Array, n: number): boolean {
  const r = c.store.setRange(c.db, c.argBuf, c.argOff[1], c.argLen[1], at, src, 0, n);
  if (r < 0) {
    c.reply.raw(r === -Status.WRONG_TYPE ? E_WRONGTYPE : E_OOM);
    return false;
  }
  return true;
}

/** Set by stringForBitWrite: the string was created or grew (lookupStringForBitCommand's `dirty`). */
let bitWriteDirty = false;

/**
 * lookupStringForBitCommand: make the string at argument 1 exist, be at least byte+1 long
 * (zero-padded) and raw-encoded. Returns its handle, or -1 after replying.
 */
function stringForBitWrite(c: Client, byte: number): number {
  const store = c.store;
  const h = c.lookupArg(1, Lookup.WRITE);
  if (h >= 0 && store.typeOf(h) !== KeyType.STRING) {
    c.reply.raw(E_WRONGTYPE);
    return -1;
  }
  bitWriteDirty = h < 0 || store.stringLength(h) <= byte;
  if (bitWriteDirty) {
    one[0] = 0;
    if (!writeBytes(c, byte, one, 1)) return -1;
  } else if (store.encodingOf(h) !== Encoding.RAW) {
    // Unshare an int/embstr value: rewrite its first byte to make it raw.
    const page = store.stringBytes(h);
    one[0] = page[store.offset];
    if (!writeBytes(c, 0, one, 1)) return -1;
  }
  return c.lookupArg(1, Lookup.PEEK);
}

// ---- SETBIT / GETBIT -------------------------------------------------------------------------

function cmdSetbit(c: Client): void {
  const offset = bitOffsetArg(c, 2, 0);
  if (offset < 0) return;
  if (!c.argInt64(3) || parsed.isBig || (parsed.num !== 0 && parsed.num !== 1)) {
    c.reply.raw(E_BIT_VALUE);
    return;
  }
  const on = parsed.num;
  const store = c.store;
  const byte = Math.floor(offset / 8);
  const bit = 7 - (offset % 8);
  const h = c.lookupArg(1, Lookup.WRITE);
  if (h >= 0 && store.typeOf(h) !== KeyType.STRING) {
    c.reply.raw(E_WRONGTYPE);
    return;
  }
  let byteval = 0;
  let grow = true;
  let raw = false;
  if (h >= 0) {
    const len = store.stringLength(h);
    if (byte < len) {
      const page = store.stringBytes(h);
      byteval = page[store.offset + byte];
      grow = false;
    }
    raw = store.encodingOf(h) === Encoding.RAW;
  }
  const bitval = (byteval >> bit) & 1;
  if (grow || bitval !== on || !raw) {
    one[0] = (byteval & ~(1 << bit)) | (on << bit);
    if (!writeBytes(c, byte, one, 1)) return;
    // Unsharing an int/embstr value alone is no change.
    if (grow || bitval !== on) {
      c.modified(1);
      c.notify(NotifyClass.STRING, 'setbit', 1);
    }
  }
  c.reply.raw(bitval ? R_ONE : R_ZERO);
}

function cmdGetbit(c: Client): void {
  const offset = bitOffsetArg(c, 2, 0);
  if (offset < 0) return;
  const h = c.lookupArg(1, Lookup.READ);
  if (h < 0) {
    c.reply.raw(R_ZERO);
    return;
  }
  const store = c.store;
  if (store.typeOf(h) !== KeyType.STRING) {
    c.reply.raw(E_WRONGTYPE);
    return;
  }
  const byte = Math.floor(offset / 8);
  let bitval = 0;
  if (byte < store.stringLength(h)) {
    const page = store.stringBytes(h);
    bitval = (page[store.offset + byte] >> (7 - (offset % 8))) & 1;
  }
  c.reply.raw(bitval ? R_ONE : R_ZERO);
}

// ---- BITCOUNT / BITPOS -----------------------------------------------------------------------

function popcount(p: Uint8Array, from: number, count: number): number {
  let bits = 0;
  const end = from + count;
  for (let i = from; i < end; i++) bits += POPCOUNT[p[i]];
  return bits;
}

function cmdBitcount(c: Client): void {
  const store = c.store;
  const h = c.lookupArg(1, Lookup.READ);
  if (h < 0) {
    c.reply.raw(R_ZERO);
    return;
  }
  if (store.typeOf(h) !== KeyType.STRING) {
    c.reply.raw(E_WRONGTYPE);
    return;
  }
  const strlen = store.stringLength(h);
  let start: number;
  let end: number;
  let firstMask = 0;
  let lastMask = 0;
  if (c.argc === 4 || c.argc === 5) {
    const s = longLongArg(c, 2);
    if (s === null) return;
    const e = longLongArg(c, 3);
    if (e === null) return;
    start = s;
    end = e;
    let isbit = false;
    if (c.argc === 5) {
      if (c.argIs(4, 'bit')) isbit = true;
      else if (!c.argIs(4, 'byte')) {
        c.reply.raw(E_SYNTAX);
        return;
      }
    }
    if (start < 0 && end < 0 && start > end) {
      c.reply.raw(R_ZERO);
      return;
    }
    const totlen = isbit ? strlen * 8 : strlen;
    if (start < 0) start = totlen + start;
    if (end < 0) end = totlen + end;
    if (start < 0) start = 0;
    if (end < 0) end = 0;
    if (end >= totlen) end = totlen - 1;
    if (isbit && start <= end) {
      firstMask = ~((1 << (8 - (start % 8))) - 1) & 0xff;
      lastMask = (1 << (7 - (end % 8))) - 1;
      start = Math.floor(start / 8);
      end = Math.floor(end / 8);
    }
  } else if (c.argc === 2) {
    start = 0;
    end = strlen - 1;
  } else {
    c.reply.raw(E_SYNTAX);
    return;
  }
  if (start > end) {
    c.reply.raw(R_ZERO);
    return;
  }
  const page = store.stringBytes(h);
  const base = store.offset;
  let count = popcount(page, base + start, end - start + 1);
  if (firstMask !== 0) count -= POPCOUNT[page[base + start] & firstMask];
  if (lastMask !== 0) count -= POPCOUNT[page[base + end] & lastMask];
  c.reply.int(count);
}

/**
 * redisBitpos over p[from .. from+count): position of the first bit equal to `bit`; with
 * bit 1 and none set, -1; with bit 0 and none clear, count*8 (the string is taken as
 * zero-padded on the right).
 */
function bitpos(p: Uint8Array, from: number, count: number, bit: number): number {
  const skip = bit ? 0 : 0xff;
  let i = 0;
  while (i < count && p[from + i] === skip) i++;
  if (i === count) return bit ? -1 : count * 8;
  const b = p[from + i];
  for (let k = 0; k < 8; k++) {
    if (((b >> (7 - k)) & 1) === bit) return i * 8 + k;
  }
  return -1; // not reached
}

const tmpchar = new Uint8Array(1);

function cmdBitpos(c: Client): void {
  if (!c.argInt64(2)) {
    c.reply.raw(E_NOT_INTEGER);
    return;
  }
  const bit = parsed.isBig ? -1 : parsed.num;
  if (bit !== 0 && bit !== 1) {
    c.reply.raw(E_BIT_ARGUMENT);
    return;
  }
  const store = c.store;
  const h = c.lookupArg(1, Lookup.READ);
  if (h < 0) {
    c.reply.int(bit ? -1 : 0);
    return;
  }
  if (store.typeOf(h) !== KeyType.STRING) {
    c.reply.raw(E_WRONGTYPE);
    return;
  }
  const strlen = store.stringLength(h);
  let start: number;
  let end: number;
  let endGiven = false;
  let firstMask = 0;
  let lastMask = 0;
  if (c.argc === 4 || c.argc === 5 || c.argc === 6) {
    let totlen = strlen;
    const s = longLongArg(c, 3);
    if (s === null) return;
    start = s;
    let isbit = false;
    if (c.argc === 6) {
      if (c.argIs(5, 'bit')) isbit = true;
      else if (!c.argIs(5, 'byte')) {
        c.reply.raw(E_SYNTAX);
        return;
      }
    }
    if (c.argc >= 5) {
      const e = longLongArg(c, 4);
      if (e === null) return;
      end = e;
      endGiven = true;
    } else {
      end = isbit ? totlen * 8 + 7 : totlen - 1;
    }
    if (isbit) totlen *= 8;
    if (start < 0) start = totlen + start;
    if (end < 0) end = totlen + end;
    if (start < 0) start = 0;
    if (end < 0) end = 0;
    if (end >= totlen) end = totlen - 1;
    if (isbit && start <= end) {
      firstMask = ~((1 << (8 - (start % 8))) - 1) & 0xff;
      lastMask = (1 << (7 - (end % 8))) - 1;
      start = Math.floor(start / 8);
      end = Math.floor(end / 8);
    }
  } else if (c.argc === 3) {
    start = 0;
    end = strlen - 1;
  } else {
    c.reply.raw(E_SYNTAX);
    return;
  }
  if (start > end) {
    c.reply.int(-1);
    return;
  }
  const page = store.stringBytes(h);
  const base = store.offset;
  let bytes = end - start + 1;
  let pos: number;
  found: {
    if (firstMask !== 0) {
      let t = page[base + start];
      t = bit ? t & ~firstMask : t | firstMask;
      if (lastMask !== 0 && bytes === 1) t = bit ? t & ~lastMask : t | lastMask;
      tmpchar[0] = t;
      pos = bitpos(tmpchar, 0, 1, bit);
      if (bytes === 1 || (pos !== -1 && pos !== 8)) break found;
      start++;
      bytes--;
    }
    const curbytes = bytes - (lastMask !== 0 ? 1 : 0);
    if (curbytes > 0) {
      pos = bitpos(page, base + start, curbytes, bit);
      if (bytes === curbytes || (pos !== -1 && pos !== curbytes * 8)) break found;
      start += curbytes;
      bytes -= curbytes;
    }
    let t = page[base + end];
    t = bit ? t & ~lastMask : t | lastMask;
    tmpchar[0] = t;
    pos = bitpos(tmpchar, 0, 1, bit);
  }
  if (endGiven && bit === 0 && pos === bytes * 8) {
    c.reply.int(-1);
    return;
  }
  if (pos !== -1) pos += start * 8;
  c.reply.int(pos);
}

// ---- BITOP ---------------------------------------------------------------------------------

const BITOP_AND = 0;
const BITOP_OR = 1;
const BITOP_XOR = 2;
const BITOP_NOT = 3;

function cmdBitop(c: Client): void {
  let op: number;
  if (c.argIs(1, 'and')) op = BITOP_AND;
  else if (c.argIs(1, 'or')) op = BITOP_OR;
  else if (c.argIs(1, 'xor')) op = BITOP_XOR;
  else if (c.argIs(1, 'not')) op = BITOP_NOT;
  else {
    c.reply.raw(E_SYNTAX);
    return;
  }
  if (op === BITOP_NOT && c.argc !== 4) {
    c.reply.raw(E_BITOP_NOT);
    return;
  }
  const store = c.store;
  const numkeys = c.argc - 3;
  const handles = new Int32Array(numkeys);
  let maxlen = 0;
  for (let j = 0; j < numkeys; j++) {
    const h = stringForRead(c, j + 3);
    if (h === -2) return;
    handles[j] = h;
    const len = h >= 0 ? store.stringLength(h) : 0;
    if (len > maxlen) maxlen = len;
  }
  if (maxlen === 0) {
    if (store.delete(c.db, c.argBuf, c.argOff[2], c.argLen[2])) {
      c.modified(2);
      c.notify(NotifyClass.GENERIC, 'del', 2);
    }
    c.reply.int(0);
    return;
  }
  const res = new Uint8Array(maxlen);
  // Start from the first source (zero-padded), then fold in the others.
  const h0 = handles[0];
  if (h0 >= 0) {
    const len = store.stringLength(h0);
    const page = store.stringBytes(h0);
    copyBytes(page, store.offset, res, 0, len);
  }
  if (op === BITOP_NOT) {
    for (let i = 0; i < maxlen; i++) res[i] = ~res[i] & 0xff;
  } else {
    for (let j = 1; j < numkeys; j++) {
      const h = handles[j];
      const len = h >= 0 ? store.stringLength(h) : 0;
      const page = h >= 0 ? store.stringBytes(h) : res;
      const base = store.offset;
      if (op === BITOP_AND) {
        for (let i = 0; i < len; i++) res[i] &= page[base + i];
        res.fill(0, len);
      } else if (op === BITOP_OR) {
        for (let i = 0; i < len; i++) res[i] |= page[base + i];
      } else {
        for (let i = 0; i < len; i++) res[i] ^= page[base + i];
      }
    }
  }
  const status = store.setString(c.db, c.argBuf, c.argOff[2], c.argLen[2], res, 0, maxlen, NO_TTL, Encoding.RAW);
  if (status !== Status.OK) {
    c.reply.raw(E_OOM);
    return;
  }
  c.modified(2);
  c.notify(NotifyClass.STRING, 'set', 2);
  c.reply.int(maxlen);
}

// ---- BITFIELD ------------------------------------------------------------------------------

const OP_GET = 0;
const OP_SET = 1;
const OP_INCRBY = 2;
const OW_WRAP = 0;
const OW_SAT = 1;
const OW_FAIL = 2;

interface FieldOp {
  opcode: number;
  offset: number;
  value: bigint;
  owtype: number;
  bits: number;
  signed: boolean;
}

/** getBitfieldTypeFromArgument: sets typeSigned/typeBits; false after replying. */
let typeSigned = false;
let typeBits = 0;
function bitfieldTypeArg(c: Client, i: number): boolean {
  const buf = c.argBuf;
  const off = c.argOff[i];
  const len = c.argLen[i];
  const first = len > 0 ? buf[off] : 0;
  if (first !== 105 /* i */ && first !== 117 /* u */) {
    c.reply.raw(E_BITFIELD_TYPE);
    return false;
  }
  typeSigned = first === 105;
  // strlen(p+1): the type ends at a NUL.
  let n = 0;
  while (1 + n < len && buf[off + 1 + n] !== 0) n++;
  if (!parseInt64(buf, off + 1, n) || parsed.isBig || parsed.num < 1 || (typeSigned && parsed.num > 64) || (!typeSigned && parsed.num > 63)) {
    c.reply.raw(E_BITFIELD_TYPE);
    return false;
  }
  typeBits = parsed.num;
  return true;
}

/** The 9 bytes from byte `byte` of the string (zero past its end) as a 72-bit big-endian number. */
function readWindow(page: Uint8Array | null, base: number, strlen: number, byte: number): bigint {
  let hi = 0;
  let lo = 0;
  for (let i = 0; i < 9; i++) {
    const b = page !== null && byte + i < strlen ? page[base + byte + i] : 0;
    if (i < 4) hi = hi * 256 + b;
    else lo = lo * 256 + b;
  }
  return (BigInt(hi) << 40n) | BigInt(lo);
}

function getField(window: bigint, bitInByte: number, bits: number, signed: boolean): bigint {
  const v = (window >> BigInt(72 - bitInByte - bits)) & ((1n << BigInt(bits)) - 1n);
  return signed ? BigInt.asIntN(bits, v) : v;
}

const windowBytes = new Uint8Array(9);

/** Overflow check result: 0, 1 (overflow) or -1 (underflow); `limit` holds the WRAP/SAT value. */
let limit = 0n;

function checkUnsignedOverflow(value: bigint, incr: bigint, bits: number, owtype: number): number {
  const max = (1n << BigInt(bits)) - 1n;
  const maxincr = BigInt.asIntN(64, max - value);
  const minincr = BigInt.asIntN(64, -value);
  let ret = 0;
  if (value > max || (incr > 0n && incr > maxincr)) ret = 1;
  else if (incr < 0n && incr < minincr) ret = -1;
  if (ret !== 0) {
    if (owtype === OW_WRAP) limit = BigInt.asUintN(bits, value + incr);
    else if (owtype === OW_SAT) limit = ret > 0 ? max : 0n;
  }
  return ret;
}

function checkSignedOverflow(value: bigint, incr: bigint, bits: number, owtype: number): number {
  const max = bits === 64 ? 9223372036854775807n : (1n << BigInt(bits - 1)) - 1n;
  const min = -max - 1n;
  const maxincr = BigInt.asIntN(64, max - value);
  const minincr = BigInt.asIntN(64, min - value);
  let ret = 0;
  if (value > max || (bits !== 64 && incr > maxincr) || (value >= 0n && incr > 0n && incr > maxincr)) ret = 1;
  else if (value < min || (bits !== 64 && incr < minincr) || (value < 0n && incr < 0n && incr < minincr)) ret = -1;
  if (ret !== 0) {
    if (owtype === OW_WRAP) limit = BigInt.asIntN(bits, BigInt.asUintN(64, value + incr));
    else if (owtype === OW_SAT) limit = ret > 0 ? max : min;
  }
  return ret;
}

function bitfieldGeneric(c: Client, readonlyCommand: boolean): void {
  const ops: FieldOp[] = [];
  let owtype = OW_WRAP;
  let readonly = true;
  let highest = 0;
  for (let j = 2; j < c.argc; j++) {
    const remargs = c.argc - j - 1;
    let opcode: number;
    if (c.argIs(j, 'get') && remargs >= 2) opcode = OP_GET;
    else if (c.argIs(j, 'set') && remargs >= 3) opcode = OP_SET;
    else if (c.argIs(j, 'incrby') && remargs >= 3) opcode = OP_INCRBY;
    else if (c.argIs(j, 'overflow') && remargs >= 1) {
      j++;
      if (c.argIs(j, 'wrap')) owtype = OW_WRAP;
      else if (c.argIs(j, 'sat')) owtype = OW_SAT;
      else if (c.argIs(j, 'fail')) owtype = OW_FAIL;
      else {
        c.reply.raw(E_OVERFLOW_TYPE);
        return;
      }
      continue;
    } else {
      c.reply.raw(E_SYNTAX);
      return;
    }
    if (!bitfieldTypeArg(c, j + 1)) return;
    const bits = typeBits;
    const signed = typeSigned;
    const offset = bitOffsetArg(c, j + 2, bits);
    if (offset < 0) return;
    let value = 0n;
    if (opcode !== OP_GET) {
      readonly = false;
      if (highest < offset + bits - 1) highest = offset + bits - 1;
      if (!c.argInt64(j + 3)) {
        c.reply.raw(E_NOT_INTEGER);
        return;
      }
      value = parsedBigInt();
    }
    ops.push({ opcode, offset, value, owtype, bits, signed });
    j += opcode === OP_GET ? 2 : 3;
  }
  const store = c.store;
  let h: number;
  if (readonly) {
    h = stringForRead(c, 1);
    if (h === -2) return;
  } else {
    if (readonlyCommand) {
      c.reply.raw(E_BITFIELD_RO);
      return;
    }
    h = stringForBitWrite(c, Math.floor(highest / 8));
    if (h < 0) return;
  }
  const dirty = !readonly && bitWriteDirty;
  let changes = 0;
  const reply = c.reply;
  reply.arrayLen(ops.length);
  for (const op of ops) {
    const byte = Math.floor(op.offset / 8);
    const bitInByte = op.offset % 8;
    let strlen = 0;
    let page: Uint8Array | null = null;
    let base = 0;
    if (h >= 0) {
      strlen = store.stringLength(h);
      page = store.stringBytes(h);
      base = store.offset;
    }
    const window = readWindow(page, base, strlen, byte);
    const old = getField(window, bitInByte, op.bits, op.signed);
    if (op.opcode === OP_GET) {
      reply.int(old);
      continue;
    }
    let newval: bigint;
    let retval: bigint;
    let overflow: number;
    if (op.signed) {
      if (op.opcode === OP_INCRBY) {
        overflow = checkSignedOverflow(old, op.value, op.bits, op.owtype);
        newval = overflow !== 0 ? limit : old + op.value;
        retval = newval;
      } else {
        newval = op.value;
        overflow = checkSignedOverflow(newval, 0n, op.bits, op.owtype);
        if (overflow !== 0) newval = limit;
        retval = old;
      }
    } else {
      if (op.opcode === OP_INCRBY) {
        newval = BigInt.asUintN(64, old + op.value);
        overflow = checkUnsignedOverflow(old, op.value, op.bits, op.owtype);
        if (overflow !== 0) newval = limit;
        retval = newval;
      } else {
        newval = BigInt.asUintN(64, op.value);
        overflow = checkUnsignedOverflow(newval, 0n, op.bits, op.owtype);
        if (overflow !== 0) newval = limit;
        retval = old;
      }
    }
    if (overflow !== 0 && op.owtype === OW_FAIL) {
      reply.nullBulk();
      continue;
    }
    reply.int(retval);
    if (dirty || old !== newval) changes++;
    // Write the field back into the window and the window's bytes into the string.
    const shift = BigInt(72 - bitInByte - op.bits);
    const mask = ((1n << BigInt(op.bits)) - 1n) << shift;
    let w = (window & ~mask) | ((BigInt.asUintN(op.bits, newval) << shift) & mask);
    const nbytes = Math.ceil((bitInByte + op.bits) / 8);
    for (let i = 8; i >= 0; i--) {
      windowBytes[i] = Number(w & 0xffn);
      w >>= 8n;
    }
    // The value already spans every field (stringForBitWrite), so this write never reallocates.
    writeBytesInPlace(c, byte, windowBytes, nbytes);
    h = c.lookupArg(1, Lookup.PEEK);
  }
  if (changes !== 0) {
    c.modified(1);
    c.notify(NotifyClass.STRING, 'setbit', 1);
  }
}

/** Overwrite bytes inside the value (no growth, so no allocation can fail). */
function writeBytesInPlace(c: Client, at: number, src: Uint8Array, n: number): void {
  c.store.setRange(c.db, c.argBuf, c.argOff[1], c.argLen[1], at, src, 0, n);
}

function cmdBitfield(c: Client): void {
  bitfieldGeneric(c, false);
}

function cmdBitfieldRo(c: Client): void {
  bitfieldGeneric(c, true);
}

export function registerBitmapCommands(registry: Registry): void {
  registry.add('setbit', cmdSetbit);
  registry.add('getbit', cmdGetbit);
  registry.add('bitcount', cmdBitcount);
  registry.add('bitpos', cmdBitpos);
  registry.add('bitop', cmdBitop);
  registry.add('bitfield', cmdBitfield);
  registry.add('bitfield_ro', cmdBitfieldRo);
}
