/*
 * MULTI/EXEC load (bench/load-gen.ts multi): `connections` raw node:net connections, each
 * writing whole transactions, MULTI, `sets` x SET <random key> <value>, EXEC, as one write
 * per batch, with at most `pipeline` transactions unanswered per connection, until
 * `transactions` have been sent in total or `maxSeconds` have passed; then it waits up to
 * `drainSeconds` for the replies still owed. Keys are uniform over "key:000000000000" ..
 * (keyspace - 1), the names the harness preloads and redis-benchmark's -r uses, so every
 * SET overwrites a value of the same size. Every transaction's replies must be exactly
 * +OK, `sets` x +QUEUED and an EXEC array of `sets` +OK (gen-protocol.ts); the first
 * difference stops the run. Latency per transaction: from its write to the last byte of
 * its EXEC reply.
 */
import net from 'node:net';
import { ReplyMatcher, transactionBatch, transactionFrames } from './gen-protocol.ts';
import { ErrorLog, genResult, type GenResult, type WindowSample } from './gen-result.ts';
import { withDeadline } from './fanout-load.ts';
import { LatencyHistogram } from './latency-histogram.ts';
import { Rng } from './prng.ts';

export interface MultiOptions {
  port: number;
  connections: number;
  transactions: number;
  pipeline: number;
  sets: number;
  valueBytes: number;
  keyspace: number;
  seed: number;
  maxSeconds: number;
  drainSeconds: number;
  setupSeconds: number;
  sample: () => WindowSample;
}

const HOST = '127.0.0.1';

interface Conn {
  sock: net.Socket;
  matcher: ReplyMatcher;
  /** Send times of the unanswered transactions, a ring of `pipeline` slots. */
  sent: Float64Array;
  head: number;
  inflight: number;
}

export async function runMulti(o: MultiOptions): Promise<GenResult> {
  const t = transactionFrames(o.sets, o.valueBytes);
  const hist = new LatencyHistogram();
  const errors = new ErrorLog();
  const rng = new Rng(o.seed);
  const nextKey = () => rng.next() % o.keyspace;
  const readBuf = Buffer.allocUnsafe(256 * 1024);
  const conns: Conn[] = [];
  let finished = false;
  /** Pump `c` (every connection when null) and finish when done. */
  let onProgress: (c: Conn | null) => void = () => undefined;
  let issued = 0;
  let completed = 0;
  let lastReply = 0;

  const open = (i: number): Promise<void> =>
    new Promise((resolve, reject) => {
      const c: Conn = { sock: null as unknown as net.Socket, matcher: new ReplyMatcher(t.reply, 'transaction'), sent: new Float64Array(o.pipeline), head: 0, inflight: 0 };
      let reported = false;
      const report = (text: string) => {
        if (reported) return;
        reported = true;
        errors.add(`connection ${i + 1}: ${text}`);
        onProgress(null);
      };
      c.sock = net.connect({
        host: HOST,
        port: o.port,
        noDelay: true,
        onread: {
          buffer: readBuf,
          callback: (n: number, buf: Uint8Array): boolean => {
            const now = performance.now();
            const done = c.matcher.feed(buf, 0, n);
            for (let k = 0; k < done; k++) {
              hist.record((now - c.sent[c.head]) * 1000);
              c.head = (c.head + 1) % o.pipeline;
            }
            c.inflight -= done;
            completed += done;
            if (done > 0) lastReply = now;
            if (c.matcher.error !== null) report(c.matcher.error);
            onProgress(c);
            return true;
          },
        },
      });
      conns[i] = c;
      let connected = false;
      c.sock.once('connect', () => {
        connected = true;
        resolve();
      });
      c.sock.on('error', (err) => {
        if (connected) report(`socket error: ${err.message}`);
        else reject(new Error(`connection ${i + 1}: connect failed: ${err.message}`));
      });
      c.sock.on('close', () => {
        if (!finished) report(`connection closed by the server after ${c.matcher.units} transaction(s)`);
      });
    });

  try {
    const setupDeadline = performance.now() + o.setupSeconds * 1000;
    await withDeadline(Promise.all(Array.from({ length: o.connections }, (_, i) => open(i))), setupDeadline, `connecting ${o.connections} clients`);

    const start = o.sample();
    const deadline = start.at + o.maxSeconds * 1000;
    let sending = true;
    let stoppedBy: GenResult['stoppedBy'] = 'count';
    let stopAt = Infinity;

    return await new Promise<GenResult>((resolve) => {
      let ended = false;
      const finish = () => {
        if (ended) return;
        ended = true;
        clearInterval(watchdog);
        const end = o.sample();
        if (errors.count === 0 && lastReply > start.at) end.at = lastReply;
        if (completed !== issued && errors.count === 0) errors.add(`${issued - completed} transaction(s) unanswered`);
        resolve(
          genResult('multi', completed, start, end, hist, errors.count > 0 ? 'error' : stoppedBy, errors, {
            connections: o.connections,
            transactionsSent: issued,
            transactionsAnswered: completed,
            setsPerTransaction: o.sets,
            pipeline: o.pipeline,
            valueBytes: o.valueBytes,
            keyspace: o.keyspace,
          }),
        );
      };
      const stop = (why: GenResult['stoppedBy']) => {
        if (!sending) return;
        sending = false;
        stoppedBy = why;
        stopAt = performance.now();
      };
      const pump = (c: Conn, now: number) => {
        const room = Math.min(o.pipeline - c.inflight, o.transactions - issued);
        if (room <= 0) return;
        c.sock.write(transactionBatch(t, room, nextKey));
        for (let k = 0; k < room; k++) c.sent[(c.head + c.inflight + k) % o.pipeline] = now;
        c.inflight += room;
        issued += room;
      };
      onProgress = (one) => {
        if (ended) return;
        if (errors.count > 0) {
          stop('error');
          finish();
          return;
        }
        if (sending) {
          const now = performance.now();
          if (now >= deadline) stop('time');
          else {
            if (one !== null) pump(one, now);
            else for (const c of conns) pump(c, now);
            if (issued >= o.transactions) stop('count');
          }
        }
        if (!sending && completed === issued) finish();
      };
      const watchdog = setInterval(() => {
        if (sending && performance.now() >= deadline) stop('time');
        if (!sending && performance.now() - stopAt > o.drainSeconds * 1000) {
          errors.add(`gave up ${o.drainSeconds} s after the last write: ${issued - completed} transaction(s) unanswered`);
          finish();
          return;
        }
        onProgress(null);
      }, 20);
      onProgress(null);
    });
  } finally {
    finished = true;
    for (const c of conns) c?.sock.destroy();
  }
}
