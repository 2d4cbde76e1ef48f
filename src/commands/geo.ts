/*
 * Geo commands (Redis 7.0 geo.c): GEOADD, GEODIST, GEOHASH, GEOPOS, GEOSEARCH,
 * GEOSEARCHSTORE, GEORADIUS, GEORADIUSBYMEMBER and the _RO forms. A geo set is a sorted set
 * whose scores are 52-bit geohashes (src/geohash.ts); nothing here is a separate type.
 *
 * GEOADD validates every coordinate pair, turns each into its score and hands the pairs to
 * ZADD's own code (zaddApply), as geo.c rewrites the command into a ZADD: same lookup, same
 * encoding choice, same reply and `zadd` event.
 *
 * The searches (georadiusGeneric) parse in geo.c's order, so the same error wins when
 * several arguments are wrong: the source key's type first, then the centre and size, then
 * the options left to right, then the cross-option checks. The centre and size go into
 * geohash.ts's `shape`, which yields the nine cells to scan; each cell is a score range
 * [min, max) walked in the set, and every point inside the circle or box is appended to a
 * struct-of-arrays result (set position, coordinates, distance, score) that is reused from
 * one query to the next: no object per point. The set is not written while a query runs, so
 * positions stay valid until the reply or the STORE copy is made. Cost: per cell O(log n)
 * to find its first score plus one decode and one distance per member in its range, as in
 * Redis; then O(m log m) to sort m results.
 *
 * Order: unsorted results come in scan order (cell by cell, score order within a cell), as
 * in Redis. A full sort is a top-down merge sort like glibc's qsort (stable, the same
 * comparisons), and a COUNT smaller than the result sorts with a port of Redis's pqsort
 * (partial Bentley-McIlroy quicksort), so ties between equal distances come out in the
 * order redis-server gives them, not merely a valid order.
 *
 * Replies: distances as addReplyDoubleDistance (llrint of the value times 10^4, four
 * decimals, a bulk string in RESP2 and RESP3), coordinates as addReplyHumanLongDouble
 * (%.17Lf trimmed; RESP3 doubles), WITHHASH as the integer score.
 *
 * Keyspace events and WATCH: GEOADD sends ZADD's. The STORE forms use setKey (an existing
 * destination is overwritten: no del, no new; a created one gets new) and then send
 * `georadiusstore` (GEORADIUS*) or `geosearchstore` (GEOSEARCHSTORE); an empty result
 * deletes the destination (del, only when it existed), as does a missing source.
 */
import type { Client } from '../client.ts';
import type { Registry } from '../registry.ts';
import { E_NOT_FLOAT, E_NOT_INTEGER, E_SYNTAX, R_EMPTY_ARRAY, R_ZERO } from '../../protocol/replies.ts';
import { KeyType, Lookup } from '../../store/types.ts';
import { NotifyClass } from '../keyspace-events.ts';
import { parsed } from '../numbers.ts';
import { string2d, strtodResult } from '../strtod.ts';
import { formatFixed, formatFixedPoint, formatHumanDouble } from '../format-fixed.ts';
import { ZsetValue, ZaddIn, ZNIL, type ScoreRange } from '../types/zset-value.ts';
import { zaddApply, storeNewZset, deleteDestination, zsetAt } from './zsets.ts';
import {
  GEO_LAT_MAX, GEO_LAT_MIN, GEO_LONG_MAX, GEO_LONG_MIN, ShapeType,
  areas, areasByShape, cellScoreRange, decodeScore, distance, distanceIfWithin, encodeScore,
  lonLat, range, shape, standardGeohash,
} from '../geohash.ts';

function err(text: string): Buffer {
  return Buffer.from(`-${text}\r\n`, 'latin1');
}

const E_UNIT = err('ERR unsupported unit provided. please use M, KM, FT, MI');
const E_NEED_RADIUS = err('ERR need numeric radius');
const E_NEED_WIDTH = err('ERR need numeric width');
const E_NEED_HEIGHT = err('ERR need numeric height');
const E_RADIUS_NEGATIVE = err('ERR radius cannot be negative');
const E_BOX_NEGATIVE = err('ERR height or width cannot be negative');
const E_MEMBER = err('ERR could not decode requested zset member');
const E_COUNT = err('ERR COUNT must be > 0');
const E_ANY = err('ERR the ANY argument requires COUNT argument');
const E_STORE_WITH = err('ERR STORE option in GEORADIUS is not compatible with WITHDIST, WITHHASH and WITHCOORD options');
const E_SEARCHSTORE_WITH = err('ERR GEOSEARCHSTORE is not compatible with WITHDIST, WITHHASH and WITHCOORD options');

// ---- argument helpers ------------------------------------------------------------------------

/** The pair read by longLatOrReply. */
let argLon = 0;
let argLat = 0;

/** getDoubleFromObjectOrReply of argument i, or NaN after replying `message`. */
function doubleOrReply(c: Client, i: number, message: Uint8Array): number {
  if (!string2d(c.argBuf, c.argOff[i], c.argLen[i])) {
    c.reply.raw(message);
    return NaN;
  }
  return strtodResult.value;
}

/** extractLongLatOrReply: arguments i and i+1 into argLon/argLat; false after replying. */
function longLatOrReply(c: Client, i: number): boolean {
  const lon = doubleOrReply(c, i, E_NOT_FLOAT);
  if (lon !== lon) return false;
  const lat = doubleOrReply(c, i + 1, E_NOT_FLOAT);
  if (lat !== lat) return false;
  if (lon < GEO_LONG_MIN || lon > GEO_LONG_MAX || lat < GEO_LAT_MIN || lat > GEO_LAT_MAX) {
    c.reply.error(`ERR invalid longitude,latitude pair ${formatFixed(lon, 6)},${formatFixed(lat, 6)}`);
    return false;
  }
  argLon = lon;
  argLat = lat;
  return true;
}

/** extractUnitOrReply: meters per unit of argument i, or -1 after replying. */
function unitOrReply(c: Client, i: number): number {
  if (c.argIs(i, 'm')) return 1;
  if (c.argIs(i, 'km')) return 1000;
  if (c.argIs(i, 'ft')) return 0.3048;
  if (c.argIs(i, 'mi')) return 1609.34;
  c.reply.raw(E_UNIT);
  return -1;
}

/** extractDistanceOrReply: `radius unit` at argument i into shape; false after replying. */
function radiusOrReply(c: Client, i: number): boolean {
  const r = doubleOrReply(c, i, E_NEED_RADIUS);
  if (r !== r) return false;
  if (r < 0) {
    c.reply.raw(E_RADIUS_NEGATIVE);
    return false;
  }
  const conversion = unitOrReply(c, i + 1);
  if (conversion < 0) return false;
  shape.radius = r;
  shape.conversion = conversion;
  return true;
}

/** extractBoxOrReply: `width height unit` at argument i into shape; false after replying. */
function boxOrReply(c: Client, i: number): boolean {
  const w = doubleOrReply(c, i, E_NEED_WIDTH);
  if (w !== w) return false;
  const h = doubleOrReply(c, i + 1, E_NEED_HEIGHT);
  if (h !== h) return false;
  if (h < 0 || w < 0) {
    c.reply.raw(E_BOX_NEGATIVE);
    return false;
  }
  const conversion = unitOrReply(c, i + 2);
  if (conversion < 0) return false;
  shape.width = w;
  shape.height = h;
  shape.conversion = conversion;
  return true;
}

/** longLatFromMember: the decoded position of a member into shape's centre; false when absent. */
function centreFromMember(zv: ZsetValue, c: Client, i: number): boolean {
  const score = zv.score(c.argBuf, c.argOff[i], c.argLen[i]);
  if (score !== score) return false;
  decodeScore(score);
  shape.lon = lonLat[0];
  shape.lat = lonLat[1];
  return true;
}

// ---- GEOADD ----------------------------------------------------------------------------------

let scoreScratch = new Float64Array(16);

/** GEOADD key [NX|XX] [CH] longitude latitude member [...]. */
function cmdGeoadd(c: Client): void {
  let xx = false;
  let nx = false;
  let ch = false;
  let longidx = 2;
  while (longidx < c.argc) {
    if (c.argIs(longidx, 'nx')) nx = true;
    else if (c.argIs(longidx, 'xx')) xx = true;
    else if (c.argIs(longidx, 'ch')) ch = true;
    else break;
    longidx++;
  }
  const elements = (c.argc - longidx) / 3;
  // (ZADD itself refuses a vector with no pairs left, with the same error.)
  if ((c.argc - longidx) % 3 !== 0 || (xx && nx) || elements === 0) {
    c.reply.raw(E_SYNTAX);
    return;
  }
  if (scoreScratch.length < elements) scoreScratch = new Float64Array(Math.max(elements, scoreScratch.length * 2));
  const scores = scoreScratch;
  for (let j = 0; j < elements; j++) {
    if (!longLatOrReply(c, longidx + j * 3)) return;
    scores[j] = encodeScore(argLon, argLat);
  }
  zaddApply(c, nx ? ZaddIn.NX : xx ? ZaddIn.XX : 0, ch, scores, elements, longidx + 2, 3);
}

// ---- GEODIST / GEOHASH / GEOPOS ---------------------------------------------------------------

/** GEODIST key member1 member2 [unit]. */
function cmdGeodist(c: Client): void {
  let toMeter = 1;
  if (c.argc === 5) {
    toMeter = unitOrReply(c, 4);
    if (toMeter < 0) return;
  } else if (c.argc > 5) {
    c.reply.raw(E_SYNTAX);
    return;
  }
  const h = c.lookupTypedOrReply(1, KeyType.ZSET, Lookup.READ, null);
  if (h < 0) return;
  const zv = zsetAt(c.store, h);
  const s1 = zv.score(c.argBuf, c.argOff[2], c.argLen[2]);
  const s2 = s1 !== s1 ? NaN : zv.score(c.argBuf, c.argOff[3], c.argLen[3]);
  if (s2 !== s2) {
    c.reply.nullBulk();
    return;
  }
  decodeScore(s1);
  const lon1 = lonLat[0];
  const lat1 = lonLat[1];
  decodeScore(s2);
  c.reply.bulkLatin1(formatFixedPoint(distance(lon1, lat1, lonLat[0], lonLat[1]) / toMeter, 4));
}

const hashText = new Uint8Array(11);

/** GEOHASH key [member ...]. */
function cmdGeohash(c: Client): void {
  const h = c.lookupTyped(1, KeyType.ZSET, Lookup.READ);
  if (h === -2) return;
  const zv = h < 0 ? null : zsetAt(c.store, h);
  const reply = c.reply;
  reply.arrayLen(c.argc - 2);
  for (let j = 2; j < c.argc; j++) {
    const score = zv === null ? NaN : zv.score(c.argBuf, c.argOff[j], c.argLen[j]);
    if (score !== score) {
      reply.nullBulk();
      continue;
    }
    standardGeohash(score, hashText);
    reply.bulk(hashText, 0, 11);
  }
}

/** GEOPOS key [member ...]. */
function cmdGeopos(c: Client): void {
  const h = c.lookupTyped(1, KeyType.ZSET, Lookup.READ);
  if (h === -2) return;
  const zv = h < 0 ? null : zsetAt(c.store, h);
  const reply = c.reply;
  reply.arrayLen(c.argc - 2);
  for (let j = 2; j < c.argc; j++) {
    const score = zv === null ? NaN : zv.score(c.argBuf, c.argOff[j], c.argLen[j]);
    if (score !== score) {
      reply.nullArray();
      continue;
    }
    decodeScore(score);
    reply.arrayLen(2);
    reply.doubleText(formatHumanDouble(lonLat[0]));
    reply.doubleText(formatHumanDouble(lonLat[1]));
  }
}

// ---- search results ----------------------------------------------------------------------------

/**
 * The points found by a query (geoArray), struct-of-arrays, reused across queries; after a
 * query that grew them past FOUND_RETAINED entries they are given back.
 */
const FOUND_INITIAL = 64;
const FOUND_RETAINED = 1 << 16;
let found = 0;
let foundPos = new Int32Array(FOUND_INITIAL);
let foundLon = new Float64Array(FOUND_INITIAL);
let foundLat = new Float64Array(FOUND_INITIAL);
let foundDist = new Float64Array(FOUND_INITIAL);
let foundScore = new Float64Array(FOUND_INITIAL);
/** The reply order: indexes into the found arrays. */
let order = new Int32Array(FOUND_INITIAL);
let mergeTmp = new Int32Array(FOUND_INITIAL);

/** Fresh arrays of capacity n, keeping the first `found` points. */
function allocateFound(n: number): void {
  const keep = found < n ? found : n;
  const pos = new Int32Array(n);
  pos.set(foundPos.subarray(0, keep));
  foundPos = pos;
  const lon = new Float64Array(n);
  lon.set(foundLon.subarray(0, keep));
  foundLon = lon;
  const lat = new Float64Array(n);
  lat.set(foundLat.subarray(0, keep));
  foundLat = lat;
  const dist = new Float64Array(n);
  dist.set(foundDist.subarray(0, keep));
  foundDist = dist;
  const score = new Float64Array(n);
  score.set(foundScore.subarray(0, keep));
  foundScore = score;
  order = new Int32Array(n);
  mergeTmp = new Int32Array(n);
}

const cellRange: ScoreRange = { min: 0, max: 0, minex: false, maxex: true };

/**
 * geoGetPointsInRange: append the points of zv with min <= score < max that lie in `shape`.
 * A non-zero limit (COUNT ANY) stops once that many points are found in all.
 */
function pointsInRange(zv: ZsetValue, min: number, max: number, limit: number): void {
  cellRange.min = min;
  cellRange.max = max;
  for (let p = zv.firstInRange(cellRange); p !== ZNIL; p = zv.next(p)) {
    const score = zv.scoreAt(p);
    if (!(score < max)) break;
    decodeScore(score);
    const d = distanceIfWithin(lonLat[0], lonLat[1]);
    if (d !== -1) {
      if (found === foundPos.length) allocateFound(found * 2);
      foundPos[found] = p;
      foundLon[found] = lonLat[0];
      foundLat[found] = lonLat[1];
      foundDist[found] = d;
      foundScore[found] = score;
      found++;
    }
    if (found !== 0 && limit !== 0 && found >= limit) break;
  }
}

/**
 * membersOfAllNeighbors: scan the nine cells of `areas`, skipping left-out cells and a cell
 * equal to the last one scanned (huge radiuses make neighbours coincide).
 */
function membersOfAllNeighbors(zv: ZsetValue, limit: number): void {
  let last = 0;
  for (let i = 0; i < 9; i++) {
    if (areas.step[i] === 0) continue;
    if (last !== 0 && areas.lat[i] === areas.lat[last] && areas.lon[i] === areas.lon[last] && areas.step[i] === areas.step[last]) continue;
    if (found !== 0 && limit !== 0 && found >= limit) break;
    cellScoreRange(i);
    pointsInRange(zv, range.min, range.max, limit);
    last = i;
  }
}

// ---- sorting -----------------------------------------------------------------------------------

let sortDescending = false;

/** sort_gp_asc / sort_gp_desc on two found points. */
function compareFound(a: number, b: number): number {
  const da = foundDist[a];
  const db = foundDist[b];
  const r = da > db ? 1 : da === db ? 0 : -1;
  return sortDescending ? -r : r;
}

/** glibc's qsort (msort): a stable top-down merge sort of order[lo, lo + n). */
function mergeSort(lo: number, n: number): void {
  if (n <= 1) return;
  const n1 = n >>> 1;
  const n2 = n - n1;
  mergeSort(lo, n1);
  mergeSort(lo + n1, n2);
  let i = lo;
  let j = lo + n1;
  let r1 = n1;
  let r2 = n2;
  let k = 0;
  while (r1 > 0 && r2 > 0) {
    if (compareFound(order[i], order[j]) <= 0) {
      mergeTmp[k++] = order[i++];
      r1--;
    } else {
      mergeTmp[k++] = order[j++];
      r2--;
    }
  }
  while (r1 > 0) {
    mergeTmp[k++] = order[i++];
    r1--;
  }
  for (let m = 0; m < k; m++) order[lo + m] = mergeTmp[m];
}

function cmpAt(i: number, j: number): number {
  return compareFound(order[i], order[j]);
}

function swapAt(i: number, j: number): void {
  const t = order[i];
  order[i] = order[j];
  order[j] = t;
}

function swapRuns(a: number, b: number, n: number): void {
  for (let k = 0; k < n; k++) swapAt(a + k, b + k);
}

function med3(a: number, b: number, c: number): number {
  return cmpAt(a, b) < 0
    ? (cmpAt(b, c) < 0 ? b : cmpAt(a, c) < 0 ? c : a)
    : (cmpAt(b, c) > 0 ? b : cmpAt(a, c) < 0 ? a : c);
}

/**
 * Redis's pqsort (pqsort.c): Bentley & McIlroy's quicksort of order[lo, lo + n) that only
 * recurses into parts overlapping [lrange, rrange], so those positions end up sorted.
 */
function partialSort(lo: number, n: number, lrange: number, rrange: number): void {
  for (;;) {
    if (n < 7) {
      for (let pm = lo + 1; pm < lo + n; pm++) {
        for (let pl = pm; pl > lo && cmpAt(pl - 1, pl) > 0; pl--) swapAt(pl, pl - 1);
      }
      return;
    }
    let pm = lo + (n >>> 1);
    if (n > 7) {
      let pl = lo;
      let pn = lo + n - 1;
      if (n > 40) {
        const d = n >>> 3;
        pl = med3(pl, pl + d, pl + 2 * d);
        pm = med3(pm - d, pm, pm + d);
        pn = med3(pn - 2 * d, pn - d, pn);
      }
      pm = med3(pl, pm, pn);
    }
    swapAt(lo, pm);
    let pa = lo + 1;
    let pb = pa;
    let pc = lo + n - 1;
    let pd = pc;
    for (;;) {
      let r: number;
      while (pb <= pc && (r = cmpAt(pb, lo)) <= 0) {
        if (r === 0) swapAt(pa++, pb);
        pb++;
      }
      while (pb <= pc && (r = cmpAt(pc, lo)) >= 0) {
        if (r === 0) swapAt(pc, pd--);
        pc--;
      }
      if (pb > pc) break;
      swapAt(pb++, pc--);
    }
    const pn = lo + n;
    let r = Math.min(pa - lo, pb - pa);
    swapRuns(lo, pb - r, r);
    r = Math.min(pd - pc, pn - pd - 1);
    swapRuns(pb, pn - r, r);
    r = pb - pa;
    if (r > 1 && !(rrange < lo || lrange > lo + r - 1)) partialSort(lo, r, lrange, rrange);
    r = pd - pc;
    if (r <= 1) return;
    lo = pn - r;
    n = r;
    if (rrange < lo || lrange > lo + r - 1) return;
  }
}

// ---- GEORADIUS / GEOSEARCH family ---------------------------------------------------------------

const Flag = { COORDS: 1, MEMBER: 2, NOSTORE: 4, SEARCH: 8, SEARCHSTORE: 16 } as const;
const Sort = { NONE: 0, ASC: 1, DESC: 2 } as const;

/**
 * georadiusGeneric: GEORADIUS[_RO] key lon lat radius unit ..., GEORADIUSBYMEMBER[_RO] key
 * member radius unit ..., GEOSEARCH key ..., GEOSEARCHSTORE dst key ... (srcArg: the key).
 */
function georadiusGeneric(c: Client, srcArg: number, flags: number): void {
  const h = c.lookupTyped(srcArg, KeyType.ZSET, Lookup.READ);
  if (h === -2) return;
  const zv = h < 0 ? null : zsetAt(c.store, h);
  let storeArg = -1;
  let storedist = false;
  let baseArgs: number;
  if ((flags & Flag.COORDS) !== 0) {
    baseArgs = 6;
    shape.type = ShapeType.CIRCULAR;
    if (!longLatOrReply(c, 2)) return;
    shape.lon = argLon;
    shape.lat = argLat;
    if (!radiusOrReply(c, 4)) return;
  } else if ((flags & Flag.MEMBER) !== 0) {
    // Without a source the member and radius are not looked at: the reply is empty anyway.
    baseArgs = 5;
    if (zv !== null) {
      shape.type = ShapeType.CIRCULAR;
      if (!centreFromMember(zv, c, 2)) {
        c.reply.raw(E_MEMBER);
        return;
      }
      if (!radiusOrReply(c, 3)) return;
    }
  } else {
    baseArgs = 2;
    if ((flags & Flag.SEARCHSTORE) !== 0) {
      baseArgs = 3;
      storeArg = 1;
    }
  }

  let withdist = false;
  let withhash = false;
  let withcoords = false;
  let frommember = false;
  let fromloc = false;
  let byradius = false;
  let bybox = false;
  let sort: number = Sort.NONE;
  let any = false;
  let count = 0;
  const search = (flags & Flag.SEARCH) !== 0;
  const mayStore = (flags & Flag.NOSTORE) === 0 && !search;
  const remaining = c.argc - baseArgs;
  for (let i = 0; i < remaining; i++) {
    const a = baseArgs + i;
    if (c.argIs(a, 'withdist')) {
      withdist = true;
    } else if (c.argIs(a, 'withhash')) {
      withhash = true;
    } else if (c.argIs(a, 'withcoord')) {
      withcoords = true;
    } else if (c.argIs(a, 'any')) {
      any = true;
    } else if (c.argIs(a, 'asc')) {
      sort = Sort.ASC;
    } else if (c.argIs(a, 'desc')) {
      sort = Sort.DESC;
    } else if (c.argIs(a, 'count') && i + 1 < remaining) {
      if (!c.argInt64(a + 1)) {
        c.reply.raw(E_NOT_INTEGER);
        return;
      }
      count = parsed.isBig ? Number(parsed.big) : parsed.num;
      if (count <= 0) {
        c.reply.raw(E_COUNT);
        return;
      }
      i++;
    } else if (c.argIs(a, 'store') && i + 1 < remaining && mayStore) {
      storeArg = a + 1;
      storedist = false;
      i++;
    } else if (c.argIs(a, 'storedist') && i + 1 < remaining && mayStore) {
      storeArg = a + 1;
      storedist = true;
      i++;
    } else if (c.argIs(a, 'storedist') && search && (flags & Flag.SEARCHSTORE) !== 0) {
      storedist = true;
    } else if (c.argIs(a, 'frommember') && i + 1 < remaining && search && !fromloc) {
      if (zv !== null && !centreFromMember(zv, c, a + 1)) {
        c.reply.raw(E_MEMBER);
        return;
      }
      frommember = true;
      i++;
    } else if (c.argIs(a, 'fromlonlat') && i + 2 < remaining && search && !frommember) {
      if (!longLatOrReply(c, a + 1)) return;
      shape.lon = argLon;
      shape.lat = argLat;
      fromloc = true;
      i += 2;
    } else if (c.argIs(a, 'byradius') && i + 2 < remaining && search && !bybox) {
      if (!radiusOrReply(c, a + 1)) return;
      shape.type = ShapeType.CIRCULAR;
      byradius = true;
      i += 2;
    } else if (c.argIs(a, 'bybox') && i + 3 < remaining && search && !byradius) {
      if (!boxOrReply(c, a + 1)) return;
      shape.type = ShapeType.RECTANGLE;
      bybox = true;
      i += 3;
    } else {
      c.reply.raw(E_SYNTAX);
      return;
    }
  }

  if (storeArg >= 0 && (withdist || withhash || withcoords)) {
    c.reply.raw((flags & Flag.SEARCHSTORE) !== 0 ? E_SEARCHSTORE_WITH : E_STORE_WITH);
    return;
  }
  if (search && !(frommember || fromloc)) {
    c.reply.error(`ERR exactly one of FROMMEMBER or FROMLONLAT can be specified for ${commandName(c)}`);
    return;
  }
  if (search && !(byradius || bybox)) {
    c.reply.error(`ERR exactly one of BYRADIUS and BYBOX can be specified for ${commandName(c)}`);
    return;
  }
  if (any && count === 0) {
    c.reply.raw(E_ANY);
    return;
  }

  if (zv === null) {
    if (storeArg >= 0) {
      deleteDestination(c, storeArg);
      c.reply.raw(R_ZERO);
    } else {
      c.reply.raw(R_EMPTY_ARRAY);
    }
    return;
  }

  // COUNT keeps the nearest points, so it implies ASC (but ANY takes the first found).
  if (count !== 0 && sort === Sort.NONE && !any) sort = Sort.ASC;

  areasByShape();
  found = 0;
  membersOfAllNeighbors(zv, any ? count : 0);

  if (found === 0 && storeArg < 0) {
    c.reply.raw(R_EMPTY_ARRAY);
    return;
  }
  const resultLength = found;
  const returned = count === 0 || resultLength < count ? resultLength : count;
  for (let k = 0; k < resultLength; k++) order[k] = k;
  if (sort !== Sort.NONE) {
    sortDescending = sort === Sort.DESC;
    if (returned === resultLength) mergeSort(0, resultLength);
    else partialSort(0, resultLength, 0, returned - 1);
  }

  if (storeArg < 0) replyFound(c, zv, returned, withdist, withhash, withcoords);
  else storeFound(c, zv, storeArg, storedist, returned, search ? 'geosearchstore' : 'georadiusstore');
  if (foundPos.length > FOUND_RETAINED) allocateFound(FOUND_INITIAL);
}

/**
 * The STORE forms: the first `returned` points in `order` become a sorted set at argument
 * storeArg (scored by distance in the query's unit when storedist), or the destination is
 * deleted when there are none.
 */
function storeFound(c: Client, zv: ZsetValue, storeArg: number, storedist: boolean, returned: number, event: string): void {
  if (returned === 0) {
    deleteDestination(c, storeArg);
    c.reply.raw(R_ZERO);
    return;
  }
  const settings = c.server.settings;
  const maxEntries = settings.zsetMaxListpackEntries;
  const maxValue = settings.zsetMaxListpackValue;
  const dst = new ZsetValue(true, returned);
  for (let k = 0; k < returned; k++) {
    const g = order[k];
    const bytes = zv.member(foundPos[g]);
    const score = storedist ? foundDist[g] / shape.conversion : foundScore[g];
    dst.add(bytes, zv.memberOff, zv.memberLen, score, 0, maxEntries, maxValue);
  }
  dst.compactIfSmall(maxEntries, maxValue);
  if (!storeNewZset(c, storeArg, dst, true)) return;
  c.modified(storeArg);
  c.notify(NotifyClass.ZSET, event, storeArg);
  c.reply.int(returned);
}

/** The command name as the client typed it (argv[0]), for the errors that quote it. */
function commandName(c: Client): string {
  const off = c.argOff[0];
  return c.argBuf.toString('latin1', off, off + c.argLen[0]);
}

/** The reply of a search without STORE: the first `returned` points in `order`. */
function replyFound(c: Client, zv: ZsetValue, returned: number, withdist: boolean, withhash: boolean, withcoords: boolean): void {
  const reply = c.reply;
  const options = (withdist ? 1 : 0) + (withhash ? 1 : 0) + (withcoords ? 1 : 0);
  reply.arrayLen(returned);
  for (let k = 0; k < returned && !reply.overLimit; k++) {
    const g = order[k];
    if (options !== 0) reply.arrayLen(options + 1);
    const bytes = zv.member(foundPos[g]);
    reply.bulk(bytes, zv.memberOff, zv.memberLen);
    if (withdist) reply.bulkLatin1(formatFixedPoint(foundDist[g] / shape.conversion, 4));
    // addReplyLongLong of the score: truncated (the scores a search finds lie in [0, 2^54)).
    if (withhash) reply.int(Math.trunc(foundScore[g]));
    if (withcoords) {
      reply.arrayLen(2);
      reply.doubleText(formatHumanDouble(foundLon[g]));
      reply.doubleText(formatHumanDouble(foundLat[g]));
    }
  }
}

function cmdGeoradius(c: Client): void {
  georadiusGeneric(c, 1, Flag.COORDS);
}
function cmdGeoradiusbymember(c: Client): void {
  georadiusGeneric(c, 1, Flag.MEMBER);
}
function cmdGeoradiusRo(c: Client): void {
  georadiusGeneric(c, 1, Flag.COORDS | Flag.NOSTORE);
}
function cmdGeoradiusbymemberRo(c: Client): void {
  georadiusGeneric(c, 1, Flag.MEMBER | Flag.NOSTORE);
}
function cmdGeosearch(c: Client): void {
  georadiusGeneric(c, 1, Flag.SEARCH);
}
function cmdGeosearchstore(c: Client): void {
  georadiusGeneric(c, 2, Flag.SEARCH | Flag.SEARCHSTORE);
}

export function registerGeoCommands(registry: Registry): void {
  registry.add('geoadd', cmdGeoadd);
  registry.add('geodist', cmdGeodist);
  registry.add('geohash', cmdGeohash);
  registry.add('geopos', cmdGeopos);
  registry.add('georadius', cmdGeoradius);
  registry.add('georadiusbymember', cmdGeoradiusbymember);
  registry.add('georadius_ro', cmdGeoradiusRo);
  registry.add('georadiusbymember_ro', cmdGeoradiusbymemberRo);
  registry.add('geosearch', cmdGeosearch);
  registry.add('geosearchstore', cmdGeosearchstore);
}
