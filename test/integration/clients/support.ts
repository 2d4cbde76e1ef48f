/*
 * Shared pieces of the real-client suites in this folder (node-redis, ioredis, the Socket.IO
 * Redis adapter, each run unchanged against a listening server).
 *
 * - The server comes from startTarget (test/helpers/target-server.ts): slabcache in-process by
 *   default, a real redis-server with DIFF_TARGET=redis, so every expectation here is checked
 *   against Redis 7.0 itself.
 * - Nothing waits by sleeping. Asynchronous deliveries (pub/sub messages, Socket.IO events) go
 *   into an Inbox and a test awaits the next item with a bounded timeout.
 * - A suite fails on any unhandled promise rejection and on any 'error' event a client emits
 *   that the test did not expect (RejectionGuard, ErrorLog).
 */
import type { EventEmitter } from 'node:events';
import { beforeAll, afterAll } from 'vitest';
import { startTarget, type TargetServer } from '../../helpers/target-server.ts';
import { Redis as IORedis5 } from 'ioredis';
import { Redis as IORedis6 } from 'ioredis-v6';
import { createClient } from 'redis';

/** How long a test waits for one asynchronous delivery before failing. */
export const WAIT_MS = 2000;
/** Per-test timeout for every test in this folder: generous over the < 1 s each takes. */
export const TEST_MS = 8000;

/** A FIFO of delivered items; next() takes the oldest or waits (bounded) for one to arrive. */
export class Inbox<T> {
  private readonly items: T[] = [];
  private readonly waiters: Array<{ resolve: (v: T) => void; reject: (e: Error) => void; timer: NodeJS.Timeout }> = [];
  private readonly label: string;
  constructor(label: string) {
    this.label = label;
  }

  push = (item: T): void => {
    const w = this.waiters.shift();
    if (w !== undefined) {
      clearTimeout(w.timer);
      w.resolve(item);
    } else {
      this.items.push(item);
    }
  };

  next(timeoutMs = WAIT_MS): Promise<T> {
    if (this.items.length > 0) return Promise.resolve(this.items.shift() as T);
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        const i = this.waiters.findIndex((w) => w.timer === timer);
        if (i >= 0) this.waiters.splice(i, 1);
        reject(new Error(`${this.label}: nothing arrived within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiters.push({ resolve, reject, timer });
    });
  }

  /** Takes n items in arrival order. */
  async take(n: number, timeoutMs = WAIT_MS): Promise<T[]> {
    const out: T[] = [];
    for (let i = 0; i < n; i++) out.push(await this.next(timeoutMs));
    return out;
  }

  /** Items that arrived and were not taken. */
  pending(): T[] {
    return [...this.items];
  }
}

/** Collects process-level unhandled rejections while installed. */
export class RejectionGuard {
  readonly seen: unknown[] = [];
  private readonly onRejection = (reason: unknown): void => {
    this.seen.push(reason);
  };
  install(): this {
    process.on('unhandledRejection', this.onRejection);
    return this;
  }
  dispose(): void {
    process.off('unhandledRejection', this.onRejection);
  }
  /** Throws when any rejection went unhandled, naming them. */
  assertNone(): void {
    if (this.seen.length > 0) {
      const text = this.seen.map((r) => (r instanceof Error ? `${r.name}: ${r.message}` : String(r))).join('; ');
      throw new Error(`unhandled promise rejection(s): ${text}`);
    }
  }
}

/**
 * The server under test around one file's suites (startTarget), with a RejectionGuard installed
 * for the whole file; after the server stops, any rejection left by teardown fails the file.
 */
export function useTarget(): { readonly port: number; readonly rejections: RejectionGuard } {
  let target: TargetServer | undefined;
  const rejections = new RejectionGuard();
  beforeAll(async () => {
    rejections.install();
    target = await startTarget({ loglevel: 'warning' });
  });
  afterAll(async () => {
    await target?.stop();
    // Let any rejection left by teardown surface before the last check.
    await new Promise((r) => setImmediate(r));
    rejections.dispose();
    rejections.assertNone();
  });
  return {
    get port(): number {
      return target!.port;
    },
    rejections,
  };
}

/** Listens for 'error' on every client it is given, so none crashes the process; tests assert it stayed empty. */
export class ErrorLog {
  readonly errors: Array<{ who: string; err: unknown }> = [];
  watch<E extends EventEmitter>(who: string, emitter: E): E {
    emitter.on('error', (err: unknown) => this.errors.push({ who, err }));
    return emitter;
  }
  assertNone(): void {
    if (this.errors.length > 0) {
      const text = this.errors.map(({ who, err }) => `${who}: ${err instanceof Error ? err.message : String(err)}`).join('; ');
      throw new Error(`client error event(s): ${text}`);
    }
  }
}

/** Resolves when every one of n callers has arrived; the n-th arrival releases all. */
export function barrier(n: number): () => Promise<void> {
  let arrived = 0;
  let release!: () => void;
  const all = new Promise<void>((r) => (release = r));
  return () => {
    arrived++;
    if (arrived === n) release();
    return all;
  };
}

/** Awaits a promise, failing with a named error when it does not settle in time. */
export async function within<T>(p: Promise<T>, what: string, timeoutMs = WAIT_MS): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: not done within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    return await Promise.race([p, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** A unique key/channel prefix per test, so tests sharing a server never see each other's data. */
let seq = 0;
export function uniq(label: string): string {
  seq++;
  return `${label}:${process.pid}:${seq}`;
}

/** Bytes that are not valid UTF-8 (and include CR, LF and NUL), to prove binary round-trips. */
export const BINARY = Buffer.from([0x00, 0xff, 0xfe, 0x0d, 0x0a, 0x80, 0xc3, 0x28, 0x24, 0x2a, 0x00, 0x7f]);

// ---- client factories: unchanged libraries, only connection and failure-handling options ----


export type IORedis = IORedis5;

function ioredisOptions(port: number) {
  return {
    host: '127.0.0.1',
    port,
    // Fail fast instead of reconnecting and retrying: a broken reply must fail the test.
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    reconnectOnError: () => false,
    connectTimeout: WAIT_MS,
    commandTimeout: WAIT_MS,
  };
}

/**
 * The ioredis majors under test: 5 (the project's long-standing devDependency, speaks RESP2)
 * and 6 (the current major, installed as the npm alias `ioredis-v6`; it speaks RESP3 by
 * default, with its "legacy" reply mapping giving RESP2-shaped results). Both expose the same
 * API for everything used here; the cast only unifies the TypeScript types.
 */
export const IOREDIS_MAJORS: ReadonlyArray<{ name: string; resp: 2 | 3; connect: (port: number) => IORedis }> = [
  { name: 'ioredis 5 (RESP2)', resp: 2, connect: (port) => new IORedis5(ioredisOptions(port)) },
  { name: 'ioredis 6 (RESP3 default)', resp: 3, connect: (port) => new IORedis6(ioredisOptions(port)) as unknown as IORedis5 },
];

export type NodeRedis = ReturnType<typeof createClient>;

/**
 * A node-redis (npm `redis`, current major) client, not yet connected. RESP 3 is the
 * library's default; RESP 2 is asked for explicitly to cover the RESP2 subscribed mode.
 */
export function nodeRedis(port: number, resp: 2 | 3): NodeRedis {
  const socket = { host: '127.0.0.1', port, connectTimeout: WAIT_MS, reconnectStrategy: false as const };
  if (resp === 3) return createClient({ socket });
  return createClient({ socket, RESP: 2 }) as unknown as NodeRedis;
}

export const NODE_REDIS_PROTOCOLS: ReadonlyArray<{ name: string; resp: 2 | 3 }> = [
  { name: 'node-redis RESP3 (default)', resp: 3 },
  { name: 'node-redis RESP2', resp: 2 },
];

/** Closes clients whatever state they are in; never throws (teardown must not mask a failure). */
export async function closeAll(clients: Iterable<IORedis | NodeRedis>): Promise<void> {
  await Promise.allSettled(
    [...clients].map(async (c) => {
      if ('quit' in c && 'status' in c) {
        // ioredis
        const io = c as IORedis;
        if (io.status === 'end') return;
        try {
          await within(io.quit(), 'ioredis quit');
        } catch {
          io.disconnect();
        }
        return;
      }
      const nr = c as NodeRedis;
      if (!nr.isOpen) return;
      try {
        await within(nr.close(), 'node-redis close');
      } catch {
        nr.destroy();
      }
    }),
  );
}
