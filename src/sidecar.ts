/*
 * The HTTP metrics sidecar: a node:http server beside the RESP listener, on the same bind
 * addresses, port `metrics-port` (default 9121, redis_exporter's; 0 = off). Its pages only read.
 *
 *   GET /metrics  Prometheus text exposition (metrics-page.ts)
 *   GET /healthz  200 while accepting connections, 503 once shutdown has begun
 *   GET /info     every INFO section as JSON: {"server": {"redis_version": "7.0.15", ...}, ...}
 *
 * Never stalling the RESP side: pages are built by generators that do a bounded step per
 * call, and one scheduler runs steps for all pending requests, at most SLICE_BUDGET_MS per
 * event-loop turn (setImmediate, so socket I/O and RESP batches run between slices). Requests
 * are served in arrival order; the text goes out in chunks as it is made. The longest slice of
 * each page is kept (slabcache_scrape_last_max_slice_seconds; bench/scrape-stall.ts).
 *
 * With `http-api-token` set, every other request goes to the REST API (rest-api.ts), which
 * asks for the token; these three pages stay as they are, without it.
 *
 * HTTP/1.1 and HTTP/2 in cleartext (h2c with prior knowledge) share the port: the node:http
 * server listens, and each connection's first bytes are compared with HTTP/2's client
 * preface; an HTTP/2 one goes to a node:http2 server instead. Both call the same request
 * handler (HTTP/2 through its compatibility API).
 *
 * With `metrics-tls yes` the port serves HTTPS instead, with the RESP side's certificate
 * (tls-cert-file, tls.ts; no client certificate is asked for): node:https, or, with the REST
 * API on, node:http2's secure server with HTTP/1.1 allowed, the protocol chosen by ALPN (h2,
 * else http/1.1). A CONFIG SET of the tls-* files swaps its context as it does the RESP port's.
 *
 * Bounded per client: a page is made only as fast as its client reads it (a write the socket
 * or stream cannot take parks the page until 'drain'), and a connection with more than
 * MAX_PAGES_PER_CONNECTION pages, or more REST requests than MAX_REST_PIPELINED (HTTP/1.1) or
 * MAX_STREAMS_PER_SESSION (HTTP/2), pending is closed. Without that, one connection sending
 * pipelined GET /metrics without reading grew the server by about 55 KB per 33-byte request,
 * and pipelined REST GETs of a 2 MB value by 2 MB or more each, to gigabytes.
 *
 * Lifecycle: startSidecar() resolves once every address listens (rejects, with nothing left
 * open, if one cannot); close() drops pending pages and open connections.
 */
import { performance } from 'node:perf_hooks';
import http from 'node:http';
import https from 'node:https';
import http2 from 'node:http2';
import type { AddressInfo, Server as NetServer, Socket } from 'node:net';
import type { TlsOptions } from 'node:tls';
import type { ServerState } from './server-state.ts';
import { PromWriter } from './prometheus.ts';
import { RuntimeMonitor } from './runtime-monitor.ts';
import { metricsPage, type ScrapeStats } from './metrics-page.ts';
import { infoSection } from './commands/server.ts';
import { createRestApi, type RestApi } from './rest-api.ts';

/**
 * Time one event-loop turn spends on pages before yielding. A turn overruns it by at most one
 * step (~0.1 ms: 128 series, or 32 commands of an INFO section); the bound is 1 ms.
 */
const SLICE_BUDGET_MS = 0.15;
/** Write the text made so far once it passes this many characters. */
const FLUSH_CHARS = 32 * 1024;
/**
 * Connections beyond this are refused (a scraper per Prometheus replica is the usual load);
 * with the REST API on, maxclients instead.
 */
const MAX_CONNECTIONS = 64;
/**
 * Pages (/metrics, /info) one connection may have unfinished: an HTTP/1.1 client pipelining
 * more, or an HTTP/2 client with more streams open on them, is disconnected. A scraper has one.
 */
const MAX_PAGES_PER_CONNECTION = 16;
/**
 * REST requests one connection may have unanswered or unread: HTTP/1.1 requests pipelined
 * behind each other, or HTTP/2 streams (the number each session announces as its
 * SETTINGS_MAX_CONCURRENT_STREAMS, so a client keeps to it by itself). Past it the connection
 * is closed. Each reply is bounded by the normal client-output-buffer-limit (rest-api.ts), so
 * this bounds what one connection holds: 1,000 pipelined GETs of a 2 MB value, never read,
 * took the server past 3 GB; 128 of them still made 1.2 GB.
 */
const MAX_REST_PIPELINED = 16;
const MAX_STREAMS_PER_SESSION = 32;
/** An HTTP/2 session idle this long is closed. */
const H2_IDLE_MS = 60_000;
/** The first bytes an HTTP/2 client sends with prior knowledge (RFC 9113 3.4). */
const H2_PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');
/** Lines of an INFO section turned into JSON per step. */
const INFO_LINES_PER_STEP = 100;
/** INFO sections with a line per command, and how many commands' lines a step makes. */
const PER_COMMAND_SECTIONS = new Set(['commandstats', 'latencystats']);
const COMMANDS_PER_INFO_STEP = 32;
/** INFO everything, in Redis 7's order; sections this server does not have are skipped. */
const INFO_SECTIONS = ['server', 'clients', 'memory', 'persistence', 'stats', 'replication', 'cpu', 'modules', 'commandstats', 'errorstats', 'latencystats', 'cluster', 'keyspace'];

const PROMETHEUS_TEXT = 'text/plain; version=0.0.4; charset=utf-8';

export interface SliceProbe {
  start(): void;
  end(ms: number): void;
}

export interface SidecarOptions {
  /** Addresses to listen on; default: every host the RESP side listens on. */
  hosts?: string[];
  /** Told when each synchronous slice the sidecar runs begins and ends (bench/scrape-stall.ts). */
  probe?: SliceProbe;
  /** Serve HTTPS with these options (tls.ts's tlsServerOptions) instead of cleartext HTTP. */
  tls?: TlsOptions;
}

export interface Sidecar {
  /** host:port of each listening socket. */
  readonly addresses: string[];
  readonly port: number;
  /** Figures about the pages served so far (also printed on /metrics). */
  readonly scrape: Readonly<ScrapeStats> & { readonly worstSliceMs: number };
  /** Swap the HTTPS listeners' certificate and settings (no-op in cleartext). */
  setSecureContext(options: TlsOptions): void;
  close(): Promise<void>;
}

/** A page being built: a generator writing into `buf`, streamed to `res`. */
interface Job {
  readonly res: http.ServerResponse;
  readonly gen: Generator<void, void, void>;
  readonly buf: { text: string };
  readonly startedAt: number;
  maxSliceMs: number;
  /** The client went away before the last byte. */
  aborted: boolean;
  readonly onDone: (job: Job) => void;
}

/** Runs the steps of pending jobs within SLICE_BUDGET_MS per event-loop turn, FIFO. */
class SliceScheduler {
  private readonly queue: Job[] = [];
  private scheduled = false;
  worstSliceMs = 0;
  private readonly onError: (err: unknown) => void;
  readonly probe: SliceProbe | undefined;

  constructor(onError: (err: unknown) => void, probe: SliceProbe | undefined) {
    this.onError = onError;
    this.probe = probe;
  }

  add(job: Job): void {
    this.queue.push(job);
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(this.pump);
    }
  }

  /** Record a synchronous slice spent outside pump() (a request handler). */
  note(ms: number): void {
    if (ms > this.worstSliceMs) this.worstSliceMs = ms;
    this.probe?.end(ms);
  }

  /** Out of the queue until the client has read what its response holds. */
  private park(job: Job): void {
    job.res.once('drain', () => {
      if (!job.aborted) this.add(job);
    });
  }

  cancelAll(): void {
    for (const job of this.queue.splice(0)) {
      job.aborted = true;
      job.gen.return();
      job.res.destroy();
    }
  }

  private readonly pump = (): void => {
    this.scheduled = false;
    this.probe?.start();
    const t0 = performance.now();
    const deadline = t0 + SLICE_BUDGET_MS;
    const ran: Job[] = [];
    const finished: Job[] = [];
    while (this.queue.length > 0) {
      const job = this.queue[0];
      if (job.aborted) {
        this.queue.shift();
        job.gen.return();
        continue;
      }
      if (ran[ran.length - 1] !== job) ran.push(job);
      let done: boolean;
      try {
        done = job.gen.next().done === true;
      } catch (err) {
        this.queue.shift();
        job.res.destroy();
        this.onError(err);
        continue;
      }
      let full = false;
      if (done || job.buf.text.length >= FLUSH_CHARS) {
        const text = job.buf.text;
        job.buf.text = '';
        if (text !== '') full = !job.res.write(text);
      }
      if (done) {
        this.queue.shift();
        job.res.end();
        finished.push(job);
      } else if (full) {
        this.queue.shift();
        this.park(job);
      }
      if (performance.now() >= deadline) break;
    }
    const ms = performance.now() - t0;
    this.note(ms);
    for (const job of ran) if (ms > job.maxSliceMs) job.maxSliceMs = ms;
    for (const job of finished) job.onDone(job);
    if (this.queue.length > 0 && !this.scheduled) {
      this.scheduled = true;
      setImmediate(this.pump);
    }
  };
}

// ---- /info ----

const NUMBER = /^-?(0|[1-9][0-9]*)(\.[0-9]+)?$/;
const SUBFIELD = /^[A-Za-z0-9_.|-]+=/;

/** An INFO value as JSON: numbers when they read back exactly, `a=1,b=2` as an object. */
function infoValue(text: string): unknown {
  if (text.includes('=')) {
    const parts = text.split(',');
    if (parts.every((p) => SUBFIELD.test(p))) {
      const obj: Record<string, unknown> = {};
      for (const p of parts) {
        const eq = p.indexOf('=');
        obj[p.slice(0, eq)] = infoScalar(p.slice(eq + 1));
      }
      return obj;
    }
  }
  return infoScalar(text);
}

function infoScalar(text: string): string | number {
  if (!NUMBER.test(text)) return text;
  const n = Number(text);
  return text.includes('.') || Number.isSafeInteger(n) ? n : text;
}

/**
 * INFO everything as one JSON object of sections, each an object of its `field:value` lines.
 * A step is one section's text (infoSection) or INFO_LINES_PER_STEP of its lines.
 */
function* infoJson(state: ServerState, buf: { text: string }): Generator<void, void, void> {
  let firstSection = true;
  buf.text += '{';
  for (const name of INFO_SECTIONS) {
    let opened = false;
    let fields = 0;
    for (const text of infoSectionParts(state, name)) {
      if (text !== null) {
        if (!opened) {
          buf.text += (firstSection ? '' : ',') + JSON.stringify(name) + ':{';
          opened = true;
          firstSection = false;
        }
        const lines = text.split('\r\n');
        for (let i = 0; i < lines.length; i++) {
          const line = lines[i];
          const colon = line.indexOf(':');
          if (colon > 0 && !line.startsWith('#')) {
            buf.text += (fields++ === 0 ? '' : ',') + JSON.stringify(line.slice(0, colon)) + ':' + JSON.stringify(infoValue(line.slice(colon + 1)));
          }
          if ((i + 1) % INFO_LINES_PER_STEP === 0) yield;
        }
      }
      yield;
    }
    if (opened) buf.text += '}';
  }
  buf.text += '}\n';
}

/**
 * One INFO section's text, in parts small enough for a step: the sections with a line per
 * command (commandstats, latencystats: ~5 us a command for latencystats' percentiles) are
 * made COMMANDS_PER_INFO_STEP commands at a time, by handing infoSection a view of the state
 * whose command table is that run of commands. Yields null for a section this server lacks.
 */
function* infoSectionParts(state: ServerState, name: string): Generator<string | null, void, void> {
  if (!PER_COMMAND_SECTIONS.has(name)) {
    yield infoSection(state, name);
    return;
  }
  const all = state.registry.all;
  for (let from = 0; from === 0 || from < all.length; from += COMMANDS_PER_INFO_STEP) {
    const view = Object.create(state) as ServerState;
    Object.defineProperty(view, 'registry', { value: { all: all.slice(from, from + COMMANDS_PER_INFO_STEP) } });
    yield infoSection(view, name);
  }
}

// ---- the server ----

/** Hosts of the RESP listeners ('host:port' entries), each once. */
function hostsOf(boundAddresses: readonly string[]): string[] {
  const hosts: string[] = [];
  for (const a of boundAddresses) {
    const host = a.slice(0, a.lastIndexOf(':'));
    if (!hosts.includes(host)) hosts.push(host);
  }
  return hosts;
}

function listen(server: NetServer, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error) => reject(err);
    server.once('error', onError);
    server.listen({ host, port, exclusive: true, ipv6Only: host.includes(':') }, () => {
      server.off('error', onError);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

function plain(res: http.ServerResponse, status: number, body: string, head: boolean, extra: Record<string, string> = {}): void {
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': Buffer.byteLength(body), ...extra });
  res.end(head ? undefined : body);
}

const INDEX = 'slabcache metrics sidecar\n\n/metrics  Prometheus text exposition\n/healthz  200 while accepting connections, 503 while shutting down\n/info     INFO sections as JSON\n';
const REST_INDEX = INDEX + '\nREST API (Authorization: Bearer <token>): POST / ["CMD","arg",...], POST /pipeline, POST /multi-exec, GET /cmd/arg/...\n';

type Request = http.IncomingMessage | http2.Http2ServerRequest;
/** What carries a request: an HTTP/1.1 connection's socket, or an HTTP/2 session (its stream once the session is gone). */
type Connection = Socket | http2.Http2Session | http2.Http2Stream;

function connectionOf(request: Request): Connection {
  return 'stream' in request ? (request.stream.session ?? request.stream) : request.socket;
}
type Response = http.ServerResponse | http2.Http2ServerResponse;

/**
 * Count one more unfinished request on its connection in `pending` (uncounted when its response
 * closes), or, past `limit`, close the connection instead and return false.
 */
function admitPending(pending: WeakMap<Connection, number>, request: Request, response: Response, limit: number, state: ServerState, what: string): boolean {
  const connection = connectionOf(request);
  const count = (pending.get(connection) ?? 0) + 1;
  if (count > limit) {
    state.logger.debug({ pending: count }, `${what}: too many requests pending on one connection; closing it`);
    connection.destroy();
    return false;
  }
  pending.set(connection, count);
  response.on('close', () => pending.set(connection, (pending.get(connection) ?? 1) - 1));
  return true;
}

/**
 * Let `server` (node:http, listening) pass HTTP/2 connections to `h2`: its 'connection'
 * handler runs once a socket's first bytes show HTTP/1.1; HTTP/2 sockets go to `h2`. The
 * bytes read are put back (unshift) for the chosen server to parse. `others` holds the
 * sockets node:http does not know of (not yet sorted, or HTTP/2), for close() to destroy.
 */
function divertHttp2(server: http.Server, h2: http2.Http2Server, others: Set<Socket>): void {
  const h1Connection = server.listeners('connection') as Array<(socket: Socket) => void>;
  server.removeAllListeners('connection');
  server.on('connection', (socket: Socket) => {
    others.add(socket);
    socket.once('close', () => others.delete(socket));
    socket.on('error', () => {
      // Reset by the peer before a server took it: 'close' follows.
    });
    // A peer that sends nothing is dropped as node:http drops one that sends no headers.
    socket.setTimeout(server.headersTimeout, () => socket.destroy());
    let head: Buffer = Buffer.alloc(0);
    const onData = (chunk: Buffer): void => {
      head = head.length === 0 ? chunk : Buffer.concat([head, chunk]);
      const n = Math.min(head.length, H2_PREFACE.length);
      const isH2 = head.subarray(0, n).equals(H2_PREFACE.subarray(0, n));
      if (isH2 && n < H2_PREFACE.length) return;
      socket.off('data', onData);
      socket.setTimeout(0);
      socket.pause();
      socket.unshift(head);
      if (isH2) {
        // The HTTP/2 session reads what was put back itself on its next tick.
        h2.emit('connection', socket);
      } else {
        others.delete(socket);
        for (const listener of h1Connection) listener.call(server, socket);
        socket.resume();
      }
    };
    socket.on('data', onData);
  });
}

/**
 * Serve /metrics, /healthz and /info for `state` on `port` at every host the RESP side listens
 * on. Rejects if an address cannot be bound; nothing stays open then.
 */
export async function startSidecar(state: ServerState, port: number, options: SidecarOptions = {}): Promise<Sidecar> {
  const hosts = options.hosts ?? hostsOf(state.boundAddresses);
  const runtime = new RuntimeMonitor();
  const scrape = { scrapes: 0, lastDurationMs: 0, lastMaxSliceMs: 0, worstSliceMs: 0 };
  const scheduler = new SliceScheduler((err) => state.logger.error({ err }, 'metrics sidecar: page failed'), options.probe);
  const pageDone = (job: Job) => {
    scrape.scrapes++;
    scrape.lastDurationMs = performance.now() - job.startedAt;
    scrape.lastMaxSliceMs = job.maxSliceMs;
    scrape.worstSliceMs = scheduler.worstSliceMs;
  };
  const infoDone = () => {
    scrape.worstSliceMs = scheduler.worstSliceMs;
  };

  const token = state.settings.httpApiToken;
  const rest: RestApi | null = token === '' ? null : createRestApi(state, token, state.settings.httpApiMaxBodySize);

  /** Unfinished pages, and REST requests, per connection (an HTTP/1.1 socket, or an HTTP/2 session). */
  const pagesPending = new WeakMap<Connection, number>();
  const restPending = new WeakMap<Connection, number>();

  const onRequest = (request: Request, response: Response): void => {
    // The pages use ServerResponse's API, which Http2ServerResponse has too.
    const req = request as http.IncomingMessage;
    const res = response as http.ServerResponse;
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q < 0 ? url : url.slice(0, q);
    const head = req.method === 'HEAD';
    const page = (req.method === 'GET' || head) && (path === '/metrics' || path === '/info' || path === '/healthz' || path === '/');
    if (rest !== null && !page) {
      const limit = 'stream' in request ? MAX_STREAMS_PER_SESSION : MAX_REST_PIPELINED;
      if (admitPending(restPending, request, response, limit, state, 'REST API')) rest.handle(request, response);
      return;
    }
    scheduler.probe?.start();
    const t0 = performance.now();
    let handlerJob: Job | null = null;
    if (req.method !== 'GET' && !head) {
      plain(res, 405, 'method not allowed\n', false, { Allow: 'GET, HEAD' });
    } else if (path === '/metrics' || path === '/info') {
      const metrics = path === '/metrics';
      res.writeHead(200, { 'Content-Type': metrics ? PROMETHEUS_TEXT : 'application/json; charset=utf-8', 'Cache-Control': 'no-store' });
      if (head) res.end();
      else {
        if (admitPending(pagesPending, request, response, MAX_PAGES_PER_CONNECTION, state, 'metrics sidecar')) {
          const buf = metrics ? new PromWriter() : { text: '' };
          const gen = metrics ? metricsPage(state, runtime, scrape, buf as PromWriter) : infoJson(state, buf);
          const job: Job = { res, gen, buf, startedAt: t0, maxSliceMs: 0, aborted: false, onDone: metrics ? pageDone : infoDone };
          res.on('close', () => {
            if (!res.writableFinished) job.aborted = true;
          });
          scheduler.add(job);
          handlerJob = job;
        }
      }
    } else if (path === '/healthz') {
      if (state.shuttingDown) plain(res, 503, 'shutting down\n', head);
      else plain(res, 200, 'OK\n', head);
    } else if (path === '/') {
      plain(res, 200, rest === null ? INDEX : REST_INDEX, head);
    } else {
      plain(res, 404, 'not found\n', head);
    }
    const ms = performance.now() - t0;
    scheduler.note(ms);
    if (handlerJob !== null && ms > handlerJob.maxSliceMs) handlerJob.maxSliceMs = ms;
  };

  const h2 = http2.createServer({ settings: { maxConcurrentStreams: MAX_STREAMS_PER_SESSION } }, onRequest);
  // An idle HTTP/2 session is closed after this long (node:http's keep-alive closes idle
  // HTTP/1.1 connections after 5 s).
  h2.setTimeout(H2_IDLE_MS);
  h2.on('sessionError', () => {
    // A peer breaking the protocol: its session is destroyed, the others carry on.
  });
  const others = new Set<Socket>();
  const servers: NetServer[] = [];
  const secure: Array<https.Server | http2.Http2SecureServer> = [];
  const maxConnections = rest === null ? MAX_CONNECTIONS : state.settings.maxclients;
  const createServer = (): NetServer => {
    if (options.tls === undefined) {
      const server = http.createServer(onRequest);
      divertHttp2(server, h2, others);
      return server;
    }
    const server = rest === null
      ? https.createServer({ ...options.tls, ALPNProtocols: ['http/1.1'] }, onRequest)
      : http2.createSecureServer({ ...options.tls, allowHTTP1: true, settings: { maxConcurrentStreams: MAX_STREAMS_PER_SESSION } }, onRequest);
    if (!(server instanceof https.Server)) {
      server.setTimeout(H2_IDLE_MS);
      server.on('sessionError', () => {
        // As above.
      });
    }
    // The secure servers' connections, handshaking ones included, are ended by close().
    server.on('connection', (socket: Socket) => {
      others.add(socket);
      socket.once('close', () => others.delete(socket));
    });
    secure.push(server);
    return server;
  };
  const addresses: string[] = [];
  try {
    for (const host of hosts) {
      const server = createServer();
      server.maxConnections = maxConnections;
      const bound = await listen(server, host, port);
      servers.push(server);
      addresses.push(`${host}:${bound}`);
    }
  } catch (err) {
    for (const s of servers) s.close();
    throw new Error(`Could not create metrics HTTP listening socket on port ${port}: ${(err as Error).message}`, { cause: err });
  }
  runtime.start();
  state.logger.info({ addresses, https: options.tls !== undefined }, 'metrics sidecar listening');

  let closing: Promise<void> | null = null;
  return {
    addresses,
    port: addresses.length > 0 ? Number(addresses[0].slice(addresses[0].lastIndexOf(':') + 1)) : port,
    scrape,
    setSecureContext: (tlsOptions) => {
      for (const server of secure) server.setSecureContext(tlsOptions);
    },
    close: () => {
      closing ??= (async () => {
        scheduler.cancelAll();
        rest?.close();
        runtime.stop();
        const stopped = servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve())));
        for (const s of servers) if (s instanceof http.Server) s.closeAllConnections();
        for (const socket of others) socket.destroy();
        await Promise.all(stopped);
      })();
      return closing;
    },
  };
}
