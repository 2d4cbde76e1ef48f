/*
 * StreamValue: a Redis stream in the store's object table (Redis 7.0 t_stream.c semantics).
 *
 * Layout: struct-of-arrays over entry slots, no JS object per entry.
 * - slot s (head <= s < tail) holds one entry: its ID in `ids` (ms at 2s, seq at 2s+1, exact
 *   unsigned 64-bit), the offset of its fields in `data`, its field count, and a deleted flag.
 *   Slots are in ID order; the live range slides right as the head is trimmed and is compacted
 *   (slots and bytes together) once the dead part outweighs the live one.
 * - `data` holds each entry's elements as [varint length][bytes] runs, appended: field, value,
 *   field, value ...; or, when its fields are those of its node's first entry (Redis's
 *   SAMEFIELDS flag, the common case of a stream of like events), only the values: the field
 *   names are read from that first entry, which stays until its node goes.
 * - Redis groups entries into listpack nodes of at most stream-node-max-entries entries and
 *   about stream-node-max-bytes bytes, and its trimming (MAXLEN ~, the LIMIT budget, what an
 *   exact trim marks deleted instead of removing) and XDEL (a node whose last live entry goes is
 *   freed) work node by node. The visible results (XLEN after XADD MAXLEN ~ 1000, XINFO's
 *   radix-tree-keys) depend on those boundaries, so they are modelled: a node is a run of
 *   slots (nodeFirst) with its live count and an estimate of its listpack size; entries that
 *   Redis only marks deleted stay as flagged slots until their node goes.
 *
 * Cost: XADD is amortised O(1); a lookup by ID is a binary search; XDEL of an entry in the
 * middle of a node is O(1), freeing a middle node moves the slots after it. IDs are BigInts in
 * the API (exact to 2^64); the scratch StreamId objects are reused by the caller.
 */
import type { Collection } from '../commands/collection.ts';

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

const OBJECT_BYTES = 200;

/** Slot flags: deleted (a tombstone inside its node); fields shared with the node's first entry. */
const DEAD = 1;
const SAME = 2;

/** Bytes of the varint length prefix of the element at p (set by readLen). */
let prefix = 0;

function varintBytes(n: number): number {
  return n < 0x80 ? 1 : n < 0x4000 ? 2 : n < 0x200000 ? 3 : n < 0x10000000 ? 4 : 5;
}

function writeVarint(d: Uint8Array, p: number, n: number): number {
  while (n >= 0x80) {
    d[p++] = (n & 0x7f) | 0x80;
    n >>>= 7;
  }
  d[p++] = n;
  return p;
}

/**
 * Walks the elements of one entry (field, value, field, value ...) as byte ranges of
 * StreamValue.data, reading the field names of a SAMEFIELDS entry from its node's first entry.
 * One reusable instance per caller; valid until the next write to the stream.
 */
export class EntryCursor {
  off = 0;
  len = 0;
  private s: StreamValue | null = null;
  private p = 0;
  private mp = 0;
  private same = false;
  private field = true;

  /** Position on slot's entry; returns its element count (2 x fields). */
  start(s: StreamValue, slot: number): number {
    this.s = s;
    this.p = s.dataOff[slot];
    this.same = (s.flags[slot] & SAME) !== 0;
    if (this.same) this.mp = s.dataOff[s.masterOf(slot)];
    this.field = true;
    return 2 * s.fieldCount[slot];
  }

  /** Advance to the next element (off, len). */
  next(): void {
    const s = this.s!;
    if (this.same && this.field) {
      // The field comes from the master entry; skip the master's value after it.
      this.len = s.readLen(this.mp);
      this.off = this.mp + prefix;
      const vp = this.off + this.len;
      const vlen = s.readLen(vp);
      this.mp = vp + prefix + vlen;
    } else {
      this.len = s.readLen(this.p);
      this.off = this.p + prefix;
      this.p = this.off + this.len;
    }
    this.field = !this.field;
  }
}

export class StreamValue implements Collection {
  ids = new BigUint64Array(16);
  dataOff = new Uint32Array(8);
  fieldCount = new Uint32Array(8);
  flags = new Uint8Array(8);
  head = 0;
  tail = 0;
  data = new Uint8Array(128);
  dataEnd = 0;
  /** Bytes of data no slot refers to any more. */
  garbage = 0;
  /** Nodes: first slot, live entries, estimated listpack bytes. */
  nodeFirst = new Int32Array(4);
  nodeLive = new Int32Array(4);
  nodeBytes = new Float64Array(4);
  nodeCount = 0;

  length = 0;
  lastMs = 0n;
  lastSeq = 0n;
  firstMs = 0n;
  firstSeq = 0n;
  maxDelMs = 0n;
  maxDelSeq = 0n;
  entriesAdded = 0n;
  /** Consumer groups in name order (null until the first XGROUP CREATE). */
  groups: StreamGroup[] | null = null;

  encodingName(): string {
    return 'stream';
  }

  size(): number {
    return this.length;
  }

  get bytes(): number {
    let b = OBJECT_BYTES + this.ids.byteLength + this.dataOff.byteLength * 2 + this.flags.byteLength + this.data.byteLength + this.nodeFirst.byteLength * 4;
    if (this.groups !== null) for (const g of this.groups) b += g.bytes;
    return b;
  }

  clone(): StreamValue {
    const s = new StreamValue();
    s.ids = this.ids.slice();
    s.dataOff = this.dataOff.slice();
    s.fieldCount = this.fieldCount.slice();
    s.flags = this.flags.slice();
    s.head = this.head;
    s.tail = this.tail;
    s.data = this.data.slice();
    s.dataEnd = this.dataEnd;
    s.garbage = this.garbage;
    s.nodeFirst = this.nodeFirst.slice();
    s.nodeLive = this.nodeLive.slice();
    s.nodeBytes = this.nodeBytes.slice();
    s.nodeCount = this.nodeCount;
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

  msAt(s: number): bigint {
    return this.ids[2 * s];
  }

  seqAt(s: number): bigint {
    return this.ids[2 * s + 1];
  }

  /** Length of the element whose run starts at p in data (its prefix size in `prefix`). */
  readLen(p: number): number {
    const d = this.data;
    let n = 0;
    let shift = 0;
    let i = p;
    for (;;) {
      const b = d[i++];
      n += (b & 0x7f) * 2 ** shift;
      if (b < 0x80) break;
      shift += 7;
    }
    prefix = i - p;
    return n;
  }

  /** The first slot of the node holding slot s (whose fields a SAMEFIELDS entry shares). */
  masterOf(s: number): number {
    return this.nodeFirst[this.nodeOf(s)];
  }

  /** First slot whose ID is >= (ms, seq), or tail. */
  lowerBound(ms: bigint, seq: bigint): number {
    let lo = this.head;
    let hi = this.tail;
    const ids = this.ids;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (compareId(ids[2 * mid], ids[2 * mid + 1], ms, seq) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** First live slot at or after s, or tail. */
  nextLive(s: number): number {
    while (s < this.tail && (this.flags[s] & DEAD) !== 0) s++;
    return s;
  }

  /** Last live slot at or before s, or head - 1. */
  prevLive(s: number): number {
    while (s >= this.head && (this.flags[s] & DEAD) !== 0) s--;
    return s;
  }

  /** streamLastValidID: the ID of the last live entry (0-0 when empty). */
  lastValid(out: StreamId): StreamId {
    const s = this.prevLive(this.tail - 1);
    return s < this.head ? out.set(0n, 0n) : out.set(this.ids[2 * s], this.ids[2 * s + 1]);
  }

  // ---- appending ----

  private ensureSlots(): void {
    if (this.tail < this.flags.length) return;
    if (this.head > 0 && this.head * 2 >= this.tail) {
      this.compact();
      if (this.tail < this.flags.length) return;
    }
    const cap = this.flags.length * 2;
    const ids = new BigUint64Array(cap * 2);
    ids.set(this.ids);
    this.ids = ids;
    const off = new Uint32Array(cap);
    off.set(this.dataOff);
    this.dataOff = off;
    const fc = new Uint32Array(cap);
    fc.set(this.fieldCount);
    this.fieldCount = fc;
    const flags = new Uint8Array(cap);
    flags.set(this.flags);
    this.flags = flags;
  }

  private ensureData(extra: number): void {
    if (this.dataEnd + extra <= this.data.length) return;
    if (this.garbage > 0 && this.garbage * 2 >= this.dataEnd) {
      this.compact();
      if (this.dataEnd + extra <= this.data.length) return;
    }
    let cap = this.data.length * 2;
    while (cap < this.dataEnd + extra) cap *= 2;
    const d = new Uint8Array(cap);
    d.set(this.data.subarray(0, this.dataEnd));
    this.data = d;
  }

  private ensureNodes(): void {
    if (this.nodeCount < this.nodeFirst.length) return;
    const cap = this.nodeFirst.length * 2;
    const f = new Int32Array(cap);
    f.set(this.nodeFirst);
    this.nodeFirst = f;
    const l = new Int32Array(cap);
    l.set(this.nodeLive);
    this.nodeLive = l;
    const b = new Float64Array(cap);
    b.set(this.nodeBytes);
    this.nodeBytes = b;
  }

  /** Move the live slots to 0 and drop unreferenced bytes. */
  private compact(): void {
    const head = this.head;
    const n = this.tail - head;
    const d = new Uint8Array(Math.max(128, this.dataEnd - this.garbage));
    let p = 0;
    for (let s = head; s < this.tail; s++) {
      const from = this.dataOff[s];
      const end = this.entryEnd(s);
      d.set(this.data.subarray(from, end), p);
      this.dataOff[s - head] = p;
      p += end - from;
    }
    this.data = d;
    this.dataEnd = p;
    this.garbage = 0;
    if (head > 0) {
      this.ids.copyWithin(0, 2 * head, 2 * this.tail);
      this.fieldCount.copyWithin(0, head, this.tail);
      this.flags.copyWithin(0, head, this.tail);
      this.flags.fill(0, n, this.tail);
      for (let k = 0; k < this.nodeCount; k++) this.nodeFirst[k] -= head;
      this.head = 0;
      this.tail = n;
    }
  }

  /** Offset just past slot s's field/value runs. */
  private entryEnd(s: number): number {
    let p = this.dataOff[s];
    for (let i = (this.flags[s] & SAME) !== 0 ? this.fieldCount[s] : 2 * this.fieldCount[s]; i > 0; i--) {
      const len = this.readLen(p);
      p += prefix + len;
    }
    return p;
  }

  /** The fields of the arguments from..argc-1 are those of slot m (a full entry): Redis's SAMEFIELDS. */
  private sameFields(m: number, buf: Uint8Array, offs: Int32Array, lens: Int32Array, from: number, argc: number): boolean {
    if ((argc - from) >> 1 !== this.fieldCount[m]) return false;
    let pm = this.dataOff[m];
    const d = this.data;
    for (let i = from; i < argc; i += 2) {
      const lm = this.readLen(pm);
      pm += prefix;
      const len = lens[i];
      if (len !== lm) return false;
      const off = offs[i];
      for (let j = 0; j < len; j++) if (d[pm + j] !== buf[off + j]) return false;
      pm += lm;
      const vl = this.readLen(pm);
      pm += prefix + vl;
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
    const totel = StreamValue.pairBytes(lens, from, argc);
    let newNode = this.nodeCount === 0;
    if (!newNode) {
      const k = this.nodeCount - 1;
      const maxBytes = nodeMaxBytes === 0 || nodeMaxBytes > 0x3fffffff ? 0x3fffffff : nodeMaxBytes;
      if (this.nodeBytes[k] + totel >= maxBytes) newNode = true;
      else if (nodeMaxEntries !== 0 && this.tail - this.nodeFirst[k] >= nodeMaxEntries) newNode = true;
    }
    this.appendEntry(ms, seq, buf, offs, lens, from, argc, newNode);
    this.length++;
    this.entriesAdded++;
    this.lastMs = ms;
    this.lastSeq = seq;
    if (this.length === 1) {
      this.firstMs = ms;
      this.firstSeq = seq;
    }
  }

  /**
   * Append an entry read from a serialized node (RESTORE): it starts a new node when `newNode`
   * (the first entry of a listpack), and is a tombstone when `deleted`. IDs must come in
   * increasing order. Only the entry structure changes: the caller sets length, the first,
   * last and max-deleted IDs and entries-added from the payload afterwards.
   */
  appendLoaded(ms: bigint, seq: bigint, buf: Uint8Array, offs: Int32Array, lens: Int32Array, from: number, argc: number, newNode: boolean, deleted: boolean): void {
    this.appendEntry(ms, seq, buf, offs, lens, from, argc, newNode || this.nodeCount === 0);
    if (deleted) {
      this.flags[this.tail - 1] |= DEAD;
      this.nodeLive[this.nodeCount - 1]--;
    }
  }

  /** Entries that are not tombstones, counted over the nodes. */
  liveEntries(): number {
    let n = 0;
    for (let k = 0; k < this.nodeCount; k++) n += this.nodeLive[k];
    return n;
  }

  /** Whether slot s is a tombstone. */
  isDeleted(s: number): boolean {
    return (this.flags[s] & DEAD) !== 0;
  }

  /** Whether slot s stores only values, its fields being its node's first entry's (SAMEFIELDS). */
  sharesMasterFields(s: number): boolean {
    return (this.flags[s] & SAME) !== 0;
  }

  /** The slot after node k's last. */
  nodeLimit(k: number): number {
    return this.nodeEnd(k);
  }

  /** Store one entry in a new or the last node (no stream metadata). */
  private appendEntry(ms: bigint, seq: bigint, buf: Uint8Array, offs: Int32Array, lens: Int32Array, from: number, argc: number, newNode: boolean): void {
    const same = !newNode && this.sameFields(this.nodeFirst[this.nodeCount - 1], buf, offs, lens, from, argc);
    this.ensureSlots();
    const step = same ? 2 : 1;
    const first = same ? from + 1 : from;
    let size = 0;
    for (let i = first; i < argc; i += step) size += varintBytes(lens[i]) + lens[i];
    this.ensureData(size);
    const s = this.tail++;
    this.ids[2 * s] = ms;
    this.ids[2 * s + 1] = seq;
    this.dataOff[s] = this.dataEnd;
    this.fieldCount[s] = (argc - from) >> 1;
    this.flags[s] = same ? SAME : 0;
    const d = this.data;
    let p = this.dataEnd;
    for (let i = first; i < argc; i += step) {
      const len = lens[i];
      p = writeVarint(d, p, len);
      d.set(buf.subarray(offs[i], offs[i] + len), p);
      p += len;
    }
    this.dataEnd = p;
    if (newNode) {
      this.ensureNodes();
      const k = this.nodeCount++;
      this.nodeFirst[k] = s;
      this.nodeLive[k] = 1;
      // Header and end, the master entry (count, deleted, num-fields, fields, terminator).
      let b = 7 + 2 + 2 + lpIntBytes(this.fieldCount[s]) + 2;
      for (let i = from; i < argc; i += 2) b += lpStrBytes(buf, offs[i], lens[i]);
      this.nodeBytes[k] = b + this.entryBytes(s, true, ms, seq, buf, offs, lens, from, argc);
    } else {
      const k = this.nodeCount - 1;
      this.nodeLive[k]++;
      this.nodeBytes[k] += this.entryBytes(this.nodeFirst[k], same, ms, seq, buf, offs, lens, from, argc);
    }
  }

  /** Listpack bytes of one entry in the node whose master is slot m. */
  private entryBytes(m: number, same: boolean, ms: bigint, seq: bigint, buf: Uint8Array, offs: Int32Array, lens: Int32Array, from: number, argc: number): number {
    const dms = Number(ms - this.ids[2 * m]);
    const dseq = Number(seq - this.ids[2 * m + 1]);
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

  // ---- removing ----

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

  private nodeEnd(k: number): number {
    return k + 1 < this.nodeCount ? this.nodeFirst[k + 1] : this.tail;
  }

  /** Free node k and its slots. */
  private removeNode(k: number): void {
    const first = this.nodeFirst[k];
    const end = this.nodeEnd(k);
    const n = end - first;
    for (let s = first; s < end; s++) this.garbage += this.entryEnd(s) - this.dataOff[s];
    if (first === this.head) {
      this.head = end;
    } else {
      this.ids.copyWithin(2 * first, 2 * end, 2 * this.tail);
      this.dataOff.copyWithin(first, end, this.tail);
      this.fieldCount.copyWithin(first, end, this.tail);
      this.flags.copyWithin(first, end, this.tail);
      this.tail -= n;
      for (let j = k + 1; j < this.nodeCount; j++) this.nodeFirst[j] -= n;
    }
    this.nodeFirst.copyWithin(k, k + 1, this.nodeCount);
    this.nodeLive.copyWithin(k, k + 1, this.nodeCount);
    this.nodeBytes.copyWithin(k, k + 1, this.nodeCount);
    this.nodeCount--;
    if (this.nodeCount === 0) {
      this.head = 0;
      this.tail = 0;
      this.dataEnd = 0;
      this.garbage = 0;
    }
  }

  /** streamDeleteItem: delete the entry with exactly this ID; false when there is none. */
  deleteId(ms: bigint, seq: bigint): boolean {
    const s = this.lowerBound(ms, seq);
    if (s >= this.tail || (this.flags[s] & DEAD) !== 0 || this.ids[2 * s] !== ms || this.ids[2 * s + 1] !== seq) return false;
    const k = this.nodeOf(s);
    this.length--;
    if (this.nodeLive[k] === 1) {
      this.removeNode(k);
    } else {
      this.flags[s] |= DEAD;
      this.nodeLive[k]--;
    }
    return true;
  }

  /** The first live entry's ID into first (streamGetEdgeID first, skipping tombstones), 0-0 when empty. */
  private refreshFirst(): void {
    const s = this.nextLive(this.head);
    if (s >= this.tail) {
      this.firstMs = 0n;
      this.firstSeq = 0n;
    } else {
      this.firstMs = this.ids[2 * s];
      this.firstSeq = this.ids[2 * s + 1];
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
    while (this.nodeCount > 0) {
      if (byLen && this.length <= maxlen) break;
      const entries = this.nodeLive[0];
      if (limit !== 0 && deleted + entries > limit) break;
      let remove: boolean;
      const end = this.nodeEnd(0);
      if (byLen) {
        remove = this.length - entries >= maxlen;
      } else {
        const last = end - 1;
        remove = compareId(this.ids[2 * last], this.ids[2 * last + 1], minMs, minSeq) < 0;
      }
      if (remove) {
        this.removeNode(0);
        this.length -= entries;
        deleted += entries;
        continue;
      }
      if (approx) break;
      let marked = 0;
      for (let s = this.nodeFirst[0]; s < end; s++) {
        const stop = byLen ? this.length <= maxlen : compareId(this.ids[2 * s], this.ids[2 * s + 1], minMs, minSeq) >= 0;
        if (stop) break;
        if ((this.flags[s] & DEAD) === 0) {
          this.flags[s] |= DEAD;
          marked++;
          this.length--;
        }
      }
      this.nodeLive[0] -= marked;
      deleted += marked;
      break;
    }
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
    return s < this.tail && (this.flags[s] & DEAD) === 0 && this.ids[2 * s] === ms && this.ids[2 * s + 1] === seq ? s : -1;
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
      const s = this.nodeFirst[k];
      v.setBigUint64(k * 16, this.ids[2 * s]);
      v.setBigUint64(k * 16 + 8, this.ids[2 * s + 1]);
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
