/*
 * Argument parsing shared by HSCAN, SSCAN (and ZSCAN): Redis's parseScanCursorOrReply and the
 * COUNT / MATCH options of scanGenericCommand, with their exact errors. The parsed options
 * live in one module-level slot (commands run one at a time); the MATCH pattern is a range of
 * the client's argument buffer, valid for the rest of the command.
 */
import type { Client } from '../client.ts';
import { E_SYNTAX, E_NOT_INTEGER } from '../../protocol/replies.ts';
import { parsed } from '../numbers.ts';

/** Options of the current *SCAN command. */
export const scanArgs = {
  count: 10,
  /** A MATCH pattern other than "*" was given. */
  usePattern: false,
  patBuf: null as Uint8Array | null,
  patOff: 0,
  patLen: 0,
};

const TWO32 = 4294967296;

/**
 * parseScanCursorOrReply: strtoul(arg, 10) that must consume the whole argument (an embedded
 * NUL ends it, as in C), with no leading space and no overflow past 2^64-1; "-N" wraps as
 * strtoul does, "" is 0. Returns the cursor's low 32 bits (table masks never exceed them),
 * or -1 after replying "invalid cursor".
 */
export function scanCursorOrReply(c: Client, i: number): number {
  const buf = c.argBuf;
  const off = c.argOff[i];
  let len = c.argLen[i];
  for (let k = 0; k < len; k++) {
    if (buf[off + k] === 0) {
      len = k;
      break;
    }
  }
  let p = off;
  const end = off + len;
  const first = p < end ? buf[p] : 0;
  if (first === 32 || (first >= 9 && first <= 13)) return invalidCursor(c);
  let neg = false;
  if (p < end && (buf[p] === 43 || buf[p] === 45)) {
    neg = buf[p] === 45;
    p++;
  }
  if (p === end) {
    // "" parses as 0; a lone sign consumes nothing, leaving the sign unparsed.
    return len === 0 ? 0 : invalidCursor(c);
  }
  let value = 0n;
  let small = 0;
  let digits = 0;
  for (; p < end; p++) {
    const d = buf[p] - 48;
    if (d < 0 || d > 9) return invalidCursor(c);
    if (digits < 15) small = small * 10 + d;
    else {
      if (digits === 15) value = BigInt(small);
      value = value * 10n + BigInt(d);
    }
    digits++;
  }
  if (digits > 15) {
    if (value > 18446744073709551615n) return invalidCursor(c);
    if (neg) value = (18446744073709551616n - value) & 18446744073709551615n;
    return Number(value & 0xffffffffn);
  }
  let low = small % TWO32;
  if (neg && small !== 0) low = (TWO32 - low) % TWO32;
  return low;
}

function invalidCursor(c: Client): number {
  c.reply.error('ERR invalid cursor');
  return -1;
}

/** COUNT / MATCH from argument `first` on (no TYPE: that is SCAN's); false after replying an error. */
export function scanOptionsOrReply(c: Client, first: number): boolean {
  scanArgs.count = 10;
  scanArgs.usePattern = false;
  for (let i = first; i < c.argc; ) {
    const left = c.argc - i;
    if (left >= 2 && c.argIs(i, 'count')) {
      if (!c.argInt64(i + 1)) {
        c.reply.raw(E_NOT_INTEGER);
        return false;
      }
      const n = parsed.isBig ? Number(parsed.big) : parsed.num;
      if (n < 1) {
        c.reply.raw(E_SYNTAX);
        return false;
      }
      scanArgs.count = n;
      i += 2;
    } else if (left >= 2 && c.argIs(i, 'match')) {
      const off = c.argOff[i + 1];
      const len = c.argLen[i + 1];
      scanArgs.patBuf = c.argBuf;
      scanArgs.patOff = off;
      scanArgs.patLen = len;
      scanArgs.usePattern = !(len === 1 && c.argBuf[off] === 42);
      i += 2;
    } else {
      c.reply.raw(E_SYNTAX);
      return false;
    }
  }
  return true;
}
