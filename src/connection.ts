/*
 * A connection's read loop: each socket read feeds the parser, and every complete command in
 * it is checked and executed, its replies appended to the client's own output buffer, which
 * output.ts flushes once per event-loop turn (ARCHITECTURE.md principle 6). The generic checks
 * (unknown command, arity, auth, ACL permissions, OOM) run here, once, with Redis's exact
 * wording, before any handler (principle 2). The ACL check costs one boolean test for a user
 * allowed everything (the default user).
 *
 * Input limits: a client whose unparsed input passes client-query-buffer-limit is closed and
 * logged, as Redis does. A protocol error is replied and the connection closed after the
 * reply: nothing more is read from it.
 *
 * Backpressure: a batch ends once the client's pending replies pass OUTPUT_PAUSE_BYTES; they
 * are flushed at once, and if the socket then still holds more than that unsent the connection
 * stops reading until 'drain'. A client that does not read its replies cannot make the server
 * buffer without bound; client-output-buffer-limit closes it past the limits (output.ts).
 *
 * Reading: a plain TCP socket reads into one buffer shared by every connection
 * (socket-input.ts). Commands run synchronously inside the read callback; the bytes a client
 * could not run yet (blocked, paused, yielding) are copied out before the buffer is reused
 * (RequestParser.detach). TLS sockets read through 'data' events.
 *
 * Faults: an exception thrown by a command is caught around that command alone: its client gets
 * an -ERR reply, the fault is logged with the command's name (never key or value bytes), and
 * every other client is untouched.
 */
import { performance } from 'node:perf_hooks';
import type { Socket } from 'node:net';
import { RequestParser, ParseResult } from '../protocol/parser.ts';
import { E_NOAUTH, E_OOM, R_QUEUED, errorText } from '../protocol/replies.ts';
import { Status } from '../store/types.ts';
import { Client } from './client.ts';
import { CommandFlag, type CommandEntry, type Registry } from './registry.ts';
import type { ServerState } from './server-state.ts';
import { flushClient, OUTPUT_PAUSE_BYTES } from './output.ts';
import { discardTransaction } from './transactions.ts';
import { AclContext } from './acl.ts';
import { aclDenial } from './commands/acl.ts';
import { readIntoSharedBuffer } from './socket-input.ts';

/** Commands one client may run per event-loop turn before the others get theirs (about 1 ms). */
const MAX_COMMANDS_PER_TURN = 1024;
/**
 * Command time per event-loop turn, all clients together (ms). Past it the clients with input
 * left yield to the next turn, so timers, the flush and new reads come round however many
 * clients pipeline (16 connections bulk loading 1,000-command pipelines, or cold code just after
 * start-up). The clock is read once per batch and then whenever the commands run since the last
 * reading carried CLOCK_EVERY_ARGS arguments: every 32 GETs, but after each ZADD of 100 members
 * (about 1 ms on a million-member set), which counting commands let run 32 at a time (30 ms).
 */
const TURN_BUDGET_MS = 3;
/**
 * Input a yielding client may have waiting before its socket stops reading, as net.Socket's
 * readable buffer allowed. Stopping and restarting every yielding socket's reads costs two
 * epoll_ctl calls per client per turn, which under overload (every client yielding at each
 * turn) slowed the whole server.
 */
const YIELD_READ_AHEAD = 64 * 1024;
const CLOCK_EVERY_ARGS = 64;
/** Pipelined requests whose keys are prefetched together. */
const PREFETCH_WINDOW = 16;
const prefetchOffsets = new Int32Array(PREFETCH_WINDOW);
const prefetchLengths = new Int32Array(PREFETCH_WINDOW);
const MAX_UNKNOWN_ARGS_TEXT = 128;

/** What a plain TCP read lands in: as large as the buffer Node allocates per read otherwise. */
const sharedReadBuffer = Buffer.allocUnsafeSlow(64 * 1024);

export function attachConnection(server: ServerState, socket: Socket): Client {
  const parser = new RequestParser();
  parser.maxBulkLen = server.settings.protoMaxBulkLen;
  const client = new Client(server.nextClientId++, socket, parser, server);
  parser.authenticated = client.authenticated;
  server.clients.set(client.id, client);
  socket.setNoDelay(true);
  if (server.settings.tcpKeepalive > 0) socket.setKeepAlive(true, server.settings.tcpKeepalive * 1000);

  const readShared = (nread: number) => {
    onData(server, client, sharedReadBuffer, nread);
    parser.detach(sharedReadBuffer);
  };
  if (!readIntoSharedBuffer(socket, sharedReadBuffer, readShared)) socket.on('data', (chunk: Buffer) => onData(server, client, chunk, chunk.length));
  // Plain TCP sockets are accepted paused (pauseOnConnect), so that no read precedes the choice.
  socket.resume();
  socket.on('error', () => {
    // ECONNRESET and friends: 'close' follows and cleans up.
  });
  socket.on('close', () => {
    client.closed = true;
    server.blocking.disconnect(client);
    server.watches.unwatchAll(client);
    server.pubsub.forget(client);
    server.pause.forget(client);
    if (client.tracking !== null) {
      server.tracking.disable(client);
      server.events.updateRemovalHook();
    }
    server.clients.delete(client.id);
    server.clientEviction.forget(client);
    if (!client.flushQueued) client.reply.dispose();
  });
  return client;
}

/**
 * The client's unsent output fell back under OUTPUT_PAUSE_BYTES (output.ts calls this through
 * OutputScheduler.onRoom): run what it sent meanwhile, then read again, or end it after its
 * output when the server is shutting down.
 */
export function resumeAfterOutput(server: ServerState, client: Client): void {
  if (client.closed || client.closeAfterReply) return;
  client.paused = false;
  processBuffered(server, client);
  if (client.paused || client.yielding || client.closed) return;
  if (server.shuttingDown) endAfterOutput(server, client);
  else client.socket.resume();
}

function onData(server: ServerState, client: Client, chunk: Buffer, length: number): void {
  if (client.closed || client.closeAfterReply) return;
  server.stats.netInputBytes += length;
  server.stats.readsProcessed++;
  const parser = client.parser;
  parser.feed(chunk, length);
  const limit = server.settings.clientQueryBufferLimit;
  if (limit > 0 && parser.bufferedBytes() > limit) {
    server.logger.warn({ client: client.id, addr: client.addr, qbuf: parser.bufferedBytes() }, 'Closing client that reached max query buffer length');
    server.killClient(client, 'query buffer over client-query-buffer-limit');
    return;
  }
  // maxmemory-clients: a growing query buffer is checked as it grows (Redis checks before each command).
  const eviction = server.clientEviction;
  if (eviction.limit !== 0) {
    eviction.update(client);
    if (eviction.over()) {
      eviction.evict();
      if (client.closed) return;
    }
  }
  // While paused or yielding, what was already read waits for 'drain' or the next turn; a
  // yielding client's socket stops reading once that passes YIELD_READ_AHEAD.
  if (!client.paused && !client.yielding) processBuffered(server, client);
  else if (client.yielding && parser.bufferedBytes() > YIELD_READ_AHEAD) client.socket.pause();
}

/**
 * The outer fault boundary: an exception outside any command (a broken invariant in the
 * parser or the batch loop) closes this client after logging it; other clients carry on.
 */
function processBuffered(server: ServerState, client: Client): void {
  try {
    runBatches(server, client);
  } catch (err) {
    server.currentClient = null;
    server.logger.error({ err, client: client.id }, 'internal error while processing input; closing the client');
    server.killClient(client, 'internal error');
  }
}

/** Why a batch ended. */
const BatchEnd = {
  /** Nothing complete left to run (or the client is closing or blocked). */
  DONE: 0,
  /** Its replies passed OUTPUT_PAUSE_BYTES, or the hard output limit. */
  OUTPUT_FULL: 1,
  /** It ran MAX_COMMANDS_PER_TURN commands: other clients and timers get their turn first. */
  WORK_CAP: 2,
} as const;

/**
 * Execute the complete commands buffered in the parser. A batch ends early once its replies
 * pass OUTPUT_PAUSE_BYTES: they are flushed at once, and if the socket then holds more than
 * that unsent, reading pauses until 'drain' resumes here, else the next batch runs at once.
 * A batch also ends after MAX_COMMANDS_PER_TURN commands or when the turn's command time is
 * spent: the rest runs on the next event-loop turn, so one deeply pipelining client cannot
 * stall the others; its socket stops reading once YIELD_READ_AHEAD bytes wait.
 */
function runBatches(server: ServerState, client: Client): void {
  for (;;) {
    const end = runBatch(server, client);
    if (client.closed) return;
    if (end === BatchEnd.OUTPUT_FULL) {
      flushClient(server, client);
      if (client.paused || client.closed || client.closeAfterReply) return;
      continue;
    }
    if (client.reply.pending() !== 0 || client.closeAfterReply) client.queueOutput();
    if (end === BatchEnd.WORK_CAP && !client.yielding && !client.closeAfterReply) {
      client.yielding = true;
      if (client.parser.bufferedBytes() > YIELD_READ_AHEAD) client.socket.pause();
      yieldTurn(server, client);
    }
    return;
  }
}

/**
 * Continue the client on a later turn, after the clients that yielded before it. The flush is
 * scheduled first, so it ends this turn (and its command budget) before the continuations run.
 */
function yieldTurn(server: ServerState, client: Client): void {
  server.output.yielded.push(client);
  scheduleYielded(server);
}

function scheduleYielded(server: ServerState): void {
  const output = server.output;
  if (output.yieldScheduled) return;
  output.yieldScheduled = true;
  output.wake();
  setImmediate(runYielded, server);
}

/** Run the yielded clients in order until the turn's command time is spent; the rest go first next turn. */
function runYielded(server: ServerState): void {
  const output = server.output;
  output.yieldScheduled = false;
  const queue = output.yielded;
  const end = queue.length;
  while (output.yieldHead < end && !turnSpent(server, performance.now())) {
    continueAfterYield(server, queue[output.yieldHead++]);
  }
  const head = output.yieldHead;
  if (head === queue.length) {
    queue.length = 0;
    output.yieldHead = 0;
    return;
  }
  if (head * 2 > queue.length) {
    queue.copyWithin(0, head);
    queue.length -= head;
    output.yieldHead = 0;
  }
  scheduleYielded(server);
}

function continueAfterYield(server: ServerState, client: Client): void {
  client.yielding = false;
  if (client.closed || client.closeAfterReply) return;
  processBuffered(server, client);
  if (client.paused || client.yielding || client.closed || client.closeAfterReply) return;
  if (server.shuttingDown) endAfterOutput(server, client);
  else client.socket.resume();
}

/** Close after what is owed: flush now, then end the socket (graceful shutdown). */
function endAfterOutput(server: ServerState, client: Client): void {
  flushClient(server, client);
  client.socket.end();
}

/** This turn's command time is spent at `now` (performance.now()); the turn's first batch starts its budget. */
function turnSpent(server: ServerState, now: number): boolean {
  const output = server.output;
  if (output.turnDeadline === 0) {
    output.turnDeadline = now + TURN_BUDGET_MS;
    return false;
  }
  return now > output.turnDeadline;
}

/** One batch of at most MAX_COMMANDS_PER_TURN commands; says why it ended. */
function runBatch(server: ServerState, client: Client): number {
  const started = performance.now();
  if (turnSpent(server, started)) return BatchEnd.WORK_CAP;
  server.commandClock = started;
  client.lastInteraction = server.clock.refresh();
  const parser = client.parser;
  const reply = client.reply;
  server.currentClient = client;
  let end: number = BatchEnd.DONE;
  let executed = 0;
  let argsSinceClock = 0;
  for (;;) {
    if (reply.pending() > OUTPUT_PAUSE_BYTES || reply.overLimit) {
      end = BatchEnd.OUTPUT_FULL;
      break;
    }
    if (argsSinceClock >= CLOCK_EVERY_ARGS) {
      argsSinceClock = 0;
      if (turnSpent(server, performance.now())) {
        end = BatchEnd.WORK_CAP;
        break;
      }
    }
    if (executed === MAX_COMMANDS_PER_TURN) {
      end = BatchEnd.WORK_CAP;
      break;
    }
    // A blocked or postponed client runs nothing more until it is served or released.
    if (client.blocked !== null || client.postponed !== null) break;
    if (executed % PREFETCH_WINDOW === 0) prefetchAhead(server, client);
    const result = parser.next();
    if (result === ParseResult.COMMAND) {
      client.loadArguments();
      if (isCrossProtocolProbe(client)) {
        abortCrossProtocol(server, client);
        break;
      }
      const ran = executeGuarded(server, client);
      executed++;
      argsSinceClock += client.argc;
      if (server.tracking.hasPending()) server.tracking.afterCommand(client);
      const blocking = server.blocking;
      if (blocking.blockedCount !== 0 || blocking.pending) blocking.afterCommand(client, ran);
      if (client.closeAfterReply || client.closed) break;
    } else if (result === ParseResult.ERROR) {
      reply.error(parser.error);
      client.endAfterReply();
      break;
    } else {
      break;
    }
  }
  server.currentClient = null;
  server.commandClock = 0;
  return end;
}

/**
 * Have the store prefetch the first keys of the next PREFETCH_WINDOW pipelined requests, so
 * that their index, record and chunk cache misses overlap instead of stalling each command in
 * turn. A lone request gains nothing from it and is left alone.
 */
function prefetchAhead(server: ServerState, client: Client): void {
  const parser = client.parser;
  const n = parser.lookahead(prefetchOffsets, prefetchLengths, PREFETCH_WINDOW);
  if (n >= 2) server.store.prefetch(client.db, parser.lookaheadBuffer(), prefetchOffsets, prefetchLengths, 0, n, 1);
}
/** A request named POST or Host: (any case): an HTTP request sent to the RESP port. */
function isCrossProtocolProbe(client: Client): boolean {
  const len = client.argLen[0];
  return (len === 4 && client.argIs(0, 'post')) || (len === 5 && client.argIs(0, 'host:'));
}

/**
 * Redis's securityWarningCommand (processCommand, before anything else, MULTI included): a
 * browser tricked into posting to the RESP port (cross-protocol scripting) must not get any
 * command run past its HTTP headers, so the connection is dropped at once, the replies still
 * owed to it included (Redis's CLIENT_CLOSE_ASAP skips the write). Logged at most once a minute.
 */
function abortCrossProtocol(server: ServerState, client: Client): void {
  const now = server.clock.now;
  if (now - server.lastSecurityWarning > 60_000) {
    server.lastSecurityWarning = now;
    server.logger.warn('Possible SECURITY ATTACK detected. It looks like somebody is sending POST or Host: commands to Redis. This is likely due to an attacker attempting to use Cross Protocol Scripting to compromise your Redis instance. Connection aborted.');
  }
  client.closed = true;
  client.reply.dispose();
  client.socket.destroy();
}

/**
 * The pause that postponed the client's command has ended: run that command (its generic
 * checks again: it may be postponed anew), then the client's buffered input.
 */
export function resumePostponed(server: ServerState, client: Client): void {
  const q = client.postponed;
  client.postponed = null;
  if (q === null || client.closed || client.closeAfterReply) return;
  client.useArguments(q);
  server.currentClient = client;
  const ran = executeGuarded(server, client);
  const blocking = server.blocking;
  if (blocking.blockedCount !== 0 || blocking.pending) blocking.afterCommand(client, ran);
  if (server.tracking.hasPending()) server.tracking.afterCommand(client);
  server.currentClient = null;
  if (client.reply.pending() !== 0) client.queueOutput();
  if (client.postponed === null && client.blocked === null) resumeClient(server, client);
}

/** Run a released blocked client's buffered commands (blocking.ts calls it from setImmediate). */
export function resumeClient(server: ServerState, client: Client): void {
  if (client.closed || client.paused || client.closeAfterReply) return;
  processBuffered(server, client);
}

/**
 * executeCommand with the fault boundary: an exception from the command's code answers this
 * client -ERR (whatever the command had written is dropped), is logged with the command's
 * name, and touches no other client. True when a handler ran.
 */
export function executeGuarded(server: ServerState, client: Client): boolean {
  const mark = client.reply.mark();
  try {
    return executeCommand(server, client);
  } catch (err) {
    const cmd = server.registry.lookup(client.argBuf, client.argOff[0], client.argLen[0]);
    const name = cmd === undefined ? '(unknown)' : cmd.fullName;
    server.logger.error({ err, client: client.id, command: name }, 'internal error while executing a command');
    client.reply.truncate(mark);
    client.reply.error(`ERR internal error while executing '${name}' (logged by the server)`);
    return true;
  }
}

/**
 * Execute one command, then apply CLIENT REPLY: under OFF, or on the command after SKIP, its
 * reply (an error from the generic checks included) is dropped, as Redis's
 * prepareClientToWrite refuses it. True when the handler ran (the generic checks passed).
 */
export function executeCommand(server: ServerState, client: Client): boolean {
  const reply = client.reply;
  const mark = reply.mark();
  const skipThis = client.skipCurrentReply;
  const ran = runCommand(server, client);
  if (client.replyOff || (skipThis && client.skipCurrentReply)) reply.truncate(mark);
  // CLIENT CACHING applies to the next command (or transaction) only.
  if (client.tracking !== null && client.tracking.caching && client.multi === null && !client.argIs(0, 'client')) client.tracking.caching = false;
  client.skipCurrentReply = client.skipNextReply;
  client.skipNextReply = false;
  return ran;
}

/**
 * Run the generic checks (processCommand's, in its order), then queue the command inside
 * MULTI or call it. False when it was rejected or queued (no handler ran).
 */
function runCommand(server: ServerState, client: Client): boolean {
  const reply = client.reply;
  const registry = server.registry;
  let cmd: CommandEntry | undefined = registry.lookup(client.argBuf, client.argOff[0], client.argLen[0]);
  if (cmd === undefined) {
    rejectUnknownCommand(client);
    flagTransaction(client);
    return false;
  }
  if (cmd.subcommands !== null && client.argc >= 2) {
    const sub = cmd.subcommands.get(client.argLower(1));
    if (sub === undefined) {
      const text = `ERR unknown subcommand '${truncate(sanitize(cString(client, 1)), 128)}'. Try ${cmd.name.toUpperCase()} HELP.`;
      return reject(server, client, cmd, text);
    }
    cmd = sub;
  }
  if ((cmd.arity > 0 && cmd.arity !== client.argc) || client.argc < -cmd.arity) {
    return reject(server, client, cmd, `ERR wrong number of arguments for '${cmd.fullName}' command`);
  }
  if (!client.authenticated && server.acl.authRequired && (cmd.flags & CommandFlag.NO_AUTH) === 0) return rejectWith(server, client, cmd, E_NOAUTH);
  const inMulti = client.multi !== null;
  if (inMulti && (cmd.flags & CommandFlag.NO_MULTI) !== 0) return reject(server, client, cmd, 'ERR Command not allowed inside a transaction');
  if (!client.user.permissive) {
    const denied = aclDenial(client, cmd, inMulti ? AclContext.MULTI : AclContext.TOPLEVEL);
    if (denied !== null) return reject(server, client, cmd, denied);
  }
  const subscribed = client.resp === 2 && client.subscriptionCount() !== 0;
  const control = inMulti || subscribed ? transactionControl(server, cmd) : Control.NONE;
  if (server.settings.maxmemory > 0 && !client.noEvict) {
    const denyOom = (cmd.flags & CommandFlag.DENYOOM) !== 0 ||
      (control === Control.EXEC && (client.multiFlags & CommandFlag.DENYOOM) !== 0) ||
      (inMulti && control !== Control.EXEC && control !== Control.DISCARD && control !== Control.QUIT && control !== Control.RESET);
    if (denyOom && server.store.evictIfNeeded() === Status.OOM) return rejectWith(server, client, cmd, E_OOM);
  }
  if (subscribed && control !== Control.PUBSUB_ALLOWED && control !== Control.QUIT && control !== Control.RESET) {
    return reject(server, client, cmd, `ERR Can't execute '${cmd.fullName}': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context`);
  }
  if (server.busyReply !== null && (cmd.flags & CommandFlag.ALLOW_BUSY) === 0) return rejectWith(server, client, cmd, server.busyReply);
  if (server.metrics.monitors.size !== 0 && (cmd.flags & (CommandFlag.WRITE | CommandFlag.READONLY)) !== 0 && server.metrics.monitors.has(client)) {
    return reject(server, client, cmd, "ERR Replica can't interact with the keyspace");
  }
  if (server.pause.type !== 0 && server.pause.covers(client, cmd)) {
    server.pause.postpone(client, cmd);
    return false;
  }
  if (inMulti && control !== Control.EXEC && control !== Control.DISCARD && control !== Control.MULTI && control !== Control.WATCH && control !== Control.QUIT && control !== Control.RESET) {
    if (!client.casDirty && !client.multiDirty) {
      client.transactionArgs!.queue(client, cmd);
      client.multiFlags |= cmd.flags;
    }
    reply.raw(R_QUEUED);
    return false;
  }
  callCommand(server, client, cmd);
  return true;
}

/** The commands the transaction and subscribed-mode rules single out (processCommand). */
const Control = {
  NONE: 0,
  EXEC: 1,
  DISCARD: 2,
  MULTI: 3,
  WATCH: 4,
  QUIT: 5,
  RESET: 6,
  /** PING and the (un)subscribe commands: allowed in RESP2 subscribed mode, queued in MULTI. */
  PUBSUB_ALLOWED: 7,
} as const;

const CONTROL_NAMES: Record<string, number> = {
  exec: Control.EXEC,
  discard: Control.DISCARD,
  multi: Control.MULTI,
  watch: Control.WATCH,
  quit: Control.QUIT,
  reset: Control.RESET,
  ping: Control.PUBSUB_ALLOWED,
  subscribe: Control.PUBSUB_ALLOWED,
  ssubscribe: Control.PUBSUB_ALLOWED,
  psubscribe: Control.PUBSUB_ALLOWED,
  unsubscribe: Control.PUBSUB_ALLOWED,
  sunsubscribe: Control.PUBSUB_ALLOWED,
  punsubscribe: Control.PUBSUB_ALLOWED,
};

/** Control of each command of `controlRegistry` by id (its ids are dense), filled at first use. */
let controlById = new Uint8Array(0);
let controlRegistry: Registry | null = null;

function transactionControl(server: ServerState, cmd: CommandEntry): number {
  if (controlRegistry !== server.registry || cmd.id >= controlById.length) {
    const all = server.registry.all;
    controlById = new Uint8Array(all.length);
    for (const entry of all) controlById[entry.id] = entry.parent === null ? CONTROL_NAMES[entry.name] ?? Control.NONE : Control.NONE;
    controlRegistry = server.registry;
  }
  return controlById[cmd.id];
}

/**
 * rejectCommand: count the rejection, flag a transaction being queued, reply the error; a
 * rejected EXEC (inside MULTI or not, as in Redis) discards the transaction and answers
 * EXECABORT quoting the reason.
 */
function reject(server: ServerState, client: Client, cmd: CommandEntry, text: string): false {
  server.stats.rejectedCalls[cmd.id]++;
  flagTransaction(client);
  if (cmd.parent === null && cmd.name === 'exec') {
    discardTransaction(client);
    client.reply.error(`EXECABORT Transaction discarded because of: ${text.startsWith('ERR ') ? text.slice(4) : text}`);
  } else client.reply.error(text);
  return false;
}

/** reject with a pre-encoded error. */
function rejectWith(server: ServerState, client: Client, cmd: CommandEntry, error: Uint8Array): false {
  if (cmd.parent === null && cmd.name === 'exec') return reject(server, client, cmd, errorText(error));
  server.stats.rejectedCalls[cmd.id]++;
  flagTransaction(client);
  client.reply.raw(error);
  return false;
}

/** A command was rejected while queuing: EXEC will answer EXECABORT. */
function flagTransaction(client: Client): void {
  if (client.multi !== null) client.multiDirty = true;
}

/**
 * call(): the handler, then the per-command accounting (stats, SLOWLOG, MONITOR, eviction).
 * Inside a batch a command's duration runs from the end of the one before it (or the batch's
 * start), so it includes its own parsing and checks, which Redis's excludes (README).
 */
function callCommand(server: ServerState, client: Client, cmd: CommandEntry): void {
  const reply = client.reply;
  const stats = server.stats;
  const inBatch = server.commandClock !== 0;
  const started = inBatch ? server.commandClock : performance.now();
  const errorsBefore = reply.errorCount;
  client.lastCommand = cmd;
  cmd.handler!(client);
  if (client.tracking !== null && (cmd.flags & CommandFlag.READONLY) !== 0 && !client.tracking.bcast) server.tracking.rememberKeys(client, cmd);
  const ended = performance.now();
  if (inBatch) server.commandClock = ended;
  const usec = (ended - started) * 1000;
  server.observer.afterCommand(client, cmd, usec);
  stats.usec[cmd.id] += usec;
  stats.calls[cmd.id]++;
  stats.commandsProcessed++;
  if (reply.errorCount !== errorsBefore) stats.failedCalls[cmd.id]++;
  if ((cmd.flags & CommandFlag.DENYOOM) !== 0 && server.settings.maxmemory > 0 && !client.noEvict) server.store.evictIfNeeded();
}

/**
 * A queued command run by EXEC: call() behind the fault boundary, so a fault answers this one
 * element of EXEC's reply -ERR and the others run.
 */
export function callCommandGuarded(server: ServerState, client: Client, cmd: CommandEntry): void {
  const mark = client.reply.mark();
  try {
    callCommand(server, client, cmd);
    server.blocking.afterQueuedCommand(client);
  } catch (err) {
    server.logger.error({ err, client: client.id, command: cmd.fullName }, 'internal error while executing a command');
    client.reply.truncate(mark);
    client.reply.error(`ERR internal error while executing '${cmd.fullName}' (logged by the server)`);
  }
}

/** Argument i as C's "%s" prints it: up to its first NUL byte, bytes as latin1. */
function cString(client: Client, i: number): string {
  const text = client.argBuf.toString('latin1', client.argOff[i], client.argOff[i] + client.argLen[i]);
  const nul = text.indexOf('\0');
  return nul < 0 ? text : text.slice(0, nul);
}

function rejectUnknownCommand(client: Client): void {
  let args = '';
  for (let i = 1; i < client.argc && args.length < MAX_UNKNOWN_ARGS_TEXT; i++) {
    args += `'${truncate(cString(client, i), MAX_UNKNOWN_ARGS_TEXT - args.length)}' `;
  }
  const name = truncate(cString(client, 0), 128);
  client.reply.error(sanitize(`ERR unknown command '${name}', with args beginning with: ${args}`));
}

/** The writer's error hook: count each error reply by its first word (INFO errorstats). */
export function countErrorReply(server: ServerState, bytes: Uint8Array, off: number, len: number): void {
  let end = off;
  while (end < off + len && bytes[end] !== 32) end++;
  const prefix = Buffer.from(bytes.buffer, bytes.byteOffset + off, end - off).toString('latin1');
  const errors = server.stats.errors;
  errors.set(prefix, (errors.get(prefix) ?? 0) + 1);
}

function truncate(text: string, max: number): string {
  return text.length > max ? text.slice(0, max) : text;
}

/** Redis replaces CR and LF in error messages with spaces. */
function sanitize(text: string): string {
  return text.replace(/[\r\n]/g, ' ');
}
