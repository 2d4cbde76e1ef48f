/*
 * Pub/Sub (Redis 7.0 pubsub.c): channels, patterns and shard channels, and message fan-out.
 *
 * Registries map a channel or pattern (as a latin1 string: one byte per char, so binary names
 * survive) to its subscribers in subscription order; each client keeps its own sets
 * (Client.channels / patterns / shardChannels) for UNSUBSCRIBE without arguments, PUBSUB
 * counts and CLIENT LIST.
 *
 * Fan-out: a published message is encoded once as a RESP2 frame (`*3 message ch msg`) and
 * appended to each subscriber's own output buffer (output.ts), which is flushed with the turn's
 * other writes; a RESP3 subscriber gets the same bytes after a `>` in place of the `*` (a push).
 * Each matching pattern encodes its `pmessage` frame once. A subscriber that does not read
 * hits client-output-buffer-limit pubsub and is closed; it never slows the others.
 *
 * Patterns match with the same glob matcher as KEYS (glob.ts, Redis's stringmatchlen).
 */
import type { Client } from './client.ts';
import { globMatch } from './glob.ts';
import { copyBytes } from '../store/bytes.ts';

const PUSH = Buffer.from('>');
const H_MESSAGE = Buffer.from('$7\r\nmessage\r\n');
const H_SMESSAGE = Buffer.from('$8\r\nsmessage\r\n');
const H_PMESSAGE = Buffer.from('$8\r\npmessage\r\n');

interface PatternSubscribers {
  readonly bytes: Buffer;
  readonly clients: Set<Client>;
}

export class PubSub {
  readonly channels = new Map<string, Set<Client>>();
  readonly patterns = new Map<string, PatternSubscribers>();
  readonly shardChannels = new Map<string, Set<Client>>();

  /** Subscribe c to a channel (shard: a shard channel); false when it already was. */
  subscribe(c: Client, name: string, shard: boolean): boolean {
    const own = shard ? (c.shardChannels ??= new Set()) : (c.channels ??= new Set());
    if (own.has(name)) return false;
    own.add(name);
    c.subscriptions++;
    const registry = shard ? this.shardChannels : this.channels;
    let clients = registry.get(name);
    if (clients === undefined) {
      clients = new Set();
      registry.set(name, clients);
    }
    clients.add(c);
    return true;
  }

  /** Unsubscribe c from a channel; false when it was not subscribed. */
  unsubscribe(c: Client, name: string, shard: boolean): boolean {
    const own = shard ? c.shardChannels : c.channels;
    if (own === null || !own.delete(name)) return false;
    c.subscriptions--;
    const registry = shard ? this.shardChannels : this.channels;
    const clients = registry.get(name)!;
    clients.delete(c);
    if (clients.size === 0) registry.delete(name);
    return true;
  }

  psubscribe(c: Client, pattern: string): boolean {
    const own = (c.patterns ??= new Set());
    if (own.has(pattern)) return false;
    own.add(pattern);
    c.subscriptions++;
    let subs = this.patterns.get(pattern);
    if (subs === undefined) {
      subs = { bytes: Buffer.from(pattern, 'latin1'), clients: new Set() };
      this.patterns.set(pattern, subs);
    }
    subs.clients.add(c);
    return true;
  }

  punsubscribe(c: Client, pattern: string): boolean {
    const own = c.patterns;
    if (own === null || !own.delete(pattern)) return false;
    c.subscriptions--;
    const subs = this.patterns.get(pattern)!;
    subs.clients.delete(c);
    if (subs.clients.size === 0) this.patterns.delete(pattern);
    return true;
  }

  /** Drop every subscription of a client that is going away, without replies. */
  forget(c: Client): void {
    if (c.channels !== null) for (const name of [...c.channels]) this.unsubscribe(c, name, false);
    if (c.shardChannels !== null) for (const name of [...c.shardChannels]) this.unsubscribe(c, name, true);
    if (c.patterns !== null) for (const pattern of [...c.patterns]) this.punsubscribe(c, pattern);
  }

  /**
   * Deliver a message on a channel (shard: to shard-channel subscribers only, no patterns).
   * Returns the receivers: one per channel subscriber and one per (pattern, client) match.
   */
  publish(channel: Uint8Array, coff: number, clen: number, message: Uint8Array, moff: number, mlen: number, shard: boolean): number {
    let receivers = 0;
    const registry = shard ? this.shardChannels : this.channels;
    const patterns = this.patterns;
    if (registry.size === 0 && (shard || patterns.size === 0)) return 0;
    const name = Buffer.from(channel.buffer, channel.byteOffset + coff, clen).toString('latin1');
    const clients = registry.get(name);
    if (clients !== undefined) {
      const frame = encodeFrame(3, shard ? H_SMESSAGE : H_MESSAGE, null, channel, coff, clen, message, moff, mlen);
      for (const c of clients) {
        deliver(c, frame);
        receivers++;
      }
    }
    if (shard || patterns.size === 0) return receivers;
    for (const subs of patterns.values()) {
      const pat = subs.bytes;
      if (!globMatch(pat, 0, pat.length, channel, coff, clen, false)) continue;
      const frame = encodeFrame(4, H_PMESSAGE, pat, channel, coff, clen, message, moff, mlen);
      for (const c of subs.clients) {
        deliver(c, frame);
        receivers++;
      }
    }
    return receivers;
  }
}

/** Append a pub/sub frame (encoded with a RESP2 `*` header) to a client's output. */
function deliver(c: Client, frame: Buffer): void {
  if (c.closed) return;
  const reply = c.reply;
  if (reply.resp === 2) reply.raw(frame);
  else {
    reply.raw(PUSH);
    reply.rawSlice(frame, 1, frame.length - 1);
  }
  c.queueOutput();
}

/** `*n <kind> [pattern] <channel> <message>` as one buffer. */
function encodeFrame(n: number, kind: Buffer, pattern: Buffer | null, channel: Uint8Array, coff: number, clen: number, message: Uint8Array, moff: number, mlen: number): Buffer {
  const head = `*${n}\r\n`;
  const patHeader = pattern === null ? '' : `$${pattern.length}\r\n`;
  const chHeader = `$${clen}\r\n`;
  const msgHeader = `$${mlen}\r\n`;
  const size = head.length + kind.length + (pattern === null ? 0 : patHeader.length + pattern.length + 2) + chHeader.length + clen + 2 + msgHeader.length + mlen + 2;
  const out = Buffer.allocUnsafe(size);
  let p = out.write(head, 0, 'latin1');
  p += kind.copy(out, p);
  if (pattern !== null) {
    p += out.write(patHeader, p, 'latin1');
    p += pattern.copy(out, p);
    out[p++] = 13;
    out[p++] = 10;
  }
  p += out.write(chHeader, p, 'latin1');
  copyBytes(channel, coff, out, p, clen);
  p += clen;
  out[p++] = 13;
  out[p++] = 10;
  p += out.write(msgHeader, p, 'latin1');
  copyBytes(message, moff, out, p, mlen);
  p += mlen;
  out[p++] = 13;
  out[p++] = 10;
  return out;
}
