/*
 * One connected client: its socket, its request parser, its session state (id, name, db,
 * protocol, auth, CLIENT flags) and the argument view of the command being executed.
 *
 * Each client owns its output buffer (`reply`, a ReplyWriter): handlers and any other module
 * append to it and call queueOutput(); src/output.ts flushes it once per event-loop turn.
 *
 * Handlers receive the Client (as Redis handlers receive `client *c`) and read arguments
 * through the allocation-free helpers below: byte comparisons and numeric parsing straight
 * from the parser's buffer. `argString` allocates and is for control-plane commands only.
 */
import type { Socket } from 'node:net';
import type { RequestParser } from '../protocol/parser.ts';
import { ReplyWriter } from '../protocol/encoder.ts';
import type { Keyspace } from '../store/keyspace.ts';
import type { ServerState } from './server-state.ts';
import type { CommandEntry } from './registry.ts';
import type { BlockState } from './blocking.ts';
import type { QueuedCommand, TransactionArguments, WatchedKey } from './transactions.ts';
import type { TrackingState } from './tracking.ts';
import { NotifyClass } from './keyspace-events.ts';
import { directHandleOf, type StreamHandle } from './output.ts';
import { parseInt64, parsed } from './numbers.ts';
import { E_NOT_INTEGER, E_WRONGTYPE } from '../protocol/replies.ts';
import type { KeyTypeCode } from '../store/types.ts';
import type { AclUser } from './acl.ts';

/**
 * Memory one subscription costs its client: 62 bytes of RSS per subscription measured by
 * subscribing a second client to 100,000 channels that already existed (its own set entry and
 * its entry in the channel's subscriber set). A channel's first subscriber also creates the
 * channel (about 280 bytes more), which, as in Redis, is not charged to the client.
 */
const SUBSCRIPTION_BYTES = 64;

export class Client {
  readonly id: number;
  readonly socket: Socket;
  readonly parser: RequestParser;
  readonly server: ServerState;
  readonly reply: ReplyWriter;
  readonly store: Keyspace;
  readonly addr: string;
  readonly laddr: string;
  readonly createdAt: number;

  /** Queued for this turn's flush (output.ts). */
  flushQueued = false;

  name = '';
  libName = '';
  libVersion = '';
  db = 0;
  /** Authenticated (c->authenticated): by AUTH/HELLO, or at connection while the default user needs no password. */
  authenticated: boolean;
  /** The ACL user the client runs as. */
  user: AclUser;
  noEvict = false;
  /** Memory last counted for it by client eviction (Redis's last_memory_usage), 0 when not counted. */
  trackedMemory = 0;
  noTouch = false;
  /** CLIENT REPLY OFF is in force. */
  replyOff = false;
  /** CLIENT REPLY SKIP was the last command: drop the next command's reply. */
  skipNextReply = false;
  /** This command's reply is dropped (set from skipNextReply as a command ends). */
  skipCurrentReply = false;
  lastInteraction: number;
  lastCommand: CommandEntry | null = null;
  closeAfterReply = false;
  closed = false;
  /** Reading stopped until its unsent output falls back under OUTPUT_PAUSE_BYTES (output.ts). */
  paused = false;
  /** Reading stopped until the next event-loop turn: this turn's command budget is spent. */
  yielding = false;
  /** Time (ms) the output first passed the soft limit, 0 when under it. */
  softLimitSince = 0;
  /** Blocked in BLPOP & co. (blocking.ts): none of its buffered commands run until it is released. */
  blocked: BlockState | null = null;
  /** Blocking commands answer at once as if timed out (set while MULTI/EXEC or a script runs commands). */
  denyBlocking = false;

  // MULTI/EXEC and WATCH (transactions.ts).
  /** Queued commands while in MULTI, else null. */
  multi: QueuedCommand[] | null = null;
  /** Where queued commands keep their arguments (created at the client's first MULTI, reused after). */
  transactionArgs: TransactionArguments | null = null;
  /** Flags of the queued commands, OR-ed (EXEC is refused under OOM when one is denyoom). */
  multiFlags = 0;
  /** A command was rejected while queuing: EXEC answers EXECABORT (CLIENT_DIRTY_EXEC). */
  multiDirty = false;
  /** A watched key was modified: EXEC answers a null array (CLIENT_DIRTY_CAS). */
  casDirty = false;
  watched: WatchedKey[] | null = null;

  /** The command held back by CLIENT PAUSE (pause.ts); nothing more runs until it does. */
  postponed: SavedArguments | null = null;
  /** CLIENT TRACKING mode, null when off (tracking.ts). */
  tracking: TrackingState | null = null;

  // Pub/sub (pubsub.ts): channel and pattern names as latin1 strings, in subscription order.
  channels: Set<string> | null = null;
  patterns: Set<string> | null = null;
  shardChannels: Set<string> | null = null;
  /** Their total, kept by pubsub.ts: the output flush reads it per client per turn, without touching the three sets. */
  subscriptions = 0;

  // Argument view of the command being executed: buf[off[i] .. off[i] + len[i]).
  argc = 0;
  argBuf: Buffer;
  argOff: Int32Array;
  argLen: Int32Array;

  constructor(id: number, socket: Socket, parser: RequestParser, server: ServerState) {
    this.id = id;
    this.socket = socket;
    this.parser = parser;
    this.server = server;
    this.reply = new ReplyWriter();
    this.reply.onError = server.onErrorReply;
    this.reply.hardLimit = server.settings.outputLimitNormal.hard;
    this.store = server.store;
    this.addr = formatAddress(socket.remoteAddress, socket.remotePort);
    this.laddr = formatAddress(socket.localAddress, socket.localPort);
    this.createdAt = server.clock.now;
    this.lastInteraction = server.clock.now;
    this.user = server.acl.defaultUser;
    this.authenticated = !server.acl.authRequired;
    this.argBuf = parser.argBuf;
    this.argOff = parser.argOff;
    this.argLen = parser.argLen;
    this.onWritten = () => {
      if (this.socket.writableLength === 0) this.streamWritten = false;
      if (!this.closed && (this.paused || this.reply.pending() !== 0)) server.output.schedule(this);
    };
    this.directHandle = directHandleOf(socket);
    this.onDirectWritten = (status: number) => {
      this.directUnsent = 0;
      if (status < 0) this.socket.destroy();
      else this.onWritten();
    };
  }

  /** The socket's handle when replies may be written to it directly (output.ts), else null. */
  readonly directHandle: StreamHandle | null;
  /** Bytes of a direct write the kernel did not take at once, until it completes. */
  directUnsent = 0;
  /**
   * Output went through socket.write and the stream may still queue some (output.ts sets it,
   * onWritten clears it once the stream is empty). Until then socketUnsent() need not read the
   * stream's state: a flush to a thousand subscribers touches one object less per client.
   */
  streamWritten = false;
  /** Completion of such a write (status < 0: the write failed, and the socket is destroyed as Node would). */
  readonly onDirectWritten: (status: number) => void;

  /**
   * Callback of each socket write (one function per client): once the socket has sent what it
   * was given, output held back for it, or a read paused for it, gets the next flush.
   */
  readonly onWritten: () => void;

  /** The client's protocol version (HELLO); its writer encodes in it. */
  get resp(): 2 | 3 {
    return this.reply.resp;
  }

  set resp(version: 2 | 3) {
    this.reply.resp = version;
  }

  /** Flush this client's pending output at the end of the event-loop turn. */
  queueOutput(): void {
    this.server.output.schedule(this);
  }

  /** Unparsed input held (CLIENT LIST qbuf). */
  queryBufferBytes(): number {
    return this.parser.bufferedBytes();
  }

  /** Replies waiting: in its output buffer and unsent in its socket (CLIENT LIST omem). */
  outputBytes(): number {
    return this.reply.pending() + this.socketUnsent();
  }

  /**
   * Memory this client holds (tot-mem, and what maxmemory-clients weighs): input capacity,
   * output buffer, unsent socket bytes, its transaction's queued commands, and its
   * subscriptions, as Redis's getClientMemoryUsage counts the multi state and pub/sub.
   */
  memoryBytes(): number {
    const queued = this.transactionArgs === null ? 0 : this.transactionArgs.bytes();
    return this.parser.bufferCapacity() + this.reply.capacity() + this.socketUnsent() + queued + this.subscriptions * SUBSCRIPTION_BYTES;
  }

  /** Bytes handed to the socket and not yet sent: in its stream queue, or of a direct write (output.ts). */
  socketUnsent(): number {
    return (this.streamWritten ? this.socket.writableLength : 0) + this.directUnsent;
  }

  /** signalModifiedKey for the key in argument i of the current db (WATCH). */
  modified(i: number): void {
    this.server.events.modified(this.db, this.argBuf, this.argOff[i], this.argLen[i]);
  }

  /**
   * dbAdd's effects for the key in argument i when a command re-creates a key the store
   * overwrote in place (Redis deletes then adds it: RENAME onto an existing key, COPY REPLACE):
   * the `new` event and a wake-up of clients blocked on it.
   */
  added(i: number): void {
    this.server.events.onAdd(this.db, this.argBuf, this.argOff[i], this.argLen[i]);
  }

  /** notifyKeyspaceEvent of class `type` for the key in argument i of the current db. */
  notify(type: number, event: string, i: number): void {
    const events = this.server.events;
    if ((events.classes & type) !== 0) events.notify(type, event, this.db, this.argBuf, this.argOff[i], this.argLen[i]);
  }

  /** Reply what is pending, then close: nothing more is read from this client (QUIT, protocol errors, CLIENT KILL of oneself). */
  endAfterReply(): void {
    this.closeAfterReply = true;
    this.socket.pause();
    this.queueOutput();
  }

  /** Channels, patterns and shard channels it is subscribed to (pub/sub). */
  subscriptionCount(): number {
    return this.subscriptions;
  }

  /** Point the argument view at the parser's current command. */
  loadArguments(): void {
    const p = this.parser;
    this.argc = p.argc;
    this.argBuf = p.argBuf;
    this.argOff = p.argOff;
    this.argLen = p.argLen;
  }

  /** Point the argument view at arguments saved earlier (EXEC's queue, a postponed or blocked command). */
  useArguments(a: SavedArguments): void {
    this.argc = a.argc;
    this.argBuf = a.buf;
    this.argOff = a.off;
    this.argLen = a.len;
  }

  /** Case-insensitive comparison of argument i with a lower-case ASCII word. */
  argIs(i: number, lowerWord: string): boolean {
    const len = this.argLen[i];
    if (len !== lowerWord.length) return false;
    const buf = this.argBuf;
    const off = this.argOff[i];
    for (let j = 0; j < len; j++) {
      let ch = buf[off + j];
      if (ch >= 65 && ch <= 90) ch |= 0x20;
      if (ch !== lowerWord.charCodeAt(j)) return false;
    }
    return true;
  }

  /** Argument i as a string (UTF-8). Control-plane only: allocates. */
  argString(i: number): string {
    const off = this.argOff[i];
    return this.argBuf.toString('utf8', off, off + this.argLen[i]);
  }

  /** Argument i as a lower-case string (option names in control-plane commands). */
  argLower(i: number): string {
    return this.argString(i).toLowerCase();
  }

  /** Parse argument i as a signed 64-bit integer into numbers.parsed; false when it is not one. */
  argInt64(i: number): boolean {
    return parseInt64(this.argBuf, this.argOff[i], this.argLen[i]);
  }

  /**
   * getIntFromObjectOrReply: argument i as a C int into numbers.parsed.num, or reply the error
   * (`message` for both failures when given, as Redis does) and return false.
   */
  argIntOrReply(i: number, message: string | null): boolean {
    if (!this.argInt64(i)) {
      if (message === null) this.reply.raw(E_NOT_INTEGER);
      else this.reply.error(message);
      return false;
    }
    if (parsed.isBig || parsed.num < -2147483648 || parsed.num > 2147483647) {
      this.reply.error(message ?? 'ERR value is out of range, value must between -2147483648 and 2147483647');
      return false;
    }
    return true;
  }

  /** Two arguments hold the same bytes. */
  argsEqual(a: number, b: number): boolean {
    const len = this.argLen[a];
    if (len !== this.argLen[b]) return false;
    const buf = this.argBuf;
    const oa = this.argOff[a];
    const ob = this.argOff[b];
    for (let j = 0; j < len; j++) if (buf[oa + j] !== buf[ob + j]) return false;
    return true;
  }

  /**
   * lookupKey + checkType: the handle of argument i's key, -1 when it is missing, or -2 after
   * replying WRONGTYPE when it holds a type other than `type`.
   */
  lookupTyped(i: number, type: KeyTypeCode, mode: 0 | 1 | 2): number {
    const h = this.lookupArg(i, mode);
    if (h >= 0 && this.store.typeOf(h) !== type) {
      this.reply.raw(E_WRONGTYPE);
      return -2;
    }
    return h;
  }

  /**
   * lookupKey*OrReply + checkType: the handle of argument i's key of `type`, or -1 after
   * replying `missing` (nil when null) for an absent key, or WRONGTYPE for another type.
   */
  lookupTypedOrReply(i: number, type: KeyTypeCode, mode: 0 | 1 | 2, missing: Uint8Array | null): number {
    const h = this.lookupTyped(i, type, mode);
    if (h === -1) {
      if (missing === null) this.reply.nullBulk();
      else this.reply.raw(missing);
    }
    return h < 0 ? -1 : h;
  }

  /**
   * Prefetch the keys in arguments first, first + step, ... (up to PREFETCH_MAX of them) before
   * a multi-key command looks them up one by one (Keyspace.prefetch).
   */
  prefetchArgs(first: number, step: number): void {
    const n = ((this.argc - first + step - 1) / step) | 0;
    if (n >= 2) this.store.prefetch(this.db, this.argBuf, this.argOff, this.argLen, first, n, step);
  }

  /** Lookup of the key in argument i of the current db. */
  lookupArg(i: number, mode: 0 | 1 | 2): number {
    return this.lookupKey(this.argBuf, this.argOff[i], this.argLen[i], mode);
  }

  /** Lookup of the key buf[off, off+len) of the current db (a key named by a pattern, as SORT's BY and GET). */
  lookupKey(buf: Uint8Array, off: number, len: number, mode: 0 | 1 | 2): number {
    const h = this.store.lookup(this.db, buf, off, len, this.noTouch && mode === 0 ? 2 : mode);
    // lookupKeyRead's keymiss event (class m).
    const events = this.server.events;
    if (h < 0 && mode === 0 && (events.classes & NotifyClass.KEY_MISS) !== 0) events.notify(NotifyClass.KEY_MISS, 'keymiss', this.db, buf, off, len);
    return h;
  }
}

/** A command's arguments copied out of the parser's buffer, which moves on while they wait. */
export class SavedArguments {
  readonly argc: number;
  readonly buf: Buffer;
  readonly off: Int32Array;
  readonly len: Int32Array;

  constructor(c: Client) {
    const argc = c.argc;
    let total = 0;
    for (let i = 0; i < argc; i++) total += c.argLen[i];
    const buf = Buffer.allocUnsafe(total);
    const off = new Int32Array(argc);
    const len = new Int32Array(argc);
    let p = 0;
    for (let i = 0; i < argc; i++) {
      const n = c.argLen[i];
      c.argBuf.copy(buf, p, c.argOff[i], c.argOff[i] + n);
      off[i] = p;
      len[i] = n;
      p += n;
    }
    this.argc = argc;
    this.buf = buf;
    this.off = off;
    this.len = len;
  }

  /** Bytes held (CLIENT LIST multi-mem). */
  bytes(): number {
    return this.buf.length + this.argc * 8;
  }
}

function formatAddress(host: string | undefined, port: number | undefined): string {
  if (host === undefined) return '?:0';
  const plain = host.startsWith('::ffff:') ? host.slice(7) : host;
  return `${plain}:${port ?? 0}`;
}
