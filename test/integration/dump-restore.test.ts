/*
 * DUMP / RESTORE payloads between redis-server 7.0 (started here) and slabcache, both ways,
 * for every type and encoding: each scenario builds the same value on both servers; then the
 * payload DUMPed by redis-server is RESTOREd into slabcache and the one DUMPed by slabcache
 * into redis-server, and each copy must read back (with the type's own commands) exactly as
 * the original it came from, and take the OBJECT ENCODING the other server gives the same
 * payload. Payloads are also compared byte for byte where slabcache writes Redis's bytes.
 *
 * Then the hand-built payloads of the older encodings 7.0 still loads (LIST, ZSET with text
 * doubles, ziplists, zipmap, quicklist v1, STREAM_LISTPACKS v1), restored into both servers;
 * corrupt payloads (flipped bytes, a newer version, truncated bodies with a valid checksum),
 * which both reject with the same error and no change; and a fuzz pass on slabcache alone
 * (redis-server without sanitize-dump-payload may crash on those) that must leave it serving
 * and its other keys intact.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { Redis } from 'ioredis';
import { haveRedisServer, startRedisServer, type RedisServerHandle } from '../helpers/redis-server.ts';
import { crc64 } from '../../src/rdb/crc64.ts';

const enabled = haveRedisServer();

function connect(port: number): Redis {
  return new Redis({ port, host: '127.0.0.1', maxRetriesPerRequest: 0, retryStrategy: () => null, commandTimeout: 20_000 });
}

type Cmd = Array<string | Buffer>;

interface Scenario {
  name: string;
  key: string;
  build: Cmd[];
  /** Payloads of the two servers are byte-identical (no times, same layout). */
  sameBytes?: boolean;
}

const range = <T>(n: number, f: (i: number) => T): T[] => Array.from({ length: n }, (_, i) => f(i));
const pseudoRandom = (n: number, seed: number): Buffer => {
  const b = Buffer.alloc(n);
  let x = seed;
  for (let i = 0; i < n; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    b[i] = x >>> 24;
  }
  return b;
};

const scenarios: Scenario[] = [
  // strings
  { name: 'short string (embstr)', key: 's1', build: [['SET', 's1', 'hello']], sameBytes: true },
  { name: 'int8 string', key: 's2', build: [['SET', 's2', '-12']], sameBytes: true },
  { name: 'int32 string', key: 's3', build: [['SET', 's3', '2147483647']], sameBytes: true },
  { name: 'int64 string beyond int32', key: 's4', build: [['SET', 's4', '-9223372036854775808']], sameBytes: true },
  { name: 'integer-like text that is not canonical', key: 's5', build: [['SET', 's5', '0123']], sameBytes: true },
  { name: 'empty string', key: 's6', build: [['SET', 's6', '']], sameBytes: true },
  { name: 'compressible string (LZF)', key: 's7', build: [['SET', 's7', 'abcabcabc'.repeat(200)]], sameBytes: true },
  { name: 'incompressible binary string (raw)', key: 's8', build: [['SET', 's8', pseudoRandom(5000, 7)]], sameBytes: true },
  { name: 'big compressible string (LZF, 1 MB)', key: 's9', build: [['SET', 's9', 'slabcache '.repeat(100_000)]], sameBytes: true },
  { name: 'string built by APPEND (raw)', key: 's10', build: [['SET', 's10', '12'], ['APPEND', 's10', '34']], sameBytes: true },
  // hashes
  { name: 'listpack hash', key: 'h1', build: [['HSET', 'h1', 'f1', 'v1', 'n', '17', 'neg', '-5000', 'big', '123456789012', 'e', '']], sameBytes: true },
  { name: 'hashtable hash (many fields)', key: 'h2', build: [['HSET', 'h2', ...range(600, (i) => [`field:${i}`, `${i % 3 === 0 ? i : 'value' + i}`]).flat()]] },
  { name: 'hashtable hash (a long value)', key: 'h3', build: [['HSET', 'h3', 'a', '1', 'long', 'x'.repeat(100)]] },
  { name: 'binary hash', key: 'h4', build: [['HSET', 'h4', Buffer.from([0, 1, 2, 255]), Buffer.from([255, 0])]], sameBytes: true },
  // sets
  { name: 'intset (16-bit)', key: 'set1', build: [['SADD', 'set1', '1', '-2', '300']], sameBytes: true },
  { name: 'intset (64-bit)', key: 'set2', build: [['SADD', 'set2', '1', '9223372036854775807', '-9223372036854775808']], sameBytes: true },
  { name: 'intset (32-bit)', key: 'set2b', build: [['SADD', 'set2b', '70000', '-70000']], sameBytes: true },
  { name: 'hashtable set of strings', key: 'set3', build: [['SADD', 'set3', 'a', 'b', 'c', '1']] },
  { name: 'hashtable set of many integers', key: 'set4', build: [['SADD', 'set4', ...range(600, (i) => String(i * 7))]] },
  { name: 'hashtable set of long members (LZF members)', key: 'set5', build: [['SADD', 'set5', ...range(50, (i) => `member-${i}-`.repeat(10))]] },
  // sorted sets
  { name: 'listpack zset with odd scores', key: 'z1', build: [['ZADD', 'z1', '1.5', 'a', '-2', 'b', 'inf', 'c', '-inf', 'd', '0.1', 'e', '1e300', 'f', '4611686018427387904', 'g', '3', '17']], sameBytes: true },
  { name: 'skiplist zset (many members)', key: 'z2', build: [['ZADD', 'z2', ...range(300, (i) => [String(i / 7), `m${i}`]).flat()]] },
  { name: 'skiplist zset (a long member) with infinities', key: 'z3', build: [['ZADD', 'z3', 'inf', 'y'.repeat(80), '-inf', 'low', '2.5', 'mid', '-0', 'zero']], sameBytes: true },
  // lists
  { name: 'small list', key: 'l1', build: [['RPUSH', 'l1', 'a', '1', '-1', '', '99999999999', 'text']], sameBytes: true },
  { name: 'list over several nodes', key: 'l2', build: [['RPUSH', 'l2', ...range(3000, (i) => (i % 2 ? String(i) : `element-${i}`))]], sameBytes: true },
  { name: 'list of big elements', key: 'l3', build: [['RPUSH', 'l3', 'q'.repeat(10000), pseudoRandom(9000, 3), 'small']], sameBytes: true },
  { name: 'list built from both ends', key: 'l4', build: [['LPUSH', 'l4', ...range(500, (i) => `left${i}`)], ['RPUSH', 'l4', ...range(500, (i) => `right${i}`)]] },
  // streams
  { name: 'stream of like entries', key: 'x1', build: [...range(10, (i) => i).map((i): Cmd => ['XADD', 'x1', `${i + 1}-0`, 'temp', String(20 + i), 'unit', 'C'])], sameBytes: true },
  { name: 'stream with mixed fields and tombstones', key: 'x2', build: [
    ['XADD', 'x2', '1-1', 'a', '1'], ['XADD', 'x2', '1-2', 'b', '2', 'c', '3'], ['XADD', 'x2', '2-0', 'a', '9'], ['XADD', 'x2', '5-5', 'x', 'y'.repeat(70)],
    ['XDEL', 'x2', '1-1'], ['XDEL', 'x2', '2-0'],
  ], sameBytes: true },
  { name: 'stream over several nodes, trimmed', key: 'x3', build: [
    ...range(450, (i) => i).map((i): Cmd => ['XADD', 'x3', `${1000 + i}-${i % 3}`, 'k', `v${i}`, ...(i % 50 === 0 ? ['extra', 'field'] : [])]),
    ['XTRIM', 'x3', 'MAXLEN', '=', '300'], ['XDEL', 'x3', '1300-1', '1301-2'],
  ], sameBytes: true },
  { name: 'stream with groups, PEL and consumers', key: 'x4', build: [
    ...range(20, (i) => i).map((i): Cmd => ['XADD', 'x4', `${i + 1}-1`, 'job', `j${i}`]),
    ['XGROUP', 'CREATE', 'x4', 'workers', '0'], ['XGROUP', 'CREATE', 'x4', 'audit', '$'], ['XGROUP', 'CREATE', 'x4', 'late', '5-1', 'ENTRIESREAD', '3'],
    ['XREADGROUP', 'GROUP', 'workers', 'alice', 'COUNT', '5', 'STREAMS', 'x4', '>'],
    ['XREADGROUP', 'GROUP', 'workers', 'bob', 'COUNT', '4', 'STREAMS', 'x4', '>'],
    ['XACK', 'x4', 'workers', '2-1', '7-1'], ['XGROUP', 'CREATECONSUMER', 'x4', 'workers', 'idle'],
    ['XCLAIM', 'x4', 'workers', 'bob', '0', '3-1'],
    ['XREADGROUP', 'GROUP', 'late', 'carol', 'STREAMS', 'x4', '>'],
    ['XDEL', 'x4', '12-1'],
  ] },
  { name: 'empty stream with a group (XGROUP CREATE MKSTREAM)', key: 'x5', build: [['XGROUP', 'CREATE', 'x5', 'g', '$', 'MKSTREAM']], sameBytes: true },
  { name: 'stream emptied by XDEL, with XSETID metadata', key: 'x6', build: [['XADD', 'x6', '5-5', 'a', 'b'], ['XDEL', 'x6', '5-5'], ['XSETID', 'x6', '9-9', 'ENTRIESADDED', '10', 'MAXDELETEDID', '7-0']], sameBytes: true },
  { name: 'stream with huge IDs and binary fields', key: 'x7', build: [['XADD', 'x7', '18446744073709551614-18446744073709551615', Buffer.from([0, 255]), Buffer.from('\r\n')], ['XADD', 'x7', '18446744073709551615-0', '123', '-456']], sameBytes: true },
];

/** The value at key, read back with its type's commands, as comparable text. */
async function readBack(c: Redis, key: string): Promise<unknown> {
  const type = await c.type(key);
  const b = (args: Cmd): Promise<unknown> => c.callBuffer(String(args[0]), ...args.slice(1)) as Promise<unknown>;
  const text = (v: unknown): unknown => (Buffer.isBuffer(v) ? v.toString('latin1') : Array.isArray(v) ? v.map(text) : v);
  switch (type) {
    case 'string':
      return { type, value: text(await b(['GET', key])) };
    case 'list':
      return { type, value: text(await b(['LRANGE', key, '0', '-1'])) };
    case 'set':
      return { type, value: (text(await b(['SMEMBERS', key])) as string[]).sort() };
    case 'zset':
      return { type, value: text(await b(['ZRANGE', key, '0', '-1', 'WITHSCORES'])) };
    case 'hash': {
      const flat = text(await b(['HGETALL', key])) as string[];
      const pairs: string[] = [];
      for (let i = 0; i < flat.length; i += 2) pairs.push(`${flat[i]}=${flat[i + 1]}`);
      return { type, value: pairs.sort() };
    }
    case 'stream':
      return { type, full: text(await b(['XINFO', 'STREAM', key, 'FULL'])), range: text(await b(['XRANGE', key, '-', '+'])) };
    default:
      return { type };
  }
}

async function run(c: Redis, cmd: Cmd): Promise<void> {
  await c.callBuffer(String(cmd[0]), ...cmd.slice(1));
}

function withCrc(body: Buffer): Buffer {
  const crc = Buffer.alloc(8);
  crc.writeBigUInt64LE(crc64(body));
  return Buffer.concat([body, crc]);
}

/** A payload of `body` (type byte and value) with RDB version 10 and its CRC. */
function payload(body: Buffer, version = 10): Buffer {
  return withCrc(Buffer.concat([body, Buffer.from([version & 0xff, version >> 8])]));
}

async function errorOf(p: Promise<unknown>): Promise<string> {
  try {
    return `OK:${String(await p)}`;
  } catch (err) {
    return (err as Error).message;
  }
}

// ---- hand-built older encodings ----

function rdbLen(n: number): Buffer {
  if (n < 64) return Buffer.from([n]);
  if (n < 16384) return Buffer.from([0x40 | (n >> 8), n & 0xff]);
  const b = Buffer.alloc(5);
  b[0] = 0x80;
  b.writeUInt32BE(n, 1);
  return b;
}
const rdbStr = (s: string | Buffer): Buffer => {
  const b = typeof s === 'string' ? Buffer.from(s, 'latin1') : s;
  return Buffer.concat([rdbLen(b.length), b]);
};

/** A ziplist of the elements: strings as strings, 'i:N' as integers in the narrowest form. */
function ziplist(elements: string[]): Buffer {
  const entries: Buffer[] = [];
  let prev = 0;
  for (const el of elements) {
    let enc: Buffer;
    if (el.startsWith('i:')) {
      const v = BigInt(el.slice(2));
      if (v >= 0n && v <= 12n) enc = Buffer.from([0xf1 + Number(v)]);
      else if (v >= -128n && v <= 127n) enc = Buffer.from([0xfe, Number(BigInt.asUintN(8, v))]);
      else if (v >= -32768n && v <= 32767n) {
        enc = Buffer.alloc(3);
        enc[0] = 0xc0;
        enc.writeInt16LE(Number(v), 1);
      } else if (v >= -8388608n && v <= 8388607n) {
        enc = Buffer.alloc(4);
        enc[0] = 0xf0;
        enc.writeIntLE(Number(v), 1, 3);
      } else if (v >= -2147483648n && v <= 2147483647n) {
        enc = Buffer.alloc(5);
        enc[0] = 0xd0;
        enc.writeInt32LE(Number(v), 1);
      } else {
        enc = Buffer.alloc(9);
        enc[0] = 0xe0;
        enc.writeBigInt64LE(v, 1);
      }
    } else {
      const s = Buffer.from(el, 'latin1');
      let head: Buffer;
      if (s.length < 64) head = Buffer.from([s.length]);
      else if (s.length < 16384) head = Buffer.from([0x40 | (s.length >> 8), s.length & 0xff]);
      else {
        head = Buffer.alloc(5);
        head[0] = 0x80;
        head.writeUInt32BE(s.length, 1);
      }
      enc = Buffer.concat([head, s]);
    }
    let prevlen: Buffer;
    if (prev < 254) prevlen = Buffer.from([prev]);
    else {
      prevlen = Buffer.alloc(5);
      prevlen[0] = 0xfe;
      prevlen.writeUInt32LE(prev, 1);
    }
    const entry = Buffer.concat([prevlen, enc]);
    entries.push(entry);
    prev = entry.length;
  }
  const body = Buffer.concat(entries);
  const head = Buffer.alloc(10);
  head.writeUInt32LE(10 + body.length + 1, 0);
  head.writeUInt32LE(10 + body.length - prev, 4);
  head.writeUInt16LE(elements.length, 8);
  return Buffer.concat([head, body, Buffer.from([0xff])]);
}

function zipmap(pairs: Array<[string, string]>): Buffer {
  const parts: Buffer[] = [Buffer.from([pairs.length])];
  const len = (n: number): Buffer => {
    if (n < 254) return Buffer.from([n]);
    const b = Buffer.alloc(5);
    b[0] = 254;
    b.writeUInt32LE(n, 1);
    return b;
  };
  for (const [f, v] of pairs) {
    parts.push(len(f.length), Buffer.from(f, 'latin1'), len(v.length), Buffer.from([2]), Buffer.from(v, 'latin1'), Buffer.from([0, 0]));
  }
  parts.push(Buffer.from([0xff]));
  return Buffer.concat(parts);
}

const textDouble = (d: string): Buffer => (d === 'inf' ? Buffer.from([254]) : d === '-inf' ? Buffer.from([255]) : Buffer.concat([Buffer.from([d.length]), Buffer.from(d)]));

const legacy: Array<{ name: string; body: Buffer }> = [
  { name: 'RDB_TYPE_LIST', body: Buffer.concat([Buffer.from([1]), rdbLen(4), rdbStr('a'), Buffer.from([0xc0, 0xf6]), rdbStr('x'.repeat(100)), rdbStr('')]) },
  { name: 'RDB_TYPE_ZSET (text doubles)', body: Buffer.concat([Buffer.from([3]), rdbLen(4), rdbStr('a'), textDouble('1.5'), rdbStr('b'), textDouble('inf'), rdbStr('c'), textDouble('-3'), rdbStr('d'), textDouble('-inf')]) },
  { name: 'RDB_TYPE_ZSET over the listpack limit', body: Buffer.concat([Buffer.from([3]), rdbLen(200), ...range(200, (i) => i).flatMap((i) => [rdbStr(`m${i}`), textDouble(String(i * 2))])]) },
  { name: 'RDB_TYPE_SET of integers (intset)', body: Buffer.concat([Buffer.from([2]), rdbLen(3), rdbStr('3'), rdbStr('1'), rdbStr('2')]) },
  { name: 'RDB_TYPE_SET of integers over the intset limit', body: Buffer.concat([Buffer.from([2]), rdbLen(600), ...range(600, (i) => rdbStr(String(i)))]) },
  { name: 'RDB_TYPE_HASH small', body: Buffer.concat([Buffer.from([4]), rdbLen(2), rdbStr('f'), rdbStr('v'), rdbStr('g'), rdbStr('12')]) },
  { name: 'RDB_TYPE_HASH with a long value', body: Buffer.concat([Buffer.from([4]), rdbLen(2), rdbStr('f'), rdbStr('v'), rdbStr('g'), rdbStr('z'.repeat(65))]) },
  { name: 'RDB_TYPE_HASH_ZIPMAP', body: Buffer.concat([Buffer.from([9]), rdbStr(zipmap([['name', 'slab'], ['n', '42'], ['e', '']]))]) },
  { name: 'RDB_TYPE_HASH_ZIPMAP with a long value', body: Buffer.concat([Buffer.from([9]), rdbStr(zipmap([['name', 'w'.repeat(300)]]))]) },
  { name: 'RDB_TYPE_LIST_ZIPLIST', body: Buffer.concat([Buffer.from([10]), rdbStr(ziplist(['a', 'i:5', 'i:-100', 'i:1000', 'i:100000', 'i:3000000000', 'i:-9223372036854775808', 'b'.repeat(300)]))]) },
  { name: 'RDB_TYPE_ZSET_ZIPLIST', body: Buffer.concat([Buffer.from([12]), rdbStr(ziplist(['a', 'i:1', 'b', '2.5', 'c', 'i:300']))]) },
  { name: 'RDB_TYPE_HASH_ZIPLIST', body: Buffer.concat([Buffer.from([13]), rdbStr(ziplist(['f1', 'v1', 'f2', 'i:7', 'i:3', 'three']))]) },
  { name: 'RDB_TYPE_LIST_QUICKLIST (ziplist nodes)', body: Buffer.concat([Buffer.from([14]), rdbLen(2), rdbStr(ziplist(['a', 'b', 'i:12'])), rdbStr(ziplist(['i:-1', 'tail']))]) },
  { name: 'RDB_TYPE_SET_INTSET over the limit', body: (() => {
    const blob = Buffer.alloc(8 + 600 * 2);
    blob.writeUInt32LE(2, 0);
    blob.writeUInt32LE(600, 4);
    for (let i = 0; i < 600; i++) blob.writeInt16LE(i - 300, 8 + i * 2);
    return Buffer.concat([Buffer.from([11]), rdbStr(blob)]);
  })() },
];

describe.skipIf(!enabled)('DUMP / RESTORE between redis-server and slabcache', () => {
  let ref: RedisServerHandle;
  let close: () => Promise<void>;
  let rc: Redis;
  let sc: Redis;

  beforeAll(async () => {
    ref = await startRedisServer({});
    const { startServer } = await import('../../src/server.ts');
    const s = await startServer({ loglevel: 'warning', 'metrics-port': '0', port: '0', bind: '127.0.0.1' });
    close = () => s.close();
    rc = connect(ref.port);
    sc = connect(s.port);
  }, 30_000);

  afterAll(async () => {
    rc?.disconnect();
    sc?.disconnect();
    await Promise.all([ref?.stop(), close?.()]);
  });

  for (const sc0 of scenarios) {
    it(`round-trips ${sc0.name}`, async () => {
      for (const c of [rc, sc]) for (const cmd of sc0.build) await run(c, cmd);
      const fromRedis = (await rc.dumpBuffer(sc0.key)) as Buffer;
      const fromSlab = (await sc.dumpBuffer(sc0.key)) as Buffer;
      expect(fromRedis).not.toBeNull();
      expect(fromSlab).not.toBeNull();
      if (sc0.sameBytes) expect(fromSlab.toString('hex')).toBe(fromRedis.toString('hex'));
      const copy = `${sc0.key}:copy`;
      // redis-server's payload into slabcache (and into redis-server itself, for the encoding).
      expect(await sc.call('RESTORE', copy, '0', fromRedis)).toBe('OK');
      expect(await rc.call('RESTORE', copy, '0', fromRedis)).toBe('OK');
      expect(await readBack(sc, copy)).toEqual(await readBack(rc, sc0.key));
      expect(await sc.call('OBJECT', 'ENCODING', copy)).toBe(await rc.call('OBJECT', 'ENCODING', copy));
      // slabcache's payload into redis-server (and into slabcache itself).
      const back = `${sc0.key}:back`;
      expect(await rc.call('RESTORE', back, '0', fromSlab)).toBe('OK');
      expect(await sc.call('RESTORE', back, '0', fromSlab)).toBe('OK');
      expect(await readBack(rc, back)).toEqual(await readBack(sc, sc0.key));
      expect(await rc.call('OBJECT', 'ENCODING', back)).toBe(await sc.call('OBJECT', 'ENCODING', back));
      expect(await sc.call('OBJECT', 'ENCODING', sc0.key)).toBe(await rc.call('OBJECT', 'ENCODING', sc0.key));
      // A copy dumps as its original did (the same value, the same encoding).
      if (sc0.sameBytes) expect(((await sc.dumpBuffer(copy)) as Buffer).toString('hex')).toBe(fromRedis.toString('hex'));
    }, 60_000);
  }

  it('round-trips randomly built values of every type both ways', async () => {
    let x = 2024;
    const rand = (n: number): number => {
      x = (Math.imul(x, 1103515245) + 12345) >>> 0;
      return (x >>> 8) % n;
    };
    const word = (): string => (rand(3) === 0 ? String(rand(100000) - 50000) : `w${rand(50)}${'x'.repeat(rand(4) === 0 ? rand(80) : 0)}`);
    const ops: Array<(k: string) => Cmd> = [
      (k) => ['RPUSH', `${k}:l`, word(), word()],
      (k) => ['LPUSH', `${k}:l`, word()],
      (k) => ['LREM', `${k}:l`, '1', `w${rand(50)}`],
      (k) => ['LINSERT', `${k}:l`, 'BEFORE', `w${rand(50)}`, word()],
      (k) => ['HSET', `${k}:h`, word(), word()],
      (k) => ['HDEL', `${k}:h`, `w${rand(50)}`],
      (k) => ['SADD', `${k}:s`, word(), word()],
      (k) => ['SADD', `${k}:i`, String(rand(1000)), String(rand(5) === 0 ? 2 ** 40 + rand(9) : rand(9))],
      (k) => ['SREM', `${k}:s`, `w${rand(50)}`],
      (k) => ['ZADD', `${k}:z`, String(rand(20) === 0 ? 'inf' : (rand(2000) - 1000) / 8), word()],
      (k) => ['ZREM', `${k}:z`, `w${rand(50)}`],
      (k) => ['XADD', `${k}:x`, '*', ...(rand(2) ? ['f', word()] : ['f', word(), 'g', word()])],
      (k) => ['XDEL', `${k}:x`, `0-${rand(3)}`],
      (k) => ['XTRIM', `${k}:x`, 'MAXLEN', rand(2) ? '~' : '=', String(20 + rand(40))],
      (k) => ['APPEND', `${k}:str`, word()],
    ];
    const keys: string[] = [];
    for (let round = 0; round < 4; round++) {
      const k = `rnd${round}`;
      const cmds: Cmd[] = [];
      for (let i = 0; i < 300; i++) cmds.push(ops[rand(ops.length)](k));
      for (const c of [rc, sc]) for (const cmd of cmds) await errorOf(run(c, cmd));
      for (const suffix of ['l', 'h', 's', 'i', 'z', 'x', 'str']) keys.push(`${k}:${suffix}`);
    }
    for (const key of keys) {
      const fromRedis = (await rc.dumpBuffer(key)) as Buffer | null;
      if (fromRedis === null) continue;
      const fromSlab = (await sc.dumpBuffer(key)) as Buffer;
      expect(await sc.call('RESTORE', `${key}:copy`, '0', fromRedis)).toBe('OK');
      expect(await readBack(sc, `${key}:copy`)).toEqual(await readBack(rc, key));
      expect(await rc.call('RESTORE', `${key}:back`, '0', fromSlab)).toBe('OK');
      expect(await readBack(rc, `${key}:back`)).toEqual(await readBack(sc, key));
    }
  }, 60_000);

  it('writes verbatim strings when rdbcompression is off, as redis-server does', async () => {
    for (const c of [rc, sc]) {
      await c.config('SET', 'rdbcompression', 'no');
      await c.set('nocomp', 'z'.repeat(500));
      await c.rpush('nocompl', ...range(100, () => 'same-element'));
    }
    try {
      for (const k of ['nocomp', 'nocompl']) expect(((await sc.dumpBuffer(k)) as Buffer).toString('hex')).toBe(((await rc.dumpBuffer(k)) as Buffer).toString('hex'));
    } finally {
      for (const c of [rc, sc]) await c.config('SET', 'rdbcompression', 'yes');
    }
  });

  it('keeps a listpack hash or sorted set with long elements a listpack, as redis-server does', async () => {
    await rc.config('SET', 'hash-max-listpack-value', '1000');
    await rc.config('SET', 'zset-max-listpack-value', '1000');
    try {
      await rc.hset('longv:h', 'f', 'v'.repeat(500));
      await rc.zadd('longv:z', '1', 'm'.repeat(500));
    } finally {
      await rc.config('SET', 'hash-max-listpack-value', '64');
      await rc.config('SET', 'zset-max-listpack-value', '64');
    }
    for (const k of ['longv:h', 'longv:z']) {
      const p = (await rc.dumpBuffer(k)) as Buffer;
      for (const c of [rc, sc]) await c.call('RESTORE', `${k}:copy`, '0', p);
      expect(await sc.call('OBJECT', 'ENCODING', `${k}:copy`)).toBe(await rc.call('OBJECT', 'ENCODING', `${k}:copy`));
      expect(await readBack(sc, `${k}:copy`)).toEqual(await readBack(rc, k));
      expect(((await sc.dumpBuffer(`${k}:copy`)) as Buffer).toString('hex')).toBe(p.toString('hex'));
    }
  });

  it('cuts list nodes by list-max-listpack-size and reads redis-server\'s compressed nodes', async () => {
    try {
      for (const c of [rc, sc]) {
        await c.config('SET', 'list-max-listpack-size', '5');
        await c.rpush('fill5', ...range(23, (i) => `e${i}`));
      }
      expect(((await sc.dumpBuffer('fill5')) as Buffer).toString('hex')).toBe(((await rc.dumpBuffer('fill5')) as Buffer).toString('hex'));
      await rc.config('SET', 'list-max-listpack-size', '-1');
      await rc.config('SET', 'list-compress-depth', '1');
      await rc.rpush('compressed', ...range(3000, (i) => `compressible element number ${i % 10}`));
      const p = (await rc.dumpBuffer('compressed')) as Buffer;
      expect(await sc.call('RESTORE', 'compressed', '0', p)).toBe('OK');
      expect(await readBack(sc, 'compressed')).toEqual(await readBack(rc, 'compressed'));
    } finally {
      for (const c of [rc, sc]) await c.config('SET', 'list-max-listpack-size', '-2');
      await rc.config('SET', 'list-compress-depth', '0');
    }
  });

  it('restores under the current thresholds, as redis-server does', async () => {
    for (const c of [rc, sc]) {
      await c.hset('thr:h', ...range(10, (i) => [`f${i}`, `v${i}`]).flat());
      await c.zadd('thr:z', ...range(10, (i) => [String(i), `m${i}`]).flat());
      await c.sadd('thr:s', ...range(10, (i) => String(i)));
    }
    const dumps = await Promise.all(['thr:h', 'thr:z', 'thr:s'].map((k) => rc.dumpBuffer(k) as Promise<Buffer>));
    try {
      for (const c of [rc, sc]) {
        await c.config('SET', 'hash-max-listpack-entries', '4');
        await c.config('SET', 'zset-max-listpack-entries', '4');
        await c.config('SET', 'set-max-intset-entries', '4');
      }
      for (const [i, k] of ['thr:h', 'thr:z', 'thr:s'].entries()) {
        for (const c of [rc, sc]) await c.call('RESTORE', `${k}:small`, '0', dumps[i]);
        expect(await sc.call('OBJECT', 'ENCODING', `${k}:small`)).toBe(await rc.call('OBJECT', 'ENCODING', `${k}:small`));
        expect(await readBack(sc, `${k}:small`)).toEqual(await readBack(rc, `${k}:small`));
      }
    } finally {
      for (const c of [rc, sc]) {
        await c.config('SET', 'hash-max-listpack-entries', '128');
        await c.config('SET', 'zset-max-listpack-entries', '128');
        await c.config('SET', 'set-max-intset-entries', '512');
      }
    }
  });

  for (const l of legacy) {
    it(`loads ${l.name} as redis-server does`, async () => {
      const key = `legacy:${l.name}`;
      const p = payload(l.body);
      expect(await errorOf(rc.call('RESTORE', key, '0', p))).toBe('OK:OK');
      expect(await errorOf(sc.call('RESTORE', key, '0', p))).toBe('OK:OK');
      expect(await readBack(sc, key)).toEqual(await readBack(rc, key));
      expect(await sc.call('OBJECT', 'ENCODING', key)).toBe(await rc.call('OBJECT', 'ENCODING', key));
    });
  }

  it('loads a STREAM_LISTPACKS (v1) payload as redis-server does', async () => {
    for (const c of [rc, sc]) {
      await c.xadd('v1src', '1-1', 'a', '1');
      await c.xadd('v1src', '2-2', 'a', '2');
      await c.xadd('v1src', '3-3', 'b', '3');
      await c.xdel('v1src', '2-2');
      await c.xgroup('CREATE', 'v1src', 'g', '1-1');
    }
    // Rewrite redis-server's v2 payload as v1: type 15, without first/max-deleted/entries-added and entries-read.
    const v2 = (await rc.dumpBuffer('v1src')) as Buffer;
    const body = v2.subarray(1, v2.length - 10);
    // Walk the v2 layout with the lengths it uses here (all fit one byte but the listpack blob).
    let p = 0;
    const lenAt = (): number => {
      const b = body[p];
      if (b >> 6 === 0) {
        p += 1;
        return b & 0x3f;
      }
      if (b >> 6 === 1) {
        p += 2;
        return ((b & 0x3f) << 8) | body[p - 1];
      }
      if (b === 0x80) {
        p += 5;
        return body.readUInt32BE(p - 4);
      }
      if (b === 0x81) {
        p += 9;
        return Number(body.readBigUInt64BE(p - 8));
      }
      throw new Error('unexpected length form');
    };
    const skipString = (): void => {
      if (body[p] === 0xc3) {
        p += 1;
        const clen = lenAt();
        lenAt();
        p += clen;
      } else {
        const n = lenAt();
        p += n;
      }
    };
    const nodes = lenAt();
    for (let i = 0; i < nodes; i++) {
      skipString();
      skipString();
    }
    const metaStart = p;
    for (let i = 0; i < 3; i++) lenAt();
    const keepEnd = p;
    for (let i = 0; i < 5; i++) lenAt();
    const groupsAt = p;
    lenAt(); // group count
    skipString(); // name
    lenAt();
    lenAt();
    const beforeRead = p;
    lenAt(); // entries read
    const v1 = Buffer.concat([Buffer.from([15]), body.subarray(0, metaStart), body.subarray(metaStart, keepEnd), body.subarray(groupsAt, beforeRead), body.subarray(p)]);
    const pv1 = payload(v1);
    for (const c of [rc, sc]) expect(await c.call('RESTORE', 'v1copy', '0', pv1)).toBe('OK');
    expect(await readBack(sc, 'v1copy')).toEqual(await readBack(rc, 'v1copy'));
  });

  it('rejects corrupt payloads with redis-server\'s errors and changes nothing', async () => {
    for (const c of [rc, sc]) {
      await c.set('victim', 'before');
      await c.hset('corrupt:src', 'a', '1', 'b', '2');
    }
    const good = (await rc.dumpBuffer('corrupt:src')) as Buffer;
    const flipped = Buffer.from(good);
    flipped[5] ^= 0x40;
    const newer = payload(good.subarray(0, good.length - 10), 11);
    const body = good.subarray(0, good.length - 10);
    const cases: Buffer[] = [
      flipped,
      newer,
      Buffer.from('short'),
      Buffer.alloc(0),
      payload(body.subarray(0, body.length - 3)),
      payload(body.subarray(0, 1)),
      payload(Buffer.from([8])),
      payload(Buffer.from([20, 1, 2])),
      payload(Buffer.concat([Buffer.from([16]), rdbStr(Buffer.from([1, 2, 3]))])),
      payload(Buffer.from([2, 0])),
      payload(Buffer.from([0, 0xc5])),
      payload(Buffer.concat([Buffer.from([0]), Buffer.from([0xc3, 5, 50, 1, 2, 3, 4, 5])])),
      payload(Buffer.concat([Buffer.from([5]), rdbLen(1), rdbStr('m'), Buffer.from([0, 0, 0, 0, 0, 0, 0xf8, 0x7f])])),
      payload(Buffer.concat([Buffer.from([2]), rdbLen(2), rdbStr('dup'), rdbStr('dup')])),
      payload(Buffer.concat([Buffer.from([18]), rdbLen(1), rdbLen(3), rdbStr('x')])),
    ];
    for (const [i, bad] of cases.entries()) {
      for (const key of ['victim', `corrupt:new${i}`]) {
        const expected = await errorOf(rc.call('RESTORE', key, '0', bad, 'REPLACE'));
        expect(`${i}: ${expected}`).toMatch(/^\d+: ERR /);
        expect(`${i}: ${await errorOf(sc.call('RESTORE', key, '0', bad, 'REPLACE'))}`).toBe(`${i}: ${expected}`);
      }
    }
    expect(await sc.get('victim')).toBe('before');
    expect(await sc.exists(...cases.map((_, i) => `corrupt:new${i}`))).toBe(0);
  });

  it('refuses duplicate hash fields, which redis-server without sanitize-dump-payload loads into a broken hash', async () => {
    const dupHash = payload(Buffer.concat([Buffer.from([4]), rdbLen(2), rdbStr('f'), rdbStr('1'), rdbStr('f'), rdbStr('2')]));
    const lp = Buffer.from([0x10, 0x00, 0x00, 0x00, 0x04, 0x00, 0x81, 0x66, 0x02, 0x01, 0x01, 0x81, 0x66, 0x02, 0x02, 0x01, 0xff].slice(0, 17));
    lp.writeUInt32LE(lp.length, 0);
    const dupListpack = payload(Buffer.concat([Buffer.from([16]), rdbStr(lp)]));
    for (const p of [dupHash, dupListpack]) {
      expect(await rc.call('RESTORE', 'dup:redis', '0', p, 'REPLACE')).toBe('OK');
      expect(await errorOf(sc.call('RESTORE', 'dup:slab', '0', p))).toBe('ERR Bad data format');
    }
    expect(await sc.exists('dup:slab')).toBe(0);
  });

  it('survives fuzzed payloads (valid checksums) without crashing or touching other keys', async () => {
    await sc.set('bystander', 'intact');
    const sources = ['s7', 'h1', 'h2', 'set1', 'set3', 'z1', 'z2', 'l1', 'l2', 'x2', 'x3', 'x4'];
    const dumps = await Promise.all(sources.map((k) => sc.dumpBuffer(k) as Promise<Buffer>));
    let x = 12345;
    const rand = (n: number): number => {
      x = (Math.imul(x, 1103515245) + 12345) >>> 0;
      return x % n;
    };
    let accepted = 0;
    for (let round = 0; round < 400; round++) {
      const src = dumps[rand(dumps.length)];
      const body = Buffer.from(src.subarray(0, src.length - 10));
      const mode = rand(3);
      if (mode === 0) for (let k = 0; k <= rand(4); k++) body[rand(body.length)] = rand(256);
      else if (mode === 1) body[1 + rand(body.length - 1)] ^= 1 << rand(8);
      const cut = mode === 2 ? body.subarray(0, 1 + rand(body.length - 1)) : body;
      const reply = await errorOf(sc.call('RESTORE', 'fuzz', '0', payload(cut), 'REPLACE'));
      if (reply === 'OK:OK') {
        accepted++;
        await readBack(sc, 'fuzz');
        await sc.call('DUMP', 'fuzz');
      } else {
        expect(reply).toBe('ERR Bad data format');
      }
    }
    expect(accepted).toBeGreaterThan(0);
    expect(await sc.get('bystander')).toBe('intact');
    expect(await sc.ping()).toBe('PONG');
  }, 60_000);
});
