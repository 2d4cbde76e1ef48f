/*
 * Benchmark 1, memory per key: RSS growth of the server process after loading N keys
 * (16-byte keys, 32-byte values), divided by N; then the same with a TTL on every key
 * (SET k v EX 100000). redis-server and slabcache run side by side in this run, each in its
 * own process with persistence off and no maxmemory, loaded one after the other by the same
 * pipelined raw-RESP loader; RSS is VmRSS from /proc/PID/status for both, taken after a
 * short settle. Also printed: used_memory and allocator_allocated growth (INFO memory; for
 * slabcache the latter is every slab page and table the store holds) and peak RSS growth
 * (VmHWM), and the ratio slabcache/redis. Target: slabcache at most 0.75x Redis (issue 13; the
 * first target, issue 5's, was 1.0x).
 *
 *   npx node bench/memory.ts [--keys 1000000] [--rounds 3] [--quick]
 */
import { RespClient } from './lib/resp-client.ts';
import { loadKeys } from './lib/load.ts';
import { dbsize, infoNumber, sleep, startServer, type ServerProcess } from './lib/servers.ts';
import { commandLine, fmt, median, printFooter, printHeader, printTable, parseOptions, ratio, run, mib, serverKinds } from './lib/report.ts';

const USAGE = `usage: npx node bench/memory.ts [options]
  --keys N      keys per load (default 1000000)
  --rounds N    fresh-server rounds per load, figures are medians (default 3)
  --quick       100000 keys, 1 round
  --settle MS   wait before reading RSS after a load (default 1500)
  --servers L   redis,slabcache (default both; one alone to try one side)`;

interface Sample {
  rssPerKey: number;
  hwmPerKey: number;
  usedPerKey: number;
  allocatedPerKey: number;
  keysPerSec: number;
  rssBefore: number;
}

const VALUE_LEN = 32;
const TTL_SECONDS = 100_000;
/** Most RSS per key slabcache may cost, as a share of redis-server's (issue 13). */
const TARGET_RATIO = 0.75;

async function measure(server: ServerProcess, keys: number, ttl: boolean, settleMs: number): Promise<Sample> {
  const client = await RespClient.connect(server.port);
  try {
    if ((await dbsize(client)) !== 0) throw new Error(`${server.label} not empty before loading`);
    const before = server.memory();
    const usedBefore = await infoNumber(client, 'memory', 'used_memory');
    const allocBefore = await infoNumber(client, 'memory', 'allocator_allocated');
    const stats = await loadKeys(client, keys, {
      valueLen: VALUE_LEN,
      exSeconds: ttl ? TTL_SECONDS : undefined,
      label: `${server.label} ${ttl ? 'SET EX' : 'SET'}`,
    });
    await sleep(settleMs);
    const after = server.memory();
    const usedAfter = await infoNumber(client, 'memory', 'used_memory');
    const allocAfter = await infoNumber(client, 'memory', 'allocator_allocated');
    const n = await dbsize(client);
    if (n !== keys) throw new Error(`${server.label}: DBSIZE ${n} after loading ${keys} keys`);
    return {
      rssPerKey: (after.rss - before.rss) / keys,
      hwmPerKey: (after.hwm - before.rss) / keys,
      usedPerKey: (usedAfter - usedBefore) / keys,
      allocatedPerKey: (allocAfter - allocBefore) / keys,
      keysPerSec: keys / stats.seconds,
      rssBefore: before.rss,
    };
  } finally {
    client.close();
  }
}

async function main(): Promise<void> {
  const opt = parseOptions({ keys: { type: 'string' }, rounds: { type: 'string' }, quick: { type: 'boolean' }, settle: { type: 'string' }, servers: { type: 'string' } }, USAGE);
  const kinds = serverKinds(opt.str('servers', 'redis,slabcache'));
  const quick = opt.flag('quick');
  const keys = Math.floor(opt.num('keys', quick ? 100_000 : 1_000_000));
  const rounds = Math.max(1, Math.floor(opt.num('rounds', quick ? 1 : 3)));
  const settleMs = opt.num('settle', 1500);
  printHeader('slabcache benchmark 1: memory per key', commandLine('bench/memory.ts'));
  console.log(`load: ${fmt(keys)} keys x (16-byte key, ${VALUE_LEN}-byte value), pipelined 1000 SETs per write; ${rounds} round(s) on fresh servers, medians`);
  console.log('bytes/key = (VmRSS after load - VmRSS before) / keys; both servers: persistence off, maxmemory 0\n');

  const results: Record<string, { redis: Sample[]; slabcache: Sample[] }> = {};
  for (const ttl of [false, true]) {
    const mode = ttl ? `SET k v EX ${TTL_SECONDS}` : 'SET k v';
    results[mode] = { redis: [], slabcache: [] };
    for (let round = 0; round < rounds; round++) {
      const servers: ServerProcess[] = [];
      try {
        for (const kind of kinds) servers.push(await startServer(kind));
        await sleep(500);
        // Alternate which server is loaded first, so neither always runs on a warmer machine.
        const order = round % 2 === 0 ? servers : [...servers].reverse();
        for (const server of order) {
          const s = await measure(server, keys, ttl, settleMs);
          results[mode][server.kind].push(s);
          console.log(`  ${mode.padEnd(20)} round ${round + 1}/${rounds} ${server.label.padEnd(12)} RSS +${fmt(s.rssPerKey)} B/key, used_memory +${fmt(s.usedPerKey)} B/key, ${fmt(s.keysPerSec)} keys/s (RSS before ${mib(s.rssBefore)})`);
        }
      } finally {
        await Promise.all(servers.map((s) => s.stop()));
      }
    }
  }

  console.log('');
  const rows: Array<Array<string | number>> = [['load', 'figure (median)', 'redis-server', 'slabcache', 'slabcache/redis']];
  const verdicts: string[] = [];
  for (const [mode, r] of Object.entries(results)) {
    const m = (side: Sample[], f: (s: Sample) => number) => median(side.map(f));
    const figures: Array<[string, (s: Sample) => number]> = [
      ['RSS growth, bytes/key', (s) => s.rssPerKey],
      ['peak RSS growth, bytes/key', (s) => s.hwmPerKey],
      ['used_memory growth, bytes/key', (s) => s.usedPerKey],
      ['allocator_allocated growth, bytes/key', (s) => s.allocatedPerKey],
      ['load rate, keys/s', (s) => s.keysPerSec],
    ];
    for (const [name, f] of figures) {
      const a = m(r.redis, f);
      const b = m(r.slabcache, f);
      rows.push([mode, name, a, b, ratio(b, a)]);
    }
    const a = m(r.redis, (s) => s.rssPerKey);
    const b = m(r.slabcache, (s) => s.rssPerKey);
    const verdict = Number.isNaN(a) || Number.isNaN(b) ? 'not measured (one side not run)' : b <= TARGET_RATIO * a ? 'MET' : 'MISSED';
    verdicts.push(`${mode}: slabcache ${fmt(b)} vs redis ${fmt(a)} bytes/key of RSS = ${ratio(b, a)} -> target <= ${TARGET_RATIO}x: ${verdict}`);
  }
  printTable(rows);
  console.log('');
  for (const v of verdicts) console.log(v);
  printFooter();
}

run(main);
