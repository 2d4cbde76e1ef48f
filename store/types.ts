/*
 * Shared vocabulary of the store: status codes, key types, encodings, eviction policies and
 * the store's configuration. Plain `as const` objects (no enums: the code runs under Node's
 * type stripping). Expected outcomes are returned as these codes, never thrown.
 */

export const Status = {
  OK: 0,
  NOT_FOUND: 1,
  WRONG_TYPE: 2,
  OOM: 3,
  OVERFLOW: 4,
  EXISTS: 5,
  NOT_INTEGER: 6,
  TOO_LARGE: 7,
} as const;
export type StatusCode = (typeof Status)[keyof typeof Status];

/** Key types, numbered for a Uint8Array column. NONE marks a free entry slot. */
export const KeyType = {
  NONE: 0,
  STRING: 1,
  LIST: 2,
  SET: 3,
  ZSET: 4,
  HASH: 5,
  STREAM: 6,
} as const;
export type KeyTypeCode = (typeof KeyType)[keyof typeof KeyType];

export const KEY_TYPE_NAMES = ['none', 'string', 'list', 'set', 'zset', 'hash', 'stream'] as const;

/**
 * Value encodings. RAW, EMBSTR and INT are a string's, as OBJECT ENCODING names them; a complex
 * value held as a JS object in the shard's object table has RAW (its object answers OBJECT
 * ENCODING). PACKED and PACKED_HASHTABLE mark a small collection whose elements are packed bytes
 * in the key's own chunk, like a string value, with no JS object: PACKED answers `listpack`,
 * PACKED_HASHTABLE `hashtable` (a hash past a listpack threshold that is still small).
 */
export const Encoding = {
  RAW: 0,
  EMBSTR: 1,
  INT: 2,
  PACKED: 3,
  PACKED_HASHTABLE: 4,
} as const;
export type EncodingCode = (typeof Encoding)[keyof typeof Encoding];

/** OBJECT ENCODING of a string (by its encoding code). */
export const ENCODING_NAMES = ['raw', 'embstr', 'int'] as const;

/** A key of this type and encoding keeps its value in the shard's object table. */
export function holdsObject(type: number, enc: number): boolean {
  return type !== KeyType.STRING && enc < Encoding.PACKED;
}

/** Longest string Redis keeps as embstr (OBJ_ENCODING_EMBSTR_SIZE_LIMIT). */
export const EMBSTR_SIZE_LIMIT = 44;

export const EvictionPolicy = {
  NOEVICTION: 0,
  ALLKEYS_LRU: 1,
  ALLKEYS_LFU: 2,
  ALLKEYS_RANDOM: 3,
  VOLATILE_LRU: 4,
  VOLATILE_LFU: 5,
  VOLATILE_RANDOM: 6,
  VOLATILE_TTL: 7,
} as const;
export type EvictionPolicyCode = (typeof EvictionPolicy)[keyof typeof EvictionPolicy];

export const EVICTION_POLICY_NAMES = [
  'noeviction',
  'allkeys-lru',
  'allkeys-lfu',
  'allkeys-random',
  'volatile-lru',
  'volatile-lfu',
  'volatile-random',
  'volatile-ttl',
] as const;

/** The cached clock the server advances once per read batch and per tick; tests set it by hand. */
export interface TimeSource {
  /** Milliseconds since the Unix epoch. */
  now: number;
}

export interface StoreConfig {
  /** Number of shards, a power of two (1..1024). */
  shards: number;
  /** Number of logical databases (SELECT 0..databases-1). */
  databases: number;
  /** Slab page size in bytes (default 1 MiB). */
  pageSize: number;
  /** Growth factor between slab size classes (default 1.25). */
  growthFactor: number;
  /** Bytes; 0 means no limit. */
  maxmemory: number;
  policy: EvictionPolicyCode;
  /** maxmemory-samples (default 5). */
  samples: number;
  /** lfu-log-factor (default 10). */
  lfuLogFactor: number;
  /** lfu-decay-time in minutes (default 1). */
  lfuDecayTime: number;
  /** active-expire-effort 1..10 (default 1). */
  activeExpireEffort: number;
}

export const DEFAULT_STORE_CONFIG: StoreConfig = {
  shards: 64,
  databases: 16,
  pageSize: 1 << 20,
  growthFactor: 1.25,
  maxmemory: 0,
  policy: EvictionPolicy.NOEVICTION,
  samples: 5,
  lfuLogFactor: 10,
  lfuDecayTime: 1,
  activeExpireEffort: 1,
};

/** Why the store removed a key on its own (Keyspace.onRemove). */
export const RemovalReason = {
  EXPIRED: 0,
  EVICTED: 1,
} as const;
export type RemovalReasonCode = (typeof RemovalReason)[keyof typeof RemovalReason];

/** Lookup modes: READ touches LRU/LFU and counts keyspace hits/misses; WRITE touches only; PEEK neither. */
export const Lookup = {
  READ: 0,
  WRITE: 1,
  PEEK: 2,
} as const;
export type LookupMode = (typeof Lookup)[keyof typeof Lookup];

/** expireAt argument meaning "leave the key's current TTL as it is" (KEEPTTL, INCR, APPEND ...). */
export const KEEP_TTL = -1;
/** expireAt argument / result meaning "no TTL". */
export const NO_TTL = 0;
/** Keys one Keyspace.prefetch() call touches at most (multi-key commands prefetch in windows of it). */
export const PREFETCH_MAX = 32;
