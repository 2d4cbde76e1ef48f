// Shared helpers for the protocol tests: drive a RequestParser and collect copies of its commands.
import { RequestParser, ParseResult } from '../../protocol/parser.ts';

export interface Parsed {
  commands: Buffer[][];
  error: string | null;
}

export interface ParserOptions {
  authenticated?: boolean;
  maxBulkLen?: number;
}

export function newParser(opts: ParserOptions = {}): RequestParser {
  const p = new RequestParser();
  if (opts.authenticated !== undefined) p.authenticated = opts.authenticated;
  if (opts.maxBulkLen !== undefined) p.maxBulkLen = opts.maxBulkLen;
  return p;
}

/** Copies the current command's arguments out of the parser. */
export function argsOf(p: RequestParser): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0; i < p.argc; i++) {
    out.push(Buffer.from(p.argBuf.subarray(p.argOff[i], p.argOff[i] + p.argLen[i])));
  }
  return out;
}

/** Feeds the chunks one by one, draining next() after each, as a connection does. */
export function parseChunks(chunks: Buffer[], opts: ParserOptions = {}, parser = newParser(opts)): Parsed {
  const commands: Buffer[][] = [];
  for (const chunk of chunks) {
    parser.feed(chunk);
    for (;;) {
      const r = parser.next();
      if (r === ParseResult.COMMAND) commands.push(argsOf(parser));
      else if (r === ParseResult.ERROR) return { commands, error: parser.error };
      else break;
    }
  }
  return { commands, error: null };
}

export function parseAll(input: Buffer | string, opts: ParserOptions = {}): Parsed {
  return parseChunks([typeof input === 'string' ? Buffer.from(input, 'latin1') : input], opts);
}

/** Splits buf at the given ascending cut positions. */
export function cut(buf: Buffer, cuts: number[]): Buffer[] {
  const out: Buffer[] = [];
  let prev = 0;
  for (const c of cuts) {
    out.push(buf.subarray(prev, c));
    prev = c;
  }
  out.push(buf.subarray(prev));
  return out;
}

/** RESP multibulk encoding of a command. */
export function mb(...args: (string | Buffer)[]): Buffer {
  const parts: Buffer[] = [Buffer.from(`*${args.length}\r\n`)];
  for (const a of args) {
    const b = typeof a === 'string' ? Buffer.from(a, 'latin1') : a;
    parts.push(Buffer.from(`$${b.length}\r\n`), b, Buffer.from('\r\n'));
  }
  return Buffer.concat(parts);
}

export function strs(cmds: Buffer[][]): string[][] {
  return cmds.map((c) => c.map((a) => a.toString('latin1')));
}
