/*
 * The command line as a user meets it: `node cli/main.ts` (and `npm start --`) run as child
 * processes. --help / --version, a start on a chosen port answered over a raw socket, SIGTERM
 * and SIGINT exiting 0, bad options and bad config files failing with one line and exit code
 * 1 (never a stack trace), and a redis.conf-syntax config file.
 *
 * Every child is killed in afterEach; every wait is bounded.
 */
import { describe, it, expect, afterEach } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { RawClient } from '../helpers/raw-client.ts';
import { freePort, waitForPing } from '../helpers/redis-server.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
/** The Node 24 the project pins (the system node may be older). */
const NODE = path.join(ROOT, 'node_modules', '.bin', 'node');
const MAIN = path.join(ROOT, 'cli', 'main.ts');
const VERSION = (JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;

interface Running {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const children: ChildProcess[] = [];
const groups: number[] = [];
const tmpDirs: string[] = [];
const raws: RawClient[] = [];

function launch(command: string, args: string[], options: { detached?: boolean } = {}): Running {
  const child = spawn(command, args, {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: options.detached ?? false,
    env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' },
  });
  children.push(child);
  if (options.detached && child.pid !== undefined) groups.push(child.pid);
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
  });
  return { child, stdout: () => out, stderr: () => err, exited };
}

/** Runs the CLI to completion (bounded); kills it if it does not exit by itself. */
async function runCli(args: string[], timeoutMs = 15_000): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const r = launch(NODE, [MAIN, ...args]);
  const timer = setTimeout(() => r.child.kill('SIGKILL'), timeoutMs);
  const { code, signal } = await r.exited;
  clearTimeout(timer);
  if (signal === 'SIGKILL') throw new Error(`slabcache ${args.join(' ')} did not exit within ${timeoutMs} ms; stderr: ${r.stderr()}`);
  // Let the pipes drain.
  await new Promise((res) => setImmediate(res));
  return { code, stdout: r.stdout(), stderr: r.stderr() };
}

/** Starts the server and resolves once it answers PING on `port`. */
async function startCli(args: string[], port: number): Promise<Running> {
  const r = launch(NODE, [MAIN, ...args]);
  let gone = false;
  void r.exited.then(() => (gone = true));
  const up = await waitForPing('127.0.0.1', port, 15_000, () => gone);
  if (!up) {
    r.child.kill('SIGKILL');
    throw new Error(`slabcache ${args.join(' ')} did not answer on ${port}; stdout: ${r.stdout()} stderr: ${r.stderr()}`);
  }
  return r;
}

async function stop(r: Running, signal: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  const timer = setTimeout(() => r.child.kill('SIGKILL'), 5000);
  r.child.kill(signal);
  const result = await r.exited;
  clearTimeout(timer);
  return result;
}

async function raw(port: number): Promise<RawClient> {
  const c = await RawClient.connect(port);
  raws.push(c);
  return c;
}

function tmpFile(name: string, content: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'slabcache-cli-'));
  tmpDirs.push(dir);
  const file = path.join(dir, name);
  fs.writeFileSync(file, content);
  return file;
}

/** One line on stderr, and nothing that looks like a stack trace. */
function expectOneCleanLine(stderr: string): void {
  const lines = stderr.split('\n').filter((l) => l.trim() !== '');
  expect(lines, `stderr was: ${JSON.stringify(stderr)}`).toHaveLength(1);
  expect(stderr).not.toMatch(/^\s+at /m);
  expect(stderr).not.toMatch(/node:internal|\.ts:\d+:\d+/);
}

afterEach(async () => {
  for (const c of raws.splice(0)) await c.close();
  for (const pid of groups.splice(0)) {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  for (const child of children.splice(0)) {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
  for (const dir of tmpDirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

describe('informational options', () => {
  it('--help prints usage with the documented options and exits 0', async () => {
    const { code, stdout } = await runCli(['--help']);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^Usage: slabcache \[options\] \[config-file\]/);
    for (const opt of ['--port', '--bind', '--maxmemory', '--maxmemory-policy', '--requirepass', '--databases', '--maxclients',
      '--timeout', '--shards', '--metrics-port', '--loglevel', '--help', '--version']) {
      expect(stdout, opt).toContain(opt);
    }
  });

  it('--version prints the package version and exits 0', async () => {
    const { code, stdout } = await runCli(['--version']);
    expect(code).toBe(0);
    expect(stdout.trim()).toBe(VERSION);
  });
});

describe('running', () => {
  it('starts on the given port, serves, logs a start-up line, and exits 0 on SIGTERM', async () => {
    const port = await freePort();
    const r = await startCli(['--port', String(port), '--metrics-port', '0'], port);
    const c = await raw(port);
    expect((await c.call('SET', 'k', 'v')).toString()).toBe('+OK\r\n');
    expect((await c.call('GET', 'k')).toString()).toBe('$1\r\nv\r\n');
    expect((await c.call('CONFIG', 'GET', 'port')).toString()).toBe(`*2\r\n$4\r\nport\r\n$${String(port).length}\r\n${port}\r\n`);
    // The start-up line names the process and the address.
    expect(r.stdout()).toContain(String(r.child.pid));
    expect(r.stdout()).toContain(String(port));
    const { code, signal } = await stop(r, 'SIGTERM');
    expect(signal).toBeNull();
    expect(code).toBe(0);
    await c.waitClosed();
    expect(r.stderr()).not.toMatch(/^\s+at /m);
  });

  it('exits 0 on SIGINT too, and the port is free afterwards', async () => {
    const port = await freePort();
    const r = await startCli(['--port', String(port), '--metrics-port', '0', '--loglevel', 'warning'], port);
    const { code } = await stop(r, 'SIGINT');
    expect(code).toBe(0);
    await expect(RawClient.connect(port, '127.0.0.1', { timeoutMs: 2000 })).rejects.toThrow();
  });

  it('SHUTDOWN over the protocol exits 0', async () => {
    const port = await freePort();
    const r = await startCli(['--port', String(port), '--metrics-port', '0', '--loglevel', 'warning'], port);
    const c = await raw(port);
    c.send('SHUTDOWN', 'NOSAVE');
    const timer = setTimeout(() => r.child.kill('SIGKILL'), 5000);
    const { code } = await r.exited;
    clearTimeout(timer);
    expect(code).toBe(0);
  });

  it('named options take effect (maxmemory, policy, requirepass, databases, maxclients, timeout)', async () => {
    const port = await freePort();
    const r = await startCli(['--port', String(port), '--metrics-port', '0', '--loglevel', 'warning', '--maxmemory', '100mb',
      '--maxmemory-policy', 'allkeys-lru', '--requirepass', 's3cret', '--databases', '4', '--maxclients', '50', '--timeout', '300'], port);
    const c = await raw(port);
    expect((await c.call('PING')).toString()).toBe('-NOAUTH Authentication required.\r\n');
    expect((await c.call('AUTH', 's3cret')).toString()).toBe('+OK\r\n');
    const get = async (name: string) => (await c.call('CONFIG', 'GET', name)).toString();
    expect(await get('maxmemory')).toBe('*2\r\n$9\r\nmaxmemory\r\n$9\r\n104857600\r\n');
    expect(await get('maxmemory-policy')).toBe('*2\r\n$16\r\nmaxmemory-policy\r\n$11\r\nallkeys-lru\r\n');
    expect(await get('databases')).toBe('*2\r\n$9\r\ndatabases\r\n$1\r\n4\r\n');
    expect(await get('maxclients')).toBe('*2\r\n$10\r\nmaxclients\r\n$2\r\n50\r\n');
    expect(await get('timeout')).toBe('*2\r\n$7\r\ntimeout\r\n$3\r\n300\r\n');
    expect((await c.call('SELECT', '3')).toString()).toBe('+OK\r\n');
    expect((await c.call('SELECT', '4')).toString()).toBe('-ERR DB index is out of range\r\n');
    expect((await stop(r, 'SIGTERM')).code).toBe(0);
  });
});

describe('bad input fails at start: exit code 1, one line on stderr, no stack trace', () => {
  const cases: Array<[string, string[], RegExp]> = [
    ['a port that is not a number', ['--port', 'abc'], /port/],
    ['a port out of range', ['--port', '70000'], /port/],
    ['a bad memory size', ['--maxmemory', '12xb'], /maxmemory/],
    ['an unknown eviction policy', ['--maxmemory-policy', 'nope'], /maxmemory-policy/],
    ['an unknown option', ['--frobnicate', '1'], /frobnicate/],
    ['an option without its value', ['--port'], /port/],
    ['zero databases', ['--databases', '0'], /databases/],
    ['a config file that does not exist', ['/nonexistent/slabcache.conf'], /nonexistent\/slabcache\.conf/],
  ];
  for (const [name, args, mentions] of cases) {
    it(name, async () => {
      const { code, stderr } = await runCli([...args, '--metrics-port', '0']);
      expect(code).toBe(1);
      expectOneCleanLine(stderr);
      expect(stderr).toMatch(mentions);
    });
  }

  it('a port already in use', async () => {
    const port = await freePort();
    const first = await startCli(['--port', String(port), '--metrics-port', '0', '--loglevel', 'warning'], port);
    const { code, stderr } = await runCli(['--port', String(port), '--metrics-port', '0', '--loglevel', 'warning']);
    expect(code).toBe(1);
    expectOneCleanLine(stderr);
    expect(stderr).toContain(String(port));
    expect((await stop(first, 'SIGTERM')).code).toBe(0);
  });
});

describe('config file in redis.conf syntax', () => {
  it('port, maxmemory 100mb and requirepass from the file; comments, blank lines and quotes allowed', async () => {
    const port = await freePort();
    const file = tmpFile('slabcache.conf', [
      '# slabcache test configuration',
      '',
      `port ${port}`,
      '   maxmemory 100mb',
      'MAXMEMORY-POLICY allkeys-lfu',
      'requirepass "pass word"',
      'metrics-port 0',
      'loglevel warning',
      '',
    ].join('\n'));
    const r = await startCli([file], port);
    const c = await raw(port);
    expect((await c.call('GET', 'k')).toString()).toBe('-NOAUTH Authentication required.\r\n');
    expect((await c.call('AUTH', 'pass word')).toString()).toBe('+OK\r\n');
    expect((await c.call('CONFIG', 'GET', 'maxmemory')).toString()).toBe('*2\r\n$9\r\nmaxmemory\r\n$9\r\n104857600\r\n');
    expect((await c.call('CONFIG', 'GET', 'maxmemory-policy')).toString()).toBe('*2\r\n$16\r\nmaxmemory-policy\r\n$11\r\nallkeys-lfu\r\n');
    expect((await stop(r, 'SIGTERM')).code).toBe(0);
  });

  it('command-line options override the file', async () => {
    const filePort = await freePort();
    const port = await freePort();
    const file = tmpFile('override.conf', `port ${filePort}\nmaxmemory 100mb\nmetrics-port 0\nloglevel warning\n`);
    const r = await startCli([file, '--port', String(port), '--maxmemory', '2gb'], port);
    const c = await raw(port);
    expect((await c.call('CONFIG', 'GET', 'maxmemory')).toString()).toBe('*2\r\n$9\r\nmaxmemory\r\n$10\r\n2147483648\r\n');
    expect((await stop(r, 'SIGTERM')).code).toBe(0);
  });

  it('an unknown directive names its line', async () => {
    const port = await freePort();
    const file = tmpFile('bad.conf', `# comment\nport ${port}\n\nfrobnicate yes\nmaxmemory 100mb\n`);
    const { code, stderr } = await runCli([file]);
    expect(code).toBe(1);
    expectOneCleanLine(stderr);
    expect(stderr).toMatch(/line 4\b/);
    expect(stderr).toContain('frobnicate');
  });

  it('a bad value names its line', async () => {
    const file = tmpFile('badvalue.conf', `maxmemory 100mb\nmaxmemory-policy sometimes\n`);
    const { code, stderr } = await runCli([file]);
    expect(code).toBe(1);
    expectOneCleanLine(stderr);
    expect(stderr).toMatch(/line 2\b/);
    expect(stderr).toContain('maxmemory-policy');
  });
});

describe('npm start', () => {
  it('`npm start -- --port N` passes the options through', async () => {
    const port = await freePort();
    const r = launch('npm', ['start', '--silent', '--', '--port', String(port), '--metrics-port', '0', '--loglevel', 'warning', '--maxmemory', '10mb'], { detached: true });
    let gone = false;
    void r.exited.then(() => (gone = true));
    const up = await waitForPing('127.0.0.1', port, 20_000, () => gone);
    expect(up, `npm start did not serve on ${port}; stderr: ${r.stderr()}`).toBe(true);
    const c = await raw(port);
    expect((await c.call('CONFIG', 'GET', 'maxmemory')).toString()).toBe('*2\r\n$9\r\nmaxmemory\r\n$8\r\n10485760\r\n');
    await c.close();
    // Stop the whole process group (npm and the node it started).
    process.kill(-r.child.pid!, 'SIGTERM');
    const timer = setTimeout(() => process.kill(-r.child.pid!, 'SIGKILL'), 10_000);
    await r.exited;
    clearTimeout(timer);
    await expect(RawClient.connect(port, '127.0.0.1', { timeoutMs: 2000 })).rejects.toThrow();
  });
});

describe('the launcher (cli/slabcache.js) gives Node the flags of cli/node-flags.json', () => {
  const LAUNCHER = path.join(ROOT, 'cli', 'slabcache.js');
  const FLAGS = JSON.parse(fs.readFileSync(path.join(ROOT, 'cli', 'node-flags.json'), 'utf8')) as string[];
  const commandLine = (pid: number): string[] => fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');

  async function startLauncher(env: NodeJS.ProcessEnv): Promise<{ r: Running; port: number; serverPid: number }> {
    const port = await freePort();
    const child = spawn(NODE, [LAUNCHER, '--port', String(port), '--metrics-port', '0', '--loglevel', 'warning'], {
      cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env },
    });
    children.push(child);
    let err = '';
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
    let gone = false;
    void exited.then(() => (gone = true));
    expect(await waitForPing('127.0.0.1', port, 20_000, () => gone), `launcher did not serve on ${port}; stderr: ${err}`).toBe(true);
    const c = await raw(port);
    const info = (await c.call('INFO', 'server')).toString();
    const serverPid = Number(/process_id:(\d+)/.exec(info)![1]);
    return { r: { child, stdout: () => '', stderr: () => err, exited }, port, serverPid };
  }

  it.skipIf(process.platform !== 'linux')('relaunches itself in place (same PID) with the flags added before the script', async () => {
    const { r, serverPid } = await startLauncher({ NODE_OPTIONS: '' });
    expect(serverPid).toBe(r.child.pid);
    const argv = commandLine(serverPid);
    expect(argv.slice(1, 1 + FLAGS.length)).toEqual(FLAGS);
    expect(argv[1 + FLAGS.length]).toBe(LAUNCHER);
    expect(await stop(r, 'SIGTERM')).toEqual({ code: 0, signal: null });
  });

  it.skipIf(process.platform !== 'linux')('leaves a flag the user set (here in NODE_OPTIONS, underscore spelling) alone', async () => {
    const name = FLAGS[0].split('=')[0];
    const { r, serverPid } = await startLauncher({ NODE_OPTIONS: `${name.replaceAll('-', '_').replace(/^__/, '--')}=8` });
    expect(serverPid).toBe(r.child.pid);
    expect(commandLine(serverPid).some((a) => a.startsWith(name))).toBe(false);
    expect(await stop(r, 'SIGTERM')).toEqual({ code: 0, signal: null });
  });
});
