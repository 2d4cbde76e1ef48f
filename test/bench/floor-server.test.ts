/*
 * The do-nothing floor of `npm run bench` (bench/lib/floor-protocol.ts, bench/floor-server.ts):
 * every complete command of a read answered in one Buffer, commands split at any byte kept
 * until they complete, the constant replies that redis-benchmark, memtier_benchmark and the
 * harness's own probes need, and a protocol error closing the connection. One test starts the
 * real server and talks to it over a socket. No timing is asserted.
 */
import { spawn } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { FIXED_VALUE_BYTES, FloorConnection } from '../../bench/lib/floor-protocol.ts';

const BULK = `$${FIXED_VALUE_BYTES}\r\n${'v'.repeat(FIXED_VALUE_BYTES)}\r\n`;

function cmd(...args: string[]): string {
  return `*${args.length}\r\n` + args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('');
}

function feed(conn: FloorConnection, text: string | Buffer): string {
  const out = conn.feed(Buffer.isBuffer(text) ? text : Buffer.from(text, 'latin1'));
  return out === null ? '' : out.toString('latin1');
}

describe('floor protocol', () => {
  it('answers GET with a fixed 32-byte bulk, SET with +OK, PING with +PONG', () => {
    const c = new FloorConnection();
    expect(feed(c, cmd('GET', 'key:1'))).toBe(BULK);
    expect(feed(c, cmd('set', 'key:1', 'x'))).toBe('+OK\r\n');
    expect(feed(c, cmd('PiNg'))).toBe('+PONG\r\n');
    expect(c.commands).toBe(3);
  });

  it('answers every complete command of one read in one buffer, in order', () => {
    const c = new FloorConnection();
    const batch = [cmd('SET', 'a', 'b'), cmd('GET', 'a'), cmd('INCR', 'n'), cmd('LPUSH', 'l', 'x'), cmd('HSET', 'h', 'f', 'v'), cmd('SADD', 's', 'm'), cmd('ZADD', 'z', '1', 'm'), cmd('LPOP', 'l'), cmd('HGET', 'h', 'f')].join('');
    expect(feed(c, batch)).toBe('+OK\r\n' + BULK + ':1\r\n:1\r\n:1\r\n:1\r\n:1\r\n' + BULK + BULK);
  });

  it('keeps a command split at any byte until it completes', () => {
    const stream = cmd('SET', 'key:000000000001', 'v'.repeat(40)) + cmd('GET', 'key:000000000001') + 'PING\r\n' + cmd('MGET', 'a', 'b');
    const expected = '+OK\r\n' + BULK + '+PONG\r\n' + '*2\r\n' + BULK + BULK;
    for (let cut = 1; cut < stream.length; cut++) {
      const c = new FloorConnection();
      const got = feed(c, stream.slice(0, cut)) + feed(c, stream.slice(cut));
      expect(got, `split at ${cut}`).toBe(expected);
    }
    // One byte at a time.
    const c = new FloorConnection();
    let got = '';
    for (const ch of stream) got += feed(c, ch);
    expect(got).toBe(expected);
  });

  it('shapes MGET and LRANGE replies by their arguments', () => {
    const c = new FloorConnection();
    expect(feed(c, cmd('MGET', ...Array.from({ length: 10 }, (_, i) => `k${i}`)))).toBe('*10\r\n' + BULK.repeat(10));
    expect(feed(c, cmd('LRANGE', 'mylist', '0', '99'))).toBe('*100\r\n' + BULK.repeat(100));
    expect(feed(c, cmd('LRANGE', 'mylist', '5', '4'))).toBe('*0\r\n');
    expect(feed(c, cmd('LRANGE', 'mylist', '0', '-1'))).toBe('*100\r\n' + BULK.repeat(100));
  });

  it('answers the start-up and probe commands of redis-benchmark and the harness', () => {
    const c = new FloorConnection();
    expect(feed(c, cmd('CONFIG', 'GET', 'save'))).toBe('*2\r\n$4\r\nsave\r\n$0\r\n\r\n');
    expect(feed(c, cmd('COMMAND', 'INFO', 'get', 'set', 'lrange'))).toBe('*3\r\n*0\r\n*0\r\n*0\r\n');
    expect(feed(c, cmd('FLUSHALL'))).toBe('+OK\r\n');
  });

  it('reads inline commands and ignores empty lines and null arrays', () => {
    const c = new FloorConnection();
    expect(feed(c, 'PING\r\n\r\nget   x\n*-1\r\n*0\r\n' + cmd('GET', 'y'))).toBe('+PONG\r\n' + BULK + BULK);
  });

  it('handles binary and empty arguments', () => {
    const c = new FloorConnection();
    const bin = Buffer.concat([Buffer.from('*3\r\n$3\r\nSET\r\n$4\r\n'), Buffer.from([0, 13, 10, 255]), Buffer.from('\r\n$0\r\n\r\n')]);
    expect(feed(c, bin)).toBe('+OK\r\n');
  });

  it('replies with a protocol error and closes on malformed input, answering what came before', () => {
    const c = new FloorConnection();
    expect(feed(c, cmd('GET', 'a') + '*1\r\n%3\r\nfoo\r\n' + cmd('GET', 'b'))).toBe(BULK + '-ERR Protocol error\r\n');
    expect(c.closing).toBe(true);
    expect(feed(c, cmd('GET', 'a'))).toBe('');
    const d = new FloorConnection();
    expect(feed(d, '*1\r\n$3\r\nGETX\r\n')).toBe('-ERR Protocol error\r\n');
    const e = new FloorConnection();
    expect(feed(e, '*abc\r\n')).toBe('-ERR Protocol error\r\n');
  });

  it('closes after QUIT, once its +OK is written', () => {
    const c = new FloorConnection();
    expect(feed(c, cmd('QUIT') + cmd('GET', 'a'))).toBe('+OK\r\n');
    expect(c.closing).toBe(true);
  });

  it('grows its output for a large batch', () => {
    const c = new FloorConnection();
    const n = 5000;
    const out = feed(c, cmd('LRANGE', 'l', '0', '999').repeat(n / 100) + cmd('GET', 'k').repeat(n));
    expect(out).toBe(('*1000\r\n' + BULK.repeat(1000)).repeat(n / 100) + BULK.repeat(n));
  });
});

describe('floor server', () => {
  it('serves a pipelined batch over a socket and exits 0 on SIGTERM', async () => {
    const script = path.resolve(import.meta.dirname, '../../bench/floor-server.ts');
    const child = spawn(process.execPath, [script, '--port', '0', '--bind', '127.0.0.1'], { stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      const port = await new Promise<number>((resolve, reject) => {
        let out = '';
        const timer = setTimeout(() => reject(new Error(`floor-server did not start: ${out}`)), 20_000);
        child.stdout!.setEncoding('utf8').on('data', (s: string) => {
          out += s;
          const m = /listening on [^:]+:(\d+)/.exec(out);
          if (m !== null) {
            clearTimeout(timer);
            resolve(Number(m[1]));
          }
        });
        child.once('exit', (code) => reject(new Error(`floor-server exited ${code}`)));
      });
      const request = cmd('SET', 'a', 'b') + cmd('GET', 'a').repeat(100) + cmd('PING');
      const expected = '+OK\r\n' + BULK.repeat(100) + '+PONG\r\n';
      const reply = await new Promise<string>((resolve, reject) => {
        const sock = net.connect(port, '127.0.0.1');
        let got = '';
        const timer = setTimeout(() => {
          sock.destroy();
          reject(new Error(`timed out with ${got.length} bytes`));
        }, 20_000);
        sock.on('data', (b) => {
          got += b.toString('latin1');
          if (got.length >= expected.length) {
            clearTimeout(timer);
            sock.end();
            resolve(got);
          }
        });
        sock.on('error', reject);
        sock.write(request);
      });
      expect(reply).toBe(expected);
    } finally {
      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
    }
  }, 60_000);
});
