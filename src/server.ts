/*
 * CONTRACT STUB: how tests and the CLI start a server (the runtime work replaces this).
 *
 * startServer takes redis.conf directives as strings (the same names and value syntax as a
 * config file or CONFIG SET: { port: '0', requirepass: 'secret', maxmemory: '100mb' }); port
 * '0' picks an ephemeral port, reported in `port`. close() stops accepting, flushes pending
 * replies, closes every connection and resolves when done.
 */

export interface RunningServer {
  host: string;
  port: number;
  close(): Promise<void>;
}

export async function startServer(directives: Record<string, string> = {}): Promise<RunningServer> {
  void directives;
  throw new Error('not implemented');
}
