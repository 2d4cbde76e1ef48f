/*
 * Proves that the Socket.IO Redis adapter (@socket.io/redis-adapter, unchanged, with socket.io
 * and socket.io-client) can coordinate two Socket.IO servers through the server, with each Redis
 * client its docs show: node-redis (RESP3, its default) and ioredis (6, the current major, over
 * RESP3; 5 over RESP2). Two Socket.IO servers A and B run in this process on 127.0.0.1, each
 * with its own publisher and subscriber connection, and a client is connected to each:
 *   - io.emit on A reaches the client of B (and of A), and B's reaches A's; binary payloads
 *     (msgpack-encoded, published as binary) arrive intact;
 *   - a room broadcast from A reaches only the room's member on B (proven by a later fence
 *     broadcast arriving next at the non-member);
 *   - the adapter's request/response over pub/sub: serverCount() (PUBSUB NUMSUB) is 2,
 *     fetchSockets() on either server returns the sockets of both with their data and rooms,
 *     in(room).fetchSockets() filters remotely, serverSideEmitWithAck gets B's answer,
 *     socketsJoin and disconnectSockets act on a socket of the other server;
 *   - no unhandled promise rejection happens at any point, teardown included (the adapter
 *     fires some Redis commands without awaiting them).
 * Runs against slabcache (default) or redis-server (DIFF_TARGET=redis), via startTarget.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, it, expect, beforeAll, afterAll, afterEach } from 'vitest';
import { Server } from 'socket.io';
import { io as ioClient, type Socket as ClientSocket } from 'socket.io-client';
import { createAdapter } from '@socket.io/redis-adapter';
import {
  IOREDIS_MAJORS,
  nodeRedis,
  type IORedis,
  type NodeRedis,
  ErrorLog,
  Inbox,
 
  closeAll,
  within,
  BINARY,
  WAIT_MS,
  TEST_MS,
  useTarget,
} from './support.ts';

type Received = [event: string, ...args: unknown[]];

/** One publisher and one subscriber connection, made as the adapter's docs show for each client. */
interface RedisPair {
  pub: IORedis | NodeRedis;
  sub: IORedis | NodeRedis;
}

const CLIENT_KINDS: ReadonlyArray<{ name: string; pair: (port: number, errors: ErrorLog) => Promise<RedisPair> }> = [
  {
    name: 'node-redis (RESP3 default)',
    pair: async (port, errors) => {
      const pub = errors.watch('node-redis pub', nodeRedis(port, 3));
      const sub = errors.watch('node-redis sub', pub.duplicate());
      await Promise.all([pub.connect(), sub.connect()]);
      return { pub, sub };
    },
  },
  ...IOREDIS_MAJORS.map(({ name, connect }) => ({
    name,
    pair: async (port: number, errors: ErrorLog): Promise<RedisPair> => {
      const pub = errors.watch(`${name} pub`, connect(port));
      const sub = errors.watch(`${name} sub`, pub.duplicate());
      return { pub, sub };
    },
  })),
];

const target = useTarget();
const rejections = target.rejections;

/** A Socket.IO server on 127.0.0.1 and a free port, with the Redis adapter on the given pair. */
async function startIo(name: string, pair: RedisPair): Promise<{ io: Server; url: string }> {
  const httpServer = http.createServer();
  const io = new Server(httpServer, { adapter: createAdapter(pair.pub, pair.sub, { requestsTimeout: WAIT_MS }) });
  io.on('connection', (socket) => {
    socket.data.server = name;
    if (name === 'B') socket.join('room-b');
  });
  await new Promise<void>((resolve, reject) => {
    httpServer.once('error', reject);
    httpServer.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = httpServer.address() as AddressInfo;
  return { io, url: `http://127.0.0.1:${port}` };
}

/** A connected Socket.IO client whose every received event lands in its inbox. */
async function connectClient(url: string, label: string): Promise<{ socket: ClientSocket; inbox: Inbox<Received> }> {
  const socket = ioClient(url, { transports: ['websocket'], reconnection: false, forceNew: true, timeout: WAIT_MS });
  const inbox = new Inbox<Received>(label);
  socket.onAny((event: string, ...args: unknown[]) => inbox.push([event, ...args]));
  await within(
    new Promise<void>((resolve, reject) => {
      socket.once('connect', () => resolve());
      socket.once('connect_error', reject);
    }),
    `${label} connect`,
  );
  return { socket, inbox };
}

/**
 * Waits (bounded) until the adapter of `io` counts `n` servers: PUBSUB NUMSUB of its request
 * channel. The adapter subscribes without exposing a promise, so this is the only signal that
 * the other server's subscriptions are live; each poll is a real round trip, not a sleep.
 */
async function untilServerCount(io: Server, n: number): Promise<void> {
  const deadline = Date.now() + WAIT_MS;
  for (;;) {
    const count = await io.of('/').adapter.serverCount();
    if (count === n) return;
    if (Date.now() > deadline) throw new Error(`serverCount stayed ${count}, expected ${n}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe.each(CLIENT_KINDS)('Socket.IO Redis adapter with $name', ({ pair }) => {
  const errors = new ErrorLog();
  const redisClients: Array<IORedis | NodeRedis> = [];
  const sockets: ClientSocket[] = [];
  let A: { io: Server; url: string };
  let B: { io: Server; url: string };
  let clientA: { socket: ClientSocket; inbox: Inbox<Received> };
  let clientB: { socket: ClientSocket; inbox: Inbox<Received> };

  beforeAll(async () => {
    const pairA = await pair(target.port, errors);
    const pairB = await pair(target.port, errors);
    redisClients.push(pairA.pub, pairA.sub, pairB.pub, pairB.sub);
    A = await startIo('A', pairA);
    B = await startIo('B', pairB);
    await untilServerCount(A.io, 2);
    await untilServerCount(B.io, 2);
    clientA = await connectClient(A.url, 'client of A');
    clientB = await connectClient(B.url, 'client of B');
    sockets.push(clientA.socket, clientB.socket);
  }, TEST_MS);

  afterEach(() => {
    errors.assertNone();
    rejections.assertNone();
  });

  afterAll(async () => {
    for (const s of sockets) s.disconnect();
    await Promise.allSettled([A?.io.close(), B?.io.close()].filter(Boolean));
    await closeAll(redisClients);
    errors.assertNone();
  }, TEST_MS);

  it('io.emit on one server reaches the clients of both servers, binary payloads intact', { timeout: TEST_MS }, async () => {
    A.io.emit('greeting', { from: 'A', n: 1 });
    expect(await clientB.inbox.next()).toEqual(['greeting', { from: 'A', n: 1 }]);
    expect(await clientA.inbox.next()).toEqual(['greeting', { from: 'A', n: 1 }]);

    B.io.emit('greeting', { from: 'B', n: 2 });
    expect(await clientA.inbox.next()).toEqual(['greeting', { from: 'B', n: 2 }]);
    expect(await clientB.inbox.next()).toEqual(['greeting', { from: 'B', n: 2 }]);

    A.io.emit('blob', BINARY, { label: 'bin' });
    const [event, payload, meta] = await clientB.inbox.next();
    expect(event).toBe('blob');
    expect(Buffer.from(payload as ArrayBuffer).equals(BINARY)).toBe(true);
    expect(meta).toEqual({ label: 'bin' });
    expect((await clientA.inbox.next())[0]).toBe('blob');
  });

  it('a room broadcast from A reaches only the room member on B', { timeout: TEST_MS }, async () => {
    A.io.to('room-b').emit('roomed', 'for room-b');
    A.io.emit('fence', 'for all');
    expect(await clientB.inbox.take(2)).toEqual([
      ['roomed', 'for room-b'],
      ['fence', 'for all'],
    ]);
    // client A is not in room-b: the fence is the next thing it gets.
    expect(await clientA.inbox.next()).toEqual(['fence', 'for all']);
  });

  it('fetchSockets() on either server returns the sockets of both, with data and rooms', { timeout: TEST_MS }, async () => {
    expect(await A.io.of('/').adapter.serverCount()).toBe(2);
    for (const io of [A.io, B.io]) {
      const found = await io.fetchSockets();
      const byId = new Map(found.map((s) => [s.id, s]));
      expect([...byId.keys()].sort()).toEqual([clientA.socket.id, clientB.socket.id].sort());
      expect(byId.get(clientA.socket.id!)!.data.server).toBe('A');
      expect(byId.get(clientB.socket.id!)!.data.server).toBe('B');
      expect(byId.get(clientB.socket.id!)!.rooms.has('room-b')).toBe(true);
    }
    const inRoom = await A.io.in('room-b').fetchSockets();
    expect(inRoom.map((s) => s.id)).toEqual([clientB.socket.id]);
  });

  it('serverSideEmitWithAck gets the other server’s answer', { timeout: TEST_MS }, async () => {
    B.io.on('double', (x: number, ack: (v: number) => void) => ack(x * 2));
    expect(await A.io.serverSideEmitWithAck('double', 21)).toEqual([42]);
  });

  it('socketsJoin and disconnectSockets from A act on sockets of B', { timeout: TEST_MS }, async () => {
    A.io.in(clientB.socket.id!).socketsJoin('joined-remotely');
    // Published after the join on the same connection, so B handles the join first.
    const joined = await A.io.in('joined-remotely').fetchSockets();
    expect(joined.map((s) => s.id)).toEqual([clientB.socket.id]);

    const extra = await connectClient(B.url, 'extra client of B');
    sockets.push(extra.socket);
    const reason = new Promise<string>((resolve) => extra.socket.once('disconnect', (r) => resolve(r)));
    A.io.in(extra.socket.id!).disconnectSockets(true);
    expect(await within(reason, 'remote disconnect')).toBe('io server disconnect');
    const remaining = await A.io.fetchSockets();
    expect(remaining.map((s) => s.id).sort()).toEqual([clientA.socket.id, clientB.socket.id].sort());
  });
});
