/*
 * What every complex value (hash, list, set, sorted set, stream) provides to the generic
 * commands (a small hash, sorted set or list is packed bytes in its key's chunk, reached through
 * its family's shared view; the others are objects in the store's object table): its OBJECT
 * ENCODING name (Redis's listpack / quicklist / hashtable / intset / skiplist choice for the
 * same contents under the same thresholds), its element count, and a deep copy for COPY. Each
 * family's data structure implements it; it lives beside them so that src/types imports
 * nothing from src/commands.
 */
import type { ConfigStore } from '../config-table.ts';

export interface Collection {
  /** OBJECT ENCODING as redis-server 7.0 would answer for this value under `config`'s thresholds. */
  encodingName(config: ConfigStore): string;
  /** Number of elements (fields, members, items); an emptied collection's key is deleted. */
  size(): number;
  /** An independent deep copy (COPY). */
  clone(): Collection;
}
