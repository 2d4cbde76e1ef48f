/*
 * Sorted-set commands (Redis 7.0 t_zset.c semantics) over ZsetValue (types/zset-value.ts).
 * A listpack-encoded set is packed bytes in its key's chunk, read through the shared ZsetValue
 * view (zsetAt); a skiplist is a ZsetValue in the store's object table. Handlers parse and
 * validate arguments in Redis's order (so the same error wins when several are wrong), look
 * the key up, call the value's operations and reply through the encoder. After every change
 * they store the result (afterWrite: the new packed bytes, the skiplist a listpack became, or
 * a re-charged memory estimate) and delete a key whose set became empty. A command that needs
 * several sets at once (ZUNIONSTORE & co.) reads copies of the packed ones.
 *
 * Ranges (ZRANGE and its variants, ZCOUNT, ZRANGESTORE) locate both ends in O(log n) and
 * count by rank, so the reply header is written first and the members are then copied
 * straight from the set into the output buffer: no intermediate array, whatever the size.
 *
 * Numbers: scores, increments and weights go through strtod.ts (Redis's string2d and the
 * strtod-based range parser, hexadecimal and inf included); integers through the strict
 * int64 parser. Scores are replied as %.17g doubles (RESP2 bulk strings, RESP3 doubles).
 *
 * BZPOPMIN / BZPOPMAX / BZMPOP park on blocking.ts when no key holds a set; every creation of
 * a sorted-set key (ZADD, the STORE forms) signals it, and the woken client pops exactly as
 * Redis's serveClientsBlockedOnSortedSetKey does (through zpopGeneric, so with the same events).
 *
 * Keyspace events and WATCH: every write calls c.modified (signalModifiedKey) and c.notify
 * (notifyKeyspaceEvent) where t_zset.c does, in its order relative to the reply, and only when
 * the key actually changed (a ZADD XX of a missing member, a ZREM of a missing one, an empty
 * ZREMRANGEBY* range send nothing). `new` comes from the store (dbAdd). The STORE forms use
 * setKey in Redis: an existing destination is overwritten (no del, no new), created when absent
 * (new); an empty result deletes the destination (del) only when it existed.
 */
import type { Client } from '../client.ts';
import type { Registry } from '../registry.ts';
import {
  R_ZERO, R_EMPTY_ARRAY, R_EMPTY_SCAN,
  E_WRONGTYPE, E_SYNTAX, E_NOT_INTEGER, E_NOT_FLOAT, E_OOM,
} from '../../protocol/replies.ts';
import { formatDouble } from '../../protocol/encoder.ts';
import { listpackScoreText } from '../rdb/listpack.ts';
import { KeyType, Lookup, Status, Encoding, type StatusCode } from '../../store/types.ts';
import type { Keyspace } from '../../store/keyspace.ts';
import { parsed } from '../numbers.ts';
import { strtod, strtodResult, string2d } from '../strtod.ts';
import { globMatch } from '../glob.ts';
import { scanArgs, scanCursorOrReply, scanOptionsOrReply } from './scan-args.ts';
import type { SetValue } from '../types/set-value.ts';
import { ElementBytes } from '../types/packed.ts';
import { parseTimeoutOrReply, blockForKeys, signalKeyReady } from '../blocking.ts';
import { NotifyClass } from '../keyspace-events.ts';
import {
  ZsetValue, ZaddIn, ZaddOut, LexKind, ZNIL,
  viewPackedZset, newPackedZset, isZsetView, detachZsetView,
  type ScoreRange, type LexRange,
} from '../types/zset-value.ts';

function err(text: string): Buffer {
  return Buffer.from(`-${text}\r\n`, 'latin1');
}

const E_MINMAX_FLOAT = err('ERR min or max is not a float');
const E_MINMAX_LEX = err('ERR min or max not valid string range item');
const E_XX_NX = err('ERR XX and NX options at the same time are not compatible');
const E_GT_LT_NX = err('ERR GT, LT, and/or NX options at the same time are not compatible');
const E_INCR_PAIR = err('ERR INCR option supports a single increment-element pair');
const E_NAN_SCORE = err('ERR resulting score is not a number (NaN)');
const E_LIMIT_RANK = err('ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX');
const E_WITHSCORES_LEX = err('ERR syntax error, WITHSCORES not supported in combination with BYLEX');
const E_POSITIVE = err('ERR value is out of range, must be positive');
const E_NUMKEYS = err('ERR numkeys should be greater than 0');
const E_COUNT = err('ERR count should be greater than 0');
const E_LIMIT_NEGATIVE = err("ERR LIMIT can't be negative");
const E_WEIGHT = err('ERR weight value is not a float');
const E_RANDMEMBER_RANGE = err('ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807');
/** slabcache's own limit: a ZRANDMEMBER reply with repetitions beyond this many members is refused. */
const RANDMEMBER_MAX_REPEATS = 1 << 24;
const E_RANDMEMBER_TOO_MANY = err('ERR value is out of range');

const INT64_MAX = 9223372036854775807n;

// ---- shared helpers ------------------------------------------------------------------------

/** Handle of the key looked up by the last zset lookup helper. */
let handle = -1;

/**
 * lookupKey*OrReply + checkType for a sorted set at argument i: the value, or null after
 * replying `missing` (nothing when null) for an absent key, or WRONGTYPE.
 */
function zsetOrReply(c: Client, i: number, mode: 0 | 1, missing: Uint8Array | null): ZsetValue | null {
  const h = c.lookupArg(i, mode);
  handle = h;
  if (h < 0) {
    if (missing !== null) c.reply.raw(missing);
    return null;
  }
  if (c.store.typeOf(h) !== KeyType.ZSET) {
    c.reply.raw(E_WRONGTYPE);
    return null;
  }
  return zsetAt(c.store, h);
}

/** The zset at argument i, null when missing; false (after WRONGTYPE) for another type. */
function zsetOrNull(c: Client, i: number, mode: 0 | 1): ZsetValue | null | false {
  const h = c.lookupArg(i, mode);
  handle = h;
  if (h < 0) return null;
  if (c.store.typeOf(h) !== KeyType.ZSET) {
    c.reply.raw(E_WRONGTYPE);
    return false;
  }
  return zsetAt(c.store, h);
}

/**
 * The sorted set at handle h: its object, or the shared view of its packed bytes (valid until
 * the next store call or zset lookup; a write is stored with afterWrite).
 */
export function zsetAt(store: Keyspace, h: number): ZsetValue {
  if (store.encodingOf(h) < Encoding.PACKED) return store.objectOf(h) as ZsetValue;
  const page = store.stringBytes(h);
  return viewPackedZset(page, store.offset, store.stringLength(h));
}

/**
 * After a change to the set at h (from zsetAt or a new key's view): delete the key if the set
 * is empty, else store the new packed bytes, move a skiplist the listpack became into the
 * object table, or re-charge an object's memory estimate (`before`: its estimate before).
 * Packed bytes that cannot get a bigger chunk (out of memory) go to the object table instead.
 */
function afterWrite(c: Client, h: number, zv: ZsetValue, before: number): void {
  const store = c.store;
  if (zv.size() === 0) {
    store.deleteHandle(h);
    return;
  }
  if (!isZsetView(zv)) {
    const delta = zv.bytes() - before;
    if (delta !== 0) store.adjustObjectBytes(h, delta);
    return;
  }
  const lp = zv.lp;
  if (lp !== null && !lp.edited) return;
  if (lp !== null) {
    const len = lp.storedLength();
    if (store.updatePacked(h, Encoding.PACKED, lp.storedBytes(), 0, len)) return;
  }
  const obj = detachZsetView();
  store.packedToObject(h, obj, obj.bytes());
}

/** Store zv (built outside the store) as db/key: packed bytes while it is a listpack, else the object. */
export function putZset(store: Keyspace, db: number, key: Uint8Array, koff: number, klen: number, zv: ZsetValue): StatusCode {
  const lp = zv.lp;
  if (lp === null) return store.setObject(db, key, koff, klen, KeyType.ZSET, zv, zv.bytes());
  const len = lp.storedLength();
  return store.setPacked(db, key, koff, klen, KeyType.ZSET, Encoding.PACKED, lp.storedBytes(), 0, len);
}

/** SORT's zsetConvert: the set at h becomes a skiplist object (a packed one moves to the object table). */
export function zsetToSkiplist(store: Keyspace, h: number): void {
  const zv = zsetAt(store, h);
  if (!zv.isListpack()) return;
  const before = zv.bytes();
  zv.convertToSkiplist();
  if (isZsetView(zv)) {
    const obj = detachZsetView();
    store.packedToObject(h, obj, obj.bytes());
  } else {
    store.adjustObjectBytes(h, zv.bytes() - before);
  }
}

/** addReplyDouble. */
function replyScore(c: Client, d: number): void {
  const reply = c.reply;
  if (reply.resp === 2 && d === Math.floor(d) && d < 1e15 && d > -1e15 && !Object.is(d, -0)) reply.bulkInt(d);
  else reply.double(d);
}

/** The member at a position as a bulk string. */
function replyMember(c: Client, zv: ZsetValue, p: number): void {
  const bytes = zv.member(p);
  c.reply.bulk(bytes, zv.memberOff, zv.memberLen);
}

/** getLongFromObjectOrReply: argument i as a C long (beyond 2^53 approximated); null after replying. */
function longArg(c: Client, i: number, message: Uint8Array | null): number | null {
  if (!c.argInt64(i)) {
    c.reply.raw(message ?? E_NOT_INTEGER);
    return null;
  }
  return parsed.isBig ? Number(parsed.big) : parsed.num;
}

/**
 * getRangeLongFromObjectOrReply: argument i within [min, max] (exact for 64-bit bounds), or
 * null after replying `parseMessage` (not an integer) or `rangeMessage` (out of bounds).
 */
function rangeLongArg(c: Client, i: number, min: bigint, max: bigint, parseMessage: Uint8Array, rangeMessage: Uint8Array): number | null {
  if (!c.argInt64(i)) {
    c.reply.raw(parseMessage);
    return null;
  }
  const out = parsed.isBig ? parsed.big < min || parsed.big > max : parsed.num < min || parsed.num > max;
  if (out) {
    c.reply.raw(rangeMessage);
    return null;
  }
  return parsed.isBig ? Number(parsed.big) : parsed.num;
}

/** getDoubleFromObjectOrReply. */
function doubleArg(c: Client, i: number, message: Uint8Array): number | null {
  if (!string2d(c.argBuf, c.argOff[i], c.argLen[i])) {
    c.reply.raw(message);
    return null;
  }
  return strtodResult.value;
}

const scoreRange: ScoreRange = { min: 0, max: 0, minex: false, maxex: false };
const EMPTY = new Uint8Array(0);
const lexRange: LexRange = {
  minKind: LexKind.VALUE, minBuf: EMPTY, minOff: 0, minLen: 0, minex: false,
  maxKind: LexKind.VALUE, maxBuf: EMPTY, maxOff: 0, maxLen: 0, maxex: false,
};

/** One bound of zslParseRange: strtod up to a NUL; '(' makes it exclusive. */
function parseScoreBound(c: Client, i: number, isMax: boolean): boolean {
  const buf = c.argBuf;
  let off = c.argOff[i];
  let len = c.argLen[i];
  let ex = false;
  if (len > 0 && buf[off] === 40 /* ( */) {
    ex = true;
    off++;
    len--;
  }
  strtod(buf, off, len);
  const end = strtodResult.end;
  if ((end !== len && buf[off + end] !== 0) || strtodResult.value !== strtodResult.value) return false;
  if (isMax) {
    scoreRange.max = strtodResult.value;
    scoreRange.maxex = ex;
  } else {
    scoreRange.min = strtodResult.value;
    scoreRange.minex = ex;
  }
  return true;
}

/** zslParseRange into scoreRange, or reply the error. */
function parseScoreRange(c: Client, minArg: number, maxArg: number): boolean {
  if (!parseScoreBound(c, minArg, false) || !parseScoreBound(c, maxArg, true)) {
    c.reply.raw(E_MINMAX_FLOAT);
    return false;
  }
  return true;
}

/** zslParseLexRangeItem into one side of lexRange. */
function parseLexBound(c: Client, i: number, isMax: boolean): boolean {
  const buf = c.argBuf;
  const off = c.argOff[i];
  const len = c.argLen[i];
  const first = len > 0 ? buf[off] : 0;
  let kind: number;
  let ex: boolean;
  if (first === 43 /* + */ || first === 45 /* - */) {
    if (len > 1 && buf[off + 1] !== 0) return false;
    kind = first === 43 ? LexKind.MAX : LexKind.MIN;
    ex = true;
  } else if (first === 40 /* ( */ || first === 91 /* [ */) {
    kind = LexKind.VALUE;
    ex = first === 40;
  } else {
    return false;
  }
  if (isMax) {
    lexRange.maxKind = kind;
    lexRange.maxBuf = buf;
    lexRange.maxOff = off + 1;
    lexRange.maxLen = len - 1;
    lexRange.maxex = ex;
  } else {
    lexRange.minKind = kind;
    lexRange.minBuf = buf;
    lexRange.minOff = off + 1;
    lexRange.minLen = len - 1;
    lexRange.minex = ex;
  }
  return true;
}

function parseLexRange(c: Client, minArg: number, maxArg: number): boolean {
  if (!parseLexBound(c, minArg, false) || !parseLexBound(c, maxArg, true)) {
    c.reply.raw(E_MINMAX_LEX);
    return false;
  }
  return true;
}

/**
 * setKey: db/key becomes `zv`, created (dbAdd: `new`, and clients blocked on it are woken) or,
 * when `mayExist` and it exists, overwritten in place (dbOverwrite: neither). False after
 * replying OOM. Sets `handle`.
 */
export function storeNewZset(c: Client, keyArg: number, zv: ZsetValue, mayExist: boolean): boolean {
  const created = !mayExist || c.lookupArg(keyArg, Lookup.PEEK) < 0;
  const status = putZset(c.store, c.db, c.argBuf, c.argOff[keyArg], c.argLen[keyArg], zv);
  if (status !== Status.OK) {
    c.reply.raw(E_OOM);
    return false;
  }
  handle = c.lookupArg(keyArg, Lookup.PEEK);
  if (created) signalKeyReady(c, c.db, c.argBuf, c.argOff[keyArg], c.argLen[keyArg]);
  return true;
}

// ---- ZADD / ZINCRBY ------------------------------------------------------------------------

let scoreScratch = new Float64Array(16);

/** zaddGenericCommand: ZADD with its options, and ZINCRBY (flags = INCR). */
function zaddGeneric(c: Client, flags: number): void {
  let scoreidx = 2;
  let ch = false;
  while (scoreidx < c.argc) {
    if (c.argIs(scoreidx, 'nx')) flags |= ZaddIn.NX;
    else if (c.argIs(scoreidx, 'xx')) flags |= ZaddIn.XX;
    else if (c.argIs(scoreidx, 'ch')) ch = true;
    else if (c.argIs(scoreidx, 'incr')) flags |= ZaddIn.INCR;
    else if (c.argIs(scoreidx, 'gt')) flags |= ZaddIn.GT;
    else if (c.argIs(scoreidx, 'lt')) flags |= ZaddIn.LT;
    else break;
    scoreidx++;
  }
  const incr = (flags & ZaddIn.INCR) !== 0;
  const nx = (flags & ZaddIn.NX) !== 0;
  const xx = (flags & ZaddIn.XX) !== 0;
  const gt = (flags & ZaddIn.GT) !== 0;
  const lt = (flags & ZaddIn.LT) !== 0;
  let elements = c.argc - scoreidx;
  if (elements % 2 !== 0 || elements === 0) {
    c.reply.raw(E_SYNTAX);
    return;
  }
  elements /= 2;
  if (nx && xx) {
    c.reply.raw(E_XX_NX);
    return;
  }
  if ((gt && nx) || (lt && nx) || (gt && lt)) {
    c.reply.raw(E_GT_LT_NX);
    return;
  }
  if (incr && elements > 1) {
    c.reply.raw(E_INCR_PAIR);
    return;
  }
  if (scoreScratch.length < elements) scoreScratch = new Float64Array(Math.max(elements, scoreScratch.length * 2));
  const scores = scoreScratch;
  for (let j = 0; j < elements; j++) {
    const v = doubleArg(c, scoreidx + j * 2, E_NOT_FLOAT);
    if (v === null) return;
    scores[j] = v;
  }
  zaddApply(c, flags, ch, scores, elements, scoreidx + 1, 2);
}

/**
 * The rest of zaddGenericCommand once the arguments are parsed, shared with GEOADD (geo.c
 * calls zaddCommand on a rewritten argument vector): look the key up (WRONGTYPE), create it
 * unless XX, add each member (argument memberArg + j * stride) with scores[j], reply, and
 * signal and notify when something changed.
 */
export function zaddApply(c: Client, flags: number, ch: boolean, scores: Float64Array, elements: number, memberArg: number, stride: number): void {
  const incr = (flags & ZaddIn.INCR) !== 0;
  const xx = (flags & ZaddIn.XX) !== 0;
  const settings = c.server.settings;
  const zv0 = zsetOrNull(c, 1, Lookup.WRITE);
  if (zv0 === false) return;
  let zv: ZsetValue;
  if (zv0 === null) {
    if (xx) {
      if (incr) c.reply.nullBulk();
      else c.reply.raw(R_ZERO);
      return;
    }
    const skiplist = settings.zsetMaxListpackEntries === 0 || settings.zsetMaxListpackValue < c.argLen[memberArg];
    zv = skiplist ? new ZsetValue(true, elements) : newPackedZset();
    if (!storeNewZset(c, 1, zv, false)) return;
  } else {
    zv = zv0;
  }
  const h = handle;
  const before = zv.bytes();
  const maxEntries = settings.zsetMaxListpackEntries;
  const maxValue = settings.zsetMaxListpackValue;
  let added = 0;
  let updated = 0;
  let processed = 0;
  let score = 0;
  for (let j = 0; j < elements; j++) {
    const m = memberArg + j * stride;
    const out = zv.add(c.argBuf, c.argOff[m], c.argLen[m], scores[j], flags, maxEntries, maxValue);
    if (out & ZaddOut.NAN) {
      afterWrite(c, h, zv, before);
      c.reply.raw(E_NAN_SCORE);
      if (added !== 0 || updated !== 0) zaddNotify(c, incr);
      return;
    }
    if (out & ZaddOut.ADDED) added++;
    if (out & ZaddOut.UPDATED) updated++;
    if ((out & ZaddOut.NOP) === 0) processed++;
    score = zv.newScore;
  }
  afterWrite(c, h, zv, before);
  if (incr) {
    if (processed) replyScore(c, score);
    else c.reply.nullBulk();
  } else {
    c.reply.int(ch ? added + updated : added);
  }
  if (added !== 0 || updated !== 0) zaddNotify(c, incr);
}

/** ZADD's cleanup: the key changed. */
function zaddNotify(c: Client, incr: boolean): void {
  c.modified(1);
  c.notify(NotifyClass.ZSET, incr ? 'zincr' : 'zadd', 1);
}

function cmdZadd(c: Client): void {
  zaddGeneric(c, 0);
}

function cmdZincrby(c: Client): void {
  zaddGeneric(c, ZaddIn.INCR);
}

// ---- ZREM / ZCARD / ZSCORE / ZMSCORE / ZRANK --------------------------------------------------

function cmdZrem(c: Client): void {
  const zv = zsetOrReply(c, 1, Lookup.WRITE, R_ZERO);
  if (zv === null) return;
  const h = handle;
  const before = zv.bytes();
  let deleted = 0;
  for (let j = 2; j < c.argc; j++) {
    if (zv.remove(c.argBuf, c.argOff[j], c.argLen[j])) deleted++;
    if (zv.size() === 0) break;
  }
  const removed = zv.size() === 0;
  afterWrite(c, h, zv, before);
  if (deleted !== 0) {
    c.notify(NotifyClass.ZSET, 'zrem', 1);
    if (removed) c.notify(NotifyClass.GENERIC, 'del', 1);
    c.modified(1);
  }
  c.reply.int(deleted);
}

function cmdZcard(c: Client): void {
  const zv = zsetOrReply(c, 1, Lookup.READ, R_ZERO);
  if (zv !== null) c.reply.int(zv.size());
}

function cmdZscore(c: Client): void {
  const h = c.lookupArg(1, Lookup.READ);
  if (h < 0) {
    c.reply.nullBulk();
    return;
  }
  if (c.store.typeOf(h) !== KeyType.ZSET) {
    c.reply.raw(E_WRONGTYPE);
    return;
  }
  const zv = zsetAt(c.store, h);
  const s = zv.score(c.argBuf, c.argOff[2], c.argLen[2]);
  if (s !== s) c.reply.nullBulk();
  else replyScore(c, s);
}

function cmdZmscore(c: Client): void {
  const zv = zsetOrNull(c, 1, Lookup.READ);
  if (zv === false) return;
  c.reply.arrayLen(c.argc - 2);
  for (let j = 2; j < c.argc; j++) {
    const s = zv === null ? NaN : zv.score(c.argBuf, c.argOff[j], c.argLen[j]);
    if (s !== s) c.reply.nullBulk();
    else replyScore(c, s);
  }
}

function zrankGeneric(c: Client, reverse: boolean): void {
  const h = c.lookupArg(1, Lookup.READ);
  if (h < 0) {
    c.reply.nullBulk();
    return;
  }
  if (c.store.typeOf(h) !== KeyType.ZSET) {
    c.reply.raw(E_WRONGTYPE);
    return;
  }
  const zv = zsetAt(c.store, h);
  const r = zv.rank(c.argBuf, c.argOff[2], c.argLen[2], reverse);
  if (r >= 0) c.reply.int(r);
  else c.reply.nullBulk();
}

function cmdZrank(c: Client): void {
  zrankGeneric(c, false);
}

function cmdZrevrank(c: Client): void {
  zrankGeneric(c, true);
}

// ---- ZCOUNT / ZLEXCOUNT ------------------------------------------------------------------------

/** Number of members between two positions (inclusive, either order). */
function countBetween(zv: ZsetValue, a: number, b: number): number {
  if (a === ZNIL || b === ZNIL) return 0;
  const ra = zv.rankOf(a);
  const rb = zv.rankOf(b);
  return (rb >= ra ? rb - ra : ra - rb) + 1;
}

function cmdZcount(c: Client): void {
  if (!parseScoreRange(c, 2, 3)) return;
  const zv = zsetOrReply(c, 1, Lookup.READ, R_ZERO);
  if (zv === null) return;
  const first = zv.firstInRange(scoreRange);
  c.reply.int(first === ZNIL ? 0 : countBetween(zv, first, zv.lastInRange(scoreRange)));
}

function cmdZlexcount(c: Client): void {
  if (!parseLexRange(c, 2, 3)) return;
  const zv = zsetOrReply(c, 1, Lookup.READ, R_ZERO);
  if (zv === null) return;
  const first = zv.firstInLexRange(lexRange);
  c.reply.int(first === ZNIL ? 0 : countBetween(zv, first, zv.lastInLexRange(lexRange)));
}

// ---- ZRANGE family -------------------------------------------------------------------------------

const RangeType = { AUTO: 0, RANK: 1, SCORE: 2, LEX: 3 } as const;
const Direction = { AUTO: 0, FORWARD: 1, REVERSE: 2 } as const;

/** The selected run of a range query: `count` members from `pos`, walking backwards if `reverse`. */
const run = { pos: ZNIL, count: 0 };

/** Rank range (start..end, Redis's negative-index rules) into `run`. */
function rankRun(zv: ZsetValue, start: number, end: number, reverse: boolean): void {
  const llen = zv.size();
  if (start < 0) start = llen + start;
  if (end < 0) end = llen + end;
  if (start < 0) start = 0;
  run.count = 0;
  run.pos = ZNIL;
  if (start > end || start >= llen) return;
  if (end >= llen) end = llen - 1;
  run.count = end - start + 1;
  run.pos = zv.atRank(reverse ? llen - 1 - start : start);
}

/**
 * A range whose ends are `near` (where iteration starts) and `far`, with LIMIT offset/limit
 * applied as genericZrangebyscoreCommand walks it: a negative offset walks off the end (no
 * members), a negative limit means no limit.
 */
function limitedRun(zv: ZsetValue, near: number, far: number, offset: number, limit: number, reverse: boolean): void {
  run.count = 0;
  run.pos = ZNIL;
  if (near === ZNIL || offset < 0) return;
  const total = countBetween(zv, near, far);
  if (offset >= total) return;
  const avail = total - offset;
  run.count = limit < 0 ? avail : Math.min(limit, avail);
  if (run.count === 0) return;
  const r = zv.rankOf(near);
  run.pos = offset === 0 ? near : zv.atRank(reverse ? r - offset : r + offset);
}

/** Reply `run` to the client. */
function replyRun(c: Client, zv: ZsetValue, reverse: boolean, withscores: boolean): void {
  const reply = c.reply;
  const n = run.count;
  const nested = withscores && reply.resp === 3;
  reply.arrayLen(withscores && !nested ? n * 2 : n);
  let p = run.pos;
  // A doomed client (past its output hard limit) gets nothing more: stop building.
  for (let k = 0; k < n && !reply.overLimit; k++) {
    if (nested) reply.arrayLen(2);
    replyMember(c, zv, p);
    if (withscores) replyScore(c, zv.scoreAt(p));
    p = reverse ? zv.prev(p) : zv.next(p);
  }
}

/** Store `run` at argument dstArg (ZRANGESTORE): zsetAdd into a new listpack; reply the count. */
function storeRun(c: Client, dstArg: number, zv: ZsetValue | null, reverse: boolean): void {
  const n = run.count;
  if (n === 0 || zv === null) {
    c.reply.raw(R_ZERO);
    deleteDestination(c, dstArg);
    return;
  }
  const settings = c.server.settings;
  const dst = new ZsetValue(false, Math.min(n, 128));
  let p = run.pos;
  for (let k = 0; k < n; k++) {
    const bytes = zv.member(p);
    dst.add(bytes, zv.memberOff, zv.memberLen, zv.scoreAt(p), 0, settings.zsetMaxListpackEntries, settings.zsetMaxListpackValue);
    p = reverse ? zv.prev(p) : zv.next(p);
  }
  if (!storeNewZset(c, dstArg, dst, true)) return;
  c.modified(dstArg);
  c.reply.int(n);
  c.notify(NotifyClass.ZSET, 'zrangestore', dstArg);
}

/** A STORE form's empty result: dbDelete the destination; del (and the WATCH touch) when it existed. */
export function deleteDestination(c: Client, dstArg: number): void {
  if (c.store.delete(c.db, c.argBuf, c.argOff[dstArg], c.argLen[dstArg])) {
    c.modified(dstArg);
    c.notify(NotifyClass.GENERIC, 'del', dstArg);
  }
}

/**
 * zrangeGenericCommand: ZRANGE / ZRANGESTORE (argStart = the source key's argument) and the
 * older Z[REV]RANGE[BYSCORE|BYLEX] forms, which fix the range type and direction.
 */
function zrangeGeneric(c: Client, argStart: number, store: boolean, rangeType: number, direction: number): void {
  let minIdx = argStart + 1;
  let maxIdx = argStart + 2;
  let withscores = false;
  let offset = 0;
  let limit = -1;
  for (let j = argStart + 3; j < c.argc; j++) {
    const left = c.argc - j - 1;
    if (!store && c.argIs(j, 'withscores')) {
      withscores = true;
    } else if (c.argIs(j, 'limit') && left >= 2) {
      const o = longArg(c, j + 1, null);
      if (o === null) return;
      const l = longArg(c, j + 2, null);
      if (l === null) return;
      offset = o;
      limit = l;
      j += 2;
    } else if (direction === Direction.AUTO && c.argIs(j, 'rev')) {
      direction = Direction.REVERSE;
    } else if (rangeType === RangeType.AUTO && c.argIs(j, 'bylex')) {
      rangeType = RangeType.LEX;
    } else if (rangeType === RangeType.AUTO && c.argIs(j, 'byscore')) {
      rangeType = RangeType.SCORE;
    } else {
      c.reply.raw(E_SYNTAX);
      return;
    }
  }
  if (direction === Direction.AUTO) direction = Direction.FORWARD;
  if (rangeType === RangeType.AUTO) rangeType = RangeType.RANK;
  if (limit !== -1 && rangeType === RangeType.RANK) {
    c.reply.raw(E_LIMIT_RANK);
    return;
  }
  if (withscores && rangeType === RangeType.LEX) {
    c.reply.raw(E_WITHSCORES_LEX);
    return;
  }
  const reverse = direction === Direction.REVERSE;
  if (reverse && rangeType !== RangeType.RANK) {
    const t = maxIdx;
    maxIdx = minIdx;
    minIdx = t;
  }
  let start = 0;
  let end = 0;
  if (rangeType === RangeType.RANK) {
    const s = longArg(c, minIdx, null);
    if (s === null) return;
    const e = longArg(c, maxIdx, null);
    if (e === null) return;
    start = s;
    end = e;
  } else if (rangeType === RangeType.SCORE) {
    if (!parseScoreRange(c, minIdx, maxIdx)) return;
  } else if (!parseLexRange(c, minIdx, maxIdx)) {
    return;
  }
  const zv = zsetOrNull(c, argStart, Lookup.READ);
  if (zv === false) return;
  if (zv === null) {
    if (store) {
      run.count = 0;
      storeRun(c, 1, null, reverse);
    } else {
      c.reply.raw(R_EMPTY_ARRAY);
    }
    return;
  }
  if (rangeType === RangeType.RANK) {
    rankRun(zv, start, end, reverse);
  } else if (rangeType === RangeType.SCORE) {
    const near = reverse ? zv.lastInRange(scoreRange) : zv.firstInRange(scoreRange);
    const far = near === ZNIL ? ZNIL : reverse ? zv.firstInRange(scoreRange) : zv.lastInRange(scoreRange);
    limitedRun(zv, near, far, offset, limit, reverse);
  } else {
    const near = reverse ? zv.lastInLexRange(lexRange) : zv.firstInLexRange(lexRange);
    const far = near === ZNIL ? ZNIL : reverse ? zv.firstInLexRange(lexRange) : zv.lastInLexRange(lexRange);
    limitedRun(zv, near, far, offset, limit, reverse);
  }
  if (store) storeRun(c, 1, zv, reverse);
  else replyRun(c, zv, reverse, withscores);
}

function cmdZrange(c: Client): void {
  zrangeGeneric(c, 1, false, RangeType.AUTO, Direction.AUTO);
}
function cmdZrangestore(c: Client): void {
  zrangeGeneric(c, 2, true, RangeType.AUTO, Direction.AUTO);
}
function cmdZrevrange(c: Client): void {
  zrangeGeneric(c, 1, false, RangeType.RANK, Direction.REVERSE);
}
function cmdZrangebyscore(c: Client): void {
  zrangeGeneric(c, 1, false, RangeType.SCORE, Direction.FORWARD);
}
function cmdZrevrangebyscore(c: Client): void {
  zrangeGeneric(c, 1, false, RangeType.SCORE, Direction.REVERSE);
}
function cmdZrangebylex(c: Client): void {
  zrangeGeneric(c, 1, false, RangeType.LEX, Direction.FORWARD);
}
function cmdZrevrangebylex(c: Client): void {
  zrangeGeneric(c, 1, false, RangeType.LEX, Direction.REVERSE);
}

// ---- ZREMRANGEBY* --------------------------------------------------------------------------------

function zremrangeGeneric(c: Client, rangeType: number): void {
  let start = 0;
  let end = 0;
  if (rangeType === RangeType.RANK) {
    const s = longArg(c, 2, null);
    if (s === null) return;
    const e = longArg(c, 3, null);
    if (e === null) return;
    start = s;
    end = e;
  } else if (rangeType === RangeType.SCORE) {
    if (!parseScoreRange(c, 2, 3)) return;
  } else if (!parseLexRange(c, 2, 3)) {
    return;
  }
  const zv = zsetOrReply(c, 1, Lookup.WRITE, R_ZERO);
  if (zv === null) return;
  const h = handle;
  const before = zv.bytes();
  let deleted: number;
  let event: string;
  if (rangeType === RangeType.RANK) {
    event = 'zremrangebyrank';
    const llen = zv.size();
    if (start < 0) start = llen + start;
    if (end < 0) end = llen + end;
    if (start < 0) start = 0;
    if (start > end || start >= llen) {
      c.reply.raw(R_ZERO);
      return;
    }
    if (end >= llen) end = llen - 1;
    deleted = zv.removeRangeByRank(start, end);
  } else if (rangeType === RangeType.SCORE) {
    event = 'zremrangebyscore';
    deleted = zv.removeRangeByScore(scoreRange);
  } else {
    event = 'zremrangebylex';
    deleted = zv.removeRangeByLex(lexRange);
  }
  const removed = zv.size() === 0;
  afterWrite(c, h, zv, before);
  if (deleted !== 0) {
    c.modified(1);
    c.notify(NotifyClass.ZSET, event, 1);
    if (removed) c.notify(NotifyClass.GENERIC, 'del', 1);
  }
  c.reply.int(deleted);
}

function cmdZremrangebyrank(c: Client): void {
  zremrangeGeneric(c, RangeType.RANK);
}
function cmdZremrangebyscore(c: Client): void {
  zremrangeGeneric(c, RangeType.SCORE);
}
function cmdZremrangebylex(c: Client): void {
  zremrangeGeneric(c, RangeType.LEX);
}

// ---- ZPOPMIN / ZPOPMAX / ZMPOP -------------------------------------------------------------------

const ZSET_MIN = 0;
const ZSET_MAX = 1;

/**
 * Pop from the zset at handle h (non-empty, key in argument keyArg), writing what
 * genericZpopCommand writes after the top-level header: rangelen members (nested pairs or
 * flat), then delete what was popped. Events as Redis: zpopmin/zpopmax (and the WATCH touch)
 * as the first member goes, del after the last when the set is left empty.
 */
function popMembers(c: Client, keyArg: number, h: number, zv: ZsetValue, where: number, rangelen: number, nested: boolean): void {
  const before = zv.bytes();
  const reply = c.reply;
  let p = where === ZSET_MAX ? zv.last() : zv.first();
  c.notify(NotifyClass.ZSET, where === ZSET_MAX ? 'zpopmax' : 'zpopmin', keyArg);
  c.modified(keyArg);
  for (let k = 0; k < rangelen; k++) {
    if (nested) reply.arrayLen(2);
    replyMember(c, zv, p);
    replyScore(c, zv.scoreAt(p));
    p = where === ZSET_MAX ? zv.prev(p) : zv.next(p);
  }
  const n = zv.size();
  if (where === ZSET_MAX) zv.removeRangeByRank(n - rangelen, n - 1);
  else zv.removeRangeByRank(0, rangelen - 1);
  afterWrite(c, h, zv, before);
  if (n === rangelen) c.notify(NotifyClass.GENERIC, 'del', keyArg);
}

/**
 * genericZpopCommand over the keys at argument indexes first..first+keyc-1. count -1 is the
 * plain single pop. emitKey: the key name leads the reply (ZMPOP, BZPOP*); nilWhenEmpty:
 * ZMPOP answers a null array when no key holds a set.
 */
export function zpopGeneric(
  c: Client, first: number, keyc: number, where: number, emitKey: boolean, count: number, nested: boolean, nilWhenEmpty: boolean,
): void {
  let zv: ZsetValue | null = null;
  let keyArg = -1;
  for (let i = 0; i < keyc; i++) {
    const r = zsetOrNull(c, first + i, Lookup.WRITE);
    if (r === false) return;
    if (r !== null) {
      zv = r;
      keyArg = first + i;
      break;
    }
  }
  const reply = c.reply;
  if (zv === null) {
    if (nilWhenEmpty) reply.nullArray();
    else reply.raw(R_EMPTY_ARRAY);
    return;
  }
  if (count === 0) {
    reply.raw(R_EMPTY_ARRAY);
    return;
  }
  if (count === -1) count = 1;
  const h = handle;
  const llen = zv.size();
  const rangelen = count > llen ? llen : count;
  if (!nested && !emitKey) {
    reply.arrayLen(rangelen * 2);
  } else if (nested && !emitKey) {
    reply.arrayLen(rangelen);
  } else if (!nested && emitKey) {
    reply.arrayLen(rangelen * 2 + 1);
    reply.bulk(c.argBuf, c.argOff[keyArg], c.argLen[keyArg]);
  } else {
    reply.arrayLen(2);
    reply.bulk(c.argBuf, c.argOff[keyArg], c.argLen[keyArg]);
    reply.arrayLen(rangelen);
  }
  popMembers(c, keyArg, h, zv, where, rangelen, nested);
}

function zpopMinMax(c: Client, where: number): void {
  if (c.argc > 3) {
    c.reply.raw(E_SYNTAX);
    return;
  }
  let count = -1;
  if (c.argc === 3) {
    const v = rangeLongArg(c, 2, 0n, INT64_MAX, E_POSITIVE, E_POSITIVE);
    if (v === null) return;
    count = v;
  }
  const nested = c.reply.resp === 3 && count !== -1;
  zpopGeneric(c, 1, 1, where, false, count, nested, false);
}

function cmdZpopmin(c: Client): void {
  zpopMinMax(c, ZSET_MIN);
}
function cmdZpopmax(c: Client): void {
  zpopMinMax(c, ZSET_MAX);
}

/** The parsed tail of ZMPOP / BZMPOP: numkeys, MIN|MAX, COUNT. */
export const mpopArgs = { numkeys: 0, where: 0, count: 1 };

/** Parse `numkeys key... MIN|MAX [COUNT n]` starting at numkeysIdx into mpopArgs; false after replying. */
export function parseMpopArgs(c: Client, numkeysIdx: number): boolean {
  const numkeys = rangeLongArg(c, numkeysIdx, 1n, INT64_MAX, E_NUMKEYS, E_NUMKEYS);
  if (numkeys === null) return false;
  const whereIdx = numkeysIdx + numkeys + 1;
  if (whereIdx >= c.argc) {
    c.reply.raw(E_SYNTAX);
    return false;
  }
  let where: number;
  if (c.argIs(whereIdx, 'min')) where = ZSET_MIN;
  else if (c.argIs(whereIdx, 'max')) where = ZSET_MAX;
  else {
    c.reply.raw(E_SYNTAX);
    return false;
  }
  let count = -1;
  for (let j = whereIdx + 1; j < c.argc; j++) {
    const more = c.argc - 1 - j;
    if (count === -1 && c.argIs(j, 'count') && more > 0) {
      j++;
      const v = rangeLongArg(c, j, 1n, INT64_MAX, E_COUNT, E_COUNT);
      if (v === null) return false;
      count = v;
    } else {
      c.reply.raw(E_SYNTAX);
      return false;
    }
  }
  mpopArgs.numkeys = numkeys;
  mpopArgs.where = where;
  mpopArgs.count = count === -1 ? 1 : count;
  return true;
}

function cmdZmpop(c: Client): void {
  if (!parseMpopArgs(c, 1)) return;
  zpopGeneric(c, 2, mpopArgs.numkeys, mpopArgs.where, true, mpopArgs.count, true, true);
}

// ---- BZPOPMIN / BZPOPMAX / BZMPOP ---------------------------------------------------------------

/**
 * What a blocked client waits to pop, packed into blockForKeys' number: the count (-1 for the
 * single-member BZPOP forms, whose reply is flat) and the end, as ±(count + 2), negative for MAX.
 */
function blockArg(where: number, count: number): number {
  return where === ZSET_MAX ? -(count + 2) : count + 2;
}

/** serveClientsBlockedOnSortedSetKey: pop for a woken client, or false (nothing written) when the key holds no set. */
function retryZpop(c: Client, keyArg: number, arg: number): boolean {
  const h = c.lookupArg(keyArg, Lookup.WRITE);
  if (h < 0 || c.store.typeOf(h) !== KeyType.ZSET) return false;
  const where = arg < 0 ? ZSET_MAX : ZSET_MIN;
  const count = (arg < 0 ? -arg : arg) - 2;
  const nested = count !== -1; // BZMPOP
  zpopGeneric(c, keyArg, 1, where, true, count, nested, nested);
  return true;
}

/** blockingGenericZpopCommand over the keys in arguments first..first+keyc-1. */
function blockingZpop(c: Client, first: number, keyc: number, where: number, timeoutArg: number, count: number): void {
  const deadline = parseTimeoutOrReply(c, timeoutArg);
  if (deadline < 0) return;
  const nested = count !== -1;
  for (let i = 0; i < keyc; i++) {
    const zv = zsetOrNull(c, first + i, Lookup.WRITE);
    if (zv === false) return;
    if (zv === null || zv.size() === 0) continue;
    zpopGeneric(c, first + i, 1, where, true, count, nested, nested);
    return;
  }
  if (c.denyBlocking) {
    c.reply.nullArray();
    return;
  }
  blockForKeys(c, first, first + keyc - 1, deadline, retryZpop, blockArg(where, count));
}

function cmdBzpopmin(c: Client): void {
  blockingZpop(c, 1, c.argc - 2, ZSET_MIN, c.argc - 1, -1);
}

function cmdBzpopmax(c: Client): void {
  blockingZpop(c, 1, c.argc - 2, ZSET_MAX, c.argc - 1, -1);
}

function cmdBzmpop(c: Client): void {
  if (!parseMpopArgs(c, 2)) return;
  blockingZpop(c, 3, mpopArgs.numkeys, mpopArgs.where, 1, mpopArgs.count);
}

// ---- ZRANDMEMBER ----------------------------------------------------------------------------------

function replyPair(c: Client, zv: ZsetValue, p: number, withscores: boolean): void {
  if (withscores && c.reply.resp === 3) c.reply.arrayLen(2);
  replyMember(c, zv, p);
  if (withscores) replyScore(c, zv.scoreAt(p));
}

function cmdZrandmember(c: Client): void {
  const reply = c.reply;
  if (c.argc >= 3) {
    const l = rangeLongArg(c, 2, -INT64_MAX, INT64_MAX, E_NOT_INTEGER, E_RANDMEMBER_RANGE);
    if (l === null) return;
    let withscores = false;
    if (c.argc > 4 || (c.argc === 4 && !c.argIs(3, 'withscores'))) {
      reply.raw(E_SYNTAX);
      return;
    }
    if (c.argc === 4) withscores = true;
    const zv = zsetOrReply(c, 1, Lookup.READ, R_EMPTY_ARRAY);
    if (zv === null) return;
    const size = zv.size();
    let count = l >= 0 ? l : -l;
    const uniq = l >= 0;
    if (count === 0) {
      reply.raw(R_EMPTY_ARRAY);
      return;
    }
    if (!uniq || count === 1) {
      if (count > RANDMEMBER_MAX_REPEATS) {
        reply.raw(E_RANDMEMBER_TOO_MANY);
        return;
      }
      reply.arrayLen(withscores && reply.resp === 2 ? count * 2 : count);
      while (count-- > 0) replyPair(c, zv, zv.randomPos(), withscores);
      return;
    }
    const n = count < size ? count : size;
    reply.arrayLen(withscores && reply.resp === 2 ? n * 2 : n);
    if (count >= size) {
      // The whole set, highest first (as zuiNext walks it).
      for (let p = zv.last(); p !== ZNIL; p = zv.prev(p)) replyPair(c, zv, p, withscores);
      return;
    }
    if (count * 3 > size) {
      // Partial Fisher-Yates over all ranks.
      const ranks = new Int32Array(size);
      for (let i = 0; i < size; i++) ranks[i] = i;
      for (let i = 0; i < count; i++) {
        const j = i + Math.floor(Math.random() * (size - i));
        const t = ranks[i];
        ranks[i] = ranks[j];
        ranks[j] = t;
        replyPair(c, zv, zv.atRank(ranks[i]), withscores);
      }
      return;
    }
    const seen = new Set<number>();
    while (seen.size < count) {
      const r = Math.floor(Math.random() * size);
      if (seen.has(r)) continue;
      seen.add(r);
      replyPair(c, zv, zv.atRank(r), withscores);
    }
    return;
  }
  const h = c.lookupArg(1, Lookup.READ);
  if (h < 0) {
    reply.nullBulk();
    return;
  }
  if (c.store.typeOf(h) !== KeyType.ZSET) {
    reply.raw(E_WRONGTYPE);
    return;
  }
  const zv = zsetAt(c.store, h);
  replyMember(c, zv, zv.randomPos());
}

// ---- ZSCAN ----------------------------------------------------------------------------------------

const scanFound: number[] = [];

function cmdZscan(c: Client): void {
  const cursor = scanCursorOrReply(c, 2);
  if (cursor < 0) return;
  const zv = zsetOrReply(c, 1, Lookup.READ, R_EMPTY_SCAN);
  if (zv === null) return;
  if (!scanOptionsOrReply(c, 3)) return;
  const count = scanArgs.count;
  const usePattern = scanArgs.usePattern;
  const pbuf = scanArgs.patBuf!;
  const poff = scanArgs.patOff;
  const plen = scanArgs.patLen;
  const reply = c.reply;
  const found = scanFound;
  found.length = 0;
  let next = 0;
  if (zv.isListpack()) {
    for (let p = zv.first(); p !== ZNIL; p = zv.next(p)) found.push(p);
  } else {
    const sl = zv.sl!;
    let maxIterations = count * 20;
    next = cursor;
    const visit = (x: number): void => {
      found.push(x);
    };
    do {
      next = sl.scanStep(next, visit);
    } while (next !== 0 && maxIterations-- > 0 && found.length < count);
  }
  let kept = 0;
  for (let k = 0; k < found.length; k++) {
    const p = found[k];
    if (usePattern) {
      const bytes = zv.member(p);
      if (!globMatch(pbuf, poff, plen, bytes, zv.memberOff, zv.memberLen, false)) continue;
    }
    found[kept++] = p;
  }
  const listpack = zv.isListpack();
  reply.arrayLen(2);
  reply.bulkString(String(next));
  reply.arrayLen(kept * 2);
  for (let k = 0; k < kept; k++) {
    const p = found[k];
    replyMember(c, zv, p);
    const s = zv.scoreAt(p);
    reply.bulkLatin1(listpack ? listpackScoreText(s) : formatDouble(s));
  }
  found.length = 0;
}

// ---- ZUNION / ZINTER / ZDIFF and STORE forms, ZINTERCARD ----------------------------------------

interface OpSource {
  zv: ZsetValue | null;
  /** A plain set source: every member scores 1. */
  set: SetValue | null;
  /** The key's handle, -1 when missing (identity test for the same key given twice). */
  handle: number;
  weight: number;
  size: number;
}

const SET_OP_UNION = 0;
const SET_OP_INTER = 1;
const SET_OP_DIFF = 2;
const AGGR_SUM = 1;
const AGGR_MIN = 2;
const AGGR_MAX = 3;

function aggregate(target: number, val: number, aggr: number): number {
  if (aggr === AGGR_SUM) {
    const r = target + val;
    return r !== r ? 0 : r;
  }
  if (aggr === AGGR_MIN) return val < target ? val : target;
  return val > target ? val : target;
}

/** Score of a member in a source, NaN when absent (zuiFind). */
function sourceScore(src: OpSource, buf: Uint8Array, off: number, len: number): number {
  if (src.zv !== null) return src.zv.score(buf, off, len);
  if (src.set !== null) return src.set.has(buf, off, len) ? 1 : NaN;
  return NaN;
}

/** Visit every member of a source with its score, until visit returns false. */
function forEachSource(src: OpSource, visit: (buf: Uint8Array, off: number, len: number, score: number) => boolean): void {
  const zv = src.zv;
  if (zv !== null) {
    for (let p = zv.last(); p !== ZNIL; p = zv.prev(p)) {
      const bytes = zv.member(p);
      if (!visit(bytes, zv.memberOff, zv.memberLen, zv.scoreAt(p))) return;
    }
  } else if (src.set !== null) {
    const set = src.set;
    const e = setMember;
    for (let h = set.first(); h >= 0; h = set.next(h)) {
      set.read(h, e);
      if (!visit(e.buf, e.off, e.len, 1)) return;
    }
  }
}

const setMember = new ElementBytes();

/**
 * zunionInterDiffGenericCommand. dstArg: the destination's argument (STORE forms) or -1;
 * numkeysIdx: where numkeys is; cardinalityOnly: ZINTERCARD.
 */
function zsetOperation(c: Client, dstArg: number, numkeysIdx: number, op: number, cardinalityOnly: boolean): void {
  const setnum = longArg(c, numkeysIdx, null);
  if (setnum === null) return;
  if (setnum < 1) {
    c.reply.error(`ERR at least 1 input key is needed for '${c.lastCommand!.fullName}' command`);
    return;
  }
  if (setnum > c.argc - (numkeysIdx + 1)) {
    c.reply.raw(E_SYNTAX);
    return;
  }
  const store = c.store;
  const src: OpSource[] = [];
  let j = numkeysIdx + 1;
  for (let i = 0; i < setnum; i++, j++) {
    const h = c.lookupArg(j, Lookup.READ);
    const s: OpSource = { zv: null, set: null, handle: -1, weight: 1, size: 0 };
    if (h >= 0) {
      const type = store.typeOf(h);
      if (type === KeyType.ZSET) {
        // Copies of packed sets: the shared view holds one set at a time.
        const zv = zsetAt(store, h);
        s.zv = isZsetView(zv) ? zv.clone() : zv;
        s.size = s.zv.size();
      } else if (type === KeyType.SET) {
        s.set = store.objectOf(h) as SetValue;
        s.size = s.set.size();
      } else {
        c.reply.raw(E_WRONGTYPE);
        return;
      }
      s.handle = h;
    }
    src.push(s);
  }
  let aggr = AGGR_SUM;
  let withscores = false;
  let limit = 0;
  let remaining = c.argc - j;
  while (remaining > 0) {
    if (op !== SET_OP_DIFF && !cardinalityOnly && remaining >= setnum + 1 && c.argIs(j, 'weights')) {
      j++;
      remaining--;
      for (let i = 0; i < setnum; i++, j++, remaining--) {
        const w = doubleArg(c, j, E_WEIGHT);
        if (w === null) return;
        src[i].weight = w;
      }
    } else if (op !== SET_OP_DIFF && !cardinalityOnly && remaining >= 2 && c.argIs(j, 'aggregate')) {
      j++;
      remaining--;
      if (c.argIs(j, 'sum')) aggr = AGGR_SUM;
      else if (c.argIs(j, 'min')) aggr = AGGR_MIN;
      else if (c.argIs(j, 'max')) aggr = AGGR_MAX;
      else {
        c.reply.raw(E_SYNTAX);
        return;
      }
      j++;
      remaining--;
    } else if (remaining >= 1 && dstArg < 0 && !cardinalityOnly && c.argIs(j, 'withscores')) {
      j++;
      remaining--;
      withscores = true;
    } else if (cardinalityOnly && remaining >= 2 && c.argIs(j, 'limit')) {
      j++;
      remaining--;
      const v = rangeLongArg(c, j, 0n, INT64_MAX, E_LIMIT_NEGATIVE, E_LIMIT_NEGATIVE);
      if (v === null) return;
      limit = v;
      j++;
      remaining--;
    } else {
      c.reply.raw(E_SYNTAX);
      return;
    }
  }
  // Smallest first (a stable sort, as glibc's qsort is for these sizes).
  if (op !== SET_OP_DIFF) src.sort((a, b) => a.size - b.size);

  const dst = new ZsetValue(true, 16);
  const dsl = dst.sl!;
  let cardinality = 0;
  if (op === SET_OP_INTER) {
    if (src[0].size > 0) {
      const first = src[0];
      forEachSource(first, (buf, off, len, zscore) => {
        let score = first.weight * zscore;
        if (score !== score) score = 0;
        let k = 1;
        for (; k < src.length; k++) {
          const other = src[k];
          let value: number;
          if (other.handle === first.handle) value = zscore * other.weight;
          else {
            value = sourceScore(other, buf, off, len);
            if (value !== value) break;
            value *= other.weight;
          }
          score = aggregate(score, value, aggr);
        }
        if (k !== src.length) return true;
        if (cardinalityOnly) {
          cardinality++;
          return limit === 0 || cardinality < limit;
        }
        dsl.insert(buf, off, len, score);
        return true;
      });
    }
  } else if (op === SET_OP_UNION) {
    for (const s of src) {
      if (s.size === 0) continue;
      forEachSource(s, (buf, off, len, zscore) => {
        let score = s.weight * zscore;
        if (score !== score) score = 0;
        const x = dsl.find(buf, off, len);
        if (x < 0) {
          dsl.insert(buf, off, len, score);
        } else {
          const cur = dsl.score[x];
          const next = aggregate(cur, score, aggr);
          if (next !== cur || Object.is(next, -0) !== Object.is(cur, -0)) dsl.updateScore(x, next);
        }
        return true;
      });
    }
  } else {
    const first = src[0];
    if (first.size > 0) {
      forEachSource(first, (buf, off, len, zscore) => {
        for (let k = 1; k < src.length; k++) {
          const other = src[k];
          if (other.handle === first.handle) return true;
          if (other.size > 0) {
            const v = sourceScore(other, buf, off, len);
            if (v === v) return true;
          }
        }
        dsl.insert(buf, off, len, zscore);
        return true;
      });
    }
  }

  const reply = c.reply;
  if (dstArg >= 0) {
    if (dst.size() > 0) {
      const settings = c.server.settings;
      dst.compactIfSmall(settings.zsetMaxListpackEntries, settings.zsetMaxListpackValue);
      if (!storeNewZset(c, dstArg, dst, true)) return;
      c.modified(dstArg);
      reply.int(dst.size());
      c.notify(NotifyClass.ZSET, op === SET_OP_UNION ? 'zunionstore' : op === SET_OP_INTER ? 'zinterstore' : 'zdiffstore', dstArg);
    } else {
      reply.raw(R_ZERO);
      deleteDestination(c, dstArg);
    }
    return;
  }
  if (cardinalityOnly) {
    reply.int(cardinality);
    return;
  }
  run.pos = dst.first();
  run.count = dst.size();
  replyRun(c, dst, false, withscores);
}

function cmdZunionstore(c: Client): void {
  zsetOperation(c, 1, 2, SET_OP_UNION, false);
}
function cmdZinterstore(c: Client): void {
  zsetOperation(c, 1, 2, SET_OP_INTER, false);
}
function cmdZdiffstore(c: Client): void {
  zsetOperation(c, 1, 2, SET_OP_DIFF, false);
}
function cmdZunion(c: Client): void {
  zsetOperation(c, -1, 1, SET_OP_UNION, false);
}
function cmdZinter(c: Client): void {
  zsetOperation(c, -1, 1, SET_OP_INTER, false);
}
function cmdZdiff(c: Client): void {
  zsetOperation(c, -1, 1, SET_OP_DIFF, false);
}
function cmdZintercard(c: Client): void {
  zsetOperation(c, -1, 1, SET_OP_INTER, true);
}

export function registerZsetCommands(registry: Registry): void {
  registry.add('zadd', cmdZadd);
  registry.add('zincrby', cmdZincrby);
  registry.add('zrem', cmdZrem);
  registry.add('zcard', cmdZcard);
  registry.add('zscore', cmdZscore);
  registry.add('zmscore', cmdZmscore);
  registry.add('zrank', cmdZrank);
  registry.add('zrevrank', cmdZrevrank);
  registry.add('zcount', cmdZcount);
  registry.add('zlexcount', cmdZlexcount);
  registry.add('zrange', cmdZrange);
  registry.add('zrangestore', cmdZrangestore);
  registry.add('zrevrange', cmdZrevrange);
  registry.add('zrangebyscore', cmdZrangebyscore);
  registry.add('zrevrangebyscore', cmdZrevrangebyscore);
  registry.add('zrangebylex', cmdZrangebylex);
  registry.add('zrevrangebylex', cmdZrevrangebylex);
  registry.add('zremrangebyrank', cmdZremrangebyrank);
  registry.add('zremrangebyscore', cmdZremrangebyscore);
  registry.add('zremrangebylex', cmdZremrangebylex);
  registry.add('zpopmin', cmdZpopmin);
  registry.add('zpopmax', cmdZpopmax);
  registry.add('zmpop', cmdZmpop);
  registry.add('bzpopmin', cmdBzpopmin);
  registry.add('bzpopmax', cmdBzpopmax);
  registry.add('bzmpop', cmdBzmpop);
  registry.add('zrandmember', cmdZrandmember);
  registry.add('zscan', cmdZscan);
  registry.add('zunion', cmdZunion);
  registry.add('zinter', cmdZinter);
  registry.add('zdiff', cmdZdiff);
  registry.add('zunionstore', cmdZunionstore);
  registry.add('zinterstore', cmdZinterstore);
  registry.add('zdiffstore', cmdZdiffstore);
  registry.add('zintercard', cmdZintercard);
}
