/*
 * ACL users, as Redis 7.0's acl.c defines them: users with flags, SHA-256 password hashes and
 * selectors (the root one plus any `(...)` ones), each selector a command bitmap, first-arg
 * exceptions, key patterns with read/write permissions and channel patterns. Rules are applied
 * (ACLSetUser/ACLSetSelector), described back in 7.0's canonical form (ACLDescribeUser: the
 * +@all/-@all start, then the best-fitting categories, then single commands) and checked per
 * command (ACLCheckAllUserCommandPerm), with the same error codes and the ACL log.
 *
 * The command universe is Redis 7.0.15's whole command table (redis-command-meta.json), not
 * just the commands slabcache implements, so rules, categories and their descriptions are the
 * ones Redis gives. Bit ids are dense; a registry entry maps to its ACL command by id.
 *
 * Cost: a user whose root selector allows all commands, keys and channels (the default user)
 * is `permissive`, and the dispatcher tests only that boolean. Other users pay a bitmap test,
 * and key/channel pattern matches on the argument bytes (no string conversion of keys).
 * Describing a user is cached until it changes.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { metaFor, allCommandMeta } from './commands/command-meta.ts';
import type { Registry, CommandEntry } from './registry.ts';
import { CommandFlag } from './registry.ts';
import type { Client } from './client.ts';
import { commandKeys, keyPositions, keyAccess, KeyAccess } from './command-keys.ts';
import { globMatch } from './glob.ts';
import { splitArgs } from './split-args.ts';

export const CATEGORIES = [
  'keyspace', 'read', 'write', 'set', 'sortedset', 'list', 'hash', 'string', 'bitmap', 'hyperloglog', 'geo', 'stream',
  'pubsub', 'admin', 'fast', 'slow', 'blocking', 'dangerous', 'connection', 'transaction', 'scripting',
] as const;

/** ACL_OK and ACL_DENIED_*: Redis's codes (their order picks which denial is reported). */
export const AclResult = { OK: 0, CMD: 1, KEY: 2, AUTH: 3, CHANNEL: 4 } as const;
export const AclContext = { TOPLEVEL: 0, LUA: 1, MULTI: 2 } as const;

const USER_ENABLED = 1;
const USER_DISABLED = 2;
const USER_NOPASS = 4;
const USER_SANITIZE = 8;
const USER_SKIP_SANITIZE = 16;
const USER_FLAG_NAMES: Array<[string, number]> = [
  ['on', USER_ENABLED], ['off', USER_DISABLED], ['nopass', USER_NOPASS],
  ['skip-sanitize-payload', USER_SKIP_SANITIZE], ['sanitize-payload', USER_SANITIZE],
];

const SEL_ROOT = 1;
const SEL_ALLKEYS = 2;
const SEL_ALLCOMMANDS = 4;
const SEL_ALLCHANNELS = 8;
/** acl-pubsub-default allchannels: new selectors start with all channels. */
export const ACL_ALLCHANNELS = SEL_ALLCHANNELS;

const PERM_READ = 1;
const PERM_WRITE = 2;
const PERM_ALL = 3;

/** errno values of ACLSetUser, mapped to ACLSetUserStringError's texts. */
const SetError = {
  FORMAT: 'Wrong format',
  UNKNOWN: 'Unknown command or category name in ACL',
  SYNTAX: 'Syntax error',
  KEYS_AFTER_ALL: "Adding a pattern after the * pattern (or the 'allkeys' flag) is not valid and does not have any effect. Try 'resetkeys' to start with an empty list of patterns",
  CHANNELS_AFTER_ALL: "Adding a pattern after the * pattern (or the 'allchannels' flag) is not valid and does not have any effect. Try 'resetchannels' to start with an empty list of channels",
  NO_SUCH_PASSWORD: 'The password you are trying to remove from the user does not exist',
  BAD_HASH: 'The password hash must be exactly 64 characters and contain only lowercase hexadecimal characters',
  DUPLICATE: 'Duplicate user found. A user can only be defined once in config files',
  FIRSTARG_OF_SUB: 'Allowing first-arg of a subcommand is not supported',
} as const;

// ---------------------------------------------------------------------------------------------
// The command universe.

export interface AclCommand {
  readonly id: number;
  readonly fullName: string;
  readonly categories: number;
  readonly parent: AclCommand | null;
  readonly subs: AclCommand[];
  readonly noAuth: boolean;
}

function categoryBit(name: string): number {
  const i = CATEGORIES.indexOf(name.toLowerCase() as (typeof CATEGORIES)[number]);
  return i < 0 ? 0 : 1 << i;
}

export class AclCommands {
  /** Top-level commands, in table order (subcommands follow their container when walked). */
  readonly top: AclCommand[] = [];
  readonly byId: AclCommand[] = [];
  private readonly byName = new Map<string, AclCommand>();
  /** Registry entry id -> ACL command. */
  readonly ofEntry: AclCommand[] = [];
  readonly words: number;

  constructor(registry: Registry) {
    for (const meta of allCommandMeta()) {
      if (meta.name.includes('|')) continue;
      const cmd = this.make(meta.name, meta.acl_categories, meta.flags, null);
      this.top.push(cmd);
      for (const subName of meta.subcommands) {
        const sub = metaFor(subName)!;
        cmd.subs.push(this.make(sub.name, sub.acl_categories, sub.flags, cmd));
      }
    }
    // Commands and subcommands of later Redis versions that slabcache implements.
    for (const entry of registry.all) {
      if (this.byName.has(entry.fullName)) continue;
      const parent = entry.parent === null ? null : this.byName.get(entry.parent.fullName)!;
      const cmd = this.make(entry.fullName, entry.meta.acl_categories, entry.meta.flags, parent);
      if (parent === null) this.top.push(cmd);
      else parent.subs.push(cmd);
    }
    this.words = (this.byId.length + 31) >>> 5;
    for (const entry of registry.all) this.ofEntry[entry.id] = this.byName.get(entry.fullName)!;
  }

  private make(fullName: string, categories: string[], flags: string[], parent: AclCommand | null): AclCommand {
    let bits = 0;
    for (const c of categories) bits |= categoryBit(c.startsWith('@') ? c.slice(1) : c);
    const cmd: AclCommand = { id: this.byId.length, fullName, categories: bits, parent, subs: [], noAuth: flags.includes('no_auth') };
    this.byId.push(cmd);
    this.byName.set(fullName, cmd);
    return cmd;
  }

  /** ACLLookupCommand: "get" or "config|get", any case. */
  lookup(name: string): AclCommand | undefined {
    return this.byName.get(name.toLowerCase());
  }
}

// ---------------------------------------------------------------------------------------------
// Selectors and users.

interface KeyPattern {
  flags: number;
  /** latin1 text of the pattern bytes. */
  pattern: string;
  bytes: Buffer;
}

interface ChannelPattern {
  pattern: string;
  bytes: Buffer;
}

class Selector {
  flags: number;
  allowed: Uint32Array;
  /** Redis's reserved "future commands" bit: set by +@all, cleared only by -@all. */
  future = false;
  /** Command id -> the first arguments allowed for it though its bit is clear (+select|0). */
  firstArgs: Map<number, string[]> | null = null;
  patterns: KeyPattern[] = [];
  channels: ChannelPattern[] = [];

  constructor(words: number, flags: number) {
    this.flags = flags;
    this.allowed = new Uint32Array(words);
  }

  copy(): Selector {
    const s = new Selector(this.allowed.length, this.flags);
    s.allowed.set(this.allowed);
    s.future = this.future;
    if (this.firstArgs !== null) s.firstArgs = new Map([...this.firstArgs].map(([k, v]) => [k, [...v]]));
    s.patterns = this.patterns.map((p) => ({ ...p }));
    s.channels = [...this.channels];
    return s;
  }

  bit(id: number): boolean {
    return (this.allowed[id >>> 5] & (1 << (id & 31))) !== 0;
  }

  setBit(id: number, value: boolean): void {
    if (value) this.allowed[id >>> 5] |= 1 << (id & 31);
    else {
      this.allowed[id >>> 5] &= ~(1 << (id & 31));
      this.flags &= ~SEL_ALLCOMMANDS;
    }
  }

  /** ACLChangeSelectorPerm: the command and, for a container, all its subcommands. */
  changePerm(cmd: AclCommand, allow: boolean): void {
    this.setBit(cmd.id, allow);
    this.firstArgs?.delete(cmd.id);
    for (const sub of cmd.subs) this.setBit(sub.id, allow);
  }

  setCategory(commands: readonly AclCommand[], bit: number, allow: boolean): void {
    for (const cmd of commands) {
      if ((cmd.categories & bit) !== 0) this.changePerm(cmd, allow);
      if (cmd.subs.length > 0) this.setCategory(cmd.subs, bit, allow);
    }
  }

  countCategory(commands: readonly AclCommand[], bit: number, counts: { on: number; off: number }): void {
    for (const cmd of commands) {
      if ((cmd.categories & bit) !== 0) {
        if (this.bit(cmd.id)) counts.on++;
        else counts.off++;
      }
      if (cmd.subs.length > 0) this.countCategory(cmd.subs, bit, counts);
    }
  }
}

export class AclUser {
  readonly name: string;
  flags = USER_DISABLED;
  /** Hex SHA-256 of each password, in the order added. */
  passwords: string[] = [];
  selectors: Selector[];
  /** Every selector check passes at once: the root selector allows all commands, keys, channels. */
  permissive = false;
  description: string | null = null;

  constructor(name: string, words: number, pubsubDefault: number) {
    this.name = name;
    this.selectors = [new Selector(words, SEL_ROOT | pubsubDefault)];
  }

  get root(): Selector {
    return this.selectors[0]!;
  }

  get enabled(): boolean {
    return (this.flags & USER_DISABLED) === 0;
  }

  get nopass(): boolean {
    return (this.flags & USER_NOPASS) !== 0;
  }

  /** ACLCopyUser: rules only, the name stays. */
  copyFrom(src: AclUser): void {
    this.flags = src.flags;
    this.passwords = [...src.passwords];
    this.selectors = src.selectors.map((s) => s.copy());
    this.description = src.description;
    this.refresh();
  }

  refresh(): void {
    const f = this.root.flags;
    this.permissive = (f & SEL_ALLCOMMANDS) !== 0 && (f & SEL_ALLKEYS) !== 0 && (f & SEL_ALLCHANNELS) !== 0;
  }
}

function hashPassword(password: Buffer): string {
  return createHash('sha256').update(password).digest('hex');
}

function validHash(hash: string): boolean {
  return /^[0-9a-f]{64}$/.test(hash);
}

/** ACLStringHasSpaces: isspace() or NUL anywhere. */
export function hasSpaces(text: string): boolean {
  return /[\0\t\n\v\f\r ]/.test(text);
}

/** Error texts of the ACL NOPERM replies and of scripts (getAclErrorMessage). */
export function aclErrorMessage(result: number): string {
  if (result === AclResult.CMD) return "can't run this command or subcommand";
  if (result === AclResult.KEY) return "can't access at least one of the keys mentioned in the command arguments";
  if (result === AclResult.CHANNEL) return "can't publish to the channel mentioned in the command";
  return 'lacking the permissions for the command';
}

/** processCommand's -NOPERM reply for a denial. */
export function nopermText(result: number, cmd: CommandEntry): string {
  if (result === AclResult.CMD) return `NOPERM this user has no permissions to run the '${cmd.fullName}' command`;
  if (result === AclResult.KEY) return 'NOPERM this user has no permissions to access one of the keys used as arguments';
  return 'NOPERM this user has no permissions to access one of the channels used as arguments';
}

/** execCommand's -NOPERM for a queued command the ACLs no longer allow. */
export function execNopermText(result: number): string {
  const reason = result === AclResult.CMD ? 'no permission to execute the command or subcommand'
    : result === AclResult.KEY ? 'no permission to touch the specified keys'
      : 'no permission to access one of the channels used as arguments';
  return `NOPERM ACLs rules changed between the moment the transaction was accumulated and the EXEC call. This command is no longer allowed for the following reason: ${reason}`;
}

// ---------------------------------------------------------------------------------------------
// The ACL log.

export interface AclLogEntry {
  count: number;
  reason: number;
  context: number;
  object: string;
  username: string;
  ctime: number;
  clientInfo: string;
}

const LOG_GROUPING_MS = 60000;

// ---------------------------------------------------------------------------------------------
// The user table.

/** Channel argument positions of the pub/sub commands (db.c commands_with_channels). */
const CHANNEL_COMMANDS: Record<string, { pattern: boolean; all: boolean }> = {
  subscribe: { pattern: false, all: true },
  ssubscribe: { pattern: false, all: true },
  psubscribe: { pattern: true, all: true },
  publish: { pattern: false, all: false },
  spublish: { pattern: false, all: false },
};

export class Acl {
  readonly commands: AclCommands;
  readonly users = new Map<string, AclUser>();
  readonly defaultUser: AclUser;
  /** SELECTOR_FLAG_ALLCHANNELS under acl-pubsub-default allchannels, else 0. */
  pubsubDefault = 0;
  maxLogLen = 128;
  log: AclLogEntry[] = [];
  /** authRequired()'s server-wide part: the default user needs a password or is disabled. */
  authRequired = false;
  /** Position of the argument that caused the last denial (ACLCheckAllUserCommandPerm's idxptr). */
  errorPos = 0;
  private readonly channelFlags: Uint8Array;
  private readonly channelPattern: Uint8Array;

  constructor(registry: Registry) {
    this.commands = new AclCommands(registry);
    this.channelFlags = new Uint8Array(registry.all.length);
    this.channelPattern = new Uint8Array(registry.all.length);
    for (const entry of registry.all) {
      const spec = CHANNEL_COMMANDS[entry.fullName];
      if (spec === undefined) continue;
      this.channelFlags[entry.id] = spec.all ? 2 : 1;
      this.channelPattern[entry.id] = spec.pattern ? 1 : 0;
    }
    this.defaultUser = this.createDefaultUser();
    this.users.set('default', this.defaultUser);
    this.updateAuthRequired();
  }

  createDefaultUser(): AclUser {
    const u = this.newUser('default');
    for (const op of ['+@all', '~*', '&*', 'on', 'nopass']) this.setUser(u, op);
    return u;
  }

  newUser(name: string): AclUser {
    return new AclUser(name, this.commands.words, this.pubsubDefault);
  }

  updateAuthRequired(): void {
    const d = this.defaultUser;
    this.authRequired = !d.nopass || !d.enabled;
  }

  /** Users in name order (the rax's byte order), as ACL LIST/USERS and ACL SAVE list them. */
  sortedUsers(): AclUser[] {
    return [...this.users.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  /** ACLCheckUserCredentials: true when `password` opens `username`. */
  checkCredentials(username: string, password: Buffer): boolean {
    const u = this.users.get(username);
    if (u === undefined || !u.enabled) return false;
    if (u.nopass) return true;
    const hashed = Buffer.from(hashPassword(password));
    let ok = false;
    for (const p of u.passwords) if (timingSafeEqual(hashed, Buffer.from(p))) ok = true;
    return ok;
  }

  // ---- rules ----------------------------------------------------------------------------------

  /** ACLSetUser: one rule (latin1 text of its bytes). Null when applied, else the error text. */
  setUser(u: AclUser, op: string): string | null {
    u.description = null;
    const err = this.applyUserRule(u, op);
    u.refresh();
    return err;
  }

  private applyUserRule(u: AclUser, op: string): string | null {
    if (op.length === 0) return null;
    const lower = op.toLowerCase();
    if (lower === 'on') u.flags = (u.flags | USER_ENABLED) & ~USER_DISABLED;
    else if (lower === 'off') u.flags = (u.flags | USER_DISABLED) & ~USER_ENABLED;
    else if (lower === 'skip-sanitize-payload') u.flags = (u.flags | USER_SKIP_SANITIZE) & ~USER_SANITIZE;
    else if (lower === 'sanitize-payload') u.flags = (u.flags | USER_SANITIZE) & ~USER_SKIP_SANITIZE;
    else if (lower === 'nopass') {
      u.flags |= USER_NOPASS;
      u.passwords = [];
    } else if (lower === 'resetpass') {
      u.flags &= ~USER_NOPASS;
      u.passwords = [];
    } else if (op[0] === '>' || op[0] === '#') {
      let hash: string;
      if (op[0] === '>') hash = hashPassword(Buffer.from(op.slice(1), 'latin1'));
      else {
        hash = op.slice(1);
        if (!validHash(hash)) return SetError.BAD_HASH;
      }
      if (!u.passwords.includes(hash)) u.passwords.push(hash);
      u.flags &= ~USER_NOPASS;
    } else if (op[0] === '<' || op[0] === '!') {
      let hash: string;
      if (op[0] === '<') hash = hashPassword(Buffer.from(op.slice(1), 'latin1'));
      else {
        hash = op.slice(1);
        if (!validHash(hash)) return SetError.BAD_HASH;
      }
      const i = u.passwords.indexOf(hash);
      if (i < 0) return SetError.NO_SUCH_PASSWORD;
      u.passwords.splice(i, 1);
    } else if (op[0] === '(' && op[op.length - 1] === ')') {
      const s = new Selector(this.commands.words, this.pubsubDefault);
      const args = splitSelectorArgs(op.slice(1, -1));
      for (const arg of args) {
        const err = this.setSelector(s, arg);
        if (err !== null) return err;
      }
      u.selectors.push(s);
    } else if (lower === 'clearselectors') {
      u.selectors.length = 1;
    } else if (lower === 'reset') {
      for (const rule of ['resetpass', 'resetkeys', 'resetchannels']) this.applyUserRule(u, rule);
      if (this.pubsubDefault !== 0) this.applyUserRule(u, 'allchannels');
      for (const rule of ['off', 'sanitize-payload', 'clearselectors', '-@all']) this.applyUserRule(u, rule);
    } else return this.setSelector(u.root, op);
    return null;
  }

  /** ACLSetSelector: a rule about commands, keys or channels. */
  setSelector(s: Selector, op: string): string | null {
    const lower = op.toLowerCase();
    const commands = this.commands;
    if (lower === 'allkeys' || op === '~*') {
      s.flags |= SEL_ALLKEYS;
      s.patterns = [];
    } else if (lower === 'resetkeys') {
      s.flags &= ~SEL_ALLKEYS;
      s.patterns = [];
    } else if (lower === 'allchannels' || op === '&*') {
      s.flags |= SEL_ALLCHANNELS;
      s.channels = [];
    } else if (lower === 'resetchannels') {
      s.flags &= ~SEL_ALLCHANNELS;
      s.channels = [];
    } else if (lower === 'allcommands' || lower === '+@all') {
      s.allowed.fill(0xffffffff);
      s.future = true;
      s.flags |= SEL_ALLCOMMANDS;
      s.firstArgs = null;
    } else if (lower === 'nocommands' || lower === '-@all') {
      s.allowed.fill(0);
      s.future = false;
      s.flags &= ~SEL_ALLCOMMANDS;
      s.firstArgs = null;
    } else if (op[0] === '~' || op[0] === '%') {
      if ((s.flags & SEL_ALLKEYS) !== 0) return SetError.KEYS_AFTER_ALL;
      let flags = 0;
      let offset = 1;
      if (op[0] === '%') {
        for (; offset < op.length; offset++) {
          const ch = op[offset]!.toUpperCase();
          if (ch === 'R' && (flags & PERM_READ) === 0) flags |= PERM_READ;
          else if (ch === 'W' && (flags & PERM_WRITE) === 0) flags |= PERM_WRITE;
          else if (op[offset] === '~') {
            offset++;
            break;
          } else return SetError.SYNTAX;
        }
      } else flags = PERM_ALL;
      const pattern = op.slice(offset);
      if (hasSpaces(pattern)) return SetError.SYNTAX;
      const existing = s.patterns.find((p) => p.pattern === pattern);
      if (existing === undefined) s.patterns.push({ flags, pattern, bytes: Buffer.from(pattern, 'latin1') });
      else existing.flags |= flags;
      s.flags &= ~SEL_ALLKEYS;
    } else if (op[0] === '&') {
      if ((s.flags & SEL_ALLCHANNELS) !== 0) return SetError.CHANNELS_AFTER_ALL;
      const pattern = op.slice(1);
      if (hasSpaces(pattern)) return SetError.SYNTAX;
      if (!s.channels.some((c) => c.pattern === pattern)) s.channels.push({ pattern, bytes: Buffer.from(pattern, 'latin1') });
      s.flags &= ~SEL_ALLCHANNELS;
    } else if (op[0] === '+' && op[1] !== '@') {
      const bar = op.lastIndexOf('|');
      if (bar < 0) {
        const cmd = commands.lookup(op.slice(1));
        if (cmd === undefined) return SetError.UNKNOWN;
        s.changePerm(cmd, true);
      } else {
        const cmd = commands.lookup(op.slice(1, bar));
        const sub = op.slice(bar + 1);
        if (cmd === undefined) return SetError.UNKNOWN;
        if (cmd.parent !== null) return SetError.FIRSTARG_OF_SUB;
        if (sub.length === 0) return SetError.SYNTAX;
        if (cmd.subs.length > 0) {
          const subcmd = commands.lookup(op.slice(1));
          if (subcmd === undefined) return SetError.UNKNOWN;
          s.changePerm(subcmd, true);
        } else {
          s.firstArgs ??= new Map();
          const list = s.firstArgs.get(cmd.id) ?? [];
          if (!list.some((a) => a.toLowerCase() === sub.toLowerCase())) list.push(sub);
          s.firstArgs.set(cmd.id, list);
        }
      }
    } else if (op[0] === '-' && op[1] !== '@') {
      const cmd = commands.lookup(op.slice(1));
      if (cmd === undefined) return SetError.UNKNOWN;
      s.changePerm(cmd, false);
    } else if ((op[0] === '+' || op[0] === '-') && op[1] === '@') {
      const bit = categoryBit(op.slice(2));
      if (bit === 0) return SetError.UNKNOWN;
      s.setCategory(commands.top, bit, op[0] === '+');
    } else return SetError.SYNTAX;
    return null;
  }

  /**
   * ACLStringSetUser: apply `rules` to a copy of the user (or a new one) and commit them only
   * if all are valid. Null on success, else the error text of ACL SETUSER.
   */
  stringSetUser(existing: AclUser | undefined, username: string, rules: string[], onChannelsRevoked: (newUser: AclUser, old: AclUser) => void): string | null {
    const merged = mergeSelectorArguments(rules);
    if (typeof merged === 'number') return `Unmatched parenthesis in acl selector starting at '${rules[merged]}'.`;
    const temp = this.newUser(username);
    if (existing !== undefined) temp.copyFrom(existing);
    for (const op of merged) {
      const err = this.setUser(temp, op);
      if (err !== null) return `Error in ACL SETUSER modifier '${cstr(op)}': ${err}`;
    }
    if (existing !== undefined) onChannelsRevoked(temp, existing);
    let u = existing;
    if (u === undefined) {
      u = this.newUser(username);
      this.users.set(username, u);
    }
    u.copyFrom(temp);
    if (u === this.defaultUser) this.updateAuthRequired();
    return null;
  }

  /**
   * Validate a config-file `user` line (ACLAppendUserForLoading); unknown commands are let
   * through (they fail at load). Null when valid, else `[argument index, error]`.
   */
  validateUserLine(argv: string[]): [number, string] | null {
    const merged = mergeSelectorArguments(argv.slice(2));
    if (typeof merged === 'number') return [merged, SetError.FORMAT];
    const fake = this.newUser('__fakeuser__');
    for (let j = 0; j < merged.length; j++) {
      const err = this.setUser(fake, merged[j]!);
      if (err !== null && err !== SetError.UNKNOWN) return [j, err];
    }
    return null;
  }

  /** ACLUpdateDefaultUserPassword: requirepass is the default user's one password. */
  updateDefaultPassword(password: string): void {
    const d = this.defaultUser;
    this.setUser(d, 'resetpass');
    this.setUser(d, password === '' ? 'nopass' : `>${Buffer.from(password).toString('latin1')}`);
    this.updateAuthRequired();
  }

  /** ACLLoadConfiguredUsers: the config file's `user` lines. Null, or the error to abort with. */
  loadConfiguredUsers(lines: string[][]): string | null {
    for (const argv of lines) {
      const name = argv[1]!;
      if (hasSpaces(name)) return 'Spaces not allowed in ACL usernames';
      let u = this.users.get(name);
      if (u === undefined) {
        u = this.newUser(name);
        this.users.set(name, u);
      } else this.setUser(u, 'reset');
      const merged = mergeSelectorArguments(argv.slice(2)) as string[];
      for (const op of merged) {
        const err = this.setUser(u, op);
        if (err !== null) return `Error loading ACL rule '${op}' for the user named '${name}': ${err}`;
      }
    }
    this.updateAuthRequired();
    return null;
  }

  // ---- describing -----------------------------------------------------------------------------

  /** ACLDescribeSelectorCommandRules. */
  describeCommandRules(s: Selector): string {
    const commands = this.commands;
    const words = commands.words;
    let rules = '';
    const fake = new Selector(words, 0);
    const additive = !s.future;
    rules += additive ? '-@all ' : '+@all ';
    this.setSelector(fake, additive ? '-@all' : '+@all');
    const temp = new Selector(words, 0);
    temp.allowed.set(s.allowed);
    const applied = new Uint8Array(CATEGORIES.length);
    const counts = { on: 0, off: 0 };
    for (;;) {
      let best = -1;
      let mindiff = 0x7fffffff;
      let maxsame = 0;
      for (let j = 0; j < CATEGORIES.length; j++) {
        if (applied[j]) continue;
        counts.on = counts.off = 0;
        temp.countCategory(commands.top, 1 << j, counts);
        const diff = additive ? counts.off : counts.on;
        const same = additive ? counts.on : counts.off;
        if (same > diff && (diff < mindiff || (diff === mindiff && same > maxsame))) {
          best = j;
          mindiff = diff;
          maxsame = same;
        }
      }
      if (best === -1) break;
      const name = CATEGORIES[best]!;
      fake.setCategory(commands.top, 1 << best, additive);
      temp.setCategory(commands.top, 1 << best, !additive);
      rules += `${additive ? '+@' : '-@'}${name} `;
      applied[best] = 1;
    }
    rules = this.describeSingleCommands(s, fake, rules, commands.top);
    return rules.slice(0, -1);
  }

  private describeSingleCommands(s: Selector, fake: Selector, rules: string, list: readonly AclCommand[]): string {
    for (const cmd of list) {
      const userbit = s.bit(cmd.id);
      if (userbit !== fake.bit(cmd.id)) {
        rules += `${userbit ? '+' : '-'}${cmd.fullName} `;
        fake.changePerm(cmd, userbit);
      }
      if (cmd.subs.length > 0) rules = this.describeSingleCommands(s, fake, rules, cmd.subs);
      const firstArgs = s.firstArgs?.get(cmd.id);
      if (!userbit && firstArgs !== undefined) for (const arg of firstArgs) rules += `+${cmd.fullName}|${arg} `;
    }
    return rules;
  }

  /** ACLDescribeSelector: keys, channels, commands. */
  describeSelector(s: Selector): string {
    let res = '';
    if ((s.flags & SEL_ALLKEYS) !== 0) res += '~* ';
    else for (const p of s.patterns) res += `${patternString(p)} `;
    if ((s.flags & SEL_ALLCHANNELS) !== 0) res += '&* ';
    else {
      res += 'resetchannels ';
      for (const c of s.channels) res += `&${c.pattern} `;
    }
    return res + this.describeCommandRules(s);
  }

  /** ACLDescribeUser: the rules after `user <name> ` in ACL LIST and the ACL file (latin1 text). */
  describeUser(u: AclUser): string {
    if (u.description !== null) return u.description;
    let res = '';
    for (const [name, flag] of USER_FLAG_NAMES) if ((u.flags & flag) !== 0) res += `${name} `;
    for (const p of u.passwords) res += `#${p} `;
    u.selectors.forEach((s, i) => {
      const d = this.describeSelector(s);
      res += i === 0 ? d : ` (${d})`;
    });
    u.description = res;
    return res;
  }

  /** The flag names of ACL GETUSER. */
  userFlagNames(u: AclUser): string[] {
    return USER_FLAG_NAMES.filter(([, flag]) => (u.flags & flag) !== 0).map(([name]) => name);
  }

  /** aclAddReplySelectorDescription's three values: commands, keys, channels. */
  selectorFields(s: Selector): [string, string, string] {
    const keys = (s.flags & SEL_ALLKEYS) !== 0 ? '~*' : s.patterns.map(patternString).join(' ');
    const channels = (s.flags & SEL_ALLCHANNELS) !== 0 ? '&*' : s.channels.map((c) => `&${c.pattern}`).join(' ');
    return [this.describeCommandRules(s), keys, channels];
  }

  // ---- checking -------------------------------------------------------------------------------

  /**
   * ACLCheckAllUserCommandPerm for the command in c's argument view: AclResult.OK, or the
   * denial with its argument position in errorPos.
   */
  check(u: AclUser, entry: CommandEntry, c: Client): number {
    if (u.permissive) return AclResult.OK;
    let relevant: number = AclResult.CMD;
    let lastIdx = 0;
    this.keysFound = -1;
    for (const s of u.selectors) {
      const result = this.checkSelector(s, entry, c);
      if (result === AclResult.OK) return AclResult.OK;
      if (result > relevant || (result === relevant && this.selectorPos > lastIdx)) {
        relevant = result;
        lastIdx = this.selectorPos;
      }
    }
    this.errorPos = lastIdx;
    return relevant;
  }

  /**
   * ACLUserCheckCmdWithUnrestrictedKeyAccess for read access: a selector both allows the
   * command and may read every key (SORT's BY and GET patterns need it).
   */
  mayReadAnyKey(u: AclUser, entry: CommandEntry, c: Client): boolean {
    if (u.permissive) return true;
    this.keysFound = -1;
    for (const s of u.selectors) {
      if (this.checkSelector(s, entry, c) !== AclResult.OK) continue;
      if ((s.flags & SEL_ALLKEYS) !== 0 || s.patterns.some((p) => (p.flags & PERM_READ) !== 0 && p.pattern === '*')) return true;
    }
    return false;
  }

  /** The command's keys, found once per check (the selectors share them). */
  private keysFound = -1;
  /** Argument position of the last selector denial. */
  private selectorPos = 0;

  /** ACLSelectorCheckCmd. */
  private checkSelector(s: Selector, entry: CommandEntry, c: Client): number {
    const cmd = this.commands.ofEntry[entry.id]!;
    if ((s.flags & SEL_ALLCOMMANDS) === 0 && !cmd.noAuth && !s.bit(cmd.id) && !firstArgAllowed(s, cmd, c)) {
      this.selectorPos = 0;
      return AclResult.CMD;
    }
    if ((s.flags & SEL_ALLKEYS) === 0 && hasKeys(entry)) {
      if (this.keysFound < 0) this.keysFound = commandKeys(entry, c);
      for (let j = 0; j < this.keysFound; j++) {
        const idx = keyPositions[j]!;
        if (!keyAllowed(s, c, idx, keyAccess[j]!)) {
          this.selectorPos = idx;
          return AclResult.KEY;
        }
      }
    }
    if ((s.flags & SEL_ALLCHANNELS) === 0 && this.channelFlags[entry.id] !== 0) {
      const last = this.channelFlags[entry.id] === 2 ? c.argc - 1 : 1;
      const isPattern = this.channelPattern[entry.id] === 1;
      for (let idx = 1; idx <= last; idx++) {
        if (!channelAllowed(s.channels, c.argBuf, c.argOff[idx]!, c.argLen[idx]!, isPattern)) {
          this.selectorPos = idx;
          return AclResult.CHANNEL;
        }
      }
    }
    return AclResult.OK;
  }

  /**
   * ACLKillPubsubClientsIfNeeded's first steps: null when the new rules cannot have revoked a
   * channel (a selector allows all, or the new channel list holds every old one), else the
   * new rules' channel patterns, against which `old`'s subscribers are then checked.
   */
  revokedChannels(newUser: AclUser, old: AclUser): ChannelPattern[] | null {
    if (newUser.selectors.some((s) => (s.flags & SEL_ALLCHANNELS) !== 0)) return null;
    const upcoming = newUser.selectors.flatMap((s) => s.channels);
    let superset = true;
    for (const s of old.selectors) {
      if ((s.flags & SEL_ALLCHANNELS) !== 0) {
        superset = false;
        break;
      }
      if (s.channels.some((c) => !upcoming.some((u) => u.pattern === c.pattern))) {
        superset = false;
        break;
      }
    }
    return superset ? null : upcoming;
  }

  /** A subscription (latin1 channel or pattern name) against revokedChannels' list. */
  static subscriptionAllowed(upcoming: ChannelPattern[], channel: string, isPattern: boolean): boolean {
    const bytes = Buffer.from(channel, 'latin1');
    return channelAllowed(upcoming, bytes, 0, bytes.length, isPattern);
  }

  // ---- the log --------------------------------------------------------------------------------

  /** addACLLogEntry. */
  addLogEntry(reason: number, context: number, object: string, username: string, now: number, clientInfo: string): void {
    const entry: AclLogEntry = { count: 1, reason, context, object, username, ctime: now, clientInfo };
    const log = this.log;
    for (let i = 0; i < log.length && i < 10; i++) {
      const e = log[i]!;
      if (e.reason === reason && e.context === context && Math.abs(e.ctime - now) <= LOG_GROUPING_MS && e.object === object && e.username === username) {
        log.splice(i, 1);
        log.unshift(e);
        e.clientInfo = clientInfo;
        e.ctime = now;
        e.count++;
        return;
      }
    }
    log.unshift(entry);
    if (log.length > this.maxLogLen) log.length = this.maxLogLen;
  }

  /** ACL GENPASS's random hex characters. */
  static genpass(chars: number): string {
    return randomBytes(Math.ceil(chars / 2)).toString('hex').slice(0, chars);
  }

  // ---- the ACL file ---------------------------------------------------------------------------

  /** ACLSaveToFile's text. */
  fileText(): string {
    let text = '';
    for (const u of this.sortedUsers()) text += `user ${u.name} ${this.describeUser(u)}\n`;
    return text;
  }

  /**
   * ACLLoadFromFile over the file's text: a new user table, or the error text (nothing is
   * changed then). `filename` is the aclfile setting, quoted in the errors.
   */
  parseFile(text: string, filename: string): Map<string, AclUser> | string {
    const users = new Map<string, AclUser>();
    let errors = '';
    const lines = text.split('\n');
    for (let i = 0; i < lines.length; i++) {
      const linenum = i + 1;
      const line = lines[i]!.replace(/^[ \t\r\n]+|[ \t\r\n]+$/g, '');
      if (line === '') continue;
      // sdssplitlen on single spaces: two spaces in a row make an empty argument.
      const argv = line.split(' ');
      if (argv[0] !== 'user' || argv.length < 2) {
        errors += `${filename}:${linenum} should start with user keyword followed by the username. `;
        continue;
      }
      if (hasSpaces(argv[1]!)) {
        errors += `'${filename}:${linenum}: username '${argv[1]}' contains invalid characters. `;
        continue;
      }
      if (users.has(argv[1]!)) {
        errors += `WARNING: Duplicate user '${argv[1]}' found on line ${linenum}. `;
        continue;
      }
      const u = this.newUser(argv[1]!);
      users.set(u.name, u);
      const merged = mergeSelectorArguments(argv.slice(2));
      if (typeof merged === 'number') {
        errors += `${filename}:${linenum}: Unmatched parenthesis in selector definition.`;
        continue;
      }
      let syntaxError = false;
      for (const raw of merged) {
        const op = raw.replace(/^[\t\r\n]+|[\t\r\n]+$/g, '');
        const err = this.setUser(u, op);
        if (err === null) continue;
        if (err === SetError.UNKNOWN) errors += `${filename}:${linenum}: Error in applying operation '${op}': ${err}. `;
        else if (!syntaxError) {
          errors += `${filename}:${linenum}: ${err}. `;
          syntaxError = true;
        }
      }
    }
    if (errors !== '') return `${errors}WARNING: ACL errors detected, no change to the previously active ACL rules was performed`;
    return users;
  }

  /**
   * Install a user table (ACL LOAD): the default user object is kept and gets the new rules
   * (or the initial ones when the file has none). Returns the users that are gone.
   */
  replaceUsers(users: Map<string, AclUser>): AclUser[] {
    const fresh = users.get('default') ?? this.createDefaultUser();
    this.defaultUser.copyFrom(fresh);
    users.set('default', this.defaultUser);
    const gone = [...this.users.values()].filter((u) => u !== this.defaultUser);
    this.users.clear();
    for (const [name, u] of users) this.users.set(name, u);
    this.updateAuthRequired();
    return gone;
  }
}

function patternString(p: KeyPattern): string {
  const prefix = p.flags === PERM_ALL ? '~' : p.flags === PERM_READ ? '%R~' : p.flags === PERM_WRITE ? '%W~' : '%~';
  return prefix + p.pattern;
}

/** C's "%s": up to the first NUL. */
function cstr(text: string): string {
  const nul = text.indexOf('\0');
  return nul < 0 ? text : text.slice(0, nul);
}

function hasKeys(entry: CommandEntry): boolean {
  return entry.meta.key_specs.length > 0 || entry.meta.first_key > 0 || (entry.flags & CommandFlag.MOVABLE_KEYS) !== 0;
}

function firstArgAllowed(s: Selector, cmd: AclCommand, c: Client): boolean {
  if (c.argc < 2 || s.firstArgs === null) return false;
  const list = s.firstArgs.get(cmd.id);
  if (list === undefined) return false;
  const idx = cmd.parent !== null ? 2 : 1;
  if (idx >= c.argc) return false;
  const arg = c.argBuf.toString('latin1', c.argOff[idx], c.argOff[idx] + c.argLen[idx]).toLowerCase();
  return list.some((a) => a.toLowerCase() === arg);
}

function keyAllowed(s: Selector, c: Client, idx: number, access: number): boolean {
  let need = 0;
  if ((access & KeyAccess.READ) !== 0) need |= PERM_READ;
  if ((access & KeyAccess.WRITE) !== 0) need |= PERM_WRITE;
  for (const p of s.patterns) {
    if ((p.flags & need) !== need) continue;
    if (globMatch(p.bytes, 0, p.bytes.length, c.argBuf, c.argOff[idx]!, c.argLen[idx]!, false)) return true;
  }
  return false;
}

function channelAllowed(list: ChannelPattern[], buf: Uint8Array, off: number, len: number, isPattern: boolean): boolean {
  for (const p of list) {
    if (isPattern) {
      if (p.bytes.length === len && Buffer.compare(p.bytes, Buffer.from(buf.buffer, buf.byteOffset + off, len)) === 0) return true;
    } else if (globMatch(p.bytes, 0, p.bytes.length, buf, off, len, false)) return true;
  }
  return false;
}

/**
 * ACLMergeSelectorArguments: a selector split over several arguments ("(+get", "~key)") is
 * joined back with spaces. The index of an unclosed "(" argument when one is left open.
 */
export function mergeSelectorArguments(argv: string[]): string[] | number {
  const out: string[] = [];
  let open = -1;
  let selector = '';
  for (let j = 0; j < argv.length; j++) {
    const op = argv[j]!;
    if (op[0] === '(' && op[op.length - 1] !== ')') {
      selector = op;
      open = j;
      continue;
    }
    if (open !== -1) {
      selector += ` ${op}`;
      if (op[op.length - 1] === ')') {
        open = -1;
        out.push(selector);
      }
      continue;
    }
    out.push(op);
  }
  return open !== -1 ? open : out;
}

/** sdssplitargs over a selector's inside: unbalanced quotes leave it empty, as in Redis. */
function splitSelectorArgs(text: string): string[] {
  return splitArgs(text) ?? [];
}
