/*
 * Runs the fuzzed slabcache in a child process (server-child.ts) and watches it: an exit
 * before stop() is a crash (its code or signal and the last lines it printed are kept), a log
 * line naming an internal error is a contained fault (counted: the server caught something it
 * should never throw), and its resident set size is sampled from /proc/<pid>/status so the
 * run's peak RSS can be checked against a bound.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const CHILD_MAIN = path.join(path.dirname(fileURLToPath(import.meta.url)), 'server-child.ts');
const TAIL_LINES = 40;

export interface ChildServer {
  host: string;
  port: number;
  pid: number;
  /** Set once the process exits without stop(): how it ended and its last output. */
  crash: string | null;
  /** Log lines reporting an internal error (a fault caught at a batch boundary). */
  readonly internalErrors: string[];
  /** Peak VmRSS seen so far, in bytes (sampled every 200 ms, and on demand). */
  peakRss: number;
  sampleRss(): number;
  stop(): Promise<void>;
}

export function readRss(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'latin1'));
    return m === null ? 0 : Number(m[1]) * 1024;
  } catch {
    return 0;
  }
}

/** `nodeFlags` go to the child's node (e.g. --max-semi-space-size=16, to measure RSS under it). */
export function startChildServer(directives: Record<string, string> = {}, nodeFlags: readonly string[] = []): Promise<ChildServer> {
  const child: ChildProcess = spawn(process.execPath, [...nodeFlags, CHILD_MAIN, JSON.stringify(directives)], {
    stdio: ['ignore', 'pipe', 'pipe'],
    cwd: fs.mkdtempSync(path.join(process.env['TMPDIR'] ?? '/tmp', 'slabcache-fuzz-')),
  });
  const tail: string[] = [];
  let stopping = false;
  return new Promise((resolve, reject) => {
    let handle: ChildServer | null = null;
    let pending = '';
    const onLine = (line: string): void => {
      tail.push(line);
      if (tail.length > TAIL_LINES) tail.shift();
      if (handle === null) {
        const m = /^PORT (\d+)$/.exec(line);
        if (m !== null) {
          handle = makeHandle(Number(m[1]));
          resolve(handle);
        }
      } else if (line.startsWith('MEM ')) {
        if (process.env['FUZZ_MEMLOG'] !== undefined) console.log(`  slabcache ${line}`);
      } else if (/internal error/i.test(line)) {
        handle.internalErrors.push(line);
      }
    };
    const onData = (d: Buffer): void => {
      pending += d.toString('utf8');
      let nl: number;
      while ((nl = pending.indexOf('\n')) >= 0) {
        onLine(pending.slice(0, nl));
        pending = pending.slice(nl + 1);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    const timer = setInterval(() => handle?.sampleRss(), 200);
    timer.unref();
    child.once('exit', (code, signal) => {
      clearInterval(timer);
      if (pending !== '') onLine(pending);
      const how = `slabcache exited (code ${code}, signal ${signal}); last output:\n${tail.join('\n')}`;
      if (handle === null) reject(new Error(how));
      else if (!stopping) handle.crash = how;
    });
    const makeHandle = (port: number): ChildServer => {
      const h: ChildServer = {
        host: '127.0.0.1',
        port,
        pid: child.pid!,
        crash: null,
        internalErrors: [],
        peakRss: 0,
        sampleRss() {
          const rss = readRss(child.pid!);
          if (rss > h.peakRss) h.peakRss = rss;
          return rss;
        },
        stop() {
          stopping = true;
          if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
          return new Promise<void>((done) => {
            const kill = setTimeout(() => child.kill('SIGKILL'), 5000);
            child.once('exit', () => {
              clearTimeout(kill);
              done();
            });
            child.kill('SIGTERM');
          });
        },
      };
      return h;
    };
  });
}
