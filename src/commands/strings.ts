/*
 * String commands (Redis 7.0 t_string.c semantics): GET/SET and their variants share one
 * generic setter and one option parser; the INCR family shares one 64-bit adder with a
 * number fast path and a bigint path beyond 2^53. Values are copied into the store on write
 * and out of it into the reply writer on read; nothing keeps a view of either.
 *
 * Each write signals the key (WATCH) and publishes its keyspace event where t_string.c does,
 * and only when the value changed: "set" (SET family, GETSET, MSET), "expire" / "persist" /
 * "del" (SET with an expiry, GETEX, GETDEL), "append", "setrange", "incrby", "incrbyfloat".
 * The store publishes "new" itself when it creates a key (dbAdd), before the command's event.
 */
import type { Client } from '../client.ts';
import type { Registry } from '../registry.ts';
import {
  R_OK, R_ZERO, R_ONE, R_EMPTY_BULK,
  E_WRONGTYPE, E_SYNTAX, E_NOT_INTEGER, E_NOT_FLOAT, E_OVERFLOW, E_OOM, E_STRING_TOO_LONG, E_OFFSET,
} from '../../protocol/replies.ts';
import { Status, KeyType, Lookup, Encoding, KEEP_TTL, NO_TTL, PREFETCH_MAX } from '../../store/types.ts';
import { parsed, parsedBigInt, parseInt64, INT64_MAX, INT64_MIN } from '../numbers.ts';
import { parseLongDouble, addLongDouble, isFiniteLongDouble, formatLongDoubleHuman, type LongDouble } from '../long-double.ts';
import { NotifyClass } from '../keyspace-events.ts';

const LONG_DOUBLE_ZERO: LongDouble = { kind: 'finite', neg: false, sig: 0n, exp: 0 };

const SetFlag = {
  NX: 1,
  XX: 2,
  GET: 4,
  KEEPTTL: 8,
  PERSIST: 16,
  EX: 32,
  PX: 64,
  EXAT: 128,
  PXAT: 256,
} as const;
const ANY_EXPIRE = SetFlag.EX | SetFlag.PX | SetFlag.EXAT | SetFlag.PXAT;

/** Parsed SET/GETEX options of the current command (one per process: commands run one at a time). */
const options = { flags: 0, expireArg: -1, expireAt: NO_TTL };

const COMMAND_SET = 0;
const COMMAND_GET = 1;

/**
 * parseExtendedStringArgumentsOrReply: options from argument `first` on. On error the reply
 * is written and false returned.
 */
function parseStringOptions(c: Client, first: number, commandType: number): boolean {
  let flags = 0;
  options.expireArg = -1;
  for (let j = first; j < c.argc; j++) {
    const hasNext = j + 1 < c.argc;
    if (c.argIs(j, 'nx') && (flags & SetFlag.XX) === 0 && commandType === COMMAND_SET) {
      flags |= SetFlag.NX;
    } else if (c.argIs(j, 'xx') && (flags & SetFlag.NX) === 0 && commandType === COMMAND_SET) {
      flags |= SetFlag.XX;
    } else if (c.argIs(j, 'get') && commandType === COMMAND_SET) {
      flags |= SetFlag.GET;
    } else if (c.argIs(j, 'keepttl') && (flags & (SetFlag.PERSIST | ANY_EXPIRE)) === 0 && commandType === COMMAND_SET) {
      flags |= SetFlag.KEEPTTL;
    } else if (c.argIs(j, 'persist') && commandType === COMMAND_GET && (flags & (ANY_EXPIRE | SetFlag.KEEPTTL)) === 0) {
      flags |= SetFlag.PERSIST;
    } else if (c.argIs(j, 'ex') && (flags & (SetFlag.KEEPTTL | SetFlag.PERSIST | SetFlag.EXAT | SetFlag.PX | SetFlag.PXAT)) === 0 && hasNext) {
      flags |= SetFlag.EX;
      options.expireArg = ++j;
    } else if (c.argIs(j, 'px') && (flags & (SetFlag.KEEPTTL | SetFlag.PERSIST | SetFlag.EX | SetFlag.EXAT | SetFlag.PXAT)) === 0 && hasNext) {
      flags |= SetFlag.PX;
      options.expireArg = ++j;
    } else if (c.argIs(j, 'exat') && (flags & (SetFlag.KEEPTTL | SetFlag.PERSIST | SetFlag.EX | SetFlag.PX | SetFlag.PXAT)) === 0 && hasNext) {
      flags |= SetFlag.EXAT;
      options.expireArg = ++j;
    } else if (c.argIs(j, 'pxat') && (flags & (SetFlag.KEEPTTL | SetFlag.PERSIST | SetFlag.EX | SetFlag.EXAT | SetFlag.PX)) === 0 && hasNext) {
      flags |= SetFlag.PXAT;
      options.expireArg = ++j;
    } else {
      c.reply.raw(E_SYNTAX);
      return false;
    }
  }
  options.flags = flags;
  options.expireAt = flags & SetFlag.KEEPTTL ? KEEP_TTL : NO_TTL;
  // GETEX validates its expire time only once the key is found to be a string (t_string.c).
  if (commandType === COMMAND_SET) return optionsExpireOrReply(c);
  return true;
}

/** getExpireMillisecondsOrReply for the EX/PX/EXAT/PXAT argument parsed into options, if any. */
function optionsExpireOrReply(c: Client): boolean {
  if (options.expireArg < 0) return true;
  const flags = options.flags;
  const seconds = (flags & (SetFlag.EX | SetFlag.EXAT)) !== 0;
  const relative = (flags & (SetFlag.EX | SetFlag.PX)) !== 0;
  return expireArgument(c, options.expireArg, seconds, relative);
}

/** The largest EX/PX/EXAT/PXAT value computed in plain numbers: x 1000, plus now, stays below 2^53. */
const MAX_PLAIN_EXPIRE = 1e12;

/** getExpireMillisecondsOrReply: argument i as an absolute ms time into options.expireAt. */
function expireArgument(c: Client, i: number, seconds: boolean, relative: boolean): boolean {
  if (!c.argInt64(i)) {
    c.reply.raw(E_NOT_INTEGER);
    return false;
  }
  // Plain numbers while the result stays far below 2^53 (every realistic TTL); BigInt beyond.
  if (!parsed.isBig && parsed.num > 0 && parsed.num <= MAX_PLAIN_EXPIRE) {
    const ms = seconds ? parsed.num * 1000 : parsed.num;
    options.expireAt = relative ? ms + c.server.clock.now : ms;
    return true;
  }
  let ms = parsedBigInt();
  if (ms <= 0n || (seconds && ms > INT64_MAX / 1000n)) {
    replyInvalidExpire(c);
    return false;
  }
  if (seconds) ms *= 1000n;
  if (relative) ms += BigInt(c.server.clock.now);
  if (ms <= 0n || ms > INT64_MAX) {
    replyInvalidExpire(c);
    return false;
  }
  options.expireAt = Number(ms);
  return true;
}

export function replyInvalidExpire(c: Client): void {
  c.reply.error(`ERR invalid expire time in '${c.lastCommand!.fullName}' command`);
}

/**
 * lookupKeyRead plus checkType: the handle of the string at argument i, or -1 after replying
 * `missing` (nil when null) for an absent key or WRONGTYPE for another type.
 */
function lookupStringOrReply(c: Client, i: number, missing: Uint8Array | null): number {
  return c.lookupTypedOrReply(i, KeyType.STRING, Lookup.READ, missing);
}

/** Reply the string value of handle h as a bulk string. */
function replyString(c: Client, h: number): void {
  const store = c.store;
  const len = store.stringLength(h);
  const bytes = store.stringBytes(h);
  c.reply.bulk(bytes, store.offset, len);
}

/** getGenericCommand: reply the value (nil when missing); false when the key holds another type. */
function getGeneric(c: Client): boolean {
  const h = c.lookupArg(1, Lookup.READ);
  if (h >= 0 && c.store.typeOf(h) !== KeyType.STRING) {
    c.reply.raw(E_WRONGTYPE);
    return false;
  }
  if (h < 0) c.reply.nullBulk();
  else replyString(c, h);
  return true;
}

function cmdGet(c: Client): void {
  getGeneric(c);
}

/**
 * setGenericCommand: store argv[valueArg] at argv[1] with options.flags / options.expireAt,
 * replying okReply / abortReply (null meaning nil) unless GET was given.
 */
function setGeneric(c: Client, valueArg: number, okReply: Uint8Array, abortReply: Uint8Array | null): void {
  const flags = options.flags;
  const mark = c.reply.mark();
  if (flags & SetFlag.GET) {
    if (!getGeneric(c)) return;
  }
  if (flags & (SetFlag.NX | SetFlag.XX)) {
    const found = c.lookupArg(1, Lookup.WRITE) >= 0;
    if (((flags & SetFlag.NX) !== 0 && found) || ((flags & SetFlag.XX) !== 0 && !found)) {
      if ((flags & SetFlag.GET) === 0) {
        if (abortReply === null) c.reply.nullBulk();
        else c.reply.raw(abortReply);
      }
      return;
    }
  }
  const expireAt = options.expireAt;
  // An absolute time already past: the store drops the key at once (see setExpiredString).
  if (expireAt > 0 && expireAt <= c.server.clock.now) {
    setExpiredString(c);
  } else {
    const status = c.store.setString(
      c.db, c.argBuf, c.argOff[1], c.argLen[1],
      c.argBuf, c.argOff[valueArg], c.argLen[valueArg],
      expireAt, Encoding.INT,
    );
    if (status === Status.OOM) {
      // The write failed and the key is as it was: take back the GET reply, answer only the error.
      c.reply.truncate(mark);
      c.reply.raw(E_OOM);
      return;
    }
    c.modified(1);
    c.notify(NotifyClass.STRING, 'set', 1);
    if (expireAt > 0) c.notify(NotifyClass.GENERIC, 'expire', 1);
  }
  if ((flags & SetFlag.GET) === 0) c.reply.raw(okReply);
}

/**
 * SET ... EXAT/PXAT with a time already past. Redis sets the key ("new" when it was absent,
 * "set", "expire") and its expiry removes it soon after ("expired": at the next access, or
 * the next active-expire cycle, within ~100 ms). The store drops such a key at once, so the
 * whole sequence is published here, the "expired" one included, and counted in expired_keys.
 */
function setExpiredString(c: Client): void {
  const found = c.lookupArg(1, Lookup.PEEK) >= 0;
  c.store.delete(c.db, c.argBuf, c.argOff[1], c.argLen[1]);
  if (!found) c.notify(NotifyClass.NEW, 'new', 1);
  c.modified(1);
  c.notify(NotifyClass.STRING, 'set', 1);
  c.notify(NotifyClass.GENERIC, 'expire', 1);
  c.notify(NotifyClass.EXPIRED, 'expired', 1);
  c.store.stats.expiredKeys++;
}

function cmdSet(c: Client): void {
  if (!parseStringOptions(c, 3, COMMAND_SET)) return;
  setGeneric(c, 2, R_OK, null);
}

function cmdSetnx(c: Client): void {
  options.flags = SetFlag.NX;
  options.expireAt = NO_TTL;
  setGeneric(c, 2, R_ONE, R_ZERO);
}

function cmdSetex(c: Client): void {
  options.flags = 0;
  if (!expireArgument(c, 2, true, true)) return;
  setGeneric(c, 3, R_OK, null);
}

function cmdPsetex(c: Client): void {
  options.flags = 0;
  if (!expireArgument(c, 2, false, true)) return;
  setGeneric(c, 3, R_OK, null);
}

function cmdGetset(c: Client): void {
  const mark = c.reply.mark();
  if (!getGeneric(c)) return;
  if (!setStringOrReply(c, 1, 2, NO_TTL)) {
    c.reply.truncate(mark);
    c.reply.raw(E_OOM);
    return;
  }
  c.modified(1);
  c.notify(NotifyClass.STRING, 'set', 1);
}

/** Store argv[valueArg] at argv[keyArg]; false when out of memory (nothing replied, the key unchanged). */
function setStringOrReply(c: Client, keyArg: number, valueArg: number, expireAt: number): boolean {
  const status = c.store.setString(
    c.db, c.argBuf, c.argOff[keyArg], c.argLen[keyArg],
    c.argBuf, c.argOff[valueArg], c.argLen[valueArg], expireAt, Encoding.INT,
  );
  return status === Status.OK;
}

function cmdGetdel(c: Client): void {
  const h = lookupStringOrReply(c, 1, null);
  if (h < 0) return;
  replyString(c, h);
  c.store.deleteHandle(h);
  c.modified(1);
  c.notify(NotifyClass.GENERIC, 'del', 1);
}

function cmdGetex(c: Client): void {
  if (!parseStringOptions(c, 2, COMMAND_GET)) return;
  const h = lookupStringOrReply(c, 1, null);
  if (h < 0) return;
  if (!optionsExpireOrReply(c)) return;
  replyString(c, h);
  const flags = options.flags;
  if ((flags & (SetFlag.PXAT | SetFlag.EXAT)) !== 0 && options.expireAt <= c.server.clock.now) {
    c.store.deleteHandle(h);
    c.modified(1);
    c.notify(NotifyClass.GENERIC, 'del', 1);
  } else if (flags & ANY_EXPIRE) {
    c.store.setExpireAt(h, options.expireAt);
    c.modified(1);
    c.notify(NotifyClass.GENERIC, 'expire', 1);
  } else if (flags & SetFlag.PERSIST) {
    if (c.store.persist(h)) {
      c.modified(1);
      c.notify(NotifyClass.GENERIC, 'persist', 1);
    }
  }
}

function cmdMget(c: Client): void {
  const store = c.store;
  c.reply.arrayLen(c.argc - 1);
  for (let i = 1; i < c.argc; i++) {
    if ((i - 1) % PREFETCH_MAX === 0) c.prefetchArgs(i, 1);
    const h = c.lookupArg(i, Lookup.READ);
    if (h < 0 || store.typeOf(h) !== KeyType.STRING) c.reply.nullBulk();
    else replyString(c, h);
  }
}

function msetPairs(c: Client): boolean {
  for (let i = 1; i < c.argc; i += 2) {
    if ((i - 1) % (2 * PREFETCH_MAX) === 0) c.prefetchArgs(i, 2);
    if (!setStringOrReply(c, i, i + 1, NO_TTL)) {
      c.reply.raw(E_OOM);
      return false;
    }
    c.modified(i);
    c.notify(NotifyClass.STRING, 'set', i);
  }
  return true;
}

function replyArity(c: Client): void {
  c.reply.error(`ERR wrong number of arguments for '${c.lastCommand!.fullName}' command`);
}

function cmdMset(c: Client): void {
  if (c.argc % 2 === 0) {
    replyArity(c);
    return;
  }
  if (msetPairs(c)) c.reply.raw(R_OK);
}

function cmdMsetnx(c: Client): void {
  if (c.argc % 2 === 0) {
    replyArity(c);
    return;
  }
  for (let i = 1; i < c.argc; i += 2) {
    if (c.lookupArg(i, Lookup.WRITE) >= 0) {
      c.reply.raw(R_ZERO);
      return;
    }
  }
  for (let i = 1; i < c.argc; i += 2) {
    if (!setStringOrReply(c, i, i + 1, NO_TTL)) {
      // All or nothing: the keys set so far were all new, so deleting them restores the db
      // (their "set" events have gone out: a "del" follows each, so subscribers end consistent).
      for (let j = 1; j < i; j += 2) {
        if (c.store.delete(c.db, c.argBuf, c.argOff[j], c.argLen[j])) {
          c.modified(j);
          c.notify(NotifyClass.GENERIC, 'del', j);
        }
      }
      c.reply.raw(E_OOM);
      return;
    }
    c.modified(i);
    c.notify(NotifyClass.STRING, 'set', i);
  }
  c.reply.raw(R_ONE);
}

function checkStringLength(c: Client, size: number, append: number): boolean {
  if (size + append > c.server.settings.protoMaxBulkLen) {
    c.reply.raw(E_STRING_TOO_LONG);
    return false;
  }
  return true;
}

function cmdAppend(c: Client): void {
  const store = c.store;
  const h = c.lookupArg(1, Lookup.WRITE);
  if (h < 0) {
    if (!setStringOrReply(c, 1, 2, NO_TTL)) {
      c.reply.raw(E_OOM);
      return;
    }
    c.modified(1);
    c.notify(NotifyClass.STRING, 'append', 1);
    c.reply.int(c.argLen[2]);
    return;
  }
  if (store.typeOf(h) !== KeyType.STRING) {
    c.reply.raw(E_WRONGTYPE);
    return;
  }
  if (!checkStringLength(c, store.stringLength(h), c.argLen[2])) return;
  const result = store.append(c.db, c.argBuf, c.argOff[1], c.argLen[1], c.argBuf, c.argOff[2], c.argLen[2]);
  if (result >= 0) {
    c.modified(1);
    c.notify(NotifyClass.STRING, 'append', 1);
  }
  replyLengthOrStatus(c, result);
}

function replyLengthOrStatus(c: Client, result: number): void {
  if (result >= 0) c.reply.int(result);
  else if (result === -Status.WRONG_TYPE) c.reply.raw(E_WRONGTYPE);
  else c.reply.raw(E_OOM);
}

function cmdStrlen(c: Client): void {
  const h = lookupStringOrReply(c, 1, R_ZERO);
  if (h < 0) return;
  c.reply.int(c.store.stringLength(h));
}

/** incrDecrCommand: add `by` (a number within +-2^53, or a bigint) to the integer at argv[1]. */
function incrDecrGeneric(c: Client, by: number | bigint): void {
  const store = c.store;
  const h = c.lookupArg(1, Lookup.WRITE);
  let current: number | bigint = 0;
  if (h >= 0) {
    if (store.typeOf(h) !== KeyType.STRING) {
      c.reply.raw(E_WRONGTYPE);
      return;
    }
    if (store.isInteger(h)) {
      current = store.integerValue(h);
    } else {
      const len = store.stringLength(h);
      const bytes = store.stringBytes(h);
      if (!parseInt64(bytes, store.offset, len)) {
        c.reply.raw(E_NOT_INTEGER);
        return;
      }
      current = parsed.isBig ? parsed.big : parsed.num;
    }
  }
  let result: number | bigint;
  if (typeof current === 'number' && typeof by === 'number' && Math.abs(current) < 2 ** 52 && Math.abs(by) < 2 ** 52) {
    result = current + by;
  } else {
    const sum = BigInt(current) + BigInt(by);
    if (sum > INT64_MAX || sum < INT64_MIN) {
      c.reply.raw(E_OVERFLOW);
      return;
    }
    result = sum >= -9007199254740991n && sum <= 9007199254740991n ? Number(sum) : sum;
  }
  const status = store.setInteger(c.db, c.argBuf, c.argOff[1], c.argLen[1], result, KEEP_TTL);
  if (status !== Status.OK) {
    c.reply.raw(E_OOM);
    return;
  }
  c.modified(1);
  c.notify(NotifyClass.STRING, 'incrby', 1);
  c.reply.int(result);
}

function cmdIncr(c: Client): void {
  incrDecrGeneric(c, 1);
}

function cmdDecr(c: Client): void {
  incrDecrGeneric(c, -1);
}

function cmdIncrby(c: Client): void {
  if (!c.argInt64(2)) {
    c.reply.raw(E_NOT_INTEGER);
    return;
  }
  incrDecrGeneric(c, parsed.isBig ? parsed.big : parsed.num);
}

function cmdDecrby(c: Client): void {
  if (!c.argInt64(2)) {
    c.reply.raw(E_NOT_INTEGER);
    return;
  }
  if (parsed.isBig && parsed.big === INT64_MIN) {
    c.reply.error('ERR decrement would overflow');
    return;
  }
  incrDecrGeneric(c, parsed.isBig ? -parsed.big : -parsed.num);
}

/** INCRBYFLOAT in emulated x87 long double, so results match Redis digit for digit. */
function cmdIncrbyfloat(c: Client): void {
  const store = c.store;
  const h = c.lookupArg(1, Lookup.WRITE);
  let current: LongDouble = LONG_DOUBLE_ZERO;
  if (h >= 0) {
    if (store.typeOf(h) !== KeyType.STRING) {
      c.reply.raw(E_WRONGTYPE);
      return;
    }
    const len = store.stringLength(h);
    const parsedValue = parseLongDouble(store.stringBytes(h), store.offset, len);
    if (parsedValue === null) {
      c.reply.raw(E_NOT_FLOAT);
      return;
    }
    current = parsedValue;
  }
  const increment = parseLongDouble(c.argBuf, c.argOff[2], c.argLen[2]);
  if (increment === null) {
    c.reply.raw(E_NOT_FLOAT);
    return;
  }
  const value = addLongDouble(current, increment);
  if (!isFiniteLongDouble(value)) {
    c.reply.error('ERR increment would produce NaN or Infinity');
    return;
  }
  const text = Buffer.from(formatLongDoubleHuman(value), 'latin1');
  const status = store.setString(c.db, c.argBuf, c.argOff[1], c.argLen[1], text, 0, text.length, KEEP_TTL, Encoding.EMBSTR);
  if (status !== Status.OK) {
    c.reply.raw(E_OOM);
    return;
  }
  c.modified(1);
  c.notify(NotifyClass.STRING, 'incrbyfloat', 1);
  c.reply.bulk(text, 0, text.length);
}

function cmdGetrange(c: Client): void {
  if (!c.argInt64(2)) {
    c.reply.raw(E_NOT_INTEGER);
    return;
  }
  let start = parsed.isBig ? Number(parsed.big) : parsed.num;
  if (!c.argInt64(3)) {
    c.reply.raw(E_NOT_INTEGER);
    return;
  }
  let end = parsed.isBig ? Number(parsed.big) : parsed.num;
  const store = c.store;
  const h = lookupStringOrReply(c, 1, R_EMPTY_BULK);
  if (h < 0) return;
  const len = store.stringLength(h);
  if (start < 0 && end < 0 && start > end) {
    c.reply.raw(R_EMPTY_BULK);
    return;
  }
  if (start < 0) start = len + start;
  if (end < 0) end = len + end;
  if (start < 0) start = 0;
  if (end < 0) end = 0;
  if (end >= len) end = len - 1;
  if (start > end || len === 0) {
    c.reply.raw(R_EMPTY_BULK);
    return;
  }
  const bytes = store.stringBytes(h);
  c.reply.bulk(bytes, store.offset + start, end - start + 1);
}

function cmdSetrange(c: Client): void {
  if (!c.argInt64(2)) {
    c.reply.raw(E_NOT_INTEGER);
    return;
  }
  const offset = parsed.isBig ? Number(parsed.big) : parsed.num;
  if (offset < 0) {
    c.reply.raw(E_OFFSET);
    return;
  }
  const store = c.store;
  const valueLen = c.argLen[3];
  const h = c.lookupArg(1, Lookup.WRITE);
  if (h < 0) {
    if (valueLen === 0) {
      c.reply.raw(R_ZERO);
      return;
    }
    if (!checkStringLength(c, offset, valueLen)) return;
  } else {
    if (store.typeOf(h) !== KeyType.STRING) {
      c.reply.raw(E_WRONGTYPE);
      return;
    }
    if (valueLen === 0) {
      c.reply.int(store.stringLength(h));
      return;
    }
    if (!checkStringLength(c, offset, valueLen)) return;
  }
  const result = store.setRange(c.db, c.argBuf, c.argOff[1], c.argLen[1], offset, c.argBuf, c.argOff[3], valueLen);
  if (result >= 0) {
    c.modified(1);
    c.notify(NotifyClass.STRING, 'setrange', 1);
  }
  replyLengthOrStatus(c, result);
}

/** Copy of a string value (LCS needs both values at once; the store's views are transient). */
function copyString(c: Client, h: number): Uint8Array {
  const store = c.store;
  const len = store.stringLength(h);
  const bytes = store.stringBytes(h);
  return bytes.slice(store.offset, store.offset + len);
}

const EMPTY = new Uint8Array(0);

function cmdLcs(c: Client): void {
  const store = c.store;
  const ha = c.lookupArg(1, Lookup.READ);
  const hb = c.lookupArg(2, Lookup.READ);
  if ((ha >= 0 && store.typeOf(ha) !== KeyType.STRING) || (hb >= 0 && store.typeOf(hb) !== KeyType.STRING)) {
    c.reply.error('ERR The specified keys must contain string values');
    return;
  }
  const a = ha >= 0 ? copyString(c, ha) : EMPTY;
  const b = hb >= 0 ? copyString(c, hb) : EMPTY;
  let getLen = false;
  let getIdx = false;
  let withMatchLen = false;
  let minMatchLen = 0;
  for (let j = 3; j < c.argc; j++) {
    const more = c.argc - 1 - j;
    if (c.argIs(j, 'idx')) getIdx = true;
    else if (c.argIs(j, 'len')) getLen = true;
    else if (c.argIs(j, 'withmatchlen')) withMatchLen = true;
    else if (c.argIs(j, 'minmatchlen') && more > 0) {
      if (!c.argInt64(j + 1)) {
        c.reply.raw(E_NOT_INTEGER);
        return;
      }
      minMatchLen = Math.max(0, parsed.isBig ? Number(parsed.big) : parsed.num);
      j++;
    } else {
      c.reply.raw(E_SYNTAX);
      return;
    }
  }
  if (getIdx && getLen) {
    c.reply.error('ERR If you want both the length and indexes, please just use IDX.');
    return;
  }
  const alen = a.length;
  const blen = b.length;
  if ((alen + 1) * (blen + 1) * 4 > c.server.settings.protoMaxBulkLen) {
    c.reply.error('ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len');
    return;
  }
  const width = blen + 1;
  const table = new Uint32Array((alen + 1) * width);
  for (let i = 1; i <= alen; i++) {
    for (let j = 1; j <= blen; j++) {
      table[i * width + j] = a[i - 1] === b[j - 1]
        ? table[(i - 1) * width + j - 1] + 1
        : Math.max(table[(i - 1) * width + j], table[i * width + j - 1]);
    }
  }
  let idx = table[alen * width + blen];
  if (getLen) {
    c.reply.int(idx);
    return;
  }
  const lcsLength = idx;
  const result = new Uint8Array(lcsLength);
  const matches: number[][] = [];
  let aStart = alen, aEnd = 0, bStart = 0, bEnd = 0;
  let i = alen;
  let j = blen;
  while (i > 0 && j > 0) {
    let emit = false;
    if (a[i - 1] === b[j - 1]) {
      result[idx - 1] = a[i - 1];
      if (aStart === alen) {
        aStart = i - 1; aEnd = i - 1; bStart = j - 1; bEnd = j - 1;
      } else if (aStart === i && bStart === j) {
        aStart--; bStart--;
      } else {
        emit = true;
      }
      if (aStart === 0 || bStart === 0) emit = true;
      idx--; i--; j--;
    } else {
      const lcs1 = table[(i - 1) * width + j];
      const lcs2 = table[i * width + j - 1];
      if (lcs1 > lcs2) i--;
      else j--;
      if (aStart !== alen) emit = true;
    }
    const matchLen = aEnd - aStart + 1;
    if (emit) {
      if (minMatchLen === 0 || matchLen >= minMatchLen) matches.push([aStart, aEnd, bStart, bEnd, matchLen]);
      aStart = alen;
    }
  }
  if (!getIdx) {
    c.reply.bulk(result, 0, lcsLength);
    return;
  }
  const reply = c.reply;
  reply.mapLen(2);
  reply.bulkString('matches');
  reply.arrayLen(matches.length);
  for (const m of matches) {
    reply.arrayLen(withMatchLen ? 3 : 2);
    reply.arrayLen(2);
    reply.int(m[0]);
    reply.int(m[1]);
    reply.arrayLen(2);
    reply.int(m[2]);
    reply.int(m[3]);
    if (withMatchLen) reply.int(m[4]);
  }
  reply.bulkString('len');
  reply.int(lcsLength);
}

export function registerStringCommands(registry: Registry): void {
  registry.add('get', cmdGet);
  registry.add('set', cmdSet);
  registry.add('setnx', cmdSetnx);
  registry.add('setex', cmdSetex);
  registry.add('psetex', cmdPsetex);
  registry.add('getset', cmdGetset);
  registry.add('getdel', cmdGetdel);
  registry.add('getex', cmdGetex);
  registry.add('mget', cmdMget);
  registry.add('mset', cmdMset);
  registry.add('msetnx', cmdMsetnx);
  registry.add('append', cmdAppend);
  registry.add('strlen', cmdStrlen);
  registry.add('incr', cmdIncr);
  registry.add('decr', cmdDecr);
  registry.add('incrby', cmdIncrby);
  registry.add('decrby', cmdDecrby);
  registry.add('incrbyfloat', cmdIncrbyfloat);
  registry.add('getrange', cmdGetrange);
  registry.add('substr', cmdGetrange);
  registry.add('setrange', cmdSetrange);
  registry.add('lcs', cmdLcs);
}
