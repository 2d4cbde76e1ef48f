/*
 * The server: builds the configuration, the store, the command table and the shared reply
 * writer, listens on every bind address, admits connections (maxclients, protected mode) and
 * runs the one periodic maintenance tick (clock, active expiry and slab rebalancing within a
 * time budget, idle-client timeouts, ops/s sampling). close() stops accepting, flushes what
 * each client is owed and resolves when every socket is closed.
 *
 * startServer takes redis.conf directives as strings (the same names and value syntax as a
 * config file or CONFIG SET); port '0' picks an ephemeral port, reported in `port`.
 */
import net from 'node:net';
import { randomBytes } from 'node:crypto';
import { OutputScheduler } from './output.ts';
import { Keyspace } from '../store/keyspace.ts';
import { CachedClock } from './clock.ts';
import { Registry, type CommandEntry } from './registry.ts';
import { Settings } from './settings.ts';
import { ConfigStore } from './config-table.ts';
import { createLogger, pinoLevel, type Logger } from './logger.ts';
import { createStats, NO_OBSERVER, type ServerState } from './server-state.ts';
import type { Client } from './client.ts';
import type { Collection } from './commands/collection.ts';
import { attachConnection, callCommandGuarded, countErrorReply, resumeClient, resumePostponed } from './connection.ts';
import { WatchRegistry } from './transactions.ts';
import { PubSub } from './pubsub.ts';
import { Tracking } from './tracking.ts';
import { ClientPause } from './pause.ts';
import { KeyspaceEvents, parseNotifyClasses } from './keyspace-events.ts';
import { registerTransactionCommands } from './commands/transactions.ts';
import { registerPubsubCommands } from './commands/pubsub.ts';
import { registerScriptingCommands } from './commands/scripting.ts';
import { registerConnectionCommands, REDIS_COMPAT_VERSION } from './commands/connection.ts';
import packageJson from '../package.json' with { type: 'json' };
import { registerServerCommands } from './commands/server.ts';
import { registerStringCommands } from './commands/strings.ts';
import { registerKeyCommands } from './commands/keys.ts';
import { registerDumpCommands } from './commands/dump.ts';
import { registerListCommands } from './commands/lists.ts';
import { registerSortCommands } from './commands/sort.ts';
import { BlockingRegistry } from './blocking.ts';
import { registerHashCommands } from './commands/hashes.ts';
import { registerSetCommands } from './commands/sets.ts';
import { registerZsetCommands } from './commands/zsets.ts';
import { registerGeoCommands } from './commands/geo.ts';
import { registerStreamCommands } from './commands/streams.ts';
import { registerBitmapCommands } from './commands/bitmaps.ts';
import { registerHyperLogLogCommands } from './commands/hyperloglog.ts';
import { registerIntrospectionCommands } from './commands/introspection.ts';
import { Metrics, METRIC_COMMAND } from './metrics.ts';
import { startSidecar, type Sidecar } from './sidecar.ts';

export interface RunningServer {
  host: string;
  port: number;
  /** The HTTP sidecar's port; 0 when it is off. */
  metricsPort: number;
  readonly state: ServerState;
  close(): Promise<void>;
}

export interface StartOptions {
  logger?: Logger;
  /** A configuration in redis.conf syntax, applied before `directives` (throws ConfigError). */
  configText?: string;
  /** Where the configuration came from, for error messages and the start-up log line. */
  configSource?: string;
}

const DEFAULT_BIND = '127.0.0.1 -::1';
const TICK_MS = 10;
/** How long close() lets clients take their pending replies before cutting them off. */
const CLOSE_GRACE_MS = 2000;
/** Share of each tick the store's maintenance may use (Redis's active-expire 25% CPU budget). */
const MAINTENANCE_SHARE = 0.25;
const DENIED = Buffer.from("-DENIED Redis is running in protected mode because protected mode is enabled and no password is set for the default user. In this mode connections are only accepted from the loopback interface. If you want to connect from external computers to Redis you may adopt one of the following solutions: 1) Just disable protected mode sending the command 'CONFIG SET protected-mode no' from the loopback interface by connecting to Redis from the same host the server is running, however MAKE SURE Redis is not publicly accessible from internet if you do so. Use CONFIG REWRITE to make this change permanent. 2) Alternatively you can just disable the protected mode by editing the Redis configuration file, and setting the protected mode option to 'no', and then restarting the server. 3) If you started the server manually just for testing, restart it with the '--protected-mode no' option. 4) Setup a an authentication password for the default user. NOTE: You only need to do one of the above things in order for the server to start accepting connections from the outside.\r\n");
const MAX_CLIENTS_REACHED = Buffer.from('-ERR max number of clients reached\r\n');

export function buildRegistry(): Registry {
  const registry = new Registry();
  registerConnectionCommands(registry);
  registerServerCommands(registry);
  registerStringCommands(registry);
  registerKeyCommands(registry);
  registerDumpCommands(registry);
  registerListCommands(registry);
  registerSortCommands(registry);
  registerHashCommands(registry);
  registerSetCommands(registry);
  registerZsetCommands(registry);
  registerGeoCommands(registry);
  registerStreamCommands(registry);
  registerBitmapCommands(registry);
  registerHyperLogLogCommands(registry);
  registerIntrospectionCommands(registry);
  registerTransactionCommands(registry);
  registerPubsubCommands(registry);
  registerScriptingCommands(registry);
  return registry;
}

/**
 * Why a new connection is refused, as the bytes Redis sends before closing it, or null to
 * admit it: maxclients reached, or protected mode (no password, client not on loopback).
 */
export function admissionRefusal(settings: Settings, connectedClients: number, remoteAddress: string | undefined): Buffer | null {
  if (connectedClients >= settings.maxclients) return MAX_CLIENTS_REACHED;
  if (settings.protectedMode && settings.requirepass === '' && !isLoopback(remoteAddress)) return DENIED;
  return null;
}

function isLoopback(address: string | undefined): boolean {
  if (address === undefined) return false;
  return address === '::1' || address.startsWith('127.') || address.startsWith('::ffff:127.');
}

/** Listen on one address; resolves with the bound port, rejects with the listen error. */
function listen(server: net.Server, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error) => reject(err);
    server.once('error', onError);
    server.listen({ host, port, exclusive: true, ipv6Only: host.includes(':') }, () => {
      server.off('error', onError);
      resolve((server.address() as net.AddressInfo).port);
    });
  });
}

export async function startServer(directives: Record<string, string> = {}, options: StartOptions = {}): Promise<RunningServer> {
  const settings = new Settings();
  const config = new ConfigStore();
  // Redis's compiled-in bind is "* -::*"; slabcache starts on loopback, as redis.conf ships.
  config.set([['bind', DEFAULT_BIND]], { startup: true });
  if (options.configText !== undefined) config.loadConfigText(options.configText, options.configSource ?? 'command line');
  const error = config.set(Object.entries(directives), { startup: true });
  if (error !== null) throw new Error(error);
  config.onAnyChange((name, value) => settings.apply(name, value));
  const refused = config.applyAll();
  if (refused !== null) throw new Error(refused);
  if (settings.httpApiToken !== '' && settings.metricsPort === 0) throw new Error('http-api-token needs the sidecar: the REST API is served on metrics-port, which is 0 (off)');
  settings.configFile = options.configSource ?? '';

  const logger = options.logger ?? createLogger(settings.loglevel);
  config.onChange('loglevel', (_name, value) => {
    logger.level = pinoLevel(value);
  });
  const clock = new CachedClock();
  const store = new Keyspace({
    shards: settings.shards,
    databases: settings.databases,
    pageSize: 1 << 20,
    growthFactor: 1.25,
    maxmemory: settings.maxmemory,
    policy: settings.maxmemoryPolicy,
    samples: settings.maxmemorySamples,
    lfuLogFactor: settings.lfuLogFactor,
    lfuDecayTime: settings.lfuDecayTime,
    activeExpireEffort: settings.activeExpireEffort,
  }, clock);
  store.cloneObject = (value) => (value as Collection).clone();
  const registry = buildRegistry();
  const metrics = new Metrics(registry, config, clock);
  metrics.noteStartup(store);
  const events = new KeyspaceEvents();
  const listeners: net.Server[] = [];
  const closed = new Set<Promise<void>>();

  const state: ServerState = {
    store,
    output: new OutputScheduler(),
    onErrorReply: (bytes: Uint8Array, off: number, len: number) => countErrorReply(state, bytes, off, len),
    resumeClient: (client: Client) => resumeClient(state, client),
    clock,
    registry,
    config,
    settings,
    logger,
    clients: new Map(),
    stats: createStats(registry.all.length, clock.now),
    observer: NO_OBSERVER,
    metrics,
    startedAt: clock.now,
    boundAddresses: [],
    runId: randomBytes(20).toString('hex'),
    port: settings.port,
    shuttingDown: false,
    peakMemory: 0,
    instantaneousOps: 0,
    nextClientId: 1,
    lastSecurityWarning: -Infinity,
    currentClient: null,
    blocking: new BlockingRegistry(),
    callCommand: (client: Client, cmd: CommandEntry) => callCommandGuarded(state, client, cmd),
    watches: new WatchRegistry(store, () => events.updateRemovalHook()),
    pubsub: new PubSub(),
    events,
    tracking: new Tracking(),
    pause: new ClientPause(),
    busyReply: null,
    resumePostponed: (client: Client) => resumePostponed(state, client),
    lastSave: clock.now,
    shutdown: (reason: string) => {
      logger.info({ reason }, 'shutting down');
      void running.close().then(() => process.emit('slabcache:shutdown' as never));
    },
    killClient: (client: Client, reason: string) => {
      if (client.closed) return;
      state.blocking.disconnect(client);
      logger.info({ client: client.id, addr: client.addr, reason }, 'closing client');
      if (client === state.currentClient) client.endAfterReply();
      else {
        client.closed = true;
        client.reply.dispose();
        client.socket.destroy();
      }
    },
  };

  state.output.attach(state);
  state.blocking.attach(state);
  events.attach(state);
  state.tracking.attach(state);
  state.pause.attach(state);
  events.setClasses(parseNotifyClasses(config.value('notify-keyspace-events')));
  config.onChange('notify-keyspace-events', (_name, value) => events.setClasses(parseNotifyClasses(value)));
  state.observer = metrics;
  config.onAnyChange((name) => applyToStore(state, name));
  config.onAnyChange((name, value) => {
    if (name === 'proto-max-bulk-len') for (const client of state.clients.values()) client.parser.maxBulkLen = Number(value);
    if (name === 'requirepass' && value === '') {
      for (const client of state.clients.values()) {
        client.authenticated = true;
        client.parser.authenticated = true;
      }
    }
  });

  const onConnection = (socket: net.Socket) => {
    state.stats.connectionsReceived++;
    if (state.shuttingDown) {
      socket.destroy();
      return;
    }
    const refusal = admissionRefusal(settings, state.clients.size, socket.remoteAddress);
    if (refusal !== null) {
      state.stats.rejectedConnections++;
      socket.end(refusal);
      return;
    }
    const client = attachConnection(state, socket);
    const done = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    closed.add(done);
    void done.then(() => closed.delete(done));
    void client;
  };

  let firstPort = settings.port;
  for (const entry of settings.bind) {
    const optional = entry.startsWith('-');
    let host = optional ? entry.slice(1) : entry;
    if (host === '*') host = '0.0.0.0';
    if (host === '::*') host = '::';
    const server = net.createServer({ noDelay: true }, onConnection);
    try {
      const port = await listen(server, host, firstPort);
      if (firstPort === 0) firstPort = port;
      listeners.push(server);
      state.boundAddresses.push(`${host}:${port}`);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (optional && (code === 'EADDRNOTAVAIL' || code === 'EAFNOSUPPORT')) continue;
      for (const l of listeners) l.close();
      throw new Error(`Could not create server TCP listening socket ${host}:${firstPort}: ${(err as Error).message}`);
    }
  }
  if (listeners.length === 0) throw new Error('Failed listening on port ' + settings.port + ': no bind address could be used');
  state.port = firstPort;
  // The HTTP metrics sidecar (sidecar.ts), on the same addresses; metrics-port 0 turns it off.
  let sidecar: Sidecar | null = null;
  if (settings.metricsPort !== 0) {
    try {
      sidecar = await startSidecar(state, settings.metricsPort);
    } catch (err) {
      for (const l of listeners) l.close();
      throw err;
    }
  }

  let lastOpsSample = clock.now;
  let lastPeakSample = clock.now;
  let lastTimeoutCheck = clock.now;
  const runTick = (): void => {
    const now = clock.refresh();
    const maintenanceStart = performance.now();
    store.maintenance(TICK_MS * MAINTENANCE_SHARE * settings.activeExpireEffort);
    state.stats.expireCycleUsec += (performance.now() - maintenanceStart) * 1000;
    if (now - lastOpsSample >= 100) {
      // Redis samples its instantaneous rates every 100 ms and reports the mean of the last 16.
      lastOpsSample = now;
      const stats = state.stats;
      metrics.sampleInstantaneous(now, stats.commandsProcessed, stats.netInputBytes, stats.netOutputBytes);
      state.instantaneousOps = metrics.instantaneous(METRIC_COMMAND);
    }
    if (now - lastPeakSample >= 1000) {
      lastPeakSample = now;
      state.peakMemory = Math.max(state.peakMemory, store.usedMemory());
    }
    if (settings.timeout > 0 && now - lastTimeoutCheck >= 1000) {
      lastTimeoutCheck = now;
      for (const client of state.clients.values()) {
        // Blocked clients and Pub/Sub subscribers are never idle (timeout.c skips both).
        if (client.blocked === null && client.subscriptionCount() === 0 && now - client.lastInteraction > settings.timeout * 1000) {
          client.closed = true;
          client.reply.dispose();
          client.socket.destroy();
        }
      }
    }
  };
  // A fault in the periodic work is logged and the server keeps serving.
  const tick = setInterval(() => {
    try {
      runTick();
    } catch (err) {
      logger.error({ err }, 'internal error in the maintenance tick');
    }
  }, TICK_MS);

  let closing: Promise<void> | null = null;
  const running: RunningServer = {
    host: state.boundAddresses[0].slice(0, state.boundAddresses[0].lastIndexOf(':')),
    port: firstPort,
    metricsPort: sidecar === null ? 0 : settings.metricsPort,
    state,
    close: () => {
      closing ??= (async () => {
        state.shuttingDown = true;
        state.output.flushAll();
        clearInterval(tick);
        state.blocking.close();
        // server.close() calls back only once every connection is gone: stop accepting first,
        // end the clients (their pending replies are flushed), then wait for both.
        const stopped = Promise.all(listeners.map((l) => new Promise<void>((resolve) => l.close(() => resolve()))));
        for (const client of state.clients.values()) {
          // A client held back by backpressure still has commands owed a reply: it is ended
          // once they have drained (connection.ts), within the grace period.
          if (!client.paused && !client.yielding) client.socket.end();
        }
        const timer = setTimeout(() => {
          for (const client of state.clients.values()) client.socket.destroy();
        }, CLOSE_GRACE_MS);
        await Promise.all([...closed]);
        clearTimeout(timer);
        await stopped;
        // Last: /healthz answers 503 while the clients drain.
        await sidecar?.close();
      })();
      return closing;
    },
  };
  logger.info({ version: packageJson.version, redisCompatibility: REDIS_COMPAT_VERSION, addresses: state.boundAddresses, config: options.configSource ?? 'embedded defaults and command line' }, 'slabcache ready to accept connections');
  return running;
}

function applyToStore(state: ServerState, name: string): void {
  const { store, settings } = state;
  switch (name) {
    case 'maxmemory':
      store.setMaxmemory(settings.maxmemory);
      // updateMaxmemory: evict down to the new limit at once.
      store.evictIfNeeded();
      break;
    case 'maxmemory-policy':
      store.setPolicy(settings.maxmemoryPolicy);
      break;
    case 'maxmemory-samples':
      store.setSamples(settings.maxmemorySamples);
      break;
    case 'lfu-log-factor':
      store.setLfuLogFactor(settings.lfuLogFactor);
      break;
    case 'lfu-decay-time':
      store.setLfuDecayTime(settings.lfuDecayTime);
      break;
    case 'active-expire-effort':
      store.setActiveExpireEffort(settings.activeExpireEffort);
      break;
    default:
      break;
  }
}
