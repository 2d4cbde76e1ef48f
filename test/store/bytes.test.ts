// copyBytes (store/bytes.ts): the one byte-range copy store/ and src/ share.
import { describe, expect, it } from 'vitest';
import { copyBytes } from '../../store/bytes.ts';

const pattern = (n: number) => Uint8Array.from({ length: n }, (_, i) => (i * 7 + 3) & 255);

describe('copyBytes', () => {
  it('copies short and long ranges between arrays, Buffers or not', () => {
    for (const len of [0, 1, 31, 32, 33, 64, 65, 1000]) {
      const src = pattern(len + 10);
      const dst = new Uint8Array(len + 20);
      copyBytes(src, 5, dst, 7, len);
      expect(Array.from(dst.subarray(7, 7 + len))).toEqual(Array.from(src.subarray(5, 5 + len)));
      expect(dst.subarray(0, 7).every((b) => b === 0)).toBe(true);
      expect(dst.subarray(7 + len).every((b) => b === 0)).toBe(true);
      const buf = Buffer.alloc(len + 20);
      copyBytes(Buffer.from(src), 5, buf, 7, len);
      expect(buf.equals(Buffer.from(dst))).toBe(true);
    }
  });

  it('copies a whole array, short or long, into the middle of another', () => {
    for (const len of [20, 33, 66, 1000]) {
      const src = pattern(len);
      const dst = new Uint8Array(len + 9);
      copyBytes(src, 0, dst, 4, len);
      expect(Array.from(dst.subarray(4, 4 + len))).toEqual(Array.from(src));
      expect(dst.subarray(0, 4).every((b) => b === 0) && dst.subarray(4 + len).every((b) => b === 0)).toBe(true);
    }
  });

  it('moves overlapping ranges of one array as memmove does, both ways', () => {
    for (const len of [10, 40, 500]) {
      for (const shift of [-7, 7]) {
        const a = pattern(len + 20);
        const expected = Array.from(a);
        expected.splice(10 + shift, len, ...Array.from(a.subarray(10, 10 + len)));
        copyBytes(a, 10, a, 10 + shift, len);
        expect(Array.from(a)).toEqual(expected.slice(0, a.length));
      }
    }
  });
});
