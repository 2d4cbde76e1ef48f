/*
 * The key arguments of a command, found from its key specs as Redis 7.0's
 * getKeysUsingKeySpecs (db.c) finds them: begin_search by index or keyword, find_keys by range
 * (with lastkey, keystep and limit) or keynum. A spec Redis cannot resolve (unknown, or an
 * incomplete one) makes Redis fall back to the command's own getkeys function; here the
 * fallback is the legacy first/last/step range, which is what those functions return for
 * every command slabcache implements with fixed key positions, except SORT and SORT_RO, whose
 * getkeys functions are written out below; a movable-keys command whose specs fail (a numkeys
 * that is not a number ...) has none, as its getkeys function finds.
 *
 * Used by client-side caching (the keys a read command fetched), COMMAND GETKEYS and ACL key
 * permissions. Positions go into one reusable Int32Array, and each key's access (read and/or
 * write, from its spec's ACCESS / INSERT / DELETE / UPDATE flags, or from the getkeys function
 * of SET and BITFIELD, whose specs have variable flags) into another: no allocation per command.
 */
import type { Client } from './client.ts';
import { CommandFlag, type CommandEntry } from './registry.ts';
import type { CommandMeta } from './commands/command-meta.ts';
import { parsed } from './numbers.ts';

/** Key positions found by the last commandKeys() call. */
export const keyPositions = new Int32Array(1024);

/** Access bits of each key found: what ACL key patterns (%R~ / %W~) must grant. */
export const KeyAccess = { READ: 1, WRITE: 2 } as const;
export const keyAccess = new Uint8Array(1024);

const specAccess = new WeakMap<object, number>();

function accessOf(spec: { flags: string[] }): number {
  let access = specAccess.get(spec);
  if (access === undefined) {
    const f = spec.flags;
    access = (f.includes('access') ? KeyAccess.READ : 0) | (f.includes('insert') || f.includes('delete') || f.includes('update') ? KeyAccess.WRITE : 0);
    specAccess.set(spec, access);
  }
  return access;
}

/** Fill keyPositions with the key argument positions of c's current command; returns their count. */
export function commandKeys(cmd: CommandEntry, c: Client): number {
  if (cmd.fullName === 'set') return setKeys(c);
  if (cmd.fullName === 'bitfield') return bitfieldKeys(c);
  const n = fromKeySpecs(cmd.meta, c);
  if (n >= 0) return n;
  if (cmd.fullName === 'sort') return sortKeys(c);
  if (cmd.fullName === 'sort_ro') return sortRoKeys();
  // A movable-keys command whose specs cannot resolve (a bad numkeys ...) has no keys.
  return (cmd.flags & CommandFlag.MOVABLE_KEYS) !== 0 ? 0 : fromLegacyRange(cmd.meta, c.argc);
}

/**
 * sortGetKeys: the sorted key, then the last STORE's destination. Options are skipped by
 * their argument counts (LIMIT 2, GET and BY 1, anything else 0) without checking them, so
 * `LIMIT STORE d` hides the STORE, as in Redis.
 */
function sortKeys(c: Client): number {
  keyPositions[0] = 1;
  keyAccess[0] = KeyAccess.READ;
  let store = 0;
  for (let i = 2; i < c.argc; i++) {
    if (c.argIs(i, 'limit')) i += 2;
    else if (c.argIs(i, 'get') || c.argIs(i, 'by')) i += 1;
    else if (c.argIs(i, 'store') && i + 1 < c.argc) store = i + 1;
  }
  if (store === 0) return 1;
  keyPositions[1] = store;
  keyAccess[1] = KeyAccess.WRITE;
  return 2;
}

/** setGetKeys: the key, read too when a GET option is there. */
function setKeys(c: Client): number {
  keyPositions[0] = 1;
  keyAccess[0] = KeyAccess.WRITE;
  for (let i = 3; i < c.argc; i++) if (c.argIs(i, 'get')) keyAccess[0] = KeyAccess.READ | KeyAccess.WRITE;
  return 1;
}

/** bitfieldGetKeys: read-only while only GET (and OVERFLOW) operations are given. */
function bitfieldKeys(c: Client): number {
  let readonly = true;
  for (let i = 2; i < c.argc; i++) {
    const rem = c.argc - i - 1;
    if (c.argIs(i, 'get') && rem >= 2) i += 2;
    else if ((c.argIs(i, 'set') || c.argIs(i, 'incrby')) && rem >= 3) {
      readonly = false;
      break;
    } else if (c.argIs(i, 'overflow') && rem >= 1) i += 1;
    else {
      readonly = false;
      break;
    }
  }
  keyPositions[0] = 1;
  keyAccess[0] = readonly ? KeyAccess.READ : KeyAccess.READ | KeyAccess.WRITE;
  return 1;
}

/** sortROGetKeys: only the sorted key (SORT_RO has no STORE). */
function sortRoKeys(): number {
  keyPositions[0] = 1;
  keyAccess[0] = KeyAccess.READ;
  return 1;
}

function fromKeySpecs(meta: CommandMeta, c: Client): number {
  const specs = meta.key_specs;
  const argc = c.argc;
  let count = 0;
  for (let j = 0; j < specs.length; j++) {
    const spec = specs[j];
    if (spec.flags.includes('not_key')) continue;
    let first = 0;
    const bs = spec.begin_search;
    if (bs.type === 'index') first = bs.spec['index'] as number;
    else if (bs.type === 'keyword') {
      const from = bs.spec['startfrom'] as number;
      const start = from > 0 ? from : argc + from;
      const end = from > 0 ? argc - 1 : 1;
      const word = (bs.spec['keyword'] as string).toLowerCase();
      for (let i = start; i !== end; i = start <= end ? i + 1 : i - 1) {
        if (i >= argc || i < 1) break;
        if (c.argIs(i, word)) {
          first = i + 1;
          break;
        }
      }
      if (first === 0) continue;
    } else return -1;
    let last: number;
    let step: number;
    const fk = spec.find_keys;
    if (fk.type === 'range') {
      step = fk.spec['keystep'];
      const lastkey = fk.spec['lastkey'];
      const limit = fk.spec['limit'] ?? 0;
      if (lastkey >= 0) last = first + lastkey;
      else if (limit === 0) last = argc + lastkey;
      else last = first + (Math.floor((argc - first) / limit) + lastkey);
    } else if (fk.type === 'keynum') {
      step = fk.spec['keystep'];
      const at = first + fk.spec['keynumidx'];
      if (fk.spec['keynumidx'] >= argc || at >= argc || !c.argInt64(at) || parsed.isBig || parsed.num < 0) return -1;
      first += fk.spec['firstkey'];
      last = first + parsed.num - 1;
    } else return -1;
    if (last >= argc || last < first || first >= argc) return -1;
    const access = accessOf(spec);
    for (let i = first; i <= last && i < argc && count < keyPositions.length; i += step) {
      keyAccess[count] = access;
      keyPositions[count++] = i;
    }
    if (spec.flags.includes('incomplete')) return -1;
  }
  return count;
}

function fromLegacyRange(meta: CommandMeta, argc: number): number {
  const first = meta.first_key;
  if (first <= 0) return 0;
  const last = meta.last_key < 0 ? argc + meta.last_key : meta.last_key;
  const step = meta.step > 0 ? meta.step : 1;
  let count = 0;
  for (let i = first; i <= last && i < argc && count < keyPositions.length; i += step) {
    keyAccess[count] = 0;
    keyPositions[count++] = i;
  }
  return count;
}
