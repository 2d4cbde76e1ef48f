/*
 * What bench/load-gen.ts reports for one run, as one JSON line on stdout, and the
 * arithmetic that turns its counters into it. The measured window opens just before the
 * first request is written (every connection is open and, for fan-out, every subscriber
 * has its SUBSCRIBE confirmed) and closes when the last expected reply or message arrives,
 * so connecting and subscribing 1,000 clients counts neither in the time nor in the server
 * CPU, which the generator reads from /proc/PID/task/TID/schedstat (every thread) at the two ends of the window.
 */
import type { LatencyHistogram } from './latency-histogram.ts';

export type GenKind = 'fanout' | 'multi' | 'bullmq';

export interface GenResult {
  kind: GenKind;
  /** Operations completed in the window: deliveries (fan-out), transactions (MULTI/EXEC) or jobs (BullMQ). */
  ops: number;
  /** Length of the measured window, seconds. */
  seconds: number;
  /** ops / seconds. */
  rps: number;
  /** Latency of an operation, ms: publish to receipt per delivery, or write to EXEC reply per transaction. */
  p50: number;
  p99: number;
  p999: number;
  maxMs: number;
  /** Server user+system CPU (all threads) in the window, seconds; NaN without a server pid. */
  serverCpuSeconds: number;
  /** Server main thread's run-queue wait in the window, ms (NaN when unreadable). */
  serverWaitMs: number;
  /** The generator's own CPU in the window (process.cpuUsage), seconds, and its main thread's run-queue wait, ms. */
  genCpuSeconds: number;
  genWaitMs: number;
  /** The part of genCpuSeconds spent in the kernel (sockets), seconds. */
  genSystemSeconds: number;
  /** 'count': the requested number went out; 'time': the time bound stopped it first; 'error': an error did. */
  stoppedBy: 'count' | 'time' | 'error';
  /** Problems seen (wrong replies, lost or repeated messages, closed connections): the count and the first few. */
  errorCount: number;
  errors: string[];
  /** Workload-specific counters (messages published, subscribers, deliveries expected, ...). */
  detail: Record<string, number>;
}

/** At most this many error texts are kept. */
export const MAX_ERROR_TEXTS = 10;

/** Collects errors: all counted, the first MAX_ERROR_TEXTS kept. */
export class ErrorLog {
  count = 0;
  readonly texts: string[] = [];

  add(text: string): void {
    this.count++;
    if (this.texts.length < MAX_ERROR_TEXTS) this.texts.push(text);
  }
}

export interface WindowSample {
  /** performance.now(), ms. */
  at: number;
  serverCpu: number;
  serverWaitNs: number;
  /** process.cpuUsage() user+system, and system alone, microseconds. */
  genCpuUs: number;
  genSystemUs: number;
  genWaitNs: number;
}

export function genResult(
  kind: GenKind,
  ops: number,
  start: WindowSample,
  end: WindowSample,
  hist: LatencyHistogram,
  stoppedBy: GenResult['stoppedBy'],
  errors: ErrorLog,
  detail: Record<string, number>,
): GenResult {
  const seconds = (end.at - start.at) / 1000;
  const { p50, p99, p999 } = hist.summaryMs();
  return {
    kind,
    ops,
    seconds,
    rps: seconds > 0 ? ops / seconds : NaN,
    p50,
    p99,
    p999,
    maxMs: hist.total > 0 ? hist.maxUs / 1000 : NaN,
    serverCpuSeconds: end.serverCpu - start.serverCpu,
    serverWaitMs: (end.serverWaitNs - start.serverWaitNs) / 1e6,
    genCpuSeconds: (end.genCpuUs - start.genCpuUs) / 1e6,
    genWaitMs: (end.genWaitNs - start.genWaitNs) / 1e6,
    genSystemSeconds: (end.genSystemUs - start.genSystemUs) / 1e6,
    stoppedBy,
    errorCount: errors.count,
    errors: errors.texts,
    detail,
  };
}

/**
 * Deliveries a fan-out run lost: every subscriber must receive every published message.
 * `received` per subscriber; returns the deliveries missing in total and the subscribers short.
 */
export function fanoutLosses(published: number, received: ArrayLike<number>): { lost: number; subscribersShort: number; extra: number } {
  let lost = 0;
  let extra = 0;
  let short = 0;
  for (let i = 0; i < received.length; i++) {
    const r = received[i];
    if (r < published) {
      lost += published - r;
      short++;
    } else if (r > published) extra += r - published;
  }
  return { lost, subscribersShort: short, extra };
}
