/*
 * Plain TCP connections all read into one shared buffer (connection.ts). Whatever a client sent
 * but could not run yet (blocked, postponed by CLIENT PAUSE, or yielding after its per-turn
 * command cap) must survive other clients' reads overwriting that buffer: its commands run
 * later with their own bytes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTarget, type TargetServer } from '../helpers/target-server.ts';
import { encodeCommand, RawClient } from '../helpers/raw-client.ts';

const WAIT_MS = 20_000;

/** Another client's traffic, ~60 KB per write, whose bytes differ from the tested client's. */
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
    const blocked = await RawClient.connect(server.port, server.host);
    const value = 'kept-value-0123456789';
    blocked.write(Buffer.concat([encodeCommand(['BLPOP', 'srb:queue', '0']), encodeCommand(['SET', 'srb:kept', value]), encodeCommand(['GET', 'srb:kept'])]));
    const other = await RawClient.connect(server.port, server.host);
    await new Promise((r) => setTimeout(r, 100));
    for (let i = 0; i < 20; i++) other.write(overwriteTraffic(i));
    await other.readReplies(20 * 30, WAIT_MS);
    other.send('RPUSH', 'srb:queue', 'job');
    const want = `*2\r\n$9\r\nsrb:queue\r\n$3\r\njob\r\n+OK\r\n$${value.length}\r\n${value}\r\n`;
    expect((await blocked.readBytes(want.length, WAIT_MS)).toString('latin1')).toBe(want);
    await blocked.close();
    await other.close();
  });

  it('a client postponed by CLIENT PAUSE WRITE runs the writes it pipelined with their own bytes', { timeout: 30_000 }, async () => {
    const admin = await RawClient.connect(server.port, server.host);
    expect((await admin.call('CLIENT', 'PAUSE', '400', 'WRITE')).toString()).toBe('+OK\r\n');
    const writer = await RawClient.connect(server.port, server.host);
    writer.write(Buffer.concat([encodeCommand(['SET', 'srb:p1', 'first-value']), encodeCommand(['APPEND', 'srb:p1', '-more']), encodeCommand(['GET', 'srb:p1'])]));
    const other = await RawClient.connect(server.port, server.host);
    for (let i = 0; i < 20; i++) other.write(overwriteTraffic(100 + i));
    const want = '+OK\r\n:16\r\n$16\r\nfirst-value-more\r\n';
    expect((await writer.readBytes(want.length, WAIT_MS)).toString('latin1')).toBe(want);
    for (const c of [admin, writer, other]) await c.close();
  });

  it('a client past its per-turn command cap continues with its own bytes while others send', { timeout: 30_000 }, async () => {
    const busy = await RawClient.connect(server.port, server.host);
    const other = await RawClient.connect(server.port, server.host);
    const count = 5000;
    const parts: Buffer[] = [];
    for (let i = 0; i < count; i++) parts.push(encodeCommand(['APPEND', 'srb:log', `${i % 10}`]));
    busy.write(Buffer.concat(parts));
    for (let i = 0; i < 20; i++) other.write(overwriteTraffic(i));
    const replies = Array.from({ length: count }, (_, i) => `:${i + 1}\r\n`).join('');
    expect((await busy.readBytes(replies.length, WAIT_MS)).toString('latin1')).toBe(replies);
    let expected = '';
    for (let i = 0; i < count; i++) expected += `${i % 10}`;
    expect((await busy.call('GET', 'srb:log')).toString('latin1')).toBe(`$${count}\r\n${expected}\r\n`);
    await busy.close();
    await other.close();
  });

  it('several clients past the cap at once each keep their own bytes (held buffers pass between parsers)', { timeout: 60_000 }, async () => {
    const clients = await Promise.all(Array.from({ length: 6 }, () => RawClient.connect(server.port, server.host)));
    const count = 6000;
    clients.forEach((client, c) => {
      const parts: Buffer[] = [];
      for (let i = 0; i < count; i++) parts.push(encodeCommand(['APPEND', `srb:pool:${c}`, `${String.fromCharCode(97 + c)}${i % 10}`]));
      client.write(Buffer.concat(parts));
    });
    const replies = Array.from({ length: count }, (_, i) => `:${2 * (i + 1)}\r\n`).join('');
    const got = await Promise.all(clients.map((client) => client.readBytes(replies.length, WAIT_MS)));
    for (const r of got) expect(r.toString('latin1')).toBe(replies);
    for (let c = 0; c < clients.length; c++) {
      let expected = '';
      for (let i = 0; i < count; i++) expected += `${String.fromCharCode(97 + c)}${i % 10}`;
      expect((await clients[c]!.call('GET', `srb:pool:${c}`)).toString('latin1')).toBe(`$${2 * count}\r\n${expected}\r\n`);
    }
    for (const client of clients) await client.close();
  });
});
