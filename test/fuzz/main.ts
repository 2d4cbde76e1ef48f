/*
 * `npm run fuzz`: starts slabcache in a child process and redis-server, runs the protocol-level
 * fuzzer and then the command-level fuzzer against both, prints the seed, the figures and every
 * failure, and exits non-zero on any crash, hang, mismatch or PING failure. Bounded by frame
 * count and by time; it stops by itself.
 *
 *   npm run fuzz -- [--seed N] [--frames N] [--seconds S] [--commands N] [--workers N]
 *                   [--level protocol|command|both] [--out DIR] [--node-flags "FLAGS"]
 *
 * Defaults: a random seed, 1,000,000 frames, 300 s for the protocol level, 20,000 commands for
 * the command level (at most a fifth of the time again), 16 workers, failures under
 * ./fuzz-failures. The same seed replays the same frames and commands. --node-flags passes V8
 * or Node flags to slabcache's process (to measure RSS under --node-flags=--max-semi-space-size=16, say);
 * FUZZ_MEMLOG=ms prints its heap spaces and longest event-loop stall periodically.
 */
import { parseArgs } from 'node:util';
import { startRedisServer } from '../helpers/redis-server.ts';
import { startChildServer } from './child.ts';
import { loadCorpus } from './corpus.ts';
import { runProtocolFuzz } from './protocol-fuzz.ts';
import { runCommandFuzz } from './command-fuzz.ts';

const { values } = parseArgs({
  options: {
    seed: { type: 'string' },
    frames: { type: 'string', default: '1000000' },
    seconds: { type: 'string', default: '300' },
    commands: { type: 'string', default: '20000' },
    workers: { type: 'string', default: '16' },
    level: { type: 'string', default: 'both' },
    out: { type: 'string', default: 'fuzz-failures' },
    'node-flags': { type: 'string', default: '' },
  },
});
const seed = values.seed !== undefined ? Number(values.seed) >>> 0 : (Math.random() * 0x100000000) >>> 0;
const frames = Number(values.frames);
const seconds = Number(values.seconds);
const level = values.level!;
const MiB = 1024 * 1024;
console.log(`fuzz: seed ${seed} (replay with --seed ${seed})`);

const nodeFlags = values['node-flags']!.split(' ').filter((f) => f !== '');
const child = await startChildServer({}, nodeFlags);
if (nodeFlags.length > 0) console.log(`slabcache runs under node ${nodeFlags.join(' ')}`);
const redis = await startRedisServer();
let failed = false;
try {
  if (level === 'protocol' || level === 'both') {
    const stats = await runProtocolFuzz({
      seed, maxFrames: frames, seconds, workers: Number(values.workers),
      slab: child, redis, corpus: loadCorpus(), failureDir: values.out!,
      crashed: () => child.crash !== null,
      onProgress: (s) => {
        if (Math.floor(s.elapsedMs / 1000) % 10 === 0) {
          console.log(`  protocol ${Math.round(s.elapsedMs / 1000)} s: ${s.frames} frames (${Math.round(s.frames / (s.elapsedMs / 1000))}/s), ${s.sessions} sessions, ${s.mismatches} mismatches, RSS ${(child.sampleRss() / MiB).toFixed(1)} MiB`);
        }
      },
    });
    child.sampleRss();
    console.log(`protocol level: ${stats.frames} frames in ${(stats.elapsedMs / 1000).toFixed(1)} s (${Math.round(stats.frames / (stats.elapsedMs / 1000))} frames/s), ${stats.sessions} sessions, ${stats.wildFrames} wild frames`);
    console.log(`  hangs ${stats.hangs}, mismatches ${stats.mismatches}, resets ${stats.resets} (slabcache ${stats.slabResets}, redis ${stats.redisResets}), NUL-in-line differences ${stats.nulLine}, late close events ${stats.lateCloseEvents}, internal-error replies ${stats.internalErrors}, connections PINGed ${stats.pingChecked} (failed ${stats.pingFailed})`);
    console.log(`  outcomes ${JSON.stringify(stats.outcomes)}`);
    for (const f of stats.failures) console.log(`  FAIL ${f}`);
    if (stats.failures.length > 0) failed = true;
  }
  if ((level === 'command' || level === 'both') && child.crash === null) {
    const stats = await runCommandFuzz({
      seed, commands: Number(values.commands), seconds: Math.max(20, seconds / 5),
      slab: child, redis, failureDir: values.out!, crashed: () => child.crash !== null,
    });
    console.log(`command level: ${stats.commands} commands (${stats.distinctCommands} distinct entries of the table) in ${(stats.elapsedMs / 1000).toFixed(1)} s`);
    console.log(`  type mismatches ${stats.typeMismatches}, hangs ${stats.hangs}, both blocked and released ${stats.bothBlocked}, reconnects ${stats.reconnects}`);
    for (const f of stats.failures) console.log(`  FAIL ${f}`);
    if (stats.failures.length > 0) failed = true;
  }
} finally {
  child.sampleRss();
  const crash = child.crash;
  await child.stop();
  await redis.stop();
  console.log(`slabcache: ${crash === null ? 'no crash' : 'CRASHED'}, internal errors logged ${child.internalErrors.length}, peak RSS ${(child.peakRss / MiB).toFixed(1)} MiB`);
  if (crash !== null) console.log(crash);
  for (const line of child.internalErrors.slice(0, 10)) console.log(`  ${line}`);
  if (crash !== null || child.internalErrors.length > 0) failed = true;
  console.log(`fuzz: seed ${seed}: ${failed ? 'FAILED' : 'passed'}`);
}
process.exit(failed ? 1 : 0);
