import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import Parser from 'redis-parser';
import { ReplyWriter, OutputPool, formatDouble } from '../../protocol/encoder.ts';
import * as R from '../../protocol/replies.ts';
import { rng } from '../helpers/prng.ts';

/** Decodes RESP2 bytes with redis-parser (the decoder ioredis uses). Errors become { error }. */
function decode(bytes: Buffer | null): unknown[] {
  const out: unknown[] = [];
  const p = new Parser({
    returnBuffers: true,
    returnReply: (r: unknown) => out.push(r),
    returnError: (e: Error) => out.push({ error: e.message }),
    returnFatalError: (e: Error) => {
      throw e;
    },
  });
  if (bytes !== null) p.execute(bytes);
  return out;
}

/** What fn writes, taken out of the writer; its buffer is recycled only after the copy. */
function batch(w: ReplyWriter, fn: (w: ReplyWriter) => void): Buffer | null {
  fn(w);
  const out = w.take();
  const copy = out === null ? null : Buffer.from(out);
  w.recycle();
  return copy;
}

const s = (t: string) => Buffer.from(t, 'latin1');

describe('ReplyWriter RESP2, decoded with redis-parser', () => {
  it('encodes every reply type', () => {
    const w = new ReplyWriter();
    const bin = Buffer.from([0, 13, 10, 0xff, 0x80]);
    const out = batch(w, (w) => {
      w.raw(R.R_OK);
      w.simple('PONG');
      w.error('ERR unknown command');
      w.int(0);
      w.int(-1);
      w.int(123456789);
      w.int(9007199254740991);
      w.int(-9007199254740991);
      w.int(9223372036854775807n);
      w.int(-9223372036854775808n);
      w.int(2 ** 63);
      w.bulk(bin, 0, bin.length);
      w.bulk(bin, 1, 2);
      w.bulk(bin, 0, 0);
      w.bulkString('héllo ✓');
      w.bulkLatin1('\xff\x00');
      w.bulkInt(-42);
      w.bulkInt(18446744073709551615n);
      w.nullBulk();
      w.nullArray();
      w.arrayLen(2);
      w.bulkString('a');
      w.arrayLen(1);
      w.int(7);
      w.mapLen(1);
      w.bulkString('k');
      w.bulkString('v');
      w.setLen(1);
      w.bulkString('m');
      w.pushLen(2);
      w.bulkString('message');
      w.bulkString('x');
      w.bool(true);
      w.bool(false);
      w.double(1.1);
      w.double(Infinity);
      w.double(-Infinity);
      w.double(3);
      w.bigNumber('1234567890123456789012345678901234567890');
      w.verbatim('some text', 'txt');
      w.raw(R.E_WRONGTYPE);
      w.raw(R.R_EMPTY_ARRAY);
    });
    expect(decode(out)).toEqual([
      s('OK'),
      s('PONG'),
      { error: 'ERR unknown command' },
      0,
      -1,
      123456789,
      9007199254740991,
      -9007199254740991,
      // redis-parser turns big integers into numbers: compare through the raw bytes below
      expect.any(Number),
      expect.any(Number),
      expect.any(Number),
      bin,
      bin.subarray(1, 3),
      Buffer.alloc(0),
      Buffer.from('héllo ✓'),
      Buffer.from([0xff, 0]),
      s('-42'),
      s('18446744073709551615'),
      null,
      null,
      [s('a'), [7]],
      [s('k'), s('v')],
      [s('m')],
      [s('message'), s('x')],
      1,
      0,
      s('1.1000000000000001'),
      s('inf'),
      s('-inf'),
      s('3'),
      s('1234567890123456789012345678901234567890'),
      s('some text'),
      { error: 'WRONGTYPE Operation against a key holding the wrong kind of value' },
      [],
    ]);
    const text = out!.toString('latin1');
    expect(text).toContain(':9223372036854775807\r\n:-9223372036854775808\r\n:9223372036854775808\r\n');
  });

  it('writes integers as exact decimal digits (property)', () => {
    const w = new ReplyWriter();
    fc.assert(
      fc.property(fc.oneof(fc.integer(), fc.maxSafeInteger(), fc.bigInt({ min: -(2n ** 63n), max: 2n ** 64n })), (n) => {
        const out = batch(w, (w) => {
          w.int(n);
          w.bulkInt(n);
          w.arrayLen(typeof n === 'number' && n >= 0 ? n : 0);
        })!;
        const nn = typeof n === 'number' && n >= 0 ? n : 0;
        expect(out.toString('latin1')).toBe(`:${n}\r\n$${String(n).length}\r\n${n}\r\n*${nn}\r\n`);
      }),
      { numRuns: 2000 },
    );
  });

  it('writes a stream ID "ms-seq" from a Float64Array pair as exact digits (property)', () => {
    const w = new ReplyWriter();
    const pair = new Float64Array(2);
    const edges = [0, 9, 10, 99, 100, 2 ** 30 - 1, 2 ** 30, 2 ** 31, 1796662662935, 10 ** 15, Number.MAX_SAFE_INTEGER];
    fc.assert(
      fc.property(fc.oneof(fc.constantFrom(...edges), fc.maxSafeNat()), fc.oneof(fc.constantFrom(...edges), fc.maxSafeNat()), (ms, seq) => {
        pair[0] = ms;
        pair[1] = seq;
        const out = batch(w, (w) => w.bulkDashed(pair))!;
        const id = `${ms}-${seq}`;
        expect(out.toString('latin1')).toBe(`$${id.length}\r\n${id}\r\n`);
      }),
      { numRuns: 2000 },
    );
  });

  it('round-trips random bulk payloads through redis-parser (property)', () => {
    const w = new ReplyWriter(new OutputPool(256));
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 600 }), { maxLength: 20 }), (vals) => {
        const out = batch(w, (w) => {
          w.arrayLen(vals.length);
          for (const v of vals) w.bulk(v, 0, v.length);
        });
        expect(decode(out)).toEqual([vals.map((v) => Buffer.from(v))]);
      }),
      { numRuns: 300 },
    );
  });

  it('replaces CR and LF in run-time errors and writes them as latin1', () => {
    const w = new ReplyWriter();
    const out = batch(w, (w) => w.error("ERR unknown command 'a\r\nb\xff'"))!;
    expect(out).toEqual(Buffer.from("-ERR unknown command 'a  b\xff'\r\n", 'latin1'));
  });

  it('counts errors and reports their messages', () => {
    const w = new ReplyWriter();
    const seen: string[] = [];
    w.onError = (b, off, len) => seen.push(Buffer.from(b.subarray(off, off + len)).toString('latin1'));
    batch(w, (w) => {
      w.raw(R.R_OK);
      w.raw(R.E_SYNTAX);
      w.error('WRONGPASS nope');
    });
    expect(w.errorCount).toBe(2);
    expect(seen).toEqual(['ERR syntax error', 'WRONGPASS nope']);
  });
});

describe('ReplyWriter RESP3 bytes', () => {
  const cases: [string, (w: ReplyWriter) => void, string, string][] = [
    ['nullBulk', (w) => w.nullBulk(), '_\r\n', '$-1\r\n'],
    ['nullArray', (w) => w.nullArray(), '_\r\n', '*-1\r\n'],
    ['bool true', (w) => w.bool(true), '#t\r\n', ':1\r\n'],
    ['bool false', (w) => w.bool(false), '#f\r\n', ':0\r\n'],
    ['mapLen', (w) => w.mapLen(3), '%3\r\n', '*6\r\n'],
    ['setLen', (w) => w.setLen(2), '~2\r\n', '*2\r\n'],
    ['pushLen', (w) => w.pushLen(3), '>3\r\n', '*3\r\n'],
    ['arrayLen', (w) => w.arrayLen(0), '*0\r\n', '*0\r\n'],
    ['double 1.1', (w) => w.double(1.1), ',1.1000000000000001\r\n', '$18\r\n1.1000000000000001\r\n'],
    ['double 0', (w) => w.double(0), ',0\r\n', '$1\r\n0\r\n'],
    ['double inf', (w) => w.double(Infinity), ',inf\r\n', '$3\r\ninf\r\n'],
    ['double -inf', (w) => w.double(-Infinity), ',-inf\r\n', '$4\r\n-inf\r\n'],
    ['double nan', (w) => w.double(NaN), ',nan\r\n', '$3\r\nnan\r\n'],
    ['double 1e17', (w) => w.double(1e17), ',1e+17\r\n', '$5\r\n1e+17\r\n'],
    ['doubleText', (w) => w.doubleText('3.5'), ',3.5\r\n', '$3\r\n3.5\r\n'],
    ['bigNumber', (w) => w.bigNumber('-123456789012345678901234567890'), '(-123456789012345678901234567890\r\n', '$31\r\n-123456789012345678901234567890\r\n'],
    ['verbatim', (w) => w.verbatim('a\nb', 'txt'), '=7\r\ntxt:a\nb\r\n', '$3\r\na\nb\r\n'],
    ['verbatim utf8', (w) => w.verbatim('é', 'mkd'), '=6\r\nmkd:\xc3\xa9\r\n', '$2\r\n\xc3\xa9\r\n'],
    ['int', (w) => w.int(-5), ':-5\r\n', ':-5\r\n'],
    ['bulk', (w) => w.bulkString('x'), '$1\r\nx\r\n', '$1\r\nx\r\n'],
    ['attribute', (w) => w.attributeLen(1), '|1\r\n', ''],
  ];
  for (const [name, fn, resp3, resp2] of cases) {
    it(name, () => {
      const w = new ReplyWriter();
      w.resp = 3;
      expect(batch(w, fn)?.toString('latin1') ?? '').toBe(resp3);
      w.resp = 2;
      expect(batch(w, fn)?.toString('latin1') ?? '').toBe(resp2);
    });
  }

  it('matches the bytes redis-server 7.0 sends for HELLO 3 (map with nested array)', () => {
    const w = new ReplyWriter();
    w.resp = 3;
    const out = batch(w, (w) => {
      w.mapLen(2);
      w.bulkString('server');
      w.bulkString('redis');
      w.bulkString('modules');
      w.raw(R.R_EMPTY_ARRAY);
    })!;
    expect(out.toString('latin1')).toBe('%2\r\n$6\r\nserver\r\n$5\r\nredis\r\n$7\r\nmodules\r\n*0\r\n');
  });
});

describe('formatDouble (%.17g as redis-server 7.0 prints scores)', () => {
  // Expected strings taken from redis-server 7.0.15 (ZADD then ZSCORE / ZRANGE WITHSCORES).
  const cases: [number, string][] = [
    [1.1, '1.1000000000000001'],
    [0.1, '0.10000000000000001'],
    [0, '0'],
    [-0, '-0'],
    [123456789e-20, '1.23456789e-12'],
    [5e-5, '5.0000000000000002e-05'],
    [0.0001, '0.0001'],
    [1234567890123456.25, '1234567890123456.2'], // exact tie: round half to even, as glibc
    [1234567890123456.75, '1234567890123456.8'],
    [1e16, '10000000000000000'],
    [1e17, '1e+17'],
    [12345678901234567890, '1.2345678901234567e+19'],
    [1e300, '1.0000000000000001e+300'],
    [-2.5, '-2.5'],
    [5e-324, '4.9406564584124654e-324'],
    [1.7976931348623157e308, '1.7976931348623157e+308'],
    [Infinity, 'inf'],
    [-Infinity, '-inf'],
    [NaN, 'nan'],
  ];
  for (const [d, text] of cases) it(`${d} -> ${text}`, () => expect(formatDouble(d)).toBe(text));

  it('round-trips every finite double (property)', () => {
    fc.assert(
      fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), (d) => {
        const t = formatDouble(d);
        expect(Object.is(Number(t), d) || (d === 0 && Number(t) === 0)).toBe(true);
        expect(t).toMatch(/^-?\d(\.\d+)?(e[+-]\d{2,3})?$|^-?\d+(\.\d+)?$/);
      }),
      { numRuns: 5000 },
    );
  });
});

describe('ReplyWriter output buffer: take/recycle/mark/truncate, the output pool and the hard limit', () => {
  it('takes nothing from a writer that wrote nothing, and holds no buffer', () => {
    const w = new ReplyWriter();
    expect(w.pending()).toBe(0);
    expect(w.take()).toBeNull();
    expect(w.capacity()).toBe(0);
  });

  it('hands out exactly what was written since the last take, and starts afresh after it', () => {
    const w = new ReplyWriter(new OutputPool(1024));
    w.raw(R.R_OK);
    w.int(1);
    const first = w.take()!;
    expect(first.toString()).toBe('+OK\r\n:1\r\n');
    expect(w.pending()).toBe(0);
    w.raw(R.R_ZERO);
    expect(w.take()!.toString()).toBe(':0\r\n');
    expect(first.toString()).toBe('+OK\r\n:1\r\n'); // not recycled: never rewritten
  });

  it('never rewrites a view that was not recycled, across many writers sharing one pool', () => {
    const pool = new OutputPool(1024);
    const writers = [new ReplyWriter(pool), new ReplyWriter(pool), new ReplyWriter(pool)];
    const handed: [Buffer, string][] = [];
    for (let i = 0; i < 300; i++) {
      const w = writers[i % 3];
      w.arrayLen(2);
      w.bulkString(`conn-${i % 7}`);
      w.bulk(Buffer.alloc(i % 300, 97 + (i % 26)), 0, i % 300);
      const out = w.take()!;
      handed.push([out, out.toString('latin1')]);
      if (i % 2 === 0) {
        // Recycled views are released to the pool: only keep checking the others.
        handed.pop();
        w.recycle();
      }
    }
    for (const [view, text] of handed) expect(view.toString('latin1')).toBe(text);
  });

  it('reuses pool chunks: recycled writes allocate no buffers in the steady state', () => {
    const pool = new OutputPool(4096);
    const writers = Array.from({ length: 10 }, () => new ReplyWriter(pool));
    const key = Buffer.from('value-of-some-key');
    for (let i = 0; i < 10_000; i++) {
      const w = writers[i % 10];
      w.bulk(key, 0, key.length);
      w.int(i);
      w.raw(R.R_OK);
      expect(w.take()).not.toBeNull();
      w.recycle();
    }
    expect(pool.allocations).toBe(1);
  });

  it('interleaves writers of different protocols without mixing their bytes', () => {
    const pool = new OutputPool(256);
    const ws = [new ReplyWriter(pool), new ReplyWriter(pool)];
    ws[1].resp = 3;
    const expected: unknown[][] = [[], []];
    for (let round = 0; round < 50; round++) {
      for (let c = 0; c < 2; c++) {
        ws[c].bulkString(`c${c}r${round}`.repeat(1 + (round % 4)));
        ws[c].nullBulk();
        expected[c].push(s(`c${c}r${round}`.repeat(1 + (round % 4))), null);
      }
    }
    expect(decode(ws[0].take())).toEqual(expected[0]);
    expect(ws[1].take()!.toString()).toContain('_\r\n');
  });

  it('chains output larger than a chunk in pool chunks (take() with no bound joins it), then starts small again', () => {
    const pool = new OutputPool(1024);
    const w = new ReplyWriter(pool);
    const big = Buffer.alloc(10_000, 0x78);
    w.raw(R.R_PONG);
    w.bulk(big, 0, big.length);
    w.int(5);
    expect(w.capacity()).toBeLessThanOrEqual(12 * 1024); // chunks, no doubled copy
    const out = w.take()!;
    expect(decode(out)).toEqual([s('PONG'), big, 5]);
    w.recycle();
    expect(pool.freeBytes()).toBeGreaterThanOrEqual(9 * 1024); // the chunks went back
    w.raw(R.R_QUEUED);
    const after = w.take()!;
    expect(after.buffer.byteLength).toBe(pool.smallSize); // a small pooled buffer again
  });

  it('big values are copied once: 100 KB bulks fill chunks taken from the pool, never a buffer per reply', () => {
    const pool = new OutputPool(16 * 1024);
    const w = new ReplyWriter(pool);
    const value = Buffer.alloc(100 * 1024, 0x61);
    const before = pool.allocations;
    for (let i = 0; i < 10; i++) w.bulk(value, 0, value.length);
    expect(w.pending()).toBe(10 * (value.length + 11));
    expect(w.capacity()).toBeLessThan(w.pending() + 16 * 1024);
    // Every buffer allocated is a pool chunk (the first a small one): none is sized to a reply.
    expect(pool.allocations - before).toBeLessThanOrEqual(Math.ceil(w.pending() / (16 * 1024)) + 2);
    // A turn's budget, as src/output.ts spends it: views until 64 KB are handed out.
    let budget = 64 * 1024;
    for (let v = w.take(budget); v !== null; v = budget > 0 ? w.takeMore(budget) : null) budget -= v.length;
    expect(budget).toBe(0);
    expect(w.pending()).toBe(10 * (value.length + 11) - 64 * 1024);
  });

  it('chains many replies of a few KB', () => {
    const w = new ReplyWriter(new OutputPool(1024));
    const vals = Array.from({ length: 40 }, (_, i) => Buffer.alloc(3000 + i, 65 + (i % 26)));
    const out = batch(w, (w) => {
      w.arrayLen(vals.length);
      for (const v of vals) w.bulk(v, 0, v.length);
    });
    expect(decode(out)).toEqual([vals]);
  });

  it('mark/truncate drops what was written after the mark, also across growth', () => {
    const w = new ReplyWriter(new OutputPool(128));
    w.raw(R.R_OK);
    const m = w.mark();
    w.bulk(Buffer.alloc(500), 0, 500); // moves to a dedicated buffer
    expect(w.pending()).toBeGreaterThan(500);
    w.truncate(m);
    expect(w.pending()).toBe(5);
    w.raw(R.R_ONE);
    expect(w.take()!.toString()).toBe('+OK\r\n:1\r\n');
    const m0 = w.mark();
    w.raw(R.R_OK);
    w.truncate(m0);
    expect(w.take()).toBeNull();
  });

  it('past the hard limit, flags overLimit and stops growing (a reply of millions of elements)', () => {
    const w = new ReplyWriter(new OutputPool(1024));
    w.hardLimit = 64 * 1024;
    w.queuedBytes = 1000;
    const value = Buffer.alloc(100, 0x61);
    for (let i = 0; i < 1_000_000 && !w.overLimit; i++) w.bulk(value, 0, value.length);
    expect(w.overLimit).toBe(true);
    for (let i = 0; i < 100_000; i++) w.bulk(value, 0, value.length);
    expect(w.capacity()).toBeLessThanOrEqual(64 * 1024 * 2);
    expect(w.pending()).toBeLessThan(64 * 1024);
  });

  it('starts with a small buffer and moves to a chunk only when that is outgrown', () => {
    const pool = new OutputPool(1024);
    const w = new ReplyWriter(pool);
    w.raw(R.R_OK);
    expect(w.capacity()).toBe(pool.smallSize);
    w.bulk(Buffer.alloc(500, 0x61), 0, 500);
    expect(w.capacity()).toBe(1024);
    expect(decode(w.take())).toEqual([s('OK'), Buffer.alloc(500, 0x61)]);
    expect(pool.freeBytes()).toBe(pool.smallSize); // the outgrown small buffer went back
  });

  it('dispose drops pending output and gives the chunk back', () => {
    const pool = new OutputPool(1024);
    const w = new ReplyWriter(pool);
    w.raw(R.R_OK);
    w.dispose();
    expect(w.pending()).toBe(0);
    expect(pool.freeBytes()).toBe(pool.smallSize);
  });

  it('streams a value stored in pieces with bulkHeader/rawSlice/crlf', () => {
    const w = new ReplyWriter();
    const out = batch(w, (w) => {
      w.bulkHeader(6);
      w.rawSlice(s('abcdef'), 0, 3);
      w.rawSlice(s('xxdefxx'), 2, 3);
      w.crlf();
    });
    expect(decode(out)).toEqual([s('abcdef')]);
  });
});

describe('replies.ts', () => {
  it('pre-encodes errors byte-identical to redis-server 7.0', () => {
    expect(R.E_WRONGTYPE.toString()).toBe('-WRONGTYPE Operation against a key holding the wrong kind of value\r\n');
    expect(R.E_NOT_INTEGER.toString()).toBe('-ERR value is not an integer or out of range\r\n');
    expect(R.E_OOM.toString()).toBe("-OOM command not allowed when used memory > 'maxmemory'.\r\n");
    expect(R.errorText(R.E_NOAUTH)).toBe('NOAUTH Authentication required.');
    expect(R.errorCode(R.errorText(R.E_BUSYKEY))).toBe('BUSYKEY');
  });

  it('every E_* is one well-formed error line and every R_* one well-formed reply', () => {
    for (const [name, value] of Object.entries(R)) {
      if (!(value instanceof Buffer)) continue;
      const text = value.toString('latin1');
      if (name.startsWith('E_')) {
        expect(text, name).toMatch(/^-[A-Z]+( [^\r\n]*)?\r\n$/);
        expect(decode(value), name).toEqual([{ error: text.slice(1, -2) }]);
      } else if (name.startsWith('R_') && name !== 'R_CRLF' && !name.startsWith('R_RESP3_')) {
        expect(decode(value).length, name).toBe(1);
      }
    }
  });
});

/**
 * The flush protocol of src/output.ts against a simulated socket, with several writers sharing
 * one small pool: each turn takes at most a budget of views (take, then takeMore); the socket
 * either sends them at once (recycle) or queues them (hold) and sends them at a later turn,
 * before which release() is not called. Whatever the interleaving, every writer's receiver gets
 * exactly the bytes written to it (truncated writes excluded), so no buffer was reused while
 * the socket could still read it.
 */
describe('ReplyWriter chained output under the flush protocol (property)', () => {
  interface Side {
    w: ReplyWriter;
    expected: number[];
    received: number[];
    queued: Buffer[];
  }

  function writeRandom(side: Side, r: () => number): void {
    const kind = Math.floor(r() * 5);
    const len = r() < 0.3 ? Math.floor(r() * 40_000) : Math.floor(r() * 300);
    const payload = Buffer.alloc(len);
    for (let i = 0; i < len; i += 97) payload[i] = Math.floor(r() * 256);
    const before = side.w.pending();
    if (kind === 0) side.w.bulk(payload, 0, len);
    else if (kind === 1) side.w.rawSlice(payload, 0, len);
    else if (kind === 2) side.w.int(len);
    else if (kind === 3) side.w.arrayLen(len);
    else {
      // CLIENT REPLY OFF: written, then dropped.
      const m = side.w.mark();
      side.w.bulk(payload, 0, len);
      side.w.truncate(m);
      expect(side.w.pending()).toBe(before);
      return;
    }
    const out = side.w.pending() - before;
    // What the writer appended is checked at the receiver against a re-encoding.
    const ref = new ReplyWriter(new OutputPool(1 << 20));
    if (kind === 0) ref.bulk(payload, 0, len);
    else if (kind === 1) ref.rawSlice(payload, 0, len);
    else if (kind === 2) ref.int(len);
    else ref.arrayLen(len);
    const bytes = ref.take() ?? Buffer.alloc(0);
    expect(bytes.length).toBe(out);
    for (const b of bytes) side.expected.push(b);
  }

  function flush(side: Side, r: () => number): void {
    if (side.queued.length > 0) {
      if (r() < 0.5) return; // the socket still holds its earlier write
      for (const v of side.queued) for (const b of v) side.received.push(b);
      side.queued = [];
    }
    side.w.release();
    let budget = r() < 0.5 ? 64 * 1024 : 1 + Math.floor(r() * 5000);
    const views: Buffer[] = [];
    let v = side.w.take(budget);
    while (v !== null) {
      views.push(v);
      budget -= v.length;
      v = budget > 0 ? side.w.takeMore(budget) : null;
    }
    if (views.length === 0) return;
    if (r() < 0.5) {
      for (const view of views) for (const b of view) side.received.push(b);
      side.w.recycle();
    } else {
      side.queued = views;
      side.w.hold();
    }
  }

  it('delivers every writer its own bytes, whatever the budgets and socket delays', () => {
    for (let seed = 1; seed <= 40; seed++) {
      const r = rng(seed);
      const pool = new OutputPool(1024);
      const sides: Side[] = Array.from({ length: 3 }, () => ({ w: new ReplyWriter(pool), expected: [], received: [], queued: [] }));
      for (let step = 0; step < 300; step++) {
        const side = sides[Math.floor(r() * sides.length)];
        if (r() < 0.6) writeRandom(side, r);
        else flush(side, r);
      }
      for (const side of sides) {
        for (let i = 0; i < 10_000 && (side.w.pending() > 0 || side.queued.length > 0); i++) flush(side, () => 0.9);
        expect(side.w.pending()).toBe(0);
        expect(side.received.length).toBe(side.expected.length);
        expect(Buffer.from(side.received).equals(Buffer.from(side.expected))).toBe(true);
      }
    }
  });
});
