/*
 * Cross-protocol scripting (Redis's securityWarningCommand): a request named POST or Host:, in
 * any case, inline or multibulk, inside MULTI too, drops the connection at once on slabcache as
 * on redis-server: no reply to it, none of the replies still owed to earlier commands of the
 * same read, and nothing after it runs; the commands before it did run. Found by the fuzzer.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { haveRedisServer, startRedisServer, type RedisServerHandle } from '../helpers/redis-server.ts';
import { startTarget, type TargetServer } from '../helpers/target-server.ts';
import { encodeCommand } from '../helpers/raw-client.ts';
import { FuzzConn } from '../fuzz/conn.ts';

const CASES: Array<[string, Buffer]> = [
  ['an HTTP POST', Buffer.from('SET before 1\r\nPOST / HTTP/1.1\r\nHost: localhost\r\n\r\nSET after 1\r\n')],
  ['a Host: header line', Buffer.from('SET before 1\r\nhOsT: localhost\r\nSET after 1\r\n')],
  ['multibulk post inside MULTI', Buffer.concat([encodeCommand(['SET', 'before', '1']), encodeCommand(['MULTI']), encodeCommand(['post', 'x']), encodeCommand(['SET', 'after', '1'])])],
];

async function run(host: string, port: number, bytes: Buffer): Promise<{ replies: number; closed: boolean; before: string; after: string }> {
  const c = await FuzzConn.open(host, port);
  const ctl = await FuzzConn.open(host, port);
  await ctl.call(encodeCommand(['DEL', 'before', 'after']), 2000);
  c.write(bytes);
  await c.waitUntil(() => c.closed, 2000);
  const before = (await ctl.call(encodeCommand(['GET', 'before']), 2000))!.toString('latin1');
  const after = (await ctl.call(encodeCommand(['GET', 'after']), 2000))!.toString('latin1');
  c.destroy();
  ctl.destroy();
  return { replies: c.replies.length, closed: c.closed, before, after };
}

describe.skipIf(!haveRedisServer())('POST and Host: close the connection, as redis-server', () => {
  let slab: TargetServer;
  let redis: RedisServerHandle;
  beforeAll(async () => {
    [slab, redis] = await Promise.all([startTarget(), startRedisServer()]);
  });
  afterAll(async () => {
    await slab?.stop();
    await redis?.stop();
  });

  for (const [name, bytes] of CASES) {
    it(name, async () => {
      const r = await run(redis.host, redis.port, bytes);
      expect(r).toEqual({ replies: 0, closed: true, before: '$1\r\n1\r\n', after: '$-1\r\n' });
      expect(await run(slab.host, slab.port, bytes)).toEqual(r);
    });
  }
});
