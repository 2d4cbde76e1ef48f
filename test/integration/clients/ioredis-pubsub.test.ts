/*
 * Proves that ioredis, unchanged (major 5 over RESP2 and the current major 6 over RESP3, where
 * messages arrive as push frames), can use the server's pub/sub as applications do:
 *   - SUBSCRIBE: 'message' events carry the right channel and payload, in publish order;
 *     PUBLISH returns the number of receivers; PUBSUB NUMSUB and CHANNELS see the subscriber;
 *     UNSUBSCRIBE stops delivery, and after the last one the connection leaves subscribed mode;
 *   - PSUBSCRIBE with glob patterns (`news.*`, `h?llo`): 'pmessage' events carry pattern,
 *     channel and payload; a channel matched both exactly and by a pattern is delivered twice,
 *     channel message first; PUNSUBSCRIBE stops delivery; PUBSUB NUMPAT counts patterns;
 *   - fan-out to several subscribers of one channel;
 *   - binary payloads and binary channel names round-trip byte for byte ('messageBuffer',
 *     'pmessageBuffer');
 *   - sharded pub/sub: SSUBSCRIBE, SPUBLISH, 'smessage', PUBSUB SHARDCHANNELS/SHARDNUMSUB;
 *   - PING inside subscribed mode answers as Redis does for the protocol in use.
 * Absence of a delivery is proven without sleeping: a later "fence" message on a subscribed
 * channel must be the next event, as deliveries to one connection keep publish order.
 * Runs against slabcache (default) or redis-server (DIFF_TARGET=redis), via startTarget.
 */
import { describe, it, expect, beforeAll, afterAll, afterEach } from 'vitest';
import { IOREDIS_MAJORS, type IORedis, ErrorLog, Inbox, closeAll, uniq, BINARY, TEST_MS, useTarget } from './support.ts';

type Event = [kind: string, ...args: Array<string | Buffer>];

const target = useTarget();
const rejections = target.rejections;

describe.each(IOREDIS_MAJORS)('$name: pub/sub', ({ connect, resp }) => {
  const errors = new ErrorLog();
  const clients: IORedis[] = [];
  let pub: IORedis;

  const open = (who: string): IORedis => {
    const c = errors.watch(who, connect(target.port));
    clients.push(c);
    return c;
  };

  /** A subscriber whose string-decoded deliveries, of every kind, land in one inbox in arrival order. */
  const subscriber = (): { sub: IORedis; events: Inbox<Event> } => {
    const sub = open('subscriber');
    const events = new Inbox<Event>('subscriber events');
    sub.on('message', (channel: string, message: string) => events.push(['message', channel, message]));
    sub.on('pmessage', (pattern: string, channel: string, message: string) => events.push(['pmessage', pattern, channel, message]));
    sub.on('smessage', (channel: string, message: string) => events.push(['smessage', channel, message]));
    return { sub, events };
  };

  beforeAll(() => {
    pub = open('publisher');
  });

  afterEach(() => {
    errors.assertNone();
    rejections.assertNone();
  });

  afterAll(async () => {
    await closeAll(clients);
  });

  it('subscribe: messages arrive with channel and payload in order; unsubscribe stops them', { timeout: TEST_MS }, async () => {
    const p = uniq('chan');
    const [c1, c2] = [`${p}:one`, `${p}:two`];
    const { sub, events } = subscriber();
    expect(await sub.subscribe(c1, c2)).toBe(2);

    expect(await pub.publish(c1, 'hello')).toBe(1);
    expect(await pub.publish(c2, 'world')).toBe(1);
    expect(await pub.publish(c1, '')).toBe(1);
    expect(await events.take(3)).toEqual([
      ['message', c1, 'hello'],
      ['message', c2, 'world'],
      ['message', c1, ''],
    ]);

    expect(await pub.pubsub('NUMSUB', c1, c2, `${p}:none`)).toEqual([c1, 1, c2, 1, `${p}:none`, 0]);
    expect(((await pub.pubsub('CHANNELS', `${p}:*`)) as string[]).sort()).toEqual([c1, c2]);

    expect(await sub.unsubscribe(c1)).toBe(1);
    expect(await pub.publish(c1, 'lost')).toBe(0);
    expect(await pub.publish(c2, 'fence')).toBe(1);
    expect(await events.next()).toEqual(['message', c2, 'fence']);
    expect(await pub.pubsub('NUMSUB', c1)).toEqual([c1, 0]);

    // After the last unsubscribe the connection is a normal one again.
    expect(await sub.unsubscribe(c2)).toBe(0);
    expect(await sub.set(`${p}:k`, 'v')).toBe('OK');
    expect(await sub.get(`${p}:k`)).toBe('v');
    expect(events.pending()).toEqual([]);
  });

  it('psubscribe: glob patterns deliver pmessage with pattern, channel and payload; punsubscribe stops them', { timeout: TEST_MS }, async () => {
    const p = uniq('pat');
    const news = `${p}.news.*`;
    const hello = `${p}.h?llo`;
    const exact = `${p}.news.tech`;
    const numpatBefore = Number(await pub.pubsub('NUMPAT'));
    const { sub, events } = subscriber();

    expect(await sub.psubscribe(news, hello)).toBe(2);
    expect(await sub.subscribe(exact)).toBe(3);
    expect(await pub.pubsub('NUMPAT')).toBe(numpatBefore + 2);

    // Matched exactly and by a pattern: two receivers, the channel message first.
    expect(await pub.publish(exact, 'm1')).toBe(2);
    expect(await events.take(2)).toEqual([
      ['message', exact, 'm1'],
      ['pmessage', news, exact, 'm1'],
    ]);

    expect(await pub.publish(`${p}.news.sport`, 'm2')).toBe(1);
    expect(await pub.publish(`${p}.hello`, 'm3')).toBe(1);
    expect(await pub.publish(`${p}.hallo`, 'm4')).toBe(1);
    expect(await pub.publish(`${p}.heello`, 'no')).toBe(0);
    expect(await pub.publish(`${p}.weather`, 'no')).toBe(0);
    expect(await pub.publish(`${p}.news`, 'no')).toBe(0);
    expect(await events.take(3)).toEqual([
      ['pmessage', news, `${p}.news.sport`, 'm2'],
      ['pmessage', hello, `${p}.hello`, 'm3'],
      ['pmessage', hello, `${p}.hallo`, 'm4'],
    ]);

    expect(await sub.punsubscribe(news)).toBe(2);
    expect(await pub.publish(`${p}.news.sport`, 'lost')).toBe(0);
    expect(await pub.publish(exact, 'fence')).toBe(1);
    expect(await events.next()).toEqual(['message', exact, 'fence']);

    expect(await sub.punsubscribe(hello)).toBe(1);
    expect(await sub.unsubscribe(exact)).toBe(0);
    expect(await pub.pubsub('NUMPAT')).toBe(numpatBefore);
    expect(events.pending()).toEqual([]);
  });

  it('fan-out: every subscriber of a channel, and of a matching pattern, receives each message', { timeout: TEST_MS }, async () => {
    const p = uniq('fan');
    const channel = `${p}.room`;
    const subs = [subscriber(), subscriber(), subscriber()];
    expect(await subs[0]!.sub.subscribe(channel)).toBe(1);
    expect(await subs[1]!.sub.subscribe(channel)).toBe(1);
    expect(await subs[2]!.sub.psubscribe(`${p}.*`)).toBe(1);
    expect(await pub.publish(channel, 'to-all')).toBe(3);
    expect(await pub.publish(channel, 'again')).toBe(3);
    for (const s of subs.slice(0, 2)) {
      expect(await s.events.take(2)).toEqual([
        ['message', channel, 'to-all'],
        ['message', channel, 'again'],
      ]);
    }
    expect(await subs[2]!.events.take(2)).toEqual([
      ['pmessage', `${p}.*`, channel, 'to-all'],
      ['pmessage', `${p}.*`, channel, 'again'],
    ]);
    expect(await pub.pubsub('NUMSUB', channel)).toEqual([channel, 2]);
    await subs[0]!.sub.unsubscribe(channel);
    await subs[1]!.sub.unsubscribe(channel);
    await subs[2]!.sub.punsubscribe(`${p}.*`);
    expect(await pub.publish(channel, 'none')).toBe(0);
  });

  it('binary payloads and binary channel names round-trip byte for byte', { timeout: TEST_MS }, async () => {
    const p = uniq('bin');
    const sub = open('binary subscriber');
    const raw = new Inbox<Buffer[]>('binary deliveries');
    sub.on('messageBuffer', (channel: Buffer, message: Buffer) => raw.push([channel, message]));
    sub.on('pmessageBuffer', (pattern: Buffer, channel: Buffer, message: Buffer) => raw.push([pattern, channel, message]));
    const binChannel = Buffer.concat([Buffer.from(`${p}.`), BINARY]);
    const pattern = `${p}.*`;
    expect(await sub.subscribe(binChannel)).toBe(1);
    expect(await sub.psubscribe(pattern)).toBe(2);

    const big = Buffer.alloc(100_000);
    for (let i = 0; i < big.length; i++) big[i] = (i * 31 + 7) & 0xff;
    expect(await pub.publish(binChannel, BINARY)).toBe(2);
    expect(await pub.publish(`${p}.text`, big)).toBe(1);

    const [m1, pm1, pm2] = await raw.take(3);
    expect(m1![0]!.equals(binChannel)).toBe(true);
    expect(m1![1]!.equals(BINARY)).toBe(true);
    expect(pm1![0]!.toString()).toBe(pattern);
    expect(pm1![1]!.equals(binChannel)).toBe(true);
    expect(pm1![2]!.equals(BINARY)).toBe(true);
    expect(pm2![1]!.toString()).toBe(`${p}.text`);
    expect(pm2![2]!.equals(big)).toBe(true);

    expect(await pub.pubsub('NUMSUB', binChannel)).toHaveLength(2);
    expect(await sub.unsubscribe(binChannel)).toBe(1);
    expect(await sub.punsubscribe(pattern)).toBe(0);
    expect(await pub.publish(binChannel, BINARY)).toBe(0);
  });

  it('sharded pub/sub: ssubscribe, spublish, smessage, PUBSUB SHARDCHANNELS/SHARDNUMSUB, sunsubscribe', { timeout: TEST_MS }, async () => {
    const p = uniq('shard');
    const channel = `${p}.s`;
    const { sub, events } = subscriber();
    expect(await sub.ssubscribe(channel)).toBe(1);
    expect(await pub.spublish(channel, 'sharded')).toBe(1);
    expect(await events.next()).toEqual(['smessage', channel, 'sharded']);
    expect(await pub.pubsub('SHARDCHANNELS', `${p}.*`)).toEqual([channel]);
    expect(await pub.pubsub('SHARDNUMSUB', channel, `${p}.none`)).toEqual([channel, 1, `${p}.none`, 0]);
    // A plain PUBLISH does not reach shard subscribers.
    expect(await pub.publish(channel, 'plain')).toBe(0);
    expect(await sub.sunsubscribe(channel)).toBe(0);
    expect(await pub.spublish(channel, 'lost')).toBe(0);
    expect(await sub.set(`${p}:k`, 'v')).toBe('OK');
    expect(events.pending()).toEqual([]);
  });

  it('PING in subscribed mode answers as Redis does for the protocol in use', { timeout: TEST_MS }, async () => {
    const p = uniq('ping');
    const { sub, events } = subscriber();
    expect(await sub.subscribe(`${p}.c`)).toBe(1);
    // RESP2: a pub/sub-shaped ["pong", arg]; RESP3: the ordinary replies.
    if (resp === 2) {
      expect(await sub.ping()).toEqual(['pong', '']);
      expect(await sub.ping('hi')).toEqual(['pong', 'hi']);
    } else {
      expect(await sub.ping()).toBe('PONG');
      expect(await sub.ping('hi')).toBe('hi');
    }
    // Still subscribed: a message arrives after the pings.
    expect(await pub.publish(`${p}.c`, 'still')).toBe(1);
    expect(await events.next()).toEqual(['message', `${p}.c`, 'still']);
    expect(await sub.unsubscribe(`${p}.c`)).toBe(0);
  });
});
