/*
 * Plain TCP connections all read into one shared buffer (connection.ts). Whatever a client sent
 * but could not run yet (blocked, or yielding after its per-turn command cap) must survive
 * other clients' reads overwriting that buffer: its commands run later with their own bytes.
 */
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTarget, type TargetServer } from '../helpers/target-server.ts';
import { encodeCommand } from '../helpers/raw-client.ts';

/** A raw connection that collects everything it receives. */
async function connect(server: TargetServer): Promise<{ socket: net.Socket; received: () => string }> {
  const socket = net.connect(server.port, server.host);
  await new Promise((r) => socket.once('connect', r));
  let text = '';
  socket.on('data', (d) => (text += d.toString('latin1')));
  return { socket, received: () => text };
}

async function until(what: () => boolean, ms = 20_000): Promise<void> {
  for (const end = Date.now() + ms; !what(); ) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Commands of another client whose bytes differ from `own` everywhere, ~60 KB per write. */
function overwriteTraffic(i: number): Buffer {
  const parts: Buffer[] = [];
  for (let j = 0; j < 30; j++) parts.push(encodeCommand(['SET', `other:${i}:${j}`, Buffer.alloc(2000, 120 + (j % 5))]));
  return Buffer.concat(parts);
}

describe('input kept while a client cannot run it', () => {
  let server: TargetServer;
  beforeAll(async () => {
    server = await startTarget({ loglevel: 'warning' });
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('a blocked client runs the commands it pipelined behind BLPOP with their own bytes', { timeout: 30_000 }, async () => {
    const blocked = await connect(server);
    const value = 'kept-value-0123456789';
    blocked.socket.write(Buffer.concat([encodeCommand(['BLPOP', 'srb:queue', '0']), encodeCommand(['SET', 'srb:kept', value]), encodeCommand(['GET', 'srb:kept'])]));
    const other = await connect(server);
    await new Promise((r) => setTimeout(r, 100));
    for (let i = 0; i < 20; i++) other.socket.write(overwriteTraffic(i));
    await until(() => other.received().length === 20 * 30 * 5);
    other.socket.write(encodeCommand(['RPUSH', 'srb:queue', 'job']));
    const want = `*2\r\n$9\r\nsrb:queue\r\n$3\r\njob\r\n+OK\r\n$${value.length}\r\n${value}\r\n`;
    await until(() => blocked.received().length >= want.length);
    expect(blocked.received()).toBe(want);
    blocked.socket.destroy();
    other.socket.destroy();
  });

  it('a client postponed by CLIENT PAUSE WRITE runs the writes it pipelined with their own bytes', { timeout: 30_000 }, async () => {
    const admin = await connect(server);
    admin.socket.write(encodeCommand(['CLIENT', 'PAUSE', '400', 'WRITE']));
    await until(() => admin.received() === '+OK\r\n');
    const writer = await connect(server);
    writer.socket.write(Buffer.concat([encodeCommand(['SET', 'srb:p1', 'first-value']), encodeCommand(['APPEND', 'srb:p1', '-more']), encodeCommand(['GET', 'srb:p1'])]));
    const other = await connect(server);
    for (let i = 0; i < 20; i++) other.socket.write(overwriteTraffic(100 + i));
    const want = '+OK\r\n:16\r\n$16\r\nfirst-value-more\r\n';
    await until(() => writer.received().length >= want.length);
    expect(writer.received()).toBe(want);
    for (const c of [admin, writer, other]) c.socket.destroy();
  });

  it('a client past its per-turn command cap continues with its own bytes while others send', { timeout: 30_000 }, async () => {
    const busy = await connect(server);
    const other = await connect(server);
    const count = 5000;
    const parts: Buffer[] = [];
    for (let i = 0; i < count; i++) parts.push(encodeCommand(['APPEND', 'srb:log', `${i % 10}`]));
    busy.socket.write(Buffer.concat(parts));
    for (let i = 0; i < 20; i++) other.socket.write(overwriteTraffic(i));
    await until(() => busy.received().split('\r\n').length > count);
    busy.socket.write(encodeCommand(['GET', 'srb:log']));
    let expected = '';
    for (let i = 0; i < count; i++) expected += `${i % 10}`;
    const replies = Array.from({ length: count }, (_, i) => `:${i + 1}\r\n`).join('');
    await until(() => busy.received().length >= replies.length + expected.length + 8);
    expect(busy.received()).toBe(`${replies}$${count}\r\n${expected}\r\n`);
    busy.socket.destroy();
    other.socket.destroy();
  });
});
