/*
 * The differential corpus format: one command per line, written as at the redis-cli prompt.
 *
 *   # a comment (whole line); blank lines are ignored
 *   SET key "a value with spaces\r\n\x00" 'single \'quoted\''
 *   !sorted KEYS *                 modifiers (words starting with '!') come before the command
 *   {                              a pipeline: the commands up to '}' are written in one
 *   INCR c                         write to each server, and their replies read in order
 *   GET c
 *   }
 *   %config maxmemory-policy allkeys-lfu   a directive both servers are started with (file header)
 *   %requires lpush                commands the script needs beyond the string/keyspace set: when
 *                                  the server under test lacks one, the script is skipped with
 *                                  a visible message
 *
 * Arguments are split exactly as redis-cli splits them (sdssplitargs): "double quotes" take
 * \xHH, \n, \r, \t, \b, \a and \<char> escapes; 'single quotes' take only \'; a closing quote
 * must be followed by a space or the end of the line; unquoted words are literal.
 *
 * Modifiers say how replies are compared when they legitimately differ between servers:
 *   !shape           RESP structure only: types and aggregate sizes, not scalar contents
 *                    (TIME, INFO, OBJECT IDLETIME values, ...)
 *   !sorted          the top-level aggregate as a multiset (KEYS: hash table order)
 *   !pairs           a map (or flat name/value array) as a set of pairs (CONFIG GET with
 *                    several names or a glob: dictionary order)
 *   !approx=N        integers within N of each other (PTTL, TTL right after EXPIRE)
 *   !mask=f1,f2      map (or flat name/value array) whose listed fields are compared by shape
 *                    only (HELLO: server, version, id)
 *   !kv=f1,f2        `name=value name=value` text (CLIENT INFO / LIST): the same field names,
 *                    line by line, and equal values for the listed fields
 *   !info=f1,f2      INFO text: the same "# Section" headers, and equal values for the listed
 *                    fields
 *   !scanall         a SCAN (or HSCAN/SSCAN/ZSCAN: key, then cursor) command: the whole
 *                    iteration is run from the cursor given on each
 *                    server and the SETS of keys returned are compared (cursor values and the
 *                    order of keys legitimately differ between implementations); errors are
 *                    compared byte for byte
 *   !conn=N          send on client connection N (1 by default; opened on first use)
 *   !inline          the rest of the line is sent verbatim followed by CRLF (an inline command
 *                    as telnet sends it; nothing is unescaped)
 *   !raw             the rest of the line, with \r \n \t \\ \xHH unescaped, is sent as is
 *   !replies=N       number of replies the send produces (default 1; 0 for CLIENT REPLY OFF,
 *                    several for a !raw write holding many commands)
 *   !closes          the server closes the connection after the replies (QUIT, protocol
 *                    errors); the next command on that connection reconnects
 */

export type Mode =
  | { kind: 'exact' }
  | { kind: 'shape' }
  | { kind: 'sorted' }
  | { kind: 'pairs' }
  | { kind: 'approx'; tolerance: number }
  | { kind: 'mask'; fields: string[] }
  | { kind: 'kv'; fields: string[] }
  | { kind: 'info'; fields: string[] }
  | { kind: 'scanall' };

export interface Step {
  file: string;
  line: number;
  /** The source text, for reports. */
  text: string;
  /** Bytes to write, already framed (multibulk, or the raw/inline bytes). */
  payload: Buffer;
  /** Parsed arguments (empty for raw/inline sends). */
  args: Buffer[];
  replies: number;
  mode: Mode;
  conn: number;
  closes: boolean;
}

export interface Pipeline {
  kind: 'pipeline';
  steps: Step[];
}

export type Item = { kind: 'step'; step: Step } | Pipeline;

export interface Script {
  name: string;
  file: string;
  directives: Record<string, string>;
  /** Command names the script needs (see %requires). */
  requires: string[];
  items: Item[];
  /** Commands in the script (pipelined ones counted one by one). */
  commandCount: number;
}

export class ScriptError extends Error {
  readonly code = 'ESCRIPT';
}

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d || c === 0x0b || c === 0x0c;
}

function hexVal(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x61 && c <= 0x66) return c - 0x61 + 10;
  if (c >= 0x41 && c <= 0x46) return c - 0x41 + 10;
  return -1;
}

/** redis-cli's argument splitting (sdssplitargs in sds.c); null on unbalanced quotes. */
export function splitArgs(line: Uint8Array): Buffer[] | null {
  const out: Buffer[] = [];
  let p = 0;
  const n = line.length;
  const at = (i: number): number => (i < n ? line[i]! : 0);
  for (;;) {
    while (p < n && isSpace(line[p]!)) p++;
    if (p >= n) return out;
    let inq = false;
    let insq = false;
    let done = false;
    const cur: number[] = [];
    while (!done) {
      const c = at(p);
      if (inq) {
        if (c === 0x5c && at(p + 1) === 0x78 && hexVal(at(p + 2)) >= 0 && hexVal(at(p + 3)) >= 0) {
          cur.push(hexVal(at(p + 2)) * 16 + hexVal(at(p + 3)));
          p += 3;
        } else if (c === 0x5c && p + 1 < n) {
          p++;
          const e = at(p);
          cur.push(e === 0x6e ? 10 : e === 0x72 ? 13 : e === 0x74 ? 9 : e === 0x62 ? 8 : e === 0x61 ? 7 : e);
        } else if (c === 0x22) {
          if (p + 1 < n && !isSpace(at(p + 1))) return null;
          done = true;
        } else if (p >= n) {
          return null;
        } else {
          cur.push(c);
        }
      } else if (insq) {
        if (c === 0x5c && at(p + 1) === 0x27) {
          p++;
          cur.push(0x27);
        } else if (c === 0x27) {
          if (p + 1 < n && !isSpace(at(p + 1))) return null;
          done = true;
        } else if (p >= n) {
          return null;
        } else {
          cur.push(c);
        }
      } else if (p >= n || isSpace(c)) {
        done = true;
      } else if (c === 0x22) {
        inq = true;
      } else if (c === 0x27) {
        insq = true;
      } else {
        cur.push(c);
      }
      if (p < n) p++;
    }
    out.push(Buffer.from(cur));
  }
}

/** \r \n \t \\ and \xHH unescaped; any other backslash is kept as is. */
export function unescapeRaw(text: string): Buffer {
  const src = Buffer.from(text, 'utf8');
  const out: number[] = [];
  for (let i = 0; i < src.length; i++) {
    const c = src[i]!;
    if (c === 0x5c && i + 1 < src.length) {
      const e = src[i + 1]!;
      if (e === 0x72) { out.push(13); i++; continue; }
      if (e === 0x6e) { out.push(10); i++; continue; }
      if (e === 0x74) { out.push(9); i++; continue; }
      if (e === 0x5c) { out.push(0x5c); i++; continue; }
      if (e === 0x78 && i + 3 < src.length && hexVal(src[i + 2]!) >= 0 && hexVal(src[i + 3]!) >= 0) {
        out.push(hexVal(src[i + 2]!) * 16 + hexVal(src[i + 3]!));
        i += 3;
        continue;
      }
    }
    out.push(c);
  }
  return Buffer.from(out);
}

function frame(args: Buffer[]): Buffer {
  const parts: Buffer[] = [Buffer.from(`*${args.length}\r\n`)];
  for (const a of args) parts.push(Buffer.from(`$${a.length}\r\n`), a, Buffer.from('\r\n'));
  return Buffer.concat(parts);
}

function fieldList(v: string, what: string, where: string): string[] {
  const fields = v.split(',').filter((f) => f !== '');
  if (fields.length === 0) throw new ScriptError(`${where}: ${what} needs a field list`);
  return fields;
}

export function parseScript(name: string, file: string, source: string): Script {
  const directives: Record<string, string> = {};
  const requires: string[] = [];
  const items: Item[] = [];
  let pipeline: Pipeline | null = null;
  let count = 0;
  const lines = source.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const lineNo = i + 1;
    const where = `${file}:${lineNo}`;
    let text = lines[i]!.replace(/\r$/, '');
    const trimmed = text.trim();
    if (trimmed === '' || trimmed.startsWith('#')) continue;
    if (trimmed.startsWith('%config ')) {
      const rest = trimmed.slice('%config '.length).trim();
      const sp = rest.indexOf(' ');
      if (sp < 0) throw new ScriptError(`${where}: %config needs a name and a value`);
      const value = splitArgs(Buffer.from(rest.slice(sp + 1)));
      if (value === null || value.length !== 1) throw new ScriptError(`${where}: %config value must be one argument`);
      directives[rest.slice(0, sp)] = value[0]!.toString();
      continue;
    }
    if (trimmed.startsWith('%requires ')) {
      requires.push(...trimmed.slice('%requires '.length).trim().split(/\s+/).map((n) => n.toLowerCase()));
      continue;
    }
    if (trimmed === '{') {
      if (pipeline) throw new ScriptError(`${where}: nested pipeline`);
      pipeline = { kind: 'pipeline', steps: [] };
      continue;
    }
    if (trimmed === '}') {
      if (!pipeline) throw new ScriptError(`${where}: '}' without '{'`);
      if (pipeline.steps.length === 0) throw new ScriptError(`${where}: empty pipeline`);
      items.push(pipeline);
      pipeline = null;
      continue;
    }
    text = text.replace(/^\s+/, '');
    let mode: Mode = { kind: 'exact' };
    let conn = 1;
    let closes = false;
    let replies = 1;
    let rawKind: 'raw' | 'inline' | null = null;
    while (text.startsWith('!')) {
      const sp = text.search(/\s/);
      const word = sp < 0 ? text : text.slice(0, sp);
      text = sp < 0 ? '' : text.slice(sp + 1);
      const eq = word.indexOf('=');
      const key = eq < 0 ? word.slice(1) : word.slice(1, eq);
      const val = eq < 0 ? '' : word.slice(eq + 1);
      switch (key) {
        case 'shape': mode = { kind: 'shape' }; break;
        case 'sorted': mode = { kind: 'sorted' }; break;
        case 'pairs': mode = { kind: 'pairs' }; break;
        case 'scanall': mode = { kind: 'scanall' }; break;
        case 'approx': {
          const t = Number(val);
          if (!Number.isInteger(t) || t < 0) throw new ScriptError(`${where}: !approx needs a tolerance`);
          mode = { kind: 'approx', tolerance: t };
          break;
        }
        case 'mask': mode = { kind: 'mask', fields: fieldList(val, '!mask', where) }; break;
        case 'kv': mode = { kind: 'kv', fields: val === '' ? [] : fieldList(val, '!kv', where) }; break;
        case 'info': mode = { kind: 'info', fields: val === '' ? [] : fieldList(val, '!info', where) }; break;
        case 'conn': {
          conn = Number(val);
          if (!Number.isInteger(conn) || conn < 1) throw new ScriptError(`${where}: !conn needs a number >= 1`);
          break;
        }
        case 'closes': closes = true; break;
        case 'raw': rawKind = 'raw'; break;
        case 'inline': rawKind = 'inline'; break;
        case 'replies': {
          replies = Number(val);
          if (!Number.isInteger(replies) || replies < 0) throw new ScriptError(`${where}: !replies needs a count`);
          break;
        }
        default: throw new ScriptError(`${where}: unknown modifier ${word}`);
      }
      text = text.replace(/^\s+/, '');
    }
    let payload: Buffer;
    let args: Buffer[] = [];
    if (rawKind === 'raw') {
      payload = unescapeRaw(text);
    } else if (rawKind === 'inline') {
      payload = Buffer.concat([Buffer.from(text, 'utf8'), Buffer.from('\r\n')]);
    } else {
      const parsed = splitArgs(Buffer.from(text, 'utf8'));
      if (parsed === null) throw new ScriptError(`${where}: unbalanced quotes`);
      if (parsed.length === 0) throw new ScriptError(`${where}: no command`);
      args = parsed;
      payload = frame(args);
    }
    if (mode.kind === 'scanall' && (args.length === 0 || !/^[HSZ]?SCAN$/.test(args[0]!.toString().toUpperCase()))) {
      throw new ScriptError(`${where}: !scanall applies to a SCAN, HSCAN, SSCAN or ZSCAN command`);
    }
    const step: Step = { file, line: lineNo, text: lines[i]!.trim(), payload, args, replies, mode, conn, closes };
    count += rawKind ? Math.max(replies, 1) : 1;
    if (pipeline) {
      if (mode.kind === 'scanall' || closes || conn !== 1) throw new ScriptError(`${where}: !scanall, !closes and !conn are not allowed in a pipeline`);
      pipeline.steps.push(step);
    } else {
      items.push({ kind: 'step', step });
    }
  }
  if (pipeline) throw new ScriptError(`${file}: pipeline not closed with '}'`);
  return { name, file, directives, requires, items, commandCount: count };
}
