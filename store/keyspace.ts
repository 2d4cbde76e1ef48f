/*
 * Keyspace: the store's public API, a facade routing every key to its shard.
 *
 * What: N shards (a power of two, default 64) each own a range of Redis Cluster hash slots
 * (CRC16 of the key or its {hash tag}); each has an entry table (32-byte records in 4,096-entry
 * segments), a key index (open addressing, incremental resize), an expiry wheel and a dense
 * array of its volatile keys (shard.ts). One slab allocator holds every key's and value's bytes
 * (slab-allocator.ts); one evictor applies the maxmemory policy (eviction.ts); KeyRouter hashes
 * a key once for both its slot and its index hash (key-router.ts). Databases share all of it:
 * an entry records an internal db id, and a logical -> internal table makes SWAPDB O(1).
 * Per-internal-db counters answer DBSIZE and INFO keyspace (keys, expires, avg_ttl) in O(1).
 *
 * A key's bytes and its string value sit in one slab chunk: [owner handle | key | value]. An
 * int-encoded value (Redis's tryObjectEncoding: canonical int64 text of at most 20 bytes) is
 * stored as its canonical decimal digits and flagged INT: since canonical text round-trips
 * exactly, GET is the same zero-copy read as for any string, OBJECT ENCODING still says `int`,
 * and INCR parses at most 20 digits (integer-text.ts). This replaces the int64-in-chunk layout
 * first suggested: the same chunk class at these sizes, and no formatting on the far more
 * frequent reads.
 * A small collection whose owner packs it (encoding PACKED or PACKED_HASHTABLE: a small hash)
 * keeps its packed bytes in the value's place, like a string: setPacked / updatePacked write
 * them, stringBytes reads them, and COPY, RENAME, MOVE, eviction and page moves treat them as
 * bytes. Only other complex values are JS objects in the shard's object table (setObject).
 *
 * Conventions
 * - Keys and values are byte ranges (buf, off, len); the store copies what it keeps and never
 *   holds a reference to a caller's buffer after a call returns.
 * - A key is addressed by a handle: a non-negative int32, (entry id << shardBits) | shard.
 *   Handles stay valid until the key is deleted, expired, evicted or overwritten by another call
 *   that may reallocate (any write). -1 means "no such key".
 * - Lazy expiry: every lookup treats an expired key (now > expireAt, Redis's rule) as missing
 *   and deletes it (counting expired_keys), exactly when redis-server 7 would.
 * - Byte results are returned as (Uint8Array, this.offset): the caller reads
 *   bytes[offset .. offset+len) immediately and copies them out; they may be overwritten by
 *   the next store call (a maintenance() call may even move a chunk to another page).
 * - Expected outcomes are Status codes; nothing here throws for them.
 * - A write answering OOM has changed nothing: every allocation a write needs (a chunk, a
 *   destination entry, a cloned object) is made before its first change to the key. An
 *   overwrite reuses the key's entry in place, and a chunk merely too big for a new, smaller
 *   value is kept when no smaller one can be had, so shrinking writes never fail.
 * - The clock is the cached TimeSource; the store never reads Date.now(). Time budgets
 *   (maintenance) use performance.now().
 *
 * Invariants: every live entry is in its shard's index; an entry has a TTL iff it is in its
 * shard's wheel and volatile array; dbKeys / dbVolatile / dbTtlSum / keysTotal match the
 * entries; usedMemory() = live chunk bytes + large values + table bytes + object estimates.
 *
 * Cost: lookup / set / delete are O(key length) with no allocation (values over 64 bytes are
 * copied with one subarray view): one pass hashing the key, an expected ~1.5-probe index
 * search, one record, one chunk. Eviction samples maxmemory-samples records per evicted key.
 * SCAN walks entry ids (ids never move, so a key present for the whole scan is returned, while
 * tables grow or shrink); cursor = shard * 2^32 + next id. maintenance(budget) runs active
 * expiry, finishes index migrations and reassigns slab pages, all resumable.
 *
 * Why: millions of keys with no JS object per key, so memory per key stays near the bytes
 * (about 120 bytes for a 16-byte key and 32-byte value) and GC pauses do not grow with the
 * key count; shards keep every resize, sweep and sample small.
 */
import { performance } from 'node:perf_hooks';
import {
  Status,
  KeyType,
  Encoding,
  Lookup,
  KEEP_TTL,
  NO_TTL,
  EMBSTR_SIZE_LIMIT,
  RemovalReason,
  type RemovalReasonCode,
  type StoreConfig,
  type TimeSource,
  type LookupMode,
  type KeyTypeCode,
  type EncodingCode,
  type StatusCode,
  type EvictionPolicyCode,
  PREFETCH_MAX,
  holdsObject,
} from './types.ts';
import { SLOT_BITS } from './hash-slot.ts';
import { KeyRouter } from './key-router.ts';
import { SlabAllocator, CHUNK_HEADER } from './slab-allocator.ts';
import { Shard } from './shard.ts';
import { FIRST_SEG_SIZE, R_HASH, R_KLEN, R_LOC, R_LRU, R_META, R_VLEN, SEG_BITS, SEG_MASK, X_EXP, type MemoryMeter } from './entry-table.ts';
import { WHEEL_BUDGET } from './expiry-wheel.ts';
import { EvictResult, Evictor, evictionTimeLimitMs, isLfuPolicy, lfuDecayed, lfuLogIncr, lfuMinutes, LFU_INIT_VAL, type EvictionHost } from './eviction.ts';
import { isCanonicalInt64, parseCanonicalInt, formatInteger } from './integer-text.ts';
import { copyBytes } from './bytes.ts';

export interface KeyspaceStats {
  expiredKeys: number;
  evictedKeys: number;
  keyspaceHits: number;
  keyspaceMisses: number;
  /** Keys of flushed dbs removed in the background (INFO lazyfreed_objects). */
  lazyfreedObjects: number;
}

const TWO32 = 4294967296;

/** Spare internal db numbers for flushDb to switch a db to (the flushed one is reclaimed in the background). */
const SPARE_INTERNAL_DBS = 64;
/** Entry ids a reclamation step looks at between clock checks. */
const RECLAIM_STEP = 4096;
/** A prefetch slot with no chunk (chunks are 8-aligned and never the last 8 bytes of a page). */
const NO_CHUNK = 0xffffffff;

export class Keyspace implements EvictionHost {
  readonly stats: KeyspaceStats = { expiredKeys: 0, evictedKeys: 0, keyspaceHits: 0, keyspaceMisses: 0, lazyfreedObjects: 0 };
  /** Offset into the array returned by keyBytes / stringBytes. */
  offset = 0;

  readonly shards: Shard[];
  readonly shardBits: number;
  readonly alloc: SlabAllocator;
  private readonly shardMask: number;
  private readonly slotShift: number;
  private readonly clock: TimeSource;
  private readonly ndb: number;
  private readonly dbMap: Int32Array;
  /** Inverse of dbMap: the Redis db number of each internal db, -1 for one flushed or unused. */
  private readonly dbOfInternal: Int32Array;
  /**
   * Internal db numbers no Redis db maps to, free for the next flushDb (spares beyond ndb), and
   * the flushed ones whose keys are still being reclaimed (maintenance removes them in budgeted
   * steps; a flushed internal db is free again once its last key is gone).
   */
  private readonly freeInternal: number[] = [];
  private readonly dying: number[] = [];
  private reclaimShard = 0;
  private reclaimId = 0;
  /**
   * Called right after a key is removed by expiry (lazy or active) or eviction, with the Redis
   * db number and the key's bytes (valid during the call only): the runtime touches WATCHed
   * keys and sends keyspace events. Null, the default, costs one branch per removal.
   */
  onRemove: ((db: number, key: Uint8Array, off: number, len: number, reason: RemovalReasonCode) => void) | null = null;
  /**
   * Called when a key is added to a db (created, or moved in by MOVE), with the Redis db number
   * and the key's bytes: Redis's dbAdd "new" keyspace event. Null, the default, costs a branch.
   */
  onAdd: ((db: number, key: Uint8Array, off: number, len: number) => void) | null = null;
  /**
   * Called when an eviction call ran out of time with memory still over maxmemory: the runtime
   * calls evictIfNeeded() again on the next event-loop turn (Redis's evictionTimeProc).
   */
  onEvictionRunning: (() => void) | null = null;
  /**
   * The dataset is held still (CLIENT PAUSE): expired keys read as missing but are not deleted,
   * active expiry does not run and nothing is evicted, as Redis does while clients are paused.
   */
  frozen = false;
  private readonly dbKeys: Float64Array;
  private readonly dbVolatile: Float64Array;
  private readonly dbTtlSum: Float64Array;
  private readonly ttlBase: number;
  private readonly meter: MemoryMeter = { tableBytes: 0 };
  private objectBytesTotal = 0;
  private keysTotal = 0;
  private volatileTotal = 0;
  private readonly evictor = new Evictor();
  private lfu = false;
  private activeExpireEffort = 1;
  private readonly scratch = new Uint8Array(32);
  private readonly router = new KeyRouter();
  private maintenanceShard = 0;
  private wheelShard: Shard;
  private readonly expireCallback: (id: number) => void;
  /** Deep copy of a complex value for COPY (set by the data-types issue). */
  cloneObject: (obj: unknown) => unknown = (obj) => structuredClone(obj);

  constructor(config: StoreConfig, clock: TimeSource) {
    const n = config.shards;
    if (!Number.isInteger(n) || n < 1 || n > 1024 || (n & (n - 1)) !== 0) {
      throw new RangeError(`store shards must be a power of two in 1..1024, got ${n}`);
    }
    if (!Number.isInteger(config.databases) || config.databases < 1 || config.databases > 65536) {
      throw new RangeError(`databases must be in 1..65536, got ${config.databases}`);
    }
    this.clock = clock;
    this.shardBits = Math.log2(n);
    this.shardMask = n - 1;
    this.slotShift = SLOT_BITS - this.shardBits;
    this.ndb = config.databases;
    const internal = this.ndb + Math.min(this.ndb, SPARE_INTERNAL_DBS, 65536 - this.ndb);
    this.dbMap = new Int32Array(this.ndb);
    this.dbOfInternal = new Int32Array(internal).fill(-1);
    for (let i = 0; i < this.ndb; i++) this.dbMap[i] = this.dbOfInternal[i] = i;
    for (let i = internal - 1; i >= this.ndb; i--) this.freeInternal.push(i);
    this.dbKeys = new Float64Array(internal);
    this.dbVolatile = new Float64Array(internal);
    this.dbTtlSum = new Float64Array(internal);
    this.ttlBase = Math.floor(clock.now);
    this.alloc = new SlabAllocator(config.pageSize, config.growthFactor);
    this.alloc.onMove = (owner, loc) => {
      this.shards[owner & this.shardMask].table.set(owner >>> this.shardBits, R_LOC, loc);
    };
    const maxIds = 2 ** (31 - this.shardBits) - 1;
    this.shards = [];
    for (let i = 0; i < n; i++) this.shards.push(new Shard(i, maxIds, this.alloc, this.meter, clock.now));
    this.wheelShard = this.shards[0];
    this.expireCallback = (id) => {
      const shard = this.wheelShard;
      if (this.dbOfInternal[shard.table.db(id)] < 0) {
        // A key of a flushed db: reclaimed, not expired (no event).
        this.removeEntry(shard, id);
        this.stats.lazyfreedObjects++;
      } else {
        if (this.onRemove !== null) this.removeAnnounced(shard, id, RemovalReason.EXPIRED);
        else this.removeEntry(shard, id);
        this.stats.expiredKeys++;
      }
    };
    this.setMaxmemory(config.maxmemory);
    this.setPolicy(config.policy);
    this.setSamples(config.samples);
    this.setLfuLogFactor(config.lfuLogFactor);
    this.setLfuDecayTime(config.lfuDecayTime);
    this.setActiveExpireEffort(config.activeExpireEffort);
  }

  // ---- configuration (CONFIG SET takes effect at once) ----
  setMaxmemory(bytes: number): void {
    this.evictor.maxmemory = bytes > 0 ? bytes : 0;
  }
  setPolicy(policy: EvictionPolicyCode): void {
    if (policy !== this.evictor.policy) this.evictor.clearPool();
    this.evictor.policy = policy;
    this.lfu = isLfuPolicy(policy);
  }
  setSamples(n: number): void {
    this.evictor.samples = n > 0 ? Math.min(64, Math.floor(n)) : 1;
  }
  setLfuLogFactor(n: number): void {
    this.evictor.lfuLogFactor = n >= 0 ? n : 0;
  }
  setLfuDecayTime(minutes: number): void {
    this.evictor.lfuDecayTime = minutes >= 0 ? minutes : 0;
  }
  /**
   * active-expire-effort (1..10). Kept for CONFIG GET / INFO: the time a maintenance() call may
   * spend is the budget the server passes, which it scales by the effort (as Redis scales its
   * active-expire time limit); within that budget the wheel expires every due key it reaches.
   */
  setActiveExpireEffort(n: number): void {
    this.activeExpireEffort = n >= 1 && n <= 10 ? n : 1;
  }
  /** Seed the generator behind LFU increments and eviction sampling (deterministic tests). */
  setRandomSeed(seed: number): void {
    this.evictor.seed(seed);
  }
  get databases(): number {
    return this.ndb;
  }
  get maxmemory(): number {
    return this.evictor.maxmemory;
  }
  get policy(): EvictionPolicyCode {
    return this.evictor.policy;
  }
  get expireEffort(): number {
    return this.activeExpireEffort;
  }

  // ---- internals ----

  /** Shard number of a key; this.hashOut receives its index hash for db `idb`. */
  private route(idb: number, key: Uint8Array, off: number, len: number): number {
    this.router.hash(key, off, len, idb);
    this.hashOut = this.router.indexHash;
    return this.router.slot >>> this.slotShift;
  }
  private hashOut = 0;

  /** Entry id of a live (not expired) key in a shard; expired keys are deleted (expired_keys++). */
  private findLive(shard: Shard, idb: number, key: Uint8Array, off: number, len: number, h: number): number {
    const id = shard.index.find(h, idb, key, off, len);
    if (id < 0) return -1;
    const exp = shard.table.xs[id >>> SEG_BITS][((id & SEG_MASK) << 2) + X_EXP];
    if (exp !== 0 && this.clock.now > exp) {
      if (this.frozen) return -1;
      if (this.onRemove !== null) this.removeAnnounced(shard, id, RemovalReason.EXPIRED);
      else this.removeEntry(shard, id);
      this.stats.expiredKeys++;
      return -1;
    }
    return id;
  }

  /** Handle of a live key without touching it (internal multi-key work). */
  private findHandle(idb: number, key: Uint8Array, off: number, len: number): number {
    const si = this.route(idb, key, off, len);
    const id = this.findLive(this.shards[si], idb, key, off, len, this.hashOut);
    return id < 0 ? -1 : (id << this.shardBits) | si;
  }

  private touchEntry(shard: Shard, id: number): void {
    const now = this.clock.now;
    const r = shard.table.rs[id >>> SEG_BITS];
    const i = ((id & SEG_MASK) << 3) + R_LRU;
    if (this.lfu) {
      const m = lfuMinutes(now);
      const ev = this.evictor;
      const c = lfuDecayed(r[i], m, ev.lfuDecayTime);
      r[i] = (m << 8) | lfuLogIncr(c, ev.lfuLogFactor, ev.nextFloat());
    } else {
      r[i] = now;
    }
  }

  private initialLru(): number {
    const now = this.clock.now;
    return this.lfu ? (lfuMinutes(now) << 8) | LFU_INIT_VAL : now >>> 0;
  }

  /** New entry of `type` with a chunk of `need` bytes holding the key; -1 when out of memory. */
  private createEntry(shard: Shard, idb: number, h: number, key: Uint8Array, koff: number, klen: number, need: number, type: number, enc: number): number {
    const t = shard.table;
    const id = t.alloc();
    if (id < 0) return -1;
    const a = this.alloc;
    const loc = a.alloc(need, (id << this.shardBits) | shard.num);
    if (loc < 0) {
      t.free(id);
      return -1;
    }
    const r = t.rs[id >>> SEG_BITS];
    const base = (id & SEG_MASK) << 3;
    r[base + R_LOC] = loc;
    r[base + R_KLEN] = klen;
    r[base + R_VLEN] = 0;
    r[base + R_HASH] = h;
    r[base + R_LRU] = this.initialLru();
    r[base + R_META] = type | (enc << 8) | (idb << 16);
    copyBytes(key, koff, a.pages[loc >>> a.locShift], ((loc & a.offMask) << 3) + CHUNK_HEADER, klen);
    shard.index.insert(id);
    this.dbKeys[idb]++;
    this.keysTotal++;
    if (this.onAdd !== null) this.onAdd(this.dbOfInternal[idb], key, koff, klen);
    return id;
  }

  private removeEntry(shard: Shard, id: number): void {
    const t = shard.table;
    const r = t.rs[id >>> SEG_BITS];
    const base = (id & SEG_MASK) << 3;
    const meta = r[base + R_META];
    const idb = meta >>> 16;
    shard.index.remove(id);
    const exp = t.expire(id);
    if (exp !== 0) {
      shard.wheel.remove(id);
      shard.removeVolatile(id);
      this.dbVolatile[idb]--;
      this.volatileTotal--;
      this.dbTtlSum[idb] -= exp - this.ttlBase;
      t.setExpire(id, 0);
    }
    if (holdsObject(meta & 255, (meta >>> 8) & 255)) this.objectBytesTotal -= shard.removeObject(r[base + R_VLEN]);
    this.alloc.free(r[base + R_LOC]);
    t.free(id);
    this.dbKeys[idb]--;
    this.keysTotal--;
    // Ids cannot move, so a table only shrinks when its shard empties.
    if (t.count === 0 && t.capacity > FIRST_SEG_SIZE) shard.reset(this.clock.now);
  }

  private setTtl(shard: Shard, id: number, at: number): void {
    const t = shard.table;
    const idb = t.db(id);
    const old = t.expire(id);
    if (old === at) return;
    if (old !== 0) {
      shard.wheel.remove(id);
      this.dbTtlSum[idb] -= old - this.ttlBase;
    } else {
      shard.addVolatile(id);
      this.dbVolatile[idb]++;
      this.volatileTotal++;
    }
    t.setExpire(id, at);
    this.dbTtlSum[idb] += at - this.ttlBase;
    shard.wheel.insert(id, at);
  }

  private clearTtl(shard: Shard, id: number): boolean {
    const t = shard.table;
    const old = t.expire(id);
    if (old === 0) return false;
    const idb = t.db(id);
    shard.wheel.remove(id);
    shard.removeVolatile(id);
    this.dbVolatile[idb]--;
    this.volatileTotal--;
    this.dbTtlSum[idb] -= old - this.ttlBase;
    t.setExpire(id, 0);
    return true;
  }

  /**
   * Make sure entry id's chunk can hold `need` bytes, moving the key and the first `keep` value
   * bytes. `greedy` (APPEND, SETRANGE) gives a value beyond the largest size class room to grow
   * by min(need, 1 MiB) more, as Redis's sdsMakeRoomFor does, so repeated appends stay linear.
   * False (out of memory) leaves the entry untouched. A chunk that is merely too big is kept
   * when no smaller one can be had, so a write that shrinks a value never fails.
   */
  private resizeChunk(shard: Shard, id: number, need: number, keep: number, greedy: boolean): boolean {
    const t = shard.table;
    const a = this.alloc;
    const old = t.loc(id);
    if (a.fits(old, need) || (greedy && need > a.maxChunk && need <= a.chunkSize(old))) return true;
    const owner = (id << this.shardBits) | shard.num;
    let loc = a.alloc(greedy && need > a.maxChunk ? need + Math.min(need, 1 << 20) : need, owner);
    if (loc < 0 && greedy && need > a.maxChunk) loc = a.alloc(need, owner);
    if (loc < 0) return need <= a.chunkSize(old);
    copyBytes(a.pages[old >>> a.locShift], (old & a.offMask) << 3, a.pages[loc >>> a.locShift], (loc & a.offMask) << 3, CHUNK_HEADER + t.klen(id) + keep);
    a.setOwner(loc, owner);
    a.free(old);
    t.set(id, R_LOC, loc);
    return true;
  }

  /**
   * Release the object of an existing entry about to be overwritten (its chunk already resized),
   * if it holds one. The caller sets the new type, value and TTL.
   */
  private dropValue(shard: Shard, id: number): void {
    const t = shard.table;
    if (holdsObject(t.type(id), t.enc(id))) {
      this.objectBytesTotal -= shard.removeObject(t.vlen(id));
      t.set(id, R_VLEN, 0);
    }
  }

  /**
   * Write a value of bytes for (existing id or new key): a string (type STRING) or a packed
   * collection; shared by the string setters and setPacked.
   */
  private storeBytes(
    shard: Shard,
    id: number,
    idb: number,
    h: number,
    key: Uint8Array,
    koff: number,
    klen: number,
    val: Uint8Array,
    voff: number,
    vlen: number,
    expireAt: number,
    type: KeyTypeCode,
    enc: EncodingCode,
  ): StatusCode {
    const need = CHUNK_HEADER + klen + vlen;
    const t = shard.table;
    if (id >= 0) {
      // Every step that can fail comes before the first change: an OOM leaves the key as it was.
      if (!this.resizeChunk(shard, id, need, 0, false)) return Status.OOM;
      this.dropValue(shard, id);
      t.setType(id, type);
      this.touchEntry(shard, id);
      if (expireAt === NO_TTL) this.clearTtl(shard, id);
      else if (expireAt !== KEEP_TTL) this.setTtl(shard, id, expireAt);
      t.setEnc(id, enc);
    } else {
      id = this.createEntry(shard, idb, h, key, koff, klen, need, type, enc);
      if (id < 0) return Status.OOM;
      if (expireAt > 0) this.setTtl(shard, id, expireAt);
    }
    const r = t.rs[id >>> SEG_BITS];
    const base = (id & SEG_MASK) << 3;
    r[base + R_VLEN] = vlen;
    const a = this.alloc;
    const loc = r[base + R_LOC];
    copyBytes(val, voff, a.pages[loc >>> a.locShift], ((loc & a.offMask) << 3) + CHUNK_HEADER + klen, vlen);
    return Status.OK;
  }

  private shardOf(h: number): Shard {
    return this.shards[h & this.shardMask];
  }

  // ---- prefetch ----
  /**
   * Bring the index slots, entry records and chunks of up to PREFETCH_MAX keys (buf[offs[i],
   * +lens[i]) for i = first, first + step, ...; n of them) into the cache
   * before the commands that name them run (Redis 8's memory_prefetch.c, for a pipelined batch
   * or a multi-key command). A lookup is three dependent cache misses (slot, record, chunk);
   * run one after another they are about a quarter of a pipelined GET or SET's CPU. Here each
   * stage touches every key before the next stage starts, so the misses of one stage overlap.
   * Advisory only: it changes nothing, and a key that is not stored, or an argument that is
   * not a key at all, only costs its hash and a slot read.
   */
  prefetch(db: number, buf: Uint8Array, offs: Int32Array, lens: Int32Array, first: number, n: number, step: number): void {
    if (n > PREFETCH_MAX) n = PREFETCH_MAX;
    const idb = this.dbMap[db];
    const hashes = this.prefetchHash;
    const shardOf = this.prefetchShard;
    const locs = this.prefetchLoc;
    const shards = this.shards;
    for (let i = 0, a = first; i < n; i++, a += step) {
      this.router.hash(buf, offs[a], lens[a], idb);
      hashes[i] = this.router.indexHash;
      shardOf[i] = this.router.slot >>> this.slotShift;
    }
    let sink = 0;
    for (let i = 0; i < n; i++) {
      const index = shards[shardOf[i]].index;
      sink ^= index.slots[(hashes[i] & index.mask) << 1];
    }
    for (let i = 0; i < n; i++) {
      const shard = shards[shardOf[i]];
      const id = shard.index.candidate(hashes[i]);
      locs[i] = id < 0 ? NO_CHUNK : shard.table.rs[id >>> SEG_BITS][((id & SEG_MASK) << 3) + R_LOC];
    }
    const a = this.alloc;
    for (let i = 0; i < n; i++) {
      const loc = locs[i];
      if (loc !== NO_CHUNK) sink ^= a.pages[loc >>> a.locShift][(loc & a.offMask) << 3];
    }
    this.prefetchSink = sink;
  }
  private readonly prefetchHash = new Uint32Array(PREFETCH_MAX);
  private readonly prefetchShard = new Int32Array(PREFETCH_MAX);
  private readonly prefetchLoc = new Uint32Array(PREFETCH_MAX);
  /** Where the prefetch loads go, so that the compiler keeps them. */
  private prefetchSink = 0;

  // ---- lookup ----
  /** Handle of the live key, or -1. READ counts hits/misses and touches LRU/LFU; WRITE touches; PEEK neither. */
  lookup(db: number, key: Uint8Array, off: number, len: number, mode: LookupMode): number {
    const idb = this.dbMap[db];
    const si = this.route(idb, key, off, len);
    const shard = this.shards[si];
    const id = this.findLive(shard, idb, key, off, len, this.hashOut);
    if (id < 0) {
      if (mode === Lookup.READ) this.stats.keyspaceMisses++;
      return -1;
    }
    if (mode !== Lookup.PEEK) {
      this.touchEntry(shard, id);
      if (mode === Lookup.READ) this.stats.keyspaceHits++;
    }
    return (id << this.shardBits) | si;
  }
  /**
   * keyIsExpired: db/key is still stored but past its TTL (not yet removed). Neither deletes
   * it nor touches it (WATCH's rule for keys that expire while watched).
   */
  isExpired(db: number, key: Uint8Array, off: number, len: number): boolean {
    const idb = this.dbMap[db];
    const shard = this.shards[this.route(idb, key, off, len)];
    const id = shard.index.find(this.hashOut, idb, key, off, len);
    if (id < 0) return false;
    const exp = shard.table.expire(id);
    return exp !== 0 && this.clock.now > exp;
  }

  /** db/key is stored, expired or not (Redis's dictFind on the keyspace): no deletion, no touch. */
  contains(db: number, key: Uint8Array, off: number, len: number): boolean {
    const idb = this.dbMap[db];
    const shard = this.shards[this.route(idb, key, off, len)];
    return shard.index.find(this.hashOut, idb, key, off, len) >= 0;
  }

  typeOf(h: number): KeyTypeCode {
    return this.shardOf(h).table.type(h >>> this.shardBits) as KeyTypeCode;
  }
  encodingOf(h: number): EncodingCode {
    return this.shardOf(h).table.enc(h >>> this.shardBits) as EncodingCode;
  }
  keyLength(h: number): number {
    return this.shardOf(h).table.klen(h >>> this.shardBits);
  }
  /** Key bytes at [this.offset, this.offset + keyLength(h)). */
  keyBytes(h: number): Uint8Array {
    const loc = this.shardOf(h).table.loc(h >>> this.shardBits);
    const a = this.alloc;
    this.offset = ((loc & a.offMask) << 3) + CHUNK_HEADER;
    return a.pages[loc >>> a.locShift];
  }

  // ---- strings ----
  /** Length in bytes of a string value (for int encoding: length of its decimal form). */
  stringLength(h: number): number {
    return this.shardOf(h).table.vlen(h >>> this.shardBits);
  }
  /** String value bytes at [this.offset, this.offset + stringLength(h)); int values are kept as their canonical digits. */
  stringBytes(h: number): Uint8Array {
    const id = h >>> this.shardBits;
    const r = this.shardOf(h).table.rs[id >>> SEG_BITS];
    const base = (id & SEG_MASK) << 3;
    const loc = r[base + R_LOC];
    const a = this.alloc;
    this.offset = ((loc & a.offMask) << 3) + CHUNK_HEADER + r[base + R_KLEN];
    return a.pages[loc >>> a.locShift];
  }
  /** True when the value is held as a 64-bit integer (OBJECT ENCODING int). */
  isInteger(h: number): boolean {
    return this.shardOf(h).table.enc(h >>> this.shardBits) === Encoding.INT;
  }
  /** The integer of an int-encoded value: a number when within +-(2^53-1), else a bigint. */
  integerValue(h: number): number | bigint {
    const page = this.stringBytes(h);
    return parseCanonicalInt(page, this.offset, this.stringLength(h));
  }

  /**
   * Create or overwrite db/key as a string. expireAt: absolute ms, NO_TTL (0) to clear, KEEP_TTL (-1)
   * to keep an existing key's TTL. encoding: Encoding.RAW forces raw (APPEND/SETRANGE results);
   * Encoding.INT applies Redis's tryObjectEncoding (canonical int64 of <= 20 chars -> int,
   * <= 44 bytes -> embstr, else raw: SET, GETSET, MSET); Encoding.EMBSTR is createStringObject
   * without the int step (INCRBYFLOAT: <= 44 bytes -> embstr, else raw). Overwrites a key of any type. Returns OK or OOM.
   * An expireAt that is not in the future (0 < expireAt <= now) deletes the key instead, as
   * SET ... PXAT <past> does in Redis 7.
   */
  setString(db: number, key: Uint8Array, koff: number, klen: number, val: Uint8Array, voff: number, vlen: number, expireAt: number, encoding: EncodingCode): StatusCode {
    const idb = this.dbMap[db];
    const si = this.route(idb, key, koff, klen);
    const h = this.hashOut;
    const shard = this.shards[si];
    const id = this.findLive(shard, idb, key, koff, klen, h);
    if (expireAt > 0 && expireAt <= this.clock.now) {
      if (id >= 0) this.removeEntry(shard, id);
      return Status.OK;
    }
    const enc =
      encoding === Encoding.RAW
        ? Encoding.RAW
        : encoding === Encoding.INT && vlen <= 20 && isCanonicalInt64(val, voff, vlen)
          ? Encoding.INT
          : vlen <= EMBSTR_SIZE_LIMIT
            ? Encoding.EMBSTR
            : Encoding.RAW;
    return this.storeBytes(shard, id, idb, h, key, koff, klen, val, voff, vlen, expireAt, KeyType.STRING, enc);
  }
  /** Create or overwrite db/key as an int-encoded string (INCR family); expireAt as in setString. */
  setInteger(db: number, key: Uint8Array, koff: number, klen: number, value: number | bigint, expireAt: number): StatusCode {
    const n = formatInteger(value, this.scratch, 0);
    const idb = this.dbMap[db];
    const si = this.route(idb, key, koff, klen);
    const h = this.hashOut;
    const shard = this.shards[si];
    const id = this.findLive(shard, idb, key, koff, klen, h);
    if (expireAt > 0 && expireAt <= this.clock.now) {
      if (id >= 0) this.removeEntry(shard, id);
      return Status.OK;
    }
    return this.storeBytes(shard, id, idb, h, key, koff, klen, this.scratch, 0, n, expireAt, KeyType.STRING, Encoding.INT);
  }
  /**
   * APPEND: append bytes to the string at db/key (creating it), keeping its TTL; the result is raw.
   * Returns the new length, or -Status.WRONG_TYPE / -Status.OOM. The caller checks the size limit first.
   */
  append(db: number, key: Uint8Array, koff: number, klen: number, val: Uint8Array, voff: number, vlen: number): number {
    const idb = this.dbMap[db];
    const si = this.route(idb, key, koff, klen);
    const h = this.hashOut;
    const shard = this.shards[si];
    const id = this.findLive(shard, idb, key, koff, klen, h);
    if (id < 0) {
      const st = this.storeBytes(shard, -1, idb, h, key, koff, klen, val, voff, vlen, NO_TTL, KeyType.STRING, Encoding.RAW);
      return st === Status.OK ? vlen : -st;
    }
    const t = shard.table;
    if (t.type(id) !== KeyType.STRING) return -Status.WRONG_TYPE;
    this.touchEntry(shard, id);
    const old = t.vlen(id);
    const total = old + vlen;
    // The appended bytes may alias the old chunk: it is freed only after they are copied.
    if (!this.resizeChunk(shard, id, CHUNK_HEADER + klen + total, old, true)) return -Status.OOM;
    const a = this.alloc;
    const loc = t.loc(id);
    copyBytes(val, voff, a.pages[loc >>> a.locShift], ((loc & a.offMask) << 3) + CHUNK_HEADER + klen + old, vlen);
    t.set(id, R_VLEN, total);
    t.setEnc(id, Encoding.RAW);
    return total;
  }
  /**
   * SETRANGE: write bytes at `at`, zero-padding as needed, creating the key when vlen > 0; keeps TTL; raw result.
   * Returns the new length, or -Status.WRONG_TYPE / -Status.OOM. The caller checks the size limit first.
   */
  setRange(db: number, key: Uint8Array, koff: number, klen: number, at: number, val: Uint8Array, voff: number, vlen: number): number {
    const idb = this.dbMap[db];
    const si = this.route(idb, key, koff, klen);
    const h = this.hashOut;
    const shard = this.shards[si];
    let id = this.findLive(shard, idb, key, koff, klen, h);
    const t = shard.table;
    let old = 0;
    if (id < 0) {
      if (vlen === 0) return 0;
      id = this.createEntry(shard, idb, h, key, koff, klen, CHUNK_HEADER + klen + at + vlen, KeyType.STRING, Encoding.RAW);
      if (id < 0) return -Status.OOM;
    } else {
      if (t.type(id) !== KeyType.STRING) return -Status.WRONG_TYPE;
      old = t.vlen(id);
      if (vlen === 0) return old;
      this.touchEntry(shard, id);
    }
    const total = Math.max(old, at + vlen);
    if (!this.resizeChunk(shard, id, CHUNK_HEADER + klen + total, old, true)) return -Status.OOM;
    const a = this.alloc;
    const loc = t.loc(id);
    const page = a.pages[loc >>> a.locShift];
    const base = ((loc & a.offMask) << 3) + CHUNK_HEADER + klen;
    if (at > old) page.fill(0, base + old, base + at);
    copyBytes(val, voff, page, base + at, vlen);
    t.set(id, R_VLEN, total);
    t.setEnc(id, Encoding.RAW);
    return total;
  }

  // ---- keys ----
  /** Delete db/key; true when it existed. */
  delete(db: number, key: Uint8Array, off: number, len: number): boolean {
    const idb = this.dbMap[db];
    const si = this.route(idb, key, off, len);
    const shard = this.shards[si];
    const id = this.findLive(shard, idb, key, off, len, this.hashOut);
    if (id < 0) return false;
    this.removeEntry(shard, id);
    return true;
  }
  deleteHandle(h: number): void {
    this.removeEntry(this.shardOf(h), h >>> this.shardBits);
  }

  /**
   * Copy the value of handle sh (type, encoding, value or object, TTL) to key dst of internal
   * db dIdb: into the existing entry dh when dh >= 0 (its old value is dropped), else into a new
   * entry. Returns the destination handle, or -1 when out of memory, in which case nothing has
   * changed: the one allocation (the destination's chunk) comes before any other change, and a
   * complex value is cloned before it.
   */
  private cloneEntry(sh: number, dh: number, dIdb: number, dst: Uint8Array, doff: number, dlen: number, moveObject: boolean): number {
    const ss = this.shardOf(sh);
    const sid = sh >>> this.shardBits;
    const st = ss.table;
    const type = st.type(sid);
    const enc = st.enc(sid);
    const isObject = holdsObject(type, enc);
    const vlen = isObject ? 0 : st.vlen(sid);
    const need = CHUNK_HEADER + dlen + vlen;
    let ds: Shard;
    let nid: number;
    let obj: unknown = null;
    let objBytes = 0;
    if (isObject) {
      const slot = st.vlen(sid);
      obj = moveObject ? ss.objects[slot] : this.cloneObject(ss.objects[slot]);
      objBytes = ss.objectBytes[slot];
    }
    let dsi: number;
    if (dh >= 0) {
      dsi = dh & this.shardMask;
      ds = this.shards[dsi];
      nid = dh >>> this.shardBits;
      if (!this.resizeChunk(ds, nid, need, 0, false)) return -1;
      this.dropValue(ds, nid);
      this.clearTtl(ds, nid);
      ds.table.setMeta(nid, type, enc, dIdb);
      ds.table.set(nid, R_LRU, this.initialLru());
    } else {
      dsi = this.route(dIdb, dst, doff, dlen);
      ds = this.shards[dsi];
      nid = this.createEntry(ds, dIdb, this.hashOut, dst, doff, dlen, need, type, enc);
      if (nid < 0) return -1;
    }
    const dt = ds.table;
    if (!isObject) {
      const a = this.alloc;
      const sl = st.loc(sid);
      const dl = dt.loc(nid);
      copyBytes(
        a.pages[sl >>> a.locShift],
        ((sl & a.offMask) << 3) + CHUNK_HEADER + st.klen(sid),
        a.pages[dl >>> a.locShift],
        ((dl & a.offMask) << 3) + CHUNK_HEADER + dlen,
        vlen,
      );
      dt.set(nid, R_VLEN, vlen);
    } else {
      dt.set(nid, R_VLEN, ds.addObject(obj, objBytes));
      this.objectBytesTotal += objBytes;
    }
    if (st.expire(sid) !== 0) this.setTtl(ds, nid, st.expire(sid));
    return (nid << this.shardBits) | dsi;
  }

  /**
   * RENAME / RENAMENX (nx): Status.OK, NOT_FOUND (no source), EXISTS (nx and destination exists),
   * OOM (both keys unchanged). Keeps the TTL.
   */
  rename(db: number, src: Uint8Array, soff: number, slen: number, dst: Uint8Array, doff: number, dlen: number, nx: boolean): StatusCode {
    const idb = this.dbMap[db];
    const sh = this.findHandle(idb, src, soff, slen);
    if (sh < 0) return Status.NOT_FOUND;
    const dh = this.findHandle(idb, dst, doff, dlen);
    if (dh === sh) return nx ? Status.EXISTS : Status.OK;
    if (dh >= 0 && nx) return Status.EXISTS;
    const nh = this.cloneEntry(sh, dh, idb, dst, doff, dlen, true);
    if (nh < 0) return Status.OOM;
    // Keep LRU/LFU state: RENAME moves the same object in Redis.
    const ss = this.shardOf(sh);
    const sid = sh >>> this.shardBits;
    this.shardOf(nh).table.set(nh >>> this.shardBits, R_LRU, ss.table.lru(sid));
    // An object moved to the new entry's slot (charged there); removing the old entry uncharges its old slot.
    this.removeEntry(ss, sid);
    return Status.OK;
  }
  /**
   * COPY: Status.OK, NOT_FOUND, EXISTS (destination exists and !replace), OOM (destination
   * unchanged). Copies the TTL. Source and destination naming the same key in the same db
   * answer EXISTS (the server replies its own error before calling).
   */
  copy(srcDb: number, src: Uint8Array, soff: number, slen: number, dstDb: number, dst: Uint8Array, doff: number, dlen: number, replace: boolean): StatusCode {
    const sIdb = this.dbMap[srcDb];
    const dIdb = this.dbMap[dstDb];
    const sh = this.findHandle(sIdb, src, soff, slen);
    if (sh < 0) return Status.NOT_FOUND;
    const dh = this.findHandle(dIdb, dst, doff, dlen);
    if (dh === sh) return Status.EXISTS;
    if (dh >= 0 && !replace) return Status.EXISTS;
    return this.cloneEntry(sh, dh, dIdb, dst, doff, dlen, false) < 0 ? Status.OOM : Status.OK;
  }
  /** MOVE: Status.OK, NOT_FOUND, EXISTS (present in target db). Keeps the TTL and LRU/LFU state. */
  move(srcDb: number, key: Uint8Array, off: number, len: number, dstDb: number): StatusCode {
    const sIdb = this.dbMap[srcDb];
    const dIdb = this.dbMap[dstDb];
    const sh = this.findHandle(sIdb, key, off, len);
    if (sh < 0) return Status.NOT_FOUND;
    if (sIdb === dIdb || this.findHandle(dIdb, key, off, len) >= 0) return Status.EXISTS;
    const shard = this.shardOf(sh);
    const id = sh >>> this.shardBits;
    const t = shard.table;
    shard.index.remove(id);
    t.setDb(id, dIdb);
    this.route(dIdb, key, off, len);
    t.set(id, R_HASH, this.hashOut);
    shard.index.insert(id);
    this.dbKeys[sIdb]--;
    this.dbKeys[dIdb]++;
    if (this.onAdd !== null) this.onAdd(dstDb, key, off, len);
    const exp = t.expire(id);
    if (exp !== 0) {
      this.dbVolatile[sIdb]--;
      this.dbVolatile[dIdb]++;
      this.dbTtlSum[sIdb] -= exp - this.ttlBase;
      this.dbTtlSum[dIdb] += exp - this.ttlBase;
    }
    return Status.OK;
  }

  // ---- expiry ----
  /** Absolute expire time in ms, or NO_TTL (0). */
  expireAt(h: number): number {
    return this.shardOf(h).table.expire(h >>> this.shardBits);
  }
  /** Set the absolute expire time (ms). A time not in the future deletes the key (as Redis: a DEL, not counted as expired). */
  setExpireAt(h: number, at: number): void {
    const shard = this.shardOf(h);
    const id = h >>> this.shardBits;
    if (at <= this.clock.now) this.removeEntry(shard, id);
    else this.setTtl(shard, id, at);
  }
  /** Remove the TTL; true when there was one. */
  persist(h: number): boolean {
    return this.clearTtl(this.shardOf(h), h >>> this.shardBits);
  }

  // ---- LRU / LFU ----
  /** Milliseconds since the key was last touched (OBJECT IDLETIME reports this / 1000). Wraps after 49.7 days. */
  idleTimeMs(h: number): number {
    const lru = this.shardOf(h).table.lru(h >>> this.shardBits);
    return ((this.clock.now >>> 0) - lru) >>> 0;
  }
  /** LFU logarithmic counter after decay (OBJECT FREQ). Meaningful under an LFU policy. */
  lfuFrequency(h: number): number {
    const lru = this.shardOf(h).table.lru(h >>> this.shardBits);
    return lfuDecayed(lru, lfuMinutes(this.clock.now), this.evictor.lfuDecayTime);
  }
  /**
   * RESTORE's access fields: a new object's (LFU_INIT_VAL, or touched now), then
   * objectSetLRUOrLFU's: under an LFU policy a freq >= 0 becomes the counter, otherwise an
   * idleMs >= 0 makes the key last touched that long ago; the other argument is ignored.
   */
  setAccessInfo(h: number, freq: number, idleMs: number): void {
    const shard = this.shardOf(h);
    const id = h >>> this.shardBits;
    const now = this.clock.now;
    if (this.lfu) shard.table.set(id, R_LRU, (lfuMinutes(now) << 8) | (freq >= 0 ? freq : LFU_INIT_VAL));
    else shard.table.set(id, R_LRU, (now - (idleMs >= 0 ? idleMs : 0)) >>> 0);
  }
  /** Touch as an access would (TOUCH command). */
  touch(h: number): void {
    this.touchEntry(this.shardOf(h), h >>> this.shardBits);
  }

  // ---- databases ----
  dbSize(db: number): number {
    return this.dbKeys[this.dbMap[db]];
  }
  /** Keys with a TTL in db (INFO keyspace expires=). */
  dbExpires(db: number): number {
    return this.dbVolatile[this.dbMap[db]];
  }
  /** Average remaining TTL in ms of keys with a TTL, 0 when none (INFO keyspace avg_ttl=). */
  dbAvgTtl(db: number): number {
    const idb = this.dbMap[db];
    const n = this.dbVolatile[idb];
    if (n === 0) return 0;
    const avg = this.dbTtlSum[idb] / n + this.ttlBase - this.clock.now;
    return avg > 0 ? Math.round(avg) : 0;
  }
  /**
   * Empty db at once. When other dbs hold keys, db is pointed at a fresh internal db and the
   * old one's keys (invisible from now on: every lookup compares the internal db) are removed by
   * maintenance in budgeted steps, so the call costs nothing however many keys any db holds.
   * Without a spare internal db (databases near 65536, or many flushes in a row) it removes
   * them here, walking every shard.
   */
  flushDb(db: number): void {
    const idb = this.dbMap[db];
    if (this.dbKeys[idb] === 0) return;
    if (this.dbKeys[idb] === this.keysTotal - this.pendingReclaim()) {
      this.flushAll();
      return;
    }
    const fresh = this.freeInternal.pop();
    if (fresh !== undefined) {
      this.dbMap[db] = fresh;
      this.dbOfInternal[fresh] = db;
      this.dbOfInternal[idb] = -1;
      this.dying.push(idb);
      return;
    }
    const now = this.clock.now;
    for (const shard of this.shards) {
      const t = shard.table;
      for (let id = 0; id < t.hw; id++) {
        if (t.type(id) !== KeyType.NONE && t.db(id) === idb) this.removeEntry(shard, id);
      }
      if (t.count === 0) shard.reset(now);
    }
  }

  /** Keys of flushed dbs not yet reclaimed (INFO lazyfree_pending_objects). */
  pendingReclaim(): number {
    let n = 0;
    for (let i = 0; i < this.dying.length; i++) n += this.dbKeys[this.dying[i]];
    return n;
  }

  /**
   * Remove keys of flushed dbs until the deadline, resuming where the last call stopped; a
   * flushed internal db whose last key is gone is free again. False when none is left.
   */
  private reclaimFlushed(deadline: number): boolean {
    const dying = this.dying;
    while (dying.length > 0) {
      for (let i = dying.length - 1; i >= 0; i--) {
        if (this.dbKeys[dying[i]] === 0) {
          this.freeInternal.push(dying[i]);
          dying[i] = dying[dying.length - 1];
          dying.pop();
        }
      }
      if (dying.length === 0) break;
      const shard = this.shards[this.reclaimShard];
      const t = shard.table;
      const end = Math.min(t.hw, this.reclaimId + RECLAIM_STEP);
      for (let id = this.reclaimId; id < end && id < t.hw; id++) {
        // (a shard whose table empties is reset, its hw back to 0: the loop ends there)
        if (t.type(id) !== KeyType.NONE && this.dbOfInternal[t.db(id)] < 0) {
          this.removeEntry(shard, id);
          this.stats.lazyfreedObjects++;
        }
      }
      if (end >= t.hw || t.count === 0) {
        this.reclaimShard = (this.reclaimShard + 1) & this.shardMask;
        this.reclaimId = 0;
      } else this.reclaimId = end;
      if (performance.now() >= deadline) return true;
    }
    this.reclaimShard = 0;
    this.reclaimId = 0;
    return false;
  }

  flushAll(): void {
    const now = this.clock.now;
    for (const idb of this.dying) this.freeInternal.push(idb);
    this.dying.length = 0;
    this.reclaimShard = 0;
    this.reclaimId = 0;
    this.alloc.reset();
    for (const shard of this.shards) shard.reset(now);
    this.dbKeys.fill(0);
    this.dbVolatile.fill(0);
    this.keysTotal = 0;
    this.volatileTotal = 0;
    this.dbTtlSum.fill(0);
    this.objectBytesTotal = 0;
    this.evictor.clearPool();
  }
  swapDb(a: number, b: number): void {
    const t = this.dbMap[a];
    this.dbMap[a] = this.dbMap[b];
    this.dbMap[b] = t;
    this.dbOfInternal[this.dbMap[a]] = a;
    this.dbOfInternal[this.dbMap[b]] = b;
  }
  /** Entry id is a live key of internal db idb; an expired one is deleted (expired_keys++) and false returned. */
  private liveIn(shard: Shard, id: number, idb: number, now: number): boolean {
    const t = shard.table;
    if (t.type(id) === KeyType.NONE || t.db(id) !== idb) return false;
    const exp = t.expire(id);
    if (exp !== 0 && now > exp) {
      if (this.frozen) return false;
      if (this.onRemove !== null) this.removeAnnounced(shard, id, RemovalReason.EXPIRED);
      else this.removeEntry(shard, id);
      this.stats.expiredKeys++;
      return false;
    }
    return true;
  }

  /** removeEntry, then onRemove with the key's bytes (copied out before the chunk is freed). */
  private removeAnnounced(shard: Shard, id: number, reason: RemovalReasonCode): void {
    const db = this.dbOfInternal[shard.table.db(id)];
    if (db < 0) {
      // A key of a flushed db not yet reclaimed: it is gone already for every client.
      this.removeEntry(shard, id);
      this.stats.lazyfreedObjects++;
      return;
    }
    const klen = shard.table.klen(id);
    if (this.removedKey.length < klen) this.removedKey = Buffer.allocUnsafeSlow(Math.max(klen, 2 * this.removedKey.length));
    const page = this.keyBytes((id << this.shardBits) | shard.num);
    this.removedKey.set(page.subarray(this.offset, this.offset + klen), 0);
    this.removeEntry(shard, id);
    this.onRemove!(db, this.removedKey, 0, klen, reason);
  }
  private removedKey = Buffer.allocUnsafeSlow(256);
  /** A random live key of db, or -1. Expired keys met on the way are deleted (as Redis). */
  randomKey(db: number): number {
    const idb = this.dbMap[db];
    const now = this.clock.now;
    const ev = this.evictor;
    for (let attempt = 0; attempt < 64 && this.dbKeys[idb] > 0; attempt++) {
      const si = ev.next() & this.shardMask;
      const shard = this.shards[si];
      const t = shard.table;
      if (t.count === 0) continue;
      const id = ev.next() % t.hw;
      if (this.liveIn(shard, id, idb, now)) return (id << this.shardBits) | si;
    }
    // Sparse or skewed: walk from a random point.
    const start = ev.next() & this.shardMask;
    for (let i = 0; i < this.shards.length && this.dbKeys[idb] > 0; i++) {
      const si = (start + i) & this.shardMask;
      const shard = this.shards[si];
      const t = shard.table;
      if (t.count === 0) continue;
      const from = ev.next() % t.hw;
      for (let k = 0; k < t.hw; k++) {
        const id = (from + k) % t.hw;
        if (this.liveIn(shard, id, idb, now)) return (id << this.shardBits) | si;
      }
    }
    return -1;
  }
  /**
   * SCAN: visit about `count` entries of db starting at cursor; returns the next cursor (0 when done).
   * Every key present for the whole scan is visited at least once, while tables grow or shrink.
   * Expired keys are not visited (they are deleted). Cursors are integers below 2^53
   * (shard * 2^32 + next entry id). At most 16 * count + 64 ids are examined per call, so a
   * sparse db may answer fewer than count keys with a non-zero cursor, as Redis can.
   */
  scan(db: number, cursor: number, count: number, visit: (h: number) => void): number {
    const idb = this.dbMap[db];
    const n = this.shards.length;
    let si = Math.floor(cursor / TWO32);
    let id = cursor - si * TWO32;
    if (!(si >= 0 && si < n) || !(id >= 0)) return 0;
    const want = count > 0 ? count : 10;
    const budget = want * 16 + 64;
    let visited = 0;
    let examined = 0;
    const now = this.clock.now;
    while (si < n) {
      const shard = this.shards[si];
      const t = shard.table;
      while (id < t.hw) {
        if (this.liveIn(shard, id, idb, now)) {
          visit((id << this.shardBits) | si);
          visited++;
        }
        id++;
        if (++examined >= budget || visited >= want) {
          if (id >= t.hw) {
            si++;
            id = 0;
          }
          return si >= n ? 0 : si * TWO32 + id;
        }
      }
      si++;
      id = 0;
    }
    return 0;
  }
  /** Visit every live key of db (KEYS). Expired keys are skipped, not deleted (as Redis KEYS). */
  forEachKey(db: number, visit: (h: number) => void): void {
    const idb = this.dbMap[db];
    const now = this.clock.now;
    for (let si = 0; si < this.shards.length; si++) {
      const t = this.shards[si].table;
      for (let id = 0; id < t.hw; id++) {
        if (t.type(id) === KeyType.NONE || t.db(id) !== idb) continue;
        const exp = t.expire(id);
        if (exp !== 0 && now > exp) continue;
        visit((id << this.shardBits) | si);
      }
    }
  }

  // ---- complex types (object table; the data-types issue builds on these) ----
  /**
   * Create or overwrite db/key as a complex value of `type` charged `bytes`; keeps no TTL.
   * Returns OK or OOM; OOM leaves an existing key as it was. An existing key is overwritten in
   * place (its handle stays valid), so replacing a value never needs more memory than the key.
   */
  setObject(db: number, key: Uint8Array, koff: number, klen: number, type: KeyTypeCode, obj: unknown, bytes: number): StatusCode {
    const idb = this.dbMap[db];
    const si = this.route(idb, key, koff, klen);
    const h = this.hashOut;
    const shard = this.shards[si];
    let id = this.findLive(shard, idb, key, koff, klen, h);
    if (id >= 0) {
      if (!this.resizeChunk(shard, id, CHUNK_HEADER + klen, 0, false)) return Status.OOM;
      this.dropValue(shard, id);
      this.clearTtl(shard, id);
      shard.table.setMeta(id, type, 0, idb);
      // As Redis's dbOverwrite: a new object, except that LFU keeps the key's counter.
      if (!this.lfu) shard.table.set(id, R_LRU, this.initialLru());
    } else {
      id = this.createEntry(shard, idb, h, key, koff, klen, CHUNK_HEADER + klen, type, 0);
      if (id < 0) return Status.OOM;
    }
    shard.table.set(id, R_VLEN, shard.addObject(obj, bytes));
    this.objectBytesTotal += bytes;
    return Status.OK;
  }
  /**
   * Create or overwrite db/key as a small collection of `type` whose elements are the packed
   * bytes val[voff, voff + vlen), kept in the key's chunk with encoding `enc` (PACKED or
   * PACKED_HASHTABLE) and read back with stringBytes / stringLength. Keeps no TTL, as setObject.
   * Returns OK or OOM; OOM leaves an existing key as it was.
   */
  setPacked(db: number, key: Uint8Array, koff: number, klen: number, type: KeyTypeCode, enc: EncodingCode, val: Uint8Array, voff: number, vlen: number): StatusCode {
    const idb = this.dbMap[db];
    const si = this.route(idb, key, koff, klen);
    const h = this.hashOut;
    const shard = this.shards[si];
    const id = this.findLive(shard, idb, key, koff, klen, h);
    return this.storeBytes(shard, id, idb, h, key, koff, klen, val, voff, vlen, NO_TTL, type, enc);
  }
  /**
   * Replace the packed elements of the collection at h by val[voff, voff + vlen) (which must not
   * lie in the key's chunk), with encoding `enc`; TTL and LRU/LFU state are kept. False when out
   * of memory, the key unchanged.
   */
  updatePacked(h: number, enc: EncodingCode, val: Uint8Array, voff: number, vlen: number): boolean {
    const shard = this.shardOf(h);
    const id = h >>> this.shardBits;
    const t = shard.table;
    const klen = t.klen(id);
    if (!this.resizeChunk(shard, id, CHUNK_HEADER + klen + vlen, 0, false)) return false;
    const a = this.alloc;
    const loc = t.loc(id);
    copyBytes(val, voff, a.pages[loc >>> a.locShift], ((loc & a.offMask) << 3) + CHUNK_HEADER + klen, vlen);
    t.set(id, R_VLEN, vlen);
    t.setEnc(id, enc);
    return true;
  }
  /**
   * Move the packed collection at h into the object table as `obj`, charged `bytes` (it outgrew
   * its packed form); TTL and LRU/LFU state are kept. Cannot fail: the chunk only shrinks.
   */
  packedToObject(h: number, obj: unknown, bytes: number): void {
    const shard = this.shardOf(h);
    const id = h >>> this.shardBits;
    const t = shard.table;
    this.resizeChunk(shard, id, CHUNK_HEADER + t.klen(id), 0, false);
    t.setEnc(id, Encoding.RAW);
    t.set(id, R_VLEN, shard.addObject(obj, bytes));
    this.objectBytesTotal += bytes;
  }
  /**
   * The reverse of packedToObject: the collection at h (in the object table) shrank back to a
   * packed form, val[voff, voff + vlen), stored in the key's chunk with encoding `enc`; its
   * object is dropped. TTL and LRU/LFU state are kept. False when out of memory, the key unchanged.
   */
  objectToPacked(h: number, enc: EncodingCode, val: Uint8Array, voff: number, vlen: number): boolean {
    const shard = this.shardOf(h);
    const slot = shard.table.vlen(h >>> this.shardBits);
    if (!this.updatePacked(h, enc, val, voff, vlen)) return false;
    this.objectBytesTotal -= shard.removeObject(slot);
    return true;
  }
  /** The JS object of a complex-type key (one whose encoding is not packed). */
  objectOf(h: number): unknown {
    const shard = this.shardOf(h);
    return shard.objects[shard.table.vlen(h >>> this.shardBits)];
  }
  /** Re-charge a complex value's memory estimate after it changed by `delta` bytes. */
  adjustObjectBytes(h: number, delta: number): void {
    const shard = this.shardOf(h);
    shard.objectBytes[shard.table.vlen(h >>> this.shardBits)] += delta;
    this.objectBytesTotal += delta;
  }

  // ---- memory, eviction, maintenance ----
  /** used_memory: slab chunks in use, large values, entry tables, indexes and object estimates. */
  usedMemory(): number {
    return this.alloc.usedBytes + this.meter.tableBytes + this.objectBytesTotal;
  }
  /** Bytes actually held (all slab pages, tables): the store's share of RSS. */
  allocatedMemory(): number {
    return this.alloc.allocatedBytes + this.meter.tableBytes + this.objectBytesTotal + this.alloc.overheadBytes();
  }
  /**
   * Evict by the policy toward usedMemory() <= maxmemory, for at most the eviction time limit.
   * OK when under the limit, or when eviction ran out of time and goes on (evictionRunning: the
   * runtime calls again next turn, as Redis's evictionTimeProc; a write is not refused for it);
   * OOM when the policy is noeviction or nothing evictable remains.
   */
  evictIfNeeded(): StatusCode {
    if (this.evictor.maxmemory === 0 || this.usedMemory() <= this.evictor.maxmemory || this.frozen) {
      this.evictor.running = false;
      return Status.OK;
    }
    const result = this.evictor.evict(this, this.clock.now);
    if (result === EvictResult.RUNNING && this.onEvictionRunning !== null) this.onEvictionRunning();
    return result === EvictResult.FAIL ? Status.OOM : Status.OK;
  }
  /** The last eviction stopped at its time limit with memory still over maxmemory. */
  get evictionRunning(): boolean {
    return this.evictor.running;
  }
  /** maxmemory-eviction-tenacity (0..100): the time one eviction call may take. */
  setEvictionTenacity(n: number): void {
    this.evictor.timeLimitMs = evictionTimeLimitMs(n);
  }
  /** Incremental active expiry and slab rebalancing, for at most budgetMs; called from the server's tick. */
  maintenance(budgetMs: number): void {
    const deadline = performance.now() + budgetMs;
    const now = this.clock.now;
    const n = this.shards.length;
    const start = this.maintenanceShard;
    for (let i = 0; i < n && !this.frozen; i++) {
      const si = (start + i) & this.shardMask;
      const shard = this.shards[si];
      this.wheelShard = shard;
      if (shard.wheel.advance(now, deadline, this.expireCallback) === WHEEL_BUDGET) {
        this.maintenanceShard = si;
        return;
      }
    }
    this.maintenanceShard = (start + 1) & this.shardMask;
    // Finish incremental index resizes sooner than writes alone would.
    for (let i = 0; i < n; i++) {
      const index = this.shards[i].index;
      while (index.migrating && performance.now() < deadline) index.migrate(4096);
    }
    if (this.dying.length > 0) this.reclaimFlushed(deadline);
    // A page's evacuation stops at the deadline and resumes on the next tick.
    while (performance.now() < deadline && this.alloc.rebalanceStep(deadline)) {
      /* one page per step */
    }
  }

  // ---- EvictionHost ----
  evictHandle(h: number): void {
    const shard = this.shardOf(h);
    if (this.dbOfInternal[shard.table.db(h >>> this.shardBits)] < 0) {
      // A key of a flushed db not yet reclaimed: freeing it is not an eviction.
      this.removeEntry(shard, h >>> this.shardBits);
      this.stats.lazyfreedObjects++;
      return;
    }
    if (this.onRemove !== null) this.removeAnnounced(this.shardOf(h), h >>> this.shardBits, RemovalReason.EVICTED);
    else this.removeEntry(this.shardOf(h), h >>> this.shardBits);
    this.stats.evictedKeys++;
  }
  totalKeys(): number {
    return this.keysTotal;
  }
  totalVolatile(): number {
    return this.volatileTotal;
  }
}
