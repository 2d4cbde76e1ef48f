/*
 * The server: builds the configuration, the store, the command table and the shared reply
 * writer, listens on every bind address (the plain port, and the TLS port when `tls-port` is
 * set: a TLS connection joins the same connection handling once its handshake is done and its
 * client certificate passes tls-auth-clients; tls.ts), admits connections (maxclients, protected mode) and
 * runs the one periodic maintenance tick (clock, active expiry and slab rebalancing within a
 * time budget, idle-client timeouts, the soft output limit of clients that get no new output,
 * ops/s sampling). close() stops accepting, flushes what each client is owed and resolves when
 * every socket is closed.
 *
 * startServer takes redis.conf directives as strings (the same names and value syntax as a
 * config file or CONFIG SET); port '0' picks an ephemeral port, reported in `port`, unless a
 * tls-port is set: then, as in Redis, there is no plain port.
 */
import { performance } from 'node:perf_hooks';
import net from 'node:net';
import tls from 'node:tls';
import { randomBytes } from 'node:crypto';
import { OutputScheduler, flushClient } from './output.ts';
import { ClientEviction } from './client-eviction.ts';
import { Keyspace } from '../store/keyspace.ts';
import { CachedClock } from './clock.ts';
import { Registry, type CommandEntry } from './registry.ts';
import { Settings } from './settings.ts';
import { ConfigStore } from './config-table.ts';
import { createLogger, pinoLevel, type Logger } from './logger.ts';
import { createStats, NO_OBSERVER, type ServerState } from './server-state.ts';
import type { Client } from './client.ts';
import type { Collection } from './types/collection.ts';
import { attachConnection, callCommandGuarded, countErrorReply, resumeAfterOutput, resumeClient, resumePostponed } from './connection.ts';
import { WatchRegistry } from './transactions.ts';
import { PubSub } from './pubsub.ts';
import { Tracking } from './tracking.ts';
import { ClientPause } from './pause.ts';
import { KeyspaceEvents, parseNotifyClasses } from './keyspace-events.ts';
import { registerTransactionCommands } from './commands/transactions.ts';
import { registerPubsubCommands } from './commands/pubsub.ts';
import { registerScriptingCommands } from './commands/scripting.ts';
import { registerConnectionCommands, REDIS_COMPAT_VERSION } from './commands/connection.ts';
import { registerAclCommands, loadAclFile, defaultUserChanged } from './commands/acl.ts';
import { Acl, ACL_ALLCHANNELS } from './acl.ts';
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
import { checkClientCertificate, SessionCache, TLS_CONTEXT_PARAMS, tlsServerOptions, TlsConfigError, type ClientAuth } from './tls.ts';

export interface RunningServer {
  host: string;
  /** The plain RESP port; 0 when only TLS is served (`port 0` with a `tls-port`). */
  port: number;
  /** The TLS RESP port; 0 when it is off. */
  tlsPort: number;
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
/**
 * Milliseconds of each tick the store's maintenance (active expiry, slab rebalancing) may use:
 * Redis's slow expire cycle share of the CPU, 25% at active-expire-effort 1 plus 2 points per
 * step of effort (43% at 10), never the whole loop.
 */
export function maintenanceBudgetMs(effort: number): number {
  return (TICK_MS * (25 + 2 * (effort - 1))) / 100;
}
const DENIED = Buffer.from("-DENIED Redis is running in protected mode because protected mode is enabled and no password is set for the default user. In this mode connections are only accepted from the loopback interface. If you want to connect from external computers to Redis you may adopt one of the following solutions: 1) Just disable protected mode sending the command 'CONFIG SET protected-mode no' from the loopback interface by connecting to Redis from the same host the server is running, however MAKE SURE Redis is not publicly accessible from internet if you do so. Use CONFIG REWRITE to make this change permanent. 2) Alternatively you can just disable the protected mode by editing the Redis configuration file, and setting the protected mode option to 'no', and then restarting the server. 3) If you started the server manually just for testing, restart it with the '--protected-mode no' option. 4) Setup a an authentication password for the default user. NOTE: You only need to do one of the above things in order for the server to start accepting connections from the outside.\r\n");
const MAX_CLIENTS_REACHED = Buffer.from('-ERR max number of clients reached\r\n');

export function buildRegistry(): Registry {
  const registry = new Registry();
  registerConnectionCommands(registry);
  registerAclCommands(registry);
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
 * admit it: maxclients reached, or protected mode (the default user needs no password, client
 * not on loopback).
 */
export function admissionRefusal(settings: Settings, connectedClients: number, remoteAddress: string | undefined, defaultUserNopass: boolean): Buffer | null {
  if (connectedClients >= settings.maxclients) return MAX_CLIENTS_REACHED;
  if (settings.protectedMode && defaultUserNopass && !isLoopback(remoteAddress)) return DENIED;
  return null;
}

/**
 * ACLLoadUsersAtStartup, after requirepass has set the default user's password: the
 * configuration's `user` lines, or the aclfile (not both). Throws what Redis exits with.
 */
function loadUsersAtStartup(state: ServerState): void {
  const { acl, config } = state;
  acl.pubsubDefault = config.value('acl-pubsub-default') === 'allchannels' ? ACL_ALLCHANNELS : 0;
  acl.maxLogLen = Number(config.value('acllog-max-len'));
  acl.updateDefaultPassword(config.value('requirepass'));
  const aclfile = config.value('aclfile');
  if (aclfile !== '' && config.userLines.length > 0) {
    throw new Error('Configuring Redis with users defined in redis.conf and at the same setting an ACL file path is invalid. This setup is very likely to lead to configuration errors and security holes, please define either an ACL file or declare users directly in your redis.conf, but not both.');
  }
  const error = acl.loadConfiguredUsers(config.userLines);
  if (error !== null) throw new Error(`${error}. Critical error while loading ACLs. Exiting.`);
  if (aclfile !== '') {
    const fileError = loadAclFile(state, aclfile);
    if (fileError !== null) throw new Error(`Aborting Redis startup because of ACL errors: ${fileError}`);
  }
}

function ignoreRefusedSocketError(): void {}

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
  const registry = buildRegistry();
  const acl = new Acl(registry);
  config.validateUser = (argv) => acl.validateUserLine(argv);
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
  store.setEvictionTenacity(settings.maxmemoryEvictionTenacity);
  // Eviction that ran out of its time limit goes on next turn (Redis's evictionTimeProc).
  let evictionScheduled = false;
  const continueEviction = (): void => {
    evictionScheduled = false;
    if (store.evictionRunning) store.evictIfNeeded();
  };
  store.onEvictionRunning = () => {
    if (!evictionScheduled) {
      evictionScheduled = true;
      setImmediate(continueEviction);
    }
  };
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
    acl,
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
    commandClock: 0,
    blocking: new BlockingRegistry(),
    clientEviction: new ClientEviction(),
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
  state.output.onRoom = (client) => resumeAfterOutput(state, client);
  state.clientEviction.attach(state);
  state.clientEviction.configure(settings.maxmemoryClients, settings.maxmemory);
  // A new maxmemory-clients or maxmemory applies at the end of this turn (Redis: beforeSleep).
  config.onAnyChange((name) => {
    if (name !== 'maxmemory-clients' && name !== 'maxmemory') return;
    state.clientEviction.configure(settings.maxmemoryClients, settings.maxmemory);
    if (state.clientEviction.over()) state.output.wake();
  });
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
  });
  loadUsersAtStartup(state);
  config.onChange('requirepass', (_name, value) => {
    acl.updateDefaultPassword(value);
    defaultUserChanged(state);
  });
  config.onChange('acl-pubsub-default', (_name, value) => {
    acl.pubsubDefault = value === 'allchannels' ? ACL_ALLCHANNELS : 0;
  });
  // As in Redis, a shorter acllog-max-len trims the log at its next entry.
  config.onChange('acllog-max-len', (_name, value) => {
    acl.maxLogLen = Number(value);
  });

  const onConnection = (socket: net.Socket) => {
    state.stats.connectionsReceived++;
    if (state.shuttingDown) {
      socket.destroy();
      return;
    }
    const refusal = admissionRefusal(settings, state.clients.size, socket.remoteAddress, acl.defaultUser.nopass);
    if (refusal !== null) {
      state.stats.rejectedConnections++;
      // A refused peer that has already reset the connection (its address is then unknown,
      // and it is refused as non-local, as Redis does) fails the write of the refusal: that
      // error ends this socket only. Unhandled, it ended the process.
      socket.on('error', ignoreRefusedSocketError);
      socket.resume();
      socket.end(refusal);
      return;
    }
    const client = attachConnection(state, socket);
    const done = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    closed.add(done);
    void done.then(() => closed.delete(done));
    void client;
  };

  // TLS (tls.ts): built before anything listens, so a bad certificate, key or passphrase
  // fails start-up with one line, as redis-server's "Failed to configure TLS" does.
  const tlsPort = config.number('tls-port');
  let sidecar: Sidecar | null = null;
  const sessions = new SessionCache();
  let tlsOptions: tls.TlsOptions | null = null;
  if (tlsPort !== 0 || settings.metricsTls) {
    try {
      tlsOptions = tlsServerOptions(config, tlsPort !== 0);
    } catch (err) {
      throw new Error(`Failed to configure TLS: ${(err as Error).message}`, { cause: err });
    }
    sessions.configure(config);
  }
  const onSecureConnection = (socket: tls.TLSSocket) => {
    const auth = config.value('tls-auth-clients') as ClientAuth;
    if (!checkClientCertificate(socket, auth)) {
      logger.debug({ addr: `${socket.remoteAddress}:${socket.remotePort}`, reason: socket.authorizationError ?? 'no client certificate' }, 'TLS client refused by tls-auth-clients');
      socket.destroy();
      return;
    }
    onConnection(socket);
  };
  // TCP connections of the TLS listeners: one still handshaking at close() is cut off.
  const tlsSockets = new Set<net.Socket>();
  const createTlsListener = (options: tls.TlsOptions): tls.Server => {
    const server = tls.createServer({ ...options, noDelay: true }, onSecureConnection);
    sessions.attach(server);
    server.on('connection', (socket: net.Socket) => {
      tlsSockets.add(socket);
      socket.once('close', () => tlsSockets.delete(socket));
    });
    server.on('tlsClientError', (err, socket) => {
      logger.debug({ err: err.message, addr: `${socket.remoteAddress}:${socket.remotePort}` }, 'TLS handshake failed');
    });
    return server;
  };

  // `port 0` picks a free port, unless a tls-port is set: then, as in Redis, it serves TLS only.
  const plainOff = settings.port === 0 && tlsPort !== 0;
  const tlsListeners: tls.Server[] = [];
  const bindAll = async (port: number, create: () => net.Server, kind: string): Promise<number> => {
    for (const entry of settings.bind) {
      const optional = entry.startsWith('-');
      let host = optional ? entry.slice(1) : entry;
      if (host === '*') host = '0.0.0.0';
      if (host === '::*') host = '::';
      const server = create();
      try {
        const bound = await listen(server, host, port);
        if (port === 0) port = bound;
        listeners.push(server);
        state.boundAddresses.push(`${host}:${bound}`);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (optional && (code === 'EADDRNOTAVAIL' || code === 'EAFNOSUPPORT')) continue;
        for (const l of listeners) l.close();
        throw new Error(`Could not create server ${kind} listening socket ${host}:${port}: ${(err as Error).message}`);
      }
    }
    return port;
  };
  let firstPort = 0;
  if (!plainOff) firstPort = await bindAll(settings.port, () => net.createServer({ noDelay: true, pauseOnConnect: true }, onConnection), 'TCP');
  if (tlsOptions !== null && tlsPort !== 0) {
    const options = tlsOptions;
    const before = listeners.length;
    await bindAll(tlsPort, () => createTlsListener(options), 'TLS');
    for (const l of listeners.slice(before)) tlsListeners.push(l as tls.Server);
  }
  if (listeners.length === 0) throw new Error('Failed listening on port ' + (plainOff ? tlsPort : settings.port) + ': no bind address could be used');
  // INFO's tcp_port: the plain port, else the TLS one (Redis: `port ? port : tls_port`).
  state.port = plainOff ? tlsPort : firstPort;

  // CONFIG SET of a tls-* parameter rebuilds the context while TLS is in use, as Redis's
  // applyTlsCfg does; a context that cannot be built refuses the change with Redis's words and
  // the reason in the log. Open connections keep the context they were accepted with.
  const applyTls = (): string | undefined => {
    if (tlsListeners.length === 0 && !settings.metricsTls) return undefined;
    let options: tls.TlsOptions;
    try {
      options = tlsServerOptions(config, tlsListeners.length > 0);
    } catch (err) {
      if (!(err instanceof TlsConfigError)) throw err;
      logger.warn({ reason: err.message }, 'Unable to update TLS configuration');
      return 'Unable to update TLS configuration. Check server logs.';
    }
    tlsOptions = options;
    sessions.configure(config);
    for (const server of tlsListeners) server.setSecureContext(options);
    sidecar?.setSecureContext({ ...options, requestCert: false });
    return undefined;
  };
  for (const name of TLS_CONTEXT_PARAMS) config.onChange(name, applyTls);
  // Read per connection; only whether a certificate is asked for lives in the context.
  config.onChange('tls-auth-clients', (_name, value) => {
    if (tlsOptions === null) return undefined;
    tlsOptions = { ...tlsOptions, requestCert: value !== 'no' };
    for (const server of tlsListeners) server.setSecureContext(tlsOptions);
    return undefined;
  });
  // Listening is asynchronous in Node and CONFIG SET is not: the port is fixed at start-up.
  // Without a usable context the refusal is Redis's own (applyTLSPort).
  config.onChange('tls-port', () => {
    try {
      tlsServerOptions(config);
    } catch (err) {
      if (!(err instanceof TlsConfigError)) throw err;
      logger.warn({ reason: err.message }, 'Unable to update TLS configuration');
      return 'Unable to update TLS configuration. Check server logs.';
    }
    return 'tls-port can only be set at start-up in slabcache';
  });

  // The HTTP metrics sidecar (sidecar.ts), on the same addresses; metrics-port 0 turns it off.
  if (settings.metricsPort !== 0) {
    try {
      sidecar = await startSidecar(state, settings.metricsPort, { tls: settings.metricsTls && tlsOptions !== null ? { ...tlsOptions, requestCert: false } : undefined });
    } catch (err) {
      for (const l of listeners) l.close();
      throw err;
    }
  }

  let lastOpsSample = clock.now;
  let lastPeakSample = clock.now;
  let lastTimeoutCheck = clock.now;
  let lastSoftLimitCheck = clock.now;
  const runTick = (): void => {
    const now = clock.refresh();
    const maintenanceStart = performance.now();
    store.maintenance(maintenanceBudgetMs(settings.activeExpireEffort));
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
    if (now - lastSoftLimitCheck >= 1000) {
      lastSoftLimitCheck = now;
      // clientsCron's closeClientOnOutputBufferLimitReached: a client over the soft output limit
      // that gets no new output (it stopped being read) is re-checked, so its seconds run out.
      for (const client of state.clients.values()) if (client.softLimitSince !== 0 && !client.flushQueued) flushClient(state, client);
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
    port: plainOff ? 0 : firstPort,
    tlsPort: tlsListeners.length === 0 ? 0 : tlsPort,
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
        for (const socket of tlsSockets) socket.destroy();
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
      // updateMaxmemory: start evicting toward the new limit (time-limited steps, then next turns).
      store.evictIfNeeded();
      break;
    case 'maxmemory-policy':
      store.setPolicy(settings.maxmemoryPolicy);
      break;
    case 'maxmemory-samples':
      store.setSamples(settings.maxmemorySamples);
      break;
    case 'maxmemory-eviction-tenacity':
      store.setEvictionTenacity(settings.maxmemoryEvictionTenacity);
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
