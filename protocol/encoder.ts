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
 * 16 KB chunk once that is outgrown) from an OutputPool shared by all clients. Output that
 * outgrows a chunk is chained, as Redis's reply list: the full chunk is sealed and a fresh one
 * follows (a byte string over 4 KB is copied across chunks; any other element bigger than a
 * chunk gets a dedicated buffer), so every byte is copied once into the writer and never again
 * to grow it. take() hands the pending bytes out as views, oldest first and up to a budget
 * (src/output.ts writes at most 64 KB per client per turn); a chunk whose bytes are all taken is
 * let go of, and goes back to the pool once the socket no longer needs it: at once when the
 * write completed synchronously (recycle(), the common case), else after the socket has sent it
 * (hold(), then release()). So the chunks in use are bounded by the clients with output pending,
 * not by the clients connected, and steady-state writes allocate only the views take() returns.
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

/** Byte strings longer than this are copied across the chain's buffers rather than into one contiguous buffer. */
const CHAIN_BYTES = 4096;
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
  /** The buffer being written (the chain's tail): EMPTY, a pool buffer, or a dedicated one for one big element. */
  private buf: Buffer = EMPTY;
  /** First byte of buf not yet taken: the bytes before it were handed to the socket. */
  private start = 0;
  private pos = 0;
  /**
   * Filled buffers before buf, oldest first, with the range of each not yet taken
   * [sealedFrom, sealedTo): output that outgrew one buffer is chained, never copied to grow.
   * Entries before sealedHead were taken whole.
   */
  private sealedBufs: Buffer[] = [];
  private sealedFrom: number[] = [];
  private sealedTo: number[] = [];
  private sealedHead = 0;
  /** Untaken bytes, and buffer bytes, of the sealed buffers from sealedHead on. */
  private sealedBytes = 0;
  private sealedCapacity = 0;
  /** The buffer take() detached since the last recycle() or hold() (the usual one), and any more (chained output). */
  private handedOne: Buffer | null = null;
  private handed: Buffer[] = [];
  /** A buffer take() handed a part of (it still holds untaken bytes), since the last recycle() or hold(). */
  private handedPart: Buffer | null = null;
  /** Buffers the socket may still read from (writes it queued): never reused until release(). */
  private pinned: Buffer[] = [];

  constructor(pool: OutputPool = sharedOutputPool) {
    this.pool = pool;
  }

  /**
   * Up to `max` of the bytes not yet taken, as one view, or null when there are none: the
   * oldest first, at most one buffer's worth per call (takeMore() for the next). A buffer whose
   * bytes are all taken is let go of (the next write starts a fresh one). After writing the
   * views, the caller says whether the socket still references them: recycle() if not, hold()
   * if it queued them; views it does neither for are left to the GC, never rewritten. take()
   * with no bound returns everything as one buffer (copied together when the output was
   * chained), for callers that want the whole reply.
   */
  take(max: number = Infinity): Buffer | null {
    this.handedOne = null;
    if (this.handed.length !== 0) this.handed.length = 0;
    this.handedPart = null;
    return this.takeMore(max);
  }

  /** The next view after take(), for the same recycle() or hold(). */
  takeMore(max: number): Buffer | null {
    if (this.sealedHead < this.sealedBufs.length) {
      if (max === Infinity) return this.takeJoined();
      const h = this.sealedHead;
      const b = this.sealedBufs[h];
      const from = this.sealedFrom[h];
      const n = this.sealedTo[h] - from;
      if (n > max) {
        this.sealedFrom[h] = from + max;
        this.sealedBytes -= max;
        this.handedPart = b;
        return b.subarray(from, from + max);
      }
      this.sealedHead = h + 1;
      this.sealedBytes -= n;
      this.sealedCapacity -= b.length;
      this.hand(b);
      if (this.sealedHead === this.sealedBufs.length) this.clearSealed();
      return b.subarray(from, from + n);
    }
    const n = this.pos - this.start;
    if (n === 0) return null;
    if (n > max) {
      const out = this.buf.subarray(this.start, this.start + max);
      this.start += max;
      this.handedPart = this.buf;
      return out;
    }
    const out = this.buf.subarray(this.start, this.pos);
    this.hand(this.buf);
    this.buf = EMPTY;
    this.start = 0;
    this.pos = 0;
    return out;
  }

  /** Everything untaken, chained output copied into one new buffer; the chain's buffers are let go of. */
  private takeJoined(): Buffer {
    const out = Buffer.allocUnsafe(this.pending());
    let p = 0;
    for (let i = this.sealedHead; i < this.sealedBufs.length; i++) {
      const b = this.sealedBufs[i];
      p += b.copy(out, p, this.sealedFrom[i], this.sealedTo[i]);
      this.hand(b);
    }
    this.clearSealed();
    if (this.pos > this.start) this.buf.copy(out, p, this.start, this.pos);
    this.hand(this.buf);
    this.buf = EMPTY;
    this.start = 0;
    this.pos = 0;
    return out;
  }

  private hand(b: Buffer): void {
    if (this.handedOne === null) this.handedOne = b;
    else this.handed.push(b);
  }

  private clearSealed(): void {
    this.sealedBufs.length = 0;
    this.sealedFrom.length = 0;
    this.sealedTo.length = 0;
    this.sealedHead = 0;
    this.sealedBytes = 0;
    this.sealedCapacity = 0;
  }

  /** The views take() returned are no longer referenced (their writes completed): reuse their buffers. */
  recycle(): void {
    if (this.handedOne !== null) {
      this.giveBack(this.handedOne);
      this.handedOne = null;
    }
    const handed = this.handed;
    if (handed.length !== 0) {
      for (let i = 0; i < handed.length; i++) this.giveBack(handed[i]);
      handed.length = 0;
    }
    this.handedPart = null;
  }

  /** The socket queued the views take() returned: keep their buffers out of reuse until release(). */
  hold(): void {
    if (this.handedOne !== null) {
      this.pinned.push(this.handedOne);
      this.handedOne = null;
    }
    const handed = this.handed;
    for (let i = 0; i < handed.length; i++) this.pinned.push(handed[i]);
    handed.length = 0;
    if (this.handedPart !== null) this.pinned.push(this.handedPart);
    this.handedPart = null;
  }

  /** The socket has written everything it was given: the buffers it held may be reused. */
  release(): void {
    const pinned = this.pinned;
    if (pinned.length === 0) return;
    for (let i = 0; i < pinned.length; i++) {
      const b = pinned[i];
      if (b !== this.buf && !this.isSealed(b)) this.pool.release(b);
    }
    pinned.length = 0;
  }

  /** Back to the pool, unless the socket may still read from it. */
  private giveBack(b: Buffer): void {
    if (b !== EMPTY && (this.pinned.length === 0 || !this.pinned.includes(b))) this.pool.release(b);
  }

  private isSealed(b: Buffer): boolean {
    const bufs = this.sealedBufs;
    for (let i = this.sealedHead; i < bufs.length; i++) if (bufs[i] === b) return true;
    return false;
  }

  /** Drop everything pending and give the buffers back (the client is gone). Held buffers are left to the GC. */
  dispose(): void {
    this.discardPending();
    this.giveBack(this.buf);
    this.buf = EMPTY;
    this.start = 0;
    this.pos = 0;
    this.handedOne = null;
    this.handed.length = 0;
    this.handedPart = null;
    this.pinned.length = 0;
  }

  /** Drop the untaken output (the client is doomed or gone): sealed buffers go back, the tail is rewound. */
  private discardPending(): void {
    for (let i = this.sealedHead; i < this.sealedBufs.length; i++) this.giveBack(this.sealedBufs[i]);
    this.clearSealed();
    this.pos = this.start;
  }

  /** Position marker in the pending output, for truncate() (CLIENT REPLY OFF/SKIP). */
  /**
   * The pending output in place when it is one range of the current buffer and not empty:
   * that buffer (the range starts at pendingStart()), else null (chained or nothing: take()).
   * Nothing is taken; it stays pending until truncate() or take().
   */
  pendingSpan(): Buffer | null {
    return this.sealedHead === this.sealedBufs.length && this.pos > this.start ? this.buf : null;
  }

  pendingStart(): number {
    return this.start;
  }

  mark(): number {
    return this.pending();
  }

  /** Drop what was written after mark() (no take() in between). */
  truncate(mark: number): void {
    let excess = this.pending() - mark;
    if (mark < 0 || excess <= 0) return;
    while (excess > this.pos - this.start) {
      // The whole tail goes: the last sealed buffer becomes the tail again.
      excess -= this.pos - this.start;
      this.giveBack(this.buf);
      const last = this.sealedBufs.length - 1;
      this.buf = this.sealedBufs[last];
      this.start = this.sealedFrom[last];
      this.pos = this.sealedTo[last];
      this.sealedBytes -= this.pos - this.start;
      this.sealedCapacity -= this.buf.length;
      this.sealedBufs.length = last;
      this.sealedFrom.length = last;
      this.sealedTo.length = last;
      if (this.sealedHead === last) this.clearSealed();
    }
    this.pos -= excess;
  }

  /** Bytes written and not yet taken. */
  pending(): number {
    return this.sealedBytes + this.pos - this.start;
  }

  /** Bytes of buffer held, those the socket still holds included (CLIENT LIST omem, used_memory). */
  capacity(): number {
    let n = this.buf.length + this.sealedCapacity;
    const pinned = this.pinned;
    for (let i = 0; i < pinned.length; i++) if (pinned[i] !== this.buf) n += pinned[i].length;
    return n;
  }

  // --- buffer management -----------------------------------------------------------------

  /** Makes room for n more contiguous bytes. */
  private ensure(n: number): void {
    if (this.pos + n > this.buf.length) this.grow(n);
  }

  private grow(n: number): void {
    if (this.overLimit || (this.hardLimit > 0 && this.pending() + n + this.queuedBytes > this.hardLimit)) {
      // The client is doomed: drop what is pending and keep writing over the tail's free
      // part, never growing for more than one element.
      this.overLimit = true;
      this.discardPending();
      if (this.pos + n <= this.buf.length) return;
    }
    const pool = this.pool;
    const old = this.buf;
    const used = this.pos - this.start;
    if (used + n <= pool.chunkSize && old.length < pool.chunkSize) {
      // Empty, or a small buffer outgrown: a pooled one that fits takes its few bytes.
      const next = pool.acquire(used + n);
      if (used > 0) old.copy(next, 0, this.start, this.pos);
      if (this.handedPart !== old) this.giveBack(old);
      this.buf = next;
      this.start = 0;
      this.pos = used;
      return;
    }
    // Chain: the tail is sealed as it is and a new buffer follows it (a chunk, or a dedicated
    // buffer for one element bigger than a chunk).
    if (used > 0) {
      this.sealedBufs.push(old);
      this.sealedFrom.push(this.start);
      this.sealedTo.push(this.pos);
      this.sealedBytes += used;
      this.sealedCapacity += old.length;
    } else if (this.handedPart !== old) this.giveBack(old);
    this.buf = n <= pool.chunkSize ? pool.acquire(pool.chunkSize) : pool.allocateLarge(n);
    this.start = 0;
    this.pos = 0;
  }

  /** Copies bytes that may be bigger than a buffer, filling the chain's buffers one after another. */
  private putBytesChained(bytes: Uint8Array, off: number, len: number): void {
    while (len > 0) {
      let room = this.buf.length - this.pos;
      if (room === 0) {
        this.grow(1);
        room = this.buf.length - this.pos;
      }
      const n = len < room ? len : room;
      copyBytes.call(bytes, this.buf, this.pos, off, off + n);
      this.pos += n;
      off += n;
      len -= n;
    }
  }

  private putBytes(bytes: Uint8Array, off: number, len: number): void {
    const b = this.buf;
    let p = this.pos;
    if (len <= 32) {
      for (let i = 0; i < len; i++) b[p++] = bytes[off + i];
      this.pos = p;
    } else if (off === 0 && len === bytes.length) {
      // A whole array (a pre-encoded reply, a pub/sub frame): TypedArray.prototype.set costs
      // half of Buffer.prototype.copy's range checks and dispatch.
      b.set(bytes, p);
      this.pos = p + len;
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
    if (len > CHAIN_BYTES) this.putBytesChained(bytes, 0, len);
    else {
      this.ensure(len);
      this.putBytes(bytes, 0, len);
    }
    if (bytes[0] === 45 /* '-' */) {
      this.errorCount++;
      if (this.onError !== null) this.onError(bytes, 1, len - 3);
    }
  }

  /** Pre-encoded bytes or any protocol fragment: bytes[off, off + len), written as they are. */
  rawSlice(bytes: Uint8Array, off: number, len: number): void {
    if (len > CHAIN_BYTES) {
      this.putBytesChained(bytes, off, len);
      return;
    }
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
    if (len > CHAIN_BYTES) {
      this.ensure(24);
      this.header(36, len);
      this.putBytesChained(bytes, off, len);
      this.ensure(2);
      this.crlfUnsafe();
      return;
    }
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

  /**
   * A bulk string "a-b" of the two non-negative integers below 2^53 in pair (a stream ID), built
   * in place. The digits are written here rather than by putUint(): a number past 2^30 passed
   * to a call that is not inlined is boxed, and so is one passed in one by one (hence pair).
   */
  bulkDashed(pair: Float64Array): void {
    let a = pair[0];
    let b = pair[1];
    let aDigits = 1;
    for (let p = 10; p <= a; p *= 10) aDigits++;
    let bDigits = 1;
    for (let p = 10; p <= b; p *= 10) bDigits++;
    this.ensure(64);
    this.header(36, aDigits + 1 + bDigits);
    const buf = this.buf;
    let p = this.pos + aDigits + 1 + bDigits;
    this.pos = p;
    do {
      const q = Math.floor(b / 10);
      buf[--p] = 48 + (b - q * 10);
      b = q;
    } while (b > 0);
    buf[--p] = 45;
    do {
      const q = Math.floor(a / 10);
      buf[--p] = 48 + (a - q * 10);
      a = q;
    } while (a > 0);
    this.crlfUnsafe();
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
