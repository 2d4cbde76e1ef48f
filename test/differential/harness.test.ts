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
import { compareReplies, compareUnordered, missingCommands, runScript } from './runner.ts';
import { parseScript, splitArgs, substitute, unescapeRaw, type Mode, type Step } from './script.ts';

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
    const mon = (line: string): Buffer => b(`+${line}\r\n`);
    expect(compareReplies(mon('1700000000.123456 [0 127.0.0.1:5000] "set" "k"'), mon('1800000000.000001 [0 [::1]:61000] "set" "k"'), { kind: 'monitor' })).toBeNull();
    expect(compareReplies(mon('1700000000.123456 [0 127.0.0.1:5000] "set" "k"'), mon('1700000000.123456 [1 127.0.0.1:5000] "set" "k"'), { kind: 'monitor' })).not.toBeNull();
    expect(compareReplies(mon('1700000000.123456 [0 127.0.0.1:5000] "set" "k"'), mon('1700000000.123456 [0 127.0.0.1:5000] "get" "k"'), { kind: 'monitor' })).not.toBeNull();
    expect(compareReplies(mon('OK'), mon('1700000000.123456 [0 lua] "get"'), { kind: 'monitor' })).not.toBeNull();
  });
});

/**
 * A server that answers +OK to every command and never closes: everything it says is wrong.
 * With `late`, it also sends those bytes 20 ms after each reply (a stray message).
 */
function startYesServer(late?: string): Promise<{ port: number; close(): Promise<void> }> {
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
        if (late !== undefined) setTimeout(() => sock.destroyed || sock.write(late), 20);
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
    runScript(parseScript('t', 't.txt', source), { label: 'redis-server', host: ref.host, port: ref.port }, { label: 'yes', host: '127.0.0.1', port: yes.port }, { all, commandWaitMs: 3000 });

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

// ---- several connections: !read, !sleep, !let / ${NAME} / !ids, !anyorder -------------

describe('multi-connection modifiers: parsing', () => {
  const only = (source: string): Step => {
    const sc = parseScript('t', 't.txt', source);
    const it = sc.items[sc.items.length - 1]!;
    if (it.kind !== 'step') throw new Error('not a step');
    return it.step;
  };

  test('!read=N reads N messages on a connection and is not a command', () => {
    const sc = parseScript('t', 't.txt', '!conn=2 SUBSCRIBE ch\nPUBLISH ch x\n!conn=2 !read=1\n!conn=3 !shape !anyorder !read=4\n!conn=2 !read=0\n');
    expect(sc.commandCount).toBe(2);
    const steps = sc.items.map((it) => (it.kind === 'step' ? it.step : null));
    expect(steps[2]).toMatchObject({ kind: 'read', conn: 2, replies: 1, payload: Buffer.alloc(0) });
    expect(steps[3]).toMatchObject({ kind: 'read', conn: 3, replies: 4, anyOrder: true, mode: { kind: 'shape' } });
    expect(steps[4]).toMatchObject({ kind: 'read', replies: 0 });
    expect(only('!conn=2 !closes !read=0')).toMatchObject({ kind: 'read', closes: true });
  });

  test('!read rejects a command, !replies, !raw and !let; needs a count', () => {
    expect(() => parseScript('t', 't.txt', '!read=1 GET x\n')).toThrow(/no command/);
    expect(() => parseScript('t', 't.txt', '!read=1 !replies=2\n')).toThrow(/does not combine/);
    expect(() => parseScript('t', 't.txt', '!read\n')).toThrow(/!read needs a number/);
    expect(() => parseScript('t', 't.txt', '!read=-1\n')).toThrow(/!read needs a number/);
    expect(() => parseScript('t', 't.txt', '!read=x\n')).toThrow(/!read needs a number/);
  });

  test('!sleep waits before a line, or alone', () => {
    expect(only('!sleep=20 GET k')).toMatchObject({ kind: 'command', sleepMs: 20 });
    expect(only('!sleep=15')).toMatchObject({ kind: 'sleep', sleepMs: 15, replies: 0 });
    expect(only('!sleep=15 !conn=2 !read=1')).toMatchObject({ kind: 'read', sleepMs: 15 });
    expect(() => parseScript('t', 't.txt', '!sleep=5 !shape\n')).toThrow(/lone !sleep/);
    expect(() => parseScript('t', 't.txt', '!sleep\n')).toThrow(/!sleep needs a number/);
  });

  test('!let names a reply; ${NAME} and !ids must follow it', () => {
    const sc = parseScript('t', 't.txt', '!conn=2 !let=sub CLIENT ID\nCLIENT TRACKING ON REDIRECT ${sub}\n!ids=sub CLIENT GETREDIR\nSET "x${sub}y" 1\n');
    const [let_, track, getredir, set] = sc.items.map((it) => (it.kind === 'step' ? it.step : null));
    expect(let_).toMatchObject({ capture: 'sub', mode: { kind: 'ids', names: ['sub'] }, templated: false });
    expect(track).toMatchObject({ templated: true });
    expect(getredir).toMatchObject({ mode: { kind: 'ids', names: ['sub'] } });
    expect(set).toMatchObject({ templated: true });
    expect(sc.commandCount).toBe(4);
    expect(() => parseScript('t', 't.txt', 'GET ${sub}\n!let=sub CLIENT ID\n')).toThrow(/not set by an earlier !let/);
    expect(() => parseScript('t', 't.txt', '!ids=sub CLIENT GETREDIR\n')).toThrow(/no earlier !let/);
    expect(() => parseScript('t', 't.txt', '!let=sub !shape CLIENT ID\n')).toThrow(/takes no other mode/);
    expect(() => parseScript('t', 't.txt', '!let=sub !replies=2 CLIENT ID\n')).toThrow(/one reply/);
    expect(() => parseScript('t', 't.txt', '!let=1x CLIENT ID\n')).toThrow(/needs a name/);
    // '$' alone, or '${' without a name, stays literal
    expect(only('SET $ "${"')).toMatchObject({ templated: false });
  });

  test('substitute replaces every reference with each server\'s own value', () => {
    const vars = new Map([['a', Buffer.from('12')], ['b', Buffer.from([0, 255])]]);
    const out = substitute([Buffer.from('X'), Buffer.from('${a}'), Buffer.from('k:${a}:${b}:${a}')], vars);
    expect(out.map((b) => b.toString('latin1'))).toEqual(['X', '12', 'k:12:\x00\xff:12']);
    expect(() => substitute([Buffer.from('${c}')], vars)).toThrow(/no value/);
  });

  test('a pipeline may use another connection, the same on every line, and no !read', () => {
    const sc = parseScript('t', 't.txt', '{\n!conn=2 MULTI\n!conn=2 SET a 1\n!conn=2 EXEC\n}\n');
    expect(sc.items[0]).toMatchObject({ kind: 'pipeline' });
    expect(() => parseScript('t', 't.txt', '{\n!conn=2 MULTI\nEXEC\n}\n')).toThrow(/same !conn/);
    expect(() => parseScript('t', 't.txt', '{\nPING\n!read=1\n}\n')).toThrow(/not allowed in a pipeline/);
    expect(() => parseScript('t', 't.txt', '{\n!sleep=1 PING\n}\n')).toThrow(/not allowed in a pipeline/);
    expect(() => parseScript('t', 't.txt', '{\n!let=x CLIENT ID\n}\n')).toThrow(/not allowed in a pipeline/);
  });
});

describe('multi-connection modifiers: comparison', () => {
  const b = (s: string): Buffer => Buffer.from(s, 'latin1');
  test('!ids compares remembered values by name, at any depth', () => {
    const va = new Map([['sub', b('5')]]);
    const vb = new Map([['sub', b('12')]]);
    const mode: Mode = { kind: 'ids', names: ['sub'] };
    expect(compareReplies(b(':5\r\n'), b(':12\r\n'), mode, va, vb)).toBeNull();
    expect(compareReplies(b(':5\r\n'), b(':5\r\n'), mode, va, vb)).not.toBeNull();
    expect(compareReplies(b(':-1\r\n'), b(':-1\r\n'), mode, va, vb)).toBeNull();
    expect(compareReplies(b('*2\r\n$8\r\nredirect\r\n:5\r\n'), b('*2\r\n$8\r\nredirect\r\n:12\r\n'), mode, va, vb)).toBeNull();
    expect(compareReplies(b('*2\r\n$8\r\nredirect\r\n:5\r\n'), b('*2\r\n$8\r\nredirect\r\n$2\r\n12\r\n'), mode, va, vb)).not.toBeNull();
  });

  test('!anyorder compares replies as a multiset, under the line\'s mode', () => {
    const m1 = b('>4\r\n$8\r\npmessage\r\n$2\r\na*\r\n$2\r\nab\r\n$1\r\nx\r\n');
    const m2 = b('>4\r\n$8\r\npmessage\r\n$2\r\n*b\r\n$2\r\nab\r\n$1\r\nx\r\n');
    expect(compareUnordered([m1, m2], [m2, m1], { kind: 'exact' })).toBeNull();
    expect(compareUnordered([m1, m2], [m1, m1], { kind: 'exact' })).not.toBeNull();
    expect(compareUnordered([m1, m2], [m1], { kind: 'exact' })).not.toBeNull();
    expect(compareUnordered([b(':10\r\n'), b(':20\r\n')], [b(':21\r\n'), b(':9\r\n')], { kind: 'approx', tolerance: 1 })).toBeNull();
    expect(compareUnordered([b(':10\r\n'), b(':20\r\n')], [b(':23\r\n'), b(':9\r\n')], { kind: 'approx', tolerance: 1 })).not.toBeNull();
  });
});

describe.skipIf(redisServerPath() === null)('multi-connection modifiers: runScript', () => {
  let ref: RedisServerHandle;
  let ref2: RedisServerHandle;
  let yes: { port: number; close(): Promise<void> };
  let chatty: { port: number; close(): Promise<void> };
  beforeAll(async () => {
    [ref, ref2, yes, chatty] = await Promise.all([startRedisServer(), startRedisServer(), startYesServer(), startYesServer('+late\r\n')]);
  });
  afterAll(async () => {
    await Promise.all([yes?.close(), chatty?.close(), ref?.stop(), ref2?.stop()]);
  });
  const refEp = () => ({ label: 'redis-server', host: ref.host, port: ref.port });
  const againstRedis = (source: string) => runScript(parseScript('t', 't.txt', source), refEp(), { label: 'redis-server#2', host: ref2.host, port: ref2.port }, { all: true });
  const againstYes = (source: string, port = yes.port) => runScript(parseScript('t', 't.txt', source), refEp(), { label: 'yes', host: '127.0.0.1', port }, { all: true });

  test('two redis-servers agree on a subscriber, a RESP3 subscriber, REDIRECT tracking and a paused write', async () => {
    const r = await againstRedis([
      '!conn=2 !replies=2 SUBSCRIBE a b',
      '!conn=3 !mask=server,version,id HELLO 3',
      '!conn=3 !replies=2 !anyorder PSUBSCRIBE a* *b',
      'PUBLISH ab hello',
      '!conn=3 !anyorder !read=2',
      'PUBLISH b hi',
      '!conn=2 !read=1',
      '!conn=3 !read=1',
      '!conn=3 !read=0',
      '!conn=4 !let=redir CLIENT ID',
      '!conn=4 SUBSCRIBE __redis__:invalidate',
      'CLIENT TRACKING on REDIRECT ${redir}',
      '!ids=redir CLIENT GETREDIR',
      '!ids=redir CLIENT TRACKINGINFO',
      'GET k',
      '!conn=5 SET k v',
      '!conn=4 !read=1',
      'CLIENT PAUSE 100000 WRITE',
      '!conn=5 !replies=0 SET k w',
      'CLIENT UNPAUSE',
      '!conn=5 !read=1',
      '!sleep=5',
      '!conn=5 GET k',
    ].join('\n'));
    expect(r.mismatches).toEqual([]);
    expect(r.commands).toBe(16);
  });

  test('a message that never comes fails the step after the bounded wait, naming it', async () => {
    const t0 = Date.now();
    const r = await againstYes('!conn=2 SUBSCRIBE ch\nPUBLISH ch x\n!conn=2 !read=1\n');
    expect(Date.now() - t0).toBeLessThan(8000);
    // SUBSCRIBE and PUBLISH already differ; the read times out on the fake server
    const read = r.mismatches.find((m) => m.where === 't.txt:3');
    expect(read?.actual).toMatch(/no reply: message 1 of 1 on connection 2: timed out after 5000 ms/);
  });

  test('a message the reference never sends is an error in the script', async () => {
    await expect(againstYes('!conn=2 !read=1\n')).rejects.toThrow(/reference server redis-server failed on !conn=2 !read=1: message 1 of 1 on connection 2: timed out/);
  });

  test('!read=0 fails when something arrives', async () => {
    await expect(againstRedis('!conn=2 SUBSCRIBE ch\nPUBLISH ch x\n!conn=2 !read=0\n')).rejects.toThrow(/unexpected extra bytes .*message/);
  });

  test('messages nobody read are checked at the end: on the reference a script error, on the target a mismatch', async () => {
    await expect(againstRedis('!conn=2 SUBSCRIBE ch\nPUBLISH ch x\n')).rejects.toThrow(/no line read: connection 2: .*message/);
    const r = await againstYes('SET a b\n', chatty.port);
    expect(r.mismatches).toHaveLength(1);
    expect(r.mismatches[0]).toMatchObject({ where: 't.txt:end', actual: 'connection 1: "+late\\r\\n"' });
  });

  test('!let values differ between servers and ${NAME} sends each its own', async () => {
    // The yes server answers +OK: its CLIENT ID "OK" is a string where redis-server has an integer.
    const r = await againstYes('!let=me CLIENT ID\nECHO ${me}\n');
    expect(r.mismatches.map((m) => m.where)).toEqual(['t.txt:1', 't.txt:2']);
    const ok = await againstRedis('!let=me CLIENT ID\n!ids=me ECHO ${me}\n!ids=me CLIENT ID\n');
    expect(ok.mismatches).toEqual([]);
  });

  test('!closes on a !read line expects another connection to kill this one', async () => {
    const r = await againstRedis('!conn=2 !let=victim CLIENT ID\nCLIENT KILL ID ${victim}\n!conn=2 !closes !read=0\n!conn=2 PING\n');
    expect(r.mismatches).toEqual([]);
  });
});

describe.skipIf(redisServerPath() === null)('%requires', () => {
  test('missingCommands names unknown commands and subcommands, authenticating when the script has a password', async () => {
    const open = await startRedisServer();
    const locked = await startRedisServer({ requirepass: 'pw' });
    try {
      const ep = { label: 'r', host: open.host, port: open.port };
      expect(await missingCommands(ep, ['get', 'client|tracking', 'nosuch', 'client|nosuch'])).toEqual(['nosuch', 'client|nosuch']);
      const lockedEp = { label: 'r', host: locked.host, port: locked.port };
      expect(await missingCommands(lockedEp, ['multi', 'nosuch'], 'pw')).toEqual(['nosuch']);
      // without the password every command looks missing: the script would be skipped for nothing
      expect(await missingCommands(lockedEp, ['multi'])).toEqual(['multi']);
    } finally {
      await Promise.all([open.stop(), locked.stop()]);
    }
  });
});
