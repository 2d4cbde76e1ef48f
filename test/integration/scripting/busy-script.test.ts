/*
 * A runaway script never hangs the server (issue 10): past busy-reply-threshold other clients
 * get -BUSY, SCRIPT KILL ends a script that has not written (UNKILLABLE once it has), FUNCTION
 * KILL ends a function, the caller gets Redis's "Script killed" error, and the server serves
 * normally afterwards. The first test keeps the default threshold (5000 ms) as the issue asks:
 * BUSY within 6 s of the script's start. Raw RESP over sockets (test/helpers/raw-client.ts is
 * not needed: each reply here is one line).
 * Runs against slabcache (default) or redis-server (DIFF_TARGET=redis), via startTarget.
 */
import net from 'node:net';
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { startTarget, type TargetServer } from '../../helpers/target-server.ts';

const BUSY = '-BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.';
const BUSY_FUNCTION = '-BUSY Redis is busy running a script. You can only call FUNCTION KILL or SHUTDOWN NOSAVE.';

/** A connection that sends commands and reads single-line (or bulk) replies as text. */
class Conn {
  private readonly socket: net.Socket;
  private buffer = '';
  private waiters: Array<(line: string) => void> = [];

  constructor(port: number) {
    this.socket = net.connect(port, '127.0.0.1');
    this.socket.setEncoding('latin1');
    this.socket.on('data', (chunk: string) => {
      this.buffer += chunk;
      this.drain();
    });
    this.socket.on('error', () => {});
  }

  send(...args: string[]): void {
    let out = `*${args.length}\r\n`;
    for (const a of args) out += `$${Buffer.byteLength(a, 'latin1')}\r\n${a}\r\n`;
    this.socket.write(out, 'latin1');
  }

  /** The next reply's first line (a bulk's header and body joined), waiting at most ms. */
  next(ms: number): Promise<string> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== take);
        reject(new Error(`no reply within ${ms} ms`));
      }, ms);
      const take = (line: string): void => {
        clearTimeout(timer);
        resolve(line);
      };
      this.waiters.push(take);
      this.drain();
    });
  }

  async call(ms: number, ...args: string[]): Promise<string> {
    this.send(...args);
    return this.next(ms);
  }

  close(): void {
    this.socket.destroy();
  }

  private drain(): void {
    while (this.waiters.length > 0) {
      const eol = this.buffer.indexOf('\r\n');
      if (eol < 0) return;
      let line = this.buffer.slice(0, eol);
      let used = eol + 2;
      if (line.startsWith('$') && line !== '$-1') {
        const len = Number(line.slice(1));
        if (this.buffer.length < used + len + 2) return;
        line = this.buffer.slice(used, used + len);
        used += len + 2;
      }
      this.buffer = this.buffer.slice(used);
      this.waiters.shift()!(line);
    }
  }
}

let target: TargetServer;

beforeAll(async () => {
  target = await startTarget({ loglevel: 'warning' });
});

afterAll(async () => {
  await target?.stop();
});

describe('a runaway script', () => {
  it('answers BUSY to another client within 6 s, SCRIPT KILL ends it, and the server carries on', { timeout: 20000 }, async () => {
    const runner = new Conn(target.port);
    const other = new Conn(target.port);
    try {
      const started = Date.now();
      runner.send('EVAL', 'local i = 0 while true do i = i + 1 end', '0');
      // The other client's PING waits while the script is under the threshold, then gets BUSY.
      const busy = await other.call(7000, 'PING');
      expect(busy).toBe(BUSY);
      expect(Date.now() - started).toBeLessThan(6000);
      expect(await other.call(2000, 'GET', 'k')).toBe(BUSY);
      expect(await other.call(2000, 'FUNCTION', 'KILL')).toBe(BUSY);
      expect(await other.call(2000, 'SCRIPT', 'KILL')).toBe('+OK');
      expect(await runner.next(2000)).toMatch(/^-ERR Script killed by user with SCRIPT KILL\.\.\. script: [0-9a-f]{40}, on @user_script:1\.$/);
      expect(await other.call(2000, 'PING')).toBe('+PONG');
      expect(await runner.call(2000, 'SET', 'k', 'v')).toBe('+OK');
      expect(await other.call(2000, 'GET', 'k')).toBe('v');
      expect(await other.call(2000, 'SCRIPT', 'KILL')).toBe('-NOTBUSY No scripts in execution right now.');
    } finally {
      runner.close();
      other.close();
    }
  });

  it('a script that has written is UNKILLABLE; it finishes on its own and its caller gets the reply', { timeout: 20000 }, async () => {
    const admin = new Conn(target.port);
    const runner = new Conn(target.port);
    const other = new Conn(target.port);
    try {
      expect(await admin.call(2000, 'CONFIG', 'SET', 'busy-reply-threshold', '100')).toBe('+OK');
      runner.send('EVAL', "redis.call('set', KEYS[1], 'written') local t = redis.call('time') local stop = tonumber(t[1]) + 1 while tonumber(redis.call('time')[1]) <= stop do end return 'done'", '1', 'busy:w');
      // Pipelined behind the EVAL: runs only after it.
      runner.send('GET', 'busy:w');
      expect(await other.call(5000, 'GET', 'busy:w')).toBe(BUSY);
      expect(await other.call(2000, 'SCRIPT', 'KILL')).toBe(
        '-UNKILLABLE Sorry the script already executed write commands against the dataset. You can either wait the script termination or kill the server in a hard way using the SHUTDOWN NOSAVE command.',
      );
      expect(await runner.next(5000)).toBe('done');
      expect(await runner.next(2000)).toBe('written');
      expect(await other.call(2000, 'GET', 'busy:w')).toBe('written');
    } finally {
      await admin.call(2000, 'CONFIG', 'SET', 'busy-reply-threshold', '5000');
      admin.close();
      runner.close();
      other.close();
    }
  });

  // slabcache only: redis-server keeps serving (BUSY) from inside its hook and waits for SCRIPT
  // KILL. slabcache can only turn its event loop where Lua can yield, so past the threshold a
  // script spinning inside pcall (or in MULTI) that has not written is ended as SCRIPT KILL would.
  it('a loop inside pcall past busy-reply-threshold is ended as by SCRIPT KILL (slabcache)', { timeout: 20000 }, async (ctx) => {
    if (target.kind !== 'slabcache') ctx.skip();
    const admin = new Conn(target.port);
    const runner = new Conn(target.port);
    try {
      expect(await admin.call(2000, 'CONFIG', 'SET', 'busy-reply-threshold', '100')).toBe('+OK');
      const started = Date.now();
      // After the kill the hook fires on every line, so pcall cannot keep the script alive.
      const reply = await runner.call(5000, 'EVAL', 'local ok, e = pcall(function() while true do end end)\nreturn {tostring(ok), e}', '0');
      expect(reply).toMatch(/^-ERR Script killed by user with SCRIPT KILL\.\.\. script: [0-9a-f]{40}, on @user_script:2\.$/);
      expect(Date.now() - started).toBeLessThan(3000);
      expect(await runner.call(2000, 'PING')).toBe('+PONG');
      // In MULTI the same holds.
      expect(await runner.call(2000, 'MULTI')).toBe('+OK');
      expect(await runner.call(2000, 'EVAL', 'while true do end', '0')).toBe('+QUEUED');
      expect(await runner.call(5000, 'EXEC')).toBe('*1');
      expect(await runner.next(2000)).toMatch(/^-ERR Script killed by user with SCRIPT KILL\.\.\./);
    } finally {
      await admin.call(2000, 'CONFIG', 'SET', 'busy-reply-threshold', '5000');
      admin.close();
      runner.close();
    }
  });

  it('FUNCTION KILL ends a runaway function; SCRIPT KILL is refused for it', { timeout: 20000 }, async () => {
    const admin = new Conn(target.port);
    const runner = new Conn(target.port);
    const other = new Conn(target.port);
    try {
      expect(await admin.call(2000, 'CONFIG', 'SET', 'busy-reply-threshold', '100')).toBe('+OK');
      expect(await admin.call(2000, 'FUNCTION', 'LOAD', 'REPLACE', "#!lua name=spin\nredis.register_function('spin', function() while true do end end)")).toBe('spin');
      runner.send('FCALL', 'spin', '0');
      expect(await other.call(5000, 'PING')).toBe(BUSY_FUNCTION);
      expect(await other.call(2000, 'SCRIPT', 'KILL')).toBe(BUSY_FUNCTION);
      expect(await other.call(2000, 'FUNCTION', 'KILL')).toBe('+OK');
      expect(await runner.next(2000)).toBe('-ERR Script killed by user with SCRIPT KILL... script: spin, on @user_function:2.');
      expect(await other.call(2000, 'FUNCTION', 'DELETE', 'spin')).toBe('+OK');
    } finally {
      await admin.call(2000, 'CONFIG', 'SET', 'busy-reply-threshold', '5000');
      admin.close();
      runner.close();
      other.close();
    }
  });
});
