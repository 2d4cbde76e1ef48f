/*
 * SUBSCRIBE, UNSUBSCRIBE, PSUBSCRIBE, PUNSUBSCRIBE, SSUBSCRIBE, SUNSUBSCRIBE, PUBLISH, SPUBLISH
 * and PUBSUB (Redis 7.0 pubsub.c). The registries and fan-out are in pubsub.ts; RESP2's
 * subscribed-mode rule is a generic check in connection.ts, and PING's subscribed-mode form is
 * in connection commands.
 *
 * Every (un)subscription is confirmed with a `[kind, name, count]` message (a push in RESP3):
 * count is the client's channels plus patterns, or its shard channels for the shard commands.
 * UNSUBSCRIBE without arguments leaves every channel in subscription order, or confirms with a
 * null name when there were none.
 */
import type { Client } from '../client.ts';
import type { Registry } from '../registry.ts';
import { globMatch } from '../glob.ts';
import { replyHelp } from './keys.ts';

const K_SUBSCRIBE = Buffer.from('$9\r\nsubscribe\r\n');
const K_UNSUBSCRIBE = Buffer.from('$11\r\nunsubscribe\r\n');
const K_PSUBSCRIBE = Buffer.from('$10\r\npsubscribe\r\n');
const K_PUNSUBSCRIBE = Buffer.from('$12\r\npunsubscribe\r\n');
const K_SSUBSCRIBE = Buffer.from('$10\r\nssubscribe\r\n');
const K_SUNSUBSCRIBE = Buffer.from('$12\r\nsunsubscribe\r\n');

/** clientSubscriptionsCount: channels plus patterns. */
function channelCount(c: Client): number {
  return (c.channels === null ? 0 : c.channels.size) + (c.patterns === null ? 0 : c.patterns.size);
}

function shardCount(c: Client): number {
  return c.shardChannels === null ? 0 : c.shardChannels.size;
}

/** `[kind, name, count]`, or a null name (mass unsubscribe with nothing to leave). */
function confirm(c: Client, kind: Buffer, name: string | null, count: number): void {
  const reply = c.reply;
  reply.pushLen(3);
  reply.raw(kind);
  if (name === null) reply.nullBulk();
  else reply.bulkLatin1(name);
  reply.int(count);
}

function deniedBlocking(c: Client, command: string, alsoInMulti: boolean): boolean {
  if (c.denyBlocking && (alsoInMulti || c.multi === null)) {
    c.reply.error(`ERR ${command} isn't allowed for a DENY BLOCKING client`);
    return true;
  }
  return false;
}

function cmdSubscribe(c: Client): void {
  if (deniedBlocking(c, 'SUBSCRIBE', false)) return;
  const pubsub = c.server.pubsub;
  for (let i = 1; i < c.argc; i++) {
    const name = c.argBuf.toString('latin1', c.argOff[i], c.argOff[i] + c.argLen[i]);
    pubsub.subscribe(c, name, false);
    confirm(c, K_SUBSCRIBE, name, channelCount(c));
  }
}

function cmdSsubscribe(c: Client): void {
  if (deniedBlocking(c, 'SSUBSCRIBE', true)) return;
  const pubsub = c.server.pubsub;
  for (let i = 1; i < c.argc; i++) {
    const name = c.argBuf.toString('latin1', c.argOff[i], c.argOff[i] + c.argLen[i]);
    pubsub.subscribe(c, name, true);
    confirm(c, K_SSUBSCRIBE, name, shardCount(c));
  }
}

function cmdPsubscribe(c: Client): void {
  if (deniedBlocking(c, 'PSUBSCRIBE', false)) return;
  const pubsub = c.server.pubsub;
  for (let i = 1; i < c.argc; i++) {
    const pattern = c.argBuf.toString('latin1', c.argOff[i], c.argOff[i] + c.argLen[i]);
    pubsub.psubscribe(c, pattern);
    confirm(c, K_PSUBSCRIBE, pattern, channelCount(c));
  }
}

function unsubscribeGeneric(c: Client, shard: boolean): void {
  const pubsub = c.server.pubsub;
  const kind = shard ? K_SUNSUBSCRIBE : K_UNSUBSCRIBE;
  const count = shard ? shardCount : channelCount;
  if (c.argc === 1) {
    const own = shard ? c.shardChannels : c.channels;
    const names = own === null ? [] : [...own];
    for (const name of names) {
      pubsub.unsubscribe(c, name, shard);
      confirm(c, kind, name, count(c));
    }
    if (names.length === 0) confirm(c, kind, null, count(c));
    return;
  }
  for (let i = 1; i < c.argc; i++) {
    const name = c.argBuf.toString('latin1', c.argOff[i], c.argOff[i] + c.argLen[i]);
    pubsub.unsubscribe(c, name, shard);
    confirm(c, kind, name, count(c));
  }
}

function cmdPunsubscribe(c: Client): void {
  const pubsub = c.server.pubsub;
  if (c.argc === 1) {
    const patterns = c.patterns === null ? [] : [...c.patterns];
    for (const pattern of patterns) {
      pubsub.punsubscribe(c, pattern);
      confirm(c, K_PUNSUBSCRIBE, pattern, channelCount(c));
    }
    if (patterns.length === 0) confirm(c, K_PUNSUBSCRIBE, null, channelCount(c));
    return;
  }
  for (let i = 1; i < c.argc; i++) {
    const pattern = c.argBuf.toString('latin1', c.argOff[i], c.argOff[i] + c.argLen[i]);
    pubsub.punsubscribe(c, pattern);
    confirm(c, K_PUNSUBSCRIBE, pattern, channelCount(c));
  }
}

function publishGeneric(c: Client, shard: boolean): void {
  const receivers = c.server.pubsub.publish(c.argBuf, c.argOff[1], c.argLen[1], c.argBuf, c.argOff[2], c.argLen[2], shard);
  c.reply.int(receivers);
}

/** PUBSUB CHANNELS / SHARDCHANNELS [pattern]. */
function channelList(c: Client, registry: Map<string, unknown>): void {
  if (c.argc > 3) {
    subcommandSyntaxError(c);
    return;
  }
  const names: string[] = [];
  const pattern = c.argc === 3 ? c.argBuf.subarray(c.argOff[2], c.argOff[2] + c.argLen[2]) : null;
  for (const name of registry.keys()) {
    if (pattern !== null) {
      const bytes = Buffer.from(name, 'latin1');
      if (!globMatch(pattern, 0, pattern.length, bytes, 0, bytes.length, false)) continue;
    }
    names.push(name);
  }
  c.reply.arrayLen(names.length);
  for (const name of names) c.reply.bulkLatin1(name);
}

/** PUBSUB NUMSUB / SHARDNUMSUB [channel ...]. */
function numSub(c: Client, registry: Map<string, Set<Client>>): void {
  c.reply.arrayLen((c.argc - 2) * 2);
  for (let i = 2; i < c.argc; i++) {
    c.reply.bulk(c.argBuf, c.argOff[i], c.argLen[i]);
    const name = c.argBuf.toString('latin1', c.argOff[i], c.argOff[i] + c.argLen[i]);
    c.reply.int(registry.get(name)?.size ?? 0);
  }
}

function subcommandSyntaxError(c: Client): void {
  const sub = c.argBuf.toString('latin1', c.argOff[1], c.argOff[1] + Math.min(c.argLen[1], 128));
  c.reply.error(`ERR unknown subcommand or wrong number of arguments for '${sub}'. Try PUBSUB HELP.`);
}

const PUBSUB_HELP = [
  'PUBSUB <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
  'CHANNELS [<pattern>]',
  "    Return the currently active channels matching a <pattern> (default: '*').",
  'NUMPAT',
  '    Return number of subscriptions to patterns.',
  'NUMSUB [<channel> ...]',
  '    Return the number of subscribers for the specified channels, excluding',
  '    pattern subscriptions(default: no channels).',
  'SHARDCHANNELS [<pattern>]',
  "    Return the currently active shard level channels matching a <pattern> (default: '*').",
  'SHARDNUMSUB [<shardchannel> ...]',
  '    Return the number of subscribers for the specified shard level channel(s)',
  'HELP',
  '    Prints this help.',
];

export function registerPubsubCommands(registry: Registry): void {
  registry.add('subscribe', cmdSubscribe);
  registry.add('unsubscribe', (c) => unsubscribeGeneric(c, false));
  registry.add('psubscribe', cmdPsubscribe);
  registry.add('punsubscribe', cmdPunsubscribe);
  registry.add('ssubscribe', cmdSsubscribe);
  registry.add('sunsubscribe', (c) => unsubscribeGeneric(c, true));
  registry.add('publish', (c) => publishGeneric(c, false));
  registry.add('spublish', (c) => publishGeneric(c, true));
  registry.add('pubsub', null);
  registry.add('pubsub|channels', (c) => channelList(c, c.server.pubsub.channels));
  registry.add('pubsub|shardchannels', (c) => channelList(c, c.server.pubsub.shardChannels));
  registry.add('pubsub|numsub', (c) => numSub(c, c.server.pubsub.channels));
  registry.add('pubsub|shardnumsub', (c) => numSub(c, c.server.pubsub.shardChannels));
  registry.add('pubsub|numpat', (c) => c.reply.int(c.server.pubsub.patterns.size));
  registry.add('pubsub|help', (c) => replyHelp(c, PUBSUB_HELP));
}
