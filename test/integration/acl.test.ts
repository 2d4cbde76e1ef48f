/*
 * ACL users beyond one connection's replies: the aclfile (ACL LOAD and ACL SAVE, their file
 * format and errors, start-up loading) side by side with redis-server, `user` lines in the
 * configuration file, and real clients (ioredis, node-redis) authenticating with a username.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { Redis } from 'ioredis';
import { createClient } from 'redis';
import { haveRedisServer, startRedisServer, type RedisServerHandle } from '../helpers/redis-server.ts';
import { RawClient } from '../helpers/raw-client.ts';
import { canonical } from '../differential/runner.ts';
import { startServer, type RunningServer } from '../../src/server.ts';

const dirs: string[] = [];
function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'slabcache-acl-'));
  dirs.push(dir);
  return dir;
}
afterAll(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

/** An ACL file's lines, each rule string's single-command runs in a canonical order. */
function canonFile(text: string): string {
  return text.split('\n').map((line) => canonical(Buffer.from(`$${line.length}\r\n${line}\r\n`, 'latin1'), { kind: 'aclrules' })).join('\n');
}

const ACL_FILE = [
  'user default on nopass ~* &* +@all',
  'user alice on #5e884898da28047151d0e56f8dc6292773603d0d6aabbdd62a11ef721d1542d8 ~cache:* resetchannels -@all +get +set',
  'user bob off resetchannels -@all +@read (~b:* +@write)',
  '',
].join('\n');

describe.skipIf(!haveRedisServer())('aclfile: ACL LOAD / ACL SAVE against redis-server', () => {
  let ref: RedisServerHandle;
  let target: RunningServer;
  let refFile: string;
  let targetFile: string;
  let r: RawClient;
  let t: RawClient;

  beforeAll(async () => {
    refFile = path.join(tempDir(), 'users.acl');
    targetFile = path.join(tempDir(), 'users.acl');
    fs.writeFileSync(refFile, ACL_FILE);
    fs.writeFileSync(targetFile, ACL_FILE);
    ref = await startRedisServer({ aclfile: refFile });
    target = await startServer({ aclfile: targetFile, port: '0', bind: '127.0.0.1', 'metrics-port': '0' });
    r = await RawClient.connect(ref.port);
    t = await RawClient.connect(target.port);
  });
  afterAll(async () => {
    await Promise.all([r.close(), t.close()]);
    await Promise.all([ref.stop(), target.close()]);
  });

  /** The same command on both; the replies compared (under `!aclrules`), with the file paths made equal. */
  async function both(...args: string[]): Promise<string> {
    const [a, b] = await Promise.all([r.call(...args), t.call(...args)]);
    const ca = canonical(a, { kind: 'aclrules' }).split(refFile).join('<file>');
    const cb = canonical(b, { kind: 'aclrules' }).split(targetFile).join('<file>');
    expect(cb).toBe(ca);
    return ca;
  }

  test('users load at start-up from the aclfile', async () => {
    await both('ACL', 'LIST');
    await both('AUTH', 'alice', 'password');
    await both('ACL', 'WHOAMI');
    await both('GET', 'other');
    await both('AUTH', 'bob', 'x');
    await both('AUTH', 'default', 'x');
  });

  test('ACL SAVE writes the file as Redis does; ACL LOAD reads it back', async () => {
    await both('ACL', 'SETUSER', 'carol', 'on', '>pw', '%R~r:*', '&news', '+@all', '-@dangerous', '-flushall');
    await both('ACL', 'SAVE');
    expect(canonFile(fs.readFileSync(targetFile, 'latin1'))).toBe(canonFile(fs.readFileSync(refFile, 'latin1')));
    await both('ACL', 'DELUSER', 'carol');
    await both('ACL', 'LOAD');
    await both('ACL', 'LIST');
    await both('ACL', 'GETUSER', 'carol');
  });

  test('ACL LOAD of a broken file changes nothing and lists every error', async () => {
    const broken = [
      'user default on nopass ~* &* +@all',
      'user dave on nosuchrule',
      'user erin on +nosuchcommand +@nosuchcategory',
      'user erin on',
      'notauser x',
      'user',
      'user frank (+get ~x',
      'user gina on #abc <nosuch',
      '',
    ].join('\n');
    fs.writeFileSync(refFile, broken);
    fs.writeFileSync(targetFile, broken);
    await both('ACL', 'LOAD');
    await both('ACL', 'USERS');
    fs.rmSync(refFile);
    fs.rmSync(targetFile);
    await both('ACL', 'LOAD');
    await both('ACL', 'SAVE');
    expect(canonFile(fs.readFileSync(targetFile, 'latin1'))).toBe(canonFile(fs.readFileSync(refFile, 'latin1')));
  });

  test('SLOWLOG shows ACL SETUSER with its arguments redacted, as Redis does', async () => {
    await both('CONFIG', 'SET', 'slowlog-log-slower-than', '0');
    await both('ACL', 'SETUSER', 'zed', 'on', '>secret');
    const [a, b] = await Promise.all([r.call('SLOWLOG', 'GET', '2'), t.call('SLOWLOG', 'GET', '2')]);
    for (const reply of [a.toString('latin1'), b.toString('latin1')]) {
      expect(reply).toContain('$3\r\nACL\r\n$7\r\nSETUSER\r\n$10\r\n(redacted)\r\n$10\r\n(redacted)\r\n$10\r\n(redacted)\r\n');
      expect(reply).not.toContain('secret');
    }
    await both('CONFIG', 'SET', 'slowlog-log-slower-than', '10000');
  });

  test('random rule sequences are described as Redis describes them (ACL LIST, GETUSER)', async () => {
    const cats = ['keyspace', 'read', 'write', 'set', 'sortedset', 'list', 'hash', 'string', 'bitmap', 'hyperloglog', 'geo', 'stream',
      'pubsub', 'admin', 'fast', 'slow', 'blocking', 'dangerous', 'connection', 'transaction', 'scripting', 'all'];
    const cmds = ['get', 'set', 'config', 'config|get', 'client|kill', 'flushall', 'debug', 'xinfo|stream', 'acl', 'select', 'object|freq', 'eval'];
    let seed = 12345;
    const rand = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed % n;
    };
    for (let round = 0; round < 60; round++) {
      const rules: string[] = [];
      for (let k = 1 + rand(6); k > 0; k--) {
        const kind = rand(10);
        if (kind < 5) rules.push(`${rand(2) ? '+' : '-'}@${cats[rand(cats.length)]}`);
        else if (kind < 8) rules.push(`${rand(2) ? '+' : '-'}${cmds[rand(cmds.length)]}`);
        else if (kind < 9) rules.push(`+select|${rand(3)}`);
        else rules.push(`(${rand(2) ? '+' : '-'}@${cats[rand(cats.length)]} ~k${rand(3)})`);
      }
      await both('ACL', 'SETUSER', `rnd${round % 5}`, 'reset', ...rules);
      await both('ACL', 'GETUSER', `rnd${round % 5}`);
    }
    await both('ACL', 'LIST');
  });

  test('key permissions follow the access flags of each key spec (ACL DRYRUN over the command families)', async () => {
    await both('ACL', 'SETUSER', 'keys', 'on', 'nopass', '+@all', '%R~r:*', '%W~w:*', '~rw:*', 'resetchannels', '&c:*');
    const templates = [
      'get K', 'set K v', 'set K v get', 'append K v', 'getdel K', 'getex K', 'getrange K 0 1', 'incr K', 'mget K K2', 'mset K v K2 v',
      'msetnx K v K2 v', 'strlen K', 'lcs K K2', 'del K', 'unlink K K2', 'exists K', 'touch K', 'type K', 'rename K K2', 'renamenx K K2',
      'copy K K2', 'move K 1', 'expire K 10', 'ttl K', 'persist K', 'dump K', 'restore K 0 x', 'object encoding K', 'lpush K a',
      'lpop K', 'lrange K 0 -1', 'lmove K K2 left right', 'blmove K K2 left right 0', 'rpoplpush K K2', 'lmpop 2 K K2 left', 'blpop K K2 0',
      'hset K f v', 'hget K f', 'hgetall K', 'hincrby K f 1', 'sadd K m', 'smembers K', 'sinterstore K K2', 'sunion K K2', 'smove K K2 m',
      'sintercard 2 K K2', 'zadd K 1 m', 'zrange K 0 -1', 'zrangestore K K2 0 -1', 'zunionstore K 2 K K2', 'zinter 2 K K2', 'zpopmin K',
      'bzpopmin K 0', 'zmpop 1 K min', 'xadd K * f v', 'xrange K - +', 'xread streams K K2 0 0', 'xreadgroup group g c streams K 0',
      'xgroup create K g $', 'xinfo stream K', 'xack K g 1-1', 'xclaim K g c 0 1-1', 'xautoclaim K g c 0 0', 'xtrim K maxlen 1',
      'pfadd K a', 'pfcount K K2', 'pfmerge K K2', 'setbit K 1 1', 'getbit K 1', 'bitcount K', 'bitop and K K2', 'bitpos K 1',
      'bitfield K get u8 0', 'bitfield K set u8 0 1', 'bitfield K incrby u8 0 1', 'bitfield_ro K get u8 0', 'geoadd K 1 1 m',
      'geosearchstore K K2 frommember m byradius 1 km', 'georadius K 1 1 1 km store K2', 'georadius K 1 1 1 km', 'sort K', 'sort K store K2',
      'sort_ro K', 'eval x 2 K K2', 'fcall f 1 K', 'watch K K2', 'publish K x', 'subscribe K K2', 'psubscribe K', 'spublish K x',
    ];
    const keys = ['r:1', 'w:1', 'rw:1', 'no', 'c:1'];
    for (const template of templates) {
      for (const k1 of keys) {
        for (const k2 of ['rw:2', 'r:2', 'w:2']) {
          const args = template.split(' ').map((a) => (a === 'K' ? k1 : a === 'K2' ? k2 : a));
          await both('ACL', 'DRYRUN', 'keys', ...args);
        }
      }
    }
  });

  test('a client of a user that ACL LOAD removes is disconnected', async () => {
    const text = 'user default on nopass ~* &* +@all\nuser temp on nopass +@all ~*\n';
    fs.writeFileSync(targetFile, text);
    await t.call('ACL', 'LOAD');
    const c = await RawClient.connect(target.port);
    expect((await c.call('AUTH', 'temp', 'x')).toString()).toBe('+OK\r\n');
    fs.writeFileSync(targetFile, 'user default on nopass ~* &* +@all\n');
    expect((await t.call('ACL', 'LOAD')).toString()).toBe('+OK\r\n');
    await expect.poll(() => c.isClosed).toBe(true);
  });
});

describe('start-up: aclfile errors and `user` lines in the configuration file', () => {
  test('a broken aclfile aborts start-up with the errors', async () => {
    const file = path.join(tempDir(), 'bad.acl');
    fs.writeFileSync(file, 'user x on bogus\n');
    await expect(startServer({ aclfile: file, port: '0', bind: '127.0.0.1', 'metrics-port': '0' })).rejects.toThrow(
      `Aborting Redis startup because of ACL errors: ${file}:1: Syntax error. WARNING: ACL errors detected, no change to the previously active ACL rules was performed`,
    );
  });

  test('user lines define users; requirepass is overridden by a `user default` line', async () => {
    const srv = await startServer({ port: '0', bind: '127.0.0.1', 'metrics-port': '0' }, {
      configText: 'requirepass first\nuser alice on >pw ~k:* +@all -@dangerous\nuser "default" on >second ~* &* +@all\n',
    });
    try {
      const c = await RawClient.connect(srv.port);
      expect((await c.call('AUTH', 'first')).toString()).toBe('-WRONGPASS invalid username-password pair or user is disabled.\r\n');
      expect((await c.call('AUTH', 'second')).toString()).toBe('+OK\r\n');
      expect((await c.call('ACL', 'USERS')).toString()).toBe('*2\r\n$5\r\nalice\r\n$7\r\ndefault\r\n');
      expect((await c.call('AUTH', 'alice', 'pw')).toString()).toBe('+OK\r\n');
      expect((await c.call('FLUSHALL')).toString()).toBe("-NOPERM this user has no permissions to run the 'flushall' command\r\n");
      await c.close();
    } finally {
      await srv.close();
    }
  });

  test('bad user lines are configuration errors, as Redis words them', async () => {
    const start = (configText: string) => startServer({ port: '0', bind: '127.0.0.1', 'metrics-port': '0' }, { configText, configSource: 'test.conf' });
    await expect(start('user alice on bogus')).rejects.toThrow("at line 1 >>> 'user alice on bogus' Error in user declaration 'alice': Syntax error");
    await expect(start('user alice on\nuser alice off')).rejects.toThrow("Error in user declaration 'alice': Duplicate user found. A user can only be defined once in config files");
    await expect(start('user alice on +nosuchcommand')).rejects.toThrow("Error loading ACL rule '+nosuchcommand' for the user named 'alice': Unknown command or category name in ACL");
    const file = path.join(tempDir(), 'users.acl');
    fs.writeFileSync(file, '');
    await expect(start(`aclfile ${file}\nuser alice on`)).rejects.toThrow('Configuring Redis with users defined in redis.conf and at the same setting an ACL file path is invalid.');
  });
});

describe('real clients authenticate with a username and password', () => {
  let srv: RunningServer;
  beforeAll(async () => {
    srv = await startServer({ port: '0', bind: '127.0.0.1', 'metrics-port': '0' });
    const admin = await RawClient.connect(srv.port);
    await admin.call('ACL', 'SETUSER', 'app', 'on', '>app-secret', '~app:*', '+@all', '-@dangerous');
    await admin.call('ACL', 'SETUSER', 'default', 'resetpass', '>admin-secret');
    await admin.close();
  });
  afterAll(() => srv.close());

  test('ioredis', async () => {
    const client = new Redis({ port: srv.port, host: '127.0.0.1', username: 'app', password: 'app-secret', lazyConnect: true, maxRetriesPerRequest: 0, enableReadyCheck: false });
    await client.connect();
    try {
      expect(await client.call('ACL', 'WHOAMI')).toBe('app');
      expect(await client.set('app:1', 'v')).toBe('OK');
      expect(await client.get('app:1')).toBe('v');
      await expect(client.get('other')).rejects.toThrow('NOPERM this user has no permissions to access one of the keys used as arguments');
      await expect(client.flushall()).rejects.toThrow("NOPERM this user has no permissions to run the 'flushall' command");
    } finally {
      client.disconnect();
    }
  });

  test('ioredis with a wrong password', async () => {
    const client = new Redis({ port: srv.port, host: '127.0.0.1', username: 'app', password: 'wrong', lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    const errors: string[] = [];
    client.on('error', (err: Error) => errors.push(err.message));
    await client.connect().catch(() => undefined);
    await expect.poll(() => errors).toContain('WRONGPASS invalid username-password pair or user is disabled.');
    client.disconnect();
  });

  test('node-redis (HELLO 3 AUTH)', async () => {
    const client = createClient({ socket: { port: srv.port, host: '127.0.0.1', reconnectStrategy: false }, username: 'app', password: 'app-secret', RESP: 3 });
    await client.connect();
    try {
      expect(await client.sendCommand(['ACL', 'WHOAMI'])).toBe('app');
      expect(await client.set('app:2', 'v')).toBe('OK');
      await expect(client.get('nope')).rejects.toThrow('NOPERM');
    } finally {
      await client.quit();
    }
  });

  test('node-redis RESP2 with the default user', async () => {
    const client = createClient({ socket: { port: srv.port, host: '127.0.0.1', reconnectStrategy: false }, password: 'admin-secret' });
    await client.connect();
    try {
      expect(await client.sendCommand(['ACL', 'WHOAMI'])).toBe('default');
    } finally {
      await client.quit();
    }
  });
});
