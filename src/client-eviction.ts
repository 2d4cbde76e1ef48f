/*
 * Client eviction (maxmemory-clients, Redis 7.0's evictClients in networking.c): when the
 * buffers held by evictable clients (every client but those with CLIENT NO-EVICT on; normal,
 * Pub/Sub and MONITOR clients alike, as Redis's getClientType counts a monitor as normal)
 * reach the limit, the biggest clients are closed first until the total is below it again.
 * Each eviction is logged and counted in INFO's evicted_clients.
 *
 * The limit is maxmemory-clients in bytes, or a percentage of maxmemory (no limit while
 * maxmemory is 0), never below 128 KB so a bad setting cannot lock everyone out
 * (getClientEvictionLimit).
 *
 * Accounting is incremental, as Redis's updateClientMemUsageAndBucket: each client remembers
 * the memory last counted for it (Client.trackedMemory) and `total` sums them. A client is
 * re-measured after each socket read (its query buffer grew) and after each flush (its output
 * grew or drained), so the cost is a few field reads per read and per flush, and nothing per
 * command; with the limit off (0, the default) not even that. The total may run stale-high
 * (a socket drains without a flush), never stale-low for the client that just grew, so
 * evict() re-measures every client before choosing: a stale total costs a scan, never a
 * client. Redis orders clients in log2 buckets and evicts from the top bucket in any order;
 * here the clients over the limit are sorted by size, which evicts the largest first exactly.
 *
 * Checks run where Redis's do: on a read (Redis checks before every command, and a growing
 * query buffer is what makes a client big on input), at the end of each flush turn (its
 * beforeSleep), and at the next turn after CONFIG SET lowers the limit. Output limits take
 * precedence: a flush closes a client over client-output-buffer-limit before it is counted.
 */
import type { Client } from './client.ts';
import type { ServerState } from './server-state.ts';

/** getClientEvictionLimit's floor. */
const MIN_LIMIT = 128 * 1024;

export class ClientEviction {
  /** The limit in bytes, 0 when client eviction is off. */
  limit = 0;
  /** Sum of trackedMemory over all clients (not exact between measurements; see evict). */
  total = 0;
  private server: ServerState | null = null;

  attach(server: ServerState): void {
    this.server = server;
  }

  /**
   * Take maxmemory-clients (negative: a percentage of maxmemory) and maxmemory; re-measure
   * every client when the limit is on (applyClientMaxMemoryUsage), forget them when it is off.
   */
  configure(maxmemoryClients: number, maxmemory: number): void {
    let limit = 0;
    if (maxmemoryClients < 0 && maxmemory > 0) limit = Math.floor(maxmemory * -maxmemoryClients / 100);
    else if (maxmemoryClients > 0) limit = maxmemoryClients;
    if (limit !== 0 && limit < MIN_LIMIT) limit = MIN_LIMIT;
    this.limit = limit;
    this.remeasureAll();
  }

  /** Re-measure one client (after a read or a flush). Call only while limit !== 0. */
  update(c: Client): void {
    const mem = c.noEvict || c.closed ? 0 : c.memoryBytes();
    this.total += mem - c.trackedMemory;
    c.trackedMemory = mem;
  }

  /** A client closed or left the evictable set: stop counting it. */
  forget(c: Client): void {
    this.total -= c.trackedMemory;
    c.trackedMemory = 0;
  }

  /** The total has reached the limit (it may be stale-high: evict() checks afresh). */
  over(): boolean {
    return this.limit !== 0 && this.total >= this.limit;
  }

  /** evictClients: close the biggest evictable clients until their total is below the limit. */
  evict(): void {
    const server = this.server!;
    this.remeasureAll();
    if (this.total < this.limit) return;
    const candidates: Client[] = [];
    for (const c of server.clients.values()) if (c.trackedMemory !== 0) candidates.push(c);
    candidates.sort((a, b) => b.trackedMemory - a.trackedMemory);
    for (let i = 0; i < candidates.length && this.total >= this.limit; i++) {
      const c = candidates[i];
      server.logger.info({ client: c.id, addr: c.addr, name: c.name, totMem: c.trackedMemory }, 'Evicting client');
      server.stats.evictedClients++;
      this.forget(c);
      server.killClient(c, 'client eviction (maxmemory-clients)');
    }
    if (this.total >= this.limit) server.logger.warn('Over client maxmemory after evicting all evictable clients');
  }

  private remeasureAll(): void {
    const server = this.server;
    if (server === null) return;
    this.total = 0;
    for (const c of server.clients.values()) {
      c.trackedMemory = 0;
      if (this.limit !== 0) this.update(c);
    }
  }
}
