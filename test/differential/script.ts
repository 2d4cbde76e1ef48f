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
 *   !aclrules        ACL rule strings (ACL LIST, ACL GETUSER) at any depth, each run of
 *                    single-command rules (`+get -set`) as a multiset: Redis writes them in its
 *                    command dict's order, which changes with every process
 *   !approx=N        integers within N of each other (PTTL, TTL right after EXPIRE)
 *   !mask=f1,f2      map (or flat name/value array) whose listed fields are compared by shape
 *                    only (HELLO: server, version, id); an array of maps has each masked
 *                    (ACL LOG: age-seconds, client-info)
 *   !kv=f1,f2        `name=value name=value` text (CLIENT INFO / LIST): the same field names,
 *                    line by line, and equal values for the listed fields
 *   !info=f1,f2      INFO text: the same "# Section" headers, and equal values for the listed
 *                    fields
 *   !scanall         a SCAN (or HSCAN/SSCAN/ZSCAN: key, then cursor) command: the whole
 *                    iteration is run from the cursor given on each
 *                    server and the SETS of keys returned are compared (cursor values and the
 *                    order of keys legitimately differ between implementations); errors are
 *                    compared byte for byte
 *   !monitor         a MONITOR line (`+1700000000.123456 [0 127.0.0.1:5000] "set" "k"`): the time
 *                    and the client address are not compared, the database and the command are
 *   !conn=N          send on client connection N (1 by default; opened on first use)
 *   !inline          the rest of the line is sent verbatim followed by CRLF (an inline command
 *                    as telnet sends it; nothing is unescaped)
 *   !raw             the rest of the line, with \r \n \t \\ \xHH unescaped, is sent as is
 *   !replies=N       number of replies the send produces (default 1; 0 for CLIENT REPLY OFF,
 *                    several for a !raw write holding many commands)
 *   !closes          the server closes the connection after the replies (QUIT, protocol
 *                    errors); the next command on that connection reconnects
 *
 * Several connections (subscribers, watchers, trackers, paused clients): a connection
 * receives messages that are not replies to its own commands (pub/sub messages, keyspace
 * events, invalidations, the reply of a command that was waiting). These read them:
 *   !read=N          (a line with no command) read the next N messages that connection N (see
 *                    !conn) has received, waiting for each at most 2 s: a message that never
 *                    comes fails the step with a timeout, it never hangs. Each message is
 *                    compared like a reply, under the line's mode. Bytes beyond the N messages
 *                    already received are a mismatch (as after any command).
 *   !read=0          expect nothing: wait 50 ms and fail if anything arrived on the connection
 *                    (NOLOOP, an unsubscribed channel, a command still paused)
 *   !anyorder        the replies (or messages) of this line are compared as a multiset: for
 *                    deliveries whose order is hash-table order (several patterns matching one
 *                    channel). Combines with the other modes.
 *   !sleep=MS        wait MS milliseconds on each server before this line (an expiry to pass);
 *                    alone on a line it only waits
 *   !let=NAME        remember this reply's value (an integer or a string), separately for each
 *                    server, as NAME (CLIENT ID of a subscriber); the reply is compared as with
 *                    !ids=NAME, so the two servers' different values agree
 *   ${NAME}          in an argument: replaced by the remembered value, each server's own
 *                    (CLIENT TRACKING ON REDIRECT ${sub}); NAME must be set by an earlier !let
 *   !ids=N1,N2       scalars (integers, strings) equal to a remembered value are compared as
 *                    that name, at any depth (CLIENT GETREDIR, CLIENT TRACKINGINFO's redirect)
 *   !closes on a !read line: the server closes that connection (CLIENT KILL from another
 *                    connection) after the N messages
 * A connection's unread messages are also checked at the end of the script (after 50 ms):
 * every message the server sends must be read by the script.
 * RESP3 needs nothing special: `!conn=2 !mask=server,version,id HELLO 3` switches that
 * connection, and push frames (>) are compared byte for byte like any reply. Replies on a
 * connection that gets both its own replies and pushes (RESP3 tracking, a subscriber that
 * publishes) are read in arrival order: `!replies=2` for a reply plus one push.
 * A pipeline `{ }` may hold lines of one connection (`!conn` the same on every line) and no
 * !read, !sleep, !let, !closes or !scanall.
 */

export type Mode =
  | { kind: 'exact' }
  | { kind: 'shape' }
  | { kind: 'sorted' }
  | { kind: 'pairs' }
  | { kind: 'aclrules' }
  | { kind: 'approx'; tolerance: number }
  | { kind: 'mask'; fields: string[] }
  | { kind: 'kv'; fields: string[] }
  | { kind: 'info'; fields: string[] }
  | { kind: 'scanall' }
  | { kind: 'monitor' }
  | { kind: 'ids'; names: string[] };

export interface Step {
  file: string;
  line: number;
  /** The source text, for reports. */
  text: string;
  /**
   * 'command' sends payload and reads `replies` replies; 'read' sends nothing and reads
   * `replies` messages the connection was sent (!read=N); 'sleep' only waits (a lone !sleep).
   */
  kind: 'command' | 'read' | 'sleep';
  /** Bytes to write, already framed (multibulk, or the raw/inline bytes). */
  payload: Buffer;
  /** Parsed arguments (empty for raw/inline sends). */
  args: Buffer[];
  /** True when an argument holds ${NAME}: the payload is framed per server at run time. */
  templated: boolean;
  replies: number;
  mode: Mode;
  conn: number;
  closes: boolean;
  /** Compare the step's replies as a multiset (!anyorder). */
  anyOrder: boolean;
  /** Milliseconds to wait before the step (!sleep). */
  sleepMs: number;
  /** Remember the (single) reply's value under this name (!let). */
  capture: string | null;
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

const VAR_RE = /\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g;

/** The names of the ${NAME} references in an argument. */
function varRefs(arg: Buffer): string[] {
  return [...arg.toString('latin1').matchAll(VAR_RE)].map((m) => m[1]!);
}

/** Arguments with every ${NAME} replaced by its value (throws on an unknown name). */
export function substitute(args: Buffer[], vars: ReadonlyMap<string, Buffer>): Buffer[] {
  return args.map((a) => {
    if (!a.includes('${')) return a;
    const parts: Buffer[] = [];
    const text = a.toString('latin1');
    let last = 0;
    for (const m of text.matchAll(VAR_RE)) {
      const v = vars.get(m[1]!);
      if (v === undefined) throw new ScriptError(`\${${m[1]}} has no value (no !let=${m[1]} ran before)`);
      parts.push(Buffer.from(text.slice(last, m.index), 'latin1'), v);
      last = m.index! + m[0].length;
    }
    parts.push(Buffer.from(text.slice(last), 'latin1'));
    return Buffer.concat(parts);
  });
}

export function frame(args: Buffer[]): Buffer {
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
  /** Names set by a !let so far (a ${NAME} must come after its !let). */
  const defined = new Set<string>();
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
    let mode: Mode | null = null;
    let conn = 1;
    let closes = false;
    let replies: number | null = null;
    let read: number | null = null;
    let sleepMs = 0;
    let sawSleep = false;
    let anyOrder = false;
    let capture: string | null = null;
    let rawKind: 'raw' | 'inline' | null = null;
    while (text.startsWith('!')) {
      const sp = text.search(/\s/);
      const word = sp < 0 ? text : text.slice(0, sp);
      text = sp < 0 ? '' : text.slice(sp + 1);
      const eq = word.indexOf('=');
      const key = eq < 0 ? word.slice(1) : word.slice(1, eq);
      const val = eq < 0 ? '' : word.slice(eq + 1);
      const count = (what: string, min: number): number => {
        const n = Number(val);
        if (val === '' || !Number.isInteger(n) || n < min) throw new ScriptError(`${where}: ${what} needs a number >= ${min}`);
        return n;
      };
      switch (key) {
        case 'shape': mode = { kind: 'shape' }; break;
        case 'sorted': mode = { kind: 'sorted' }; break;
        case 'pairs': mode = { kind: 'pairs' }; break;
        case 'aclrules': mode = { kind: 'aclrules' }; break;
        case 'scanall': mode = { kind: 'scanall' }; break;
        case 'monitor': mode = { kind: 'monitor' }; break;
        case 'approx': mode = { kind: 'approx', tolerance: count('!approx', 0) }; break;
        case 'mask': mode = { kind: 'mask', fields: fieldList(val, '!mask', where) }; break;
        case 'kv': mode = { kind: 'kv', fields: val === '' ? [] : fieldList(val, '!kv', where) }; break;
        case 'info': mode = { kind: 'info', fields: val === '' ? [] : fieldList(val, '!info', where) }; break;
        case 'ids': {
          const names = fieldList(val, '!ids', where);
          for (const n of names) if (!defined.has(n)) throw new ScriptError(`${where}: !ids names ${n}, which no earlier !let sets`);
          mode = { kind: 'ids', names };
          break;
        }
        case 'conn': conn = count('!conn', 1); break;
        case 'closes': closes = true; break;
        case 'raw': rawKind = 'raw'; break;
        case 'inline': rawKind = 'inline'; break;
        case 'replies': replies = count('!replies', 0); break;
        case 'read': read = count('!read', 0); break;
        case 'sleep': sleepMs = count('!sleep', 0); sawSleep = true; break;
        case 'anyorder': anyOrder = true; break;
        case 'let': {
          if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(val)) throw new ScriptError(`${where}: !let needs a name (letters, digits, _)`);
          capture = val;
          break;
        }
        default: throw new ScriptError(`${where}: unknown modifier ${word}`);
      }
      text = text.replace(/^\s+/, '');
    }
    let kind: Step['kind'] = 'command';
    let payload: Buffer = Buffer.alloc(0);
    let args: Buffer[] = [];
    let templated = false;
    if (read !== null) {
      kind = 'read';
      if (text !== '') throw new ScriptError(`${where}: a !read line has no command (it reads what connection ${conn} was sent)`);
      if (rawKind || replies !== null || capture !== null) throw new ScriptError(`${where}: !read does not combine with !raw, !inline, !replies or !let`);
      if (mode?.kind === 'scanall') throw new ScriptError(`${where}: !read does not combine with !scanall`);
      replies = read;
    } else if (text === '' && sawSleep && !rawKind) {
      kind = 'sleep';
      if (mode || closes || replies !== null || capture !== null || anyOrder || conn !== 1) throw new ScriptError(`${where}: a lone !sleep takes no other modifier`);
      replies = 0;
    } else if (rawKind === 'raw') {
      payload = unescapeRaw(text);
    } else if (rawKind === 'inline') {
      payload = Buffer.concat([Buffer.from(text, 'utf8'), Buffer.from('\r\n')]);
    } else {
      const parsed = splitArgs(Buffer.from(text, 'utf8'));
      if (parsed === null) throw new ScriptError(`${where}: unbalanced quotes`);
      if (parsed.length === 0) throw new ScriptError(`${where}: no command`);
      args = parsed;
      for (const a of args) {
        for (const ref of varRefs(a)) {
          templated = true;
          if (!defined.has(ref)) throw new ScriptError(`${where}: \${${ref}} is not set by an earlier !let`);
        }
      }
      payload = frame(args);
    }
    replies ??= 1;
    if (mode?.kind === 'scanall' && (args.length === 0 || !/^[HSZ]?SCAN$/.test(args[0]!.toString().toUpperCase()))) {
      throw new ScriptError(`${where}: !scanall applies to a SCAN, HSCAN, SSCAN or ZSCAN command`);
    }
    if (capture !== null) {
      if (replies !== 1) throw new ScriptError(`${where}: !let needs a command with one reply`);
      if (mode !== null) throw new ScriptError(`${where}: !let compares its reply as !ids=${capture}; it takes no other mode`);
      defined.add(capture);
      mode = { kind: 'ids', names: [capture] };
    }
    const step: Step = {
      file, line: lineNo, text: lines[i]!.trim(), kind, payload, args, templated, replies,
      mode: mode ?? { kind: 'exact' }, conn, closes, anyOrder, sleepMs, capture,
    };
    if (kind === 'command') count += rawKind ? Math.max(replies, 1) : 1;
    if (pipeline) {
      if (kind !== 'command' || sawSleep || capture !== null || step.mode.kind === 'scanall' || closes) {
        throw new ScriptError(`${where}: !read, !sleep, !let, !scanall and !closes are not allowed in a pipeline`);
      }
      if (pipeline.steps.length > 0 && pipeline.steps[0]!.conn !== conn) throw new ScriptError(`${where}: every line of a pipeline must use the same !conn`);
      pipeline.steps.push(step);
    } else {
      items.push({ kind: 'step', step });
    }
  }
  if (pipeline) throw new ScriptError(`${file}: pipeline not closed with '}'`);
  return { name, file, directives, requires, items, commandCount: count };
}
