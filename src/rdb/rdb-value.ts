/*
 * RDB value encoding (rdb.c's rdbSaveObjectType / rdbSaveObject / rdbLoadObject) for every
 * slabcache type, as Redis 7.0 writes it and as 7.0 loads it.
 *
 * Writing picks the type byte from the value's encoding, as 7.0 does: strings (an int form
 * for int-encoded values, LZF when compression is on, else verbatim), QUICKLIST_2 lists (one
 * listpack per node, nodes cut as list-max-listpack-size cuts an RPUSHed list), INTSET or SET
 * sets, ZSET_LISTPACK or ZSET_2 sorted sets (binary doubles, greatest score first), HASH_LISTPACK
 * or HASH hashes, and STREAM_LISTPACKS_2 streams (stream-codec.ts).
 *
 * Reading accepts every type 7.0 loads but modules: besides those, the older LIST, ZSET (text
 * doubles), HASH_ZIPMAP, LIST_ZIPLIST, ZSET_ZIPLIST, HASH_ZIPLIST, LIST_QUICKLIST and
 * STREAM_LISTPACKS. The loaded value takes the encoding 7.0 gives it under the current
 * thresholds (a listpack hash or sorted set over its entry limit converts; a plain SET or HASH
 * is built as it would be element by element; ZSET_2 is compacted when small enough). Values
 * are built through their types' public APIs. A malformed payload (truncated, an unknown
 * encoding, a bad listpack, duplicate members, a NaN score, an empty collection) yields null
 * and nothing is kept; Redis answers those "Bad data format" too, except that where 7.0
 * without sanitize-dump-payload would load duplicates into a broken value, slabcache refuses.
 *
 * Cost: O(payload bytes) to read, O(value size) to write, plus what each type's inserts cost.
 */
import { KeyType, type KeyTypeCode } from '../../store/types.ts';
import { HashValue, HashEntry } from '../types/hash-value.ts';
import { SetValue, SetKind } from '../types/set-value.ts';
import { IntSet } from '../types/int-set.ts';
import { ZsetValue } from '../types/zset-value.ts';
import { ListValue, ListCursor } from '../types/list-value.ts';
import { StreamValue } from '../types/stream-value.ts';
import { ElementBytes } from '../types/packed.ts';
import type { Collection } from '../types/collection.ts';
import { formatInteger } from '../../store/integer-text.ts';
import { RdbWriter } from './rdb-writer.ts';
import { RdbReader } from './rdb-reader.ts';
import { ListpackWriter, ListpackReader, listpackScoreText, parseScoreText } from './listpack.ts';
import { encodeIntset, decodeIntset } from './intset.ts';
import { decodeZiplist } from './ziplist.ts';
import { decodeZipmap } from './zipmap.ts';
import { writeStream, readStream } from './stream-codec.ts';

export const RdbType = {
  STRING: 0,
  LIST: 1,
  SET: 2,
  ZSET: 3,
  HASH: 4,
  ZSET_2: 5,
  HASH_ZIPMAP: 9,
  LIST_ZIPLIST: 10,
  SET_INTSET: 11,
  ZSET_ZIPLIST: 12,
  HASH_ZIPLIST: 13,
  LIST_QUICKLIST: 14,
  STREAM_LISTPACKS: 15,
  HASH_LISTPACK: 16,
  ZSET_LISTPACK: 17,
  LIST_QUICKLIST_2: 18,
  STREAM_LISTPACKS_2: 19,
} as const;

/** The configuration the encodings depend on (read from CONFIG by the caller). */
export interface RdbSettings {
  compression: boolean;
  hashMaxListpackEntries: number;
  hashMaxListpackValue: number;
  setMaxIntsetEntries: number;
  zsetMaxListpackEntries: number;
  zsetMaxListpackValue: number;
  listMaxListpackSize: number;
}

/** A value read from a payload: a string's bytes, or a collection and its memory estimate. */
export interface LoadedValue {
  type: KeyTypeCode;
  string: Uint8Array | null;
  object: Collection | null;
  bytes: number;
}

const QUICKLIST_NODE_PLAIN = 1;
const QUICKLIST_NODE_PACKED = 2;
const OPTIMIZATION_LEVEL = [4096, 8192, 16384, 32768, 65536];
const SIZE_SAFETY_LIMIT = 8192;
const SIZE_ESTIMATE_OVERHEAD = 8;

const lpw = new ListpackWriter();
const lpr = new ListpackReader();
const hashEntry = new HashEntry();
const element = new ElementBytes();
const cursor = new ListCursor();
const intText = new Uint8Array(24);

// ---- writing ----

/** A string value: RDB_TYPE_STRING and rdbSaveStringObject (intValue for an int-encoded one). */
export function writeString(w: RdbWriter, buf: Uint8Array, off: number, len: number, intValue: number | bigint | null, s: RdbSettings): void {
  w.byte(RdbType.STRING);
  if (intValue !== null) w.integerString(intValue);
  else w.string(buf, off, len, s.compression);
}

/** A collection value with its type byte. */
export function writeCollection(w: RdbWriter, type: KeyTypeCode, obj: Collection, s: RdbSettings): void {
  switch (type) {
    case KeyType.LIST:
      writeList(w, obj as ListValue, s);
      return;
    case KeyType.SET:
      writeSet(w, obj as SetValue, s);
      return;
    case KeyType.ZSET:
      writeZset(w, obj as ZsetValue, s);
      return;
    case KeyType.HASH:
      writeHash(w, obj as HashValue, s);
      return;
    default:
      w.byte(RdbType.STREAM_LISTPACKS_2);
      writeStream(w, obj as StreamValue, s.compression);
  }
}

/** _quicklistNodeAllowInsert: may an element of len bytes join a node of lpBytes and count entries? */
function nodeAllows(fill: number, lpBytes: number, count: number, len: number): boolean {
  const newSize = lpBytes + len + SIZE_ESTIMATE_OVERHEAD;
  if (fill < 0 && -fill - 1 < OPTIMIZATION_LEVEL.length) {
    if (newSize <= OPTIMIZATION_LEVEL[-fill - 1]) return true;
  }
  if (newSize > SIZE_SAFETY_LIMIT) return false;
  return count < fill;
}

function writeList(w: RdbWriter, list: ListValue, s: RdbSettings): void {
  w.byte(RdbType.LIST_QUICKLIST_2);
  // Nodes first into a scratch writer: the node count comes before them.
  const body = new RdbWriter();
  let nodes = 0;
  lpw.reset();
  const flush = (): void => {
    if (lpw.count === 0) return;
    const lp = lpw.finish();
    body.length(QUICKLIST_NODE_PACKED);
    body.string(lp, 0, lp.length, s.compression);
    nodes++;
    lpw.reset();
  };
  if (list.length > 0) {
    cursor.seek(list, 0);
    do {
      if (lpw.count > 0 && !nodeAllows(s.listMaxListpackSize, lpw.size, lpw.count, cursor.len)) flush();
      lpw.appendString(cursor.buf, cursor.off, cursor.len);
    } while (cursor.next());
  }
  flush();
  w.length(nodes);
  w.bytes(body.buf, 0, body.pos);
}

function writeSet(w: RdbWriter, set: SetValue, s: RdbSettings): void {
  if (set.kind === SetKind.INTSET) {
    const ints = set.ints!;
    w.byte(RdbType.SET_INTSET);
    const blob = encodeIntset(ints.count, (i) => ints.get(i));
    w.string(blob, 0, blob.length, s.compression);
    return;
  }
  w.byte(RdbType.SET);
  w.length(set.size());
  for (let h = set.first(); h >= 0; h = set.next(h)) {
    set.read(h, element);
    w.string(element.buf, element.off, element.len, s.compression);
  }
}

function writeZset(w: RdbWriter, z: ZsetValue, s: RdbSettings): void {
  if (z.isListpack()) {
    w.byte(RdbType.ZSET_LISTPACK);
    lpw.reset();
    for (let p = z.first(); p >= 0; p = z.next(p)) {
      const m = z.member(p);
      lpw.appendString(m, z.memberOff, z.memberLen);
      const text = Buffer.from(listpackScoreText(z.scoreAt(p)), 'latin1');
      lpw.appendString(text, 0, text.length);
    }
    const lp = lpw.finish();
    w.string(lp, 0, lp.length, s.compression);
    return;
  }
  w.byte(RdbType.ZSET_2);
  w.length(z.size());
  for (let p = z.last(); p >= 0; p = z.prev(p)) {
    const m = z.member(p);
    w.string(m, z.memberOff, z.memberLen, s.compression);
    w.binaryDouble(z.scoreAt(p));
  }
}

function writeHash(w: RdbWriter, hv: HashValue, s: RdbSettings): void {
  if (!hv.hashtable) {
    w.byte(RdbType.HASH_LISTPACK);
    lpw.reset();
    for (let h = hv.first(); h >= 0; h = hv.next(h)) {
      hv.readEntry(h, hashEntry);
      lpw.appendString(hashEntry.field.buf, hashEntry.field.off, hashEntry.field.len);
      lpw.appendString(hashEntry.value.buf, hashEntry.value.off, hashEntry.value.len);
    }
    const lp = lpw.finish();
    w.string(lp, 0, lp.length, s.compression);
    return;
  }
  w.byte(RdbType.HASH);
  w.length(hv.size());
  for (let h = hv.first(); h >= 0; h = hv.next(h)) {
    hv.readEntry(h, hashEntry);
    w.string(hashEntry.field.buf, hashEntry.field.off, hashEntry.field.len, s.compression);
    w.string(hashEntry.value.buf, hashEntry.value.off, hashEntry.value.len, s.compression);
  }
}

// ---- reading ----

/** rdbLoadObjectType + rdbLoadObject: the value at r, or null when the payload is malformed. */
export function readValue(r: RdbReader, s: RdbSettings): LoadedValue | null {
  const type = r.byte();
  switch (type) {
    case RdbType.STRING: {
      const v = r.string();
      return v === null ? null : { type: KeyType.STRING, string: v, object: null, bytes: 0 };
    }
    case RdbType.LIST:
    case RdbType.LIST_ZIPLIST:
    case RdbType.LIST_QUICKLIST:
    case RdbType.LIST_QUICKLIST_2:
      return loaded(KeyType.LIST, readList(r, type));
    case RdbType.SET:
    case RdbType.SET_INTSET:
      return loaded(KeyType.SET, readSet(r, type, s));
    case RdbType.ZSET:
    case RdbType.ZSET_2:
    case RdbType.ZSET_ZIPLIST:
    case RdbType.ZSET_LISTPACK:
      return loaded(KeyType.ZSET, readZset(r, type, s));
    case RdbType.HASH:
    case RdbType.HASH_ZIPMAP:
    case RdbType.HASH_ZIPLIST:
    case RdbType.HASH_LISTPACK:
      return loaded(KeyType.HASH, readHash(r, type, s));
    case RdbType.STREAM_LISTPACKS:
    case RdbType.STREAM_LISTPACKS_2:
      return loaded(KeyType.STREAM, readStream(r, type === RdbType.STREAM_LISTPACKS_2));
    default:
      return null;
  }
}

function loaded(type: KeyTypeCode, obj: Collection | null): LoadedValue | null {
  if (obj === null) return null;
  const bytes = type === KeyType.STREAM ? (obj as StreamValue).bytes : type === KeyType.LIST ? (obj as ListValue).bytes : (obj as HashValue | SetValue | ZsetValue).memoryBytes();
  return { type, string: null, object: obj, bytes };
}

/** Walk a listpack blob's elements as bytes; false when malformed. */
function eachListpackElement(lp: Uint8Array, visit: (buf: Uint8Array, off: number, len: number) => boolean): boolean {
  if (!lpr.init(lp)) return false;
  while (lpr.next()) {
    lpr.bytes();
    if (!visit(lpr.buf, lpr.bOff, lpr.bLen)) return false;
  }
  return !lpr.bad;
}

function readList(r: RdbReader, type: number): ListValue | null {
  const list = new ListValue();
  const push = (buf: Uint8Array, off: number, len: number): boolean => {
    list.pushTail(buf, off, len);
    return true;
  };
  if (type === RdbType.LIST_ZIPLIST) {
    const zl = r.string();
    if (zl === null || !decodeZiplist(zl, push)) return null;
  } else {
    const n = r.length();
    if (n === null || n > r.remaining) return null;
    for (let i = 0; i < n; i++) {
      if (type === RdbType.LIST) {
        const e = r.string();
        if (e === null) return null;
        push(e, 0, e.length);
        continue;
      }
      let container: number | null = QUICKLIST_NODE_PACKED;
      if (type === RdbType.LIST_QUICKLIST_2) {
        container = r.length();
        if (container !== QUICKLIST_NODE_PACKED && container !== QUICKLIST_NODE_PLAIN) return null;
      }
      const data = r.string();
      if (data === null || data.length === 0) return null;
      if (container === QUICKLIST_NODE_PLAIN) push(data, 0, data.length);
      else if (type === RdbType.LIST_QUICKLIST_2 ? !eachListpackElement(data, push) : !decodeZiplist(data, push)) return null;
    }
  }
  return list.length === 0 ? null : list;
}

/** A member of an intset as text in intText; returns its length. */
function intMemberText(v: number | bigint): number {
  return formatInteger(v, intText, 0);
}

function readSet(r: RdbReader, type: number, s: RdbSettings): SetValue | null {
  const set = new SetValue();
  const max = s.setMaxIntsetEntries;
  if (type === RdbType.SET_INTSET) {
    const blob = r.string();
    const members: Array<number | bigint> = [];
    if (blob === null || !decodeIntset(blob, (v) => members.push(v) > 0) || members.length === 0) return null;
    // A well-formed intset within the limit is taken in one pass; anything else member by member.
    const ints = members.length <= max ? IntSet.fromAscending(members.length, (i) => members[i]) : null;
    if (ints !== null) {
      set.ints = ints;
      return set;
    }
    for (const v of members) if (!set.add(intText, 0, intMemberText(v), max)) return null;
    return set;
  }
  const n = r.length();
  if (n === null || n === 0 || n > r.remaining) return null;
  // Redis starts a set over the intset limit as a hashtable.
  const limit = n > max ? 0 : max;
  for (let i = 0; i < n; i++) {
    const m = r.string();
    if (m === null || !set.add(m, 0, m.length, limit)) return null;
  }
  return set;
}

function readZset(r: RdbReader, type: number, s: RdbSettings): ZsetValue | null {
  if (type === RdbType.ZSET_LISTPACK || type === RdbType.ZSET_ZIPLIST) {
    const blob = r.string();
    if (blob === null) return null;
    const z = new ZsetValue(false);
    const member = new ElementBytes();
    let haveMember = false;
    const visit = (buf: Uint8Array, off: number, len: number): boolean => {
      if (!haveMember) {
        if (member.own.length < len) member.own = Buffer.allocUnsafe(len);
        member.own.set(buf.subarray(off, off + len), 0);
        member.len = len;
        haveMember = true;
        return true;
      }
      haveMember = false;
      const score = parseScoreText(buf, off, len);
      if (score !== score || z.find(member.own, 0, member.len) >= 0) return false;
      z.insertNew(member.own, 0, member.len, score);
      if (z.isListpack() && z.size() > s.zsetMaxListpackEntries) z.convertToSkiplist();
      return true;
    };
    const ok = type === RdbType.ZSET_LISTPACK ? eachListpackElement(blob, visit) : decodeZiplist(blob, visit);
    return ok && !haveMember && z.size() > 0 ? z : null;
  }
  const n = r.length();
  if (n === null || n === 0 || n > r.remaining) return null;
  const z = new ZsetValue(true, n);
  for (let i = 0; i < n; i++) {
    const m = r.string();
    if (m === null) return null;
    const score = type === RdbType.ZSET_2 ? r.binaryDouble() : r.textDouble();
    if (score !== score || z.find(m, 0, m.length) >= 0) return null;
    z.insertNew(m, 0, m.length, score);
  }
  z.compactIfSmall(s.zsetMaxListpackEntries, s.zsetMaxListpackValue);
  return z;
}

function readHash(r: RdbReader, type: number, s: RdbSettings): HashValue | null {
  const hv = new HashValue();
  const maxEntries = s.hashMaxListpackEntries;
  if (type !== RdbType.HASH) {
    const blob = r.string();
    if (blob === null) return null;
    let maxLen = 0;
    const field = new ElementBytes();
    let haveField = false;
    const add = (fb: Uint8Array, foff: number, flen: number, vb: Uint8Array, voff: number, vlen: number): boolean => {
      if (flen > maxLen) maxLen = flen;
      if (vlen > maxLen) maxLen = vlen;
      if (!hv.set(fb, foff, flen, vb, voff, vlen, Infinity, Infinity)) return false;
      // 7.0 converts one over the entry limit after loading; converting as soon as it is over
      // gives the same value without growing a long packed string.
      if (!hv.hashtable && hv.size() > maxEntries) hv.toTable(maxEntries);
      return true;
    };
    const visit = (buf: Uint8Array, off: number, len: number): boolean => {
      if (!haveField) {
        if (field.own.length < len) field.own = Buffer.allocUnsafe(len);
        field.own.set(buf.subarray(off, off + len), 0);
        field.len = len;
        haveField = true;
        return true;
      }
      haveField = false;
      return add(field.own, 0, field.len, buf, off, len);
    };
    let ok: boolean;
    if (type === RdbType.HASH_ZIPMAP) ok = decodeZipmap(blob, (b, foff, flen, voff, vlen) => add(b, foff, flen, b, voff, vlen));
    else if (type === RdbType.HASH_LISTPACK) ok = eachListpackElement(blob, visit);
    else ok = decodeZiplist(blob, visit);
    if (!ok || haveField || hv.size() === 0) return null;
    if (hv.size() > maxEntries || (type === RdbType.HASH_ZIPMAP && maxLen > s.hashMaxListpackValue)) hv.toTable(maxEntries);
    return hv;
  }
  const n = r.length();
  if (n === null || n === 0 || n > r.remaining) return null;
  if (n > maxEntries) hv.toTable(maxEntries);
  for (let i = 0; i < n; i++) {
    const f = r.string();
    const v = f === null ? null : r.string();
    if (v === null || !hv.set(f!, 0, f!.length, v, 0, v.length, maxEntries, s.hashMaxListpackValue)) return null;
  }
  return hv;
}
