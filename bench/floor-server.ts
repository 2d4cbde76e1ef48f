/*
 * The do-nothing floor: a minimal RESP server on node:net that parses every request and
 * answers a constant reply (bench/lib/floor-protocol.ts), one socket.write per read. It is
 * the third server of `npm run bench`: what Node itself allows for the same load, beside
 * redis-server, so the table shows how much of slabcache's cost is slabcache's own.
 *
 *   node bench/floor-server.ts --port 7000 [--bind 127.0.0.1]
 *
 * Same socket treatment as a real server: Nagle off, reads into one shared buffer as
 * slabcache's (src/socket-input.ts: no allocation or 'data' event per read), reading paused
 * while a client's replies wait unsent (backpressure). SIGTERM/SIGINT close the listener and
 * exit 0.
 */
import net from 'node:net';
import { parseArgs } from 'node:util';
import { FloorConnection } from './lib/floor-protocol.ts';
import { readIntoSharedBuffer } from '../src/socket-input.ts';

const { values } = parseArgs({
  options: { port: { type: 'string', default: '6390' }, bind: { type: 'string', default: '127.0.0.1' } },
  strict: true,
});
const port = Number(values.port);
if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port: bad port '${values.port}'`);

const sockets = new Set<net.Socket>();

const sharedReadBuffer = Buffer.allocUnsafeSlow(64 * 1024);

const server = net.createServer({ noDelay: true, pauseOnConnect: true }, (socket) => {
  sockets.add(socket);
  const conn = new FloorConnection();
  const resume = () => socket.resume();
  const onChunk = (chunk: Buffer) => {
    const out = conn.feed(chunk);
    if (out !== null && !socket.write(out)) {
      socket.pause();
      socket.once('drain', resume);
    }
    if (conn.closing) socket.end();
  };
  if (!readIntoSharedBuffer(socket, sharedReadBuffer, (n) => onChunk(sharedReadBuffer.subarray(0, n)))) socket.on('data', onChunk);
  socket.resume();
  socket.on('error', () => socket.destroy());
  socket.on('close', () => sockets.delete(socket));
});

server.on('error', (err) => {
  process.stderr.write(`floor-server: ${err.message}\n`);
  process.exit(1);
});
server.listen(port, values.bind, () => {
  const addr = server.address() as net.AddressInfo;
  process.stdout.write(`floor-server listening on ${addr.address}:${addr.port} (pid ${process.pid})\n`);
});

function stop(): void {
  server.close();
  for (const s of sockets) s.destroy();
  process.exit(0);
}
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
