/*
 * The fuzzer's short run, part of `npm test`: about 12 s of protocol-level and 8 s of
 * command-level fuzzing (test/fuzz/protocol-fuzz.ts, command-fuzz.ts) against slabcache in a
 * child process and a redis-server, with a seed printed for replay. No timing is asserted: only
 * no crash, no internal error, no hang, no disagreement with redis-server and every connection
 * kept open still answering PING. The long run is `npm run fuzz` (README, Fuzzing).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import os from 'node:os';
import path from 'node:path';
import { haveRedisServer, startRedisServer, type RedisServerHandle } from '../helpers/redis-server.ts';
import { startChildServer, type ChildServer } from './child.ts';
import { loadCorpus } from './corpus.ts';
import { runProtocolFuzz } from './protocol-fuzz.ts';
import { runCommandFuzz } from './command-fuzz.ts';

const seed = process.env['FUZZ_SEED'] !== undefined ? Number(process.env['FUZZ_SEED']) >>> 0 : (Math.random() * 0x100000000) >>> 0;
const failureDir = path.join(os.tmpdir(), `slabcache-fuzz-${seed}`);

describe.skipIf(!haveRedisServer())(`fuzzing, short run (seed ${seed}; replay: FUZZ_SEED=${seed})`, () => {
  let child: ChildServer;
  let redis: RedisServerHandle;

  beforeAll(async () => {
    child = await startChildServer();
    redis = await startRedisServer();
  });
  afterAll(async () => {
    await child?.stop();
    await redis?.stop();
  });

  it('protocol level: same outcome as redis-server for every session, no hang, PING afterwards', { timeout: 120_000 }, async () => {
    const stats = await runProtocolFuzz({
      seed, maxFrames: 1_000_000, seconds: 12, workers: 8, slab: child, redis,
      corpus: loadCorpus(), failureDir, crashed: () => child.crash !== null,
    });
    expect(child.crash).toBeNull();
    expect(stats.failures, `seed ${seed}, sessions saved under ${failureDir}`).toEqual([]);
    expect(stats.hangs).toBe(0);
    expect(stats.sessions).toBeGreaterThan(0);
    expect(stats.pingChecked).toBeGreaterThan(0);
    expect(stats.pingFailed).toBe(0);
    expect(child.internalErrors).toEqual([]);
  });

  it('command level: every table entry, same reply types as redis-server, no hang', { timeout: 120_000 }, async () => {
    const stats = await runCommandFuzz({
      seed, commands: 100_000, seconds: 8, slab: child, redis, failureDir, crashed: () => child.crash !== null,
    });
    expect(child.crash).toBeNull();
    expect(stats.failures, `seed ${seed}, commands saved under ${failureDir}`).toEqual([]);
    expect(stats.hangs).toBe(0);
    expect(stats.typeMismatches).toBe(0);
    expect(stats.commands).toBeGreaterThan(0);
    expect(child.internalErrors).toEqual([]);
  });
});
