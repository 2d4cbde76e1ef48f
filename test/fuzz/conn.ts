/*
 * A fuzzing connection: writes raw bytes (whole, in random chunks, or one byte per event-loop
 * turn) and collects the server's replies, framed with raw-client's replyEnd. Every wait is
 * bounded: waitUntil() resolves false when its condition has not come true in time, so a
 * server that stops answering shows up as a hang rather than stalling the fuzzer.
 */
import net from 'node:net';
import { replyEnd } from '../helpers/raw-client.ts';
import type { Rng } from './rng.ts';

export class FuzzConn {
  readonly replies: Buffer[] = [];
  closed = false;
  /** The peer's FIN arrived: nothing more is written (writing now would draw a reset). */
  ended = false;
  /** The connection was reset (ECONNRESET, EPIPE): replies in flight may have been discarded. */
  reset = false;
  /** Bytes that did not frame as RESP (the server sent something that is not a reply). */
  framingError: string | null = null;
  private buf: Buffer = Buffer.alloc(0);
  private waiter: (() => void) | null = null;
  private readonly socket: net.Socket;

  private constructor(socket: net.Socket) {
    this.socket = socket;
    socket.setNoDelay(true);
    socket.on('data', (d: Buffer) => {
      this.buf = this.buf.length === 0 ? d : Buffer.concat([this.buf, d]);
      let pos = 0;
      try {
        for (;;) {
          const end = replyEnd(this.buf, pos);
          if (end < 0) break;
          this.replies.push(this.buf.subarray(pos, end));
          pos = end;
        }
      } catch (err) {
        this.framingError = (err as Error).message;
        pos = this.buf.length;
      }
      this.buf = pos === this.buf.length ? Buffer.alloc(0) : this.buf.subarray(pos);
      this.wake();
    });
    const onClose = (): void => {
      this.closed = true;
      this.wake();
    };
    socket.on('close', onClose);
    socket.on('end', () => {
      this.ended = true;
      this.wake();
    });
    socket.on('error', () => {
      this.reset = true;
    });
  }

  /** The client side's port: what the server's CLIENT LIST shows as addr=127.0.0.1:<port>. */
  get localPort(): number {
    return this.socket.localPort ?? 0;
  }

  static open(host: string, port: number): Promise<FuzzConn> {
    return new Promise((resolve, reject) => {
      const s = net.createConnection({ host, port });
      s.once('connect', () => resolve(new FuzzConn(s)));
      s.once('error', reject);
    });
  }

  private wake(): void {
    const w = this.waiter;
    this.waiter = null;
    w?.();
  }

  /** Resolves true once cond() holds (checked on every arrival and on close), false after ms. */
  waitUntil(cond: () => boolean, ms: number): Promise<boolean> {
    if (cond()) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiter = null;
        resolve(cond());
      }, ms);
      const check = (): void => {
        if (cond()) {
          clearTimeout(timer);
          resolve(true);
        } else {
          this.waiter = check;
        }
      };
      this.waiter = check;
    });
  }

  write(data: Buffer): void {
    if (!this.closed && !this.ended) this.socket.write(data);
  }

  /** Writes `data` as the given chunks, yielding to the event loop between them (separate TCP segments). */
  async writeChunks(chunks: readonly Buffer[]): Promise<void> {
    for (let i = 0; i < chunks.length; i++) {
      if (this.closed || this.ended) return;
      this.socket.write(chunks[i]!);
      if (i + 1 < chunks.length) await new Promise((r) => setImmediate(r));
    }
  }

  /** Sends cmd and waits for one more reply; the reply, or null on timeout or close. */
  async call(cmd: Buffer, ms: number): Promise<Buffer | null> {
    const n = this.replies.length;
    this.write(cmd);
    const ok = await this.waitUntil(() => this.replies.length > n || this.closed, ms);
    return ok && this.replies.length > n ? this.replies[n]! : null;
  }

  /** Drops the replies read so far (a long run would otherwise keep them all). */
  clearReplies(): void {
    this.replies.length = 0;
  }

  destroy(): void {
    this.socket.destroy();
    this.closed = true;
  }
}

/** Cuts data into random chunks: mostly whole, sometimes random pieces, sometimes byte by byte. */
export function chunkRandomly(rng: Rng, data: Buffer, byteByByteMax = 512): Buffer[] {
  const mode = rng.int(10);
  if (mode < 5 || data.length < 2) return [data];
  if (mode === 9 && data.length <= byteByByteMax) {
    const out: Buffer[] = [];
    for (let i = 0; i < data.length; i++) out.push(data.subarray(i, i + 1));
    return out;
  }
  const out: Buffer[] = [];
  let pos = 0;
  while (pos < data.length) {
    const n = 1 + rng.int(Math.min(data.length - pos, rng.chance(0.5) ? 8 : 4096));
    out.push(data.subarray(pos, pos + n));
    pos += n;
  }
  return out;
}
