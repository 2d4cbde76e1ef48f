/*
 * CONTRACT STUB: the request parser's public API (the protocol work replaces the bodies and
 * this comment).
 *
 * Usage per connection: parser.feed(chunk) for each socket read, then call parser.next()
 * until it returns INCOMPLETE or ERROR. After COMMAND, the arguments are
 * argBuf[argOff[i] .. argOff[i] + argLen[i]) for i < argc; they are valid only until the next
 * call to next() or feed(). After ERROR, `error` holds Redis's message without the leading
 * '-' and CRLF (e.g. "ERR Protocol error: invalid bulk length"); the connection replies it and
 * closes.
 */

export const ParseResult = {
  INCOMPLETE: 0,
  COMMAND: 1,
  ERROR: 2,
} as const;
export type ParseResultCode = (typeof ParseResult)[keyof typeof ParseResult];

export class RequestParser {
  argc = 0;
  argBuf: Buffer = Buffer.alloc(0);
  argOff: Int32Array = new Int32Array(16);
  argLen: Int32Array = new Int32Array(16);
  error = '';
  /** proto-max-bulk-len; CONFIG SET changes it for every connection. */
  maxBulkLen = 512 * 1024 * 1024;
  /** When false, Redis's caps for unauthenticated clients apply. */
  authenticated = true;

  feed(chunk: Buffer): void { void chunk; throw new Error('not implemented'); }
  next(): ParseResultCode { throw new Error('not implemented'); }
  /** Bytes buffered for a command not yet complete (CLIENT LIST qbuf, client-query-buffer-limit). */
  bufferedBytes(): number { throw new Error('not implemented'); }
}
