/*
 * The server's cached clock. Commands read `clock.now` (ms since the epoch) instead of calling
 * Date.now() each time: the server refreshes it once per read batch and once per maintenance
 * tick (ARCHITECTURE.md principle 9). It satisfies the store's TimeSource interface.
 */
import type { TimeSource } from '../store/types.ts';

export class CachedClock implements TimeSource {
  now = Date.now();

  refresh(): number {
    this.now = Date.now();
    return this.now;
  }
}
