/*
 * One event-loop turn runs a bounded time of commands (connection.ts); a client with input left
 * past it yields to the next turn. The yielded clients must take turns: a client that pipelines
 * slow commands without pause must not keep a light client, which yielded behind it, waiting
 * until its own read-ahead has run (each yielded client once had its own setImmediate, the
 * loader's always queued first, so the light one found every turn spent).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTarget, type TargetServer } from '../helpers/target-server.ts';
import { encodeCommand, RawClient } from '../helpers/raw-client.ts';

const WAIT_MS = 60_000;

describe('yielded clients take turns', () => {
  let server: TargetServer;
  beforeAll(async () => {
    server = await startTarget({ loglevel: 'warning' });
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('a light client runs within a few turns while another pipelines a second of slow commands', { timeout: 90_000 }, async () => {
    const loader = await RawClient.connect(server.port, server.host);
    const light = await RawClient.connect(server.port, server.host);
    const members: string[] = [];
    for (let i = 0; i < 3000; i++) members.push(String(i), `member:${i}`);
    expect((await loader.call('ZADD', 'tf:src', ...members)).toString()).toBe(':3000\r\n');
    // About 60 bytes and a millisecond of work per pair: the loader's 64 KB read-ahead alone holds
    // about a thousand pairs, a second of commands; one turn runs a few of them.
    const pairs = 1500;
    const parts: Buffer[] = [];
    for (let i = 0; i < pairs; i++) parts.push(encodeCommand(['ZUNIONSTORE', 'tf:dst', '1', 'tf:src']), encodeCommand(['INCR', 'tf:n']));
    loader.write(Buffer.concat(parts));
    expect((await loader.readReply(WAIT_MS)).toString()).toBe(':3000\r\n');
    // The loader is running: the light client's GET comes round within a turn or two.
    const progress = Number(/^\$\d+\r\n(\d+)\r\n$/.exec((await light.call('GET', 'tf:n')).toString())?.[1] ?? '0');
    expect(progress).toBeLessThan(300);
    const rest = await loader.readReplies(2 * pairs - 1, WAIT_MS);
    expect(rest.length).toBe(2 * pairs - 1);
    expect((await light.call('GET', 'tf:n')).toString()).toBe(`$4\r\n${pairs}\r\n`);
    await loader.close();
    await light.close();
  });
});
