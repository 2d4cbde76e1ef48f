/*
 * A small pipelining RESP2 client for the benchmarks: one socket, many commands per write,
 * replies matched to batches in order. It exists so that loading millions of keys takes
 * seconds: the caller hands over a pre-encoded batch (see BatchBuilder) and a reply count,
 * and gets one promise per batch, not one per command.
 *
 * Replies are parsed incrementally across chunk boundaries. A batch either counts its
 * replies (and remembers the first error) or collects them as values: bulk strings as latin1
 * strings, integers as numbers, nil as null, errors as Error, arrays as arrays.
 *
 * Bounded: a client with replies outstanding and no bytes received for `stallTimeoutMs`
 * fails every pending batch and closes, so no benchmark can hang on a stuck server.
 */
import net from 'node:net';

export type RespValue = string | number | null | Error | RespValue[];

export interface BatchResult {
  /** Replies received (equals the count asked for). */
  replies: number;
  errors: number;
  firstError: Error | null;
  /** The replies, when the batch was sent with collect = true. */
  values: RespValue[] | null;
}

interface Pending {
  remaining: number;
  result: BatchResult;
  resolve: (r: BatchResult) => void;
  reject: (e: Error) => void;
  /** Decode bulk and status strings; when false a collecting batch gets '' for every non-nil bulk. */
  materialize: boolean;
}

const INCOMPLETE = Symbol('incomplete');
const OK = 'OK';

export class RespClient {
  private readonly socket: net.Socket;
  private readonly queue: Pending[] = [];
  private head = 0;
  private leftover: Buffer | null = null;
  private lastData = Date.now();
  private readonly watchdog: NodeJS.Timeout;
  private closedError: Error | null = null;
  /** Whether the reply being parsed belongs to a collecting batch. */
  private materialize = false;

  private constructor(socket: net.Socket, stallTimeoutMs: number) {
    this.socket = socket;
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (err) => this.fail(err));
    socket.on('close', () => this.fail(new Error('connection closed')));
    this.watchdog = setInterval(() => {
      if (this.head < this.queue.length && Date.now() - this.lastData > stallTimeoutMs) {
        this.fail(new Error(`no reply for ${stallTimeoutMs} ms with ${this.queue.length - this.head} batches outstanding`));
        socket.destroy();
      }
    }, 500);
    this.watchdog.unref();
  }

  static connect(port: number, host = '127.0.0.1', stallTimeoutMs = 120_000): Promise<RespClient> {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ port, host });
      const onError = (err: Error) => reject(err);
      socket.once('error', onError);
      socket.once('connect', () => {
        socket.off('error', onError);
        resolve(new RespClient(socket, stallTimeoutMs));
      });
    });
  }

  /** Batches sent whose replies have not all arrived. */
  get outstanding(): number {
    return this.queue.length - this.head;
  }

  /**
   * Send `count` pre-encoded commands in one write. Resolves when all their replies are in.
   * Resolves (does not reject) on error replies: check result.errors. collect keeps the
   * replies; materialize = false keeps only their shape (nil or not, numbers, errors).
   */
  pipeline(bytes: Uint8Array, count: number, collect = false, materialize = true): Promise<BatchResult> {
    if (this.closedError !== null) return Promise.reject(this.closedError);
    return new Promise<BatchResult>((resolve, reject) => {
      const result: BatchResult = { replies: 0, errors: 0, firstError: null, values: collect ? [] : null };
      if (this.outstanding === 0) this.lastData = Date.now();
      this.queue.push({ remaining: count, result, resolve, reject, materialize: collect && materialize });
      this.socket.write(bytes);
    });
  }

  /** Resolves once the socket's write buffer has drained (backpressure for big loads). */
  drained(): Promise<void> {
    if (this.socket.writableLength === 0 || this.closedError !== null) return Promise.resolve();
    return new Promise((resolve) => this.socket.once('drain', () => resolve()));
  }

  /** One command, its reply as a value; an error reply rejects. */
  async call(...args: Array<string | number>): Promise<RespValue> {
    const b = new BatchBuilder(256);
    b.command(args);
    const r = await this.pipeline(b.take(), 1, true);
    const v = r.values![0];
    if (v instanceof Error) throw v;
    return v;
  }

  close(): void {
    clearInterval(this.watchdog);
    this.closedError ??= new Error('client closed');
    this.socket.destroy();
  }

  private fail(err: Error): void {
    clearInterval(this.watchdog);
    this.closedError ??= err;
    while (this.head < this.queue.length) this.queue[this.head++].reject(err);
    this.queue.length = 0;
    this.head = 0;
  }

  private onData(chunk: Buffer): void {
    this.lastData = Date.now();
    const buf = this.leftover === null ? chunk : Buffer.concat([this.leftover, chunk]);
    this.leftover = null;
    let pos = 0;
    const end = buf.length;
    while (pos < end) {
      if (this.head >= this.queue.length) {
        this.fail(new Error('reply without a pending command'));
        this.socket.destroy();
        return;
      }
      const pending = this.queue[this.head];
      this.materialize = pending.materialize;
      this.cursor = pos;
      const value = this.parse(buf, end);
      if (value === INCOMPLETE) break;
      pos = this.cursor;
      const r = pending.result;
      r.replies++;
      if (value instanceof Error) {
        r.errors++;
        r.firstError ??= value;
      }
      if (r.values !== null) r.values.push(value);
      if (--pending.remaining === 0) {
        this.head++;
        if (this.head > 1024 && this.head * 2 > this.queue.length) {
          this.queue.splice(0, this.head);
          this.head = 0;
        }
        pending.resolve(r);
      }
    }
    if (pos < end) this.leftover = Buffer.from(buf.subarray(pos));
  }

  private cursor = 0;

  /** Parse one reply at this.cursor; advances the cursor, or returns INCOMPLETE. */
  private parse(buf: Buffer, end: number): RespValue | typeof INCOMPLETE {
    const start = this.cursor;
    if (start >= end) return INCOMPLETE;
    const type = buf[start];
    const lineEnd = buf.indexOf(13, start + 1);
    if (lineEnd < 0 || lineEnd + 1 >= end) return INCOMPLETE;
    const next = lineEnd + 2;
    switch (type) {
      case 43: /* + */ {
        this.cursor = next;
        if (lineEnd - start === 3 && buf[start + 1] === 79 && buf[start + 2] === 75) return OK;
        return this.materialize ? buf.toString('latin1', start + 1, lineEnd) : OK;
      }
      case 45: /* - */
        this.cursor = next;
        return new Error(buf.toString('latin1', start + 1, lineEnd));
      case 58: /* : */
        this.cursor = next;
        return readInt(buf, start + 1, lineEnd);
      case 36: /* $ */ {
        const len = readInt(buf, start + 1, lineEnd);
        if (len < 0) {
          this.cursor = next;
          return null;
        }
        if (next + len + 2 > end) return INCOMPLETE;
        this.cursor = next + len + 2;
        return this.materialize ? buf.toString('latin1', next, next + len) : '';
      }
      case 42: /* * */ {
        const n = readInt(buf, start + 1, lineEnd);
        if (n < 0) {
          this.cursor = next;
          return null;
        }
        this.cursor = next;
        const items: RespValue[] = [];
        for (let i = 0; i < n; i++) {
          const v = this.parse(buf, end);
          if (v === INCOMPLETE) {
            this.cursor = start;
            return INCOMPLETE;
          }
          items.push(v);
        }
        return items;
      }
      default:
        throw new Error(`unexpected RESP type byte ${type} ('${String.fromCharCode(type)}')`);
    }
  }
}

function readInt(buf: Buffer, from: number, to: number): number {
  let neg = false;
  let i = from;
  if (buf[i] === 45) {
    neg = true;
    i++;
  }
  let n = 0;
  for (; i < to; i++) n = n * 10 + (buf[i] - 48);
  return neg ? -n : n;
}

/**
 * Encodes commands as RESP multibulk straight into one Buffer. take() hands the bytes over
 * (the builder then starts a fresh buffer, because a socket keeps a reference to what it
 * was given until it is flushed).
 */
export class BatchBuilder {
  private buf: Buffer;
  private pos = 0;
  count = 0;
  private readonly capacity: number;

  constructor(capacity = 128 * 1024) {
    this.capacity = capacity;
    this.buf = Buffer.allocUnsafe(capacity);
  }

  get length(): number {
    return this.pos;
  }

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const bigger = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + n));
    this.buf.copy(bigger, 0, 0, this.pos);
    this.buf = bigger;
  }

  /** Raw pre-encoded bytes (e.g. a constant "*3\r\n$3\r\nSET\r\n" prefix). */
  raw(bytes: Uint8Array): this {
    this.ensure(bytes.length);
    this.buf.set(bytes, this.pos);
    this.pos += bytes.length;
    return this;
  }

  /** Multibulk header; also counts one command. */
  header(argc: number): this {
    this.ensure(24);
    this.count++;
    this.buf[this.pos++] = 42;
    this.pos += this.buf.write(String(argc), this.pos, 'latin1');
    this.buf[this.pos++] = 13;
    this.buf[this.pos++] = 10;
    return this;
  }

  private lenLine(len: number): void {
    this.ensure(len + 32);
    this.buf[this.pos++] = 36;
    this.pos += this.buf.write(String(len), this.pos, 'latin1');
    this.buf[this.pos++] = 13;
    this.buf[this.pos++] = 10;
  }

  private crlf(): void {
    this.buf[this.pos++] = 13;
    this.buf[this.pos++] = 10;
  }

  /** A bulk argument from an ASCII/latin1 string or number. */
  arg(s: string | number): this {
    const str = typeof s === 'number' ? String(s) : s;
    const len = Buffer.byteLength(str, 'latin1');
    this.lenLine(len);
    this.buf.write(str, this.pos, 'latin1');
    this.pos += len;
    this.crlf();
    return this;
  }

  /** A bulk argument of `len` bytes produced by `fill(buf, offset)` writing in place. */
  argFill(len: number, fill: (buf: Buffer, off: number) => void): this {
    this.lenLine(len);
    fill(this.buf, this.pos);
    this.pos += len;
    this.crlf();
    return this;
  }

  /** A whole command from string/number arguments. */
  command(args: ReadonlyArray<string | number>): this {
    this.header(args.length);
    for (const a of args) this.arg(a);
    return this;
  }

  /** Hand over the encoded bytes and start afresh. */
  take(): Buffer {
    const out = this.buf.subarray(0, this.pos);
    this.buf = Buffer.allocUnsafe(this.capacity);
    this.pos = 0;
    this.count = 0;
    return out;
  }
}
