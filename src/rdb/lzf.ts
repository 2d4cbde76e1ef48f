/*
 * LZF compression (the format of Marc Lehmann's liblzf, which Redis uses for RDB strings and so
 * for FUNCTION DUMP payloads), written for slabcache. The compressor follows liblzf's
 * documented parameters as Redis builds it (16-bit hash table, "very fast" mode: two hash
 * updates after a match, offsets up to 8192, matches up to 264 bytes, literal runs up to 32),
 * so payloads come out as redis-server's do.
 *
 * Format: 000LLLLL + L+1 literal bytes; LLLooooo oooooooo: a back-reference of L+2 bytes at
 * offset o+1; 111ooooo LLLLLLLL oooooooo: one of L+9 bytes.
 */
import { copyBytes } from '../../store/bytes.ts';
const HLOG = 16;
const HSIZE = 1 << HLOG;
const MAX_LIT = 1 << 5;
const MAX_OFF = 1 << 13;
const MAX_REF = (1 << 8) + (1 << 3);

const table = new Int32Array(HSIZE);

function idx(h: number): number {
  return ((h >>> (3 * 8 - HLOG)) - Math.imul(h, 5)) & (HSIZE - 1);
}

/** Compressed bytes of at most outLen bytes, or null when they do not fit. */
export function lzfCompress(input: Uint8Array, outLen: number): Buffer | null {
  const n = input.length;
  if (n === 0 || outLen === 0) return null;
  table.fill(0);
  const out = Buffer.alloc(outLen + 3);
  let ip = 0;
  let op = 1;
  let lit = 0;
  let hval = (input[0] << 8) | input[1];
  const fetch = (i: number): number => (i < n ? input[i] : 0);
  while (ip < n - 2) {
    hval = ((hval << 8) | input[ip + 2]) >>> 0;
    const slot = idx(hval);
    const ref = table[slot] - 1; // -1: empty
    table[slot] = ip + 1;
    const off = ip - ref - 1;
    if (ref > 0 && off < MAX_OFF && input[ref + 2] === input[ip + 2] && input[ref] === input[ip] && input[ref + 1] === input[ip + 1]) {
      let len = 2;
      let maxlen = n - ip - len;
      if (maxlen > MAX_REF) maxlen = MAX_REF;
      if (op + 3 + 1 >= outLen) if (op - (lit === 0 ? 1 : 0) + 3 + 1 >= outLen) return null;
      out[op - lit - 1] = lit - 1;
      if (lit === 0) op--;
      do len++;
      while (len < maxlen && fetch(ref + len) === input[ip + len]);
      len -= 2;
      ip++;
      if (len < 7) out[op++] = (off >> 8) + (len << 5);
      else {
        out[op++] = (off >> 8) + (7 << 5);
        out[op++] = len - 7;
      }
      out[op++] = off & 0xff;
      lit = 0;
      op++;
      ip += len + 1;
      if (ip >= n - 2) break;
      ip -= 2;
      hval = (input[ip] << 8) | input[ip + 1];
      hval = ((hval << 8) | input[ip + 2]) >>> 0;
      table[idx(hval)] = ip + 1;
      ip++;
      hval = ((hval << 8) | input[ip + 2]) >>> 0;
      table[idx(hval)] = ip + 1;
      ip++;
    } else {
      if (op >= outLen) return null;
      lit++;
      out[op++] = input[ip++];
      if (lit === MAX_LIT) {
        out[op - lit - 1] = lit - 1;
        lit = 0;
        op++;
      }
    }
  }
  if (op + 3 > outLen) return null;
  while (ip < n) {
    lit++;
    out[op++] = input[ip++];
    if (lit === MAX_LIT) {
      out[op - lit - 1] = lit - 1;
      lit = 0;
      op++;
    }
  }
  out[op - lit - 1] = lit - 1;
  if (lit === 0) op--;
  return Buffer.from(out.subarray(0, op));
}

/** Decompressed bytes, exactly outLen of them, or null when the data is not that. */
export function lzfDecompress(input: Uint8Array, outLen: number): Buffer | null {
  const out = Buffer.alloc(outLen);
  let ip = 0;
  let op = 0;
  while (ip < input.length) {
    const ctrl = input[ip++];
    if (ctrl < 32) {
      const len = ctrl + 1;
      if (op + len > outLen || ip + len > input.length) return null;
      copyBytes(input, ip, out, op, len);
      ip += len;
      op += len;
    } else {
      let len = ctrl >> 5;
      if (len === 7) {
        if (ip >= input.length) return null;
        len += input[ip++];
      }
      if (ip >= input.length) return null;
      const ref = op - ((ctrl & 0x1f) << 8) - input[ip++] - 1;
      len += 2;
      if (op + len > outLen || ref < 0) return null;
      for (let i = 0; i < len; i++) out[op + i] = out[ref + i];
      op += len;
    }
  }
  return op === outLen ? out : null;
}
