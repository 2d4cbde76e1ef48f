/*
 * The per-client output path: every client's replies accumulate in its own ReplyWriter, and
 * once per event-loop turn every client with pending output is flushed: one write, a
 * writev when its output is chained (Redis's client->buf plus beforeSleep's
 * handleClientsWithPendingWrites). Any module appends to any client (a blocked client served
 * after another's command, a publisher's message to its subscribers, a MONITOR line) and calls
 * schedule(); it never needs to know whose command runs.
 *
 * The flush runs from one setImmediate per turn: after the poll phase has delivered every
 * socket read of the turn, so the replies to several reads of one client leave in one write.
 *
 * Limits (client-output-buffer-limit): after each write the socket's unsent bytes plus what
 * the writer holds are compared with the client's class limits (normal, or pubsub while
 * subscribed); past the hard limit, or past the soft limit for longer than its seconds, the
 * client is closed at once and its pending output dropped, as Redis does. The writer checks
 * the hard limit itself while a big reply grows (ReplyWriter.overLimit). A client with more than
 * OUTPUT_PAUSE_BYTES unsent (writer and socket) stops being read until it is back under it.
 *
 * Client eviction (client-eviction.ts): each flushed client is re-measured after its limits are
 * applied (a client closed by the output limits is never also evicted, as in Redis), and the
 * flush turn ends with the maxmemory-clients check, Redis's evictClients in beforeSleep.
 *
 * A client's output that is one buffer goes straight to its socket's handle (writeDirect): the
 * Writable stream's request object, callbacks and nextTick per write were about 6% of a
 * pipelined GET's CPU. Chained output, TLS, and anything while the stream still queues bytes
 * go through socket.write.
 *
 * Writes, as Redis's writeToClient: at most 64 KB per client per turn, and nothing while the
 * socket still holds an earlier write (it queues only what the kernel refused). The rest waits
 * in the client's writer, counted against its limits, and the write's callback schedules the
 * next flush. A client that does not read thus keeps its backlog in pooled chunks rather than
 * in Node's stream queue, and one client's big reply cannot fill every other client's turn with
 * copying into the kernel. The chunks a completed write used go back to the output pool at
 * once; those of a queued write once the socket has sent them (ReplyWriter hold/release).
 */
import { performance } from 'node:perf_hooks';
import type { Socket } from 'node:net';
import type { Client } from './client.ts';
import type { ServerState } from './server-state.ts';
import type { OutputLimit } from './settings.ts';

/** A stream handle's write entry point (Node's StreamBase::WriteBuffer). */
export interface StreamHandle {
  writeBuffer(req: WriteRequest, data: Uint8Array): number;
  /** Bytes queued in libuv, not yet taken by the kernel. */
  readonly writeQueueSize: number;
}
interface WriteRequest {
  handle: StreamHandle | null;
  oncomplete: ((status: number) => void) | null;
}
interface StreamWrapBinding {
  WriteWrap: new () => WriteRequest;
  streamBaseState: Int32Array;
  kLastWriteWasAsync: number;
}

/**
 * Node's stream_wrap binding (one of the internals process.binding still hands out), or null
 * where a runtime no longer does: then every write goes through socket.write.
 */
const streamWrap = loadStreamWrap();

function loadStreamWrap(): StreamWrapBinding | null {
  try {
    const binding = (process as unknown as { binding(name: string): Partial<StreamWrapBinding> }).binding('stream_wrap');
    if (typeof binding.WriteWrap !== 'function' || !(binding.streamBaseState instanceof Int32Array)) return null;
    if (typeof binding.kLastWriteWasAsync !== 'number') return null;
    return binding as StreamWrapBinding;
  } catch {
    return null;
  }
}

/** The request object of direct writes; replaced when one is left pending (the kernel took part). */
let directRequest: WriteRequest | null = streamWrap === null ? null : new streamWrap.WriteWrap();

/**
 * The handle a plain TCP or Unix socket's replies may be written to directly (not TLS: its
 * handle encrypts what the stream layer gives it), or null.
 */
export function directHandleOf(socket: Socket): StreamHandle | null {
  if (streamWrap === null || 'encrypted' in socket) return null;
  const handle = (socket as unknown as { _handle: Partial<StreamHandle> | null })._handle;
  return handle !== null && typeof handle.writeBuffer === 'function' && typeof handle.writeQueueSize === 'number' ? (handle as StreamHandle) : null;
}

/**
 * Write one buffer straight to the client's handle, as net.Socket does beneath its Writable
 * stream, without the stream's per-write request, callbacks and nextTick. The handle first
 * tries a synchronous write (libuv's uv_try_write); what the kernel does not take at once stays
 * queued in libuv with the request, counted in directUnsent until its completion. Meanwhile
 * flushClient writes nothing more to the client and holds its buffers. A failed write destroys
 * the socket, as net.Socket does.
 */
function writeDirect(c: Client, handle: StreamHandle, bytes: Uint8Array): void {
  const req = directRequest!;
  req.handle = handle;
  const err = handle.writeBuffer(req, bytes);
  if (err < 0) {
    c.socket.destroy();
    return;
  }
  const state = streamWrap!.streamBaseState;
  if (state[streamWrap!.kLastWriteWasAsync] !== 0) {
    c.directUnsent = handle.writeQueueSize;
    req.oncomplete = c.onDirectWritten;
    directRequest = new streamWrap!.WriteWrap();
  }
}

/** Bytes one client may hand its socket per event-loop turn (Redis's NET_MAX_WRITES_PER_EVENT). */
const MAX_WRITE_PER_TURN = 64 * 1024;

/** Stop reading a client with more than this many bytes unsent (in its writer and its socket). */
export const OUTPUT_PAUSE_BYTES = 1 << 20;

export class OutputScheduler {
  /** Runs at the start of each flush (client tracking's BCAST invalidations, as beforeSleep). */
  beforeFlush: (() => void) | null = null;
  /** A client that stopped being read for its unsent output is back under OUTPUT_PAUSE_BYTES (connection.ts resumes it). */
  onRoom: ((c: Client) => void) | null = null;
  /**
   * End of this turn's command time (performance.now() ms), 0 until the turn's first batch.
   * connection.ts runs no more commands past it: the clients with input left yield to the next
   * turn, so one event-loop turn runs a bounded time of commands however many clients
   * pipeline. The flush ends the turn.
   */
  turnDeadline = 0;
  /**
   * Clients that yielded with input left, in order, from `yieldHead` (connection.ts): each turn
   * runs them from the head until the turn's time is spent; those not reached stay ahead of
   * those that ran and yielded again, so no pipelining client starves another.
   */
  readonly yielded: Client[] = [];
  yieldHead = 0;
  yieldScheduled = false;
  private server: ServerState | null = null;
  private queue: Client[] = [];
  private spare: Client[] = [];
  private scheduled = false;

  attach(server: ServerState): void {
    this.server = server;
  }

  /** Client c has output pending: flush it at the end of this event-loop turn. */
  schedule(c: Client): void {
    if (c.flushQueued) return;
    c.flushQueued = true;
    this.queue.push(c);
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(this.flushAll);
    }
  }

  /** Make sure a flush runs at the end of this turn even if no client has output yet. */
  wake(): void {
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(this.flushAll);
    }
  }

  /** Flush every scheduled client now (the per-turn step; also before a shutdown ends sockets). */
  readonly flushAll = (): void => {
    this.scheduled = false;
    if (this.beforeFlush !== null) this.beforeFlush();
    const list = this.queue;
    this.queue = this.spare;
    this.spare = list;
    const server = this.server!;
    // Newest first, as Redis's clients_pending_write (clients are added at its head): the
    // client whose command fanned out to others (a publisher) gets its own reply before the
    // thousand writes it caused, and sends its next commands sooner.
    for (let i = list.length - 1; i >= 0; i--) {
      const c = list[i];
      c.flushQueued = false;
      try {
        flushClient(server, c);
      } catch (err) {
        server.logger.error({ err, client: c.id }, 'internal error while writing to a client; closing it');
        server.killClient(c, 'internal error while writing');
      }
    }
    list.length = 0;
    // maxmemory-clients, once per turn after the writes (Redis: beforeSleep's evictClients).
    if (server.clientEviction.over()) server.clientEviction.evict();
    this.turnDeadline = 0;
  };
}

/**
 * socket.destroyed, for a direct client read from the socket's one field net.Socket's destroy
 * clears at once (its handle), not from the stream's two state objects: per client per turn,
 * that is two cache misses less in a flush to a thousand subscribers.
 */
function socketDestroyed(c: Client): boolean {
  const handle = c.directHandle;
  return handle === null ? c.socket.destroyed : (c.socket as unknown as { _handle: StreamHandle | null })._handle !== handle;
}

/** The client's output class limits: pubsub while it has subscriptions, else normal. */
function limitsOf(server: ServerState, c: Client): OutputLimit {
  return c.subscriptionCount() > 0 ? server.settings.outputLimitPubsub : server.settings.outputLimitNormal;
}

/**
 * Hand the client's pending output to its socket, then apply the output limits, the
 * close-after-reply flag and read backpressure.
 *
 * As Redis's writeToClient: at most MAX_WRITE_PER_TURN bytes per client per turn, and nothing
 * while the socket still holds an earlier write (it queues only what the kernel refused); the
 * rest stays in the client's writer, counted against its limits, and goes out on a later turn
 * (the write's callback schedules it). A client that is closing, or a server shutting down,
 * hands over everything at once.
 */
export function flushClient(server: ServerState, c: Client): void {
  const reply = c.reply;
  const socket = c.socket;
  if (c.closed || socketDestroyed(c)) {
    reply.dispose();
    return;
  }
  const limits = limitsOf(server, c);
  if (reply.overLimit) {
    killOverLimit(server, c, `output buffer over the hard limit of ${limits.hard} bytes`);
    return;
  }
  const final = c.closeAfterReply || server.shuttingDown;
  if (c.socketUnsent() === 0 || final) {
    if (c.socketUnsent() === 0) reply.release();
    let budget = final ? Infinity : MAX_WRITE_PER_TURN;
    const first = reply.take(budget);
    if (first !== null) {
      server.stats.writesProcessed++;
      server.stats.netOutputBytes += first.length;
      budget -= first.length;
      let out = budget > 0 ? reply.takeMore(budget) : null;
      if (out === null) {
        // One buffer, and (not final) nothing unsent: straight to the handle.
        if (c.directHandle !== null && !final) writeDirect(c, c.directHandle, first);
        else {
          c.streamWritten = true;
          socket.write(first, c.onWritten);
        }
      } else {
        // Chained output (more than one buffer) goes out in one writev: the socket is corked
        // while its buffers are handed over.
        c.streamWritten = true;
        socket.cork();
        socket.write(first);
        while (out !== null) {
          server.stats.netOutputBytes += out.length;
          budget -= out.length;
          const next = budget > 0 ? reply.takeMore(budget) : null;
          socket.write(out, next === null ? c.onWritten : undefined);
          out = next;
        }
        socket.uncork();
      }
      if (c.socketUnsent() === 0) reply.recycle();
      else reply.hold();
    }
  }
  const queued = c.socketUnsent();
  const unsent = queued + reply.pending();
  reply.queuedBytes = queued;
  reply.hardLimit = limits.hard;
  if (c.closeAfterReply) {
    socket.destroySoon();
    return;
  }
  if (limits.hard > 0 && unsent > limits.hard) {
    killOverLimit(server, c, `output buffer of ${unsent} bytes over the hard limit of ${limits.hard}`);
    return;
  }
  if (limits.soft > 0 && unsent > limits.soft) {
    const now = server.clock.now;
    if (c.softLimitSince === 0) c.softLimitSince = now;
    else if (now - c.softLimitSince >= limits.softSeconds * 1000) {
      killOverLimit(server, c, `output buffer over the soft limit of ${limits.soft} bytes for ${limits.softSeconds} s`);
      return;
    }
  } else c.softLimitSince = 0;
  // More than a turn's worth was pending and the socket took what it was given: go on next turn.
  if (queued === 0 && reply.pending() !== 0) server.output.schedule(c);
  if (unsent > OUTPUT_PAUSE_BYTES) {
    if (!c.paused) {
      c.paused = true;
      socket.pause();
    }
  } else if (c.paused && server.output.onRoom !== null) server.output.onRoom(c);
  if (server.clientEviction.limit !== 0) server.clientEviction.update(c);
}

function killOverLimit(server: ServerState, c: Client, reason: string): void {
  c.reply.dispose();
  c.closeAfterReply = false;
  server.killClient(c, reason);
}
