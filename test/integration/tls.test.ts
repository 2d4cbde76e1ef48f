/*
 * TLS (src/tls.ts, the listeners in src/server.ts, HTTPS in src/sidecar.ts), with certificates
 * made at test time by the openssl CLI in a temp dir: a CA, a server certificate for
 * localhost / 127.0.0.1, a client certificate from that CA, one from another CA, and the
 * server key encrypted with a passphrase.
 *
 * Clients: redis-cli --tls (spawned asynchronously: the server runs in this process), ioredis
 * with `tls: {...}`, node:tls for handshake details (session reuse, protocol versions), and
 * node:https / node:http2 for the sidecar. redis-server's TLS port (Debian builds it with TLS)
 * is the reference for replies and CONFIG SET refusals.
 */
import { execFileSync, spawn } from 'node:child_process';
import { constants as cryptoConstants } from 'node:crypto';
import fs from 'node:fs';
import https from 'node:https';
import http2 from 'node:http2';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { startServer, type RunningServer } from '../../src/server.ts';
import { startServer as startEmbedded } from '../../src/index.ts';
import { freePort, redisServerPath, startRedisServer, whichSync, type RedisServerHandle } from '../helpers/redis-server.ts';

const haveOpenssl = whichSync('openssl') !== null;
const haveCli = whichSync('redis-cli') !== null;
if (!haveOpenssl) console.warn('openssl not on PATH: TLS tests skipped');

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'slabcache-tls-'));
const f = (name: string) => path.join(dir, name);
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function openssl(...args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });
}

/** A key and a certificate signed by `ca` (or self-signed when ca is null). */
function makeCert(name: string, cn: string, ca: string | null, ext?: string): void {
  if (ca === null) {
    openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', `/CN=${cn}`, '-keyout', `${name}.key`, '-out', `${name}.crt`);
    return;
  }
  openssl('req', '-newkey', 'rsa:2048', '-nodes', '-subj', `/CN=${cn}`, '-keyout', `${name}.key`, '-out', `${name}.csr`);
  const args = ['x509', '-req', '-in', `${name}.csr`, '-CA', `${ca}.crt`, '-CAkey', `${ca}.key`, '-CAcreateserial', '-days', '2', '-out', `${name}.crt`];
  if (ext !== undefined) {
    fs.writeFileSync(f(`${name}.ext`), ext);
    args.push('-extfile', `${name}.ext`);
  }
  openssl(...args);
}

if (haveOpenssl) {
  makeCert('ca', 'slabcache test CA', null);
  makeCert('server', 'localhost', 'ca', 'subjectAltName=DNS:localhost,IP:127.0.0.1\n');
  makeCert('server2', 'localhost', 'ca', 'subjectAltName=DNS:localhost,IP:127.0.0.1\n');
  makeCert('client', 'client', 'ca');
  makeCert('other-ca', 'another CA', null);
  makeCert('stranger', 'stranger', 'other-ca');
  openssl('pkey', '-in', 'server.key', '-aes256', '-passout', 'pass:s3cret', '-out', 'server-enc.key');
  fs.mkdirSync(f('cadir'));
  fs.copyFileSync(f('ca.crt'), f('cadir/ca.pem'));
  fs.writeFileSync(f('cadir/README'), 'not a certificate\n');
}

const read = (name: string) => fs.readFileSync(f(name));
const BASE: Record<string, string> = {
  loglevel: 'warning',
  bind: '127.0.0.1',
  'metrics-port': '0',
  'tls-cert-file': f('server.crt'),
  'tls-key-file': f('server.key'),
  'tls-ca-cert-file': f('ca.crt'),
};

/** slabcache with a plain and a TLS port on free ports (retried if another process takes one first). */
async function startTls(directives: Record<string, string> = {}): Promise<RunningServer> {
  for (let attempt = 0; ; attempt++) {
    const port = String(await freePort());
    const tlsPort = String(await freePort());
    try {
      return await startServer({ ...BASE, port, 'tls-port': tlsPort, ...directives });
    } catch (err) {
      if (attempt >= 4 || !/EADDRINUSE/.test(String(err))) throw err;
    }
  }
}

function tlsRedis(port: number, extra: tls.ConnectionOptions = {}): Redis {
  return new Redis({
    port,
    host: '127.0.0.1',
    tls: { ca: read('ca.crt'), cert: read('client.crt'), key: read('client.key'), ...extra },
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    lazyConnect: true,
  });
}

interface Handshake {
  reply: string;
  protocol: string | null;
  cipher: tls.CipherNameAndProtocol;
  reused: boolean;
  serial: string;
}

/** One PING over node:tls; resolves with the reply and the handshake's details, or the error that ended the connection. */
function tlsPing(port: number, options: tls.ConnectionOptions = {}): Promise<Handshake | { error: string }> {
  return new Promise((resolve) => {
    const socket = tls.connect({ host: '127.0.0.1', port, ca: read('ca.crt'), ...options });
    let got = '';
    let settled = false;
    const done = (v: Handshake | { error: string }) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(v);
    };
    const timer = setTimeout(() => done({ error: 'timeout' }), 5000);
    socket.on('secureConnect', () => socket.write('PING\r\n'));
    socket.on('data', (d) => {
      got += d.toString('latin1');
      if (got.endsWith('\r\n')) {
        done({ reply: got, protocol: socket.getProtocol(), cipher: socket.getCipher(), reused: socket.isSessionReused(), serial: socket.getPeerCertificate().serialNumber });
      }
    });
    socket.on('error', (err) => done({ error: (err as NodeJS.ErrnoException).code ?? err.message }));
    socket.on('close', () => done({ error: got === '' ? 'closed' : got }));
  });
}

function runCli(port: number, args: string[]): Promise<{ stdout: string; stderr: string; code: number | null }> {
  return new Promise((resolve, reject) => {
    const child = spawn('redis-cli', ['-h', '127.0.0.1', '-p', String(port), '--tls', '--cacert', f('ca.crt'), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ stdout, stderr, code });
    });
  });
}

const CLIENT_CERT = ['--cert', f('client.crt'), '--key', f('client.key')];

describe.runIf(haveOpenssl)('TLS port', () => {
  let srv: RunningServer;

  beforeAll(async () => {
    srv = await startTls();
  });
  afterAll(async () => {
    await srv?.close();
  });

  it('serves the plain port beside it, and INFO tcp_port is the plain one', async () => {
    expect(srv.port).toBeGreaterThan(0);
    expect(srv.tlsPort).toBeGreaterThan(0);
    const plain = new Redis({ port: srv.port, host: '127.0.0.1', lazyConnect: true });
    await plain.connect();
    await plain.set('k', 'plain');
    const secure = tlsRedis(srv.tlsPort);
    await secure.connect();
    expect(await secure.get('k')).toBe('plain');
    expect(await secure.info('server')).toContain(`tcp_port:${srv.port}\r\n`);
    plain.disconnect();
    secure.disconnect();
  });

  it.runIf(haveCli)('answers redis-cli --tls with a client certificate, refuses it without one (tls-auth-clients yes)', async () => {
    const ok = await runCli(srv.tlsPort, [...CLIENT_CERT, 'SET', 'greeting', 'hello']);
    expect(ok.stdout).toBe('OK\n');
    expect((await runCli(srv.tlsPort, [...CLIENT_CERT, 'GET', 'greeting'])).stdout).toBe('hello\n');
    const refused = await runCli(srv.tlsPort, ['GET', 'greeting']);
    expect(refused.stdout).not.toContain('hello');
  });

  it('ioredis with tls: {ca, cert, key} works; without a certificate, or with one from another CA, it is refused', async () => {
    const client = tlsRedis(srv.tlsPort);
    await client.connect();
    await client.set('io', 'redis');
    expect(await client.get('io')).toBe('redis');
    expect((await client.client('LIST')) as string).toMatch(/laddr=127\.0\.0\.1:\d+ /);
    client.disconnect();
    expect(await tlsPing(srv.tlsPort, { cert: undefined, key: undefined })).not.toHaveProperty('reply');
    expect(await tlsPing(srv.tlsPort, { cert: read('stranger.crt'), key: read('stranger.key') })).not.toHaveProperty('reply');
    expect(await tlsPing(srv.tlsPort, { cert: read('client.crt'), key: read('client.key') })).toMatchObject({ reply: '+PONG\r\n' });
  });

  it('a client that does not trust the server certificate cannot connect', async () => {
    const r = await tlsPing(srv.tlsPort, { ca: read('other-ca.crt'), cert: read('client.crt'), key: read('client.key') });
    expect(r).toMatchObject({ error: 'SELF_SIGNED_CERT_IN_CHAIN' });
  });

  it('tls-auth-clients optional admits no certificate and a good one, refuses a bad one; CONFIG SET applies to new connections', async () => {
    const admin = tlsRedis(srv.tlsPort);
    await admin.connect();
    expect(await admin.config('SET', 'tls-auth-clients', 'optional')).toBe('OK');
    expect(await tlsPing(srv.tlsPort)).toMatchObject({ reply: '+PONG\r\n' });
    expect(await tlsPing(srv.tlsPort, { cert: read('client.crt'), key: read('client.key') })).toMatchObject({ reply: '+PONG\r\n' });
    expect(await tlsPing(srv.tlsPort, { cert: read('stranger.crt'), key: read('stranger.key') })).not.toHaveProperty('reply');
    expect(await admin.config('SET', 'tls-auth-clients', 'no')).toBe('OK');
    expect(await tlsPing(srv.tlsPort, { cert: read('stranger.crt'), key: read('stranger.key') })).toMatchObject({ reply: '+PONG\r\n' });
    expect(await admin.config('SET', 'tls-auth-clients', 'yes')).toBe('OK');
    expect(await tlsPing(srv.tlsPort)).not.toHaveProperty('reply');
    admin.disconnect();
  });

  it('CONFIG SET of the certificate reloads the context for new connections; a bad key is refused and changes nothing', async () => {
    const admin = tlsRedis(srv.tlsPort);
    await admin.connect();
    const serial = async () => {
      const r = await tlsPing(srv.tlsPort, { cert: read('client.crt'), key: read('client.key') });
      if (!('reply' in r)) throw new Error(r.error);
      return r.serial;
    };
    const first = await serial();
    await expect(admin.config('SET', 'tls-key-file', f('missing.key'))).rejects.toThrow(
      "ERR CONFIG SET failed (possibly related to argument 'tls-key-file') - Unable to update TLS configuration. Check server logs.",
    );
    expect(await admin.config('GET', 'tls-key-file')).toEqual(['tls-key-file', f('server.key')]);
    expect(await admin.config('SET', 'tls-cert-file', f('server2.crt'), 'tls-key-file', f('server2.key'))).toBe('OK');
    const second = await serial();
    expect(second).not.toBe(first);
    expect(await admin.ping()).toBe('PONG');
    await expect(admin.config('SET', 'tls-port', '1')).rejects.toThrow('tls-port can only be set at start-up in slabcache');
    expect(await admin.config('SET', 'tls-cert-file', f('server.crt'), 'tls-key-file', f('server.key'))).toBe('OK');
    // An encrypted key without its passphrase is refused; with it (set first, as in Redis's tls.tcl), taken.
    await expect(admin.config('SET', 'tls-key-file', f('server-enc.key'))).rejects.toThrow('Unable to update TLS configuration');
    expect(await admin.config('SET', 'tls-key-file-pass', 's3cret')).toBe('OK');
    expect(await admin.config('SET', 'tls-key-file', f('server-enc.key'))).toBe('OK');
    expect(await serial()).toBe(first);
    admin.disconnect();
  });

  it('tls-session-caching: a session is resumed while on, not once off', async () => {
    const admin = tlsRedis(srv.tlsPort);
    await admin.connect();
    const resumed = async (): Promise<boolean> => {
      const opts = { cert: read('client.crt'), key: read('client.key') };
      const first = await new Promise<Buffer>((resolve, reject) => {
        const s = tls.connect({ host: '127.0.0.1', port: srv.tlsPort, ca: read('ca.crt'), ...opts });
        s.once('session', (session: Buffer) => {
          resolve(session);
          s.destroy();
        });
        s.once('secureConnect', () => s.write('PING\r\n'));
        s.once('error', reject);
      });
      const r = await tlsPing(srv.tlsPort, { ...opts, session: first });
      if (!('reply' in r)) throw new Error(r.error);
      return r.reused;
    };
    expect(await resumed()).toBe(true);
    expect(await admin.config('SET', 'tls-session-caching', 'no')).toBe('OK');
    expect(await resumed()).toBe(false);
    expect(await admin.config('SET', 'tls-session-caching', 'yes')).toBe('OK');
    admin.disconnect();
  });
});

describe.runIf(haveOpenssl)('TLS session-ID cache', () => {
  it('resumes a TLS 1.2 session by ID for a client without tickets, within tls-session-cache-size', async () => {
    const srv = await startTls({ 'tls-auth-clients': 'no' });
    // No ticket: the session can only come back from the server's session-ID cache.
    const opts: tls.ConnectionOptions = { maxVersion: 'TLSv1.2', secureOptions: cryptoConstants.SSL_OP_NO_TICKET };
    const session = (): Promise<Buffer> =>
      new Promise((resolve, reject) => {
        const s = tls.connect({ host: '127.0.0.1', port: srv.tlsPort, ca: read('ca.crt'), ...opts }, () => {
          resolve(s.getSession()!);
          s.destroy();
        });
        s.once('error', reject);
      });
    const reused = async (saved: Buffer): Promise<boolean> => {
      const r = await tlsPing(srv.tlsPort, { ...opts, session: saved });
      if (!('reply' in r)) throw new Error(r.error);
      return r.reused;
    };
    try {
      const admin = new Redis({ port: srv.port, host: '127.0.0.1', lazyConnect: true });
      await admin.connect();
      expect(await admin.config('SET', 'tls-session-cache-size', '1')).toBe('OK');
      const first = await session();
      expect(await reused(first)).toBe(true);
      // A second session takes the one place (and a failed resumption makes a new session too).
      const second = await session();
      expect(await reused(second)).toBe(true);
      expect(await reused(first)).toBe(false);
      admin.disconnect();
    } finally {
      await srv.close();
    }
  });
});

describe.runIf(haveOpenssl)('TLS configuration', () => {
  it('port 0 with a tls-port serves TLS only; INFO tcp_port is the TLS port', async () => {
    const tlsPort = await freePort();
    const srv = await startServer({ ...BASE, port: '0', 'tls-port': String(tlsPort), 'tls-auth-clients': 'no' });
    try {
      expect(srv.port).toBe(0);
      expect(srv.tlsPort).toBe(tlsPort);
      expect(srv.state.boundAddresses).toEqual([`127.0.0.1:${tlsPort}`]);
      const client = tlsRedis(tlsPort, { cert: undefined, key: undefined });
      await client.connect();
      expect(await client.info('server')).toContain(`tcp_port:${tlsPort}\r\n`);
      client.disconnect();
    } finally {
      await srv.close();
    }
  });

  it('embedded (src/index.ts): a tls-port alone serves TLS only, with a rediss:// url', async () => {
    const tlsPort = await freePort();
    const srv = await startEmbedded({ logger: false, 'tls-port': tlsPort, 'tls-cert-file': f('server.crt'), 'tls-key-file': f('server.key'), 'tls-auth-clients': 'no' });
    try {
      expect(srv.port).toBe(0);
      expect(srv.tlsPort).toBe(tlsPort);
      expect(srv.url).toBe(`rediss://127.0.0.1:${tlsPort}`);
      const client = new Redis(srv.url, { tls: { ca: read('ca.crt') }, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
      await client.connect();
      expect(await client.ping()).toBe('PONG');
      client.disconnect();
    } finally {
      await srv.close();
    }
  });

  it('tls-auth-clients no needs no CA; tls-ca-cert-dir reads the certificates of a directory', async () => {
    const noCa = await startTls({ 'tls-auth-clients': 'no', 'tls-ca-cert-file': '' });
    expect(await tlsPing(noCa.tlsPort)).toMatchObject({ reply: '+PONG\r\n' });
    await noCa.close();
    const caDir = await startTls({ 'tls-ca-cert-file': '', 'tls-ca-cert-dir': f('cadir') });
    expect(await tlsPing(caDir.tlsPort, { cert: read('client.crt'), key: read('client.key') })).toMatchObject({ reply: '+PONG\r\n' });
    expect(await tlsPing(caDir.tlsPort)).not.toHaveProperty('reply');
    await caDir.close();
  });

  it('a key file with its passphrase loads', async () => {
    const srv = await startTls({ 'tls-key-file': f('server-enc.key'), 'tls-key-file-pass': 's3cret' });
    expect(await tlsPing(srv.tlsPort, { cert: read('client.crt'), key: read('client.key') })).toMatchObject({ reply: '+PONG\r\n' });
    await srv.close();
  });

  it('tls-protocols TLSv1.3 refuses a TLS 1.2 client; tls-ciphersuites picks the TLS 1.3 suite', async () => {
    const srv = await startTls({ 'tls-auth-clients': 'no', 'tls-protocols': 'TLSv1.3', 'tls-ciphersuites': 'TLS_CHACHA20_POLY1305_SHA256' });
    expect(await tlsPing(srv.tlsPort, { maxVersion: 'TLSv1.2' })).not.toHaveProperty('reply');
    const r = await tlsPing(srv.tlsPort);
    if (!('reply' in r)) throw new Error(r.error);
    expect(r.protocol).toBe('TLSv1.3');
    expect(r.cipher.standardName).toBe('TLS_CHACHA20_POLY1305_SHA256');
    await srv.close();
  });

  it('tls-protocols TLSv1.2 with tls-ciphers serves TLS 1.2 with that cipher', async () => {
    const srv = await startTls({ 'tls-auth-clients': 'no', 'tls-protocols': 'TLSv1.2', 'tls-ciphers': 'ECDHE-RSA-AES128-GCM-SHA256', 'tls-prefer-server-ciphers': 'yes' });
    const r = await tlsPing(srv.tlsPort);
    if (!('reply' in r)) throw new Error(r.error);
    expect(r.protocol).toBe('TLSv1.2');
    expect(r.cipher.name).toBe('ECDHE-RSA-AES128-GCM-SHA256');
    await srv.close();
  });

  it('DHE ciphers work without tls-dh-params-file (OpenSSL picks the group, as Redis 7.0 on OpenSSL 3 does)', async () => {
    const srv = await startTls({ 'tls-auth-clients': 'no', 'tls-protocols': 'TLSv1.2', 'tls-ciphers': 'DHE-RSA-AES128-GCM-SHA256' });
    const r = await tlsPing(srv.tlsPort);
    if (!('reply' in r)) throw new Error(r.error);
    expect(r.cipher.name).toBe('DHE-RSA-AES128-GCM-SHA256');
    await srv.close();
  });

  it.each([
    [{ 'tls-key-file': f('server-enc.key'), 'tls-key-file-pass': 'wrong' }, /^Failed to configure TLS: Failed to load private key: .*server-enc\.key: .*bad decrypt/],
    [{ 'tls-key-file': f('missing.key') }, /^Failed to configure TLS: Failed to load private key: .*missing\.key: ENOENT$/],
    [{ 'tls-cert-file': f('missing.crt') }, /^Failed to configure TLS: Failed to load certificate: .*missing\.crt: ENOENT$/],
    [{ 'tls-key-file': f('client.key') }, /^Failed to configure TLS: Failed to load private key: .*client\.key: .*key values mismatch/],
    [{ 'tls-cert-file': '' }, /^Failed to configure TLS: No tls-cert-file configured!$/],
    [{ 'tls-ca-cert-file': '' }, /^Failed to configure TLS: Either tls-ca-cert-file or tls-ca-cert-dir must be specified/],
    [{ 'tls-protocols': 'TLSv1.2 SSLv3' }, /^Failed to configure TLS: Invalid tls-protocols specified/],
    [{ 'tls-ciphers': 'NO-SUCH-CIPHER' }, /^Failed to configure TLS: Failed to configure ciphers: NO-SUCH-CIPHER/],
  ])('start-up fails with one line: %o', async (directives, message) => {
    const err = await startServer({ ...BASE, port: '0', 'tls-port': String(await freePort()), ...directives }).then(() => null, (e: Error) => e);
    expect(err?.message).toMatch(message);
    expect(err?.message).not.toContain('\n');
  });

  it('the CLI prints one line and exits 1 on a wrong passphrase', async () => {
    const node = path.resolve(import.meta.dirname, '../../node_modules/.bin/node');
    const result = await new Promise<{ code: number | null; stderr: string; stdout: string }>((resolve) => {
      const child = spawn(node, ['cli/main.ts', '--port', '0', '--metrics-port', '0', '--tls-port', '1', '--tls-cert-file', f('server.crt'), '--tls-key-file', f('server-enc.key'), '--tls-key-file-pass', 'wrong', '--tls-auth-clients', 'no'], { cwd: path.resolve(import.meta.dirname, '../..') });
      let stderr = '';
      let stdout = '';
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.once('close', (code) => resolve({ code, stderr, stdout }));
    });
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/^slabcache: Failed to configure TLS: Failed to load private key: .*bad decrypt\n$/);
  });
});

describe.runIf(haveOpenssl)('the sidecar over HTTPS (metrics-tls yes)', () => {
  const get = (port: number, pathname: string, headers: Record<string, string> = {}) =>
    new Promise<{ status: number; body: string; alpn: string | false | null }>((resolve, reject) => {
      const options: https.RequestOptions & Pick<tls.ConnectionOptions, 'ALPNProtocols'> = { host: '127.0.0.1', port, path: pathname, ca: read('ca.crt'), headers, ALPNProtocols: ['http/1.1'], agent: false };
      const req = https.get(options, (res) => {
        const alpn = (res.socket as tls.TLSSocket).alpnProtocol;
        let body = '';
        res.on('data', (d: Buffer) => (body += d.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body, alpn }));
      });
      req.on('error', reject);
    });

  it('serves /healthz and /metrics over HTTPS/1.1 with the server certificate, with no client certificate', async () => {
    const metricsPort = await freePort();
    const srv = await startTls({ 'metrics-port': String(metricsPort), 'metrics-tls': 'yes' });
    try {
      const health = await get(metricsPort, '/healthz');
      expect(health).toMatchObject({ status: 200, body: 'OK\n', alpn: 'http/1.1' });
      expect((await get(metricsPort, '/metrics')).body).toContain('redis_up 1');
      // Cleartext HTTP is not served on that port.
      const plain = await fetch(`http://127.0.0.1:${metricsPort}/healthz`).then((r) => r.status, () => 'refused');
      expect(plain).not.toBe(200);
    } finally {
      await srv.close();
    }
  });

  it('with the REST API on, negotiates HTTP/2 by ALPN, and still answers HTTP/1.1', async () => {
    const metricsPort = await freePort();
    const srv = await startTls({ 'metrics-port': String(metricsPort), 'metrics-tls': 'yes', 'http-api-token': 'tok' });
    try {
      const session = http2.connect(`https://localhost:${metricsPort}`, { ca: read('ca.crt') });
      const reply = await new Promise<string>((resolve, reject) => {
        const req = session.request({ ':method': 'POST', ':path': '/', authorization: 'Bearer tok', 'content-type': 'application/json' });
        let body = '';
        req.on('data', (d: Buffer) => (body += d.toString()));
        req.on('end', () => resolve(body));
        req.on('error', reject);
        req.end(JSON.stringify(['SET', 'over', 'h2']));
      });
      expect(reply).toBe('{"result":"OK"}');
      expect((session.socket as tls.TLSSocket).alpnProtocol).toBe('h2');
      session.close();
      const h1 = await get(metricsPort, '/get/over', { authorization: 'Bearer tok' });
      expect(h1.status).toBe(200);
      expect(h1.body).toBe('{"result":"h2"}');
    } finally {
      await srv.close();
    }
  });

  it('metrics-tls without a certificate fails start-up with one line', async () => {
    const err = await startServer({ loglevel: 'warning', bind: '127.0.0.1', port: '0', 'metrics-port': String(await freePort()), 'metrics-tls': 'yes' }).then(() => null, (e: Error) => e);
    expect(err?.message).toBe('Failed to configure TLS: No tls-cert-file configured!');
  });
});

describe.runIf(haveOpenssl && haveCli && redisServerPath() !== null)('against redis-server TLS', () => {
  let redis: RedisServerHandle;
  let srv: RunningServer;
  let redisTlsPort: number;

  beforeAll(async () => {
    redisTlsPort = await freePort();
    const { loglevel: _l, bind: _b, 'metrics-port': _m, ...tlsDirectives } = BASE;
    redis = await startRedisServer({ ...tlsDirectives, 'tls-port': String(redisTlsPort) });
    srv = await startTls();
  });
  afterAll(async () => {
    await srv?.close();
    await redis?.stop();
  });

  it('redis-cli --tls prints the same for the same commands, with and without a client certificate', async () => {
    const scripts = [
      [...CLIENT_CERT, 'SET', 'a', '1'],
      [...CLIENT_CERT, 'INCR', 'a'],
      [...CLIENT_CERT, 'CONFIG', 'GET', 'tls-auth-clients'],
      [...CLIENT_CERT, 'CONFIG', 'SET', 'tls-protocols', 'TLSv1.2 TLSv1.4'],
      [...CLIENT_CERT, 'CONFIG', 'SET', 'tls-key-file', f('missing.key')],
      [...CLIENT_CERT, 'CONFIG', 'SET', 'tls-ciphers', 'NO-SUCH-CIPHER'],
      [...CLIENT_CERT, 'CONFIG', 'SET', 'tls-auth-clients', 'optional'],
      ['PING'],
      [...CLIENT_CERT, 'CONFIG', 'SET', 'tls-auth-clients', 'yes'],
    ];
    for (const args of scripts) {
      const theirs = await runCli(redisTlsPort, args);
      const ours = await runCli(srv.tlsPort, args);
      expect({ stdout: ours.stdout, code: ours.code }, args.join(' ')).toEqual({ stdout: theirs.stdout, code: theirs.code });
    }
    // Without a certificate under `yes`, neither answers.
    const theirs = await runCli(redisTlsPort, ['PING']);
    const ours = await runCli(srv.tlsPort, ['PING']);
    expect(theirs.stdout).not.toContain('PONG');
    expect(ours.stdout).not.toContain('PONG');
  });

  it('CONFIG SET tls-port on a server without a certificate is refused with the same words', async () => {
    const plainOurs = await startServer({ loglevel: 'warning', bind: '127.0.0.1', port: '0', 'metrics-port': '0' });
    const plainTheirs = await startRedisServer();
    try {
      const ours = new Redis({ port: plainOurs.port, host: '127.0.0.1', lazyConnect: true });
      const theirs = new Redis({ port: plainTheirs.port, host: '127.0.0.1', lazyConnect: true });
      await ours.connect();
      await theirs.connect();
      const a = await ours.config('SET', 'tls-port', '1234').catch((e: Error) => e.message);
      const b = await theirs.config('SET', 'tls-port', '1234').catch((e: Error) => e.message);
      expect(a).toBe(b);
      ours.disconnect();
      theirs.disconnect();
    } finally {
      await plainOurs.close();
      await plainTheirs.stop();
    }
  });
});
