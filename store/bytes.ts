/*
 * Copying a byte range from one typed array into another without a view. The obvious
 * `dst.set(src.subarray(a, b), at)` makes a Uint8Array view per call, about 100 bytes of
 * garbage: per SET of a value over 64 bytes, per redis.call argument over 32 bytes, per
 * PUBLISH. Buffer.prototype.copy, called on any Uint8Array, copies natively with no
 * allocation at the same speed; a short range is copied byte by byte, cheaper than the call, and
 * a whole array by TypedArray.prototype.set, which skips copy's argument checks (half the cost
 * for 66 bytes).
 * One helper, so every module copies the same way (store/ and src/ use it; protocol/ has its
 * own writer and never imports store/). latin1Text is the reading side: one string for a byte
 * range of any Uint8Array, where building it a character at a time makes a string per byte.
 */

const nativeCopy = Buffer.prototype.copy;
/** Ranges up to this many bytes are copied by a loop. */
const SHORT_COPY = 32;

/** Copy src[soff, soff + len) to dst[doff, doff + len); within one array the ranges may overlap. */
export function copyBytes(src: Uint8Array, soff: number, dst: Uint8Array, doff: number, len: number): void {
  if (src === dst) {
    if (soff !== doff) dst.copyWithin(doff, soff, soff + len);
  } else if (len <= SHORT_COPY) {
    for (let i = 0; i < len; i++) dst[doff + i] = src[soff + i];
  } else if (soff === 0 && len === src.length) {
    dst.set(src, doff);
  } else {
    nativeCopy.call(src, dst, doff, soff, soff + len);
  }
}

const latin1Slice = (Buffer.prototype as unknown as { latin1Slice(this: Uint8Array, start: number, end: number): string }).latin1Slice;

/** buf[start, end) as a latin1 string (one char per byte), for any Uint8Array. */
export function latin1Text(buf: Uint8Array, start: number, end: number): string {
  return latin1Slice.call(buf, start, end);
}
