/*
 * Hash commands (Redis 7.0 t_hash.c semantics): HSET/HSETNX/HMSET, HGET/HMGET, HGETALL/HKEYS/
 * HVALS, HDEL, HLEN, HEXISTS, HSTRLEN, HINCRBY, HINCRBYFLOAT, HRANDFIELD, HSCAN.
 *
 * A hash is packed bytes in its key's chunk, read through the shared HashValue view, or a
 * table-backed HashValue in the store's object table (listpack or hashtable encoding, by
 * hash-max-listpack-entries / hash-max-listpack-value, read once per CONFIG change; see
 * hash-value.ts). A write edits the hash, then commitHash stores the result once: the new packed
 * bytes, a table that replaced them, or a re-charged memory estimate; an emptied hash deletes
 * its key. Replies stream from the structure into the reply writer (HGETALL of a million fields
 * builds no array). Arguments are compared and copied as bytes, never decoded.
 *
 * Every write signals the key (WATCH) and publishes its keyspace event where t_hash.c does,
 * only when the hash changed and after the reply as Redis orders them: HSET/HMSET/HSETNX
 * "hset", HINCRBY "hincrby", HINCRBYFLOAT "hincrbyfloat", HDEL "hdel" (then "del" when the
 * hash empties). The store publishes "new" when it creates the key (dbAdd).
 */
import type { Client } from '../client.ts';
import type { Registry } from '../registry.ts';
import type { ConfigStore } from '../config-table.ts';
import { NotifyClass } from '../keyspace-events.ts';
import {
  R_OK, R_ZERO, R_ONE, R_EMPTY_ARRAY, R_EMPTY_SCAN, R_RESP3_EMPTY_MAP,
  E_WRONGTYPE, E_SYNTAX, E_NOT_INTEGER, E_NOT_FLOAT, E_OOM, E_OVERFLOW,
} from '../../protocol/replies.ts';
import { Status, KeyType, Lookup, Encoding, type StatusCode } from '../../store/types.ts';
import type { Keyspace } from '../../store/keyspace.ts';
import { formatInteger } from '../../store/integer-text.ts';
import { parsed, parseInt64, INT64_MAX, INT64_MIN } from '../numbers.ts';
import { parseLongDouble, addLongDouble, isFiniteLongDouble, formatLongDoubleHuman, type LongDouble } from '../long-double.ts';
import { globMatch } from '../glob.ts';
import { HashValue, HashEntry, viewPacked, newPackedHash, isView } from '../types/hash-value.ts';
import { ElementBytes } from '../types/packed.ts';
import { scanArgs, scanCursorOrReply, scanOptionsOrReply } from './scan-args.ts';

// ---- hash-max-listpack-* (cached per ConfigStore, refreshed on CONFIG SET) ----

const limits = { config: null as ConfigStore | null, entries: 512, value: 64 };
const watched = new WeakSet<ConfigStore>();

function loadLimits(c: Client): void {
  const cfg = c.server.config;
  if (cfg === limits.config) return;
  limits.entries = cfg.number('hash-max-listpack-entries');
  limits.value = cfg.number('hash-max-listpack-value');
  limits.config = cfg;
  if (!watched.has(cfg)) {
    watched.add(cfg);
    const forget = (): void => {
      limits.config = null;
    };
    cfg.onChange('hash-max-listpack-entries', forget);
    cfg.onChange('hash-max-listpack-value', forget);
  }
}

// ---- shared helpers ----

const entry = new HashEntry();
const LONG_DOUBLE_ZERO: LongDouble = { kind: 'finite', neg: false, sig: 0n, exp: 0 };
const valueOut = new ElementBytes();
const numberText = new Uint8Array(32);

/** The hash at argument 1 for reading: its handle, or -1 after replying `missing` (null: nil) or WRONGTYPE. */
function lookupHashOrReply(c: Client, missing: Uint8Array | null): number {
  return c.lookupTypedOrReply(1, KeyType.HASH, Lookup.READ, missing);
}

/** Handle of the hash at argument 1 for writing; -1 when missing; -2 after replying WRONGTYPE. */
function lookupHashWrite(c: Client): number {
  return c.lookupTyped(1, KeyType.HASH, Lookup.WRITE);
}

/**
 * The hash at handle h: its object, or the shared view of its packed bytes (valid until the
 * next store call; a write is stored with commitHash).
 */
export function hashAt(store: Keyspace, h: number): HashValue {
  const enc = store.encodingOf(h);
  if (enc < Encoding.PACKED) return store.objectOf(h) as HashValue;
  const page = store.stringBytes(h);
  return viewPacked(page, store.offset, store.stringLength(h), enc === Encoding.PACKED_HASHTABLE);
}

/** The hash at h for writing, or an empty one to build a new key in (h < 0). */
function hashForWrite(c: Client, h: number): HashValue {
  return h >= 0 ? hashAt(c.store, h) : newPackedHash();
}

/**
 * Store a hash built outside the store (RESTORE) as db/key: packed bytes in the key's chunk
 * while it is packed, else the object. Returns OK or OOM.
 */
export function storeNewHash(store: Keyspace, db: number, key: Uint8Array, koff: number, klen: number, hv: HashValue): StatusCode {
  if (hv.table !== null) return store.setObject(db, key, koff, klen, KeyType.HASH, hv, hv.memoryBytes());
  const len = hv.storedLength();
  return store.setPacked(db, key, koff, klen, KeyType.HASH, hv.hashtable ? Encoding.PACKED_HASHTABLE : Encoding.PACKED, hv.storedBytes(), 0, len);
}

/**
 * After writing `hv` (from hashForWrite): store it as a new key (h < 0), store its new packed
 * bytes, move a table it converted to into the object table, or re-charge a table-backed
 * hash's memory estimate (`before` is its estimate before the write). False after replying
 * OOM, the key unchanged.
 */
function commitHash(c: Client, h: number, hv: HashValue, before: number): boolean {
  const store = c.store;
  if (!isView(hv)) {
    store.adjustObjectBytes(h, hv.memoryBytes() - before);
    return true;
  }
  let ok = true;
  if (hv.table !== null) {
    const obj = hv.detachTable();
    if (h >= 0) store.packedToObject(h, obj, obj.memoryBytes());
    else ok = store.setObject(c.db, c.argBuf, c.argOff[1], c.argLen[1], KeyType.HASH, obj, obj.memoryBytes()) === Status.OK;
  } else if (hv.edited) {
    const enc = hv.hashtable ? Encoding.PACKED_HASHTABLE : Encoding.PACKED;
    const len = hv.storedLength();
    if (h >= 0) ok = store.updatePacked(h, enc, hv.storedBytes(), 0, len);
    else ok = store.setPacked(c.db, c.argBuf, c.argOff[1], c.argLen[1], KeyType.HASH, enc, hv.storedBytes(), 0, len) === Status.OK;
  }
  if (!ok) c.reply.raw(E_OOM);
  return ok;
}

/** hashTypeTryConversion: any argument in [from, to) longer than hash-max-listpack-value converts. */
function tryConversion(c: Client, hv: HashValue, from: number, to: number): void {
  if (hv.hashtable) return;
  const max = limits.value;
  for (let i = from; i < to; i++) {
    if (c.argLen[i] > max) {
      hv.toTable(limits.entries);
      return;
    }
  }
}

function replyArity(c: Client): void {
  c.reply.error(`ERR wrong number of arguments for '${c.lastCommand!.fullName}' command`);
}

function replyField(c: Client): void {
  const f = entry.field;
  c.reply.bulk(f.buf, f.off, f.len);
}

function replyValue(c: Client): void {
  const v = entry.value;
  c.reply.bulk(v.buf, v.off, v.len);
}

// ---- HSET / HMSET / HSETNX ----

function hsetGeneric(c: Client, ok: Uint8Array | null): void {
  if (c.argc % 2 === 1) {
    replyArity(c);
    return;
  }
  const h = lookupHashWrite(c);
  if (h === -2) return;
  loadLimits(c);
  const hv = hashForWrite(c, h);
  const before = h >= 0 ? hv.memoryBytes() : 0;
  // One field may be overwritten in the chunk in place; several are all stored, or none.
  if (c.argc > 4 && hv.table === null) hv.bufferEdits();
  tryConversion(c, hv, 2, c.argc);
  const buf = c.argBuf;
  let created = 0;
  for (let i = 2; i < c.argc; i += 2) {
    if (hv.set(buf, c.argOff[i], c.argLen[i], buf, c.argOff[i + 1], c.argLen[i + 1], limits.entries, limits.value)) created++;
  }
  if (!commitHash(c, h, hv, before)) return;
  if (ok === null) c.reply.int(created);
  else c.reply.raw(ok);
  c.modified(1);
  c.notify(NotifyClass.HASH, 'hset', 1);
}

function cmdHset(c: Client): void {
  hsetGeneric(c, null);
}

function cmdHmset(c: Client): void {
  hsetGeneric(c, R_OK);
}

function cmdHsetnx(c: Client): void {
  const h = lookupHashWrite(c);
  if (h === -2) return;
  loadLimits(c);
  const hv = hashForWrite(c, h);
  const buf = c.argBuf;
  if (h >= 0 && hv.has(buf, c.argOff[2], c.argLen[2])) {
    c.reply.raw(R_ZERO);
    return;
  }
  const before = h >= 0 ? hv.memoryBytes() : 0;
  tryConversion(c, hv, 2, 4);
  hv.set(buf, c.argOff[2], c.argLen[2], buf, c.argOff[3], c.argLen[3], limits.entries, limits.value);
  if (!commitHash(c, h, hv, before)) return;
  c.reply.raw(R_ONE);
  c.modified(1);
  c.notify(NotifyClass.HASH, 'hset', 1);
}

// ---- reads ----

function cmdHget(c: Client): void {
  const h = lookupHashOrReply(c, null);
  if (h < 0) return;
  const hv = hashAt(c.store, h);
  const e = hv.findField(c.argBuf, c.argOff[2], c.argLen[2]);
  if (e < 0) {
    c.reply.nullBulk();
    return;
  }
  hv.readValue(e, valueOut);
  c.reply.bulk(valueOut.buf, valueOut.off, valueOut.len);
}

function cmdHmget(c: Client): void {
  const h = c.lookupArg(1, Lookup.READ);
  if (h >= 0 && c.store.typeOf(h) !== KeyType.HASH) {
    c.reply.raw(E_WRONGTYPE);
    return;
  }
  const hv = h >= 0 ? hashAt(c.store, h) : null;
  const reply = c.reply;
  reply.arrayLen(c.argc - 2);
  for (let i = 2; i < c.argc; i++) {
    const e = hv === null ? -1 : hv.findField(c.argBuf, c.argOff[i], c.argLen[i]);
    if (e < 0) {
      reply.nullBulk();
      continue;
    }
    hv!.readValue(e, valueOut);
    reply.bulk(valueOut.buf, valueOut.off, valueOut.len);
  }
}

const WITH_FIELDS = 1;
const WITH_VALUES = 2;

/** genericHgetallCommand: HGETALL (a map in RESP3), HKEYS, HVALS. */
function hgetallGeneric(c: Client, what: number): void {
  const both = what === (WITH_FIELDS | WITH_VALUES);
  const h = lookupHashOrReply(c, both && c.resp === 3 ? R_RESP3_EMPTY_MAP : R_EMPTY_ARRAY);
  if (h < 0) return;
  const hv = hashAt(c.store, h);
  const reply = c.reply;
  if (both) reply.mapLen(hv.size());
  else reply.arrayLen(hv.size());
  // A doomed client (past its output hard limit) gets nothing more: stop building.
  for (let e = hv.first(); e >= 0 && !reply.overLimit; e = hv.next(e)) {
    hv.readEntry(e, entry);
    if (what & WITH_FIELDS) replyField(c);
    if (what & WITH_VALUES) replyValue(c);
  }
}

function cmdHgetall(c: Client): void {
  hgetallGeneric(c, WITH_FIELDS | WITH_VALUES);
}

function cmdHkeys(c: Client): void {
  hgetallGeneric(c, WITH_FIELDS);
}

function cmdHvals(c: Client): void {
  hgetallGeneric(c, WITH_VALUES);
}

function cmdHlen(c: Client): void {
  const h = lookupHashOrReply(c, R_ZERO);
  if (h < 0) return;
  c.reply.int(hashAt(c.store, h).size());
}

function cmdHexists(c: Client): void {
  const h = lookupHashOrReply(c, R_ZERO);
  if (h < 0) return;
  const hv = hashAt(c.store, h);
  c.reply.raw(hv.has(c.argBuf, c.argOff[2], c.argLen[2]) ? R_ONE : R_ZERO);
}

function cmdHstrlen(c: Client): void {
  const h = lookupHashOrReply(c, R_ZERO);
  if (h < 0) return;
  const hv = hashAt(c.store, h);
  const e = hv.findField(c.argBuf, c.argOff[2], c.argLen[2]);
  c.reply.int(e < 0 ? 0 : hv.valueLength(e));
}

// ---- HDEL ----

function cmdHdel(c: Client): void {
  const h = c.lookupArg(1, Lookup.WRITE);
  if (h < 0) {
    c.reply.raw(R_ZERO);
    return;
  }
  const store = c.store;
  if (store.typeOf(h) !== KeyType.HASH) {
    c.reply.raw(E_WRONGTYPE);
    return;
  }
  const hv = hashAt(store, h);
  const before = hv.memoryBytes();
  let deleted = 0;
  for (let i = 2; i < c.argc; i++) {
    if (hv.remove(c.argBuf, c.argOff[i], c.argLen[i])) {
      deleted++;
      if (hv.size() === 0) break;
    }
  }
  if (deleted !== 0) {
    const removed = hv.size() === 0;
    // Fewer bytes always fit: storing a smaller packed form cannot fail.
    if (removed) store.deleteHandle(h);
    else commitHash(c, h, hv, before);
    c.modified(1);
    c.notify(NotifyClass.HASH, 'hdel', 1);
    if (removed) c.notify(NotifyClass.GENERIC, 'del', 1);
  }
  c.reply.int(deleted);
}

// ---- HINCRBY / HINCRBYFLOAT ----

function cmdHincrby(c: Client): void {
  if (!c.argInt64(3)) {
    c.reply.raw(E_NOT_INTEGER);
    return;
  }
  const incr: number | bigint = parsed.isBig ? parsed.big : parsed.num;
  const h = lookupHashWrite(c);
  if (h === -2) return;
  loadLimits(c);
  const hv = hashForWrite(c, h);
  let current: number | bigint = 0;
  const e = h >= 0 ? hv.findField(c.argBuf, c.argOff[2], c.argLen[2]) : -1;
  if (e >= 0) {
    hv.readValue(e, valueOut);
    if (!parseInt64(valueOut.buf, valueOut.off, valueOut.len)) {
      c.reply.error('ERR hash value is not an integer');
      return;
    }
    current = parsed.isBig ? parsed.big : parsed.num;
  }
  let result: number | bigint;
  if (typeof current === 'number' && typeof incr === 'number' && Math.abs(current) < 2 ** 52 && Math.abs(incr) < 2 ** 52) {
    result = current + incr;
  } else {
    const sum = BigInt(current) + BigInt(incr);
    if (sum > INT64_MAX || sum < INT64_MIN) {
      c.reply.raw(E_OVERFLOW);
      return;
    }
    result = sum >= -9007199254740991n && sum <= 9007199254740991n ? Number(sum) : sum;
  }
  const len = formatInteger(result, numberText, 0);
  const before = h >= 0 ? hv.memoryBytes() : 0;
  hv.set(c.argBuf, c.argOff[2], c.argLen[2], numberText, 0, len, limits.entries, limits.value);
  if (!commitHash(c, h, hv, before)) return;
  c.reply.int(result);
  c.modified(1);
  c.notify(NotifyClass.HASH, 'hincrby', 1);
}

function cmdHincrbyfloat(c: Client): void {
  const incr = parseLongDouble(c.argBuf, c.argOff[3], c.argLen[3]);
  if (incr === null) {
    c.reply.raw(E_NOT_FLOAT);
    return;
  }
  if (!isFiniteLongDouble(incr)) {
    c.reply.error('ERR value is NaN or Infinity');
    return;
  }
  const h = lookupHashWrite(c);
  if (h === -2) return;
  loadLimits(c);
  const hv = hashForWrite(c, h);
  let value: LongDouble;
  const e = h >= 0 ? hv.findField(c.argBuf, c.argOff[2], c.argLen[2]) : -1;
  if (e >= 0) {
    hv.readValue(e, valueOut);
    const current = parseLongDouble(valueOut.buf, valueOut.off, valueOut.len);
    if (current === null) {
      c.reply.error('ERR hash value is not a float');
      return;
    }
    value = addLongDouble(current, incr);
  } else {
    value = addLongDouble(LONG_DOUBLE_ZERO, incr);
  }
  if (!isFiniteLongDouble(value)) {
    c.reply.error('ERR increment would produce NaN or Infinity');
    return;
  }
  const text = Buffer.from(formatLongDoubleHuman(value), 'latin1');
  const before = h >= 0 ? hv.memoryBytes() : 0;
  hv.set(c.argBuf, c.argOff[2], c.argLen[2], text, 0, text.length, limits.entries, limits.value);
  if (!commitHash(c, h, hv, before)) return;
  c.reply.bulk(text, 0, text.length);
  c.modified(1);
  c.notify(NotifyClass.HASH, 'hincrbyfloat', 1);
}

// ---- HRANDFIELD ----

/** Reply one entry of a HRANDFIELD [WITHVALUES] reply. */
function replyRandomEntry(c: Client, hv: HashValue, e: number, withValues: boolean): void {
  hv.readEntry(e, entry);
  if (withValues && c.resp === 3) c.reply.arrayLen(2);
  replyField(c);
  if (withValues) replyValue(c);
}

function replyRandomLen(c: Client, n: number, withValues: boolean): void {
  c.reply.arrayLen(withValues && c.resp === 2 ? n * 2 : n);
}

/** hrandfieldWithCountCommand. */
function hrandfieldWithCount(c: Client, l: number, withValues: boolean): void {
  const h = lookupHashOrReply(c, R_EMPTY_ARRAY);
  if (h < 0) return;
  const hv = hashAt(c.store, h);
  const size = hv.size();
  const uniq = l >= 0;
  const count = uniq ? l : -l;
  if (count === 0) {
    c.reply.raw(R_EMPTY_ARRAY);
    return;
  }
  // CASE 1: negative count (repetitions allowed), or a single field.
  if (!uniq || count === 1) {
    if (hv.table === null) hv.allHandles();
    replyRandomLen(c, count, withValues);
    for (let i = 0; i < count; i++) replyRandomEntry(c, hv, hv.randomHandle(), withValues);
    return;
  }
  // CASE 2: the whole hash.
  if (count >= size) {
    replyRandomLen(c, size, withValues);
    for (let e = hv.first(); e >= 0; e = hv.next(e)) replyRandomEntry(c, hv, e, withValues);
    return;
  }
  replyRandomLen(c, count, withValues);
  // CASE 3: count close to size: a partial shuffle of every handle.
  if (count * 3 > size) {
    const all = hv.allHandles();
    for (let i = 0; i < count; i++) {
      const j = i + Math.floor(Math.random() * (size - i));
      const t = all[i];
      all[i] = all[j];
      all[j] = t;
      replyRandomEntry(c, hv, all[i], withValues);
    }
    return;
  }
  // CASE 4, listpack: a unique sample in listpack order (Redis's lpRandomPairsUnique).
  if (hv.table === null) {
    const all = hv.allHandles();
    for (let i = 0; i < count; i++) {
      const j = i + Math.floor(Math.random() * (size - i));
      const t = all[i];
      all[i] = all[j];
      all[j] = t;
    }
    const picked = all.subarray(0, count).sort();
    for (let i = 0; i < count; i++) replyRandomEntry(c, hv, picked[i], withValues);
    return;
  }
  // CASE 4, hashtable: random picks until count distinct ones.
  const seen = new Set<number>();
  while (seen.size < count) {
    const e = hv.randomHandle();
    if (seen.has(e)) continue;
    seen.add(e);
    replyRandomEntry(c, hv, e, withValues);
  }
}

function cmdHrandfield(c: Client): void {
  if (c.argc >= 3) {
    if (!c.argInt64(2)) {
      c.reply.raw(E_NOT_INTEGER);
      return;
    }
    if (parsed.isBig && parsed.big === INT64_MIN) {
      c.reply.error('ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807');
      return;
    }
    const l = parsed.isBig ? Number(parsed.big) : parsed.num;
    if (c.argc > 4 || (c.argc === 4 && !c.argIs(3, 'withvalues'))) {
      c.reply.raw(E_SYNTAX);
      return;
    }
    const withValues = c.argc === 4;
    // l < -LONG_MAX/2 || l > LONG_MAX/2, checked on the exact value.
    if (withValues && parsed.isBig && (parsed.big < -4611686018427387903n || parsed.big > 4611686018427387903n)) {
      c.reply.error('ERR value is out of range');
      return;
    }
    hrandfieldWithCount(c, l, withValues);
    return;
  }
  const h = lookupHashOrReply(c, null);
  if (h < 0) return;
  const hv = hashAt(c.store, h);
  if (hv.table === null) hv.allHandles();
  hv.readEntry(hv.randomHandle(), entry);
  replyField(c);
}

// ---- HSCAN ----

let scanIds = new Int32Array(64);
let scanFound = 0;

function collect(id: number): void {
  if (scanFound === scanIds.length) {
    const bigger = new Int32Array(scanIds.length * 2);
    bigger.set(scanIds);
    scanIds = bigger;
  }
  scanIds[scanFound++] = id;
}

function fieldMatches(): boolean {
  const f = entry.field;
  return globMatch(scanArgs.patBuf!, scanArgs.patOff, scanArgs.patLen, f.buf, f.off, f.len, false);
}

function cmdHscan(c: Client): void {
  const cursor = scanCursorOrReply(c, 2);
  if (cursor < 0) return;
  const h = lookupHashOrReply(c, R_EMPTY_SCAN);
  if (h < 0) return;
  if (!scanOptionsOrReply(c, 3)) return;
  const hv = hashAt(c.store, h);
  const reply = c.reply;
  const t = hv.table;
  if (t === null) {
    // A listpack is returned whole, with cursor 0 (as Redis does for small encodings).
    let n = hv.size();
    if (scanArgs.usePattern) {
      n = 0;
      for (let e = hv.first(); e >= 0; e = hv.next(e)) {
        hv.readEntry(e, entry);
        if (fieldMatches()) n++;
      }
    }
    reply.arrayLen(2);
    reply.bulkString('0');
    reply.arrayLen(n * 2);
    for (let e = hv.first(); e >= 0; e = hv.next(e)) {
      hv.readEntry(e, entry);
      if (scanArgs.usePattern && !fieldMatches()) continue;
      replyField(c);
      replyValue(c);
    }
    return;
  }
  scanFound = 0;
  const count = scanArgs.count;
  let next = cursor;
  let iterations = count * 10;
  do {
    next = t.scanStep(next, collect);
  } while (next !== 0 && iterations-- > 0 && scanFound * 2 < count);
  let kept = 0;
  for (let k = 0; k < scanFound; k++) {
    const id = scanIds[k];
    if (scanArgs.usePattern) {
      hv.readEntry(id, entry);
      if (!fieldMatches()) continue;
    }
    scanIds[kept++] = id;
  }
  reply.arrayLen(2);
  reply.bulkString(String(next));
  reply.arrayLen(kept * 2);
  for (let k = 0; k < kept; k++) {
    hv.readEntry(scanIds[k], entry);
    replyField(c);
    replyValue(c);
  }
}

export function registerHashCommands(registry: Registry): void {
  registry.add('hset', cmdHset);
  registry.add('hmset', cmdHmset);
  registry.add('hsetnx', cmdHsetnx);
  registry.add('hget', cmdHget);
  registry.add('hmget', cmdHmget);
  registry.add('hgetall', cmdHgetall);
  registry.add('hkeys', cmdHkeys);
  registry.add('hvals', cmdHvals);
  registry.add('hlen', cmdHlen);
  registry.add('hexists', cmdHexists);
  registry.add('hstrlen', cmdHstrlen);
  registry.add('hdel', cmdHdel);
  registry.add('hincrby', cmdHincrby);
  registry.add('hincrbyfloat', cmdHincrbyfloat);
  registry.add('hrandfield', cmdHrandfield);
  registry.add('hscan', cmdHscan);
}
