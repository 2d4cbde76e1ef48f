/*
 * Connection commands (Redis 7.0 networking.c / server.c / acl.c semantics): PING, ECHO,
 * QUIT, RESET, HELLO, AUTH, SELECT and the CLIENT subcommands. AUTH and HELLO AUTH check
 * the ACL users (src/acl.ts); requirepass is the default user's password.
 */
import type { Client } from '../client.ts';
import { discardTransaction } from '../transactions.ts';
import { TrackingOption } from '../tracking.ts';
import { PauseType } from '../pause.ts';
import type { Registry } from '../registry.ts';
import type { ServerState } from '../server-state.ts';
import { R_OK, R_ONE, R_ZERO, R_PONG, E_SYNTAX, E_WRONGPASS, E_NOT_INTEGER } from '../../protocol/replies.ts';
import { parsed } from '../numbers.ts';
import { replyHelp } from './keys.ts';
import { AclContext, AclResult } from '../acl.ts';
import type { CommandMeta } from './command-meta.ts';

export const REDIS_COMPAT_VERSION = '7.0.15';

function cmdPing(c: Client): void {
  if (c.argc > 2) {
    c.reply.error(`ERR wrong number of arguments for 'ping' command`);
    return;
  }
  if (c.resp === 2 && c.subscriptionCount() > 0) {
    // In RESP2 subscribed mode PING answers as a message: ["pong", message or ""].
    c.reply.arrayLen(2);
    c.reply.raw(R_PONG_BULK);
    if (c.argc === 1) c.reply.bulkLatin1('');
    else c.reply.bulk(c.argBuf, c.argOff[1], c.argLen[1]);
    return;
  }
  if (c.argc === 1) c.reply.raw(R_PONG);
  else c.reply.bulk(c.argBuf, c.argOff[1], c.argLen[1]);
}

const R_PONG_BULK = Buffer.from('$4\r\npong\r\n');

function cmdEcho(c: Client): void {
  c.reply.bulk(c.argBuf, c.argOff[1], c.argLen[1]);
}

function cmdQuit(c: Client): void {
  c.reply.raw(R_OK);
  c.endAfterReply();
}

function cmdReset(c: Client): void {
  c.server.metrics.monitors.delete(c);
  if (c.tracking !== null) {
    c.server.tracking.disable(c);
    c.server.events.updateRemovalHook();
  }
  discardTransaction(c);
  c.server.pubsub.forget(c);
  c.db = 0;
  c.resp = 2;
  c.reply.resp = 2;
  c.noEvict = false;
  c.noTouch = false;
  c.replyOff = false;
  c.skipNextReply = false;
  c.name = '';
  // clientSetDefaultAuth
  c.user = c.server.acl.defaultUser;
  setAuthenticated(c, !c.server.acl.authRequired);
  c.reply.simple('RESET');
}

function setAuthenticated(c: Client, authenticated: boolean): void {
  c.authenticated = authenticated;
  c.parser.authenticated = authenticated || !c.server.acl.authRequired;
}

/** ACLAuthenticateUser: on success the client runs as the user; a failure goes to the ACL LOG. */
function authenticate(c: Client, user: string, password: Buffer): boolean {
  const acl = c.server.acl;
  if (acl.checkCredentials(user, password)) {
    c.user = acl.users.get(user)!;
    setAuthenticated(c, true);
    return true;
  }
  acl.addLogEntry(AclResult.AUTH, c.multi !== null ? AclContext.MULTI : AclContext.TOPLEVEL, c.argString(0), user, Date.now(), clientInfoLine(c, c.server.clock.now));
  return false;
}

function latin1(c: Client, i: number): string {
  return c.argBuf.toString('latin1', c.argOff[i], c.argOff[i] + c.argLen[i]);
}

function argBytes(c: Client, i: number): Buffer {
  return c.argBuf.subarray(c.argOff[i], c.argOff[i] + c.argLen[i]);
}

function cmdAuth(c: Client): void {
  if (c.argc > 3) {
    c.reply.raw(E_SYNTAX);
    return;
  }
  let user = 'default';
  let passwordArg = 1;
  if (c.argc === 2) {
    if (c.server.acl.defaultUser.nopass) {
      c.reply.error('ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?');
      return;
    }
  } else {
    user = latin1(c, 1);
    passwordArg = 2;
  }
  if (authenticate(c, user, argBytes(c, passwordArg))) {
    c.reply.raw(R_OK);
  } else {
    c.reply.raw(E_WRONGPASS);
  }
}

/** validateClientName: printable ASCII without spaces. */
function validClientName(name: Buffer): boolean {
  for (let i = 0; i < name.length; i++) if (name[i] < 33 || name[i] > 126) return false;
  return true;
}

const E_CLIENT_NAME = 'ERR Client names cannot contain spaces, newlines or special characters.';

function cmdHello(c: Client): void {
  let version = 0;
  let next = 1;
  if (c.argc >= 2) {
    if (!c.argInt64(next++)) {
      c.reply.error('ERR Protocol version is not an integer or out of range');
      return;
    }
    version = parsed.isBig ? 0 : parsed.num;
    if (parsed.isBig || version < 2 || version > 3) {
      c.reply.error('NOPROTO unsupported protocol version');
      return;
    }
  }
  let user: string | null = null;
  let password: Buffer | null = null;
  let name: Buffer | null = null;
  for (let j = next; j < c.argc; j++) {
    const more = c.argc - 1 - j;
    if (c.argIs(j, 'auth') && more >= 2) {
      user = latin1(c, j + 1);
      password = argBytes(c, j + 2);
      j += 2;
    } else if (c.argIs(j, 'setname') && more >= 1) {
      name = argBytes(c, j + 1);
      if (!validClientName(name)) {
        c.reply.error(E_CLIENT_NAME);
        return;
      }
      j++;
    } else {
      c.reply.error(`ERR Syntax error in HELLO option '${c.argString(j)}'`);
      return;
    }
  }
  if (user !== null && password !== null) {
    if (!authenticate(c, user, password)) {
      c.reply.raw(E_WRONGPASS);
      return;
    }
  }
  if (!c.authenticated) {
    c.reply.error('NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time');
    return;
  }
  if (name !== null) c.name = name.toString('latin1');
  if (version !== 0) {
    c.resp = version as 2 | 3;
    c.reply.resp = c.resp;
  }
  const reply = c.reply;
  reply.mapLen(7);
  reply.bulkString('server');
  reply.bulkString('redis');
  reply.bulkString('version');
  reply.bulkString(REDIS_COMPAT_VERSION);
  reply.bulkString('proto');
  reply.int(c.resp);
  reply.bulkString('id');
  reply.int(c.id);
  reply.bulkString('mode');
  reply.bulkString('standalone');
  reply.bulkString('role');
  reply.bulkString('master');
  reply.bulkString('modules');
  reply.arrayLen(0);
}

function cmdSelect(c: Client): void {
  if (!c.argIntOrReply(1, null)) return;
  const db = parsed.num;
  if (db < 0 || db >= c.store.databases) {
    c.reply.error('ERR DB index is out of range');
    return;
  }
  c.db = db;
  c.reply.raw(R_OK);
}

function cmdClientId(c: Client): void {
  c.reply.int(c.id);
}

function cmdClientSetname(c: Client): void {
  const name = argBytes(c, 2);
  if (!validClientName(name)) {
    c.reply.error(E_CLIENT_NAME);
    return;
  }
  c.name = name.toString('latin1');
  c.reply.raw(R_OK);
}

function cmdClientGetname(c: Client): void {
  if (c.name === '') c.reply.nullBulk();
  else c.reply.bulkString(c.name);
}

function cmdClientSetinfo(c: Client): void {
  const value = argBytes(c, 3);
  for (let i = 0; i < value.length; i++) {
    if (value[i] < 33 || value[i] > 126) {
      c.reply.error(`ERR ${c.argString(2).toLowerCase() === 'lib-name' ? 'lib-name' : 'lib-ver'} cannot contain spaces, newlines or special characters.`);
      return;
    }
  }
  if (c.argIs(2, 'lib-name')) c.libName = value.toString('latin1');
  else if (c.argIs(2, 'lib-ver')) c.libVersion = value.toString('latin1');
  else {
    c.reply.error(`ERR Unrecognized option '${c.argString(2)}'`);
    return;
  }
  c.reply.raw(R_OK);
}

/** getClientType: 'pubsub' while subscribed, else 'normal' (no replication here; a monitor is normal). */
function clientType(c: Client): string {
  return c.subscriptionCount() > 0 ? 'pubsub' : 'normal';
}

/** One CLIENT LIST / CLIENT INFO line, with Redis 7.0's fields. */
export function clientInfoLine(c: Client, now: number): string {
  const st = c.tracking;
  const flags = (c.server.metrics.monitors.has(c) ? 'O' : '') + (c.subscriptionCount() > 0 ? 'P' : '') + (c.multi !== null ? 'x' : '') +
    (c.blocked !== null || c.postponed !== null ? 'b' : '') + (st !== null ? 't' : '') + (st !== null && st.brokenRedirect ? 'R' : '') + (st !== null && st.bcast ? 'B' : '') +
    (c.casDirty ? 'd' : '') + (c.noEvict ? 'e' : '') + (c.noTouch ? 'T' : '') || 'N';
  let multiMem = 0;
  if (c.multi !== null) for (const q of c.multi) multiMem += q.bytes;
  const qbuf = c.queryBufferBytes();
  const qbufFree = Math.max(0, c.parser.bufferCapacity() - qbuf);
  const cmd = c.lastCommand === null ? 'NULL' : c.lastCommand.fullName;
  const omem = c.outputBytes();
  return `id=${c.id} addr=${c.addr} laddr=${c.laddr} fd=${(c.socket as unknown as { _handle?: { fd?: number } })._handle?.fd ?? -1} name=${c.name}` +
    ` age=${Math.floor((now - c.createdAt) / 1000)} idle=${Math.floor((now - c.lastInteraction) / 1000)} flags=${flags}` +
    ` db=${c.db} sub=${c.channels?.size ?? 0} psub=${c.patterns?.size ?? 0} ssub=${c.shardChannels?.size ?? 0} multi=${c.multi === null ? -1 : c.multi.length} qbuf=${qbuf} qbuf-free=${qbufFree} argv-mem=0 multi-mem=${multiMem} rbs=0 rbp=0` +
    ` obl=0 oll=0 omem=${omem} tot-mem=${c.memoryBytes()} events=r cmd=${cmd} user=${c.user.name} redir=${st === null ? -1 : st.redirect} resp=${c.resp}` +
    (c.libName || c.libVersion ? ` lib-name=${c.libName} lib-ver=${c.libVersion}` : '');
}

function cmdClientInfo(c: Client): void {
  c.reply.verbatim(clientInfoLine(c, c.server.clock.now) + '\n', 'txt');
}

function cmdClientList(c: Client): void {
  let ids: Set<number> | null = null;
  let type: string | null = null;
  for (let j = 2; j < c.argc; j++) {
    if (c.argIs(j, 'type') && j + 1 < c.argc) {
      type = c.argLower(j + 1);
      if (!['normal', 'master', 'replica', 'slave', 'pubsub'].includes(type)) {
        c.reply.error(`ERR Unknown client type '${c.argString(j + 1)}'`);
        return;
      }
      j++;
    } else if (c.argIs(j, 'id') && j + 1 < c.argc) {
      ids = new Set();
      for (j = j + 1; j < c.argc; j++) {
        if (!c.argInt64(j) || parsed.isBig || parsed.num <= 0) {
          c.reply.error('ERR Invalid client ID');
          return;
        }
        ids.add(parsed.num);
      }
    } else {
      c.reply.raw(E_SYNTAX);
      return;
    }
  }
  let text = '';
  const now = c.server.clock.now;
  for (const client of c.server.clients.values()) {
    if (ids !== null && !ids.has(client.id)) continue;
    if (type !== null && clientType(client) !== type) continue;
    text += clientInfoLine(client, now) + '\n';
  }
  c.reply.verbatim(text, 'txt');
}

function cmdClientKill(c: Client): void {
  const server = c.server;
  if (c.argc === 3) {
    const addr = c.argString(2);
    for (const client of server.clients.values()) {
      if (client.addr === addr) {
        server.killClient(client, 'CLIENT KILL');
        c.reply.raw(R_OK);
        return;
      }
    }
    c.reply.error('ERR No such client');
    return;
  }
  let id = 0;
  let addr: string | null = null;
  let laddr: string | null = null;
  let user: string | null = null;
  let type: string | null = null;
  let skipMe = true;
  for (let j = 2; j < c.argc; j += 2) {
    if (j + 1 >= c.argc) {
      c.reply.raw(E_SYNTAX);
      return;
    }
    if (c.argIs(j, 'id')) {
      if (!c.argInt64(j + 1) || parsed.isBig || parsed.num <= 0) {
        c.reply.error('ERR client-id should be greater than 0');
        return;
      }
      id = parsed.num;
    } else if (c.argIs(j, 'type')) {
      type = c.argLower(j + 1);
      if (!['normal', 'master', 'replica', 'slave', 'pubsub'].includes(type)) {
        c.reply.error(`ERR Unknown client type '${c.argString(j + 1)}'`);
        return;
      }
    } else if (c.argIs(j, 'addr')) {
      addr = c.argString(j + 1);
    } else if (c.argIs(j, 'laddr')) {
      laddr = c.argString(j + 1);
    } else if (c.argIs(j, 'user')) {
      user = latin1(c, j + 1);
      if (!server.acl.users.has(user)) {
        c.reply.error(`ERR No such user '${user}'`);
        return;
      }
    } else if (c.argIs(j, 'skipme')) {
      if (c.argIs(j + 1, 'yes')) skipMe = true;
      else if (c.argIs(j + 1, 'no')) skipMe = false;
      else {
        c.reply.raw(E_SYNTAX);
        return;
      }
    } else {
      c.reply.raw(E_SYNTAX);
      return;
    }
  }
  let killed = 0;
  for (const client of [...server.clients.values()]) {
    if (id !== 0 && client.id !== id) continue;
    if (addr !== null && client.addr !== addr) continue;
    if (laddr !== null && client.laddr !== laddr) continue;
    if (user !== null && client.user.name !== user) continue;
    if (type !== null && clientType(client) !== type) continue;
    if (client === c && skipMe) continue;
    server.killClient(client, 'CLIENT KILL');
    killed++;
  }
  c.reply.int(killed);
}

/** CLIENT PAUSE timeout [WRITE|ALL]: timeout in milliseconds. */
function cmdClientPause(c: Client): void {
  let type: number = PauseType.ALL;
  if (c.argc === 4) {
    if (c.argIs(3, 'write')) type = PauseType.WRITE;
    else if (!c.argIs(3, 'all')) {
      c.reply.error('ERR CLIENT PAUSE mode must be WRITE or ALL');
      return;
    }
  } else if (c.argc !== 3) {
    c.reply.error(`ERR unknown subcommand or wrong number of arguments for '${c.argString(1)}'. Try CLIENT HELP.`);
    return;
  }
  if (!c.argInt64(2) || parsed.isBig) {
    c.reply.error('ERR timeout is not an integer or out of range');
    return;
  }
  if (parsed.num < 0) {
    c.reply.error('ERR timeout is negative');
    return;
  }
  const end = parsed.num > 0 ? Date.now() + parsed.num : 0;
  c.server.pause.pause(end, type);
  c.reply.raw(R_OK);
}

/** CLIENT TRACKING on|off [REDIRECT id] [PREFIX p ...] [BCAST] [OPTIN] [OPTOUT] [NOLOOP] (networking.c). */
function cmdClientTracking(c: Client): void {
  let redirect = 0;
  let options = 0;
  const prefixes: string[] = [];
  for (let j = 3; j < c.argc; j++) {
    const more = c.argc - 1 - j;
    if (c.argIs(j, 'redirect') && more > 0) {
      j++;
      if (redirect !== 0) {
        c.reply.error('ERR A client can only redirect to a single other client');
        return;
      }
      if (!c.argInt64(j) || parsed.isBig) {
        c.reply.raw(E_NOT_INTEGER);
        return;
      }
      redirect = parsed.num;
      const target = c.server.clients.get(redirect);
      if (target === undefined || target.closed) {
        c.reply.error('ERR The client ID you want redirect to does not exist');
        return;
      }
    } else if (c.argIs(j, 'bcast')) options |= TrackingOption.BCAST;
    else if (c.argIs(j, 'optin')) options |= TrackingOption.OPTIN;
    else if (c.argIs(j, 'optout')) options |= TrackingOption.OPTOUT;
    else if (c.argIs(j, 'noloop')) options |= TrackingOption.NOLOOP;
    else if (c.argIs(j, 'prefix') && more > 0) {
      j++;
      prefixes.push(c.argBuf.toString('latin1', c.argOff[j], c.argOff[j] + c.argLen[j]));
    } else {
      c.reply.raw(E_SYNTAX);
      return;
    }
  }
  const tracking = c.server.tracking;
  if (c.argIs(2, 'on')) {
    const bcast = (options & TrackingOption.BCAST) !== 0;
    const optin = (options & TrackingOption.OPTIN) !== 0;
    const optout = (options & TrackingOption.OPTOUT) !== 0;
    const st = c.tracking;
    if (!bcast && prefixes.length > 0) return void c.reply.error('ERR PREFIX option requires BCAST mode to be enabled');
    if (st !== null && st.bcast !== bcast) {
      return void c.reply.error('ERR You can\'t switch BCAST mode on/off before disabling tracking for this client, and then re-enabling it with a different mode.');
    }
    if (bcast && (optin || optout)) return void c.reply.error('ERR OPTIN and OPTOUT are not compatible with BCAST');
    if (optin && optout) return void c.reply.error('ERR You can\'t specify both OPTIN mode and OPTOUT mode');
    if (st !== null && ((optin && st.optout) || (optout && st.optin))) {
      return void c.reply.error('ERR You can\'t switch OPTIN/OPTOUT mode before disabling tracking for this client, and then re-enabling it with a different mode.');
    }
    if (bcast && !prefixesDisjointOrReply(c, prefixes)) return;
    tracking.enable(c, redirect, options, prefixes);
  } else if (c.argIs(2, 'off')) {
    tracking.disable(c);
  } else {
    c.reply.raw(E_SYNTAX);
    return;
  }
  c.server.events.updateRemovalHook();
  c.reply.raw(R_OK);
}

/** checkPrefixCollisionsOrReply: no new prefix may be a prefix of another, old or new. */
function prefixesDisjointOrReply(c: Client, prefixes: readonly string[]): boolean {
  const overlap = (a: string, b: string) => a.startsWith(b) || b.startsWith(a);
  for (let i = 0; i < prefixes.length; i++) {
    for (const existing of [...(c.tracking?.prefixes ?? [])].sort()) {
      if (overlap(existing, prefixes[i])) {
        c.reply.error(`ERR Prefix '${prefixes[i]}' overlaps with an existing prefix '${existing}'. Prefixes for a single client must not overlap.`);
        return false;
      }
    }
    for (let j = i + 1; j < prefixes.length; j++) {
      if (overlap(prefixes[i], prefixes[j])) {
        c.reply.error(`ERR Prefix '${prefixes[i]}' overlaps with another provided prefix '${prefixes[j]}'. Prefixes for a single client must not overlap.`);
        return false;
      }
    }
  }
  return true;
}

function cmdClientCaching(c: Client): void {
  const st = c.tracking;
  if (st === null) {
    c.reply.error('ERR CLIENT CACHING can be called only when the client is in tracking mode with OPTIN or OPTOUT mode enabled');
    return;
  }
  if (c.argIs(2, 'yes')) {
    if (!st.optin) return void c.reply.error('ERR CLIENT CACHING YES is only valid when tracking is enabled in OPTIN mode.');
  } else if (c.argIs(2, 'no')) {
    if (!st.optout) return void c.reply.error('ERR CLIENT CACHING NO is only valid when tracking is enabled in OPTOUT mode.');
  } else {
    c.reply.raw(E_SYNTAX);
    return;
  }
  st.caching = true;
  c.reply.raw(R_OK);
}

function cmdClientGetredir(c: Client): void {
  c.reply.int(c.tracking === null ? -1 : c.tracking.redirect);
}

function cmdClientTrackinginfo(c: Client): void {
  const st = c.tracking;
  const flags = [st === null ? 'off' : 'on'];
  if (st !== null) {
    if (st.bcast) flags.push('bcast');
    if (st.optin) flags.push('optin');
    if (st.optin && st.caching) flags.push('caching-yes');
    if (st.optout) flags.push('optout');
    if (st.optout && st.caching) flags.push('caching-no');
    if (st.noloop) flags.push('noloop');
    if (st.brokenRedirect) flags.push('broken_redirect');
  }
  const r = c.reply;
  r.mapLen(3);
  r.bulkString('flags');
  r.setLen(flags.length);
  for (const f of flags) r.bulkString(f);
  r.bulkString('redirect');
  r.int(st === null ? -1 : st.redirect);
  r.bulkString('prefixes');
  const prefixes = st?.prefixes === null || st === null ? [] : [...st.prefixes].sort();
  r.arrayLen(prefixes.length);
  for (const p of prefixes) r.bulkLatin1(p);
}

function onOffArgument(c: Client, i: number): boolean | null {
  if (c.argIs(i, 'on')) return true;
  if (c.argIs(i, 'off')) return false;
  c.reply.raw(E_SYNTAX);
  return null;
}

function cmdClientNoEvict(c: Client): void {
  const on = onOffArgument(c, 2);
  if (on === null) return;
  c.noEvict = on;
  if (c.server.clientEviction.limit !== 0) c.server.clientEviction.update(c);
  c.reply.raw(R_OK);
}

function cmdClientNoTouch(c: Client): void {
  const on = onOffArgument(c, 2);
  if (on === null) return;
  c.noTouch = on;
  c.reply.raw(R_OK);
}

/** ON replies OK; OFF and SKIP reply nothing (their own reply would be dropped anyway). */
function cmdClientReply(c: Client): void {
  if (c.argIs(2, 'on')) {
    c.replyOff = false;
    c.skipCurrentReply = false;
    c.reply.raw(R_OK);
  } else if (c.argIs(2, 'off')) {
    c.replyOff = true;
  } else if (c.argIs(2, 'skip')) {
    if (!c.replyOff) c.skipNextReply = true;
  } else {
    c.reply.raw(E_SYNTAX);
  }
}

/** CLIENT UNBLOCK <id> [TIMEOUT|ERROR]: release a client blocked in BLPOP & co. (blocking.ts). */
function cmdClientUnblock(c: Client): void {
  if (c.argc > 4) {
    c.reply.error(`ERR unknown subcommand or wrong number of arguments for '${c.argString(1)}'. Try ${c.argString(0).toUpperCase()} HELP.`);
    return;
  }
  let error = false;
  if (c.argc === 4) {
    if (c.argIs(3, 'error')) error = true;
    else if (!c.argIs(3, 'timeout')) {
      c.reply.error('ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR');
      return;
    }
  }
  if (!c.argInt64(2)) {
    c.reply.raw(E_NOT_INTEGER);
    return;
  }
  const target = parsed.isBig ? undefined : c.server.clients.get(parsed.num);
  c.reply.raw(target !== undefined && c.server.blocking.release(target, error) ? R_ONE : R_ZERO);
}

const CLIENT_HELP = [
  'CLIENT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
  'GETNAME',
  '    Return the name of the current connection.',
  'ID',
  '    Return the ID of the current connection.',
  'INFO',
  '    Return information about the current client connection.',
  'KILL <ip:port>',
  '    Kill connection made from <ip:port>.',
  'KILL <option> <value> [<option> <value> [...]]',
  '    Kill connections. Options are:',
  '    * ADDR (<ip:port>|<unixsocket>:0)',
  '      Kill connections made from the specified address',
  '    * LADDR (<ip:port>|<unixsocket>:0)',
  '      Kill connections made to specified local address',
  '    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)',
  '      Kill connections by type.',
  '    * USER <username>',
  '      Kill connections authenticated by <username>.',
  '    * SKIPME (YES|NO)',
  '      Skip killing current connection (default: yes).',
  'LIST [options ...]',
  '    Return information about client connections. Options:',
  '    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)',
  '      Return clients of specified type.',
  'REPLY (ON|OFF|SKIP)',
  '    Control the replies sent to the current connection.',
  'SETNAME <name>',
  '    Assign the name <name> to the current connection.',
  'UNBLOCK <clientid> [TIMEOUT|ERROR]',
  '    Unblock the specified blocked client.',
  'SETINFO <LIB-NAME|LIB-VER> <value>',
  '    Set client library name or version.',
  'NO-EVICT (ON|OFF)',
  '    Protect current client connection from eviction.',
  'NO-TOUCH (ON|OFF)',
  '    Will not touch LRU/LFU stats when this mode is on.',
  'HELP',
  '    Prints this help.',
];

/** Metadata of a CLIENT subcommand Redis added after 7.0 (as Redis 7.2 describes it). */
function newerClientSubcommand(name: string, arity: number, summary: string, args: CommandMeta['docs']['arguments']): CommandMeta {
  return {
    name: `client|${name}`,
    arity,
    flags: ['noscript', 'loading', 'stale'],
    first_key: 0,
    last_key: 0,
    step: 0,
    acl_categories: ['slow', 'connection'],
    tips: [],
    key_specs: [],
    subcommands: [],
    docs: { summary, since: '7.2.0', group: 'connection', complexity: 'O(1)', arguments: args },
  };
}

export function registerConnectionCommands(registry: Registry): void {
  registry.add('ping', cmdPing);
  registry.add('echo', cmdEcho);
  registry.add('quit', cmdQuit);
  registry.add('reset', cmdReset);
  registry.add('hello', cmdHello);
  registry.add('auth', cmdAuth);
  registry.add('select', cmdSelect);
  registry.add('client', null);
  registry.add('client|id', cmdClientId);
  registry.add('client|setname', cmdClientSetname);
  registry.add('client|getname', cmdClientGetname);
  registry.add('client|setinfo', cmdClientSetinfo, newerClientSubcommand('setinfo', 4, 'Sets information specific to the client or connection.', [
    { name: 'attr', type: 'oneof', arguments: [{ name: 'libname', type: 'string', token: 'LIB-NAME' }, { name: 'libver', type: 'string', token: 'LIB-VER' }] },
  ]));
  registry.add('client|info', cmdClientInfo);
  registry.add('client|list', cmdClientList);
  registry.add('client|kill', cmdClientKill);
  registry.add('client|no-evict', cmdClientNoEvict);
  registry.add('client|no-touch', cmdClientNoTouch, newerClientSubcommand('no-touch', 3, 'Controls whether commands sent by the client affect the LRU/LFU of accessed keys.', [
    { name: 'enabled', type: 'oneof', arguments: [{ name: 'on', type: 'pure-token', token: 'ON' }, { name: 'off', type: 'pure-token', token: 'OFF' }] },
  ]));
  registry.add('client|reply', cmdClientReply);
  registry.add('client|unblock', cmdClientUnblock);
  registry.add('client|tracking', cmdClientTracking);
  registry.add('client|pause', cmdClientPause);
  registry.add('client|unpause', (c) => {
    c.server.pause.unpause();
    c.reply.raw(R_OK);
  });
  registry.add('client|caching', cmdClientCaching);
  registry.add('client|getredir', cmdClientGetredir);
  registry.add('client|trackinginfo', cmdClientTrackinginfo);
  registry.add('client|help', (c) => replyHelp(c, CLIENT_HELP));
}
