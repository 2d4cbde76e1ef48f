import { Keyspace } from '../../store/keyspace.ts';
import { DEFAULT_STORE_CONFIG, Encoding, Lookup, NO_TTL, type StoreConfig, type TimeSource, type EncodingCode } from '../../store/types.ts';

export const T0 = 1_700_000_000_000;

/** Bytes of a string: each char code as one byte (latin1), so tests can write any byte. */
export function b(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i) & 255;
  return out;
}

export function str(buf: Uint8Array, off: number, len: number): string {
  let s = '';
  for (let i = 0; i < len; i++) s += String.fromCharCode(buf[off + i]);
  return s;
}

export function makeStore(cfg: Partial<StoreConfig> = {}, now = T0): { ks: Keyspace; clock: TimeSource } {
  const clock = { now };
  const ks = new Keyspace({ ...DEFAULT_STORE_CONFIG, ...cfg }, clock);
  ks.setRandomSeed(12345);
  // One evictIfNeeded() evicts all the way (maxmemory-eviction-tenacity 100): the tests check
  // where eviction ends; the time-limited steps have tests of their own.
  ks.setEvictionTenacity(100);
  return { ks, clock };
}

export function set(ks: Keyspace, db: number, key: string, val: string, expireAt: number = NO_TTL, enc: EncodingCode = Encoding.INT): number {
  const k = b(key);
  const v = b(val);
  return ks.setString(db, k, 0, k.length, v, 0, v.length, expireAt, enc);
}

/** Value of db/key as a latin1 string, or null (PEEK: no stats, no touch). */
export function get(ks: Keyspace, db: number, key: string, mode: 0 | 1 | 2 = Lookup.PEEK): string | null {
  const k = b(key);
  const h = ks.lookup(db, k, 0, k.length, mode);
  if (h < 0) return null;
  const buf = ks.stringBytes(h);
  return str(buf, ks.offset, ks.stringLength(h));
}

export function handle(ks: Keyspace, db: number, key: string, mode: 0 | 1 | 2 = Lookup.PEEK): number {
  const k = b(key);
  return ks.lookup(db, k, 0, k.length, mode);
}

export function del(ks: Keyspace, db: number, key: string): boolean {
  const k = b(key);
  return ks.delete(db, k, 0, k.length);
}

export function keyOf(ks: Keyspace, h: number): string {
  const buf = ks.keyBytes(h);
  return str(buf, ks.offset, ks.keyLength(h));
}

export function keys(ks: Keyspace, db: number): string[] {
  const out: string[] = [];
  ks.forEachKey(db, (h) => out.push(keyOf(ks, h)));
  return out.sort();
}
