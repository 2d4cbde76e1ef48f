/*
 * The calling thread's run-queue wait: how long it was runnable but waiting for a CPU, from
 * /proc/thread-self/schedstat (second field, ns). Benchmarks subtract it from wall-clock
 * intervals to get "own" times, so a shared machine's preemption does not read as a slow step.
 * The file stays open; each read is one pread of a few dozen bytes.
 */
import fs from 'node:fs';

let schedFd = -1;
try {
  schedFd = fs.openSync('/proc/thread-self/schedstat', 'r');
} catch {
  schedFd = -1;
}
const schedBuf = Buffer.alloc(128);

/** The thread's total run-queue wait so far in ns, or NaN where the kernel does not report it. */
export function runQueueWaitNs(): number {
  if (schedFd < 0) return NaN;
  const n = fs.readSync(schedFd, schedBuf, 0, schedBuf.length, 0);
  const text = schedBuf.toString('latin1', 0, n);
  const a = text.indexOf(' ');
  const b = text.indexOf(' ', a + 1);
  return Number(text.slice(a + 1, b));
}
