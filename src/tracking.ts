/*
 * Client-side caching (Redis 7.0 tracking.c): CLIENT TRACKING's server side.
 *
 * Default mode: after a read-only command, a tracking client's keys (command-keys.ts) are
 * remembered in the tracking table, key -> ids of the clients that may cache it. When a key
 * is modified (signalModifiedKey, keyspace-events.ts) every remembered client gets one
 * invalidation message and the key leaves the table, so each read is invalidated at most
 * once. BCAST mode: clients register prefixes instead; modified keys matching a prefix are
 * collected during the event-loop turn and sent as one message per prefix just before the
 * turn's output is flushed (Redis's beforeSleep), skipping, under NOLOOP, the keys the client
 * changed itself.
 *
 * Messages: RESP3 clients get a push `>2 invalidate [keys]` (a null value for a flush). With
 * REDIRECT the message goes to another client instead: as a push if it speaks RESP3, or as a
 * pub/sub message on __redis__:invalidate if it is a RESP2 subscriber. An invalidation of the
 * client whose command is running waits until that command's reply is written.
 *
 * tracking-table-max-keys bounds the table: past it, the oldest keys are invalidated (Redis
 * picks them by random walk; here in insertion order).
 *
 * Keys and prefixes are latin1 strings (one char per byte) in Maps; BCAST prefixes and their
 * collected keys are emitted in byte order, as Redis's radix trees iterate them.
 */
import type { Client } from './client.ts';
import type { CommandEntry } from './registry.ts';
import type { ServerState } from './server-state.ts';
import { CommandFlag } from './registry.ts';
import { commandKeys, keyPositions } from './command-keys.ts';

export const TrackingOption = {
  BCAST: 1,
  OPTIN: 2,
  OPTOUT: 4,
  NOLOOP: 8,
} as const;

/** A client's tracking mode (Client.tracking; null when tracking is off). */
export class TrackingState {
  redirect = 0;
  bcast = false;
  optin = false;
  optout = false;
  noloop = false;
  /** CLIENT CACHING yes/no was given for the next command (CLIENT_TRACKING_CACHING). */
  caching = false;
  brokenRedirect = false;
  /** BCAST prefixes. */
  prefixes: Set<string> | null = null;
}

interface PrefixState {
  /** Keys modified this turn -> the client that modified each last (null: not a client). */
  keys: Map<string, Client | null>;
  clients: Set<Client>;
}

const H_INVALIDATE = Buffer.from('$10\r\ninvalidate\r\n');
const H_REDIR_BROKEN = Buffer.from('$21\r\ntracking-redir-broken\r\n');
const H_CHANNEL_MESSAGE = Buffer.from('*3\r\n$7\r\nmessage\r\n$20\r\n__redis__:invalidate\r\n');
const NULL_RESP2 = Buffer.from('$-1\r\n');
const NULL_RESP3 = Buffer.from('_\r\n');

export class Tracking {
  /** Clients with tracking on (INFO tracking_clients). */
  clients = 0;
  /** (key, client) pairs in the table (INFO tracking_total_items). */
  totalItems = 0;
  readonly table = new Map<string, Set<number>>();
  readonly prefixes = new Map<string, PrefixState>();
  private server: ServerState | null = null;
  /** Invalidations of the running client, sent after its command: a RESP value each. */
  private readonly pending: Buffer[] = [];
  private broadcastDue = false;

  attach(server: ServerState): void {
    this.server = server;
    server.output.beforeFlush = () => this.broadcast();
  }

  /** Invalidations wait for the current command's reply (afterCommand flushes them). */
  hasPending(): boolean {
    return this.pending.length !== 0;
  }

  enable(c: Client, redirect: number, options: number, prefixes: readonly string[]): void {
    let st = c.tracking;
    if (st === null) {
      st = c.tracking = new TrackingState();
      this.clients++;
    }
    st.brokenRedirect = false;
    st.redirect = redirect;
    st.bcast = (options & TrackingOption.BCAST) !== 0;
    st.optin = (options & TrackingOption.OPTIN) !== 0;
    st.optout = (options & TrackingOption.OPTOUT) !== 0;
    st.noloop = (options & TrackingOption.NOLOOP) !== 0;
    if (st.bcast) {
      if (prefixes.length === 0) this.addPrefix(c, st, '');
      for (const p of prefixes) this.addPrefix(c, st, p);
    }
  }

  private addPrefix(c: Client, st: TrackingState, prefix: string): void {
    let ps = this.prefixes.get(prefix);
    if (ps === undefined) {
      ps = { keys: new Map(), clients: new Set() };
      this.prefixes.set(prefix, ps);
    }
    if (!ps.clients.has(c)) {
      ps.clients.add(c);
      (st.prefixes ??= new Set()).add(prefix);
    }
  }

  disable(c: Client): void {
    const st = c.tracking;
    if (st === null) return;
    if (st.bcast && st.prefixes !== null) {
      for (const prefix of st.prefixes) {
        const ps = this.prefixes.get(prefix);
        if (ps === undefined) continue;
        ps.clients.delete(c);
        if (ps.clients.size === 0) this.prefixes.delete(prefix);
      }
    }
    c.tracking = null;
    this.clients--;
  }

  /** trackingRememberKeys: a read-only command of a tracking client (not BCAST) ran. */
  rememberKeys(c: Client, cmd: CommandEntry): void {
    const st = c.tracking!;
    if ((st.optin && !st.caching) || (st.optout && st.caching)) return;
    if ((cmd.flags & CommandFlag.PUBSUB) !== 0) return;
    const n = commandKeys(cmd, c);
    for (let k = 0; k < n; k++) {
      const i = keyPositions[k];
      const key = c.argBuf.toString('latin1', c.argOff[i], c.argOff[i] + c.argLen[i]);
      let ids = this.table.get(key);
      if (ids === undefined) {
        ids = new Set();
        this.table.set(key, ids);
      }
      if (!ids.has(c.id)) {
        ids.add(c.id);
        this.totalItems++;
      }
    }
    const max = this.server!.settings.trackingTableMaxKeys;
    if (max > 0 && this.table.size > max) this.limit(max);
  }

  /**
   * trackingInvalidateKey: key was modified, by `by` (null: expiry, eviction). Invalidates
   * its remembered clients and, with `bcast`, records it for matching BCAST prefixes.
   */
  invalidateKey(by: Client | null, key: Uint8Array, off: number, len: number, bcast: boolean): void {
    if (this.table.size === 0 && this.prefixes.size === 0) return;
    const name = Buffer.from(key.buffer, key.byteOffset + off, len).toString('latin1');
    if (bcast && this.prefixes.size !== 0) this.rememberForBroadcast(by, name);
    const ids = this.table.get(name);
    if (ids === undefined) return;
    const server = this.server!;
    const current = server.currentClient;
    let payload: Buffer | null = null;
    for (const id of ids) {
      const target = server.clients.get(id);
      if (target === undefined || target.tracking === null || target.tracking.bcast) continue;
      if (target.tracking.noloop && target === current) continue;
      payload ??= keyArray([name]);
      if (target === current) this.pending.push(payload);
      else this.send(target, payload);
    }
    this.totalItems -= ids.size;
    this.table.delete(name);
  }

  private rememberForBroadcast(by: Client | null, name: string): void {
    for (const [prefix, ps] of this.prefixes) {
      if (prefix.length > name.length || !name.startsWith(prefix)) continue;
      ps.keys.set(name, by);
      if (!this.broadcastDue) {
        this.broadcastDue = true;
        this.server!.output.wake();
      }
    }
  }

  /** trackingInvalidateKeysOnFlush: every tracking client gets a null invalidation; the table empties. */
  flushed(): void {
    if (this.clients > 0) {
      const server = this.server!;
      for (const c of server.clients.values()) {
        if (c.tracking === null) continue;
        const payload = c.resp === 2 ? NULL_RESP2 : NULL_RESP3;
        if (c === server.currentClient) this.pending.push(payload);
        else this.send(c, payload);
      }
    }
    this.table.clear();
    this.totalItems = 0;
  }

  /** trackingHandlePendingKeyInvalidations: after a top-level command of `c`. */
  afterCommand(c: Client): void {
    const pending = this.pending;
    if (!c.closed) for (let i = 0; i < pending.length; i++) this.send(c, pending[i]);
    pending.length = 0;
  }

  /** trackingBroadcastInvalidationMessages: once per event-loop turn, before the flush. */
  broadcast(): void {
    if (!this.broadcastDue) return;
    this.broadcastDue = false;
    for (const prefix of [...this.prefixes.keys()].sort()) {
      const ps = this.prefixes.get(prefix)!;
      if (ps.keys.size === 0) continue;
      const names = [...ps.keys.keys()].sort();
      const common = keyArray(names);
      for (const c of ps.clients) {
        if (c.tracking!.noloop) {
          const own = names.filter((n) => ps.keys.get(n) !== c);
          if (own.length > 0) this.send(c, keyArray(own));
        } else this.send(c, common);
      }
      ps.keys.clear();
    }
  }

  /** trackingLimitUsedSlots: invalidate keys until the table is back within max. */
  private limit(max: number): void {
    for (const name of this.table.keys()) {
      if (this.table.size <= max) return;
      const bytes = Buffer.from(name, 'latin1');
      const saved = this.server!.currentClient;
      this.server!.currentClient = null;
      this.invalidateKey(null, bytes, 0, bytes.length, false);
      this.server!.currentClient = saved;
    }
  }

  /** sendTrackingMessage: `payload` is the message's value (an array of keys, or null). */
  private send(c: Client, payload: Buffer): void {
    const st = c.tracking;
    let target = c;
    let redirected = false;
    if (st !== null && st.redirect !== 0) {
      const redir = this.server!.clients.get(st.redirect);
      if (redir === undefined || redir.closed) {
        st.brokenRedirect = true;
        if (c.resp > 2) {
          c.reply.pushLen(2);
          c.reply.raw(H_REDIR_BROKEN);
          c.reply.int(st.redirect);
          c.queueOutput();
        }
        return;
      }
      target = redir;
      redirected = true;
    }
    if (target.resp > 2) {
      target.reply.pushLen(2);
      target.reply.raw(H_INVALIDATE);
    } else if (redirected && target.subscriptionCount() > 0) {
      target.reply.raw(H_CHANNEL_MESSAGE);
    } else return;
    target.reply.raw(payload);
    target.queueOutput();
  }
}

/** `*n $len key ...` for latin1 key names. */
function keyArray(names: readonly string[]): Buffer {
  let text = `*${names.length}\r\n`;
  for (const n of names) text += `$${n.length}\r\n${n}\r\n`;
  return Buffer.from(text, 'latin1');
}
