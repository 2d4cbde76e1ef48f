import { describe, it, expect, vi } from 'vitest';
import fc from 'fast-check';
import { RequestParser, ParseResult, parseRedisInt } from '../../protocol/parser.ts';
import { parseAll, parseChunks, cut, mb, strs, newParser, argsOf } from './parse-helpers.ts';
import { ERROR_CASES, BEFORE_ERROR, INLINE_CASES } from './cases.ts';

const bin = Buffer.from([0x00, 0x0d, 0x0a, 0xff, 0xfe, 0x80, 0x24, 0x2a]);

/** A pipelined stream mixing multibulk and inline commands, and what it must parse to. */
function mixedStream(): { stream: Buffer; expected: Buffer[][] } {
  const parts: Buffer[] = [];
  const expected: Buffer[][] = [];
  const add = (raw: Buffer | string, ...cmd: (string | Buffer)[][]) => {
    parts.push(typeof raw === 'string' ? Buffer.from(raw, 'latin1') : raw);
    for (const c of cmd) expected.push(c.map((a) => (typeof a === 'string' ? Buffer.from(a, 'latin1') : a)));
  };
  add(mb('SET', 'key', 'value'), ['SET', 'key', 'value']);
  add('PING\r\n', ['PING']);
  add(mb('SET', bin, ''), ['SET', bin, '']);
  add('*0\r\n'); // empty multibulk: skipped
  add('\r\n'); // empty inline line: skipped
  add('*-1\r\n');
  add('ECHO "a b\\x00\\n" \'c\\\'d\' e\n', ['ECHO', 'a b\x00\n', "c'd", 'e']);
  add(mb(''), ['']);
  add('   \t \r\n');
  add(mb('APPEND', 'k', Buffer.alloc(300, 0x0d)), ['APPEND', 'k', Buffer.alloc(300, 0x0d)]);
  add('  get   k  \r\n', ['get', 'k']);
  add(mb('X', '*1\r\n$1\r\n'), ['X', '*1\r\n$1\r\n']);
  add('set "" \'\'\n', ['set', '', '']);
  add(mb('LAST'), ['LAST']);
  return { stream: Buffer.concat(parts), expected };
}

describe('RequestParser: framing', () => {
  const { stream, expected } = mixedStream();

  it('parses a mixed pipelined stream in one read', () => {
    const r = parseAll(stream);
    expect(r.error).toBeNull();
    expect(r.commands).toEqual(expected);
  });

  it('parses the stream cut at every byte position', () => {
    for (let i = 0; i <= stream.length; i++) {
      const r = parseChunks(cut(stream, [i]));
      expect(r.error, `cut at ${i}`).toBeNull();
      expect(r.commands, `cut at ${i}`).toEqual(expected);
    }
  });

  it('parses the stream cut at every pair of positions', () => {
    const n = stream.length;
    for (let i = 0; i <= n; i += 1) {
      for (let j = i; j <= n; j += 3) {
        const r = parseChunks(cut(stream, [i, j]));
        if (r.error !== null || r.commands.length !== expected.length) {
          expect({ i, j, r }).toEqual({ i, j, r: { commands: expected, error: null } });
        }
      }
    }
  });

  it('parses the stream fed one byte at a time', () => {
    const chunks: Buffer[] = [];
    for (let i = 0; i < stream.length; i++) chunks.push(stream.subarray(i, i + 1));
    expect(parseChunks(chunks)).toEqual({ commands: expected, error: null });
  });

  it('parses the stream under random fragmentation (property)', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.integer({ min: 0, max: stream.length }), { maxLength: 40 }), (cuts) => {
        cuts.sort((a, b) => a - b);
        expect(parseChunks(cut(stream, cuts))).toEqual({ commands: expected, error: null });
      }),
      { numRuns: 300 },
    );
  });

  it('random commands with binary arguments survive any fragmentation (property)', () => {
    const arg = fc.uint8Array({ maxLength: 40 }).map((a) => Buffer.from(a));
    const cmd = fc.array(arg, { minLength: 1, maxLength: 6 });
    fc.assert(
      fc.property(fc.array(cmd, { minLength: 1, maxLength: 8 }), fc.array(fc.nat(), { maxLength: 10 }), (cmds, rawCuts) => {
        const stream = Buffer.concat(cmds.map((c) => mb(...c)));
        const cuts = [...new Set(rawCuts.map((c) => c % (stream.length + 1)))].sort((a, b) => a - b);
        expect(parseChunks(cut(stream, cuts))).toEqual({ commands: cmds, error: null });
      }),
      { numRuns: 300 },
    );
  });

  it('returns many commands from one read, zero-copy', () => {
    const one = mb('GET', 'somekey');
    const n = 10_000;
    const chunk = Buffer.concat(Array.from({ length: n }, () => one));
    const p = new RequestParser();
    p.feed(chunk);
    let count = 0;
    while (p.next() === ParseResult.COMMAND) {
      expect(p.argc).toBe(2);
      expect(p.argBuf).toBe(chunk); // views into the received chunk
      expect(p.argBuf.toString('latin1', p.argOff[1], p.argOff[1] + p.argLen[1])).toBe('somekey');
      count++;
    }
    expect(count).toBe(n);
    expect(p.bufferedBytes()).toBe(0);
  });

  it('keeps a command spanning reads in scratch and returns to zero-copy after it', () => {
    const a = mb('SET', 'k', 'v'.repeat(100));
    const b = mb('GET', 'k');
    const p = new RequestParser();
    p.feed(a.subarray(0, 30));
    expect(p.next()).toBe(ParseResult.INCOMPLETE);
    expect(p.bufferedBytes()).toBe(30);
    const second = Buffer.concat([a.subarray(30), b]);
    p.feed(second);
    expect(p.next()).toBe(ParseResult.COMMAND);
    expect(strs([argsOf(p)])).toEqual([['SET', 'k', 'v'.repeat(100)]]);
    expect(p.argBuf).not.toBe(second);
    expect(p.next()).toBe(ParseResult.COMMAND);
    expect(p.argBuf).toBe(second);
    expect(strs([argsOf(p)])).toEqual([['GET', 'k']]);
    expect(p.next()).toBe(ParseResult.INCOMPLETE);
    expect(p.bufferedBytes()).toBe(0);
  });

  it('keeps unread bytes when feed() is called before the chunk was drained', () => {
    const p = new RequestParser();
    p.feed(Buffer.concat([mb('A'), mb('B'), mb('C').subarray(0, 5)]));
    expect(p.next()).toBe(ParseResult.COMMAND);
    p.feed(mb('C').subarray(5));
    const got: string[][] = [];
    while (p.next() === ParseResult.COMMAND) got.push(strs([argsOf(p)])[0]);
    expect(got).toEqual([['B'], ['C']]);
  });

  it('does not check the CRLF after a bulk or after a header CR, as Redis does not', () => {
    expect(strs(parseAll('*2\r\n$4\r\nECHO\r\n$3\r\nabcXYPING\r\n').commands)).toEqual([['ECHO', 'abc'], ['PING']]);
    expect(strs(parseAll('*1\rX$4\r\nPING\r\n').commands)).toEqual([['PING']]);
  });

  it('accepts a bulk exactly at maxBulkLen and inline lines ending in LF only', () => {
    expect(strs(parseAll('*1\r\n$5\r\nhello\r\n', { maxBulkLen: 5 }).commands)).toEqual([['hello']]);
    expect(strs(parseAll('PING\nPING\r\nECHO a\n').commands)).toEqual([['PING'], ['PING'], ['ECHO', 'a']]);
  });
});

describe('RequestParser: limits and malformed frames (redis-server 7.0 texts)', () => {
  const before = BEFORE_ERROR;

  for (const { input, error: message, ...opts } of ERROR_CASES) {
    const name = JSON.stringify(input.length > 40 ? input.slice(0, 20) + `...(${input.length})` : input);
    it(`${name} -> ${message}`, () => {
      const r = parseAll(before + input, opts);
      expect(r.error).toBe(message);
      // Commands before the error in the same read are returned first.
      expect(strs(r.commands)).toEqual([['PING'], ['ECHO', 'x']]);
    });
    it(`${name} -> same error when fed byte by byte`, () => {
      const buf = Buffer.from(before + input, 'latin1');
      const chunks: Buffer[] = [];
      for (let i = 0; i < buf.length; i += 1 + (i >> 6)) chunks.push(buf.subarray(i, i + 1 + (i >> 6)));
      const r = parseChunks(chunks, opts);
      expect(r.error).toBe(message);
      expect(strs(r.commands)).toEqual([['PING'], ['ECHO', 'x']]);
    });
  }

  it('stays failed after an error', () => {
    const p = newParser();
    p.feed(Buffer.from('*x\r\n'));
    expect(p.next()).toBe(ParseResult.ERROR);
    p.feed(mb('PING'));
    expect(p.next()).toBe(ParseResult.ERROR);
    expect(p.error).toBe('ERR Protocol error: invalid multibulk length');
  });

  it('skips *0, *-1 and *-9223372036854775808 as Redis does', () => {
    expect(strs(parseAll('*0\r\n*-1\r\n*-9223372036854775808\r\n*-5\r\nPING\r\n').commands)).toEqual([['PING']]);
  });

  it('waits at the limits instead of failing', () => {
    for (const [input, opts] of [
      ['*2147483647\r\n', {}],
      ['*1\r\n$536870912\r\n', {}],
      ['*10\r\n$16384\r\n', { authenticated: false }],
      ['A'.repeat(65536), {}],
      ['*' + '1'.repeat(65535), {}],
      ['*1\r\n$' + '1'.repeat(65535), {}],
    ] as const) {
      const r = parseAll(input, opts);
      expect(r).toEqual({ commands: [], error: null });
    }
  });

  it('applies the unauthenticated caps per command, as the flag changes between commands', () => {
    const p = newParser({ authenticated: false });
    p.feed(Buffer.concat([mb('AUTH', 'pw'), mb(...Array.from({ length: 11 }, (_, i) => String(i)))]));
    expect(p.next()).toBe(ParseResult.COMMAND);
    p.authenticated = true; // AUTH succeeded before the next command is parsed
    expect(p.next()).toBe(ParseResult.COMMAND);
    expect(p.argc).toBe(11);
  });

  it('accepts an inline line longer than 64 KB when it is complete in the buffered data, like Redis', () => {
    const line = 'ECHO ' + 'A'.repeat(70000);
    expect(parseAll(line + '\r\n').commands[0][1].length).toBe(70000);
    // Read as 64 KB then the rest: at most 64 KB was ever buffered without the LF.
    const buf = Buffer.from(line + '\r\n');
    expect(parseChunks(cut(buf, [65536])).commands[0][1].length).toBe(70000);
    // More than 64 KB buffered without a LF fails, as it does in Redis.
    expect(parseChunks(cut(buf, [65538])).error).toBe('ERR Protocol error: too big inline request');
  });

  it('parseRedisInt follows string2ll', () => {
    const v = (s: string) => parseRedisInt(Buffer.from(s), 0, s.length);
    expect(v('0')).toBe(0);
    expect(v('-1')).toBe(-1);
    expect(v('123')).toBe(123);
    expect(v('9223372036854775807')).toBeGreaterThan(9e18);
    expect(v('-9223372036854775808')).toBeLessThan(-9e18);
    for (const bad of ['', '-', '+1', '01', '-0', '00', '1.0', ' 1', '1 ', '9223372036854775808', '-9223372036854775809', '99999999999999999999'])
      expect(v(bad), bad).toBeNaN();
  });
});

describe('RequestParser: inline commands split like sdssplitargs (redis-server, redis-cli)', () => {
  for (const { line, args } of INLINE_CASES) {
    it(`${JSON.stringify(line)} -> ${JSON.stringify(args)}`, () => {
      for (const eol of ['\r\n', '\n']) {
        const r = parseAll('x ' + line + eol);
        if (args === null) {
          expect(r.error).toBe('ERR Protocol error: unbalanced quotes in request');
        } else {
          expect(r.error).toBeNull();
          expect(strs(r.commands)).toEqual([['x', ...args]]);
        }
      }
    });
  }

  it('cuts an inline line at a NUL byte, as sdssplitargs reads a C string', () => {
    expect(strs(parseAll('SET a\x00b c\r\nPING\r\n').commands)).toEqual([['SET', 'a'], ['PING']]);
  });

  it('drops only one CR before the LF', () => {
    expect(strs(parseAll('ECHO "a\r"\r\n').commands)).toEqual([['ECHO', 'a\r']]);
    expect(strs(parseAll('ECHO a\r\r\n').commands)).toEqual([['ECHO', 'a']]);
  });

  it('treats a line starting with anything but * as inline, even $ or space', () => {
    expect(strs(parseAll(' *1\r\n$3\r\n').commands)).toEqual([['*1'], ['$3']]);
  });
});

const originalConcat = Buffer.concat;

describe('RequestParser: memory and work bounds', () => {
  it('does not allocate for a huge announced multibulk count', () => {
    const p = newParser();
    p.feed(Buffer.from('*2147483647\r\n'));
    expect(p.next()).toBe(ParseResult.INCOMPLETE);
    expect(p.argOff.length).toBe(16);
    expect(p.bufferCapacity()).toBeLessThan(8192);
    p.feed(Buffer.from('$1\r\na\r\n$1\r\nb\r\n'));
    expect(p.next()).toBe(ParseResult.INCOMPLETE);
    expect(p.argOff.length).toBe(16);
    expect(p.bufferCapacity()).toBeLessThan(8192);
  });

  it('takes memory for a large announced bulk as its bytes arrive, not from the announced length', () => {
    const p = newParser();
    p.feed(Buffer.from('*2\r\n$3\r\nSET\r\n$536870912\r\na'));
    expect(p.next()).toBe(ParseResult.INCOMPLETE);
    expect(p.bufferCapacity()).toBeLessThanOrEqual(8192);
  });

  it('receives a large bulk in chunks with doubling: O(log n) allocations, each byte copied O(1) times', () => {
    const size = 1 << 20;
    const p = newParser();
    p.feed(Buffer.from(`*2\r\n$3\r\nSET\r\n$${size}\r\n`));
    expect(p.next()).toBe(ParseResult.INCOMPLETE);
    const body = Buffer.alloc(size, 0x61);
    for (let i = 0; i < size; i += 65536) {
      p.feed(body.subarray(i, i + 65536));
      expect(p.next()).toBe(ParseResult.INCOMPLETE);
      expect(p.bufferCapacity()).toBeLessThanOrEqual(Math.max(2 * (i + 65536 + 64), 8192));
    }
    p.feed(Buffer.from('\r\n'));
    expect(p.next()).toBe(ParseResult.COMMAND);
    expect(p.argLen[1]).toBe(size);
    expect(p.statAllocations).toBeLessThanOrEqual(12);
    expect(p.statCopiedBytes).toBeLessThanOrEqual(3 * size);
  });

  it('input fed while commands wait unparsed (a blocked client that keeps sending) is copied O(1) times per byte', () => {
    // Issue 8, defect 3: each chunk used to be Buffer.concat-ed onto the unread bytes: O(n^2).
    const cmd = mb('SET', 'k', 'v');
    const chunk = Buffer.concat(Array.from({ length: 64 }, () => cmd));
    let concatBytes = 0;
    const concat = vi.spyOn(Buffer, 'concat').mockImplementation((list, total) => {
      const out = originalConcat.call(Buffer, list, total);
      concatBytes += out.length;
      return out;
    });
    try {
      const p = newParser();
      p.feed(chunk);
      expect(p.next()).toBe(ParseResult.COMMAND); // the client then blocks: nothing more is parsed
      const copiedBefore = p.statCopiedBytes;
      const rounds = 2000;
      for (let i = 0; i < rounds; i++) p.feed(chunk);
      const fed = rounds * chunk.length;
      expect(concatBytes + p.statCopiedBytes - copiedBefore).toBeLessThanOrEqual(3 * (fed + chunk.length));
      let commands = 1;
      while (p.next() === ParseResult.COMMAND) commands++;
      expect(commands).toBe(64 * (rounds + 1));
      expect(p.bufferedBytes()).toBe(0);
    } finally {
      concat.mockRestore();
    }
  });

  it('a client that yields with one request unread, turn after turn, keeps it in one small buffer of its own', () => {
    // At 1,000 connections most clients yield each turn with their request unread; each took a
    // 128 KB pooled held buffer, and once the pool ran dry a fresh one per client per turn.
    const shared = Buffer.alloc(64 * 1024);
    const p = newParser();
    const req = mb('GET', 'key:1');
    for (let turn = 0; turn < 1000; turn++) {
      req.copy(shared, 0);
      p.feed(shared, req.length);
      // The turn's time ran out before this client's command: the shared read buffer is reused.
      p.detach(shared);
      shared.fill(0x2a);
      expect(p.bufferCapacity()).toBeLessThanOrEqual(1024);
      expect(p.next()).toBe(ParseResult.COMMAND);
      expect(p.argBuf.toString('latin1', p.argOff[1], p.argOff[1] + p.argLen[1])).toBe('key:1');
      expect(p.next()).toBe(ParseResult.INCOMPLETE);
    }
    expect(p.statAllocations).toBeLessThanOrEqual(2);
  });

  it('a pipelined stream of 20 KB commands read in 64 KB chunks allocates no scratch per command', () => {
    // Commands spanning a read used to grow a fresh scratch 4 -> 8 -> 16 -> 32 KB each and drop
    // it: garbage that held glibc's heap between long-lived list nodes during a bulk load.
    const values = Array.from({ length: 1000 }, (_, i) => `v${i}`.padEnd(16, 'x'));
    const commands = Array.from({ length: 300 }, (_, i) => mb('RPUSH', `l:${i}`, ...values));
    const stream = Buffer.concat(commands);
    const shared = Buffer.alloc(65536);
    const p = newParser();
    let parsed = 0;
    for (let i = 0; i < stream.length; i += shared.length) {
      const n = stream.copy(shared, 0, i, i + shared.length);
      p.feed(shared, n);
      while (p.next() === ParseResult.COMMAND) {
        expect(p.argc).toBe(1002);
        expect(p.argBuf.toString('latin1', p.argOff[1], p.argOff[1] + p.argLen[1])).toBe(`l:${parsed}`);
        expect(p.argBuf.toString('latin1', p.argOff[1001], p.argOff[1001] + p.argLen[1001])).toBe(values[999]);
        parsed++;
      }
      p.detach(shared);
    }
    expect(parsed).toBe(300);
    // The argument arrays, the parser's own small scratch and one pooled buffer at most.
    expect(p.statAllocations).toBeLessThanOrEqual(8);
  });

  it('parses a 1,000,000-argument command arriving in 64 KB chunks in linear work', () => {
    const n = 1_000_000;
    const head = Buffer.from(`*${n + 1}\r\n$4\r\nMSET\r\n`);
    const parts: Buffer[] = [head];
    for (let i = 0; i < n; i++) parts.push(Buffer.from(`$${String(i).length}\r\n${i}\r\n`));
    const stream = Buffer.concat([...parts, mb('PING')]);
    const p = newParser();
    let commands = 0;
    let chunks = 0;
    for (let i = 0; i < stream.length; i += 65536) {
      chunks++;
      p.feed(stream.subarray(i, i + 65536));
      for (;;) {
        const r = p.next();
        if (r === ParseResult.COMMAND) {
          commands++;
          if (commands === 1) {
            expect(p.argc).toBe(n + 1);
            expect(p.argBuf.toString('latin1', p.argOff[n], p.argOff[n] + p.argLen[n])).toBe(String(n - 1));
            expect(p.argBuf.toString('latin1', p.argOff[12345], p.argOff[12345] + p.argLen[12345])).toBe('12344');
          }
        } else {
          expect(r).toBe(ParseResult.INCOMPLETE);
          break;
        }
      }
    }
    expect(commands).toBe(2);
    // Every header is parsed exactly once (no re-parsing from the command start) ...
    expect(p.statHeaders).toBe(n + 1 + 1 + 2); // MSET's count + its n+1 bulks, PING's count + bulk
    // ... every byte is copied into scratch about once (plus amortized doubling) ...
    expect(p.statCopiedBytes).toBeLessThan(stream.length * 3);
    // ... scratch and the argument arrays grow by doubling: O(log n) allocations.
    expect(p.statAllocations).toBeLessThan(40);
    expect(chunks).toBeGreaterThan(100);
  });

  it('drops oversized buffers after the command that needed them', () => {
    const p = newParser();
    const big = mb('SET', 'k', Buffer.alloc(1 << 20));
    parseChunks(cut(big, [100]), {}, p);
    expect(p.bufferCapacity()).toBe(0);
    parseChunks(cut(mb('GET', 'k'), [3]), {}, p);
    expect(p.bufferCapacity()).toBeLessThan(1 << 19);
  });
});

describe('RequestParser: lookahead for key prefetching', () => {
  const offs = new Int32Array(8);
  const lens = new Int32Array(8);
  const keysSeen = (p: RequestParser, n: number): string[] =>
    Array.from({ length: n }, (_, i) => p.lookaheadBuffer().toString('latin1', offs[i], offs[i] + lens[i]));

  it('names the second argument of each complete request ahead, without consuming any', () => {
    const p = newParser();
    const stream = Buffer.concat([mb('GET', 'a'), mb('PING'), mb('SET', 'bb', 'v'), mb('DEL', 'ccc', 'x', 'y'), mb('GET', 'dddd').subarray(0, 9)]);
    p.feed(stream);
    const n = p.lookahead(offs, lens, 8);
    expect(keysSeen(p, n)).toEqual(['a', 'bb', 'ccc']);
    expect(p.next()).toBe(ParseResult.COMMAND);
    expect(strs([argsOf(p)])).toEqual([['GET', 'a']]);
    expect(keysSeen(p, p.lookahead(offs, lens, 8))).toEqual(['bb', 'ccc']);
    expect(keysSeen(p, p.lookahead(offs, lens, 1))).toEqual(['bb']);
  });

  it('names the first key of EVAL, EVALSHA and FCALL (the fourth argument), and skips them without keys', () => {
    const p = newParser();
    p.feed(Buffer.concat([mb('EvalSha', 'abc', '1', 'k1', 'v'), mb('eval', 'return 1', '0'), mb('FCALL', 'f', '2', 'k2', 'k3'), mb('GET', 'k4')]));
    expect(keysSeen(p, p.lookahead(offs, lens, 8))).toEqual(['k1', 'k2', 'k4']);
  });

  it('stops at the limit, at an inline request, and in scratch mode', () => {
    const p = newParser();
    p.feed(Buffer.concat([mb('GET', 'a'), mb('GET', 'b'), mb('GET', 'c')]));
    expect(keysSeen(p, p.lookahead(offs, lens, 2))).toEqual(['a', 'b']);
    const q = newParser();
    q.feed(Buffer.concat([mb('GET', 'a'), Buffer.from('GET b\r\n'), mb('GET', 'c')]));
    expect(keysSeen(q, q.lookahead(offs, lens, 8))).toEqual(['a']);
    const r = newParser();
    const split = Buffer.concat([mb('GET', 'a'), mb('GET', 'b')]);
    r.feed(split.subarray(0, 10));
    expect(r.next()).toBe(ParseResult.INCOMPLETE);
    expect(r.lookahead(offs, lens, 8)).toBe(0);
    r.feed(split.subarray(10));
    expect(r.next()).toBe(ParseResult.COMMAND);
    expect(strs([argsOf(r)])).toEqual([['GET', 'a']]);
    expect(r.next()).toBe(ParseResult.COMMAND);
    expect(strs([argsOf(r)])).toEqual([['GET', 'b']]);
  });
});
