/*
 * RequestParser: RESP requests (multibulk and inline) -> argument views, one parser per connection.
 *
 * Usage: parser.feed(chunk) for each socket read, then parser.next() until it returns INCOMPLETE
 * or ERROR. After COMMAND the arguments are argBuf[argOff[i] .. argOff[i] + argLen[i]) for
 * i < argc, valid only until the next call to next() or feed(). After ERROR, `error` holds
 * Redis's message without the leading '-' and CRLF (e.g. "ERR Protocol error: invalid bulk
 * length"); the connection replies it and closes. The parser then stays failed.
 *
 * Design (a resumable state machine over two buffers):
 * - Direct mode: a command wholly inside the received chunk is parsed in place; argBuf is the
 *   chunk itself (zero copy). Any pipeline depth: next() returns one command at a time.
 * - Scratch mode: when a chunk ends inside a command, the command's bytes so far are copied
 *   once into a reusable scratch buffer and the state (position, current bulk length, args
 *   remaining, argument offsets, line scan position) is kept. Later chunks append to scratch
 *   only bytes that belong to this command (exactly what a bulk needs, a header line up to its
 *   CR, or a lower bound of 6 bytes per argument still to come), then parsing resumes where it
 *   stopped; nothing is parsed twice. When the command completes, parsing returns to direct
 *   mode on the rest of the chunk. So a 1,000,000-argument MSET arriving in 64 KB chunks costs
 *   O(bytes): every byte is copied at most once (plus amortized doubling of scratch), every
 *   argument parsed once.
 * - Argument offsets are absolute in the active buffer; on the switch to scratch they are
 *   rebased once (scratch always holds the command from offset 0).
 * - argOff/argLen grow by doubling only as arguments actually arrive: an announced count
 *   (up to 2^31-1) allocates nothing. Scratch grows by doubling as bytes arrive, capped at the
 *   end of the bulk being received: an announced 512 MB bulk followed by one byte holds 4 KB,
 *   not 512 MB (Redis preallocates big arguments; a server with many connections cannot).
 * - Input that arrives while the previous input is not drained (the client is blocked, paused
 *   or yielding) is appended to a held buffer grown by doubling: O(bytes), never O(n^2).
 *   Held buffers of up to HELD_POOLED bytes come from a small pool shared by all parsers and go
 *   back to it once drained: a pipelining client that yields after MAX_COMMANDS_PER_TURN keeps
 *   the rest of each read, and a fresh buffer for every such read was garbage that V8 only
 *   collected much later (25 MB of dead ArrayBuffers over a 1M-command XADD load). A few
 *   unread bytes (one request of a client that yielded when the turn's time ran out, as most
 *   of 1,000 connections do each turn) go to the parser's own HELD_SMALL buffer instead, kept
 *   for reuse: taking a 128 KB pool buffer for them emptied the pool and allocated 128 KB per
 *   yielding client per turn (8% of the server's time at 1,000 connections).
 * - A command that spans two reads is copied into scratch: the parser's own SCRATCH_SMALL
 *   buffer when it fits (made on first use and kept), else a buffer from the same pool (up to
 *   HELD_POOLED bytes), given back after its command. Scratch used to grow by doubling from 4 KB
 *   and be dropped past 16 KB: in a pipelined load of 1,000-element RPUSHes (20 KB commands,
 *   one in three spanning a read) that was 35 KB of garbage per such command, dead until V8's
 *   next collection, and glibc kept the heap it had grown to between the list nodes allocated
 *   meanwhile (100 lists of 10,000 elements: 7 MB of RSS beyond the nodes).
 * - Inline commands (telnet, nc) are split like sdssplitargs() (what redis-server and
 *   redis-cli use) into a small reusable inline buffer; argBuf is then that buffer.
 * - No allocation per command in the steady state. Buffers grown past a retention size for one
 *   huge command are dropped at the next command.
 *
 * Redis 7.0 networking.c rules reproduced (processMultibulkBuffer / processInlineBuffer):
 * - A request starting with '*' is multibulk, anything else inline.
 * - Header lines end at the first CR; the byte after it is skipped unchecked, as are the two
 *   bytes after each bulk's data. Numbers follow string2ll (no '+', no leading zeros, int64).
 * - Count not a number or > INT_MAX: invalid multibulk length. Count <= 0 (*0, *-1): skipped.
 * - Bulk length not a number, negative, or > proto-max-bulk-len: invalid bulk length.
 * - Unauthenticated (`authenticated` false): count > 10 or bulk length > 16384 is refused.
 * - A header or inline line with no terminator among more than 64 KB of buffered bytes:
 *   too big mbulk count string / too big bulk count string / too big inline request. Like Redis,
 *   the check applies to what is buffered when more input is needed, so a line that is complete
 *   in the buffered data is accepted.
 * - Inline: the line ends at LF (a CR before it is dropped); empty lines are skipped.
 * Differences: a NUL byte inside a header line is an ordinary (invalid) character here; Redis's
 * strchr() stops at it and then waits for more input. Inline lines are cut at a NUL, as
 * sdssplitargs does.
 */

export const ParseResult = {
  INCOMPLETE: 0,
  COMMAND: 1,
  ERROR: 2,
} as const;
export type ParseResultCode = (typeof ParseResult)[keyof typeof ParseResult];

/** PROTO_INLINE_MAX_SIZE: a line without its terminator may not exceed this many buffered bytes. */
export const PROTO_INLINE_MAX_SIZE = 64 * 1024;
/** Redis's caps for a client that must authenticate and has not. */
export const UNAUTH_MAX_MULTIBULK = 10;
export const UNAUTH_MAX_BULK = 16384;

const INT_MAX = 2147483647;
/** Argument offsets are Int32: a single command may not exceed this many bytes. */
const MAX_COMMAND_BYTES = 0x7fffffff;
/** Smallest possible encoded argument: "$0\r\n\r\n". */
const MIN_ARG_BYTES = 6;
/**
 * Sizes kept across commands (per connection, so kept small); larger buffers are dropped after
 * the command that needed them, whose own copying cost dwarfs the reallocation.
 */
const SCRATCH_KEEP = 16 * 1024;
/** Size of the parser's own scratch; a command in progress that needs more takes a pooled buffer. */
const SCRATCH_SMALL = 4096;
const INLINE_KEEP = 16 * 1024;
/** Size of the pooled held buffers (twice the server's shared read), and how many are kept. */
const HELD_POOLED = 128 * 1024;
/** Unread input up to half of this is kept in the parser's own small buffer. */
const HELD_SMALL = 1024;
const HELD_POOL_KEEP = 16;
const heldPool: Buffer[] = [];
const ARGS_KEEP = 4096;
const ARGS_INITIAL = 16;
/** lookahead() passes over requests with more arguments than this (they are not small commands). */
const LOOKAHEAD_MAX_ARGS = 64;

export const ERR_TOO_BIG_INLINE = 'ERR Protocol error: too big inline request';
export const ERR_UNBALANCED_QUOTES = 'ERR Protocol error: unbalanced quotes in request';
export const ERR_TOO_BIG_MBULK = 'ERR Protocol error: too big mbulk count string';
export const ERR_INVALID_MBULK = 'ERR Protocol error: invalid multibulk length';
export const ERR_UNAUTH_MBULK = 'ERR Protocol error: unauthenticated multibulk length';
export const ERR_TOO_BIG_BULK = 'ERR Protocol error: too big bulk count string';
export const ERR_INVALID_BULK = 'ERR Protocol error: invalid bulk length';
export const ERR_UNAUTH_BULK = 'ERR Protocol error: unauthenticated bulk length';
/** slabcache only: a single command over 2 GiB (the runtime's client-query-buffer-limit normally closes such a client first). */
export const ERR_COMMAND_TOO_BIG = 'ERR Protocol error: query buffer limit exceeded';

// Internal run() outcomes (0..2 are shared with ParseResult).
const NEED = 0;
const COMMAND = 1;
const ERROR = 2;
const SKIP = 3; // an empty command (*0, *-1, blank inline line) finished inside scratch

// Parser states.
const ST_IDLE = 0;
const ST_MB_HDR = 1;
const ST_BULK_HDR = 2;
const ST_BULK_DATA = 3;
const ST_INLINE = 4;

const CR = 13;
const LF = 10;

const EMPTY = Buffer.alloc(0);

/** buf[off, off+len) is EVAL, EVALSHA or FCALL in any case (their first key is argument 3). */
function isScriptCall(buf: Buffer, off: number, len: number): boolean {
  if (len === 7) return lowerIs(buf, off, 'evalsha');
  if (len === 4) return lowerIs(buf, off, 'eval');
  return len === 5 && lowerIs(buf, off, 'fcall');
}

/** buf[off, ...) is the lower-case letters of word, in any case. */
function lowerIs(buf: Buffer, off: number, word: string): boolean {
  for (let i = 0; i < word.length; i++) if ((buf[off + i] | 0x20) !== word.charCodeAt(i)) return false;
  return true;
}

/**
 * string2ll() over buf[s, e): the value, or NaN when Redis would reject it. Values beyond 2^53
 * are approximate, which only matters for comparisons far above every limit.
 */
export function parseRedisInt(buf: Uint8Array, s: number, e: number): number {
  const len = e - s;
  if (len <= 0 || len >= 21) return NaN;
  let c = buf[s];
  if (len === 1) return c >= 48 && c <= 57 ? c - 48 : NaN;
  let neg = false;
  if (c === 45) {
    neg = true;
    s++;
    c = buf[s];
  }
  if (c < 49 || c > 57) return NaN; // first digit 1-9
  const digits = e - s;
  if (digits > 19) return NaN; // >= 10^19 overflows int64
  let v = c - 48;
  for (let i = s + 1; i < e; i++) {
    c = buf[i];
    if (c < 48 || c > 57) return NaN;
    v = v * 10 + (c - 48);
  }
  if (digits === 19 && v >= 9223372036854770000) {
    // Near the int64 limits: compare digit by digit (a double cannot tell them apart).
    const lim = neg ? '9223372036854775808' : '9223372036854775807';
    for (let i = 0; i < 19; i++) {
      const d = buf[s + i], l = lim.charCodeAt(i);
      if (d !== l) {
        if (d > l) return NaN;
        break;
      }
    }
  }
  return neg ? -v : v;
}

function isSpace(c: number): boolean {
  // C isspace() in the C locale.
  return c === 32 || (c >= 9 && c <= 13);
}

function hexVal(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}

export class RequestParser {
  argc = 0;
  argBuf: Buffer = EMPTY;
  argOff: Int32Array = new Int32Array(ARGS_INITIAL);
  argLen: Int32Array = new Int32Array(ARGS_INITIAL);
  error = '';
  /** proto-max-bulk-len; CONFIG SET changes it for every connection. */
  maxBulkLen = 512 * 1024 * 1024;
  /** When false, Redis's caps for unauthenticated clients apply. */
  authenticated = true;

  /** Work counters (for tests and metrics): header lines parsed, bytes copied into scratch, buffers allocated. */
  statHeaders = 0;
  statCopiedBytes = 0;
  statAllocations = 0;

  // Input chunk and how far it has been consumed.
  private chunk: Buffer = EMPTY;
  private cpos = 0;
  private cend = 0;
  // Scratch buffer holding the command in progress from offset 0 (scratch mode only).
  private scratch: Buffer = EMPTY;
  /** The parser's own scratch (SCRATCH_SMALL bytes), made on first use and kept. */
  private smallScratch: Buffer = EMPTY;
  private slen = 0;
  private inScratch = false;
  /** The command just returned lives in scratch; reset scratch at the next next()/feed(). */
  private releasePending = false;
  // Input kept across feeds while the client is not drained (appendUnread).
  private held: Buffer = EMPTY;
  /** See ownSmallHeld. */
  private smallHeld: Buffer = EMPTY;
  // Inline split output.
  private inlineBuf: Buffer = EMPTY;
  // State machine.
  private state = ST_IDLE;
  /** Parse position in the active buffer (chunk in direct mode, scratch in scratch mode). */
  private pos = 0;
  private cmdStart = 0;
  /** Where to resume looking for a line terminator. */
  private scanFrom = 0;
  private remaining = 0;
  private bulkLen = 0;
  private failed = false;

  /**
   * The next input: chunk[0 .. length). A chunk the caller will reuse (a shared read buffer) is
   * given back with detach() once the commands that can run have run.
   */
  feed(chunk: Buffer, length = chunk.length): void {
    if (this.failed) return;
    if (this.releasePending) this.release();
    if (this.cpos < this.cend) {
      // The previous input was not drained (a blocked, paused or yielding client keeps
      // sending): append to the unread bytes. Only possible between commands.
      this.appendUnread(chunk, length);
      if (!this.inScratch) this.pos = this.cpos;
      return;
    }
    if (this.held.length > SCRATCH_KEEP) this.releaseHeld();
    this.chunk = chunk;
    this.cpos = 0;
    this.cend = length;
    if (!this.inScratch) this.pos = 0;
  }

  /**
   * The caller is about to reuse `chunk`: the bytes of it not parsed yet (a blocked, paused or
   * yielding client's) are copied into `held`, so nothing refers to it afterwards. Argument
   * views of the last command returned may still point into it and are invalid from now on.
   */
  detach(chunk: Buffer): void {
    if (this.chunk !== chunk) return;
    const unread = this.cend - this.cpos;
    if (unread === 0 || this.failed) {
      this.chunk = EMPTY;
      this.cpos = 0;
      this.cend = 0;
      if (!this.inScratch) this.pos = 0;
      return;
    }
    if (this.held.length < unread) {
      this.releaseHeld();
      this.held = unread * 2 <= HELD_SMALL ? this.ownSmallHeld() : this.acquireHeld(Math.max(unread * 2, SCRATCH_KEEP));
    }
    chunk.copy(this.held, 0, this.cpos, this.cend);
    this.statCopiedBytes += unread;
    this.chunk = this.held;
    this.cpos = 0;
    this.cend = unread;
    if (!this.inScratch) this.pos = 0;
  }

  /**
   * Keeps unread input and a new chunk together in `held`, a buffer grown by doubling: each
   * byte is copied O(1) times amortized however long the client stays undrained (the
   * runtime's client-query-buffer-limit bounds it).
   */
  private appendUnread(chunk: Buffer, length: number): void {
    const unread = this.cend - this.cpos;
    const total = unread + length;
    const held = this.held;
    if (this.chunk === held && this.cend + length <= held.length) {
      // Room after the unread bytes.
    } else if (this.chunk === held && total <= held.length) {
      held.copyWithin(0, this.cpos, this.cend);
      this.statCopiedBytes += unread;
      this.cpos = 0;
      this.cend = unread;
    } else {
      const next = this.acquireHeld(Math.max(total * 2, SCRATCH_KEEP));
      this.chunk.copy(next, 0, this.cpos, this.cend);
      this.statCopiedBytes += unread;
      if (this.chunk === held) this.releaseHeld();
      this.held = next;
      this.chunk = next;
      this.cpos = 0;
      this.cend = unread;
    }
    chunk.copy(this.chunk, this.cend, 0, length);
    this.statCopiedBytes += length;
    this.cend += length;
  }

  next(): ParseResultCode {
    if (this.failed) return ERROR;
    if (this.releasePending) this.release();
    if (this.state === ST_IDLE) {
      // Between commands: drop what one huge command grew (no argument views are live).
      if (this.argOff.length > ARGS_KEEP) {
        this.argOff = new Int32Array(ARGS_INITIAL);
        this.argLen = new Int32Array(ARGS_INITIAL);
      }
      if (this.inlineBuf.length > INLINE_KEEP) this.inlineBuf = EMPTY;
    }
    for (;;) {
      if (!this.inScratch) {
        const r = this.run(this.chunk, this.cend, false);
        if (r === COMMAND) {
          this.cpos = this.pos;
          return COMMAND;
        }
        if (r === ERROR) return ERROR;
        // NEED: the chunk is used up.
        if (this.state !== ST_IDLE) {
          const r = this.toScratch();
          this.letGoOfDrainedHeld();
          return r;
        }
        this.cpos = this.cend;
        this.letGoOfDrainedHeld();
        return ParseResult.INCOMPLETE;
      }
      const r = this.run(this.scratch, this.slen, true);
      if (r === COMMAND) {
        this.releasePending = true;
        return COMMAND;
      }
      if (r === ERROR) return ERROR;
      if (r === SKIP) {
        this.release();
        continue;
      }
      if (this.cpos >= this.cend) {
        this.letGoOfDrainedHeld();
        return ParseResult.INCOMPLETE;
      }
      if (!this.appendFromChunk()) return ERROR;
    }
  }

  /**
   * Look ahead, without consuming anything, over the complete multibulk requests that follow
   * in the received chunk: for each of up to `max` of them that has one, the offset and length
   * in `lookaheadBuffer()` of its first key as most commands place it (the second argument;
   * the fourth of EVAL, EVALSHA and FCALL, after the script and the key count), for the store
   * to prefetch before they run. Stops at the first request that is
   * not a plain, complete multibulk of at most LOOKAHEAD_MAX_ARGS arguments; 0 in scratch mode.
   */
  lookahead(offs: Int32Array, lens: Int32Array, max: number): number {
    if (this.inScratch || this.state !== ST_IDLE) return 0;
    const buf = this.chunk;
    const end = this.cend;
    let pos = this.pos;
    let n = 0;
    while (n < max && pos < end && buf[pos] === 42 /* '*' */) {
      let argc = 0;
      let p = pos + 1;
      for (let c = buf[p]; c >= 48 && c <= 57; c = buf[++p]) argc = argc * 10 + c - 48;
      if (buf[p] !== CR || argc > LOOKAHEAD_MAX_ARGS) break;
      p += 2;
      let keyArg = 1;
      let i = 0;
      for (; i < argc && p < end; i++) {
        if (buf[p] !== 36 /* '$' */) return n;
        let len = 0;
        for (let c = buf[++p]; c >= 48 && c <= 57; c = buf[++p]) len = len * 10 + c - 48;
        if (buf[p] !== CR) return n;
        p += 2;
        if (i === 0 && isScriptCall(buf, p, len)) keyArg = 3;
        else if (i === keyArg) {
          offs[n] = p;
          lens[n] = len;
        }
        p += len + 2;
      }
      if (i < argc || p > end) break;
      if (argc > keyArg) n++;
      pos = p;
    }
    return n;
  }

  /** The buffer lookahead()'s offsets point into. */
  lookaheadBuffer(): Buffer {
    return this.chunk;
  }

  /** Bytes buffered for a command not yet complete (CLIENT LIST qbuf, client-query-buffer-limit). */
  bufferedBytes(): number {
    return (this.inScratch && !this.releasePending ? this.slen : 0) + (this.cend - this.cpos);
  }

  /** Capacity held for a command in progress (CLIENT LIST qbuf-free = this - bufferedBytes()). */
  bufferCapacity(): number {
    return (this.inScratch && !this.releasePending ? this.scratch.length : 0) + (this.chunk === this.held ? this.held.length : this.cend - this.cpos);
  }

  /** The parser's own small held buffer, made on first use and kept (its contents are dead whenever it is not `held`). */
  private ownSmallHeld(): Buffer {
    if (this.smallHeld === EMPTY) this.smallHeld = this.allocate(HELD_SMALL);
    return this.smallHeld;
  }

  /** A held (or large scratch) buffer of at least `size` bytes: a pooled one when that is large enough. */
  private acquireHeld(size: number): Buffer {
    if (size <= HELD_POOLED) {
      const pooled = heldPool.pop();
      if (pooled !== undefined) return pooled;
      size = HELD_POOLED;
    }
    return this.allocate(size);
  }

  private allocate(size: number): Buffer {
    this.statAllocations++;
    return Buffer.allocUnsafeSlow(size);
  }

  /**
   * The input is used up: when it was the held buffer, the buffer goes back to the pool now
   * rather than at the next feed(), so an idle connection holds none (the command in progress,
   * if any, is in scratch; the views of the commands returned before are dead).
   */
  private letGoOfDrainedHeld(): void {
    if (this.chunk !== this.held || this.held === EMPTY) return;
    this.chunk = EMPTY;
    this.cpos = 0;
    this.cend = 0;
    if (!this.inScratch) this.pos = 0;
    this.releaseHeld();
  }

  /** Let go of `held` (no bytes of it are unread): a pooled-size buffer goes back to the pool. */
  private releaseHeld(): void {
    const b = this.held;
    this.held = EMPTY;
    if (b.length === HELD_POOLED && heldPool.length < HELD_POOL_KEEP) heldPool.push(b);
  }

  /** Forget all input and state (the limits and `authenticated` are kept). */
  reset(): void {
    this.chunk = EMPTY;
    this.cpos = this.cend = 0;
    this.slen = 0;
    this.inScratch = false;
    this.releasePending = false;
    this.state = ST_IDLE;
    this.pos = this.cmdStart = this.scanFrom = this.remaining = this.bulkLen = 0;
    this.argc = 0;
    this.argBuf = EMPTY;
    this.error = '';
    this.failed = false;
    this.dropLargeScratch();
    this.releaseHeld();
  }

  // ---------------------------------------------------------------------------------------

  private fail(message: string): number {
    this.error = message;
    this.failed = true;
    this.argc = 0;
    return ERROR;
  }

  /** Leave scratch mode after its command was consumed; continue in the chunk. */
  private release(): void {
    this.releasePending = false;
    this.inScratch = false;
    this.slen = 0;
    this.pos = this.cpos;
    this.dropLargeScratch();
  }

  /** Back to the parser's own scratch after a command that needed a larger one (a pooled-size one goes back to the pool). */
  private dropLargeScratch(): void {
    const b = this.scratch;
    if (b === this.smallScratch) return;
    this.scratch = this.smallScratch;
    if (b.length === HELD_POOLED && heldPool.length < HELD_POOL_KEEP) heldPool.push(b);
  }

  /** The chunk ended inside a command: copy its bytes so far into scratch, rebase offsets. */
  private toScratch(): ParseResultCode {
    const start = this.cmdStart;
    const n = this.cend - start;
    const bulkEnd = this.state === ST_BULK_DATA ? this.pos - start + this.bulkLen + 2 : 0;
    if (!this.ensureScratch(n, bulkEnd, 0)) return ERROR;
    this.chunk.copy(this.scratch, 0, start, this.cend);
    this.statCopiedBytes += n;
    this.slen = n;
    this.pos -= start;
    this.scanFrom -= start;
    const off = this.argOff;
    for (let i = 0; i < this.argc; i++) off[i] -= start;
    this.cmdStart = 0;
    this.inScratch = true;
    this.cpos = this.cend;
    return ParseResult.INCOMPLETE;
  }

  /**
   * Grows scratch to at least `need` bytes, keeping its first `keep` bytes: the parser's own
   * small scratch, else a pooled buffer, else (past HELD_POOLED) doubling, but never past `upTo`
   * (the end of the bulk being received), so a big announced bulk takes memory as its bytes
   * arrive, not from its announced length.
   */
  private ensureScratch(need: number, upTo: number, keep: number): boolean {
    if (need > MAX_COMMAND_BYTES) {
      this.fail(ERR_COMMAND_TOO_BIG);
      return false;
    }
    const cur = this.scratch.length;
    if (need <= cur) return true;
    let next: Buffer;
    if (need <= SCRATCH_SMALL) {
      if (this.smallScratch === EMPTY) this.smallScratch = this.allocate(SCRATCH_SMALL);
      next = this.smallScratch;
    } else if (need <= HELD_POOLED) {
      next = this.acquireHeld(need);
    } else {
      let cap = Math.max(need, cur * 2);
      if (cap > upTo && upTo >= need) cap = upTo;
      if (cap > MAX_COMMAND_BYTES) cap = MAX_COMMAND_BYTES;
      next = this.allocate(cap);
    }
    if (keep > 0) {
      this.scratch.copy(next, 0, 0, keep);
      this.statCopiedBytes += keep;
    }
    this.dropLargeScratch();
    this.scratch = next;
    return true;
  }

  /** Appends to scratch the next bytes of the chunk that certainly belong to this command. */
  private appendFromChunk(): boolean {
    const chunk = this.chunk;
    const cpos = this.cpos;
    const avail = this.cend - cpos;
    let want = 1;
    switch (this.state) {
      case ST_BULK_DATA: {
        const full = this.pos + this.bulkLen + 2;
        want = full - this.slen + (this.remaining - 1) * MIN_ARG_BYTES;
        const n = want < avail ? want : avail;
        if (this.slen + n > this.scratch.length && !this.ensureScratch(this.slen + n, full, this.slen)) return false;
        break;
      }
      case ST_BULK_HDR:
      case ST_MB_HDR: {
        let line: number;
        if (this.scanFrom < this.slen) line = 1; // the CR is buffered: only the byte after it is missing
        else {
          const cr = chunk.indexOf(CR, cpos);
          line = cr < 0 ? avail : cr + 2 - cpos;
        }
        want = this.state === ST_BULK_HDR ? 1 + (this.remaining - 1) * MIN_ARG_BYTES : 1;
        if (line > want) want = line;
        break;
      }
      case ST_INLINE: {
        const lf = chunk.indexOf(LF, cpos);
        want = lf < 0 ? avail : lf + 1 - cpos;
        break;
      }
    }
    const n = want < avail ? want : avail;
    const end = this.slen + n;
    if (end > this.scratch.length && !this.ensureScratch(end, 0, this.slen)) return false;
    chunk.copy(this.scratch, this.slen, cpos, cpos + n);
    this.statCopiedBytes += n;
    this.slen = end;
    this.cpos = cpos + n;
    return true;
  }

  /** Index of byte b in buf[from, end), or -1. */
  private find(buf: Buffer, b: number, from: number, end: number, scratch: boolean): number {
    // Header lines are short: a plain loop first; memchr for long direct-mode lines.
    // In scratch mode bytes past `end` are stale, so never search beyond it.
    const quick = from + 16 < end ? from + 16 : end;
    let i = from;
    for (; i < quick; i++) if (buf[i] === b) return i;
    if (i >= end) return -1;
    if (!scratch) {
      const j = buf.indexOf(b, i);
      return j < end ? j : -1;
    }
    for (; i < end; i++) if (buf[i] === b) return i;
    return -1;
  }

  private pushArg(off: number, len: number): void {
    const i = this.argc;
    if (i === this.argOff.length) {
      const o = new Int32Array(i * 2);
      o.set(this.argOff);
      this.argOff = o;
      this.statAllocations++;
      const l = new Int32Array(i * 2);
      l.set(this.argLen);
      this.argLen = l;
    }
    this.argOff[i] = off;
    this.argLen[i] = len;
    this.argc = i + 1;
  }

  /** Runs the state machine over buf[pos, end). */
  private run(buf: Buffer, end: number, scratch: boolean): number {
    let pos = this.pos;
    for (;;) {
      switch (this.state) {
        case ST_IDLE: {
          if (pos >= end) {
            this.pos = pos;
            return NEED;
          }
          this.cmdStart = pos;
          this.scanFrom = pos;
          this.argc = 0;
          this.state = buf[pos] === 42 /* '*' */ ? ST_MB_HDR : ST_INLINE;
          continue;
        }
        case ST_MB_HDR: {
          const cr = this.find(buf, CR, this.scanFrom, end, scratch);
          if (cr < 0 || cr + 1 >= end) {
            if (cr < 0 && end - pos > PROTO_INLINE_MAX_SIZE) return this.fail(ERR_TOO_BIG_MBULK);
            this.scanFrom = cr < 0 ? end : cr;
            this.pos = pos;
            return NEED;
          }
          const ll = parseRedisInt(buf, pos + 1, cr);
          this.statHeaders++;
          if (ll !== ll || ll > INT_MAX) return this.fail(ERR_INVALID_MBULK);
          if (ll > UNAUTH_MAX_MULTIBULK && !this.authenticated) return this.fail(ERR_UNAUTH_MBULK);
          pos = cr + 2;
          if (ll <= 0) {
            // Empty multibulk: nothing to run, as in Redis.
            this.state = ST_IDLE;
            this.pos = pos;
            if (scratch) return SKIP;
            continue;
          }
          this.remaining = ll;
          this.state = ST_BULK_HDR;
          this.scanFrom = pos;
          continue;
        }
        case ST_BULK_HDR: {
          if (pos >= end) {
            this.pos = pos;
            return NEED;
          }
          const cr = this.find(buf, CR, this.scanFrom, end, scratch);
          if (cr < 0 || cr + 1 >= end) {
            if (cr < 0 && end - pos > PROTO_INLINE_MAX_SIZE) return this.fail(ERR_TOO_BIG_BULK);
            this.scanFrom = cr < 0 ? end : cr;
            this.pos = pos;
            return NEED;
          }
          const c = buf[pos];
          if (c !== 36 /* '$' */) {
            // Redis formats the byte with %c, then replaces CR/LF in error texts by spaces.
            const shown = c === CR || c === LF ? ' ' : String.fromCharCode(c);
            return this.fail(`ERR Protocol error: expected '$', got '${shown}'`);
          }
          const ll = parseRedisInt(buf, pos + 1, cr);
          this.statHeaders++;
          if (ll !== ll || ll < 0 || ll > this.maxBulkLen) return this.fail(ERR_INVALID_BULK);
          if (ll > UNAUTH_MAX_BULK && !this.authenticated) return this.fail(ERR_UNAUTH_BULK);
          pos = cr + 2;
          this.bulkLen = ll;
          this.state = ST_BULK_DATA;
          continue;
        }
        case ST_BULK_DATA: {
          const len = this.bulkLen;
          if (end - pos < len + 2) {
            this.pos = pos;
            return NEED;
          }
          this.pushArg(pos, len);
          pos += len + 2; // the two bytes after the data are skipped unchecked, as in Redis
          if (--this.remaining === 0) {
            this.state = ST_IDLE;
            this.pos = pos;
            this.argBuf = buf;
            return COMMAND;
          }
          this.state = ST_BULK_HDR;
          this.scanFrom = pos;
          continue;
        }
        case ST_INLINE: {
          const lf = this.find(buf, LF, this.scanFrom, end, scratch);
          if (lf < 0) {
            if (end - pos > PROTO_INLINE_MAX_SIZE) return this.fail(ERR_TOO_BIG_INLINE);
            this.scanFrom = end;
            this.pos = pos;
            return NEED;
          }
          let e = lf;
          if (e > pos && buf[e - 1] === CR) e--;
          this.state = ST_IDLE;
          const argc = this.splitInline(buf, pos, e);
          pos = lf + 1;
          this.pos = pos;
          if (argc < 0) return this.fail(ERR_UNBALANCED_QUOTES);
          if (argc === 0) {
            if (scratch) return SKIP;
            continue;
          }
          this.argBuf = this.inlineBuf;
          return COMMAND;
        }
      }
    }
  }

  /**
   * Splits buf[s, e) like Redis's sdssplitargs() into inlineBuf (unescaped output never
   * exceeds the input). Returns the argument count, or -1 for unbalanced quotes.
   */
  private splitInline(buf: Buffer, s: number, e: number): number {
    if (this.inlineBuf.length < e - s) {
      this.inlineBuf = Buffer.allocUnsafeSlow(Math.max(e - s, 256));
      this.statAllocations++;
    }
    const dst = this.inlineBuf;
    this.argc = 0;
    // sdssplitargs works on a C string: a NUL ends the line.
    for (let i = s; i < e; i++) {
      if (buf[i] === 0) {
        e = i;
        break;
      }
    }
    let p = s;
    let o = 0;
    let argc = 0;
    for (;;) {
      while (p < e && isSpace(buf[p])) p++;
      if (p >= e) return argc;
      const start = o;
      let inq = false;
      let insq = false;
      let done = false;
      while (!done) {
        const c = p < e ? buf[p] : 0;
        if (inq) {
          if (c === 92 && p + 3 < e && buf[p + 1] === 120 && hexVal(buf[p + 2]) >= 0 && hexVal(buf[p + 3]) >= 0) {
            dst[o++] = hexVal(buf[p + 2]) * 16 + hexVal(buf[p + 3]);
            p += 3;
          } else if (c === 92 && p + 1 < e) {
            p++;
            const n = buf[p];
            dst[o++] = n === 110 ? 10 : n === 114 ? 13 : n === 116 ? 9 : n === 98 ? 8 : n === 97 ? 7 : n;
          } else if (c === 34) {
            // A closing quote must be followed by a space or nothing at all.
            if (p + 1 < e && !isSpace(buf[p + 1])) return -1;
            done = true;
          } else if (p >= e) {
            return -1; // unterminated quotes
          } else {
            dst[o++] = c;
          }
        } else if (insq) {
          if (c === 92 && p + 1 < e && buf[p + 1] === 39) {
            p++;
            dst[o++] = 39;
          } else if (c === 39) {
            if (p + 1 < e && !isSpace(buf[p + 1])) return -1;
            done = true;
          } else if (p >= e) {
            return -1;
          } else {
            dst[o++] = c;
          }
        } else if (c === 32 || c === 10 || c === 13 || c === 9 || p >= e) {
          done = true;
        } else if (c === 34) {
          inq = true;
        } else if (c === 39) {
          insq = true;
        } else {
          dst[o++] = c;
        }
        if (p < e) p++;
      }
      this.pushArg(start, o - start);
      argc++;
    }
  }
}
