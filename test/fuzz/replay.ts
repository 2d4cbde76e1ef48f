/*
 * Replays a failing protocol session saved by the fuzzer against a fresh slabcache (child
 * process) and a fresh redis-server, and prints both outcomes and every reply:
 *
 *   npx node test/fuzz/replay.ts fuzz-failures/protocol-seed1-session815.json [--whole]
 *
 * --whole sends the bytes in one write instead of the recorded chunks.
 */
import fs from 'node:fs';
import { startRedisServer } from '../helpers/redis-server.ts';
import { startChildServer } from './child.ts';
import { FuzzConn } from './conn.ts';

const file = process.argv[2];
if (file === undefined) throw new Error('usage: replay.ts FILE [--whole]');
const saved = JSON.parse(fs.readFileSync(file, 'utf8')) as { chunksBase64: string[] };
let chunks = saved.chunksBase64.map((c) => Buffer.from(c, 'base64'));
if (process.argv.includes('--whole')) chunks = [Buffer.concat(chunks)];
const child = await startChildServer();
const redis = await startRedisServer();
for (const [name, target] of [['slabcache', child], ['redis', redis]] as const) {
  const conn = await FuzzConn.open(target.host, target.port);
  await conn.writeChunks(chunks);
  await conn.waitUntil(() => conn.closed, 1000);
  console.log(`${name}: ${conn.closed ? 'closed' : 'open'} after ${conn.replies.length} replies`);
  for (const r of conn.replies) console.log(`  ${JSON.stringify(r.toString('latin1').slice(0, 160))}`);
  conn.destroy();
}
console.log(`slabcache crash: ${child.crash ?? 'none'}; internal errors: ${child.internalErrors.length}`);
await child.stop();
await redis.stop();
