/*
 * slabcache's public API, what `import { startServer } from 'slabcache'` gives: a real
 * Redis-protocol server started inside the calling process, for test suites (the replacement
 * for a mock) and for applications that embed their cache.
 *
 * Defaults suit a test suite rather than a deployment: a free port on 127.0.0.1, no HTTP
 * sidecar (metrics-port 0) and warnings only in the log, so several servers can run in one
 * process; each has its own store, clients and settings. close() releases every handle and
 * timer (listener, sidecar, maintenance tick), so a process that closes its servers exits by
 * itself.
 *
 * The RESP parser and encoder stay internal: their fast paths reuse per-connection state that
 * a stable public surface would have to freeze.
 */
import pino, { type Logger } from 'pino';
import { startServer as startRuntime } from './server.ts';
import { pinoLevel } from './logger.ts';
import type { ConfigOptions } from './config-options.ts';

export type { ConfigOptions, MemoryUnit } from './config-options.ts';

export interface ServerOptions extends ConfigOptions {
  /**
   * A pino logger for the server's log lines; `false` for none. By default, JSON lines on
   * standard output at the `loglevel` option's level (default `warning`).
   */
  logger?: Logger | false;
}

export interface SlabcacheServer {
  /** The address clients connect to (the first `bind` address). */
  readonly host: string;
  /**
   * The RESP port (the one picked when `port` was 0, the default); 0 when only TLS is served
   * (`port` 0, the default, with a `tls-port`).
   */
  readonly port: number;
  /** The TLS RESP port (`tls-port`), or 0 when TLS is off (the default). */
  readonly tlsPort: number;
  /** `redis://host:port` (`rediss://host:tlsPort` when only TLS is served), for ioredis, node-redis, BullMQ and friends. */
  readonly url: string;
  /** The HTTP sidecar's port, or 0 when it is off (the default). */
  readonly metricsPort: number;
  /** Closes clients (after their pending replies), listeners, the sidecar and every timer. */
  close(): Promise<void>;
}

const EMBEDDED_DEFAULTS: Record<string, string> = {
  port: '0',
  bind: '127.0.0.1',
  'metrics-port': '0',
  loglevel: 'warning',
};

function directiveValue(value: unknown): string {
  if (value === true) return 'yes';
  if (value === false) return 'no';
  return String(value);
}

/** Start a server in this process; rejects with the config error's text for a bad option. */
export async function startServer(options: ServerOptions = {}): Promise<SlabcacheServer> {
  const directives: Record<string, string> = { ...EMBEDDED_DEFAULTS };
  let logger: Logger | undefined;
  for (const [name, value] of Object.entries(options)) {
    if (name === 'logger') continue;
    if (value !== undefined) directives[name] = directiveValue(value);
  }
  if (options.logger === false) logger = pino({ level: 'silent' });
  else if (options.logger !== undefined) logger = options.logger;
  else logger = pino({ level: pinoLevel(directives['loglevel']), base: { pid: process.pid } });
  const running = await startRuntime(directives, { logger });
  const host = running.host;
  return {
    host,
    port: running.port,
    tlsPort: running.tlsPort,
    url: `${running.port === 0 ? 'rediss' : 'redis'}://${host.includes(':') ? `[${host}]` : host}:${running.port === 0 ? running.tlsPort : running.port}`,
    metricsPort: running.metricsPort,
    close: () => running.close(),
  };
}
