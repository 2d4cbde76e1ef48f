/*
 * The fuzzer's server process: slabcache started with startServer in a process of its own, so
 * that a crash (an uncaught exception, an unhandled rejection, an abort) ends this process and
 * the fuzzer observes it, instead of taking the fuzzer down with it. Directives come as one JSON
 * object in argv[2]; the bound port is printed as "PORT <n>". SIGTERM closes the server.
 * Nothing here catches errors: a fault slabcache does not contain itself must kill the process.
 */
import { startServer } from '../../src/server.ts';

const directives = JSON.parse(process.argv[2] ?? '{}') as Record<string, string>;
const srv = await startServer({ 'metrics-port': '0', ...directives, port: '0', bind: '127.0.0.1' });
process.stdout.write(`PORT ${srv.port}\n`);
process.once('SIGTERM', () => {
  void srv.close().then(() => process.exit(0));
});
