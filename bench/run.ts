/*
 * `npm run bench`: whole-server load, slabcache side by side with redis-server and with the
 * do-nothing Node floor.
 *
 * Starts slabcache (node_modules/.bin/node cli/main.ts), redis-server when it is on PATH,
 * with the same configuration (127.0.0.1, free ports, no persistence, maxclients 10000), and
 * the floor (bench/floor-server.ts: parses RESP, answers constant replies: what Node itself
 * allows), each pinned (bench/harness/processes.ts says where, and where the load generator
 * goes); preloads 100,000 keys with 32-byte values (and the workloads' own preloads) into
 * each, warms each up, then runs every workload of bench/harness/workloads.ts against each in
 * interleaved rounds (round 1: slabcache, redis, floor for each workload; round 2 the reverse
 * order, ...), so a machine that drifts cannot favour one side. Load: redis-benchmark, and
 * memtier_benchmark for the workloads that name it when it is on PATH (else their
 * redis-benchmark fallback; the output and the JSON say which ran), and the harness's own
 * bench/load-gen.ts for PUBLISH fan-out, MULTI/EXEC and BullMQ add+process (EVALSHA and these
 * three not on the floor). Bounded: rounds by --rounds, the whole run by --max-seconds (no round starts that would not finish in time),
 * each load run by a timeout.
 *
 * Prints a progress line per run (stderr), then a table of medians: ops/s, p50/p99/p99.9
 * latency as the client sees it, and server CPU time per operation (/proc/PID/stat, all
 * threads: steadier than ops/s on a shared machine), with the ratios slabcache/redis-server
 * and slabcache/floor and the issue's targets. Writes bench/results/load-<date>.json (and
 * load-latest.json), bench/results/load.svg, and with --readme the README's load section.
 *
 * --profile instead runs slabcache alone under node --cpu-prof with the pipeline-16 SET and
 * GET load, prints the functions with the most self time, and writes those tables (top 20
 * by function, file and area) to bench/results/profile-<date>.json (and profile-latest.json).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { summariseProfile } from './harness/cpu-profile.ts';
import { isMeasurement, measure, type LoadTool, type Outcome } from './harness/measure.ts';
import { parseMemtierVersion } from './harness/memtier-output.ts';
import {
  allowedCpus, cpuSeconds, openFileLimit, placement, startServer, tasksetAvailable, toolVersion,
  type LoadServer, type Placement, type StartedServer,
} from './harness/processes.ts';
import {
  machineText, printResults, resultsFromRecord, workloadRecord, writeChart, writeJson, writeProfileJson, writeReadme,
  type LoadRecord, type MachineInfo, type ProfileRecord, type ServerRecord,
} from './harness/output.ts';
import { checkTargets, SERVER_LABEL, summarise, type WorkloadResult } from './harness/summary.ts';
import {
  BULLMQ, FANOUT, KEYSPACE, MEMTIER_KEY_MAX, MEMTIER_KEY_MIN, MULTI_EXEC, namesMemtier, requestsFor, runSeconds, VALUE_BYTES, warmupRequests, WORKLOADS,
  type Workload,
} from './harness/workloads.ts';
import { loadKeys, pipelineCommands } from './lib/load.ts';
import { cpuModel, loadLine, parseOptions, printTable, run } from './lib/report.ts';
import { RespClient } from './lib/resp-client.ts';
import { NODE, onPath, processMemory, ROOT } from './lib/servers.ts';

const LOAD_GEN_LINE =
  `PUBLISH fan-out, MULTI/EXEC and BullMQ: bench/load-gen.ts (node:net, pinned like the other generators; fan-out: ${FANOUT.subscribers} subscribers, ${FANOUT.pipeline} PUBLISH in flight, ` +
  `at most ${FANOUT.window} messages not yet received by all, ${FANOUT.payloadBytes}-byte payloads; MULTI/EXEC: ${MULTI_EXEC.connections} connections, ` +
  `${MULTI_EXEC.pipeline} transaction of ${MULTI_EXEC.sets} SETs in flight on each); BullMQ add+process: bench/load-gen.ts bullmq (BullMQ's Queue, ` +
  `${BULLMQ.window} add() calls in flight, and a Worker of concurrency ${BULLMQ.concurrency} in the same process); not run on the floor`;

const USAGE = `npm run bench -- [options]

  --quick              3 rounds of ~0.6 s runs (the default memtier run 1 s), whole run bounded to 300 s
  --rounds <n>         interleaved rounds (default 7; quick 3)
  --seconds <s>        target duration of each measured run (default 2; quick 0.6)
  --max-seconds <s>    bound on the whole run; no round starts that would overrun it (default 1500; quick 300)
  --only <ids>         comma-separated workload ids (${WORKLOADS.map((w) => w.id).join(', ')})
  --servers <list>     any of redis,slabcache,floor (default all three; redis only when redis-server is on PATH;
                       floor = the do-nothing Node server bench/floor-server.ts)
  --node-flags=<flags> extra Node flags for slabcache, space-separated (e.g. --node-flags=--max-semi-space-size=32)
  --no-memtier         run the workloads that name memtier_benchmark on their redis-benchmark fallback even
                       when memtier_benchmark is on PATH
  --out <dir>          results directory (default bench/results)
  --from <json>        no measuring: print the table, write the chart (and with --readme the README) from a saved run
  --readme             write the table and chart reference into README.md (between the bench:load markers)
  --profile            profile slabcache (node --cpu-prof) under load instead: one server per workload,
                       the pipeline-16 SET and GET unless --only names others
  --profile-seconds <s>  seconds of each profiled load (default 10)
  -h, --help`;

const opts = parseOptions(
  {
    quick: { type: 'boolean' },
    rounds: { type: 'string' },
    seconds: { type: 'string' },
    'max-seconds': { type: 'string' },
    only: { type: 'string' },
    servers: { type: 'string' },
    'no-memtier': { type: 'boolean' },
    'node-flags': { type: 'string' },
    from: { type: 'string' },
    out: { type: 'string' },
    readme: { type: 'boolean' },
    profile: { type: 'boolean' },
    'profile-seconds': { type: 'string' },
  },
  USAGE,
);

const started = performance.now();
const elapsed = () => (performance.now() - started) / 1000;

function progress(text: string): void {
  process.stderr.write(`[${elapsed().toFixed(0).padStart(4)}s] ${text}\n`);
}

/** How this run was started, for the record: `npm run bench -- ...` or `node bench/run.ts ...`. */
function exactCommand(): string {
  const args = process.argv.slice(2).join(' ');
  if (process.env.npm_lifecycle_event === 'bench') return `npm run bench${args === '' ? '' : ' -- ' + args}`;
  return `node bench/run.ts${args === '' ? '' : ' ' + args}`;
}

function nodeFlags(): string[] {
  return opts.str('node-flags', '').split(/\s+/).filter((f) => f !== '');
}

function version(cmd: string, args: string[], pattern: RegExp): string | null {
  return toolVersion(cmd, args, pattern);
}

function machineInfo(): MachineInfo {
  return {
    nproc: os.availableParallelism(),
    allowedCpus: allowedCpus(),
    cpuModel: cpuModel(),
    memoryBytes: os.totalmem(),
    os: os.type(),
    kernel: os.release(),
    node: version(NODE, ['--version'], /v(\S+)/),
    redisServer: onPath('redis-server') ? version('redis-server', ['--version'], /v=(\S+)/) : null,
    redisBenchmark: onPath('redis-benchmark') ? version('redis-benchmark', ['--version'], /redis-benchmark (\S+)/) : null,
    memtierBenchmark: onPath('memtier_benchmark') ? memtierVersion() : null,
    openFileLimit: openFileLimit(),
    loadAverageStart: os.loadavg(),
  };
}

function memtierVersion(): string | null {
  const text = version('memtier_benchmark', ['--version'], /^(memtier_benchmark .*)$/m);
  return text === null ? null : parseMemtierVersion(text);
}

/** Which of `names` the server knows (COMMAND INFO answers nil for an unknown command). */
async function supported(port: number, names: string[]): Promise<Set<string>> {
  const c = await RespClient.connect(port);
  try {
    const reply = await c.call('COMMAND', 'INFO', ...names);
    const known = new Set<string>();
    if (Array.isArray(reply)) reply.forEach((entry, i) => Array.isArray(entry) && known.add(names[i]));
    return known;
  } finally {
    c.close();
  }
}

/**
 * 100,000 keys "key:000000000000".. (redis-benchmark's names), for memtier "key:1".."key:100000"
 * too, and each workload's own preload (lrange:mylist, myhash). Bounded: every pipeline has
 * a timeout; any error reply fails the run.
 */
async function preload(port: number, memtierKeys: boolean, workloads: readonly Workload[]): Promise<string[]> {
  const done: string[] = [];
  const c = await RespClient.connect(port);
  const check = (what: string, stats: { errors: number; firstError: Error | null }) => {
    if (stats.errors > 0) throw new Error(`preload ${what}: ${stats.errors} commands failed: ${stats.firstError?.message}`);
  };
  try {
    await loadKeys(c, KEYSPACE, { valueLen: VALUE_BYTES, timeoutMs: 300_000 });
    done.push(`${KEYSPACE.toLocaleString('en-US')} keys (${VALUE_BYTES}-byte values)`);
    if (memtierKeys) {
      const value = 'v'.repeat(VALUE_BYTES);
      const n = MEMTIER_KEY_MAX - MEMTIER_KEY_MIN + 1;
      check('memtier keys', await pipelineCommands(c, n, (b, i) => b.command(['SET', `key:${MEMTIER_KEY_MIN + i}`, value]), { timeoutMs: 300_000 }));
      done.push(`memtier's key:${MEMTIER_KEY_MIN}..key:${MEMTIER_KEY_MAX}`);
    }
    for (const w of workloads) {
      const p = w.preload;
      if (p === undefined || done.includes(p.what)) continue;
      check(p.what, await pipelineCommands(c, p.count, (b, i) => b.command(p.command(i)), { timeoutMs: 300_000 }));
      for (const k of p.check ?? []) {
        const reply = await withTimeout(c.call(...k.command), 30_000, `preload ${p.what}: ${k.command[0]}`);
        if (reply !== k.reply) throw new Error(`preload ${p.what}: ${k.command.slice(0, 2).join(' ')} answered ${String(reply).slice(0, 100)}, expected ${k.reply.slice(0, 100)}`);
      }
      done.push(p.what);
    }
  } finally {
    c.close();
  }
  return done;
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const t = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no reply in ${ms} ms`)), ms);
  });
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}

function fmtOps(x: number): string {
  return Math.round(x).toLocaleString('en-US');
}

function describe(o: Outcome): string {
  if (!isMeasurement(o)) return `failed: ${o.error.split('\n')[0].slice(0, 300)}`;
  const gen = o.generator === undefined ? '' : `  srv cpu ${o.cpuPercent.toFixed(0)}% gen cpu ${o.generator.cpuPercent.toFixed(0)}%${o.generator.stoppedBy === 'time' ? ' (stopped by time)' : ''}`;
  return `${fmtOps(o.rps).padStart(11)} ops/s  p50 ${o.p50.toFixed(3)}  p99 ${o.p99.toFixed(3)}  p99.9 ${o.p999.toFixed(3)} ms  cpu ${o.cpuUsPerOp.toFixed(2)} us/op  waited srv ${o.serverWaitPercent.toFixed(0)}% gen ${o.clientWaitPercent.toFixed(0)}%${gen}`;
}

/** The load generator of a workload: load-gen for its own, memtier_benchmark for those that name it when it may run. */
function toolFor(w: Workload, memtier: boolean): LoadTool {
  if (w.generator !== undefined) return 'load-gen';
  return memtier && namesMemtier(w) ? 'memtier_benchmark' : 'redis-benchmark';
}

/**
 * The `seconds` argument of measure() for a run of `w` meant to last `s` seconds: memtier's
 * --test-time for the default memtier run, the target duration for load-gen (its time
 * bound is a multiple of it), else undefined (redis-benchmark and memtier ratio runs are
 * sized by requests).
 */
function secondsArg(w: Workload, tool: LoadTool, s: number): number | undefined {
  if (tool === 'load-gen') return s;
  return w.memtierDefault === true && tool === 'memtier_benchmark' ? Math.max(1, Math.round(s)) : undefined;
}

/** Rows of the profile's self-time tables. */
const PROFILE_TOP = 20;

async function profileMode(outDir: string, place: Placement, machine: MachineInfo, command: string): Promise<void> {
  const seconds = opts.num('profile-seconds', 10);
  const profDir = path.join(outDir, 'profile');
  fs.mkdirSync(profDir, { recursive: true });
  const only = opts.str('only', 'set-p16,get-p16').split(',').map((x) => x.trim());
  for (const id of only) if (!WORKLOADS.some((w) => w.id === id)) throw new Error(`--only: unknown workload '${id}'`);
  const ws = WORKLOADS.filter((w) => only.includes(w.id));
  const memtier = machine.memtierBenchmark !== null && !opts.flag('no-memtier');
  const record: ProfileRecord = {
    benchmark: 'slabcache CPU profile under load (npm run bench -- --profile)',
    date: new Date().toISOString(),
    command,
    machine,
    placement: place,
    profileSeconds: seconds,
    slabcacheNodeFlags: nodeFlags(),
    top: PROFILE_TOP,
    workloads: [],
  };
  for (const w of ws) {
    // One server per workload, so each profile holds one load.
    const before = new Set(fs.readdirSync(profDir));
    const server = await startServer('slabcache', {
      cpu: place.server.slabcache,
      nodeFlags: [...nodeFlags(), '--cpu-prof', '--cpu-prof-interval', '250', '--cpu-prof-dir', profDir],
    });
    const p = server.process;
    const tool = toolFor(w, memtier);
    progress(`profiling ${w.label} (${tool}): ${server.command}`);
    await preload(p.port, tool === 'memtier_benchmark', [w]);
    const loadCpu = place.loadFor.slabcache;
    const testSeconds = secondsArg(w, tool, seconds);
    const warm = await measure(w, tool, p.pid, p.port, loadCpu, warmupRequests(w, 1), 120_000, secondsArg(w, tool, 1));
    const o = await measure(w, tool, p.pid, p.port, loadCpu, requestsFor(w, isMeasurement(warm) ? warm.rps : NaN, seconds), (seconds * 10 + 60) * 1000, testSeconds);
    progress(`profile  ${w.label.padEnd(18)} ${describe(o)}`);
    await p.stop();
    const file = fs.readdirSync(profDir).filter((f) => f.endsWith('.cpuprofile') && !before.has(f)).map((f) => path.join(profDir, f))[0];
    if (file === undefined) throw new Error(`no .cpuprofile written to ${profDir}`);
    const s = summariseProfile(file, ROOT, PROFILE_TOP);
    console.log(`\n## ${w.label}: ${path.relative(ROOT, file)}`);
    console.log(`${s.seconds.toFixed(1)} s, ${s.samples} samples (start-up, preload and warm-up included); main thread idle ${s.idlePercent.toFixed(1)}%; shares below are of the busy time`);
    console.log('\nself time by area:');
    printTable([['self %', 'self ms', 'area'], ...s.byArea.map((f) => [f.percent.toFixed(1), f.ms.toFixed(0), f.name])]);
    console.log(`\nself time by function (top ${PROFILE_TOP}):`);
    printTable([['self %', 'self ms', 'function'], ...s.byFunction.map((f) => [f.percent.toFixed(1), f.ms.toFixed(0), f.name])]);
    record.workloads.push({
      id: w.id,
      label: w.label,
      tool,
      server: server.command,
      load: o,
      profileFile: path.relative(ROOT, file),
      seconds: s.seconds,
      samples: s.samples,
      idlePercent: s.idlePercent,
      byArea: s.byArea,
      byFunction: s.byFunction,
      byFile: s.byFile,
    });
  }
  record.machine.loadAverageEnd = os.loadavg();
  const jsonFile = writeProfileJson(record, outDir);
  console.log(`\nwrote ${path.relative(ROOT, jsonFile)} (self-time tables, top ${PROFILE_TOP}, and the load figures of each profiled run)`);
}

async function main(): Promise<void> {
  const quick = opts.flag('quick');
  // Three servers and 23 workloads: 64 runs a round (the floor runs none of the load-gen workloads nor EVALSHA; quick: about 55-75 s a
  // round on 2 shared vCPUs, warm-up as long; a round that would pass --max-seconds does not start).
  const rounds = Math.max(1, Math.floor(opts.num('rounds', quick ? 3 : 7)));
  const seconds = opts.num('seconds', quick ? 0.6 : 2);
  const maxSeconds = opts.num('max-seconds', quick ? 300 : 1500);
  const warmScale = quick ? 0.6 : 1;
  const outDir = path.resolve(ROOT, opts.str('out', 'bench/results'));
  const command = exactCommand();
  const from = opts.str('from', '');
  if (from !== '') {
    fromRecord(path.resolve(from), outDir);
    return;
  }

  if (!onPath('redis-benchmark')) throw new Error('redis-benchmark is not on PATH (Debian/Ubuntu: apt-get install redis-tools)');
  const machine = machineInfo();
  const place = placement(machine.allowedCpus, tasksetAvailable());

  console.log('# slabcache whole-server load benchmark');
  console.log(`machine: ${machineText(machine)}`);
  console.log(`command: ${command}`);
  console.log(`placement: ${place.description}`);
  console.log(`started: ${new Date().toISOString()}, ${loadLine()}`);

  if (opts.flag('profile')) {
    await profileMode(outDir, place, machine, command);
    return;
  }

  const wanted = opts.str('servers', 'redis,slabcache,floor').split(',').map((s) => s.trim()).filter((s) => s !== '');
  for (const k of wanted) if (k !== 'redis' && k !== 'slabcache' && k !== 'floor') throw new Error(`--servers: unknown server '${k}' (redis, slabcache, floor)`);
  const kinds: LoadServer[] = [];
  if (wanted.includes('slabcache')) kinds.push('slabcache');
  if (wanted.includes('redis')) {
    if (machine.redisServer === null) console.log('redis-server is not on PATH: no slabcache/redis ratios');
    else kinds.push('redis');
  }
  if (wanted.includes('floor')) kinds.push('floor');
  if (kinds.length === 0) throw new Error('--servers names no server that can run');
  if (machine.redisServer !== null && kinds.includes('redis') && !/^[7-9]\./.test(machine.redisServer)) {
    console.log(`warning: redis-server ${machine.redisServer} is not version 7`);
  }
  const memtier = machine.memtierBenchmark !== null && !opts.flag('no-memtier');
  const fallbackReason = memtier
    ? undefined
    : machine.memtierBenchmark === null
      ? 'memtier_benchmark is not on PATH: the workloads that name it ran on their redis-benchmark fallback'
      : '--no-memtier: the workloads that name memtier_benchmark ran on their redis-benchmark fallback';
  console.log(
    `load: redis-benchmark ${machine.redisBenchmark}; SET:GET 1:10 mixes and the default memtier run: ${
      memtier
        ? `memtier_benchmark ${machine.memtierBenchmark}`
        : `redis-benchmark fallback (${fallbackReason}): a SET and a GET redis-benchmark side by side (5 + 50 connections for the mixes, 18 + 182 for the default run; requests 1:10)`
    }`,
  );
  console.log(`${LOAD_GEN_LINE}`);

  const only = opts.str('only', '');
  const onlyIds = only === '' ? null : new Set(only.split(',').map((s) => s.trim()));
  if (onlyIds !== null) for (const id of onlyIds) if (!WORKLOADS.some((w) => w.id === id)) throw new Error(`--only: unknown workload '${id}'`);
  const workloads = WORKLOADS.filter((w) => onlyIds === null || onlyIds.has(w.id));

  // Start the servers; each keeps its core for the whole run.
  const servers = new Map<LoadServer, StartedServer>();
  for (const kind of kinds) {
    const s = await startServer(kind, { cpu: place.server[kind], nodeFlags: kind === 'slabcache' ? nodeFlags() : [] });
    servers.set(kind, s);
    progress(`started ${SERVER_LABEL[kind]} (pid ${s.process.pid}, port ${s.process.port}): ${s.command}`);
  }
  const slabVersion = (JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;

  try {
    const results: WorkloadResult[] = workloads.map((w) => {
      const skipped: Partial<Record<LoadServer, string>> = {};
      for (const kind of kinds) if (w.notOn?.[kind] !== undefined) skipped[kind] = w.notOn[kind];
      return { workload: w, requests: 0, skipped, rounds: { redis: [], slabcache: [], floor: [] }, median: {} };
    });
    const toolOf = (w: Workload): LoadTool => toolFor(w, memtier);
    const secondsOf = (w: Workload): number => runSeconds(w, seconds, quick);
    /** measure()'s `seconds` for a run of `w` lasting `s` seconds: memtier's --test-time (the default run), load-gen's target, else undefined. */
    const testTime = (w: Workload, s: number): number | undefined => secondsArg(w, toolOf(w), s);

    // What each server supports, and whether there are file descriptors for the connections.
    const needs = [...new Set(workloads.flatMap((w) => w.needs))];
    for (const [kind, s] of servers) {
      const known = await supported(s.process.port, needs);
      for (const r of results) {
        const missing = r.workload.needs.filter((n) => !known.has(n));
        if (missing.length > 0) r.skipped[kind] = `${missing.join(', ').toUpperCase()} not supported`;
      }
    }
    for (const r of results) {
      const need = r.workload.connections + 64;
      if (machine.openFileLimit < need) for (const kind of kinds) r.skipped[kind] ??= `open-file limit ${machine.openFileLimit} < ${need}`;
    }
    for (const r of results) for (const [kind, why] of Object.entries(r.skipped)) progress(`skip     ${r.workload.label.padEnd(18)} ${SERVER_LABEL[kind as LoadServer]}: ${why}`);

    const memtierKeys = memtier && workloads.some((w) => w.memtierRatio !== undefined);
    for (const [kind, s] of servers) {
      // A workload's own preload only where it runs (the floor answers SCRIPT LOAD with a constant).
      const runsHere = results.filter((r) => r.skipped[kind] === undefined).map((r) => r.workload);
      const done = await preload(s.process.port, memtierKeys, runsHere);
      progress(`preloaded ${done.join('; ')} into ${SERVER_LABEL[kind]}`);
    }

    const runnable = (r: WorkloadResult, kind: LoadServer) => servers.has(kind) && r.skipped[kind] === undefined;
    const timeoutFor = (seconds: number) => Math.round((seconds * 10 + 60) * 1000);

    // Warm-up (JIT, caches, connection pools) and the rate estimate that sizes the measured runs.
    const estimate = new Map<string, number[]>();
    for (const r of results) {
      const w = r.workload;
      const rates: number[] = [];
      for (const kind of kinds) {
        if (!runnable(r, kind)) continue;
        const s = servers.get(kind)!.process;
        const o = await measure(w, toolOf(w), s.pid, s.port, place.loadFor[kind], warmupRequests(w, warmScale), timeoutFor(5), testTime(w, 1));
        progress(`warm-up  ${w.label.padEnd(18)} ${SERVER_LABEL[kind].padEnd(12)} ${describe(o)}`);
        if (isMeasurement(o)) rates.push(o.rps);
        else r.skipped[kind] = `failed in warm-up: ${o.error.split('\n')[0].slice(0, 80)}`;
      }
      estimate.set(w.id, rates);
      const mean = rates.length > 0 ? rates.reduce((a, b) => a + b, 0) / rates.length : NaN;
      r.requests = requestsFor(w, mean, secondsOf(w));
    }
    // LPOP pops what LPUSH pushed: the same request count.
    for (const r of results) {
      const of = r.workload.requestsOf;
      const source = of === undefined ? undefined : results.find((x) => x.workload.id === of);
      if (source !== undefined) r.requests = source.requests;
    }

    // Interleaved rounds.
    const runsPerRound = results.reduce((n, r) => n + kinds.filter((k) => runnable(r, k)).length, 0);
    const estRound = results.reduce((t, r) => {
      const rates = estimate.get(r.workload.id) ?? [];
      return t + rates.reduce((s, rate) => s + r.requests / rate + 0.15, 0);
    }, 0);
    let lastRoundSeconds = estRound;
    let roundsRun = 0;
    for (let round = 0; round < rounds; round++) {
      if (round > 0 && elapsed() + lastRoundSeconds * 1.1 > maxSeconds) {
        progress(`stopping after ${round} round(s): another would pass --max-seconds ${maxSeconds}`);
        break;
      }
      const t0 = elapsed();
      const order = round % 2 === 0 ? kinds : [...kinds].reverse();
      let i = 0;
      for (const r of results) {
        const w = r.workload;
        for (const kind of order) {
          if (!runnable(r, kind)) continue;
          i++;
          const s = servers.get(kind)!.process;
          const o = await measure(w, toolOf(w), s.pid, s.port, place.loadFor[kind], r.requests, timeoutFor(secondsOf(w) * 3), testTime(w, secondsOf(w)));
          r.rounds[kind].push(o);
          progress(`round ${round + 1}/${rounds} ${String(i).padStart(2)}/${runsPerRound} ${w.label.padEnd(18)} ${SERVER_LABEL[kind].padEnd(12)} ${describe(o)}`);
        }
      }
      lastRoundSeconds = elapsed() - t0;
      roundsRun++;
    }

    for (const r of results) for (const kind of kinds) {
      const s = summarise(r.rounds[kind]);
      if (s !== undefined) r.median[kind] = s;
    }
    machine.loadAverageEnd = os.loadavg();
    const serverRecords: Partial<Record<LoadServer, ServerRecord>> = {};
    for (const [kind, s] of servers) {
      const mem = processMemory(s.process.pid);
      serverRecords[kind] = {
        command: s.command,
        version: kind === 'redis' ? machine.redisServer : kind === 'floor' ? `Node ${machine.node}` : slabVersion,
        rssBytesAtEnd: mem.rss,
        peakRssBytes: mem.hwm,
        cpuSecondsTotal: cpuSeconds(s.process.pid),
      };
    }
    const record: LoadRecord = {
      benchmark: 'slabcache whole-server load (npm run bench)',
      date: new Date().toISOString(),
      command,
      options: { quick, rounds, roundsRun, secondsPerRun: seconds, maxSeconds, warmScale, only: onlyIds === null ? null : [...onlyIds], slabcacheNodeFlags: nodeFlags() },
      machine,
      placement: place,
      loadTool: {
        default: 'redis-benchmark',
        mix: memtier ? 'memtier_benchmark --ratio=1:10 (50 connections)' : 'redis-benchmark SET (5 connections) + GET (50 connections) side by side, requests 1:10',
        memtier,
        memtierDefault: memtier
          ? `memtier_benchmark -s 127.0.0.1 -p PORT --test-time ${quick ? 1 : 10} (memtier's defaults: 4 threads x 50 connections, SET:GET 1:10)`
          : 'redis-benchmark SET (18 connections) + GET (182 connections) side by side over 10M random keys, requests 1:10',
        memtierVersion: machine.memtierBenchmark,
        ...(workloads.some((w) => w.generator !== undefined) ? { generator: LOAD_GEN_LINE } : {}),
        ...(fallbackReason !== undefined ? { fallbackReason } : {}),
      },
      servers: serverRecords,
      workloads: results.map((r) => workloadRecord(r, toolOf(r.workload))),
      targets: checkTargets(results),
      elapsedSeconds: elapsed(),
    };
    printResults(record, results);
    console.log(`\nfinished: ${new Date().toISOString()}, ${loadLine()}, ${elapsed().toFixed(0)} s`);
    const jsonFile = writeJson(record, outDir);
    const svgFile = writeChart(record, results, outDir);
    console.log(`wrote ${path.relative(ROOT, jsonFile)}, ${path.relative(ROOT, svgFile)}`);
    if (opts.flag('readme')) readme(record, results);
  } finally {
    await Promise.all([...servers.values()].map((s) => s.process.stop()));
  }
}

function readme(record: LoadRecord, results: WorkloadResult[]): void {
  if (writeReadme(path.join(ROOT, 'README.md'), record, results)) console.log('updated README.md (between <!-- bench:load:start --> and <!-- bench:load:end -->)');
  else console.log('README.md has no <!-- bench:load:start --> / <!-- bench:load:end --> markers: not updated');
}

/** --from FILE: table, chart and (with --readme) README from a saved record, nothing measured. */
function fromRecord(file: string, outDir: string): void {
  const record = JSON.parse(fs.readFileSync(file, 'utf8')) as LoadRecord;
  const results = resultsFromRecord(record);
  console.log(`# slabcache whole-server load benchmark, from ${file}`);
  console.log(`machine: ${machineText(record.machine)}`);
  console.log(`command: ${record.command}`);
  console.log(`placement: ${record.placement.description}`);
  printResults(record, results);
  const svgFile = writeChart(record, results, outDir);
  console.log(`\nwrote ${path.relative(ROOT, svgFile)}`);
  if (opts.flag('readme')) readme(record, results);
}

run(main);
