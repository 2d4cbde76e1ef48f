/*
 * A raw TCP client for exact-bytes tests: it writes whatever bytes it is given and reads the
 * server's replies back as the bytes that arrived, one complete RESP reply at a time, so two
 * servers' replies can be compared byte for byte, pipelined or not.
 *
 * The framing (replyEnd) understands RESP2 and RESP3: simple strings and errors (+ -),
 * integers (:), bulk strings ($), arrays (*), and RESP3's null (_), double (,), boolean (#),
 * big number ((), blob error (!), verbatim (=), map (%), set (~), push (>) and attribute (|,
 * which prefixes the reply it describes), nested to any depth. Every wait is bounded by a
 * timeout; a reply that never completes, or a connection the server closes, rejects the read
 * instead of hanging the test.
 */
import net from 'node:net';

/** Encodes one command as a RESP multibulk, the way every client library sends it. */
export function encodeCommand(args: ReadonlyArray<string | Uint8Array>): Buffer {
  const parts: Buffer[] = [Buffer.from(`*${args.length}\r\n`)];
  for (const a of args) {
    const b = typeof a === 'string' ? Buffer.from(a) : Buffer.from(a);
    parts.push(Buffer.from(`$${b.length}\r\n`), b, Buffer.from('\r\n'));
  }
  return Buffer.concat(parts);
}

/** Index just past the CRLF ending the line that starts at `start`, or -1 when not yet received. */
function lineEnd(buf: Uint8Array, start: number): number {
  for (let i = start; i + 1 < buf.length; i++) {
    if (buf[i] === 13 && buf[i + 1] === 10) return i + 2;
  }
  return -1;
}

function lineInt(buf: Uint8Array, start: number, end: number): number {
  const text = Buffer.from(buf.buffer, buf.byteOffset + start, end - 2 - start).toString('latin1');
  if (!/^-?\d+$/.test(text)) throw new RespFramingError(`bad length line ${JSON.stringify(text)}`);
  return Number(text);
}

export class RespFramingError extends Error {
  readonly code = 'ERESPFRAMING';
}

/**
 * The index just past the complete RESP reply starting at `start`, or -1 when more bytes are
 * needed. Throws RespFramingError when the bytes are not RESP.
 */
export function replyEnd(buf: Uint8Array, start: number): number {
  if (start >= buf.length) return -1;
  const type = String.fromCharCode(buf[start]!);
  const le = lineEnd(buf, start + 1);
  if (le < 0) return -1;
  switch (type) {
    case '+': case '-': case ':': case '_': case ',': case '#': case '(':
      return le;
    case '$': case '!': case '=': {
      const n = lineInt(buf, start + 1, le);
      if (n < 0) return le; // $-1: RESP2 null bulk
      const end = le + n + 2;
      if (end > buf.length) return -1;
      if (buf[end - 2] !== 13 || buf[end - 1] !== 10) throw new RespFramingError('bulk not terminated by CRLF');
      return end;
    }
    case '*': case '~': case '>': case '%': case '|': {
      const n = lineInt(buf, start + 1, le);
      if (n < 0) return le; // *-1: RESP2 null array
      const count = type === '%' || type === '|' ? 2 * n : n;
      let pos = le;
      for (let i = 0; i < count; i++) {
        pos = replyEnd(buf, pos);
        if (pos < 0) return -1;
      }
      // An attribute describes the reply that follows it: both make one reply.
      return type === '|' ? replyEnd(buf, pos) : pos;
    }
    default:
      throw new RespFramingError(`unknown RESP type byte 0x${buf[start]!.toString(16)}`);
  }
}

/** A decoded reply, kept close to the wire: scalars keep their exact bytes. */
export type RespValue =
  | { type: string; kind: 'scalar'; data: Buffer }
  | { type: string; kind: 'null' }
  | { type: string; kind: 'aggregate'; items: RespValue[] };

/** Decodes one complete reply (as returned by readReply). */
export function decodeReply(buf: Buffer): RespValue {
  const [v, end] = decodeAt(buf, 0);
  if (end !== buf.length) throw new RespFramingError('trailing bytes after reply');
  return v;
}

function decodeAt(buf: Buffer, start: number): [RespValue, number] {
  const type = String.fromCharCode(buf[start]!);
  const le = lineEnd(buf, start + 1);
  if (le < 0) throw new RespFramingError('incomplete reply');
  switch (type) {
    case '+': case '-': case ':': case ',': case '#': case '(':
      return [{ type, kind: 'scalar', data: buf.subarray(start + 1, le - 2) }, le];
    case '_':
      return [{ type, kind: 'null' }, le];
    case '$': case '!': case '=': {
      const n = lineInt(buf, start + 1, le);
      if (n < 0) return [{ type, kind: 'null' }, le];
      return [{ type, kind: 'scalar', data: buf.subarray(le, le + n) }, le + n + 2];
    }
    case '*': case '~': case '>': case '%': case '|': {
      const n = lineInt(buf, start + 1, le);
      if (n < 0) return [{ type, kind: 'null' }, le];
      const count = type === '%' || type === '|' ? 2 * n : n;
      const items: RespValue[] = [];
      let pos = le;
      for (let i = 0; i < count; i++) {
        const [item, next] = decodeAt(buf, pos);
        items.push(item);
        pos = next;
      }
      if (type === '|') {
        // Attribute: kept as its name/value pairs followed by the reply it describes.
        const [described, end] = decodeAt(buf, pos);
        items.push(described);
        return [{ type, kind: 'aggregate', items }, end];
      }
      return [{ type, kind: 'aggregate', items }, pos];
    }
    default:
      throw new RespFramingError(`unknown RESP type byte 0x${buf[start]!.toString(16)}`);
  }
}

/** Printable form of bytes for failure messages: ASCII as is, CR/LF/TAB/backslash/quote escaped, the rest as \xHH. */
export function escapeBytes(bytes: Uint8Array): string {
  let out = '"';
  for (const b of bytes) {
    if (b === 0x0d) out += '\\r';
    else if (b === 0x0a) out += '\\n';
    else if (b === 0x09) out += '\\t';
    else if (b === 0x5c) out += '\\\\';
    else if (b === 0x22) out += '\\"';
    else if (b >= 0x20 && b < 0x7f) out += String.fromCharCode(b);
    else out += '\\x' + b.toString(16).padStart(2, '0');
  }
  return out + '"';
}

export interface RawClientOptions {
  /** Bound on every wait (connect, reply), in milliseconds. */
  timeoutMs?: number;
}

export class RawClient {
  private readonly socket: net.Socket;
  private buf: Buffer = Buffer.alloc(0);
  private closed = false;
  private closeError: Error | null = null;
  private waiter: (() => void) | null = null;
  readonly timeoutMs: number;

  private constructor(socket: net.Socket, timeoutMs: number) {
    this.socket = socket;
    this.timeoutMs = timeoutMs;
    socket.on('data', (chunk: Buffer) => {
      this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
      this.wake();
    });
    socket.on('error', (err) => {
      this.closeError = err;
    });
    socket.on('close', () => {
      this.closed = true;
      this.wake();
    });
  }

  static connect(port: number, host = '127.0.0.1', options: RawClientOptions = {}): Promise<RawClient> {
    const timeoutMs = options.timeoutMs ?? 5000;
    return new Promise((resolve, reject) => {
      const socket = net.createConnection({ port, host });
      socket.setNoDelay(true);
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new Error(`connect to ${host}:${port} timed out after ${timeoutMs} ms`));
      }, timeoutMs);
      socket.once('connect', () => {
        clearTimeout(timer);
        socket.removeListener('error', reject);
        resolve(new RawClient(socket, timeoutMs));
      });
      socket.once('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
    });
  }

  private wake(): void {
    const w = this.waiter;
    this.waiter = null;
    if (w) w();
  }

  /** True once the server (or close()) has closed the connection. */
  get isClosed(): boolean {
    return this.closed;
  }

  /** Bytes received and not yet consumed by a read. */
  get buffered(): Buffer {
    return this.buf;
  }

  write(data: string | Uint8Array): void {
    if (this.closed) throw new Error('write on a closed connection');
    this.socket.write(typeof data === 'string' ? Buffer.from(data, 'latin1') : data);
  }

  /** Sends one command as a multibulk. */
  send(...args: Array<string | Uint8Array>): void {
    this.write(encodeCommand(args));
  }

  /** Sends one command and reads its reply. */
  async call(...args: Array<string | Uint8Array>): Promise<Buffer> {
    this.send(...args);
    return this.readReply();
  }

  /** Waits until `ready()` holds, the connection closes, or the timeout passes. */
  private async waitFor(ready: () => boolean, what: string, timeoutMs: number): Promise<void> {
    if (ready()) return;
    const deadline = Date.now() + timeoutMs;
    while (!ready()) {
      if (this.closed) {
        throw new Error(`connection closed while waiting for ${what}; received so far: ${escapeBytes(this.buf)}`
          + (this.closeError ? ` (${this.closeError.message})` : ''));
      }
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; received so far: ${escapeBytes(this.buf)}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          this.waiter = null;
          resolve();
        }, left);
        this.waiter = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  }

  /** Reads exactly one complete RESP reply and returns its bytes. */
  async readReply(timeoutMs = this.timeoutMs): Promise<Buffer> {
    let end = -1;
    await this.waitFor(() => (end = replyEnd(this.buf, 0)) >= 0, 'a complete reply', timeoutMs);
    const reply = Buffer.from(this.buf.subarray(0, end));
    this.buf = this.buf.subarray(end);
    return reply;
  }

  /** Reads `n` complete replies (e.g. after a pipelined write). */
  async readReplies(n: number, timeoutMs = this.timeoutMs): Promise<Buffer[]> {
    const out: Buffer[] = [];
    for (let i = 0; i < n; i++) out.push(await this.readReply(timeoutMs));
    return out;
  }

  /** Reads exactly `n` bytes, whatever they are. */
  async readBytes(n: number, timeoutMs = this.timeoutMs): Promise<Buffer> {
    await this.waitFor(() => this.buf.length >= n, `${n} bytes`, timeoutMs);
    const out = Buffer.from(this.buf.subarray(0, n));
    this.buf = this.buf.subarray(n);
    return out;
  }

  /** Resolves once the server closes the connection; rejects after the timeout. */
  async waitClosed(timeoutMs = this.timeoutMs): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.closed) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out after ${timeoutMs} ms waiting for the server to close the connection`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiter = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  }

  /** Closes the socket at once; resolves when it is fully closed. */
  close(): Promise<void> {
    if (this.closed) return Promise.resolve();
    return new Promise((resolve) => {
      this.socket.once('close', () => resolve());
      this.socket.destroy();
    });
  }
}
