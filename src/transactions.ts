/*
 * MULTI/EXEC state and WATCH (Redis 7.0 multi.c).
 *
 * A client in MULTI has `multi` (its queued commands, arguments copied out of the parser's
 * buffer) instead of null; connection.ts queues every command but EXEC, DISCARD, MULTI, WATCH,
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
import { SavedArguments, type Client } from './client.ts';
import type { CommandEntry } from './registry.ts';
import type { Keyspace } from '../store/keyspace.ts';

/** A command queued inside MULTI (or postponed by CLIENT PAUSE), with its own copy of the arguments. */
export class QueuedCommand extends SavedArguments {
  readonly cmd: CommandEntry;

  constructor(c: Client, cmd: CommandEntry) {
    super(c);
    this.cmd = cmd;
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
  c.multiFlags = 0;
  c.multiDirty = false;
  c.casDirty = false;
  c.server.watches.unwatchAll(c);
}
