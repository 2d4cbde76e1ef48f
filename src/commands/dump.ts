/*
 * DUMP and RESTORE (Redis 7.0 cluster.c's dumpCommand / restoreCommand). The payload is the
 * key's value in the RDB encoding (src/rdb/rdb-value.ts) sealed with the RDB version and a
 * CRC-64 (src/rdb/dump-payload.ts), so payloads move between slabcache and redis-server 7.0.
 *
 * RESTORE checks in Redis's order: options, BUSYKEY, the TTL, the version and checksum, the
 * payload itself ("Bad data format"); only then does it change anything, so a bad payload
 * leaves the keyspace as it was. Redis's REPLACE deletes the old key and adds the new one;
 * here the store overwrites it in place (so a failed allocation keeps the old value) and the
 * handler says the `new` event dbAdd would. A TTL already in the past creates nothing (and,
 * with REPLACE, deletes the old key: `del`). The key's LRU / LFU field starts as a new
 * object's, then IDLETIME / FREQ apply as the current maxmemory-policy uses them.
 */
import type { Client } from '../client.ts';
import type { Registry } from '../registry.ts';
import type { ConfigStore } from '../config-table.ts';
import { R_OK, E_SYNTAX, E_NOT_INTEGER, E_BUSYKEY, E_OOM } from '../../protocol/replies.ts';
import { Encoding, KeyType, Lookup, Status } from '../../store/types.ts';
import { parsed } from '../numbers.ts';
import { NotifyClass } from '../keyspace-events.ts';
import type { Collection } from '../types/collection.ts';
import { hashAt, storeNewHash } from './hashes.ts';
import type { HashValue } from '../types/hash-value.ts';
import { putZset, zsetAt } from './zsets.ts';
import { listAt, storeNewList } from './lists.ts';
import type { ZsetValue } from '../types/zset-value.ts';
import type { ListValue } from '../types/list-value.ts';
import { RdbWriter } from '../rdb/rdb-writer.ts';
import { RdbReader } from '../rdb/rdb-reader.ts';
import { sealDumpPayload, verifyDumpPayload } from '../rdb/dump-payload.ts';
import { readValue, writeCollection, writeString, type RdbSettings } from '../rdb/rdb-value.ts';

const E_BAD_PAYLOAD = 'ERR DUMP payload version or checksum are wrong';
const E_BAD_FORMAT = 'ERR Bad data format';

const settings: RdbSettings = {
  compression: true,
  hashMaxListpackEntries: 512,
  hashMaxListpackValue: 64,
  setMaxIntsetEntries: 512,
  zsetMaxListpackEntries: 128,
  zsetMaxListpackValue: 64,
  listMaxListpackSize: -2,
};

/** The encoding thresholds as configured now (read per call: DUMP and RESTORE are not hot). */
function loadSettings(cfg: ConfigStore): RdbSettings {
  settings.compression = cfg.flag('rdbcompression');
  settings.hashMaxListpackEntries = cfg.number('hash-max-listpack-entries');
  settings.hashMaxListpackValue = cfg.number('hash-max-listpack-value');
  settings.setMaxIntsetEntries = cfg.number('set-max-intset-entries');
  settings.zsetMaxListpackEntries = cfg.number('zset-max-listpack-entries');
  settings.zsetMaxListpackValue = cfg.number('zset-max-listpack-value');
  settings.listMaxListpackSize = cfg.number('list-max-listpack-size');
  return settings;
}

const writer = new RdbWriter();

function cmdDump(c: Client): void {
  const h = c.lookupArg(1, Lookup.READ);
  if (h < 0) {
    c.reply.nullBulk();
    return;
  }
  const store = c.store;
  const s = loadSettings(c.server.config);
  writer.reset();
  const type = store.typeOf(h);
  if (type === KeyType.STRING) {
    const intValue = store.isInteger(h) ? store.integerValue(h) : null;
    const len = store.stringLength(h);
    const bytes = store.stringBytes(h);
    writeString(writer, bytes, store.offset, len, intValue, s);
  } else {
    writeCollection(writer, type, type === KeyType.HASH ? hashAt(store, h) : type === KeyType.ZSET ? zsetAt(store, h) : type === KeyType.LIST ? listAt(store, h) : (store.objectOf(h) as Collection), s);
  }
  sealDumpPayload(writer);
  c.reply.bulk(writer.buf, 0, writer.pos);
  writer.reset();
}

/** getLongLongFromObjectOrReply for argument i: the value, or null after replying. */
function longLongOrReply(c: Client, i: number): number | null {
  if (!c.argInt64(i)) {
    c.reply.raw(E_NOT_INTEGER);
    return null;
  }
  return parsed.isBig ? Number(parsed.big) : parsed.num;
}

function cmdRestore(c: Client): void {
  let replace = false;
  let absttl = false;
  let idle = -1;
  let freq = -1;
  for (let j = 4; j < c.argc; j++) {
    const additional = c.argc - j - 1;
    if (c.argIs(j, 'replace')) {
      replace = true;
    } else if (c.argIs(j, 'absttl')) {
      absttl = true;
    } else if (c.argIs(j, 'idletime') && additional >= 1 && freq === -1) {
      const v = longLongOrReply(c, j + 1);
      if (v === null) return;
      if (v < 0) {
        c.reply.error('ERR Invalid IDLETIME value, must be >= 0');
        return;
      }
      idle = v;
      j++;
    } else if (c.argIs(j, 'freq') && additional >= 1 && idle === -1) {
      const v = longLongOrReply(c, j + 1);
      if (v === null) return;
      if (v < 0 || v > 255) {
        c.reply.error('ERR Invalid FREQ value, must be >= 0 and <= 255');
        return;
      }
      freq = v;
      j++;
    } else {
      c.reply.raw(E_SYNTAX);
      return;
    }
  }
  if (!replace && c.lookupArg(1, Lookup.WRITE) >= 0) {
    c.reply.raw(E_BUSYKEY);
    return;
  }
  if (!c.argInt64(2)) {
    c.reply.raw(E_NOT_INTEGER);
    return;
  }
  let ttl = parsed.isBig ? parsed.big : BigInt(parsed.num);
  if (ttl < 0n) {
    c.reply.error('ERR Invalid TTL value, must be >= 0');
    return;
  }
  const buf = c.argBuf;
  const off = c.argOff[3];
  const len = c.argLen[3];
  if (!verifyDumpPayload(buf, off, len)) {
    c.reply.error(E_BAD_PAYLOAD);
    return;
  }
  // As Redis, the reader's input runs to the payload's end: a body cut short reads into the footer.
  const value = readValue(new RdbReader(buf, off, off + len), loadSettings(c.server.config));
  if (value === null) {
    c.reply.error(E_BAD_FORMAT);
    return;
  }
  const store = c.store;
  const koff = c.argOff[1];
  const klen = c.argLen[1];
  const now = c.server.clock.now;
  // mstime() + ttl in C's signed 64-bit arithmetic.
  if (ttl !== 0n && !absttl) ttl = BigInt.asIntN(64, ttl + BigInt(now));
  if (ttl !== 0n && ttl <= BigInt(now)) {
    if (replace && store.delete(c.db, buf, koff, klen)) {
      c.modified(1);
      c.notify(NotifyClass.GENERIC, 'del', 1);
    }
    c.reply.raw(R_OK);
    return;
  }
  // REPLACE overwrites in place, so that running out of memory leaves the old value; Redis
  // deletes and adds the key, so its `new` event is said here (the store says it for a new key).
  const existed = replace && store.lookup(c.db, buf, koff, klen, Lookup.PEEK) >= 0;
  const expireAt = Number(ttl);
  let status: number;
  if (value.type === KeyType.STRING) {
    const v = value.string!;
    status = store.setString(c.db, buf, koff, klen, v, 0, v.length, expireAt, Encoding.INT);
  } else if (value.type === KeyType.HASH) {
    status = storeNewHash(store, c.db, buf, koff, klen, value.object as HashValue);
  } else if (value.type === KeyType.ZSET) {
    status = putZset(store, c.db, buf, koff, klen, value.object as ZsetValue);
  } else if (value.type === KeyType.LIST) {
    status = storeNewList(store, c.db, buf, koff, klen, value.object as ListValue);
  } else {
    status = store.setObject(c.db, buf, koff, klen, value.type, value.object, value.bytes);
  }
  if (status !== Status.OK) {
    c.reply.raw(E_OOM);
    return;
  }
  if (existed) c.added(1);
  const h = store.lookup(c.db, buf, koff, klen, Lookup.PEEK);
  if (expireAt !== 0 && value.type !== KeyType.STRING) store.setExpireAt(h, expireAt);
  store.setAccessInfo(h, freq, idle * 1000);
  c.modified(1);
  c.notify(NotifyClass.GENERIC, 'restore', 1);
  c.reply.raw(R_OK);
}

export function registerDumpCommands(registry: Registry): void {
  registry.add('dump', cmdDump);
  registry.add('restore', cmdRestore);
}
