/*
 * MULTI, EXEC, DISCARD, WATCH, UNWATCH (Redis 7.0 multi.c). Queuing itself is a generic check
 * in connection.ts; the state and WATCH's registry are in transactions.ts.
 *
 * EXEC runs the queued commands one after the other through the same call path as any command
 * (stats, SLOWLOG, MONITOR, keyspace signals), with blocking denied (a BLPOP answers as if timed
 * out), and restores the EXEC's own arguments afterwards. Nothing else can run in between on
 * this single thread; clients blocked on keys the transaction fed are served after it.
 */
import { E_EXECABORT, R_OK } from '../../protocol/replies.ts';
import type { Client } from '../client.ts';
import { AclContext, execNopermText } from '../acl.ts';
import { aclDenial, lastDenial } from './acl.ts';
import type { Registry } from '../registry.ts';
import { TransactionArguments, discardTransaction } from '../transactions.ts';

function cmdMulti(c: Client): void {
  if (c.multi !== null) {
    c.reply.error('ERR MULTI calls can not be nested');
    return;
  }
  c.multi = (c.transactionArgs ??= new TransactionArguments()).commands;
  c.multiFlags = 0;
  c.reply.raw(R_OK);
}

function cmdDiscard(c: Client): void {
  if (c.multi === null) {
    c.reply.error('ERR DISCARD without MULTI');
    return;
  }
  discardTransaction(c);
  c.reply.raw(R_OK);
}

function cmdExec(c: Client): void {
  const queued = c.multi;
  if (queued === null) {
    c.reply.error('ERR EXEC without MULTI');
    return;
  }
  const server = c.server;
  if (!c.casDirty && server.watches.anyExpired(c)) c.casDirty = true;
  if (c.casDirty || c.multiDirty) {
    if (c.multiDirty) c.reply.raw(E_EXECABORT);
    else c.reply.nullArray();
    discardTransaction(c);
    return;
  }
  const denied = c.denyBlocking;
  c.denyBlocking = true;
  server.watches.unwatchAll(c);
  const exec = c.lastCommand;
  const { argc, argBuf, argOff, argLen } = c;
  c.reply.arrayLen(queued.length);
  const args = c.transactionArgs!;
  for (const q of queued) {
    args.load(c, q);
    // ACL permissions are checked again: they may have changed since the command was queued.
    if (!c.user.permissive && aclDenial(c, q.cmd, AclContext.MULTI, c) !== null) c.reply.error(execNopermText(lastDenial.result));
    else server.callCommand(c, q.cmd);
  }
  c.argc = argc;
  c.argBuf = argBuf;
  c.argOff = argOff;
  c.argLen = argLen;
  c.lastCommand = exec;
  c.denyBlocking = denied;
  discardTransaction(c);
}

function cmdWatch(c: Client): void {
  if (c.multi !== null) {
    c.reply.error('ERR WATCH inside MULTI is not allowed');
    return;
  }
  // No point in watching if the client is already dirty.
  if (!c.casDirty) {
    const watches = c.server.watches;
    for (let i = 1; i < c.argc; i++) watches.watch(c, c.db, c.argBuf, c.argOff[i], c.argLen[i]);
  }
  c.reply.raw(R_OK);
}

function cmdUnwatch(c: Client): void {
  c.server.watches.unwatchAll(c);
  c.casDirty = false;
  c.reply.raw(R_OK);
}

export function registerTransactionCommands(registry: Registry): void {
  registry.add('multi', cmdMulti);
  registry.add('exec', cmdExec);
  registry.add('discard', cmdDiscard);
  registry.add('watch', cmdWatch);
  registry.add('unwatch', cmdUnwatch);
}
