/*
 * Generates src/commands/redis-command-meta.json: the COMMAND INFO and COMMAND DOCS metadata
 * of every command and subcommand of a reference redis-server (7.0.15), so that slabcache can
 * answer COMMAND INFO / DOCS (RESP2 and RESP3) byte-identically to it.
 *
 * Re-run it after changing the reference version:
 *
 *   redis-server --port 16380 --bind 127.0.0.1 --save '' --appendonly no &
 *   npx node cli/generate-command-meta.ts 127.0.0.1 16380
 *   redis-cli -p 16380 shutdown nosave
 *
 * How: one raw socket, HELLO 3, then COMMAND INFO and COMMAND DOCS with no argument (every
 * command). RESP3 is read with its types (map, set, array, simple, bulk, integer), so the
 * conversion below can assert that each field has exactly the type the emitter in
 * src/commands/command-meta.ts writes for it; a new field or type in a future Redis makes this
 * script fail instead of silently producing metadata that re-emits different bytes. The RESP2
 * form needs nothing extra: Redis writes it from the same calls, maps as flat name/value
 * arrays and sets as arrays.
 *
 * Output: { redis_version, commands: { "<name>": entry, "<container>|<sub>": entry, ... } },
 * names sorted, so a re-run against the same version produces the same file. Subcommands are
 * listed in name order: Redis itself lists them in its dict's hash order, which changes from
 * one process to the next.
 */
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import type { CommandDocs, CommandMeta, DocArg, KeySpec } from '../src/commands/command-meta.ts';

type Resp3 =
  | { t: 'simple' | 'bulk' | 'error'; v: string }
  | { t: 'int'; v: number }
  | { t: 'null' }
  | { t: 'array' | 'set'; v: Resp3[] }
  | { t: 'map'; v: Array<[Resp3, Resp3]> };

class NeedMore extends Error {}

/** Reads one RESP3 reply from buf at pos; throws NeedMore when the reply is incomplete. */
function readReply(buf: Buffer, pos: { at: number }): Resp3 {
  const eol = buf.indexOf('\r\n', pos.at, 'latin1');
  if (eol < 0) throw new NeedMore();
  const type = String.fromCharCode(buf[pos.at]!);
  const line = buf.toString('utf8', pos.at + 1, eol);
  pos.at = eol + 2;
  switch (type) {
    case '+': return { t: 'simple', v: line };
    case '-': return { t: 'error', v: line };
    case ':': return { t: 'int', v: Number(line) };
    case '_': return { t: 'null' };
    case '$': {
      const n = Number(line);
      if (n < 0) return { t: 'null' };
      if (buf.length < pos.at + n + 2) throw new NeedMore();
      const v = buf.toString('utf8', pos.at, pos.at + n);
      pos.at += n + 2;
      return { t: 'bulk', v };
    }
    case '*': case '~': {
      const items: Resp3[] = [];
      for (let i = 0; i < Number(line); i++) items.push(readReply(buf, pos));
      return { t: type === '*' ? 'array' : 'set', v: items };
    }
    case '%': {
      const pairs: Array<[Resp3, Resp3]> = [];
      for (let i = 0; i < Number(line); i++) pairs.push([readReply(buf, pos), readReply(buf, pos)]);
      return { t: 'map', v: pairs };
    }
    default:
      throw new Error(`unexpected RESP3 type byte ${JSON.stringify(type)}`);
  }
}

/** Sends each command on one connection and resolves with their replies, in order. */
function query(host: string, port: number, commands: string[][]): Promise<Resp3[]> {
  return new Promise((resolve, reject) => {
    const sock = net.connect(port, host);
    let buf = Buffer.alloc(0);
    const replies: Resp3[] = [];
    sock.on('error', reject);
    sock.on('connect', () => {
      for (const args of commands) {
        sock.write(`*${args.length}\r\n` + args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join(''));
      }
    });
    sock.on('data', (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      const pos = { at: 0 };
      try {
        while (replies.length < commands.length) {
          replies.push(readReply(buf, pos));
          buf = buf.subarray(pos.at);
          pos.at = 0;
        }
      } catch (err) {
        if (!(err instanceof NeedMore)) {
          sock.destroy();
          reject(err);
          return;
        }
      }
      if (replies.length === commands.length) {
        sock.end();
        resolve(replies);
      }
    });
  });
}

// Typed accessors: each throws, naming the path, when Redis sent something else.

function fail(where: string, want: string, got: Resp3): never {
  throw new Error(`${where}: expected ${want}, got ${JSON.stringify(got).slice(0, 200)}`);
}
function str(r: Resp3, t: 'simple' | 'bulk', where: string): string {
  if (r.t !== t) fail(where, t, r);
  return r.v;
}
function int(r: Resp3, where: string): number {
  if (r.t !== 'int') fail(where, 'integer', r);
  return r.v;
}
function items(r: Resp3, t: 'array' | 'set', where: string): Resp3[] {
  if (r.t !== t) fail(where, t, r);
  return r.v;
}
function entries(r: Resp3, where: string): Array<[string, Resp3]> {
  if (r.t !== 'map') fail(where, 'map', r);
  return r.v.map(([k, v]) => [str(k, 'bulk', `${where} key`), v]);
}
function simpleSet(r: Resp3, where: string): string[] {
  return items(r, 'set', where).map((x, i) => str(x, 'simple', `${where}[${i}]`));
}

/** A map of bulk-string keys to integers or bulk strings (key spec `spec` fields). */
function scalarMap(r: Resp3, where: string): Record<string, number | string> {
  const out: Record<string, number | string> = {};
  for (const [k, v] of entries(r, where)) out[k] = v.t === 'int' ? v.v : str(v, 'bulk', `${where}.${k}`);
  return out;
}

function keySpec(r: Resp3, where: string): KeySpec {
  const out: Record<string, unknown> = {};
  for (const [k, v] of entries(r, where)) {
    const at = `${where}.${k}`;
    if (k === 'notes') out[k] = str(v, 'bulk', at);
    else if (k === 'flags') out[k] = simpleSet(v, at);
    else if (k === 'begin_search' || k === 'find_keys') {
      const step: Record<string, unknown> = {};
      for (const [sk, sv] of entries(v, at)) {
        if (sk === 'type') step[sk] = str(sv, 'bulk', `${at}.type`);
        else if (sk === 'spec') step[sk] = scalarMap(sv, `${at}.spec`);
        else throw new Error(`${at}: unknown field ${sk}`);
      }
      out[k] = step;
    } else throw new Error(`${where}: unknown key spec field ${k}`);
  }
  return out as unknown as KeySpec;
}

function docArg(r: Resp3, where: string): DocArg {
  const out: Record<string, unknown> = {};
  for (const [k, v] of entries(r, where)) {
    const at = `${where}.${k}`;
    if (k === 'key_spec_index') out[k] = int(v, at);
    else if (k === 'flags') out[k] = simpleSet(v, at);
    else if (k === 'arguments') out[k] = items(v, 'array', at).map((a, i) => docArg(a, `${at}[${i}]`));
    else if (['name', 'type', 'token', 'summary', 'since', 'deprecated_since'].includes(k)) out[k] = str(v, 'bulk', at);
    else throw new Error(`${where}: unknown argument field ${k}`);
  }
  return out as unknown as DocArg;
}

/** Docs of one command; its "subcommands" map (always last) is returned apart. */
function docs(r: Resp3, where: string): { docs: CommandDocs; subDocs: Map<string, Resp3> } {
  const out: Record<string, unknown> = {};
  const subDocs = new Map<string, Resp3>();
  const fields = entries(r, where);
  fields.forEach(([k, v], i) => {
    const at = `${where}.${k}`;
    if (k === 'subcommands') {
      if (i !== fields.length - 1) throw new Error(`${at}: expected as the last field`);
      for (const [name, sub] of entries(v, at)) subDocs.set(name, sub);
    } else if (k === 'doc_flags') out[k] = simpleSet(v, at);
    else if (k === 'history') {
      out[k] = items(v, 'set', at).map((h, j) => {
        const pair = items(h, 'array', `${at}[${j}]`);
        if (pair.length !== 2) fail(`${at}[${j}]`, 'a [version, description] pair', h);
        return [str(pair[0]!, 'bulk', `${at}[${j}][0]`), str(pair[1]!, 'bulk', `${at}[${j}][1]`)];
      });
    } else if (k === 'arguments') out[k] = items(v, 'array', at).map((a, j) => docArg(a, `${at}[${j}]`));
    else if (['summary', 'since', 'group', 'complexity', 'deprecated_since', 'replaced_by'].includes(k)) out[k] = str(v, 'bulk', at);
    else throw new Error(`${where}: unknown docs field ${k}`);
  });
  if (typeof out['group'] !== 'string') throw new Error(`${where}: no group`);
  return { docs: out as unknown as CommandDocs, subDocs };
}

/** Flattens one COMMAND INFO entry (and its subcommands) with its docs into `into`. */
function addCommand(info: Resp3, docsReply: Resp3 | undefined, into: Map<string, CommandMeta>): void {
  const f = items(info, 'array', 'COMMAND INFO entry');
  if (f.length !== 10) fail('COMMAND INFO entry', '10 fields', info);
  const name = str(f[0]!, 'bulk', 'name');
  if (docsReply === undefined) throw new Error(`${name}: missing from COMMAND DOCS`);
  const { docs: d, subDocs } = docs(docsReply, `${name} docs`);
  // Redis writes an empty set for a command without subcommands, an array otherwise.
  const subInfos = f[9]!.t === 'set' && f[9]!.v.length === 0 ? [] : items(f[9]!, 'array', `${name} subcommands`);
  const subNames = subInfos.map((s, i) => str(items(s, 'array', `${name} subcommands[${i}]`)[0]!, 'bulk', `${name} subcommands[${i}] name`));
  into.set(name, {
    name,
    arity: int(f[1]!, `${name} arity`),
    flags: simpleSet(f[2]!, `${name} flags`),
    first_key: int(f[3]!, `${name} first key`),
    last_key: int(f[4]!, `${name} last key`),
    step: int(f[5]!, `${name} step`),
    acl_categories: simpleSet(f[6]!, `${name} acl categories`),
    tips: items(f[7]!, 'set', `${name} tips`).map((t, i) => str(t, 'bulk', `${name} tips[${i}]`)),
    key_specs: items(f[8]!, 'set', `${name} key specs`).map((k, i) => keySpec(k, `${name} key_specs[${i}]`)),
    subcommands: [...subNames].sort(),
    docs: d,
  });
  if (subDocs.size !== subInfos.length) throw new Error(`${name}: ${subInfos.length} subcommands in COMMAND INFO, ${subDocs.size} in COMMAND DOCS`);
  subInfos.forEach((s, i) => addCommand(s, subDocs.get(subNames[i]!), into));
}

async function main(): Promise<void> {
  const host = process.argv[2] ?? '127.0.0.1';
  const port = Number(process.argv[3] ?? '6379');
  const out = process.argv[4] ?? path.join(import.meta.dirname, '..', 'src', 'commands', 'redis-command-meta.json');
  const [hello, infoAll, docsAll] = await query(host, port, [['HELLO', '3'], ['COMMAND', 'INFO'], ['COMMAND', 'DOCS']]);
  const version = str(entries(hello!, 'HELLO').find(([k]) => k === 'version')?.[1] ?? { t: 'null' }, 'bulk', 'HELLO version');
  const docsByName = new Map(entries(docsAll!, 'COMMAND DOCS'));
  const commands = new Map<string, CommandMeta>();
  for (const info of items(infoAll!, 'array', 'COMMAND INFO')) {
    const name = str(items(info, 'array', 'COMMAND INFO entry')[0]!, 'bulk', 'name');
    addCommand(info, docsByName.get(name), commands);
  }
  const sorted = Object.fromEntries([...commands.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  fs.writeFileSync(out, JSON.stringify({ redis_version: version, commands: sorted }, null, 1) + '\n');
  const top = [...commands.keys()].filter((n) => !n.includes('|')).length;
  console.log(`${out}: redis ${version}, ${top} commands, ${commands.size - top} subcommands`);
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
