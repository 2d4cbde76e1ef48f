/*
 * HyperLogLog commands (Redis 7.0 hyperloglog.c) on string values: PFADD, PFCOUNT (one key, or
 * the union of several merged into a scratch register array without writing), PFMERGE,
 * PFSELFTEST and PFDEBUG GETREG / DECODE / ENCODING / TODENSE. The representation, the hash
 * and the estimator live in src/types/hyperloglog.ts.
 *
 * Reads (validation, counting, merging sources) go straight to the value's bytes in the slab.
 * A dense value (12304 bytes) is updated in place: PFADD writes only the one or two bytes of
 * each register that grows, and the cache-stale bit, through the store's SETRANGE primitive. A
 * sparse value is copied into one reusable HllBuffer, updated there (it may grow, shrink, or be
 * promoted to dense at hll-sparse-max-bytes) and stored back whole, raw-encoded, keeping its TTL.
 * As dbUnshareStringValue does, every command that may write a value (PFADD, single-key
 * PFCOUNT, PFDEBUG) leaves it raw-encoded even when nothing changes.
 *
 * Keyspace events and WATCH as hyperloglog.c: PFADD signals the key and publishes "pfadd" when
 * a register grew or the key was created; PFMERGE always does both; a single-key PFCOUNT that
 * recomputes the cached cardinality writes it back and signals the key, without an event;
 * PFDEBUG neither signals nor publishes (7.0 does not, even when TODENSE converts). The store
 * publishes "new" when a key is created.
 */
import type { Client } from '../client.ts';
import type { Registry } from '../registry.ts';
import { R_ZERO, R_ONE, R_OK, E_WRONGTYPE, E_OOM } from '../../protocol/replies.ts';
import { KeyType, Lookup, Encoding, Status, KEEP_TTL } from '../../store/types.ts';
import { NotifyClass } from '../keyspace-events.ts';
import {
  HllBuffer,
  HLL_DENSE,
  HLL_SPARSE,
  HLL_HDR_SIZE,
  HLL_CARD,
  HLL_STALE_BYTE,
  HLL_REGISTERS,
  HLL_INVALID,
  isHll,
  encodingOf,
  cacheValid,
  cachedCount,
  writeCount,
  hllCount,
  countRegisters,
  mergeInto,
  patLen,
  denseRegister,
  denseRegisterByte,
  denseRegisterBytes,
  decodeSparse,
  selfTest,
} from '../types/hyperloglog.ts';

function err(text: string): Buffer {
  return Buffer.from(`-${text}\r\n`, 'latin1');
}

const E_HLL_INVALID = err('INVALIDOBJ Corrupted HLL object detected');
const E_HLL_WRONGTYPE = err('WRONGTYPE Key is not a valid HyperLogLog string value.');
const E_NO_KEY = err('ERR The specified key does not exist');
const E_NOT_SPARSE = err('ERR HLL encoding is not sparse');

/** The value being modified (sparse updates, promotions, PFMERGE's destination). */
const work = new HllBuffer();
/** PFCOUNT's and PFMERGE's union of registers, one byte each. */
const max = new Uint8Array(HLL_REGISTERS);
const bytes8 = new Uint8Array(8);

// ---- helpers -------------------------------------------------------------------------------

/** isHLLObjectOrReply for the key of handle h: a string holding a well-formed HLL header. */
function isHllOrReply(c: Client, h: number): boolean {
  const store = c.store;
  if (store.typeOf(h) !== KeyType.STRING) {
    c.reply.raw(E_WRONGTYPE);
    return false;
  }
  const page = store.stringBytes(h);
  if (!isHll(page, store.offset, store.stringLength(h))) {
    c.reply.raw(E_HLL_WRONGTYPE);
    return false;
  }
  return true;
}

/**
 * dbUnshareStringValue for the key at argument i (handle h): an embstr value is made raw by
 * rewriting its first byte. Returns the key's handle afterwards.
 */
function unshare(c: Client, i: number, h: number): number {
  const store = c.store;
  if (store.encodingOf(h) === Encoding.RAW) return h;
  const page = store.stringBytes(h);
  bytes8[0] = page[store.offset];
  store.setRange(c.db, c.argBuf, c.argOff[i], c.argLen[i], 0, bytes8, 0, 1);
  return c.lookupArg(i, Lookup.PEEK);
}

/** Store the work buffer as the value of the key at argument i (raw, TTL kept); false after replying OOM. */
function storeWork(c: Client, i: number): boolean {
  const status = c.store.setString(c.db, c.argBuf, c.argOff[i], c.argLen[i], work.bytes, 0, work.len, KEEP_TTL, Encoding.RAW);
  if (status !== Status.OK) {
    c.reply.raw(E_OOM);
    return false;
  }
  return true;
}

/**
 * hllMerge of every existing key in arguments from.. into `max` (zeroed first). Returns 1 when
 * a source is dense, 0 when none is, or -1 after replying an error.
 */
function mergeArgsOrReply(c: Client, from: number): number {
  const store = c.store;
  max.fill(0);
  let dense = 0;
  for (let j = from; j < c.argc; j++) {
    const h = c.lookupArg(j, Lookup.READ);
    if (h < 0) continue;
    if (!isHllOrReply(c, h)) return -1;
    const page = store.stringBytes(h);
    const off = store.offset;
    if (encodingOf(page, off) === HLL_DENSE) dense = 1;
    if (!mergeInto(max, page, off, store.stringLength(h))) {
      c.reply.raw(E_HLL_INVALID);
      return -1;
    }
  }
  return dense;
}

// ---- PFADD -----------------------------------------------------------------------------------

function cmdPfadd(c: Client): void {
  const store = c.store;
  let h = c.lookupArg(1, Lookup.WRITE);
  let updated = 0;
  if (h < 0) {
    work.create();
    updated = 1;
  } else {
    if (!isHllOrReply(c, h)) return;
    h = unshare(c, 1, h);
    const page = store.stringBytes(h);
    if (encodingOf(page, store.offset) === HLL_DENSE) {
      pfaddDense(c, h);
      return;
    }
    work.load(page, store.offset, store.stringLength(h));
  }
  const maxBytes = c.server.settings.hllSparseMaxBytes;
  for (let j = 2; j < c.argc; j++) {
    const r = work.add(c.argBuf, c.argOff[j], c.argLen[j], maxBytes);
    if (r === 1) {
      updated++;
    } else if (r === -1) {
      // Redis finds the corruption after updating the value in place: what was done stays.
      if (updated !== 0 && !storeWork(c, 1)) return;
      c.reply.raw(E_HLL_INVALID);
      return;
    }
  }
  if (updated !== 0) {
    work.invalidateCache();
    if (!storeWork(c, 1)) return;
    c.modified(1);
    c.notify(NotifyClass.STRING, 'pfadd', 1);
  }
  c.reply.raw(updated !== 0 ? R_ONE : R_ZERO);
}

/** PFADD into a dense value: each register that grows is written in place (one or two bytes). */
function pfaddDense(c: Client, h: number): void {
  const store = c.store;
  const key = c.argBuf;
  const koff = c.argOff[1];
  const klen = c.argLen[1];
  let updated = false;
  for (let j = 2; j < c.argc; j++) {
    const r = patLen(c.argBuf, c.argOff[j], c.argLen[j]);
    const index = r >>> 6;
    const count = r & 63;
    const page = store.stringBytes(h);
    const base = store.offset + HLL_HDR_SIZE;
    if (count <= denseRegister(page, base, index)) continue;
    const n = denseRegisterBytes(page, base, index, count, bytes8);
    store.setRange(c.db, key, koff, klen, HLL_HDR_SIZE + denseRegisterByte(index), bytes8, 0, n);
    h = c.lookupArg(1, Lookup.PEEK);
    updated = true;
  }
  if (updated) {
    const page = store.stringBytes(h);
    bytes8[0] = page[store.offset + HLL_STALE_BYTE] | 0x80;
    store.setRange(c.db, key, koff, klen, HLL_STALE_BYTE, bytes8, 0, 1);
    c.modified(1);
    c.notify(NotifyClass.STRING, 'pfadd', 1);
  }
  c.reply.raw(updated ? R_ONE : R_ZERO);
}

// ---- PFCOUNT ---------------------------------------------------------------------------------

function cmdPfcount(c: Client): void {
  if (c.argc > 2) {
    if (mergeArgsOrReply(c, 1) < 0) return;
    c.reply.int(countRegisters(max));
    return;
  }
  const store = c.store;
  let h = c.lookupArg(1, Lookup.READ);
  if (h < 0) {
    c.reply.raw(R_ZERO);
    return;
  }
  if (!isHllOrReply(c, h)) return;
  h = unshare(c, 1, h);
  const page = store.stringBytes(h);
  const off = store.offset;
  if (cacheValid(page, off)) {
    c.reply.int(cachedCount(page, off));
    return;
  }
  const card = hllCount(page, off, store.stringLength(h));
  if (card === HLL_INVALID) {
    c.reply.raw(E_HLL_INVALID);
    return;
  }
  writeCount(bytes8, 0, card);
  store.setRange(c.db, c.argBuf, c.argOff[1], c.argLen[1], HLL_CARD, bytes8, 0, 8);
  c.modified(1);
  c.reply.int(card);
}

// ---- PFMERGE ---------------------------------------------------------------------------------

function cmdPfmerge(c: Client): void {
  const dense = mergeArgsOrReply(c, 1);
  if (dense < 0) return;
  const store = c.store;
  const h = c.lookupArg(1, Lookup.WRITE);
  if (h < 0) work.create();
  else work.load(store.stringBytes(h), store.offset, store.stringLength(h));
  if (dense === 1 && !work.toDense()) {
    c.reply.raw(E_HLL_INVALID);
    return;
  }
  const maxBytes = c.server.settings.hllSparseMaxBytes;
  for (let j = 0; j < HLL_REGISTERS; j++) {
    if (max[j] !== 0) work.set(j, max[j], maxBytes);
  }
  work.invalidateCache();
  if (!storeWork(c, 1)) return;
  c.modified(1);
  c.notify(NotifyClass.STRING, 'pfadd', 1);
  c.reply.raw(R_OK);
}

// ---- PFSELFTEST / PFDEBUG --------------------------------------------------------------------

function cmdPfselftest(c: Client): void {
  const failure = selfTest(c.server.settings.hllSparseMaxBytes);
  if (failure === null) c.reply.raw(R_OK);
  else c.reply.error(`ERR ${failure}`);
}

/** Convert the sparse value of the key at argument 2 (handle h) to dense in the work buffer and store it; false after replying. */
function toDenseOrReply(c: Client, h: number): boolean {
  const store = c.store;
  work.load(store.stringBytes(h), store.offset, store.stringLength(h));
  if (!work.toDense()) {
    c.reply.raw(E_HLL_INVALID);
    return false;
  }
  return storeWork(c, 2);
}

function cmdPfdebug(c: Client): void {
  const store = c.store;
  let h = c.lookupArg(2, Lookup.WRITE);
  if (h < 0) {
    c.reply.raw(E_NO_KEY);
    return;
  }
  if (!isHllOrReply(c, h)) return;
  h = unshare(c, 2, h);
  const page = store.stringBytes(h);
  const encoding = encodingOf(page, store.offset);
  // The subcommand is compared as a C string: up to its first NUL byte.
  const off = c.argOff[1];
  let end = off;
  while (end < off + c.argLen[1] && c.argBuf[end] !== 0) end++;
  const cmd = c.argBuf.toString('latin1', off, end);
  switch (cmd.toLowerCase()) {
    case 'getreg': {
      if (encoding === HLL_SPARSE && !toDenseOrReply(c, h)) return;
      const reply = c.reply;
      reply.arrayLen(HLL_REGISTERS);
      h = c.lookupArg(2, Lookup.PEEK);
      const regs = store.stringBytes(h);
      const base = store.offset + HLL_HDR_SIZE;
      for (let j = 0; j < HLL_REGISTERS; j++) reply.int(denseRegister(regs, base, j));
      return;
    }
    case 'decode':
      if (encoding !== HLL_SPARSE) {
        c.reply.raw(E_NOT_SPARSE);
        return;
      }
      c.reply.bulkBytes(Buffer.from(decodeSparse(page, store.offset, store.stringLength(h)), 'latin1'));
      return;
    case 'encoding':
      c.reply.simple(encoding === HLL_DENSE ? 'dense' : 'sparse');
      return;
    case 'todense':
      if (encoding === HLL_SPARSE) {
        if (!toDenseOrReply(c, h)) return;
        c.reply.raw(R_ONE);
      } else {
        c.reply.raw(R_ZERO);
      }
      return;
    default:
      c.reply.error(`ERR Unknown PFDEBUG subcommand '${cmd}'`);
  }
}

export function registerHyperLogLogCommands(registry: Registry): void {
  registry.add('pfadd', cmdPfadd);
  registry.add('pfcount', cmdPfcount);
  registry.add('pfmerge', cmdPfmerge);
  registry.add('pfselftest', cmdPfselftest);
  registry.add('pfdebug', cmdPfdebug);
}
