/*
 * Geohash arithmetic of Redis 7.0's geo commands (geohash.c, geohash_helper.c), kept apart from
 * the command handlers so it can be tested alone.
 *
 * A position is stored as a sorted-set score: the cell of the point at step 26 on the
 * EPSG:900913 square (longitude -180..180, latitude -85.05112878..85.05112878), its latitude
 * index in the even bits and its longitude index in the odd bits of a 52-bit integer. An index
 * reaches 2^26 only at the upper limit itself (180 / 85.05112878), which sets bit 52 or 53;
 * Redis then writes the integer in decimal and ZADD parses it, so the score is that integer
 * rounded to a double, as here.
 *
 * Cells are handled as (latitude index, longitude index, step) rather than as the interleaved
 * 64-bit word: moving to a neighbour is then a masked increment of one index, which is what
 * Redis's bit tricks on the interleaved word compute (an index is reduced modulo 2^step only in
 * the direction that moves). Interleaving into two 32-bit halves happens only where a score is
 * produced or read, so no BigInt and no allocation: results go to module-level slots (`cell`,
 * `lonLat`, `areas`, `range`).
 *
 * Floating point follows the C code operation by operation (same constants, same evaluation
 * order), so scores, decoded coordinates, search boxes and distances are the same doubles.
 * sin, cos and asin come from trig.ts (correctly rounded, as glibc's are but in about 0.15%
 * of cases) rather than V8's Math functions, which differ from glibc's in several percent.
 */

import { asin, cos, sin } from './trig.ts';

export const GEO_STEP_MAX = 26;
export const GEO_LAT_MIN = -85.05112878;
export const GEO_LAT_MAX = 85.05112878;
export const GEO_LONG_MIN = -180;
export const GEO_LONG_MAX = 180;
/** geohash_helper.c's "quadratic mean radius for WGS-84". */
export const EARTH_RADIUS_IN_METERS = 6372797.560856;
const MERCATOR_MAX = 20037726.37;
const D_R = Math.PI / 180;
const TWO_32 = 4294967296;
const TWO_63 = 9223372036854775808;
const TWO_64 = 18446744073709551616;

/** Search shapes (GeoShape.type). */
export const ShapeType = { CIRCULAR: 1, RECTANGLE: 2 } as const;

/** The search shape of one query (GeoShape): centre, size in `conversion` units, bounding box. */
export const shape = {
  type: 0,
  lon: 0,
  lat: 0,
  /** Meters per unit. */
  conversion: 1,
  radius: 0,
  width: 0,
  height: 0,
  /** min lon, min lat, max lon, max lat (geohashBoundingBox). */
  bounds: new Float64Array(4),
};

/** Result slot of encode(): the cell's indexes and step. */
export const cell = { lat: 0, lon: 0, step: 0 };

/** Result slot of the decoders: longitude then latitude. */
export const lonLat = new Float64Array(2);

/**
 * The nine search cells of areasByShape, in membersOfAllNeighbors' order: centre, north, south,
 * east, west, north-east, north-west, south-east, south-west. step 0 marks a cell left out.
 */
export const areas = {
  lat: new Uint32Array(9),
  lon: new Uint32Array(9),
  step: new Uint8Array(9),
};

/** Result slot of cellScoreRange: the scores min (included) and max (excluded) of a cell. */
export const range = { min: 0, max: 0 };

/** The interleaved word of the last interleave(): high and low 32 bits. */
let wordHi = 0;
let wordLo = 0;

function spread16(v: number): number {
  v &= 0xffff;
  v = (v | (v << 8)) & 0x00ff00ff;
  v = (v | (v << 4)) & 0x0f0f0f0f;
  v = (v | (v << 2)) & 0x33333333;
  return (v | (v << 1)) & 0x55555555;
}

function compact16(v: number): number {
  v &= 0x55555555;
  v = (v | (v >>> 1)) & 0x33333333;
  v = (v | (v >>> 2)) & 0x0f0f0f0f;
  v = (v | (v >>> 4)) & 0x00ff00ff;
  return (v | (v >>> 8)) & 0x0000ffff;
}

/** interleave64: x (latitude index) in the even bits, y (longitude index) in the odd bits. */
function interleave(x: number, y: number): void {
  wordLo = (spread16(x) | (spread16(y) << 1)) >>> 0;
  wordHi = (spread16(x >>> 16) | (spread16(y >>> 16) << 1)) >>> 0;
}

/** The word (wordHi, wordLo) + `add` (0 or 1), shifted left by `shift`, as the nearest double. */
function wordToDouble(add: number, shift: number): number {
  let lo = wordLo + add;
  let hi = wordHi;
  if (lo === TWO_32) {
    lo = 0;
    hi++;
  }
  return (hi * TWO_32 + lo) * 2 ** shift;
}

/**
 * The (uint64_t) conversion of a score as x86-64 code does it: truncation, two's complement
 * for negative values, 0x8000000000000000 below -2^63, 0 from 2^64 up. Sets wordHi/wordLo.
 */
function scoreToWord(score: number): void {
  if (score >= TWO_63) {
    if (score >= TWO_64) {
      wordHi = 0;
      wordLo = 0;
      return;
    }
    const hi = Math.floor(score / TWO_32);
    wordHi = hi;
    wordLo = score - hi * TWO_32;
    return;
  }
  if (!(score >= -TWO_63)) {
    wordHi = 0x80000000;
    wordLo = 0;
    return;
  }
  const t = Math.trunc(score);
  const hi = Math.floor(t / TWO_32);
  wordLo = t - hi * TWO_32;
  wordHi = hi >>> 0;
}

/**
 * geohashEncode: the cell of (lon, lat) at `step` within the given ranges, into `cell`. False
 * (cell untouched) outside the valid coordinates or the ranges.
 */
export function encode(
  lonMin: number, lonMax: number, latMin: number, latMax: number, lon: number, lat: number, step: number,
): boolean {
  if (step > 32 || step === 0) return false;
  if (lon > GEO_LONG_MAX || lon < GEO_LONG_MIN || lat > GEO_LAT_MAX || lat < GEO_LAT_MIN) return false;
  if (lat < latMin || lat > latMax || lon < lonMin || lon > lonMax) return false;
  let latOffset = (lat - latMin) / (latMax - latMin);
  let lonOffset = (lon - lonMin) / (lonMax - lonMin);
  latOffset *= 2 ** step;
  lonOffset *= 2 ** step;
  cell.lat = latOffset >>> 0;
  cell.lon = lonOffset >>> 0;
  cell.step = step;
  return true;
}

/** geohashEncodeWGS84 at step 26, aligned to 52 bits: the score GEOADD stores. */
export function encodeScore(lon: number, lat: number): number {
  encode(GEO_LONG_MIN, GEO_LONG_MAX, GEO_LAT_MIN, GEO_LAT_MAX, lon, lat, GEO_STEP_MAX);
  interleave(cell.lat, cell.lon);
  return wordToDouble(0, 0);
}

/**
 * decodeGeohash: the centre of the step-26 cell a score names, clamped to the valid
 * coordinates, into lonLat. Any score decodes (Redis never fails here).
 */
export function decodeScore(score: number): void {
  scoreToWord(score);
  const latIdx = (compact16(wordLo) | (compact16(wordHi) << 16)) >>> 0;
  const lonIdx = (compact16(wordLo >>> 1) | (compact16(wordHi >>> 1) << 16)) >>> 0;
  const scale = 2 ** GEO_STEP_MAX;
  const latScale = GEO_LAT_MAX - GEO_LAT_MIN;
  const lonScale = GEO_LONG_MAX - GEO_LONG_MIN;
  const latLo = GEO_LAT_MIN + (latIdx / scale) * latScale;
  const latHi = GEO_LAT_MIN + (((latIdx + 1) >>> 0) / scale) * latScale;
  const lonLo = GEO_LONG_MIN + (lonIdx / scale) * lonScale;
  const lonHi = GEO_LONG_MIN + (((lonIdx + 1) >>> 0) / scale) * lonScale;
  let lon = (lonLo + lonHi) / 2;
  if (lon > GEO_LONG_MAX) lon = GEO_LONG_MAX;
  if (lon < GEO_LONG_MIN) lon = GEO_LONG_MIN;
  let lat = (latLo + latHi) / 2;
  if (lat > GEO_LAT_MAX) lat = GEO_LAT_MAX;
  if (lat < GEO_LAT_MIN) lat = GEO_LAT_MIN;
  lonLat[0] = lon;
  lonLat[1] = lat;
}

const GEOALPHABET = '0123456789bcdefghjkmnpqrstuvwxyz';

/**
 * GEOHASH's 11-character string for a score into out[0..11): the decoded position re-encoded
 * on the standard -180..180 / -90..90 ranges at step 26, five bits a character from the top
 * of the 52 bits, and a final '0' (the 11th character would need 55 bits).
 */
export function standardGeohash(score: number, out: Uint8Array): void {
  decodeScore(score);
  encode(-180, 180, -90, 90, lonLat[0], lonLat[1], GEO_STEP_MAX);
  interleave(cell.lat, cell.lon);
  for (let i = 0; i < 10; i++) {
    // Bits 51-5i .. 47-5i of the word; no group straddles the two 32-bit halves.
    const shift = 52 - (i + 1) * 5;
    const idx = shift >= 32 ? (wordHi >>> (shift - 32)) & 0x1f : (wordLo >>> shift) & 0x1f;
    out[i] = GEOALPHABET.charCodeAt(idx);
  }
  out[10] = 48; // '0'
}

function degRad(ang: number): number {
  return ang * D_R;
}

function radDeg(ang: number): number {
  return ang / D_R;
}

/** geohashGetLatDistance: meters between two latitudes on one meridian. */
export function latDistance(lat1d: number, lat2d: number): number {
  return EARTH_RADIUS_IN_METERS * Math.abs(degRad(lat2d) - degRad(lat1d));
}

/** geohashGetDistance: haversine great-circle distance in meters. */
export function distance(lon1d: number, lat1d: number, lon2d: number, lat2d: number): number {
  const lon1r = degRad(lon1d);
  const lon2r = degRad(lon2d);
  const v = sin((lon2r - lon1r) / 2);
  if (v === 0) return latDistance(lat1d, lat2d);
  const lat1r = degRad(lat1d);
  const lat2r = degRad(lat2d);
  const u = sin((lat2r - lat1r) / 2);
  const a = u * u + cos(lat1r) * cos(lat2r) * v * v;
  return 2.0 * EARTH_RADIUS_IN_METERS * asin(Math.sqrt(a));
}

/**
 * geoWithinShape's test of a decoded point (lon, lat) against `shape`: its distance in meters
 * from the centre, or -1 when it lies outside the circle or box.
 */
export function distanceIfWithin(lon: number, lat: number): number {
  const s = shape;
  if (s.type === ShapeType.CIRCULAR) {
    const d = distance(s.lon, s.lat, lon, lat);
    return d > s.radius * s.conversion ? -1 : d;
  }
  // geohashGetDistanceIfInRectangle: latitude first, it is the cheaper test.
  const widthM = s.width * s.conversion;
  const heightM = s.height * s.conversion;
  if (latDistance(lat, s.lat) > heightM / 2) return -1;
  if (distance(lon, lat, s.lon, lat) > widthM / 2) return -1;
  return distance(s.lon, s.lat, lon, lat);
}

/** geohashEstimateStepsByRadius: the step whose cells are about the search radius. */
export function estimateSteps(rangeMeters: number, lat: number): number {
  if (rangeMeters === 0) return 26;
  let step = 1;
  while (rangeMeters < MERCATOR_MAX) {
    rangeMeters *= 2;
    step++;
  }
  step -= 2;
  if (lat > 66 || lat < -66) {
    step--;
    if (lat > 80 || lat < -80) step--;
  }
  if (step < 1) step = 1;
  if (step > 26) step = 26;
  return step;
}

/** geohashBoundingBox of `shape` into shape.bounds. */
function boundingBox(): void {
  const s = shape;
  const circular = s.type === ShapeType.CIRCULAR;
  const height = s.conversion * (circular ? s.radius : s.height / 2);
  const width = s.conversion * (circular ? s.radius : s.width / 2);
  const latDelta = radDeg(height / EARTH_RADIUS_IN_METERS);
  const lonDeltaTop = radDeg(width / EARTH_RADIUS_IN_METERS / cos(degRad(s.lat + latDelta)));
  const lonDeltaBottom = radDeg(width / EARTH_RADIUS_IN_METERS / cos(degRad(s.lat - latDelta)));
  const southern = s.lat < 0;
  s.bounds[0] = southern ? s.lon - lonDeltaBottom : s.lon - lonDeltaTop;
  s.bounds[2] = southern ? s.lon + lonDeltaBottom : s.lon + lonDeltaTop;
  s.bounds[1] = s.lat - latDelta;
  s.bounds[3] = s.lat + latDelta;
}

/** The WGS84 cell of the shape's centre at `step` and its eight neighbours, into `areas`. */
function centreAndNeighbours(step: number): void {
  encode(GEO_LONG_MIN, GEO_LONG_MAX, GEO_LAT_MIN, GEO_LAT_MAX, shape.lon, shape.lat, step);
  const lat = cell.lat;
  const lon = cell.lon;
  const mask = 2 ** step - 1;
  const north = (lat + 1) & mask;
  const south = (lat - 1) & mask;
  const east = (lon + 1) & mask;
  const west = (lon - 1) & mask;
  setArea(0, lat, lon, step);
  setArea(1, north, lon, step);
  setArea(2, south, lon, step);
  setArea(3, lat, east, step);
  setArea(4, lat, west, step);
  setArea(5, north, east, step);
  setArea(6, north, west, step);
  setArea(7, south, east, step);
  setArea(8, south, west, step);
}

function setArea(i: number, lat: number, lon: number, step: number): void {
  areas.lat[i] = lat;
  areas.lon[i] = lon;
  areas.step[i] = step;
}

/** geohashDecode's lower (upper when `upper`) latitude edge of area i. */
function areaLat(i: number, upper: boolean): number {
  const idx = upper ? (areas.lat[i] + 1) >>> 0 : areas.lat[i];
  return GEO_LAT_MIN + (idx / 2 ** areas.step[i]) * (GEO_LAT_MAX - GEO_LAT_MIN);
}

/** geohashDecode's lower (upper when `upper`) longitude edge of area i. */
function areaLon(i: number, upper: boolean): number {
  const idx = upper ? (areas.lon[i] + 1) >>> 0 : areas.lon[i];
  return GEO_LONG_MIN + (idx / 2 ** areas.step[i]) * (GEO_LONG_MAX - GEO_LONG_MIN);
}

function dropAreas(a: number, b: number, c: number): void {
  areas.step[a] = 0;
  areas.step[b] = 0;
  areas.step[c] = 0;
}

/**
 * geohashCalculateAreasByShapeWGS84: the nine cells that cover `shape` (its centre and size
 * set by the caller), into `areas`, with shape.bounds computed. The step comes from the
 * radius (a box's half diagonal), one coarser when a side neighbour does not reach the
 * bounding box; neighbours wholly outside the box are left out (from step 2 up).
 */
export function areasByShape(): void {
  const s = shape;
  boundingBox();
  const minLon = s.bounds[0];
  const minLat = s.bounds[1];
  const maxLon = s.bounds[2];
  const maxLat = s.bounds[3];
  let radiusMeters = s.type === ShapeType.CIRCULAR
    ? s.radius
    : Math.sqrt((s.width / 2) * (s.width / 2) + (s.height / 2) * (s.height / 2));
  radiusMeters *= s.conversion;
  let steps = estimateSteps(radiusMeters, s.lat);
  centreAndNeighbours(steps);
  const decrease = areaLat(1, true) < maxLat || areaLat(2, false) > minLat
    || areaLon(3, true) < maxLon || areaLon(4, false) > minLon;
  if (steps > 1 && decrease) {
    steps--;
    centreAndNeighbours(steps);
  }
  if (steps >= 2) {
    if (areaLat(0, false) < minLat) dropAreas(2, 8, 7);
    if (areaLat(0, true) > maxLat) dropAreas(1, 5, 6);
    if (areaLon(0, false) < minLon) dropAreas(4, 8, 6);
    if (areaLon(0, true) > maxLon) dropAreas(3, 7, 5);
  }
}

/**
 * scoresOfGeoHashBox: the score range [min, max) holding every point of area i, into
 * `range`: the cell's bits aligned to 52, and its bits + 1 aligned.
 */
export function cellScoreRange(i: number): void {
  const step = areas.step[i];
  interleave(areas.lat[i], areas.lon[i]);
  const shift = 52 - step * 2;
  range.min = wordToDouble(0, shift);
  range.max = wordToDouble(1, shift);
}
