/*
 * bench/load-gen.ts's pure parts: the latency histogram, the byte-exact reply and message
 * checkers (fed in every split a socket could make), the PUBLISH and transaction encoders,
 * loss accounting, the JSON report and the harness's reading of it, the two workloads'
 * command lines, targets and notes. Then both load drivers, small, against redis-server
 * when it is on PATH (the reference: it checks the generator, not a server). No timing is
 * asserted.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generatorFigures, parseGenOutput } from '../../bench/harness/gen-output.ts';
import { checkTargets, generatorBound, generatorNotes, opWords, summarise, tableRows, type Summary, type WorkloadResult } from '../../bench/harness/summary.ts';
import { BULLMQ, FANOUT, generatorArgs, generatorMaxSeconds, MULTI_EXEC, WORKLOADS } from '../../bench/harness/workloads.ts';
import { runQueueName } from '../../bench/lib/bullmq-load.ts';
import { runFanout } from '../../bench/lib/fanout-load.ts';
import {
  command, fanoutFrames, publishBatch, ReplyMatcher, STAMP_BYTES, SubscriberStream, transactionBatch, transactionFrames,
} from '../../bench/lib/gen-protocol.ts';
import { ErrorLog, fanoutLosses, genResult, type GenResult, type WindowSample } from '../../bench/lib/gen-result.ts';
import { BUCKETS, bucketOf, bucketRange, LatencyHistogram } from '../../bench/lib/latency-histogram.ts';
import { runMulti } from '../../bench/lib/multi-load.ts';

describe('latency histogram', () => {
  it('has contiguous buckets whose ranges hold their values', () => {
    let last = -1;
    for (const v of [0, 1, 2, 127, 128, 129, 130, 255, 256, 1000, 4095, 4096, 123_456, 2 ** 30, 2 ** 31 - 1]) {
      const b = bucketOf(v);
      expect(b).toBeGreaterThanOrEqual(last);
      last = b;
      const { low, width } = bucketRange(b);
      expect(v).toBeGreaterThanOrEqual(low);
      expect(v).toBeLessThan(low + width);
      expect(width).toBeLessThanOrEqual(Math.max(1, v / 64));
    }
    expect(bucketOf(2 ** 40)).toBe(BUCKETS - 1);
    expect(bucketOf(-5)).toBe(0);
    // Every bucket's range starts where the previous one ends.
    for (let i = 1; i < BUCKETS; i++) {
      const a = bucketRange(i - 1);
      expect(bucketRange(i).low).toBe(a.low + a.width);
    }
  });

  it('finds percentiles within the bucket precision', () => {
    const h = new LatencyHistogram();
    for (let i = 1; i <= 10_000; i++) h.record(i); // 1 .. 10,000 us
    expect(h.total).toBe(10_000);
    expect(h.percentileUs(0.5)).toBeGreaterThan(5000 * 0.99);
    expect(h.percentileUs(0.5)).toBeLessThan(5000 * 1.01);
    expect(h.percentileUs(0.99) / 9900).toBeCloseTo(1, 1);
    const s = h.summaryMs();
    expect(s.p999).toBeGreaterThan(9.9 * 0.99);
    expect(s.p999).toBeLessThan(9.99 * 1.01);
    expect(new LatencyHistogram().percentileUs(0.5)).toBeNaN();
  });

  it('records n values at once and merges', () => {
    const a = new LatencyHistogram();
    a.recordN(50, 99);
    const b = new LatencyHistogram();
    b.record(5000);
    a.add(b);
    expect(a.total).toBe(100);
    expect(a.percentileUs(0.99)).toBe(50.5);
    expect(a.percentileUs(1)).toBeGreaterThan(4900);
    expect(a.maxUs).toBe(5000);
  });
});

/** Feed `data` to `feed` in pieces cut at `cuts`; returns the sum of what feed returned. */
function feedSplit(data: Buffer, cuts: number[], feed: (b: Buffer, start: number, end: number) => number): number {
  let n = 0;
  let from = 0;
  for (const c of [...cuts, data.length]) {
    // A fresh buffer per piece, with junk around it, as a shared read buffer would hold.
    const piece = Buffer.concat([Buffer.from('JUNK'), data.subarray(from, c), Buffer.from('JUNK')]);
    n += feed(piece, 4, piece.length - 4);
    from = c;
  }
  return n;
}

describe('ReplyMatcher', () => {
  const unit = Buffer.from(':1000\r\n');

  it('counts units however the stream is split', () => {
    const data = Buffer.concat([unit, unit, unit]);
    for (let a = 0; a <= data.length; a++) {
      for (let b = a; b <= data.length; b++) {
        const m = new ReplyMatcher(unit, 'reply');
        expect(feedSplit(data, [a, b], (buf, s, e) => m.feed(buf, s, e))).toBe(3);
        expect(m.units).toBe(3);
        expect(m.pos).toBe(0);
        expect(m.error).toBeNull();
      }
    }
  });

  it('reports the first difference with the bytes that came instead, then stops', () => {
    const m = new ReplyMatcher(unit, 'PUBLISH reply');
    expect(m.feed(Buffer.from(':1000\r\n:999\r\n'), 0, 13)).toBe(1);
    expect(m.error).toContain('PUBLISH reply 2');
    expect(m.error).toContain('got ":999\\r\\n"');
    expect(m.error).toContain('byte 1');
    expect(m.feed(unit, 0, unit.length)).toBe(0);
  });

  it('shows an error reply in place of a transaction reply', () => {
    const t = transactionFrames(2, 4);
    const m = new ReplyMatcher(t.reply, 'transaction');
    const bad = Buffer.from('+OK\r\n+QUEUED\r\n-OOM command not allowed\r\n');
    m.feed(bad, 0, bad.length);
    expect(m.error).toContain('transaction 1');
    expect(m.error).toContain('-OOM command not allowed');
  });
});

describe('PUBLISH fan-out frames', () => {
  const f = fanoutFrames('bench:fanout', 32, 1000);

  it('encodes SUBSCRIBE, PUBLISH and the replies Redis sends', () => {
    expect(f.subscribe.toString()).toBe('*2\r\n$9\r\nSUBSCRIBE\r\n$12\r\nbench:fanout\r\n');
    expect(f.subscribed.toString()).toBe('*3\r\n$9\r\nsubscribe\r\n$12\r\nbench:fanout\r\n:1\r\n');
    expect(f.messageHead.toString()).toBe('*3\r\n$7\r\nmessage\r\n$12\r\nbench:fanout\r\n$32\r\n');
    expect(f.publishReply.toString()).toBe(':1000\r\n');
    const head = '*3\r\n$7\r\nPUBLISH\r\n$12\r\nbench:fanout\r\n$32\r\n';
    expect(f.publishPayloadAt).toBe(head.length);
    expect(f.publish.length).toBe(head.length + 32 + 2);
    expect(f.publish.subarray(0, head.length).toString()).toBe(head);
    expect(f.publish.subarray(head.length + STAMP_BYTES).toString()).toBe('x'.repeat(32 - STAMP_BYTES) + '\r\n');
    expect(() => fanoutFrames('c', 8, 1)).toThrow(/at least/);
  });

  it('stamps each PUBLISH of a batch with its sequence number and the send time', () => {
    const b = publishBatch(f, 7, 3, 1234.5);
    expect(b.length).toBe(3 * f.publish.length);
    for (let k = 0; k < 3; k++) {
      const off = k * f.publish.length;
      expect(b.readUInt32LE(off + f.publishPayloadAt)).toBe(7 + k);
      expect(b.readDoubleLE(off + f.publishPayloadAt + 4)).toBe(1234.5);
      expect(b.subarray(off, off + f.publishPayloadAt).equals(f.publish.subarray(0, f.publishPayloadAt))).toBe(true);
    }
  });
});

/** What a subscriber receives for PUBLISHes `first`.. (`count` of them) stamped `sentAt`: the server's message frames. */
function messages(f: ReturnType<typeof fanoutFrames>, seqs: number[], sentAt: number): Buffer {
  return Buffer.concat(
    seqs.map((seq) => {
      const p = publishBatch(f, seq, 1, sentAt);
      return Buffer.concat([f.messageHead, p.subarray(f.publishPayloadAt, f.publishPayloadAt + f.payloadBytes), Buffer.from('\r\n')]);
    }),
  );
}

describe('SubscriberStream', () => {
  const f = fanoutFrames('ch', 16, 3);

  it('takes the confirmation then every message, however the stream is split', () => {
    const data = Buffer.concat([f.subscribed, messages(f, [0, 1, 2], 10)]);
    for (let a = 0; a <= data.length; a += 3) {
      for (let b = a; b <= data.length; b += 5) {
        const s = new SubscriberStream(f);
        const h = new LatencyHistogram();
        const n = feedSplit(data, [a, b], (buf, st, e) => s.feed(buf, st, e, 10.25, h));
        expect(s.error).toBeNull();
        expect(n).toBe(3);
        expect(s.subscribed).toBe(true);
        expect(s.received).toBe(3);
        expect(s.nextSeq).toBe(3);
        expect(s.gaps + s.repeats).toBe(0);
        expect(h.total).toBe(3);
        expect(h.percentileUs(1)).toBe(251); // 0.25 ms: bucket 250..252
      }
    }
  });

  it('records each message\'s own latency when a read brings several publish batches', () => {
    const s = new SubscriberStream(f);
    const h = new LatencyHistogram();
    const data = Buffer.concat([f.subscribed, messages(f, [0, 1], 5), messages(f, [2], 9), messages(f, [3, 4, 5], 9.5)]);
    expect(s.feed(data, 0, data.length, 10, h)).toBe(6);
    expect(h.total).toBe(6);
    // 3 x 0.5 ms, 1 x 1 ms, 2 x 5 ms
    expect(h.percentileUs(0.5)).toBe(502); // 500 us: bucket 500..504
    expect(h.percentileUs(4 / 6)).toBe(1004); // 1,000 us: bucket 1000..1008
    expect(h.percentileUs(5 / 6)).toBe(bucketRange(bucketOf(5000)).low + bucketRange(bucketOf(5000)).width / 2);
  });

  it('counts skipped and repeated sequence numbers', () => {
    const s = new SubscriberStream(f);
    const h = new LatencyHistogram();
    const data = Buffer.concat([f.subscribed, messages(f, [0, 3, 4, 4, 2, 3], 0)]);
    expect(s.feed(data, 0, data.length, 1, h)).toBe(6);
    expect(s.gaps).toBe(2); // 1 and 2 skipped at first
    expect(s.repeats).toBe(2); // 4 again, then 2
    expect(s.nextSeq).toBe(4);
  });

  it('reports a frame that is not the expected message, and a wrong confirmation', () => {
    const s = new SubscriberStream(f);
    const h = new LatencyHistogram();
    const data = Buffer.concat([f.subscribed, messages(f, [0], 0), Buffer.from('*3\r\n$7\r\nmessage\r\n$2\r\nzz\r\n')]);
    expect(s.feed(data, 0, data.length, 1, h)).toBe(1);
    expect(s.error).toContain('message 2');
    expect(s.error).toContain('first difference at byte 21');
    expect(s.feed(data, 0, data.length, 1, h)).toBe(0);

    const t = new SubscriberStream(f);
    const err = Buffer.from('-ERR unknown command\r\n');
    expect(t.feed(err, 0, err.length, 1, h)).toBe(0);
    expect(t.error).toContain('SUBSCRIBE reply 1');
    expect(t.error).toContain('-ERR unknown command');
  });

  it('catches a bad frame end and a payload of the wrong length', () => {
    const good = Buffer.concat([f.subscribed, messages(f, [0], 0)]);
    const bad = Buffer.from(good);
    bad[bad.length - 2] = 65;
    const s = new SubscriberStream(f);
    expect(s.feed(bad, 0, bad.length, 1, new LatencyHistogram())).toBe(0);
    expect(s.error).toMatch(/first difference at byte \d+ of the frame/);
    // The same, arriving one byte at a time (the slow path).
    const t = new SubscriberStream(f);
    let n = 0;
    for (let i = 0; i < bad.length; i++) n += t.feed(bad, i, i + 1, 1, new LatencyHistogram());
    expect(n).toBe(0);
    expect(t.error).not.toBeNull();
  });
});

describe('MULTI / SET x 10 / EXEC frames', () => {
  it('encodes the transaction as separate commands and expects Redis\'s exact replies', () => {
    const t = transactionFrames(3, 5);
    expect(t.reply.toString()).toBe('+OK\r\n+QUEUED\r\n+QUEUED\r\n+QUEUED\r\n*3\r\n+OK\r\n+OK\r\n+OK\r\n');
    const keys = [7, 99_999, 0];
    let k = 0;
    const b = transactionBatch(t, 1, () => keys[k++]);
    const expected = Buffer.concat([
      command(['MULTI']),
      ...keys.map((id) => command(['SET', 'key:' + String(id).padStart(12, '0'), 'xxxxx'])),
      command(['EXEC']),
    ]);
    expect(b.toString()).toBe(expected.toString());
  });

  it('writes a fresh key into every SET of every transaction of a batch', () => {
    const t = transactionFrames(10, 32);
    let next = 0;
    const b = transactionBatch(t, 4, () => next++);
    expect(b.length).toBe(4 * t.template.length);
    const text = b.toString('latin1');
    expect(text.match(/\*1\r\n\$5\r\nMULTI\r\n/g)).toHaveLength(4);
    expect(text.match(/\*1\r\n\$4\r\nEXEC\r\n/g)).toHaveLength(4);
    const ids = [...text.matchAll(/key:(\d{12})/g)].map((m) => Number(m[1]));
    expect(ids).toEqual(Array.from({ length: 40 }, (_, i) => i));
    expect(t.reply.length).toBe(5 + 10 * 9 + 5 + 10 * 5);
  });
});

describe('accounting', () => {
  const sample = (at: number, serverCpu: number, genCpuUs: number): WindowSample => ({ at, serverCpu, serverWaitNs: at * 1e5, genCpuUs, genSystemUs: genCpuUs / 2, genWaitNs: at * 2e5 });

  it('counts lost deliveries per subscriber', () => {
    expect(fanoutLosses(10, [10, 10, 10])).toEqual({ lost: 0, subscribersShort: 0, extra: 0 });
    expect(fanoutLosses(10, [10, 7, 0, 11])).toEqual({ lost: 13, subscribersShort: 2, extra: 1 });
  });

  it('keeps every error counted and the first ten texts', () => {
    const e = new ErrorLog();
    for (let i = 0; i < 25; i++) e.add(`e${i}`);
    expect(e.count).toBe(25);
    expect(e.texts).toHaveLength(10);
    expect(e.texts[0]).toBe('e0');
  });

  it('computes the window figures', () => {
    const h = new LatencyHistogram();
    h.recordN(1000, 100);
    const r = genResult('fanout', 100_000, sample(1000, 5, 1e6), sample(3000, 6.5, 2.5e6), h, 'count', new ErrorLog(), { subscribers: 1000 });
    expect(r.seconds).toBe(2);
    expect(r.rps).toBe(50_000);
    expect(r.serverCpuSeconds).toBeCloseTo(1.5, 9);
    expect(r.genCpuSeconds).toBeCloseTo(1.5, 9);
    expect(r.genSystemSeconds).toBeCloseTo(0.75, 9);
    expect(r.serverWaitMs).toBeCloseTo(200, 9);
    expect(r.p99).toBeCloseTo(1.004, 9); // 1,000 us: bucket 1000..1008
    expect(r.errorCount).toBe(0);
  });

  const result = (over: Partial<GenResult> = {}): GenResult => ({
    kind: 'multi', ops: 20_000, seconds: 2, rps: 10_000, p50: 1, p99: 2, p999: 3, maxMs: 4, serverCpuSeconds: 0.5, serverWaitMs: 20,
    genCpuSeconds: 1, genWaitMs: 40, genSystemSeconds: 0.5, stoppedBy: 'count', errorCount: 0, errors: [], detail: { connections: 50 }, ...over,
  });

  it('reads the generator\'s JSON line (null = NaN) into the harness\'s figures', () => {
    const line = JSON.stringify({ ...result(), serverCpuSeconds: null });
    const parsed = parseGenOutput(`noise\n${line}\n`);
    expect(parsed.serverCpuSeconds).toBeNaN();
    const g = generatorFigures(parseGenOutput(JSON.stringify(result())));
    expect(g.requests).toBe(20_000);
    expect(g.rps).toBe(10_000);
    expect(g.cpuUsPerOp).toBe(25);
    expect(g.cpuPercent).toBe(25);
    expect(g.serverWaitPercent).toBe(1);
    expect(g.clientWaitPercent).toBe(2);
    expect(g.generatorCpuPercent).toBe(50);
    expect(g.generatorSystemPercent).toBe(25);
    expect(() => parseGenOutput('load-gen: connect failed')).toThrow(/no result/);
    expect(() => parseGenOutput('{"kind":"other"}')).toThrow(/layout/);
  });

  it('fails a run that saw errors or measured nothing', () => {
    expect(() => generatorFigures(result({ errorCount: 12, errors: ['subscriber 3: connection closed'] }))).toThrow(/12 error\(s\) \(12 in all\): subscriber 3/);
    expect(() => generatorFigures(result({ ops: 0 }))).toThrow(/nothing measured/);
  });
});

describe('the fan-out and MULTI/EXEC workloads', () => {
  const fanout = WORKLOADS.find((w) => w.id === 'publish-fanout')!;
  const multi = WORKLOADS.find((w) => w.id === 'multi-exec')!;

  it('run on load-gen, not on the floor, before the default memtier run', () => {
    expect(fanout.generator).toEqual(FANOUT);
    expect(fanout.connections).toBe(1001);
    expect(fanout.notOn?.floor).toMatch(/constants/);
    expect(multi.generator).toEqual(MULTI_EXEC);
    expect(multi.connections).toBe(50);
    expect(multi.parts).toEqual([]);
    expect(WORKLOADS.at(-1)!.id).toBe('memtier-default');
  });

  it('size fan-out runs in whole messages and bound every run in time', () => {
    const a = generatorArgs(fanout, 7000, 123, 1_001_000, 2);
    expect(a[0]).toBe('fanout');
    const arg = (xs: string[], k: string) => xs[xs.indexOf(k) + 1];
    expect(arg(a, '--messages')).toBe('1001');
    expect(arg(a, '--subscribers')).toBe('1000');
    expect(arg(a, '--pipeline')).toBe('16');
    expect(arg(a, '--pid')).toBe('123');
    expect(arg(a, '--max-seconds')).toBe('6');
    const m = generatorArgs(multi, 7000, 123, 55_000, 0.6);
    expect(m[0]).toBe('multi');
    expect(arg(m, '--transactions')).toBe('55000');
    expect(arg(m, '--sets')).toBe('10');
    expect(arg(m, '--max-seconds')).toBe(String(generatorMaxSeconds(0.6)));
    expect(generatorMaxSeconds(0.6)).toBe(2);
    expect(() => generatorArgs(WORKLOADS[0], 1, 1, 1, 1)).toThrow(/not a load-gen workload/);
  });

  it('check issue 9\'s targets and say what an operation is', () => {
    const m = (rps: number, cpu: number, gen: number) => ({
      requests: 1, rps, p50: 1, p99: 2, p999: 3, wallSeconds: 1, cpuUsPerOp: cpu, cpuPercent: 90, serverWaitPercent: 0, clientWaitPercent: 0, load1: 0, commands: [],
      generator: { cpuPercent: gen, systemPercent: gen / 2, stoppedBy: 'count', detail: {} },
    });
    const r = (w: typeof fanout, redis: ReturnType<typeof m>, slab: ReturnType<typeof m>): WorkloadResult => {
      const x: WorkloadResult = { workload: w, requests: 1, skipped: { floor: w.notOn!.floor }, rounds: { redis: [redis], slabcache: [slab], floor: [] }, median: {} };
      x.median.redis = summarise(x.rounds.redis);
      x.median.slabcache = summarise(x.rounds.slabcache);
      return x;
    };
    const results = [r(fanout, m(1_000_000, 0.8, 70), m(1_100_000, 1.0, 75)), r(multi, m(10_000, 20, 30), m(9_000, 26, 30))];
    const checks = checkTargets(results);
    expect(checks.find((c) => c.workload === fanout.label)).toMatchObject({ what: 'deliveries/s', limit: 1, met: true });
    expect(checks.find((c) => c.workload === multi.label)).toMatchObject({ what: 'CPU us/transaction', limit: 1.2, met: false });
    expect(checks.find((c) => c.workload === multi.label)!.value).toBeCloseTo(1.3, 9);
    expect(results[0].median.slabcache!.generatorCpuPercent).toBe(75);
    const notes = generatorNotes(results);
    expect(notes[0]).toContain('ops = deliveries');
    expect(notes[0]).toContain('redis-server 70%, slabcache 75%');
    expect(notes[1]).toContain('ops = transactions');
    expect(notes.some((l) => l.includes('caution'))).toBe(false);
    // The floor row says why it did not run.
    expect(tableRows(results).some((row) => row[1] === 'Node floor' && row[2].includes('constants'))).toBe(true);
  });
});

describe('the BullMQ workload', () => {
  const bull = WORKLOADS.find((w) => w.id === 'bullmq')!;
  const arg = (xs: string[], k: string) => xs[xs.indexOf(k) + 1];

  it('runs on load-gen in jobs, not on the floor, before the default memtier run', () => {
    expect(bull.generator).toEqual(BULLMQ);
    expect(bull.unit).toBe('job');
    expect(bull.connections).toBe(3);
    expect(bull.parts).toEqual([]);
    expect(bull.notOn?.floor).toMatch(/constants/);
    expect(bull.needs).toContain('evalsha');
    expect(WORKLOADS.at(-1)!.id).toBe('memtier-default');
    expect(opWords('job')).toEqual({ rate: 'jobs/s', cpu: 'CPU us/job' });
  });

  it('sizes a run in jobs, with concurrency 8, bounded in time', () => {
    const a = generatorArgs(bull, 7000, 123, 3_300, 0.6);
    expect(a[0]).toBe('bullmq');
    expect(arg(a, '--jobs')).toBe('3300');
    expect(arg(a, '--concurrency')).toBe('8');
    expect(arg(a, '--window')).toBe('32');
    expect(arg(a, '--pid')).toBe('123');
    expect(arg(a, '--max-seconds')).toBe('2');
  });

  it('reads a bullmq result line and names each run\'s queue apart', () => {
    const line = JSON.stringify({
      kind: 'bullmq', ops: 3000, seconds: 1.5, rps: 2000, p50: 300, p99: 350, p999: 351, maxMs: 352, serverCpuSeconds: 0.3, serverWaitMs: 15,
      genCpuSeconds: 0.6, genWaitMs: 30, genSystemSeconds: 0.1, stoppedBy: 'count', errorCount: 0, errors: [], detail: { jobs: 3000, completed: 3000 },
    });
    const g = generatorFigures(parseGenOutput(line));
    expect(g.rps).toBe(2000);
    expect(g.cpuUsPerOp).toBeCloseTo(100, 9);
    expect(g.detail.completed).toBe(3000);
    expect(runQueueName('bench', 12, 1000)).not.toBe(runQueueName('bench', 12, 1001));
    expect(runQueueName('bench', 12, 1000)).toMatch(/^bench-12-/);
  });
});

describe('generator-bound runs', () => {
  const s = (cpu: number, srvWait: number, gen: number, genWait: number): Summary => ({
    rounds: 1, rps: 1, rpsMin: 1, rpsMax: 1, p50: 1, p99: 1, p999: 1, cpuUsPerOp: 1, cpuPercent: cpu, serverWaitPercent: srvWait, clientWaitPercent: genWait,
    ...(Number.isNaN(gen) ? {} : { generatorCpuPercent: gen }),
  });

  it('flags a run where the generator was busy and busier than the server', () => {
    expect(generatorBound(s(80, 5, 85, 10))).toBe(true);
    expect(generatorBound(s(95, 5, 85, 10))).toBe(false); // the server was busier
    expect(generatorBound(s(40, 5, 60, 10))).toBe(false); // neither saturated
    expect(generatorBound(s(40, 5, NaN, 10))).toBe(false); // not a load-gen run
  });

  it('says so under the table', () => {
    const w = WORKLOADS.find((x) => x.id === 'publish-fanout')!;
    const r: WorkloadResult = { workload: w, requests: 1, skipped: {}, rounds: { redis: [], slabcache: [], floor: [] }, median: { redis: s(70, 5, 88, 8), slabcache: s(90, 5, 40, 5) } };
    const notes = generatorNotes([r]);
    expect(notes.filter((l) => l.includes('caution'))).toHaveLength(1);
    expect(notes[1]).toContain('against redis-server load-gen was the busier side (CPU + CPU wait 96%, server 75%)');
  });
});

// ---- the drivers, small, against redis-server ----------------------------------------

const haveRedis = spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

describe.runIf(haveRedis)('load drivers against redis-server', () => {
  let redis: ChildProcess;
  let port = 0;
  const sample = (): WindowSample => ({ at: performance.now(), serverCpu: NaN, serverWaitNs: NaN, genCpuUs: 0, genSystemUs: 0, genWaitNs: NaN });

  beforeAll(async () => {
    port = await freePort();
    redis = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--loglevel', 'warning'], { stdio: 'ignore' });
    for (let i = 0; i < 100; i++) {
      const up = await new Promise<boolean>((resolve) => {
        const s = net.connect({ host: '127.0.0.1', port }, () => {
          s.destroy();
          resolve(true);
        });
        s.once('error', () => resolve(false));
      });
      if (up) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error('redis-server did not start');
  });

  afterAll(() => {
    redis?.kill('SIGKILL');
  });

  it('fan-out: every subscriber gets every message, and the run stops by count', async () => {
    const r = await runFanout({
      port, subscribers: 20, messages: 200, pipeline: 4, window: 8, payloadBytes: 32, channel: 'test:fanout',
      maxSeconds: 20, drainSeconds: 10, setupSeconds: 10, sample,
    });
    expect(r.errors).toEqual([]);
    expect(r.ops).toBe(4000);
    expect(r.detail.messagesPublished).toBe(200);
    expect(r.detail.deliveriesLost).toBe(0);
    expect(r.stoppedBy).toBe('count');
    expect(r.p99).toBeGreaterThan(0);
  });

  it('fan-out: a wrong subscriber count in the PUBLISH replies is an error', async () => {
    // A subscriber the generator does not know about makes every PUBLISH answer one more.
    const extra = net.connect({ host: '127.0.0.1', port });
    await new Promise<void>((resolve) => extra.once('connect', () => resolve()));
    extra.write(command(['SUBSCRIBE', 'test:extra']));
    await new Promise<void>((resolve) => extra.once('data', () => resolve()));
    try {
      const r = await runFanout({
        port, subscribers: 3, messages: 10, pipeline: 2, window: 4, payloadBytes: 16, channel: 'test:extra',
        maxSeconds: 20, drainSeconds: 10, setupSeconds: 10, sample,
      });
      expect(r.stoppedBy).toBe('error');
      expect(r.errors.join(' ')).toContain('PUBLISH reply 1: expected ":3\\r\\n", got ":4\\r\\n');
    } finally {
      extra.destroy();
    }
  });

  it('MULTI/EXEC: every EXEC answers 10 x +OK, and the run stops by count', async () => {
    const r = await runMulti({
      port, connections: 5, transactions: 300, pipeline: 2, sets: 10, valueBytes: 32, keyspace: 1000, seed: 3,
      maxSeconds: 20, drainSeconds: 10, setupSeconds: 10, sample,
    });
    expect(r.errors).toEqual([]);
    expect(r.ops).toBe(300);
    expect(r.detail.transactionsSent).toBe(300);
    expect(r.stoppedBy).toBe('count');
  });
});
