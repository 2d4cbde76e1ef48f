/*
 * Client eviction (maxmemory-clients, issue 14 Limits under load) on slabcache and redis-server
 * side by side, in the scenarios of Redis 7.0's tests/unit/client-eviction.tcl that do not
 * depend on Redis's exact per-client overhead: a big query buffer (an incomplete bulk, a big
 * argument), a percentage of maxmemory, CLIENT NO-EVICT, a client that never reads its big
 * replies, and a lowered limit evicting some but not all clients. Each scenario reports
 * whether the clients were evicted and INFO's evicted_clients; both servers must agree.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { haveRedisServer, startRedisServer, type RedisServerHandle } from '../helpers/redis-server.ts';
import { startTarget, type TargetServer } from '../helpers/target-server.ts';
import { FuzzConn } from '../fuzz/conn.ts';
import { encodeCommand } from '../helpers/raw-client.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const MB = 1024 * 1024;
const LIMIT = 3_000_000;

interface Endpoint {
  host: string;
  port: number;
}

/** One server's control connection (CLIENT NO-EVICT on, as the Tcl suite's `r`). */
class Control {
  readonly ep: Endpoint;
  readonly conn: FuzzConn;

  private constructor(ep: Endpoint, conn: FuzzConn) {
    this.ep = ep;
    this.conn = conn;
  }

  static async open(ep: Endpoint): Promise<Control> {
    const conn = await FuzzConn.open(ep.host, ep.port);
    const ctl = new Control(ep, conn);
    await ctl.cmd('CLIENT', 'NO-EVICT', 'on');
    return ctl;
  }

  async cmd(...args: string[]): Promise<string> {
    const reply = await this.conn.call(encodeCommand(args), 5000);
    if (reply === null) throw new Error(`no reply to ${args.join(' ')}`);
    return reply.toString('latin1');
  }

  /** Reset between scenarios: limits as given, counters to 0, keyspace empty. */
  async reset(maxmemoryClients: string, maxmemory = '0'): Promise<void> {
    await this.cmd('CONFIG', 'SET', 'maxmemory-clients', '0');
    await this.cmd('CONFIG', 'SET', 'maxmemory', maxmemory);
    await this.cmd('CONFIG', 'SET', 'maxmemory-clients', maxmemoryClients);
    await this.cmd('CONFIG', 'RESETSTAT');
    await this.cmd('FLUSHALL');
  }

  async evicted(): Promise<number> {
    const info = await this.cmd('INFO', 'stats');
    return Number(/evicted_clients:(\d+)/.exec(info)![1]);
  }

  /** A CLIENT LIST field of the client named `name`, undefined when no such client is connected. */
  async field(name: string, f: string): Promise<string | undefined> {
    const list = await this.cmd('CLIENT', 'LIST');
    const line = list.split('\n').find((l) => l.includes(` name=${name} `));
    return line?.match(new RegExp(`(?:^| )${f}=(\\S*)`))?.[1];
  }

  async exists(name: string): Promise<boolean> {
    return (await this.field(name, 'id')) !== undefined;
  }

  async named(name: string): Promise<FuzzConn> {
    const c = await FuzzConn.open(this.ep.host, this.ep.port);
    await c.call(encodeCommand(['CLIENT', 'SETNAME', name]), 5000);
    return c;
  }

  /** Wait until cond() holds or ms pass; its final value. */
  async until(cond: () => Promise<boolean>, ms: number): Promise<boolean> {
    const end = Date.now() + ms;
    while (Date.now() < end) {
      if (await cond()) return true;
      await sleep(20);
    }
    return cond();
  }
}

/**
 * The Tcl suite's query-buffer filler: `*count`, a bulk of n bytes, the n bytes, no CRLF after
 * them, so the command stays incomplete. (Redis preallocates a big bulk's declared length; a
 * bulk whose bytes are still to come would count in full there, and as received here.)
 */
function partialBulk(n: number, count = 1): Buffer {
  return Buffer.concat([Buffer.from(`*${count}\r\n$${n}\r\n`), Buffer.alloc(n, 'v')]);
}

async function bigQueryBuffer(ctl: Control): Promise<unknown> {
  await ctl.reset(String(LIMIT));
  const small = await ctl.named('small');
  small.write(partialBulk(LIMIT / 2));
  await ctl.until(async () => Number(await ctl.field('small', 'qbuf')) >= LIMIT / 2, 3000);
  const smallSurvives = await ctl.exists('small');
  const big = await ctl.named('big');
  big.write(partialBulk(LIMIT));
  const bigEvicted = await ctl.until(async () => !(await ctl.exists('big')), 3000);
  const result = { smallSurvives, bigEvicted, smallAfter: await ctl.exists('small'), evicted: await ctl.evicted() };
  small.destroy();
  big.destroy();
  return result;
}

async function bigArgument(ctl: Control): Promise<unknown> {
  await ctl.reset(String(LIMIT));
  const c = await ctl.named('argv');
  const ok = (await c.call(encodeCommand(['MSET', 'k', 'v', 'k2', 'v'.repeat(1_000_000)]), 5000))?.toString();
  const get = (await c.call(encodeCommand(['GET', 'k']), 5000))?.toString();
  c.write(encodeCommand(['MSET', 'k', 'v', 'k2', 'v'.repeat(LIMIT)]));
  const evicted = await ctl.until(async () => !(await ctl.exists('argv')), 3000);
  const result = { ok, get, evicted, closed: await c.waitUntil(() => c.closed, 3000), counter: await ctl.evicted() };
  c.destroy();
  return result;
}

/** A transaction whose queued commands hold more than the limit (Redis counts them in tot-mem, multi-mem). */
async function bigTransaction(ctl: Control): Promise<unknown> {
  await ctl.reset(String(LIMIT));
  const c = await ctl.named('multi');
  const started = (await c.call(encodeCommand(['MULTI']), 5000))?.toString();
  const value = 'v'.repeat(100_000);
  let queued = 0;
  for (let i = 0; i < 50 && !c.closed; i++) {
    const reply = await c.call(encodeCommand(['SET', `k${i}`, value]), 5000);
    if (reply?.toString() === '+QUEUED\r\n') queued++;
  }
  const evicted = await ctl.until(async () => !(await ctl.exists('multi')), 3000);
  const result = { started, queuedSome: queued >= 10 && queued < 50, evicted, counter: await ctl.evicted(), keys: await ctl.cmd('DBSIZE') };
  c.destroy();
  return result;
}

/** A subscriber to `channels` channels, SUBSCRIBEd 1,000 at a time (Redis counts the subscriptions in tot-mem). */
async function manySubscriptions(ctl: Control, channels: number): Promise<unknown> {
  await ctl.reset(String(LIMIT));
  const c = await ctl.named('subscriber');
  for (let from = 0; from < channels && !c.closed; from += 1000) {
    const names = Array.from({ length: 1000 }, (_, i) => `channel:${from + i}`);
    c.write(encodeCommand(['SUBSCRIBE', ...names]));
    await sleep(2);
  }
  const evicted = await ctl.until(async () => !(await ctl.exists('subscriber')), 1500);
  const result = { evicted, counter: await ctl.evicted() };
  c.destroy();
  return result;
}

async function percentage(ctl: Control): Promise<unknown> {
  const maxmemory = 6 * MB;
  const actual = Math.floor((maxmemory * 7) / 100);
  await ctl.reset('7%', String(maxmemory));
  const half = await ctl.named('half');
  half.write(partialBulk(Math.floor(actual / 2)));
  await ctl.until(async () => Number(await ctl.field('half', 'qbuf')) >= Math.floor(actual / 2), 3000);
  const totMem = Number(await ctl.field('half', 'tot-mem'));
  const halfSurvives = await ctl.exists('half');
  half.destroy();
  const full = await ctl.named('full');
  full.write(partialBulk(actual));
  const fullEvicted = await ctl.until(async () => !(await ctl.exists('full')), 3000);
  full.destroy();
  return { halfSurvives, totMemInRange: totMem >= actual / 2 && totMem < actual, fullEvicted, evicted: await ctl.evicted() };
}

async function noEvict(ctl: Control, on: boolean): Promise<unknown> {
  await ctl.reset(String(LIMIT));
  const c = await ctl.named('ne');
  await c.call(encodeCommand(['CLIENT', 'NO-EVICT', on ? 'on' : 'off']), 5000);
  c.write(partialBulk(LIMIT + 1));
  const filledOrGone = await ctl.until(async () => {
    const q = await ctl.field('ne', 'qbuf');
    return q === undefined || Number(q) >= LIMIT + 1;
  }, 3000);
  const survives = await ctl.exists('ne');
  const overLimit = survives && Number(await ctl.field('ne', 'tot-mem')) > LIMIT;
  c.destroy();
  return { filledOrGone, survives, overLimit, evicted: await ctl.evicted() };
}

/** A client sending GETs of a 200 KB value and never reading: evicted once its output passes the limit. */
async function unreadOutput(ctl: Control): Promise<unknown> {
  const limit = 500_000;
  await ctl.reset(String(limit));
  await ctl.cmd('SETRANGE', 'k', '200000', 'v');
  const c = await ctl.named('reader');
  const first = await c.call(encodeCommand(['GET', 'k']), 5000);
  const firstLength = first?.length;
  c.clearReplies();
  (c as unknown as { socket: { pause(): void } }).socket.pause();
  const get = encodeCommand(['GET', 'k']);
  let sent = 0;
  let evicted = false;
  while (sent < 2000 && !evicted) {
    for (let i = 0; i < 10; i++) c.write(get);
    sent += 10;
    await sleep(5);
    if (sent % 50 === 0) evicted = !(await ctl.exists('reader'));
  }
  evicted = await ctl.until(async () => !(await ctl.exists('reader')), 3000);
  c.destroy();
  return { firstLength, evicted, evictedCounter: await ctl.evicted() };
}

/** Ten clients with about 300 KB of query buffer each under a 4 MB limit; the limit drops to 2 MB. */
async function lowerLimit(ctl: Control): Promise<unknown> {
  const limit = 4 * MB;
  const count = 10;
  const qb = Math.floor((limit - MB) / count);
  await ctl.reset(String(limit));
  const conns: FuzzConn[] = [];
  for (let j = 0; j < count; j++) {
    const c = await ctl.named(`client${j}`);
    c.write(partialBulk(qb, 2));
    await ctl.until(async () => Number(await ctl.field(`client${j}`, 'qbuf')) >= qb, 3000);
    conns.push(c);
  }
  const countConnected = async () => (await ctl.cmd('CLIENT', 'LIST')).split('\n').filter((l) => / name=client\d /.test(l)).length;
  const before = await countConnected();
  await ctl.cmd('CONFIG', 'SET', 'maxmemory-clients', String(limit / 2));
  await sleep(100);
  const after = await countConnected();
  for (const c of conns) c.destroy();
  const evicted = await ctl.evicted();
  return { before, someLeft: after > 0 && after < count, countersMatch: evicted === count - after };
}

describe.skipIf(!haveRedisServer())('maxmemory-clients (client eviction), as redis-server 7.0', () => {
  let slab: TargetServer;
  let redis: RedisServerHandle;
  let s: Control;
  let r: Control;
  beforeAll(async () => {
    [slab, redis] = await Promise.all([startTarget({ loglevel: 'warning' }), startRedisServer()]);
    [s, r] = await Promise.all([Control.open(slab), Control.open(redis)]);
  });
  afterAll(async () => {
    s?.conn.destroy();
    r?.conn.destroy();
    await slab?.stop();
    await redis?.stop();
  });

  const both = async (scenario: (ctl: Control) => Promise<unknown>) => Promise.all([scenario(s), scenario(r)]);

  it('evicts a client whose incomplete bulk passes the limit, not one under it', { timeout: 20_000 }, async () => {
    const [a, b] = await both(bigQueryBuffer);
    expect(b).toEqual({ smallSurvives: true, bigEvicted: true, smallAfter: true, evicted: 1 });
    expect(a).toEqual(b);
  });

  it('evicts a client sending a command with an argument bigger than the limit', { timeout: 20_000 }, async () => {
    const [a, b] = await both(bigArgument);
    expect(b).toEqual({ ok: '+OK\r\n', get: '$1\r\nv\r\n', evicted: true, closed: true, counter: 1 });
    expect(a).toEqual(b);
  });

  it('evicts a client whose queued transaction passes the limit', { timeout: 30_000 }, async () => {
    const [a, b] = await both(bigTransaction);
    expect(b).toEqual({ started: '+OK\r\n', queuedSome: true, evicted: true, counter: 1, keys: ':0\r\n' });
    expect(a).toEqual(b);
  });

  it('counts subscriptions: 20,000 stay under 3 MB, 200,000 do not', { timeout: 60_000 }, async () => {
    const [fewA, fewB] = await both((ctl) => manySubscriptions(ctl, 20_000));
    expect(fewB).toEqual({ evicted: false, counter: 0 });
    expect(fewA).toEqual(fewB);
    const [manyA, manyB] = await both((ctl) => manySubscriptions(ctl, 200_000));
    expect(manyB).toEqual({ evicted: true, counter: 1 });
    expect(manyA).toEqual(manyB);
  });

  it('takes a percentage of maxmemory', { timeout: 20_000 }, async () => {
    const [a, b] = await both(percentage);
    expect(b).toEqual({ halfSurvives: true, totMemInRange: true, fullEvicted: true, evicted: 1 });
    expect(a).toEqual(b);
  });

  it('spares a client with CLIENT NO-EVICT on, evicts it with off', { timeout: 20_000 }, async () => {
    const [onA, onB] = await both((ctl) => noEvict(ctl, true));
    expect(onB).toEqual({ filledOrGone: true, survives: true, overLimit: true, evicted: 0 });
    expect(onA).toEqual(onB);
    const [offA, offB] = await both((ctl) => noEvict(ctl, false));
    expect(offB).toEqual({ filledOrGone: true, survives: false, overLimit: false, evicted: 1 });
    expect(offA).toEqual(offB);
  });

  it('evicts a client that never reads its big replies', { timeout: 30_000 }, async () => {
    const [a, b] = await both(unreadOutput);
    expect(b).toEqual({ firstLength: 200_001 + 11, evicted: true, evictedCounter: 1 });
    expect(a).toEqual(b);
  });

  it('evicts some clients, biggest first, when CONFIG SET lowers the limit', { timeout: 30_000 }, async () => {
    const [a, b] = await both(lowerLimit);
    expect(b).toEqual({ before: 10, someLeft: true, countersMatch: true });
    expect(a).toEqual(b);
  });
});
