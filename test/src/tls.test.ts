/*
 * src/tls.ts without sockets: the session-ID cache's bound, expiry and TLS 1.3 exclusion, and
 * the protocol version read from a session's DER bytes.
 */
import { describe, expect, it, vi } from 'vitest';
import { SessionCache, sessionVersion } from '../../src/tls.ts';

/** The start of an SSL_SESSION's DER encoding: SEQUENCE (2-byte long length), INTEGER 1, INTEGER version. */
function session(version: number, body = 40): Buffer {
  const inner = Buffer.concat([Buffer.from([0x02, 0x01, 0x01, 0x02, 0x02, version >> 8, version & 0xff]), Buffer.alloc(body)]);
  return Buffer.concat([Buffer.from([0x30, 0x82, inner.length >> 8, inner.length & 0xff]), inner]);
}

describe('sessionVersion', () => {
  it('reads TLS 1.2 and 1.3 from short and long DER lengths, -1 for other bytes', () => {
    expect(sessionVersion(session(0x0303))).toBe(0x0303);
    expect(sessionVersion(session(0x0304, 400))).toBe(0x0304);
    const short = Buffer.from([0x30, 0x07, 0x02, 0x01, 0x01, 0x02, 0x02, 0x03, 0x04]);
    expect(sessionVersion(short)).toBe(0x0304);
    expect(sessionVersion(Buffer.from([0x31, 0x00]))).toBe(-1);
    expect(sessionVersion(Buffer.alloc(0))).toBe(-1);
    expect(sessionVersion(Buffer.from([0x30, 0x05, 0x02, 0x01, 0x01, 0x02, 0x02]))).toBe(-1);
  });
});

describe('SessionCache', () => {
  const id = (n: number) => Buffer.from([n]);

  it('keeps at most `size` TLS 1.2 sessions, the oldest going first; 0 is unbounded', () => {
    const cache = new SessionCache();
    cache.size = 2;
    for (let i = 0; i < 3; i++) cache.store(id(i), session(0x0303));
    expect(cache.length).toBe(2);
    expect(cache.lookup(id(0))).toBeNull();
    expect(cache.lookup(id(2))).not.toBeNull();
    cache.size = 0;
    for (let i = 10; i < 20; i++) cache.store(id(i), session(0x0303));
    expect(cache.length).toBe(12);
  });

  it('does not keep TLS 1.3 sessions (they resume by ticket), nor any while disabled', () => {
    const cache = new SessionCache();
    cache.store(id(1), session(0x0304));
    expect(cache.length).toBe(0);
    cache.enabled = false;
    cache.store(id(2), session(0x0303));
    expect(cache.length).toBe(0);
  });

  it('forgets a session after timeoutSeconds', () => {
    vi.useFakeTimers();
    try {
      const cache = new SessionCache();
      cache.timeoutSeconds = 10;
      cache.store(id(1), session(0x0303));
      vi.advanceTimersByTime(9_000);
      expect(cache.lookup(id(1))).not.toBeNull();
      vi.advanceTimersByTime(2_000);
      expect(cache.lookup(id(1))).toBeNull();
      expect(cache.length).toBe(0);
    } finally {
      vi.useRealTimers();
    }
  });
});
