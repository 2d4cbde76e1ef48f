/*
 * The do-nothing floor's protocol: parse RESP requests (multibulk, and inline for redis-cli)
 * and answer each with a constant, pre-encoded reply, so `npm run bench` can show how far
 * slabcache is from what Node itself allows. No keyspace, no command table, no per-command
 * allocation: the name is classified by its bytes, and only the few arguments a reply's shape
 * depends on are read (MGET's key count, LRANGE's range, CONFIG GET's name, COMMAND INFO's
 * count). Every complete command of one read is answered into one Buffer (one socket.write).
 *
 * Replies: GET, HGET, LPOP, RPOP, SPOP, GETSET, GETDEL -> a fixed 32-byte bulk; MGET -> that
 * many fixed bulks; LRANGE start stop -> stop-start+1 fixed bulks (at most 1,000; 100 for
 * negative indices); INCR, DECR, LPUSH, RPUSH, SADD, HSET, ZADD, DEL, EXISTS, ... -> :1;
 * PING -> +PONG; CONFIG GET name -> [name, ""] (redis-benchmark reads save/appendonly at
 * start); COMMAND INFO a b -> one empty array per name (the harness's support probe); QUIT
 * -> +OK and close; anything else -> +OK. Malformed input -> -ERR Protocol error and close.
 *
 * Invariants: a command split across reads is kept (copied) until it completes; the kept
 * bytes are bounded (MAX_PENDING), so a client cannot grow the floor without bound.
 */

const CR = 13;
const LF = 10;
const MAX_PENDING = 64 * 1024 * 1024;
const MAX_ARGS = 1024 * 1024;
const MAX_LRANGE = 1000;
/** Arguments whose position is kept: name plus the first three. */
const KEPT = 4;

export const FIXED_VALUE_BYTES = 32;
const FIXED_BULK = Buffer.from(`$${FIXED_VALUE_BYTES}\r\n${'v'.repeat(FIXED_VALUE_BYTES)}\r\n`, 'latin1');
const OK = Buffer.from('+OK\r\n');
const PONG = Buffer.from('+PONG\r\n');
const ONE = Buffer.from(':1\r\n');
const EMPTY_ARRAY = Buffer.from('*0\r\n');
const EMPTY_BULK = Buffer.from('$0\r\n\r\n');
const PROTOCOL_ERROR = Buffer.from('-ERR Protocol error\r\n');

const K_OK = 0;
const K_BULK = 1;
const K_ONE = 2;
const K_PING = 3;
const K_MGET = 4;
const K_LRANGE = 5;
const K_CONFIG = 6;
const K_COMMAND = 7;
const K_QUIT = 8;

const NAMES: ReadonlyArray<readonly [string, number]> = [
  ['get', K_BULK], ['hget', K_BULK], ['lpop', K_BULK], ['rpop', K_BULK], ['spop', K_BULK],
  ['getset', K_BULK], ['getdel', K_BULK], ['lindex', K_BULK],
  ['incr', K_ONE], ['decr', K_ONE], ['incrby', K_ONE], ['decrby', K_ONE], ['lpush', K_ONE],
  ['rpush', K_ONE], ['sadd', K_ONE], ['hset', K_ONE], ['zadd', K_ONE], ['del', K_ONE],
  ['exists', K_ONE], ['expire', K_ONE], ['hincrby', K_ONE], ['zincrby', K_BULK],
  ['ping', K_PING], ['mget', K_MGET], ['lrange', K_LRANGE], ['config', K_CONFIG],
  ['command', K_COMMAND], ['quit', K_QUIT],
];

/** Names grouped by length, as lower-case bytes, for classify(). */
const BY_LENGTH: Array<Array<[Buffer, number]>> = [];
for (const [name, kind] of NAMES) (BY_LENGTH[name.length] ??= []).push([Buffer.from(name, 'latin1'), kind]);

/** The reply kind of a command name (ASCII case-insensitive); K_OK for anything unknown. */
function classify(buf: Buffer, off: number, len: number): number {
  // GET and SET first: the hot pair.
  if (len === 3) {
    const a = buf[off] | 0x20;
    if ((buf[off + 1] | 0x20) === 101 && (buf[off + 2] | 0x20) === 116) {
      if (a === 103) return K_BULK; // get
      if (a === 115) return K_OK; // set
    }
  }
  const group = BY_LENGTH[len];
  if (group === undefined) return K_OK;
  for (let g = 0; g < group.length; g++) {
    const name = group[g][0];
    let i = 0;
    while (i < len && (buf[off + i] | 0x20) === name[i]) i++;
    if (i === len) return group[g][1];
  }
  return K_OK;
}

/** Shared output scratch: the server is single-threaded and feed() copies out of it. */
let scratch = Buffer.allocUnsafe(64 * 1024);

export class FloorConnection {
  /** Unparsed bytes of an incomplete command, or null. */
  private pending: Buffer | null = null;
  private outLen = 0;
  /** Set after QUIT or a protocol error: write the last reply, then close. */
  closing = false;
  /** Commands answered so far. */
  commands = 0;
  // The command being parsed: argument count and the kept arguments' positions.
  private argc = 0;
  private readonly argOff = new Int32Array(KEPT);
  private readonly argLen = new Int32Array(KEPT);

  /** Replies to every complete command of `chunk` (after any kept bytes), or null when there are none. */
  feed(chunk: Buffer): Buffer | null {
    if (this.closing) return null;
    let buf = chunk;
    if (this.pending !== null) {
      buf = Buffer.concat([this.pending, chunk]);
      this.pending = null;
    }
    this.outLen = 0;
    const end = buf.length;
    let pos = 0;
    while (pos < end) {
      const next = buf[pos] === 42 /* '*' */ ? this.parseMultibulk(buf, pos, end) : this.parseInline(buf, pos, end);
      if (next === -1) {
        if (end - pos > MAX_PENDING) this.protocolError();
        else this.pending = Buffer.from(buf.subarray(pos, end));
        break;
      }
      if (next === -2) {
        this.protocolError();
        break;
      }
      pos = next;
      if (this.argc > 0) {
        this.reply(buf);
        this.commands++;
        if (this.closing) break;
      }
    }
    if (this.outLen === 0) return null;
    const out = Buffer.allocUnsafe(this.outLen);
    scratch.copy(out, 0, 0, this.outLen);
    return out;
  }

  /** A non-negative decimal terminated by CRLF at buf[pos..]; sets `lineEnd` to the index after LF. -1: incomplete, -2: malformed. */
  private lineEnd = 0;
  private readNumber(buf: Buffer, pos: number, end: number): number {
    let n = 0;
    let digits = 0;
    let neg = false;
    if (pos < end && buf[pos] === 45 /* '-' */) {
      neg = true;
      pos++;
    }
    while (pos < end) {
      const c = buf[pos];
      if (c >= 48 && c <= 57) {
        n = n * 10 + (c - 48);
        if (++digits > 15) return -2;
        pos++;
        continue;
      }
      if (c !== CR) return -2;
      if (pos + 1 >= end) return -1;
      if (buf[pos + 1] !== LF || digits === 0) return -2;
      this.lineEnd = pos + 2;
      return neg ? (n === 1 ? -3 : -2) : n;
    }
    return -1;
  }

  /** Parse one multibulk command at buf[pos]; returns the index after it, -1 when incomplete, -2 when malformed. */
  private parseMultibulk(buf: Buffer, pos: number, end: number): number {
    const count = this.readNumber(buf, pos + 1, end);
    if (count === -3) {
      // *-1: a null array, ignored as Redis does.
      this.argc = 0;
      return this.lineEnd;
    }
    if (count < 0) return count;
    if (count > MAX_ARGS) return -2;
    let p = this.lineEnd;
    for (let i = 0; i < count; i++) {
      if (p >= end) return -1;
      if (buf[p] !== 36 /* '$' */) return -2;
      const len = this.readNumber(buf, p + 1, end);
      if (len < 0) return len === -3 ? -2 : len;
      const start = this.lineEnd;
      if (start + len + 2 > end) return -1;
      if (buf[start + len] !== CR || buf[start + len + 1] !== LF) return -2;
      if (i < KEPT) {
        this.argOff[i] = start;
        this.argLen[i] = len;
      }
      p = start + len + 2;
    }
    this.argc = count;
    return p;
  }

  /** Parse one inline command (space-separated words up to LF); an empty line is no command. */
  private parseInline(buf: Buffer, pos: number, end: number): number {
    const lf = buf.indexOf(LF, pos);
    if (lf === -1 || lf >= end) return -1;
    let lineEnd = lf;
    if (lineEnd > pos && buf[lineEnd - 1] === CR) lineEnd--;
    let argc = 0;
    let i = pos;
    while (i < lineEnd) {
      while (i < lineEnd && (buf[i] === 32 || buf[i] === 9)) i++;
      if (i >= lineEnd) break;
      const start = i;
      while (i < lineEnd && buf[i] !== 32 && buf[i] !== 9) i++;
      if (argc < KEPT) {
        this.argOff[argc] = start;
        this.argLen[argc] = i - start;
      }
      argc++;
    }
    this.argc = argc;
    return lf + 1;
  }

  /** Small signed integer argument `i` (0 when absent or not a number). */
  private intArg(buf: Buffer, i: number): number {
    if (i >= this.argc || i >= KEPT) return 0;
    const off = this.argOff[i];
    const len = this.argLen[i];
    let n = 0;
    let neg = false;
    for (let j = 0; j < len && j < 12; j++) {
      const c = buf[off + j];
      if (j === 0 && c === 45) neg = true;
      else if (c >= 48 && c <= 57) n = n * 10 + (c - 48);
      else return 0;
    }
    return neg ? -n : n;
  }

  private argIs(buf: Buffer, i: number, lower: string): boolean {
    if (i >= this.argc || i >= KEPT || this.argLen[i] !== lower.length) return false;
    const off = this.argOff[i];
    for (let j = 0; j < lower.length; j++) if ((buf[off + j] | 0x20) !== lower.charCodeAt(j)) return false;
    return true;
  }

  private reply(buf: Buffer): void {
    switch (classify(buf, this.argOff[0], this.argLen[0])) {
      case K_BULK:
        this.put(FIXED_BULK);
        return;
      case K_ONE:
        this.put(ONE);
        return;
      case K_PING:
        this.put(PONG);
        return;
      case K_MGET:
        this.bulks(this.argc - 1);
        return;
      case K_LRANGE: {
        const start = this.intArg(buf, 2);
        const stop = this.intArg(buf, 3);
        this.bulks(start < 0 || stop < 0 ? 100 : Math.min(MAX_LRANGE, Math.max(0, stop - start + 1)));
        return;
      }
      case K_CONFIG:
        if (this.argIs(buf, 1, 'get') && this.argc >= 3) {
          this.text('*2\r\n');
          this.text(`$${this.argLen[2]}\r\n`);
          this.put(buf.subarray(this.argOff[2], this.argOff[2] + this.argLen[2]));
          this.text('\r\n');
          this.put(EMPTY_BULK);
        } else this.put(OK);
        return;
      case K_COMMAND:
        if (this.argIs(buf, 1, 'info')) {
          const n = this.argc - 2;
          this.text(`*${n}\r\n`);
          for (let i = 0; i < n; i++) this.put(EMPTY_ARRAY);
        } else this.put(EMPTY_ARRAY);
        return;
      case K_QUIT:
        this.put(OK);
        this.closing = true;
        return;
      default:
        this.put(OK);
    }
  }

  private bulks(n: number): void {
    this.text(`*${n}\r\n`);
    for (let i = 0; i < n; i++) this.put(FIXED_BULK);
  }

  private protocolError(): void {
    this.put(PROTOCOL_ERROR);
    this.closing = true;
    this.pending = null;
  }

  private ensure(n: number): void {
    if (this.outLen + n <= scratch.length) return;
    let size = scratch.length * 2;
    while (size < this.outLen + n) size *= 2;
    const grown = Buffer.allocUnsafe(size);
    scratch.copy(grown, 0, 0, this.outLen);
    scratch = grown;
  }

  private put(bytes: Uint8Array): void {
    this.ensure(bytes.length);
    scratch.set(bytes, this.outLen);
    this.outLen += bytes.length;
  }

  private text(s: string): void {
    this.ensure(s.length);
    this.outLen += scratch.write(s, this.outLen, 'latin1');
  }
}
