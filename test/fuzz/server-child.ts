/*
 * The fuzzer's server process: slabcache started with startServer in a process of its own, so
 * that a crash (an uncaught exception, an unhandled rejection, an abort) ends this process and
 * the fuzzer observes it, instead of taking the fuzzer down with it. Directives come as one JSON
 * object in argv[2]; the bound port is printed as "PORT <n>". SIGTERM closes the server.
 * Nothing here catches errors: a fault slabcache does not contain itself must kill the process.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import v8 from 'node:v8';
import { startServer } from '../../src/server.ts';

const directives = JSON.parse(process.argv[2] ?? '{}') as Record<string, string>;
const srv = await startServer({ 'metrics-port': '0', ...directives, port: '0', bind: '127.0.0.1' });
process.stdout.write(`PORT ${srv.port}\n`);
// FUZZ_MEMLOG=ms: print the process's memory use (heap, external, array buffers) and its longest
// event-loop stall periodically.
const memlog = Number(process.env['FUZZ_MEMLOG'] ?? 0);
if (memlog > 0) {
  const delay = monitorEventLoopDelay({ resolution: 10 });
  delay.enable();
  setInterval(() => {
    const m = process.memoryUsage();
    const mib = (n: number): string => (n / 1048576).toFixed(1);
    process.stdout.write(`MEM rss ${mib(m.rss)} heapTotal ${mib(m.heapTotal)} heapUsed ${mib(m.heapUsed)} external ${mib(m.external)} arrayBuffers ${mib(m.arrayBuffers)} max-loop-delay-ms ${(delay.max / 1e6).toFixed(0)} spaces ${v8.getHeapSpaceStatistics().map((sp) => `${sp.space_name}=${mib(sp.space_size)}/${mib(sp.space_used_size)}`).join(' ')}\n`);
    delay.reset();
  }, memlog).unref();
}
process.once('SIGTERM', () => {
  void srv.close().then(() => process.exit(0));
});
