/*
 * HyperLogLog on bytes, with Redis 7.0's exact representation (hyperloglog.c), so that a value
 * GET from slabcache is the string redis-server would hold and a string written by redis-server
 * counts the same here.
 *
 * Layout: a 16-byte header "HYLL", encoding (0 dense, 1 sparse), three unused bytes, and the
 * cached cardinality as 8 little-endian bytes whose top bit set means "stale". 16384 registers
 * of 6 bits follow: dense packs them LSB first into 12288 bytes; sparse run-length codes them
 * with ZERO (00xxxxxx, 1..64 zeros), XZERO (01xxxxxx xxxxxxxx, 1..16384 zeros) and VAL
 * (1vvvvvxx, 1..4 registers of value 1..32) opcodes. An element's register and value come from
 * MurmurHash64A (seed 0xadc83b19) computed on 32-bit halves with exact integer products (16-bit
 * limbs and Math.imul), so no BigInt is made per element. The estimate is Ertl's (sigma/tau) as 7.0 has it,
 * computed with the same double operations in the same order, so counts equal Redis's.
 *
 * Reads (validation, histogram, merge) work in place on any (bytes, offset, length) view, a
 * slab chunk included, and never touch a byte past the value (where C reads the sds NUL, a 0 is
 * used). Writes that change a value's length (sparse updates, promotion to dense) happen in an
 * HllBuffer, a reusable growable copy; the caller stores it back. A dense value is updated in
 * place by the caller one register at a time (denseRegisterBytes), never copied whole.
 *
 * Costs: add is one hash plus O(1) dense or O(sparse bytes) sparse; count and merge are one pass
 * over the registers (16 registers per 12 bytes unrolled for dense).
 */
import { copyBytes } from '../../store/bytes.ts';

export const HLL_HDR_SIZE = 16;
export const HLL_REGISTERS = 16384;
const HLL_P_MASK = HLL_REGISTERS - 1;
const HLL_Q = 50;
const HLL_REGISTER_MAX = 63;
const HLL_REGISTER_BYTES = (HLL_REGISTERS * 6) / 8;
export const HLL_DENSE_SIZE = HLL_HDR_SIZE + HLL_REGISTER_BYTES;
export const HLL_DENSE = 0;
export const HLL_SPARSE = 1;
const HLL_ENCODING_BYTE = 4;
/** Header offset of the cached cardinality, and of its top byte, whose top bit marks it stale. */
export const HLL_CARD = 8;
export const HLL_STALE_BYTE = HLL_CARD + 7;
const SPARSE_VAL_MAX_VALUE = 32;
const SPARSE_VAL_MAX_LEN = 4;
const SPARSE_ZERO_MAX_LEN = 64;
const SPARSE_XZERO_MAX_LEN = 16384;
const ALPHA_INF = 0.721347520444481703680;
const SEED = 0xadc83b19;
const TWO32 = 4294967296;
/** hllCount's answer for a sparse value whose opcodes do not cover exactly 16384 registers. */
export const HLL_INVALID = -1;
/** llroundl's answer (LLONG_MIN) when the estimate is infinite or beyond int64: crafted registers only. */
const LLONG_MIN = -9223372036854775808;

// ---- MurmurHash64A -------------------------------------------------------------------------

/** m = 0xc6a4a7935bd1e995 in halves, the low half again in 16-bit limbs. */
const M_HI = 0xc6a4a793;
const M_LO = 0x5bd1e995;
const M_LO0 = M_LO & 0xffff;
const M_LO1 = M_LO >>> 16;

/**
 * The 64-bit result of mulM / murmurHash64A, as unsigned 32-bit halves [high, low]. A typed
 * array, not two module-level variables: a variable holding a number past the small-integer
 * range is a boxed HeapNumber, allocated anew at every store (64 bytes per PFADD element).
 */
const hash64 = new Uint32Array(2);
const HI = 0;
const LO = 1;

/**
 * (hi:lo) * m mod 2^64 into outHi:outLo, exactly: lo * M_LO in 16-bit limbs (every partial
 * product below 2^32, every sum below 2^53), the cross terms' low halves by Math.imul.
 */
function mulM(hi: number, lo: number): void {
  const a0 = lo & 0xffff;
  const a1 = lo >>> 16;
  const p00 = a0 * M_LO0;
  const p01 = a0 * M_LO1;
  const p10 = a1 * M_LO0;
  const mid = (p00 >>> 16) + (p01 & 0xffff) + (p10 & 0xffff);
  hash64[LO] = ((mid << 16) | (p00 & 0xffff)) >>> 0;
  hash64[HI] = ((mid >>> 16) + (p01 >>> 16) + (p10 >>> 16) + a1 * M_LO1 + Math.imul(hi, M_LO) + Math.imul(lo, M_HI)) >>> 0;
}

/**
 * MurmurHash64A of buf[off, off+len) with Redis's endian-neutral reading (little-endian words);
 * the result is left in hashHi() / hashLo().
 */
export function murmurHash64A(buf: Uint8Array, off: number, len: number, seed: number): void {
  mulM(0, len);
  let hh = hash64[HI];
  let hl = (hash64[LO] ^ seed) >>> 0;
  const end = off + len - (len & 7);
  let p = off;
  while (p !== end) {
    mulM(buf[p + 4] | (buf[p + 5] << 8) | (buf[p + 6] << 16) | (buf[p + 7] << 24), buf[p] | (buf[p + 1] << 8) | (buf[p + 2] << 16) | (buf[p + 3] << 24));
    const kh = hash64[HI];
    mulM(kh, hash64[LO] ^ (kh >>> 15));
    mulM(hh ^ hash64[HI], hl ^ hash64[LO]);
    hh = hash64[HI];
    hl = hash64[LO];
    p += 8;
  }
  const tail = len & 7;
  if (tail !== 0) {
    switch (tail) {
      case 7: hh ^= buf[p + 6] << 16; // falls through
      case 6: hh ^= buf[p + 5] << 8; // falls through
      case 5: hh ^= buf[p + 4]; // falls through
      case 4: hl ^= buf[p + 3] << 24; // falls through
      case 3: hl ^= buf[p + 2] << 16; // falls through
      case 2: hl ^= buf[p + 1] << 8; // falls through
      default: hl ^= buf[p];
    }
    mulM(hh, hl);
    hh = hash64[HI];
    hl = hash64[LO];
  }
  mulM(hh, hl ^ (hh >>> 15));
  hash64[LO] = hash64[LO] ^ (hash64[HI] >>> 15);
}

export function hashHi(): number {
  return hash64[HI];
}

export function hashLo(): number {
  return hash64[LO];
}

/** Number of trailing zero bits of a non-zero 32-bit value. */
function ctz(x: number): number {
  return 31 - Math.clz32(x & -x);
}

/**
 * hllPatLen: the element's register index and the length of its hash's 000..1 run past the
 * index bits (1..51), packed as (index << 6) | count.
 */
export function patLen(buf: Uint8Array, off: number, len: number): number {
  murmurHash64A(buf, off, len, SEED);
  const index = hash64[LO] & HLL_P_MASK;
  const low = (hash64[LO] >>> 14) | (hash64[HI] << 18);
  const count = low !== 0 ? ctz(low) + 1 : ctz((hash64[HI] >>> 14) | (1 << 18)) + 33;
  return (index << 6) | count;
}

// ---- header ----------------------------------------------------------------------------------

/** isHLLObjectOrReply's checks: "HYLL", a known encoding, and the exact length when dense. */
export function isHll(b: Uint8Array, off: number, len: number): boolean {
  if (len < HLL_HDR_SIZE) return false;
  if (b[off] !== 72 || b[off + 1] !== 89 || b[off + 2] !== 76 || b[off + 3] !== 76) return false;
  const enc = b[off + HLL_ENCODING_BYTE];
  if (enc > HLL_SPARSE) return false;
  return enc !== HLL_DENSE || len === HLL_DENSE_SIZE;
}

export function encodingOf(b: Uint8Array, off: number): number {
  return b[off + HLL_ENCODING_BYTE];
}

/** The cached cardinality is valid (its top bit clear). */
export function cacheValid(b: Uint8Array, off: number): boolean {
  return (b[off + HLL_STALE_BYTE] & 0x80) === 0;
}

/** The cached cardinality (when cacheValid), as a number when exact, else a bigint. */
export function cachedCount(b: Uint8Array, off: number): number | bigint {
  const p = off + HLL_CARD;
  const lo = (b[p] | (b[p + 1] << 8) | (b[p + 2] << 16) | (b[p + 3] << 24)) >>> 0;
  const hi = (b[p + 4] | (b[p + 5] << 8) | (b[p + 6] << 16) | (b[p + 7] << 24)) >>> 0;
  if (hi < 0x200000) return hi * TWO32 + lo;
  return (BigInt(hi) << 32n) | BigInt(lo);
}

/** Write the 8 cardinality bytes of `count` (an hllCount result) to out[at, at+8). */
export function writeCount(out: Uint8Array, at: number, count: number): void {
  let lo = 0;
  let hi = 0x80000000;
  if (count >= 0) {
    lo = count % TWO32;
    hi = Math.floor(count / TWO32);
  }
  for (let i = 0; i < 4; i++) {
    out[at + i] = lo & 0xff;
    out[at + 4 + i] = hi & 0xff;
    lo = Math.floor(lo / 256);
    hi = Math.floor(hi / 256);
  }
}

// ---- dense registers -----------------------------------------------------------------------

/** Register idx of the dense registers starting at b[base]. */
export function denseRegister(b: Uint8Array, base: number, idx: number): number {
  const bit = idx * 6;
  const at = base + (bit >>> 3);
  const fb = bit & 7;
  if (fb <= 2) return (b[at] >>> fb) & HLL_REGISTER_MAX;
  return ((b[at] >>> fb) | (b[at + 1] << (8 - fb))) & HLL_REGISTER_MAX;
}

function setDenseRegister(b: Uint8Array, base: number, idx: number, val: number): void {
  const bit = idx * 6;
  const at = base + (bit >>> 3);
  const fb = bit & 7;
  b[at] = (b[at] & ~(HLL_REGISTER_MAX << fb)) | (val << fb);
  if (fb > 2) b[at + 1] = (b[at + 1] & ~(HLL_REGISTER_MAX >>> (8 - fb))) | (val >>> (8 - fb));
}

/** Byte offset, within the registers, of the first byte of dense register idx. */
export function denseRegisterByte(idx: number): number {
  return (idx * 6) >>> 3;
}

/**
 * Set dense register idx (registers at b[base]) to val without writing b: the new bytes go to
 * out[0, n) for bytes denseRegisterByte(idx).. of the registers; returns n (1 or 2).
 */
export function denseRegisterBytes(b: Uint8Array, base: number, idx: number, val: number, out: Uint8Array): number {
  const at = base + denseRegisterByte(idx);
  const fb = (idx * 6) & 7;
  out[0] = (b[at] & ~(HLL_REGISTER_MAX << fb)) | (val << fb);
  if (fb <= 2) return 1;
  out[1] = (b[at + 1] & ~(HLL_REGISTER_MAX >>> (8 - fb))) | (val >>> (8 - fb));
  return 2;
}

// ---- sparse opcodes ------------------------------------------------------------------------

function isZero(op: number): boolean {
  return (op & 0xc0) === 0;
}
function isXzero(op: number): boolean {
  return (op & 0xc0) === 0x40;
}
function valValue(op: number): number {
  return ((op >>> 2) & 0x1f) + 1;
}
function valLen(op: number): number {
  return (op & 3) + 1;
}
function valOp(value: number, len: number): number {
  return ((value - 1) << 2) | (len - 1) | 0x80;
}
/**
 * XZERO length at b[p]. Its second byte may lie past the value's last byte (a truncated opcode
 * in a crafted value), where C reads the byte after the sds: its NUL, or, in an HllBuffer, what
 * an update wrote there. Bytes at or past `limit` read as 0; an HllBuffer passes len + 1.
 */
function xzeroLen(b: Uint8Array, p: number, limit: number): number {
  return (((b[p] & 0x3f) << 8) | (p + 1 < limit ? b[p + 1] : 0)) + 1;
}

/**
 * hllSparseToDense's decoding: set the dense registers at dst[base] (zeroed) from the sparse
 * opcodes in b[p, end) (bytes readable up to `limit`, see xzeroLen). False when they do not
 * cover exactly 16384 registers, or a VAL run passes the last one (7.0.15 as patched for
 * CVE-2025-32023, as distributions ship it; the original stopped there and accepted a value
 * that had reached 16384).
 */
function sparseToRegisters(b: Uint8Array, p: number, end: number, limit: number, dst: Uint8Array, base: number): boolean {
  let idx = 0;
  while (p < end) {
    const op = b[p];
    if (isZero(op)) {
      idx += (op & 0x3f) + 1;
      p++;
    } else if (isXzero(op)) {
      idx += xzeroLen(b, p, limit);
      p += 2;
    } else {
      let runlen = valLen(op);
      const regval = valValue(op);
      if (runlen + idx > HLL_REGISTERS) return false;
      while (runlen-- > 0) setDenseRegister(dst, base, idx++, regval);
      p++;
    }
  }
  return idx === HLL_REGISTERS;
}

// ---- count -----------------------------------------------------------------------------------

const reghisto = new Int32Array(64);

function denseHisto(b: Uint8Array, base: number): void {
  const h = reghisto;
  let r = base;
  for (let j = 0; j < 1024; j++) {
    const b0 = b[r], b1 = b[r + 1], b2 = b[r + 2], b3 = b[r + 3], b4 = b[r + 4], b5 = b[r + 5];
    const b6 = b[r + 6], b7 = b[r + 7], b8 = b[r + 8], b9 = b[r + 9], b10 = b[r + 10], b11 = b[r + 11];
    h[b0 & 63]++;
    h[((b0 >>> 6) | (b1 << 2)) & 63]++;
    h[((b1 >>> 4) | (b2 << 4)) & 63]++;
    h[b2 >>> 2]++;
    h[b3 & 63]++;
    h[((b3 >>> 6) | (b4 << 2)) & 63]++;
    h[((b4 >>> 4) | (b5 << 4)) & 63]++;
    h[b5 >>> 2]++;
    h[b6 & 63]++;
    h[((b6 >>> 6) | (b7 << 2)) & 63]++;
    h[((b7 >>> 4) | (b8 << 4)) & 63]++;
    h[b8 >>> 2]++;
    h[b9 & 63]++;
    h[((b9 >>> 6) | (b10 << 2)) & 63]++;
    h[((b10 >>> 4) | (b11 << 4)) & 63]++;
    h[b11 >>> 2]++;
    r += 12;
  }
}

/** hllSparseRegHisto; false when the opcodes do not cover exactly 16384 registers. */
function sparseHisto(b: Uint8Array, p: number, end: number): boolean {
  const h = reghisto;
  let idx = 0;
  while (p < end) {
    const op = b[p];
    if (isZero(op)) {
      const runlen = (op & 0x3f) + 1;
      idx += runlen;
      h[0] += runlen;
      p++;
    } else if (isXzero(op)) {
      const runlen = xzeroLen(b, p, end);
      idx += runlen;
      h[0] += runlen;
      p += 2;
    } else {
      const runlen = valLen(op);
      idx += runlen;
      h[valValue(op)] += runlen;
      p++;
    }
  }
  return idx === HLL_REGISTERS;
}

/** hllSigma (Ertl, arXiv:1702.01284). */
function sigma(x: number): number {
  if (x === 1) return Infinity;
  let zPrime: number;
  let y = 1;
  let z = x;
  do {
    x *= x;
    zPrime = z;
    z += x * y;
    y += y;
  } while (zPrime !== z);
  return z;
}

/** hllTau (Ertl, arXiv:1702.01284). */
function tau(x: number): number {
  if (x === 0 || x === 1) return 0;
  let zPrime: number;
  let y = 1;
  let z = 1 - x;
  do {
    x = Math.sqrt(x);
    zPrime = z;
    y *= 0.5;
    const d = 1 - x;
    z -= d * d * y;
  } while (zPrime !== z);
  return z / 3;
}

/** The estimate from reghisto, rounded as llroundl then cast to uint64 and back to long long. */
function estimate(): number {
  const m = HLL_REGISTERS;
  const h = reghisto;
  let z = m * tau((m - h[HLL_Q + 1]) / m);
  for (let j = HLL_Q; j >= 1; --j) {
    z += h[j];
    z *= 0.5;
  }
  z += m * sigma(h[0] / m);
  const e = (ALPHA_INF * m * m) / z;
  return e < 9223372036854775808 ? Math.round(e) : LLONG_MIN;
}

/**
 * hllCount of the dense or sparse value b[off, off+len) (already checked by isHll). Returns
 * the cardinality (-2^63 for the estimate overflow Redis also answers), or HLL_INVALID.
 */
export function hllCount(b: Uint8Array, off: number, len: number): number {
  reghisto.fill(0);
  if (b[off + HLL_ENCODING_BYTE] === HLL_DENSE) denseHisto(b, off + HLL_HDR_SIZE);
  else if (!sparseHisto(b, off + HLL_HDR_SIZE, off + len)) return HLL_INVALID;
  return estimate();
}

/** hllCount of 16384 one-byte registers (PFCOUNT of several keys). */
export function countRegisters(max: Uint8Array): number {
  reghisto.fill(0);
  for (let i = 0; i < HLL_REGISTERS; i++) reghisto[max[i]]++;
  return estimate();
}

/**
 * hllMerge: max[i] = MAX(max[i], register i) over the value b[off, off+len) (checked by
 * isHll). False when it is a sparse value that does not cover exactly 16384 registers (a VAL
 * run past the last one included, as in sparseToRegisters).
 */
export function mergeInto(max: Uint8Array, b: Uint8Array, off: number, len: number): boolean {
  if (b[off + HLL_ENCODING_BYTE] === HLL_DENSE) {
    const base = off + HLL_HDR_SIZE;
    for (let i = 0; i < HLL_REGISTERS; i++) {
      const v = denseRegister(b, base, i);
      if (v > max[i]) max[i] = v;
    }
    return true;
  }
  let p = off + HLL_HDR_SIZE;
  const end = off + len;
  let i = 0;
  while (p < end) {
    const op = b[p];
    if (isZero(op)) {
      i += (op & 0x3f) + 1;
      p++;
    } else if (isXzero(op)) {
      i += xzeroLen(b, p, end);
      p += 2;
    } else {
      let runlen = valLen(op);
      const regval = valValue(op);
      if (runlen + i > HLL_REGISTERS) return false;
      while (runlen-- > 0) {
        if (regval > max[i]) max[i] = regval;
        i++;
      }
      p++;
    }
  }
  return i === HLL_REGISTERS;
}

/** PFDEBUG DECODE's text of a sparse value: "z:N", "Z:N" and "v:VALUE,LEN" separated by spaces. */
export function decodeSparse(b: Uint8Array, off: number, len: number): string {
  const parts: string[] = [];
  const end = off + len;
  let p = off + HLL_HDR_SIZE;
  while (p < end) {
    const op = b[p];
    if (isZero(op)) {
      parts.push(`z:${(op & 0x3f) + 1}`);
      p++;
    } else if (isXzero(op)) {
      parts.push(`Z:${xzeroLen(b, p, end)}`);
      p += 2;
    } else {
      parts.push(`v:${valValue(op)},${valLen(op)}`);
      p++;
    }
  }
  return parts.join(' ');
}

// ---- a value being modified ------------------------------------------------------------------

const seq = new Uint8Array(5);

/**
 * One HLL value being modified (hllSparseSet's sds): bytes[0, len) is the value and bytes[len]
 * the byte C finds after the sds (its NUL, or what a split of a truncated last XZERO wrote
 * there), so a crafted value changes exactly as in Redis within a command. Reused across
 * commands; it grows (never shrinks) to the largest value it has held.
 */
export class HllBuffer {
  bytes = new Uint8Array(HLL_DENSE_SIZE + 8);
  len = 0;
  private spare = new Uint8Array(HLL_DENSE_SIZE + 8);

  private reserve(n: number): void {
    if (this.bytes.length >= n) return;
    const grown = new Uint8Array(Math.max(n, this.bytes.length * 2));
    grown.set(this.bytes.subarray(0, this.len + 1));
    this.bytes = grown;
  }

  /** createHLLObject: an empty sparse HLL (one XZERO opcode covering every register). */
  create(): void {
    const b = this.bytes;
    b.fill(0, 0, HLL_HDR_SIZE);
    b[0] = 72;
    b[1] = 89;
    b[2] = 76;
    b[3] = 76;
    b[HLL_ENCODING_BYTE] = HLL_SPARSE;
    let p = HLL_HDR_SIZE;
    for (let aux = HLL_REGISTERS; aux > 0; ) {
      const xzero = Math.min(SPARSE_XZERO_MAX_LEN, aux);
      b[p] = ((xzero - 1) >>> 8) | 0x40;
      b[p + 1] = (xzero - 1) & 0xff;
      p += 2;
      aux -= xzero;
    }
    b[p] = 0;
    this.len = p;
  }

  /** Copy src[off, off+len) in. */
  load(src: Uint8Array, off: number, len: number): void {
    this.len = 0;
    this.reserve(len + 5);
    copyBytes(src, off, this.bytes, 0, len);
    this.bytes[len] = 0;
    this.len = len;
  }

  get encoding(): number {
    return this.bytes[HLL_ENCODING_BYTE];
  }

  /** HLL_INVALIDATE_CACHE. */
  invalidateCache(): void {
    this.bytes[HLL_STALE_BYTE] |= 0x80;
  }

  /** hllSparseToDense: false (nothing changed) when the sparse opcodes are corrupt. */
  toDense(): boolean {
    const b = this.bytes;
    if (b[HLL_ENCODING_BYTE] === HLL_DENSE) return true;
    const d = this.spare;
    d.fill(0, 0, HLL_DENSE_SIZE);
    d.set(b.subarray(0, HLL_HDR_SIZE));
    d[HLL_ENCODING_BYTE] = HLL_DENSE;
    if (!sparseToRegisters(b, HLL_HDR_SIZE, this.len, this.len + 1, d, HLL_HDR_SIZE)) return false;
    this.spare = b;
    this.bytes = d;
    this.len = HLL_DENSE_SIZE;
    return true;
  }

  /** hllAdd: 1 when a register grew, 0 when not, -1 for corrupt sparse opcodes. */
  add(buf: Uint8Array, off: number, len: number, sparseMaxBytes: number): number {
    const r = patLen(buf, off, len);
    return this.set(r >>> 6, r & 63, sparseMaxBytes);
  }

  /** Raise register index to count (hllDenseSet / hllSparseSet): 1, 0, or -1 as add. */
  set(index: number, count: number, sparseMaxBytes: number): number {
    const b = this.bytes;
    if (b[HLL_ENCODING_BYTE] === HLL_DENSE) {
      if (count <= denseRegister(b, HLL_HDR_SIZE, index)) return 0;
      setDenseRegister(b, HLL_HDR_SIZE, index, count);
      return 1;
    }
    return this.sparseSet(index, count, sparseMaxBytes);
  }

  /**
   * hllSparseSet: update the opcode covering `index` in place, splitting it into at most
   * three (ZERO/XZERO - VAL - ZERO/XZERO or VAL - VAL - VAL), then merge equal adjacent VALs
   * near it. Promotes to dense when count > 32 or the value would pass sparseMaxBytes.
   */
  private sparseSet(index: number, count: number, sparseMaxBytes: number): number {
    if (count > SPARSE_VAL_MAX_VALUE) return this.promote(index, count);
    this.reserve(this.len + 5);
    const b = this.bytes;
    const sparse = HLL_HDR_SIZE;
    let end = this.len;
    let p = sparse;
    let first = 0;
    let prev = -1;
    let span = 0;
    while (p < end) {
      const op = b[p];
      let oplen = 1;
      if (isZero(op)) span = (op & 0x3f) + 1;
      else if (op & 0x80) span = valLen(op);
      else {
        span = xzeroLen(b, p, end + 1);
        oplen = 2;
      }
      if (index <= first + span - 1) break;
      prev = p;
      p += oplen;
      first += span;
    }
    if (span === 0 || p >= end) return -1;
    const op = b[p];
    let next = isXzero(op) ? p + 2 : p + 1;
    if (next >= end) next = -1;
    const zero = isZero(op);
    const xzero = isXzero(op);
    let runlen: number;
    if (zero) runlen = (op & 0x3f) + 1;
    else if (xzero) runlen = xzeroLen(b, p, end + 1);
    else runlen = valLen(op);

    updated: {
      if (!zero && !xzero) {
        if (valValue(op) >= count) return 0;
        if (runlen === 1) {
          b[p] = valOp(count, 1);
          break updated;
        }
      }
      if (zero && runlen === 1) {
        b[p] = valOp(count, 1);
        break updated;
      }
      // The general case: split the opcode into up to three.
      let n = 0;
      const last = first + span - 1;
      if (zero || xzero) {
        if (index !== first) n = putZeros(index - first, n);
        seq[n++] = valOp(count, 1);
        if (index !== last) n = putZeros(last - index, n);
      } else {
        const curval = valValue(op);
        if (index !== first) seq[n++] = valOp(curval, index - first);
        seq[n++] = valOp(count, 1);
        if (index !== last) seq[n++] = valOp(curval, last - index);
      }
      const oldlen = xzero ? 2 : 1;
      const deltalen = n - oldlen;
      if (deltalen > 0 && this.len + deltalen > sparseMaxBytes) return this.promote(index, count);
      if (deltalen !== 0 && next >= 0) b.copyWithin(next + deltalen, next, end);
      this.len += deltalen;
      b[this.len] = 0;
      for (let i = 0; i < n; i++) b[p + i] = seq[i];
      end += deltalen;
    }

    // Merge adjacent VAL opcodes of equal value, scanning up to 5 opcodes from prev.
    p = prev >= 0 ? prev : sparse;
    let scanlen = 5;
    while (p < end && scanlen-- !== 0) {
      const op1 = b[p];
      if (isXzero(op1)) {
        p += 2;
        continue;
      } else if (isZero(op1)) {
        p++;
        continue;
      }
      if (p + 1 < end && b[p + 1] & 0x80) {
        const v1 = valValue(op1);
        if (v1 === valValue(b[p + 1])) {
          const len = valLen(op1) + valLen(b[p + 1]);
          if (len <= SPARSE_VAL_MAX_LEN) {
            b[p + 1] = valOp(v1, len);
            b.copyWithin(p, p + 1, end + 1);
            this.len--;
            b[this.len] = 0;
            end--;
            continue;
          }
        }
      }
      p++;
    }
    this.invalidateCache();
    return 1;
  }

  /** hllSparseSet's promotion: to dense, then set the register (which grows: 1). */
  private promote(index: number, count: number): number {
    if (!this.toDense()) return -1;
    setDenseRegister(this.bytes, HLL_HDR_SIZE, index, count);
    return 1;
  }
}

/** A ZERO or XZERO opcode for `len` zeros into seq[n, ...); returns the new n. */
function putZeros(len: number, n: number): number {
  if (len > SPARSE_ZERO_MAX_LEN) {
    seq[n] = ((len - 1) >>> 8) | 0x40;
    seq[n + 1] = (len - 1) & 0xff;
    return n + 2;
  }
  seq[n] = len - 1;
  return n + 1;
}

// ---- PFSELFTEST ------------------------------------------------------------------------------

/** C's rand(): 31 random bits. */
function rand(): number {
  return Math.floor(Math.random() * 2147483648);
}

/**
 * pfselftestCommand's checks: dense registers keep what is set without disturbing their
 * neighbours, and 10M adds to a dense and a sparse HLL agree and stay within 6 standard errors
 * at each power of ten. Returns null, or the TESTFAILED message.
 */
export function selfTest(sparseMaxBytes: number): string | null {
  const dense = new Uint8Array(HLL_DENSE_SIZE);
  const bytecounters = new Uint8Array(HLL_REGISTERS);
  for (let j = 0; j < 1000; j++) {
    for (let i = 0; i < HLL_REGISTERS; i++) {
      const r = rand() & HLL_REGISTER_MAX;
      bytecounters[i] = r;
      setDenseRegister(dense, HLL_HDR_SIZE, i, r);
    }
    for (let i = 0; i < HLL_REGISTERS; i++) {
      const val = denseRegister(dense, HLL_HDR_SIZE, i);
      if (val !== bytecounters[i]) return `TESTFAILED Register ${i} should be ${bytecounters[i]} but is ${val}`;
    }
  }
  dense.fill(0);
  const o = new HllBuffer();
  o.create();
  const relerr = 1.04 / Math.sqrt(HLL_REGISTERS);
  let checkpoint = 1;
  const seedLo = rand();
  const seedHi = rand();
  const ele = new Uint8Array(8);
  ele[4] = seedHi & 0xff;
  ele[5] = (seedHi >>> 8) & 0xff;
  ele[6] = (seedHi >>> 16) & 0xff;
  ele[7] = seedHi >>> 24;
  for (let j = 1; j <= 10000000; j++) {
    const lo = (j ^ seedLo) >>> 0;
    ele[0] = lo & 0xff;
    ele[1] = (lo >>> 8) & 0xff;
    ele[2] = (lo >>> 16) & 0xff;
    ele[3] = lo >>> 24;
    const r = patLen(ele, 0, 8);
    const index = r >>> 6;
    if ((r & 63) > denseRegister(dense, HLL_HDR_SIZE, index)) setDenseRegister(dense, HLL_HDR_SIZE, index, r & 63);
    o.set(index, r & 63, sparseMaxBytes);
    if (j !== checkpoint) continue;
    if (j < Math.floor(sparseMaxBytes / 2) && o.encoding !== HLL_SPARSE) return 'TESTFAILED sparse encoding not used';
    const card = hllCount(dense, 0, HLL_DENSE_SIZE);
    if (card !== hllCount(o.bytes, 0, o.len)) return 'TESTFAILED dense/sparse disagree';
    let maxerr = Math.ceil(relerr * 6 * checkpoint);
    if (j === 10) maxerr = 1;
    const abserr = Math.abs(checkpoint - card);
    if (abserr > maxerr) return `TESTFAILED Too big error. card:${checkpoint} abserr:${abserr}`;
    checkpoint *= 10;
  }
  return null;
}
