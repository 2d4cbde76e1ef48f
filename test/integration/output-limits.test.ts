/*
 * client-output-buffer-limit's soft limit on a client that stops reading, on slabcache and
 * redis-server side by side: once over the soft limit it gets no new output (slabcache stops
 * reading it; in Redis it sends nothing more), so only a periodic check (Redis's clientsCron)
 * can see its seconds run out and close it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { haveRedisServer, startRedisServer, type RedisServerHandle } from '../helpers/redis-server.ts';
import { startTarget, type TargetServer } from '../helpers/target-server.ts';
import { FuzzConn } from '../fuzz/conn.ts';
import { encodeCommand } from '../helpers/raw-client.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function scenario(host: string, port: number): Promise<{ openAfterBurst: boolean; closedLater: boolean }> {
  const ctl = await FuzzConn.open(host, port);
  await ctl.call(encodeCommand(['SETRANGE', 'k', String(200 * 1024), 'v']), 5000);
  const stuck = await FuzzConn.open(host, port);
  await stuck.call(encodeCommand(['CLIENT', 'SETNAME', 'stuck']), 5000);
  (stuck as unknown as { socket: { pause(): void } }).socket.pause();
  const get = encodeCommand(['GET', 'k']);
  for (let i = 0; i < 40; i++) stuck.write(get);
  const named = async () => (await ctl.call(encodeCommand(['CLIENT', 'LIST']), 5000))!.toString('latin1').includes(' name=stuck ');
  await sleep(300);
  const openAfterBurst = await named();
  let closedLater = false;
  for (let i = 0; i < 40 && !closedLater; i++) {
    await sleep(100);
    closedLater = !(await named());
  }
  ctl.destroy();
  stuck.destroy();
  return { openAfterBurst, closedLater };
}

describe.skipIf(!haveRedisServer())('soft output limit on a client that stops reading, as redis-server', () => {
  const directives = { 'client-output-buffer-limit': 'normal 0 256kb 1' };
  let slab: TargetServer;
  let redis: RedisServerHandle;
  beforeAll(async () => {
    [slab, redis] = await Promise.all([startTarget({ ...directives, loglevel: 'warning' }), startRedisServer(directives)]);
  });
  afterAll(async () => {
    await slab?.stop();
    await redis?.stop();
  });

  it('closes it once over the soft limit for its seconds', { timeout: 20_000 }, async () => {
    const [s, r] = await Promise.all([scenario(slab.host, slab.port), scenario(redis.host, redis.port)]);
    expect(r).toEqual({ openAfterBurst: true, closedLater: true });
    expect(s).toEqual(r);
  });
});
