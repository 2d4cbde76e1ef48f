/*
 * Checks the protocol tables (cases.ts) and the pre-encoded replies against the reference
 * implementation: a real redis-server (raw socket, exact bytes) and redis-cli (what it sends
 * for a typed line). Skipped with a visible message when they are not installed; .ci/run
 * installs them.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import net from 'node:net';
import fs from 'node:fs';
import { spawn } from 'node:child_process';
import Parser from 'redis-parser';
import { startRedisServer, haveRedisServer, whichSync, redisServerPath, type RedisServerHandle } from '../helpers/redis-server.ts';
import { ERROR_CASES, BEFORE_ERROR, INLINE_CASES } from './cases.ts';
import { parseAll, strs } from './parse-helpers.ts';
import * as R from '../../protocol/replies.ts';

const haveServer = haveRedisServer('redis-server not on PATH: protocol conformance tests skipped');
const haveCli = whichSync('redis-cli') !== null;
if (!haveCli) console.warn('redis-cli not on PATH: inline splitting not checked against redis-cli');

/** Writes bytes, then collects everything the server sends until it closes the connection. */
function exchange(port: number, bytes: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const sock = net.connect(port, '127.0.0.1', () => sock.write(bytes));
    const guard = setTimeout(() => {
      sock.destroy();
      reject(new Error(`server did not close the connection; got ${JSON.stringify(Buffer.concat(chunks).toString('latin1'))}`));
    }, 20_000);
    sock.on('data', (d) => chunks.push(d));
    sock.on('error', () => {}); // a reset after the error reply is fine
    sock.on('close', () => {
      clearTimeout(guard);
      resolve(Buffer.concat(chunks));
    });
  });
}

function decodeAll(bytes: Buffer): unknown[] {
  const out: unknown[] = [];
  const p = new Parser({
    returnBuffers: true,
    returnReply: (r: unknown) => out.push(r),
    returnError: (e: Error) => out.push({ error: e.message }),
  });
  p.execute(bytes);
  return out;
}

const mbCmd = (...args: string[]) =>
  Buffer.from(`*${args.length}\r\n` + args.map((a) => `$${Buffer.byteLength(a, 'latin1')}\r\n${a}\r\n`).join(''), 'latin1');

describe.skipIf(!haveServer)('protocol conformance with redis-server', () => {
  let open: RedisServerHandle;
  let secured: RedisServerHandle;

  beforeAll(async () => {
    open = await startRedisServer();
    secured = await startRedisServer({ requirepass: 'secret' });
  });
  afterAll(async () => {
    await open?.stop();
    await secured?.stop();
  });

  for (const c of ERROR_CASES) {
    if (c.maxBulkLen !== undefined) continue; // needs CONFIG SET proto-max-bulk-len, covered below
    const name = JSON.stringify(c.input.length > 40 ? c.input.slice(0, 20) + `...(${c.input.length})` : c.input);
    it(`${name}: redis-server answers "${c.error}" after the earlier replies, and closes`, async () => {
      const server = c.authenticated === false ? secured : open;
      const out = (await exchange(server.port, Buffer.from(BEFORE_ERROR + c.input, 'latin1'))).toString('latin1');
      const prefix = c.authenticated === false ? '-NOAUTH Authentication required.\r\n'.repeat(2) : '+PONG\r\n$1\r\nx\r\n';
      expect(out).toBe(prefix + `-${c.error}\r\n`);
      // and the parser agrees
      const r = parseAll(BEFORE_ERROR + c.input, c);
      expect(r.error).toBe(c.error);
      expect(r.commands.length).toBe(2);
    });
  }

  it('proto-max-bulk-len bounds the bulk length', async () => {
    const sock = await exchange(
      open.port,
      Buffer.concat([mbCmd('CONFIG', 'SET', 'proto-max-bulk-len', '1mb'), Buffer.from('*1\r\n$1048577\r\n')]),
    );
    expect(sock.toString()).toBe('+OK\r\n-ERR Protocol error: invalid bulk length\r\n');
    expect(parseAll('*1\r\n$1048577\r\n', { maxBulkLen: 1048576 }).error).toBe('ERR Protocol error: invalid bulk length');
    await exchange(open.port, Buffer.concat([mbCmd('CONFIG', 'SET', 'proto-max-bulk-len', '512mb'), mbCmd('QUIT')]));
  });

  it('skips empty multibulks and blank lines, and accepts a 70000-byte inline line', async () => {
    const input = '*0\r\n*-1\r\n\r\n   \r\n' + 'ECHO ' + 'A'.repeat(70000) + '\r\n' + 'QUIT\r\n';
    const out = await exchange(open.port, Buffer.from(input));
    expect(out.toString()).toBe(`$70000\r\n${'A'.repeat(70000)}\r\n+OK\r\n`);
    expect(strs(parseAll(input).commands).map((c) => c[0])).toEqual(['ECHO', 'QUIT']);
  });

  for (const { line, args } of INLINE_CASES) {
    it(`inline ${JSON.stringify(line)} splits as redis-server splits it`, async () => {
      const input = Buffer.concat([
        Buffer.from(`RPUSH conformance:list ${line}\r\n`, 'latin1'),
        mbCmd('LRANGE', 'conformance:list', '0', '-1'),
        mbCmd('DEL', 'conformance:list'),
        mbCmd('QUIT'),
      ]);
      const replies = decodeAll(await exchange(open.port, input));
      if (args === null) {
        expect(replies).toEqual([{ error: 'ERR Protocol error: unbalanced quotes in request' }]);
      } else {
        expect(replies[0]).toBe(args.length);
        expect((replies[1] as Buffer[]).map((b) => b.toString('latin1'))).toEqual(args);
      }
    });
  }

  it('every pre-encoded error text is one redis-server 7.0 writes', () => {
    if (!open.version.startsWith('7.0.')) {
      console.warn(`redis-server ${open.version} is not 7.0: error texts not compared`);
      return;
    }
    const binary = fs.readFileSync(redisServerPath()!).toString('latin1');
    const errors: [string, Buffer][] = Object.entries(R).filter((e): e is [string, Buffer] => e[0].startsWith('E_') && e[1] instanceof Buffer);
    errors.push(...Object.entries(R.E_INVALID_EXPIRE).map(([c, b]): [string, Buffer] => [`E_INVALID_EXPIRE.${c}`, b]));
    for (const [name, reply] of errors) {
      let text = R.errorText(reply);
      if (name.startsWith('E_INVALID_EXPIRE')) text = "ERR invalid expire time in '%s' command";
      // Shared error objects are stored whole ("-WRONGTYPE ...\r\n"); addReplyError("-CODE ...")
      // keeps its own code; addReplyError("text") adds "-ERR ". C strings end with a NUL.
      const found =
        binary.includes(`-${text}\r\n`) ||
        binary.includes(`-${text}\0`) ||
        (text.startsWith('ERR ') && binary.includes(`${text.slice(4)}\0`));
      expect(found, `${name}: ${text}`).toBe(true);
    }
  });
});

/** What redis-cli sends for each typed line: a capture server answers +OK to every command. */
async function redisCliSends(lines: string[]): Promise<{ stdout: string; commands: Buffer }> {
  const received: Buffer[] = [];
  const srv = net.createServer((s) => {
    s.on('data', (d) => {
      received.push(d);
      // one +OK per command in the data (commands are small; count '*' at line starts)
      const text = d.toString('latin1');
      const n = (text.match(/(^|\r\n)\*\d+\r\n\$/g) ?? []).length;
      s.write('+OK\r\n'.repeat(Math.max(n, 1)));
    });
    s.on('error', () => {});
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as net.AddressInfo).port;
  const cli = spawn('redis-cli', ['-p', String(port)], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  cli.stdout.on('data', (d) => (stdout += d.toString('latin1')));
  cli.stdin.end(Buffer.from(lines.map((l) => l + '\n').join(''), 'latin1'));
  await new Promise<void>((resolve) => cli.on('close', () => resolve()));
  await new Promise<void>((r) => srv.close(() => r()));
  return { stdout, commands: Buffer.concat(received) };
}

describe.skipIf(!haveCli)('inline splitting matches what redis-cli sends for a typed line', () => {
  it('redis-cli splits each line like the parser splits an inline request', async () => {
    const cases = INLINE_CASES.filter((c) => c.cli !== false);
    const { stdout, commands } = await redisCliSends(cases.map((c) => `x ${c.line}`));
    // redis-cli prints OK per command sent, "Invalid argument(s)" for a line it cannot split.
    const outcome = stdout.trim().split('\n');
    expect(outcome.length).toBe(cases.length);
    const sent = parseAll(commands).commands.filter((c) => c[0].toString() === 'x');
    let k = 0;
    for (let i = 0; i < cases.length; i++) {
      const ours = parseAll(`x ${cases[i].line}\r\n`);
      if (outcome[i] === 'Invalid argument(s)') {
        expect(ours.error, cases[i].line).toBe('ERR Protocol error: unbalanced quotes in request');
        expect(cases[i].args).toBeNull();
      } else {
        expect(outcome[i]).toBe('OK');
        expect(strs(ours.commands), cases[i].line).toEqual([strs([sent[k]])[0]]);
        expect(strs([sent[k]])[0].slice(1)).toEqual(cases[i].args);
        k++;
      }
    }
    expect(k).toBe(sent.length);
  });
});
