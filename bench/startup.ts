/*
 * Start-up time of each way slabcache can run, beside redis-server's: from spawning the
 * process to the first PONG on its port, the median of N runs (default 10).
 *
 *   npm run bench:startup [-- --runs 10]
 *
 * Forms: the TypeScript sources on the pinned Node 24 (type stripping, what `npm start` runs in
 * a checkout, there through the launcher cli/slabcache.js, which first relaunches Node with the
 * flags of cli/node-flags.json: a form of its own), and the built JavaScript (dist/, `npm run
 * build`; what the published package runs) on Node 24 and on the system's Node, when that is a different one. Each run is bounded:
 * a server that does not answer within 10 s fails the run.
 */
import { spawn, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { freePort, whichSync } from '../test/helpers/redis-server.ts';

const root = path.resolve(import.meta.dirname, '..');
const runsIndex = process.argv.indexOf('--runs');
const RUNS = runsIndex > 0 ? Number(process.argv[runsIndex + 1]) : 10;
const DEADLINE_MS = 10_000;

function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('data', (d) => {
      socket.destroy();
      resolve(d.toString() === '+PONG\r\n');
    });
    socket.once('error', () => resolve(false));
  });
}

async function startOnce(command: string, args: (port: number) => string[]): Promise<number> {
  const port = await freePort();
  const started = performance.now();
  const child = spawn(command, args(port), { stdio: 'ignore' });
  try {
    while (performance.now() - started < DEADLINE_MS) {
      if (await ping(port)) return performance.now() - started;
      await new Promise((r) => setTimeout(r, 2));
    }
    throw new Error(`${command} did not answer PING within ${DEADLINE_MS} ms`);
  } finally {
    child.kill('SIGKILL');
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

/** The first `node` on PATH outside node_modules: the machine's own Node. */
function systemNode(): string | null {
  for (const dir of (process.env['PATH'] ?? '').split(path.delimiter)) {
    if (dir.includes('node_modules')) continue;
    const candidate = path.join(dir, 'node');
    if (fs.existsSync(candidate)) return candidate;
  }
  return null;
}

if (!fs.existsSync(path.join(root, 'dist', 'cli', 'main.js'))) execFileSync('npm', ['run', 'build'], { cwd: root, stdio: 'inherit' });
const serverArgs = (port: number) => ['--port', String(port), '--metrics-port', '0', '--loglevel', 'warning'];
const forms: Array<[string, string, (port: number) => string[]]> = [
  [`TypeScript sources, Node ${process.version}`, process.execPath, (p) => [path.join(root, 'cli', 'main.ts'), ...serverArgs(p)]],
  [`built JavaScript, Node ${process.version}`, process.execPath, (p) => [path.join(root, 'dist', 'cli', 'main.js'), ...serverArgs(p)]],
  [`launcher (relaunch + sources), Node ${process.version}`, process.execPath, (p) => [path.join(root, 'cli', 'slabcache.js'), ...serverArgs(p)]],
];
const system = systemNode();
if (system !== null) {
  const version = execFileSync(system, ['--version'], { encoding: 'utf8' }).trim();
  if (version !== process.version) forms.push([`built JavaScript, system Node ${version}`, system, (p) => [path.join(root, 'dist', 'cli', 'main.js'), ...serverArgs(p)]]);
}
const redis = whichSync('redis-server');
if (redis !== null) forms.push(['redis-server', redis, (p) => ['--port', String(p), '--save', '', '--appendonly', 'no']]);

console.log(`start-up to first PONG, median of ${RUNS} runs`);
for (const [name, command, args] of forms) {
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) times.push(await startOnce(command, args));
  console.log(`${name.padEnd(44)} ${median(times).toFixed(0).padStart(6)} ms  (min ${Math.min(...times).toFixed(0)}, max ${Math.max(...times).toFixed(0)})`);
}
