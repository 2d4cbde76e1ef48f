/*
 * Stream commands (Redis 7.0 t_stream.c semantics): XADD, XLEN, XRANGE, XREVRANGE, XDEL, XTRIM,
 * XREAD (with BLOCK on top of blocking.ts), XSETID and XINFO STREAM. Consumer groups are not
 * implemented yet.
 *
 * Values are StreamValue objects in the store's object table (types/stream-value.ts). IDs are
 * parsed as Redis does (string2ull, then strtoull's leniency: "+1", " 1", "01" are accepted, a
 * canonical negative number is not; <ms> alone takes the command's missing sequence; <ms>-*
 * for XADD), compared as exact unsigned 64-bit BigInts. Arguments are checked in Redis's
 * order, so the same error wins when several apply. A stream is never deleted for being empty.
 *
 * Observers: XADD signals the key (WATCH), emits "xadd", then "xtrim" when its trim removed
 * anything, and readies the key for blocked XREADs on every add (signalKeyAsReady), as
 * xaddCommand; XTRIM / XDEL / XSETID emit their events as Redis does. A blocked XREAD resolves
 * its "$" IDs when it blocks; they are kept beside the client (one small record per blocked
 * client), the saved arguments still say "$".
 */
import type { Client } from '../client.ts';
import type { Registry } from '../registry.ts';
import {
  R_OK, R_ZERO, R_EMPTY_ARRAY, E_SYNTAX, E_NOT_INTEGER, E_OOM, E_NO_SUCH_KEY,
} from '../../protocol/replies.ts';
import { Status, KeyType, Lookup } from '../../store/types.ts';
import { parsed } from '../numbers.ts';
import { StreamValue, StreamId, U64_MAX, compareId } from '../types/stream-value.ts';
import { blockForKeys, signalKeyReady } from '../blocking.ts';
import { NotifyClass } from '../keyspace-events.ts';
import { existingScriptingEngine } from '../scripting/engine.ts';
import { replyHelp } from './keys.ts';

function err(text: string): Buffer {
  return Buffer.from(`-${text}\r\n`, 'latin1');
}

const E_INVALID_ID = err('ERR Invalid stream ID specified as stream command argument');
const E_ID_ZERO = err('ERR The ID specified in XADD must be greater than 0-0');
const E_ID_SMALL = err('ERR The ID specified in XADD is equal or smaller than the target stream top item');
const E_EXHAUSTED = err('ERR The stream has exhausted the last possible ID, unable to add more items');
const E_TOO_LARGE = err('ERR Elements are too large to be stored');
const E_MAXLEN_MINID = err('ERR syntax error, MAXLEN and MINID options at the same time are not compatible');
const E_MAXLEN_NEG = err('ERR The MAXLEN argument must be >= 0.');
const E_LIMIT_NEG = err('ERR The LIMIT argument must be >= 0.');
const E_LIMIT_NO_STRATEGY = err('ERR syntax error, LIMIT cannot be used without specifying a trimming strategy');
const E_XTRIM_NO_STRATEGY = err('ERR syntax error, XTRIM must be called with a trimming strategy');
const E_LIMIT_NO_APPROX = err('ERR syntax error, LIMIT cannot be used without the special ~ option');
const E_WRONG_ARITY_XADD = err("ERR wrong number of arguments for 'xadd' command");
const E_START_ID = err('ERR invalid start ID for the interval');
const E_END_ID = err('ERR invalid end ID for the interval');
const E_UNBALANCED = err("ERR Unbalanced XREAD list of streams: for each stream key an ID or '$' must be specified.");
const E_GROUP_XREAD = err('ERR The GROUP option is only supported by XREADGROUP. You called XREAD instead.');
const E_NOACK_XREAD = err('ERR The NOACK option is only supported by XREADGROUP. You called XREAD instead.');
const E_GT_XREAD = err('ERR The > ID can be specified only when calling XREADGROUP using the GROUP <group> <consumer> option.');
const E_TIMEOUT_INT = err('ERR timeout is not an integer or out of range');
const E_TIMEOUT_NEG = err('ERR timeout is negative');
const E_ENTRIES_ADDED_NEG = err('ERR entries_added must be positive');
const E_SETID_MAXDEL = err('ERR The ID specified in XSETID is smaller than the provided max_deleted_entry_id');
const E_SETID_SMALL = err('ERR The ID specified in XSETID is smaller than the target stream top item');
const E_SETID_ENTRIES = err('ERR The entries_added specified in XSETID is smaller than the target stream length');

/** The listpack size limit of one entry (STREAM_LISTPACK_MAX_SIZE). */
const LISTPACK_MAX_SIZE = 1 << 30;
/** What a blocked XREAD without COUNT is served at most (XREAD_BLOCKED_DEFAULT_COUNT). */
const BLOCKED_DEFAULT_COUNT = 1000;
const LLONG_MAX = 9223372036854775807n;

const XINFO_HELP = [
  'XINFO <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
  'CONSUMERS <key> <groupname>',
  '    Show consumers of <groupname>.',
  'GROUPS <key>',
  '    Show the stream consumer groups.',
  'STREAM <key> [FULL [COUNT <count>]',
  '    Show information about the stream.',
  'HELP',
  '    Prints this help.',
];

// ---- argument parsing ----

/** The ID parsed by parseIdOrReply, and whether its sequence was given (XADD's <ms>-*). */
const pid = new StreamId();
let seqGiven = true;

function isSpace(ch: number): boolean {
  return ch === 32 || (ch >= 9 && ch <= 13);
}

/** util.c string2ull on buf[from, to): the value, or -1n when invalid. */
function string2ull(buf: Uint8Array, from: number, to: number): bigint {
  const len = to - from;
  if (len === 0) return -1n;
  // string2ll first: a canonical negative integer is out of range.
  if (buf[from] === 45 && len > 1 && len <= 20 && buf[from + 1] >= 49 && buf[from + 1] <= 57) {
    let canonical = true;
    for (let i = from + 2; i < to; i++) if (buf[i] < 48 || buf[i] > 57) canonical = false;
    if (canonical) {
      const v = BigInt(Buffer.from(buf.subarray(from, to)).toString('latin1'));
      if (v >= -LLONG_MAX - 1n) return -1n;
    }
  }
  // strtoull: leading spaces, a sign, digits to the end, no overflow.
  let i = from;
  while (i < to && isSpace(buf[i])) i++;
  let neg = false;
  if (i < to && (buf[i] === 43 || buf[i] === 45)) {
    neg = buf[i] === 45;
    i++;
  }
  if (i >= to) return -1n;
  let v = 0n;
  let small = 0;
  let digits = 0;
  for (; i < to; i++) {
    const d = buf[i] - 48;
    if (d < 0 || d > 9) return -1n;
    if (digits < 15) small = small * 10 + d;
    else {
      if (digits === 15) v = BigInt(small);
      v = v * 10n + BigInt(d);
      if (v > U64_MAX) return -1n;
    }
    digits++;
  }
  if (digits <= 15) v = BigInt(small);
  return neg ? (v === 0n ? 0n : (1n << 64n) - v) : v;
}

/**
 * streamGenericParseIDOrReply on buf[off, off+len): into pid. `strict` rejects "-" and "+";
 * `seqStar` accepts <ms>-* (seqGiven false). False after replying the error.
 */
function parseIdBytesOrReply(c: Client, buf: Uint8Array, off: number, len: number, missingSeq: bigint, strict: boolean, seqStar: boolean): boolean {
  seqGiven = true;
  if (len > 127) {
    c.reply.raw(E_INVALID_ID);
    return false;
  }
  // A C string ends at its first NUL.
  for (let j = 0; j < len; j++) {
    if (buf[off + j] === 0) {
      len = j;
      break;
    }
  }
  if (len === 1 && (buf[off] === 45 || buf[off] === 43)) {
    if (strict) {
      c.reply.raw(E_INVALID_ID);
      return false;
    }
    if (buf[off] === 45) pid.set(0n, 0n);
    else pid.set(U64_MAX, U64_MAX);
    return true;
  }
  let dash = -1;
  for (let j = 0; j < len; j++) {
    if (buf[off + j] === 45) {
      dash = j;
      break;
    }
  }
  const ms = string2ull(buf, off, dash < 0 ? off + len : off + dash);
  if (ms < 0n) {
    c.reply.raw(E_INVALID_ID);
    return false;
  }
  let seq = missingSeq;
  if (dash >= 0) {
    if (seqStar && len - dash - 1 === 1 && buf[off + dash + 1] === 42) {
      seq = 0n;
      seqGiven = false;
    } else {
      seq = string2ull(buf, off + dash + 1, off + len);
      if (seq < 0n) {
        c.reply.raw(E_INVALID_ID);
        return false;
      }
    }
  }
  pid.set(ms, seq);
  return true;
}

function parseIdOrReply(c: Client, i: number, missingSeq: bigint, strict: boolean, seqStar = false): boolean {
  return parseIdBytesOrReply(c, c.argBuf, c.argOff[i], c.argLen[i], missingSeq, strict, seqStar);
}

/** streamParseIntervalIDOrReply: a "(" prefix makes the bound exclusive (strict parse). */
let exclusive = false;

function parseIntervalOrReply(c: Client, i: number, missingSeq: bigint): boolean {
  const off = c.argOff[i];
  const len = c.argLen[i];
  exclusive = len > 1 && c.argBuf[off] === 40;
  if (exclusive) return parseIdBytesOrReply(c, c.argBuf, off + 1, len - 1, missingSeq, true, false);
  return parseIdBytesOrReply(c, c.argBuf, off, len, missingSeq, false, false);
}

/** getLongLongFromObjectOrReply into argNum (exact to 2^53, then BigInt-backed). */
let argNum = 0;
let argBig = 0n;

function longLongOrReply(c: Client, i: number, error: Uint8Array): boolean {
  if (!c.argInt64(i)) {
    c.reply.raw(error);
    return false;
  }
  argBig = parsed.isBig ? parsed.big : BigInt(parsed.num);
  argNum = parsed.isBig ? Number(parsed.big) : parsed.num;
  return true;
}

/** streamAddTrimArgs. */
const trimArgs = {
  strategy: 0 as 0 | 1 | 2, // none, MAXLEN, MINID
  approx: false,
  maxlen: 0,
  minid: new StreamId(),
  limit: 0,
  noMkStream: false,
  idGiven: false,
  id: new StreamId(),
  seqGiven: true,
};
const TRIM_NONE = 0;
const TRIM_MAXLEN = 1;
const TRIM_MINID = 2;

/** streamParseAddOrTrimArgsOrReply: the ID's argument position for XADD (0 for XTRIM), -1 after replying. */
function parseAddOrTrimOrReply(c: Client, xadd: boolean): number {
  const a = trimArgs;
  a.strategy = TRIM_NONE;
  a.approx = false;
  a.maxlen = 0;
  a.minid.set(0n, 0n);
  a.limit = 0;
  a.noMkStream = false;
  a.idGiven = false;
  a.id.set(0n, 0n);
  a.seqGiven = true;
  let limitGiven = false;
  const argc = c.argc;
  let i = 2;
  for (; i < argc; i++) {
    const more = argc - 1 - i;
    if (xadd && c.argLen[i] === 1 && c.argBuf[c.argOff[i]] === 42) break;
    if (c.argIs(i, 'maxlen') && more > 0) {
      if (a.strategy !== TRIM_NONE) {
        c.reply.raw(E_MAXLEN_MINID);
        return -1;
      }
      a.approx = false;
      if (more >= 2 && c.argLen[i + 1] === 1 && c.argBuf[c.argOff[i + 1]] === 126) {
        a.approx = true;
        i++;
      } else if (more >= 2 && c.argLen[i + 1] === 1 && c.argBuf[c.argOff[i + 1]] === 61) {
        i++;
      }
      if (!longLongOrReply(c, i + 1, E_NOT_INTEGER)) return -1;
      if (argBig < 0n) {
        c.reply.raw(E_MAXLEN_NEG);
        return -1;
      }
      a.maxlen = argNum;
      i++;
      a.strategy = TRIM_MAXLEN;
    } else if (c.argIs(i, 'minid') && more > 0) {
      if (a.strategy !== TRIM_NONE) {
        c.reply.raw(E_MAXLEN_MINID);
        return -1;
      }
      a.approx = false;
      if (more >= 2 && c.argLen[i + 1] === 1 && c.argBuf[c.argOff[i + 1]] === 126) {
        a.approx = true;
        i++;
      } else if (more >= 2 && c.argLen[i + 1] === 1 && c.argBuf[c.argOff[i + 1]] === 61) {
        i++;
      }
      if (!parseIdOrReply(c, i + 1, 0n, true)) return -1;
      a.minid.copy(pid);
      i++;
      a.strategy = TRIM_MINID;
    } else if (c.argIs(i, 'limit') && more > 0) {
      if (!longLongOrReply(c, i + 1, E_NOT_INTEGER)) return -1;
      if (argBig < 0n) {
        c.reply.raw(E_LIMIT_NEG);
        return -1;
      }
      a.limit = argNum;
      limitGiven = true;
      i++;
    } else if (xadd && c.argIs(i, 'nomkstream')) {
      a.noMkStream = true;
    } else if (xadd) {
      if (!parseIdOrReply(c, i, 0n, true, true)) return -1;
      a.id.copy(pid);
      a.seqGiven = seqGiven;
      a.idGiven = true;
      break;
    } else {
      c.reply.raw(E_SYNTAX);
      return -1;
    }
  }
  if (a.limit !== 0 && a.strategy === TRIM_NONE) {
    c.reply.raw(E_LIMIT_NO_STRATEGY);
    return -1;
  }
  if (!xadd && a.strategy === TRIM_NONE) {
    c.reply.raw(E_XTRIM_NO_STRATEGY);
    return -1;
  }
  if (limitGiven) {
    if (!a.approx) {
      c.reply.raw(E_LIMIT_NO_APPROX);
      return -1;
    }
  } else if (a.approx) {
    let limit = 100 * c.server.config.number('stream-node-max-entries');
    if (limit <= 0) limit = 10000;
    if (limit > 1000000) limit = 1000000;
    a.limit = limit;
  } else {
    a.limit = 0;
  }
  return i;
}

/** streamTrim with the parsed arguments. */
function trimStream(s: StreamValue): number {
  const a = trimArgs;
  if (a.strategy === TRIM_NONE) return 0;
  // A MAXLEN beyond any possible length trims nothing.
  const maxlen = a.strategy === TRIM_MAXLEN ? a.maxlen : -1;
  return s.trim(maxlen, a.minid.ms, a.minid.seq, a.approx, a.limit);
}

// ---- replies ----

function replyId(c: Client, ms: bigint, seq: bigint): void {
  c.reply.bulkString(`${ms}-${seq}`);
}

/** One entry: [id, [field, value, ...]]. */
function replyEntry(c: Client, s: StreamValue, slot: number): void {
  const reply = c.reply;
  reply.arrayLen(2);
  replyId(c, s.msAt(slot), s.seqAt(slot));
  const n = s.fieldsCountAt(slot) * 2;
  reply.arrayLen(n);
  let p = s.fieldsAt(slot);
  const data = s.data;
  for (let j = 0; j < n; j++) {
    const len = s.elementLen(p);
    reply.bulk(data, p + 4, len);
    p += 4 + len;
  }
}

/**
 * streamReplyWithRange without a group: entries with start <= ID <= end, at most `count` (0:
 * all), forward or reversed. Returns how many were emitted.
 */
function replyRange(c: Client, s: StreamValue, start: StreamId, end: StreamId, count: number, rev: boolean): number {
  // Count first (the reply needs its length up front), then emit.
  let n = 0;
  if (!rev) {
    let slot = s.nextLive(s.lowerBound(start.ms, start.seq));
    const first = slot;
    while (slot < s.tail && compareId(s.msAt(slot), s.seqAt(slot), end.ms, end.seq) <= 0 && (count === 0 || n < count)) {
      n++;
      slot = s.nextLive(slot + 1);
    }
    c.reply.arrayLen(n);
    slot = first;
    for (let k = 0; k < n; k++) {
      replyEntry(c, s, slot);
      if (c.reply.overLimit) break;
      slot = s.nextLive(slot + 1);
    }
  } else {
    // Last slot with ID <= end.
    let slot = s.prevLive(upperBound(s, end) - 1);
    const first = slot;
    while (slot >= s.head && compareId(s.msAt(slot), s.seqAt(slot), start.ms, start.seq) >= 0 && (count === 0 || n < count)) {
      n++;
      slot = s.prevLive(slot - 1);
    }
    c.reply.arrayLen(n);
    slot = first;
    for (let k = 0; k < n; k++) {
      replyEntry(c, s, slot);
      if (c.reply.overLimit) break;
      slot = s.prevLive(slot - 1);
    }
  }
  return n;
}

/** First slot with ID > id. */
function upperBound(s: StreamValue, id: StreamId): number {
  if (id.ms === U64_MAX && id.seq === U64_MAX) return s.tail;
  tmp.copy(id);
  tmp.incr();
  return s.lowerBound(tmp.ms, tmp.seq);
}

const tmp = new StreamId();
const startId = new StreamId();
const endId = new StreamId();
const maxId = new StreamId();

// ---- lookups ----

function streamOf(c: Client, h: number): StreamValue {
  return c.store.objectOf(h) as StreamValue;
}

function settle(c: Client, h: number, s: StreamValue, before: number): void {
  const delta = s.bytes - before;
  if (delta !== 0) c.store.adjustObjectBytes(h, delta);
}

// ---- XADD ----

function cmdXadd(c: Client): void {
  const idpos = parseAddOrTrimOrReply(c, true);
  if (idpos < 0) return;
  const a = trimArgs;
  const fieldPos = idpos + 1;
  const pairs = c.argc - fieldPos;
  if (pairs < 2 || pairs % 2 === 1) {
    c.reply.raw(E_WRONG_ARITY_XADD);
    return;
  }
  if (a.idGiven && a.seqGiven && a.id.ms === 0n && a.id.seq === 0n) {
    c.reply.raw(E_ID_ZERO);
    return;
  }
  const h0 = c.lookupTyped(1, KeyType.STREAM, Lookup.WRITE);
  if (h0 === -2) return;
  let h = h0;
  let s: StreamValue;
  if (h < 0) {
    if (a.noMkStream) {
      c.reply.nullBulk();
      return;
    }
    s = new StreamValue();
    if (c.store.setObject(c.db, c.argBuf, c.argOff[1], c.argLen[1], KeyType.STREAM, s, s.bytes) !== Status.OK) {
      c.reply.raw(E_OOM);
      return;
    }
    h = c.lookupArg(1, Lookup.PEEK);
  } else {
    s = streamOf(c, h);
  }
  if (s.lastMs === U64_MAX && s.lastSeq === U64_MAX) {
    c.reply.raw(E_EXHAUSTED);
    return;
  }
  // streamAppendItem: the new ID.
  const id = tmp;
  if (a.idGiven) {
    if (a.seqGiven) {
      id.copy(a.id);
    } else if (s.lastMs === a.id.ms) {
      if (s.lastSeq === U64_MAX) {
        // streamAppendItem fails here without setting errno: Redis answers its other error.
        c.reply.raw(E_TOO_LARGE);
        return;
      }
      id.set(s.lastMs, s.lastSeq + 1n);
    } else {
      id.copy(a.id);
    }
  } else {
    const now = BigInt(c.server.clock.now);
    if (now > s.lastMs) id.set(now, 0n);
    else {
      id.set(s.lastMs, s.lastSeq);
      id.incr();
    }
  }
  if (compareId(id.ms, id.seq, s.lastMs, s.lastSeq) <= 0) {
    c.reply.raw(E_ID_SMALL);
    return;
  }
  if (StreamValue.pairBytes(c.argLen, fieldPos, c.argc) > LISTPACK_MAX_SIZE) {
    c.reply.raw(E_TOO_LARGE);
    return;
  }
  const before = s.bytes;
  const config = c.server.config;
  s.append(id.ms, id.seq, c.argBuf, c.argOff, c.argLen, fieldPos, c.argc, config.number('stream-node-max-bytes'), config.number('stream-node-max-entries'));
  replyId(c, id.ms, id.seq);
  c.modified(1);
  c.notify(NotifyClass.STREAM, 'xadd', 1);
  if (a.strategy !== TRIM_NONE && trimStream(s) !== 0) c.notify(NotifyClass.STREAM, 'xtrim', 1);
  settle(c, h, s, before);
  signalKeyReady(c, c.db, c.argBuf, c.argOff[1], c.argLen[1]);
}

// ---- XLEN, XRANGE, XREVRANGE ----

function cmdXlen(c: Client): void {
  const h = c.lookupTypedOrReply(1, KeyType.STREAM, Lookup.READ, R_ZERO);
  if (h < 0) return;
  c.reply.int(streamOf(c, h).length);
}

function xrangeGeneric(c: Client, rev: boolean): void {
  const startArg = rev ? 3 : 2;
  const endArg = rev ? 2 : 3;
  if (!parseIntervalOrReply(c, startArg, 0n)) return;
  startId.copy(pid);
  if (exclusive && !startId.incr()) {
    c.reply.raw(E_START_ID);
    return;
  }
  if (!parseIntervalOrReply(c, endArg, U64_MAX)) return;
  endId.copy(pid);
  if (exclusive && !endId.decr()) {
    c.reply.raw(E_END_ID);
    return;
  }
  let count = -1;
  for (let j = 4; j < c.argc; j++) {
    if (c.argIs(j, 'count') && c.argc - j - 1 >= 1) {
      if (!longLongOrReply(c, j + 1, E_NOT_INTEGER)) return;
      count = argBig < 0n ? 0 : argNum;
      j++;
    } else {
      c.reply.raw(E_SYNTAX);
      return;
    }
  }
  const h = c.lookupTypedOrReply(1, KeyType.STREAM, Lookup.READ, R_EMPTY_ARRAY);
  if (h < 0) return;
  if (count === 0) {
    c.reply.nullArray();
    return;
  }
  replyRange(c, streamOf(c, h), startId, endId, count === -1 ? 0 : count, rev);
}

function cmdXrange(c: Client): void {
  xrangeGeneric(c, false);
}

function cmdXrevrange(c: Client): void {
  xrangeGeneric(c, true);
}

// ---- XDEL, XTRIM ----

function cmdXdel(c: Client): void {
  const h = c.lookupTypedOrReply(1, KeyType.STREAM, Lookup.WRITE, R_ZERO);
  if (h < 0) return;
  const n = c.argc - 2;
  const ids = new BigUint64Array(n * 2);
  for (let j = 2; j < c.argc; j++) {
    if (!parseIdOrReply(c, j, 0n, true)) return;
    ids[2 * (j - 2)] = pid.ms;
    ids[2 * (j - 2) + 1] = pid.seq;
  }
  const s = streamOf(c, h);
  const before = s.bytes;
  let deleted = 0;
  let firstDeleted = false;
  for (let k = 0; k < n; k++) {
    const ms = ids[2 * k];
    const seq = ids[2 * k + 1];
    if (s.deleteId(ms, seq)) {
      if (ms === s.firstMs && seq === s.firstSeq) firstDeleted = true;
      if (compareId(ms, seq, s.maxDelMs, s.maxDelSeq) > 0) {
        s.maxDelMs = ms;
        s.maxDelSeq = seq;
      }
      deleted++;
    }
  }
  if (deleted !== 0) {
    s.afterDelete(firstDeleted);
    settle(c, h, s, before);
    c.modified(1);
    c.notify(NotifyClass.STREAM, 'xdel', 1);
  }
  c.reply.int(deleted);
}

function cmdXtrim(c: Client): void {
  if (parseAddOrTrimOrReply(c, false) < 0) return;
  const h = c.lookupTypedOrReply(1, KeyType.STREAM, Lookup.WRITE, R_ZERO);
  if (h < 0) return;
  const s = streamOf(c, h);
  const before = s.bytes;
  const deleted = trimStream(s);
  if (deleted !== 0) {
    settle(c, h, s, before);
    c.notify(NotifyClass.STREAM, 'xtrim', 1);
    c.modified(1);
  }
  c.reply.int(deleted);
}

// ---- XREAD ----

/** What a blocked XREAD waits for: the IDs its keys must pass ("$" resolved), and its COUNT. */
interface XreadWait {
  ids: BigUint64Array;
  count: number;
}
const waits = new WeakMap<Client, XreadWait>();

/** Scratch for XREAD's parsed IDs. */
let readIds = new BigUint64Array(32);

/**
 * getTimeoutFromObjectOrReply in milliseconds: the absolute deadline (0: forever), -2 for a
 * deadline past the 64-bit clock (Redis's sum wraps negative: the client times out at once), or
 * -1 after replying.
 */
function blockTimeoutOrReply(c: Client, i: number): number {
  if (!c.argInt64(i)) {
    c.reply.raw(E_TIMEOUT_INT);
    return -1;
  }
  const v = parsed.isBig ? parsed.big : BigInt(parsed.num);
  if (v < 0n) {
    c.reply.raw(E_TIMEOUT_NEG);
    return -1;
  }
  if (v === 0n) return 0;
  const now = BigInt(c.server.clock.now);
  if (v > LLONG_MAX - now) return -2;
  return Number(v + now);
}

/** Serve one stream of an XREAD reply: [key, entries] (RESP2) or key => entries (RESP3). */
function replyStreamFrom(c: Client, s: StreamValue, keyArg: number, count: number): void {
  if (c.resp === 2) c.reply.arrayLen(2);
  c.reply.bulk(c.argBuf, c.argOff[keyArg], c.argLen[keyArg]);
  maxId.set(U64_MAX, U64_MAX);
  replyRange(c, s, startId, maxId, count, false);
}

function cmdXread(c: Client): void {
  let timeout = -1;
  let count = 0;
  let streamsArg = 0;
  let n = 0;
  for (let i = 1; i < c.argc; i++) {
    const more = c.argc - i - 1;
    if (c.argIs(i, 'block') && more > 0) {
      const engine = existingScriptingEngine(c.server);
      if (engine !== undefined && engine.run !== null && c.denyBlocking) {
        c.reply.error(`ERR ${c.argString(0)} command is not allowed with BLOCK option from scripts`);
        return;
      }
      i++;
      timeout = blockTimeoutOrReply(c, i);
      if (timeout === -1) return;
    } else if (c.argIs(i, 'count') && more > 0) {
      i++;
      if (!longLongOrReply(c, i, E_NOT_INTEGER)) return;
      count = argBig < 0n ? 0 : argNum;
    } else if (c.argIs(i, 'streams') && more > 0) {
      streamsArg = i + 1;
      n = c.argc - streamsArg;
      if (n % 2 !== 0) {
        c.reply.raw(E_UNBALANCED);
        return;
      }
      n /= 2;
      break;
    } else if (c.argIs(i, 'group') && more >= 2) {
      c.reply.raw(E_GROUP_XREAD);
      return;
    } else if (c.argIs(i, 'noack')) {
      c.reply.raw(E_NOACK_XREAD);
      return;
    } else {
      c.reply.raw(E_SYNTAX);
      return;
    }
  }
  if (streamsArg === 0) {
    c.reply.raw(E_SYNTAX);
    return;
  }
  if (readIds.length < 2 * n) readIds = new BigUint64Array(4 * n);
  const ids = readIds;
  for (let k = 0; k < n; k++) {
    const keyArg = streamsArg + k;
    const idArg = keyArg + n;
    const h = c.lookupTyped(keyArg, KeyType.STREAM, Lookup.READ);
    if (h === -2) return;
    if (c.argLen[idArg] === 1 && c.argBuf[c.argOff[idArg]] === 36) {
      if (h >= 0) {
        const s = streamOf(c, h);
        ids[2 * k] = s.lastMs;
        ids[2 * k + 1] = s.lastSeq;
      } else {
        ids[2 * k] = 0n;
        ids[2 * k + 1] = 0n;
      }
      continue;
    }
    if (c.argLen[idArg] === 1 && c.argBuf[c.argOff[idArg]] === 62) {
      c.reply.raw(E_GT_XREAD);
      return;
    }
    if (!parseIdOrReply(c, idArg, 0n, true)) return;
    ids[2 * k] = pid.ms;
    ids[2 * k + 1] = pid.seq;
  }
  // Which streams can be served now (the reply's length comes first).
  let served = 0;
  const serve = new Uint8Array(n);
  for (let k = 0; k < n; k++) {
    const h = c.lookupArg(streamsArg + k, Lookup.READ);
    if (h < 0) continue;
    const s = streamOf(c, h);
    if (s.length === 0) continue;
    s.lastValid(maxId);
    if (compareId(maxId.ms, maxId.seq, ids[2 * k], ids[2 * k + 1]) > 0) {
      serve[k] = 1;
      served++;
    }
  }
  if (served !== 0) {
    if (c.resp === 2) c.reply.arrayLen(served);
    else c.reply.mapLen(served);
    for (let k = 0; k < n; k++) {
      if (serve[k] === 0) continue;
      const s = streamOf(c, c.store.lookup(c.db, c.argBuf, c.argOff[streamsArg + k], c.argLen[streamsArg + k], Lookup.PEEK));
      startId.set(ids[2 * k], ids[2 * k + 1]);
      startId.incr();
      replyStreamFrom(c, s, streamsArg + k, count);
    }
    return;
  }
  if (timeout === -1) {
    c.reply.nullArray();
    return;
  }
  if (c.denyBlocking || timeout === -2) {
    c.reply.nullArray();
    return;
  }
  waits.set(c, { ids: ids.slice(0, 2 * n), count: count !== 0 ? count : BLOCKED_DEFAULT_COUNT });
  blockForKeys(c, streamsArg, streamsArg + n - 1, timeout, retryXread, streamsArg);
}

/** A blocked XREAD's key may have new entries (serveClientsBlockedOnStreamKey). */
function retryXread(c: Client, keyArg: number, streamsArg: number): boolean {
  const wait = waits.get(c);
  if (wait === undefined) return false;
  const h = c.store.lookup(c.db, c.argBuf, c.argOff[keyArg], c.argLen[keyArg], Lookup.PEEK);
  if (h < 0 || c.store.typeOf(h) !== KeyType.STREAM) return false;
  const s = streamOf(c, h);
  const k = keyArg - streamsArg;
  const gms = wait.ids[2 * k];
  const gseq = wait.ids[2 * k + 1];
  if (compareId(s.lastMs, s.lastSeq, gms, gseq) <= 0) return false;
  waits.delete(c);
  startId.set(gms, gseq);
  startId.incr();
  if (c.resp === 2) c.reply.arrayLen(1);
  else c.reply.mapLen(1);
  replyStreamFrom(c, s, keyArg, wait.count);
  return true;
}

// ---- XSETID ----

function cmdXsetid(c: Client): void {
  if (!parseIdOrReply(c, 2, 0n, true)) return;
  const id = startId.copy(pid);
  let entriesAdded = -1n;
  const maxDel = endId.set(0n, 0n);
  for (let i = 3; i < c.argc;) {
    const more = c.argc - 1 - i;
    if (c.argIs(i, 'entriesadded') && more > 0) {
      if (!longLongOrReply(c, i + 1, E_NOT_INTEGER)) return;
      if (argBig < 0n) {
        c.reply.raw(E_ENTRIES_ADDED_NEG);
        return;
      }
      entriesAdded = argBig;
      i += 2;
    } else if (c.argIs(i, 'maxdeletedid') && more > 0) {
      if (!parseIdOrReply(c, i + 1, 0n, true)) return;
      maxDel.copy(pid);
      if (id.compare(maxDel) < 0) {
        c.reply.raw(E_SETID_MAXDEL);
        return;
      }
      i += 2;
    } else {
      c.reply.raw(E_SYNTAX);
      return;
    }
  }
  const h = c.lookupTypedOrReply(1, KeyType.STREAM, Lookup.WRITE, E_NO_SUCH_KEY);
  if (h < 0) return;
  const s = streamOf(c, h);
  if (s.length > 0) {
    s.lastValid(maxId);
    if (id.compare(maxId) < 0) {
      c.reply.raw(E_SETID_SMALL);
      return;
    }
    if (entriesAdded !== -1n && BigInt(s.length) > entriesAdded) {
      c.reply.raw(E_SETID_ENTRIES);
      return;
    }
  }
  s.lastMs = id.ms;
  s.lastSeq = id.seq;
  if (entriesAdded !== -1n) s.entriesAdded = entriesAdded;
  if (!maxDel.isZero()) {
    s.maxDelMs = maxDel.ms;
    s.maxDelSeq = maxDel.seq;
  }
  c.reply.raw(R_OK);
  c.notify(NotifyClass.STREAM, 'xsetid', 1);
}

// ---- XINFO ----

function subcommandSyntaxError(c: Client): void {
  const name = c.argBuf.toString('latin1', c.argOff[1], c.argOff[1] + Math.min(c.argLen[1], 128));
  c.reply.error(`ERR unknown subcommand or wrong number of arguments for '${name}'. Try ${c.argString(0).toUpperCase()} HELP.`);
}

function cmdXinfoStream(c: Client): void {
  const h = c.lookupTypedOrReply(2, KeyType.STREAM, Lookup.READ, E_NO_SUCH_KEY);
  if (h < 0) return;
  const s = streamOf(c, h);
  let full = true;
  let count = 10;
  const optc = c.argc - 3;
  if (optc === 0) {
    full = false;
  } else {
    if ((optc !== 1 && optc !== 3) || !c.argIs(3, 'full')) {
      subcommandSyntaxError(c);
      return;
    }
    if (optc === 3) {
      if (!c.argIs(4, 'count')) {
        subcommandSyntaxError(c);
        return;
      }
      if (!longLongOrReply(c, 5, E_NOT_INTEGER)) return;
      count = argBig < 0n ? 10 : argNum;
    }
  }
  const reply = c.reply;
  reply.mapLen(full ? 9 : 10);
  reply.bulkString('length');
  reply.int(s.length);
  reply.bulkString('radix-tree-keys');
  reply.int(s.radixKeys);
  reply.bulkString('radix-tree-nodes');
  reply.int(s.radixNodes());
  reply.bulkString('last-generated-id');
  replyId(c, s.lastMs, s.lastSeq);
  reply.bulkString('max-deleted-entry-id');
  replyId(c, s.maxDelMs, s.maxDelSeq);
  reply.bulkString('entries-added');
  reply.int(s.entriesAdded);
  reply.bulkString('recorded-first-entry-id');
  replyId(c, s.firstMs, s.firstSeq);
  startId.set(0n, 0n);
  endId.set(U64_MAX, U64_MAX);
  if (!full) {
    reply.bulkString('groups');
    reply.int(0);
    reply.bulkString('first-entry');
    const first = s.nextLive(s.head);
    if (first < s.tail) replyEntry(c, s, first);
    else reply.nullBulk();
    reply.bulkString('last-entry');
    const last = s.prevLive(s.tail - 1);
    if (last >= s.head) replyEntry(c, s, last);
    else reply.nullBulk();
  } else {
    reply.bulkString('entries');
    replyRange(c, s, startId, endId, count, false);
    reply.bulkString('groups');
    reply.arrayLen(0);
  }
}

export function registerStreamCommands(registry: Registry): void {
  registry.add('xadd', cmdXadd);
  registry.add('xlen', cmdXlen);
  registry.add('xrange', cmdXrange);
  registry.add('xrevrange', cmdXrevrange);
  registry.add('xdel', cmdXdel);
  registry.add('xtrim', cmdXtrim);
  registry.add('xread', cmdXread);
  registry.add('xsetid', cmdXsetid);
  registry.add('xinfo', null);
  registry.add('xinfo|stream', cmdXinfoStream);
  registry.add('xinfo|help', (c) => replyHelp(c, XINFO_HELP));
}
