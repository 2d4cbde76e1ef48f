/*
 * Tests of the differential harness itself: redis-cli argument splitting, RESP framing
 * (every split point of nested RESP3 replies), the comparison modes, and that runScript
 * really reports mismatches (against a fake server that answers +OK to everything), so a
 * green differential run means agreement and not a harness that compares nothing.
 */
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { RawClient, decodeReply, encodeCommand, escapeBytes, replyEnd } from '../helpers/raw-client.ts';
import { redisServerPath, startRedisServer, type RedisServerHandle } from '../helpers/redis-server.ts';
import { compareReplies, runScript } from './runner.ts';
import { parseScript, splitArgs, unescapeRaw } from './script.ts';

const args = (s: string): string[] | null => splitArgs(Buffer.from(s, 'latin1'))?.map((b) => b.toString('latin1')) ?? null;

describe('splitArgs (redis-cli quoting)', () => {
  test('plain, quoted and escaped arguments', () => {
    expect(args('SET a b')).toEqual(['SET', 'a', 'b']);
    expect(args('  SET   a\tb  ')).toEqual(['SET', 'a', 'b']);
    expect(args('SET "a b" \'c\\\'d\'')).toEqual(['SET', 'a b', "c'd"]);
    expect(args('"\\x41\\x00\\r\\n\\t\\"\\\\"')).toEqual(['A\x00\r\n\t"\\']);
    expect(args('"\\x4"')).toEqual(['x4']);
    expect(args("'\\x41'")).toEqual(['\\x41']);
    expect(args('""')).toEqual(['']);
    expect(args('a"b c"d')).toBeNull(); // closing quote must be followed by a space
    expect(args('ab"c d"')).toEqual(['abc d']);
    expect(args('"open')).toBeNull();
    expect(args("'open")).toBeNull();
    expect(args('')).toEqual([]);
  });

  test('raw unescaping', () => {
    expect(unescapeRaw('*1\\r\\n$4\\r\\nPING\\r\\n').toString()).toBe('*1\r\n$4\r\nPING\r\n');
    expect([...unescapeRaw('\\x00\\xff\\q')]).toEqual([0, 255, 0x5c, 0x71]);
  });
});

describe('RESP framing', () => {
  const samples: string[] = [
    '+OK\r\n',
    '-ERR x\r\n',
    ':-12\r\n',
    '$-1\r\n',
    '$0\r\n\r\n',
    '$5\r\na\r\nb\x00\r\n',
    '*-1\r\n',
    '*0\r\n',
    '*3\r\n$1\r\na\r\n*2\r\n:1\r\n$-1\r\n_\r\n',
    '%2\r\n+k\r\n~2\r\n,1.5\r\n#t\r\n$1\r\nx\r\n(123456789012345678901234567890\r\n',
    '>3\r\n$7\r\nmessage\r\n$2\r\nch\r\n=7\r\ntxt:abc\r\n',
    '|1\r\n+ttl\r\n:3\r\n$1\r\nv\r\n',
    '!5\r\nERR x\r\n',
  ];
  test('every proper prefix is incomplete, the whole reply is one reply', () => {
    for (const s of samples) {
      const buf = Buffer.from(s, 'latin1');
      for (let i = 0; i < buf.length; i++) expect(replyEnd(buf.subarray(0, i), 0), `${escapeBytes(buf)} cut at ${i}`).toBe(-1);
      expect(replyEnd(buf, 0)).toBe(buf.length);
      const two = Buffer.concat([buf, buf]);
      expect(replyEnd(two, 0)).toBe(buf.length);
      expect(replyEnd(two, buf.length)).toBe(two.length);
      decodeReply(buf);
    }
  });
  test('non-RESP bytes are a framing error', () => {
    expect(() => replyEnd(Buffer.from('hello\r\n'), 0)).toThrow(/unknown RESP type/);
  });
});

describe('comparison modes', () => {
  const b = (s: string): Buffer => Buffer.from(s, 'latin1');
  test('exact, shape, sorted, pairs, approx, mask, kv, info', () => {
    expect(compareReplies(b('+OK\r\n'), b('+OK\r\n'), { kind: 'exact' })).toBeNull();
    expect(compareReplies(b('$1\r\na\r\n'), b('$1\r\nb\r\n'), { kind: 'exact' })).not.toBeNull();
    expect(compareReplies(b('*2\r\n$2\r\n10\r\n$1\r\n5\r\n'), b('*2\r\n$3\r\n100\r\n$2\r\n77\r\n'), { kind: 'shape' })).toBeNull();
    expect(compareReplies(b('*2\r\n$2\r\n10\r\n$1\r\n5\r\n'), b('*1\r\n$3\r\n100\r\n'), { kind: 'shape' })).not.toBeNull();
    expect(compareReplies(b('-ERR a\r\n'), b('-WRONGTYPE a\r\n'), { kind: 'shape' })).not.toBeNull();
    expect(compareReplies(b('*2\r\n$1\r\na\r\n$1\r\nb\r\n'), b('*2\r\n$1\r\nb\r\n$1\r\na\r\n'), { kind: 'sorted' })).toBeNull();
    expect(compareReplies(b('*2\r\n$1\r\na\r\n$1\r\nb\r\n'), b('*2\r\n$1\r\nb\r\n$1\r\nb\r\n'), { kind: 'sorted' })).not.toBeNull();
    expect(compareReplies(b('*4\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nb\r\n$1\r\n2\r\n'), b('*4\r\n$1\r\nb\r\n$1\r\n2\r\n$1\r\na\r\n$1\r\n1\r\n'), { kind: 'pairs' })).toBeNull();
    expect(compareReplies(b('*4\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nb\r\n$1\r\n2\r\n'), b('*4\r\n$1\r\na\r\n$1\r\n2\r\n$1\r\nb\r\n$1\r\n1\r\n'), { kind: 'pairs' })).not.toBeNull();
    expect(compareReplies(b(':1000\r\n'), b(':990\r\n'), { kind: 'approx', tolerance: 10 })).toBeNull();
    expect(compareReplies(b(':1000\r\n'), b(':989\r\n'), { kind: 'approx', tolerance: 10 })).not.toBeNull();
    expect(compareReplies(b(':-2\r\n'), b('$2\r\n-2\r\n'), { kind: 'approx', tolerance: 10 })).not.toBeNull();
    expect(compareReplies(b(':9223370241612103\r\n'), b(':9223370241612102\r\n'), { kind: 'approx', tolerance: 1 })).toBeNull();
    expect(compareReplies(b(':9223370241612104\r\n'), b(':9223370241612102\r\n'), { kind: 'approx', tolerance: 1 })).not.toBeNull();
    const hello = (server: string, proto: number): Buffer =>
      b(`%3\r\n$6\r\nserver\r\n$${server.length}\r\n${server}\r\n$5\r\nproto\r\n:${proto}\r\n$2\r\nid\r\n:7\r\n`);
    expect(compareReplies(hello('redis', 3), hello('slabcache', 3), { kind: 'mask', fields: ['server', 'id'] })).toBeNull();
    expect(compareReplies(hello('redis', 3), hello('redis', 2), { kind: 'mask', fields: ['server', 'id'] })).not.toBeNull();
    const info = (name: string, extra: string): Buffer => {
      const t = `id=3 addr=127.0.0.1:1 name=${name} db=0${extra}\n`;
      return b(`$${t.length}\r\n${t}\r\n`);
    };
    expect(compareReplies(info('x', ''), info('x', ''), { kind: 'kv', fields: ['name', 'db'] })).toBeNull();
    expect(compareReplies(info('x', ''), info('y', ''), { kind: 'kv', fields: ['name', 'db'] })).not.toBeNull();
    expect(compareReplies(info('x', ''), info('x', ' resp=2'), { kind: 'kv', fields: ['name'] })).not.toBeNull();
    const infoText = (v: string): Buffer => {
      const t = `# Server\r\nredis_version:${v}\r\nredis_mode:standalone\r\n`;
      return b(`$${t.length}\r\n${t}\r\n`);
    };
    expect(compareReplies(infoText('7.0.15'), infoText('7.2.4'), { kind: 'info', fields: ['redis_mode'] })).toBeNull();
    expect(compareReplies(infoText('7.0.15'), infoText('7.2.4'), { kind: 'info', fields: ['redis_version'] })).not.toBeNull();
  });
});

/** A server that answers +OK to every command and never closes: everything it says is wrong. */
function startYesServer(): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const srv = net.createServer((sock) => {
    sockets.add(sock);
    sock.on('close', () => sockets.delete(sock));
    sock.on('error', () => {});
    let buf = Buffer.alloc(0);
    sock.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      // Count complete multibulk commands well enough for this test (no inline, no binary CRLF).
      for (;;) {
        const m = /^\*(\d+)\r\n/.exec(buf.toString('latin1'));
        if (!m) return;
        let pos = m[0].length;
        let complete = true;
        for (let i = 0; i < Number(m[1]); i++) {
          const lm = /^\$(\d+)\r\n/.exec(buf.subarray(pos).toString('latin1'));
          if (!lm || pos + lm[0].length + Number(lm[1]) + 2 > buf.length) {
            complete = false;
            break;
          }
          pos += lm[0].length + Number(lm[1]) + 2;
        }
        if (!complete) return;
        buf = buf.subarray(pos);
        sock.write('+OK\r\n');
      }
    });
  });
  return new Promise((resolve) => {
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address() as net.AddressInfo;
      resolve({
        port: addr.port,
        close: () => new Promise<void>((r) => {
          for (const s of sockets) s.destroy();
          srv.close(() => r());
        }),
      });
    });
  });
}

describe.skipIf(redisServerPath() === null)('runScript reports mismatches', () => {
  let ref: RedisServerHandle;
  let yes: { port: number; close(): Promise<void> };
  beforeAll(async () => {
    ref = await startRedisServer();
    yes = await startYesServer();
  });
  afterAll(async () => {
    await yes?.close();
    await ref?.stop();
  });

  const run = (source: string, all = true) =>
    runScript(parseScript('t', 't.txt', source), { label: 'redis-server', host: ref.host, port: ref.port }, { label: 'yes', host: '127.0.0.1', port: yes.port }, { all });

  test('agreeing replies pass, differing replies are reported with both escaped', async () => {
    const r = await run('SET a b\nGET a\nPING\nDBSIZE\n!closes QUIT\n');
    expect(r.commands).toBe(5);
    const byLine = new Map(r.mismatches.map((m) => [m.where, m]));
    expect(byLine.has('t.txt:1')).toBe(false); // +OK on both
    expect(byLine.get('t.txt:2')).toMatchObject({ expected: '"$1\\r\\nb\\r\\n"', actual: '"+OK\\r\\n"' });
    expect(byLine.get('t.txt:3')).toMatchObject({ expected: '"+PONG\\r\\n"' });
    expect(byLine.get('t.txt:5')).toMatchObject({ actual: '<connection left open>' });
  });

  test('the first mismatch stops the script unless all are asked for', async () => {
    const r = await run('GET a\nPING\n', false);
    expect(r.mismatches).toHaveLength(1);
    expect(r.mismatches[0]!.where).toBe('t.txt:1');
  });

  test('a reply the reference does not send is an extra-bytes mismatch', async () => {
    const r = await run('!replies=0 CLIENT REPLY OFF\n');
    expect(r.mismatches).toHaveLength(1);
    expect(r.mismatches[0]!.actual).toMatch(/unexpected extra bytes "\+OK\\r\\n"/);
  });

  test('a full SCAN compares key sets', async () => {
    const r = await run('SET k v\n!scanall SCAN 0\n');
    expect(r.mismatches).toHaveLength(1);
    expect(r.mismatches[0]!.expected).toBe('{$"k"}');
  });

  test('a script the reference rejects is an error in the script, not a mismatch', async () => {
    await expect(run('!replies=2 PING\n')).rejects.toThrow(/reference server redis-server failed/);
  });
});

test('encodeCommand frames binary arguments', async () => {
  expect(encodeCommand(['SET', Buffer.from([0, 13, 10])]).toString('latin1')).toBe('*2\r\n$3\r\nSET\r\n$3\r\n\x00\r\n\r\n');
  // RawClient.connect fails fast on a closed port.
  const port = await new Promise<number>((resolve) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
  await expect(RawClient.connect(port, '127.0.0.1', { timeoutMs: 1000 })).rejects.toThrow();
});
