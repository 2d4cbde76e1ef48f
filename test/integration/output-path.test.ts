/*
 * The output path under a reader that falls behind: replies written straight to the socket's
 * handle (output.ts writeDirect) that the kernel takes only in part, mixed with chained writes
 * through the socket's stream, must still reach the client whole and in order.
 */
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTarget, type TargetServer } from '../helpers/target-server.ts';
import { encodeCommand } from '../helpers/raw-client.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('replies to a reader that stops and resumes', () => {
  let server: TargetServer;
  beforeAll(async () => {
    server = await startTarget({ loglevel: 'warning' });
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('arrive whole and in order after the kernel took them in parts', { timeout: 60_000 }, async () => {
    const values = [7000, 15000, 900].map((n, i) => Buffer.alloc(n, 97 + i));
    const setup = net.connect(server.port, server.host);
    for (let i = 0; i < values.length; i++) setup.write(encodeCommand(['SET', `v${i}`, values[i]]));
    await new Promise<void>((resolve) => {
      let seen = '';
      setup.on('data', (d) => {
        seen += d.toString('latin1');
        if (seen === '+OK\r\n'.repeat(values.length)) resolve();
      });
    });
    setup.destroy();

    const reader = net.connect(server.port, server.host);
    await new Promise((r) => reader.once('connect', r));
    const chunks: Buffer[] = [];
    reader.on('data', (d) => chunks.push(d));
    reader.pause();
    // One request per write, a few per server turn: mostly single-buffer replies, some chained,
    // far more than the kernel's socket buffers hold while nothing is read.
    const expected: Buffer[] = [];
    const requests = 1500;
    for (let i = 0; i < requests; i++) {
      const v = values[i % values.length];
      reader.write(encodeCommand(['GET', `v${i % values.length}`]));
      expected.push(Buffer.from(`$${v.length}\r\n`), v, Buffer.from('\r\n'));
      if (i % 3 === 2) await sleep(1);
    }
    const want = Buffer.concat(expected);
    await sleep(200);
    reader.resume();
    for (let t = 0; t < 400 && chunks.reduce((n, c) => n + c.length, 0) < want.length; t++) await sleep(50);
    reader.destroy();
    const got = Buffer.concat(chunks);
    expect(got.length).toBe(want.length);
    expect(got.equals(want)).toBe(true);
  });
});
