/*
 * SORT and SORT_RO (Redis 7.0 sort.c semantics) over lists, sets and sorted sets.
 *
 * How a SORT runs, in sort.c's order (so the same error wins when several apply): options are
 * parsed first (syntax and LIMIT errors), then the key is looked up (WRONGTYPE). Its elements
 * are copied into one byte arena (`elems`); a BY pattern's values, when compared as strings
 * (ALPHA), into a second one (`by`); numeric weights into a Float64Array. An index permutation
 * is sorted with sortCompare's rules, and the LIMIT range of it is replied (or stored as a list),
 * with each GET pattern looked up per element. Copying out first keeps the run independent of
 * the source's iterators: the BY/GET lookups may expire other keys, and STORE may overwrite
 * the source itself. The arenas and arrays are module scratch that grows geometrically and is
 * dropped after a sort that made it big: no allocation per element.
 *
 * Redis's rules kept here:
 * - A BY pattern without '*' (in its C string: bytes after a NUL do not count) means "don't
 *   sort"; once set it stays set for later BY options. A list or sorted set then keeps its own
 *   order (DESC reverses it, LIMIT reads only the range); a set keeps its iteration order,
 *   except with STORE or from a script, where it is sorted as ALPHA for a stable result.
 * - Numeric weights are C strtod: a trailing byte other than NUL, ERANGE (overflow, and
 *   underflow to a subnormal or zero) or NaN fail the whole command with "One or more scores
 *   can't be converted into double"; an empty string weighs 0; a missing BY key weighs 0.
 *   Equal weights fall back to comparing the elements as bytes, so the order is total.
 * - ALPHA compares as strcoll in the reply case and as memcmp (then length) with STORE.
 *   strcoll is taken as strcmp (the C and C.UTF-8 locales: byte order up to the first NUL).
 *   Under BY, a missing value sorts first and equal values are left in an unspecified order
 *   (Redis's qsort and pqsort are not stable); DESC negates every comparison.
 * - A sorted set in listpack encoding is converted to a skiplist first (zsetConvert), as Redis
 *   does even for SORT_RO: OBJECT ENCODING then answers "skiplist".
 * - lookupKeyByPattern: "#" is the element itself; the first '*' is replaced by the element; a
 *   "->field" after it (with a non-empty field) reads that field of a hash; a key of another
 *   type, or a missing key or field, is nil (an empty string when stored). Lookups are
 *   lookupKeyRead: they count hits and misses, expire, and publish "keymiss".
 * - STORE replaces the destination with a list (setKey: "new" when created, its TTL cleared,
 *   WATCH signalled) and publishes "sortstore"; an empty result deletes it ("del"). The reply
 *   is the number of elements stored.
 */
import type { Client } from '../client.ts';
import type { Registry } from '../registry.ts';
import { E_WRONGTYPE, E_SYNTAX, E_NOT_INTEGER, E_OOM } from '../../protocol/replies.ts';
import { Status, KeyType, Lookup } from '../../store/types.ts';
import { parsed } from '../numbers.ts';
import { strtod, strtodResult } from '../strtod.ts';
import { NotifyClass } from '../keyspace-events.ts';
import { existingScriptingEngine } from '../scripting/engine.ts';
import { ListValue, ListCursor } from '../types/list-value.ts';
import type { SetValue } from '../types/set-value.ts';
import { ZNIL, compareBytes, type ZsetValue } from '../types/zset-value.ts';
import { hashAt } from './hashes.ts';
import { listAt, storeNewList } from './lists.ts';
import { zsetToSkiplist } from './zsets.ts';
import { ElementBytes } from '../types/packed.ts';
import { copyBytes } from '../../store/bytes.ts';

const E_SCORES = Buffer.from("-ERR One or more scores can't be converted into double\r\n", 'latin1');

const EMPTY = new Uint8Array(0);

// ---- scratch: the sort vector ----

/** Capacity kept between sorts; a sort that grew a scratch past it lets it go afterwards. */
const KEEP_ELEMENTS = 1 << 16;
const KEEP_BYTES = 1 << 20;

/** Element bytes of the sort vector, element i at elems[elemOff[i], elemOff[i] + elemLen[i]). */
let elems: Buffer = Buffer.allocUnsafeSlow(4096);
let elemsUsed = 0;
/** ALPHA BY values, value i at by[byOff[i], byOff[i] + byLen[i]); byLen -1: missing. */
let by: Buffer = Buffer.allocUnsafeSlow(4096);
let byUsed = 0;
let elemOff = new Int32Array(256);
let elemLen = new Int32Array(256);
let byOff = new Int32Array(256);
let byLen = new Int32Array(256);
let scores = new Float64Array(256);
let order = new Int32Array(256);

function reserveVector(n: number): void {
  if (elemOff.length >= n) return;
  const cap = Math.max(n, elemOff.length * 2);
  elemOff = new Int32Array(cap);
  elemLen = new Int32Array(cap);
  byOff = new Int32Array(cap);
  byLen = new Int32Array(cap);
  scores = new Float64Array(cap);
  order = new Int32Array(cap);
}

function grown(buf: Buffer, used: number, need: number): Buffer {
  if (used + need <= buf.length) return buf;
  const next = Buffer.allocUnsafeSlow(Math.max(used + need, buf.length * 2));
  buf.copy(next, 0, 0, used);
  return next;
}


/** Append element j of the vector (a copy of src[off, off+len)). */
function pushElement(j: number, src: Uint8Array, off: number, len: number): void {
  elems = grown(elems, elemsUsed, len);
  copyBytes(src, off, elems, elemsUsed, len);
  elemOff[j] = elemsUsed;
  elemLen[j] = len;
  elemsUsed += len;
}

function setByValue(j: number, src: Uint8Array, off: number, len: number): void {
  by = grown(by, byUsed, len);
  copyBytes(src, off, by, byUsed, len);
  byOff[j] = byUsed;
  byLen[j] = len;
  byUsed += len;
}

function releaseScratch(): void {
  if (elems.length > KEEP_BYTES) elems = Buffer.allocUnsafeSlow(4096);
  if (by.length > KEEP_BYTES) by = Buffer.allocUnsafeSlow(4096);
  if (elemOff.length > KEEP_ELEMENTS) {
    elemOff = new Int32Array(256);
    elemLen = new Int32Array(256);
    byOff = new Int32Array(256);
    byLen = new Int32Array(256);
    scores = new Float64Array(256);
    order = new Int32Array(256);
  }
  elemsUsed = 0;
  byUsed = 0;
}

// ---- patterns (lookupKeyByPattern) ----

/** What a pattern does: the element itself ("#"), nothing (no '*'), or a key lookup. */
const PatternKind = { SELF: 0, NONE: 1, KEY: 2 } as const;

/** A BY or GET pattern, parsed once per command: offsets into the command's argument buffer. */
class Pattern {
  kind = 0;
  /** Start of the pattern argument. */
  off = 0;
  /** Position of the first '*' (relative to off). */
  star = 0;
  /** End of the key part (before "->field", else len). */
  keyEnd = 0;
  /** The hash field (relative to off), or fieldLen -1 for a string key. */
  fieldAt = 0;
  fieldLen = -1;

  parse(buf: Uint8Array, off: number, len: number): void {
    this.off = off;
    this.fieldLen = -1;
    if (len > 0 && buf[off] === 0x23 /* # */ && (len === 1 || buf[off + 1] === 0)) {
      this.kind = PatternKind.SELF;
      return;
    }
    const cEnd = cStringEnd(buf, off, len);
    const star = indexOfStar(buf, off, cEnd);
    if (star < 0) {
      this.kind = PatternKind.NONE;
      return;
    }
    this.kind = PatternKind.KEY;
    this.star = star;
    this.keyEnd = len;
    // strstr(p+1, "->") within the C string, then a non-empty field after the arrow.
    for (let i = star + 1; i + 1 < cEnd; i++) {
      if (buf[off + i] === 0x2d && buf[off + i + 1] === 0x3e) {
        if (i + 2 < cEnd) {
          this.keyEnd = i;
          this.fieldAt = i + 2;
          this.fieldLen = len - i - 2;
        }
        break;
      }
    }
  }
}

/** Length of buf[off, off+len) as a C string: up to its first NUL. */
function cStringEnd(buf: Uint8Array, off: number, len: number): number {
  for (let i = 0; i < len; i++) if (buf[off + i] === 0) return i;
  return len;
}

/** Position of the first '*' in buf[off, off+cEnd), or -1. */
function indexOfStar(buf: Uint8Array, off: number, cEnd: number): number {
  for (let i = 0; i < cEnd; i++) if (buf[off + i] === 0x2a) return i;
  return -1;
}

const byPattern = new Pattern();
const getPatterns: Pattern[] = [];

/** The looked-up key name. */
let keyName: Buffer = Buffer.allocUnsafeSlow(256);
const fieldValue = new ElementBytes();

/** Set by lookupPattern: the value found, valid until the next store access. */
let foundBuf: Uint8Array = EMPTY;
let foundOff = 0;
let foundLen = 0;

/** lookupKeyByPattern for vector element j: true with found* set, false for nil. */
function lookupPattern(c: Client, p: Pattern, j: number): boolean {
  const eoff = elemOff[j];
  const elen = elemLen[j];
  if (p.kind === PatternKind.SELF) {
    foundBuf = elems;
    foundOff = eoff;
    foundLen = elen;
    return true;
  }
  if (p.kind === PatternKind.NONE) return false;
  const buf = c.argBuf;
  const postfix = p.keyEnd - p.star - 1;
  const klen = p.star + elen + postfix;
  if (keyName.length < klen) keyName = Buffer.allocUnsafeSlow(Math.max(klen, keyName.length * 2));
  copyBytes(buf, p.off, keyName, 0, p.star);
  copyBytes(elems, eoff, keyName, p.star, elen);
  copyBytes(buf, p.off + p.star + 1, keyName, p.star + elen, postfix);
  const store = c.store;
  const h = c.lookupKey(keyName, 0, klen, Lookup.READ);
  if (h < 0) return false;
  if (p.fieldLen >= 0) {
    if (store.typeOf(h) !== KeyType.HASH) return false;
    const hv = hashAt(store, h);
    const e = hv.findField(buf, p.off + p.fieldAt, p.fieldLen);
    if (e < 0) return false;
    hv.readValue(e, fieldValue);
    foundBuf = fieldValue.buf;
    foundOff = fieldValue.off;
    foundLen = fieldValue.len;
    return true;
  }
  if (store.typeOf(h) !== KeyType.STRING) return false;
  foundBuf = store.stringBytes(h);
  foundOff = store.offset;
  foundLen = store.stringLength(h);
  return true;
}

// ---- sortCompare ----

let cmpDesc = false;
let cmpAlpha = false;
let cmpByPattern = false;
let cmpStore = false;

/** strcoll in the C locale: strcmp, bytes as unsigned, each side ending at its first NUL. */
function collate(a: Uint8Array, aoff: number, alen: number, b: Uint8Array, boff: number, blen: number): number {
  for (let i = 0; ; i++) {
    const ca = i < alen ? a[aoff + i] : 0;
    const cb = i < blen ? b[boff + i] : 0;
    if (ca !== cb) return ca - cb;
    if (ca === 0) return 0;
  }
}

function sortCompare(x: number, y: number): number {
  let cmp: number;
  if (!cmpAlpha) {
    const sx = scores[x];
    const sy = scores[y];
    if (sx > sy) cmp = 1;
    else if (sx < sy) cmp = -1;
    else cmp = compareBytes(elems, elemOff[x], elemLen[x], elems, elemOff[y], elemLen[y]);
  } else if (cmpByPattern) {
    const lx = byLen[x];
    const ly = byLen[y];
    if (lx < 0 || ly < 0) cmp = lx === ly ? 0 : lx < 0 ? -1 : 1;
    else if (cmpStore) cmp = compareBytes(by, byOff[x], lx, by, byOff[y], ly);
    else cmp = collate(by, byOff[x], lx, by, byOff[y], ly);
  } else if (cmpStore) {
    cmp = compareBytes(elems, elemOff[x], elemLen[x], elems, elemOff[y], elemLen[y]);
  } else {
    cmp = collate(elems, elemOff[x], elemLen[x], elems, elemOff[y], elemLen[y]);
  }
  return cmpDesc ? -cmp : cmp;
}

// ---- loading the vector ----

const cursor = new ListCursor();
const member = new ElementBytes();

/** `count` list elements from index `from`, backward when `reverse`. */
function loadList(list: ListValue, from: number, count: number, reverse: boolean): void {
  if (count === 0) return;
  cursor.seek(list, from);
  for (let j = 0; ; ) {
    pushElement(j, cursor.buf, cursor.off, cursor.len);
    if (++j === count) break;
    if (reverse) cursor.prev();
    else cursor.next();
  }
}

function loadSet(sv: SetValue): void {
  let j = 0;
  for (let h = sv.first(); h >= 0; h = sv.next(h)) {
    sv.read(h, member);
    pushElement(j++, member.buf, member.off, member.len);
  }
}

/** `count` sorted-set members from 0-based rank `from`, backward when `reverse`. */
function loadZset(zv: ZsetValue, from: number, count: number, reverse: boolean): void {
  let p = count > 0 ? zv.atRank(from) : ZNIL;
  for (let j = 0; j < count; j++) {
    const bytes = zv.member(p);
    pushElement(j, bytes, zv.memberOff, zv.memberLen);
    p = reverse ? zv.prev(p) : zv.next(p);
  }
}

// ---- SORT / SORT_RO ----

/** Inside a script (Redis's CLIENT_SCRIPT): the engine's client runs a script's commands. */
function fromScript(c: Client): boolean {
  const engine = existingScriptingEngine(c.server);
  return engine !== undefined && engine.run !== null && c.denyBlocking;
}

/** getLongFromObjectOrReply's value, already parsed into numbers.parsed. */
function parsedLong(): number {
  return parsed.isBig ? Number(parsed.big) : parsed.num;
}

function hasStar(c: Client, j: number): boolean {
  const end = c.argOff[j] + c.argLen[j];
  for (let i = c.argOff[j]; i < end; i++) if (c.argBuf[i] === 42) return true;
  return false;
}

/** BY and GET patterns name keys the ACLs cannot check one by one: they need read access to all. */
function mayReadAnyKey(c: Client): boolean {
  return c.user.permissive || c.server.acl.mayReadAnyKey(c.user, c.lastCommand!, c);
}

function sortGeneric(c: Client, readonly: boolean): void {
  let desc = false;
  let alpha = false;
  let limitStart = 0;
  let limitCount = -1;
  let dontsort = false;
  let sortby = false;
  let storeArg = -1;
  let getop = 0;
  const argc = c.argc;
  for (let j = 2; j < argc; j++) {
    const left = argc - j - 1;
    if (c.argIs(j, 'asc')) desc = false;
    else if (c.argIs(j, 'desc')) desc = true;
    else if (c.argIs(j, 'alpha')) alpha = true;
    else if (c.argIs(j, 'limit') && left >= 2) {
      if (!c.argInt64(j + 1)) {
        c.reply.raw(E_NOT_INTEGER);
        return;
      }
      limitStart = parsedLong();
      if (!c.argInt64(j + 2)) {
        c.reply.raw(E_NOT_INTEGER);
        return;
      }
      limitCount = parsedLong();
      j += 2;
    } else if (!readonly && c.argIs(j, 'store') && left >= 1) {
      storeArg = ++j;
    } else if (c.argIs(j, 'by') && left >= 1) {
      j++;
      sortby = true;
      if (hasStar(c, j) && !mayReadAnyKey(c)) {
        c.reply.error('ERR BY option of SORT denied due to insufficient ACL permissions.');
        return;
      }
      byPattern.parse(c.argBuf, c.argOff[j], c.argLen[j]);
      // A constant pattern (no '*'): nothing to sort by. Later BY options do not undo it.
      if (byPattern.kind !== PatternKind.KEY) dontsort = true;
    } else if (c.argIs(j, 'get') && left >= 1) {
      if (!mayReadAnyKey(c)) {
        c.reply.error('ERR GET option of SORT denied due to insufficient ACL permissions.');
        return;
      }
      j++;
      if (getPatterns.length === getop) getPatterns.push(new Pattern());
      getPatterns[getop++].parse(c.argBuf, c.argOff[j], c.argLen[j]);
    } else {
      c.reply.raw(E_SYNTAX);
      return;
    }
  }

  const store = c.store;
  const h = c.lookupArg(1, Lookup.READ);
  const type = h < 0 ? KeyType.LIST : store.typeOf(h);
  if (type !== KeyType.LIST && type !== KeyType.SET && type !== KeyType.ZSET) {
    c.reply.raw(E_WRONGTYPE);
    return;
  }
  // A set's iteration order is not stable across replicas and scripts: sort it when it is
  // stored or when a script asked.
  if (dontsort && type === KeyType.SET && (storeArg >= 0 || fromScript(c))) {
    dontsort = false;
    alpha = true;
    sortby = false;
  }
  if (h >= 0 && type === KeyType.ZSET) zsetToSkiplist(store, h);
  const obj = h < 0 ? null : type === KeyType.LIST ? listAt(store, h) : store.objectOf(h);
  let vectorlen = obj === null ? 0 : (obj as ListValue | SetValue | ZsetValue).size();

  // LIMIT, clamped to the object's size.
  let start = Math.min(Math.max(limitStart, 0), vectorlen);
  limitCount = Math.min(Math.max(limitCount, -1), vectorlen);
  let end = limitCount < 0 ? vectorlen - 1 : start + limitCount - 1;
  if (start >= vectorlen) {
    start = vectorlen - 1;
    end = vectorlen - 2;
  }
  if (end >= vectorlen) end = vectorlen - 1;

  // Lists and sorted sets left unsorted load only the LIMIT range, in their own order.
  const rangeOnly = dontsort && type !== KeyType.SET;
  if (rangeOnly && (start !== 0 || end !== vectorlen - 1)) vectorlen = end - start + 1;
  reserveVector(vectorlen);
  if (type === KeyType.LIST) {
    // A missing key sorts as an empty list.
    const list = obj as ListValue | null;
    if (list !== null && !rangeOnly) loadList(list, 0, vectorlen, false);
    else if (list !== null && end >= start) {
      loadList(list, desc ? list.length - start - 1 : start, vectorlen, desc);
      end -= start;
      start = 0;
    }
  } else if (type === KeyType.SET) {
    loadSet(obj as SetValue);
  } else {
    const zv = obj as ZsetValue;
    if (rangeOnly) {
      loadZset(zv, desc ? zv.size() - start - 1 : start, vectorlen, desc);
      end -= start;
      start = 0;
    } else loadZset(zv, 0, vectorlen, false);
  }

  let badScore = false;
  if (!dontsort) {
    for (let j = 0; j < vectorlen; j++) {
      scores[j] = 0;
      byLen[j] = -1;
      let vbuf: Uint8Array;
      let voff: number;
      let vlen: number;
      if (sortby) {
        if (!lookupPattern(c, byPattern, j)) continue;
        vbuf = foundBuf;
        voff = foundOff;
        vlen = foundLen;
      } else {
        vbuf = elems;
        voff = elemOff[j];
        vlen = elemLen[j];
      }
      if (alpha) {
        if (sortby) setByValue(j, vbuf, voff, vlen);
      } else {
        strtod(vbuf, voff, vlen);
        const r = strtodResult;
        scores[j] = r.value;
        // strtod's endptr must be at the string's end (or a NUL), with no ERANGE and no NaN.
        if ((r.end < vlen && vbuf[voff + r.end] !== 0) || r.erange || r.value !== r.value) badScore = true;
      }
    }
    if (!badScore) {
      cmpDesc = desc;
      cmpAlpha = alpha;
      cmpByPattern = sortby;
      cmpStore = storeArg >= 0;
      const perm = order.subarray(0, vectorlen);
      for (let j = 0; j < vectorlen; j++) perm[j] = j;
      perm.sort(sortCompare);
    }
  } else {
    for (let j = 0; j < vectorlen; j++) order[j] = j;
  }

  const count = end - start + 1;
  const outputlen = getop > 0 ? getop * count : count;
  if (badScore) {
    c.reply.raw(E_SCORES);
  } else if (storeArg < 0) {
    replySorted(c, start, end, getop, outputlen);
  } else {
    storeSorted(c, start, end, getop, outputlen, storeArg);
  }
  releaseScratch();
}

function replySorted(c: Client, start: number, end: number, getop: number, outputlen: number): void {
  const reply = c.reply;
  reply.arrayLen(outputlen);
  for (let i = start; i <= end; i++) {
    const j = order[i];
    if (getop === 0) reply.bulk(elems, elemOff[j], elemLen[j]);
    for (let k = 0; k < getop; k++) {
      if (lookupPattern(c, getPatterns[k], j)) reply.bulk(foundBuf, foundOff, foundLen);
      else reply.nullBulk();
    }
    // A doomed client (past its output hard limit) gets nothing more: stop building.
    if (reply.overLimit) break;
  }
}

function storeSorted(c: Client, start: number, end: number, getop: number, outputlen: number, storeArg: number): void {
  const buf = c.argBuf;
  const off = c.argOff[storeArg];
  const len = c.argLen[storeArg];
  if (outputlen === 0) {
    if (c.store.delete(c.db, buf, off, len)) {
      c.modified(storeArg);
      c.notify(NotifyClass.GENERIC, 'del', storeArg);
    }
    c.reply.int(0);
    return;
  }
  const list = new ListValue();
  for (let i = start; i <= end; i++) {
    const j = order[i];
    if (getop === 0) list.pushTail(elems, elemOff[j], elemLen[j]);
    for (let k = 0; k < getop; k++) {
      if (lookupPattern(c, getPatterns[k], j)) list.pushTail(foundBuf, foundOff, foundLen);
      else list.pushTail(EMPTY, 0, 0);
    }
  }
  if (storeNewList(c.store, c.db, buf, off, len, list) !== Status.OK) {
    c.reply.raw(E_OOM);
    return;
  }
  c.modified(storeArg);
  c.notify(NotifyClass.LIST, 'sortstore', storeArg);
  c.reply.int(outputlen);
}

function cmdSort(c: Client): void {
  sortGeneric(c, false);
}

function cmdSortRo(c: Client): void {
  sortGeneric(c, true);
}

export function registerSortCommands(registry: Registry): void {
  registry.add('sort', cmdSort);
  registry.add('sort_ro', cmdSortRo);
}
