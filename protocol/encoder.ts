/*
 * ReplyWriter: the one RESP encoder (RESP2 and RESP3). Each client owns one: it is that
 * client's output buffer (Redis's client->buf), so any module may append a reply to any client
 * (a publisher to its subscribers, an unblocked pop to its waiter) without knowing whose
 * command is running. The runtime takes the pending bytes once per event-loop turn and hands
 * them to the socket in one write (src/output.ts). `resp` is the client's protocol; the
 * RESP3-only shapes degrade to their RESP2 forms exactly as redis-server 7.0 does
 * (networking.c addReply*).
 *
 * Memory: an idle writer holds nothing. The first byte written takes a small buffer (2 KB; a
 * 16 KB chunk once that is outgrown) from an OutputPool shared by all clients; take() hands the bytes written so far out as one
 * view and detaches the chunk, and recycle() gives it back to the pool once the socket no longer
 * needs it (the write completed synchronously, the common case). So the chunks in use are
 * bounded by the clients with output pending in this turn, not by the clients connected. Output
 * that outgrows a chunk moves to a dedicated buffer grown by doubling (a big MGET or LRANGE),
 * which is dropped after its write: each byte is copied O(1) times amortized and steady-state
 * writes allocate only the view take() returns.
 *
 * Limits: `hardLimit` (the client's client-output-buffer-limit hard bytes, 0 = none) is checked
 * whenever the buffer grows, counting `queuedBytes` (what its socket still holds unsent). Past
 * it the writer sets `overLimit` and from then on discards what it is given, so a reply over
 * millions of elements cannot grow memory once its client is doomed; the runtime closes the
 * client and handlers with long loops may stop early.
 *
 * Hot path: raw/bulk/int/arrayLen/simple write ASCII digits and bytes directly, with no
 * string, closure or array per reply. Doubles use "%.17g" formatting (redis 7.0
 * addReplyDouble), so they allocate a short string.
 *
 * mark()/truncate() are positions in the pending output, stable across growth (CLIENT REPLY
 * OFF/SKIP drop what a command wrote). simple() and error() write their text as latin1 (one byte
 * per char) so a message quoting an argument decoded with 'latin1' reproduces its bytes; CR and
 * LF in an error become spaces, as addReplyErrorFormat does.
 */

export const DEFAULT_CHUNK_SIZE = 16 * 1024;
/** Free chunks an OutputPool keeps: 256 chunks (4 MB at the default size) and 4096 small ones (8 MB). */
const POOL_KEEP = 256;
const SMALL_KEEP = 4096;
const EMPTY = Buffer.alloc(0);

/**
 * Output buffers shared by every client's ReplyWriter, in two fixed sizes with a free stack
 * each: small ones (an eighth of a chunk) for the usual few replies per turn, so a thousand
 * subscribers with a message each hold 2 MB rather than 16 MB, and chunks for bigger output.
 */
export class OutputPool {
  readonly chunkSize: number;
  readonly smallSize: number;
  /** Buffers allocated so far (chunks and dedicated buffers), for tests and metrics. */
  allocations = 0;
  private readonly free: Buffer[] = [];
  private readonly freeSmall: Buffer[] = [];

  constructor(chunkSize: number = DEFAULT_CHUNK_SIZE) {
    this.chunkSize = chunkSize < 64 ? 64 : chunkSize;
    this.smallSize = this.chunkSize >>> 3;
  }

  /** A buffer for `need` bytes (at most chunkSize): a small one when it fits. */
  acquire(need: number): Buffer {
    const small = need <= this.smallSize;
    const b = small ? this.freeSmall.pop() : this.free.pop();
    if (b !== undefined) return b;
    this.allocations++;
    return Buffer.allocUnsafeSlow(small ? this.smallSize : this.chunkSize);
  }

  /** Takes back a buffer nothing references any more (only the two pooled sizes are kept). */
  release(b: Buffer): void {
    if (b.length === this.chunkSize) {
      if (this.free.length < POOL_KEEP) this.free.push(b);
    } else if (b.length === this.smallSize && this.freeSmall.length < SMALL_KEEP) this.freeSmall.push(b);
  }

  /** A buffer of at least `size` bytes for output that outgrew a chunk. */
  allocateLarge(size: number): Buffer {
    this.allocations++;
    return Buffer.allocUnsafeSlow(size);
  }

  /** Bytes held by free buffers. */
  freeBytes(): number {
    return this.free.length * this.chunkSize + this.freeSmall.length * this.smallSize;
  }
}

/** The pool of a process's writers unless one is given. */
export const sharedOutputPool = new OutputPool();

const CRLF_0 = 13;
const CRLF_1 = 10;
const copyBytes = Buffer.prototype.copy;

/** Decimal digit count of a non-negative integer below 2^53. */
function digitCount(n: number): number {
  if (n < 10) return 1;
  if (n < 100) return 2;
  if (n < 1000) return 3;
  if (n < 10000) return 4;
  if (n < 100000) return 5;
  if (n < 1000000) return 6;
  if (n < 10000000) return 7;
  if (n < 100000000) return 8;
  if (n < 1000000000) return 9;
  let d = 10;
  let p = 10000000000;
  while (n >= p) {
    d++;
    p *= 10;
  }
  return d;
}

const F64 = new Float64Array(1);
const U32 = new Uint32Array(F64.buffer);

/** True when d (> 0, finite) equals digits * 10^exp exactly (digits a decimal integer string). */
function exactlyEquals(d: number, digits: string, exp: number): boolean {
  F64[0] = d;
  const hi = U32[1], lo = U32[0];
  const bexp = (hi >>> 20) & 0x7ff;
  let mant = (BigInt(hi & 0xfffff) << 32n) | BigInt(lo);
  let e2: number;
  if (bexp === 0) e2 = -1074;
  else {
    mant |= 1n << 52n;
    e2 = bexp - 1075;
  }
  // d = mant * 2^e2 ; compare with D * 10^exp
  let left = mant;
  let right = BigInt(digits);
  if (e2 >= 0) left <<= BigInt(e2);
  else right <<= BigInt(-e2);
  if (exp >= 0) right *= 10n ** BigInt(exp);
  else left *= 10n ** BigInt(-exp);
  return left === right;
}

/**
 * printf("%.17g", d) as glibc prints it (round-half-even on the exact binary value), with
 * Redis's spelling of the non-finite values: inf, -inf, nan.
 */
export function formatDouble(d: number): string {
  if (d !== d) return 'nan';
  if (d === Infinity) return 'inf';
  if (d === -Infinity) return '-inf';
  if (d === 0) return Object.is(d, -0) ? '-0' : '0';
  const neg = d < 0;
  const a = neg ? -d : d;
  // 17 significant digits. toExponential rounds exact ties away from zero; glibc rounds them
  // to even, so check the (rare) exact-tie case with 18 digits.
  let s = a.toExponential(16);
  const s18 = a.toExponential(17);
  const e18 = s18.indexOf('e');
  if (s18.charCodeAt(e18 - 1) === 53 /* '5' */ && ((s18.charCodeAt(e18 - 2) - 48) & 1) === 0) {
    const digits18 = s18.slice(0, 1) + s18.slice(2, e18);
    const x18 = Number(s18.slice(e18 + 1));
    if (exactlyEquals(a, digits18, x18 - 17)) s = s18.slice(0, e18 - 1) + s18.slice(e18);
  }
  const ei = s.indexOf('e');
  const x = Number(s.slice(ei + 1));
  const digits = s.slice(0, 1) + s.slice(2, ei); // 17 digits
  let out: string;
  if (x < -4 || x >= 17) {
    let frac = digits.slice(1);
    let k = frac.length;
    while (k > 0 && frac.charCodeAt(k - 1) === 48) k--;
    frac = frac.slice(0, k);
    const ax = x < 0 ? -x : x;
    out = digits[0] + (k > 0 ? '.' + frac : '') + (x < 0 ? 'e-' : 'e+') + (ax < 10 ? '0' : '') + ax;
  } else if (x >= 0) {
    const int = digits.slice(0, x + 1);
    let frac = digits.slice(x + 1);
    let k = frac.length;
    while (k > 0 && frac.charCodeAt(k - 1) === 48) k--;
    frac = frac.slice(0, k);
    out = k > 0 ? int + '.' + frac : int;
  } else {
    let k = digits.length;
    while (k > 0 && digits.charCodeAt(k - 1) === 48) k--;
    out = '0.' + '0'.repeat(-x - 1) + digits.slice(0, k);
  }
  return neg ? '-' + out : out;
}

export class ReplyWriter {
  resp: 2 | 3 = 2;
  /** Errors written so far (raw() of an E_* reply or error()), for failed-call accounting. */
  errorCount = 0;
  /**
   * Called for each error written, with the message bytes (without '-' and CRLF), e.g. to
   * count INFO errorstats by code. One function for the whole server, not per reply.
   */
  onError: ((bytes: Uint8Array, off: number, len: number) => void) | null = null;
  /** The client's client-output-buffer-limit hard bytes (0 = none), checked as the buffer grows. */
  hardLimit = 0;
  /** Bytes of this client's earlier output its socket still holds unsent (set at each flush). */
  queuedBytes = 0;
  /** The hard limit was passed: the client is to be closed and what is written is discarded. */
  overLimit = false;

  private readonly pool: OutputPool;
  /** The buffer being written: EMPTY, a pool chunk, or a dedicated buffer for big output. */
  private buf: Buffer = EMPTY;
  private pos = 0;
  /** The buffer the last take() handed out, until recycle() or the next take(). */
  private taken: Buffer | null = null;

  constructor(pool: OutputPool = sharedOutputPool) {
    this.pool = pool;
  }

  /**
   * The bytes written since the last take() as one view, or null when there are none. The
   * writer lets go of the buffer: the next write starts a fresh one.
   */
  take(): Buffer | null {
    if (this.pos === 0) return null;
    const out = this.buf.subarray(0, this.pos);
    this.taken = this.buf;
    this.buf = EMPTY;
    this.pos = 0;
    return out;
  }

  /** The view the last take() returned is no longer referenced (its write completed): reuse its buffer. */
  recycle(): void {
    if (this.taken !== null) this.pool.release(this.taken);
    this.taken = null;
  }

  /** Drop everything pending and give the buffer back (the client is gone). */
  dispose(): void {
    if (this.buf !== EMPTY) this.pool.release(this.buf);
    this.buf = EMPTY;
    this.pos = 0;
    this.taken = null;
  }

  /** Position marker in the pending output, for truncate() (CLIENT REPLY OFF/SKIP). */
  mark(): number {
    return this.pos;
  }

  truncate(mark: number): void {
    if (mark >= 0 && mark <= this.pos) this.pos = mark;
  }

  /** Bytes written and not yet taken. */
  pending(): number {
    return this.pos;
  }

  /** Bytes of buffer held (CLIENT LIST omem, used_memory). */
  capacity(): number {
    return this.buf.length;
  }

  // --- buffer management -----------------------------------------------------------------

  /** Makes room for n more bytes. */
  private ensure(n: number): void {
    if (this.pos + n > this.buf.length) this.grow(n);
  }

  private grow(n: number): void {
    let need = this.pos + n;
    if (this.overLimit || (this.hardLimit > 0 && need + this.queuedBytes > this.hardLimit)) {
      // The client is doomed: keep writing over the start of the buffer, never growing it
      // for more than one element.
      this.overLimit = true;
      this.pos = 0;
      need = n;
      if (need <= this.buf.length) return;
    }
    const pool = this.pool;
    if (need <= pool.chunkSize && this.buf.length < pool.chunkSize) {
      // Empty, or a small buffer outgrown: take a pooled one that fits.
      const next = pool.acquire(need);
      if (this.pos > 0) this.buf.copy(next, 0, 0, this.pos);
      pool.release(this.buf);
      this.buf = next;
      return;
    }
    let cap = this.buf.length * 2;
    if (cap < pool.chunkSize * 2) cap = pool.chunkSize * 2;
    if (cap < need + (need >>> 2)) cap = need + (need >>> 2);
    const next = pool.allocateLarge(cap);
    if (this.pos > 0) this.buf.copy(next, 0, 0, this.pos);
    pool.release(this.buf);
    this.buf = next;
  }

  private putBytes(bytes: Uint8Array, off: number, len: number): void {
    const b = this.buf;
    let p = this.pos;
    if (len <= 32) {
      for (let i = 0; i < len; i++) b[p++] = bytes[off + i];
      this.pos = p;
    } else {
      copyBytes.call(bytes, b, p, off, off + len);
      this.pos = p + len;
    }
  }

  /** Writes a non-negative safe integer's digits (room already ensured). */
  private putUint(n: number): void {
    const b = this.buf;
    if (n < 10) {
      b[this.pos++] = 48 + n;
      return;
    }
    const d = digitCount(n);
    let p = this.pos + d;
    this.pos = p;
    if (n < 2147483648) {
      while (n >= 10) {
        const q = (n / 10) | 0;
        b[--p] = 48 + (n - q * 10);
        n = q;
      }
    } else {
      while (n >= 10) {
        const q = Math.floor(n / 10);
        b[--p] = 48 + (n - q * 10);
        n = q;
      }
    }
    b[--p] = 48 + n;
  }

  private putAscii(text: string): void {
    const b = this.buf;
    let p = this.pos;
    for (let i = 0; i < text.length; i++) b[p++] = text.charCodeAt(i);
    this.pos = p;
  }

  /** A type byte, a length, CRLF (room for 24 bytes ensured by the caller). */
  private header(type: number, n: number): void {
    this.buf[this.pos++] = type;
    if (n < 0) {
      this.buf[this.pos++] = 45;
      this.putUint(-n);
    } else this.putUint(n);
    this.buf[this.pos++] = CRLF_0;
    this.buf[this.pos++] = CRLF_1;
  }

  private crlfUnsafe(): void {
    this.buf[this.pos++] = CRLF_0;
    this.buf[this.pos++] = CRLF_1;
  }

  private checkLen(n: number): void {
    if (!(n >= 0 && n <= Number.MAX_SAFE_INTEGER && Math.floor(n) === n)) throw new RangeError(`invalid RESP length ${n}`);
  }

  // --- replies ---------------------------------------------------------------------------

  /** A pre-encoded reply (protocol/replies.ts). */
  raw(bytes: Uint8Array): void {
    const len = bytes.length;
    this.ensure(len);
    this.putBytes(bytes, 0, len);
    if (bytes[0] === 45 /* '-' */) {
      this.errorCount++;
      if (this.onError !== null) this.onError(bytes, 1, len - 3);
    }
  }

  /** Pre-encoded bytes or any protocol fragment: bytes[off, off + len), written as they are. */
  rawSlice(bytes: Uint8Array, off: number, len: number): void {
    this.ensure(len);
    this.putBytes(bytes, off, len);
  }

  /** +text\r\n (text must not contain CR or LF). Written as latin1. */
  simple(text: string): void {
    this.ensure(text.length + 3);
    this.buf[this.pos++] = 43; // '+'
    this.putAscii(text);
    this.crlfUnsafe();
  }

  /**
   * -text\r\n for errors built at run time; fixed errors are pre-encoded in replies.ts. text
   * includes the code ("ERR unknown command ..."). Written as latin1; CR/LF become spaces.
   */
  error(text: string): void {
    const len = text.length;
    this.ensure(len + 3);
    const b = this.buf;
    let p = this.pos;
    b[p++] = 45; // '-'
    const msg = p;
    for (let i = 0; i < len; i++) {
      const c = text.charCodeAt(i);
      b[p++] = c === 13 || c === 10 ? 32 : c;
    }
    b[p++] = CRLF_0;
    b[p++] = CRLF_1;
    this.pos = p;
    this.errorCount++;
    if (this.onError !== null) this.onError(b, msg, len);
  }

  int(n: number | bigint): void {
    this.ensure(24);
    if (typeof n === 'number' && n <= 9007199254740991 && n >= -9007199254740991 && Math.floor(n) === n) {
      this.header(58 /* ':' */, n);
      return;
    }
    const s = this.bigDigits(n);
    this.ensure(s.length + 3);
    this.buf[this.pos++] = 58;
    this.putAscii(s);
    this.crlfUnsafe();
  }

  private bigDigits(n: number | bigint): string {
    if (typeof n === 'bigint') return n.toString();
    if (!Number.isInteger(n)) throw new RangeError(`not an integer: ${n}`);
    return BigInt(n).toString();
  }

  bulk(bytes: Uint8Array, off: number, len: number): void {
    this.ensure(len + 26);
    this.header(36 /* '$' */, len);
    this.putBytes(bytes, off, len);
    this.crlfUnsafe();
  }

  /** A whole Uint8Array as a bulk string. */
  bulkBytes(bytes: Uint8Array): void {
    this.bulk(bytes, 0, bytes.length);
  }

  /** A bulk string header "$len\r\n"; write the len bytes (rawSlice) then crlf(). For values stored in pieces. */
  bulkHeader(len: number): void {
    this.checkLen(len);
    this.ensure(24);
    this.header(36, len);
  }

  crlf(): void {
    this.ensure(2);
    this.crlfUnsafe();
  }

  /** A bulk string of text encoded as UTF-8. */
  bulkString(text: string): void {
    const len = text.length <= 64 && isAscii(text) ? text.length : Buffer.byteLength(text, 'utf8');
    this.ensure(len + 26);
    this.header(36, len);
    if (len === text.length) this.putAscii(text);
    else this.pos += this.buf.write(text, this.pos, len, 'utf8');
    this.crlfUnsafe();
  }

  /** A bulk string of text encoded as latin1 (one byte per char: binary strings kept as JS strings). */
  bulkLatin1(text: string): void {
    const len = text.length;
    this.ensure(len + 26);
    this.header(36, len);
    if (len <= 64) this.putAscii(text);
    else this.pos += this.buf.write(text, this.pos, len, 'latin1');
    this.crlfUnsafe();
  }

  /** A bulk string holding the decimal form of an integer. */
  bulkInt(n: number | bigint): void {
    this.ensure(32);
    if (typeof n === 'number' && n <= 9007199254740991 && n >= -9007199254740991 && Math.floor(n) === n) {
      const neg = n < 0;
      const a = neg ? -n : n;
      this.header(36, digitCount(a) + (neg ? 1 : 0));
      if (neg) this.buf[this.pos++] = 45;
      this.putUint(a);
      this.crlfUnsafe();
      return;
    }
    this.bulkLatin1(this.bigDigits(n));
  }

  /** $-1 (RESP2) or _ (RESP3). */
  nullBulk(): void {
    this.ensure(5);
    const b = this.buf;
    if (this.resp === 2) {
      b[this.pos++] = 36;
      b[this.pos++] = 45;
      b[this.pos++] = 49;
    } else b[this.pos++] = 95;
    this.crlfUnsafe();
  }

  /** *-1 (RESP2) or _ (RESP3). */
  nullArray(): void {
    this.ensure(5);
    const b = this.buf;
    if (this.resp === 2) {
      b[this.pos++] = 42;
      b[this.pos++] = 45;
      b[this.pos++] = 49;
    } else b[this.pos++] = 95;
    this.crlfUnsafe();
  }

  arrayLen(n: number): void {
    this.ensure(24);
    this.header(42 /* '*' */, n);
  }

  /** %n (RESP3) or *2n (RESP2). */
  mapLen(n: number): void {
    this.ensure(24);
    if (this.resp === 2) this.header(42, n * 2);
    else this.header(37 /* '%' */, n);
  }

  /** ~n (RESP3) or *n (RESP2). */
  setLen(n: number): void {
    this.ensure(24);
    this.header(this.resp === 2 ? 42 : 126 /* '~' */, n);
  }

  /** >n (RESP3) or *n (RESP2). */
  pushLen(n: number): void {
    this.ensure(24);
    this.header(this.resp === 2 ? 42 : 62 /* '>' */, n);
  }

  /** |n (RESP3 attribute, followed by n key/value pairs); nothing in RESP2 (attributes are dropped there, so skip its pairs too). */
  attributeLen(n: number): void {
    if (this.resp === 2) return;
    this.ensure(24);
    this.header(124 /* '|' */, n);
  }

  /** #t/#f (RESP3) or :1/:0 (RESP2). */
  bool(b: boolean): void {
    this.ensure(4);
    const o = this.buf;
    if (this.resp === 2) {
      o[this.pos++] = 58;
      o[this.pos++] = b ? 49 : 48;
    } else {
      o[this.pos++] = 35;
      o[this.pos++] = b ? 116 : 102;
    }
    this.crlfUnsafe();
  }

  /** ,d (RESP3) or a bulk string (RESP2), formatted as Redis formats doubles (%.17g, inf, -inf, nan). */
  double(d: number): void {
    this.doubleText(formatDouble(d));
  }

  /**
   * A double already formatted by the caller (e.g. Redis's "human" long double form used by
   * addReplyHumanLongDouble): ,text (RESP3) or a bulk string (RESP2).
   */
  doubleText(text: string): void {
    if (this.resp === 2) {
      this.bulkLatin1(text);
      return;
    }
    this.ensure(text.length + 3);
    this.buf[this.pos++] = 44; // ','
    this.putAscii(text);
    this.crlfUnsafe();
  }

  /** (digits (RESP3) or a bulk string (RESP2). */
  bigNumber(digits: string): void {
    if (this.resp === 2) {
      this.bulkLatin1(digits);
      return;
    }
    this.ensure(digits.length + 3);
    this.buf[this.pos++] = 40; // '('
    this.putAscii(digits);
    this.crlfUnsafe();
  }

  /** =len\r\nfmt:text (RESP3) or a bulk string (RESP2). format is 3 characters ("txt", "mkd"). */
  verbatim(text: string, format: string): void {
    if (this.resp === 2) {
      this.bulkString(text);
      return;
    }
    const len = Buffer.byteLength(text, 'utf8');
    this.ensure(len + 32);
    this.header(61 /* '=' */, len + 4);
    const b = this.buf;
    for (let i = 0; i < 3; i++) b[this.pos++] = i < format.length ? format.charCodeAt(i) : 32;
    b[this.pos++] = 58; // ':'
    this.pos += b.write(text, this.pos, len, 'utf8');
    this.crlfUnsafe();
  }
}

function isAscii(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 127) return false;
  return true;
}
