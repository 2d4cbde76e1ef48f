/*
 * What happens when a key changes, besides the change itself (Redis 7.0 notify.c and db.c's
 * signalModifiedKey):
 *
 *   modified(db, key)                  signalModifiedKey: transactions WATCHing the key fail.
 *   notify(type, event, db, key)       notifyKeyspaceEvent: when notify-keyspace-events enables
 *                                      the event's class, publish `event` on
 *                                      __keyspace@<db>__:<key> (K) and the key on
 *                                      __keyevent@<db>__:<event> (E).
 *
 * Command families call both where Redis's t_*.c call them (through Client.modified and
 * Client.notify for a key in the command's arguments). With notifications off and nobody
 * watching, each costs one or two branches.
 *
 * Keys the store removes on its own (expiry, lazy or active, and eviction) arrive through
 * Keyspace.onRemove, which is installed only while someone can observe it (a watcher, or the
 * x or e class enabled), so a mass expiry costs nothing extra otherwise. Keys the store adds
 * (Redis's dbAdd) arrive through Keyspace.onAdd, for the `new` event and to wake clients blocked
 * on them, installed only while class n is on or someone is blocked.
 */
import type { ServerState } from './server-state.ts';
import type { Client } from './client.ts';
import { RemovalReason, type RemovalReasonCode } from '../store/types.ts';
import { copyBytes } from '../store/bytes.ts';

/** notify-keyspace-events classes, as Redis's NOTIFY_* bits. */
export const NotifyClass = {
  KEYSPACE: 1,
  KEYEVENT: 2,
  GENERIC: 4,
  STRING: 8,
  LIST: 16,
  SET: 32,
  HASH: 64,
  ZSET: 128,
  EXPIRED: 256,
  EVICTED: 512,
  STREAM: 1024,
  KEY_MISS: 2048,
  MODULE: 8192,
  NEW: 16384,
} as const;

const CLASS_CHARS: Record<string, number> = {
  K: NotifyClass.KEYSPACE, E: NotifyClass.KEYEVENT, g: NotifyClass.GENERIC, $: NotifyClass.STRING,
  l: NotifyClass.LIST, s: NotifyClass.SET, h: NotifyClass.HASH, z: NotifyClass.ZSET,
  x: NotifyClass.EXPIRED, e: NotifyClass.EVICTED, t: NotifyClass.STREAM, m: NotifyClass.KEY_MISS,
  d: NotifyClass.MODULE, n: NotifyClass.NEW,
};
const ALL = NotifyClass.GENERIC | NotifyClass.STRING | NotifyClass.LIST | NotifyClass.SET | NotifyClass.HASH | NotifyClass.ZSET | NotifyClass.EXPIRED | NotifyClass.EVICTED | NotifyClass.STREAM | NotifyClass.MODULE;

/** The bits of a notify-keyspace-events value (already validated by the config table). */
export function parseNotifyClasses(value: string): number {
  let flags = 0;
  for (const ch of value) flags |= ch === 'A' ? ALL : CLASS_CHARS[ch] ?? 0;
  return flags;
}

const KEYSPACE_PREFIX = '__keyspace@';
const KEYEVENT_PREFIX = '__keyevent@';

export class KeyspaceEvents {
  /** The enabled classes (notify-keyspace-events). */
  classes = 0;
  private server: ServerState | null = null;
  private readonly onRemove = (db: number, key: Uint8Array, off: number, len: number, reason: RemovalReasonCode): void => {
    if (reason === RemovalReason.EXPIRED) this.notify(NotifyClass.EXPIRED, 'expired', db, key, off, len);
    else this.notify(NotifyClass.EVICTED, 'evicted', db, key, off, len);
    this.modifiedBy(null, db, key, off, len);
  };

  /** dbAdd: the `new` event, and signalKeyAsReady for clients blocked on the key. */
  readonly onAdd = (db: number, key: Uint8Array, off: number, len: number): void => {
    this.notify(NotifyClass.NEW, 'new', db, key, off, len);
    const blocking = this.server!.blocking;
    if (blocking.blockedCount !== 0) blocking.signal(db, key, off, len);
  };

  attach(server: ServerState): void {
    this.server = server;
  }

  setClasses(classes: number): void {
    this.classes = classes;
    this.updateRemovalHook();
    this.updateAddHook();
  }

  /** Install the store's add hook only while class n is on or a client is blocked on keys. */
  updateAddHook(): void {
    const server = this.server!;
    server.store.onAdd = (this.classes & NotifyClass.NEW) !== 0 || server.blocking.blockedCount !== 0 ? this.onAdd : null;
  }

  /** Install the store's removal hook only while a watcher, a tracked key or an x/e class can see it. */
  updateRemovalHook(): void {
    const server = this.server!;
    const wanted = server.watches.count > 0 || server.tracking.clients > 0 || (this.classes & (NotifyClass.EXPIRED | NotifyClass.EVICTED)) !== 0;
    server.store.onRemove = wanted ? this.onRemove : null;
  }

  /** signalModifiedKey, by the running command. */
  modified(db: number, key: Uint8Array, off: number, len: number): void {
    this.modifiedBy(this.server!.currentClient, db, key, off, len);
  }

  /** signalModifiedKey: `by` is the client that changed the key (null: expiry, eviction). */
  private modifiedBy(by: Client | null, db: number, key: Uint8Array, off: number, len: number): void {
    const server = this.server!;
    const watches = server.watches;
    if (watches.count !== 0) watches.touch(db, key, off, len);
    const tracking = server.tracking;
    if (tracking.clients !== 0 || tracking.table.size !== 0) tracking.invalidateKey(by, key, off, len, true);
  }

  /**
   * signalFlushedDb: db (or every db, -1) is about to be emptied: WATCHed keys in it are
   * touched (Redis 7.0's rules) and every tracking client is told to drop its whole cache.
   */
  flushed(db: number): void {
    const server = this.server!;
    if (server.watches.count !== 0) {
      if (db >= 0) server.watches.touchDb(db, -1);
      else for (let i = 0; i < server.store.databases; i++) server.watches.touchDb(i, -1);
    }
    server.tracking.flushed();
  }

  /** notifyKeyspaceEvent. */
  notify(type: number, event: string, db: number, key: Uint8Array, off: number, len: number): void {
    const classes = this.classes;
    if ((classes & type) === 0) return;
    const pubsub = this.server!.pubsub;
    if ((classes & NotifyClass.KEYSPACE) !== 0) {
      const prefix = `${KEYSPACE_PREFIX}${db}__:`;
      const channel = Buffer.allocUnsafe(prefix.length + len);
      channel.write(prefix, 0, 'latin1');
      copyBytes(key, off, channel, prefix.length, len);
      const message = Buffer.from(event, 'latin1');
      pubsub.publish(channel, 0, channel.length, message, 0, message.length, false);
    }
    if ((classes & NotifyClass.KEYEVENT) !== 0) {
      const channel = Buffer.from(`${KEYEVENT_PREFIX}${db}__:${event}`, 'latin1');
      pubsub.publish(channel, 0, channel.length, key, off, len, false);
    }
  }
}
