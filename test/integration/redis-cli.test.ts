/*
 * redis-cli against slabcache, differentially: every redis-cli invocation runs against a
 * redis-server started by the test and against the server under test (slabcache, or a
 * second redis-server: see test/helpers/target-server.ts), and what redis-cli prints (stdout,
 * stderr, exit code) must be the same. Then one interactive session through a
 * pseudo-terminal: typed commands, a typo, `quit`; the rendered screens must match, and show
 * the replies as redis-cli formats them.
 *
 * redis-cli is always spawned asynchronously: slabcache runs in this process, and a
 * synchronous spawn would block the event loop that has to answer it.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { RawClient } from '../helpers/raw-client.ts';
import { redisServerPath, startRedisServer, whichSync, type RedisServerHandle } from '../helpers/redis-server.ts';
import { PtySession } from '../helpers/pty-session.ts';
import { startTarget, type TargetServer } from '../helpers/target-server.ts';

const haveCli = redisServerPath() !== null && whichSync('redis-cli') !== null;
const haveScript = whichSync('script') !== null;
if (!haveCli) console.warn('redis-server or redis-cli not on PATH: redis-cli tests skipped');
else if (!haveScript) console.warn('script (util-linux) not on PATH: the interactive redis-cli test is skipped');

interface CliResult {
  stdout: string;
  stderr: string;
  code: number | null;
}

const home = fs.mkdtempSync(path.join(os.tmpdir(), 'slabcache-cli-home-'));
const cliEnv = { ...process.env, HOME: home, REDISCLI_HISTFILE: '/dev/null', REDISCLI_RCFILE: '/dev/null' } as Record<string, string>;
delete cliEnv['REDISCLI_AUTH'];
afterAll(() => fs.rmSync(home, { recursive: true, force: true }));

function runCli(port: number, args: string[], stdin?: string, timeoutMs = 10_000): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn('redis-cli', ['-h', '127.0.0.1', '-p', String(port), ...args], { env: cliEnv, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString('latin1')));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString('latin1')));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`redis-cli ${args.join(' ')} did not finish in ${timeoutMs} ms; stdout so far: ${JSON.stringify(stdout)}`));
    }, timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      // Ports differ between the two servers; nothing else may.
      const norm = (s: string): string => s.split(String(port)).join('PORT');
      resolve({ stdout: norm(stdout), stderr: norm(stderr), code });
    });
    child.stdin.on('error', () => {});
    child.stdin.end(stdin ?? '');
  });
}

async function flushAll(port: number, password?: string): Promise<void> {
  const c = await RawClient.connect(port);
  try {
    if (password) await c.call('AUTH', password);
    const r = await c.call('FLUSHALL');
    if (r.toString() !== '+OK\r\n') throw new Error(`FLUSHALL answered ${JSON.stringify(r.toString())}`);
  } finally {
    await c.close();
  }
}

interface Step {
  args: string[];
  stdin?: string;
  /** Compare stdout lines as a set (SCAN order legitimately differs). */
  unordered?: boolean;
}

const pair = (label: string) => ({
  label,
  ref: null as RedisServerHandle | null,
  target: null as TargetServer | null,
});

async function compareSteps(p: ReturnType<typeof pair>, steps: Step[]): Promise<void> {
  const ref = p.ref!;
  const target = p.target!;
  for (const step of steps) {
    const expected = await runCli(ref.port, step.args, step.stdin);
    const actual = await runCli(target.port, step.args, step.stdin);
    const shown = `redis-cli ${step.args.join(' ')}${step.stdin !== undefined ? ` <<< ${JSON.stringify(step.stdin)}` : ''}`;
    if (step.unordered) {
      const sortLines = (s: string): string => s.split('\n').sort().join('\n');
      expected.stdout = sortLines(expected.stdout);
      actual.stdout = sortLines(actual.stdout);
    }
    if (process.env['CLI_DEBUG'] === '1') console.log(`${shown}\n  -> ${JSON.stringify(expected)}`);
    expect(actual, `${shown} (${target.kind} vs redis-server)`).toEqual(expected);
  }
}

describe.skipIf(!haveCli)('redis-cli scripted use (differential)', () => {
  const open = pair('open');
  const auth = pair('auth');
  beforeAll(async () => {
    open.ref = await startRedisServer();
    open.target = await startTarget();
    auth.ref = await startRedisServer({ requirepass: 'secret' });
    auth.target = await startTarget({ requirepass: 'secret' });
  });
  afterAll(async () => {
    await Promise.all([open.ref?.stop(), open.target?.stop(), auth.ref?.stop(), auth.target?.stop()]);
  });
  beforeEach(async () => {
    await Promise.all([flushAll(open.ref!.port), flushAll(open.target!.port), flushAll(auth.ref!.port, 'secret'), flushAll(auth.target!.port, 'secret')]);
  });

  test('commands as arguments, raw (stdout not a tty) and --no-raw formatting', async () => {
    await compareSteps(open, [
      { args: ['PING'] },
      { args: ['SET', 'a', 'b'] },
      { args: ['GET', 'a'] },
      { args: ['get', 'a'] },
      { args: ['GET', 'missing'] },
      { args: ['--no-raw', 'GET', 'a'] },
      { args: ['--no-raw', 'GET', 'missing'] },
      { args: ['--raw', 'GET', 'a'] },
      { args: ['INCR', 'counter'] },
      { args: ['--no-raw', 'INCR', 'counter'] },
      { args: ['--no-raw', 'INCRBYFLOAT', 'counter', '0.5'] },
      { args: ['MSET', 'k1', 'v1', 'k2', 'hello world'] },
      { args: ['MGET', 'k1', 'k2', 'missing'] },
      { args: ['--no-raw', 'MGET', 'k1', 'k2', 'missing'] },
      { args: ['--csv', 'MGET', 'k1', 'k2', 'missing'] },
      { args: ['--no-raw', 'EXISTS', 'a', 'k1', 'nope'] },
      { args: ['TYPE', 'a'] },
      { args: ['--no-raw', 'TTL', 'a'] },
      { args: ['EXPIRE', 'a', '100'] },
      { args: ['TTL', 'a'] },
      { args: ['--no-raw', 'PERSIST', 'a'] },
      { args: ['DBSIZE'] },
      { args: ['--no-raw', 'CONFIG', 'GET', 'maxmemory'] },
      { args: ['ECHO', 'two words'] },
      { args: ['SET', 'bin', 'tab\there'] },
      { args: ['--no-raw', 'GET', 'bin'] },
      { args: ['SETRANGE', 'zero', '3', 'x'] },
      { args: ['--no-raw', 'GET', 'zero'] },
      { args: ['MSET', 'key1', 'ohmytext', 'key2', 'mynewtext'] },
      { args: ['--no-raw', 'LCS', 'key1', 'key2', 'IDX', 'WITHMATCHLEN'] },
      { args: ['LCS', 'key1', 'key2', 'IDX', 'WITHMATCHLEN'] },
      { args: ['--no-raw', 'OBJECT', 'ENCODING', 'counter'] },
      { args: ['INFO', 'keyspace'] },
      { args: ['--scan'], unordered: true },
      { args: ['--scan', '--pattern', 'k*'], unordered: true },
      { args: ['-r', '3', 'INCR', 'repeated'] },
      { args: ['--no-raw', '-r', '2', 'GET', 'repeated'] },
      { args: ['-3', '--no-raw', 'MGET', 'a', 'missing'] },
      { args: ['-3', 'GET', 'missing'] },
      { args: ['--json', 'MGET', 'a', 'missing'] },
      { args: ['-2', '--json', 'MGET', 'a', 'missing'] },
    ]);
  });

  test('errors: printed the same way, with -e setting the exit code', async () => {
    await compareSteps(open, [
      { args: ['FOO', 'bar'] },
      { args: ['--no-raw', 'FOO', 'bar'] },
      { args: ['-e', 'FOO'] },
      { args: ['GET'] },
      { args: ['--no-raw', 'SET', 'k', 'v', 'NX', 'XX'] },
      { args: ['SET', 'k', 'v', 'EX', '0'] },
      { args: ['SET', 'n', '9223372036854775807'] },
      { args: ['-e', 'INCR', 'n'] },
      { args: ['SELECT', '99'] },
    ]);
  });

  test('-n selects the database', async () => {
    await compareSteps(open, [
      { args: ['-n', '1', 'SET', 'x', 'in-db-1'] },
      { args: ['-n', '1', 'GET', 'x'] },
      { args: ['GET', 'x'] },
      { args: ['-n', '1', 'DBSIZE'] },
      { args: ['-n', '0', 'DBSIZE'] },
      { args: ['-n', '15', '--no-raw', 'EXISTS', 'x'] },
      { args: ['-n', '16', 'PING'] },
      { args: ['-n', '1', 'MOVE', 'x', '2'] },
      { args: ['-n', '2', 'GET', 'x'] },
    ]);
  });

  test('a pipe of commands on stdin', async () => {
    const script = [
      'SET p 1',
      'INCR p',
      'GET p',
      'MGET p nope',
      'SET "with space" \'quoted value\'',
      'GET "with space"',
      'FOO bar',
      'APPEND p 0',
      'OBJECT ENCODING p',
      'SELECT 3',
      'SET in3 yes',
      'DBSIZE',
      'EXPIRE in3 100',
      'TTL in3',
      '',
    ].join('\n');
    await compareSteps(open, [
      { args: [], stdin: script },
      { args: ['--no-raw'], stdin: script },
      { args: ['-n', '3', 'GET', 'in3'] },
      { args: ['-x', 'SET', 'fromstdin'], stdin: 'line one\nline two\n' },
      { args: ['--no-raw', 'GET', 'fromstdin'] },
      { args: ['STRLEN', 'fromstdin'] },
    ]);
  });

  test('with requirepass: -a, --no-auth-warning, --user/--pass, -u, wrong and missing passwords', async () => {
    await compareSteps(auth, [
      { args: ['--no-auth-warning', '-a', 'secret', 'SET', 'a', 'b'] },
      { args: ['--no-auth-warning', '-a', 'secret', 'GET', 'a'] },
      { args: ['-a', 'secret', 'GET', 'a'] },
      { args: ['GET', 'a'] },
      { args: ['--no-raw', 'GET', 'a'] },
      { args: ['--no-auth-warning', '-a', 'wrong', 'GET', 'a'] },
      { args: ['--no-auth-warning', '--user', 'default', '--pass', 'secret', 'GET', 'a'] },
      { args: ['--no-auth-warning', '--user', 'nobody', '--pass', 'secret', 'GET', 'a'] },
      { args: ['--no-auth-warning', '-a', 'secret', '-n', '2', 'SET', 'z', '1'] },
      { args: ['--no-auth-warning', '-a', 'secret', '-n', '2', 'DBSIZE'] },
      { args: ['--no-auth-warning', '-a', 'secret'], stdin: 'GET a\nAUTH wrong\nGET a\nCONFIG GET requirepass\n' },
      { args: [], stdin: 'GET a\nAUTH secret\nGET a\n' },
    ]);
    // The URI form carries the port, so it is built per server.
    const viaUri = async (port: number) => runCli(port, ['--no-auth-warning', '-u', `redis://default:secret@127.0.0.1:${port}/2`, 'DBSIZE']);
    expect(await viaUri(auth.target!.port)).toEqual(await viaUri(auth.ref!.port));
  });
});

/** One interactive redis-cli session; returns the rendered screen, port numbers replaced. */
async function interactiveSession(port: number, commands: string[]): Promise<{ lines: string[]; code: number | null }> {
  const session = new PtySession(['redis-cli', '-h', '127.0.0.1', '-p', String(port)], {
    env: { HOME: home, REDISCLI_HISTFILE: '/dev/null', REDISCLI_RCFILE: '/dev/null' },
  });
  const promptRe = /^127\.0\.0\.1:\d+(\[\d+\])?> $/;
  // The prompt ends a line only while redis-cli waits for input; the screen's last line is it.
  const atPrompt = (lines: string[], minLines: number): boolean => {
    if (lines.length < minLines) return false;
    return promptRe.test(lines[lines.length - 1]! + ' ') || promptRe.test(lines[lines.length - 1]!);
  };
  try {
    await session.waitFor((l) => atPrompt(l, 1), 'the first prompt');
    for (const cmd of commands) {
      const before = session.screen.text().length;
      session.type(cmd + '\r');
      if (cmd.toLowerCase() === 'quit') break;
      await session.waitFor((l) => atPrompt(l, before + 1), `the prompt after ${JSON.stringify(cmd)}`);
    }
    const code = await session.waitExit();
    const lines = session.screen.text().map((l) => l.split(String(port)).join('PORT'));
    while (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
    return { lines, code };
  } finally {
    await session.close();
  }
}

describe.skipIf(!haveCli || !haveScript)('redis-cli interactive session (pseudo-terminal)', () => {
  let ref: RedisServerHandle | null = null;
  let target: TargetServer | null = null;
  beforeAll(async () => {
    ref = await startRedisServer();
    target = await startTarget();
  });
  afterAll(async () => {
    await Promise.all([ref?.stop(), target?.stop()]);
  });

  test('typed commands, a typo and quit print as with redis-server', async () => {
    const commands = [
      'SET greeting hello',
      'GET greeting',
      'GET missing',
      'INCR visits',
      'EXISTS greeting visits nope',
      'GETT greeting',
      'MGET greeting missing',
      'SELECT 2',
      'get greeting',
      'quit',
    ];
    const expected = await interactiveSession(ref!.port, commands);
    if (process.env['CLI_DEBUG'] === '1') console.log(expected.lines.join('\n'));
    const actual = await interactiveSession(target!.port, commands);
    // The replies as redis-cli prints them on a terminal (checked on the reference too, so
    // that a broken rendering cannot make both sides agree on nothing).
    const p = '127.0.0.1:PORT>';
    expect(expected.lines).toEqual([
      `${p} SET greeting hello`,
      'OK',
      `${p} GET greeting`,
      '"hello"',
      `${p} GET missing`,
      '(nil)',
      `${p} INCR visits`,
      '(integer) 1',
      `${p} EXISTS greeting visits nope`,
      '(integer) 2',
      `${p} GETT greeting`,
      "(error) ERR unknown command 'GETT', with args beginning with: 'greeting'",
      `${p} MGET greeting missing`,
      '1) "hello"',
      '2) (nil)',
      `${p} SELECT 2`,
      'OK',
      '127.0.0.1:PORT[2]> get greeting',
      '(nil)',
      '127.0.0.1:PORT[2]> quit',
    ]);
    expect(expected.code).toBe(0);
    expect(actual.lines, `interactive session against ${target!.kind}`).toEqual(expected.lines);
    expect(actual.code).toBe(expected.code);
  });
});
