/*
 * The package as a user installs it: `npm pack` (which builds dist/ with tsc), the tarball
 * installed into an empty directory, and run there with the machine's own Node (the first
 * `node` on PATH outside any node_modules; on these machines Node 20, older than the Node 24 the
 * checkout pins). `npx slabcache` must start and answer, `--version` print the version, and a
 * script that imports `startServer` from 'slabcache' must run and then exit by itself.
 *
 * Slow (a build and an install, about 10 s), bounded by the timeouts below.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RawClient } from '../helpers/raw-client.ts';
import { freePort, waitForPing } from '../helpers/redis-server.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');
const VERSION = (JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
/** PATH without node_modules/.bin entries, so `node` and `npx` are the machine's own. */
const SYSTEM_PATH = (process.env['PATH'] ?? '').split(path.delimiter).filter((d) => !d.includes('node_modules')).join(path.delimiter);
const env = { ...process.env, PATH: SYSTEM_PATH, npm_config_update_notifier: 'false', NO_COLOR: '1', FORCE_COLOR: '0' };

let work = '';
let app = '';
let tarball = '';
const children: ChildProcess[] = [];

function systemNodeVersion(): string {
  return execFileSync('node', ['--version'], { env, encoding: 'utf8' }).trim();
}

beforeAll(() => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'slabcache-pack-'));
  const packed = JSON.parse(execFileSync('npm', ['pack', '--json', '--pack-destination', work], { cwd: ROOT, encoding: 'utf8', timeout: 120_000, stdio: ['ignore', 'pipe', 'ignore'] })) as Array<{ filename: string; size: number; files: Array<{ path: string }> }>;
  tarball = path.join(work, packed[0].filename);
  fs.writeFileSync(path.join(work, 'files.json'), JSON.stringify(packed[0].files.map((f) => f.path)));
  app = path.join(work, 'app');
  fs.mkdirSync(app);
  fs.writeFileSync(path.join(app, 'package.json'), JSON.stringify({ name: 'app', private: true, type: 'module' }));
  execFileSync('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error', tarball], { cwd: app, env, timeout: 180_000, stdio: 'ignore' });
}, 300_000);

afterAll(() => {
  for (const child of children) {
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      // the group is already gone
    }
  }
  if (work !== '') fs.rmSync(work, { recursive: true, force: true });
});

/** Each child leads its own process group, so a signal reaches npx and the server it runs, as Ctrl-C does. */
function run(command: string, args: string[]): { child: ChildProcess; out: () => string; exited: Promise<number | null> } {
  const child = spawn(command, args, { cwd: app, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  children.push(child);
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, out: () => out, exited };
}

describe(`the packed tarball, installed into an empty directory`, () => {
  it('ships the built JavaScript, its types, the launcher and the sample config, and no TypeScript sources or tests', () => {
    const files = JSON.parse(fs.readFileSync(path.join(work, 'files.json'), 'utf8')) as string[];
    for (const f of ['cli/slabcache.js', 'cli/node-flags.json', 'dist/src/index.js', 'dist/src/index.d.ts', 'dist/cli/main.js', 'dist/src/commands/redis-command-meta.json', 'redis.conf', 'README.md', 'package.json']) {
      expect(files, f).toContain(f);
    }
    expect(files.filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts') && !f.startsWith('examples/'))).toEqual([]);
    expect(files.filter((f) => f.startsWith('test/') || f.startsWith('bench/'))).toEqual([]);
  });

  it(`\`npx slabcache --version\` on the system Node`, async () => {
    const { out, exited } = run('npx', ['slabcache', '--version']);
    expect(await exited).toBe(0);
    expect(out().trim()).toBe(VERSION);
  }, 30_000);

  it('`npx slabcache --port P` starts on the system Node, answers, and stops on SIGTERM', async () => {
    const port = await freePort();
    const { child, out, exited } = run('npx', ['slabcache', '--port', String(port), '--metrics-port', '0']);
    let gone = false;
    void exited.then(() => (gone = true));
    expect(await waitForPing('127.0.0.1', port, 20_000, () => gone), out()).toBe(true);
    const client = await RawClient.connect(port);
    expect((await client.call('SET', 'k', 'v')).toString()).toBe('+OK\r\n');
    expect((await client.call('EVAL', "return redis.call('get', 'k')", '0')).toString()).toBe('$1\r\nv\r\n');
    expect((await client.call('INFO', 'server')).toString()).toContain('redis_version:7.0.15');
    await client.close();
    // The whole group gets SIGTERM, as from Ctrl-C: the server exits 0; npx may report the signal.
    process.kill(-child.pid!, 'SIGTERM');
    expect([0, null]).toContain(await exited);
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline && (await waitForPing('127.0.0.1', port, 200))) await new Promise((r) => setTimeout(r, 100));
    expect(await waitForPing('127.0.0.1', port, 200)).toBe(false);
  }, 30_000);

  it(`\`import { startServer } from 'slabcache'\` runs on the system Node and the process exits by itself`, async () => {
    fs.writeFileSync(path.join(app, 'embed.mjs'), `
      import net from 'node:net';
      import { startServer } from 'slabcache';
      const server = await startServer({ maxmemory: '10mb' });
      const reply = await new Promise((resolve, reject) => {
        const socket = net.connect(server.port, server.host, () => socket.write('SET a 1\\r\\nINCR a\\r\\n'));
        let data = '';
        socket.on('data', (d) => { data += d; if (data.endsWith(':2\\r\\n')) { socket.end(); resolve(data); } });
        socket.on('error', reject);
      });
      await server.close();
      console.log(JSON.stringify({ url: server.url.replace(/\\d+$/, 'PORT'), reply, node: process.version }));
    `);
    const { out, exited } = run('node', ['embed.mjs']);
    const killer = setTimeout(() => children.at(-1)!.kill('SIGKILL'), 20_000);
    const code = await exited;
    clearTimeout(killer);
    expect(code, out()).toBe(0);
    expect(JSON.parse(out())).toEqual({ url: 'redis://127.0.0.1:PORT', reply: '+OK\r\n:2\r\n', node: systemNodeVersion() });
  }, 30_000);

  it("the README's vitest example (globalSetup + BullMQ/ioredis) passes against the installed package", async () => {
    const dev = (JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { devDependencies: Record<string, string> }).devDependencies;
    execFileSync('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error', ...['vitest', 'bullmq', 'ioredis'].map((p) => `${p}@${dev[p]}`)], { cwd: app, env, timeout: 180_000, stdio: 'ignore' });
    fs.cpSync(path.join(ROOT, 'examples', 'vitest'), path.join(app, 'example'), { recursive: true });
    const { out, exited } = run('npx', ['vitest', 'run', '--root', 'example']);
    const killer = setTimeout(() => children.at(-1)!.kill('SIGKILL'), 60_000);
    const code = await exited;
    clearTimeout(killer);
    expect(code, out()).toBe(0);
    expect(out()).toMatch(/Tests\s+2 passed/);
  }, 240_000);
});
