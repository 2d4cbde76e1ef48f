/*
 * Stream commands (Redis 7.0 t_stream.c semantics): XADD, XLEN, XRANGE, XREVRANGE, XDEL, XTRIM,
 * XREAD and XREADGROUP (with BLOCK on top of blocking.ts), XSETID, XINFO STREAM/GROUPS/
 * CONSUMERS, and the consumer groups: XGROUP CREATE/SETID/DESTROY/CREATECONSUMER/DELCONSUMER,
 * XACK, XPENDING, XCLAIM, XAUTOCLAIM.
 *
 * Values are StreamValue objects in the store's object table (types/stream-value.ts). IDs are
 * parsed as Redis does (string2ull, then strtoull's leniency: "+1", " 1", "01" are accepted, a
 * canonical negative number is not; <ms> alone takes the command's missing sequence; <ms>-*
 * for XADD), compared as exact unsigned 64-bit BigInts. Arguments are checked in Redis's
 * order, so the same error wins when several apply. A stream is never deleted for being empty.
 * XADD's common case, an auto ID (`*`) after a last ID below 2^53, is computed, stored and
 * replied as numbers: it allocates no BigInt, string or other JS object per entry.
 *
 * Observers: XADD signals the key (WATCH), emits "xadd", then "xtrim" when its trim removed
 * anything, and readies the key for blocked XREADs on every add (signalKeyAsReady), as
 * xaddCommand; XTRIM / XDEL / XSETID / XGROUP emit their events as Redis does, and a consumer
 * created by XREADGROUP, XCLAIM or XAUTOCLAIM emits "xgroup-createconsumer". A blocked XREAD
 * resolves its "$" IDs when it blocks; they are kept beside the client (one small record per
 * blocked client), the saved arguments still say "$". A blocked XREADGROUP waits for entries
 * past its group's last delivered ID at the time it is served (">"), and is answered NOGROUP
 * when the group is destroyed meanwhile (XGROUP DESTROY readies the key).
 *
 * Replies that Redis sizes after the fact (deferred lengths) are counted first, then emitted.
 */
import type { Client } from '../client.ts';
import type { Registry } from '../registry.ts';
import {
  R_OK, R_ZERO, R_EMPTY_ARRAY, E_SYNTAX, E_NOT_INTEGER, E_OOM, E_NO_SUCH_KEY,
} from '../../protocol/replies.ts';
import { Status, KeyType, Lookup } from '../../store/types.ts';
import { parsed } from '../numbers.ts';
import { StreamValue, StreamId, StreamGroup, StreamConsumer, EntryCursor, U64_MAX, compareId } from '../types/stream-value.ts';
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

const E_ENTRIESREAD = err('ERR value for ENTRIESREAD must be positive or -1');
const E_XGROUP_NOKEY = err('ERR The XGROUP subcommand requires the key to exist. Note that for CREATE you may want to use the MKSTREAM option to create an empty stream automatically.');
const E_BUSYGROUP = err('BUSYGROUP Consumer Group name already exists');
const E_MISSING_GROUP = err('ERR Missing GROUP option for XREADGROUP');
const E_DOLLAR_GROUP = err('ERR The $ ID is meaningless in the context of XREADGROUP: you want to read the history of this consumer by specifying a proper ID, or use the > ID to get new messages. The $ ID would just return an empty result set.');
const E_GROUP_GONE = err('NOGROUP the consumer group this client was blocked on no longer exists');
const E_CLAIM_MINIDLE = err('ERR Invalid min-idle-time argument for XCLAIM');
const E_CLAIM_IDLE = err('ERR Invalid IDLE option argument for XCLAIM');
const E_CLAIM_TIME = err('ERR Invalid TIME option argument for XCLAIM');
const E_CLAIM_RETRY = err('ERR Invalid RETRYCOUNT option argument for XCLAIM');
const E_AUTOCLAIM_MINIDLE = err('ERR Invalid min-idle-time argument for XAUTOCLAIM');
const E_AUTOCLAIM_COUNT = err('ERR COUNT must be > 0');

/** The listpack size limit of one entry (STREAM_LISTPACK_MAX_SIZE). */
const LISTPACK_MAX_SIZE = 1 << 30;
/** What a blocked XREAD without COUNT is served at most (XREAD_BLOCKED_DEFAULT_COUNT). */
const BLOCKED_DEFAULT_COUNT = 1000;
const LLONG_MAX = 9223372036854775807n;

const XGROUP_HELP = [
  'XGROUP <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
  'CREATE <key> <groupname> <id|$> [option]',
  '    Create a new consumer group. Options are:',
  '    * MKSTREAM',
  '      Create the empty stream if it does not exist.',
  '    * ENTRIESREAD entries_read',
  "      Set the group's entries_read counter (internal use).",
  'CREATECONSUMER <key> <groupname> <consumer>',
  '    Create a new consumer in the specified group.',
  'DELCONSUMER <key> <groupname> <consumer>',
  '    Remove the specified consumer.',
  'DESTROY <key> <groupname>',
  '    Remove the specified group.',
  'SETID <key> <groupname> <id|$> [ENTRIESREAD entries_read]',
  '    Set the current group ID and entries_read counter.',
  'HELP',
  '    Prints this help.',
];

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
    const minid = c.argIs(i, 'minid');
    if ((minid || c.argIs(i, 'maxlen')) && more > 0) {
      if (a.strategy !== TRIM_NONE) {
        c.reply.raw(E_MAXLEN_MINID);
        return -1;
      }
      // An optional `~` (approximate) or `=` (exact) before the threshold.
      a.approx = false;
      if (more >= 2 && c.argLen[i + 1] === 1) {
        const op = c.argBuf[c.argOff[i + 1]];
        if (op === 126) {
          a.approx = true;
          i++;
        } else if (op === 61) i++;
      }
      if (minid) {
        if (!parseIdOrReply(c, i + 1, 0n, true)) return -1;
        a.minid.copy(pid);
        a.strategy = TRIM_MINID;
      } else {
        if (!longLongOrReply(c, i + 1, E_NOT_INTEGER)) return -1;
        if (argBig < 0n) {
          c.reply.raw(E_MAXLEN_NEG);
          return -1;
        }
        a.maxlen = argNum;
        a.strategy = TRIM_MAXLEN;
      }
      i++;
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
    let limit = 100 * c.server.settings.streamNodeMaxEntries;
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

const cursor = new EntryCursor();

/** One entry: [id, [field, value, ...]]. */
function replyEntry(c: Client, s: StreamValue, slot: number): void {
  const reply = c.reply;
  reply.arrayLen(2);
  replyId(c, s.msAt(slot), s.seqAt(slot));
  const n = cursor.start(s, slot);
  reply.arrayLen(n);
  for (let j = 0; j < n; j++) {
    cursor.next();
    reply.bulk(cursor.buf, cursor.off, cursor.len);
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
    while (slot < s.tail && s.compareAt(slot, end.ms, end.seq) <= 0 && (count === 0 || n < count)) {
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
    while (slot >= 0 && s.compareAt(slot, start.ms, start.seq) >= 0 && (count === 0 || n < count)) {
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
  const nodeMaxBytes = c.server.settings.streamNodeMaxBytes;
  const nodeMaxEntries = c.server.settings.streamNodeMaxEntries;
  // streamAppendItem: the new ID. An auto ID that numbers hold is made and appended by the
  // stream (a last ID held as numbers is not the exhausted one).
  if (!a.idGiven && s.lastNum[0] >= 0) {
    if (StreamValue.pairBytes(c.argLen, fieldPos, c.argc) > LISTPACK_MAX_SIZE) {
      c.reply.raw(E_TOO_LARGE);
      return;
    }
    const before = s.bytes;
    if (s.appendAuto(c.server.clock, c.argBuf, c.argOff, c.argLen, fieldPos, c.argc, nodeMaxBytes, nodeMaxEntries)) {
      c.reply.bulkDashed(s.lastNum);
      addedEntry(c, h, s, before);
      return;
    }
  }
  if (s.lastMs === U64_MAX && s.lastSeq === U64_MAX) {
    c.reply.raw(E_EXHAUSTED);
    return;
  }
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
  s.append(id.ms, id.seq, c.argBuf, c.argOff, c.argLen, fieldPos, c.argc, nodeMaxBytes, nodeMaxEntries);
  replyId(c, id.ms, id.seq);
  addedEntry(c, h, s, before);
}

/** XADD's work after the entry is in and its ID replied: events, trimming, accounting, wake-ups. */
function addedEntry(c: Client, h: number, s: StreamValue, before: number): void {
  c.modified(1);
  c.notify(NotifyClass.STREAM, 'xadd', 1);
  if (trimArgs.strategy !== TRIM_NONE && trimStream(s) !== 0) c.notify(NotifyClass.STREAM, 'xtrim', 1);
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
  const ids = idScratch(n);
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
  /** XREADGROUP: the argument holding the group name (the consumer's follows), else -1. */
  groupArg: number;
  noack: boolean;
}
const waits = new WeakMap<Client, XreadWait>();

/** Scratch for the IDs a command parses before applying them (XREAD, XDEL, XACK, XCLAIM). */
let readIds = new BigUint64Array(32);
/** Scratch for which of XREAD's streams are served. */
let readServe = new Uint8Array(16);

function idScratch(n: number): BigUint64Array {
  if (readIds.length < 2 * n) readIds = new BigUint64Array(4 * n);
  return readIds;
}

/** getTimeoutFromObjectOrReply in milliseconds: the absolute deadline (0: forever), or -1 after replying. */
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

function argLatin1(c: Client, i: number): string {
  return c.argBuf.toString('latin1', c.argOff[i], c.argOff[i] + c.argLen[i]);
}

/** streamLookupConsumer (refreshing its seen time) or streamCreateConsumer with its event. */
function consumerFor(c: Client, g: StreamGroup, nameArg: number, keyArg: number): StreamConsumer {
  const now = c.server.clock.now;
  let consumer = g.findConsumer(c.argBuf, c.argOff[nameArg], c.argLen[nameArg]);
  if (consumer !== null) {
    consumer.seenTime = now;
    return consumer;
  }
  consumer = g.createConsumer(c.argBuf, c.argOff[nameArg], c.argLen[nameArg], now)!;
  c.notify(NotifyClass.STREAM, 'xgroup-createconsumer', keyArg);
  return consumer;
}

/**
 * streamReplyWithRange for a group reading new entries (from startId on): each delivered entry
 * advances the group's last ID and read counter and, unless NOACK, enters the PEL owned by
 * `consumer` (taken over if it was pending elsewhere).
 */
function replyGroupRange(c: Client, s: StreamValue, g: StreamGroup, consumer: StreamConsumer, count: number, noack: boolean): void {
  let n = 0;
  let slot = s.nextLive(s.lowerBound(startId.ms, startId.seq));
  const first = slot;
  while (slot < s.tail && (count === 0 || n < count)) {
    n++;
    slot = s.nextLive(slot + 1);
  }
  c.reply.arrayLen(n);
  const now = c.server.clock.now;
  slot = first;
  for (let k = 0; k < n; k++) {
    const ms = s.msAt(slot);
    const seq = s.seqAt(slot);
    if (compareId(ms, seq, g.lastMs, g.lastSeq) > 0) {
      if (g.entriesRead !== -1n && !s.hasTombstonesFrom(ms, seq)) g.entriesRead++;
      else if (s.entriesAdded !== 0n) g.entriesRead = s.estimateDistance(ms, seq);
      g.lastMs = ms;
      g.lastSeq = seq;
    }
    replyEntry(c, s, slot);
    if (!noack) {
      const i = g.pelLowerBound(ms, seq);
      if (i < g.pelLen && g.pelMs(i) === ms && g.pelSeq(i) === seq) {
        g.pelSetOwner(i, consumer);
        g.pelTime[i] = now;
        g.pelCount[i] = 1;
      } else {
        g.pelInsert(i, ms, seq, now, 1, consumer);
      }
    }
    slot = s.nextLive(slot + 1);
  }
}

/**
 * streamReplyWithRangeFromConsumerPEL: the consumer's own pending entries from startId on (at
 * most `count`); an entry deleted since is [id, nil]; each one served counts a delivery.
 */
function replyConsumerHistory(c: Client, s: StreamValue, g: StreamGroup, consumer: StreamConsumer, count: number): void {
  const from = g.pelLowerBound(startId.ms, startId.seq);
  let n = 0;
  for (let i = from; i < g.pelLen && (count === 0 || n < count); i++) if (g.pelOwner[i] === consumer.id) n++;
  c.reply.arrayLen(n);
  const now = c.server.clock.now;
  let emitted = 0;
  for (let i = from; emitted < n; i++) {
    if (g.pelOwner[i] !== consumer.id) continue;
    emitted++;
    const slot = s.hasEntry(g.pelMs(i), g.pelSeq(i));
    if (slot < 0) {
      c.reply.arrayLen(2);
      replyId(c, g.pelMs(i), g.pelSeq(i));
      c.reply.nullArray();
    } else {
      replyEntry(c, s, slot);
      g.pelTime[i] = now;
      g.pelCount[i]++;
    }
  }
}

/** Serve one stream of an XREAD reply: [key, entries] (RESP2) or key => entries (RESP3). */
function replyStreamFrom(c: Client, s: StreamValue, keyArg: number, count: number): void {
  if (c.resp === 2) c.reply.arrayLen(2);
  c.reply.bulk(c.argBuf, c.argOff[keyArg], c.argLen[keyArg]);
  maxId.set(U64_MAX, U64_MAX);
  replyRange(c, s, startId, maxId, count, false);
}

/** xreadCommand: XREAD and XREADGROUP. */
function cmdXread(c: Client): void {
  const xreadgroup = c.argLen[0] === 10;
  let timeout = -1;
  let count = 0;
  let streamsArg = 0;
  let n = 0;
  let groupArg = -1;
  let noack = false;
  for (let i = 1; i < c.argc; i++) {
    const more = c.argc - i - 1;
    if (c.argIs(i, 'block') && more > 0) {
      const engine = existingScriptingEngine(c.server);
      if (engine !== undefined && engine.run !== null && c.denyBlocking) {
        c.reply.error(`ERR ${argLatin1(c, 0)} command is not allowed with BLOCK option from scripts`);
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
      if (!xreadgroup) {
        c.reply.raw(E_GROUP_XREAD);
        return;
      }
      groupArg = i + 1;
      i += 2;
    } else if (c.argIs(i, 'noack')) {
      if (!xreadgroup) {
        c.reply.raw(E_NOACK_XREAD);
        return;
      }
      noack = true;
    } else {
      c.reply.raw(E_SYNTAX);
      return;
    }
  }
  if (streamsArg === 0) {
    c.reply.raw(E_SYNTAX);
    return;
  }
  if (xreadgroup && groupArg < 0) {
    c.reply.raw(E_MISSING_GROUP);
    return;
  }
  const ids = idScratch(n);
  for (let k = 0; k < n; k++) {
    const keyArg = streamsArg + k;
    const idArg = keyArg + n;
    const h = c.lookupTyped(keyArg, KeyType.STREAM, Lookup.READ);
    if (h === -2) return;
    if (groupArg >= 0 && (h < 0 || streamOf(c, h).findGroup(c.argBuf, c.argOff[groupArg], c.argLen[groupArg]) === null)) {
      c.reply.error(`NOGROUP No such key '${argLatin1(c, keyArg)}' or consumer group '${argLatin1(c, groupArg)}' in XREADGROUP with GROUP option`);
      return;
    }
    if (c.argLen[idArg] === 1 && c.argBuf[c.argOff[idArg]] === 36) {
      if (xreadgroup) {
        c.reply.raw(E_DOLLAR_GROUP);
        return;
      }
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
      if (!xreadgroup) {
        c.reply.raw(E_GT_XREAD);
        return;
      }
      ids[2 * k] = U64_MAX;
      ids[2 * k + 1] = U64_MAX;
      continue;
    }
    if (!parseIdOrReply(c, idArg, 0n, true)) return;
    ids[2 * k] = pid.ms;
    ids[2 * k + 1] = pid.seq;
  }
  // Which streams can be served now (the reply's length comes first): 1 new entries, 2 history.
  let served = 0;
  if (readServe.length < n) readServe = new Uint8Array(2 * n);
  const serve = readServe;
  serve.fill(0, 0, n);
  for (let k = 0; k < n; k++) {
    const h = c.lookupArg(streamsArg + k, Lookup.READ);
    if (h < 0) continue;
    const s = streamOf(c, h);
    if (groupArg >= 0) {
      const g = s.findGroup(c.argBuf, c.argOff[groupArg], c.argLen[groupArg])!;
      if (ids[2 * k] !== U64_MAX || ids[2 * k + 1] !== U64_MAX) {
        serve[k] = 2;
        served++;
      } else if (s.length !== 0) {
        s.lastValid(maxId);
        if (compareId(maxId.ms, maxId.seq, g.lastMs, g.lastSeq) > 0) {
          serve[k] = 1;
          served++;
          ids[2 * k] = g.lastMs;
          ids[2 * k + 1] = g.lastSeq;
        }
      }
      continue;
    }
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
      const keyArg = streamsArg + k;
      const h = c.store.lookup(c.db, c.argBuf, c.argOff[keyArg], c.argLen[keyArg], Lookup.PEEK);
      const s = streamOf(c, h);
      startId.set(ids[2 * k], ids[2 * k + 1]);
      startId.incr();
      if (groupArg < 0) {
        replyStreamFrom(c, s, keyArg, count);
        continue;
      }
      const before = s.bytes;
      if (c.resp === 2) c.reply.arrayLen(2);
      c.reply.bulk(c.argBuf, c.argOff[keyArg], c.argLen[keyArg]);
      const g = s.findGroup(c.argBuf, c.argOff[groupArg], c.argLen[groupArg])!;
      const consumer = consumerFor(c, g, groupArg + 1, keyArg);
      if (serve[k] === 2) replyConsumerHistory(c, s, g, consumer, count);
      else replyGroupRange(c, s, g, consumer, count, noack);
      settle(c, h, s, before);
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
  waits.set(c, { ids: ids.slice(0, 2 * n), count: count !== 0 ? count : BLOCKED_DEFAULT_COUNT, groupArg, noack });
  blockForKeys(c, streamsArg, streamsArg + n - 1, timeout, retryXread, streamsArg);
}

/** A blocked XREAD / XREADGROUP's key may have new entries (serveClientsBlockedOnStreamKey). */
function retryXread(c: Client, keyArg: number, streamsArg: number): boolean {
  const wait = waits.get(c);
  if (wait === undefined) return false;
  const h = c.store.lookup(c.db, c.argBuf, c.argOff[keyArg], c.argLen[keyArg], Lookup.PEEK);
  if (h < 0 || c.store.typeOf(h) !== KeyType.STREAM) return false;
  const s = streamOf(c, h);
  const k = keyArg - streamsArg;
  let gms = wait.ids[2 * k];
  let gseq = wait.ids[2 * k + 1];
  let g: StreamGroup | null = null;
  if (wait.groupArg >= 0) {
    g = s.findGroup(c.argBuf, c.argOff[wait.groupArg], c.argLen[wait.groupArg]);
    if (g === null) {
      waits.delete(c);
      c.reply.raw(E_GROUP_GONE);
      return true;
    }
    gms = g.lastMs;
    gseq = g.lastSeq;
  }
  if (compareId(s.lastMs, s.lastSeq, gms, gseq) <= 0) return false;
  waits.delete(c);
  startId.set(gms, gseq);
  startId.incr();
  if (c.resp === 2) c.reply.arrayLen(1);
  else c.reply.mapLen(1);
  if (g === null) {
    replyStreamFrom(c, s, keyArg, wait.count);
    return true;
  }
  const before = s.bytes;
  const consumer = consumerFor(c, g, wait.groupArg + 1, keyArg);
  if (c.resp === 2) c.reply.arrayLen(2);
  c.reply.bulk(c.argBuf, c.argOff[keyArg], c.argLen[keyArg]);
  replyGroupRange(c, s, g, consumer, wait.count, wait.noack);
  settle(c, h, s, before);
  return true;
}

// ---- XGROUP ----

function noGroupForKey(c: Client, groupArg: number, keyArg: number): void {
  c.reply.error(`NOGROUP No such consumer group '${argLatin1(c, groupArg)}' for key name '${argLatin1(c, keyArg)}'`);
}

/** xgroupCommand: CREATE, SETID, DESTROY, CREATECONSUMER, DELCONSUMER (one prologue, as Redis). */
function cmdXgroup(c: Client): void {
  const create = c.argIs(1, 'create');
  const setid = c.argIs(1, 'setid');
  let mkstream = false;
  let entriesRead = -1n;
  let s: StreamValue | null = null;
  let h = -1;
  let g: StreamGroup | null = null;
  for (let i = 5; i < c.argc;) {
    if (create && c.argIs(i, 'mkstream')) {
      mkstream = true;
      i++;
    } else if ((create || setid) && c.argIs(i, 'entriesread') && i + 1 < c.argc) {
      if (!longLongOrReply(c, i + 1, E_NOT_INTEGER)) return;
      if (argBig < 0n && argBig !== -1n) {
        c.reply.raw(E_ENTRIESREAD);
        return;
      }
      entriesRead = argBig;
      i += 2;
    } else {
      subcommandSyntaxError(c);
      return;
    }
  }
  h = c.lookupTyped(2, KeyType.STREAM, Lookup.WRITE);
  if (h === -2) return;
  if (h >= 0) s = streamOf(c, h);
  if (!mkstream) {
    if (s === null) {
      c.reply.raw(E_XGROUP_NOKEY);
      return;
    }
    g = s.findGroup(c.argBuf, c.argOff[3], c.argLen[3]);
    if (g === null && !create && !c.argIs(1, 'destroy')) {
      noGroupForKey(c, 3, 2);
      return;
    }
  }
  if (create) {
    if (c.argc > 8) {
      subcommandSyntaxError(c);
      return;
    }
    let ms = 0n;
    let seq = 0n;
    if (c.argLen[4] === 1 && c.argBuf[c.argOff[4]] === 36) {
      if (s !== null) {
        ms = s.lastMs;
        seq = s.lastSeq;
      }
    } else {
      if (!parseIdOrReply(c, 4, 0n, true)) return;
      ms = pid.ms;
      seq = pid.seq;
    }
    if (s === null) {
      s = new StreamValue();
      if (c.store.setObject(c.db, c.argBuf, c.argOff[2], c.argLen[2], KeyType.STREAM, s, s.bytes) !== Status.OK) {
        c.reply.raw(E_OOM);
        return;
      }
      h = c.lookupArg(2, Lookup.PEEK);
      c.modified(2);
    }
    const before = s.bytes;
    if (s.createGroup(c.argBuf, c.argOff[3], c.argLen[3], ms, seq, entriesRead) !== null) {
      settle(c, h, s, before);
      c.reply.raw(R_OK);
      c.notify(NotifyClass.STREAM, 'xgroup-create', 2);
    } else {
      c.reply.raw(E_BUSYGROUP);
    }
  } else if (setid) {
    if (c.argc !== 5 && c.argc !== 7) {
      subcommandSyntaxError(c);
      return;
    }
    let ms: bigint;
    let seq: bigint;
    if (c.argLen[4] === 1 && c.argBuf[c.argOff[4]] === 36) {
      ms = s!.lastMs;
      seq = s!.lastSeq;
    } else {
      if (!parseIdOrReply(c, 4, 0n, false)) return;
      ms = pid.ms;
      seq = pid.seq;
    }
    g!.lastMs = ms;
    g!.lastSeq = seq;
    g!.entriesRead = entriesRead;
    c.reply.raw(R_OK);
    c.notify(NotifyClass.STREAM, 'xgroup-setid', 2);
  } else if (c.argIs(1, 'destroy')) {
    if (g !== null) {
      const before = s!.bytes;
      s!.destroyGroup(g);
      settle(c, h, s!, before);
      c.reply.int(1);
      c.notify(NotifyClass.STREAM, 'xgroup-destroy', 2);
      signalKeyReady(c, c.db, c.argBuf, c.argOff[2], c.argLen[2]);
    } else {
      c.reply.raw(R_ZERO);
    }
  } else if (c.argIs(1, 'createconsumer')) {
    const before = s!.bytes;
    const created = g!.createConsumer(c.argBuf, c.argOff[4], c.argLen[4], c.server.clock.now);
    if (created !== null) {
      c.notify(NotifyClass.STREAM, 'xgroup-createconsumer', 2);
      settle(c, h, s!, before);
    }
    c.reply.int(created !== null ? 1 : 0);
  } else {
    // DELCONSUMER
    const consumer = g!.findConsumer(c.argBuf, c.argOff[4], c.argLen[4]);
    let pending = 0;
    if (consumer !== null) {
      const before = s!.bytes;
      pending = g!.deleteConsumer(consumer);
      settle(c, h, s!, before);
      c.notify(NotifyClass.STREAM, 'xgroup-delconsumer', 2);
    }
    c.reply.int(pending);
  }
}

// ---- XACK, XPENDING ----

/** What groupLookup found: the stream, its handle, and the group (null when missing). */
let foundStream: StreamValue | null = null;
let foundHandle = -1;
let foundGroup: StreamGroup | null = null;

/**
 * The stream at argument 1 (read lookup) and its group named by argument 2, into found*:
 * false after replying WRONGTYPE. A missing key leaves foundStream and foundGroup null.
 */
function groupLookup(c: Client): boolean {
  foundStream = null;
  foundGroup = null;
  const h = c.lookupTyped(1, KeyType.STREAM, Lookup.READ);
  foundHandle = h;
  if (h === -2) return false;
  if (h >= 0) {
    foundStream = streamOf(c, h);
    foundGroup = foundStream.findGroup(c.argBuf, c.argOff[2], c.argLen[2]);
  }
  return true;
}

function noKeyOrGroup(c: Client): void {
  c.reply.error(`NOGROUP No such key '${argLatin1(c, 1)}' or consumer group '${argLatin1(c, 2)}'`);
}

function cmdXack(c: Client): void {
  if (!groupLookup(c)) return;
  const g = foundGroup;
  if (g === null) {
    c.reply.raw(R_ZERO);
    return;
  }
  const n = c.argc - 3;
  const ids = idScratch(n);
  for (let j = 3; j < c.argc; j++) {
    if (!parseIdOrReply(c, j, 0n, true)) return;
    ids[2 * (j - 3)] = pid.ms;
    ids[2 * (j - 3) + 1] = pid.seq;
  }
  let acked = 0;
  for (let k = 0; k < n; k++) {
    const i = g.pelFind(ids[2 * k], ids[2 * k + 1]);
    if (i >= 0) {
      g.pelRemove(i);
      acked++;
    }
  }
  c.reply.int(acked);
}

function cmdXpending(c: Client): void {
  const justinfo = c.argc === 3;
  let count = 0;
  let minidle = 0;
  let consumerArg = -1;
  if (c.argc !== 3 && (c.argc < 6 || c.argc > 9)) {
    c.reply.raw(E_SYNTAX);
    return;
  }
  if (c.argc >= 6) {
    let startIdx = 3;
    if (c.argIs(3, 'idle')) {
      if (!longLongOrReply(c, 4, E_NOT_INTEGER)) return;
      minidle = argNum;
      if (c.argc < 8) {
        c.reply.raw(E_SYNTAX);
        return;
      }
      startIdx += 2;
    }
    if (!longLongOrReply(c, startIdx + 2, E_NOT_INTEGER)) return;
    count = argBig < 0n ? 0 : argNum;
    if (!parseIntervalOrReply(c, startIdx, 0n)) return;
    startId.copy(pid);
    if (exclusive && !startId.incr()) {
      c.reply.raw(E_START_ID);
      return;
    }
    if (!parseIntervalOrReply(c, startIdx + 1, U64_MAX)) return;
    endId.copy(pid);
    if (exclusive && !endId.decr()) {
      c.reply.raw(E_END_ID);
      return;
    }
    if (startIdx + 3 < c.argc) consumerArg = startIdx + 3;
  }
  if (!groupLookup(c)) return;
  const g = foundGroup;
  if (g === null) {
    noKeyOrGroup(c);
    return;
  }
  const reply = c.reply;
  if (justinfo) {
    reply.arrayLen(4);
    reply.int(g.pelLen);
    if (g.pelLen === 0) {
      reply.nullBulk();
      reply.nullBulk();
      reply.nullArray();
      return;
    }
    replyId(c, g.pelMs(0), g.pelSeq(0));
    replyId(c, g.pelMs(g.pelLen - 1), g.pelSeq(g.pelLen - 1));
    let withPending = 0;
    for (const consumer of g.consumers) if (consumer.pending !== 0) withPending++;
    reply.arrayLen(withPending);
    for (const consumer of g.consumers) {
      if (consumer.pending === 0) continue;
      reply.arrayLen(2);
      reply.bulk(consumer.name, 0, consumer.name.length);
      reply.bulkInt(consumer.pending);
    }
    return;
  }
  let consumer: StreamConsumer | null = null;
  if (consumerArg >= 0) {
    consumer = g.findConsumer(c.argBuf, c.argOff[consumerArg], c.argLen[consumerArg]);
    if (consumer === null) {
      reply.raw(R_EMPTY_ARRAY);
      return;
    }
  }
  const now = c.server.clock.now;
  const from = g.pelLowerBound(startId.ms, startId.seq);
  // Two passes: count the matches, then emit them.
  let n = 0;
  let i = from;
  for (; i < g.pelLen && n < count && compareId(g.pelMs(i), g.pelSeq(i), endId.ms, endId.seq) <= 0; i++) {
    if (consumer !== null && g.pelOwner[i] !== consumer.id) continue;
    if (minidle !== 0 && now - g.pelTime[i] < minidle) continue;
    n++;
  }
  reply.arrayLen(n);
  let emitted = 0;
  for (i = from; emitted < n; i++) {
    if (consumer !== null && g.pelOwner[i] !== consumer.id) continue;
    if (minidle !== 0 && now - g.pelTime[i] < minidle) continue;
    emitted++;
    reply.arrayLen(4);
    replyId(c, g.pelMs(i), g.pelSeq(i));
    const owner = consumer ?? g.consumerById(g.pelOwner[i]);
    reply.bulk(owner.name, 0, owner.name.length);
    const elapsed = now - g.pelTime[i];
    reply.int(elapsed < 0 ? 0 : elapsed);
    reply.int(g.pelCount[i]);
  }
}

// ---- XCLAIM, XAUTOCLAIM ----

/** Scratch: the slots (or -1 for JUSTID) and IDs a claim will reply. */
let claimed = new BigUint64Array(64);
let claimedSlots = new Int32Array(32);

function claimPush(n: number, ms: bigint, seq: bigint, slot: number): void {
  if (2 * n >= claimed.length) {
    const ids = new BigUint64Array(claimed.length * 2);
    ids.set(claimed);
    claimed = ids;
    const slots = new Int32Array(claimedSlots.length * 2);
    slots.set(claimedSlots);
    claimedSlots = slots;
  }
  claimed[2 * n] = ms;
  claimed[2 * n + 1] = seq;
  claimedSlots[n] = slot;
}

function replyClaimed(c: Client, s: StreamValue, n: number, justid: boolean): void {
  c.reply.arrayLen(n);
  for (let k = 0; k < n; k++) {
    if (justid) replyId(c, claimed[2 * k], claimed[2 * k + 1]);
    else replyEntry(c, s, claimedSlots[k]);
  }
}

function cmdXclaim(c: Client): void {
  if (!groupLookup(c)) return;
  const s = foundStream;
  const g = foundGroup;
  if (s === null || g === null) {
    noKeyOrGroup(c);
    return;
  }
  const h = foundHandle;
  if (!longLongOrReply(c, 4, E_CLAIM_MINIDLE)) return;
  const minidle = argBig < 0n ? 0 : argNum;
  // The IDs run up to the first argument that is not one (no error: options follow).
  let j = 5;
  const ids = idScratch(c.argc - 5);
  for (; j < c.argc; j++) {
    if (!parseIdBytesQuiet(c, j)) break;
    ids[2 * (j - 5)] = pid.ms;
    ids[2 * (j - 5) + 1] = pid.seq;
  }
  const lastIdArg = j - 1;
  const now = c.server.clock.now;
  let force = false;
  let justid = false;
  let deliveryTime = -1;
  let retryCount = -1;
  const lastId = tmp.set(0n, 0n);
  for (; j < c.argc; j++) {
    const more = c.argc - 1 - j;
    if (c.argIs(j, 'force')) force = true;
    else if (c.argIs(j, 'justid')) justid = true;
    else if (c.argIs(j, 'idle') && more > 0) {
      j++;
      if (!longLongOrReply(c, j, E_CLAIM_IDLE)) return;
      deliveryTime = now - argNum;
    } else if (c.argIs(j, 'time') && more > 0) {
      j++;
      if (!longLongOrReply(c, j, E_CLAIM_TIME)) return;
      deliveryTime = argNum;
    } else if (c.argIs(j, 'retrycount') && more > 0) {
      j++;
      if (!longLongOrReply(c, j, E_CLAIM_RETRY)) return;
      retryCount = argNum;
    } else if (c.argIs(j, 'lastid') && more > 0) {
      j++;
      if (!parseIdOrReply(c, j, 0n, true)) return;
      lastId.copy(pid);
    } else {
      c.reply.error(`ERR Unrecognized XCLAIM option '${argLatin1(c, j)}'`);
      return;
    }
  }
  if (compareId(lastId.ms, lastId.seq, g.lastMs, g.lastSeq) > 0) {
    g.lastMs = lastId.ms;
    g.lastSeq = lastId.seq;
  }
  if (deliveryTime !== -1) {
    if (deliveryTime < 0 || deliveryTime > now) deliveryTime = now;
  } else {
    deliveryTime = now;
  }
  const before = s.bytes;
  let consumer: StreamConsumer | null = null;
  let n = 0;
  for (let k = 0; k <= lastIdArg - 5; k++) {
    const ms = ids[2 * k];
    const seq = ids[2 * k + 1];
    let i = g.pelFind(ms, seq);
    const slot = s.hasEntry(ms, seq);
    if (slot < 0) {
      if (i >= 0) g.pelRemove(i);
      continue;
    }
    if (force && i < 0) {
      i = g.pelLowerBound(ms, seq);
      g.pelInsert(i, ms, seq, now, 1, null);
    }
    if (i < 0) continue;
    if (g.pelOwner[i] !== 0 && minidle !== 0 && now - g.pelTime[i] < minidle) continue;
    if (consumer === null) consumer = consumerFor(c, g, 3, 1);
    g.pelSetOwner(i, consumer);
    g.pelTime[i] = deliveryTime;
    if (retryCount >= 0) g.pelCount[i] = retryCount;
    else if (!justid) g.pelCount[i]++;
    claimPush(n++, ms, seq, slot);
  }
  settle(c, h, s, before);
  replyClaimed(c, s, n, justid);
}

/** streamParseStrictIDOrReply with no client: true when argument i is an ID (into pid). */
function parseIdBytesQuiet(c: Client, i: number): boolean {
  const mark = c.reply.mark();
  const errors = c.reply.errorCount;
  const onError = c.reply.onError;
  c.reply.onError = null;
  const ok = parseIdOrReply(c, i, 0n, true);
  c.reply.onError = onError;
  if (!ok) {
    c.reply.truncate(mark);
    c.reply.errorCount = errors;
  }
  return ok;
}

function cmdXautoclaim(c: Client): void {
  if (!longLongOrReply(c, 4, E_AUTOCLAIM_MINIDLE)) return;
  const minidle = argBig < 0n ? 0 : argNum;
  if (!parseIntervalOrReply(c, 5, 0n)) return;
  startId.copy(pid);
  if (exclusive && !startId.incr()) {
    c.reply.raw(E_START_ID);
    return;
  }
  let count = 100;
  let justid = false;
  for (let j = 6; j < c.argc; j++) {
    const more = c.argc - 1 - j;
    if (c.argIs(j, 'count') && more > 0) {
      // getRangeLongFromObjectOrReply(1 .. LONG_MAX / 16)
      if (!c.argInt64(j + 1) || parsed.isBig || parsed.num < 1 || parsed.num > 576460752303423487) {
        c.reply.raw(E_AUTOCLAIM_COUNT);
        return;
      }
      count = parsed.num;
      j++;
    } else if (c.argIs(j, 'justid')) {
      justid = true;
    } else {
      c.reply.raw(E_SYNTAX);
      return;
    }
  }
  if (!groupLookup(c)) return;
  const s = foundStream;
  const g = foundGroup;
  if (s === null || g === null) {
    noKeyOrGroup(c);
    return;
  }
  const h = foundHandle;
  const before = s.bytes;
  let attempts = count * 10;
  const now = c.server.clock.now;
  let consumer: StreamConsumer | null = null;
  let n = 0;
  let deletedIds: bigint[] | null = null;
  let i = g.pelLowerBound(startId.ms, startId.seq);
  while (attempts-- > 0 && count > 0 && i < g.pelLen) {
    const ms = g.pelMs(i);
    const seq = g.pelSeq(i);
    const slot = s.hasEntry(ms, seq);
    if (slot < 0) {
      g.pelRemove(i);
      (deletedIds ??= []).push(ms, seq);
      count--;
      continue;
    }
    if (minidle !== 0 && now - g.pelTime[i] < minidle) {
      i++;
      continue;
    }
    if (consumer === null) consumer = consumerFor(c, g, 3, 1);
    g.pelSetOwner(i, consumer);
    g.pelTime[i] = now;
    if (!justid) g.pelCount[i]++;
    claimPush(n++, ms, seq, slot);
    count--;
    i++;
  }
  settle(c, h, s, before);
  c.reply.arrayLen(3);
  if (i < g.pelLen) replyId(c, g.pelMs(i), g.pelSeq(i));
  else replyId(c, 0n, 0n);
  replyClaimed(c, s, n, justid);
  if (deletedIds === null) {
    c.reply.arrayLen(0);
  } else {
    c.reply.arrayLen(deletedIds.length / 2);
    for (let k = 0; k < deletedIds.length; k += 2) replyId(c, deletedIds[k], deletedIds[k + 1]);
  }
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
    reply.int(s.groupCount);
    reply.bulkString('first-entry');
    const first = s.nextLive(0);
    if (first < s.tail) replyEntry(c, s, first);
    else reply.nullBulk();
    reply.bulkString('last-entry');
    const last = s.prevLive(s.tail - 1);
    if (last >= 0) replyEntry(c, s, last);
    else reply.nullBulk();
  } else {
    reply.bulkString('entries');
    replyRange(c, s, startId, endId, count, false);
    reply.bulkString('groups');
    reply.arrayLen(s.groupCount);
    for (let k = 0; k < s.groupCount; k++) replyGroupFull(c, s, s.groups![k], count);
  }
}

function replyEntriesRead(c: Client, g: StreamGroup): void {
  if (g.entriesRead !== -1n) c.reply.int(g.entriesRead);
  else c.reply.nullBulk();
}

function replyLag(c: Client, s: StreamValue, g: StreamGroup): void {
  const lag = s.groupLag(g);
  if (lag === null) c.reply.nullBulk();
  else c.reply.int(lag);
}

/** One group of XINFO STREAM FULL: its PEL and its consumers' (at most `count` each, 0: all). */
function replyGroupFull(c: Client, s: StreamValue, g: StreamGroup, count: number): void {
  const reply = c.reply;
  reply.mapLen(7);
  reply.bulkString('name');
  reply.bulk(g.name, 0, g.name.length);
  reply.bulkString('last-delivered-id');
  replyId(c, g.lastMs, g.lastSeq);
  reply.bulkString('entries-read');
  replyEntriesRead(c, g);
  reply.bulkString('lag');
  replyLag(c, s, g);
  reply.bulkString('pel-count');
  reply.int(g.pelLen);
  reply.bulkString('pending');
  const n = count === 0 ? g.pelLen : Math.min(count, g.pelLen);
  reply.arrayLen(n);
  for (let i = 0; i < n; i++) {
    reply.arrayLen(4);
    replyId(c, g.pelMs(i), g.pelSeq(i));
    const owner = g.consumerById(g.pelOwner[i]);
    reply.bulk(owner.name, 0, owner.name.length);
    reply.int(g.pelTime[i]);
    reply.int(g.pelCount[i]);
  }
  reply.bulkString('consumers');
  reply.arrayLen(g.consumers.length);
  for (const consumer of g.consumers) {
    reply.mapLen(4);
    reply.bulkString('name');
    reply.bulk(consumer.name, 0, consumer.name.length);
    reply.bulkString('seen-time');
    reply.int(consumer.seenTime);
    reply.bulkString('pel-count');
    reply.int(consumer.pending);
    reply.bulkString('pending');
    const m = count === 0 ? consumer.pending : Math.min(count, consumer.pending);
    reply.arrayLen(m);
    for (let i = 0, k = 0; k < m; i++) {
      if (g.pelOwner[i] !== consumer.id) continue;
      k++;
      reply.arrayLen(3);
      replyId(c, g.pelMs(i), g.pelSeq(i));
      reply.int(g.pelTime[i]);
      reply.int(g.pelCount[i]);
    }
  }
}

function cmdXinfoGroups(c: Client): void {
  const h = c.lookupTypedOrReply(2, KeyType.STREAM, Lookup.READ, E_NO_SUCH_KEY);
  if (h < 0) return;
  const s = streamOf(c, h);
  const reply = c.reply;
  reply.arrayLen(s.groupCount);
  for (let k = 0; k < s.groupCount; k++) {
    const g = s.groups![k];
    reply.mapLen(6);
    reply.bulkString('name');
    reply.bulk(g.name, 0, g.name.length);
    reply.bulkString('consumers');
    reply.int(g.consumers.length);
    reply.bulkString('pending');
    reply.int(g.pelLen);
    reply.bulkString('last-delivered-id');
    replyId(c, g.lastMs, g.lastSeq);
    reply.bulkString('entries-read');
    replyEntriesRead(c, g);
    reply.bulkString('lag');
    replyLag(c, s, g);
  }
}

function cmdXinfoConsumers(c: Client): void {
  const h = c.lookupTypedOrReply(2, KeyType.STREAM, Lookup.READ, E_NO_SUCH_KEY);
  if (h < 0) return;
  const g = streamOf(c, h).findGroup(c.argBuf, c.argOff[3], c.argLen[3]);
  if (g === null) {
    noGroupForKey(c, 3, 2);
    return;
  }
  const now = c.server.clock.now;
  const reply = c.reply;
  reply.arrayLen(g.consumers.length);
  for (const consumer of g.consumers) {
    reply.mapLen(3);
    reply.bulkString('name');
    reply.bulk(consumer.name, 0, consumer.name.length);
    reply.bulkString('pending');
    reply.int(consumer.pending);
    reply.bulkString('idle');
    const idle = now - consumer.seenTime;
    reply.int(idle < 0 ? 0 : idle);
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
  registry.add('xreadgroup', cmdXread);
  registry.add('xgroup', null);
  registry.add('xgroup|create', cmdXgroup);
  registry.add('xgroup|setid', cmdXgroup);
  registry.add('xgroup|destroy', cmdXgroup);
  registry.add('xgroup|createconsumer', cmdXgroup);
  registry.add('xgroup|delconsumer', cmdXgroup);
  registry.add('xgroup|help', (c) => replyHelp(c, XGROUP_HELP));
  registry.add('xack', cmdXack);
  registry.add('xpending', cmdXpending);
  registry.add('xclaim', cmdXclaim);
  registry.add('xautoclaim', cmdXautoclaim);
  registry.add('xinfo', null);
  registry.add('xinfo|stream', cmdXinfoStream);
  registry.add('xinfo|groups', cmdXinfoGroups);
  registry.add('xinfo|consumers', cmdXinfoConsumers);
  registry.add('xinfo|help', (c) => replyHelp(c, XINFO_HELP));
}
