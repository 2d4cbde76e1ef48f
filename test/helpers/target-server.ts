/*
 * The server under test for differential suites: slabcache started in-process with
 * startServer (src/server.ts), or, for debugging the harness itself, a second redis-server.
 *
 * DIFF_TARGET selects it:
 *   auto (default)  slabcache; while startServer still throws 'not implemented', a second
 *                   redis-server instead, with a visible warning (the suite then checks the
 *                   harness and its canonicalisation: two redis-servers must agree).
 *   slabcache       slabcache, whatever happens (a start-up failure fails the suite).
 *   redis           a second redis-server (redis-vs-redis mode).
 *
 * Both kinds get the same directives; the caller passes only the ones the test needs.
 */
import { startRedisServer } from './redis-server.ts';

export type TargetKind = 'slabcache' | 'redis';

export interface TargetServer {
  kind: TargetKind;
  host: string;
  port: number;
  stop(): Promise<void>;
}

export function requestedTarget(): 'auto' | TargetKind {
  const v = (process.env['DIFF_TARGET'] ?? 'auto').toLowerCase();
  if (v === 'auto' || v === 'slabcache' || v === 'redis') return v;
  throw new Error(`DIFF_TARGET must be auto, slabcache or redis (got ${JSON.stringify(v)})`);
}

let warned = false;

export async function startTarget(directives: Record<string, string> = {}): Promise<TargetServer> {
  const wanted = requestedTarget();
  if (wanted !== 'redis') {
    try {
      // Imported here, not at the top, so that redis-vs-redis mode works whatever state src/ is in.
      const { startServer } = await import('../../src/server.ts');
      // loglevel warning, as startRedisServer gives redis-server: no start-up lines in test output.
      const srv = await startServer({ loglevel: 'warning', ...directives, port: '0', bind: '127.0.0.1' });
      return { kind: 'slabcache', host: srv.host, port: srv.port, stop: () => srv.close() };
    } catch (err) {
      const notYet = err instanceof Error && /not implemented/i.test(err.message);
      if (wanted === 'slabcache' || !notYet) throw err;
      if (!warned) {
        warned = true;
        console.warn('slabcache startServer() is not implemented yet: running redis-server vs redis-server '
          + '(validates the harness only; set DIFF_TARGET=slabcache to insist)');
      }
    }
  }
  const r = await startRedisServer(directives);
  return { kind: 'redis', host: r.host, port: r.port, stop: () => r.stop() };
}
