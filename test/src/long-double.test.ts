/*
 * x87 long double arithmetic for INCRBYFLOAT: unit cases worked out by hand (rounding ties at
 * the 64-bit significand and at the 17th decimal, subnormal and overflow edges, string2ld's
 * syntax), then a seeded differential run against redis-server 7.0.15, whose INCRBYFLOAT
 * computes in C long double, comparing the reply bytes of every SET + INCRBYFLOAT pair.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addLongDouble, formatLongDoubleHuman, isFiniteLongDouble, parseLongDouble, type LongDouble } from '../../src/long-double.ts';
import { haveRedisServer, startRedisServer, type RedisServerHandle } from '../helpers/redis-server.ts';
import { RawClient } from '../helpers/raw-client.ts';
import { rng } from '../helpers/prng.ts';

function parse(text: string): LongDouble | null {
  const b = Buffer.from(text, 'latin1');
  return parseLongDouble(b, 0, b.length);
}

/** The reply INCRBYFLOAT gives for a stored value and an increment, per t_string.c. */
function incrByFloat(stored: string, incr: string): { reply: string; result: string | null } {
  const a = parse(stored);
  const b = parse(incr);
  if (a === null || b === null) return { reply: '-ERR value is not a valid float\r\n', result: null };
  const sum = addLongDouble(a, b);
  if (!isFiniteLongDouble(sum)) return { reply: '-ERR increment would produce NaN or Infinity\r\n', result: null };
  const text = formatLongDoubleHuman(sum);
  return { reply: `$${text.length}\r\n${text}\r\n`, result: text };
}

function sum(a: string, b: string): string {
  const { reply, result } = incrByFloat(a, b);
  return result ?? reply.trim();
}

describe('parseLongDouble', () => {
  it('reads decimal, hex and infinity forms as strtold does', () => {
    expect(parse('1')).toEqual({ kind: 'finite', neg: false, sig: 1n << 63n, exp: -63 });
    expect(parse('-2.5')).toEqual({ kind: 'finite', neg: true, sig: 5n << 61n, exp: -62 });
    expect(parse('0x1p-3')).toEqual(parse('0.125'));
    expect(parse('0X.8P1')).toEqual(parse('1'));
    expect(parse('+1.')).toEqual(parse('1'));
    expect(parse('.5e1')).toEqual(parse('5'));
    expect(parse('1E+2')).toEqual(parse('100'));
    expect(parse('-0')).toEqual({ kind: 'finite', neg: true, sig: 0n, exp: -16445 });
    expect(parse('0e99999999999999999999')).toEqual({ kind: 'finite', neg: false, sig: 0n, exp: -16445 });
    for (const inf of ['inf', 'INF', '+Infinity', 'infINITY']) expect(parse(inf)).toEqual({ kind: 'inf', neg: false });
    expect(parse('-inf')).toEqual({ kind: 'inf', neg: true });
  });

  it('rounds half-even at the 64-bit significand', () => {
    // 2^64 + 1 and 2^64 + 3 are ties between neighbours 2 apart: the even significand wins.
    expect(parse('18446744073709551617')).toEqual(parse('18446744073709551616'));
    expect(parse('18446744073709551619')).toEqual(parse('18446744073709551620'));
    expect(parse('18446744073709551617.000000000001')).toEqual(parse('18446744073709551618'));
    expect(parse('18446744073709551615')).toEqual({ kind: 'finite', neg: false, sig: (1n << 64n) - 1n, exp: 0 });
  });

  it('keeps subnormals and rejects overflow, underflow to zero, NaN and bad syntax', () => {
    expect(parse('0x1p-16445')).toEqual({ kind: 'finite', neg: false, sig: 1n, exp: -16445 });
    expect(parse('0x1.8p-16446')).toEqual(parse('0x1p-16445')); // 0.75 of the quantum
    expect(parse('3.6e-4951')).toEqual(parse('0x1p-16445'));
    expect(parse('0x1.fffffffffffffffep16383')).toEqual({ kind: 'finite', neg: false, sig: (1n << 64n) - 1n, exp: 16320 });
    for (const text of [
      '', ' 1', '\t1', '1 ', '1\0', '\0', 'nan', '-nan', 'nan(1)', 'infin', 'infinityy', '--1', '+-1', '1e', '1e+', '0x', '0x.',
      '0x1p', '.', '.e1', '1..2', 'abc', '1e4933', '1e99999', '-1e99999', '1e-4952', '1e-99999', '0x1p-16446',
      '0x1.ffffffffffffffffp16383', '0x1p16384', '1'.repeat(5120),
    ]) {
      expect(parse(text), JSON.stringify(text.slice(0, 20))).toBeNull();
    }
    expect(parse('1'.padEnd(5119, '0'))).toBeNull(); // 10^5118 overflows, but the length passes
    expect(parse('0.'.padEnd(5119, '0'))).toEqual(parse('0'));
  });

  it('honours off and len', () => {
    const b = Buffer.from('xx12.5yy');
    expect(parseLongDouble(b, 2, 4)).toEqual(parse('12.5'));
  });
});

describe('addLongDouble and formatLongDoubleHuman', () => {
  it('prints like %.17Lf trimmed', () => {
    expect(sum('0.1', '0.2')).toBe('0.3');
    expect(sum('10.5', '0.1')).toBe('10.6');
    expect(sum('5.0e3', '2.0e2')).toBe('5200');
    expect(sum('3.0e21', '1')).toBe('3000000000000000000000');
    expect(sum('1', '-1')).toBe('0');
    expect(sum('-0', '-0')).toBe('0');
    expect(sum('-1e-20', '0')).toBe('0'); // "-0.00000000000000000" trims to "-0", printed as "0"
    expect(sum('-1.5', '0')).toBe('-1.5');
    expect(sum('1e-17', '0')).toBe('0.00000000000000001');
  });

  it('rounds ties at the 17th decimal to even', () => {
    expect(sum('0x1p-18', '0')).toBe('0.00000381469726562'); // ...625 exactly
    expect(sum('0x3p-18', '0')).toBe('0.00001144409179688'); // ...875 exactly
  });

  it('rounds sums half-even at 64 bits and reaches the largest values', () => {
    expect(sum('18446744073709551616', '1')).toBe('18446744073709551616');
    expect(sum('18446744073709551616', '3')).toBe('18446744073709551620');
    expect(sum('18446744073709551615', '1')).toBe('18446744073709551616');
    expect(sum('1e4000', '1')).toBe(sum('1e4000', '0'));
    expect(sum('0x1.fffffffffffffffep16383', '0')).toHaveLength(4933);
  });

  it('reports NaN and infinity results, and unparsable operands', () => {
    expect(sum('inf', '1')).toBe('-ERR increment would produce NaN or Infinity');
    expect(sum('inf', '-inf')).toBe('-ERR increment would produce NaN or Infinity');
    expect(sum('0x1.fffffffffffffffep16383', '0x1p16319')).toBe('-ERR increment would produce NaN or Infinity');
    expect(sum('0x1.fffffffffffffffep16383', '0x1p16318')).toBe(sum('0x1.fffffffffffffffep16383', '0')); // tie, even
    expect(sum('1', 'x')).toBe('-ERR value is not a valid float');
    expect(addLongDouble({ kind: 'inf', neg: true }, { kind: 'inf', neg: false })).toEqual({ kind: 'nan' });
    expect(formatLongDoubleHuman({ kind: 'inf', neg: true })).toBe('-inf');
  });
});

/** Deterministic PRNG (mulberry32) so every run sends the same cases. */
const FIXED = [
  '0', '-0', '1', '-1', '+1', ' 1', '1 ', '', '0.1', '5.6', '10.5', '1e-20', '-1e-20', '3.0e21', '1e308', '1e400', '1e4930',
  '-1e4931', '1e4932', '1.18973149535723176502e4932', '-1.18973149535723176502e4932', '1.2e4932', '1e99999', '1e-99999',
  '3.6e-4951', '1.8e-4951', '1.9e-4951', '3.3621031431120935063e-4932', '0x1p-3', '0x1p-18', '0x3p-18', '0x1p-16445', '0x1p-16446',
  '0x1.8p-16446', '0x1.fffffffffffffffep16383', '0x1.ffffffffffffffffp16383', '0X1P3', '0x.8', '0x', '0x1p', 'inf', '-inf',
  '+Infinity', 'infin', 'nan', 'abc', '1e', '.5', '5.', '.', '--1', '18446744073709551615', '18446744073709551616',
  '18446744073709551617', '18446744073709551619', '-18446744073709551617', '9223372036854775807', '-9223372036854775808',
  '0.000003814697265625', '0.30000000000000000001', '1\0', '1'.repeat(5119), '0.' + '0'.repeat(5117), '1'.repeat(5120),
];

function randomValue(r: () => number): string {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  const int = (lo: number, hi: number): number => lo + Math.floor(r() * (hi - lo + 1));
  const digits = (n: number): string => Array.from({ length: n }, () => String(int(0, 9))).join('');
  const hexDigits = (n: number): string => Array.from({ length: n }, () => '0123456789abcdefABCDEF'[int(0, 21)]).join('');
  const sign = pick(['', '', '-', '+']);
  switch (int(0, 12)) {
    case 0:
    case 1:
      return pick(FIXED);
    case 2: // small decimals
      return `${sign}${digits(int(1, 4))}.${digits(int(1, 6))}`;
    case 3: // many-digit decimals
      return `${sign}${digits(int(1, 25))}.${digits(int(1, 40))}`;
    case 4: // scientific, moderate exponents
      return `${sign}${digits(int(1, 3))}.${digits(int(0, 20))}e${int(-40, 40)}`;
    case 5: // scientific across the whole range, including past both ends
      return `${sign}${int(1, 9)}.${digits(int(0, 22))}e${pick([int(-4960, 4940), int(4925, 4935), int(-4955, -4925)])}`;
    case 6: { // near 2^64 and 2^63: integers and half-integers around the 64-bit limit
      const base = pick([1n << 64n, 1n << 63n, 1n << 65n, 10n ** 19n]);
      const value = base + BigInt(int(-8, 8));
      return `${sign}${value}${pick(['', '', '.5', '.25', '.0000001'])}`;
    }
    case 7: // hex floats, including the subnormal and overflow edges
      return `${sign}0x${hexDigits(int(1, 18))}${pick(['', '.' + hexDigits(int(0, 6))])}p${pick([int(-70, 70), int(-16460, -16370), int(16300, 16390)])}`;
    case 8: // binary ties at the 17th decimal: k * 2^-n
      return `${sign}0x${int(1, 255).toString(16)}p-${int(17, 60)}`;
    case 9: // integers of every size
      return `${sign}${digits(int(1, 40))}`;
    case 10: // long inputs, around the 5120-byte limit too
      return `${sign}${int(1, 9)}${pick(['', '.'])}${digits(pick([int(100, 2000), int(5100, 5125)]))}`.slice(0, pick([5119, 5120, 6000]));
    case 11: { // exact decimal midpoints between neighbouring long doubles, or just beside them
      const sig = (1n << 63n) + BigInt(int(0, 2 ** 30)) * BigInt(int(0, 2 ** 30)) + BigInt(int(0, 15));
      const exp = int(-130, 40) - 1;
      const mid = 2n * sig + 1n; // the midpoint is mid * 2^exp
      let text = exp >= 0 ? String(mid << BigInt(exp)) : decimalOf(mid, -exp);
      text = pick([text, text, text + '0000001', text.slice(0, -1), text.replace(/.$/, (d) => String(Math.min(9, Number(d) + 1)))]);
      return sign + text;
    }
    default: { // malformed
      const good = `${int(0, 99)}.${digits(int(1, 3))}`;
      return pick([` ${good}`, `${good} `, `${good}x`, `${good}e`, `${good}\0`, `\t${good}`, `${good}e+`, `0x${good}`, `${good}.1`, 'nan(1)']);
    }
  }
}

/** The exact decimal expansion of n / 2^k. */
function decimalOf(n: bigint, k: number): string {
  const scaled = (n * 5n ** BigInt(k)).toString().padStart(k + 1, '0');
  return `${scaled.slice(0, -k)}.${scaled.slice(-k)}`;
}

const CASES = 3000;

describe('differential: INCRBYFLOAT against redis-server', () => {
  const enabled = haveRedisServer('redis-server not on PATH: long double differential test skipped');
  let server: RedisServerHandle | null = null;
  let client: RawClient | null = null;

  beforeAll(async () => {
    if (!enabled) return;
    server = await startRedisServer();
    client = await RawClient.connect(server.port, server.host, { timeoutMs: 20_000 });
  });

  afterAll(async () => {
    await client?.close();
    await server?.stop();
  });

  it.skipIf(!enabled)(`agrees on ${CASES} seeded SET + INCRBYFLOAT pairs`, async () => {
    const r = rng(0x1d0f);
    const mismatches: string[] = [];
    let agreed = 0;
    const kinds = { value: 0, invalid: 0, nanOrInf: 0 };
    const BATCH = 100;
    let stored: string | null = null; // the model's idea of the key's value
    for (let start = 0; start < CASES; start += BATCH) {
      const cases: Array<{ set: boolean; stored: string; incr: string; expected: string }> = [];
      for (let i = start; i < Math.min(CASES, start + BATCH); i++) {
        // Mostly a fresh SET; sometimes keep incrementing the previous result (which may be
        // thousands of digits long).
        const set = stored === null || r() >= 0.2;
        if (set) {
          stored = randomValue(r);
          client!.send('SET', 'k', Buffer.from(stored, 'latin1'));
        }
        const incr = randomValue(r);
        client!.send('INCRBYFLOAT', 'k', Buffer.from(incr, 'latin1'));
        const { reply, result } = incrByFloat(stored!, incr);
        cases.push({ set, stored: stored!, incr, expected: reply });
        if (result !== null) stored = result;
      }
      for (const c of cases) {
        if (c.set) expect((await client!.readReply()).toString('latin1')).toBe('+OK\r\n');
        const actual = (await client!.readReply()).toString('latin1');
        if (actual.startsWith('$')) kinds.value++;
        else if (actual.includes('valid float')) kinds.invalid++;
        else kinds.nanOrInf++;
        if (actual === c.expected) agreed++;
        else mismatches.push(`${JSON.stringify(c.stored.slice(0, 80))} + ${JSON.stringify(c.incr.slice(0, 80))}: redis ${JSON.stringify(actual.slice(0, 120))}, ours ${JSON.stringify(c.expected.slice(0, 120))}`);
      }
    }
    console.log(`long double differential: ${agreed}/${CASES} INCRBYFLOAT replies agree with redis-server ${server!.version}`
      + ` (${kinds.value} values, ${kinds.invalid} invalid-float errors, ${kinds.nanOrInf} NaN/Infinity errors)`);
    expect(mismatches.slice(0, 20)).toEqual([]);
    expect(agreed).toBe(CASES);
  });
});
