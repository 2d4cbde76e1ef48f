/*
 * Reading a plain TCP socket into one buffer shared by every connection, as net.Socket does
 * with its `onread: { buffer, callback }` option: a read then allocates nothing and skips the
 * Readable stream's push and 'data' event (A/B: about a tenth of slabcache's CPU per GET at
 * pipeline 16). net.Server has no such option for the sockets it accepts, so the option's own
 * keys (net.Socket's kBuffer and kBufferCb symbols) are set on a socket accepted paused
 * (pauseOnConnect), before it first reads; net.Socket's pause() and resume() then stop and
 * restart its handle as usual.
 *
 * The callback runs synchronously for each read; the shared bytes are valid only until it
 * returns, so whatever must outlive it is copied (the parser keeps a client's unread input).
 * The read side's counterpart of output.ts's direct writes.
 */
import net, { type Socket } from 'node:net';

interface UserBufferHandle {
  useUserBuffer(buffer: Uint8Array): void;
}

/** net.Socket's keys for its onread option (the buffer, the callback), or null where absent. */
const onreadKeys = findOnreadKeys();

function findOnreadKeys(): { buffer: symbol; callback: symbol } | null {
  const symbols = Object.getOwnPropertySymbols(new net.Socket());
  const buffer = symbols.find((s) => s.description === 'kBuffer');
  const callback = symbols.find((s) => s.description === 'kBufferCb');
  return buffer !== undefined && callback !== undefined ? { buffer, callback } : null;
}

/**
 * Make a plain TCP socket, accepted paused and not yet resumed, read into `buffer` and call
 * onRead(nread) for each read. False if it cannot (a TLS socket, or a runtime whose
 * net.Socket lacks the keys): the caller reads through 'data' events instead.
 */
export function readIntoSharedBuffer(socket: Socket, buffer: Buffer, onRead: (nread: number) => void): boolean {
  if (onreadKeys === null || 'encrypted' in socket) return false;
  const handle = (socket as unknown as { _handle: Partial<UserBufferHandle> | null })._handle;
  if (handle === null || typeof handle.useUserBuffer !== 'function') return false;
  const fields = socket as unknown as Record<symbol, unknown>;
  fields[onreadKeys.buffer] = buffer;
  fields[onreadKeys.callback] = onRead;
  handle.useUserBuffer(buffer);
  return true;
}
