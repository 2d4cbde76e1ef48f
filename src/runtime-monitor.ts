/*
 * Runtime monitor: event-loop delay and GC pause histograms for the metrics sidecar. Nothing
 * here runs on the command path.
 *
 * Event-loop delay: a timer every RESOLUTION_MS records how late it fired (the time since the
 * previous firing, less the interval; clamped at 0) straight into a CumulativeHistogram, so the
 * buckets are exact and a scrape only reads them. perf_hooks.monitorEventLoopDelay measures
 * the same thing in C++, but into an HDR histogram that only answers percentile queries:
 * turning it into Prometheus's cumulative buckets took ~300 percentile look-ups per scrape
 * (about 1.2 ms, more than a whole scrape may hold the loop), so one allocation-free JS
 * callback per 10 ms does it instead.
 *
 * GC pauses: a perf_hooks PerformanceObserver on 'gc' entries adds each collection's duration
 * to the histogram of its kind (minor, major, incremental, weakcb); Node delivers the entries
 * in batches after the collections, off the command path.
 *
 * Cost: one timer callback per RESOLUTION_MS (a subtraction and a bucket walk); one callback
 * per batch of GC entries. The timer is unref'd: it never keeps the process alive.
 */
import { constants, performance, PerformanceObserver, type PerformanceEntry } from 'node:perf_hooks';
import { CumulativeHistogram } from './prometheus.ts';

/** Interval of the event-loop delay timer. */
const RESOLUTION_MS = 10;

/** Event-loop delay bucket bounds, seconds: from 1 ms (a scrape's budget) to 10 s. */
export const LOOP_DELAY_BOUNDS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10];
/** GC pause bucket bounds, seconds. */
export const GC_PAUSE_BOUNDS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1];

export const GC_KINDS = ['minor', 'major', 'incremental', 'weakcb'] as const;

function gcKindIndex(kind: number | undefined): number {
  switch (kind) {
    case constants.NODE_PERFORMANCE_GC_MINOR: return 0;
    case constants.NODE_PERFORMANCE_GC_MAJOR: return 1;
    case constants.NODE_PERFORMANCE_GC_INCREMENTAL: return 2;
    default: return 3;
  }
}

export class RuntimeMonitor {
  readonly loopDelay = new CumulativeHistogram(LOOP_DELAY_BOUNDS);
  /** By GC_KINDS index. */
  readonly gcPauses: CumulativeHistogram[] = GC_KINDS.map(() => new CumulativeHistogram(GC_PAUSE_BOUNDS));
  private timer: NodeJS.Timeout | null = null;
  private observer: PerformanceObserver | null = null;
  private last = 0;

  start(): void {
    if (this.timer !== null) return;
    this.last = performance.now();
    this.timer = setInterval(this.tick, RESOLUTION_MS);
    this.timer.unref();
    this.observer = new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) this.recordGc(entry);
    });
    this.observer.observe({ entryTypes: ['gc'] });
  }

  stop(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    this.observer?.disconnect();
    this.observer = null;
  }

  private readonly tick = (): void => {
    const now = performance.now();
    const late = now - this.last - RESOLUTION_MS;
    this.last = now;
    this.loopDelay.observe(late > 0 ? late / 1000 : 0);
  };

  private recordGc(entry: PerformanceEntry): void {
    const detail = (entry as unknown as { detail?: { kind?: number } | null }).detail;
    this.gcPauses[gcKindIndex(detail?.kind)].observe(entry.duration / 1000);
  }
}
