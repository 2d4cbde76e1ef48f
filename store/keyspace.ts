/*
 * CONTRACT STUB: the public API of the store that src/ is written against. The store-engine
 * work replaces the bodies (and this comment) with the sharded slab implementation; the
 * signatures and semantics documented here are the contract and change only by agreement.
 *
 * Conventions
 * - Keys and values are byte ranges (buf, off, len); the store copies what it keeps and never
 *   holds a reference to a caller's buffer after a call returns.
 * - A key is addressed by a handle: a non-negative int32 naming one live entry (shard and
 *   entry id packed). Handles stay valid until the key is deleted, expired, evicted or
 *   overwritten by another call that may reallocate (any write). -1 means "no such key".
 * - Lazy expiry: every lookup treats an expired key as missing and deletes it (counting
 *   expired_keys), exactly when redis-server 7 would.
 * - Byte results are returned as (Uint8Array, this.offset): the caller reads
 *   bytes[offset .. offset+len) immediately and copies them out; they may be overwritten by
 *   the next store call.
 * - Expected outcomes are Status codes; nothing here throws for them.
 */
import type { StoreConfig, TimeSource, LookupMode, KeyTypeCode, EncodingCode, StatusCode, EvictionPolicyCode } from './types.ts';

export interface KeyspaceStats {
  expiredKeys: number;
  evictedKeys: number;
  keyspaceHits: number;
  keyspaceMisses: number;
}

export class Keyspace {
  readonly stats: KeyspaceStats = { expiredKeys: 0, evictedKeys: 0, keyspaceHits: 0, keyspaceMisses: 0 };
  /** Offset into the array returned by keyBytes / stringBytes. */
  offset = 0;

  constructor(config: StoreConfig, clock: TimeSource) {
    void config;
    void clock;
    throw new Error('not implemented');
  }

  // ---- configuration (CONFIG SET takes effect at once) ----
  setMaxmemory(bytes: number): void { void bytes; throw new Error('not implemented'); }
  setPolicy(policy: EvictionPolicyCode): void { void policy; throw new Error('not implemented'); }
  setSamples(n: number): void { void n; throw new Error('not implemented'); }
  setLfuLogFactor(n: number): void { void n; throw new Error('not implemented'); }
  setLfuDecayTime(minutes: number): void { void minutes; throw new Error('not implemented'); }
  setActiveExpireEffort(n: number): void { void n; throw new Error('not implemented'); }
  get databases(): number { throw new Error('not implemented'); }

  // ---- lookup ----
  /** Handle of the live key, or -1. READ counts hits/misses and touches LRU/LFU; WRITE touches; PEEK neither. */
  lookup(db: number, key: Uint8Array, off: number, len: number, mode: LookupMode): number {
    void db; void key; void off; void len; void mode; throw new Error('not implemented');
  }
  typeOf(h: number): KeyTypeCode { void h; throw new Error('not implemented'); }
  encodingOf(h: number): EncodingCode { void h; throw new Error('not implemented'); }
  keyLength(h: number): number { void h; throw new Error('not implemented'); }
  /** Key bytes at [this.offset, this.offset + keyLength(h)). */
  keyBytes(h: number): Uint8Array { void h; throw new Error('not implemented'); }

  // ---- strings ----
  /** Length in bytes of a string value (for int encoding: length of its decimal form). */
  stringLength(h: number): number { void h; throw new Error('not implemented'); }
  /** String value bytes at [this.offset, this.offset + stringLength(h)); int encoding is formatted into a scratch buffer. */
  stringBytes(h: number): Uint8Array { void h; throw new Error('not implemented'); }
  /** True when the value is held as a 64-bit integer (OBJECT ENCODING int). */
  isInteger(h: number): boolean { void h; throw new Error('not implemented'); }
  /** The integer of an int-encoded value: a number when within +-(2^53-1), else a bigint. */
  integerValue(h: number): number | bigint { void h; throw new Error('not implemented'); }

  /**
   * Create or overwrite db/key as a string. expireAt: absolute ms, NO_TTL (0) to clear, KEEP_TTL (-1)
   * to keep an existing key's TTL. encoding: Encoding.RAW forces raw (APPEND/SETRANGE results);
   * anything else applies Redis's tryObjectEncoding (canonical int64 of <= 20 chars -> int,
   * <= 44 bytes -> embstr, else raw). Overwrites a key of any type. Returns OK or OOM.
   */
  setString(db: number, key: Uint8Array, koff: number, klen: number, val: Uint8Array, voff: number, vlen: number, expireAt: number, encoding: EncodingCode): StatusCode {
    void db; void key; void koff; void klen; void val; void voff; void vlen; void expireAt; void encoding; throw new Error('not implemented');
  }
  /** Create or overwrite db/key as an int-encoded string (INCR family); expireAt as in setString. */
  setInteger(db: number, key: Uint8Array, koff: number, klen: number, value: number | bigint, expireAt: number): StatusCode {
    void db; void key; void koff; void klen; void value; void expireAt; throw new Error('not implemented');
  }
  /**
   * APPEND: append bytes to the string at db/key (creating it), keeping its TTL; the result is raw.
   * Returns the new length, or -Status.WRONG_TYPE / -Status.OOM. The caller checks the size limit first.
   */
  append(db: number, key: Uint8Array, koff: number, klen: number, val: Uint8Array, voff: number, vlen: number): number {
    void db; void key; void koff; void klen; void val; void voff; void vlen; throw new Error('not implemented');
  }
  /**
   * SETRANGE: write bytes at `at`, zero-padding as needed, creating the key when vlen > 0; keeps TTL; raw result.
   * Returns the new length, or -Status.WRONG_TYPE / -Status.OOM. The caller checks the size limit first.
   */
  setRange(db: number, key: Uint8Array, koff: number, klen: number, at: number, val: Uint8Array, voff: number, vlen: number): number {
    void db; void key; void koff; void klen; void at; void val; void voff; void vlen; throw new Error('not implemented');
  }

  // ---- keys ----
  /** Delete db/key; true when it existed. */
  delete(db: number, key: Uint8Array, off: number, len: number): boolean { void db; void key; void off; void len; throw new Error('not implemented'); }
  deleteHandle(h: number): void { void h; throw new Error('not implemented'); }
  /** RENAME / RENAMENX (nx): Status.OK, NOT_FOUND (no source), EXISTS (nx and destination exists), OOM. Keeps the TTL. */
  rename(db: number, src: Uint8Array, soff: number, slen: number, dst: Uint8Array, doff: number, dlen: number, nx: boolean): StatusCode {
    void db; void src; void soff; void slen; void dst; void doff; void dlen; void nx; throw new Error('not implemented');
  }
  /** COPY: Status.OK, NOT_FOUND, EXISTS (destination exists and !replace), OOM. Copies the TTL. */
  copy(srcDb: number, src: Uint8Array, soff: number, slen: number, dstDb: number, dst: Uint8Array, doff: number, dlen: number, replace: boolean): StatusCode {
    void srcDb; void src; void soff; void slen; void dstDb; void dst; void doff; void dlen; void replace; throw new Error('not implemented');
  }
  /** MOVE: Status.OK, NOT_FOUND, EXISTS (present in target db). */
  move(srcDb: number, key: Uint8Array, off: number, len: number, dstDb: number): StatusCode {
    void srcDb; void key; void off; void len; void dstDb; throw new Error('not implemented');
  }

  // ---- expiry ----
  /** Absolute expire time in ms, or NO_TTL (0). */
  expireAt(h: number): number { void h; throw new Error('not implemented'); }
  /** Set the absolute expire time (ms). A time not in the future deletes the key (counted as expired? no: as Redis, a DEL). */
  setExpireAt(h: number, at: number): void { void h; void at; throw new Error('not implemented'); }
  /** Remove the TTL; true when there was one. */
  persist(h: number): boolean { void h; throw new Error('not implemented'); }

  // ---- LRU / LFU ----
  /** Milliseconds since the key was last touched (OBJECT IDLETIME reports this / 1000). */
  idleTimeMs(h: number): number { void h; throw new Error('not implemented'); }
  /** LFU logarithmic counter after decay (OBJECT FREQ). Meaningful under an LFU policy. */
  lfuFrequency(h: number): number { void h; throw new Error('not implemented'); }
  /** Touch as an access would (TOUCH command). */
  touch(h: number): void { void h; throw new Error('not implemented'); }

  // ---- databases ----
  dbSize(db: number): number { void db; throw new Error('not implemented'); }
  /** Keys with a TTL in db (INFO keyspace expires=). */
  dbExpires(db: number): number { void db; throw new Error('not implemented'); }
  /** Average remaining TTL in ms of keys with a TTL, 0 when none (INFO keyspace avg_ttl=). */
  dbAvgTtl(db: number): number { void db; throw new Error('not implemented'); }
  flushDb(db: number): void { void db; throw new Error('not implemented'); }
  flushAll(): void { throw new Error('not implemented'); }
  swapDb(a: number, b: number): void { void a; void b; throw new Error('not implemented'); }
  /** A random live key of db, or -1. */
  randomKey(db: number): number { void db; throw new Error('not implemented'); }
  /**
   * SCAN: visit about `count` entries of db starting at cursor; returns the next cursor (0 when done).
   * Every key present for the whole scan is visited at least once, while tables grow or shrink.
   * Expired keys are not visited. Cursors are integers below 2^53.
   */
  scan(db: number, cursor: number, count: number, visit: (h: number) => void): number {
    void db; void cursor; void count; void visit; throw new Error('not implemented');
  }
  /** Visit every live key of db (KEYS). */
  forEachKey(db: number, visit: (h: number) => void): void { void db; void visit; throw new Error('not implemented'); }

  // ---- memory, eviction, maintenance ----
  /** used_memory: slab chunks in use, large values, entry tables, indexes and object estimates. */
  usedMemory(): number { throw new Error('not implemented'); }
  /** Bytes actually held (all slab pages, tables): the store's share of RSS. */
  allocatedMemory(): number { throw new Error('not implemented'); }
  /**
   * Evict by the policy until usedMemory() <= maxmemory. Returns OK when under the limit (or no
   * limit), OOM when the policy is noeviction or nothing evictable remains.
   */
  evictIfNeeded(): StatusCode { throw new Error('not implemented'); }
  /** Incremental active expiry and slab rebalancing, for at most budgetMs; called from the server's tick. */
  maintenance(budgetMs: number): void { void budgetMs; throw new Error('not implemented'); }
}
