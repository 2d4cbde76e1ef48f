/*
 * StreamValue: a Redis stream in the store's object table (Redis 7.0 t_stream.c semantics).
 *
 * Layout: entries packed into byte nodes, no JS object per entry.
 * - Redis keeps entries in listpack nodes of at most stream-node-max-entries entries and about
 *   stream-node-max-bytes bytes, under a radix tree keyed by each node's master (first) ID. Its
 *   trimming (MAXLEN ~, the LIMIT budget, what an exact trim marks deleted instead of removing)
 *   and XDEL (a node whose last live entry goes is freed) work node by node, and the visible
 *   results (XLEN after XADD MAXLEN ~ 1000, XINFO's radix-tree-keys) depend on those boundaries.
 *   So the nodes here are Redis's nodes: node k is a run of bytes, and its master ID, first
 *   slot, live count, place, used bytes and an estimate of its listpack size sit in
 *   struct-of-arrays (nodeIds, nodeFirst, ...), in ID order, searched by binary search.
 * - An entry in its node's bytes: a header varint holding its flags (deleted; SAMEFIELDS) in
 *   the low bits of its first byte and its ID relative to the master (seq - master seq when the
 *   ms is the master's; else ms - master ms, then the seq in a second varint), so an entry of a
 *   busy stream spends one or two bytes on flags and ID; then its field count (left out under
 *   SAMEFIELDS), its elements as [varint length][bytes] runs (field, value, field, value ...;
 *   only the values when its fields are the master entry's: Redis's SAMEFIELDS, the common case
 *   of a stream of like events), and last its own length as a varint read backwards, so a node
 *   is walked both ways. The master entry is the node's first; it stays, flagged when deleted,
 *   until its node goes. Decoded IDs are numbers while below 2^53, BigInts beyond.
 * - An entry is addressed by its slot: its position in ID order over all nodes (node k holds
 *   slots nodeFirst[k] .. nodeFirst[k+1]-1, the stream 0 .. tail-1); freeing a node renumbers
 *   the slots after it. A slot's byte offset is found by walking its node from the last slot
 *   located, from the node's start or from its end: O(1) for the sequential reads of XRANGE and
 *   XREAD, at most one node's entries for a lookup.
 * - Only the last node grows. It lives in the stream's growth buffer (doubling); when the next
 *   node starts, its bytes are copied to the end of the current page: closed nodes sit back to
 *   back in pages (Uint8Arrays growing geometrically to PAGE_BYTES), so a node costs no slack
 *   and no JS object of its own (an ArrayBuffer per node cost 1 to 1.5 KB of RSS each, measured,
 *   as V8 kept more heap). A page goes when its last node goes; when the pages hold more than
 *   twice the closed nodes' bytes (nodes freed out of order) they are rewritten. A closed node
 *   that becomes the last again (its successor freed) moves back into the growth buffer.
 *
 * Cost: XADD is amortised O(1). An ID up to 2^50 (every Unix-time ID) is appended through
 * numbers (appendNumeric, or append converting), with the last ID and entries-added kept as
 * numbers while exact: nothing is allocated per entry, only two BigInts per node for its
 * master ID; larger IDs take BigInt arithmetic. A lookup by ID is a binary search over the nodes and a walk of one. XDEL flags the entry;
 * freeing a node costs O(nodes). Reading an entry's ID costs a header decode where a 64-bit
 * array read used to do (XRANGE's range loops compare without BigInts: compareAt). IDs are BigInts in the API (exact to 2^64); the scratch
 * StreamId objects are reused by the caller.
 */
import type { Collection } from './collection.ts';
import { copyBytes } from '../../store/bytes.ts';

export const U64_MAX = 0xffffffffffffffffn;

/** A stream ID (ms-seq). Used as reusable scratch by callers, never stored per entry. */
export class StreamId {
  ms = 0n;
  seq = 0n;
  set(ms: bigint, seq: bigint): this {
    this.ms = ms;
    this.seq = seq;
    return this;
  }
  copy(o: StreamId): this {
    this.ms = o.ms;
    this.seq = o.seq;
    return this;
  }
  compare(o: StreamId): number {
    return compareId(this.ms, this.seq, o.ms, o.seq);
  }
  isZero(): boolean {
    return this.ms === 0n && this.seq === 0n;
  }
  /** streamIncrID: false when already the largest ID. */
  incr(): boolean {
    if (this.seq === U64_MAX) {
      if (this.ms === U64_MAX) return false;
      this.ms++;
      this.seq = 0n;
    } else {
      this.seq++;
    }
    return true;
  }
  /** streamDecrID: false when already 0-0. */
  decr(): boolean {
    if (this.seq === 0n) {
      if (this.ms === 0n) return false;
      this.ms--;
      this.seq = U64_MAX;
    } else {
      this.seq--;
    }
    return true;
  }
}

export function compareId(ams: bigint, aseq: bigint, bms: bigint, bseq: bigint): number {
  if (ams !== bms) return ams < bms ? -1 : 1;
  if (aseq !== bseq) return aseq < bseq ? -1 : 1;
  return 0;
}

/** Size of an integer element in a listpack (encoding plus backlen). */
function lpIntBytes(v: number): number {
  if (v >= 0 && v <= 127) return 2;
  if (v >= -4096 && v <= 4095) return 3;
  if (v >= -32768 && v <= 32767) return 4;
  if (v >= -8388608 && v <= 8388607) return 5;
  if (v >= -2147483648 && v <= 2147483647) return 6;
  return 10;
}

/** Size of a string element in a listpack (an integer-looking string is stored as an integer). */
function lpStrBytes(buf: Uint8Array, off: number, len: number): number {
  if (len > 0 && len <= 18) {
    let i = 0;
    const neg = buf[off] === 45;
    if (neg) i = 1;
    let v = 0;
    let ok = i < len && !(buf[off + i] === 48 && len - i > 1);
    for (; ok && i < len; i++) {
      const d = buf[off + i] - 48;
      if (d < 0 || d > 9) ok = false;
      else v = v * 10 + d;
    }
    if (ok && !(neg && v === 0)) return lpIntBytes(neg ? -v : v);
  }
  const enc = len < 64 ? 1 : len < 4096 ? 2 : 5;
  const n = enc + len;
  return n + (n < 128 ? 1 : n < 16384 ? 2 : n < 2097152 ? 3 : 4);
}

const OBJECT_BYTES = 240;
/** Largest page of closed nodes. */
const PAGE_BYTES = 65536;
/** A page's Uint8Array and ArrayBuffer objects, its backing store's bookkeeping and its array slots (estimate). */
const PAGE_OBJECT_BYTES = 200;
/** Per node of capacity in the metadata arrays: master ID 16 (and 16 as numbers), first 4, live 4, page 4, base 4, used 4, estimate 8. */
const NODE_META_BYTES = 60;
/** Offset of the master entry's field count in its node (after its one-byte header). */
const MASTER_FIELDS_AT = 1;
/** Largest ID delta whose header (delta x 8 plus the low bits) is written from a number. */
const MAX_HEADER_DELTA = (1n << 50n) - 1n;
/** IDs whose ms and seq are at most this are appended through numbers (every delta fits a header). */
const MAX_NUMBER_ID = 2 ** 50 - 1;
/** Varints up to this many bytes (49 bits) read exactly as numbers; longer ones as BigInts. */
const NUMBER_VARINT_BYTES = 7;
const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);
const MAX_SAFE_NUMBER = Number.MAX_SAFE_INTEGER;

const EMPTY = new Uint8Array(0);

/**
 * A number below 2^53 becomes a BigInt through a 64-bit word: its two 32-bit halves written
 * into a Uint32Array view of a BigUint64Array, read back as one element (several times faster
 * than BigInt(number)).
 */
const wide = new BigUint64Array(1);
const halves = new Uint32Array(wide.buffer);
const LOW = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1 ? 0 : 1;

function toBig(n: number): bigint {
  halves[LOW] = n >>> 0;
  halves[1 - LOW] = Math.floor(n / 4294967296);
  return wide[0];
}

/**
 * Low bits of an entry's header: deleted (a tombstone inside its node); fields shared with the
 * master entry; its ms is not the master's (the delta is of ms, and its seq follows).
 */
const DEAD = 1;
const SAME = 2;
const NEW_MS = 4;

/** Offset just past the varint read last by readVar (module scratch: no allocation per read). */
let vEnd = 0;

function readVar(d: Uint8Array, p: number): number {
  const first = d[p];
  if (first < 0x80) {
    vEnd = p + 1;
    return first;
  }
  let n = 0;
  let mul = 1;
  let b: number;
  do {
    b = d[p++];
    n += (b & 0x7f) * mul;
    mul *= 128;
  } while (b >= 0x80);
  vEnd = p;
  return n;
}

/** The varint at p exactly (for those longer than NUMBER_VARINT_BYTES). */
function readVarBig(d: Uint8Array, p: number): bigint {
  let n = 0n;
  let shift = 0n;
  let b: number;
  do {
    b = d[p++];
    n |= BigInt(b & 0x7f) << shift;
    shift += 7n;
  } while (b >= 0x80);
  return n;
}

/** The varint at p as a BigInt, and vEnd past it. */
function readDelta(d: Uint8Array, p: number): bigint {
  const n = readVar(d, p);
  return vEnd - p > NUMBER_VARINT_BYTES ? readVarBig(d, p) : BigInt(n);
}

function varintBytes(n: number): number {
  let b = 1;
  while (n >= 0x80) {
    n = Math.floor(n / 128);
    b++;
  }
  return b;
}

function writeVarint(d: Uint8Array, p: number, n: number): number {
  while (n >= 0x80) {
    d[p++] = (n % 128) | 0x80;
    n = Math.floor(n / 128);
  }
  d[p++] = n;
  return p;
}

function writeVarBig(d: Uint8Array, p: number, v: bigint): number {
  if (v <= MAX_SAFE) return writeVarint(d, p, Number(v));
  while (v >= 0x80n) {
    d[p++] = Number(v & 0x7fn) | 0x80;
    v >>= 7n;
  }
  d[p++] = Number(v);
  return p;
}

/** An entry's length n written to end at p + varintBytes(n), read backwards: low 7 bits last. */
function writeBack(d: Uint8Array, p: number, n: number): number {
  const size = varintBytes(n);
  let q = p + size - 1;
  for (let i = 0; i < size; i++) {
    d[q--] = (n % 128) | (i < size - 1 ? 0x80 : 0);
    n = Math.floor(n / 128);
  }
  return p + size;
}

/** Start of the entry that ends at `end` (just past its backward length). */
function entryStartBefore(d: Uint8Array, end: number): number {
  let q = end - 1;
  let n = 0;
  let mul = 1;
  for (;;) {
    const b = d[q];
    n += (b & 0x7f) * mul;
    if (b < 0x80) break;
    mul *= 128;
    q--;
  }
  return q - n;
}

/**
 * The entry header at p into hNewMs, hDelta and hSeq (module scratch), vEnd past it. hDelta
 * and hSeq are -1 when their varint holds more than a number reads exactly (readHeaderExact).
 */
let hNewMs = false;
let hDelta = 0;
let hSeq = 0;

function readHeader(d: Uint8Array, p: number): void {
  const h = readVar(d, p);
  hNewMs = (d[p] & NEW_MS) !== 0;
  hDelta = vEnd - p > NUMBER_VARINT_BYTES ? -1 : Math.floor(h / 8);
  hSeq = 0;
  if (hNewMs) {
    const q = vEnd;
    hSeq = readVar(d, q);
    if (vEnd - q > NUMBER_VARINT_BYTES) hSeq = -1;
  }
}

/** The header's delta exactly (hNewMs set by readHeader), and hSeqExact after a new ms. */
let hSeqExact = 0n;

function readHeaderExact(d: Uint8Array, p: number): bigint {
  const delta = readVarBig(d, p) >> 3n;
  if ((d[p] & NEW_MS) !== 0) {
    let q = p;
    while (d[q++] >= 0x80);
    hSeqExact = readDelta(d, q);
  }
  return delta;
}

/** Offset just past the header at p. */
function skipHeader(d: Uint8Array, p: number): number {
  let q = p;
  while (d[q++] >= 0x80);
  if ((d[p] & NEW_MS) !== 0) while (d[q++] >= 0x80);
  return q;
}

/** The ID appendNumbers() appends, [ms, seq]. */
const idScratch = new Float64Array(2);

/** An entry's header is assembled here, then copied into its node. */
const headerScratch = new Uint8Array(32);

/** Listpack bytes of one entry whose ID is (dms, dseq) from its node's master. */
function entryBytes(same: boolean, dms: number, dseq: number, buf: Uint8Array, offs: Int32Array, lens: Int32Array, from: number, argc: number): number {
  let b = 2 + lpIntBytes(dms) + lpIntBytes(dseq);
  let elements = (argc - from) >> 1;
  if (!same) {
    b += lpIntBytes((argc - from) >> 1);
    for (let i = from; i < argc; i += 2) b += lpStrBytes(buf, offs[i], lens[i]);
    elements += elements + 1;
  }
  for (let i = from + 1; i < argc; i += 2) b += lpStrBytes(buf, offs[i], lens[i]);
  return b + lpIntBytes(elements + 3);
}

function writeHeader(d: Uint8Array, p: number, delta: bigint, low: number, seq: bigint): number {
  p = delta <= MAX_HEADER_DELTA ? writeVarint(d, p, Number(delta) * 8 + low) : writeVarBig(d, p, (delta << 3n) | BigInt(low));
  return (low & NEW_MS) !== 0 ? writeVarBig(d, p, seq) : p;
}

/** Offset just past the [varint length][bytes] runs of `count` elements from p. */
function skipElements(d: Uint8Array, p: number, count: number): number {
  for (let i = count; i > 0; i--) {
    const len = readVar(d, p);
    p = vEnd + len;
  }
  return p;
}

/** Offset just past the entry at p of the node at `base` of d (its backward length included). */
function entryEnd(d: Uint8Array, p: number, base: number): number {
  const q0 = skipHeader(d, p);
  let q: number;
  if ((d[p] & SAME) !== 0) {
    q = skipElements(d, q0, readVar(d, base + MASTER_FIELDS_AT));
  } else {
    const n = readVar(d, q0);
    q = skipElements(d, vEnd, 2 * n);
  }
  return q + varintBytes(q - p);
}

/**
 * Walks the elements of one entry (field, value, field, value ...) as byte ranges of `buf` (its
 * node's bytes), reading the field names of a SAMEFIELDS entry from its node's master entry.
 * One reusable instance per caller; valid until the next write to the stream.
 */
export class EntryCursor {
  buf: Uint8Array = EMPTY;
  off = 0;
  len = 0;
  private p = 0;
  private mp = 0;
  private same = false;
  private field = true;

  /** Position on slot's entry; returns its element count (2 x fields). */
  start(s: StreamValue, slot: number): number {
    const p = s.locate(slot);
    const k = s.locNode;
    const d = s.bufOf(k);
    this.buf = d;
    this.same = (d[p] & SAME) !== 0;
    const q = skipHeader(d, p);
    let n: number;
    if (this.same) {
      n = readVar(d, s.nodeBase[k] + MASTER_FIELDS_AT);
      this.mp = vEnd;
      this.p = q;
    } else {
      n = readVar(d, q);
      this.p = vEnd;
    }
    this.field = true;
    return 2 * n;
  }

  /** Advance to the next element (off, len in buf). */
  next(): void {
    const d = this.buf;
    if (this.same && this.field) {
      // The field comes from the master entry; skip the master's value after it.
      this.len = readVar(d, this.mp);
      this.off = vEnd;
      const vlen = readVar(d, this.off + this.len);
      this.mp = vEnd + vlen;
    } else {
      this.len = readVar(d, this.p);
      this.off = vEnd;
      this.p = this.off + this.len;
    }
    this.field = !this.field;
  }
}

export class StreamValue implements Collection {
  /**
   * Pages of closed nodes: node k is at nodeBase[k] of pages[nodePage[k]], or at 0 of growBuf
   * when nodePage[k] is -1 (only ever the last node). Per page: bytes placed, bytes of its nodes
   * still there; freed page slots (EMPTY) are reused.
   */
  private pages: Uint8Array[] = [];
  private pageFill: number[] = [];
  private pageLive: number[] = [];
  private freePages: number[] = [];
  /** The page closed nodes go to, -1 before the first. */
  private curPage = -1;
  /** Capacity of the pages held, and bytes of the closed nodes in them. */
  private pagedBytes = 0;
  private closedBytes = 0;
  /** Node k's master ID: ms at 2k, seq at 2k+1; and each as a number, -1 when over 2^53 (IDs decode without BigInt arithmetic below that). */
  nodeIds = new BigUint64Array(2);
  private nodeMsNum = new Float64Array(1);
  private nodeSeqNum = new Float64Array(1);
  /** Node k's first slot, live entries, page and offset there, bytes, estimated listpack bytes. */
  nodeFirst = new Int32Array(1);
  nodeLive = new Int32Array(1);
  private nodePage = new Int32Array(1);
  nodeBase = new Int32Array(1);
  nodeUsed = new Int32Array(1);
  nodeBytes = new Float64Array(1);
  nodeCount = 0;
  /** Slots in all (live and flagged). */
  tail = 0;
  /** The last node's buffer while it grows (EMPTY when none was needed yet). */
  private growBuf = EMPTY;
  /** The node and byte offset of slot locSlot, the last located (-1: none). */
  locNode = 0;
  private locSlot = -1;
  private locOff = 0;
  /** The ID of slot idSlot, the last decoded (-1: none). */
  private idSlot = -1;
  private idMs = 0n;
  private idSeq = 0n;
  /**
   * The decoded ID as numbers when exact (idWide false), else as BigInts: kept as numbers so
   * decoding stores no fresh BigInt into this long-lived object (each such store costs the
   * write barrier and the next scavenge); msAt / seqAt make their BigInt for the caller.
   */
  private idWide = false;
  private idMsNum = 0;
  private idSeqNum = 0;
  /**
   * The target of compareAt relative to node cmpNode's master (-1: none): below it, or its ms
   * delta and seq (relative at the master's ms) as numbers, -1 when not exact.
   */
  private cmpNode = -1;
  private cmpMs = 0n;
  private cmpSeq = 0n;
  private cmpBelow = false;
  private cmpDms = 0;
  private cmpDseq = 0;

  length = 0;
  /**
   * The last ID [ms, seq] and entries-added as numbers while exact (-1 beyond 2^53, the value
   * then in the *Big field): every stream whose IDs are Unix times stays on numbers, so XADD
   * stores no BigInt per entry. A Float64Array, as the ID is read out of it (XADD's reply)
   * without boxing a number past 2^30. lastMs, lastSeq and entriesAdded are the BigInt views.
   */
  readonly lastNum = new Float64Array(2);
  private addedNum = 0;
  private lastMsBig = 0n;
  private lastSeqBig = 0n;
  private addedBig = 0n;
  firstMs = 0n;
  firstSeq = 0n;
  maxDelMs = 0n;
  maxDelSeq = 0n;
  /** Consumer groups in name order (null until the first XGROUP CREATE). */
  groups: StreamGroup[] | null = null;

  get lastMs(): bigint {
    return this.lastNum[0] >= 0 ? BigInt(this.lastNum[0]) : this.lastMsBig;
  }
  set lastMs(v: bigint) {
    this.lastNum[0] = v <= MAX_SAFE ? Number(v) : -1;
    this.lastMsBig = v;
  }
  get lastSeq(): bigint {
    return this.lastNum[1] >= 0 ? BigInt(this.lastNum[1]) : this.lastSeqBig;
  }
  set lastSeq(v: bigint) {
    this.lastNum[1] = v <= MAX_SAFE ? Number(v) : -1;
    this.lastSeqBig = v;
  }
  get entriesAdded(): bigint {
    return this.addedNum >= 0 ? BigInt(this.addedNum) : this.addedBig;
  }
  set entriesAdded(v: bigint) {
    this.addedNum = v <= MAX_SAFE ? Number(v) : -1;
    this.addedBig = v;
  }

  encodingName(): string {
    return 'stream';
  }

  size(): number {
    return this.length;
  }

  get bytes(): number {
    let b = OBJECT_BYTES + this.pagedBytes + this.growBuf.length + this.pages.length * PAGE_OBJECT_BYTES + this.nodeFirst.length * NODE_META_BYTES;
    if (this.groups !== null) for (const g of this.groups) b += g.bytes;
    return b;
  }

  clone(): StreamValue {
    const s = new StreamValue();
    s.growBuf = this.growBuf.length === 0 ? EMPTY : this.growBuf.slice();
    s.pages = this.pages.map((p) => (p.length === 0 ? EMPTY : p.slice()));
    s.pageFill = this.pageFill.slice();
    s.pageLive = this.pageLive.slice();
    s.freePages = this.freePages.slice();
    s.curPage = this.curPage;
    s.pagedBytes = this.pagedBytes;
    s.closedBytes = this.closedBytes;
    s.nodePage = this.nodePage.slice();
    s.nodeBase = this.nodeBase.slice();
    s.nodeIds = this.nodeIds.slice();
    s.nodeMsNum = this.nodeMsNum.slice();
    s.nodeSeqNum = this.nodeSeqNum.slice();
    s.nodeFirst = this.nodeFirst.slice();
    s.nodeLive = this.nodeLive.slice();
    s.nodeUsed = this.nodeUsed.slice();
    s.nodeBytes = this.nodeBytes.slice();
    s.nodeCount = this.nodeCount;
    s.tail = this.tail;
    s.length = this.length;
    s.lastMs = this.lastMs;
    s.lastSeq = this.lastSeq;
    s.firstMs = this.firstMs;
    s.firstSeq = this.firstSeq;
    s.maxDelMs = this.maxDelMs;
    s.maxDelSeq = this.maxDelSeq;
    s.entriesAdded = this.entriesAdded;
    s.groups = this.groups === null ? null : this.groups.map((g) => g.clone());
    return s;
  }

  // ---- slot access ----

  /** Index of the node holding slot s. */
  nodeOf(s: number): number {
    let lo = 0;
    let hi = this.nodeCount - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (this.nodeFirst[mid] <= s) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  /** The buffer holding node k (from nodeBase[k]). */
  bufOf(k: number): Uint8Array {
    const pg = this.nodePage[k];
    return pg < 0 ? this.growBuf : this.pages[pg];
  }

  /** The slot after node k's last. */
  nodeLimit(k: number): number {
    return k + 1 < this.nodeCount ? this.nodeFirst[k + 1] : this.tail;
  }

  /**
   * Byte offset of slot s's entry in bufOf(locNode) (0 <= s < tail), walking from the nearest
   * of the last slot located, its node's start and its node's end.
   */
  locate(s: number): number {
    if (s === this.locSlot) return this.locOff;
    let k = this.locNode;
    if (this.locSlot >= 0) {
      // The next or previous slot in the same node: one step (XRANGE, XREVRANGE, XREAD).
      if (s === this.locSlot + 1 && s < this.nodeLimit(k)) {
        this.locSlot = s;
        this.locOff = entryEnd(this.bufOf(k), this.locOff, this.nodeBase[k]);
        return this.locOff;
      }
      if (s === this.locSlot - 1 && s >= this.nodeFirst[k]) {
        this.locSlot = s;
        this.locOff = entryStartBefore(this.bufOf(k), this.locOff);
        return this.locOff;
      }
    }
    const near = this.locSlot >= 0 && s >= this.nodeFirst[k] && s < this.nodeLimit(k);
    if (!near) k = this.nodeOf(s);
    const d = this.bufOf(k);
    const base = this.nodeBase[k];
    const first = this.nodeFirst[k];
    const end = this.nodeLimit(k);
    let slot = first;
    let p = base;
    if (near && Math.abs(s - this.locSlot) < s - first) {
      slot = this.locSlot;
      p = this.locOff;
    }
    if (end - s < Math.abs(s - slot)) {
      slot = end;
      p = base + this.nodeUsed[k];
    }
    while (slot < s) {
      p = entryEnd(d, p, base);
      slot++;
    }
    while (slot > s) {
      p = entryStartBefore(d, p);
      slot--;
    }
    this.locNode = k;
    this.locSlot = s;
    this.locOff = p;
    return p;
  }

  /** Decode the ID of the entry at byte p of node k (into idMsNum / idSeqNum, or idMs / idSeq when wide). */
  private decodeId(k: number, p: number): void {
    const d = this.bufOf(k);
    readHeader(d, p);
    const mms = this.nodeMsNum[k];
    const mseq = this.nodeSeqNum[k];
    if (hDelta >= 0 && hSeq >= 0 && mms >= 0 && mseq >= 0) {
      const ms = hNewMs ? mms + hDelta : mms;
      const seq = hNewMs ? hSeq : mseq + hDelta;
      if (ms <= MAX_SAFE_NUMBER && seq <= MAX_SAFE_NUMBER) {
        this.idWide = false;
        this.idMsNum = ms;
        this.idSeqNum = seq;
        return;
      }
    }
    this.decodeIdExact(k, p);
  }

  /** decodeId for the IDs beyond 2^53, in BigInt arithmetic (apart, so decodeId stays lean). */
  private decodeIdExact(k: number, p: number): void {
    const d = this.bufOf(k);
    const delta = readHeaderExact(d, p);
    this.idWide = true;
    if ((d[p] & NEW_MS) !== 0) {
      this.idMs = this.nodeIds[2 * k] + delta;
      this.idSeq = hSeqExact;
    } else {
      this.idMs = this.nodeIds[2 * k];
      this.idSeq = this.nodeIds[2 * k + 1] + delta;
    }
  }

  private loadId(s: number): void {
    if (s === this.idSlot) return;
    const p = this.locate(s);
    this.decodeId(this.locNode, p);
    this.idSlot = s;
  }

  /** The ID decodeId decoded last, compared with (ms, seq). */
  private compareDecoded(ms: bigint, seq: bigint): number {
    if (this.idWide) return compareId(this.idMs, this.idSeq, ms, seq);
    return compareId(toBig(this.idMsNum), toBig(this.idSeqNum), ms, seq);
  }

  msAt(s: number): bigint {
    this.loadId(s);
    return this.idWide ? this.idMs : toBig(this.idMsNum);
  }

  seqAt(s: number): bigint {
    this.loadId(s);
    return this.idWide ? this.idSeq : toBig(this.idSeqNum);
  }

  /**
   * Slot s's ID compared with (ms, seq): negative, zero or positive. Compares numbers, not
   * BigInts, where both are exact as numbers (the range loops of XRANGE and XREAD).
   */
  compareAt(s: number, ms: bigint, seq: bigint): number {
    const p = this.locate(s);
    const k = this.locNode;
    if (k !== this.cmpNode || ms !== this.cmpMs || seq !== this.cmpSeq) this.setTarget(k, ms, seq);
    if (this.cmpBelow) return 1;
    if (this.cmpDseq >= 0) {
      readHeader(this.bufOf(k), p);
      if (hDelta >= 0 && hSeq >= 0) {
        const dms = hNewMs ? hDelta : 0;
        return dms !== this.cmpDms ? dms - this.cmpDms : (hNewMs ? hSeq : hDelta) - this.cmpDseq;
      }
    }
    return compareId(this.msAt(s), this.seqAt(s), ms, seq);
  }

  private setTarget(k: number, ms: bigint, seq: bigint): void {
    this.cmpNode = k;
    this.cmpMs = ms;
    this.cmpSeq = seq;
    const mms = this.nodeIds[2 * k];
    const mseq = this.nodeIds[2 * k + 1];
    this.cmpBelow = compareId(ms, seq, mms, mseq) < 0;
    if (this.cmpBelow) return;
    const dms = ms - mms;
    this.cmpDms = dms <= MAX_SAFE ? Number(dms) : -1;
    const dseq = dms === 0n ? seq - mseq : seq;
    this.cmpDseq = this.cmpDms >= 0 && dseq <= MAX_SAFE ? Number(dseq) : -1;
  }

  /** First slot whose ID is >= (ms, seq), or tail. */
  lowerBound(ms: bigint, seq: bigint): number {
    // The last node whose master ID is <= (ms, seq): the answer is in it or is the next node's first.
    let lo = 0;
    let hi = this.nodeCount;
    const ids = this.nodeIds;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (compareId(ids[2 * mid], ids[2 * mid + 1], ms, seq) <= 0) lo = mid + 1;
      else hi = mid;
    }
    if (lo === 0) return 0;
    const k = lo - 1;
    this.idSlot = -1;
    const d = this.bufOf(k);
    const base = this.nodeBase[k];
    const end = this.nodeLimit(k);
    // The target relative to the master (which is <= it), as numbers when exact (else -1):
    // entries compare by their ms delta, then by their seq (relative at the master's ms).
    const tdmsBig = ms - ids[2 * k];
    const tdms = tdmsBig <= MAX_SAFE ? Number(tdmsBig) : -1;
    const tseqBig = tdmsBig === 0n ? seq - ids[2 * k + 1] : seq;
    const tseq = tdms >= 0 && tseqBig <= MAX_SAFE ? Number(tseqBig) : -1;
    let p = base;
    for (let s = this.nodeFirst[k]; s < end; s++) {
      readHeader(d, p);
      let cmp: number;
      if (tseq >= 0 && hDelta >= 0 && hSeq >= 0) {
        const edms = hNewMs ? hDelta : 0;
        cmp = edms !== tdms ? edms - tdms : (hNewMs ? hSeq : hDelta) - tseq;
      } else {
        this.decodeId(k, p);
        cmp = this.compareDecoded(ms, seq);
      }
      if (cmp >= 0) {
        this.locNode = k;
        this.locSlot = s;
        this.locOff = p;
        return s;
      }
      p = entryEnd(d, p, base);
    }
    return end;
  }

  /** Whether slot s is a tombstone. */
  isDeleted(s: number): boolean {
    const p = this.locate(s);
    return (this.bufOf(this.locNode)[p] & DEAD) !== 0;
  }

  /** Whether slot s stores only values, its fields being its node's master entry's (SAMEFIELDS). */
  sharesMasterFields(s: number): boolean {
    const p = this.locate(s);
    return (this.bufOf(this.locNode)[p] & SAME) !== 0;
  }

  /** First live slot at or after s, or tail. */
  nextLive(s: number): number {
    while (s < this.tail && this.isDeleted(s)) s++;
    return s;
  }

  /** Last live slot at or before s, or -1. */
  prevLive(s: number): number {
    while (s >= 0 && this.isDeleted(s)) s--;
    return s;
  }

  /** streamLastValidID: the ID of the last live entry (0-0 when empty). */
  lastValid(out: StreamId): StreamId {
    const s = this.prevLive(this.tail - 1);
    return s < 0 ? out.set(0n, 0n) : out.set(this.msAt(s), this.seqAt(s));
  }

  /** Entries that are not tombstones, counted over the nodes. */
  liveEntries(): number {
    let n = 0;
    for (let k = 0; k < this.nodeCount; k++) n += this.nodeLive[k];
    return n;
  }

  // ---- appending ----

  private ensureNodes(): void {
    if (this.nodeCount < this.nodeFirst.length) return;
    const cap = this.nodeFirst.length * 2;
    const ids = new BigUint64Array(cap * 2);
    ids.set(this.nodeIds);
    this.nodeIds = ids;
    const mn = new Float64Array(cap);
    mn.set(this.nodeMsNum);
    this.nodeMsNum = mn;
    const sn = new Float64Array(cap);
    sn.set(this.nodeSeqNum);
    this.nodeSeqNum = sn;
    const f = new Int32Array(cap);
    f.set(this.nodeFirst);
    this.nodeFirst = f;
    const l = new Int32Array(cap);
    l.set(this.nodeLive);
    this.nodeLive = l;
    const pg = new Int32Array(cap);
    pg.set(this.nodePage);
    this.nodePage = pg;
    const nb = new Int32Array(cap);
    nb.set(this.nodeBase);
    this.nodeBase = nb;
    const u = new Int32Array(cap);
    u.set(this.nodeUsed);
    this.nodeUsed = u;
    const b = new Float64Array(cap);
    b.set(this.nodeBytes);
    this.nodeBytes = b;
  }

  /** Start node k = nodeCount with master ID (ms, seq), closing the last node. */
  private openNode(ms: bigint, seq: bigint): number {
    if (this.nodeCount > 0) this.closeNode(this.nodeCount - 1);
    this.ensureNodes();
    const k = this.nodeCount++;
    this.nodePage[k] = -1;
    this.nodeBase[k] = 0;
    this.nodeIds[2 * k] = ms;
    this.nodeIds[2 * k + 1] = seq;
    this.nodeMsNum[k] = ms <= MAX_SAFE ? Number(ms) : -1;
    this.nodeSeqNum[k] = seq <= MAX_SAFE ? Number(seq) : -1;
    this.nodeFirst[k] = this.tail;
    this.nodeLive[k] = 0;
    this.nodeUsed[k] = 0;
    this.nodeBytes[k] = 0;
    return k;
  }

  /** Move node k out of the growth buffer to the end of the current page. */
  private closeNode(k: number): void {
    if (this.nodePage[k] < 0) this.place(k, this.growBuf, 0);
  }

  /** Copy node k's bytes (at `from` of src) to the end of the current page, or of a new one. */
  private place(k: number, src: Uint8Array, from: number): void {
    const size = this.nodeUsed[k];
    let pg = this.curPage;
    if (pg < 0 || this.pages[pg].length - this.pageFill[pg] < size) pg = this.newPage(size);
    const base = this.pageFill[pg];
    copyBytes(src, from, this.pages[pg], base, size);
    this.pageFill[pg] = base + size;
    this.pageLive[pg] += size;
    this.closedBytes += size;
    this.nodePage[k] = pg;
    this.nodeBase[k] = base;
    this.locSlot = -1;
  }

  /** A new current page for at least `size` bytes: as large as the pages so far, up to PAGE_BYTES. */
  private newPage(size: number): number {
    const page = new Uint8Array(Math.max(size, Math.min(PAGE_BYTES, this.pagedBytes)));
    let pg = this.freePages.length > 0 ? this.freePages.pop()! : this.pages.length;
    if (pg === this.pages.length) {
      this.pages.push(page);
      this.pageFill.push(0);
      this.pageLive.push(0);
    } else {
      this.pages[pg] = page;
      this.pageFill[pg] = 0;
      this.pageLive[pg] = 0;
    }
    this.pagedBytes += page.length;
    this.curPage = pg;
    return pg;
  }

  /** Node k leaves its page (freed, or moved back into the growth buffer); an emptied page goes. */
  private releaseClosed(k: number): void {
    const pg = this.nodePage[k];
    if (pg < 0) return;
    const size = this.nodeUsed[k];
    this.closedBytes -= size;
    this.pageLive[pg] -= size;
    if (this.pageLive[pg] !== 0) return;
    if (pg === this.curPage) {
      this.pageFill[pg] = 0;
    } else {
      this.pagedBytes -= this.pages[pg].length;
      this.pages[pg] = EMPTY;
      this.freePages.push(pg);
    }
  }

  /** Rewrite the closed nodes into fresh pages, back to back (after nodes were freed out of order). */
  private compactPages(): void {
    const old = this.pages;
    this.pages = [];
    this.pageFill = [];
    this.pageLive = [];
    this.freePages = [];
    this.curPage = -1;
    this.pagedBytes = 0;
    this.closedBytes = 0;
    for (let k = 0; k < this.nodeCount; k++) {
      const pg = this.nodePage[k];
      if (pg >= 0) this.place(k, old[pg], this.nodeBase[k]);
    }
  }

  /** The last node k's buffer with room for `extra` more bytes: the growth buffer. */
  private room(k: number, extra: number): Uint8Array {
    const pg = this.nodePage[k];
    const used = this.nodeUsed[k];
    const need = used + extra;
    if (pg < 0 && need <= this.growBuf.length) return this.growBuf;
    let g = this.growBuf;
    if (need > g.length) {
      let cap = Math.max(64, g.length * 2);
      while (cap < need) cap *= 2;
      g = new Uint8Array(cap);
    }
    if (pg >= 0) {
      // A closed node that is the last again: back into the growth buffer (free scratch now).
      const base = this.nodeBase[k];
      g.set(this.pages[pg].subarray(base, base + used));
      this.releaseClosed(k);
      this.nodePage[k] = -1;
      this.nodeBase[k] = 0;
      this.locSlot = -1;
    } else if (g !== this.growBuf) {
      g.set(this.growBuf.subarray(0, used));
    }
    this.growBuf = g;
    return g;
  }

  /** The fields of the arguments from..argc-1 are those of node k's master entry: Redis's SAMEFIELDS. */
  private sameFields(k: number, buf: Uint8Array, offs: Int32Array, lens: Int32Array, from: number, argc: number): boolean {
    const d = this.bufOf(k);
    if ((argc - from) >> 1 !== readVar(d, this.nodeBase[k] + MASTER_FIELDS_AT)) return false;
    let pm = vEnd;
    for (let i = from; i < argc; i += 2) {
      const lm = readVar(d, pm);
      pm = vEnd;
      const len = lens[i];
      if (len !== lm) return false;
      const off = offs[i];
      for (let j = 0; j < len; j++) if (d[pm + j] !== buf[off + j]) return false;
      pm += lm;
      const vl = readVar(d, pm);
      pm = vEnd + vl;
    }
    return true;
  }

  /**
   * Total field and value bytes of the pairs in argument slots from..argc-1 (the size Redis
   * checks against the listpack limit and its node size).
   */
  static pairBytes(lens: Int32Array, from: number, argc: number): number {
    let t = 0;
    for (let i = from; i < argc; i++) t += lens[i];
    return t;
  }

  /**
   * Append an entry with ID (ms, seq) and the field/value arguments from..argc-1 (an even
   * count), under the node limits. The caller has checked that the ID is above lastId.
   */
  append(ms: bigint, seq: bigint, buf: Uint8Array, offs: Int32Array, lens: Int32Array, from: number, argc: number, nodeMaxBytes: number, nodeMaxEntries: number): void {
    const newNode = this.needsNewNode(lens, from, argc, nodeMaxBytes, nodeMaxEntries);
    if (ms <= MAX_HEADER_DELTA && seq <= MAX_HEADER_DELTA && (newNode || this.nodeSeqNum[this.nodeCount - 1] >= 0)) {
      idScratch[0] = Number(ms);
      idScratch[1] = Number(seq);
      this.appendNumbers(idScratch, buf, offs, lens, from, argc, newNode);
      return;
    }
    this.appendEntry(ms, seq, buf, offs, lens, from, argc, newNode);
    this.length++;
    this.entriesAdded = this.entriesAdded + 1n;
    this.lastMs = ms;
    this.lastSeq = seq;
    if (this.length === 1) {
      this.firstMs = ms;
      this.firstSeq = seq;
    }
  }

  /**
   * XADD's auto ID (`*`) appended through numbers, when the last ID is held as numbers and the
   * new one fits: streamAppendItem's ID (the clock's ms when it is past the last ms, else the
   * last ID + 1), read afterwards from lastNum. False, changing nothing, when the ID needs
   * BigInts (the caller then computes it and calls append()). The entry must fit a node.
   */
  appendAuto(clock: { now: number }, buf: Uint8Array, offs: Int32Array, lens: Int32Array, from: number, argc: number, nodeMaxBytes: number, nodeMaxEntries: number): boolean {
    const lastMs = this.lastNum[0];
    const lastSeq = this.lastNum[1];
    const now = clock.now;
    const ms = now > lastMs ? now : lastMs;
    const seq = now > lastMs ? 0 : lastSeq + 1;
    if (lastMs < 0 || lastSeq < 0 || ms > MAX_NUMBER_ID || seq > MAX_NUMBER_ID) return false;
    const newNode = this.needsNewNode(lens, from, argc, nodeMaxBytes, nodeMaxEntries);
    if (!newNode && this.nodeSeqNum[this.nodeCount - 1] < 0) return false;
    idScratch[0] = ms;
    idScratch[1] = seq;
    this.appendNumbers(idScratch, buf, offs, lens, from, argc, newNode);
    return true;
  }

  /** Whether an entry of the pairs from..argc-1 starts a new node under the node limits. */
  private needsNewNode(lens: Int32Array, from: number, argc: number, nodeMaxBytes: number, nodeMaxEntries: number): boolean {
    if (this.nodeCount === 0) return true;
    const k = this.nodeCount - 1;
    const maxBytes = nodeMaxBytes === 0 || nodeMaxBytes > 0x3fffffff ? 0x3fffffff : nodeMaxBytes;
    if (this.nodeBytes[k] + StreamValue.pairBytes(lens, from, argc) >= maxBytes) return true;
    return nodeMaxEntries !== 0 && this.tail - this.nodeFirst[k] >= nodeMaxEntries;
  }

  /**
   * append() with numbers: the ID, id [ms, seq] (a Float64Array, so that no number past 2^30
   * is boxed to pass it), and the last node's master seq are at most MAX_NUMBER_ID.
   */
  private appendNumbers(id: Float64Array, buf: Uint8Array, offs: Int32Array, lens: Int32Array, from: number, argc: number, newNode: boolean): void {
    const ms = id[0];
    const seq = id[1];
    const k = newNode ? this.openNode(BigInt(ms), BigInt(seq)) : this.nodeCount - 1;
    const same = !newNode && this.sameFields(k, buf, offs, lens, from, argc);
    const mms = this.nodeMsNum[k];
    const mseq = this.nodeSeqNum[k];
    const newMs = ms !== mms;
    const low = (newMs ? NEW_MS : 0) | (same ? SAME : 0);
    let h = writeVarint(headerScratch, 0, (newMs ? ms - mms : seq - mseq) * 8 + low);
    if (newMs) h = writeVarint(headerScratch, h, seq);
    this.storeEntry(k, same, newNode, h, ms - mms, seq - mseq, buf, offs, lens, from, argc);
    this.length++;
    if (this.addedNum >= 0 && this.addedNum < MAX_SAFE_NUMBER) this.addedNum++;
    else this.entriesAdded = this.entriesAdded + 1n;
    this.lastNum[0] = ms;
    this.lastNum[1] = seq;
    if (this.length === 1) {
      this.firstMs = BigInt(ms);
      this.firstSeq = BigInt(seq);
    }
  }

  /**
   * Append an entry read from a serialized node (RESTORE): it starts a new node when `newNode`
   * (the first entry of a listpack), and is a tombstone when `deleted`. IDs must come in
   * increasing order. Only the entry structure changes: the caller sets length, the first,
   * last and max-deleted IDs and entries-added from the payload afterwards.
   */
  appendLoaded(ms: bigint, seq: bigint, buf: Uint8Array, offs: Int32Array, lens: Int32Array, from: number, argc: number, newNode: boolean, deleted: boolean): void {
    const p = this.appendEntry(ms, seq, buf, offs, lens, from, argc, newNode || this.nodeCount === 0);
    if (deleted) {
      const k = this.nodeCount - 1;
      this.bufOf(k)[p] |= DEAD;
      this.nodeLive[k]--;
    }
  }

  /** Store one entry in a new or the last node (no stream metadata); returns its byte offset. */
  private appendEntry(ms: bigint, seq: bigint, buf: Uint8Array, offs: Int32Array, lens: Int32Array, from: number, argc: number, newNode: boolean): number {
    const k = newNode ? this.openNode(ms, seq) : this.nodeCount - 1;
    const same = !newNode && this.sameFields(k, buf, offs, lens, from, argc);
    const mms = this.nodeIds[2 * k];
    const mseq = this.nodeIds[2 * k + 1];
    const newMs = ms !== mms;
    const low = (newMs ? NEW_MS : 0) | (same ? SAME : 0);
    const h = writeHeader(headerScratch, 0, newMs ? ms - mms : seq - mseq, low, seq);
    return this.storeEntry(k, same, newNode, h, Number(ms - mms), Number(seq - mseq), buf, offs, lens, from, argc);
  }

  /**
   * Store one entry in node k whose header (ID and flags) is headerScratch[0, headerLength);
   * (dms, dseq) is its ID relative to the node's master, for the listpack size estimate.
   */
  private storeEntry(k: number, same: boolean, newNode: boolean, headerLength: number, dms: number, dseq: number, buf: Uint8Array, offs: Int32Array, lens: Int32Array, from: number, argc: number): number {
    const fields = (argc - from) >> 1;
    const step = same ? 2 : 1;
    const firstArg = same ? from + 1 : from;
    let size = headerLength + (same ? 0 : varintBytes(fields));
    for (let i = firstArg; i < argc; i += step) size += varintBytes(lens[i]) + lens[i];
    const d = this.room(k, size + varintBytes(size));
    const start = this.nodeUsed[k];
    let p = start;
    for (let i = 0; i < headerLength; i++) d[p++] = headerScratch[i];
    if (!same) p = writeVarint(d, p, fields);
    for (let i = firstArg; i < argc; i += step) {
      const len = lens[i];
      const off = offs[i];
      p = writeVarint(d, p, len);
      copyBytes(buf, off, d, p, len);
      p += len;
    }
    this.nodeUsed[k] = writeBack(d, p, size);
    this.tail++;
    this.nodeLive[k]++;
    if (newNode) {
      // Header and end, the master entry (count, deleted, num-fields, fields, terminator).
      let b = 7 + 2 + 2 + lpIntBytes(fields) + 2;
      for (let i = from; i < argc; i += 2) b += lpStrBytes(buf, offs[i], lens[i]);
      this.nodeBytes[k] = b + entryBytes(true, dms, dseq, buf, offs, lens, from, argc);
    } else {
      this.nodeBytes[k] += entryBytes(same, dms, dseq, buf, offs, lens, from, argc);
    }
    return start;
  }

  // ---- removing ----

  /** Free nodes k .. k+count-1 and their slots; the slots after them move down. */
  private removeNodes(k: number, count: number): void {
    const first = this.nodeFirst[k];
    const end = this.nodeLimit(k + count - 1);
    const n = end - first;
    for (let j = k; j < k + count; j++) this.releaseClosed(j);
    const total = this.nodeCount;
    for (let j = k + count; j < total; j++) this.nodeFirst[j - count] = this.nodeFirst[j] - n;
    this.nodePage.copyWithin(k, k + count, total);
    this.nodeBase.copyWithin(k, k + count, total);
    this.nodeIds.copyWithin(2 * k, 2 * (k + count), 2 * total);
    this.nodeMsNum.copyWithin(k, k + count, total);
    this.nodeSeqNum.copyWithin(k, k + count, total);
    this.nodeLive.copyWithin(k, k + count, total);
    this.nodeUsed.copyWithin(k, k + count, total);
    this.nodeBytes.copyWithin(k, k + count, total);
    this.nodeCount = total - count;
    this.tail -= n;
    this.locSlot = -1;
    this.idSlot = -1;
    this.cmpNode = -1;
    if (this.nodeCount === 0) {
      this.growBuf = EMPTY;
      this.pages = [];
      this.pageFill = [];
      this.pageLive = [];
      this.freePages = [];
      this.curPage = -1;
      this.pagedBytes = 0;
    } else if (this.pagedBytes > 2 * this.closedBytes + PAGE_BYTES) {
      this.compactPages();
    }
  }

  /** streamDeleteItem: delete the entry with exactly this ID; false when there is none. */
  deleteId(ms: bigint, seq: bigint): boolean {
    const s = this.hasEntry(ms, seq);
    if (s < 0) return false;
    const k = this.locNode;
    this.length--;
    if (this.nodeLive[k] === 1) {
      this.removeNodes(k, 1);
    } else {
      this.bufOf(k)[this.locate(s)] |= DEAD;
      this.nodeLive[k]--;
    }
    return true;
  }

  /** The first live entry's ID into first (streamGetEdgeID first, skipping tombstones), 0-0 when empty. */
  private refreshFirst(): void {
    const s = this.nextLive(0);
    if (s >= this.tail) {
      this.firstMs = 0n;
      this.firstSeq = 0n;
    } else {
      this.firstMs = this.msAt(s);
      this.firstSeq = this.seqAt(s);
    }
  }

  /** After XDEL: first_id as xdelCommand sets it. */
  afterDelete(firstDeleted: boolean): void {
    if (this.length === 0) {
      this.firstMs = 0n;
      this.firstSeq = 0n;
    } else if (firstDeleted) {
      this.refreshFirst();
    }
  }

  /**
   * streamTrim: MAXLEN (maxlen >= 0) or MINID (minMs/minSeq, when maxlen < 0), approximate or
   * exact, with a work limit (0: none). Returns the number of entries removed.
   */
  trim(maxlen: number, minMs: bigint, minSeq: bigint, approx: boolean, limit: number): number {
    const byLen = maxlen >= 0;
    let deleted = 0;
    // Whole nodes 0 .. k-1 go, at the end, in one move.
    let k = 0;
    while (k < this.nodeCount) {
      if (byLen && this.length <= maxlen) break;
      const entries = this.nodeLive[k];
      if (limit !== 0 && deleted + entries > limit) break;
      const end = this.nodeLimit(k);
      let remove: boolean;
      if (byLen) {
        remove = this.length - entries >= maxlen;
      } else {
        const last = end - 1;
        remove = compareId(this.msAt(last), this.seqAt(last), minMs, minSeq) < 0;
      }
      if (remove) {
        this.length -= entries;
        deleted += entries;
        k++;
        continue;
      }
      if (approx) break;
      let marked = 0;
      const d = this.bufOf(k);
      const base = this.nodeBase[k];
      let p = base;
      for (let s = this.nodeFirst[k]; s < end; s++) {
        if (byLen) {
          if (this.length <= maxlen) break;
        } else {
          this.decodeId(k, p);
          if (this.compareDecoded(minMs, minSeq) >= 0) break;
        }
        if ((d[p] & DEAD) === 0) {
          d[p] |= DEAD;
          marked++;
          this.length--;
        }
        p = entryEnd(d, p, base);
      }
      this.idSlot = -1;
      this.nodeLive[k] -= marked;
      deleted += marked;
      break;
    }
    if (k > 0) this.removeNodes(0, k);
    if (this.length === 0) {
      this.firstMs = 0n;
      this.firstSeq = 0n;
    } else if (deleted !== 0) {
      this.refreshFirst();
    }
    return deleted;
  }

  // ---- consumer groups ----

  /** Position of the group named buf[off, off+len), or -(insertion point)-1. */
  private groupIndex(buf: Uint8Array, off: number, len: number): number {
    const groups = this.groups;
    if (groups === null) return -1;
    let lo = 0;
    let hi = groups.length;
    const key = buf.subarray(off, off + len);
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const cmp = Buffer.compare(groups[mid].name, key);
      if (cmp === 0) return mid;
      if (cmp < 0) lo = mid + 1;
      else hi = mid;
    }
    return -lo - 1;
  }

  findGroup(buf: Uint8Array, off: number, len: number): StreamGroup | null {
    const i = this.groupIndex(buf, off, len);
    return i >= 0 ? this.groups![i] : null;
  }

  /** streamCreateCG: null when the name is taken. */
  createGroup(buf: Uint8Array, off: number, len: number, ms: bigint, seq: bigint, entriesRead: bigint): StreamGroup | null {
    const i = this.groupIndex(buf, off, len);
    if (i >= 0) return null;
    const g = new StreamGroup(Buffer.from(buf.subarray(off, off + len)), ms, seq, entriesRead);
    if (this.groups === null) this.groups = [];
    this.groups.splice(-i - 1, 0, g);
    return g;
  }

  destroyGroup(g: StreamGroup): void {
    this.groups!.splice(this.groups!.indexOf(g), 1);
  }

  get groupCount(): number {
    return this.groups === null ? 0 : this.groups.length;
  }

  /** streamEntryExists: a live entry with exactly this ID. */
  hasEntry(ms: bigint, seq: bigint): number {
    const s = this.lowerBound(ms, seq);
    return s < this.tail && !this.isDeleted(s) && this.msAt(s) === ms && this.seqAt(s) === seq ? s : -1;
  }

  /** streamRangeHasTombstones from (ms, seq) to the end. */
  hasTombstonesFrom(ms: bigint, seq: bigint): boolean {
    if (this.length === 0 || (this.maxDelMs === 0n && this.maxDelSeq === 0n)) return false;
    if (compareId(this.firstMs, this.firstSeq, this.maxDelMs, this.maxDelSeq) > 0) return false;
    return compareId(ms, seq, this.maxDelMs, this.maxDelSeq) <= 0;
  }

  /** streamEstimateDistanceFromFirstEverEntry: the ID's read counter, or -1n when unknown. */
  estimateDistance(ms: bigint, seq: bigint): bigint {
    if (this.entriesAdded === 0n) return 0n;
    const cmpLast = compareId(ms, seq, this.lastMs, this.lastSeq);
    if (this.length === 0 && cmpLast < 1) return this.entriesAdded;
    if (cmpLast === 0) return this.entriesAdded;
    if (cmpLast > 0) return -1n;
    const cmpFirst = compareId(ms, seq, this.firstMs, this.firstSeq);
    const noTombstones = (this.maxDelMs === 0n && this.maxDelSeq === 0n) || compareId(this.maxDelMs, this.maxDelSeq, this.firstMs, this.firstSeq) < 0;
    if (noTombstones) {
      if (cmpFirst < 0) return this.entriesAdded - BigInt(this.length);
      if (cmpFirst === 0) return this.entriesAdded - BigInt(this.length) + 1n;
    }
    return -1n;
  }

  /** streamReplyWithCGLag's value: the lag (negative after a too-large ENTRIESREAD), or null when it cannot be known. */
  groupLag(g: StreamGroup): bigint | null {
    if (this.entriesAdded === 0n) return 0n;
    if (g.entriesRead !== -1n && !this.hasTombstonesFrom(g.lastMs, g.lastSeq)) return this.entriesAdded - g.entriesRead;
    const read = this.estimateDistance(g.lastMs, g.lastSeq);
    return read === -1n ? null : this.entriesAdded - read;
  }

  // ---- XINFO ----

  /** raxSize of the node tree: one key per node. */
  get radixKeys(): number {
    return this.nodeCount;
  }

  /** rax numnodes for the nodes' 16-byte big-endian master IDs (the canonical compressed trie). */
  radixNodes(): number {
    const n = this.nodeCount;
    if (n === 0) return 1;
    const keys = new Uint8Array(n * 16);
    const v = new DataView(keys.buffer);
    for (let k = 0; k < n; k++) {
      v.setBigUint64(k * 16, this.nodeIds[2 * k]);
      v.setBigUint64(k * 16 + 8, this.nodeIds[2 * k + 1]);
    }
    return countRax(keys, 0, n, 0);
  }
}

/** Nodes of a compressed trie holding keys lo..hi-1 (sorted, distinct, 16 bytes) from byte depth. */
function countRax(keys: Uint8Array, lo: number, hi: number, depth: number): number {
  if (depth === 16) return 1;
  // Common prefix of the range (sorted keys: of the first and the last).
  let l = 0;
  while (depth + l < 16 && keys[lo * 16 + depth + l] === keys[(hi - 1) * 16 + depth + l]) l++;
  if (l > 0) return 1 + (depth + l === 16 ? 1 : branch(keys, lo, hi, depth + l));
  return branch(keys, lo, hi, depth);
}

function branch(keys: Uint8Array, lo: number, hi: number, depth: number): number {
  let total = 1;
  let i = lo;
  while (i < hi) {
    const b = keys[i * 16 + depth];
    let j = i + 1;
    while (j < hi && keys[j * 16 + depth] === b) j++;
    total += depth + 1 === 16 ? 1 : countRax(keys, i, j, depth + 1);
    i = j;
  }
  return total;
}

/** A consumer of a group: a small object per consumer (as Redis's streamConsumer). */
export class StreamConsumer {
  readonly name: Buffer;
  /** Group-local number stored in the PEL's owner column. */
  readonly id: number;
  seenTime: number;
  /** Entries of the group's PEL it owns. */
  pending = 0;

  constructor(name: Buffer, id: number, seenTime: number) {
    this.name = name;
    this.id = id;
    this.seenTime = seenTime;
  }
}

/**
 * A consumer group: its last delivered ID and read counter, its consumers in name order, and
 * its pending entries list as sorted parallel typed arrays (ID, delivery time, delivery count,
 * owner); a consumer's own PEL is the group PEL filtered by owner, in the same ID order.
 * Deliveries append at the end (IDs only grow); an acknowledgement or claim of an arbitrary
 * entry moves the tail of the arrays.
 */
export class StreamGroup {
  readonly name: Buffer;
  lastMs: bigint;
  lastSeq: bigint;
  /** entries_read, -1n when unknown (SCG_INVALID_ENTRIES_READ). */
  entriesRead: bigint;
  consumers: StreamConsumer[] = [];
  /** Consumers by their PEL owner number. */
  private readonly byId = new Map<number, StreamConsumer>();
  private nextConsumer = 1;
  pelIds = new BigUint64Array(16);
  pelTime = new Float64Array(8);
  pelCount = new Float64Array(8);
  pelOwner = new Int32Array(8);
  pelLen = 0;

  constructor(name: Buffer, ms: bigint, seq: bigint, entriesRead: bigint) {
    this.name = name;
    this.lastMs = ms;
    this.lastSeq = seq;
    this.entriesRead = entriesRead;
  }

  clone(): StreamGroup {
    const g = new StreamGroup(this.name, this.lastMs, this.lastSeq, this.entriesRead);
    g.consumers = this.consumers.map((c) => {
      const k = new StreamConsumer(c.name, c.id, c.seenTime);
      k.pending = c.pending;
      g.byId.set(k.id, k);
      return k;
    });
    g.nextConsumer = this.nextConsumer;
    g.pelIds = this.pelIds.slice();
    g.pelTime = this.pelTime.slice();
    g.pelCount = this.pelCount.slice();
    g.pelOwner = this.pelOwner.slice();
    g.pelLen = this.pelLen;
    return g;
  }

  get bytes(): number {
    let b = 100 + this.name.length + this.pelIds.byteLength + this.pelTime.byteLength * 2 + this.pelOwner.byteLength;
    for (const c of this.consumers) b += 64 + c.name.length;
    return b;
  }

  // ---- consumers ----

  /** Position of the consumer named buf[off, off+len) in name order, or -(insertion point)-1. */
  private consumerIndex(buf: Uint8Array, off: number, len: number): number {
    let lo = 0;
    let hi = this.consumers.length;
    const key = buf.subarray(off, off + len);
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const cmp = Buffer.compare(this.consumers[mid].name, key);
      if (cmp === 0) return mid;
      if (cmp < 0) lo = mid + 1;
      else hi = mid;
    }
    return -lo - 1;
  }

  findConsumer(buf: Uint8Array, off: number, len: number): StreamConsumer | null {
    const i = this.consumerIndex(buf, off, len);
    return i >= 0 ? this.consumers[i] : null;
  }

  /** streamCreateConsumer: null when it already exists. */
  createConsumer(buf: Uint8Array, off: number, len: number, now: number): StreamConsumer | null {
    const i = this.consumerIndex(buf, off, len);
    if (i >= 0) return null;
    const c = new StreamConsumer(Buffer.from(buf.subarray(off, off + len)), this.nextConsumer++, now);
    this.consumers.splice(-i - 1, 0, c);
    this.byId.set(c.id, c);
    return c;
  }

  consumerById(id: number): StreamConsumer {
    const c = this.byId.get(id);
    if (c === undefined) throw new Error('stream PEL entry owned by a missing consumer');
    return c;
  }

  /** streamDelConsumer: drop it and its PEL entries; returns how many it had pending. */
  deleteConsumer(consumer: StreamConsumer): number {
    const pending = consumer.pending;
    let w = 0;
    for (let r = 0; r < this.pelLen; r++) {
      if (this.pelOwner[r] === consumer.id) continue;
      if (w !== r) this.moveEntry(r, w);
      w++;
    }
    this.pelLen = w;
    const i = this.consumers.indexOf(consumer);
    this.consumers.splice(i, 1);
    this.byId.delete(consumer.id);
    return pending;
  }

  // ---- the pending entries list ----

  pelMs(i: number): bigint {
    return this.pelIds[2 * i];
  }

  pelSeq(i: number): bigint {
    return this.pelIds[2 * i + 1];
  }

  /** First PEL position with ID >= (ms, seq). */
  pelLowerBound(ms: bigint, seq: bigint): number {
    let lo = 0;
    let hi = this.pelLen;
    const ids = this.pelIds;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (compareId(ids[2 * mid], ids[2 * mid + 1], ms, seq) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** PEL position of exactly this ID, or -1. */
  pelFind(ms: bigint, seq: bigint): number {
    const i = this.pelLowerBound(ms, seq);
    return i < this.pelLen && this.pelIds[2 * i] === ms && this.pelIds[2 * i + 1] === seq ? i : -1;
  }

  private moveEntry(from: number, to: number): void {
    this.pelIds[2 * to] = this.pelIds[2 * from];
    this.pelIds[2 * to + 1] = this.pelIds[2 * from + 1];
    this.pelTime[to] = this.pelTime[from];
    this.pelCount[to] = this.pelCount[from];
    this.pelOwner[to] = this.pelOwner[from];
  }

  /** Insert an entry at PEL position i (owner 0: none, as XCLAIM FORCE creates it). */
  pelInsert(i: number, ms: bigint, seq: bigint, time: number, count: number, owner: StreamConsumer | null): void {
    if (this.pelLen === this.pelTime.length) {
      const cap = this.pelTime.length * 2;
      const ids = new BigUint64Array(cap * 2);
      ids.set(this.pelIds);
      this.pelIds = ids;
      const t = new Float64Array(cap);
      t.set(this.pelTime);
      this.pelTime = t;
      const n = new Float64Array(cap);
      n.set(this.pelCount);
      this.pelCount = n;
      const o = new Int32Array(cap);
      o.set(this.pelOwner);
      this.pelOwner = o;
    }
    if (i < this.pelLen) {
      this.pelIds.copyWithin(2 * i + 2, 2 * i, 2 * this.pelLen);
      this.pelTime.copyWithin(i + 1, i, this.pelLen);
      this.pelCount.copyWithin(i + 1, i, this.pelLen);
      this.pelOwner.copyWithin(i + 1, i, this.pelLen);
    }
    this.pelIds[2 * i] = ms;
    this.pelIds[2 * i + 1] = seq;
    this.pelTime[i] = time;
    this.pelCount[i] = count;
    this.pelOwner[i] = owner === null ? 0 : owner.id;
    if (owner !== null) owner.pending++;
    this.pelLen++;
  }

  /** Remove the PEL entry at position i (acknowledged, or its message is gone). */
  pelRemove(i: number): void {
    const owner = this.pelOwner[i];
    if (owner !== 0) this.consumerById(owner).pending--;
    this.pelIds.copyWithin(2 * i, 2 * i + 2, 2 * this.pelLen);
    this.pelTime.copyWithin(i, i + 1, this.pelLen);
    this.pelCount.copyWithin(i, i + 1, this.pelLen);
    this.pelOwner.copyWithin(i, i + 1, this.pelLen);
    this.pelLen--;
  }

  /** Give the PEL entry at position i to `owner`. */
  pelSetOwner(i: number, owner: StreamConsumer): void {
    const prev = this.pelOwner[i];
    if (prev === owner.id) return;
    if (prev !== 0) this.consumerById(prev).pending--;
    this.pelOwner[i] = owner.id;
    owner.pending++;
  }
}
