/*
 * Scrape stall: how long a /metrics (or /info) request holds up the RESP side, and what
 * scraping costs in throughput. The bound: never more than 1 ms, with 1,000 commands in
 * commandstats and 16 databases, under full load.
 *
 * slabcache runs in this process (databases 16, keys in every database, some with TTLs), so
 * the sidecar's scheduler can report every synchronous slice it runs (its `probe` option): the
 * request handler and each setImmediate turn that formats part of a page. Three sidecars serve
 * the same server, one per page kind so that every slice is attributed: /metrics on a view of
 * the state whose command table and counters hold 1,000 commands, all called (with 40 error
 * prefixes and, when src/metrics.ts keeps them, a latency histogram each); /metrics on the real
 * state (this build's commands); /info on the 1,000-command view.
 *
 * A child process drives the load (C connections spread over the 16 databases, each keeping a
 * batch of P SET/GET in flight) and, in the scraping phases, fetches a page every `interval` ms:
 * the 1,000-command /metrics, and every 8th request the real /metrics or the 1,000-command /info.
 * Phases alternate, load alone then load + scrapes, `rounds` times, so drift favours neither.
 *
 * Reported per page kind: slices (count, p50, p99, worst), how many were preempted (the kernel
 * switched the thread out: nr_involuntary_switches in /proc/thread-self/sched) or overlapped a
 * GC pause, the worst slice that was neither (the sidecar's own work), and server time per
 * page; per phase, RESP ops/s and this process's event-loop delay (1 ms sampling). On a busy
 * machine the wall-clock worst is dominated by preemption, which no code in the process controls.
 *
 *   npx node bench/scrape-stall.ts [--rounds 3] [--seconds 4] [--conns 50] [--pipeline 16] [--keys 10000]
 *                                  [--commands 1000] [--interval 50]
 */
import fs from 'node:fs';
import { monitorEventLoopDelay, PerformanceObserver } from 'node:perf_hooks';
import { spawn } from 'node:child_process';
import { startServer } from '../src/server.ts';
import { startSidecar, type Sidecar, type SliceProbe } from '../src/sidecar.ts';
import { createStats, type ServerState } from '../src/server-state.ts';
import type { CommandEntry, Registry } from '../src/registry.ts';
import { BatchBuilder, RespClient } from './lib/resp-client.ts';
import { freePort, NODE, ROOT } from './lib/servers.ts';
import { commandLine, fmt, printFooter, printHeader, printTable, parseOptions, run } from './lib/report.ts';

const USAGE = `usage: npx node bench/scrape-stall.ts [options]
  --rounds N     load-only / load+scrape phase pairs (default 3)
  --seconds S    length of each phase (default 4)
  --conns C      load connections (default 50)
  --pipeline P   commands in flight per connection (default 16)
  --keys K       keys per database, 16 databases (default 10000)
  --commands N   commands in the synthetic command table (default 1000)
  --interval MS  pause between two page fetches (default 50: 20 pages/s, 300 times
                 Prometheus's default rate; 0: back to back)`;

const DATABASES = 16;

interface ChildConfig {
  port: number;
  conns: number;
  pipeline: number;
  keys: number;
  ms: number;
  /** Fetched in turn for the whole phase, `interval` ms apart; empty: no scraping. */
  urls: string[];
  interval: number;
}

interface ChildResult {
  ops: number;
  pages: number;
  pageBytes: Record<string, number>;
  pageMs: Record<string, number[]>;
}

// ---- the load child ----

async function child(cfg: ChildConfig): Promise<void> {
  const end = Date.now() + cfg.ms;
  let ops = 0;
  const workers: Promise<void>[] = [];
  for (let i = 0; i < cfg.conns; i++) {
    const c = await RespClient.connect(cfg.port);
    await c.call('SELECT', i % DATABASES);
    const b = new BatchBuilder();
    for (let j = 0; j < cfg.pipeline; j++) {
      const key = `key:${(i * 7919 + j * 104729) % cfg.keys}`;
      if (j % 2 === 0) b.command(['SET', key, 'v'.repeat(32)]);
      else b.command(['GET', key]);
    }
    const batch = b.take();
    workers.push((async () => {
      while (Date.now() < end) {
        await c.pipeline(batch, cfg.pipeline);
        ops += cfg.pipeline;
      }
      c.close();
    })());
  }
  const result: ChildResult = { ops: 0, pages: 0, pageBytes: {}, pageMs: {} };
  if (cfg.urls.length > 0) {
    workers.push((async () => {
      for (let k = 0; Date.now() < end; k++) {
        const url = k % 8 === 7 ? cfg.urls[1 + ((k >> 3) % (cfg.urls.length - 1))] : cfg.urls[0];
        const t0 = performance.now();
        const res = await fetch(url);
        const body = await res.text();
        if (res.status !== 200) throw new Error(`${url}: HTTP ${res.status}`);
        (result.pageMs[url] ??= []).push(performance.now() - t0);
        result.pageBytes[url] = Buffer.byteLength(body);
        result.pages++;
        if (cfg.interval > 0) await new Promise((resolve) => setTimeout(resolve, cfg.interval));
      }
    })());
  }
  await Promise.all(workers);
  result.ops = ops;
  process.stdout.write(JSON.stringify(result) + '\n');
}

function runChild(cfg: ChildConfig): Promise<ChildResult> {
  return new Promise((resolve, reject) => {
    const proc = spawn(NODE, ['bench/scrape-stall.ts', '--child', JSON.stringify(cfg)], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    proc.stdout.setEncoding('utf8').on('data', (s: string) => (out += s));
    proc.once('error', reject);
    proc.once('exit', (code) => {
      if (code !== 0) reject(new Error(`load child exited with ${code}`));
      else resolve(JSON.parse(out.trim().split('\n').pop()!) as ChildResult);
    });
  });
}

// ---- the measuring side ----

/** The server's state with a command table and counters of `n` commands, all called. */
function syntheticView(state: ServerState, n: number): ServerState {
  const all: CommandEntry[] = [];
  for (let id = 0; id < n; id++) {
    const fullName = id % 3 === 0 ? `xcommand${id}|subcommand` : `xcommand${id}`;
    all.push({ id, name: fullName, fullName } as unknown as CommandEntry);
  }
  const stats = createStats(n, state.clock.now);
  for (let id = 0; id < n; id++) {
    stats.calls[id] = 1 + Math.floor(Math.random() * 1e9);
    stats.usec[id] = stats.calls[id] * (0.5 + Math.random() * 20);
    stats.rejectedCalls[id] = Math.floor(Math.random() * 1000);
    stats.failedCalls[id] = Math.floor(Math.random() * 1000);
  }
  for (let e = 0; e < 40; e++) stats.errors.set(`ERRTYPE${e}`, Math.floor(Math.random() * 1e6));
  const view = Object.create(state) as ServerState;
  Object.defineProperty(view, 'registry', { value: { all, commands: all } as unknown as Registry });
  Object.defineProperty(view, 'stats', { value: stats });
  // INFO latencystats reads per-command latency histograms (src/metrics.ts, HdrHistogram layout,
  // 3072 counters): give each synthetic command one, its calls spread over 1-30 usec.
  const metrics = (state as unknown as { metrics?: { histograms: unknown[] } }).metrics;
  if (metrics !== undefined) {
    const histograms: Float64Array[] = [];
    const totals = new Float64Array(n);
    for (let id = 0; id < n; id++) {
      const counts = new Float64Array(3072);
      for (let k = 0; k < 8; k++) counts[900 + ((id + k * 37) % 200)] += stats.calls[id] / 8;
      histograms.push(counts);
      totals[id] = stats.calls[id];
    }
    const mv = Object.create(metrics) as object;
    Object.defineProperty(mv, 'histograms', { value: histograms });
    Object.defineProperty(mv, 'histogramTotals', { value: totals });
    Object.defineProperty(view, 'metrics', { value: mv });
  }
  return view;
}

const SCHED = '/proc/thread-self/sched';

/** Times this thread was switched out [involuntarily (preempted), voluntarily (it waited)]. */
function switches(): [number, number] {
  const text = fs.readFileSync(SCHED, 'latin1');
  const inv = /^nr_involuntary_switches\s*:\s*(\d+)/m.exec(text);
  const vol = /^nr_voluntary_switches\s*:\s*(\d+)/m.exec(text);
  return [Number(inv?.[1] ?? NaN), Number(vol?.[1] ?? NaN)];
}

interface Slice {
  at: number;
  ms: number;
  /** The kernel switched this thread out during the slice (time not spent on our work). */
  preempted: boolean;
  /** The thread slept during the slice (waited on a lock, a page, a GC helper thread). */
  waited: boolean;
  /** A garbage collection ran during the slice. */
  gc: boolean;
}

/** [start, end] of every GC pause while the benchmark runs (performance.now() time). */
const gcPauses: [number, number][] = [];
const gcObserver = new PerformanceObserver((list) => {
  for (const e of list.getEntries()) gcPauses.push([e.startTime, e.startTime + e.duration]);
});

/** Mark the slices during which a GC ran (call once the GC entries are in). */
function markGc(slices: Slice[]): void {
  for (const sl of slices) sl.gc = gcPauses.some(([a, b]) => b >= sl.at && a <= sl.at + sl.ms);
}

/** Records every slice while `on`: its wall time, and whether the thread was switched out in it. */
class Recorder implements SliceProbe {
  on = false;
  readonly slices: Slice[] = [];
  private readonly sched = fs.existsSync(SCHED);
  private switches0: [number, number] = [0, 0];
  private at = 0;
  start(): void {
    if (!this.on) return;
    if (this.sched) this.switches0 = switches();
    this.at = performance.now();
  }
  end(ms: number): void {
    if (!this.on) return;
    const [inv, vol] = this.sched ? switches() : this.switches0;
    this.slices.push({ at: this.at, ms, preempted: inv !== this.switches0[0], waited: vol !== this.switches0[1], gc: false });
  }
}

function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

async function populate(port: number, keysPerDb: number): Promise<void> {
  const c = await RespClient.connect(port);
  for (let db = 0; db < DATABASES; db++) {
    await c.call('SELECT', db);
    for (let from = 0; from < keysPerDb; from += 1000) {
      const b = new BatchBuilder();
      for (let i = from; i < Math.min(keysPerDb, from + 1000); i++) {
        // A quarter of the keys get a TTL: most long, some already due (stale until reclaimed).
        if (i % 4 === 0) b.command(['SET', `key:${i}`, 'v'.repeat(32), 'PX', i % 16 === 0 ? 1 : 3_600_000]);
        else b.command(['SET', `key:${i}`, 'v'.repeat(32)]);
      }
      const n = b.count;
      const r = await c.pipeline(b.take(), n);
      if (r.errors > 0) throw r.firstError!;
    }
  }
  c.close();
}

async function main(): Promise<void> {
  const { num } = parseOptions({
    rounds: { type: 'string' },
    seconds: { type: 'string' },
    conns: { type: 'string' },
    pipeline: { type: 'string' },
    keys: { type: 'string' },
    commands: { type: 'string' },
    interval: { type: 'string' },
  }, USAGE);
  const rounds = num('rounds', 3);
  const seconds = num('seconds', 4);
  const conns = num('conns', 50);
  const pipeline = num('pipeline', 16);
  const keys = num('keys', 10_000);
  const commands = num('commands', 1000);
  const interval = num('interval', 50);
  printHeader('Scrape stall: the longest synchronous slice of a metrics page, under load', commandLine('bench/scrape-stall.ts'));

  const server = await startServer({ port: '0', bind: '127.0.0.1', 'metrics-port': '0', loglevel: 'warning', databases: String(DATABASES) });
  const sidecars: Sidecar[] = [];
  try {
    await populate(server.port, keys);
    // One sidecar per page kind, so that each slice is known to belong to one kind.
    const view = syntheticView(server.state, commands);
    const kinds = [
      { label: `/metrics, ${commands} commands`, state: view, path: '/metrics' },
      { label: `/metrics, this build's ${server.state.registry.all.length} commands`, state: server.state, path: '/metrics' },
      { label: `/info, ${commands} commands`, state: view, path: '/info' },
    ];
    const recorders = kinds.map(() => new Recorder());
    const urls: string[] = [];
    for (let i = 0; i < kinds.length; i++) {
      const sidecar = await startSidecar(kinds[i].state, await freePort(), { hosts: ['127.0.0.1'], probe: recorders[i] });
      sidecars.push(sidecar);
      urls.push(`http://127.0.0.1:${sidecar.port}${kinds[i].path}`);
    }
    const setRecording = (on: boolean) => {
      for (const r of recorders) r.on = on;
    };
    const loop = monitorEventLoopDelay({ resolution: 1 });
    gcObserver.observe({ entryTypes: ['gc'] });
    const phases: Record<'load' | 'scrape', { ops: number[]; p99: number[]; max: number[] }> = {
      load: { ops: [], p99: [], max: [] },
      scrape: { ops: [], p99: [], max: [] },
    };
    const pageMs: Record<string, number[]> = {};
    const pageBytes: Record<string, number> = {};
    let pages = 0;
    for (let r = 0; r < rounds; r++) {
      for (const kind of ['load', 'scrape'] as const) {
        process.stderr.write(`\rround ${r + 1}/${rounds}: ${kind === 'load' ? 'load alone    ' : 'load + scrapes'}`);
        loop.reset();
        loop.enable();
        setRecording(kind === 'scrape');
        const res = await runChild({ port: server.port, conns, pipeline, keys, ms: seconds * 1000, urls: kind === 'scrape' ? urls : [], interval });
        setRecording(false);
        loop.disable();
        phases[kind].ops.push(res.ops / seconds);
        phases[kind].p99.push(loop.percentile(99) / 1e6);
        phases[kind].max.push(loop.max / 1e6);
        pages += res.pages;
        for (const [url, ms] of Object.entries(res.pageMs)) (pageMs[url] ??= []).push(...ms);
        Object.assign(pageBytes, res.pageBytes);
      }
    }
    process.stderr.write('\r' + ' '.repeat(40) + '\r');

    console.log(`\n${commands} commands in the synthetic commandstats, ${DATABASES} databases x ${keys} keys, ${conns} connections x pipeline ${pipeline}; ${pages} pages fetched, ${interval} ms apart\n`);
    await new Promise((resolve) => setTimeout(resolve, 100));
    gcObserver.disconnect();
    console.log(`GC pauses during the run: ${gcPauses.length}\n`);
    const rows: (string | number)[][] = [['page', 'fetched', 'bytes', 'median fetch ms', 'slices', 'p50 ms', 'p99 ms', 'worst ms', 'preempted', 'waited', 'with GC', 'worst of none ms', 'server ms per page']];
    const worstOf: number[] = [];
    const worstOwnOf: number[] = [];
    for (let i = 0; i < kinds.length; i++) {
      const list = recorders[i].slices;
      markGc(list);
      const sorted = list.map((x) => x.ms).sort((a, b) => a - b);
      const own = list.filter((x) => !x.preempted && !x.waited && !x.gc).reduce((m, x) => Math.max(m, x.ms), 0);
      const fetched = [...(pageMs[urls[i]] ?? [])].sort((a, b) => a - b);
      worstOf.push(sorted.length > 0 ? sorted[sorted.length - 1] : 0);
      worstOwnOf.push(own);
      rows.push([
        kinds[i].label,
        fetched.length,
        pageBytes[urls[i]] ?? 0,
        fmt(quantile(fetched, 0.5), 2),
        list.length,
        fmt(quantile(sorted, 0.5), 3),
        fmt(quantile(sorted, 0.99), 3),
        fmt(worstOf[i], 3),
        list.filter((x) => x.preempted).length,
        list.filter((x) => x.waited).length,
        list.filter((x) => x.gc).length,
        fmt(own, 3),
        fmt(sorted.reduce((a, b) => a + b, 0) / Math.max(1, fetched.length), 2),
      ]);
    }
    printTable(rows);
    console.log('\nlongest slices, ms (P: preempted, W: waited, G: a GC ran in it):');
    for (let i = 0; i < kinds.length; i++) {
      const top = [...recorders[i].slices].sort((x, y) => y.ms - x.ms).slice(0, 6);
      console.log(`  ${kinds[i].label}: ${top.map((x) => x.ms.toFixed(3) + (x.preempted ? 'P' : '') + (x.waited ? 'W' : '') + (x.gc ? 'G' : '')).join(' ')}`);
    }

    console.log('');
    const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
    printTable([
      ['phase', 'RESP ops/s (median)', 'loop delay p99 ms', 'loop delay max ms'],
      ['load alone', fmt(med(phases.load.ops), 0), fmt(med(phases.load.p99), 2), fmt(Math.max(...phases.load.max), 2)],
      ['load + scrapes', fmt(med(phases.scrape.ops), 0), fmt(med(phases.scrape.p99), 2), fmt(Math.max(...phases.scrape.max), 2)],
    ]);
    const perPage = recorders[0].slices.reduce((t, x) => t + x.ms, 0) / Math.max(1, pageMs[urls[0]]?.length ?? 0);
    console.log(`\nserver time per /metrics page (${commands} commands): ${fmt(perPage, 2)} ms, ${fmt((perPage / 15_000) * 100, 3)}% of one core at Prometheus's default 15 s interval`);
    console.log("(the ops/s of the two phases differ also because the load child fetches and reads the pages itself)");
    const metricsOwn = Math.max(worstOwnOf[0], worstOwnOf[1]);
    const metricsAll = Math.max(worstOf[0], worstOf[1]);
    console.log(`\n/metrics worst synchronous slice: ${fmt(metricsOwn, 3)} ms not preempted, not waiting, no GC (bound: 1 ms); ${fmt(metricsAll, 3)} ms wall clock overall`);
    console.log(`/info    worst synchronous slice: ${fmt(worstOwnOf[2], 3)} ms not preempted, not waiting, no GC; ${fmt(worstOf[2], 3)} ms wall clock overall`);
    console.log('(preempted / waited: the thread was switched out involuntarily / went to sleep during the slice, per');
    console.log(' nr_involuntary_switches / nr_voluntary_switches in /proc/thread-self/sched; GC: a garbage collection');
    console.log(' pause, caused by any allocation in the process, overlapped the slice)');
    printFooter();
  } finally {
    for (const s of sidecars) await s.close();
    await server.close();
  }
}

if (process.argv[2] === '--child') {
  child(JSON.parse(process.argv[3]) as ChildConfig).catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
} else {
  run(main);
}
