/*
 * Proves that node-redis (npm `redis`, current major, unchanged) can use the server's pub/sub
 * as its docs show (the subscriber is a duplicate() of the publishing client), over RESP3 (its
 * default: messages are push frames) and RESP2:
 *   - subscribe: each listener gets the right message and channel, in publish order; PUBLISH
 *     returns the number of receivers; PUBSUB NUMSUB/CHANNELS see the subscriber;
 *     unsubscribe stops delivery and, after the last one, the connection runs commands again;
 *   - pSubscribe with glob patterns (`news.*`, `h?llo`): node-redis routes each message to the
 *     listener of the pattern the server names, so a right routing proves the pattern field;
 *     a channel matched exactly and by a pattern is delivered to both; pUnsubscribe stops
 *     delivery; PUBSUB NUMPAT counts patterns;
 *   - binary payloads (not valid UTF-8, with CR/LF/NUL, and 100 kB) round-trip byte for byte
 *     in buffer mode;
 *   - sharded pub/sub: sSubscribe, sPublish, PUBSUB SHARDCHANNELS/SHARDNUMSUB, sUnsubscribe;
 *   - commands while subscribed: RESP3 interleaves ordinary replies with push messages on one
 *     connection; RESP2 rejects them with Redis's error text, and PING answers in pub/sub form.
 * Absence of a delivery is proven without sleeping: a later "fence" message on a subscribed
 * channel must be the next event, as deliveries to one connection keep publish order.
 * Runs against slabcache (default) or redis-server (DIFF_TARGET=redis), via startTarget.
 */
import { describe, it, expect, beforeAll, afterAll, afterEach } from 'vitest';
import { NODE_REDIS_PROTOCOLS, nodeRedis, type NodeRedis, ErrorLog, Inbox, closeAll, uniq, BINARY, TEST_MS, useTarget } from './support.ts';

type Event = [kind: string, ...args: string[]];

const target = useTarget();
const rejections = target.rejections;

describe.each(NODE_REDIS_PROTOCOLS)('$name: pub/sub', ({ resp }) => {
  const errors = new ErrorLog();
  const clients: NodeRedis[] = [];
  let pub: NodeRedis;

  /** A connected duplicate of the publisher, as node-redis's docs make a subscriber. */
  const subscriber = async (): Promise<{ sub: NodeRedis; events: Inbox<Event> }> => {
    const sub = errors.watch('subscriber', pub.duplicate());
    clients.push(sub);
    await sub.connect();
    return { sub, events: new Inbox<Event>('subscriber events') };
  };

  beforeAll(async () => {
    pub = errors.watch('publisher', nodeRedis(target.port, resp));
    clients.push(pub);
    await pub.connect();
  });

  afterEach(() => {
    errors.assertNone();
    rejections.assertNone();
  });

  afterAll(async () => {
    await closeAll(clients);
  });

  it('subscribe: listeners get message and channel in order; unsubscribe stops delivery', { timeout: TEST_MS }, async () => {
    const p = uniq('chan');
    const [c1, c2] = [`${p}:one`, `${p}:two`];
    const { sub, events } = await subscriber();
    await sub.subscribe([c1, c2], (message, channel) => events.push(['message', channel, message]));

    expect(await pub.publish(c1, 'hello')).toBe(1);
    expect(await pub.publish(c2, 'world')).toBe(1);
    expect(await pub.publish(c1, '')).toBe(1);
    expect(await events.take(3)).toEqual([
      ['message', c1, 'hello'],
      ['message', c2, 'world'],
      ['message', c1, ''],
    ]);
    expect(await pub.pubSubNumSub([c1, c2, `${p}:none`])).toEqual({ [c1]: 1, [c2]: 1, [`${p}:none`]: 0 });
    expect((await pub.pubSubChannels(`${p}:*`)).sort()).toEqual([c1, c2]);

    await sub.unsubscribe(c1);
    expect(await pub.publish(c1, 'lost')).toBe(0);
    expect(await pub.publish(c2, 'fence')).toBe(1);
    expect(await events.next()).toEqual(['message', c2, 'fence']);

    await sub.unsubscribe(c2);
    expect(await pub.pubSubNumSub([c1, c2])).toEqual({ [c1]: 0, [c2]: 0 });
    // Out of subscribed mode: ordinary commands work on the connection again.
    expect(await sub.set(`${p}:k`, 'v')).toBe('OK');
    expect(await sub.get(`${p}:k`)).toBe('v');
    expect(events.pending()).toEqual([]);
  });

  it('pSubscribe: glob patterns route each message to its pattern listener; pUnsubscribe stops them', { timeout: TEST_MS }, async () => {
    const p = uniq('pat');
    const news = `${p}.news.*`;
    const hello = `${p}.h?llo`;
    const exact = `${p}.news.tech`;
    const numpatBefore = await pub.pubSubNumPat();
    const { sub, events } = await subscriber();
    await sub.pSubscribe(news, (message, channel) => events.push(['pmessage', news, channel, message]));
    await sub.pSubscribe(hello, (message, channel) => events.push(['pmessage', hello, channel, message]));
    await sub.subscribe(exact, (message, channel) => events.push(['message', channel, message]));
    expect(await pub.pubSubNumPat()).toBe(numpatBefore + 2);

    expect(await pub.publish(exact, 'm1')).toBe(2);
    expect(await events.take(2)).toEqual([
      ['message', exact, 'm1'],
      ['pmessage', news, exact, 'm1'],
    ]);
    expect(await pub.publish(`${p}.news.sport`, 'm2')).toBe(1);
    expect(await pub.publish(`${p}.hello`, 'm3')).toBe(1);
    expect(await pub.publish(`${p}.hallo`, 'm4')).toBe(1);
    expect(await pub.publish(`${p}.heello`, 'no')).toBe(0);
    expect(await pub.publish(`${p}.news`, 'no')).toBe(0);
    expect(await events.take(3)).toEqual([
      ['pmessage', news, `${p}.news.sport`, 'm2'],
      ['pmessage', hello, `${p}.hello`, 'm3'],
      ['pmessage', hello, `${p}.hallo`, 'm4'],
    ]);

    await sub.pUnsubscribe(news);
    expect(await pub.publish(`${p}.news.sport`, 'lost')).toBe(0);
    expect(await pub.publish(exact, 'fence')).toBe(1);
    expect(await events.next()).toEqual(['message', exact, 'fence']);

    await sub.pUnsubscribe(hello);
    await sub.unsubscribe(exact);
    expect(await pub.pubSubNumPat()).toBe(numpatBefore);
    expect(events.pending()).toEqual([]);
  });

  it('binary payloads and channel names round-trip byte for byte (buffer mode)', { timeout: TEST_MS }, async () => {
    const p = uniq('bin');
    const { sub } = await subscriber();
    const raw = new Inbox<Buffer[]>('binary deliveries');
    // node-redis types channel names as strings (its listener table is keyed by them), so the
    // binary part here is the payload; binary channel names are covered by the ioredis suite.
    const binChannel = `${p}.bin`;
    await sub.subscribe(binChannel, (message, channel) => raw.push([channel, message]), true);
    await sub.pSubscribe(`${p}.*`, (message, channel) => raw.push([Buffer.from('pattern'), channel, message]), true);

    const big = Buffer.alloc(100_000);
    for (let i = 0; i < big.length; i++) big[i] = (i * 31 + 7) & 0xff;
    expect(await pub.publish(binChannel, BINARY)).toBe(2);
    expect(await pub.publish(`${p}.text`, big)).toBe(1);

    const [m1, pm1, pm2] = await raw.take(3);
    expect(m1).toHaveLength(2);
    expect(Buffer.isBuffer(m1![1])).toBe(true);
    expect(m1![0]!.equals(Buffer.from(binChannel))).toBe(true);
    expect(m1![1]!.equals(BINARY)).toBe(true);
    expect(pm1).toHaveLength(3);
    expect(pm1![1]!.equals(Buffer.from(binChannel))).toBe(true);
    expect(pm1![2]!.equals(BINARY)).toBe(true);
    expect(pm2![1]!.toString()).toBe(`${p}.text`);
    expect(pm2![2]!.equals(big)).toBe(true);

    await sub.unsubscribe(binChannel);
    await sub.pUnsubscribe(`${p}.*`);
    expect(await pub.publish(binChannel, BINARY)).toBe(0);
  });

  it('sharded pub/sub: sSubscribe, sPublish, PUBSUB SHARDCHANNELS/SHARDNUMSUB, sUnsubscribe', { timeout: TEST_MS }, async () => {
    const p = uniq('shard');
    const channel = `${p}.s`;
    const { sub, events } = await subscriber();
    await sub.sSubscribe(channel, (message, ch) => events.push(['smessage', ch, message]));
    expect(await pub.sPublish(channel, 'sharded')).toBe(1);
    expect(await events.next()).toEqual(['smessage', channel, 'sharded']);
    expect(await pub.pubSubShardChannels(`${p}.*`)).toEqual([channel]);
    expect(await pub.pubSubShardNumSub([channel, `${p}.none`])).toEqual({ [channel]: 1, [`${p}.none`]: 0 });
    expect(await pub.publish(channel, 'plain')).toBe(0);
    await sub.sUnsubscribe(channel);
    expect(await pub.sPublish(channel, 'lost')).toBe(0);
    expect(await sub.set(`${p}:k`, 'v')).toBe('OK');
    expect(events.pending()).toEqual([]);
  });

  it('commands while subscribed: RESP3 interleaves replies with pushes, RESP2 rejects them as Redis does', { timeout: TEST_MS }, async () => {
    const p = uniq('mixed');
    const channel = `${p}.c`;
    const { sub, events } = await subscriber();
    await sub.subscribe(channel, (message, ch) => events.push(['message', ch, message]));
    expect(await pub.publish(channel, 'before')).toBe(1);
    if (resp === 3) {
      expect(await sub.set(`${p}:k`, 'v')).toBe('OK');
      expect(await pub.publish(channel, 'between')).toBe(1);
      expect(await sub.get(`${p}:k`)).toBe('v');
      expect(await sub.ping()).toBe('PONG');
      expect(await sub.ping('hi')).toBe('hi');
    } else {
      await expect(sub.get(`${p}:k`)).rejects.toMatchObject({
        message: "ERR Can't execute 'get': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context",
      });
      expect(await pub.publish(channel, 'between')).toBe(1);
      // RESP2 answers PING in subscribed mode as ["pong", arg]; node-redis returns the second
      // element when there is one, else "pong".
      expect(await sub.ping()).toBe('pong');
      expect(await sub.ping('hi')).toBe('hi');
    }
    expect(await events.take(2)).toEqual([
      ['message', channel, 'before'],
      ['message', channel, 'between'],
    ]);
    await sub.unsubscribe(channel);
  });
});
