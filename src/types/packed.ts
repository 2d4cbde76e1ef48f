/*
 * Packed element lists: Redis's listpack idea for small hashes and sets.
 *
 * What: a sequence of elements, each a length prefix (7 bits per byte, little-endian, high bit =
 * more) followed by its bytes. A small hash stores field, value, field, value ...; a small set
 * stores members. The element count is kept by the owner. Two homes for the same format:
 * - bytes (the *At functions): a small hash's elements live in its key's slab chunk, read in
 *   place and edited in its owner's write buffer (hash-value.ts), with no JS object per hash;
 * - a latin1 JS string, one byte per char (so any binary content round-trips and nothing is
 *   ever utf8-decoded): a small set's members, in its SetValue.
 *
 * Cost: lookups are a linear scan comparing chars with argument bytes (Redis's listpack is the
 * same); a write rebuilds the string in a shared scratch Buffer (write the old string, move the
 * tail, write the new bytes) and decodes it once: O(size), no ropes, no per-element objects.
 * Elements are bounded by the owner's thresholds (hash-max-listpack-entries/-value), so size
 * stays small.
 *
 * Why a string and not a Uint8Array: a V8 one-byte string costs a 16-byte header, a typed
 * array about 200 bytes of objects (JSTypedArray, JSArrayBuffer, backing store) before its
 * first byte, and millions of small hashes are the common case (sessions, objects).
 */
import { copyBytes } from '../../store/bytes.ts';

/** Node's latin1 fast paths (Buffer.prototype methods the typings do not declare). */
interface Latin1Buffer extends Buffer {
  latin1Slice(start: number, end: number): string;
  latin1Write(text: string, offset: number, length: number): number;
}

/** Shared scratch for rebuilding packed strings and copying elements out. */
let scratch = Buffer.allocUnsafeSlow(4096) as Latin1Buffer;

/** Position after the last readLen() or readLenAt() (start of the element's bytes). */
export let dataPos = 0;

/** Element length at byte position p of b; sets dataPos to the first byte of the element. */
export function readLenAt(b: Uint8Array, p: number): number {
  let c = b[p++];
  if (c < 128) {
    dataPos = p;
    return c;
  }
  let len = c & 127;
  let shift = 7;
  for (;;) {
    c = b[p++];
    len += (c & 127) * 2 ** shift;
    if (c < 128) break;
    shift += 7;
  }
  dataPos = p;
  return len;
}

/** Position just after the element at byte position p of b. */
export function skipAt(b: Uint8Array, p: number): number {
  const len = readLenAt(b, p);
  return dataPos + len;
}

/**
 * Position of the element equal to buf[off, off+len) among the elements of b starting at
 * `start` (at most `count` of them, taking every `step`-th: 2 skips hash values), or -1.
 */
export function findAt(b: Uint8Array, start: number, count: number, step: number, buf: Uint8Array, off: number, len: number): number {
  let p = start;
  for (let i = 0; i < count; i++) {
    const elen = readLenAt(b, p);
    const d = dataPos;
    if (elen === len) {
      let k = 0;
      while (k < len && b[d + k] === buf[off + k]) k++;
      if (k === len) return p;
    }
    p = d + elen;
    for (let j = 1; j < step; j++) p = skipAt(b, p);
  }
  return -1;
}

/** Point `into` at the element at byte position p of b, in place; returns its length. */
export function viewAt(b: Uint8Array, p: number, into: ElementBytes): number {
  const len = readLenAt(b, p);
  into.buf = b;
  into.off = dataPos;
  into.len = len;
  return len;
}

/** Element length at char position p; sets dataPos to the first byte of the element. */
export function readLen(s: string, p: number): number {
  let c = s.charCodeAt(p++);
  if (c < 128) {
    dataPos = p;
    return c;
  }
  let len = c & 127;
  let shift = 7;
  for (;;) {
    c = s.charCodeAt(p++);
    len += (c & 127) * 2 ** shift;
    if (c < 128) break;
    shift += 7;
  }
  dataPos = p;
  return len;
}

/** Chars needed by an element of len bytes (prefix included). */
export function encodedSize(len: number): number {
  let n = 1;
  let v = len;
  while (v >= 128) {
    v = Math.floor(v / 128);
    n++;
  }
  return n + len;
}

/** Position just after the element at p. */
export function skip(s: string, p: number): number {
  const len = readLen(s, p);
  return dataPos + len;
}

/** The element at char position p equals buf[off, off+len). */
export function elementEquals(s: string, p: number, buf: Uint8Array, off: number, len: number): boolean {
  const elen = readLen(s, p);
  if (elen !== len) return false;
  const d = dataPos;
  for (let i = 0; i < len; i++) if (s.charCodeAt(d + i) !== buf[off + i]) return false;
  return true;
}

/**
 * Position of the element equal to buf[off, off+len) among the elements at positions
 * 0, step, 2*step ... (step 2 skips hash values), or -1.
 */
export function find(s: string, count: number, step: number, buf: Uint8Array, off: number, len: number): number {
  let p = 0;
  const end = s.length;
  for (let i = 0; i < count && p < end; i++) {
    const elen = readLen(s, p);
    const d = dataPos;
    if (elen === len) {
      let k = 0;
      while (k < len && s.charCodeAt(d + k) === buf[off + k]) k++;
      if (k === len) return p;
    }
    p = d + elen;
    for (let j = 1; j < step; j++) p = skip(s, p);
  }
  return -1;
}

function ensureScratch(n: number): Latin1Buffer {
  if (scratch.length < n) {
    let size = scratch.length;
    while (size < n) size *= 2;
    scratch = Buffer.allocUnsafeSlow(size) as Latin1Buffer;
  }
  return scratch;
}

function putLen(b: Uint8Array, p: number, len: number): number {
  while (len >= 128) {
    b[p++] = (len % 128) | 128;
    len = Math.floor(len / 128);
  }
  b[p++] = len;
  return p;
}

/** Write an element (prefix and bytes) at byte position p of b; returns the position after it. */
export function putElement(b: Uint8Array, p: number, buf: Uint8Array, off: number, len: number): number {
  p = putLen(b, p, len);
  copyBytes(buf, off, b, p, len);
  return p + len;
}

/** s with one or two elements appended (b === null: one). */
export function append(
  s: string,
  a: Uint8Array, aoff: number, alen: number,
  b: Uint8Array | null, boff: number, blen: number,
): string {
  const n = s.length;
  const w = ensureScratch(n + encodedSize(alen) + (b === null ? 0 : encodedSize(blen)));
  if (n > 0) w.latin1Write(s, 0, n);
  let p = putElement(w, n, a, aoff, alen);
  if (b !== null) p = putElement(w, p, b, boff, blen);
  return w.latin1Slice(0, p);
}

/** s with the element at p replaced by buf[off, off+len). */
export function replace(s: string, p: number, buf: Uint8Array, off: number, len: number): string {
  const n = s.length;
  const oldEnd = skip(s, p);
  const newSize = encodedSize(len);
  const total = n - (oldEnd - p) + newSize;
  const w = ensureScratch(Math.max(n, total));
  w.latin1Write(s, 0, n);
  w.copyWithin(p + newSize, oldEnd, n);
  putElement(w, p, buf, off, len);
  return w.latin1Slice(0, total);
}

/** s without the chars [from, to). */
export function cut(s: string, from: number, to: number): string {
  if (from === 0 && to === s.length) return '';
  const n = s.length;
  const w = ensureScratch(n);
  w.latin1Write(s, 0, n);
  w.copyWithin(from, to, n);
  return w.latin1Slice(0, n - (to - from));
}

/**
 * Copy the element at p into `into`'s own scratch (grown when needed) and point `into` at it;
 * returns the element's length. Used to hand out packed elements as bytes.
 */
export function copyOut(s: string, p: number, into: ElementBytes): number {
  const len = readLen(s, p);
  const d = dataPos;
  let b = into.own;
  if (b.length < len) {
    let size = b.length * 2;
    while (size < len) size *= 2;
    b = into.own = Buffer.allocUnsafeSlow(size);
  }
  if (len <= 64) for (let i = 0; i < len; i++) b[i] = s.charCodeAt(d + i);
  else b.write(s.substring(d, d + len), 0, len, 'latin1');
  into.buf = b;
  into.off = 0;
  into.len = len;
  return len;
}

/**
 * A byte range handed out by an iterator: buf[off, off + len), valid until the next call on
 * the same ElementBytes or the next write to the collection. `own` is its private scratch
 * (packed and integer elements are copied there; hashtable elements are read in place).
 */
export class ElementBytes {
  own: Buffer = Buffer.allocUnsafeSlow(64);
  buf: Uint8Array = this.own;
  off = 0;
  len = 0;
}

/** Bytes a packed string is estimated to occupy on the V8 heap (header + chars, 8-aligned). */
export function stringBytes(s: string): number {
  return 16 + ((s.length + 7) & ~7);
}

/** Bytes before a stored packed collection's elements: its element count, a little-endian uint32. */
export const STORED_HEADER = 4;

const NO_BYTES = new Uint8Array(0);

/**
 * The packed form of a small collection kept in its key's slab chunk as [count | elements]:
 * the elements are bytes [pbase, pbase + plen) of pbuf, either the chunk (after bindStored) or
 * this form's own write buffer. The first write copies them into the write buffer (offsets
 * relative to pbase stay valid), where edits happen in place; the owner then stores
 * storedBytes()[0, storedLength()) once. Shared by small hashes, sorted sets and lists.
 */
export class PackedForm {
  pbuf: Uint8Array = NO_BYTES;
  pbase = STORED_HEADER;
  plen = 0;
  /** Elements (entries) in the packed form. */
  n = 0;
  /** [STORED_HEADER bytes | elements]; made on the first write. */
  private work: Buffer | null = null;

  /** Point at the form stored at b[off, off + len). */
  protected bindStored(b: Uint8Array, off: number, len: number): void {
    this.pbuf = b;
    this.pbase = off + STORED_HEADER;
    this.plen = len - STORED_HEADER;
    this.n = b[off] | (b[off + 1] << 8) | (b[off + 2] << 16) | (b[off + 3] << 24);
  }

  /** Make the form empty. */
  protected clearStored(): void {
    this.pbuf = NO_BYTES;
    this.pbase = STORED_HEADER;
    this.plen = 0;
    this.n = 0;
  }

  /** Written since it was bound or cleared: the elements are in the write buffer. */
  protected get inWriteBuffer(): boolean {
    return this.pbuf === this.work;
  }

  /**
   * Make the following edits happen in the write buffer even where one could overwrite the
   * chunk in place: for a write of several steps, which must leave the key unchanged if
   * storing its result runs out of memory.
   */
  bufferEdits(): void {
    if (!this.inWriteBuffer) this.writable(0);
  }

  /** The form as it is stored, [count | elements], at storedBytes()[0, return value). */
  storedLength(): number {
    const w = this.writable(0);
    const n = this.n;
    w[0] = n & 255;
    w[1] = (n >>> 8) & 255;
    w[2] = (n >>> 16) & 255;
    w[3] = n >>> 24;
    return STORED_HEADER + this.plen;
  }
  /** The write buffer; call storedLength() first. Valid until the next write. */
  storedBytes(): Buffer {
    return this.work!;
  }

  /** Copy another form's elements into this one's write buffer. */
  protected copyFrom(other: PackedForm): void {
    const w = this.writable(other.plen);
    const src = other.pbuf;
    const base = other.pbase;
    for (let i = 0; i < other.plen; i++) w[STORED_HEADER + i] = src[base + i];
    this.plen = other.plen;
    this.n = other.n;
  }

  /** Replace the elements by the n elements packed at src[off, off + len), in the write buffer. */
  protected replaceElements(src: Uint8Array, off: number, len: number, n: number): void {
    this.plen = 0;
    const w = this.writable(len);
    if (len <= 64) for (let i = 0; i < len; i++) w[STORED_HEADER + i] = src[off + i];
    else w.set(src.subarray(off, off + len), STORED_HEADER);
    this.plen = len;
    this.n = n;
  }

  /** Capacity of the write buffer (0 before the first write): part of a standalone form's memory. */
  protected get writeBufferBytes(): number {
    return this.work === null ? 0 : this.work.length;
  }

  /** The write buffer holding the elements, with room for `extra` more bytes. */
  protected writable(extra: number): Buffer {
    const need = STORED_HEADER + this.plen + extra;
    let w = this.work;
    if (w !== null && this.pbuf === w && w.length >= need) return w;
    if (w === null || w.length < need) {
      let size = w === null ? 64 : w.length * 2;
      while (size < need) size *= 2;
      w = Buffer.allocUnsafeSlow(size);
    }
    const src = this.pbuf;
    const base = this.pbase;
    const len = this.plen;
    if (len <= 64) for (let i = 0; i < len; i++) w[STORED_HEADER + i] = src[base + i];
    else w.set(src.subarray(base, base + len), STORED_HEADER);
    this.work = w;
    this.pbuf = w;
    this.pbase = STORED_HEADER;
    return w;
  }
}

