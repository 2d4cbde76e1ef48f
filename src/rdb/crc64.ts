/*
 * CRC-64 with the Jones polynomial (0xad93d23594c935a9), reflected, initial value 0: the
 * checksum Redis puts at the end of DUMP and FUNCTION DUMP payloads. A 256-entry table,
 * each entry two 32-bit halves, so no BigInt per byte.
 */
const POLY_HI = 0x95ac9329; // the polynomial reflected: 0x95ac9329ac4bc9b5
const POLY_LO = 0xac4bc9b5;
const HI = new Uint32Array(256);
const LO = new Uint32Array(256);
for (let i = 0; i < 256; i++) {
  let hi = 0;
  let lo = i;
  for (let k = 0; k < 8; k++) {
    const bit = lo & 1;
    lo = ((lo >>> 1) | ((hi & 1) << 31)) >>> 0;
    hi = hi >>> 1;
    if (bit) {
      hi = (hi ^ POLY_HI) >>> 0;
      lo = (lo ^ POLY_LO) >>> 0;
    }
  }
  HI[i] = hi;
  LO[i] = lo;
}

export function crc64(data: Uint8Array): bigint {
  let hi = 0;
  let lo = 0;
  for (let i = 0; i < data.length; i++) {
    const t = (lo ^ data[i]) & 0xff;
    lo = (((lo >>> 8) | ((hi & 0xff) << 24)) ^ LO[t]) >>> 0;
    hi = ((hi >>> 8) ^ HI[t]) >>> 0;
  }
  return (BigInt(hi) << 32n) | BigInt(lo);
}
