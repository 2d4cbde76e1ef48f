/*
 * Memory per element of collections, slabcache vs redis-server 7.0, side by side: a
 * 1,000,000-field hash, a 1,000,000-member set, 100,000 small hashes of 10 fields (listpack),
 * and, when the server has ZADD, a 1,000,000-member sorted set. Each workload loads a fresh
 * pair of servers (persistence off, no maxmemory) through the same pipelined raw-RESP loader;
 * figures are (VmRSS after - VmRSS before) / elements and the used_memory growth per element
 * (for slabcache: the store's estimate, which maxmemory and MEMORY USAGE use), with RSS read
 * after a short settle. Elements: 13-byte fields/members ("field:0123456"), 16-byte values.
 *
 *   npx node bench/collections-memory.ts [--elements 1000000] [--small 100000] [--quick]
 *     [--workloads hash,set,small-hashes,zset] [--servers redis,slabcache]
 */
import { RespClient, type BatchBuilder } from './lib/resp-client.ts';
import { pipelineCommands } from './lib/load.ts';
import { dbsize, infoNumber, sleep, startServer, type ServerProcess } from './lib/servers.ts';
import { commandLine, fmt, printFooter, printHeader, printTable, parseOptions, ratio, run, serverKinds } from './lib/report.ts';

const USAGE = `usage: npx node bench/collections-memory.ts [options]
  --elements N   elements of the big hash / set / sorted set (default 1000000)
  --small N      small hashes of 10 fields (default 100000)
  --quick        100000 elements, 10000 small hashes
  --settle MS    wait before reading RSS after a load (default 1500)
  --workloads L  hash,set,small-hashes,zset (default all; zset skipped without ZADD)
  --servers L    redis,slabcache (default both)`;

/** Elements per HSET / SADD / ZADD command. */
const BATCH = 100;

interface Workload {
  id: string;
  name: string;
  /** Elements the figures are divided by. */
  elements: number;
  commands: number;
  /** A command the server must know (else the workload is skipped on it). */
  needs?: string;
  encode: (b: BatchBuilder, i: number) => void;
  /** DBSIZE expected afterwards. */
  keys: number;
}

const pad = (n: number, w: number): string => String(n).padStart(w, '0');
const member = (i: number): string => `field:${pad(i, 7)}`;
const value = (i: number): string => `value:${pad(i, 10)}`;

/** Command i sends elements [i*BATCH, i*BATCH+BATCH) of n: head(count) then each(j). */
function batched(n: number, head: (b: BatchBuilder, count: number) => void, each: (b: BatchBuilder, j: number) => void) {
  return (b: BatchBuilder, i: number): void => {
    const from = i * BATCH;
    const count = Math.min(BATCH, n - from);
    head(b, count);
    for (let j = from; j < from + count; j++) each(b, j);
  };
}

function workloads(elements: number, small: number): Workload[] {
  const commands = Math.ceil(elements / BATCH);
  return [
    {
      id: 'hash', name: `hash of ${fmt(elements)} fields`, elements, commands, keys: 1,
      encode: batched(elements, (b, n) => b.header(2 + 2 * n).arg('HSET').arg('bighash'), (b, j) => b.arg(member(j)).arg(value(j))),
    },
    {
      id: 'set', name: `set of ${fmt(elements)} members`, elements, commands, keys: 1,
      encode: batched(elements, (b, n) => b.header(2 + n).arg('SADD').arg('bigset'), (b, j) => b.arg(member(j))),
    },
    {
      id: 'small-hashes', name: `${fmt(small)} hashes of 10 fields`, elements: small * 10, commands: small, keys: small,
      encode: (b, i) => {
        b.header(22).arg('HSET').arg(`user:${pad(i, 8)}`);
        for (let f = 0; f < 10; f++) b.arg(`f${f}`).arg(value(i * 10 + f));
      },
    },
    {
      id: 'zset', name: `sorted set of ${fmt(elements)} members`, elements, commands, keys: 1, needs: 'zadd',
      encode: batched(elements, (b, n) => b.header(2 + 2 * n).arg('ZADD').arg('bigzset'), (b, j) => b.arg(j * 1.5).arg(member(j))),
    },
  ];
}

interface Sample {
  rssPerElement: number;
  usedPerElement: number;
  seconds: number;
}

async function supports(client: RespClient, command: string): Promise<boolean> {
  const reply = await client.call('COMMAND', 'INFO', command);
  return Array.isArray(reply) && reply[0] !== null;
}

async function measure(server: ServerProcess, w: Workload, settleMs: number): Promise<Sample | null> {
  const client = await RespClient.connect(server.port);
  try {
    if (w.needs !== undefined && !(await supports(client, w.needs))) return null;
    if ((await dbsize(client)) !== 0) throw new Error(`${server.label} not empty before loading`);
    const before = server.memory();
    const usedBefore = await infoNumber(client, 'memory', 'used_memory');
    const stats = await pipelineCommands(client, w.commands, w.encode, { batch: 20, window: 8, label: `${server.label} ${w.name}` });
    if (stats.errors > 0) throw new Error(`${server.label} ${w.name}: ${stats.errors} errors, first: ${stats.firstError?.message}`);
    await sleep(settleMs);
    const after = server.memory();
    const usedAfter = await infoNumber(client, 'memory', 'used_memory');
    const n = await dbsize(client);
    if (n !== w.keys) throw new Error(`${server.label}: DBSIZE ${n} after ${w.name}`);
    return { rssPerElement: (after.rss - before.rss) / w.elements, usedPerElement: (usedAfter - usedBefore) / w.elements, seconds: stats.seconds };
  } finally {
    client.close();
  }
}

async function main(): Promise<void> {
  const opt = parseOptions(
    { elements: { type: 'string' }, small: { type: 'string' }, quick: { type: 'boolean' }, settle: { type: 'string' }, workloads: { type: 'string' }, servers: { type: 'string' } },
    USAGE,
  );
  const kinds = serverKinds(opt.str('servers', 'redis,slabcache'));
  const quick = opt.flag('quick');
  const elements = Math.floor(opt.num('elements', quick ? 100_000 : 1_000_000));
  const small = Math.floor(opt.num('small', quick ? 10_000 : 100_000));
  const settleMs = opt.num('settle', 1500);
  const wanted = opt.str('workloads', 'hash,set,small-hashes,zset').split(',');
  const chosen = workloads(elements, small).filter((w) => wanted.includes(w.id));
  printHeader('slabcache benchmark: memory per collection element', commandLine('bench/collections-memory.ts'));
  console.log('bytes/element = (VmRSS after load - VmRSS before) / elements; fresh servers per workload, persistence off\n');
  const rows: Array<Array<string | number>> = [['workload', 'figure', 'redis-server', 'slabcache', 'slabcache/redis']];
  for (const w of chosen) {
    const results: Partial<Record<'redis' | 'slabcache', Sample | null>> = {};
    const servers: ServerProcess[] = [];
    try {
      for (const kind of kinds) servers.push(await startServer(kind));
      await sleep(500);
      for (const server of servers) {
        const s = await measure(server, w, settleMs);
        results[server.kind] = s;
        if (s === null) console.log(`  ${w.name.padEnd(34)} ${server.label.padEnd(12)} skipped (no ${w.needs?.toUpperCase()})`);
        else console.log(`  ${w.name.padEnd(34)} ${server.label.padEnd(12)} RSS +${fmt(s.rssPerElement)} B/element, used_memory +${fmt(s.usedPerElement)} B/element, loaded in ${fmt(s.seconds, 2)} s`);
      }
    } finally {
      await Promise.all(servers.map((s) => s.stop()));
    }
    const cell = (s: Sample | null | undefined, f: (x: Sample) => number): number => (s == null ? NaN : f(s));
    const figures: Array<[string, (x: Sample) => number]> = [
      ['RSS growth, B/element', (x) => x.rssPerElement],
      ['used_memory growth, B/element', (x) => x.usedPerElement],
    ];
    for (const [name, f] of figures) rows.push([w.name, name, cell(results.redis, f), cell(results.slabcache, f), ratio(cell(results.slabcache, f), cell(results.redis, f))]);
  }
  console.log('');
  printTable(rows);
  printFooter();
}

run(main);
