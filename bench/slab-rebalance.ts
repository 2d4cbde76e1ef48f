/*
 * Slab page reassignment micro-benchmark: the allocator alone, no keyspace, no server.
 *
 * Fills one SlabAllocator (1 MiB pages) with N chunks of one size class (default 5,000,000
 * chunks of 56 bytes), frees a random 90% of them (a mass expiry), then calls rebalanceStep()
 * until it has nothing left to do, timing each call. Prints the slowest batch of 4,096 free()
 * calls and the worst, p99 and median rebalanceStep() call in ms, with the pages the class held
 * before and after. Each run does this twice: with no deadline (one whole page per call: the
 * cost of a page) and with the deadline the store's maintenance passes (--budget-ms, default
 * 2.5 ms, the server's maintenanceBudgetMs at active-expire-effort 1). The owners' locations are
 * kept as the keyspace keeps them (onMove) and checked at the end. Bounded; stops by itself.
 *
 * Times are "own" times: wall time minus the time the thread waited in the kernel's run queue
 * (bench/lib/schedstat.ts), so that on a shared machine a call preempted by other
 * processes does not read as slow (as bench/lib/pause-probe-server.ts does); wall-clock worsts
 * are printed beside them.
 *
 *   npx node bench/slab-rebalance.ts [--chunks 5000000] [--size 56] [--free 0.9] [--budget-ms 2.5] [--seed 1]
 */
import { SlabAllocator } from '../store/slab-allocator.ts';
import { Rng, permutation } from './lib/prng.ts';
import { runQueueWaitNs } from './lib/schedstat.ts';

function option(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0) return fallback;
  const v = Number(process.argv[i + 1]);
  if (!Number.isFinite(v)) throw new Error(`--${name} needs a number`);
  return v;
}

const N = option('chunks', 5_000_000);
const SIZE = option('size', 56);
const FREE = option('free', 0.9);
const BUDGET = option('budget-ms', 2.5);
const SEED = option('seed', 1);

function quantile(sorted: Float64Array, q: number): number {
  return sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

/** The thread's total run-queue wait in ms, 0 where the kernel does not report it. */
function runQueueMs(): number {
  const ns = runQueueWaitNs();
  return Number.isNaN(ns) ? 0 : ns / 1e6;
}

const FREE_BATCH = 4096;

function run(budgetMs: number): void {
  const a = new SlabAllocator(1 << 20, 1.25);
  const loc = new Float64Array(N);
  a.onMove = (owner, newLoc) => {
    loc[owner] = newLoc;
  };
  for (let i = 0; i < N; i++) {
    const l = a.alloc(SIZE, i);
    if (l < 0) throw new Error('out of memory while filling');
    loc[i] = l;
  }
  const c = a.classFor(SIZE);
  const pagesFull = a.pagesOfClass(c);
  const order = permutation(N, new Rng(SEED));
  const nFree = Math.floor(N * FREE);
  const live = new Uint8Array(N).fill(1);
  let worstFreeOwn = 0;
  let worstFreeWall = 0;
  const f0 = performance.now();
  for (let i = 0; i < nFree; i += FREE_BATCH) {
    const end = Math.min(nFree, i + FREE_BATCH);
    const q = runQueueMs();
    const t = performance.now();
    for (let j = i; j < end; j++) {
      const owner = order[j];
      a.free(loc[owner]);
      live[owner] = 0;
    }
    const wall = performance.now() - t;
    worstFreeWall = Math.max(worstFreeWall, wall);
    worstFreeOwn = Math.max(worstFreeOwn, wall - (runQueueMs() - q));
  }
  const freeTotal = performance.now() - f0;
  const own: number[] = [];
  let worstWall = 0;
  const r0 = performance.now();
  for (;;) {
    const q = runQueueMs();
    const t = performance.now();
    const more = a.rebalanceStep(budgetMs > 0 ? t + budgetMs : Infinity);
    const wall = performance.now() - t;
    worstWall = Math.max(worstWall, wall);
    own.push(wall - (runQueueMs() - q));
    if (!more) break;
  }
  const rebalanceTotal = performance.now() - r0;
  let bad = 0;
  for (let i = 0; i < N; i++) if (live[i] === 1 && a.ownerOf(loc[i]) !== i) bad++;
  if (bad > 0) throw new Error(`${bad} live chunks lost their owner`);
  const sorted = Float64Array.from(own).sort();
  const mode = budgetMs > 0 ? `deadline ${budgetMs} ms` : 'no deadline';
  const ms = (x: number) => x.toFixed(3);
  console.log(
    `${mode}: ${N - nFree} of ${N} chunks of ${a.classSize[c]} B live; frees: worst ${FREE_BATCH}-free batch ${ms(worstFreeOwn)} ms own (${ms(worstFreeWall)} wall), ` +
      `all ${nFree} frees ${freeTotal.toFixed(0)} ms wall; ${own.length} rebalanceStep calls: worst ${ms(sorted[sorted.length - 1])} ms own (${ms(worstWall)} wall), ` +
      `p99 ${ms(quantile(sorted, 0.99))}, median ${ms(quantile(sorted, 0.5))}, all ${rebalanceTotal.toFixed(0)} ms wall; class pages ${pagesFull} -> ${a.pagesOfClass(c)}`,
  );
}

run(0);
run(BUDGET);
