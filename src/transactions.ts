/*
 * MULTI/EXEC state and WATCH (Redis 7.0 multi.c).
 *
 * A client in MULTI has `multi` (its queued commands, arguments copied out of the parser's
 * buffer into the client's TransactionArguments) instead of null; connection.ts queues every command but EXEC, DISCARD, MULTI, WATCH,
 * QUIT and RESET, and flags the transaction (`multiDirty`, Redis's CLIENT_DIRTY_EXEC) when one is
 * rejected while queuing. EXEC (commands/transactions.ts) runs the queue in one go: nothing
 * else runs on this single thread meanwhile, and blocked clients are served after it.
 *
 * WATCH: the registry maps each (db, key) to the clients watching it (keys as latin1 strings,
 * the one place a key becomes a string, only while someone watches). A modification of a key
 * (signalModifiedKey, keyspace-events.ts) flags its watchers' transactions (`casDirty`, Redis's
 * CLIENT_DIRTY_CAS) and unwatches them at once, as 7.0 does; with no watcher it costs one
 * branch. Redis 7.0's rule for keys that expire while watched: a key already expired when
 * WATCHed is marked `expired`, and its later deletion is no change; a key that expires after
 * WATCH makes EXEC fail (isWatchedKeyExpired).
 */
import type { Client } from './client.ts';
import type { CommandEntry } from './registry.ts';
import type { Keyspace } from '../store/keyspace.ts';

/**
 * A command queued inside MULTI: its arguments are entries first .. first+argc-1 of the
 * client's TransactionArguments, which reuses these objects from one transaction to the next.
 */
export class QueuedCommand {
  cmd: CommandEntry;
  first = 0;
  argc = 0;
  /** Bytes it holds (CLIENT LIST multi-mem): its arguments and their offsets and lengths. */
  bytes = 0;

  constructor(cmd: CommandEntry) {
    this.cmd = cmd;
  }
}

/** Bytes of a QueuedCommand object (four fields) and its slots in the pool and the queue. */
const QUEUED_COMMAND_BYTES = 40;

/** Sizes a client's transaction arena keeps between transactions; a bigger transaction's buffers are dropped after it. */
const ARENA_BYTES = 1024;
const ARENA_KEEP_BYTES = 64 * 1024;
const ARENA_ARGS = 64;
const ARENA_KEEP_ARGS = 4096;
const ARENA_KEEP_COMMANDS = 1024;

/**
 * The arguments of a client's queued commands, copied out of the parser's buffer into one
 * buffer and one pair of offset/length arrays per client, all grown by doubling and reused by
 * the next transaction, as are the queue and its QueuedCommands: queuing a command allocates
 * nothing once a client has run a transaction as long, where a copy of its own (a Buffer, two
 * typed arrays and an object) cost more than the command. EXEC points the
 * client's argument view at the arena, one command at a time (load).
 */
export class TransactionArguments {
  /** The queue of the transaction being built: the client's `multi` while it is in MULTI. */
  readonly commands: QueuedCommand[] = [];
  /** Every QueuedCommand made so far, reused in order by later transactions. */
  private readonly pool: QueuedCommand[] = [];
  private buf = Buffer.allocUnsafeSlow(ARENA_BYTES);
  private used = 0;
  private off = new Int32Array(ARENA_ARGS);
  private len = new Int32Array(ARENA_ARGS);
  private count = 0;
  /** The argument view of the command being executed (offsets into buf). */
  private viewOff = new Int32Array(ARENA_ARGS);
  private viewLen = new Int32Array(ARENA_ARGS);

  /** Copy the client's current arguments in and queue them as cmd (at the end of `commands`). */
  queue(c: Client, cmd: CommandEntry): void {
    const argc = c.argc;
    let total = 0;
    for (let i = 0; i < argc; i++) total += c.argLen[i];
    if (this.used + total > this.buf.length) this.growBytes(this.used + total);
    if (this.count + argc > this.off.length) this.growArgs(this.count + argc);
    const first = this.count;
    const buf = this.buf;
    const src = c.argBuf;
    let p = this.used;
    for (let i = 0; i < argc; i++) {
      const n = c.argLen[i];
      const from = c.argOff[i];
      // Arguments are mostly short: a loop beats the native copy's call for them.
      if (n <= 32) for (let j = 0; j < n; j++) buf[p + j] = src[from + j];
      else src.copy(buf, p, from, from + n);
      this.off[first + i] = p;
      this.len[first + i] = n;
      p += n;
    }
    this.used = p;
    this.count = first + argc;
    const n = this.commands.length;
    if (n === this.pool.length) this.pool.push(new QueuedCommand(cmd));
    const q = this.pool[n];
    q.cmd = cmd;
    q.first = first;
    q.argc = argc;
    q.bytes = total + argc * 8;
    this.commands.push(q);
  }

  /** Bytes the arena holds (its capacity, kept between transactions up to the ARENA_KEEP sizes): part of the client's tot-mem. */
  bytes(): number {
    return this.buf.length + (this.off.length + this.viewOff.length) * 8 + this.pool.length * QUEUED_COMMAND_BYTES;
  }

  /** Make q's arguments the client's current ones (until the next load or the caller restores its own). */
  load(c: Client, q: QueuedCommand): void {
    const argc = q.argc;
    if (argc > this.viewOff.length) {
      this.viewOff = new Int32Array(argc);
      this.viewLen = new Int32Array(argc);
    }
    const viewOff = this.viewOff;
    const viewLen = this.viewLen;
    for (let i = 0; i < argc; i++) {
      viewOff[i] = this.off[q.first + i];
      viewLen[i] = this.len[q.first + i];
    }
    c.argc = argc;
    c.argBuf = this.buf;
    c.argOff = viewOff;
    c.argLen = viewLen;
  }

  /** Forget every queued command (the transaction ended); drop what a big one grew. */
  reset(): void {
    this.used = 0;
    this.count = 0;
    this.commands.length = 0;
    if (this.pool.length > ARENA_KEEP_COMMANDS) this.pool.length = ARENA_KEEP_COMMANDS;
    if (this.buf.length > ARENA_KEEP_BYTES) this.buf = Buffer.allocUnsafeSlow(ARENA_BYTES);
    if (this.off.length > ARENA_KEEP_ARGS) {
      this.off = new Int32Array(ARENA_ARGS);
      this.len = new Int32Array(ARENA_ARGS);
    }
    if (this.viewOff.length > ARENA_KEEP_ARGS) {
      this.viewOff = new Int32Array(ARENA_ARGS);
      this.viewLen = new Int32Array(ARENA_ARGS);
    }
  }

  private growBytes(need: number): void {
    const next = Buffer.allocUnsafeSlow(Math.max(need, this.buf.length * 2));
    this.buf.copy(next, 0, 0, this.used);
    this.buf = next;
  }

  private growArgs(need: number): void {
    const size = Math.max(need, this.off.length * 2);
    const off = new Int32Array(size);
    const len = new Int32Array(size);
    off.set(this.off.subarray(0, this.count));
    len.set(this.len.subarray(0, this.count));
    this.off = off;
    this.len = len;
  }
}

export class WatchedKey {
  readonly db: number;
  readonly key: string;
  /** The key was already expired (still stored) when WATCHed. */
  expired: boolean;

  constructor(db: number, key: string, expired: boolean) {
    this.db = db;
    this.key = key;
    this.expired = expired;
  }
}

export class WatchRegistry {
  /** Watches in force ((client, key) pairs): 0 makes every touch free. */
  count = 0;
  private readonly dbs: Map<string, Set<Client>>[] = [];
  private readonly store: Keyspace;
  /** Called when watching starts or stops anywhere (count leaves or reaches 0). */
  private readonly onActiveChange: () => void;

  constructor(store: Keyspace, onActiveChange: () => void) {
    this.store = store;
    this.onActiveChange = onActiveChange;
    for (let i = 0; i < store.databases; i++) this.dbs.push(new Map());
  }

  /** WATCH one key (no-op when the client already watches it). */
  watch(c: Client, db: number, buf: Uint8Array, off: number, len: number): void {
    const key = Buffer.from(buf.buffer, buf.byteOffset + off, len).toString('latin1');
    const watched = (c.watched ??= []);
    for (let i = 0; i < watched.length; i++) if (watched[i].db === db && watched[i].key === key) return;
    let clients = this.dbs[db].get(key);
    if (clients === undefined) {
      clients = new Set();
      this.dbs[db].set(key, clients);
    }
    clients.add(c);
    watched.push(new WatchedKey(db, key, this.store.isExpired(db, buf, off, len)));
    if (this.count++ === 0) this.onActiveChange();
  }

  unwatchAll(c: Client): void {
    const watched = c.watched;
    if (watched === null) return;
    for (const wk of watched) {
      const map = this.dbs[wk.db];
      const clients = map.get(wk.key);
      if (clients === undefined) continue;
      clients.delete(c);
      if (clients.size === 0) map.delete(wk.key);
      if (--this.count === 0) this.onActiveChange();
    }
    c.watched = null;
  }

  /** touchWatchedKey: db/key was modified. */
  touch(db: number, buf: Uint8Array, off: number, len: number): void {
    const map = this.dbs[db];
    if (map.size === 0) return;
    const key = Buffer.from(buf.buffer, buf.byteOffset + off, len).toString('latin1');
    const clients = map.get(key);
    if (clients === undefined) return;
    for (const c of [...clients]) {
      const wk = findWatched(c, db, key);
      if (wk !== null && wk.expired) {
        if (!this.store.contains(db, buf, off, len)) {
          // The already-expired key was deleted: no logical change.
          wk.expired = false;
          continue;
        }
      }
      this.dirty(c);
    }
  }

  /**
   * touchAllWatchedKeysInDb, called before db is emptied (FLUSHDB, FLUSHALL: other = -1) or
   * swapped with db `other` (SWAPDB): watched keys present now, or present in what replaces
   * them, are touched, with Redis 7.0's exceptions for keys that were or become expired.
   */
  touchDb(db: number, other: number): void {
    const map = this.dbs[db];
    if (map.size === 0) return;
    const store = this.store;
    for (const [key, clients] of [...map]) {
      const bytes = Buffer.from(key, 'latin1');
      const inEmptied = store.contains(db, bytes, 0, bytes.length);
      const inReplacement = other >= 0 && store.contains(other, bytes, 0, bytes.length);
      if (!inEmptied && !inReplacement) continue;
      for (const c of [...clients]) {
        const wk = findWatched(c, db, key);
        if (wk === null) continue;
        if (wk.expired) {
          if (!inReplacement) {
            // The expired key is deleted: no logical change.
            wk.expired = false;
            continue;
          }
          if (store.isExpired(other, bytes, 0, bytes.length)) continue;
        } else if (!inEmptied && store.isExpired(other, bytes, 0, bytes.length)) {
          // A missing key replaced by an expired one.
          wk.expired = true;
          continue;
        }
        this.dirty(c);
      }
    }
  }

  /** isWatchedKeyExpired: a key that was live when WATCHed has expired since. */
  anyExpired(c: Client): boolean {
    const watched = c.watched;
    if (watched === null) return false;
    for (const wk of watched) {
      if (wk.expired) continue;
      const bytes = Buffer.from(wk.key, 'latin1');
      if (this.store.isExpired(wk.db, bytes, 0, bytes.length)) return true;
    }
    return false;
  }

  private dirty(c: Client): void {
    c.casDirty = true;
    this.unwatchAll(c);
  }
}

function findWatched(c: Client, db: number, key: string): WatchedKey | null {
  const watched = c.watched;
  if (watched === null) return null;
  for (let i = 0; i < watched.length; i++) if (watched[i].db === db && watched[i].key === key) return watched[i];
  return null;
}

/** discardTransaction: leave MULTI, clear both dirty flags, unwatch everything. */
export function discardTransaction(c: Client): void {
  c.multi = null;
  if (c.transactionArgs !== null) c.transactionArgs.reset();
  c.multiFlags = 0;
  c.multiDirty = false;
  c.casDirty = false;
  c.server.watches.unwatchAll(c);
}
