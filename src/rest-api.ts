/*
 * The REST API, Upstash's REST protocol on the sidecar's port (sidecar.ts routes every request
 * but its own pages here), on only when `http-api-token` is set:
 *
 *   POST /               body ["SET","k","v","EX",10]          -> {"result":"OK"}
 *   POST /pipeline       body [["SET","k","v"],["INCR","n"]]  -> [{"result":"OK"},{"error":"..."}]
 *   POST /multi-exec     the same, run as MULTI ... EXEC        -> [{"result":...},...]
 *   GET  /set/k/v        path-style: each segment an argument (percent-decoded); POST/PUT
 *                        append the raw body as the last argument, then the query's name=value
 *                        pairs (`?EX=10`) as further arguments.
 *
 * Auth: `Authorization: Bearer <token>` or `?_token=<token>`, compared as SHA-256 digests with
 * timingSafeEqual (equal lengths, so neither the token nor its length leaks through timing),
 * before the body is read. Missing or wrong: 401.
 *
 * Execution: each request gets its own Client (no socket of its own; authenticated as the
 * `default` user), whose commands go through connection.ts's executeGuarded: the command
 * table and every generic check (unknown command, arity, OOM, pause, MULTI queueing) and the
 * same per-command accounting as a RESP client. Blocking commands answer at once as if timed
 * out (denyBlocking, as inside MULTI). Commands that need a connection that outlives the
 * request (SUBSCRIBE & co., MONITOR, CLIENT TRACKING/REPLY, HELLO, SYNC) are refused. A
 * command held by CLIENT PAUSE waits: the pause's release calls queueOutput(), which hands the
 * reply back here. A pipeline yields to the event loop every PIPELINE_SLICE commands, as a
 * RESP client's batch does.
 *
 * Replies: the client's RESP2 bytes become JSON (bulk and status -> string, nil -> null,
 * integer -> number, array -> array, error -> {"error"}); with `Upstash-Encoding: base64`,
 * strings are base64 but for the status reply OK, as Upstash encodes them. A single
 * command's error is HTTP 400, a pipeline's are per entry (200).
 *
 * Arguments: JSON strings become their UTF-8 bytes; numbers the exact text they were sent
 * as (JSON.parse's source text, so 9007199254740993 and 1.50 arrive unchanged); booleans
 * true/false. Limits: the body (http-api-max-body-size, 413), each argument
 * (proto-max-bulk-len, 400), and the reply, a pipeline's replies together (400): the
 * client-output-buffer-limit's normal hard limit.
 *
 * Cost: per request a Client object, a SHA-256 of the token given, the JSON parse and the
 * reply's conversion; the RESP path gains nothing (the sidecar only routes here when the
 * token is set). Node's HTTP handling is most of a request's time (bench/rest.ts).
 */
import net from 'node:net';
import type http from 'node:http';
import type http2 from 'node:http2';
import { constants as http2Constants } from 'node:http2';
import { createHash, timingSafeEqual } from 'node:crypto';
import { RequestParser, ERR_INVALID_BULK } from '../protocol/parser.ts';
import { Client, type SavedArguments } from './client.ts';
import { executeGuarded } from './connection.ts';
import { discardTransaction } from './transactions.ts';
import type { CommandEntry } from './registry.ts';
import type { ServerState } from './server-state.ts';

type Request = http.IncomingMessage | http2.Http2ServerRequest;
type Response = http.ServerResponse | http2.Http2ServerResponse;

/** Commands a pipeline runs before yielding to the event loop (a RESP batch's budget). */
const PIPELINE_SLICE = 1024;

/** Commands (full names) that need a connection outliving the request. */
const REFUSED = new Set([
  'subscribe', 'psubscribe', 'ssubscribe', 'unsubscribe', 'punsubscribe', 'sunsubscribe',
  'monitor', 'sync', 'psync', 'hello', 'client|tracking', 'client|reply',
]);

const E_UNAUTHORIZED_MISSING = 'Unauthorized: send the token as "Authorization: Bearer <token>" (or ?_token=<token>)';
const E_UNAUTHORIZED_WRONG = 'Unauthorized: invalid token';
const E_METHOD = 'ERR method not allowed: use GET, POST or PUT (POST for /, /pipeline and /multi-exec)';
const E_EMPTY_COMMAND = 'ERR empty command';

/** One command's arguments, as a Client reads them. */
type Args = SavedArguments;

/** A request rejected before any command ran. */
class BadRequest {
  readonly status: number;
  readonly message: string;
  constructor(status: number, message: string) {
    this.status = status;
    this.message = message;
  }
}

/** The request's client: its replies are read back here, never flushed to a socket. */
class RestClient extends Client {
  /** Set while a command is held by CLIENT PAUSE: called with its reply once it ran. */
  onResumed: ((reply: Buffer) => void) | null = null;
  /** The request is over (answered or abandoned): nothing of it stays in the server. */
  released = false;

  queueOutput(): void {
    if (this.onResumed === null || this.postponed !== null) return;
    const done = this.onResumed;
    this.onResumed = null;
    done(Buffer.from(this.reply.take() ?? Buffer.alloc(0)));
    this.reply.recycle();
  }
}

export interface RestApi {
  /** Serve one request for any path but the sidecar's own pages. */
  handle(req: Request, res: Response): void;
  /** Drop the requests waiting on CLIENT PAUSE (the sidecar is closing). */
  close(): void;
}

function sha256(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

function send(res: Response, status: number, json: string): void {
  // Http2ServerResponse has ServerResponse's writeHead/end (the compatibility API).
  const r = res as http.ServerResponse;
  if (r.writableEnded || r.destroyed) return;
  r.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(json), 'Cache-Control': 'no-store' });
  r.end(json);
}

function errorJson(message: string): string {
  return `{"error":${JSON.stringify(message)}}`;
}

// ---- requests to arguments ----

/** A JSON number as the text it was sent as. */
class NumberText {
  readonly text: string;
  constructor(text: string) {
    this.text = text;
  }
}

/** JSON.parse keeping each number as the text it was sent as (V8's JSON.parse source text access). */
function parseJson(text: string): unknown {
  return JSON.parse(text, (_key, value: unknown, context?: { source?: string }) =>
    typeof value === 'number' && context?.source !== undefined ? new NumberText(context.source) : value);
}

/** Arguments from a JSON command array; a BadRequest when it is not one. */
function argsFromJson(command: unknown, maxBulk: number): Args | BadRequest {
  if (!Array.isArray(command)) return new BadRequest(400, 'ERR a command is a JSON array of strings and numbers, e.g. ["SET","key","value"]');
  if (command.length === 0) return new BadRequest(400, E_EMPTY_COMMAND);
  const parts: Buffer[] = [];
  for (let i = 0; i < command.length; i++) {
    const v: unknown = command[i];
    let bytes: Buffer;
    if (typeof v === 'string') bytes = Buffer.from(v, 'utf8');
    else if (typeof v === 'boolean') bytes = Buffer.from(v ? 'true' : 'false', 'latin1');
    else if (v instanceof NumberText) bytes = Buffer.from(v.text, 'latin1');
    else return new BadRequest(400, `ERR argument ${i} of the command is ${v === null ? 'null' : Array.isArray(v) ? 'an array' : 'an object'}: arguments are strings, numbers or booleans`);
    if (bytes.length > maxBulk) return new BadRequest(400, ERR_INVALID_BULK);
    parts.push(bytes);
  }
  return savedArgs(parts);
}

/** Arguments of a path-style request: /cmd/arg1/...; the body and the query's pairs follow. */
function argsFromPath(path: string, query: URLSearchParams | null, body: Buffer | null, maxBulk: number): Args | BadRequest {
  const parts: Buffer[] = [];
  for (const segment of path.slice(1).split('/')) {
    let text: string;
    try {
      text = decodeURIComponent(segment);
    } catch {
      return new BadRequest(400, `ERR invalid percent-encoding in the path segment '${segment}'`);
    }
    parts.push(Buffer.from(text, 'utf8'));
  }
  if (body !== null && body.length > 0) parts.push(body);
  if (query !== null) {
    for (const [name, value] of query) {
      if (name === '_token') continue;
      parts.push(Buffer.from(name, 'utf8'));
      if (value !== '') parts.push(Buffer.from(value, 'utf8'));
    }
  }
  for (const p of parts) if (p.length > maxBulk) return new BadRequest(400, ERR_INVALID_BULK);
  return savedArgs(parts);
}

function savedArgs(parts: Buffer[]): Args {
  const argc = parts.length;
  const off = new Int32Array(argc);
  const len = new Int32Array(argc);
  let p = 0;
  for (let i = 0; i < argc; i++) {
    off[i] = p;
    len[i] = parts[i].length;
    p += parts[i].length;
  }
  const buf = argc === 1 ? parts[0] : Buffer.concat(parts, p);
  return { argc, buf, off, len, bytes: () => buf.length + argc * 8 };
}

// ---- replies to JSON ----

/** Reads one RESP2 reply and writes it as JSON text. */
class ReplyReader {
  private buf: Buffer = Buffer.alloc(0);
  private pos = 0;
  private base64 = false;

  /** The reply in `buf` as {"result":...} or {"error":...}. */
  entry(buf: Buffer, base64: boolean): string {
    this.reset(buf, base64);
    return this.item();
  }

  /** The reply is an error: its message, else null. */
  errorOf(buf: Buffer): string | null {
    if (buf[0] !== 0x2d) return null;
    this.reset(buf, false);
    return this.line();
  }

  /** EXEC's array reply as one entry per command; null when the reply is not an array. */
  execEntries(buf: Buffer, base64: boolean): string | null {
    if (buf[0] !== 0x2a) return null;
    this.reset(buf, base64);
    const n = Number(this.line());
    if (n < 0) return null;
    let out = '[';
    for (let i = 0; i < n; i++) out += (i > 0 ? ',' : '') + this.item();
    return out + ']';
  }

  /** The value at pos as {"result":...}, or {"error":...} for an error. */
  private item(): string {
    return this.buf[this.pos] === 0x2d ? errorJson(this.line()) : `{"result":${this.value()}}`;
  }

  private reset(buf: Buffer, base64: boolean): void {
    this.buf = buf;
    this.pos = 0;
    this.base64 = base64;
  }

  /** The line at pos after its type byte (an error message, an array length). */
  private line(): string {
    const start = this.pos + 1;
    const end = this.buf.indexOf(13, start);
    this.pos = end + 2;
    return this.buf.toString('utf8', start, end);
  }

  private string(start: number, end: number): string {
    return this.base64 ? `"${this.buf.toString('base64', start, end)}"` : JSON.stringify(this.buf.toString('utf8', start, end));
  }

  private value(): string {
    const type = this.buf[this.pos++];
    const start = this.pos;
    const end = this.buf.indexOf(13, start);
    this.pos = end + 2;
    switch (type) {
      case 0x2b: { // +status
        const isOk = end - start === 2 && this.buf[start] === 0x4f && this.buf[start + 1] === 0x4b;
        return isOk ? '"OK"' : this.string(start, end);
      }
      case 0x2d: // -error nested in an array (a script's table): its message
        return JSON.stringify(this.buf.toString('utf8', start, end));
      case 0x3a: // :integer
        return this.buf.toString('latin1', start, end);
      case 0x24: { // $bulk
        const n = Number(this.buf.toString('latin1', start, end));
        if (n < 0) return 'null';
        const text = this.string(this.pos, this.pos + n);
        this.pos += n + 2;
        return text;
      }
      case 0x2a: { // *array
        const n = Number(this.buf.toString('latin1', start, end));
        if (n < 0) return 'null';
        let out = '[';
        for (let i = 0; i < n; i++) out += (i > 0 ? ',' : '') + this.value();
        return out + ']';
      }
      default:
        throw new Error(`REST API: unexpected RESP2 reply type 0x${(type ?? 0).toString(16)}`);
    }
  }
}

// ---- the API ----

const Route = { COMMAND: 0, PIPELINE: 1, MULTI_EXEC: 2, PATH: 3 } as const;

export function createRestApi(state: ServerState, token: string, maxBodyBytes: number): RestApi {
  const tokenDigest = sha256(token);
  const socket = new net.Socket();
  const parser = new RequestParser();
  const reader = new ReplyReader();
  const waiting = new Set<RestClient>();
  const registry = state.registry;

  const authorize = (req: Request, query: URLSearchParams | null): string | null => {
    let given: string | null = null;
    const header = req.headers['authorization'];
    if (typeof header === 'string' && header.length > 7 && header.slice(0, 7).toLowerCase() === 'bearer ') given = header.slice(7).trim();
    else if (query !== null) given = query.get('_token');
    if (given === null || given === '') return E_UNAUTHORIZED_MISSING;
    return timingSafeEqual(sha256(given), tokenDigest) ? null : E_UNAUTHORIZED_WRONG;
  };

  const newClient = (): RestClient => {
    const c = new RestClient(state.nextClientId++, socket, parser, state);
    c.authenticated = true;
    c.denyBlocking = true;
    return c;
  };

  /** The command `args` names, when it is refused over HTTP. */
  const refused = (c: RestClient): CommandEntry | null => {
    let cmd = registry.lookup(c.argBuf, c.argOff[0], c.argLen[0]);
    if (cmd === undefined) return null;
    if (cmd.subcommands !== null && c.argc >= 2) cmd = cmd.subcommands.get(c.argLower(1)) ?? cmd;
    return REFUSED.has(cmd.fullName) ? cmd : null;
  };

  /** Run one command on `c`; resolves with its reply bytes (valid until the next command). */
  const run = (c: RestClient, args: Args): Buffer | Promise<Buffer> => {
    c.useArguments(args);
    c.reply.recycle();
    const no = refused(c);
    if (no !== null) {
      // Rejected while queuing: EXEC will answer EXECABORT, as for any rejected command.
      if (c.multi !== null) c.multiDirty = true;
      c.reply.error(`ERR '${no.fullName.replace('|', ' ')}' is not available over the REST API (it needs a connection that outlives the request)`);
    } else {
      state.currentClient = c;
      const ran = executeGuarded(state, c);
      if (state.tracking.hasPending()) state.tracking.afterCommand(c);
      const blocking = state.blocking;
      if (blocking.blockedCount !== 0 || blocking.pending) blocking.afterCommand(c, ran);
      state.currentClient = null;
      if (c.postponed !== null) {
        waiting.add(c);
        return new Promise<Buffer>((resolve) => {
          c.onResumed = (reply) => {
            waiting.delete(c);
            resolve(reply);
          };
        });
      }
    }
    if (c.reply.overLimit) {
      c.reply.dispose();
      c.reply.overLimit = false;
      c.reply.error(`ERR reply over the client-output-buffer-limit hard limit of ${state.settings.outputLimitNormal.hard} bytes`);
    }
    return c.reply.take() ?? Buffer.alloc(0);
  };

  /** Leave nothing behind: WATCHes, a MULTI never EXECed, a pause's hold. */
  const release = (c: RestClient): void => {
    if (c.released) return;
    c.released = true;
    if (c.multi !== null || c.watched !== null) discardTransaction(c);
    state.pause.forget(c);
    waiting.delete(c);
    c.onResumed = null;
    c.closed = true;
    c.reply.recycle();
    c.reply.dispose();
  };

  /** A command's reply, waiting only when CLIENT PAUSE holds it. */
  const runNow = async (c: RestClient, args: Args): Promise<Buffer> => {
    const r = run(c, args);
    return r instanceof Promise ? await r : r;
  };

  /** Run the request's commands on `c`: the HTTP status and the JSON body. */
  const execute = async (c: RestClient, route: number, commands: Args[], base64: boolean): Promise<{ status: number; json: string }> => {
    c.lastInteraction = state.clock.refresh();
    if (route === Route.COMMAND || route === Route.PATH) {
      const reply = await runNow(c, commands[0]);
      const error = reader.errorOf(reply);
      return error === null ? { status: 200, json: reader.entry(reply, base64) } : { status: 400, json: errorJson(error) };
    }
    const multi = route === Route.MULTI_EXEC;
    if (multi) await runNow(c, savedArgs([Buffer.from('MULTI', 'latin1')]));
    let out = '[';
    // The pipeline's replies together, as the normal hard limit counts a RESP client's pending
    // output (EXEC's reply is one reply, limited in run()).
    const hard = state.settings.outputLimitNormal.hard;
    let replyBytes = 0;
    for (let i = 0; i < commands.length; i++) {
      if (i > 0 && i % PIPELINE_SLICE === 0) {
        await new Promise((resolve) => setImmediate(resolve));
        c.lastInteraction = state.clock.refresh();
      }
      if (c.released || state.shuttingDown) return { status: 503, json: errorJson('ERR the server is shutting down') };
      const reply = await runNow(c, commands[i]);
      if (multi) continue;
      replyBytes += reply.length;
      if (hard > 0 && replyBytes > hard) return { status: 400, json: errorJson(`ERR pipeline replies over the client-output-buffer-limit hard limit of ${hard} bytes`) };
      out += (i > 0 ? ',' : '') + reader.entry(reply, base64);
    }
    if (!multi) return { status: 200, json: out + ']' };
    const reply = await runNow(c, savedArgs([Buffer.from('EXEC', 'latin1')]));
    const entries = reader.execEntries(reply, base64);
    if (entries !== null) return { status: 200, json: entries };
    return { status: 400, json: errorJson(reader.errorOf(reply) ?? 'EXECABORT Transaction discarded because of previous errors.') };
  };

  /**
   * Answer before the body was read (401, 405, 413): end the exchange so the rest of the body
   * is not read: HTTP/1.1 closes the connection, HTTP/2 resets the stream with NO_ERROR.
   */
  const refuse = (req: Request, res: Response, status: number, message: string): void => {
    if (req.httpVersionMajor === 1) {
      const bodyPending = req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? 0) > 0;
      if (bodyPending && !req.complete) res.setHeader('Connection', 'close');
    } else {
      const stream = (req as http2.Http2ServerRequest).stream;
      res.once('finish', () => stream.close(http2Constants.NGHTTP2_NO_ERROR));
    }
    send(res, status, errorJson(message));
  };

  const readBody = (req: Request, res: Response, done: (body: Buffer) => void): void => {
    const tooLarge = `ERR request body over http-api-max-body-size (${maxBodyBytes} bytes)`;
    if (Number(req.headers['content-length'] ?? 0) > maxBodyBytes) {
      refuse(req, res, 413, tooLarge);
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    req.on('data', (chunk: Buffer) => {
      if (over) return;
      size += chunk.length;
      if (size > maxBodyBytes) {
        over = true;
        chunks.length = 0;
        refuse(req, res, 413, tooLarge);
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (!over) done(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, size));
    });
    req.on('error', () => {
      // The client went away: nothing to answer.
    });
  };

  const handle = (req: Request, res: Response): void => {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q < 0 ? url : url.slice(0, q);
    const query = q < 0 ? null : new URLSearchParams(url.slice(q + 1));
    const method = req.method ?? 'GET';
    const unauthorized = authorize(req, query);
    if (unauthorized !== null) {
      res.setHeader('WWW-Authenticate', 'Bearer');
      refuse(req, res, 401, unauthorized);
      return;
    }
    const route = path === '/' ? Route.COMMAND : path === '/pipeline' ? Route.PIPELINE : path === '/multi-exec' ? Route.MULTI_EXEC : Route.PATH;
    const hasBody = method === 'POST' || method === 'PUT';
    if ((route !== Route.PATH && method !== 'POST') || (!hasBody && method !== 'GET')) {
      res.setHeader('Allow', route === Route.PATH ? 'GET, POST, PUT' : 'POST');
      refuse(req, res, 405, E_METHOD);
      return;
    }
    const base64 = String(req.headers['upstash-encoding'] ?? '').toLowerCase() === 'base64';
    const maxBulk = state.settings.protoMaxBulkLen;
    const answer = (commands: Args[]): void => {
      const c = newClient();
      res.once('close', () => {
        if (!res.writableFinished) release(c);
      });
      execute(c, route, commands, base64).then(
        (r) => send(res, r.status, r.json),
        (err: unknown) => {
          state.logger.error({ err }, 'REST API: internal error');
          send(res, 500, errorJson('ERR internal error (logged by the server)'));
        },
      ).finally(() => release(c));
    };
    const fail = (bad: BadRequest): void => send(res, bad.status, errorJson(bad.message));
    if (!hasBody) {
      const args = argsFromPath(path, query, null, maxBulk);
      if (args instanceof BadRequest) fail(args);
      else answer([args]);
      return;
    }
    readBody(req, res, (body) => {
      if (route === Route.PATH) {
        const args = argsFromPath(path, query, body, maxBulk);
        if (args instanceof BadRequest) fail(args);
        else answer([args]);
        return;
      }
      let parsed: unknown;
      try {
        parsed = parseJson(body.toString('utf8'));
      } catch (err) {
        fail(new BadRequest(400, `ERR the request body is not valid JSON: ${(err as Error).message}`));
        return;
      }
      const commands: Args[] = [];
      if (route === Route.COMMAND) {
        const args = argsFromJson(parsed, maxBulk);
        if (args instanceof BadRequest) {
          fail(args);
          return;
        }
        commands.push(args);
      } else {
        if (!Array.isArray(parsed) || parsed.length === 0) {
          fail(new BadRequest(400, 'ERR a pipeline is a non-empty JSON array of commands, e.g. [["SET","k","v"],["GET","k"]]'));
          return;
        }
        for (let i = 0; i < parsed.length; i++) {
          const args = argsFromJson(parsed[i], maxBulk);
          if (args instanceof BadRequest) {
            fail(new BadRequest(args.status, `${args.message} (command ${i})`));
            return;
          }
          commands.push(args);
        }
      }
      answer(commands);
    });
  };

  return {
    handle,
    close: () => {
      for (const c of [...waiting]) release(c);
    },
  };
}
