/*
 * The REST API (src/rest-api.ts) on the sidecar's port: the official @upstash/redis client
 * unchanged against slabcache; the raw protocol's answers (status codes, JSON, base64, path
 * style, exact numbers); its limits and errors (bad JSON, unknown commands, 413, 401); no
 * access without the token, no API without the flag; HTTP/2 (h2c) beside HTTP/1.1; and the
 * REST client as one more client of the same server (RESP sees its writes, CLIENT PAUSE holds
 * it, BLPOP does not block it).
 */
import http from 'node:http';
import http2 from 'node:http2';
import net from 'node:net';
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { Redis as Upstash } from '@upstash/redis';
import { Redis } from 'ioredis';
import { startServer, type RunningServer } from '../../src/server.ts';
import { freePort } from '../helpers/redis-server.ts';

const TOKEN = 'test-token-0123456789';

async function start(directives: Record<string, string>): Promise<{ server: RunningServer; base: string }> {
  const port = await freePort();
  const server = await startServer({ loglevel: 'warning', port: '0', bind: '127.0.0.1', 'metrics-port': String(port), ...directives });
  return { server, base: `http://127.0.0.1:${port}` };
}

interface Answer {
  status: number;
  body: unknown;
}

async function call(base: string, path: string, init: { method?: string; body?: string; headers?: Record<string, string>; token?: string | null } = {}): Promise<Answer> {
  const headers: Record<string, string> = { ...init.headers };
  const token = init.token === undefined ? TOKEN : init.token;
  if (token !== null) headers['Authorization'] = `Bearer ${token}`;
  const res = await fetch(base + path, { method: init.method ?? (init.body === undefined ? 'GET' : 'POST'), body: init.body, headers });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON: kept as text
  }
  return { status: res.status, body };
}

function command(base: string, cmd: unknown[], headers: Record<string, string> = {}): Promise<Answer> {
  return call(base, '/', { body: JSON.stringify(cmd), headers });
}

/** One HTTP/2 request over `session`: status and body text. */
function h2request(session: http2.ClientHttp2Session, headers: http2.OutgoingHttpHeaders, body?: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = session.request(headers);
    let status = 0;
    let text = '';
    req.on('response', (h) => {
      status = Number(h[':status']);
    });
    req.setEncoding('utf8');
    req.on('data', (d: string) => {
      text += d;
    });
    req.on('end', () => resolve({ status, text }));
    req.on('error', reject);
    req.end(body);
  });
}

describe('REST API', () => {
  let server: RunningServer;
  let base: string;
  let resp: Redis;

  beforeAll(async () => {
    ({ server, base } = await start({ 'http-api-token': TOKEN, 'http-api-max-body-size': '64kb' }));
    resp = new Redis({ port: server.port, host: '127.0.0.1', maxRetriesPerRequest: 0, retryStrategy: () => null });
  });

  afterAll(async () => {
    resp.disconnect();
    await server.close();
  });

  describe('the @upstash/redis client, unchanged', () => {
    let redis: Upstash;
    beforeAll(() => {
      redis = new Upstash({ url: base, token: TOKEN, enableTelemetry: false, retry: false });
    });

    it('get, set, incr', async () => {
      expect(await redis.set('up:s', 'hello')).toBe('OK');
      expect(await redis.get('up:s')).toBe('hello');
      expect(await redis.get('up:missing')).toBeNull();
      expect(await redis.incr('up:n')).toBe(1);
      expect(await redis.incrby('up:n', 41)).toBe(42);
      expect(await redis.set('up:utf8', 'héllo ✓ 日本')).toBe('OK');
      expect(await redis.get('up:utf8')).toBe('héllo ✓ 日本');
      // JSON values round-trip as the client serializes them.
      await redis.set('up:obj', { a: 1, b: [true, null] });
      expect(await redis.get('up:obj')).toEqual({ a: 1, b: [true, null] });
    });

    it('pipeline: results in order, not atomic, errors per command', async () => {
      const p = redis.pipeline();
      p.set('up:p', 1);
      p.incr('up:p');
      p.get('up:p');
      p.del('up:p');
      expect(await p.exec()).toEqual(['OK', 2, 2, 1]);
      const bad = redis.pipeline();
      bad.set('up:p2', 'x');
      bad.incr('up:p2');
      const results = await bad.exec({ keepErrors: true });
      expect(results[0]).toEqual({ error: undefined, result: 'OK' });
      expect(results[1].error).toBe('ERR value is not an integer or out of range');
    });

    it('multi: MULTI/EXEC', async () => {
      const m = redis.multi();
      m.set('up:m', 10);
      m.incrby('up:m', 5);
      m.get('up:m');
      expect(await m.exec()).toEqual(['OK', 15, 15]);
    });

    it('hset/hgetall, lpush/lrange, expire/ttl, eval', async () => {
      expect(await redis.hset('up:h', { f1: 'v1', f2: 2 })).toBe(2);
      expect(await redis.hgetall('up:h')).toEqual({ f1: 'v1', f2: 2 });
      expect(await redis.lpush('up:l', 'a', 'b', 'c')).toBe(3);
      expect(await redis.lrange('up:l', 0, -1)).toEqual(['c', 'b', 'a']);
      expect(await redis.expire('up:l', 100)).toBe(1);
      expect(await redis.ttl('up:l')).toBe(100);
      expect(await redis.eval('return {KEYS[1], ARGV[1], 3, redis.call("INCR", KEYS[2])}', ['up:k', 'up:e'], ['arg'])).toEqual(['up:k', 'arg', 3, 1]);
      expect(await redis.ping()).toBe('PONG');
      expect(await redis.zadd('up:z', { score: 1.5, member: 'm' })).toBe(1);
      expect(await redis.zscore('up:z', 'm')).toBe(1.5);
    });

    it('without base64 encoding too', async () => {
      const plain = new Upstash({ url: base, token: TOKEN, enableTelemetry: false, retry: false, responseEncoding: false });
      await plain.set('up:plain', 'value ✓');
      expect(await plain.get('up:plain')).toBe('value ✓');
    });

    it('a Redis error is thrown as the client throws Upstash errors', async () => {
      await redis.set('up:str', 'x');
      await expect(redis.lpush('up:str', 'y')).rejects.toThrow('WRONGTYPE Operation against a key holding the wrong kind of value');
    });

    it('a wrong token is an error, not a result', async () => {
      const wrong = new Upstash({ url: base, token: 'nope', enableTelemetry: false, retry: false });
      await expect(wrong.get('up:s')).rejects.toThrow('Unauthorized');
    });
  });

  describe('protocol', () => {
    it('POST / answers {"result"}; an error is 400 {"error"} with Redis\'s text', async () => {
      expect(await command(base, ['SET', 'p:k', 'v', 'EX', 10])).toEqual({ status: 200, body: { result: 'OK' } });
      expect(await command(base, ['TTL', 'p:k'])).toEqual({ status: 200, body: { result: 10 } });
      expect(await command(base, ['GET', 'p:none'])).toEqual({ status: 200, body: { result: null } });
      expect(await command(base, ['GET'])).toEqual({ status: 400, body: { error: "ERR wrong number of arguments for 'get' command" } });
      expect(await command(base, ['NOSUCH', 'a', 1])).toEqual({ status: 400, body: { error: "ERR unknown command 'NOSUCH', with args beginning with: 'a' '1' " } });
    });

    it('numbers arrive as the text they were sent as', async () => {
      expect((await call(base, '/', { body: '["SET","p:big",9007199254740993]' })).status).toBe(200);
      expect(await command(base, ['GET', 'p:big'])).toEqual({ status: 200, body: { result: '9007199254740993' } });
      await call(base, '/', { body: '["SET","p:f",1.50]' });
      expect((await command(base, ['GET', 'p:f'])).body).toEqual({ result: '1.50' });
      await command(base, ['SET', 'p:b', true]);
      expect((await command(base, ['GET', 'p:b'])).body).toEqual({ result: 'true' });
    });

    it('base64 encodes strings but OK, as Upstash does', async () => {
      const b64 = { 'Upstash-Encoding': 'base64' };
      expect((await command(base, ['SET', 'p:e', 'bar'], b64)).body).toEqual({ result: 'OK' });
      expect((await command(base, ['GET', 'p:e'], b64)).body).toEqual({ result: Buffer.from('bar').toString('base64') });
      expect((await command(base, ['PING'], b64)).body).toEqual({ result: Buffer.from('PONG').toString('base64') });
      expect((await command(base, ['STRLEN', 'p:e'], b64)).body).toEqual({ result: 3 });
      expect((await command(base, ['MGET', 'p:e', 'p:none'], b64)).body).toEqual({ result: [Buffer.from('bar').toString('base64'), null] });
    });

    it('pipeline and multi-exec', async () => {
      const pipe = await call(base, '/pipeline', { body: JSON.stringify([['SET', 'p:x', 'a'], ['INCR', 'p:x'], ['RPUSH', 'p:l', 1, 2], ['LRANGE', 'p:l', 0, -1]]) });
      expect(pipe).toEqual({ status: 200, body: [{ result: 'OK' }, { error: 'ERR value is not an integer or out of range' }, { result: 2 }, { result: ['1', '2'] }] });
      const tx = await call(base, '/multi-exec', { body: JSON.stringify([['SET', 'p:y', 1], ['INCR', 'p:y'], ['LPUSH', 'p:y', 'z']]) });
      expect(tx).toEqual({ status: 200, body: [{ result: 'OK' }, { result: 2 }, { error: 'WRONGTYPE Operation against a key holding the wrong kind of value' }] });
      const aborted = await call(base, '/multi-exec', { body: JSON.stringify([['SET', 'p:w', 1], ['NOSUCH']]) });
      expect(aborted).toEqual({ status: 400, body: { error: 'EXECABORT Transaction discarded because of previous errors.' } });
      expect((await command(base, ['EXISTS', 'p:w'])).body).toEqual({ result: 0 });
      const refusedInside = await call(base, '/multi-exec', { body: JSON.stringify([['SET', 'p:w', 1], ['SUBSCRIBE', 'ch']]) });
      expect(refusedInside).toEqual({ status: 400, body: { error: 'EXECABORT Transaction discarded because of previous errors.' } });
      expect((await command(base, ['EXISTS', 'p:w'])).body).toEqual({ result: 0 });
      // Each request is its own session: SELECT lasts for the request only.
      const selected = await call(base, '/pipeline', { body: JSON.stringify([['SELECT', 3], ['SET', 'p:db', 'three']]) });
      expect(selected.status).toBe(200);
      expect((await command(base, ['GET', 'p:db'])).body).toEqual({ result: null });
      expect(await resp.multi().select(3).get('p:db').select(0).exec()).toEqual([[null, 'OK'], [null, 'three'], [null, 'OK']]);
    });

    it('path style: GET /cmd/args, POST with the body as the last argument and the query after it', async () => {
      expect(await call(base, '/set/p:path/hello%20world')).toEqual({ status: 200, body: { result: 'OK' } });
      expect(await call(base, '/get/p:path')).toEqual({ status: 200, body: { result: 'hello world' } });
      expect(await call(base, '/set/p:body?EX=100', { method: 'POST', body: '{"raw": "body"}' })).toEqual({ status: 200, body: { result: 'OK' } });
      expect(await call(base, '/get/p:body')).toEqual({ status: 200, body: { result: '{"raw": "body"}' } });
      expect(await call(base, '/ttl/p:body')).toEqual({ status: 200, body: { result: 100 } });
      expect(await call(base, '/incr/p:body')).toEqual({ status: 400, body: { error: 'ERR value is not an integer or out of range' } });
      // INFO is a command over POST; GET /info stays the sidecar's page.
      const info = await call(base, '/info/server', { method: 'POST' });
      expect(info.status).toBe(200);
      expect(String((info.body as { result: string }).result)).toContain('redis_version:7.0.15');
    });

    it('blocking commands answer at once; connection-bound commands are refused', async () => {
      const t0 = performance.now();
      expect(await command(base, ['BLPOP', 'p:empty', 0])).toEqual({ status: 200, body: { result: null } });
      expect(performance.now() - t0).toBeLessThan(1000);
      for (const cmd of [['SUBSCRIBE', 'ch'], ['PSUBSCRIBE', 'c*'], ['MONITOR'], ['CLIENT', 'TRACKING', 'on'], ['HELLO', '3']]) {
        const r = await command(base, cmd);
        expect(r.status).toBe(400);
        expect((r.body as { error: string }).error).toMatch(/is not available over the REST API/);
      }
    });

    it('is one more client of the same server: RESP sees its writes, and it wakes RESP waiters', async () => {
      await command(base, ['SET', 'shared', 'from-rest']);
      expect(await resp.get('shared')).toBe('from-rest');
      const waiter = new Redis({ port: server.port, host: '127.0.0.1', maxRetriesPerRequest: 0, retryStrategy: () => null });
      try {
        const popped = waiter.blpop('p:queue', 5);
        await new Promise((r) => setTimeout(r, 50));
        expect(await command(base, ['RPUSH', 'p:queue', 'job'])).toEqual({ status: 200, body: { result: 1 } });
        expect(await popped).toEqual(['p:queue', 'job']);
      } finally {
        waiter.disconnect();
      }
    });

    it('CLIENT PAUSE WRITE holds a REST write until the pause ends', async () => {
      await resp.call('CLIENT', 'PAUSE', '300', 'WRITE');
      const t0 = performance.now();
      const read = await command(base, ['GET', 'shared']);
      expect(read.body).toEqual({ result: 'from-rest' });
      const write = await command(base, ['SET', 'shared', 'after-pause']);
      expect(write.body).toEqual({ result: 'OK' });
      expect(performance.now() - t0).toBeGreaterThan(200);
      expect(await resp.get('shared')).toBe('after-pause');
    });
  });

  describe('errors and limits', () => {
    it('bad JSON, a non-array body, a bad argument: 400 with a clear error', async () => {
      const bad = await call(base, '/', { body: '["SET", "k"' });
      expect(bad.status).toBe(400);
      expect((bad.body as { error: string }).error).toMatch(/^ERR the request body is not valid JSON/);
      expect(await call(base, '/', { body: '{"cmd":"GET"}' })).toEqual({ status: 400, body: { error: 'ERR a command is a JSON array of strings and numbers, e.g. ["SET","key","value"]' } });
      expect(await call(base, '/', { body: '[]' })).toEqual({ status: 400, body: { error: 'ERR empty command' } });
      expect((await call(base, '/', { body: '["SET","k",{"a":1}]' })).status).toBe(400);
      expect((await call(base, '/', { body: '["SET","k",{"numberText":5}]' })).status).toBe(400);
      expect((await call(base, '/', { body: '["SET","k",null]' })).body).toEqual({ error: 'ERR argument 2 of the command is null: arguments are strings, numbers or booleans' });
      expect((await call(base, '/pipeline', { body: '["GET","k"]' })).status).toBe(400);
      expect((await call(base, '/pipeline', { body: '[]' })).status).toBe(400);
    });

    it('a body over http-api-max-body-size is 413, declared or streamed', async () => {
      const big = JSON.stringify(['SET', 'p:huge', 'x'.repeat(70 * 1024)]);
      const declared = await call(base, '/', { body: big });
      expect(declared).toEqual({ status: 413, body: { error: 'ERR request body over http-api-max-body-size (65536 bytes)' } });
      // Chunked (no Content-Length): cut off once the bytes read pass the limit.
      const streamed = await new Promise<{ status: number; text: string }>((resolve, reject) => {
        const req = http.request(base + '/', { method: 'POST', headers: { Authorization: `Bearer ${TOKEN}`, 'Transfer-Encoding': 'chunked' } }, (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (d: string) => {
            text += d;
          });
          res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
        });
        req.on('error', reject);
        req.write(big.slice(0, 40000));
        setTimeout(() => req.end(big.slice(40000)), 20);
      });
      expect(streamed.status).toBe(413);
      expect(JSON.parse(streamed.text)).toEqual({ error: 'ERR request body over http-api-max-body-size (65536 bytes)' });
      expect((await command(base, ['EXISTS', 'p:huge'])).body).toEqual({ result: 0 });
    });

    it('a missing or wrong token is 401, for every REST path and method, and nothing runs', async () => {
      await command(base, ['SET', 'guarded', 'original']);
      const attempts: Array<[string, { method?: string; body?: string }]> = [
        ['/', { body: '["SET","guarded","changed"]' }],
        ['/pipeline', { body: '[["SET","guarded","changed"]]' }],
        ['/multi-exec', { body: '[["SET","guarded","changed"]]' }],
        ['/set/guarded/changed', {}],
        ['/set/guarded', { method: 'POST', body: 'changed' }],
        ['/set/guarded', { method: 'PUT', body: 'changed' }],
        ['/get/guarded', {}],
        ['/info', { method: 'POST' }],
        ['/flushall', { method: 'DELETE' }],
      ];
      for (const [path, init] of attempts) {
        const missing = await call(base, path, { ...init, token: null });
        expect(missing.status).toBe(401);
        expect((missing.body as { error: string }).error).toMatch(/^Unauthorized: send the token/);
        expect(await call(base, path, { ...init, token: 'wrong' })).toEqual({ status: 401, body: { error: 'Unauthorized: invalid token' } });
        expect(await call(base, path, { ...init, token: TOKEN.slice(0, -1) })).toEqual({ status: 401, body: { error: 'Unauthorized: invalid token' } });
        expect((await call(base, `${path}?_token=wrong`, { ...init, token: null })).status).toBe(401);
      }
      expect(await resp.get('guarded')).toBe('original');
      expect(await call(base, `/get/guarded?_token=${TOKEN}`, { token: null })).toEqual({ status: 200, body: { result: 'original' } });
    });

    it('the sidecar pages stay as they were', async () => {
      expect((await call(base, '/healthz', { token: null })).status).toBe(200);
      expect((await call(base, '/metrics', { token: null })).status).toBe(200);
      const info = await call(base, '/info', { token: null });
      expect((info.body as { server: { redis_version: string } }).server.redis_version).toBe('7.0.15');
    });

    it('methods other than GET, POST and PUT are 405 (HEAD too: it would run the command)', async () => {
      await command(base, ['SET', 'p:head', 'kept']);
      expect((await call(base, '/get/k', { method: 'DELETE' })).status).toBe(405);
      expect((await call(base, '/set/p:head/changed', { method: 'HEAD' })).status).toBe(405);
      expect((await call(base, '/pipeline', { method: 'GET' })).status).toBe(405);
      expect((await command(base, ['GET', 'p:head'])).body).toEqual({ result: 'kept' });
    });
  });

  describe('HTTP/2 (h2c, prior knowledge) on the same port', () => {
    it('serves commands, pipelines and the pages', async () => {
      const session = http2.connect(base);
      try {
        const auth = { authorization: `Bearer ${TOKEN}` };
        const set = await h2request(session, { ':method': 'POST', ':path': '/', ...auth, 'content-type': 'application/json' }, '["SET","h2:k","over h2"]');
        expect(set).toEqual({ status: 200, text: '{"result":"OK"}' });
        const get = await h2request(session, { ':method': 'GET', ':path': '/get/h2:k', ...auth, 'upstash-encoding': 'base64' });
        expect(JSON.parse(get.text)).toEqual({ result: Buffer.from('over h2').toString('base64') });
        const all = await Promise.all(Array.from({ length: 20 }, (_, i) => h2request(session, { ':method': 'POST', ':path': '/pipeline', ...auth }, JSON.stringify([['INCR', 'h2:n'], ['ECHO', String(i)]]))));
        expect(all.every((r) => r.status === 200)).toBe(true);
        expect(await resp.get('h2:n')).toBe('20');
        expect((await h2request(session, { ':method': 'GET', ':path': '/get/h2:k' })).status).toBe(401);
        const big = await h2request(session, { ':method': 'POST', ':path': '/', ...auth }, JSON.stringify(['SET', 'h2:big', 'x'.repeat(70 * 1024)]));
        expect(big.status).toBe(413);
        expect((await h2request(session, { ':method': 'GET', ':path': '/healthz' })).text).toBe('OK\n');
      } finally {
        session.close();
      }
    });
  });
});

describe('REST API off', () => {
  it('is absent without http-api-token: the sidecar answers as before', async () => {
    const { server, base } = await start({});
    try {
      expect((await call(base, '/get/k')).status).toBe(404);
      expect((await call(base, '/', { body: '["PING"]' })).status).toBe(405);
      expect((await call(base, '/pipeline', { body: '[["PING"]]' })).status).toBe(405);
      expect((await call(base, '/healthz')).status).toBe(200);
    } finally {
      await server.close();
    }
  });

  it('needs the sidecar: http-api-token with metrics-port 0 does not start', async () => {
    await expect(startServer({ loglevel: 'warning', port: '0', bind: '127.0.0.1', 'metrics-port': '0', 'http-api-token': TOKEN })).rejects.toThrow(/http-api-token needs the sidecar/);
  });

  it('a reply over the normal client-output-buffer-limit is an error, as the RESP client would be closed', async () => {
    const { server, base } = await start({ 'http-api-token': TOKEN, 'client-output-buffer-limit': 'normal 16kb 0 0' });
    try {
      await command(base, ['SET', 'big', 'x'.repeat(20_000)]);
      expect(await command(base, ['GET', 'big'])).toEqual({ status: 400, body: { error: 'ERR reply over the client-output-buffer-limit hard limit of 16384 bytes' } });
      expect(await command(base, ['STRLEN', 'big'])).toEqual({ status: 200, body: { result: 20_000 } });
    } finally {
      await server.close();
    }
  });

  it("a pipeline's replies together are held to the same hard limit", async () => {
    const { server, base } = await start({ 'http-api-token': TOKEN, 'client-output-buffer-limit': 'normal 16kb 0 0' });
    try {
      await command(base, ['SET', 'mid', 'x'.repeat(6_000)]);
      // Each reply is under 16 KB; three together are not.
      expect((await call(base, '/pipeline', { body: JSON.stringify([['GET', 'mid'], ['GET', 'mid']]) })).status).toBe(200);
      expect(await call(base, '/pipeline', { body: JSON.stringify([['GET', 'mid'], ['GET', 'mid'], ['GET', 'mid']]) })).toEqual({
        status: 400,
        body: { error: 'ERR pipeline replies over the client-output-buffer-limit hard limit of 16384 bytes' },
      });
    } finally {
      await server.close();
    }
  });

  it('closes a connection with more requests pipelined than it reads answers to', async () => {
    // 1,000 pipelined GETs of a 100 KB value from one connection: before the bound, every
    // reply was made and held (gigabytes for bigger values), and the server stalled meanwhile.
    const { server, base } = await start({ 'http-api-token': TOKEN });
    try {
      await command(base, ['SET', 'v100k', 'x'.repeat(100_000)]);
      const port = Number(new URL(base).port);
      const request = `GET /get/v100k HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${TOKEN}\r\n\r\n`;
      const outcome = await new Promise<{ closed: boolean; answers: number }>((resolve) => {
        const s = net.connect(port, '127.0.0.1', () => s.write(request.repeat(1_000)));
        let data = '';
        s.on('data', (d: Buffer) => (data += d.toString('latin1')));
        s.on('error', () => undefined);
        const timer = setTimeout(() => {
          s.destroy();
          resolve({ closed: false, answers: 0 });
        }, 15_000);
        s.on('close', () => {
          clearTimeout(timer);
          resolve({ closed: true, answers: data.match(/HTTP\/1\.1 200 OK/g)?.length ?? 0 });
        });
      });
      expect(outcome.closed).toBe(true);
      expect(outcome.answers).toBeLessThanOrEqual(16);
      // One request after another on a kept-alive connection is never cut off.
      const keptAlive = new http.Agent({ keepAlive: true, maxSockets: 1 });
      for (let i = 0; i < 150; i++) {
        const status = await new Promise<number>((resolve, reject) => {
          const req = http.get(`${base}/strlen/v100k`, { agent: keptAlive, headers: { Authorization: `Bearer ${TOKEN}` } }, (res) => {
            res.resume();
            res.on('end', () => resolve(res.statusCode ?? 0));
          });
          req.on('error', reject);
        });
        expect(status).toBe(200);
      }
      keptAlive.destroy();
    } finally {
      await server.close();
    }
  });

  it('with requirepass, the token alone authenticates (as the default user)', async () => {
    const { server, base } = await start({ 'http-api-token': TOKEN, requirepass: 'secret' });
    try {
      expect(await command(base, ['SET', 'k', 'v'])).toEqual({ status: 200, body: { result: 'OK' } });
    } finally {
      await server.close();
    }
  });
});
