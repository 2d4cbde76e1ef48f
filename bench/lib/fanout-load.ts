/*
 * PUBLISH fan-out load (bench/load-gen.ts fanout): `subscribers` raw node:net connections
 * SUBSCRIBE to one channel, then one publisher connection PUBLISHes `messages` messages
 * with a `payloadBytes` payload stamped with the sequence number and send time
 * (gen-protocol.ts), keeping at most `pipeline` PUBLISHes unanswered and at most `window`
 * messages not yet received by every subscriber (counted over all deliveries), so queues
 * cannot grow with the run's length and latency stays a service time. It stops publishing
 * at the count or after `maxSeconds`, then waits up to `drainSeconds` for the deliveries
 * still owed, and stops at the first error. Every subscriber must receive every message,
 * in order, once; the publisher's reply must be the subscriber count every time.
 *
 * Cheap to receive: all sockets read into one shared buffer (`onread`), which the
 * subscriber's checker scans in place; one clock read per read, not per message.
 */
import net from 'node:net';
import { fanoutFrames, publishBatch, ReplyMatcher, SubscriberStream } from './gen-protocol.ts';
import { ErrorLog, fanoutLosses, genResult, type GenResult, type WindowSample } from './gen-result.ts';
import { LatencyHistogram } from './latency-histogram.ts';

export interface FanoutOptions {
  port: number;
  subscribers: number;
  messages: number;
  pipeline: number;
  window: number;
  payloadBytes: number;
  channel: string;
  maxSeconds: number;
  drainSeconds: number;
  /** Seconds to connect and subscribe everyone. */
  setupSeconds: number;
  sample: () => WindowSample;
}

const HOST = '127.0.0.1';
/** Connections being opened at once. */
const CONNECT_PARALLEL = 64;

export async function runFanout(o: FanoutOptions): Promise<GenResult> {
  const f = fanoutFrames(o.channel, o.payloadBytes, o.subscribers);
  const hist = new LatencyHistogram();
  const errors = new ErrorLog();
  const readBuf = Buffer.allocUnsafe(256 * 1024);
  const streams: SubscriberStream[] = [];
  const sockets: net.Socket[] = [];
  const reported = new Uint8Array(o.subscribers);
  let subscribed = 0;
  let received = 0;
  let finished = false;
  let onSubscribed: () => void = () => undefined;
  let onProgress: () => void = () => undefined;
  let lastReceipt = 0;
  /** Subscriber reads in the window (deliveries per read shows how the server batched its writes). */
  let reads = 0;

  const subscriberError = (i: number, text: string) => {
    if (reported[i] !== 0) return;
    reported[i] = 1;
    errors.add(`subscriber ${i + 1}: ${text}`);
    onProgress();
  };

  const openSubscriber = (i: number): Promise<void> =>
    new Promise((resolve, reject) => {
      const stream = new SubscriberStream(f);
      streams[i] = stream;
      const sock = net.connect({
        host: HOST,
        port: o.port,
        noDelay: true,
        onread: {
          buffer: readBuf,
          callback: (n: number, buf: Uint8Array): boolean => {
            const now = performance.now();
            const was = stream.subscribed;
            const got = stream.feed(buf, 0, n, now, hist);
            if (!was && stream.subscribed && ++subscribed === o.subscribers) onSubscribed();
            if (stream.error !== null) subscriberError(i, stream.error);
            if (got > 0) {
              reads++;
              received += got;
              lastReceipt = now;
              onProgress();
            }
            return true;
          },
        },
      });
      sockets[i] = sock;
      let connected = false;
      sock.once('connect', () => {
        connected = true;
        sock.write(f.subscribe);
        resolve();
      });
      sock.on('error', (err) => {
        if (connected) subscriberError(i, `socket error: ${err.message}`);
        else reject(new Error(`subscriber ${i + 1}: connect failed: ${err.message}`));
      });
      sock.on('close', () => {
        if (!finished) subscriberError(i, `connection closed by the server after ${stream.received} message(s)`);
      });
    });

  const closeAll = () => {
    finished = true;
    for (const s of sockets) s?.destroy();
  };

  try {
    // Connect and subscribe everyone, CONNECT_PARALLEL at a time, within setupSeconds.
    const setupDeadline = performance.now() + o.setupSeconds * 1000;
    const allSubscribed = new Promise<void>((resolve) => (onSubscribed = resolve));
    for (let i = 0; i < o.subscribers; i += CONNECT_PARALLEL) {
      const batch: Array<Promise<void>> = [];
      for (let k = i; k < Math.min(o.subscribers, i + CONNECT_PARALLEL); k++) batch.push(openSubscriber(k));
      await withDeadline(Promise.all(batch), setupDeadline, `connecting ${o.subscribers} subscribers`);
    }
    await withDeadline(allSubscribed, setupDeadline, `SUBSCRIBE confirmations (${subscribed} of ${o.subscribers})`);
    if (errors.count > 0) throw new Error(`subscribing failed: ${errors.texts[0]}`);

    // The publisher.
    const replies = new ReplyMatcher(f.publishReply, 'PUBLISH reply');
    let published = 0;
    let replied = 0;
    let stopAt = Infinity;
    let stoppedBy: GenResult['stoppedBy'] = 'count';
    let publishing = true;
    let replyErrorReported = false;
    const pub = net.connect({
      host: HOST,
      port: o.port,
      noDelay: true,
      onread: {
        buffer: Buffer.allocUnsafe(64 * 1024),
        callback: (n: number, buf: Uint8Array): boolean => {
          replied += replies.feed(buf, 0, n);
          if (replies.error !== null && !replyErrorReported) {
            replyErrorReported = true;
            errors.add(`publisher: ${replies.error}`);
          }
          onProgress();
          return true;
        },
      },
    });
    sockets.push(pub);
    await withDeadline(
      new Promise<void>((resolve, reject) => {
        pub.once('connect', resolve);
        pub.once('error', reject);
      }),
      performance.now() + o.setupSeconds * 1000,
      'connecting the publisher',
    );
    pub.on('error', (err) => errors.add(`publisher: socket error: ${err.message}`));
    pub.on('close', () => {
      if (!finished) errors.add(`publisher: connection closed by the server after ${replied} replies`);
    });

    const start = o.sample();
    const deadline = start.at + o.maxSeconds * 1000;
    const N = o.subscribers;

    const result = await new Promise<GenResult>((resolve) => {
      let end: WindowSample | null = null;
      const finish = (why: GenResult['stoppedBy']) => {
        if (end !== null) return;
        end = o.sample();
        // The window closes with the last delivery (finish runs in that read's callback, or on an error).
        if (why !== 'error' && lastReceipt > start.at) end.at = lastReceipt;
        clearInterval(watchdog);
        const perSub = streams.map((s) => s.received);
        const loss = fanoutLosses(published, perSub);
        let gaps = 0;
        let repeats = 0;
        for (const s of streams) {
          gaps += s.gaps;
          repeats += s.repeats;
        }
        if (loss.lost > 0) errors.add(`${loss.lost} deliveries lost: ${loss.subscribersShort} of ${N} subscribers received fewer than the ${published} messages published`);
        if (loss.extra > 0) errors.add(`${loss.extra} deliveries more than published`);
        if (gaps > 0 || repeats > 0) errors.add(`sequence: ${gaps} message(s) skipped and ${repeats} repeated or out of order, over all subscribers`);
        if (replied !== published) errors.add(`publisher: ${replied} replies to ${published} PUBLISH`);
        resolve(
          genResult('fanout', received, start, end, hist, errors.count > 0 ? 'error' : stoppedBy, errors, {
            subscribers: N,
            messagesPublished: published,
            publishReplies: replied,
            deliveriesExpected: published * N,
            deliveriesLost: loss.lost,
            subscribersShort: loss.subscribersShort,
            sequenceGaps: gaps,
            sequenceRepeats: repeats,
            pipeline: o.pipeline,
            window: o.window,
            payloadBytes: o.payloadBytes,
            subscriberReads: reads,
          }),
        );
      };
      const stopPublishing = (why: GenResult['stoppedBy']) => {
        if (!publishing) return;
        publishing = false;
        stoppedBy = why;
        stopAt = performance.now();
      };
      const pump = () => {
        if (!publishing) return;
        const now = performance.now();
        if (now >= deadline) {
          stopPublishing('time');
          return;
        }
        const room = Math.min(o.messages - published, o.pipeline - (published - replied), o.window - (published - Math.floor(received / N)));
        if (room <= 0) return;
        pub.write(publishBatch(f, published, room, now));
        published += room;
        if (published >= o.messages) stopPublishing('count');
      };
      onProgress = () => {
        if (end !== null) return;
        if (errors.count > 0) {
          stopPublishing('error');
          finish('error');
          return;
        }
        pump();
        if (!publishing && replied === published && received === published * N) finish(stoppedBy);
      };
      const watchdog = setInterval(() => {
        const now = performance.now();
        if (publishing && now >= deadline) stopPublishing('time');
        if (!publishing && now - stopAt > o.drainSeconds * 1000) {
          errors.add(`gave up ${o.drainSeconds} s after the last PUBLISH: ${published * N - received} deliveries and ${published - replied} replies still missing`);
          finish('error');
          return;
        }
        onProgress();
      }, 20);
      pump();
    });
    return result;
  } finally {
    closeAll();
  }
}

/** Await `p`, failing with `what` when performance.now() passes `deadline` first. */
export function withDeadline<T>(p: Promise<T>, deadline: number, what: string): Promise<T> {
  const ms = Math.max(0, deadline - performance.now());
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: timed out after the set-up bound`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}
