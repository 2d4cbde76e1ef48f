/*
 * TLS for the RESP port (tls-port) and, with metrics-tls, the HTTP sidecar: the tls-*
 * parameters turned into node:tls server options, checked as Redis 7.0's tlsConfigure()
 * checks them (tls.c), with its wording.
 *
 * tlsServerOptions() reads the certificate, key, CA and DH files and builds a SecureContext
 * once to prove them usable (a wrong passphrase, a key that does not match its certificate, an
 * unknown cipher name fail here, not at the first handshake); it throws TlsConfigError with one
 * line naming the problem. The server calls it at start-up and again whenever a tls-* parameter
 * changes (CONFIG SET), then swaps the listeners' context with setSecureContext(): connections
 * already open keep the context they were accepted with, as in Redis.
 *
 * Mapping to Node:
 *   - tls-protocols: the lowest and highest version named become minVersion / maxVersion; a gap
 *     between them (TLSv1.1 TLSv1.3) is closed with OpenSSL's SSL_OP_NO_TLSv1_x options.
 *   - tls-ciphers (TLS 1.2 and below) and tls-ciphersuites (TLS 1.3) are joined into Node's one
 *     `ciphers` string; an unset one keeps Node's default list for its versions.
 *   - tls-ca-cert-dir: every file in the directory that holds PEM certificates is read when the
 *     context is built (OpenSSL's CApath looks hashed names up at each verification).
 *   - tls-auth-clients is read per connection (checkClientCertificate), as Redis reads it per
 *     accept: `no` asks no certificate, `yes` needs a verified one, `optional` refuses only a
 *     certificate that does not verify.
 *   - tls-session-caching: resumption by session tickets and by session ID, the latter from an
 *     in-process cache (SessionCache) of tls-session-cache-size TLS 1.2 sessions (0: unbounded)
 *     that live tls-session-cache-timeout seconds, which is also the tickets' lifetime; `no`
 *     turns both off.
 *
 * Cost: control plane only (start-up and CONFIG SET); a handshake's cost is OpenSSL's.
 */
import fs from 'node:fs';
import path from 'node:path';
import tls from 'node:tls';
import { X509Certificate, constants as cryptoConstants, createPrivateKey } from 'node:crypto';
import type { ConfigStore } from './config-table.ts';

/** A TLS configuration that cannot be used; the message is one line. */
export class TlsConfigError extends Error {
  readonly code = 'TLS_CONFIG';
}

export type ClientAuth = 'no' | 'yes' | 'optional';

const PROTOCOLS = ['TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3'] as const;
const NO_PROTOCOL = [cryptoConstants.SSL_OP_NO_TLSv1, cryptoConstants.SSL_OP_NO_TLSv1_1, cryptoConstants.SSL_OP_NO_TLSv1_2, cryptoConstants.SSL_OP_NO_TLSv1_3];
/** Redis's REDIS_TLS_PROTO_DEFAULT: TLSv1.2 and TLSv1.3. */
const DEFAULT_PROTOCOLS = [false, false, true, true];
const DEFAULT_CIPHER_LIST = tls.DEFAULT_CIPHERS.split(':').filter((c) => c !== '' && !c.startsWith('TLS_')).join(':');
const DEFAULT_CIPHER_SUITES = tls.DEFAULT_CIPHERS.split(':').filter((c) => c.startsWith('TLS_')).join(':');

/** The tls-* parameters that change the context (tls-auth-clients is read per connection). */
export const TLS_CONTEXT_PARAMS = [
  'tls-cert-file', 'tls-key-file', 'tls-key-file-pass', 'tls-ca-cert-file', 'tls-ca-cert-dir', 'tls-dh-params-file',
  'tls-protocols', 'tls-ciphers', 'tls-ciphersuites', 'tls-prefer-server-ciphers',
  'tls-session-caching', 'tls-session-cache-size', 'tls-session-cache-timeout',
] as const;

/** The enabled protocol versions, or an error text (parseProtocolsConfig). */
function parseProtocols(text: string): boolean[] | string {
  if (text === '') return DEFAULT_PROTOCOLS;
  const on = [false, false, false, false];
  for (const token of text.split(' ')) {
    const i = PROTOCOLS.findIndex((p) => p.toLowerCase() === token.toLowerCase());
    if (i < 0) return "Invalid tls-protocols specified. Use a combination of 'TLSv1', 'TLSv1.1', 'TLSv1.2' and 'TLSv1.3'.";
    on[i] = true;
  }
  return on;
}

function reason(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  return e.code !== undefined && e.syscall !== undefined ? e.code : String(e.message ?? err).replace(/\s+/g, ' ');
}

function readOrFail(file: string, what: string): Buffer {
  try {
    return fs.readFileSync(file);
  } catch (err) {
    throw new TlsConfigError(`${what}: ${file}: ${reason(err)}`);
  }
}

/** The PEM certificates of every file in `dir` (files without one are skipped). */
function readCaDir(dir: string): Buffer[] {
  let names: string[];
  try {
    names = fs.readdirSync(dir).sort();
  } catch (err) {
    throw new TlsConfigError(`Failed to configure CA certificate(s) file/directory: ${dir}: ${reason(err)}`);
  }
  const out: Buffer[] = [];
  for (const name of names) {
    const file = path.join(dir, name);
    let text: Buffer;
    try {
      if (!fs.statSync(file).isFile()) continue;
      text = fs.readFileSync(file);
    } catch {
      continue;
    }
    if (text.includes('-----BEGIN CERTIFICATE-----')) out.push(text);
  }
  return out;
}

/**
 * node:tls server options for the current tls-* values; throws TlsConfigError. `clientAuth`
 * false leaves client certificates out (the sidecar never asks for one).
 */
export function tlsServerOptions(config: ConfigStore, clientAuth = true): tls.TlsOptions {
  const certFile = config.value('tls-cert-file');
  const keyFile = config.value('tls-key-file');
  const caFile = config.value('tls-ca-cert-file');
  const caDir = config.value('tls-ca-cert-dir');
  const auth = config.value('tls-auth-clients') as ClientAuth;
  if (certFile === '') throw new TlsConfigError('No tls-cert-file configured!');
  if (keyFile === '') throw new TlsConfigError('No tls-key-file configured!');
  if (clientAuth && auth !== 'no' && caFile === '' && caDir === '') {
    throw new TlsConfigError('Either tls-ca-cert-file or tls-ca-cert-dir must be specified when tls-cluster, tls-replication or tls-auth-clients are enabled!');
  }
  const protocols = parseProtocols(config.value('tls-protocols'));
  if (typeof protocols === 'string') throw new TlsConfigError(protocols);

  const cert = readOrFail(certFile, 'Failed to load certificate');
  try {
    new X509Certificate(cert);
  } catch (err) {
    throw new TlsConfigError(`Failed to load certificate: ${certFile}: ${reason(err)}`);
  }
  const key = readOrFail(keyFile, 'Failed to load private key');
  const passphrase = config.value('tls-key-file-pass');
  try {
    createPrivateKey({ key, passphrase });
  } catch (err) {
    throw new TlsConfigError(`Failed to load private key: ${keyFile}: ${reason(err)}`);
  }
  const ca: Buffer[] = [];
  if (caFile !== '') ca.push(readOrFail(caFile, 'Failed to configure CA certificate(s) file/directory'));
  if (caDir !== '') ca.push(...readCaDir(caDir));

  let secureOptions = 0;
  const first = protocols.indexOf(true);
  const last = protocols.lastIndexOf(true);
  for (let i = first; i <= last; i++) if (!protocols[i]) secureOptions |= NO_PROTOCOL[i];
  const caching = config.flag('tls-session-caching');
  if (!caching) secureOptions |= cryptoConstants.SSL_OP_NO_TICKET;

  const cipherList = config.value('tls-ciphers');
  const cipherSuites = config.value('tls-ciphersuites');
  const options: tls.TlsOptions = {
    cert,
    key,
    passphrase,
    minVersion: PROTOCOLS[first],
    maxVersion: PROTOCOLS[last],
    secureOptions,
    ciphers: [cipherList || DEFAULT_CIPHER_LIST, cipherSuites || DEFAULT_CIPHER_SUITES].join(':'),
    honorCipherOrder: config.flag('tls-prefer-server-ciphers'),
    sessionTimeout: config.number('tls-session-cache-timeout'),
    requestCert: clientAuth && auth !== 'no',
    // Checked per connection (checkClientCertificate), so `optional` can admit no certificate.
    rejectUnauthorized: false,
  };
  if (ca.length > 0) options.ca = ca;
  // Without a file, OpenSSL's built-in groups (Redis 7.0 on OpenSSL 3: SSL_CTX_set_dh_auto).
  const dhFile = config.value('tls-dh-params-file');
  options.dhparam = dhFile === '' ? 'auto' : readOrFail(dhFile, 'Failed to load DH params file');

  // Each list alone first, so the error names the parameter at fault.
  if (cipherList !== '') tryContext({ ciphers: `${cipherList}:${DEFAULT_CIPHER_SUITES}` }, `Failed to configure ciphers: ${cipherList}`);
  if (cipherSuites !== '') {
    // Node routes names without the TLS_ prefix to the TLS 1.2 list: none is a TLS 1.3 suite.
    if (cipherSuites.split(':').some((name) => !name.startsWith('TLS_'))) throw new TlsConfigError(`Failed to configure ciphersuites: ${cipherSuites}`);
    tryContext({ ciphers: cipherSuites }, `Failed to configure ciphersuites: ${cipherSuites}`);
  }
  tryContext(options, `Failed to load private key: ${keyFile}`);
  return options;
}

function tryContext(options: tls.SecureContextOptions, what: string): void {
  try {
    tls.createSecureContext(options);
  } catch (err) {
    throw new TlsConfigError(`${what}: ${reason(err)}`);
  }
}

/**
 * Whether a handshaken connection may stay under tls-auth-clients `auth`: `yes` needs a
 * certificate that verified against the CA, `optional` refuses only one that did not verify.
 */
export function checkClientCertificate(socket: tls.TLSSocket, auth: ClientAuth): boolean {
  if (auth === 'no' || socket.authorized) return true;
  if (auth === 'yes') return false;
  return Object.keys(socket.getPeerCertificate()).length === 0;
}

const TLS1_3_VERSION = 0x0304;

/**
 * The protocol version in an SSL_SESSION's DER encoding (SEQUENCE { INTEGER 1, INTEGER
 * sslVersion, ... }, OpenSSL's ssl_asn1.c), or -1 when the bytes are not laid out so.
 */
export function sessionVersion(der: Buffer): number {
  if (der.length < 2 || der[0] !== 0x30) return -1;
  let at = 2;
  if (der[1]! & 0x80) at += der[1]! & 0x7f;
  if (der[at] !== 0x02 || der[at + 1] !== 0x01 || der[at + 3] !== 0x02 || der[at + 4] !== 0x02) return -1;
  return der.length < at + 7 ? -1 : der.readUInt16BE(at + 5);
}

/**
 * Session-ID resumption: the sessions a TLS server issued, by ID, at most `size` of them
 * (0: unbounded; the oldest goes first), each for `timeoutSeconds`.
 */
export class SessionCache {
  private readonly sessions = new Map<string, { data: Buffer; expires: number }>();
  size = 0;
  timeoutSeconds = 300;
  enabled = true;

  /** Serve `server`'s session-ID resumption from this cache. */
  attach(server: tls.Server): void {
    server.on('newSession', (id: Buffer, data: Buffer, done: () => void) => {
      this.store(id, data);
      done();
    });
    server.on('resumeSession', (id: Buffer, done: (err: Error | null, data: Buffer | null) => void) => {
      done(null, this.lookup(id));
    });
  }

  configure(config: ConfigStore): void {
    this.enabled = config.flag('tls-session-caching');
    this.size = config.number('tls-session-cache-size');
    this.timeoutSeconds = config.number('tls-session-cache-timeout');
    if (!this.enabled) this.sessions.clear();
    while (this.size > 0 && this.sessions.size > this.size) this.sessions.delete(this.sessions.keys().next().value!);
  }

  store(id: Buffer, data: Buffer): void {
    // TLS 1.3 sessions come back by (stateless) ticket, never by ID: keeping them would only
    // hold memory (two per handshake, ~850 bytes each).
    if (!this.enabled || sessionVersion(data) === TLS1_3_VERSION) return;
    if (this.size > 0 && this.sessions.size >= this.size) this.sessions.delete(this.sessions.keys().next().value!);
    this.sessions.set(id.toString('hex'), { data, expires: Date.now() + this.timeoutSeconds * 1000 });
  }

  lookup(id: Buffer): Buffer | null {
    const key = id.toString('hex');
    const entry = this.sessions.get(key);
    if (entry === undefined) return null;
    if (!this.enabled || entry.expires <= Date.now()) {
      this.sessions.delete(key);
      return null;
    }
    return entry.data;
  }

  get length(): number {
    return this.sessions.size;
  }
}
