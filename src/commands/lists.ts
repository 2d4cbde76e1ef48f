/*
 * List commands (Redis 7.0 t_list.c semantics): LPUSH/RPUSH/LPUSHX/RPUSHX, LPOP/RPOP [count],
 * LLEN, LRANGE, LINDEX, LSET, LINSERT, LREM, LTRIM, LPOS, LMOVE/RPOPLPUSH, LMPOP, and the
 * blocking BLPOP/BRPOP/BRPOPLPUSH/BLMOVE/BLMPOP on top of blocking.ts.
 *
 * A small list is packed bytes in its key's slab chunk, read and written through the shared
 * view of types/list-value.ts (listAt); a bigger one is a ListValue in the store's object table.
 * Every write ends in commitList, which stores the view's new bytes, moves a list between the
 * two forms when it crosses the small-list size, or re-charges the object's memory estimate; an
 * emptied list deletes its key; creating a list (a push, or a move into a missing destination)
 * signals the key to clients blocked on it.
 * Arguments are parsed in Redis's order (some before the key lookup, some after), so the same
 * error wins when several apply. Replies stream from the list's nodes into the reply writer
 * (LRANGE of a million elements builds no array). Elements are bytes, never decoded.
 *
 * Observers: every write calls Client.modified (signalModifiedKey: WATCH) and Client.notify
 * (notifyKeyspaceEvent) where, when and in the order t_list.c does, relative to the reply too
 * (a RESP3 client subscribed to its own events sees them in Redis's order): only when the key
 * really changed (LPUSHX on a missing key, LREM or LINSERT finding nothing, LPOP k 0: nothing),
 * "del" when a list empties, and for a blocked client served later exactly what
 * serveClientBlockedOnList emits (BLPOP/BRPOP/BLMOVE's source are not signalled there: the push
 * that readied the key was). The store itself emits "new" (dbAdd), "expired" and "evicted".
 */
import type { Client } from '../client.ts';
import type { Registry } from '../registry.ts';
import {
  R_OK, R_ZERO, R_MINUS_ONE, R_EMPTY_ARRAY,
  E_WRONGTYPE, E_SYNTAX, E_NOT_INTEGER, E_OOM, E_NO_SUCH_KEY, E_OUT_OF_RANGE,
} from '../../protocol/replies.ts';
import { Status, KeyType, Lookup, Encoding, type StatusCode } from '../../store/types.ts';
import type { Keyspace } from '../../store/keyspace.ts';
import { parsed, INT64_MIN } from '../numbers.ts';
import { ListValue, ListCursor, ElementRef, viewPackedList, newPackedList, isListView } from '../types/list-value.ts';
import { parseTimeoutOrReply, blockForKeys, signalKeyReady } from '../blocking.ts';
import { NotifyClass } from '../keyspace-events.ts';
import { copyBytes } from '../../store/bytes.ts';

function err(text: string): Buffer {
  return Buffer.from(`-${text}\r\n`, 'latin1');
}

const E_MUST_BE_POSITIVE = err('ERR value is out of range, must be positive');
const E_RANK_ZERO = err("ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to start from the end of the list");
const E_COUNT_NEGATIVE = err("ERR COUNT can't be negative");
const E_MAXLEN_NEGATIVE = err("ERR MAXLEN can't be negative");
const E_NUMKEYS = err('ERR numkeys should be greater than 0');
const E_COUNT_POSITIVE = err('ERR count should be greater than 0');

const cursor = new ListCursor();
const ref = new ElementRef();

// ---- argument parsing ----

/** The value parsed by the *OrReply helpers below (exact up to 2^53, then the nearest double). */
let argNum = 0;

/** getLongFromObjectOrReply: argument i as a signed 64-bit integer into argNum, or reply `error`. */
function longArgOrReply(c: Client, i: number, error: Uint8Array): boolean {
  if (!c.argInt64(i)) {
    c.reply.raw(error);
    return false;
  }
  argNum = parsed.isBig ? Number(parsed.big) : parsed.num;
  return true;
}

/**
 * LREM's count and LPOS's RANK (getLongFromObjectOrReply in 7.0). Both negate a negative value,
 * which for LONG_MIN wraps to LONG_MIN in Redis: still negative, so it never equals a count of
 * matches. longMinArg tells the handler, which reproduces that (LREM removes every match from
 * the tail; LPOS RANK takes every match from the tail, ignoring COUNT).
 */
let longMinArg = false;

function signedLongOrReply(c: Client, i: number): boolean {
  if (!longArgOrReply(c, i, E_NOT_INTEGER)) return false;
  longMinArg = parsed.isBig && parsed.big === INT64_MIN;
  return true;
}

/** getRangeLongFromObjectOrReply(min..LONG_MAX, msg): one error text for both failures. */
function atLeastOrReply(c: Client, i: number, min: number, error: Uint8Array): boolean {
  if (!c.argInt64(i) || (!parsed.isBig && parsed.num < min) || (parsed.isBig && parsed.big < 0n)) {
    c.reply.raw(error);
    return false;
  }
  argNum = parsed.isBig ? Number(parsed.big) : parsed.num;
  return true;
}

/** LEFT / RIGHT (getListPositionFromObjectOrReply): 1 for LEFT (head), 0 for RIGHT, -1 after replying. */
function positionOrReply(c: Client, i: number): number {
  if (c.argIs(i, 'left')) return 1;
  if (c.argIs(i, 'right')) return 0;
  c.reply.raw(E_SYNTAX);
  return -1;
}

// ---- shared helpers ----

/** The list at argument i: its handle; -1 when missing; -2 after replying WRONGTYPE. */
function lookupList(c: Client, i: number, mode: 0 | 1 | 2): number {
  return c.lookupTyped(i, KeyType.LIST, mode);
}

/** The list at h: its object, or the shared view of its packed bytes (valid until the next store write). */
export function listAt(store: Keyspace, h: number): ListValue {
  if (store.encodingOf(h) !== Encoding.PACKED) return store.objectOf(h) as ListValue;
  return viewPackedList(store.stringBytes(h), store.offset, store.stringLength(h));
}

function listOf(c: Client, h: number): ListValue {
  return listAt(c.store, h);
}

/**
 * After a write to `list` (from listAt(h); `before`: its estimate then): delete an emptied key;
 * store a small list's bytes in its chunk, an object that shrank included; move a list that
 * outgrew its packed form (or whose bigger chunk could not be had) into the object table; else
 * re-charge the object's estimate. Never fails.
 */
function commitList(store: Keyspace, h: number, list: ListValue, before: number): void {
  if (list.length === 0) {
    store.deleteHandle(h);
  } else if (isListView(list)) {
    let stored = false;
    if (list.small) {
      const len = list.storedLength();
      stored = store.updatePacked(h, Encoding.PACKED, list.storedBytes(), 0, len);
    }
    if (!stored) {
      const obj = list.detach();
      store.packedToObject(h, obj, obj.bytes);
    }
  } else {
    let packed = false;
    if (list.small) {
      const len = list.storedLength();
      packed = store.objectToPacked(h, Encoding.PACKED, list.storedBytes(), 0, len);
    }
    if (!packed) store.adjustObjectBytes(h, list.bytes - before);
  }
}

/**
 * Store a list built outside the store (the view from newPackedList, or an object: SORT STORE,
 * RESTORE) as db/key: packed in the key's chunk while small, else in the object table. OK or OOM.
 */
export function storeNewList(store: Keyspace, db: number, key: Uint8Array, koff: number, klen: number, list: ListValue): StatusCode {
  if (list.small) {
    const len = list.storedLength();
    return store.setPacked(db, key, koff, klen, KeyType.LIST, Encoding.PACKED, list.storedBytes(), 0, len);
  }
  const obj = isListView(list) ? list.detach() : list;
  return store.setObject(db, key, koff, klen, KeyType.LIST, obj, obj.bytes);
}

/** Store a new list under argument i and signal it to blocked clients. False after replying OOM. */
function createList(c: Client, i: number, list: ListValue): boolean {
  if (storeNewList(c.store, c.db, c.argBuf, c.argOff[i], c.argLen[i], list) !== Status.OK) {
    c.reply.raw(E_OOM);
    return false;
  }
  signalKeyReady(c, c.db, c.argBuf, c.argOff[i], c.argLen[i]);
  return true;
}

/** `count` elements from index `from` (0 <= from < length), backward when `reverse`, as an array. */
function replyRange(c: Client, list: ListValue, from: number, count: number, reverse: boolean): void {
  const reply = c.reply;
  reply.arrayLen(count);
  if (count === 0) return;
  cursor.seek(list, from);
  for (let i = 1; ; i++) {
    reply.bulk(cursor.buf, cursor.off, cursor.len);
    // A doomed client (past its output hard limit) gets nothing more: stop building.
    if (i === count || reply.overLimit) break;
    if (reverse) cursor.prev();
    else cursor.next();
  }
}

/**
 * After popping from the list at h (key: argument i; estimate `before`): the "lpop"/"rpop"
 * event, an emptied key deleted with "del", else re-charged; then the WATCH signal unless
 * `served` (listElementsRemoved; serveClientBlockedOnList for BLPOP/BRPOP, which does not
 * signal).
 */
function elementsRemoved(c: Client, h: number, i: number, list: ListValue, before: number, head: boolean, served: boolean): void {
  c.notify(NotifyClass.LIST, head ? 'lpop' : 'rpop', i);
  if (list.length === 0) {
    c.store.deleteHandle(h);
    c.notify(NotifyClass.GENERIC, 'del', i);
  } else {
    commitList(c.store, h, list, before);
  }
  if (!served) c.modified(i);
}

/** Pop up to `count` elements from one end of the list at h (key: argument i), replying them as an array (LPOP k n). */
function popRange(c: Client, h: number, i: number, list: ListValue, head: boolean, count: number): void {
  const len = list.length;
  const n = count > len ? len : count;
  const before = list.bytes;
  replyRange(c, list, head ? 0 : len - 1, n, !head);
  if (head) list.trimHead(n);
  else list.trimTail(n);
  elementsRemoved(c, h, i, list, before, head, false);
}

/** LMPOP / BLMPOP reply: [key, [elements]] popping up to `count` from the list at h (key: argument i). */
function popRangeWithKey(c: Client, h: number, i: number, head: boolean, count: number): void {
  c.reply.arrayLen(2);
  c.reply.bulk(c.argBuf, c.argOff[i], c.argLen[i]);
  popRange(c, h, i, listOf(c, h), head, count);
}

/**
 * BLPOP / BRPOP reply: [key, element], popping one element from the list at h (key: argument
 * i); `served`: a blocked client served later (no WATCH signal, as serveClientBlockedOnList).
 */
function popOneWithKey(c: Client, h: number, i: number, head: boolean, served: boolean): void {
  const list = listOf(c, h);
  const before = list.bytes;
  if (head) list.peekHead(ref);
  else list.peekTail(ref);
  const reply = c.reply;
  reply.arrayLen(2);
  reply.bulk(c.argBuf, c.argOff[i], c.argLen[i]);
  reply.bulk(ref.buf, ref.off, ref.len);
  if (head) list.popHead();
  else list.popTail();
  elementsRemoved(c, h, i, list, before, head, served);
}

/** A copy of the element being moved (LMOVE): source and destination may be the same list. */
let moved = Buffer.allocUnsafeSlow(1024);

/**
 * LMOVE core (lmoveGenericCommand after the checks): pop from the list at sh (argument 1), push
 * onto the list at dh (argument 2; -1 when missing: created), reply the element. Observers in
 * lmoveHandlePush's then lmoveGenericCommand's order: the destination signalled and its push
 * event, the reply, the source's pop event and "del" when it emptied, the source signalled
 * unless `served` (serveClientBlockedOnList does not signal it).
 */
function moveElement(c: Client, sh: number, dh: number, fromHead: boolean, toHead: boolean, served: boolean): void {
  const store = c.store;
  let src = listOf(c, sh);
  if (fromHead) src.peekHead(ref);
  else src.peekTail(ref);
  const len = ref.len;
  if (moved.length < len) moved = Buffer.allocUnsafeSlow(Math.max(len, moved.length * 2));
  copyBytes(ref.buf, ref.off, moved, 0, len);
  if (dh < 0) {
    // Create the destination before popping: if that fails (OOM) the source is left untouched.
    const dst = newPackedList();
    dst.pushTail(moved, 0, len);
    if (!createList(c, 2, dst)) return;
    // That used the shared view and may have moved the source's chunk: look the source up again.
    src = listOf(c, sh);
  }
  const srcBefore = src.bytes;
  if (fromHead) src.popHead();
  else src.popTail();
  let srcDeleted = false;
  if (dh === sh) {
    if (toHead) src.pushHead(moved, 0, len);
    else src.pushTail(moved, 0, len);
    commitList(store, sh, src, srcBefore);
  } else {
    srcDeleted = src.length === 0;
    commitList(store, sh, src, srcBefore);
    if (dh >= 0) {
      // Looked up after the source is stored: a packed destination takes the shared view over.
      const dst = listOf(c, dh);
      const before = dst.bytes;
      if (toHead) dst.pushHead(moved, 0, len);
      else dst.pushTail(moved, 0, len);
      commitList(store, dh, dst, before);
    }
  }
  c.modified(2);
  c.notify(NotifyClass.LIST, toHead ? 'lpush' : 'rpush', 2);
  c.reply.bulk(moved, 0, len);
  c.notify(NotifyClass.LIST, fromHead ? 'lpop' : 'rpop', 1);
  if (srcDeleted) c.notify(NotifyClass.GENERIC, 'del', 1);
  if (!served) c.modified(1);
}

// ---- pushes ----

/** pushGenericCommand: LPUSH/RPUSH, and LPUSHX/RPUSHX (xx: only onto an existing list). */
function pushGeneric(c: Client, head: boolean, xx: boolean): void {
  const h = lookupList(c, 1, Lookup.WRITE);
  if (h === -2) return;
  let length: number;
  if (h >= 0) {
    const list = listOf(c, h);
    const before = list.bytes;
    list.pushMany(head, c.argBuf, c.argOff, c.argLen, 2, c.argc);
    length = list.length;
    commitList(c.store, h, list, before);
  } else {
    if (xx) {
      c.reply.raw(R_ZERO);
      return;
    }
    const list = newPackedList();
    list.pushMany(head, c.argBuf, c.argOff, c.argLen, 2, c.argc);
    length = list.length;
    if (!createList(c, 1, list)) return;
  }
  c.reply.int(length);
  c.modified(1);
  c.notify(NotifyClass.LIST, head ? 'lpush' : 'rpush', 1);
}

function cmdLpush(c: Client): void {
  pushGeneric(c, true, false);
}

function cmdRpush(c: Client): void {
  pushGeneric(c, false, false);
}

function cmdLpushx(c: Client): void {
  pushGeneric(c, true, true);
}

function cmdRpushx(c: Client): void {
  pushGeneric(c, false, true);
}

function cmdLinsert(c: Client): void {
  let before: boolean;
  if (c.argIs(2, 'after')) before = false;
  else if (c.argIs(2, 'before')) before = true;
  else {
    c.reply.raw(E_SYNTAX);
    return;
  }
  const h = lookupList(c, 1, Lookup.WRITE);
  if (h === -2) return;
  if (h === -1) {
    c.reply.raw(R_ZERO);
    return;
  }
  const list = listOf(c, h);
  const pbuf = c.argBuf;
  const poff = c.argOff[3];
  const plen = c.argLen[3];
  let index = -1;
  cursor.seek(list, 0);
  let i = 0;
  do {
    if (cursor.equals(pbuf, poff, plen)) {
      index = i;
      break;
    }
    i++;
  } while (cursor.next());
  if (index < 0) {
    c.reply.raw(R_MINUS_ONE);
    return;
  }
  const bytesBefore = list.bytes;
  list.insertAt(before ? index : index + 1, c.argBuf, c.argOff[4], c.argLen[4]);
  const length = list.length;
  commitList(c.store, h, list, bytesBefore);
  c.modified(1);
  c.notify(NotifyClass.LIST, 'linsert', 1);
  c.reply.int(length);
}

// ---- reads ----

function cmdLlen(c: Client): void {
  const h = lookupList(c, 1, Lookup.READ);
  if (h === -2) return;
  if (h === -1) c.reply.raw(R_ZERO);
  else c.reply.int(listOf(c, h).length);
}

function cmdLindex(c: Client): void {
  const h = lookupList(c, 1, Lookup.READ);
  if (h === -2) return;
  if (h === -1) {
    c.reply.nullBulk();
    return;
  }
  if (!longArgOrReply(c, 2, E_NOT_INTEGER)) return;
  const list = listOf(c, h);
  let index = argNum;
  if (index < 0) index += list.length;
  if (index < 0 || index >= list.length) {
    c.reply.nullBulk();
    return;
  }
  list.peekAt(index, ref);
  c.reply.bulk(ref.buf, ref.off, ref.len);
}

function cmdLrange(c: Client): void {
  if (!longArgOrReply(c, 2, E_NOT_INTEGER)) return;
  let start = argNum;
  if (!longArgOrReply(c, 3, E_NOT_INTEGER)) return;
  let end = argNum;
  const h = lookupList(c, 1, Lookup.READ);
  if (h === -2) return;
  if (h === -1) {
    c.reply.raw(R_EMPTY_ARRAY);
    return;
  }
  const list = listOf(c, h);
  const llen = list.length;
  if (start < 0) start += llen;
  if (end < 0) end += llen;
  if (start < 0) start = 0;
  if (start > end || start >= llen) {
    c.reply.raw(R_EMPTY_ARRAY);
    return;
  }
  if (end >= llen) end = llen - 1;
  replyRange(c, list, start, end - start + 1, false);
}

function cmdLpos(c: Client): void {
  let rank = 1;
  let count = -1;
  let maxlen = 0;
  let rankMin = false;
  for (let j = 3; j < c.argc; j++) {
    const more = j < c.argc - 1;
    if (c.argIs(j, 'rank') && more) {
      j++;
      if (!signedLongOrReply(c, j)) return;
      rank = argNum;
      rankMin = longMinArg;
      if (rank === 0) {
        c.reply.raw(E_RANK_ZERO);
        return;
      }
    } else if (c.argIs(j, 'count') && more) {
      j++;
      if (!atLeastOrReply(c, j, 0, E_COUNT_NEGATIVE)) return;
      count = argNum;
    } else if (c.argIs(j, 'maxlen') && more) {
      j++;
      if (!atLeastOrReply(c, j, 0, E_MAXLEN_NEGATIVE)) return;
      maxlen = argNum;
    } else {
      c.reply.raw(E_SYNTAX);
      return;
    }
  }
  const forward = rank > 0;
  // RANK LONG_MIN stays negative after negation in Redis: every match qualifies, COUNT never stops.
  rank = rankMin ? 1 : forward ? rank : -rank;
  const h = lookupList(c, 1, Lookup.READ);
  if (h === -2) return;
  if (h === -1) {
    if (count !== -1) c.reply.raw(R_EMPTY_ARRAY);
    else c.reply.nullBulk();
    return;
  }
  const list = listOf(c, h);
  const llen = list.length;
  const ebuf = c.argBuf;
  const eoff = c.argOff[2];
  const elen = c.argLen[2];
  let matches = 0;
  let found = 0;
  let single = -1;
  cursor.seek(list, forward ? 0 : llen - 1);
  for (let index = 0; maxlen === 0 || index < maxlen; index++) {
    if (cursor.equals(ebuf, eoff, elen)) {
      matches++;
      if (matches >= rank) {
        const at = forward ? index : llen - index - 1;
        if (count === -1) {
          single = at;
          break;
        }
        positions = pushPosition(positions, found++, at);
        if (count !== 0 && !rankMin && matches - rank + 1 >= count) break;
      }
    }
    if (!(forward ? cursor.next() : cursor.prev())) break;
  }
  if (count === -1) {
    if (single >= 0) c.reply.int(single);
    else c.reply.nullBulk();
    return;
  }
  c.reply.arrayLen(found);
  for (let i = 0; i < found; i++) c.reply.int(positions[i]);
}

/** LPOS COUNT's matches, collected before the array length is known. */
let positions: Float64Array = new Float64Array(64);

function pushPosition(arr: Float64Array, i: number, v: number): Float64Array {
  if (i === arr.length) {
    const grown = new Float64Array(arr.length * 2);
    grown.set(arr);
    arr = grown;
  }
  arr[i] = v;
  return arr;
}

// ---- pops and other writes ----

function popGeneric(c: Client, head: boolean): void {
  if (c.argc > 3) {
    c.reply.error(`ERR wrong number of arguments for '${c.lastCommand!.fullName}' command`);
    return;
  }
  const hasCount = c.argc === 3;
  let count = 0;
  if (hasCount) {
    if (!atLeastOrReply(c, 2, 0, E_MUST_BE_POSITIVE)) return;
    count = argNum;
  }
  const h = lookupList(c, 1, Lookup.WRITE);
  if (h === -2) return;
  if (h === -1) {
    if (hasCount) c.reply.nullArray();
    else c.reply.nullBulk();
    return;
  }
  const list = listOf(c, h);
  if (hasCount && count === 0) {
    c.reply.raw(R_EMPTY_ARRAY);
    return;
  }
  if (!hasCount) {
    const before = list.bytes;
    if (head) list.peekHead(ref);
    else list.peekTail(ref);
    c.reply.bulk(ref.buf, ref.off, ref.len);
    if (head) list.popHead();
    else list.popTail();
    elementsRemoved(c, h, 1, list, before, head, false);
    return;
  }
  popRange(c, h, 1, list, head, count);
}

function cmdLpop(c: Client): void {
  popGeneric(c, true);
}

function cmdRpop(c: Client): void {
  popGeneric(c, false);
}

function cmdLset(c: Client): void {
  const h = lookupList(c, 1, Lookup.WRITE);
  if (h === -2) return;
  if (h === -1) {
    c.reply.raw(E_NO_SUCH_KEY);
    return;
  }
  if (!longArgOrReply(c, 2, E_NOT_INTEGER)) return;
  const list = listOf(c, h);
  let index = argNum;
  if (index < 0) index += list.length;
  if (index < 0 || index >= list.length) {
    c.reply.raw(E_OUT_OF_RANGE);
    return;
  }
  const before = list.bytes;
  list.setAt(index, c.argBuf, c.argOff[3], c.argLen[3]);
  commitList(c.store, h, list, before);
  c.reply.raw(R_OK);
  c.modified(1);
  c.notify(NotifyClass.LIST, 'lset', 1);
}

function cmdLtrim(c: Client): void {
  if (!longArgOrReply(c, 2, E_NOT_INTEGER)) return;
  let start = argNum;
  if (!longArgOrReply(c, 3, E_NOT_INTEGER)) return;
  let end = argNum;
  const h = lookupList(c, 1, Lookup.WRITE);
  if (h === -2) return;
  if (h === -1) {
    c.reply.raw(R_OK);
    return;
  }
  const list = listOf(c, h);
  const llen = list.length;
  if (start < 0) start += llen;
  if (end < 0) end += llen;
  if (start < 0) start = 0;
  let ltrim: number;
  let rtrim: number;
  if (start > end || start >= llen) {
    ltrim = llen;
    rtrim = 0;
  } else {
    if (end >= llen) end = llen - 1;
    ltrim = start;
    rtrim = llen - end - 1;
  }
  const before = list.bytes;
  list.trimHead(ltrim);
  list.trimTail(rtrim);
  // Redis notifies and signals even when nothing was trimmed.
  c.notify(NotifyClass.LIST, 'ltrim', 1);
  if (list.length === 0) {
    c.store.deleteHandle(h);
    c.notify(NotifyClass.GENERIC, 'del', 1);
  } else {
    commitList(c.store, h, list, before);
  }
  c.modified(1);
  c.reply.raw(R_OK);
}

function cmdLrem(c: Client): void {
  if (!signedLongOrReply(c, 2)) return;
  const fromTail = argNum < 0;
  const limit = longMinArg ? 0 : fromTail ? -argNum : argNum;
  const h = lookupList(c, 1, Lookup.WRITE);
  if (h === -2) return;
  if (h === -1) {
    c.reply.raw(R_ZERO);
    return;
  }
  const list = listOf(c, h);
  const before = list.bytes;
  const removed = list.removeMatches(c.argBuf, c.argOff[3], c.argLen[3], limit, fromTail);
  if (removed > 0) {
    c.modified(1);
    c.notify(NotifyClass.LIST, 'lrem', 1);
    if (list.length === 0) {
      c.store.deleteHandle(h);
      c.notify(NotifyClass.GENERIC, 'del', 1);
    } else {
      commitList(c.store, h, list, before);
    }
  }
  c.reply.int(removed);
}

/** lmoveGenericCommand: LMOVE and RPOPLPUSH (source argument 1, destination 2). */
function lmoveGeneric(c: Client, fromHead: boolean, toHead: boolean): void {
  const sh = lookupList(c, 1, Lookup.WRITE);
  if (sh === -2) return;
  if (sh === -1) {
    c.reply.nullBulk();
    return;
  }
  const dh = lookupList(c, 2, Lookup.WRITE);
  if (dh === -2) return;
  moveElement(c, sh, dh, fromHead, toHead, false);
}

function cmdLmove(c: Client): void {
  const from = positionOrReply(c, 3);
  if (from < 0) return;
  const to = positionOrReply(c, 4);
  if (to < 0) return;
  lmoveGeneric(c, from === 1, to === 1);
}

function cmdRpoplpush(c: Client): void {
  lmoveGeneric(c, false, true);
}

/**
 * LMPOP / BLMPOP argument parsing (lmpopGenericCommand): numkeys at argument `numkeysArg`, then
 * the keys, LEFT|RIGHT, [COUNT n]. Sets mpop; false after replying.
 */
const mpop = { first: 0, last: 0, head: true, count: 1 };

function parseMpopOrReply(c: Client, numkeysArg: number): boolean {
  if (!atLeastOrReply(c, numkeysArg, 1, E_NUMKEYS)) return false;
  const numkeys = argNum;
  const whereArg = numkeysArg + numkeys + 1;
  if (whereArg >= c.argc) {
    c.reply.raw(E_SYNTAX);
    return false;
  }
  const where = positionOrReply(c, whereArg);
  if (where < 0) return false;
  let count = -1;
  for (let j = whereArg + 1; j < c.argc; j++) {
    if (count === -1 && c.argIs(j, 'count') && j < c.argc - 1) {
      j++;
      if (!atLeastOrReply(c, j, 1, E_COUNT_POSITIVE)) return false;
      count = argNum;
    } else {
      c.reply.raw(E_SYNTAX);
      return false;
    }
  }
  mpop.first = numkeysArg + 1;
  mpop.last = numkeysArg + numkeys;
  mpop.head = where === 1;
  mpop.count = count === -1 ? 1 : count;
  return true;
}

/**
 * The first non-empty list among the keys in arguments first..last: its handle, and its argument
 * index in foundArg; -1 when none; -2 after replying WRONGTYPE (a key of another type met first).
 */
let foundArg = 0;

function firstNonEmpty(c: Client, first: number, last: number): number {
  for (let i = first; i <= last; i++) {
    const h = lookupList(c, i, Lookup.WRITE);
    if (h === -2) return -2;
    if (h >= 0) {
      foundArg = i;
      return h;
    }
  }
  return -1;
}

function cmdLmpop(c: Client): void {
  if (!parseMpopOrReply(c, 1)) return;
  const h = firstNonEmpty(c, mpop.first, mpop.last);
  if (h === -2) return;
  if (h === -1) {
    c.reply.nullArray();
    return;
  }
  popRangeWithKey(c, h, foundArg, mpop.head, mpop.count);
}

// ---- blocking variants ----

/** Retry of BLPOP / BRPOP (arg 1: from the head). */
function retryPop(c: Client, keyArg: number, arg: number): boolean {
  const h = c.lookupArg(keyArg, Lookup.WRITE);
  if (h < 0 || c.store.typeOf(h) !== KeyType.LIST) return false;
  popOneWithKey(c, h, keyArg, arg === 1, true);
  return true;
}

/** Retry of BLMPOP (arg: +count from the head, -count from the tail); signals the key, as Redis's listElementsRemoved. */
function retryMpop(c: Client, keyArg: number, arg: number): boolean {
  const h = c.lookupArg(keyArg, Lookup.WRITE);
  if (h < 0 || c.store.typeOf(h) !== KeyType.LIST) return false;
  popRangeWithKey(c, h, keyArg, arg > 0, arg > 0 ? arg : -arg);
  return true;
}

/** Retry of BLMOVE / BRPOPLPUSH (arg bit 0: from the head, bit 1: to the head). */
function retryMove(c: Client, keyArg: number, arg: number): boolean {
  const sh = c.lookupArg(keyArg, Lookup.WRITE);
  if (sh < 0 || c.store.typeOf(sh) !== KeyType.LIST) return false;
  // A destination of another type answers WRONGTYPE and releases the client (Redis 7.0).
  const dh = lookupList(c, 2, Lookup.WRITE);
  if (dh !== -2) moveElement(c, sh, dh, (arg & 1) !== 0, (arg & 2) !== 0, true);
  return true;
}

/** blockingPopGenericCommand: BLPOP / BRPOP (timeout last), BLMPOP (count >= 1). */
function blockingPop(c: Client, first: number, last: number, head: boolean, timeoutArg: number, count: number): void {
  const deadline = parseTimeoutOrReply(c, timeoutArg);
  if (deadline < 0) return;
  const h = firstNonEmpty(c, first, last);
  if (h === -2) return;
  if (h >= 0) {
    if (count > 0) popRangeWithKey(c, h, foundArg, head, count);
    else popOneWithKey(c, h, foundArg, head, false);
    return;
  }
  if (c.denyBlocking) {
    c.reply.nullArray();
    return;
  }
  if (count > 0) blockForKeys(c, first, last, deadline, retryMpop, head ? count : -count);
  else blockForKeys(c, first, last, deadline, retryPop, head ? 1 : 0);
}

function cmdBlpop(c: Client): void {
  blockingPop(c, 1, c.argc - 2, true, c.argc - 1, 0);
}

function cmdBrpop(c: Client): void {
  blockingPop(c, 1, c.argc - 2, false, c.argc - 1, 0);
}

function cmdBlmpop(c: Client): void {
  if (!parseMpopOrReply(c, 2)) return;
  blockingPop(c, mpop.first, mpop.last, mpop.head, 1, mpop.count);
}

/** blmoveGenericCommand: BLMOVE / BRPOPLPUSH once the positions and timeout are parsed. */
function blmoveGeneric(c: Client, fromHead: boolean, toHead: boolean, deadline: number): void {
  const sh = lookupList(c, 1, Lookup.WRITE);
  if (sh === -2) return;
  if (sh >= 0) {
    lmoveGeneric(c, fromHead, toHead);
    return;
  }
  if (c.denyBlocking) {
    c.reply.nullBulk();
    return;
  }
  blockForKeys(c, 1, 1, deadline, retryMove, (fromHead ? 1 : 0) | (toHead ? 2 : 0));
}

function cmdBlmove(c: Client): void {
  const from = positionOrReply(c, 3);
  if (from < 0) return;
  const to = positionOrReply(c, 4);
  if (to < 0) return;
  const deadline = parseTimeoutOrReply(c, 5);
  if (deadline < 0) return;
  blmoveGeneric(c, from === 1, to === 1, deadline);
}

function cmdBrpoplpush(c: Client): void {
  const deadline = parseTimeoutOrReply(c, 3);
  if (deadline < 0) return;
  blmoveGeneric(c, false, true, deadline);
}

export function registerListCommands(registry: Registry): void {
  registry.add('lpush', cmdLpush);
  registry.add('rpush', cmdRpush);
  registry.add('lpushx', cmdLpushx);
  registry.add('rpushx', cmdRpushx);
  registry.add('linsert', cmdLinsert);
  registry.add('llen', cmdLlen);
  registry.add('lindex', cmdLindex);
  registry.add('lrange', cmdLrange);
  registry.add('lpos', cmdLpos);
  registry.add('lpop', cmdLpop);
  registry.add('rpop', cmdRpop);
  registry.add('lset', cmdLset);
  registry.add('ltrim', cmdLtrim);
  registry.add('lrem', cmdLrem);
  registry.add('lmove', cmdLmove);
  registry.add('rpoplpush', cmdRpoplpush);
  registry.add('lmpop', cmdLmpop);
  registry.add('blpop', cmdBlpop);
  registry.add('brpop', cmdBrpop);
  registry.add('blmpop', cmdBlmpop);
  registry.add('blmove', cmdBlmove);
  registry.add('brpoplpush', cmdBrpoplpush);
}
