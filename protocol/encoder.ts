/*
 * CONTRACT STUB: the reply encoder's public API (the protocol work replaces the bodies and
 * this comment).
 *
 * One ReplyWriter serves every connection of the server (the event loop runs one batch at a
 * time): begin() before executing a connection's batch, then handlers append replies, then
 * end() returns the bytes written since begin() as one Buffer view for a single
 * socket.write(). The writer never writes into a region it has handed out, so the socket may
 * hold the view until it is flushed. `resp` is set per batch to the connection's protocol.
 */

export class ReplyWriter {
  resp: 2 | 3 = 2;

  begin(): void { throw new Error('not implemented'); }
  /** The bytes written since begin(), or null when nothing was written. */
  end(): Buffer | null { throw new Error('not implemented'); }
  /** Position marker inside the current batch, for truncate() (CLIENT REPLY OFF/SKIP). */
  mark(): number { throw new Error('not implemented'); }
  truncate(mark: number): void { void mark; throw new Error('not implemented'); }
  /** Bytes written since begin(). */
  pending(): number { throw new Error('not implemented'); }

  /** A pre-encoded reply (protocol/replies.ts). */
  raw(bytes: Uint8Array): void { void bytes; throw new Error('not implemented'); }
  /** +text\r\n (text must not contain CR or LF). */
  simple(text: string): void { void text; throw new Error('not implemented'); }
  /** -text\r\n for errors built at run time; fixed errors are pre-encoded in replies.ts. */
  error(text: string): void { void text; throw new Error('not implemented'); }
  int(n: number | bigint): void { void n; throw new Error('not implemented'); }
  bulk(bytes: Uint8Array, off: number, len: number): void { void bytes; void off; void len; throw new Error('not implemented'); }
  bulkString(text: string): void { void text; throw new Error('not implemented'); }
  /** A bulk string holding the decimal form of an integer. */
  bulkInt(n: number | bigint): void { void n; throw new Error('not implemented'); }
  /** $-1 (RESP2) or _ (RESP3). */
  nullBulk(): void { throw new Error('not implemented'); }
  /** *-1 (RESP2) or _ (RESP3). */
  nullArray(): void { throw new Error('not implemented'); }
  arrayLen(n: number): void { void n; throw new Error('not implemented'); }
  /** %n (RESP3) or *2n (RESP2). */
  mapLen(n: number): void { void n; throw new Error('not implemented'); }
  /** ~n (RESP3) or *n (RESP2). */
  setLen(n: number): void { void n; throw new Error('not implemented'); }
  /** >n (RESP3) or *n (RESP2). */
  pushLen(n: number): void { void n; throw new Error('not implemented'); }
  /** #t/#f (RESP3) or :1/:0 (RESP2). */
  bool(b: boolean): void { void b; throw new Error('not implemented'); }
  /** ,d (RESP3) or a bulk string (RESP2), formatted as Redis formats doubles (%.17g, inf, -inf, nan). */
  double(d: number): void { void d; throw new Error('not implemented'); }
  /** (digits (RESP3) or a bulk string (RESP2). */
  bigNumber(digits: string): void { void digits; throw new Error('not implemented'); }
  /** =len\r\nfmt:text (RESP3) or a bulk string (RESP2). */
  verbatim(text: string, format: string): void { void text; void format; throw new Error('not implemented'); }
}
