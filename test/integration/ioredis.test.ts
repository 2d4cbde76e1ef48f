/*
 * slabcache driven by ioredis, the way an application uses it as its cache: every string and
 * key command of the first slice with its edge cases (arity, overflow, TTL limits, binary and
 * empty values, the 512 MB string limit without allocating it, databases, SCAN guarantees,
 * glob rules, OBJECT ENCODING transitions, deep pipelines). Expected replies are what
 * redis-server 7.0.15 answers.
 *
 * ioredis 5 speaks RESP2 only, so the RESP3 shapes of the same commands are checked at the end
 * over a raw socket after HELLO 3.
 *
 * INTEGRATION_TARGET=redis runs the file against a real redis-server instead (checks the
 * expectations themselves).
 */
import { describe, it, expect, beforeAll, afterAll, beforeEach, afterEach } from 'vitest';
import { Redis } from 'ioredis';
import { RawClient } from '../helpers/raw-client.ts';
import { startRedisServer } from '../helpers/redis-server.ts';

interface Target {
  kind: 'slabcache' | 'redis';
  port: number;
  close(): Promise<void>;
}

async function startTarget(directives: Record<string, string> = {}): Promise<Target> {
  if (process.env['INTEGRATION_TARGET'] === 'redis') {
    const r = await startRedisServer(directives);
    return { kind: 'redis', port: r.port, close: () => r.stop() };
  }
  const { startServer } = await import('../../src/server.ts');
  const s = await startServer({ loglevel: 'warning', 'metrics-port': '0', ...directives, port: '0', bind: '127.0.0.1' });
  return { kind: 'slabcache', port: s.port, close: () => s.close() };
}

function connect(port: number, db = 0): Redis {
  return new Redis({
    port,
    host: '127.0.0.1',
    db,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    reconnectOnError: () => false,
    connectTimeout: 5000,
    commandTimeout: 10_000,
  });
}

/** The error text of a rejected command; fails when the command succeeds. */
async function errorOf(p: Promise<unknown>): Promise<string> {
  let value: unknown;
  try {
    value = await p;
  } catch (err) {
    return (err as Error).message;
  }
  throw new Error(`expected an error reply, got ${JSON.stringify(value)}`);
}

const WRONGTYPE = 'WRONGTYPE Operation against a key holding the wrong kind of value';
const NOT_INT = 'ERR value is not an integer or out of range';
const SYNTAX = 'ERR syntax error';
const TOO_BIG = 'ERR string exceeds maximum allowed size (proto-max-bulk-len)';
const INT64_MAX = '9223372036854775807';
const INT64_MIN = '-9223372036854775808';

let target: Target;
let redis: Redis;
const extra: Redis[] = [];
const raws: RawClient[] = [];

function another(db = 0): Redis {
  const r = connect(target.port, db);
  extra.push(r);
  return r;
}

async function raw(): Promise<RawClient> {
  const c = await RawClient.connect(target.port);
  raws.push(c);
  return c;
}

beforeAll(async () => {
  target = await startTarget();
  redis = connect(target.port);
  await redis.ping();
});

afterAll(async () => {
  redis?.disconnect();
  await target?.close();
});

beforeEach(async () => {
  await redis.select(0);
  await redis.flushall();
});

afterEach(async () => {
  for (const r of extra.splice(0)) r.disconnect();
  for (const c of raws.splice(0)) await c.close();
  // Restore anything a test changed.
  await redis.config('SET', 'proto-max-bulk-len', '536870912');
  await redis.config('SET', 'maxmemory-policy', 'noeviction');
});

describe('generic command checks', () => {
  it('wrong number of arguments names the command in lower case', async () => {
    const cases: Array<[string[], string]> = [
      [['GET'], 'get'], [['get', 'a', 'b'], 'get'], [['SET', 'k'], 'set'], [['setnx', 'k'], 'setnx'],
      [['setex', 'k', '1'], 'setex'], [['psetex', 'k', '1'], 'psetex'], [['getset', 'k'], 'getset'],
      [['getdel'], 'getdel'], [['getex'], 'getex'], [['mget'], 'mget'], [['mset', 'k'], 'mset'],
      [['mset', 'a', '1', 'b'], 'mset'], [['msetnx', 'a', '1', 'b'], 'msetnx'], [['append', 'k'], 'append'],
      [['strlen'], 'strlen'], [['incr'], 'incr'], [['decr', 'a', 'b'], 'decr'], [['incrby', 'k'], 'incrby'],
      [['decrby', 'k'], 'decrby'], [['incrbyfloat', 'k'], 'incrbyfloat'], [['getrange', 'k', '0'], 'getrange'],
      [['substr', 'k', '0'], 'substr'], [['setrange', 'k', '0'], 'setrange'], [['lcs', 'a'], 'lcs'],
      [['del'], 'del'], [['unlink'], 'unlink'], [['exists'], 'exists'], [['type'], 'type'], [['touch'], 'touch'],
      [['rename', 'a'], 'rename'], [['renamenx', 'a'], 'renamenx'], [['copy', 'a'], 'copy'], [['move', 'a'], 'move'],
      [['keys'], 'keys'], [['scan'], 'scan'], [['randomkey', 'x'], 'randomkey'], [['expire', 'k'], 'expire'],
      [['pexpire', 'k'], 'pexpire'], [['expireat', 'k'], 'expireat'], [['pexpireat', 'k'], 'pexpireat'],
      [['ttl'], 'ttl'], [['pttl'], 'pttl'], [['expiretime'], 'expiretime'], [['pexpiretime'], 'pexpiretime'],
      [['persist'], 'persist'], [['object', 'encoding'], 'object|encoding'], [['select'], 'select'],
      [['swapdb', '0'], 'swapdb'], [['dbsize', 'x'], 'dbsize'], [['echo'], 'echo'], [['ping', 'a', 'b'], 'ping'],
    ];
    for (const [args, name] of cases) {
      const [cmd, ...rest] = args as [string, ...string[]];
      expect(await errorOf(redis.call(cmd, ...rest)), args.join(' ')).toBe(`ERR wrong number of arguments for '${name}' command`);
    }
  });

  it('unknown commands and subcommands use Redis wording', async () => {
    expect(await errorOf(redis.call('frobnicate', 'a', 'b'))).toBe("ERR unknown command 'frobnicate', with args beginning with: 'a' 'b' ");
    expect(await errorOf(redis.call('frobnicate'))).toBe("ERR unknown command 'frobnicate', with args beginning with: ");
    expect(await errorOf(redis.call('object', 'frob', 'k'))).toBe("ERR unknown subcommand 'frob'. Try OBJECT HELP.");
  });

  it('command names are case-insensitive', async () => {
    expect(await redis.call('sEt', 'k', 'v')).toBe('OK');
    expect(await redis.call('GeT', 'k')).toBe('v');
    expect(await redis.call('oBjEcT', 'EnCoDiNg', 'k')).toBe('embstr');
  });

  it('WRONGTYPE on a key of another type (when the server has one)', async (ctx) => {
    let pushed: unknown;
    try {
      pushed = await redis.call('rpush', 'list', 'a');
    } catch (err) {
      if (/unknown command/.test((err as Error).message)) ctx.skip();
      throw err;
    }
    expect(pushed).toBe(1);
    for (const [cmd, ...args] of [
      ['get', 'list'], ['append', 'list', 'x'], ['strlen', 'list'], ['incr', 'list'], ['incrbyfloat', 'list', '1'],
      ['setrange', 'list', '0', 'x'], ['getrange', 'list', '0', '1'], ['getdel', 'list'], ['getex', 'list'],
      ['getset', 'list', 'x'], ['set', 'list', 'x', 'GET'],
    ] as Array<[string, ...string[]]>) {
      expect(await errorOf(redis.call(cmd, ...args)), cmd).toBe(WRONGTYPE);
    }
    expect(await errorOf(redis.call('lcs', 'list', 'list'))).toBe('ERR The specified keys must contain string values');
    expect(await redis.mget('list', 'nokey')).toEqual([null, null]);
    expect(await redis.type('list')).toBe('list');
    expect(await redis.set('list', 'now a string')).toBe('OK');
    expect(await redis.type('list')).toBe('string');
  });
});

describe('strings', () => {
  it('GET / SET and the SET options', async () => {
    expect(await redis.get('k')).toBeNull();
    expect(await redis.set('k', 'v1')).toBe('OK');
    expect(await redis.get('k')).toBe('v1');
    expect(await redis.set('k', 'v2', 'NX')).toBeNull();
    expect(await redis.set('n', 'v', 'XX')).toBeNull();
    expect(await redis.exists('n')).toBe(0);
    expect(await redis.set('k', 'v2', 'XX')).toBe('OK');
    expect(await redis.call('set', 'k', 'v3', 'GET')).toBe('v2');
    expect(await redis.call('set', 'missing', 'v', 'GET')).toBeNull();
    expect(await redis.get('missing')).toBe('v');
    // NX with GET (allowed since 7.0): the old value, and no write when it exists.
    expect(await redis.call('set', 'k', 'v4', 'NX', 'GET')).toBe('v3');
    expect(await redis.get('k')).toBe('v3');
    expect(await redis.call('set', 'fresh', 'v', 'NX', 'GET')).toBeNull();
    expect(await redis.get('fresh')).toBe('v');
    for (const opts of [['NX', 'XX'], ['EX', '10', 'PX', '10'], ['KEEPTTL', 'EX', '10'], ['EX'], ['FOO'], ['EX', '10', 'EXAT', '99999999999']]) {
      expect(await errorOf(redis.call('set', 'k', 'v', ...opts)), opts.join(' ')).toBe(SYNTAX);
    }
    expect(await errorOf(redis.call('set', 'k', 'v', 'EX', 'abc'))).toBe(NOT_INT);
    expect(await errorOf(redis.call('set', 'k', 'v', 'EX', '1.5'))).toBe(NOT_INT);
  });

  it('SET expiry options and their limits', async () => {
    expect(await redis.set('k', 'v', 'EX', 100)).toBe('OK');
    const ttl = await redis.ttl('k');
    expect(ttl).toBeGreaterThanOrEqual(99);
    expect(ttl).toBeLessThanOrEqual(100);
    const pttl = await redis.pttl('k');
    expect(pttl).toBeGreaterThan(98_000);
    expect(pttl).toBeLessThanOrEqual(100_000);
    // KEEPTTL keeps it, a plain SET drops it.
    expect(await redis.call('set', 'k', 'v2', 'KEEPTTL')).toBe('OK');
    expect(await redis.ttl('k')).toBeGreaterThan(90);
    expect(await redis.set('k', 'v3')).toBe('OK');
    expect(await redis.ttl('k')).toBe(-1);
    // Absolute times.
    expect(await redis.call('set', 'k', 'v', 'EXAT', '4000000000')).toBe('OK');
    expect(await redis.call('expiretime', 'k')).toBe(4000000000);
    expect(await redis.call('set', 'k', 'v', 'PXAT', '4000000000123')).toBe('OK');
    expect(await redis.call('pexpiretime', 'k')).toBe(4000000000123);
    // A time in the past: accepted, and the key is gone.
    expect(await redis.call('set', 'k', 'v', 'EXAT', '1')).toBe('OK');
    expect(await redis.exists('k')).toBe(0);
    expect(await redis.call('set', 'k', 'v', 'PXAT', '1')).toBe('OK');
    expect(await redis.get('k')).toBeNull();
    // Zero, negative and overflowing relative times.
    for (const [opt, val] of [['EX', '0'], ['EX', '-1'], ['PX', '0'], ['PX', '-5'], ['EX', INT64_MAX], ['PX', INT64_MAX], ['EXAT', '0'], ['PXAT', '-1'], ['EXAT', INT64_MAX]] as const) {
      expect(await errorOf(redis.call('set', 'k', 'v', opt, val)), `${opt} ${val}`).toBe("ERR invalid expire time in 'set' command");
    }
    expect(await redis.exists('k')).toBe(0);
  });

  it('SETNX, SETEX, PSETEX', async () => {
    expect(await redis.setnx('k', 'a')).toBe(1);
    expect(await redis.setnx('k', 'b')).toBe(0);
    expect(await redis.get('k')).toBe('a');
    expect(await redis.setex('k', 50, 'c')).toBe('OK');
    expect(await redis.get('k')).toBe('c');
    expect(await redis.ttl('k')).toBeGreaterThan(45);
    expect(await redis.psetex('p', 50_000, 'd')).toBe('OK');
    expect(await redis.pttl('p')).toBeGreaterThan(45_000);
    expect(await errorOf(redis.call('setex', 'k', '0', 'v'))).toBe("ERR invalid expire time in 'setex' command");
    expect(await errorOf(redis.call('setex', 'k', '-10', 'v'))).toBe("ERR invalid expire time in 'setex' command");
    expect(await errorOf(redis.call('psetex', 'k', '-1', 'v'))).toBe("ERR invalid expire time in 'psetex' command");
    expect(await errorOf(redis.call('setex', 'k', INT64_MAX, 'v'))).toBe("ERR invalid expire time in 'setex' command");
    expect(await errorOf(redis.call('setex', 'k', 'x', 'v'))).toBe(NOT_INT);
    expect(await redis.get('k')).toBe('c');
  });

  it('GETSET, GETDEL, GETEX', async () => {
    expect(await redis.getset('k', 'a')).toBeNull();
    expect(await redis.getset('k', 'b')).toBe('a');
    await redis.expire('k', 100);
    expect(await redis.getset('k', 'c')).toBe('b');
    expect(await redis.ttl('k')).toBe(-1);
    expect(await redis.getdel('k')).toBe('c');
    expect(await redis.getdel('k')).toBeNull();
    expect(await redis.exists('k')).toBe(0);

    await redis.set('g', 'v');
    expect(await redis.call('getex', 'g')).toBe('v');
    expect(await redis.ttl('g')).toBe(-1);
    expect(await redis.call('getex', 'g', 'EX', '100')).toBe('v');
    expect(await redis.ttl('g')).toBeGreaterThan(90);
    expect(await redis.call('getex', 'g', 'PERSIST')).toBe('v');
    expect(await redis.ttl('g')).toBe(-1);
    expect(await redis.call('getex', 'g', 'PX', '100000')).toBe('v');
    expect(await redis.pttl('g')).toBeGreaterThan(90_000);
    expect(await redis.call('getex', 'g', 'EXAT', '4000000000')).toBe('v');
    expect(await redis.call('expiretime', 'g')).toBe(4000000000);
    expect(await redis.call('getex', 'g', 'PXAT', '4000000000500')).toBe('v');
    expect(await redis.call('pexpiretime', 'g')).toBe(4000000000500);
    expect(await redis.call('getex', 'nokey', 'EX', '10')).toBeNull();
    expect(await errorOf(redis.call('getex', 'g', 'PERSIST', 'EX', '10'))).toBe(SYNTAX);
    expect(await errorOf(redis.call('getex', 'g', 'KEEPTTL'))).toBe(SYNTAX);
    expect(await errorOf(redis.call('getex', 'g', 'NX'))).toBe(SYNTAX);
    expect(await errorOf(redis.call('getex', 'g', 'EX', '0'))).toBe("ERR invalid expire time in 'getex' command");
    expect(await errorOf(redis.call('getex', 'g', 'EX', '-1'))).toBe("ERR invalid expire time in 'getex' command");
    expect(await errorOf(redis.call('getex', 'g', 'EX', 'x'))).toBe(NOT_INT);
    // A past absolute time deletes the key (and still returns the value).
    expect(await redis.call('getex', 'g', 'PXAT', '1')).toBe('v');
    expect(await redis.exists('g')).toBe(0);
  });

  it('MGET, MSET, MSETNX', async () => {
    expect(await redis.mset('a', '1', 'b', '2', 'a', '3')).toBe('OK');
    expect(await redis.mget('a', 'b', 'c', 'a')).toEqual(['3', '2', null, '3']);
    expect(await redis.msetnx('c', '1', 'a', '9')).toBe(0);
    expect(await redis.exists('c')).toBe(0);
    expect(await redis.get('a')).toBe('3');
    expect(await redis.msetnx('c', '1', 'd', '2')).toBe(1);
    expect(await redis.mget('c', 'd')).toEqual(['1', '2']);
    // MSET drops TTLs like SET.
    await redis.expire('a', 100);
    await redis.mset('a', 'x');
    expect(await redis.ttl('a')).toBe(-1);
  });

  it('APPEND and STRLEN', async () => {
    expect(await redis.strlen('k')).toBe(0);
    expect(await redis.append('k', 'abc')).toBe(3);
    expect(await redis.append('k', '')).toBe(3);
    expect(await redis.append('k', 'def')).toBe(6);
    expect(await redis.get('k')).toBe('abcdef');
    expect(await redis.strlen('k')).toBe(6);
    await redis.set('n', '12');
    expect(await redis.append('n', '34')).toBe(4);
    expect(await redis.incr('n')).toBe(1235);
    expect(await redis.strlen('n')).toBe(4);
    // A multi-byte UTF-8 string counts bytes.
    await redis.set('u', 'héllo€');
    expect(await redis.strlen('u')).toBe(Buffer.byteLength('héllo€'));
    // APPEND keeps the TTL.
    await redis.set('t', 'a', 'EX', 100);
    await redis.append('t', 'b');
    expect(await redis.ttl('t')).toBeGreaterThan(90);
  });

  it('INCR / DECR / INCRBY / DECRBY are exact signed 64-bit', async () => {
    expect(await redis.incr('c')).toBe(1);
    expect(await redis.decr('c')).toBe(0);
    expect(await redis.decr('c')).toBe(-1);
    expect(await redis.incrby('c', 101)).toBe(100);
    expect(await redis.decrby('c', 200)).toBe(-100);
    // Exact beyond 2^53.
    await redis.set('big', '9007199254740993');
    expect(await redis.call('incr', 'big')).toBe(9007199254740994);
    expect(await redis.get('big')).toBe('9007199254740994');
    await redis.set('big', '9007199254740992');
    await redis.incrby('big', 1);
    expect(await redis.get('big')).toBe('9007199254740993');
    await redis.set('big', '-9007199254740993');
    await redis.decr('big');
    expect(await redis.get('big')).toBe('-9007199254740994');
    // Up to the limits, then overflow.
    await redis.set('m', '9223372036854775806');
    await redis.incr('m');
    expect(await redis.get('m')).toBe(INT64_MAX);
    expect(await errorOf(redis.incr('m'))).toBe('ERR increment or decrement would overflow');
    expect(await errorOf(redis.incrby('m', 1))).toBe('ERR increment or decrement would overflow');
    expect(await redis.get('m')).toBe(INT64_MAX);
    await redis.set('m', INT64_MIN);
    expect(await errorOf(redis.decr('m'))).toBe('ERR increment or decrement would overflow');
    expect(await errorOf(redis.call('incrby', 'm', INT64_MIN))).toBe('ERR increment or decrement would overflow');
    expect(await redis.call('incrby', 'm', INT64_MAX)).toBe(-1);
    expect(await errorOf(redis.call('decrby', 'm', INT64_MIN))).toBe('ERR decrement would overflow');
    await redis.set('z', '0');
    await redis.call('decrby', 'z', INT64_MAX);
    expect(await redis.get('z')).toBe('-9223372036854775807');
    await redis.decr('z');
    expect(await redis.get('z')).toBe(INT64_MIN);
    // Values and increments that are not integers.
    for (const v of ['abc', '1.5', ' 1', '1 ', '', '+1', '01', '-0', '9223372036854775808', '0x10', '1e3']) {
      await redis.set('s', v);
      expect(await errorOf(redis.incr('s')), JSON.stringify(v)).toBe(NOT_INT);
    }
    await redis.set('s', '5');
    for (const inc of ['abc', '1.0', '9223372036854775808', '']) {
      expect(await errorOf(redis.call('incrby', 's', inc)), JSON.stringify(inc)).toBe(NOT_INT);
    }
    expect(await redis.get('s')).toBe('5');
    // INCR keeps the TTL.
    await redis.set('t', '1', 'EX', 100);
    await redis.incr('t');
    expect(await redis.ttl('t')).toBeGreaterThan(90);
  });

  it('INCRBYFLOAT formats results as Redis does', async () => {
    await redis.set('f', '10.5');
    expect(await redis.incrbyfloat('f', 0.1)).toBe('10.6');
    expect(await redis.call('incrbyfloat', 'f', '5.0e3')).toBe('5010.60000000000000009');
    await redis.set('f', '3.0');
    expect(await redis.call('incrbyfloat', 'f', '1.5e-7')).toBe('3.00000015');
    await redis.set('f', '3');
    expect(await redis.call('incrbyfloat', 'f', '-3')).toBe('0');
    expect(await redis.call('incrbyfloat', 'f', '2.0')).toBe('2');
    expect(await redis.call('incrbyfloat', 'nf', '-1.25')).toBe('-1.25');
    expect(await redis.call('incrbyfloat', 'nf2', '0.1')).toBe('0.1');
    expect(await redis.call('incrbyfloat', 'nf2', '0.2')).toBe('0.3');
    await redis.set('big', '1e308');
    expect(await redis.call('incrbyfloat', 'big', '0')).toBe(
      // Redis computes in long double: 1e308 parsed and printed with %.17Lf.
      '99999999999999999996685879655845645660560099847415567207797047994921734868838061872100126921888539320446747225054013223152134749593960583597420814430196418767959100019603190778663109604507106667939153395788938914560543563061268364901618630217086589253444881623791300855757318142424510452728255046343928578048');
    expect(await errorOf(redis.call('incrbyfloat', 'f', '-inf'))).toBe('ERR increment would produce NaN or Infinity');
    expect(await errorOf(redis.call('incrbyfloat', 'f', 'inf'))).toBe('ERR increment would produce NaN or Infinity');
    expect(await errorOf(redis.call('incrbyfloat', 'f', 'abc'))).toBe('ERR value is not a valid float');
    expect(await errorOf(redis.call('incrbyfloat', 'f', ''))).toBe('ERR value is not a valid float');
    await redis.set('s', 'abc');
    expect(await errorOf(redis.call('incrbyfloat', 's', '1'))).toBe('ERR value is not a valid float');
    // An integer value can be float-incremented and back.
    await redis.set('i', INT64_MAX);
    expect(await redis.call('incrbyfloat', 'i', '1')).toBe('9223372036854775808');
    expect(await errorOf(redis.incr('i'))).toBe(NOT_INT);
  });

  it('GETRANGE / SUBSTR with negative and out-of-range indexes', async () => {
    await redis.set('k', 'Hello World');
    expect(await redis.getrange('k', 0, 4)).toBe('Hello');
    expect(await redis.getrange('k', -5, -1)).toBe('World');
    expect(await redis.getrange('k', -100, 2)).toBe('Hel');
    expect(await redis.getrange('k', 6, 1000)).toBe('World');
    expect(await redis.getrange('k', 5, 3)).toBe('');
    expect(await redis.getrange('k', -1, -5)).toBe('');
    expect(await redis.getrange('k', 11, 20)).toBe('');
    expect(await redis.getrange('nokey', 0, -1)).toBe('');
    expect(await redis.call('substr', 'k', '0', '0')).toBe('H');
    expect(await errorOf(redis.call('getrange', 'k', 'a', '1'))).toBe(NOT_INT);
    await redis.set('n', '12345');
    expect(await redis.getrange('n', 1, 2)).toBe('23');
  });

  it('SETRANGE pads with zero bytes and respects offsets', async () => {
    expect(await redis.setrange('k', 5, 'ab')).toBe(7);
    expect(await redis.getBuffer('k')).toEqual(Buffer.from([0, 0, 0, 0, 0, 0x61, 0x62]));
    expect(await redis.setrange('k', 0, 'XY')).toBe(7);
    expect(await redis.get('k')).toBe('XY\0\0\0ab');
    expect(await redis.setrange('k', 6, 'zzz')).toBe(9);
    expect(await redis.get('k')).toBe('XY\0\0\0azzz');
    // An empty value never creates a key, and leaves an existing one as it is.
    expect(await redis.setrange('e', 10, '')).toBe(0);
    expect(await redis.exists('e')).toBe(0);
    expect(await redis.setrange('k', 100, '')).toBe(9);
    expect(await redis.strlen('k')).toBe(9);
    expect(await errorOf(redis.setrange('k', -1, 'x'))).toBe('ERR offset is out of range');
    expect(await errorOf(redis.call('setrange', 'k', 'x', 'y'))).toBe(NOT_INT);
  });

  it('the 512 MB string limit, without allocating it', async () => {
    // Default proto-max-bulk-len is 512 MB: one byte past it is refused before any allocation.
    expect(await errorOf(redis.setrange('huge', 536870912, 'x'))).toBe(TOO_BIG);
    expect(await errorOf(redis.setrange('huge', 536870911, 'xy'))).toBe(TOO_BIG);
    expect(await errorOf(redis.setrange('huge', INT64_MAX, 'x'))).toBe(TOO_BIG);
    expect(await redis.exists('huge')).toBe(0);
    // Lower the limit to 1 MB (the minimum) to check the exact boundary cheaply.
    expect(await errorOf(redis.config('SET', 'proto-max-bulk-len', '1000'))).toMatch(/^ERR CONFIG SET failed \(possibly related to argument 'proto-max-bulk-len'\)/);
    expect(await redis.config('SET', 'proto-max-bulk-len', '1mb')).toBe('OK');
    expect(await redis.config('GET', 'proto-max-bulk-len')).toEqual(['proto-max-bulk-len', '1048576']);
    expect(await redis.setrange('s', 1048575, 'x')).toBe(1048576);
    expect(await errorOf(redis.setrange('s2', 1048576, 'x'))).toBe(TOO_BIG);
    expect(await redis.exists('s2')).toBe(0);
    expect(await errorOf(redis.append('s', 'x'))).toBe(TOO_BIG);
    expect(await redis.strlen('s')).toBe(1048576);
    await redis.set('a', Buffer.alloc(1048575, 0x61));
    expect(await redis.append('a', 'b')).toBe(1048576);
    expect(await errorOf(redis.append('a', 'c'))).toBe(TOO_BIG);
    expect(await redis.getrange('a', -2, -1)).toBe('ab');
    // Overwriting inside the limit is fine.
    expect(await redis.setrange('a', 1048570, 'zz')).toBe(1048576);
  });

  it('LCS', async () => {
    await redis.mset('k1', 'ohmytext', 'k2', 'mynewtext');
    expect(await redis.call('lcs', 'k1', 'k2')).toBe('mytext');
    expect(await redis.call('lcs', 'k1', 'k2', 'LEN')).toBe(6);
    expect(await redis.call('lcs', 'k1', 'k2', 'IDX')).toEqual(['matches', [[[4, 7], [5, 8]], [[2, 3], [0, 1]]], 'len', 6]);
    expect(await redis.call('lcs', 'k1', 'k2', 'IDX', 'MINMATCHLEN', '4', 'WITHMATCHLEN')).toEqual(['matches', [[[4, 7], [5, 8], 4]], 'len', 6]);
    expect(await redis.call('lcs', 'k1', 'nokey')).toBe('');
    expect(await redis.call('lcs', 'nokey', 'nokey2', 'LEN')).toBe(0);
    expect(await errorOf(redis.call('lcs', 'k1', 'k2', 'LEN', 'IDX'))).toBe("ERR If you want both the length and indexes, please just use IDX.");
    expect(await errorOf(redis.call('lcs', 'k1', 'k2', 'FOO'))).toBe(SYNTAX);
  });

  it('empty keys and empty values', async () => {
    expect(await redis.set('', '')).toBe('OK');
    expect(await redis.get('')).toBe('');
    expect(await redis.exists('')).toBe(1);
    expect(await redis.strlen('')).toBe(0);
    expect(await redis.type('')).toBe('string');
    expect(await redis.append('', 'x')).toBe(1);
    await redis.set('e', '');
    expect(await redis.getBuffer('e')).toEqual(Buffer.alloc(0));
    expect(await redis.mget('e', 'nokey')).toEqual(['', null]);
    expect(await errorOf(redis.incr('e'))).toBe(NOT_INT);
    expect(await redis.keys('*')).toEqual(expect.arrayContaining(['', 'e']));
    expect(await redis.dbsize()).toBe(2);
  });

  it('binary keys and values round-trip byte for byte', async () => {
    const keys = [
      Buffer.from([0x00]), Buffer.from('a\0b'), Buffer.from('a\r\nb'), Buffer.from('\r\n'),
      Buffer.from([0xff]), Buffer.from([0xfe]), Buffer.from([0xc3]), Buffer.from([0xc4]),
      Buffer.from([0xed, 0xa0, 0x80]), Buffer.from([0xef, 0xbf, 0xbd]), Buffer.from([0x80, 0x80]),
    ];
    for (let i = 0; i < keys.length; i++) {
      const value = Buffer.concat([Buffer.from([0xff, 0xfe, 0x00, 0x0d, 0x0a]), keys[i]!, Buffer.from([i])]);
      expect(await redis.set(keys[i]!, value)).toBe('OK');
    }
    // Keys that differ only in bytes invalid as UTF-8 (or that UTF-8 decoding maps to U+FFFD) stay distinct.
    expect(await redis.dbsize()).toBe(keys.length);
    for (let i = 0; i < keys.length; i++) {
      const expected = Buffer.concat([Buffer.from([0xff, 0xfe, 0x00, 0x0d, 0x0a]), keys[i]!, Buffer.from([i])]);
      expect(await redis.getBuffer(keys[i]!)).toEqual(expected);
    }
    const listed = (await redis.keysBuffer('*')).map((b) => b.toString('hex')).sort();
    expect(listed).toEqual(keys.map((b) => b.toString('hex')).sort());
    expect(await redis.del(Buffer.from([0xff]))).toBe(1);
    expect(await redis.exists(Buffer.from([0xfe]))).toBe(1);
    expect(await redis.exists(Buffer.from([0xff]))).toBe(0);
    // Binary through APPEND, SETRANGE, GETRANGE, MGET.
    await redis.set('b', Buffer.from([0x00, 0xff]));
    await redis.append('b', Buffer.from([0xfe, 0x0d]));
    await redis.setrange('b', 5, Buffer.from([0x0a, 0x80]));
    expect(await redis.getBuffer('b')).toEqual(Buffer.from([0x00, 0xff, 0xfe, 0x0d, 0x00, 0x0a, 0x80]));
    expect(await redis.getrangeBuffer('b', 1, 3)).toEqual(Buffer.from([0xff, 0xfe, 0x0d]));
    expect(await redis.mgetBuffer('b', Buffer.from([0xfe]))).toEqual([
      Buffer.from([0x00, 0xff, 0xfe, 0x0d, 0x00, 0x0a, 0x80]),
      Buffer.concat([Buffer.from([0xff, 0xfe, 0x00, 0x0d, 0x0a, 0xfe]), Buffer.from([5])]),
    ]);
    expect(await redis.strlen('b')).toBe(7);
    // RENAME and COPY of binary keys.
    expect(await redis.rename(Buffer.from([0xc3]), Buffer.from([0xc3, 0x00]))).toBe('OK');
    expect(await redis.exists(Buffer.from([0xc3]))).toBe(0);
    expect(await redis.getBuffer(Buffer.from([0xc3, 0x00]))).toEqual(
      Buffer.concat([Buffer.from([0xff, 0xfe, 0x00, 0x0d, 0x0a, 0xc3]), Buffer.from([6])]));
  });

  it('values larger than a slab page and many sizes round-trip', async () => {
    const sizes = [1, 7, 8, 9, 63, 64, 65, 255, 256, 4095, 4096, 4097, 65535, 65536, 100_000, 1 << 20, (1 << 20) + 3, 3_000_000];
    for (const n of sizes) {
      const v = Buffer.alloc(n);
      for (let i = 0; i < n; i++) v[i] = (i * 31 + n) & 0xff;
      await redis.set(`size:${n}`, v);
      expect((await redis.getBuffer(`size:${n}`))!.equals(v), `size ${n}`).toBe(true);
    }
    // Overwrite with smaller and larger values (slab chunk reuse).
    for (const n of sizes) await redis.set(`size:${n}`, 'x'.repeat(n % 97));
    for (const n of sizes) expect(await redis.get(`size:${n}`)).toBe('x'.repeat(n % 97));
  });
});

describe('keys', () => {
  it('DEL, UNLINK, EXISTS, TYPE, TOUCH', async () => {
    await redis.mset('a', '1', 'b', '2', 'c', '3');
    expect(await redis.exists('a', 'a', 'nokey', 'b')).toBe(3);
    expect(await redis.del('a', 'nokey', 'a')).toBe(1);
    expect(await redis.unlink('b', 'c', 'd')).toBe(2);
    expect(await redis.dbsize()).toBe(0);
    await redis.set('t', 'v');
    expect(await redis.type('t')).toBe('string');
    expect(await redis.type('nokey')).toBe('none');
    expect(await redis.touch('t', 't', 'nokey')).toBe(2);
  });

  it('RENAME and RENAMENX', async () => {
    await redis.set('a', '1', 'EX', 100);
    expect(await redis.rename('a', 'b')).toBe('OK');
    expect(await redis.exists('a')).toBe(0);
    expect(await redis.get('b')).toBe('1');
    expect(await redis.ttl('b')).toBeGreaterThan(90);
    // Renaming onto itself is allowed and changes nothing.
    expect(await redis.rename('b', 'b')).toBe('OK');
    expect(await redis.get('b')).toBe('1');
    await redis.set('c', '2');
    expect(await redis.rename('c', 'b')).toBe('OK');
    expect(await redis.get('b')).toBe('2');
    expect(await redis.ttl('b')).toBe(-1);
    expect(await errorOf(redis.rename('nokey', 'x'))).toBe('ERR no such key');
    expect(await errorOf(redis.renamenx('nokey', 'x'))).toBe('ERR no such key');
    await redis.set('d', '3');
    expect(await redis.renamenx('d', 'b')).toBe(0);
    expect(await redis.renamenx('d', 'd')).toBe(0);
    expect(await redis.renamenx('d', 'e')).toBe(1);
    expect(await redis.mget('b', 'd', 'e')).toEqual(['2', null, '3']);
  });

  it('SELECT, MOVE, COPY and SWAPDB across databases', async () => {
    const db1 = another(1);
    await redis.set('k', 'zero');
    await db1.set('k', 'one');
    expect(await redis.get('k')).toBe('zero');
    expect(await db1.get('k')).toBe('one');
    expect(await errorOf(redis.call('select', '16'))).toBe('ERR DB index is out of range');
    expect(await errorOf(redis.call('select', '-1'))).toBe('ERR DB index is out of range');
    expect(await errorOf(redis.call('select', 'abc'))).toBe(NOT_INT);

    // MOVE: refuses when the target exists, moves TTL along.
    expect(await redis.move('k', 1)).toBe(0);
    await redis.set('m', 'moved', 'EX', 100);
    expect(await redis.move('m', 1)).toBe(1);
    expect(await redis.exists('m')).toBe(0);
    expect(await db1.get('m')).toBe('moved');
    expect(await db1.ttl('m')).toBeGreaterThan(90);
    expect(await redis.move('nokey', 1)).toBe(0);
    expect(await errorOf(redis.move('k', 0))).toBe('ERR source and destination objects are the same');
    expect(await errorOf(redis.move('k', 16))).toBe('ERR DB index is out of range');
    expect(await errorOf(redis.call('move', 'k', 'abc'))).toBe(NOT_INT);

    // COPY, within a db and to another db, with REPLACE.
    await redis.set('src', 'v', 'EX', 100);
    expect(await redis.copy('src', 'dst')).toBe(1);
    expect(await redis.get('dst')).toBe('v');
    expect(await redis.ttl('dst')).toBeGreaterThan(90);
    expect(await redis.copy('src', 'k')).toBe(0);
    expect(await redis.get('k')).toBe('zero');
    expect(await redis.copy('src', 'k', 'REPLACE')).toBe(1);
    expect(await redis.get('k')).toBe('v');
    expect(await redis.copy('src', 'k', 'DB', 1)).toBe(0);
    expect(await redis.copy('src', 'k', 'DB', 1, 'REPLACE')).toBe(1);
    expect(await db1.get('k')).toBe('v');
    expect(await redis.copy('nokey', 'x')).toBe(0);
    expect(await errorOf(redis.copy('src', 'src'))).toBe('ERR source and destination objects are the same');
    expect(await redis.copy('src', 'src', 'DB', 1)).toBe(1);
    expect(await errorOf(redis.copy('src', 'x', 'DB', 16))).toBe('ERR DB index is out of range');
    expect(await errorOf(redis.call('copy', 'src', 'x', 'DB', 'abc'))).toBe(NOT_INT);
    expect(await errorOf(redis.call('copy', 'src', 'x', 'FOO'))).toBe(SYNTAX);
    // The copy is independent of the source.
    await redis.append('dst', 'w');
    expect(await redis.get('src')).toBe('v');

    // SWAPDB swaps whole databases, seen by clients already selected on them.
    const before0 = (await redis.keys('*')).sort();
    const before1 = (await db1.keys('*')).sort();
    expect(await redis.swapdb(0, 1)).toBe('OK');
    expect((await redis.keys('*')).sort()).toEqual(before1);
    expect((await db1.keys('*')).sort()).toEqual(before0);
    expect(await redis.get('m')).toBe('moved');
    expect(await redis.ttl('m')).toBeGreaterThan(90);
    expect(await redis.swapdb(1, 1)).toBe('OK');
    expect(await errorOf(redis.swapdb(0, 16))).toBe('ERR DB index is out of range');
    expect(await errorOf(redis.call('swapdb', '0', 'abc'))).toBe('ERR invalid second DB index');
    expect(await errorOf(redis.call('swapdb', 'abc', '0'))).toBe('ERR invalid first DB index');

    // FLUSHDB only empties the selected db.
    await redis.select(2);
    await redis.set('two', '2');
    await redis.select(0);
    expect(await redis.flushdb()).toBe('OK');
    expect(await redis.dbsize()).toBe(0);
    expect(await db1.dbsize()).toBeGreaterThan(0);
    await redis.select(2);
    expect(await redis.get('two')).toBe('2');
  });

  it('KEYS glob patterns', async () => {
    const names = ['hello', 'hallo', 'hxllo', 'hllo', 'heeeello', 'h*llo', 'h?llo', 'h[a]llo', 'h\\llo', 'foo', 'fo', 'foo:bar', 'foo:baz:1', 'a-b', 'a]b', 'x'];
    for (const n of names) await redis.set(n, '1');
    const keys = async (p: string) => (await redis.keys(p)).sort();
    expect(await keys('*')).toEqual([...names].sort());
    expect(await keys('h?llo')).toEqual(['h*llo', 'h?llo', 'h\\llo', 'hallo', 'hello', 'hxllo'].sort());
    expect(await keys('h*llo')).toEqual(['h*llo', 'h?llo', 'h[a]llo', 'h\\llo', 'hallo', 'heeeello', 'hello', 'hllo', 'hxllo'].sort());
    expect(await keys('h[ae]llo')).toEqual(['hallo', 'hello']);
    expect(await keys('h[^e]llo')).toEqual(['h*llo', 'h?llo', 'h\\llo', 'hallo', 'hxllo'].sort());
    expect(await keys('h[a-e]llo')).toEqual(['hallo', 'hello']);
    expect(await keys('h[e-a]llo')).toEqual(['hallo', 'hello']);
    expect(await keys('h\\*llo')).toEqual(['h*llo']);
    expect(await keys('h\\?llo')).toEqual(['h?llo']);
    expect(await keys('h\\[a\\]llo')).toEqual(['h[a]llo']);
    expect(await keys('h\\\\llo')).toEqual(['h\\llo']);
    expect(await keys('foo:*')).toEqual(['foo:bar', 'foo:baz:1']);
    expect(await keys('foo*')).toEqual(['foo', 'foo:bar', 'foo:baz:1']);
    expect(await keys('fo?')).toEqual(['foo']);
    expect(await keys('*:*:*')).toEqual(['foo:baz:1']);
    expect(await keys('a[\\-]b')).toEqual(['a-b']);
    // `[]` right after `[` closes an empty class, which matches nothing.
    expect(await keys('a[]]b')).toEqual([]);
    expect(await keys('a[\\]]b')).toEqual(['a]b']);
    expect(await keys('nomatch*')).toEqual([]);
    expect(await keys('x')).toEqual(['x']);
    expect(await keys('X')).toEqual([]);
    expect(await keys('?')).toEqual(['x']);
    expect(await keys('**')).toEqual([...names].sort());
  });

  it('SCAN returns every key exactly as KEYS does', async () => {
    const total = 2500;
    const p = redis.pipeline();
    for (let i = 0; i < total; i++) p.set(`key:${i}`, String(i));
    await p.exec();
    const all = new Set<string>();
    let cursor = '0';
    let calls = 0;
    do {
      const [next, batch] = await redis.scan(cursor, 'COUNT', 50);
      for (const k of batch) all.add(k);
      cursor = next;
      calls++;
      expect(calls).toBeLessThan(10_000);
    } while (cursor !== '0');
    expect(calls).toBeGreaterThan(1);
    const keys = await redis.keys('*');
    expect(keys.length).toBe(total);
    expect([...all].sort()).toEqual([...keys].sort());
  });

  it('SCAN returns every key present throughout while keys are added and removed', async () => {
    const p = redis.pipeline();
    for (let i = 0; i < 2000; i++) p.set(`stable:${i}`, '1');
    for (let i = 0; i < 500; i++) p.set(`doomed:${i}`, '1');
    await p.exec();
    const seen = new Set<string>();
    let cursor = '0';
    let round = 0;
    do {
      const [next, batch] = await redis.scan(cursor, 'COUNT', 20);
      for (const k of batch) seen.add(k);
      cursor = next;
      // Grow the table between calls (enough to force resizes), and delete some keys.
      const w = redis.pipeline();
      for (let i = 0; i < 60; i++) w.set(`added:${round}:${i}`, '1');
      if (round < 500) w.del(`doomed:${round}`);
      await w.exec();
      round++;
      expect(round).toBeLessThan(20_000);
    } while (cursor !== '0');
    for (let i = 0; i < 2000; i++) {
      if (!seen.has(`stable:${i}`)) throw new Error(`SCAN missed stable:${i} (present for the whole scan)`);
    }
    // Nothing SCAN returned is a key that never existed.
    for (const k of seen) expect(k).toMatch(/^(stable|doomed|added):/);
  });

  it('SCAN MATCH, COUNT, TYPE and cursor validation', async () => {
    const p = redis.pipeline();
    for (let i = 0; i < 300; i++) p.set(i % 3 === 0 ? `user:${i}` : `item:${i}`, '1');
    await p.exec();
    const collect = async (...opts: Array<string | number>) => {
      const out = new Set<string>();
      let cursor = '0';
      do {
        const [next, batch] = (await redis.call('scan', cursor, ...opts)) as [string, string[]];
        for (const k of batch) out.add(k);
        cursor = next;
      } while (cursor !== '0');
      return out;
    };
    const users = await collect('MATCH', 'user:*', 'COUNT', 7);
    expect(users.size).toBe(100);
    for (const k of users) expect(k.startsWith('user:')).toBe(true);
    expect((await collect('TYPE', 'string')).size).toBe(300);
    expect((await collect('TYPE', 'list')).size).toBe(0);
    expect((await collect('MATCH', 'nothing*')).size).toBe(0);
    // COUNT larger than the keyspace: one call finishes.
    const [cursor, batch] = await redis.scan(0, 'COUNT', 100000);
    expect(cursor).toBe('0');
    expect(batch.length).toBe(300);
    expect(await errorOf(redis.call('scan', '0', 'COUNT', '0'))).toBe(SYNTAX);
    expect(await errorOf(redis.call('scan', '0', 'COUNT', 'x'))).toBe(NOT_INT);
    expect(await errorOf(redis.call('scan', '0', 'FOO', 'x'))).toBe(SYNTAX);
    expect(await errorOf(redis.call('scan', 'abc'))).toBe('ERR invalid cursor');
    expect(await errorOf(redis.call('scan', '18446744073709551616'))).toBe('ERR invalid cursor');
    // An empty database finishes at once.
    await redis.flushdb();
    expect(await redis.scan(0)).toEqual(['0', []]);
  });

  it('RANDOMKEY', async () => {
    expect(await redis.randomkey()).toBeNull();
    await redis.mset('a', '1', 'b', '2', 'c', '3');
    const seen = new Set<string>();
    for (let i = 0; i < 200; i++) seen.add((await redis.randomkey())!);
    for (const k of seen) expect(['a', 'b', 'c']).toContain(k);
    expect(seen.size).toBeGreaterThan(1);
  });

  it('EXPIRE / PEXPIRE / EXPIREAT / PEXPIREAT and NX / XX / GT / LT', async () => {
    await redis.set('k', 'v');
    expect(await redis.expire('nokey', 100)).toBe(0);
    expect(await redis.call('expire', 'k', '100', 'XX')).toBe(0);
    expect(await redis.ttl('k')).toBe(-1);
    expect(await redis.call('expire', 'k', '100', 'GT')).toBe(0); // no TTL counts as infinite
    expect(await redis.call('expire', 'k', '100', 'NX')).toBe(1);
    expect(await redis.call('expire', 'k', '200', 'NX')).toBe(0);
    expect(await redis.call('expire', 'k', '200', 'XX')).toBe(1);
    expect(await redis.call('expire', 'k', '100', 'GT')).toBe(0);
    expect(await redis.call('expire', 'k', '300', 'GT')).toBe(1);
    expect(await redis.call('expire', 'k', '400', 'LT')).toBe(0);
    expect(await redis.call('expire', 'k', '50', 'LT')).toBe(1);
    expect(await redis.ttl('k')).toBeGreaterThan(45);
    expect(await redis.ttl('k')).toBeLessThanOrEqual(50);
    expect(await redis.call('expire', 'k', '300', 'xx', 'gt')).toBe(1);
    await redis.persist('k');
    expect(await redis.call('pexpire', 'k', '100000', 'LT')).toBe(1);
    expect(await redis.pttl('k')).toBeGreaterThan(90_000);
    expect(await redis.call('expireat', 'k', '4000000000', 'GT')).toBe(1);
    expect(await redis.call('expiretime', 'k')).toBe(4000000000);
    expect(await redis.call('pexpireat', 'k', '4000000000001', 'LT')).toBe(0);
    expect(await redis.call('pexpireat', 'k', '3999999999999', 'LT')).toBe(1);
    expect(await redis.call('pexpiretime', 'k')).toBe(3999999999999);
    expect(await errorOf(redis.call('expire', 'k', '10', 'NX', 'XX'))).toBe('ERR NX and XX, GT or LT options at the same time are not compatible');
    expect(await errorOf(redis.call('expire', 'k', '10', 'NX', 'GT'))).toBe('ERR NX and XX, GT or LT options at the same time are not compatible');
    expect(await errorOf(redis.call('expire', 'k', '10', 'GT', 'LT'))).toBe('ERR GT and LT options at the same time are not compatible');
    expect(await errorOf(redis.call('expire', 'k', '10', 'FOO'))).toBe('ERR Unsupported option FOO');
    expect(await errorOf(redis.call('expire', 'k', 'abc'))).toBe(NOT_INT);
    expect(await errorOf(redis.call('expire', 'k', '1.5'))).toBe(NOT_INT);
    expect(await redis.call('pexpiretime', 'k')).toBe(3999999999999);
  });

  it('negative, zero, past and huge expire times', async () => {
    for (const [cmd, arg] of [['expire', '-1'], ['expire', '0'], ['pexpire', '-100'], ['expireat', '1'], ['pexpireat', '0'], ['expireat', '-5']] as const) {
      await redis.set('k', 'v');
      expect(await redis.call(cmd, 'k', arg), `${cmd} ${arg}`).toBe(1);
      expect(await redis.exists('k'), `${cmd} ${arg}`).toBe(0);
      expect(await redis.get('k')).toBeNull();
    }
    expect(await redis.expire('k', -1)).toBe(0);
    await redis.set('k', 'v');
    // Past time with GT: a key without TTL is "infinite", so GT of a past time is refused and the key lives.
    expect(await redis.call('expire', 'k', '-1', 'GT')).toBe(0);
    expect(await redis.exists('k')).toBe(1);
    expect(await redis.call('expire', 'k', '-1', 'LT')).toBe(1);
    expect(await redis.exists('k')).toBe(0);

    await redis.set('k', 'v');
    expect(await errorOf(redis.call('expire', 'k', INT64_MAX))).toBe("ERR invalid expire time in 'expire' command");
    expect(await errorOf(redis.call('expire', 'k', '9223372036854775'))).toBe("ERR invalid expire time in 'expire' command");
    expect(await errorOf(redis.call('expire', 'k', INT64_MIN))).toBe("ERR invalid expire time in 'expire' command");
    expect(await errorOf(redis.call('pexpire', 'k', INT64_MAX))).toBe("ERR invalid expire time in 'pexpire' command");
    expect(await errorOf(redis.call('expireat', 'k', INT64_MAX))).toBe("ERR invalid expire time in 'expireat' command");
    expect(await errorOf(redis.call('expire', 'k', '9223372036854775808'))).toBe(NOT_INT);
    expect(await redis.ttl('k')).toBe(-1);
    // Huge but valid.
    expect(await redis.expire('k', 100_000_000_000)).toBe(1);
    const ttl = await redis.ttl('k');
    expect(ttl).toBeGreaterThanOrEqual(99_999_999_999);
    expect(ttl).toBeLessThanOrEqual(100_000_000_000);
    expect(await redis.pttl('k')).toBeGreaterThan(99_999_999_000_000);
    expect(await redis.get('k')).toBe('v');
  });

  it('TTL, PTTL, EXPIRETIME, PEXPIRETIME, PERSIST', async () => {
    expect(await redis.ttl('nokey')).toBe(-2);
    expect(await redis.pttl('nokey')).toBe(-2);
    expect(await redis.call('expiretime', 'nokey')).toBe(-2);
    expect(await redis.call('pexpiretime', 'nokey')).toBe(-2);
    await redis.set('k', 'v');
    expect(await redis.ttl('k')).toBe(-1);
    expect(await redis.pttl('k')).toBe(-1);
    expect(await redis.call('expiretime', 'k')).toBe(-1);
    expect(await redis.call('pexpiretime', 'k')).toBe(-1);
    expect(await redis.persist('k')).toBe(0);
    expect(await redis.persist('nokey')).toBe(0);
    await redis.pexpireat('k', 4000000000499);
    expect(await redis.call('expiretime', 'k')).toBe(4000000000);
    await redis.pexpireat('k', 4000000000500);
    expect(await redis.call('expiretime', 'k')).toBe(4000000001);
    // EXPIRETIME is relative to the server's clock.
    const [sec] = (await redis.call('time')) as [string, string];
    await redis.expire('k', 1000);
    const at = (await redis.call('expiretime', 'k')) as number;
    expect(at).toBeGreaterThanOrEqual(Number(sec) + 999);
    expect(at).toBeLessThanOrEqual(Number(sec) + 1002);
    expect(await redis.persist('k')).toBe(1);
    expect(await redis.ttl('k')).toBe(-1);
    expect(await redis.get('k')).toBe('v');
  });

  it('a key with a short TTL expires (lazily on access and actively)', async () => {
    await redis.set('lazy', 'v', 'PX', 30);
    await redis.set('active', 'v', 'PX', 30);
    await redis.set('keep', 'v');
    // Wait (bounded) until the lazily-read key is gone; no assertion on how long it took.
    const deadline = Date.now() + 5000;
    while ((await redis.exists('lazy')) === 1 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(await redis.get('lazy')).toBeNull();
    expect(await redis.ttl('lazy')).toBe(-2);
    // The other one is removed by active expiry without being touched: DBSIZE drops to 1.
    while ((await redis.dbsize()) > 1 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(await redis.dbsize()).toBe(1);
    expect(await redis.keys('*')).toEqual(['keep']);
  });

  it('OBJECT ENCODING int / embstr / raw transitions', async () => {
    const enc = (k: string) => redis.call('object', 'encoding', k);
    const cases: Array<[string, string]> = [
      ['123', 'int'], ['0', 'int'], ['-1', 'int'], [INT64_MAX, 'int'], [INT64_MIN, 'int'],
      ['9223372036854775808', 'embstr'], ['12345678901234567890', 'embstr'], ['007', 'embstr'], [' 1', 'embstr'],
      ['1.5', 'embstr'], ['hello', 'embstr'], ['', 'embstr'], ['x'.repeat(44), 'embstr'], ['x'.repeat(45), 'raw'],
      ['y'.repeat(1000), 'raw'],
    ];
    for (const [value, encoding] of cases) {
      await redis.set('k', value);
      expect(await enc('k'), JSON.stringify(value)).toBe(encoding);
    }
    await redis.set('k', '10');
    await redis.append('k', '1');
    expect(await enc('k')).toBe('raw');
    expect(await redis.incr('k')).toBe(102);
    expect(await enc('k')).toBe('int');
    await redis.set('k', 'abc');
    await redis.append('k', 'd');
    expect(await enc('k')).toBe('raw');
    await redis.set('k', '10');
    await redis.setrange('k', 0, '2');
    expect(await enc('k')).toBe('raw');
    await redis.set('k', '2');
    await redis.incrbyfloat('k', 1);
    expect(await enc('k')).toBe('embstr');
    await redis.set('k', 'short');
    await redis.getrange('k', 0, 1);
    expect(await enc('k')).toBe('embstr');
    expect(await enc('nokey')).toBeNull();
    await redis.set('k', 'hello');
    expect(await redis.call('object', 'refcount', 'k')).toBe(1);
    expect(await redis.call('object', 'refcount', 'nokey')).toBeNull();
    const idle = (await redis.call('object', 'idletime', 'k')) as number;
    expect(idle).toBeGreaterThanOrEqual(0);
    expect(idle).toBeLessThan(5);
    expect(await errorOf(redis.call('object', 'freq', 'k'))).toBe(
      'ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.');
    await redis.config('SET', 'maxmemory-policy', 'allkeys-lfu');
    expect(typeof (await redis.call('object', 'freq', 'k'))).toBe('number');
    expect(await errorOf(redis.call('object', 'idletime', 'k'))).toBe(
      'ERR An LFU maxmemory policy is selected, idle time not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.');
    const help = (await redis.call('object', 'help')) as string[];
    expect(help[0]).toBe('OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:');
    expect(help).toContain('ENCODING <key>');
  });
});

describe('pipelining', () => {
  it('10,000 commands in one ioredis pipeline, replies in order', async () => {
    const p = redis.pipeline();
    const n = 2500;
    for (let i = 0; i < n; i++) {
      p.set(`p:${i}`, `v${i}`);
      p.get(`p:${i}`);
      p.incr('counter');
      p.append(`p:${i}`, Buffer.from([0xff, i & 0xff]));
    }
    const results = (await p.exec())!;
    expect(results.length).toBe(4 * n);
    for (let i = 0; i < n; i++) {
      const [set, get, incr, append] = results.slice(4 * i, 4 * i + 4) as Array<[Error | null, unknown]>;
      expect(set).toEqual([null, 'OK']);
      expect(get).toEqual([null, `v${i}`]);
      expect(incr).toEqual([null, i + 1]);
      expect(append).toEqual([null, `v${i}`.length + 2]);
    }
    expect(await redis.get('counter')).toBe(String(n));
    expect(await redis.dbsize()).toBe(n + 1);
    expect(await redis.getBuffer('p:300')).toEqual(Buffer.concat([Buffer.from('v300'), Buffer.from([0xff, 300 & 0xff])]));
  });

  it('errors inside a pipeline do not disturb the replies around them', async () => {
    const p = redis.pipeline();
    for (let i = 0; i < 1000; i++) {
      p.set(`e:${i}`, 'x');
      p.incr(`e:${i}`);
      p.call('get');
      p.get(`e:${i}`);
    }
    const results = (await p.exec())!;
    for (let i = 0; i < 1000; i++) {
      expect(results[4 * i]![1]).toBe('OK');
      expect((results[4 * i + 1]![0] as Error).message).toBe(NOT_INT);
      expect((results[4 * i + 2]![0] as Error).message).toBe("ERR wrong number of arguments for 'get' command");
      expect(results[4 * i + 3]![1]).toBe('x');
    }
  });
});

describe('RESP3 (HELLO 3 over a raw socket; ioredis 5 speaks RESP2 only)', () => {
  it('HELLO 3 switches the connection to RESP3 and string/key replies use its types', async () => {
    const c = await raw();
    const hello = (await c.call('HELLO', '3')).toString('latin1');
    expect(hello).toMatch(/^%7\r\n\$6\r\nserver\r\n\$5\r\nredis\r\n\$7\r\nversion\r\n\$6\r\n7\.0\.15\r\n\$5\r\nproto\r\n:3\r\n\$2\r\nid\r\n:\d+\r\n\$4\r\nmode\r\n\$10\r\nstandalone\r\n\$4\r\nrole\r\n\$6\r\nmaster\r\n\$7\r\nmodules\r\n\*0\r\n$/);
    const expectReply = async (args: string[], bytes: string) => {
      expect((await c.call(...args)).toString('latin1'), args.join(' ')).toBe(bytes);
    };
    await expectReply(['GET', 'nokey'], '_\r\n');
    await expectReply(['SET', 'k', 'v'], '+OK\r\n');
    await expectReply(['SET', 'k', 'v', 'NX'], '_\r\n');
    await expectReply(['SET', 'n', 'v', 'GET'], '_\r\n');
    await expectReply(['MGET', 'k', 'nokey'], '*2\r\n$1\r\nv\r\n_\r\n');
    await expectReply(['GETDEL', 'nokey'], '_\r\n');
    await expectReply(['GETEX', 'nokey'], '_\r\n');
    await expectReply(['GETSET', 'gs', 'x'], '_\r\n');
    await expectReply(['OBJECT', 'ENCODING', 'nokey'], '_\r\n');
    expect((await c.call('RANDOMKEY')).toString('latin1')).toMatch(/^\$\d+\r\n/);
    await c.call('FLUSHDB');
    await expectReply(['RANDOMKEY'], '_\r\n');
    // INCRBYFLOAT stays a bulk string in RESP3 (not a double).
    await expectReply(['INCRBYFLOAT', 'f', '1.5'], '$3\r\n1.5\r\n');
    await expectReply(['INCR', 'i'], ':1\r\n');
    await expectReply(['TTL', 'nokey'], ':-2\r\n');
    expect((await c.call('SCAN', '0')).toString('latin1')).toMatch(/^\*2\r\n\$1\r\n0\r\n\*2\r\n(\$1\r\n[fi]\r\n){2}$/);
    await expectReply(['CONFIG', 'GET', 'maxmemory'], '%1\r\n$9\r\nmaxmemory\r\n$1\r\n0\r\n');
    await expectReply(['LCS', 'f', 'i', 'IDX'], '%2\r\n$7\r\nmatches\r\n*1\r\n*2\r\n*2\r\n:0\r\n:0\r\n*2\r\n:0\r\n:0\r\n$3\r\nlen\r\n:1\r\n');
    await expectReply(['GET'], "-ERR wrong number of arguments for 'get' command\r\n");
    const hello2 = (await c.call('HELLO', '2')).toString('latin1');
    expect(hello2.startsWith('*14\r\n$6\r\nserver\r\n')).toBe(true);
    expect(hello2).toContain('$5\r\nproto\r\n:2\r\n');
    await expectReply(['GET', 'nokey2'], '$-1\r\n');
    await expectReply(['MGET', 'nokey2'], '*1\r\n$-1\r\n');
    await expectReply(['CONFIG', 'GET', 'maxmemory'], '*2\r\n$9\r\nmaxmemory\r\n$1\r\n0\r\n');
  });
});
