/*
 * The per-client output path: every client's replies accumulate in its own ReplyWriter, and
 * once per event-loop turn every client with pending output is flushed in one socket.write
 * (Redis's client->buf plus beforeSleep's handleClientsWithPendingWrites). Any module appends
 * to any client (a blocked client served after another's command, a publisher's message to its
 * subscribers, a MONITOR line) and calls schedule(); it never needs to know whose command runs.
 *
 * The flush runs from one setImmediate per turn: after the poll phase has delivered every
 * socket read of the turn, so the replies to several reads of one client leave in one write.
 *
 * Limits (client-output-buffer-limit): after each write the socket's unsent bytes plus what
 * the writer holds are compared with the client's class limits (normal, or pubsub while
 * subscribed); past the hard limit, or past the soft limit for longer than its seconds, the
 * client is closed at once and its pending output dropped, as Redis does. The writer checks
 * the hard limit itself while a big reply grows (ReplyWriter.overLimit). A client whose socket
 * holds more than OUTPUT_PAUSE_BYTES unsent stops being read until 'drain'.
 *
 * Client eviction (client-eviction.ts): each flushed client is re-measured after its limits are
 * applied (a client closed by the output limits is never also evicted, as in Redis), and the
 * flush turn ends with the maxmemory-clients check, Redis's evictClients in beforeSleep.
 *
 * A buffer handed to socket.write is recycled into the shared output pool when the write
 * completed synchronously (the socket then holds no bytes), which is the common case; otherwise
 * the socket keeps it and the writer starts a fresh one. When the socket already queues bytes
 * (a slow reader, a subscriber behind on its messages) a small output is copied instead, so
 * the chunk stays in the pool.
 */
import type { Client } from './client.ts';
import type { ServerState } from './server-state.ts';
import type { OutputLimit } from './settings.ts';

/** Output up to this size is copied when the socket already queues bytes (its chunk is kept). */
const COPY_WHEN_QUEUED = 4096;

/** Stop reading a client whose socket holds more than this many unsent bytes. */
export const OUTPUT_PAUSE_BYTES = 1 << 20;

export class OutputScheduler {
  /** Runs at the start of each flush (client tracking's BCAST invalidations, as beforeSleep). */
  beforeFlush: (() => void) | null = null;
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
  };
}

/** The client's output class limits: pubsub while it has subscriptions, else normal. */
function limitsOf(server: ServerState, c: Client): OutputLimit {
  return c.subscriptionCount() > 0 ? server.settings.outputLimitPubsub : server.settings.outputLimitNormal;
}

/**
 * Hand the client's pending output to its socket, then apply the output limits, the
 * close-after-reply flag and read backpressure.
 */
export function flushClient(server: ServerState, c: Client): void {
  const reply = c.reply;
  const socket = c.socket;
  if (c.closed || socket.destroyed) {
    reply.dispose();
    return;
  }
  const limits = limitsOf(server, c);
  if (reply.overLimit) {
    killOverLimit(server, c, `output buffer over the hard limit of ${limits.hard} bytes`);
    return;
  }
  const out = reply.take();
  if (out !== null) {
    server.stats.netOutputBytes += out.length;
    server.stats.writesProcessed++;
    if (socket.writableLength !== 0 && out.length <= COPY_WHEN_QUEUED) {
      // The socket still holds earlier bytes, so this write will wait in its queue: hand it
      // a copy (small: from Node's buffer pool) and keep the chunk, rather than losing a
      // 16 KB chunk per turn to a subscriber that reads slowly.
      socket.write(Buffer.from(out));
      reply.recycle();
    } else {
      socket.write(out);
      if (socket.writableLength === 0) reply.recycle();
    }
  }
  const unsent = socket.writableLength;
  reply.queuedBytes = unsent;
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
  if (unsent > OUTPUT_PAUSE_BYTES && !c.paused) {
    c.paused = true;
    socket.pause();
  }
  if (server.clientEviction.limit !== 0) server.clientEviction.update(c);
}

function killOverLimit(server: ServerState, c: Client, reason: string): void {
  c.reply.dispose();
  c.closeAfterReply = false;
  server.killClient(c, reason);
}
