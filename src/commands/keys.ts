/*
 * Keyspace commands (Redis 7.0 db.c and expire.c semantics): DEL/UNLINK/EXISTS/TYPE/TOUCH,
 * RENAME/COPY/MOVE, KEYS/SCAN/RANDOMKEY, the EXPIRE family, TTL family, PERSIST and OBJECT.
 * Multi-key and cross-db work goes through the store's keyspace API; handlers only parse
 * arguments, call it and choose the reply.
 *
 * Keyspace events and WATCH (signalModifiedKey) are signalled where db.c and expire.c signal
 * them, in the same order, and only when a key actually changed; the store itself announces
 * expired keys it meets on the way and keys it adds (`new`). Where Redis deletes a destination
 * and dbAdd()s it again (RENAME or COPY REPLACE onto an existing key) the store overwrites in
 * place, so the handler publishes that `new` itself. Read lookups that miss publish `keymiss`
 * as lookupKeyRead does: Client.lookupArg does for READ lookups (COPY's source); the handlers
 * that look up without touching (EXISTS, TYPE, TOUCH, the TTL family) say it themselves;
 * OBJECT never does (LOOKUP_NONOTIFY).
 */
import type { Client } from '../client.ts';
import type { Registry } from '../registry.ts';
import {
  R_OK, R_ZERO, R_ONE, E_SYNTAX, E_NOT_INTEGER, E_NO_SUCH_KEY, E_OOM,
} from '../../protocol/replies.ts';
import { Status, Lookup, KEY_TYPE_NAMES, ENCODING_NAMES, EvictionPolicy, Encoding, KeyType, NO_TTL } from '../../store/types.ts';
import type { Collection } from '../types/collection.ts';
import { parsed, parsedBigInt, INT64_MAX, INT64_MIN } from '../numbers.ts';
import { globMatch } from '../glob.ts';
import { replyInvalidExpire } from './strings.ts';
import { NotifyClass } from '../keyspace-events.ts';

const E_SAME_OBJECT = 'ERR source and destination objects are the same';
const E_DB_OUT_OF_RANGE = 'ERR DB index is out of range';

/** lookupKeyRead's miss: the `keymiss` event (class m) for argument i. */
function keyMiss(c: Client, i: number): void {
  c.notify(NotifyClass.KEY_MISS, 'keymiss', i);
}

/** delGenericCommand (DEL and UNLINK). */
function cmdDel(c: Client): void {
  let deleted = 0;
  for (let i = 1; i < c.argc; i++) {
    if (c.store.delete(c.db, c.argBuf, c.argOff[i], c.argLen[i])) {
      c.modified(i);
      c.notify(NotifyClass.GENERIC, 'del', i);
      deleted++;
    }
  }
  c.reply.int(deleted);
}

function cmdExists(c: Client): void {
  let count = 0;
  for (let i = 1; i < c.argc; i++) {
    if (c.lookupArg(i, Lookup.PEEK) >= 0) count++;
    else keyMiss(c, i);
  }
  c.reply.int(count);
}

function cmdTouch(c: Client): void {
  let count = 0;
  for (let i = 1; i < c.argc; i++) {
    const h = c.lookupArg(i, Lookup.PEEK);
    if (h >= 0) {
      c.store.touch(h);
      count++;
    } else {
      keyMiss(c, i);
    }
  }
  c.reply.int(count);
}

function cmdType(c: Client): void {
  const h = c.lookupArg(1, Lookup.PEEK);
  if (h < 0) keyMiss(c, 1);
  c.reply.simple(h < 0 ? 'none' : KEY_TYPE_NAMES[c.store.typeOf(h)]);
}

function renameGeneric(c: Client, nx: boolean): void {
  const samekey = c.argsEqual(1, 2);
  if (c.lookupArg(1, Lookup.WRITE) < 0) {
    c.reply.raw(E_NO_SUCH_KEY);
    return;
  }
  if (samekey) {
    c.reply.raw(nx ? R_ZERO : R_OK);
    return;
  }
  // lookupKeyWrite(dst) (an expired destination goes first, as the store's rename does too);
  // only needed to know whether Redis's dbDelete + dbAdd of an existing destination says `new`
  // and wakes clients blocked on it.
  const overwrites = ((c.server.events.classes & NotifyClass.NEW) !== 0 || c.server.blocking.blockedCount !== 0) && c.lookupArg(2, Lookup.PEEK) >= 0;
  const status = c.store.rename(c.db, c.argBuf, c.argOff[1], c.argLen[1], c.argBuf, c.argOff[2], c.argLen[2], nx);
  if (status === Status.EXISTS) c.reply.raw(R_ZERO);
  else if (status === Status.OOM) c.reply.raw(E_OOM);
  else {
    // A new destination said `new` from the store already.
    if (overwrites) c.added(2);
    c.modified(1);
    c.modified(2);
    c.notify(NotifyClass.GENERIC, 'rename_from', 1);
    c.notify(NotifyClass.GENERIC, 'rename_to', 2);
    c.reply.raw(nx ? R_ONE : R_OK);
  }
}

function cmdRename(c: Client): void {
  renameGeneric(c, false);
}

function cmdRenamenx(c: Client): void {
  renameGeneric(c, true);
}

/** Argument i as a db index (getIntFromObjectOrReply); -1 after replying an error. */
function dbArgument(c: Client, i: number): number {
  if (!c.argIntOrReply(i, null)) return -1;
  const n = parsed.num;
  if (n < 0 || n >= c.store.databases) {
    c.reply.error(E_DB_OUT_OF_RANGE);
    return -1;
  }
  return n;
}

function cmdCopy(c: Client): void {
  let replace = false;
  let dstDb = c.db;
  for (let j = 3; j < c.argc; j++) {
    if (c.argIs(j, 'replace')) {
      replace = true;
    } else if (c.argIs(j, 'db') && j < c.argc - 1) {
      // getIntFromObjectOrReply, then selectDb: both answered at once, before later options.
      dstDb = dbArgument(c, j + 1);
      if (dstDb < 0) return;
      j++;
    } else {
      c.reply.raw(E_SYNTAX);
      return;
    }
  }
  if (dstDb === c.db && c.argsEqual(1, 2)) {
    c.reply.error(E_SAME_OBJECT);
    return;
  }
  // lookupKeyRead(src): counts the hit or miss, touches, and a miss says `keymiss` (lookupArg).
  if (c.lookupArg(1, Lookup.READ) < 0) {
    c.reply.raw(R_ZERO);
    return;
  }
  const buf = c.argBuf;
  const doff = c.argOff[2];
  const dlen = c.argLen[2];
  // lookupKeyWrite(dst): an expired destination goes first (and says `expired`).
  const overwrites = c.store.lookup(dstDb, buf, doff, dlen, Lookup.PEEK) >= 0;
  if (overwrites && !replace) {
    c.reply.raw(R_ZERO);
    return;
  }
  const status = c.store.copy(c.db, buf, c.argOff[1], c.argLen[1], dstDb, buf, doff, dlen, replace);
  if (status === Status.OK) {
    const events = c.server.events;
    // dbDelete + dbAdd of the replaced destination; a new one said `new` from the store.
    if (overwrites) events.onAdd(dstDb, buf, doff, dlen);
    events.modified(dstDb, buf, doff, dlen);
    events.notify(NotifyClass.GENERIC, 'copy_to', dstDb, buf, doff, dlen);
    c.reply.raw(R_ONE);
  } else if (status === Status.OOM) c.reply.raw(E_OOM);
  else c.reply.raw(R_ZERO);
}

function cmdMove(c: Client): void {
  const dstDb = dbArgument(c, 2);
  if (dstDb < 0) return;
  if (dstDb === c.db) {
    c.reply.error(E_SAME_OBJECT);
    return;
  }
  const buf = c.argBuf;
  const off = c.argOff[1];
  const len = c.argLen[1];
  // The store says `new` in the destination db (dbAdd) before the key leaves the source.
  if (c.store.move(c.db, buf, off, len, dstDb) !== Status.OK) {
    c.reply.raw(R_ZERO);
    return;
  }
  const events = c.server.events;
  c.modified(1);
  events.modified(dstDb, buf, off, len);
  c.notify(NotifyClass.GENERIC, 'move_from', 1);
  events.notify(NotifyClass.GENERIC, 'move_to', dstDb, buf, off, len);
  c.reply.raw(R_ONE);
}

function cmdKeys(c: Client): void {
  const reply = c.reply;
  const store = c.store;
  const pattern = c.argBuf.subarray(c.argOff[1], c.argOff[1] + c.argLen[1]);
  const all = pattern.length === 1 && pattern[0] === 42;
  const matched: number[] = [];
  store.forEachKey(c.db, (h) => {
    const len = store.keyLength(h);
    const bytes = store.keyBytes(h);
    if (all || globMatch(pattern, 0, pattern.length, bytes, store.offset, len, false)) matched.push(h);
  });
  reply.arrayLen(matched.length);
  for (const h of matched) {
    // A doomed client (past its output hard limit) gets nothing more: stop building.
    if (reply.overLimit) break;
    const len = store.keyLength(h);
    reply.bulk(store.keyBytes(h), store.offset, len);
  }
}

/** strtoul-style cursor parse as SCAN does; -1 after replying "invalid cursor". */
function cursorArgument(c: Client, i: number): number {
  const text = c.argString(i);
  if (!/^[+-]?\d+$/.test(text)) {
    c.reply.error('ERR invalid cursor');
    return -1;
  }
  let value = BigInt(text);
  if (value > 18446744073709551615n || value < -18446744073709551615n) {
    c.reply.error('ERR invalid cursor');
    return -1;
  }
  if (value < 0n) value += 18446744073709551616n;
  return value > BigInt(Number.MAX_SAFE_INTEGER) ? 0 : Number(value);
}

function cmdScan(c: Client): void {
  const cursor = cursorArgument(c, 1);
  if (cursor < 0) return;
  let count = 10;
  let pattern: Uint8Array | null = null;
  let typeName: string | null = null;
  for (let i = 2; i < c.argc; ) {
    const left = c.argc - i;
    if (c.argIs(i, 'count') && left >= 2) {
      if (!c.argInt64(i + 1)) {
        c.reply.raw(E_NOT_INTEGER);
        return;
      }
      count = parsed.isBig ? Number(parsed.big) : parsed.num;
      if (count < 1) {
        c.reply.raw(E_SYNTAX);
        return;
      }
      i += 2;
    } else if (c.argIs(i, 'match') && left >= 2) {
      const p = c.argBuf.subarray(c.argOff[i + 1], c.argOff[i + 1] + c.argLen[i + 1]);
      pattern = p.length === 1 && p[0] === 42 ? null : Buffer.from(p);
      i += 2;
    } else if (c.argIs(i, 'type') && left >= 2) {
      typeName = c.argLower(i + 1);
      i += 2;
    } else {
      c.reply.raw(E_SYNTAX);
      return;
    }
  }
  const store = c.store;
  const found: number[] = [];
  const next = store.scan(c.db, cursor, count, (h) => found.push(h));
  const reply = c.reply;
  let kept = 0;
  for (let k = 0; k < found.length; k++) {
    const h = found[k];
    if (typeName !== null && KEY_TYPE_NAMES[store.typeOf(h)] !== typeName) continue;
    if (pattern !== null) {
      const len = store.keyLength(h);
      const bytes = store.keyBytes(h);
      if (!globMatch(pattern, 0, pattern.length, bytes, store.offset, len, false)) continue;
    }
    found[kept++] = h;
  }
  reply.arrayLen(2);
  reply.bulkString(String(next));
  reply.arrayLen(kept);
  for (let k = 0; k < kept; k++) {
    const h = found[k];
    const len = store.keyLength(h);
    reply.bulk(store.keyBytes(h), store.offset, len);
  }
}

function cmdRandomkey(c: Client): void {
  const h = c.store.randomKey(c.db);
  if (h < 0) {
    c.reply.nullBulk();
    return;
  }
  const len = c.store.keyLength(h);
  c.reply.bulk(c.store.keyBytes(h), c.store.offset, len);
}

const ExpireFlag = { NX: 1, XX: 2, GT: 4, LT: 8 } as const;

/** expireGenericCommand: basetime is 0 for the *AT forms, now for the relative ones. */
function expireGeneric(c: Client, relative: boolean, seconds: boolean): void {
  let flags = 0;
  for (let j = 3; j < c.argc; j++) {
    if (c.argIs(j, 'nx')) flags |= ExpireFlag.NX;
    else if (c.argIs(j, 'xx')) flags |= ExpireFlag.XX;
    else if (c.argIs(j, 'gt')) flags |= ExpireFlag.GT;
    else if (c.argIs(j, 'lt')) flags |= ExpireFlag.LT;
    else {
      c.reply.error(`ERR Unsupported option ${c.argString(j)}`);
      return;
    }
  }
  if ((flags & ExpireFlag.NX) !== 0 && (flags & (ExpireFlag.XX | ExpireFlag.GT | ExpireFlag.LT)) !== 0) {
    c.reply.error('ERR NX and XX, GT or LT options at the same time are not compatible');
    return;
  }
  if ((flags & ExpireFlag.GT) !== 0 && (flags & ExpireFlag.LT) !== 0) {
    c.reply.error('ERR GT and LT options at the same time are not compatible');
    return;
  }
  if (!c.argInt64(2)) {
    c.reply.raw(E_NOT_INTEGER);
    return;
  }
  let when = parsedBigInt();
  if (seconds) {
    if (when > INT64_MAX / 1000n || when < INT64_MIN / 1000n) {
      replyInvalidExpire(c);
      return;
    }
    when *= 1000n;
  }
  const base = relative ? BigInt(c.server.clock.now) : 0n;
  if (when > INT64_MAX - base) {
    replyInvalidExpire(c);
    return;
  }
  when += base;
  const h = c.lookupArg(1, Lookup.WRITE);
  if (h < 0) {
    c.reply.raw(R_ZERO);
    return;
  }
  const at = Number(when);
  if (flags !== 0) {
    const current = c.store.expireAt(h);
    const hasTtl = current !== NO_TTL;
    if ((flags & ExpireFlag.NX) !== 0 && hasTtl) return void c.reply.raw(R_ZERO);
    if ((flags & ExpireFlag.XX) !== 0 && !hasTtl) return void c.reply.raw(R_ZERO);
    if ((flags & ExpireFlag.GT) !== 0 && (!hasTtl || when <= BigInt(current))) return void c.reply.raw(R_ZERO);
    if ((flags & ExpireFlag.LT) !== 0 && hasTtl && when >= BigInt(current)) return void c.reply.raw(R_ZERO);
  }
  if (when <= BigInt(c.server.clock.now)) {
    // checkAlreadyExpired: the key is deleted, and that is a `del`, not an `expired`.
    c.store.deleteHandle(h);
    c.modified(1);
    c.notify(NotifyClass.GENERIC, 'del', 1);
  } else {
    c.store.setExpireAt(h, at);
    c.modified(1);
    c.notify(NotifyClass.GENERIC, 'expire', 1);
  }
  c.reply.raw(R_ONE);
}

function cmdExpire(c: Client): void {
  expireGeneric(c, true, true);
}

function cmdPexpire(c: Client): void {
  expireGeneric(c, true, false);
}

function cmdExpireat(c: Client): void {
  expireGeneric(c, false, true);
}

function cmdPexpireat(c: Client): void {
  expireGeneric(c, false, false);
}

/** ttlGenericCommand: remaining or absolute expiry, in ms or rounded seconds. */
function ttlGeneric(c: Client, ms: boolean, absolute: boolean): void {
  const h = c.lookupArg(1, Lookup.PEEK);
  if (h < 0) {
    keyMiss(c, 1);
    c.reply.int(-2);
    return;
  }
  const at = c.store.expireAt(h);
  if (at === NO_TTL) {
    c.reply.int(-1);
    return;
  }
  let ttl = absolute ? at : at - c.server.clock.now;
  if (ttl < 0) ttl = 0;
  const value = ms ? ttl : Math.floor((ttl + 500) / 1000);
  // Times are kept as doubles: beyond 2^53 ms they are rounded, and never past int64's range.
  c.reply.int(value >= 9223372036854775807 ? INT64_MAX : value);
}

function cmdTtl(c: Client): void {
  ttlGeneric(c, false, false);
}

function cmdPttl(c: Client): void {
  ttlGeneric(c, true, false);
}

function cmdExpiretime(c: Client): void {
  ttlGeneric(c, false, true);
}

function cmdPexpiretime(c: Client): void {
  ttlGeneric(c, true, true);
}

function cmdPersist(c: Client): void {
  const h = c.lookupArg(1, Lookup.WRITE);
  if (h >= 0 && c.store.persist(h)) {
    c.modified(1);
    c.notify(NotifyClass.GENERIC, 'persist', 1);
    c.reply.raw(R_ONE);
  } else {
    c.reply.raw(R_ZERO);
  }
}

const LFU_POLICIES: ReadonlySet<number> = new Set([EvictionPolicy.ALLKEYS_LFU, EvictionPolicy.VOLATILE_LFU]);
const LRU_OR_LFU_POLICIES: ReadonlySet<number> = new Set([
  EvictionPolicy.ALLKEYS_LFU, EvictionPolicy.VOLATILE_LFU, EvictionPolicy.ALLKEYS_LRU, EvictionPolicy.VOLATILE_LRU,
]);
const OBJ_SHARED_INTEGERS = 10000;

function objectLookup(c: Client): number {
  const h = c.lookupArg(2, Lookup.PEEK);
  if (h < 0) c.reply.nullBulk();
  return h;
}

function cmdObjectEncoding(c: Client): void {
  const h = objectLookup(c);
  if (h < 0) return;
  const store = c.store;
  const enc = store.encodingOf(h);
  // Redis 7.0 answers quicklist for every list, however small.
  if (enc === Encoding.PACKED) c.reply.bulkString(store.typeOf(h) === KeyType.LIST ? 'quicklist' : 'listpack');
  else if (enc === Encoding.PACKED_HASHTABLE) c.reply.bulkString('hashtable');
  else if (store.typeOf(h) === KeyType.STRING) c.reply.bulkString(ENCODING_NAMES[enc]);
  else c.reply.bulkString((store.objectOf(h) as Collection).encodingName(c.server.config));
}

function cmdObjectRefcount(c: Client): void {
  const h = objectLookup(c);
  if (h < 0) return;
  const store = c.store;
  const settings = c.server.settings;
  const sharable = settings.maxmemory === 0 || !LRU_OR_LFU_POLICIES.has(settings.maxmemoryPolicy);
  if (sharable && store.encodingOf(h) === Encoding.INT) {
    const value = store.integerValue(h);
    if (typeof value === 'number' && value >= 0 && value < OBJ_SHARED_INTEGERS) {
      c.reply.int(2147483647);
      return;
    }
  }
  c.reply.raw(R_ONE);
}

function cmdObjectIdletime(c: Client): void {
  const h = objectLookup(c);
  if (h < 0) return;
  if (LFU_POLICIES.has(c.server.settings.maxmemoryPolicy)) {
    c.reply.error('ERR An LFU maxmemory policy is selected, idle time not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.');
    return;
  }
  c.reply.int(Math.floor(c.store.idleTimeMs(h) / 1000));
}

function cmdObjectFreq(c: Client): void {
  const h = objectLookup(c);
  if (h < 0) return;
  if (!LFU_POLICIES.has(c.server.settings.maxmemoryPolicy)) {
    c.reply.error('ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.');
    return;
  }
  c.reply.int(c.store.lfuFrequency(h));
}

const OBJECT_HELP = [
  'OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
  'ENCODING <key>',
  '    Return the kind of internal representation used in order to store the value',
  '    associated with a <key>.',
  'FREQ <key>',
  '    Return the access frequency index of the <key>. The returned integer is',
  '    proportional to the logarithm of the recent access frequency of the key.',
  'IDLETIME <key>',
  '    Return the idle time of the <key>, that is the approximated number of',
  '    seconds elapsed since the last access to the key.',
  'REFCOUNT <key>',
  '    Return the number of references of the value associated with the specified',
  '    <key>.',
  'HELP',
  '    Prints this help.',
];

export function replyHelp(c: Client, lines: readonly string[]): void {
  c.reply.arrayLen(lines.length);
  for (const line of lines) c.reply.simple(line);
}

export function registerKeyCommands(registry: Registry): void {
  registry.add('del', cmdDel);
  registry.add('unlink', cmdDel);
  registry.add('exists', cmdExists);
  registry.add('touch', cmdTouch);
  registry.add('type', cmdType);
  registry.add('rename', cmdRename);
  registry.add('renamenx', cmdRenamenx);
  registry.add('copy', cmdCopy);
  registry.add('move', cmdMove);
  registry.add('keys', cmdKeys);
  registry.add('scan', cmdScan);
  registry.add('randomkey', cmdRandomkey);
  registry.add('expire', cmdExpire);
  registry.add('pexpire', cmdPexpire);
  registry.add('expireat', cmdExpireat);
  registry.add('pexpireat', cmdPexpireat);
  registry.add('ttl', cmdTtl);
  registry.add('pttl', cmdPttl);
  registry.add('expiretime', cmdExpiretime);
  registry.add('pexpiretime', cmdPexpiretime);
  registry.add('persist', cmdPersist);
  registry.add('object', null);
  registry.add('object|encoding', cmdObjectEncoding);
  registry.add('object|refcount', cmdObjectRefcount);
  registry.add('object|idletime', cmdObjectIdletime);
  registry.add('object|freq', cmdObjectFreq);
  registry.add('object|help', (c) => replyHelp(c, OBJECT_HELP));
}
