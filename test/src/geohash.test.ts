/*
 * Geohash arithmetic (src/geohash.ts): known scores, positions and geohash strings from
 * Redis's own tests and replies, the limits of the valid area (indexes reaching 2^26), scores
 * no GEOADD writes (decoded with x86-64's double -> uint64 conversion), step estimation, the
 * nine search cells; then a seeded differential run against redis-server 7.0.15: random
 * points' scores, GEOPOS, GEOHASH, GEODIST between random pairs in every unit, and the
 * members of random radius and box searches (computed here from areasByShape and the cell
 * score ranges) in Redis's scan order.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  GEO_LAT_MAX, GEO_LAT_MIN, ShapeType, areas, areasByShape, cellScoreRange, decodeScore, distance,
  distanceIfWithin, encodeScore, estimateSteps, lonLat, range, shape, standardGeohash,
} from '../../src/geohash.ts';
import { formatFixedPoint, formatHumanDouble } from '../../src/format-fixed.ts';
import { haveRedisServer, startRedisServer, type RedisServerHandle } from '../helpers/redis-server.ts';
import { RawClient, decodeReply, type RespValue } from '../helpers/raw-client.ts';
import { rng } from '../helpers/prng.ts';

function position(score: number): [string, string] {
  decodeScore(score);
  return [formatHumanDouble(lonLat[0]), formatHumanDouble(lonLat[1])];
}

function geohash(score: number): string {
  const out = new Uint8Array(11);
  standardGeohash(score, out);
  return Buffer.from(out).toString('latin1');
}

describe('scores', () => {
  it('encodes as GEOADD does (geo.tcl and Redis replies)', () => {
    expect(encodeScore(13.361389, 38.115556)).toBe(3479099956230698);
    expect(encodeScore(15.087269, 37.502669)).toBe(3479447370796909);
    expect(encodeScore(-74.0131604, 40.7126674)).toBe(1791873972053020);
    expect(encodeScore(-73.9903085, 40.7362513)).toBe(1791875485187452);
    expect(encodeScore(-73.7858139, 40.6428986)).toBe(1791895905559723);
    expect(encodeScore(-73.9564142, 40.7480973)).toBe(1791875796750882);
  });

  it('reaches bits 52 and 53 at the upper limits, rounded to a double', () => {
    expect(encodeScore(180, GEO_LAT_MAX)).toBe(13510798882111488);
    expect(encodeScore(-180, GEO_LAT_MIN)).toBe(0);
    // Latitude index 2^26 (bit 52), longitude index 2^25 (bit 51).
    expect(encodeScore(0, GEO_LAT_MAX)).toBe(2 ** 52 + 2 ** 51);
    // 2^53 plus odd latitude bits is not a double: the nearest one is stored.
    const s = encodeScore(180, 0);
    expect(Number.isInteger(s)).toBe(true);
    expect(s).toBeGreaterThanOrEqual(2 ** 53);
  });
});

describe('decodeScore', () => {
  it('gives the cell centre that GEOPOS prints', () => {
    expect(position(3479099956230698)).toEqual(['13.36138933897018433', '38.11555639549629859']);
    expect(position(3479447370796909)).toEqual(['15.08726745843887329', '37.50266842333162032']);
    expect(position(13510798882111488)).toEqual(['180', '85.0511287799999991']);
    expect(position(2 ** 52 - 1)).toEqual(['179.99999731779098511', '85.05112751263942528']);
  });

  it('decodes any score as x86-64 converts doubles to uint64', () => {
    // -1: all bits set, clamped to the upper corner.
    expect(position(-1)).toEqual(['180', '85.0511287799999991']);
    // 1.5 truncates to 1; inf and >= 2^64 give 0.
    expect(position(1.5)).toEqual(['-179.99999731779098511', '-85.05112497791824921']);
    expect(position(Infinity)).toEqual(position(0));
    expect(position(1e30)).toEqual(position(0));
    // -inf and below -2^63: 0x8000000000000000, a longitude index past the range.
    expect(position(-Infinity)).toEqual(['180', '-85.05112751263942528']);
    expect(position(-9.3e18)).toEqual(['180', '-85.05112751263942528']);
  });
});

describe('standardGeohash', () => {
  it('re-encodes on -180..180 / -90..90 with a final 0', () => {
    expect(geohash(encodeScore(-5.6, 42.6))).toBe('ezs42e44yx0');
    expect(geohash(3479099956230698)).toBe('sqc8b49rny0');
    expect(geohash(3479447370796909)).toBe('sqdtr74hyu0');
    expect(geohash(13510798882111488)).toBe('bp05b5048p0');
    expect(geohash(0)).toBe('00bh0hbj200');
  });
});

describe('distances and steps', () => {
  it('haversine with Redis earth radius', () => {
    decodeScore(3479099956230698);
    const [lon1, lat1] = [lonLat[0], lonLat[1]];
    decodeScore(3479447370796909);
    expect(distance(lon1, lat1, lonLat[0], lonLat[1])).toBeCloseTo(166274.1516, 3);
    expect(distance(10, 20, 10, 21)).toBeCloseTo(6372797.560856 * Math.PI / 180, 6);
    expect(distance(1, 2, 1, 2)).toBe(0);
  });

  it('estimates steps from the radius and latitude', () => {
    expect(estimateSteps(0, 0)).toBe(26);
    expect(estimateSteps(5e7, 0)).toBe(1);
    // 1 m doubles 25 times to pass 20037726.37 m: step 1 + 25 - 2.
    expect(estimateSteps(1, 0)).toBe(24);
    expect(estimateSteps(1000, 0)).toBe(14);
    expect(estimateSteps(1000, 70)).toBe(13);
    expect(estimateSteps(1000, -81)).toBe(12);
  });

  it('tests circles and boxes around the shape centre', () => {
    shape.type = ShapeType.CIRCULAR;
    shape.lon = 0;
    shape.lat = 0;
    shape.conversion = 1000;
    shape.radius = 112;
    expect(distanceIfWithin(1, 0)).toBeCloseTo(111226.29, 1);
    expect(distanceIfWithin(0, 1.1)).toBe(-1);
    shape.type = ShapeType.RECTANGLE;
    shape.width = 224;
    shape.height = 10;
    expect(distanceIfWithin(1, 0)).toBeCloseTo(111226.29, 1);
    expect(distanceIfWithin(0, 1)).toBe(-1);
  });
});

describe('areasByShape', () => {
  it('covers the centre with its own cell at step 26 for a zero radius', () => {
    shape.type = ShapeType.CIRCULAR;
    shape.lon = 13.361389;
    shape.lat = 38.115556;
    shape.conversion = 1;
    shape.radius = 0;
    areasByShape();
    expect(areas.step[0]).toBe(26);
    cellScoreRange(0);
    expect(range.min).toBe(3479099956230698);
    expect(range.max).toBe(3479099956230699);
  });

  it('drops to step 1 for huge radiuses, where neighbours coincide', () => {
    shape.radius = 50000;
    shape.conversion = 1000;
    areasByShape();
    expect(Array.from(areas.step)).toEqual([1, 1, 1, 1, 1, 1, 1, 1, 1]);
    expect(areas.lat[1]).toBe(areas.lat[2]);
    expect(areas.lon[3]).toBe(areas.lon[4]);
  });

  it('leaves out neighbours beyond the bounding box', () => {
    shape.type = ShapeType.RECTANGLE;
    shape.lon = 15;
    shape.lat = 37;
    shape.width = 400;
    shape.height = 2;
    shape.conversion = 1000;
    areasByShape();
    const kept = Array.from(areas.step).filter((s) => s !== 0).length;
    expect(kept).toBeLessThan(9);
    expect(areas.step[0]).not.toBe(0);
  });
});

function scalar(v: RespValue): string | null {
  return v.kind === 'scalar' ? v.data.toString('latin1') : null;
}

function items(v: RespValue): RespValue[] {
  if (v.kind !== 'aggregate') throw new Error(`not an array: ${JSON.stringify(v)}`);
  return v.items;
}

describe('differential: geohash arithmetic against redis-server', () => {
  const enabled = haveRedisServer('redis-server not on PATH: geohash differential test skipped');
  let server: RedisServerHandle | null = null;
  let client: RawClient | null = null;
  const POINTS = 3000;
  const r = rng(0x9e0);
  const points: Array<{ name: string; lon: number; lat: number; score: number }> = [];

  beforeAll(async () => {
    if (!enabled) return;
    server = await startRedisServer();
    client = await RawClient.connect(server.port, server.host, { timeoutMs: 20_000 });
  });

  afterAll(async () => {
    await client?.close();
    await server?.stop();
  });

  it.skipIf(!enabled)(`agrees on the scores, positions and geohashes of ${POINTS} seeded points`, async () => {
    const edges = [-180, 180, GEO_LAT_MIN, GEO_LAT_MAX, 0];
    for (let i = 0; i < POINTS; i++) {
      let lon = -180 + r() * 360;
      let lat = GEO_LAT_MIN + r() * (GEO_LAT_MAX - GEO_LAT_MIN);
      if (i % 50 === 0) lon = edges[i % 2];
      if (i % 70 === 0) lat = edges[2 + (i % 3)];
      if (i % 7 === 0) lon = Math.round(lon * 1000) / 1000;
      points.push({ name: `p${i}`, lon, lat, score: encodeScore(lon, lat) });
    }
    for (const p of points) client!.send('GEOADD', 'pts', String(p.lon), String(p.lat), p.name);
    for (const p of points) client!.send('ZSCORE', 'pts', p.name);
    client!.send('GEOPOS', 'pts', ...points.map((p) => p.name));
    client!.send('GEOHASH', 'pts', ...points.map((p) => p.name));
    const mismatches: string[] = [];
    for (const p of points) expect((await client!.readReply()).toString('latin1')).toBe(':1\r\n');
    for (const p of points) {
      const got = scalar(decodeReply(await client!.readReply()));
      if (got === null || Number(got) !== p.score) mismatches.push(`score of ${p.lon},${p.lat}: redis ${got}, ours ${p.score}`);
    }
    const pos = items(decodeReply(await client!.readReply()));
    const hashes = items(decodeReply(await client!.readReply()));
    points.forEach((p, i) => {
      const [lon, lat] = position(p.score);
      const xy = items(pos[i]!).map(scalar);
      if (xy[0] !== lon || xy[1] !== lat) mismatches.push(`GEOPOS ${p.lon},${p.lat}: redis ${xy.join(',')}, ours ${lon},${lat}`);
      const h = scalar(hashes[i]!);
      if (h !== geohash(p.score)) mismatches.push(`GEOHASH ${p.lon},${p.lat}: redis ${h}, ours ${geohash(p.score)}`);
    });
    expect(mismatches.slice(0, 10)).toEqual([]);
  });

  it.skipIf(!enabled)('prints the same GEODIST for 40000 seeded pairs', async () => {
    const PAIRS = 40000;
    const units: Array<[string, number]> = [['m', 1], ['km', 1000], ['ft', 0.3048], ['mi', 1609.34]];
    const pairs: Array<[number, number, number]> = [];
    for (let k = 0; k < PAIRS; k++) {
      const i = Math.floor(r() * points.length);
      const j = Math.floor(r() * points.length);
      const u = k % units.length;
      pairs.push([i, j, u]);
      client!.send('GEODIST', 'pts', points[i]!.name, points[j]!.name, units[u]![0]);
    }
    const mismatches: string[] = [];
    for (const [i, j, u] of pairs) {
      const got = scalar(decodeReply(await client!.readReply()));
      decodeScore(points[i]!.score);
      const lon1 = lonLat[0];
      const lat1 = lonLat[1];
      decodeScore(points[j]!.score);
      const ours = formatFixedPoint(distance(lon1, lat1, lonLat[0], lonLat[1]) / units[u]![1], 4);
      if (got !== ours) mismatches.push(`GEODIST ${points[i]!.name} ${points[j]!.name} ${units[u]![0]}: redis ${got}, ours ${ours}`);
    }
    expect(mismatches.slice(0, 10)).toEqual([]);
  });

  it.skipIf(!enabled)('finds the same members, in the same scan order, for seeded radius and box searches', async () => {
    const sorted = [...points].sort((a, b) => a.score - b.score || Buffer.compare(Buffer.from(a.name), Buffer.from(b.name)));
    const mismatches: string[] = [];
    const SEARCHES = 300;
    const queries: Array<{ args: string[]; expected: string[] }> = [];
    for (let q = 0; q < SEARCHES; q++) {
      const lon = -180 + r() * 360;
      const lat = -84 + r() * 168;
      const box = q % 2 === 1;
      const big = q % 10 === 0;
      const a = Math.round((big ? 10 + r() * 5000 : 10 + r() * 800) * 1000) / 1000;
      const b = Math.round((big ? 10 + r() * 5000 : 10 + r() * 800) * 1000) / 1000;
      shape.type = box ? ShapeType.RECTANGLE : ShapeType.CIRCULAR;
      shape.lon = lon;
      shape.lat = lat;
      shape.conversion = 1000;
      shape.radius = a;
      shape.width = a;
      shape.height = b;
      areasByShape();
      const expected: string[] = [];
      let last = 0;
      for (let i = 0; i < 9; i++) {
        if (areas.step[i] === 0) continue;
        if (last !== 0 && areas.lat[i] === areas.lat[last] && areas.lon[i] === areas.lon[last] && areas.step[i] === areas.step[last]) continue;
        cellScoreRange(i);
        for (const p of sorted) {
          if (p.score < range.min || !(p.score < range.max)) continue;
          decodeScore(p.score);
          if (distanceIfWithin(lonLat[0], lonLat[1]) !== -1) expected.push(p.name);
        }
        last = i;
      }
      const by = box ? ['BYBOX', String(a), String(b), 'km'] : ['BYRADIUS', String(a), 'km'];
      const args = ['GEOSEARCH', 'pts', 'FROMLONLAT', String(lon), String(lat), ...by];
      client!.send(...args);
      queries.push({ args, expected });
    }
    let nonEmpty = 0;
    for (const q of queries) {
      const got = items(decodeReply(await client!.readReply())).map(scalar);
      if (got.length > 0) nonEmpty++;
      if (got.join(' ') !== q.expected.join(' ')) mismatches.push(`${q.args.join(' ')}: redis ${got.length} members, ours ${q.expected.length}`);
    }
    expect(mismatches.slice(0, 10)).toEqual([]);
    expect(nonEmpty).toBeGreaterThan(SEARCHES / 2);
  });
});
