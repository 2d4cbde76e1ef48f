/*
 * Blocking operations on keys (Redis 7.0 blocked.c semantics): BLPOP, BRPOP, BRPOPLPUSH, BLMOVE,
 * BLMPOP, and the sorted-set family's BZPOPMIN, BZPOPMAX, BZMPOP.
 *
 * API for a command family (the whole of it):
 *
 *   parseTimeoutOrReply(c, i)            argument i as a blocking timeout in seconds (fractional,
 *                                        strtold syntax, Redis's errors): the absolute deadline in
 *                                        ms, 0 for "forever", or -1 after replying the error.
 *   blockForKeys(c, first, last, deadline, retry, arg)
 *                                        park the client on the keys in arguments first..last of
 *                                        its current command (in the current db) until one is
 *                                        served, the deadline passes, CLIENT UNBLOCK or a
 *                                        disconnect. Call it when the command found nothing to
 *                                        serve and c.denyBlocking is false (under MULTI/EXEC or a
 *                                        script, reply the timeout reply at once instead: a null
 *                                        array, or a null bulk for BLMOVE/BRPOPLPUSH, as Redis).
 *                                        Nothing must have been replied for the command.
 *   retry(c, keyArg, arg) => boolean     called when key argument keyArg may be servable: with
 *                                        the client's argument view (c.argc, c.argBuf, argIs ...)
 *                                        on its saved blocked command, c.db its db, c.reply ready
 *                                        for its reply. Serve (pop, reply as the command would)
 *                                        and return true; or return false having written nothing
 *                                        (key missing, of another type, empty: stay blocked). A
 *                                        true return may also have replied an error (BLMOVE onto
 *                                        a key of another type): the client is released either
 *                                        way. `arg` is the number given to blockForKeys (a
 *                                        direction, a count ...).
 *   signalKeyReady(c, db, buf, off, len) after a write that may let a blocked client proceed (a
 *                                        push or add that created the key, a move into it). Free
 *                                        when nobody is blocked; clients are served right after
 *                                        the current top-level command, in the order they
 *                                        blocked, as Redis's handleClientsBlockedOnKeys.
 *
 * Timeouts, CLIENT UNBLOCK TIMEOUT and the timeout reply are generic: a null array (RESP2 *-1,
 * RESP3 _), which is what Redis 7.0 answers for every list and sorted-set blocking command;
 * CLIENT UNBLOCK ERROR replies -UNBLOCKED client unblocked via CLIENT UNBLOCK.
 *
 * How it works
 * - Waiting costs nothing: a blocked client is a BlockState (its saved arguments, deadline,
 *   retry) linked into one FIFO list per (db, key) (KeyWaiters, in a Map by a hash of the key
 *   bytes: no string per key), plus an indexed min-heap of deadlines behind ONE timer armed for
 *   the earliest. Its connection keeps reading, but connection.ts runs none of its buffered
 *   commands until it is released.
 * - Signalled keys queue once (the `queued` flag) and are served after the top-level command
 *   that signalled them (connection.ts calls afterCommand): for each ready key that exists, its
 *   waiters are retried first-blocked first, until the key is gone. A BLMOVE served into another
 *   key signals that key, handled in the next round of the same loop.
 * - Besides explicit signals, every key the store adds while someone is blocked is signalled
 *   (Keyspace.onAdd, keyspace-events.ts), as Redis's dbAdd calls signalKeyAsReady: RENAME, COPY,
 *   MOVE, SORT ... STORE creating a key wake its waiters without their families knowing; an
 *   overwrite in place does not (Redis's dbOverwrite does not either), except where Redis
 *   deletes and re-adds the key (Client.added). Spurious signals are harmless: a retry that
 *   cannot serve writes nothing.
 * - Replies to other clients: each client has its own output buffer (output.ts), so a woken
 *   client's reply is appended to its buffer and flushed with this turn's writes. Serving only
 *   happens between two commands, never inside a handler; CLIENT UNBLOCK only detaches the
 *   target and queues its reply for the same post-command step. A retry that throws answers its
 *   own client -ERR and releases it; the timeout timer is guarded likewise.
 * - A released client's buffered commands run from a setImmediate (Redis's unblocked_clients
 *   list processed in beforeSleep), never inside another client's batch.
 */
import { SavedArguments, type Client } from './client.ts';
import type { ServerState } from './server-state.ts';
import { parseLongDouble } from './long-double.ts';
import { parsed, parseInt64 } from './numbers.ts';
import { Lookup } from '../store/types.ts';
import { E_TIMEOUT_NOT_FLOAT, E_TIMEOUT_NEGATIVE } from '../protocol/replies.ts';

export type RetryFn = (c: Client, keyArg: number, arg: number) => boolean;

/** The largest delay setTimeout takes; longer waits re-arm. */
const MAX_TIMER_MS = 2 ** 31 - 1;
const UNBLOCKED_ERROR = 'UNBLOCKED client unblocked via CLIENT UNBLOCK';
const TWO_63 = 1n << 63n;

/** One (db, key) with blocked clients, in blocking order. */
class KeyWaiters {
  readonly db: number;
  readonly key: Buffer;
  readonly hash: number;
  head: Waiter | null = null;
  tail: Waiter | null = null;
  /** In the ready queue. */
  queued = false;
  /** Next KeyWaiters with the same hash. */
  chain: KeyWaiters | null = null;

  constructor(db: number, key: Buffer, hash: number) {
    this.db = db;
    this.key = key;
    this.hash = hash;
  }
}

/** One blocked client on one key. */
class Waiter {
  readonly state: BlockState;
  readonly keyArg: number;
  readonly keys: KeyWaiters;
  prev: Waiter | null = null;
  next: Waiter | null = null;

  constructor(state: BlockState, keyArg: number, keys: KeyWaiters) {
    this.state = state;
    this.keyArg = keyArg;
    this.keys = keys;
  }
}

/** A blocked client's state (client.blocked while it waits). */
export class BlockState {
  readonly client: Client;
  readonly retry: RetryFn;
  readonly arg: number;
  /** Absolute ms, 0 = no timeout. */
  readonly deadline: number;
  /** The client had replies off (CLIENT REPLY OFF, or SKIP for this command): its reply is dropped. */
  readonly silent: boolean;
  readonly waiters: Waiter[] = [];
  /** Position in the timeout heap, -1 when not in it. */
  heapIndex = -1;
  /** When it blocked (ms), for CLIENT LIST / diagnostics. */
  readonly since: number;

  constructor(client: Client, retry: RetryFn, arg: number, deadline: number, silent: boolean, since: number) {
    this.client = client;
    this.retry = retry;
    this.arg = arg;
    this.deadline = deadline;
    this.silent = silent;
    this.since = since;
  }
}

/** FNV-1a over the key bytes, seeded with the db. */
function hashKey(db: number, buf: Uint8Array, off: number, len: number): number {
  let h = (0x811c9dc5 ^ db) >>> 0;
  for (let i = 0; i < len; i++) h = Math.imul(h ^ buf[off + i], 0x01000193);
  return h >>> 0;
}

function sameBytes(a: Uint8Array, b: Uint8Array, off: number, len: number): boolean {
  if (a.length !== len) return false;
  for (let i = 0; i < len; i++) if (a[i] !== b[off + i]) return false;
  return true;
}

/** The server's blocked clients (server.blocking). */
export class BlockingRegistry {
  /** Clients blocked now (INFO blocked_clients). */
  blockedCount = 0;
  /** Work for afterCommand: ready keys or CLIENT UNBLOCK replies. */
  pending = false;
  private server: ServerState | null = null;
  private readonly buckets = new Map<number, KeyWaiters>();
  private ready: KeyWaiters[] = [];
  private spare: KeyWaiters[] = [];
  private readonly releasedClients: Client[] = [];
  /** Per released client: 1 = error reply, 2 = silent. */
  private readonly releasedKinds: number[] = [];
  private readonly heap: BlockState[] = [];
  private timer: ReturnType<typeof setTimeout> | null = null;
  private timerAt = 0;
  private resumeQueue: Client[] = [];
  private resumeScheduled = false;
  private closed = false;

  attach(server: ServerState): void {
    this.server = server;
  }

  /** Blocked clients with a deadline (INFO clients_in_timeout_table). */
  get timeoutCount(): number {
    return this.heap.length;
  }

  // ---- blocking ----

  block(c: Client, first: number, last: number, deadline: number, retry: RetryFn, arg: number): void {
    const server = this.server!;
    // Keep the command's arguments: the parser's buffer moves on while the client waits.
    const saved = new SavedArguments(c);
    c.useArguments(saved);
    const buf = saved.buf;
    const offs = saved.off;
    const lens = saved.len;
    const st = new BlockState(c, retry, arg, deadline, c.replyOff || c.skipCurrentReply, server.clock.now);
    for (let i = first; i <= last; i++) {
      const kw = this.keyWaiters(c.db, buf, offs[i], lens[i], true)!;
      // A key named twice is waited on once (BLPOP k k 0).
      if (kw.tail !== null && kw.tail.state === st) continue;
      const w = new Waiter(st, i, kw);
      w.prev = kw.tail;
      if (kw.tail !== null) kw.tail.next = w;
      else kw.head = w;
      kw.tail = w;
      st.waiters.push(w);
    }
    c.blocked = st;
    if (this.blockedCount++ === 0) server.events.updateAddHook();
    if (deadline > 0) {
      this.heapPush(st);
      this.arm();
    }
  }

  private keyWaiters(db: number, buf: Uint8Array, off: number, len: number, create: boolean): KeyWaiters | null {
    const hash = hashKey(db, buf, off, len);
    const first = this.buckets.get(hash) ?? null;
    for (let k = first; k !== null; k = k.chain) {
      if (k.db === db && sameBytes(k.key, buf, off, len)) return k;
    }
    if (!create) return null;
    const kw = new KeyWaiters(db, Buffer.from(buf.subarray(off, off + len)), hash);
    kw.chain = first;
    this.buckets.set(hash, kw);
    return kw;
  }

  private dropKeyWaiters(kw: KeyWaiters): void {
    let k = this.buckets.get(kw.hash) ?? null;
    if (k === kw) {
      if (kw.chain === null) this.buckets.delete(kw.hash);
      else this.buckets.set(kw.hash, kw.chain);
      return;
    }
    while (k !== null && k.chain !== kw) k = k.chain;
    if (k !== null) k.chain = kw.chain;
  }

  /** Take a blocked client out of every key list and the timeout heap. */
  private detach(st: BlockState): void {
    for (const w of st.waiters) {
      const kw = w.keys;
      if (w.prev !== null) w.prev.next = w.next;
      else kw.head = w.next;
      if (w.next !== null) w.next.prev = w.prev;
      else kw.tail = w.prev;
      if (kw.head === null) this.dropKeyWaiters(kw);
    }
    if (st.heapIndex >= 0) this.heapRemove(st);
    st.client.blocked = null;
    if (--this.blockedCount === 0) this.server!.events.updateAddHook();
  }

  // ---- signals ----

  signal(db: number, buf: Uint8Array, off: number, len: number): void {
    if (this.blockedCount === 0) return;
    const kw = this.keyWaiters(db, buf, off, len, false);
    if (kw === null || kw.queued) return;
    kw.queued = true;
    this.ready.push(kw);
    this.pending = true;
  }

  /**
   * Keys come to exist through the store's add hook (Redis's dbAdd calls signalKeyAsReady),
   * installed while someone is blocked: whatever command created them. SWAPDB brings a whole
   * db in: after it every waited key is retried, as Redis rescans the swapped dbs.
   */
  private signalCommandKeys(c: Client): void {
    const cmd = c.lastCommand;
    if (cmd !== null && cmd.parent === null && cmd.name === 'swapdb') this.signalAll();
  }

  private signalAll(): void {
    for (const first of this.buckets.values()) {
      for (let kw: KeyWaiters | null = first; kw !== null; kw = kw.chain) {
        if (kw.queued) continue;
        kw.queued = true;
        this.ready.push(kw);
        this.pending = true;
      }
    }
  }

  // ---- after each top-level command ----

  /**
   * Called by the connection after each top-level command while someone is blocked or work is
   * pending (`ran`: the handler ran, not a rejection): signal the keys a write command touched,
   * then serve ready keys and write CLIENT UNBLOCK replies.
   */
  afterCommand(c: Client, ran: boolean): void {
    if (ran && this.blockedCount > 0 && c.blocked === null) this.signalCommandKeys(c);
    if (this.pending) this.serve();
  }

  /** A command ran inside EXEC: signal the keys it wrote; they are served after the EXEC. */
  afterQueuedCommand(c: Client): void {
    if (this.blockedCount > 0) this.signalCommandKeys(c);
  }

  private serve(): void {
    this.pending = false;
    // CLIENT UNBLOCK: their timeout or error reply.
    const released = this.releasedClients;
    for (let i = 0; i < released.length; i++) {
      const c = released[i];
      const kind = this.releasedKinds[i];
      if (c.closed) continue;
      if ((kind & 2) === 0) {
        if ((kind & 1) !== 0) c.reply.error(UNBLOCKED_ERROR);
        else c.reply.nullArray();
        c.queueOutput();
      }
      this.queueResume(c);
    }
    released.length = 0;
    this.releasedKinds.length = 0;
    // Ready keys, in the order they were signalled; serving may signal more (BLMOVE).
    while (this.ready.length > 0) {
      const batch = this.ready;
      this.ready = this.spare;
      this.spare = batch;
      for (let i = 0; i < batch.length; i++) {
        const kw = batch[i];
        kw.queued = false;
        this.serveKey(kw);
      }
      batch.length = 0;
    }
    this.pending = false;
  }

  /** Retry the waiters of one ready key, first blocked first, while the key exists. */
  private serveKey(kw: KeyWaiters): void {
    const store = this.server!.store;
    const key = kw.key;
    if (store.lookup(kw.db, key, 0, key.length, Lookup.PEEK) < 0) return;
    let w = kw.head;
    while (w !== null) {
      const next = w.next;
      const st = w.state;
      const c = st.client;
      const mark = c.reply.mark();
      if (this.retryGuarded(st, w.keyArg)) {
        if (st.silent) c.reply.truncate(mark);
        this.detach(st);
        c.queueOutput();
        this.queueResume(c);
        if (store.lookup(kw.db, key, 0, key.length, Lookup.PEEK) < 0) return;
      } else {
        c.reply.truncate(mark);
      }
      w = next;
    }
  }

  /**
   * The waiter's retry behind the fault boundary: an exception answers that client -ERR and
   * releases it (logged with the command's name), and no other client is touched.
   */
  private retryGuarded(st: BlockState, keyArg: number): boolean {
    const c = st.client;
    const mark = c.reply.mark();
    try {
      return st.retry(c, keyArg, st.arg);
    } catch (err) {
      const server = this.server!;
      const name = c.lastCommand === null ? '(unknown)' : c.lastCommand.fullName;
      server.logger.error({ err, client: c.id, command: name }, 'internal error while serving a blocked client');
      c.reply.truncate(mark);
      c.reply.error(`ERR internal error while executing '${name}' (logged by the server)`);
      return true;
    }
  }

  // ---- releasing ----

  /** CLIENT UNBLOCK: release a blocked client with the timeout reply (or the UNBLOCKED error). */
  release(target: Client, error: boolean): boolean {
    const st = target.blocked;
    if (st === null) return false;
    this.detach(st);
    this.releasedClients.push(target);
    this.releasedKinds.push((error ? 1 : 0) | (st.silent ? 2 : 0));
    this.pending = true;
    return true;
  }

  /** The client is going away (CLIENT KILL, disconnect): forget it, no reply. */
  disconnect(c: Client): void {
    if (c.blocked !== null) this.detach(c.blocked);
  }

  /** Server shutdown: stop the timer. */
  close(): void {
    this.closed = true;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }

  private queueResume(c: Client): void {
    this.resumeQueue.push(c);
    if (!this.resumeScheduled) {
      this.resumeScheduled = true;
      setImmediate(this.resumeAll);
    }
  }

  private readonly resumeAll = (): void => {
    const list = this.resumeQueue;
    this.resumeQueue = [];
    this.resumeScheduled = false;
    const server = this.server!;
    for (const c of list) {
      if (!c.closed && c.blocked === null) server.resumeClient(c);
    }
  };

  // ---- timeouts ----

  private arm(): void {
    if (this.closed) return;
    if (this.heap.length === 0) {
      if (this.timer !== null) clearTimeout(this.timer);
      this.timer = null;
      return;
    }
    const at = this.heap[0].deadline;
    if (this.timer !== null && this.timerAt <= at) return;
    if (this.timer !== null) clearTimeout(this.timer);
    const now = Date.now();
    const delay = Math.min(Math.max(at - now, 0), MAX_TIMER_MS);
    this.timerAt = now + delay;
    this.timer = setTimeout(this.onTimer, delay);
    this.timer.unref();
  }

  private readonly onTimer = (): void => {
    this.timer = null;
    try {
      this.expireWaiters();
    } catch (err) {
      this.server!.logger.error({ err }, 'internal error in the blocking-timeout timer');
    }
    this.arm();
  };

  /** Answer every waiter whose deadline has passed with the timeout reply. */
  private expireWaiters(): void {
    const now = this.server!.clock.refresh();
    const heap = this.heap;
    while (heap.length > 0 && heap[0].deadline <= now) {
      const st = heap[0];
      const c = st.client;
      this.detach(st);
      if (c.closed) continue;
      if (!st.silent) {
        c.reply.nullArray();
        c.queueOutput();
      }
      this.queueResume(c);
    }
  }

  private heapPush(st: BlockState): void {
    const heap = this.heap;
    st.heapIndex = heap.length;
    heap.push(st);
    this.siftUp(st.heapIndex);
  }

  private heapRemove(st: BlockState): void {
    const heap = this.heap;
    const i = st.heapIndex;
    const last = heap.pop()!;
    st.heapIndex = -1;
    if (last === st) return;
    heap[i] = last;
    last.heapIndex = i;
    this.siftDown(i);
    this.siftUp(last.heapIndex);
  }

  private siftUp(i: number): void {
    const heap = this.heap;
    const item = heap[i];
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const p = heap[parent];
      if (p.deadline <= item.deadline) break;
      heap[i] = p;
      p.heapIndex = i;
      i = parent;
    }
    heap[i] = item;
    item.heapIndex = i;
  }

  private siftDown(i: number): void {
    const heap = this.heap;
    const n = heap.length;
    const item = heap[i];
    for (;;) {
      let child = 2 * i + 1;
      if (child >= n) break;
      if (child + 1 < n && heap[child + 1].deadline < heap[child].deadline) child++;
      const ch = heap[child];
      if (ch.deadline >= item.deadline) break;
      heap[i] = ch;
      ch.heapIndex = i;
      i = child;
    }
    heap[i] = item;
    item.heapIndex = i;
  }
}

// ---- the family API ----

/**
 * getTimeoutFromObjectOrReply(UNIT_SECONDS) as Redis 7.0.15 computes it: the argument parsed as
 * a long double (string2ld: decimal or hex, inf accepted, no spaces, no NaN), ms = ceill(x *
 * 1000) converted to a long long (out of range, infinities included, give LLONG_MIN, hence
 * "timeout is negative"), 0 for "block forever", else now + ms. Returns the absolute deadline
 * in ms, 0, or -1 after replying the error.
 */
export function parseTimeoutOrReply(c: Client, i: number): number {
  const buf = c.argBuf;
  const off = c.argOff[i];
  const len = c.argLen[i];
  let ms: number;
  // Fast path: a plain non-negative integer number of seconds.
  if (len <= 15 && parseInt64(buf, off, len) && !parsed.isBig && parsed.num >= 0) {
    ms = parsed.num * 1000;
  } else {
    const v = parseLongDouble(buf, off, len);
    if (v === null) {
      c.reply.raw(E_TIMEOUT_NOT_FLOAT);
      return -1;
    }
    if (v.kind !== 'finite') {
      c.reply.raw(E_TIMEOUT_NEGATIVE);
      return -1;
    }
    const t = ceilMillis(v.neg, v.sig, v.exp);
    if (t < 0n || t >= TWO_63) {
      c.reply.raw(E_TIMEOUT_NEGATIVE);
      return -1;
    }
    ms = Number(t);
  }
  if (ms === 0) return 0;
  return c.server.clock.now + ms;
}

/**
 * ceill(v * 1000.0L) for v = (-1)^neg * sig * 2^exp: the product rounded to a 64-bit
 * significand (half even, as the x87 multiplies), then the ceiling, as an exact bigint.
 */
function ceilMillis(neg: boolean, sig: bigint, exp: number): bigint {
  if (sig === 0n) return 0n;
  let m = sig * 1000n;
  let e = exp;
  const bits = m.toString(2).length;
  if (bits > 64) {
    const shift = BigInt(bits - 64);
    let q = m >> shift;
    const rem = m - (q << shift);
    const half = 1n << (shift - 1n);
    if (rem > half || (rem === half && (q & 1n) === 1n)) q++;
    m = q;
    e += bits - 64;
  }
  if (e >= 0) {
    const whole = m << BigInt(e);
    return neg ? -whole : whole;
  }
  const shift = BigInt(-e);
  const floor = m >> shift;
  const exact = floor << shift === m;
  // Positive: round up; negative: ceil(-x) = -floor(x).
  return neg ? -floor : exact ? floor : floor + 1n;
}

/** Park the client on keys in arguments first..last (see the file comment). */
export function blockForKeys(c: Client, first: number, last: number, deadline: number, retry: RetryFn, arg: number): void {
  c.server.blocking.block(c, first, last, deadline, retry, arg);
}

/** Keys in db that gained elements may let blocked clients proceed (see the file comment). */
export function signalKeyReady(c: Client, db: number, buf: Uint8Array, off: number, len: number): void {
  const blocking = c.server.blocking;
  if (blocking.blockedCount !== 0) blocking.signal(db, buf, off, len);
}
