/*
 * Geo commands side by side with redis-server 7.0.15, on seeded random data built to stress
 * what the fixed corpus (test/differential/corpus/geo.txt) only samples: sets of a few
 * hundred to 20,000 points with many members sharing a position (equal distances, so the
 * order of ties exposes the sort: glibc's merge sort for full results, Redis's pqsort under
 * COUNT), listpack and skiplist sources, and a random mix of GEOSEARCH / GEOSEARCHSTORE /
 * GEORADIUS / GEORADIUSBYMEMBER options (BYRADIUS / BYBOX in every unit, COUNT with and
 * without ANY, ASC / DESC, WITHDIST / WITHHASH / WITHCOORD, STORE / STOREDIST read back with
 * ZRANGE WITHSCORES). Every reply must be byte-identical, except the scores STOREDIST writes:
 * full-precision distances, whose last bit can differ where glibc's sin/cos/asin are not
 * correctly rounded and src/trig.ts's are (see the README's differences); those are compared
 * within a relative 1e-14.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { haveRedisServer, startRedisServer, type RedisServerHandle } from '../helpers/redis-server.ts';
import { startTarget, type TargetServer } from '../helpers/target-server.ts';
import { RawClient, decodeReply, escapeBytes, type RespValue } from '../helpers/raw-client.ts';
import { rng } from '../helpers/prng.ts';

const enabled = haveRedisServer('redis-server not on PATH: geo side-by-side test skipped');

describe.skipIf(!enabled)('geo commands against redis-server on seeded data', () => {
  let ref: RedisServerHandle | null = null;
  let target: TargetServer | null = null;
  let a: RawClient | null = null;
  let b: RawClient | null = null;

  beforeAll(async () => {
    ref = await startRedisServer();
    target = await startTarget();
    a = await RawClient.connect(ref.port, ref.host, { timeoutMs: 30_000 });
    b = await RawClient.connect(target.port, target.host, { timeoutMs: 30_000 });
  });

  afterAll(async () => {
    await Promise.all([a?.close(), b?.close()]);
    await Promise.all([ref?.stop(), target?.stop()]);
  });

  /** A ZRANGE WITHSCORES reply of distances: equal members, scores within a relative 1e-14. */
  function closeDistances(ra: Buffer, rb: Buffer): boolean {
    const x = decodeReply(ra);
    const y = decodeReply(rb);
    if (x.kind !== 'aggregate' || y.kind !== 'aggregate' || x.items.length !== y.items.length) return false;
    const text = (v: RespValue): string => (v.kind === 'scalar' ? v.data.toString('latin1') : '');
    for (let i = 0; i < x.items.length; i += 2) {
      if (text(x.items[i]!) !== text(y.items[i]!)) return false;
      const p = Number(text(x.items[i + 1]!));
      const q = Number(text(y.items[i + 1]!));
      if (Math.abs(p - q) > Math.abs(p) * 1e-14) return false;
    }
    return true;
  }

  /** Send the same commands to both servers (pipelined) and collect the first mismatches. */
  async function both(commands: string[][], mismatches: string[]): Promise<void> {
    for (const cmd of commands) {
      a!.send(...cmd);
      b!.send(...cmd);
    }
    let distances = false;
    for (const cmd of commands) {
      const [ra, rb] = await Promise.all([a!.readReply(), b!.readReply()]);
      const same = ra.equals(rb) || (distances && cmd[0] === 'ZRANGE' && closeDistances(ra, rb));
      distances = cmd.includes('STOREDIST');

      if (!same && mismatches.length < 10) {
        let at = 0;
        while (at < ra.length && ra[at] === rb[at]) at++;
        const from = Math.max(0, at - 80);
        mismatches.push(`${cmd.join(' ').slice(0, 160)}\n  redis:     ${escapeBytes(ra.subarray(from, at + 200))}\n  slabcache: ${escapeBytes(rb.subarray(from, at + 200))}`);
      }
    }
  }

  /** `n` members at `spots` distinct positions around (lon, lat), some spots shared by many members. */
  function cloud(r: () => number, key: string, n: number, spots: number, lon: number, lat: number, spread: number): string[][] {
    const places: Array<[string, string]> = [];
    for (let i = 0; i < spots; i++) {
      const x = Math.max(-180, Math.min(180, lon + (r() - 0.5) * spread));
      const y = Math.max(-85, Math.min(85, lat + (r() - 0.5) * spread));
      places.push([x.toFixed(6), y.toFixed(6)]);
    }
    const cmds: string[][] = [];
    let cmd = ['GEOADD', key];
    for (let i = 0; i < n; i++) {
      // Skewed: low-numbered spots get most of the members.
      const s = Math.floor(r() * r() * spots);
      cmd.push(places[s]![0], places[s]![1], `${key}:${i}`);
      if (cmd.length > 3 * 200) {
        cmds.push(cmd);
        cmd = ['GEOADD', key];
      }
    }
    if (cmd.length > 2) cmds.push(cmd);
    return cmds;
  }

  function randomQuery(r: () => number, key: string, members: number, lon: number, lat: number, spread: number): string[][] {
    const units: Array<[string, number]> = [['m', 1], ['km', 1000], ['ft', 0.3048], ['mi', 1609.34]];
    const [unit, meters] = units[Math.floor(r() * units.length)]!;
    const size = (r() < 0.1 ? 3000 : 20 + r() * 300) * 1000 / meters;
    // A centre is always valid, so a STOREDIST destination is never left over by a failed command.
    const cx = Math.max(-180, Math.min(180, lon + (r() - 0.5) * spread)).toFixed(5);
    const cy = Math.max(-85, Math.min(85, lat + (r() - 0.5) * spread)).toFixed(5);
    const member = `${key}:${Math.floor(r() * members)}`;
    const opts: string[] = [];
    const count = r();
    if (count < 0.5) opts.push('COUNT', String(1 + Math.floor(r() * (count < 0.25 ? 10 : 300))));
    if (count < 0.15) opts.push('ANY');
    const sort = r();
    if (sort < 0.3) opts.push('ASC');
    else if (sort < 0.6) opts.push('DESC');
    const kind = r();
    if (kind < 0.2) {
      const dst = r() < 0.5 ? 'STORE' : 'STOREDIST';
      return [
        ['GEORADIUS', key, cx, cy, size.toFixed(3), unit, ...opts, dst, 'dst'],
        ['ZRANGE', 'dst', '0', '-1', 'WITHSCORES'],
      ];
    }
    if (kind < 0.35) {
      const st = r() < 0.5 ? ['STOREDIST'] : [];
      const from = r() < 0.5 ? ['FROMMEMBER', member] : ['FROMLONLAT', cx, cy];
      return [
        ['GEOSEARCHSTORE', 'dst', key, ...from, 'BYBOX', size.toFixed(3), (size * (0.2 + r())).toFixed(3), unit, ...opts, ...st],
        ['ZRANGE', 'dst', '0', '-1', 'WITHSCORES'],
      ];
    }
    if (r() < 0.5) opts.push('WITHDIST');
    if (r() < 0.3) opts.push('WITHHASH');
    if (r() < 0.3) opts.push('WITHCOORD');
    if (kind < 0.5) return [['GEORADIUSBYMEMBER', key, member, size.toFixed(3), unit, ...opts]];
    if (kind < 0.6) return [['GEORADIUS_RO', key, cx, cy, size.toFixed(3), unit, ...opts]];
    const from = r() < 0.4 ? ['FROMMEMBER', member] : ['FROMLONLAT', cx, cy];
    const by = r() < 0.5 ? ['BYRADIUS', size.toFixed(3), unit] : ['BYBOX', size.toFixed(3), (size * (0.2 + r())).toFixed(3), unit];
    return [['GEOSEARCH', key, ...from, ...by, ...opts]];
  }

  const cases: Array<{ name: string; seed: number; members: number; spots: number; lon: number; lat: number; spread: number; queries: number }> = [
    { name: 'a small listpack set with few spots', seed: 1, members: 100, spots: 6, lon: 2.35, lat: 48.85, spread: 1, queries: 300 },
    { name: 'a skiplist set with heavy ties', seed: 2, members: 3000, spots: 40, lon: -73.98, lat: 40.75, spread: 4, queries: 300 },
    { name: 'points across the antimeridian', seed: 3, members: 2000, spots: 400, lon: 179.5, lat: -20, spread: 6, queries: 200 },
    { name: 'points near the north limit', seed: 4, members: 2000, spots: 300, lon: 30, lat: 83, spread: 10, queries: 200 },
    { name: 'a large spread-out set', seed: 5, members: 20000, spots: 15000, lon: 10, lat: 45, spread: 30, queries: 150 },
  ];

  for (const c of cases) {
    it(`${c.name}: ${c.members} members, ${c.queries} queries`, async () => {
      const r = rng(c.seed);
      const key = `g${c.seed}`;
      const mismatches: string[] = [];
      await both(cloud(r, key, c.members, c.spots, c.lon, c.lat, c.spread), mismatches);
      await both([['OBJECT', 'ENCODING', key], ['ZCARD', key]], mismatches);
      for (let q = 0; q < c.queries; q += 25) {
        const batch: string[][] = [];
        for (let k = q; k < Math.min(c.queries, q + 25); k++) batch.push(...randomQuery(r, key, c.members, c.lon, c.lat, c.spread));
        await both(batch, mismatches);
      }
      expect(mismatches).toEqual([]);
    }, 120_000);
  }
});
