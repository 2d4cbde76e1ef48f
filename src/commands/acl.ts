/*
 * The ACL command (Redis 7.0 acl.c aclCommand): SETUSER, GETUSER, DELUSER, LIST, USERS,
 * WHOAMI, CAT, GENPASS, LOG, LOAD, SAVE, DRYRUN, HELP, with Redis's replies and error texts.
 * The user table and its rules live in src/acl.ts; this file parses arguments, replies, and
 * disconnects the clients of users that are deleted or lose channels.
 *
 * Rule arguments are handled as latin1 text of their bytes, so binary passwords and patterns
 * round-trip unchanged.
 */
import fs from 'node:fs';
import type { Client } from '../client.ts';
import type { Registry, CommandEntry } from '../registry.ts';
import type { ServerState } from '../server-state.ts';
import { Acl, AclResult, CATEGORIES, hasSpaces, nopermText, type AclUser, type AclCommand } from '../acl.ts';
import { R_OK, E_NOT_INTEGER } from '../../protocol/replies.ts';
import { parsed } from '../numbers.ts';
import { replyHelp } from './keys.ts';
import { clientInfoLine } from './connection.ts';

function latin1(c: Client, i: number): string {
  return c.argBuf.toString('latin1', c.argOff[i], c.argOff[i] + c.argLen[i]);
}

/** C's "%s" of an argument: up to its first NUL. */
function cArg(c: Client, i: number): string {
  const text = latin1(c, i);
  const nul = text.indexOf('\0');
  return nul < 0 ? text : text.slice(0, nul);
}

/**
 * ACLFreeUserAndKillClients: the user's clients lose their authentication and are closed
 * (after this reply when one of them is running the command).
 */
export function killUserClients(server: ServerState, user: AclUser): void {
  for (const client of [...server.clients.values()]) {
    if (client.user !== user) continue;
    client.user = server.acl.defaultUser;
    client.authenticated = false;
    server.killClient(client, 'user deleted');
  }
}

/** ACLKillPubsubClientsIfNeeded: close the user's subscribers whose channels were revoked. */
function killRevokedSubscribers(server: ServerState, newUser: AclUser, old: AclUser): void {
  const upcoming = server.acl.revokedChannels(newUser, old);
  if (upcoming === null) return;
  for (const client of [...server.clients.values()]) {
    if (client.user !== old || client.subscriptionCount() === 0) continue;
    let kill = false;
    for (const p of client.patterns ?? []) if (!kill && !Acl.subscriptionAllowed(upcoming, p, true)) kill = true;
    for (const ch of client.channels ?? []) if (!kill && !Acl.subscriptionAllowed(upcoming, ch, false)) kill = true;
    for (const ch of client.shardChannels ?? []) if (!kill && !Acl.subscriptionAllowed(upcoming, ch, false)) kill = true;
    if (kill) server.killClient(client, 'ACL channel permissions revoked');
  }
}

/** After the default user changed: who may skip AUTH (authRequired), for the parser's limits too. */
export function defaultUserChanged(server: ServerState): void {
  server.acl.updateAuthRequired();
  const required = server.acl.authRequired;
  for (const client of server.clients.values()) client.parser.authenticated = client.authenticated || !required;
}

function cmdSetuser(c: Client): void {
  const server = c.server;
  const acl = server.acl;
  const username = latin1(c, 2);
  if (hasSpaces(username)) {
    c.reply.error("ERR Usernames can't contain spaces or null characters");
    return;
  }
  const rules: string[] = [];
  for (let i = 3; i < c.argc; i++) rules.push(latin1(c, i));
  const error = acl.stringSetUser(acl.users.get(username), username, rules, (n, o) => killRevokedSubscribers(server, n, o));
  if (error !== null) {
    c.reply.error(`ERR ${error.replace(/[\r\n]/g, ' ')}`);
    return;
  }
  if (username === 'default') defaultUserChanged(server);
  c.reply.raw(R_OK);
}

function cmdDeluser(c: Client): void {
  const server = c.server;
  for (let j = 2; j < c.argc; j++) {
    if (latin1(c, j) === 'default') {
      c.reply.error("ERR The 'default' user cannot be removed");
      return;
    }
  }
  let deleted = 0;
  for (let j = 2; j < c.argc; j++) {
    const name = latin1(c, j);
    const u = server.acl.users.get(name);
    if (u === undefined) continue;
    server.acl.users.delete(name);
    killUserClients(server, u);
    deleted++;
  }
  c.reply.int(deleted);
}

function replySelector(c: Client, fields: [string, string, string]): void {
  c.reply.bulkString('commands');
  c.reply.bulkLatin1(fields[0]);
  c.reply.bulkString('keys');
  c.reply.bulkLatin1(fields[1]);
  c.reply.bulkString('channels');
  c.reply.bulkLatin1(fields[2]);
}

function cmdGetuser(c: Client): void {
  const acl = c.server.acl;
  const u = acl.users.get(latin1(c, 2));
  if (u === undefined) {
    c.reply.nullBulk();
    return;
  }
  const reply = c.reply;
  reply.mapLen(6);
  reply.bulkString('flags');
  const flags = acl.userFlagNames(u);
  reply.setLen(flags.length);
  for (const f of flags) reply.bulkString(f);
  reply.bulkString('passwords');
  reply.arrayLen(u.passwords.length);
  for (const p of u.passwords) reply.bulkString(p);
  replySelector(c, acl.selectorFields(u.root));
  reply.bulkString('selectors');
  reply.arrayLen(u.selectors.length - 1);
  for (let i = 1; i < u.selectors.length; i++) {
    reply.mapLen(3);
    replySelector(c, acl.selectorFields(u.selectors[i]!));
  }
}

function cmdList(c: Client): void {
  const acl = c.server.acl;
  const users = acl.sortedUsers();
  c.reply.arrayLen(users.length);
  for (const u of users) c.reply.bulkLatin1(`user ${u.name} ${acl.describeUser(u)}`);
}

function cmdUsers(c: Client): void {
  const users = c.server.acl.sortedUsers();
  c.reply.arrayLen(users.length);
  for (const u of users) c.reply.bulkLatin1(u.name);
}

function cmdWhoami(c: Client): void {
  c.reply.bulkLatin1(c.user.name);
}

const E_NO_ACLFILE = 'ERR This Redis instance is not configured to use an ACL file. You may want to specify users via the ACL SETUSER command and then issue a CONFIG REWRITE (assuming you have a Redis configuration file set) in order to store users in the Redis configuration.';

/** ACLLoadFromFile; null on success, else the error text. */
export function loadAclFile(server: ServerState, filename: string): string | null {
  let text: string;
  try {
    text = fs.readFileSync(filename, 'latin1');
  } catch (err) {
    return `Error loading ACLs, opening file '${filename}': ${strerror(err)}`;
  }
  const users = server.acl.parseFile(text, filename);
  if (typeof users === 'string') return users;
  for (const u of server.acl.replaceUsers(users)) killUserClients(server, u);
  defaultUserChanged(server);
  return null;
}

function strerror(err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return 'No such file or directory';
  if (code === 'EACCES') return 'Permission denied';
  if (code === 'EISDIR') return 'Is a directory';
  return (err as Error).message;
}

function cmdLoad(c: Client): void {
  const filename = c.server.config.value('aclfile');
  if (filename === '') {
    c.reply.error(E_NO_ACLFILE);
    return;
  }
  const error = loadAclFile(c.server, filename);
  if (error === null) c.reply.raw(R_OK);
  else c.reply.error(`ERR ${error}`);
}

function cmdSave(c: Client): void {
  const server = c.server;
  const filename = server.config.value('aclfile');
  if (filename === '') {
    c.reply.error(E_NO_ACLFILE);
    return;
  }
  const tmp = `${filename}.tmp-${process.pid}-${Date.now()}`;
  try {
    fs.writeFileSync(tmp, Buffer.from(server.acl.fileText(), 'latin1'), { mode: 0o644 });
    fs.renameSync(tmp, filename);
  } catch (err) {
    server.logger.warn({ err }, 'ACL SAVE failed');
    try {
      fs.unlinkSync(tmp);
    } catch {
      // the temporary file was never created
    }
    c.reply.error('ERR There was an error trying to save the ACLs. Please check the server logs for more information');
    return;
  }
  c.reply.raw(R_OK);
}

function catCommands(c: Client, list: readonly AclCommand[], bit: number, out: string[]): void {
  for (const cmd of list) {
    if ((cmd.categories & bit) !== 0) out.push(cmd.fullName);
    if (cmd.subs.length > 0) catCommands(c, cmd.subs, bit, out);
  }
}

function cmdCat(c: Client): void {
  if (c.argc === 2) {
    c.reply.arrayLen(CATEGORIES.length);
    for (const name of CATEGORIES) c.reply.bulkString(name);
    return;
  }
  if (c.argc !== 3) {
    syntaxError(c);
    return;
  }
  const name = cArg(c, 2).toLowerCase();
  const i = CATEGORIES.indexOf(name as (typeof CATEGORIES)[number]);
  if (i < 0) {
    c.reply.error(`ERR Unknown category '${cArg(c, 2).slice(0, 128)}'`);
    return;
  }
  const out: string[] = [];
  catCommands(c, c.server.acl.commands.top, 1 << i, out);
  c.reply.arrayLen(out.length);
  for (const n of out) c.reply.bulkString(n);
}

function cmdGenpass(c: Client): void {
  if (c.argc > 3) {
    syntaxError(c);
    return;
  }
  let bits = 256;
  if (c.argc === 3) {
    if (!c.argInt64(2) || parsed.isBig) {
      c.reply.raw(E_NOT_INTEGER);
      return;
    }
    bits = parsed.num;
  }
  if (bits <= 0 || bits > 4096) {
    c.reply.error('ERR ACL GENPASS argument must be the number of bits for the output password, a positive number up to 4096');
    return;
  }
  c.reply.bulkString(Acl.genpass(Math.floor((bits + 3) / 4)));
}

const REASONS = ['unknown', 'command', 'key', 'auth', 'channel'];
const CONTEXTS = ['toplevel', 'lua', 'multi', 'module'];

function cmdLog(c: Client): void {
  if (c.argc > 3) {
    syntaxError(c);
    return;
  }
  const acl = c.server.acl;
  let count = 10;
  if (c.argc === 3) {
    if (c.argIs(2, 'reset')) {
      acl.log = [];
      c.reply.raw(R_OK);
      return;
    }
    // Any long long, as Redis's getLongFromObjectOrReply (ACL LOG 9223372036854775807 lists all).
    if (!c.argInt64(2)) {
      c.reply.raw(E_NOT_INTEGER);
      return;
    }
    count = parsed.isBig ? (parsed.big < 0n ? 0 : acl.log.length) : Math.max(0, parsed.num);
  }
  count = Math.min(count, acl.log.length);
  const now = Date.now();
  c.reply.arrayLen(count);
  for (let i = 0; i < count; i++) {
    const e = acl.log[i]!;
    const reply = c.reply;
    reply.mapLen(7);
    reply.bulkString('count');
    reply.int(e.count);
    reply.bulkString('reason');
    reply.bulkString(REASONS[e.reason] ?? 'unknown');
    reply.bulkString('context');
    reply.bulkString(CONTEXTS[e.context] ?? 'unknown');
    reply.bulkString('object');
    reply.bulkLatin1(e.object);
    reply.bulkString('username');
    reply.bulkLatin1(e.username);
    reply.bulkString('age-seconds');
    reply.double((now - e.ctime) / 1000);
    reply.bulkString('client-info');
    reply.bulkLatin1(e.clientInfo);
  }
}

function cmdDryrun(c: Client): void {
  const server = c.server;
  const u = server.acl.users.get(latin1(c, 2));
  if (u === undefined) {
    c.reply.error(`ERR User '${cArg(c, 2)}' not found`);
    return;
  }
  let cmd = server.registry.lookup(c.argBuf, c.argOff[3], c.argLen[3]);
  if (cmd !== undefined && cmd.subcommands !== null && c.argc > 4) cmd = cmd.subcommands.get(latin1(c, 4).toLowerCase());
  if (cmd === undefined) {
    c.reply.error(`ERR Command '${cArg(c, 3)}' not found`);
    return;
  }
  const argc = c.argc - 3;
  if ((cmd.arity > 0 && cmd.arity !== argc) || argc < -cmd.arity) {
    c.reply.error(`ERR wrong number of arguments for '${cmd.fullName}' command`);
    return;
  }
  // Check the command as if its arguments started at argv[0]: shift the view by 3.
  const { argOff, argLen } = c;
  c.argOff = argOff.subarray(3);
  c.argLen = argLen.subarray(3);
  c.argc = argc;
  const result = server.acl.check(u, cmd, c);
  c.argOff = argOff;
  c.argLen = argLen;
  c.argc = argc + 3;
  if (result === AclResult.OK) {
    c.reply.raw(R_OK);
    return;
  }
  const idx = server.acl.errorPos + 3;
  if (result === AclResult.CMD) c.reply.bulkLatin1(`This user has no permissions to run the '${cmd.fullName}' command`);
  else if (result === AclResult.KEY) c.reply.bulkLatin1(`This user has no permissions to access the '${cArg(c, idx)}' key`);
  else c.reply.bulkLatin1(`This user has no permissions to access the '${cArg(c, idx)}' channel`);
}

function syntaxError(c: Client): void {
  c.reply.error(`ERR unknown subcommand or wrong number of arguments for '${cArg(c, 1).slice(0, 128)}'. Try ACL HELP.`);
}

const ACL_HELP = [
  'ACL <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
  'CAT [<category>]',
  '    List all commands that belong to <category>, or all command categories',
  '    when no category is specified.',
  'DELUSER <username> [<username> ...]',
  '    Delete a list of users.',
  'DRYRUN <username> <command> [<arg> ...]',
  '    Returns whether the user can execute the given command without executing the command.',
  'GETUSER <username>',
  "    Get the user's details.",
  'GENPASS [<bits>]',
  '    Generate a secure 256-bit user password. The optional `bits` argument can',
  '    be used to specify a different size.',
  'LIST',
  '    Show users details in config file format.',
  'LOAD',
  '    Reload users from the ACL file.',
  'LOG [<count> | RESET]',
  '    Show the ACL log entries.',
  'SAVE',
  '    Save the current config to the ACL file.',
  'SETUSER <username> <attribute> [<attribute> ...]',
  '    Create or modify a user with the specified attributes.',
  'USERS',
  '    List all the registered usernames.',
  'WHOAMI',
  '    Return the current connection username.',
  'HELP',
  '    Prints this help.',
];

/** The client-info of an ACL LOG entry (catClientInfoString of the real client). */
function logClientInfo(c: Client): string {
  return clientInfoLine(c, c.server.clock.now);
}

export function registerAclCommands(registry: Registry): void {
  registry.add('acl', null);
  registry.add('acl|setuser', cmdSetuser);
  registry.add('acl|getuser', cmdGetuser);
  registry.add('acl|deluser', cmdDeluser);
  registry.add('acl|list', cmdList);
  registry.add('acl|users', cmdUsers);
  registry.add('acl|whoami', cmdWhoami);
  registry.add('acl|cat', cmdCat);
  registry.add('acl|genpass', cmdGenpass);
  registry.add('acl|log', cmdLog);
  registry.add('acl|load', cmdLoad);
  registry.add('acl|save', cmdSave);
  registry.add('acl|dryrun', cmdDryrun);
  registry.add('acl|help', (c) => replyHelp(c, ACL_HELP));
}

/**
 * The ACL check of a command about to run (processCommand, EXEC, scripts): null when the
 * client's user may run it; else the denial is logged in the ACL LOG (in `context`, with the
 * client info of `logAs`: the script's caller for a script, the client itself at EXEC, and
 * when null the client as processCommand left it), its AclResult is left in
 * `lastDenial`, and processCommand's -NOPERM text is returned.
 */
export function aclDenial(c: Client, cmd: CommandEntry, context: number, logAs: Client | null = null): string | null {
  const acl = c.server.acl;
  const result = acl.check(c.user, cmd, c);
  if (result === AclResult.OK) return null;
  // processCommand has already made the command the client's last one (CLIENT INFO cmd=).
  if (logAs === null) {
    c.lastCommand = cmd;
    logAs = c;
  }
  lastDenial.result = result;
  const object = result === AclResult.CMD ? cmd.fullName : latin1(c, acl.errorPos);
  acl.addLogEntry(result, context, object, c.user.name, Date.now(), logClientInfo(logAs));
  return nopermText(result, cmd);
}

/** The AclResult of the last denial aclDenial reported. */
export const lastDenial = { result: 0 };
