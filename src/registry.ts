/*
 * The command table (ARCHITECTURE.md principle 1). Each command family registers its
 * handlers by name; arity, flags, key positions, ACL categories and group come from Redis
 * 7.0.15's own command metadata (src/commands/redis-command-meta.json, generated from
 * redis-server's COMMAND INFO / COMMAND DOCS), so the generic checks, COMMAND INFO/DOCS/COUNT/
 * LIST/GETKEYS and the README's command list all derive from one table that matches Redis.
 *
 * Lookup by name works on the request bytes: a case-folded FNV-1a hash selects a candidate in
 * an open-addressed table of Int32 hashes (a Map keyed by numbers outside V8's small-integer
 * range would box each lookup's key), and a byte comparison confirms it, so dispatch
 * allocates nothing.
 */
import type { Client } from './client.ts';
import { metaFor, type CommandMeta } from './commands/command-meta.ts';

export type Handler = (c: Client) => void;

/** Command flags as bits, named as Redis names them in COMMAND INFO. */
export const CommandFlag = {
  WRITE: 1 << 0,
  READONLY: 1 << 1,
  DENYOOM: 1 << 2,
  ADMIN: 1 << 3,
  PUBSUB: 1 << 4,
  NOSCRIPT: 1 << 5,
  BLOCKING: 1 << 6,
  LOADING: 1 << 7,
  STALE: 1 << 8,
  SKIP_MONITOR: 1 << 9,
  SKIP_SLOWLOG: 1 << 10,
  FAST: 1 << 11,
  NO_AUTH: 1 << 12,
  NO_MULTI: 1 << 13,
  MOVABLE_KEYS: 1 << 14,
  ALLOW_BUSY: 1 << 15,
} as const;

const FLAG_BITS: Record<string, number> = {
  write: CommandFlag.WRITE,
  readonly: CommandFlag.READONLY,
  denyoom: CommandFlag.DENYOOM,
  admin: CommandFlag.ADMIN,
  pubsub: CommandFlag.PUBSUB,
  noscript: CommandFlag.NOSCRIPT,
  blocking: CommandFlag.BLOCKING,
  loading: CommandFlag.LOADING,
  stale: CommandFlag.STALE,
  skip_monitor: CommandFlag.SKIP_MONITOR,
  skip_slowlog: CommandFlag.SKIP_SLOWLOG,
  fast: CommandFlag.FAST,
  no_auth: CommandFlag.NO_AUTH,
  no_multi: CommandFlag.NO_MULTI,
  movablekeys: CommandFlag.MOVABLE_KEYS,
  allow_busy: CommandFlag.ALLOW_BUSY,
};

export interface CommandEntry {
  /** Dense index, for per-command counters in typed arrays. */
  readonly id: number;
  /** Lower-case name ('get', or 'setname' for a subcommand). */
  readonly name: string;
  /** 'get', or 'client|setname' for a subcommand: what Redis's error messages quote. */
  readonly fullName: string;
  readonly arity: number;
  readonly flags: number;
  readonly meta: CommandMeta;
  readonly handler: Handler | null;
  readonly parent: CommandEntry | null;
  readonly subcommands: Map<string, CommandEntry> | null;
}

/** Slots of the name table: a power of two, at least twice the number of top-level commands. */
const NAME_SLOTS = 1024;

export class Registry {
  readonly commands: CommandEntry[] = [];
  /** Every entry including subcommands, indexed by id. */
  readonly all: CommandEntry[] = [];
  /** Name hashes and their commands by slot (linear probing; an undefined entry ends a probe). */
  private readonly slotHash = new Int32Array(NAME_SLOTS);
  private readonly slotEntry: (CommandEntry | undefined)[] = new Array<CommandEntry | undefined>(NAME_SLOTS).fill(undefined);
  private readonly byName = new Map<string, CommandEntry>();

  /**
   * Register a command (or, with '|' in the name, a subcommand of an added container).
   * `newerMeta` describes a command redis-server 7.0.15 does not have (added in a later Redis).
   */
  add(fullName: string, handler: Handler | null, newerMeta?: CommandMeta): CommandEntry {
    const meta = metaFor(fullName) ?? newerMeta;
    if (meta === undefined) throw new Error(`no Redis metadata for command '${fullName}'`);
    const bar = fullName.indexOf('|');
    const parent = bar < 0 ? null : this.byName.get(fullName.slice(0, bar)) ?? null;
    if (bar >= 0 && parent === null) throw new Error(`container of '${fullName}' is not registered`);
    let flags = 0;
    for (const name of meta.flags) flags |= FLAG_BITS[name] ?? 0;
    const entry: CommandEntry = {
      id: this.all.length,
      name: bar < 0 ? fullName : fullName.slice(bar + 1),
      fullName,
      arity: meta.arity,
      flags,
      meta,
      handler,
      parent,
      subcommands: meta.subcommands.length > 0 ? new Map() : null,
    };
    this.all.push(entry);
    if (parent === null) {
      this.commands.push(entry);
      this.byName.set(fullName, entry);
      this.addName(entry);
    } else {
      parent.subcommands!.set(entry.name, entry);
    }
    return entry;
  }

  private addName(entry: CommandEntry): void {
    if (this.commands.length * 2 > NAME_SLOTS) throw new Error('command name table full: raise NAME_SLOTS');
    const hash = hashName(Buffer.from(entry.name), 0, entry.name.length);
    let i = hash & (NAME_SLOTS - 1);
    for (let other = this.slotEntry[i]; other !== undefined; other = this.slotEntry[i]) {
      if (this.slotHash[i] === hash) throw new Error(`command name hash collision: ${entry.name} and ${other.name}`);
      i = (i + 1) & (NAME_SLOTS - 1);
    }
    this.slotHash[i] = hash;
    this.slotEntry[i] = entry;
  }

  /** The top-level command named by buf[off .. off+len), any case, or undefined. */
  lookup(buf: Uint8Array, off: number, len: number): CommandEntry | undefined {
    const hash = hashName(buf, off, len);
    const slotHash = this.slotHash;
    const slotEntry = this.slotEntry;
    let i = hash & (NAME_SLOTS - 1);
    let entry = slotEntry[i];
    while (entry !== undefined && slotHash[i] !== hash) {
      i = (i + 1) & (NAME_SLOTS - 1);
      entry = slotEntry[i];
    }
    if (entry === undefined || entry.name.length !== len) return undefined;
    const name = entry.name;
    for (let i = 0; i < len; i++) {
      let ch = buf[off + i];
      if (ch >= 65 && ch <= 90) ch |= 0x20;
      if (ch !== name.charCodeAt(i)) return undefined;
    }
    return entry;
  }

  byFullName(fullName: string): CommandEntry | undefined {
    const bar = fullName.indexOf('|');
    if (bar < 0) return this.byName.get(fullName);
    return this.byName.get(fullName.slice(0, bar))?.subcommands?.get(fullName.slice(bar + 1));
  }
}

/** FNV-1a over the ASCII-lower-cased bytes, as a signed 32-bit integer. */
function hashName(buf: Uint8Array, off: number, len: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < len; i++) {
    let ch = buf[off + i];
    if (ch >= 65 && ch <= 90) ch |= 0x20;
    h = Math.imul(h ^ ch, 0x01000193);
  }
  return h | 0;
}
