/*
 * The server under test for differential suites: slabcache started in-process with
 * startServer (src/server.ts), or, for debugging the harness itself, a second redis-server.
 *
 * DIFF_TARGET selects it:
 *   slabcache (default)  slabcache; a start-up failure fails the suite.
 *   redis                a second redis-server (redis-vs-redis mode: two redis-servers must
 *                        agree, which checks the harness and its canonicalisation).
 *
 * Both kinds get the same directives; the caller passes only the ones the test needs.
 */
import { startRedisServer } from './redis-server.ts';
import { startServer } from '../../src/server.ts';

export type TargetKind = 'slabcache' | 'redis';

export interface TargetServer {
  kind: TargetKind;
  host: string;
  port: number;
  stop(): Promise<void>;
}

export function requestedTarget(): TargetKind {
  const v = (process.env['DIFF_TARGET'] ?? 'slabcache').toLowerCase();
  if (v === 'slabcache' || v === 'redis') return v;
  throw new Error(`DIFF_TARGET must be slabcache or redis (got ${JSON.stringify(v)})`);
}

export async function startTarget(directives: Record<string, string> = {}): Promise<TargetServer> {
  if (requestedTarget() === 'slabcache') {
    const srv = await startServer({ 'metrics-port': '0', ...directives, port: '0', bind: '127.0.0.1' });
    return { kind: 'slabcache', host: srv.host, port: srv.port, stop: () => srv.close() };
  }
  const r = await startRedisServer(directives);
  return { kind: 'redis', host: r.host, port: r.port, stop: () => r.stop() };
}
