/*
 * Runs a differential script (script.ts) against two servers over raw sockets: the reference
 * (redis-server) and the server under test. Each command goes to the reference first, then to
 * the server under test, and the two replies are compared byte for byte (or as the step's
 * modifier says). The first mismatch stops the script (state has diverged after it); with
 * DIFF_ALL=1 every mismatch is collected instead, which is what a bug report wants.
 */
import { RawClient, decodeReply, escapeBytes, type RespValue } from '../helpers/raw-client.ts';
import { frame, substitute, type Mode, type Script, type Step } from './script.ts';

export interface Endpoint {
  label: string;
  host: string;
  port: number;
}

export interface Mismatch {
  where: string;
  command: string;
  expected: string;
  actual: string;
  note: string;
}

export function formatMismatch(m: Mismatch, refLabel: string, targetLabel: string): string {
  const pad = Math.max(refLabel.length, targetLabel.length) + 1;
  return `${m.where}: ${m.command}\n`
    + `  ${(refLabel + ':').padEnd(pad)} ${m.expected}\n`
    + `  ${(targetLabel + ':').padEnd(pad)} ${m.actual}`
    + (m.note ? `\n  (${m.note})` : '');
}

// ---- canonical forms -------------------------------------------------------------------

function repr(v: RespValue): string {
  if (v.kind === 'null') return `${v.type}null`;
  if (v.kind === 'scalar') return v.type + escapeBytes(v.data);
  return `${v.type}${v.items.length}[${v.items.map(repr).join(',')}]`;
}

function shape(v: RespValue): string {
  if (v.kind === 'null') return `${v.type}null`;
  if (v.kind === 'scalar') return v.type === '-' ? '-' + escapeBytes(v.data.subarray(0, Math.max(0, v.data.indexOf(0x20)))) : v.type;
  return `${v.type}${v.items.length}[${v.items.map(shape).join(',')}]`;
}

function textOf(v: RespValue): string | null {
  if (v.kind !== 'scalar') return null;
  // A RESP3 verbatim string starts with its 3-letter format and a colon.
  return (v.type === '=' ? v.data.subarray(4) : v.data).toString('latin1');
}

function canonMask(v: RespValue, fields: string[]): string {
  // An array of maps (ACL LOG entries): mask each.
  if (v.kind === 'aggregate' && v.items.length > 0 && v.items.every((x) => x.kind === 'aggregate')) {
    return `${v.type}${v.items.length}[${v.items.map((x) => canonMask(x, fields)).join(',')}]`;
  }
  if (v.kind !== 'aggregate' || v.items.length % 2 !== 0) return repr(v);
  const parts: string[] = [];
  for (let i = 0; i < v.items.length; i += 2) {
    const k = v.items[i]!;
    const name = k.kind === 'scalar' ? k.data.toString('latin1') : null;
    const val = v.items[i + 1]!;
    parts.push(repr(k) + '=>' + (name !== null && fields.includes(name) ? `<${shape(val)}>` : repr(val)));
  }
  return `${v.type}${v.items.length}[${parts.join(',')}]`;
}

function canonKv(v: RespValue, fields: string[]): string {
  const text = textOf(v);
  if (text === null || v.type === '-') return repr(v);
  const lines = text.split('\n').filter((l) => l !== '');
  return v.type + lines
    .map((line) => {
      const pairs = line.split(' ').filter((t) => t !== '').map((t) => {
        const eq = t.indexOf('=');
        return eq < 0 ? [t, ''] : [t.slice(0, eq), t.slice(eq + 1)];
      });
      return pairs.map(([k, val]) => (fields.includes(k!) ? `${k}=${val}` : `${k}=*`)).join(' ');
    })
    .join('\n');
}

function canonInfo(v: RespValue, fields: string[]): string {
  const text = textOf(v);
  if (text === null || v.type === '-') return repr(v);
  const out: string[] = [];
  const values = new Map<string, string>();
  for (const line of text.split('\r\n')) {
    if (line.startsWith('#')) out.push(line);
    const colon = line.indexOf(':');
    if (colon > 0) values.set(line.slice(0, colon), line.slice(colon + 1));
  }
  for (const f of fields) out.push(`${f}:${values.get(f) ?? '<missing>'}`);
  return v.type + JSON.stringify(out);
}

/**
 * ACL rule strings (ACL LIST, GETUSER's "commands"): each run of single-command rules
 * (`+get -set +config|get`, not `+@category`) is compared as a multiset, since Redis emits them
 * in its command dict's hash order, which changes with every process. Everything else keeps
 * its order.
 */
function canonAclRules(v: RespValue): string {
  if (v.kind === 'aggregate') return `${v.type}${v.items.length}[${v.items.map(canonAclRules).join(',')}]`;
  const text = textOf(v);
  if (text === null || v.type === '-') return repr(v);
  const out: string[] = [];
  let run: string[] = [];
  const flush = (): void => {
    out.push(...run.sort());
    run = [];
  };
  for (const word of text.split(' ')) {
    const close = word.endsWith(')');
    const w = close ? word.slice(0, -1) : word;
    if (/^[+-][^@]/.test(w)) run.push(w);
    else {
      flush();
      out.push(w);
    }
    if (close) {
      flush();
      out.push(')');
    }
  }
  flush();
  return v.type + JSON.stringify(out);
}

/** repr, with scalars equal to a remembered value written as that value's name. */
function canonIds(v: RespValue, names: string[], vars: ReadonlyMap<string, Buffer>): string {
  if (v.kind === 'scalar' && (v.type === ':' || v.type === '$' || v.type === '+')) {
    for (const n of names) {
      const val = vars.get(n);
      if (val !== undefined && val.equals(v.data)) return `${v.type}<${n}>`;
    }
  }
  if (v.kind === 'aggregate') return `${v.type}${v.items.length}[${v.items.map((x) => canonIds(x, names, vars)).join(',')}]`;
  return repr(v);
}

/**
 * The comparable form of one reply under a mode (the exact bytes for 'exact'). `vars` are the
 * values remembered by !let on the server that sent the reply (for 'ids').
 */
export function canonical(reply: Buffer, mode: Mode, vars: ReadonlyMap<string, Buffer> = new Map()): string {
  if (mode.kind === 'exact') return escapeBytes(reply);
  const v = decodeReply(reply);
  switch (mode.kind) {
    case 'ids': return canonIds(v, mode.names, vars);
    case 'shape': return shape(v);
    case 'sorted':
      if (v.kind !== 'aggregate') return repr(v);
      return `${v.type}${v.items.length}{${v.items.map(repr).sort().join(',')}}`;
    case 'pairs': {
      if (v.kind !== 'aggregate' || v.items.length % 2 !== 0) return repr(v);
      const pairs: string[] = [];
      for (let i = 0; i < v.items.length; i += 2) pairs.push(`${repr(v.items[i]!)}=>${repr(v.items[i + 1]!)}`);
      return `${v.type}${v.items.length}{${pairs.sort().join(',')}}`;
    }
    case 'approx': return v.type === ':' ? ':<int>' : repr(v);
    case 'mask': return canonMask(v, mode.fields);
    case 'kv': return canonKv(v, mode.fields);
    case 'info': return canonInfo(v, mode.fields);
    case 'scanall': return repr(v);
    case 'aclrules': return canonAclRules(v);
    case 'monitor': {
      // +<seconds>.<micros> [<db> <addr>] "cmd" "arg"...; addr is ip:port, unix:path or lua
      if (v.kind !== 'scalar' || v.type !== '+') return repr(v);
      const m = /^\d+\.\d{6} \[(\d+) \S+\] (.*)$/s.exec(v.data.toString('latin1'));
      return m ? `+<time> [${m[1]} <addr>] ${m[2]}` : repr(v);
    }
  }
}

/** Where two byte strings first differ, with a little context from each (for long replies). */
export function firstDifference(a: Buffer, b: Buffer): string {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  const from = Math.max(0, i - 24);
  const ctx = (x: Buffer): string => (from > 0 ? '...' : '') + escapeBytes(x.subarray(from, i + 40)) + (i + 40 < x.length ? '...' : '');
  return `first difference at byte ${i}: ${ctx(a)} vs ${ctx(b)}`;
}

export function compareReplies(
  expected: Buffer,
  actual: Buffer,
  mode: Mode,
  expectedVars: ReadonlyMap<string, Buffer> = new Map(),
  actualVars: ReadonlyMap<string, Buffer> = new Map(),
): string | null {
  if (mode.kind === 'exact') {
    if (expected.equals(actual)) return null;
    return expected.length + actual.length > 200 ? firstDifference(expected, actual) : 'exact bytes';
  }
  let ce: string;
  let ca: string;
  try {
    ce = canonical(expected, mode, expectedVars);
    ca = canonical(actual, mode, actualVars);
  } catch (err) {
    return `undecodable reply: ${(err as Error).message}`;
  }
  if (ce !== ca) return `compared as ${mode.kind}: ${ce} vs ${ca}`;
  if (mode.kind === 'approx') {
    const a = decodeReply(expected);
    const b = decodeReply(actual);
    if (a.kind === 'scalar' && b.kind === 'scalar' && a.type === ':') {
      // BigInt: replies such as the TTL of a key expiring at PEXPIREAT 2^63-1 are beyond 2^53.
      let d = BigInt(a.data.toString()) - BigInt(b.data.toString());
      if (d < 0n) d = -d;
      if (d > BigInt(mode.tolerance)) return `integers differ by ${d} (> ${mode.tolerance})`;
    }
  }
  return null;
}

/** Compares two lists of replies as multisets (!anyorder); a note, or null. */
export function compareUnordered(
  expected: Buffer[],
  actual: Buffer[],
  mode: Mode,
  expectedVars: ReadonlyMap<string, Buffer> = new Map(),
  actualVars: ReadonlyMap<string, Buffer> = new Map(),
): string | null {
  let ce: string[];
  let ca: string[];
  try {
    ce = expected.map((r) => canonical(r, mode, expectedVars)).sort();
    ca = actual.map((r) => canonical(r, mode, actualVars)).sort();
  } catch (err) {
    return `undecodable reply: ${(err as Error).message}`;
  }
  if (ce.length !== ca.length || ce.some((x, i) => x !== ca[i])) return `compared in any order: {${ce.join(' ')}} vs {${ca.join(' ')}}`;
  if (mode.kind === 'approx') {
    // The tolerance is checked pairwise in sorted order of the values.
    const ints = (l: Buffer[]): bigint[] => l.map((r) => decodeReply(r)).filter((v) => v.kind === 'scalar' && v.type === ':')
      .map((v) => BigInt((v as { data: Buffer }).data.toString())).sort((x, y) => (x < y ? -1 : x > y ? 1 : 0));
    const ie = ints(expected);
    const ia = ints(actual);
    for (let i = 0; i < ie.length; i++) {
      let d = ie[i]! - ia[i]!;
      if (d < 0n) d = -d;
      if (d > BigInt(mode.tolerance)) return `integers differ by ${d} (> ${mode.tolerance})`;
    }
  }
  return null;
}

// ---- execution -------------------------------------------------------------------------

/**
 * How long a command's reply may take. Generous: SETBIT at offset 2^32-1 makes redis-server
 * zero 512 MB, which takes seconds on a loaded machine.
 */
export const COMMAND_WAIT_MS = 10_000;
/**
 * How long a !read waits for each message before the step fails. Generous too: once, under the
 * whole suite's load, redis-server's 10th keyspace message of a step had not arrived after 2 s
 * (keyspace-events-keys.txt:528; the file passes alone). A missing message still fails.
 */
export const READ_WAIT_MS = 5000;
/** How long a send that expects no reply, a !read=0, and the end-of-script check wait for stray bytes. */
export const QUIET_MS = 50;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

class Side {
  readonly ep: Endpoint;
  private readonly conns = new Map<number, RawClient>();
  /** Values remembered by !let on this server. */
  readonly vars = new Map<string, Buffer>();
  private readonly waitMs: number;
  constructor(ep: Endpoint, waitMs = COMMAND_WAIT_MS) {
    this.ep = ep;
    this.waitMs = waitMs;
  }

  async conn(n: number): Promise<RawClient> {
    let c = this.conns.get(n);
    if (!c || c.isClosed) {
      c = await RawClient.connect(this.ep.port, this.ep.host, { timeoutMs: this.waitMs });
      this.conns.set(n, c);
    }
    return c;
  }

  /**
   * Connections the server closed although the script did not expect it (they are dropped).
   * `expected` are the connections the next lines say are closed (!closes on !read lines).
   */
  async closedUnexpectedly(expected: ReadonlySet<number> = new Set()): Promise<number[]> {
    const out: number[] = [];
    for (const [n, c] of this.conns) {
      if (c.isClosed && !expected.has(n)) {
        out.push(n);
        await this.drop(n);
      }
    }
    return out;
  }

  /** Bytes each open connection has received and nobody read, after QUIET_MS (the end of a script). */
  async unread(): Promise<Array<[number, Buffer]>> {
    await sleep(QUIET_MS);
    const out: Array<[number, Buffer]> = [];
    for (const [n, c] of this.conns) if (c.buffered.length > 0) out.push([n, c.buffered]);
    return out;
  }

  /** The connection as it is, even if the server closed it (a !read looks at what arrived). */
  async existing(n: number): Promise<RawClient> {
    return this.conns.get(n) ?? this.conn(n);
  }

  async drop(n: number): Promise<void> {
    const c = this.conns.get(n);
    this.conns.delete(n);
    if (c) await c.close();
  }

  async closeAll(): Promise<void> {
    for (const n of [...this.conns.keys()]) await this.drop(n);
  }
}

interface Outcome {
  replies: Buffer[];
  /** Set when the exchange failed (timeout, unexpected close). */
  failure: string | null;
  closedAsExpected: boolean | null;
}

/** The bytes a command step writes to this server (its own values for ${NAME}). */
function payloadFor(side: Side, s: Step): Buffer {
  return s.templated ? frame(substitute(s.args, side.vars)) : s.payload;
}

async function exchange(side: Side, steps: Step[]): Promise<Outcome> {
  const first = steps[0]!;
  const conn = first.conn;
  if (first.sleepMs > 0) await sleep(first.sleepMs);
  if (first.kind === 'sleep') return { replies: [], failure: null, closedAsExpected: null };
  const c = first.kind === 'read' ? await side.existing(conn) : await side.conn(conn);
  const replies: Buffer[] = [];
  try {
    if (first.kind === 'read') {
      for (let i = 0; i < first.replies; i++) {
        try {
          replies.push(await c.readReply(READ_WAIT_MS));
        } catch (err) {
          throw new Error(`message ${i + 1} of ${first.replies} on connection ${conn}: ${(err as Error).message}`);
        }
      }
    } else {
      c.write(Buffer.concat(steps.map((s) => payloadFor(side, s))));
      for (const s of steps) for (let i = 0; i < s.replies; i++) replies.push(await c.readReply());
    }
    // A send that expects no reply (CLIENT REPLY OFF, blank inline lines, a paused client, a
    // !read=0): give a stray reply a moment to arrive, so it is reported here rather than as
    // the next command's reply.
    if (steps.every((s) => s.replies === 0)) await sleep(QUIET_MS);
    const last = steps[steps.length - 1]!;
    let closedAsExpected: boolean | null = null;
    if (last.closes) {
      try {
        await c.waitClosed(2000);
        closedAsExpected = true;
      } catch {
        closedAsExpected = false;
      }
      const extra = c.buffered;
      await side.drop(conn);
      if (extra.length > 0) return { replies, failure: `unexpected extra bytes ${escapeBytes(extra)}`, closedAsExpected };
    } else if (c.buffered.length > 0) {
      // Bytes beyond the replies the script expects: a stray reply is a mismatch too.
      const extra = c.buffered;
      await side.drop(conn);
      return { replies, failure: `unexpected extra bytes ${escapeBytes(extra)}`, closedAsExpected };
    }
    if (first.capture !== null && replies.length === 1) {
      const v = decodeReply(replies[0]!);
      if (v.kind !== 'scalar' || v.type === '-' || v.type === '!') {
        return { replies, failure: `!let=${first.capture} needs an integer or string reply, got ${escapeBytes(replies[0]!)}`, closedAsExpected };
      }
      side.vars.set(first.capture, Buffer.from(v.data));
    }
    return { replies, failure: null, closedAsExpected };
  } catch (err) {
    await side.drop(conn); // the reply stream is out of step: start this connection afresh
    return { replies, failure: (err as Error).message, closedAsExpected: null };
  }
}

/** Runs a whole SCAN iteration from the step's cursor; returns the first error reply, or the sorted key set. */
async function scanAll(side: Side, step: Step): Promise<{ result: string; failure: string | null }> {
  const c = await side.conn(step.conn);
  const args = step.args.slice();
  // SCAN cursor MATCH ...; HSCAN / SSCAN / ZSCAN key cursor ...
  const cursorAt = /^[hsz]scan$/i.test(args[0]?.toString('latin1') ?? '') ? 2 : 1;
  const keys = new Set<string>();
  try {
    for (let round = 0; round < 100_000; round++) {
      const reply = await c.call(...args);
      const v = decodeReply(reply);
      if (v.kind !== 'aggregate' || v.items.length !== 2) return { result: escapeBytes(reply), failure: null };
      const [cursor, batch] = v.items;
      if (cursor!.kind !== 'scalar' || batch!.kind !== 'aggregate') return { result: escapeBytes(reply), failure: null };
      for (const k of batch.items) keys.add(repr(k));
      const next = cursor.data.toString();
      if (next === '0') return { result: `{${[...keys].sort().join(',')}}`, failure: null };
      args[cursorAt] = Buffer.from(next);
    }
    return { result: '', failure: 'SCAN did not finish in 100000 rounds' };
  } catch (err) {
    await side.drop(step.conn);
    return { result: '', failure: (err as Error).message };
  }
}

function stepText(steps: Step[]): string {
  return steps.length === 1 ? steps[0]!.text : `pipeline { ${steps.map((s) => s.text).join(' ; ')} }`;
}

/**
 * The subset of `names` the server does not know (COMMAND INFO answers null for them). With
 * `password` (a script's requirepass), the connection authenticates first.
 */
export async function missingCommands(ep: Endpoint, names: string[], password?: string): Promise<string[]> {
  if (names.length === 0) return [];
  const c = await RawClient.connect(ep.port, ep.host, { timeoutMs: 3000 });
  try {
    if (password) {
      const r = await c.call('AUTH', password);
      if (r.toString() !== '+OK\r\n') throw new Error(`${ep.label}: AUTH answered ${escapeBytes(r)}`);
    }
    const v = decodeReply(await c.call('COMMAND', 'INFO', ...names));
    if (v.kind !== 'aggregate') return names;
    return names.filter((_, i) => v.items[i] === undefined || v.items[i]!.kind === 'null');
  } finally {
    await c.close();
  }
}

export interface RunResult {
  mismatches: Mismatch[];
  commands: number;
}

export interface RunOptions {
  /** Collect every mismatch instead of stopping at the first. */
  all?: boolean;
  /** When given, receives one line per command with the reference's reply (for reviewing a script). */
  transcript?: string[];
  /** How long a command's reply may take (COMMAND_WAIT_MS by default). */
  commandWaitMs?: number;
}

export async function runScript(script: Script, ref: Endpoint, target: Endpoint, options: RunOptions = {}): Promise<RunResult> {
  const a = new Side(ref, options.commandWaitMs);
  const b = new Side(target, options.commandWaitMs);
  const mismatches: Mismatch[] = [];
  let commands = 0;
  try {
    // Start from empty servers, whatever ran before, over a set-up connection of its own.
    for (const ep of [ref, target]) {
      const c = await RawClient.connect(ep.port, ep.host, { timeoutMs: 3000 });
      try {
        const pass = script.directives['requirepass'];
        if (pass) {
          const r = await c.call('AUTH', pass);
          if (r.toString() !== '+OK\r\n') throw new Error(`${ep.label}: AUTH answered ${escapeBytes(r)}`);
        }
        const r = await c.call('FLUSHALL');
        if (r.toString() !== '+OK\r\n') throw new Error(`${ep.label}: FLUSHALL answered ${escapeBytes(r)}`);
      } finally {
        await c.close();
      }
    }
    for (let itemIndex = 0; itemIndex < script.items.length; itemIndex++) {
      const item = script.items[itemIndex]!;
      const steps = item.kind === 'step' ? [item.step] : item.steps;
      const first = steps[0]!;
      const where = `${first.file}:${first.line}`;
      commands += steps.filter((st) => st.kind === 'command').length;
      if (first.mode.kind === 'scanall') {
        const ea = await scanAll(a, first);
        const eb = await scanAll(b, first);
        options.transcript?.push(`${where}: ${first.text}\n    -> ${ea.result}`);
        if (ea.failure) throw new Error(`${where}: ${ref.label} failed: ${ea.failure}`);
        if (eb.failure || ea.result !== eb.result) {
          mismatches.push({ where, command: first.text, expected: ea.result, actual: eb.failure ?? eb.result, note: 'full SCAN iteration: set of keys returned' });
          if (!options.all) break;
        }
        continue;
      }
      // A connection the server closed by itself since the previous command (CLIENT KILL
      // gone wrong, a crash in a handler) would silently reconnect, losing its state.
      // Connections that this line and the !closes !read lines right after it expect closed
      // (one CLIENT KILL can close several).
      const closing = new Set<number>();
      for (let j = itemIndex; j < script.items.length; j++) {
        const it = script.items[j]!;
        if (it.kind !== 'step' || it.step.kind !== 'read' || !it.step.closes) break;
        closing.add(it.step.conn);
      }
      const lostA = await a.closedUnexpectedly(closing);
      if (lostA.length > 0) throw new Error(`${where}: ${ref.label} closed connection ${lostA.join(', ')} before this line (mark the line that closes it with !closes)`);
      const lostB = await b.closedUnexpectedly(closing);
      if (lostB.length > 0) {
        mismatches.push({ where, command: stepText(steps), expected: '<connections open>', actual: `<connection ${lostB.join(', ')} closed by the server before this line>`, note: '' });
        if (!options.all) break;
      }
      const oa = await exchange(a, steps);
      if (oa.failure) throw new Error(`${where}: the reference server ${ref.label} failed on ${stepText(steps)}: ${oa.failure} (fix the script)`);
      if (oa.closedAsExpected === false) throw new Error(`${where}: ${ref.label} did not close the connection as the script says (fix the script)`);
      if (options.transcript) {
        let k = 0;
        for (const s of steps) {
          const got = oa.replies.slice(k, k + s.replies).map((r) => escapeBytes(r)).join(' ');
          k += s.replies;
          options.transcript.push(`${s.file}:${s.line}: ${s.text}\n    -> ${got}${s.closes ? ' <closed>' : ''}`);
        }
      }
      const ob = await exchange(b, steps);
      let bad: Mismatch | null = null;
      let idx = 0;
      for (const s of steps) {
        if (s.anyOrder && s.replies > 1) {
          const ra = oa.replies.slice(idx, idx + s.replies);
          const rb = ob.replies.slice(idx, idx + s.replies);
          idx += s.replies;
          const shown = (l: Buffer[]): string => l.map((r) => escapeBytes(r)).join(' ');
          if (rb.length < ra.length) {
            bad = { where: `${s.file}:${s.line}`, command: s.text, expected: shown(ra), actual: `${shown(rb)} <no more: ${ob.failure}>`, note: '' };
            break;
          }
          const note = compareUnordered(ra, rb, s.mode, a.vars, b.vars);
          if (note !== null) {
            bad = { where: `${s.file}:${s.line}`, command: s.text, expected: shown(ra), actual: shown(rb), note };
            break;
          }
          continue;
        }
        for (let i = 0; i < s.replies; i++, idx++) {
          const ra = oa.replies[idx]!;
          const rb = ob.replies[idx];
          const what = s.kind === 'read' && s.replies > 1 ? ` (message ${i + 1} of ${s.replies})` : s.replies > 1 ? ` (reply ${i + 1} of ${s.replies})` : '';
          if (rb === undefined) {
            bad = { where: `${s.file}:${s.line}`, command: s.text + what, expected: escapeBytes(ra), actual: `<no reply: ${ob.failure}>`, note: '' };
            break;
          }
          const note = compareReplies(ra, rb, s.mode, a.vars, b.vars);
          if (note !== null) {
            bad = { where: `${s.file}:${s.line}`, command: s.text + what, expected: escapeBytes(ra), actual: escapeBytes(rb), note: note === 'exact bytes' ? '' : note };
            break;
          }
        }
        if (bad) break;
      }
      if (!bad && ob.failure) {
        bad = { where, command: stepText(steps), expected: '<replies as above>', actual: `<${ob.failure}>`, note: '' };
      }
      if (!bad && oa.closedAsExpected === true && ob.closedAsExpected === false) {
        bad = { where, command: stepText(steps), expected: '<connection closed>', actual: '<connection left open>', note: '' };
      }
      if (bad) {
        if (steps.length > 1) bad.note = (bad.note ? bad.note + '; ' : '') + `in ${stepText(steps)}`;
        mismatches.push(bad);
        if (!options.all) break;
      }
    }
    // Every message a server sent must have been read by the script: one the reference sent
    // and no line read is a gap in the script; one only the server under test sent is a
    // mismatch (a duplicate event, a message to the wrong subscriber).
    if (mismatches.length === 0) {
      const [leftA, leftB] = await Promise.all([a.unread(), b.unread()]);
      if (leftA.length > 0) {
        throw new Error(`${script.file}: at the end of the script ${ref.label} had sent messages no line read: `
          + leftA.map(([n, bytes]) => `connection ${n}: ${escapeBytes(bytes)}`).join('; ') + ' (fix the script: add !conn=N !read=M lines)');
      }
      if (leftB.length > 0) {
        mismatches.push({
          where: `${script.file}:end`,
          command: '<end of script>',
          expected: '<nothing unread>',
          actual: leftB.map(([n, bytes]) => `connection ${n}: ${escapeBytes(bytes)}`).join('; '),
          note: 'the server under test sent messages redis-server did not',
        });
      }
    }
  } finally {
    await a.closeAll();
    await b.closeAll();
  }
  return { mismatches, commands };
}
