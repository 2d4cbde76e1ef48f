/*
 * Streams in RDB (STREAM_LISTPACKS_2, and STREAM_LISTPACKS of Redis 5-6 when reading), as
 * Redis 7.0's rdbSaveObject / rdbLoadObject lay them out:
 *
 *   node count, then per node: its master ID (16 bytes, ms and seq big-endian) and its
 *   listpack; length; last ID; first ID; max deleted ID; entries added (the last three only
 *   in v2); then the consumer groups: name, last delivered ID, entries read (v2), the group
 *   PEL (raw 16-byte ID, delivery time, delivery count each) and the consumers (name, seen
 *   time, the IDs of their PEL).
 *
 * A node's listpack (t_stream.c's streamAppendItem):
 *   master entry: live count | deleted count | field count | fields ... | 0
 *   each entry:   flags | ms - master ms | seq - master seq | [field count | field value ...]
 *                 or, with SAMEFIELDS (always on a node's first entry), values only | lp-count
 *
 * slabcache's StreamValue keeps Redis's nodes (first slot = the master entry, tombstones kept
 * in their node), so nodes, tombstones and the master fields round-trip as they are. Reading
 * checks what the structure relies on: IDs strictly increasing, lp-count consistent, a PEL
 * without duplicates whose entries each belong to exactly one consumer.
 * Anything else malformed is a null result, never a partial stream.
 */
import { StreamValue, EntryCursor } from '../types/stream-value.ts';
import type { RdbWriter } from './rdb-writer.ts';
import type { RdbReader } from './rdb-reader.ts';
import { ListpackWriter, ListpackReader } from './listpack.ts';
import { copyBytes } from '../../store/bytes.ts';

const FLAG_DELETED = 1;
const FLAG_SAMEFIELDS = 2;

const lpw = new ListpackWriter();
const lpr = new ListpackReader();
const entry = new EntryCursor();
const idBytes = Buffer.alloc(16);

function writeId(w: RdbWriter, ms: bigint, seq: bigint): void {
  idBytes.writeBigUInt64BE(ms, 0);
  idBytes.writeBigUInt64BE(seq, 8);
  w.bytes(idBytes, 0, 16);
}

/** rdbSaveObject's stream branch (after the type byte). */
export function writeStream(w: RdbWriter, sv: StreamValue, compression: boolean): void {
  w.length(sv.nodeCount);
  for (let k = 0; k < sv.nodeCount; k++) {
    const first = sv.nodeFirst[k];
    const end = sv.nodeLimit(k);
    const mms = sv.msAt(first);
    const mseq = sv.seqAt(first);
    const fields = entry.start(sv, first) >> 1;
    lpw.reset();
    lpw.appendInteger(sv.nodeLive[k]);
    lpw.appendInteger(end - first - sv.nodeLive[k]);
    lpw.appendInteger(fields);
    for (let i = 0; i < fields; i++) {
      entry.next();
      lpw.appendString(entry.buf, entry.off, entry.len);
      entry.next();
    }
    lpw.appendInteger(0);
    for (let s = first; s < end; s++) {
      const n = entry.start(sv, s) >> 1;
      const same = s === first || sv.sharesMasterFields(s);
      lpw.appendInteger((same ? FLAG_SAMEFIELDS : 0) | (sv.isDeleted(s) ? FLAG_DELETED : 0));
      lpw.appendInteger(BigInt.asIntN(64, sv.msAt(s) - mms));
      lpw.appendInteger(BigInt.asIntN(64, sv.seqAt(s) - mseq));
      if (!same) lpw.appendInteger(n);
      for (let i = 0; i < n; i++) {
        entry.next();
        if (!same) lpw.appendString(entry.buf, entry.off, entry.len);
        entry.next();
        lpw.appendString(entry.buf, entry.off, entry.len);
      }
      lpw.appendInteger(same ? n + 3 : 2 * n + 4);
    }
    // rdbSaveRawString of the 16-byte key: never integer-like, never compressed (<= 20 bytes).
    w.length(16);
    writeId(w, mms, mseq);
    const lp = lpw.finish();
    w.string(lp, 0, lp.length, compression);
  }
  w.length(sv.length);
  w.length(sv.lastMs);
  w.length(sv.lastSeq);
  w.length(sv.firstMs);
  w.length(sv.firstSeq);
  w.length(sv.maxDelMs);
  w.length(sv.maxDelSeq);
  w.length(sv.entriesAdded);
  const groups = sv.groups ?? [];
  w.length(groups.length);
  for (const g of groups) {
    w.string(g.name, 0, g.name.length, compression);
    w.length(g.lastMs);
    w.length(g.lastSeq);
    w.length(BigInt.asUintN(64, g.entriesRead));
    w.length(g.pelLen);
    for (let i = 0; i < g.pelLen; i++) {
      writeId(w, g.pelMs(i), g.pelSeq(i));
      w.millis(g.pelTime[i]);
      w.length(g.pelCount[i]);
    }
    w.length(g.consumers.length);
    for (const c of g.consumers) {
      w.string(c.name, 0, c.name.length, compression);
      w.millis(c.seenTime);
      w.length(c.pending);
      for (let i = 0; i < g.pelLen; i++) if (g.pelOwner[i] === c.id) writeId(w, g.pelMs(i), g.pelSeq(i));
    }
  }
}

// ---- reading ----

/** Scratch for one entry's elements as argv-style ranges over `elems`. */
let elems = Buffer.allocUnsafe(1024);
let offs = new Int32Array(64);
let lens = new Int32Array(64);
let used = 0;

function pushElement(buf: Uint8Array, off: number, len: number, i: number): void {
  if (i >= offs.length) {
    const o = new Int32Array(offs.length * 2);
    o.set(offs);
    offs = o;
    const l = new Int32Array(lens.length * 2);
    l.set(lens);
    lens = l;
  }
  if (used + len > elems.length) {
    let cap = elems.length * 2;
    while (cap < used + len) cap *= 2;
    const b = Buffer.allocUnsafe(cap);
    elems.copy(b, 0, 0, used);
    elems = b;
  }
  copyBytes(buf, off, elems, used, len);
  offs[i] = used;
  lens[i] = len;
  used += len;
}

function toBig(v: number | bigint | null): bigint | null {
  return v === null ? null : BigInt(v);
}

/** One node's listpack into sv; false when malformed. `prev` holds the last ID so far. */
function readNode(sv: StreamValue, lp: Uint8Array, mms: bigint, mseq: bigint, prev: { ms: bigint; seq: bigint; any: boolean }): boolean {
  if (!lpr.init(lp)) return false;
  const live = lpr.nextInt();
  const dead = lpr.nextInt();
  const nf = lpr.nextInt();
  if (live === null || dead === null || typeof nf !== 'number' || nf < 0) return false;
  used = 0;
  for (let i = 0; i < nf; i++) {
    if (!lpr.next()) return false;
    lpr.bytes();
    pushElement(lpr.buf, lpr.bOff, lpr.bLen, i);
  }
  const master = Buffer.from(elems.subarray(0, used));
  const masterOffs = offs.slice(0, nf);
  const masterLens = lens.slice(0, nf);
  if (lpr.nextInt() !== 0) return false;
  let first = true;
  let liveSeen = 0;
  let deadSeen = 0;
  while (!lpr.atEnd) {
    const flags = lpr.nextInt();
    const dms = toBig(lpr.nextInt());
    const dseq = toBig(lpr.nextInt());
    if (typeof flags !== 'number' || dms === null || dseq === null) return false;
    const same = (flags & FLAG_SAMEFIELDS) !== 0;
    let n = nf;
    if (!same) {
      const c = lpr.nextInt();
      if (typeof c !== 'number' || c < 0) return false;
      n = c;
    }
    used = 0;
    for (let i = 0; i < n; i++) {
      if (same) {
        pushElement(master, masterOffs[i], masterLens[i], 2 * i);
      } else {
        if (!lpr.next()) return false;
        lpr.bytes();
        pushElement(lpr.buf, lpr.bOff, lpr.bLen, 2 * i);
      }
      if (!lpr.next()) return false;
      lpr.bytes();
      pushElement(lpr.buf, lpr.bOff, lpr.bLen, 2 * i + 1);
    }
    if (lpr.nextInt() !== (same ? n + 3 : 2 * n + 4)) return false;
    const ms = BigInt.asUintN(64, mms + dms);
    const seq = BigInt.asUintN(64, mseq + dseq);
    if (prev.any && (ms < prev.ms || (ms === prev.ms && seq <= prev.seq))) return false;
    prev.ms = ms;
    prev.seq = seq;
    prev.any = true;
    const deleted = (flags & FLAG_DELETED) !== 0;
    if (deleted) deadSeen++;
    else liveSeen++;
    sv.appendLoaded(ms, seq, elems, offs, lens, 0, 2 * n, first, deleted);
    first = false;
  }
  if (lpr.bad || first) return false;
  return Number(live) === liveSeen && Number(dead) === deadSeen;
}

/** rdbLoadObject's stream branch (after the type byte); null when malformed. */
export function readStream(r: RdbReader, v2: boolean): StreamValue | null {
  const sv = new StreamValue();
  const nodes = r.length();
  if (nodes === null || nodes > r.remaining) return null;
  const prev = { ms: 0n, seq: 0n, any: false };
  for (let k = 0; k < nodes; k++) {
    const key = r.string();
    if (key === null || key.length !== 16) return null;
    const kv = new DataView(key.buffer, key.byteOffset, 16);
    const mms = kv.getBigUint64(0);
    const mseq = kv.getBigUint64(8);
    const lp = r.string();
    if (lp === null || !readNode(sv, lp, mms, mseq, prev)) return null;
  }
  const length = r.lengthBig();
  const lastMs = r.lengthBig();
  const lastSeq = r.lengthBig();
  if (length === null || lastMs === null || lastSeq === null) return null;
  if (length !== BigInt(sv.liveEntries())) return null;
  sv.length = Number(length);
  sv.lastMs = lastMs;
  sv.lastSeq = lastSeq;
  if (v2) {
    const fms = r.lengthBig();
    const fseq = r.lengthBig();
    const dms = r.lengthBig();
    const dseq = r.lengthBig();
    const added = r.lengthBig();
    if (fms === null || fseq === null || dms === null || dseq === null || added === null) return null;
    sv.firstMs = fms;
    sv.firstSeq = fseq;
    sv.maxDelMs = dms;
    sv.maxDelSeq = dseq;
    sv.entriesAdded = added;
  } else {
    sv.entriesAdded = length;
    const s = sv.nextLive(0);
    if (s < sv.tail) {
      sv.firstMs = sv.msAt(s);
      sv.firstSeq = sv.seqAt(s);
    }
  }
  if (prev.any && (prev.ms > sv.lastMs || (prev.ms === sv.lastMs && prev.seq > sv.lastSeq))) return null;
  const groups = r.length();
  if (groups === null || groups > r.remaining) return null;
  for (let i = 0; i < groups; i++) {
    const name = r.string();
    const ms = r.lengthBig();
    const seq = r.lengthBig();
    if (name === null || ms === null || seq === null) return null;
    let read: bigint;
    if (v2) {
      const v = r.lengthBig();
      if (v === null) return null;
      read = BigInt.asIntN(64, v);
    } else {
      read = sv.estimateDistance(ms, seq);
    }
    const g = sv.createGroup(name, 0, name.length, ms, seq, read);
    if (g === null) return null;
    const pel = r.length();
    if (pel === null || pel > r.remaining) return null;
    for (let j = 0; j < pel; j++) {
      const id = r.raw(16);
      const time = r.millis();
      const count = r.length();
      if (id === null || time !== time || count === null) return null;
      const iv = new DataView(id.buffer, id.byteOffset, 16);
      const pms = iv.getBigUint64(0);
      const pseq = iv.getBigUint64(8);
      const at = g.pelLowerBound(pms, pseq);
      if (at < g.pelLen && g.pelMs(at) === pms && g.pelSeq(at) === pseq) return null;
      g.pelInsert(at, pms, pseq, time, count, null);
    }
    const consumers = r.length();
    if (consumers === null || consumers > r.remaining) return null;
    for (let j = 0; j < consumers; j++) {
      const cname = r.string();
      const seen = r.millis();
      if (cname === null || seen !== seen) return null;
      const c = g.createConsumer(cname, 0, cname.length, seen);
      if (c === null) return null;
      const owned = r.length();
      if (owned === null || owned > r.remaining) return null;
      for (let m = 0; m < owned; m++) {
        const id = r.raw(16);
        if (id === null) return null;
        const iv = new DataView(id.buffer, id.byteOffset, 16);
        const at = g.pelFind(iv.getBigUint64(0), iv.getBigUint64(8));
        if (at < 0 || g.pelOwner[at] !== 0) return null;
        g.pelSetOwner(at, c);
      }
    }
    // Every pending entry has a consumer (Redis's deep sanitization checks this; a NACK
    // without one would crash it later, and slabcache's PEL readers rely on an owner too).
    for (let j = 0; j < g.pelLen; j++) if (g.pelOwner[j] === 0) return null;
  }
  return sv;
}
