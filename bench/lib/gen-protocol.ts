/*
 * The bytes of bench/load-gen.ts, the harness's own load generator for the two workloads
 * redis-benchmark and memtier_benchmark cannot run: PUBLISH fan-out (one publisher, many
 * subscribers) and MULTI / 10 x SET / EXEC transactions. Pure: commands to send, and
 * streaming checkers for what comes back, fed socket chunks of any size (a frame may be
 * split anywhere). Nothing here allocates per message.
 *
 * Every reply these workloads expect is known to the byte, except the message payload, so
 * checking is a byte comparison, not a RESP parse:
 * - ReplyMatcher: a stream that must be one fixed unit repeated: the publisher's
 *   `:<subscribers>\r\n` per PUBLISH, and per transaction `+OK` (MULTI), ten `+QUEUED`,
 *   then EXEC's `*10` of `+OK`. Anything else (an error reply, a wrong count, a nil EXEC)
 *   is a mismatch, reported with the bytes that came instead.
 * - SubscriberStream: a subscriber's stream: the SUBSCRIBE confirmation
 *   `*3 $9 subscribe $<n> <channel> :1`, then `*3 $7 message $<n> <channel> $<len> <payload>`
 *   frames. The payload carries the message's sequence number (uint32 LE) and the time the
 *   publisher wrote it (float64 LE, performance.now() ms of the generator process, which
 *   also receives it), then filler; each subscriber must see 0, 1, 2, ... with no gap,
 *   repeat or reordering. Delivery latency = receipt time of the read that brought the
 *   frame minus the stamped time.
 */
import { writeKey, KEY_LEN } from './load.ts';
import type { LatencyHistogram } from './latency-histogram.ts';

const CRLF = '\r\n';

/** RESP array of bulk strings (ASCII arguments). */
export function command(args: readonly string[]): Buffer {
  let s = `*${args.length}${CRLF}`;
  for (const a of args) s += `$${Buffer.byteLength(a)}${CRLF}${a}${CRLF}`;
  return Buffer.from(s, 'latin1');
}

/** Shown bytes: printable ASCII as is, the rest escaped (\r, \n, \xNN). */
export function showBytes(buf: Uint8Array, start: number, end: number): string {
  let s = '';
  for (let i = start; i < end; i++) {
    const b = buf[i];
    if (b === 13) s += '\\r';
    else if (b === 10) s += '\\n';
    else if (b >= 32 && b < 127 && b !== 92) s += String.fromCharCode(b);
    else s += '\\x' + b.toString(16).padStart(2, '0');
  }
  return s;
}

/**
 * A stream that must be `unit` repeated. feed() returns how many units completed in the
 * chunk; after a mismatch `error` describes it and every later feed returns 0.
 */
export class ReplyMatcher {
  readonly unit: Uint8Array;
  readonly what: string;
  /** Bytes of the current unit matched so far. */
  pos = 0;
  units = 0;
  error: string | null = null;

  constructor(unit: Uint8Array, what: string) {
    this.unit = unit;
    this.what = what;
  }

  feed(buf: Uint8Array, start: number, end: number): number {
    if (this.error !== null) return 0;
    const unit = this.unit;
    const len = unit.length;
    let pos = this.pos;
    let done = 0;
    for (let i = start; i < end; i++) {
      if (buf[i] !== unit[pos]) {
        const from = Math.max(start, i - pos);
        this.error =
          `${this.what} ${this.units + done + 1}: expected "${showBytes(unit, 0, len)}", ` +
          `got "${from < i - pos ? '...' : ''}${showBytes(buf, from, Math.min(end, i + 80))}${i + 80 < end ? '...' : ''}" (first difference at byte ${pos})`;
        this.pos = pos;
        this.units += done;
        return done;
      }
      if (++pos === len) {
        pos = 0;
        done++;
      }
    }
    this.pos = pos;
    this.units += done;
    return done;
  }
}

// ---- PUBLISH fan-out ----------------------------------------------------------------

/** Payload bytes the stamp takes: sequence number (uint32 LE) and send time (float64 LE). */
export const STAMP_BYTES = 12;

export interface FanoutFrames {
  channel: string;
  payloadBytes: number;
  /** SUBSCRIBE <channel>. */
  subscribe: Buffer;
  /** What a subscriber receives first: the confirmation of its one SUBSCRIBE. */
  subscribed: Buffer;
  /** The bytes of a message frame before its payload. */
  messageHead: Buffer;
  /** One PUBLISH with a zero stamp; stamp() fills a copy. */
  publish: Buffer;
  /** Offset of the payload inside `publish`. */
  publishPayloadAt: number;
  /** The publisher's expected reply: `:<subscribers>\r\n`. */
  publishReply: Buffer;
}

export function fanoutFrames(channel: string, payloadBytes: number, subscribers: number): FanoutFrames {
  if (payloadBytes < STAMP_BYTES) throw new Error(`payload must be at least ${STAMP_BYTES} bytes`);
  const ch = `$${Buffer.byteLength(channel)}${CRLF}${channel}${CRLF}`;
  const head = `*3${CRLF}$7${CRLF}PUBLISH${CRLF}${ch}$${payloadBytes}${CRLF}`;
  const publish = Buffer.alloc(Buffer.byteLength(head) + payloadBytes + 2, 'x');
  publish.write(head, 0, 'latin1');
  const at = Buffer.byteLength(head);
  publish.fill(0, at, at + STAMP_BYTES);
  publish.write(CRLF, at + payloadBytes, 'latin1');
  return {
    channel,
    payloadBytes,
    subscribe: command(['SUBSCRIBE', channel]),
    subscribed: Buffer.from(`*3${CRLF}$9${CRLF}subscribe${CRLF}${ch}:1${CRLF}`, 'latin1'),
    messageHead: Buffer.from(`*3${CRLF}$7${CRLF}message${CRLF}${ch}$${payloadBytes}${CRLF}`, 'latin1'),
    publish,
    publishPayloadAt: at,
    publishReply: Buffer.from(`:${subscribers}${CRLF}`, 'latin1'),
  };
}

/** Write `count` PUBLISH commands, sequence numbers first.., all stamped `sentAt`, into one new buffer. */
export function publishBatch(f: FanoutFrames, first: number, count: number, sentAt: number): Buffer {
  const len = f.publish.length;
  const out = Buffer.allocUnsafe(len * count);
  for (let k = 0; k < count; k++) {
    const off = k * len;
    f.publish.copy(out, off);
    out.writeUInt32LE((first + k) >>> 0, off + f.publishPayloadAt);
    out.writeDoubleLE(sentAt, off + f.publishPayloadAt + 4);
  }
  return out;
}

/** Counters of one subscriber's stream. */
export class SubscriberStream {
  private readonly head: Buffer;
  private readonly headLen: number;
  /** The head as little-endian 32-bit words (its first headLen & ~3 bytes), for the fast path's comparison. */
  private readonly headWords: Uint32Array;
  private readonly frameLen: number;
  private readonly payloadLen: number;
  /** Confirmation bytes still to match (ReplyMatcher of one unit). */
  private readonly confirm: ReplyMatcher;
  /** Position inside the current message frame (slow path: a frame split across chunks). */
  private pos = 0;
  private readonly stamp = Buffer.alloc(STAMP_BYTES);
  subscribed = false;
  /** Messages received (well-formed frames). */
  received = 0;
  /** The sequence number the next message must carry. */
  nextSeq = 0;
  /** Messages of this read with the same stamp (a PUBLISH batch shares one), recorded at once. */
  private runSentAt = NaN;
  private runCount = 0;
  /** Sequence numbers skipped (a later one came first) and ones that came again or out of order. */
  gaps = 0;
  repeats = 0;
  error: string | null = null;

  constructor(f: FanoutFrames) {
    this.head = f.messageHead;
    this.headLen = f.messageHead.length;
    this.headWords = new Uint32Array(this.headLen >> 2);
    for (let w = 0; w < this.headWords.length; w++) this.headWords[w] = f.messageHead.readUInt32LE(4 * w);
    this.payloadLen = f.payloadBytes;
    this.frameLen = this.headLen + f.payloadBytes + 2;
    this.confirm = new ReplyMatcher(f.subscribed, 'SUBSCRIBE reply');
  }

  /**
   * Take a chunk received at `now` (ms, the publisher's clock); records each message's
   * latency in `hist` (microseconds); returns the number of messages in it. After a
   * malformed frame `error` is set and the rest of the stream is ignored.
   */
  feed(buf: Uint8Array, start: number, end: number, now: number, hist: LatencyHistogram): number {
    if (this.error !== null) return 0;
    let i = start;
    if (!this.subscribed) {
      const need = this.confirm.unit.length - this.confirm.pos;
      const take = Math.min(end, i + need);
      this.confirm.feed(buf, i, take);
      if (this.confirm.error !== null) {
        this.error = this.confirm.error;
        return 0;
      }
      i = take;
      if (this.confirm.units === 0) return 0;
      this.subscribed = true;
    }
    const head = this.head;
    const headLen = this.headLen;
    const words = this.headWords;
    const frameLen = this.frameLen;
    const payloadEnd = headLen + this.payloadLen;
    let n = 0;
    this.runCount = 0;
    while (i < end) {
      if (this.pos === 0 && end - i >= frameLen) {
        // Fast path: a whole frame in this chunk.
        // The head word by word (a byte loop cost most of the receiving), then its last 0-3 bytes.
        const dv = viewOf(buf);
        for (let w = 0; w < words.length; w++) {
          if (dv.getUint32(i + 4 * w, true) !== words[w]) {
            let k = 4 * w;
            while (buf[i + k] === head[k]) k++;
            return n + this.fail(buf, i, end, k, now, hist);
          }
        }
        for (let k = words.length * 4; k < headLen; k++) {
          if (buf[i + k] !== head[k]) return n + this.fail(buf, i, end, k, now, hist);
        }
        if (buf[i + frameLen - 2] !== 13 || buf[i + frameLen - 1] !== 10) return n + this.fail(buf, i, end, frameLen - 2, now, hist);
        this.onMessage(seqAt(buf, i + headLen), timeAt(buf, i + headLen + 4), now, hist);
        n++;
        i += frameLen;
        continue;
      }
      // Slow path: byte by byte through a frame that started or ends in another chunk.
      const b = buf[i];
      const pos = this.pos;
      if (pos < headLen) {
        if (b !== head[pos]) return n + this.fail(buf, i - pos < start ? start : i - pos, end, pos, now, hist);
      } else if (pos < payloadEnd) {
        if (pos - headLen < STAMP_BYTES) this.stamp[pos - headLen] = b;
      } else if (b !== (pos === payloadEnd ? 13 : 10)) {
        return n + this.fail(buf, Math.max(start, i - pos), end, pos, now, hist);
      }
      i++;
      if (++this.pos === frameLen) {
        this.pos = 0;
        this.onMessage(seqAt(this.stamp, 0), timeAt(this.stamp, 4), now, hist);
        n++;
      }
    }
    this.flushRun(now, hist);
    return n;
  }

  private onMessage(seq: number, sentAt: number, now: number, hist: LatencyHistogram): void {
    if (seq !== this.nextSeq) {
      if (seq > this.nextSeq) this.gaps += seq - this.nextSeq;
      else this.repeats++;
    }
    this.nextSeq = seq + 1;
    this.received++;
    if (sentAt === this.runSentAt && this.runCount > 0) this.runCount++;
    else {
      this.flushRun(now, hist);
      this.runSentAt = sentAt;
      this.runCount = 1;
    }
  }

  private flushRun(now: number, hist: LatencyHistogram): void {
    if (this.runCount > 0) hist.recordN((now - this.runSentAt) * 1000, this.runCount);
    this.runCount = 0;
  }

  private fail(buf: Uint8Array, from: number, end: number, at: number, now: number, hist: LatencyHistogram): number {
    this.flushRun(now, hist);
    this.error =
      `message ${this.received + 1}: expected a frame "${showBytes(this.head, 0, this.headLen)}<${this.payloadLen} bytes>\\r\\n", ` +
      `got "${showBytes(buf, from, Math.min(end, from + 100))}${from + 100 < end ? '...' : ''}" (first difference at byte ${at} of the frame)`;
    return 0;
  }
}

let viewBuf: Uint8Array | null = null;
let view: DataView = new DataView(new ArrayBuffer(0));
/** A DataView of `b`'s bytes (offset 0 = b[0]), kept while the same buffer keeps coming (the shared read buffer). */
function viewOf(b: Uint8Array): DataView {
  if (b !== viewBuf) {
    viewBuf = b;
    view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  }
  return view;
}

function seqAt(b: Uint8Array, off: number): number {
  return (b[off] | (b[off + 1] << 8) | (b[off + 2] << 16) | (b[off + 3] << 24)) >>> 0;
}

const f64 = new Float64Array(1);
const f64Bytes = new Uint8Array(f64.buffer);
function timeAt(b: Uint8Array, off: number): number {
  for (let k = 0; k < 8; k++) f64Bytes[k] = b[off + k];
  return f64[0];
}

// ---- MULTI / SET x N / EXEC ---------------------------------------------------------

export interface TransactionFrames {
  sets: number;
  /** MULTI, `sets` x SET <key> <value>, EXEC, with zeroed keys; keyOffsets say where each key goes. */
  template: Buffer;
  keyOffsets: number[];
  /** The replies of one transaction: +OK, `sets` x +QUEUED, *<sets> of +OK. */
  reply: Buffer;
}

export function transactionFrames(sets: number, valueBytes: number): TransactionFrames {
  const parts: Buffer[] = [command(['MULTI'])];
  const keyOffsets: number[] = [];
  let off = parts[0].length;
  const value = 'x'.repeat(valueBytes);
  const zeroKey = 'k'.repeat(KEY_LEN);
  for (let s = 0; s < sets; s++) {
    const head = `*3${CRLF}$3${CRLF}SET${CRLF}$${KEY_LEN}${CRLF}`;
    const set = Buffer.from(`${head}${zeroKey}${CRLF}$${valueBytes}${CRLF}${value}${CRLF}`, 'latin1');
    keyOffsets.push(off + head.length);
    parts.push(set);
    off += set.length;
  }
  parts.push(command(['EXEC']));
  const reply = `+OK${CRLF}` + `+QUEUED${CRLF}`.repeat(sets) + `*${sets}${CRLF}` + `+OK${CRLF}`.repeat(sets);
  return { sets, template: Buffer.concat(parts), keyOffsets, reply: Buffer.from(reply, 'latin1') };
}

/** Write `count` transactions into one new buffer; key ids come from `nextKey()` (0 <= id < 10^12). */
export function transactionBatch(t: TransactionFrames, count: number, nextKey: () => number): Buffer {
  const len = t.template.length;
  const out = Buffer.allocUnsafe(len * count);
  for (let k = 0; k < count; k++) {
    const base = k * len;
    t.template.copy(out, base);
    for (const off of t.keyOffsets) writeKey(out, base + off, nextKey());
  }
  return out;
}
