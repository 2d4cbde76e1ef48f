/*
 * The captured Redis command metadata (src/commands/redis-command-meta.json) is complete for
 * the commands slabcache serves, and, when redis-server is on PATH, re-emits COMMAND INFO and
 * COMMAND DOCS byte-identically to it in RESP2 and RESP3. Containers (CONFIG, CLIENT, ...)
 * are compared after sorting their subcommands, the one part Redis orders differently from
 * process to process; each subcommand is also compared on its own, byte for byte.
 */
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { metaFor, writeCommandDocs, writeCommandInfo, type CommandMeta, type CommandMetaFile, type MetaWriter } from '../../src/commands/command-meta.ts';
import { decodeReply, RawClient, type RespValue } from '../helpers/raw-client.ts';
import { haveRedisServer, startRedisServer, type RedisServerHandle } from '../helpers/redis-server.ts';

const CORE = [
  'get', 'set', 'del', 'unlink', 'exists', 'ping', 'echo', 'quit', 'reset', 'hello', 'auth', 'select',
  'config', 'config|get', 'config|set', 'config|resetstat', 'config|rewrite', 'config|help',
  'client', 'client|id', 'client|setname', 'client|getname', 'client|list', 'client|info', 'client|kill',
  'client|no-evict', 'client|reply', 'client|help',
  'command', 'command|count', 'command|info', 'command|docs', 'command|list', 'command|getkeys',
  'info', 'dbsize', 'flushdb', 'flushall', 'swapdb', 'time', 'shutdown', 'lastsave', 'role',
  'function', 'function|list', 'function|flush', 'script', 'script|exists', 'script|flush',
  'setnx', 'setex', 'psetex', 'getset', 'getdel', 'getex', 'mget', 'mset', 'msetnx', 'append', 'strlen',
  'incr', 'decr', 'incrby', 'decrby', 'incrbyfloat', 'getrange', 'substr', 'setrange', 'lcs',
  'type', 'touch', 'rename', 'renamenx', 'copy', 'move', 'keys', 'scan', 'randomkey',
  'expire', 'pexpire', 'expireat', 'pexpireat', 'ttl', 'pttl', 'expiretime', 'pexpiretime', 'persist',
  'object', 'object|encoding', 'object|freq', 'object|idletime', 'object|refcount', 'object|help',
];

/** Every name in the captured file, sorted. */
const CAPTURED = Object.keys((JSON.parse(
  fs.readFileSync(new URL('../../src/commands/redis-command-meta.json', import.meta.url), 'utf8'),
) as CommandMetaFile).commands).sort();

function mustMeta(name: string): CommandMeta {
  const meta = metaFor(name);
  if (meta === undefined) throw new Error(`no metadata for ${name}`);
  return meta;
}

describe('command metadata', () => {
  it.each(CORE)('%s is complete', (name) => {
    const meta = mustMeta(name);
    expect(meta.name).toBe(name);
    expect(Number.isInteger(meta.arity) && meta.arity !== 0).toBe(true);
    expect(Array.isArray(meta.flags)).toBe(true);
    expect(meta.acl_categories.length).toBeGreaterThan(0);
    for (const cat of meta.acl_categories) expect(cat).toMatch(/^@[a-z]+$/);
    expect(meta.docs.summary).toBeTruthy();
    expect(meta.docs.since).toMatch(/^\d+\.\d+\.\d+$/);
    expect(meta.docs.group).toBeTruthy();
    expect(meta.docs.complexity).toBeTruthy();
    // Every key argument of the docs points at a key spec.
    for (const arg of meta.docs.arguments ?? []) {
      if (arg.key_spec_index !== undefined) expect(arg.key_spec_index).toBeLessThan(meta.key_specs.length);
    }
  });

  it('looks names up case-insensitively and knows no made-up command', () => {
    expect(metaFor('GET')?.name).toBe('get');
    expect(metaFor('Config|Get')?.name).toBe('config|get');
    expect(metaFor('nosuchcommand')).toBeUndefined();
  });

  it('lists each container\'s subcommands by full name, sorted, each with its own entry', () => {
    const config = mustMeta('config');
    expect(config.subcommands).toEqual(['config|get', 'config|help', 'config|resetstat', 'config|rewrite', 'config|set']);
    for (const sub of config.subcommands) expect(mustMeta(sub).subcommands).toEqual([]);
  });

  it('carries the key specs and argument trees as Redis declares them', () => {
    expect(mustMeta('get').key_specs).toEqual([{
      flags: ['RO', 'access'],
      begin_search: { type: 'index', spec: { index: 1 } },
      find_keys: { type: 'range', spec: { lastkey: 0, keystep: 1, limit: 0 } },
    }]);
    const set = mustMeta('set');
    expect(set.arity).toBe(-3);
    expect(set.flags).toEqual(['write', 'denyoom']);
    expect(set.docs.arguments?.map((a) => a.name)).toEqual(['key', 'value', 'condition', 'get', 'expiration']);
    const georadius = mustMeta('georadius');
    expect(georadius.docs.doc_flags).toEqual(['deprecated']);
    expect(georadius.docs.deprecated_since).toBe('6.2.0');
    expect(georadius.docs.replaced_by).toBeTruthy();
  });
});

/** A MetaWriter producing RESP bytes, as the server's ReplyWriter would. */
class BytesWriter implements MetaWriter {
  private out = '';
  private readonly resp: 2 | 3;
  constructor(resp: 2 | 3) {
    this.resp = resp;
  }
  arrayLen(n: number): void { this.out += `*${n}\r\n`; }
  mapLen(n: number): void { this.out += this.resp === 3 ? `%${n}\r\n` : `*${2 * n}\r\n`; }
  setLen(n: number): void { this.out += this.resp === 3 ? `~${n}\r\n` : `*${n}\r\n`; }
  simple(text: string): void { this.out += `+${text}\r\n`; }
  bulkString(text: string): void { this.out += `$${Buffer.byteLength(text)}\r\n${text}\r\n`; }
  int(n: number | bigint): void { this.out += `:${n}\r\n`; }
  bytes(): Buffer { return Buffer.from(this.out); }
}

function emitInfo(meta: CommandMeta, resp: 2 | 3): Buffer {
  const w = new BytesWriter(resp);
  w.arrayLen(1);
  writeCommandInfo(w, meta);
  return w.bytes();
}

function emitDocs(meta: CommandMeta, resp: 2 | 3): Buffer {
  const w = new BytesWriter(resp);
  w.mapLen(1);
  w.bulkString(meta.name);
  writeCommandDocs(w, meta);
  return w.bytes();
}

function items(v: RespValue): RespValue[] {
  if (v.kind !== 'aggregate') throw new Error(`expected an aggregate, got ${v.type}`);
  return v.items;
}
function text(v: RespValue): string {
  if (v.kind !== 'scalar') throw new Error(`expected a scalar, got ${v.type}`);
  return v.data.toString();
}

/** COMMAND INFO reply of one container with its subcommand entries sorted by name. */
function sortedInfo(reply: Buffer): RespValue {
  const tree = decodeReply(reply);
  const subs = items(items(tree)[0]!)[9]!;
  items(subs).sort((a, b) => text(items(a)[0]!).localeCompare(text(items(b)[0]!)));
  return tree;
}

/** COMMAND DOCS reply of one container with its "subcommands" map sorted by name. */
function sortedDocs(reply: Buffer): RespValue {
  const tree = decodeReply(reply);
  const docs = items(items(tree)[1]!);
  const at = docs.findIndex((v, i) => i % 2 === 0 && text(v) === 'subcommands');
  const subs = items(docs[at + 1]!);
  const pairs: RespValue[][] = [];
  for (let i = 0; i < subs.length; i += 2) pairs.push([subs[i]!, subs[i + 1]!]);
  pairs.sort((a, b) => text(a[0]!).localeCompare(text(b[0]!)));
  subs.splice(0, subs.length, ...pairs.flat());
  return tree;
}

describe.runIf(haveRedisServer('redis-server not on PATH: COMMAND INFO/DOCS comparison with redis-server skipped'))('COMMAND INFO and DOCS against redis-server', () => {
  let redis: RedisServerHandle;
  const clients: RawClient[] = [];

  beforeAll(async () => {
    redis = await startRedisServer();
  });

  afterAll(async () => {
    for (const c of clients) await c.close();
    await redis?.stop();
  });

  it('captured the running version', async () => {
    expect(redis.version).toBe('7.0.15');
  });

  it.each([2, 3] as const)('re-emits every entry byte-identically in RESP%i', async (resp) => {
    const client = await RawClient.connect(redis.port, redis.host, { timeoutMs: 20_000 });
    clients.push(client);
    if (resp === 3) await client.call('HELLO', '3');
    // COMMAND LIST names subcommands too ("config|get"); COMMAND COUNT counts only commands.
    const names = items(decodeReply(await client.call('COMMAND', 'LIST'))).map(text).sort();
    expect(names).toEqual(CAPTURED);
    const count = decodeReply(await client.call('COMMAND', 'COUNT'));
    expect(Number(text(count))).toBe(CAPTURED.filter((n) => !n.includes('|')).length);
    for (const name of names) {
      client.send('COMMAND', 'INFO', name);
      client.send('COMMAND', 'DOCS', name);
    }
    const replies = await client.readReplies(names.length * 2);
    names.forEach((name, i) => {
      const meta = mustMeta(name);
      const info = replies[2 * i]!;
      const docs = replies[2 * i + 1]!;
      if (meta.subcommands.length === 0) {
        expect(emitInfo(meta, resp).toString(), `COMMAND INFO ${name}`).toBe(info.toString());
        expect(emitDocs(meta, resp).toString(), `COMMAND DOCS ${name}`).toBe(docs.toString());
      } else {
        expect(sortedInfo(emitInfo(meta, resp)), `COMMAND INFO ${name}`).toEqual(sortedInfo(info));
        expect(sortedDocs(emitDocs(meta, resp)), `COMMAND DOCS ${name}`).toEqual(sortedDocs(docs));
      }
    });
  });
});
