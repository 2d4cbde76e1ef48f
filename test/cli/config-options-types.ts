/*
 * Compile-time checks of startServer()'s option types, run by `npm run typecheck` (tsc
 * covers test/): each @ts-expect-error fails the typecheck if the types ever accept the value.
 */
import type { ServerOptions } from '../../src/index.ts';

export const accepted: ServerOptions[] = [
  { maxmemory: '100mb', 'maxmemory-policy': 'allkeys-lru', 'lazyfree-lazy-user-del': true, maxclients: 10 },
  { maxmemory: 1 << 30, 'protected-mode': 'no', 'notify-keyspace-events': 'KEA', logger: false },
];

export const rejected: ServerOptions[] = [
  // @ts-expect-error: not an eviction policy
  { 'maxmemory-policy': 'allkeys-fifo' },
  // @ts-expect-error: not a memory size
  { maxmemory: '100 megabytes' },
  // @ts-expect-error: not a parameter
  { 'max-memory': '1gb' },
  // @ts-expect-error: a count is a number
  { maxclients: 'many' },
];
