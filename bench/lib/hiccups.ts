/*
 * The machine's own hiccups: the longest gaps a bare busy loop sees when nothing else of ours
 * runs. On a virtual machine the hypervisor can stop a vCPU for milliseconds, and the guest
 * cannot see it: to a server it looks like its own time (bench/pauses.ts's "own" stall only
 * subtracts the guest's run-queue wait). A stall shorter than the bare loop's worst gap cannot
 * be told from the machine, so the pause benchmark prints this beside its targets.
 *
 * One child process per CPU (pinned with taskset where it exists), each spinning on
 * performance.now() for `seconds` and reporting its worst gap and the gaps over 1 ms.
 */
import { execFile } from 'node:child_process';
import { cpus } from 'node:os';
import { promisify } from 'node:util';
import { onPath } from './servers.ts';

const run = promisify(execFile);

const LOOP = `
const end = performance.now() + Number(process.argv[1]) * 1000;
let last = performance.now(), worst = 0, over1 = 0;
for (;;) {
  const t = performance.now();
  if (t > end) break;
  const gap = t - last;
  if (gap > worst) worst = gap;
  if (gap > 1) over1++;
  last = t;
}
console.log(JSON.stringify({ worst, over1 }));
`;

export interface Hiccups {
  seconds: number;
  /** Worst gap per CPU, ms (in CPU order). */
  worstMs: number[];
  /** Gaps over 1 ms per CPU. */
  over1ms: number[];
}

/** Spin a bare loop on every CPU at once for `seconds`; the worst gap each saw. */
export async function measureHiccups(seconds: number): Promise<Hiccups> {
  const n = cpus().length;
  const pin = onPath('taskset');
  const results = await Promise.all(
    Array.from({ length: n }, (_, cpu) => {
      const args = ['-e', LOOP, String(seconds)];
      const child = pin ? run('taskset', ['-c', String(cpu), process.execPath, ...args]) : run(process.execPath, args);
      return child.then((r) => JSON.parse(r.stdout) as { worst: number; over1: number });
    }),
  );
  return { seconds, worstMs: results.map((r) => r.worst), over1ms: results.map((r) => r.over1) };
}

export function hiccupLine(h: Hiccups): string {
  const per = h.worstMs.map((w, i) => `CPU ${i} ${w.toFixed(1)} ms (${h.over1ms[i]} gaps over 1 ms)`).join(', ');
  return `machine hiccups: a bare busy loop per CPU, nothing else of ours running, ${h.seconds} s: worst gap ${per}`;
}
