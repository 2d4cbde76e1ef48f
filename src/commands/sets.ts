/*
 * Set commands (Redis 7.0 t_set.c semantics): SADD, SREM, SCARD, SISMEMBER, SMISMEMBER,
 * SMEMBERS, SRANDMEMBER, SPOP, SMOVE, SINTER/SUNION/SDIFF and their STORE forms, SINTERCARD,
 * SSCAN.
 *
 * Values are SetValue objects in the store's object table (intset while Redis would keep one,
 * by set-max-intset-entries; otherwise Redis's "hashtable", internally packed when small).
 * SINTER iterates the smallest set and probes the others, SUNION/SDIFF build their result in a
 * temporary set that starts as an intset, and SDIFF picks Redis's algorithm by estimated work,
 * so results come out in the order Redis gives wherever that order is deterministic (intsets
 * ascend). Each write re-charges the key's memory estimate; an emptied set deletes its key.
 * Members are compared and copied as bytes, never decoded.
 *
 * Every write signals its keys (WATCH) and publishes keyspace events where t_set.c does, in
 * its order relative to the reply, and only when a set changed: SADD "sadd", SREM "srem",
 * SPOP "spop", SMOVE "srem" (source) and "sadd" (destination), "del" when a set empties, the
 * STORE forms "sinterstore"/"sunionstore"/"sdiffstore", or "del" when an empty result removes
 * the destination. The store publishes "new" when it creates a key (dbAdd); the STORE forms
 * overwrite an existing destination in place, as setKey's dbOverwrite (no "new").
 */
import { settleAfterWrite } from './collection.ts';
import type { Client } from '../client.ts';
import type { Registry } from '../registry.ts';
import type { ConfigStore } from '../config-table.ts';
import { NotifyClass } from '../keyspace-events.ts';
import {
  R_ZERO, R_ONE, R_EMPTY_ARRAY, R_EMPTY_SCAN,
  E_WRONGTYPE, E_SYNTAX, E_NOT_INTEGER, E_OOM,
} from '../../protocol/replies.ts';
import { Status, KeyType, Lookup } from '../../store/types.ts';
import { parsed, INT64_MIN } from '../numbers.ts';
import { globMatch } from '../glob.ts';
import { SetValue, SetKind } from '../types/set-value.ts';
import { ElementBytes } from '../types/packed.ts';
import { scanArgs, scanCursorOrReply, scanOptionsOrReply } from './scan-args.ts';

// ---- set-max-intset-entries (cached per ConfigStore, refreshed on CONFIG SET) ----

const limits = { config: null as ConfigStore | null, intsetEntries: 512 };
const watched = new WeakSet<ConfigStore>();

function maxIntset(c: Client): number {
  const cfg = c.server.config;
  if (cfg !== limits.config) {
    limits.intsetEntries = cfg.number('set-max-intset-entries');
    limits.config = cfg;
    if (!watched.has(cfg)) {
      watched.add(cfg);
      cfg.onChange('set-max-intset-entries', () => {
        limits.config = null;
      });
    }
  }
  return limits.intsetEntries;
}

// ---- shared helpers ----

const member = new ElementBytes();

/** The set at argument i for reading: its handle, or -1 after replying `missing` (null: nil) or WRONGTYPE. */
function lookupSetOrReply(c: Client, i: number, missing: Uint8Array | null): number {
  return c.lookupTypedOrReply(i, KeyType.SET, Lookup.READ, missing);
}

function replyMember(c: Client, sv: SetValue, handle: number): void {
  sv.read(handle, member);
  c.reply.bulk(member.buf, member.off, member.len);
}

/** Store `sv` as a new key at argument `keyArg`, replacing whatever is there; false after replying OOM. */
function storeNewSet(c: Client, keyArg: number, sv: SetValue): boolean {
  const status = c.store.setObject(c.db, c.argBuf, c.argOff[keyArg], c.argLen[keyArg], KeyType.SET, sv, sv.memoryBytes());
  if (status !== Status.OK) {
    c.reply.raw(E_OOM);
    return false;
  }
  return true;
}

/** The empty set reply: *0 in RESP2, ~0 in RESP3. */
function replyEmptySet(c: Client): void {
  c.reply.setLen(0);
}

// ---- SADD / SREM ----

function cmdSadd(c: Client): void {
  const store = c.store;
  const h = c.lookupArg(1, Lookup.WRITE);
  if (h >= 0 && store.typeOf(h) !== KeyType.SET) {
    c.reply.raw(E_WRONGTYPE);
    return;
  }
  const max = maxIntset(c);
  const sv = h >= 0 ? (store.objectOf(h) as SetValue) : new SetValue();
  const before = h >= 0 ? sv.memoryBytes() : 0;
  let added = 0;
  for (let i = 2; i < c.argc; i++) if (sv.add(c.argBuf, c.argOff[i], c.argLen[i], max)) added++;
  if (h >= 0) store.adjustObjectBytes(h, sv.memoryBytes() - before);
  else if (!storeNewSet(c, 1, sv)) return;
  if (added !== 0) {
    c.modified(1);
    c.notify(NotifyClass.SET, 'sadd', 1);
  }
  c.reply.int(added);
}

function cmdSrem(c: Client): void {
  const store = c.store;
  const h = c.lookupArg(1, Lookup.WRITE);
  if (h < 0) {
    c.reply.raw(R_ZERO);
    return;
  }
  if (store.typeOf(h) !== KeyType.SET) {
    c.reply.raw(E_WRONGTYPE);
    return;
  }
  const sv = store.objectOf(h) as SetValue;
  const before = sv.memoryBytes();
  let deleted = 0;
  for (let i = 2; i < c.argc; i++) {
    if (sv.remove(c.argBuf, c.argOff[i], c.argLen[i])) {
      deleted++;
      if (sv.size() === 0) break;
    }
  }
  if (deleted !== 0) {
    const removed = sv.size() === 0;
    settleAfterWrite(store, h, sv.size(), sv.memoryBytes() - before);
    c.modified(1);
    c.notify(NotifyClass.SET, 'srem', 1);
    if (removed) c.notify(NotifyClass.GENERIC, 'del', 1);
  }
  c.reply.int(deleted);
}

// ---- SMOVE ----

function cmdSmove(c: Client): void {
  const store = c.store;
  const src = c.lookupArg(1, Lookup.WRITE);
  const dst = c.lookupArg(2, Lookup.WRITE);
  if (src < 0) {
    c.reply.raw(R_ZERO);
    return;
  }
  if (store.typeOf(src) !== KeyType.SET || (dst >= 0 && store.typeOf(dst) !== KeyType.SET)) {
    c.reply.raw(E_WRONGTYPE);
    return;
  }
  const buf = c.argBuf;
  const off = c.argOff[3];
  const len = c.argLen[3];
  const srcSet = store.objectOf(src) as SetValue;
  if (src === dst) {
    c.reply.raw(srcSet.has(buf, off, len) ? R_ONE : R_ZERO);
    return;
  }
  if (!srcSet.has(buf, off, len)) {
    c.reply.raw(R_ZERO);
    return;
  }
  const max = maxIntset(c);
  // A missing destination is created first: if that fails (OOM) the source is left untouched.
  // Its "new" event is held back (the store's onAdd detached) and published below where
  // Redis's dbAdd comes, after the source's "srem" and "del".
  let added = true;
  if (dst < 0) {
    const sv = new SetValue();
    sv.add(buf, off, len, max);
    const onAdd = store.onAdd;
    store.onAdd = null;
    const stored = storeNewSet(c, 2, sv);
    store.onAdd = onAdd;
    if (!stored) return;
  } else {
    const dstSet = store.objectOf(dst) as SetValue;
    const before = dstSet.memoryBytes();
    added = dstSet.add(buf, off, len, max);
    store.adjustObjectBytes(dst, dstSet.memoryBytes() - before);
  }
  const srcBefore = srcSet.memoryBytes();
  srcSet.remove(buf, off, len);
  const srcRemoved = srcSet.size() === 0;
  settleAfterWrite(store, src, srcSet.size(), srcSet.memoryBytes() - srcBefore);
  c.notify(NotifyClass.SET, 'srem', 1);
  if (srcRemoved) c.notify(NotifyClass.GENERIC, 'del', 1);
  if (dst < 0) c.added(2);
  c.modified(1);
  if (added) {
    c.modified(2);
    c.notify(NotifyClass.SET, 'sadd', 2);
  }
  c.reply.raw(R_ONE);
}

// ---- reads ----

function cmdSismember(c: Client): void {
  const h = lookupSetOrReply(c, 1, R_ZERO);
  if (h < 0) return;
  const sv = c.store.objectOf(h) as SetValue;
  c.reply.raw(sv.has(c.argBuf, c.argOff[2], c.argLen[2]) ? R_ONE : R_ZERO);
}

function cmdSmismember(c: Client): void {
  const h = c.lookupArg(1, Lookup.READ);
  if (h >= 0 && c.store.typeOf(h) !== KeyType.SET) {
    c.reply.raw(E_WRONGTYPE);
    return;
  }
  const sv = h >= 0 ? (c.store.objectOf(h) as SetValue) : null;
  c.reply.arrayLen(c.argc - 2);
  for (let i = 2; i < c.argc; i++) {
    c.reply.raw(sv !== null && sv.has(c.argBuf, c.argOff[i], c.argLen[i]) ? R_ONE : R_ZERO);
  }
}

function cmdScard(c: Client): void {
  const h = lookupSetOrReply(c, 1, R_ZERO);
  if (h < 0) return;
  c.reply.int((c.store.objectOf(h) as SetValue).size());
}

function cmdSmembers(c: Client): void {
  const h = c.lookupArg(1, Lookup.READ);
  if (h < 0) {
    replyEmptySet(c);
    return;
  }
  if (c.store.typeOf(h) !== KeyType.SET) {
    c.reply.raw(E_WRONGTYPE);
    return;
  }
  const sv = c.store.objectOf(h) as SetValue;
  c.reply.setLen(sv.size());
  // A doomed client (past its output hard limit) gets nothing more: stop building.
  for (let e = sv.first(); e >= 0 && !c.reply.overLimit; e = sv.next(e)) replyMember(c, sv, e);
}

// ---- SRANDMEMBER ----

/** getRangeLongFromObjectOrReply(-LONG_MAX, LONG_MAX): argument i into parsed; false after replying. */
function randomCountOrReply(c: Client, i: number): boolean {
  if (!c.argInt64(i)) {
    c.reply.raw(E_NOT_INTEGER);
    return false;
  }
  if (parsed.isBig && parsed.big === INT64_MIN) {
    c.reply.error('ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807');
    return false;
  }
  return true;
}

function srandmemberWithCount(c: Client): void {
  if (!randomCountOrReply(c, 2)) return;
  const l = parsed.isBig ? Number(parsed.big) : parsed.num;
  const h = lookupSetOrReply(c, 1, R_EMPTY_ARRAY);
  if (h < 0) return;
  const sv = c.store.objectOf(h) as SetValue;
  const size = sv.size();
  const uniq = l >= 0;
  const count = uniq ? l : -l;
  const reply = c.reply;
  if (count === 0) {
    reply.raw(R_EMPTY_ARRAY);
    return;
  }
  // CASE 1: negative count (repetitions allowed), or a single member.
  if (!uniq || count === 1) {
    if (sv.kind === SetKind.PACKED) sv.allHandles();
    reply.arrayLen(count);
    for (let i = 0; i < count; i++) replyMember(c, sv, sv.randomHandle());
    return;
  }
  // CASE 2: the whole set.
  if (count >= size) {
    reply.arrayLen(size);
    for (let e = sv.first(); e >= 0; e = sv.next(e)) replyMember(c, sv, e);
    return;
  }
  reply.arrayLen(count);
  // CASE 3: count close to size: a partial shuffle of every handle.
  if (count * 3 > size) {
    const all = sv.allHandles();
    for (let i = 0; i < count; i++) {
      const j = i + Math.floor(Math.random() * (size - i));
      const t = all[i];
      all[i] = all[j];
      all[j] = t;
      replyMember(c, sv, all[i]);
    }
    return;
  }
  // CASE 4: random picks until count distinct ones.
  if (sv.kind === SetKind.PACKED) sv.allHandles();
  const seen = new Set<number>();
  while (seen.size < count) {
    const e = sv.randomHandle();
    if (seen.has(e)) continue;
    seen.add(e);
    replyMember(c, sv, e);
  }
}

function cmdSrandmember(c: Client): void {
  if (c.argc === 3) {
    srandmemberWithCount(c);
    return;
  }
  if (c.argc > 3) {
    c.reply.raw(E_SYNTAX);
    return;
  }
  const h = lookupSetOrReply(c, 1, null);
  if (h < 0) return;
  const sv = c.store.objectOf(h) as SetValue;
  if (sv.kind === SetKind.PACKED) sv.allHandles();
  replyMember(c, sv, sv.randomHandle());
}

// ---- SPOP ----

/** How much bigger than what remains a pop must be to rebuild the set from the remainder (SPOP_MOVE_STRATEGY_MUL). */
const SPOP_MOVE_STRATEGY_MUL = 5;

function spopWithCount(c: Client): void {
  if (!c.argInt64(2) || parsed.isBig || parsed.num < 0) {
    c.reply.error('ERR value is out of range, must be positive');
    return;
  }
  const count = parsed.num;
  const store = c.store;
  const h = c.lookupArg(1, Lookup.WRITE);
  if (h < 0) {
    replyEmptySet(c);
    return;
  }
  if (store.typeOf(h) !== KeyType.SET) {
    c.reply.raw(E_WRONGTYPE);
    return;
  }
  if (count === 0) {
    replyEmptySet(c);
    return;
  }
  const sv = store.objectOf(h) as SetValue;
  const size = sv.size();
  const reply = c.reply;
  c.notify(NotifyClass.SET, 'spop', 1);
  // CASE 1: the whole set, as SUNION of it would answer, then the key goes.
  if (count >= size) {
    const all = new SetValue();
    const max = maxIntset(c);
    for (let e = sv.first(); e >= 0; e = sv.next(e)) {
      sv.read(e, member);
      all.add(member.buf, member.off, member.len, max);
    }
    reply.setLen(all.size());
    for (let e = all.first(); e >= 0; e = all.next(e)) replyMember(c, all, e);
    store.deleteHandle(h);
    c.notify(NotifyClass.GENERIC, 'del', 1);
    c.modified(1);
    return;
  }
  const before = sv.memoryBytes();
  const remaining = size - count;
  reply.setLen(count);
  if (remaining * SPOP_MOVE_STRATEGY_MUL > count) {
    // CASE 2: pop random members one by one.
    for (let i = 0; i < count; i++) {
      if (sv.kind === SetKind.PACKED) sv.allHandles();
      const e = sv.randomHandle();
      replyMember(c, sv, e);
      sv.removeHandle(e);
    }
  } else {
    // CASE 3: move the few members that stay into a new set, return the rest; the key keeps
    // the new set (whose encoding follows from what remains, as in Redis).
    const kept = new SetValue();
    const max = maxIntset(c);
    for (let i = 0; i < remaining; i++) {
      if (sv.kind === SetKind.PACKED) sv.allHandles();
      const e = sv.randomHandle();
      sv.read(e, member);
      kept.add(member.buf, member.off, member.len, max);
      sv.removeHandle(e);
    }
    for (let e = sv.first(); e >= 0; e = sv.next(e)) replyMember(c, sv, e);
    sv.kind = kept.kind;
    sv.ints = kept.ints;
    sv.packed = kept.packed;
    sv.n = kept.n;
    sv.table = kept.table;
  }
  store.adjustObjectBytes(h, sv.memoryBytes() - before);
  c.modified(1);
}

function cmdSpop(c: Client): void {
  if (c.argc === 3) {
    spopWithCount(c);
    return;
  }
  if (c.argc > 3) {
    c.reply.raw(E_SYNTAX);
    return;
  }
  const store = c.store;
  const h = c.lookupArg(1, Lookup.WRITE);
  if (h < 0) {
    c.reply.nullBulk();
    return;
  }
  if (store.typeOf(h) !== KeyType.SET) {
    c.reply.raw(E_WRONGTYPE);
    return;
  }
  const sv = store.objectOf(h) as SetValue;
  const before = sv.memoryBytes();
  if (sv.kind === SetKind.PACKED) sv.allHandles();
  const e = sv.randomHandle();
  c.notify(NotifyClass.SET, 'spop', 1);
  replyMember(c, sv, e);
  sv.removeHandle(e);
  const removed = sv.size() === 0;
  settleAfterWrite(store, h, sv.size(), sv.memoryBytes() - before);
  if (removed) c.notify(NotifyClass.GENERIC, 'del', 1);
  c.modified(1);
}

// ---- SINTER / SINTERSTORE / SINTERCARD ----

/** The sets of the current multi-key command (null: missing key), reused across commands. */
const sets: (SetValue | null)[] = [];
let resultHandles = new Int32Array(64);

/**
 * Look up numKeys set keys from argument `first` into `sets`; false after replying WRONGTYPE.
 * Returns the number of missing keys through `missingKeys`. Read lookups even for the STORE
 * forms, as Redis's lookupKeyRead (keyspace hits and misses).
 */
let missingKeys = 0;
function loadSets(c: Client, first: number, numKeys: number): boolean {
  sets.length = numKeys;
  missingKeys = 0;
  const store = c.store;
  for (let j = 0; j < numKeys; j++) {
    const h = c.lookupArg(first + j, Lookup.READ);
    if (h < 0) {
      sets[j] = null;
      missingKeys++;
      continue;
    }
    if (store.typeOf(h) !== KeyType.SET) {
      sets.length = 0;
      c.reply.raw(E_WRONGTYPE);
      return false;
    }
    sets[j] = store.objectOf(h) as SetValue;
  }
  return true;
}

function bySize(a: SetValue | null, b: SetValue | null): number {
  return a!.size() - b!.size();
}

function byRevSize(a: SetValue | null, b: SetValue | null): number {
  return (b === null ? 0 : b.size()) - (a === null ? 0 : a.size());
}

/** The current member (in `member`) belongs to sets[1..n), skipping sets identical to sets[0]. */
function inAllOthers(n: number): boolean {
  const s0 = sets[0]!;
  for (let j = 1; j < n; j++) {
    const s = sets[j]!;
    if (s === s0) continue;
    if (!s.has(member.buf, member.off, member.len)) return false;
  }
  return true;
}

/**
 * sinterGenericCommand: dstArg >= 0 stores the result there; cardinality-only (SINTERCARD)
 * replies the count, stopping at `limit` (0: no limit).
 */
function sinterGeneric(c: Client, first: number, numKeys: number, dstArg: number, cardOnly: boolean, limit: number): void {
  if (!loadSets(c, first, numKeys)) return;
  const store = c.store;
  if (missingKeys > 0) {
    sets.length = 0;
    if (dstArg >= 0) {
      if (store.delete(c.db, c.argBuf, c.argOff[dstArg], c.argLen[dstArg])) {
        c.modified(dstArg);
        c.notify(NotifyClass.GENERIC, 'del', dstArg);
      }
      c.reply.raw(R_ZERO);
    } else if (cardOnly) c.reply.raw(R_ZERO);
    else replyEmptySet(c);
    return;
  }
  sets.sort(bySize);
  const s0 = sets[0]!;
  if (cardOnly) {
    let card = 0;
    for (let e = s0.first(); e >= 0; e = s0.next(e)) {
      s0.read(e, member);
      if (inAllOthers(numKeys)) {
        card++;
        if (limit !== 0 && card >= limit) break;
      }
    }
    sets.length = 0;
    c.reply.int(card);
    return;
  }
  if (dstArg >= 0) {
    const result = new SetValue();
    const max = maxIntset(c);
    for (let e = s0.first(); e >= 0; e = s0.next(e)) {
      s0.read(e, member);
      if (inAllOthers(numKeys)) result.add(member.buf, member.off, member.len, max);
    }
    sets.length = 0;
    storeResult(c, dstArg, result, 'sinterstore');
    return;
  }
  let found = 0;
  if (resultHandles.length < s0.size()) resultHandles = new Int32Array(s0.size());
  for (let e = s0.first(); e >= 0; e = s0.next(e)) {
    s0.read(e, member);
    if (inAllOthers(numKeys)) resultHandles[found++] = e;
  }
  sets.length = 0;
  c.reply.setLen(found);
  for (let k = 0; k < found; k++) replyMember(c, s0, resultHandles[k]);
}

/**
 * Store a computed set at argument dstArg and reply its size, then signal it and publish
 * `event` (setKey + notifyKeyspaceEvent); an empty result deletes the key instead ("del").
 */
function storeResult(c: Client, dstArg: number, result: SetValue, event: string): void {
  const size = result.size();
  if (size === 0) {
    c.reply.raw(R_ZERO);
    if (c.store.delete(c.db, c.argBuf, c.argOff[dstArg], c.argLen[dstArg])) {
      c.modified(dstArg);
      c.notify(NotifyClass.GENERIC, 'del', dstArg);
    }
    return;
  }
  if (!storeNewSet(c, dstArg, result)) return;
  c.modified(dstArg);
  c.reply.int(size);
  c.notify(NotifyClass.SET, event, dstArg);
}

function cmdSinter(c: Client): void {
  sinterGeneric(c, 1, c.argc - 1, -1, false, 0);
}

function cmdSinterstore(c: Client): void {
  sinterGeneric(c, 2, c.argc - 2, 1, false, 0);
}

function cmdSintercard(c: Client): void {
  if (!c.argInt64(1) || parsed.isBig || parsed.num < 1) {
    c.reply.error('ERR numkeys should be greater than 0');
    return;
  }
  const numKeys = parsed.num;
  if (numKeys > c.argc - 2) {
    c.reply.error("ERR Number of keys can't be greater than number of args");
    return;
  }
  let limit = 0;
  for (let j = 2 + numKeys; j < c.argc; j++) {
    if (c.argIs(j, 'limit') && j + 1 < c.argc) {
      j++;
      if (!c.argInt64(j) || parsed.isBig || parsed.num < 0) {
        c.reply.error("ERR LIMIT can't be negative");
        return;
      }
      limit = parsed.num;
    } else {
      c.reply.raw(E_SYNTAX);
      return;
    }
  }
  sinterGeneric(c, 2, numKeys, -1, true, limit);
}

// ---- SUNION / SDIFF and their STORE forms ----

const SET_OP_UNION = 0;
const SET_OP_DIFF = 1;

/** sunionDiffGenericCommand. */
function sunionDiffGeneric(c: Client, first: number, numKeys: number, dstArg: number, op: number): void {
  if (!loadSets(c, first, numKeys)) return;
  let algo = 1;
  const s0 = sets[0];
  if (op === SET_OP_DIFF && s0 !== null) {
    let one = 0;
    let two = 0;
    for (let j = 0; j < numKeys; j++) {
      const s = sets[j];
      if (s === null) continue;
      one += s0.size();
      two += s.size();
    }
    one = Math.floor(one / 2);
    algo = one <= two ? 1 : 2;
    if (algo === 1 && numKeys > 1) {
      const rest = sets.slice(1).sort(byRevSize);
      for (let j = 1; j < numKeys; j++) sets[j] = rest[j - 1];
    }
  }
  const max = maxIntset(c);
  const result = new SetValue();
  if (op === SET_OP_UNION) {
    for (let j = 0; j < numKeys; j++) {
      const s = sets[j];
      if (s === null) continue;
      for (let e = s.first(); e >= 0; e = s.next(e)) {
        s.read(e, member);
        result.add(member.buf, member.off, member.len, max);
      }
    }
  } else if (s0 !== null && algo === 1) {
    for (let e = s0.first(); e >= 0; e = s0.next(e)) {
      s0.read(e, member);
      let j = 1;
      for (; j < numKeys; j++) {
        const s = sets[j];
        if (s === null) continue;
        if (s === s0) break;
        if (s.has(member.buf, member.off, member.len)) break;
      }
      if (j === numKeys) result.add(member.buf, member.off, member.len, max);
    }
  } else if (s0 !== null) {
    for (let j = 0; j < numKeys; j++) {
      const s = sets[j];
      if (s === null) continue;
      for (let e = s.first(); e >= 0; e = s.next(e)) {
        s.read(e, member);
        if (j === 0) result.add(member.buf, member.off, member.len, max);
        else result.remove(member.buf, member.off, member.len);
      }
      if (result.size() === 0) break;
    }
  }
  sets.length = 0;
  if (dstArg >= 0) {
    storeResult(c, dstArg, result, op === SET_OP_UNION ? 'sunionstore' : 'sdiffstore');
    return;
  }
  c.reply.setLen(result.size());
  for (let e = result.first(); e >= 0; e = result.next(e)) replyMember(c, result, e);
}

function cmdSunion(c: Client): void {
  sunionDiffGeneric(c, 1, c.argc - 1, -1, SET_OP_UNION);
}

function cmdSunionstore(c: Client): void {
  sunionDiffGeneric(c, 2, c.argc - 2, 1, SET_OP_UNION);
}

function cmdSdiff(c: Client): void {
  sunionDiffGeneric(c, 1, c.argc - 1, -1, SET_OP_DIFF);
}

function cmdSdiffstore(c: Client): void {
  sunionDiffGeneric(c, 2, c.argc - 2, 1, SET_OP_DIFF);
}

// ---- SSCAN ----

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

function memberMatches(): boolean {
  return globMatch(scanArgs.patBuf!, scanArgs.patOff, scanArgs.patLen, member.buf, member.off, member.len, false);
}

function cmdSscan(c: Client): void {
  const cursor = scanCursorOrReply(c, 2);
  if (cursor < 0) return;
  const h = lookupSetOrReply(c, 1, R_EMPTY_SCAN);
  if (h < 0) return;
  if (!scanOptionsOrReply(c, 3)) return;
  const sv = c.store.objectOf(h) as SetValue;
  const reply = c.reply;
  const t = sv.table;
  if (sv.kind !== SetKind.TABLE || t === null) {
    // intset and small sets are returned whole, with cursor 0.
    let n = sv.size();
    if (scanArgs.usePattern) {
      n = 0;
      for (let e = sv.first(); e >= 0; e = sv.next(e)) {
        sv.read(e, member);
        if (memberMatches()) n++;
      }
    }
    reply.arrayLen(2);
    reply.bulkString('0');
    reply.arrayLen(n);
    for (let e = sv.first(); e >= 0; e = sv.next(e)) {
      sv.read(e, member);
      if (scanArgs.usePattern && !memberMatches()) continue;
      reply.bulk(member.buf, member.off, member.len);
    }
    return;
  }
  scanFound = 0;
  const count = scanArgs.count;
  let next = cursor;
  let iterations = count * 10;
  do {
    next = t.scanStep(next, collect);
  } while (next !== 0 && iterations-- > 0 && scanFound < count);
  let kept = 0;
  for (let k = 0; k < scanFound; k++) {
    const id = scanIds[k];
    if (scanArgs.usePattern) {
      sv.read(id, member);
      if (!memberMatches()) continue;
    }
    scanIds[kept++] = id;
  }
  reply.arrayLen(2);
  reply.bulkString(String(next));
  reply.arrayLen(kept);
  for (let k = 0; k < kept; k++) replyMember(c, sv, scanIds[k]);
}

export function registerSetCommands(registry: Registry): void {
  registry.add('sadd', cmdSadd);
  registry.add('srem', cmdSrem);
  registry.add('smove', cmdSmove);
  registry.add('sismember', cmdSismember);
  registry.add('smismember', cmdSmismember);
  registry.add('scard', cmdScard);
  registry.add('smembers', cmdSmembers);
  registry.add('srandmember', cmdSrandmember);
  registry.add('spop', cmdSpop);
  registry.add('sinter', cmdSinter);
  registry.add('sinterstore', cmdSinterstore);
  registry.add('sintercard', cmdSintercard);
  registry.add('sunion', cmdSunion);
  registry.add('sunionstore', cmdSunionstore);
  registry.add('sdiff', cmdSdiff);
  registry.add('sdiffstore', cmdSdiffstore);
  registry.add('sscan', cmdSscan);
}
