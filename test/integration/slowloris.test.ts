/*
 * Slowloris (issue 14, Limits under load): a client that sends one byte a second, beside
 * clients that stop or never send, under `timeout 2`, on slabcache and on redis-server side
 * by side. Redis's rule (timeout.c, clientsCronHandleTimeout; networking.c sets lastinteraction
 * on every read): the idle time counts from the client's last read or reply, so a client that
 * trickles a byte a second is not idle and is never closed by `timeout`; it holds only the bytes
 * it has sent (CLIENT LIST qbuf). A client that stops sending mid-command, or sends nothing, is
 * closed once idle for more than `timeout` seconds. Blocked clients and Pub/Sub subscribers are
 * exempt.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { haveRedisServer, startRedisServer, type RedisServerHandle } from '../helpers/redis-server.ts';
import { startTarget, type TargetServer } from '../helpers/target-server.ts';
import { FuzzConn } from '../fuzz/conn.ts';
import { encodeCommand } from '../helpers/raw-client.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Observed {
  tricklerQbuf: number;
  tricklerReply: string;
  tricklerOpen: boolean;
  stallerClosed: boolean;
  idleClosed: boolean;
  subscriberOpen: boolean;
}

/** CLIENT LIST's field `name` for the client with the given id. */
function clientField(list: string, id: string, name: string): string | undefined {
  const line = list.split('\n').find((l) => l.startsWith(`id=${id} `));
  return line?.match(new RegExp(`(?:^| )${name}=(\\S*)`))?.[1];
}

async function scenario(host: string, port: number): Promise<Observed> {
  const open = () => FuzzConn.open(host, port);
  const [ctl, trickler, staller, idle, subscriber] = await Promise.all([open(), open(), open(), open(), open()]);
  const idOf = async (c: FuzzConn) => (await c.call(encodeCommand(['CLIENT', 'ID']), 2000))!.toString().slice(1, -2);
  const tricklerId = await idOf(trickler);
  await subscriber.call(encodeCommand(['SUBSCRIBE', 'news']), 2000);
  staller.write(Buffer.from('PI'));
  const request = Buffer.from('PING\r\n');
  let tricklerQbuf = -1;
  for (let i = 0; i < request.length; i++) {
    trickler.write(request.subarray(i, i + 1));
    await sleep(1000);
    if (i === 2) {
      const list = (await ctl.call(encodeCommand(['CLIENT', 'LIST']), 2000))!.toString('latin1');
      tricklerQbuf = Number(clientField(list, tricklerId, 'qbuf'));
    }
    // The control connection is a client too: it keeps itself from idling out.
    await ctl.call(encodeCommand(['PING']), 2000);
  }
  await trickler.waitUntil(() => trickler.replies.length >= 2 || trickler.closed, 2000);
  const observed: Observed = {
    tricklerQbuf,
    tricklerReply: trickler.replies[1]?.toString('latin1') ?? '',
    tricklerOpen: !trickler.closed,
    stallerClosed: staller.closed,
    idleClosed: idle.closed,
    subscriberOpen: !subscriber.closed,
  };
  for (const c of [ctl, trickler, staller, idle, subscriber]) c.destroy();
  return observed;
}

describe.skipIf(!haveRedisServer())('slowloris: one byte a second under timeout 2, as redis-server', () => {
  let slab: TargetServer;
  let redis: RedisServerHandle;
  beforeAll(async () => {
    [slab, redis] = await Promise.all([startTarget({ timeout: '2' }), startRedisServer({ timeout: '2' })]);
  });
  afterAll(async () => {
    await slab?.stop();
    await redis?.stop();
  });

  it('keeps the trickling client (holding only its bytes) and the subscriber, closes the stalled and idle ones', { timeout: 30_000 }, async () => {
    const [s, r] = await Promise.all([scenario(slab.host, slab.port), scenario(redis.host, redis.port)]);
    expect(r).toEqual({ tricklerQbuf: 3, tricklerReply: '+PONG\r\n', tricklerOpen: true, stallerClosed: true, idleClosed: true, subscriberOpen: true });
    expect(s).toEqual(r);
  });
});
