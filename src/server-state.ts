/*
 * Everything the command handlers share: the store, the output scheduler, the cached clock, the
 * live settings, the client table, the command table and the server-wide counters. One
 * instance per server; handlers reach it through client.server.
 */
import { performance } from 'node:perf_hooks';
import type { Keyspace } from '../store/keyspace.ts';
import type { OutputScheduler } from './output.ts';
import type { WatchRegistry } from './transactions.ts';
import type { PubSub } from './pubsub.ts';
import type { KeyspaceEvents } from './keyspace-events.ts';
import type { Tracking } from './tracking.ts';
import type { ClientPause } from './pause.ts';
import type { CachedClock } from './clock.ts';
import type { Client } from './client.ts';
import type { Registry, CommandEntry } from './registry.ts';
import type { Logger } from './logger.ts';
import type { ConfigStore } from './config-table.ts';
import type { Settings } from './settings.ts';
import type { BlockingRegistry } from './blocking.ts';
import type { Metrics } from './metrics.ts';
import type { Acl } from './acl.ts';
import type { ClientEviction } from './client-eviction.ts';

export interface ServerStats {
  connectionsReceived: number;
  rejectedConnections: number;
  commandsProcessed: number;
  netInputBytes: number;
  netOutputBytes: number;
  /** Socket reads and reply writes (INFO total_reads_processed / total_writes_processed). */
  readsProcessed: number;
  writesProcessed: number;
  /** Time the maintenance tick spent in active expiry and slab upkeep (expire_cycle_cpu_milliseconds). */
  expireCycleUsec: number;
  /** Clients closed by maxmemory-clients (INFO evicted_clients). */
  evictedClients: number;
  /** Per command id: calls, microseconds, rejected and failed calls. */
  calls: Float64Array;
  usec: Float64Array;
  rejectedCalls: Float64Array;
  failedCalls: Float64Array;
  /** Error replies by prefix (INFO errorstats). */
  errors: Map<string, number>;
  resetAt: number;
}

/**
 * Called once per executed command (not for commands rejected by the generic checks), after
 * its handler, with its run time: latency histograms, SLOWLOG, LATENCY and MONITOR hang here.
 * It runs on the command path, so it must stay allocation-free in the common case.
 */
export interface CommandObserver {
  afterCommand(client: Client, cmd: CommandEntry, usec: number): void;
}

export const NO_OBSERVER: CommandObserver = { afterCommand: () => {} };

export interface ServerState {
  readonly store: Keyspace;
  /** Flushes clients with pending output once per event-loop turn (output.ts). */
  readonly output: OutputScheduler;
  /** Every client writer's error hook: counts INFO errorstats. */
  readonly onErrorReply: (bytes: Uint8Array, off: number, len: number) => void;
  /** Run a released client's buffered commands (connection.ts; blocking.ts calls it). */
  resumeClient(client: Client): void;
  /** Run one command whose generic checks passed (EXEC's queued commands; connection.ts). */
  callCommand(client: Client, cmd: CommandEntry): void;
  /** WATCHed keys (transactions.ts). */
  readonly watches: WatchRegistry;
  /** Channels, patterns and message fan-out (pubsub.ts). */
  readonly pubsub: PubSub;
  /** signalModifiedKey and keyspace notifications (keyspace-events.ts). */
  readonly events: KeyspaceEvents;
  /** Client-side caching (tracking.ts). */
  readonly tracking: Tracking;
  /**
   * While a script runs past busy-reply-threshold (suspended between event-loop turns): the
   * -BUSY error every command without the allow-busy flag gets (processCommand's
   * isInsideYieldingLongCommand check), else null.
   */
  busyReply: Uint8Array | null;
  /** CLIENT PAUSE (pause.ts). */
  readonly pause: ClientPause;
  /** Run a client's command postponed by CLIENT PAUSE, then its buffered input (connection.ts). */
  resumePostponed(client: Client): void;
  readonly clock: CachedClock;
  readonly registry: Registry;
  /** ACL users, the ACL log (acl.ts). */
  readonly acl: Acl;
  readonly config: ConfigStore;
  readonly settings: Settings;
  readonly logger: Logger;
  readonly clients: Map<number, Client>;
  readonly stats: ServerStats;
  observer: CommandObserver;
  /** Latency histograms, SLOWLOG, LATENCY events, MONITOR, instantaneous rates (metrics.ts). */
  readonly metrics: Metrics;
  readonly startedAt: number;
  /** TCP ports actually bound (first one is `port`). */
  readonly boundAddresses: string[];
  readonly runId: string;
  port: number;
  shuttingDown: boolean;
  peakMemory: number;
  /** Commands per second over the last sampling window (INFO instantaneous_ops_per_sec). */
  instantaneousOps: number;
  nextClientId: number;
  /** When the cross-protocol warning was last logged (clock ms): at most once a minute, as Redis. */
  lastSecurityWarning: number;
  /** The client whose batch is executing (CLIENT KILL of oneself closes after the reply). */
  currentClient: Client | null;
  /**
   * performance.now() at the end of the last command of the batch executing (its start before
   * the first), 0 outside a batch: a command's duration runs from it, so a pipelined command
   * costs one clock read, not two (connection.ts callCommand).
   */
  commandClock: number;
  /** maxmemory-clients: client memory accounting and eviction (client-eviction.ts). */
  readonly clientEviction: ClientEviction;
  /** Clients blocked in BLPOP & co., ready keys and blocking timeouts (blocking.ts). */
  readonly blocking: BlockingRegistry;
  lastSave: number;
  /** Begin a graceful shutdown (SHUTDOWN command). */
  shutdown(reason: string): void;
  /** Close a client after its pending replies (CLIENT KILL, limits). */
  killClient(client: Client, reason: string): void;
}

export function createStats(commandCount: number, now: number): ServerStats {
  return {
    connectionsReceived: 0,
    rejectedConnections: 0,
    commandsProcessed: 0,
    netInputBytes: 0,
    netOutputBytes: 0,
    readsProcessed: 0,
    writesProcessed: 0,
    expireCycleUsec: 0,
    evictedClients: 0,
    calls: new Float64Array(commandCount),
    usec: new Float64Array(commandCount),
    rejectedCalls: new Float64Array(commandCount),
    failedCalls: new Float64Array(commandCount),
    errors: new Map(),
    resetAt: now,
  };
}

export function resetStats(stats: ServerStats, now: number): void {
  stats.connectionsReceived = 0;
  stats.rejectedConnections = 0;
  stats.commandsProcessed = 0;
  stats.netInputBytes = 0;
  stats.netOutputBytes = 0;
  stats.readsProcessed = 0;
  stats.writesProcessed = 0;
  stats.expireCycleUsec = 0;
  stats.evictedClients = 0;
  stats.calls.fill(0);
  stats.usec.fill(0);
  stats.rejectedCalls.fill(0);
  stats.failedCalls.fill(0);
  stats.errors.clear();
  stats.resetAt = now;
}
