// Socket helpers shared by the fault proxy's parts.
import type { Socket } from 'node:net';

/** Ends a TCP connection with an RST, as a partition or a crashed peer would. */
export function resetSocket(socket: Socket): void {
  if (socket.destroyed) return;
  // resetAndDestroy on a connecting socket waits for the connection to finish first.
  // Between end() and the completed shutdown, libuv refuses the RST (EINVAL) and
  // Node then never emits 'close', so whoever waits for it would hang.
  if (socket.connecting || (socket.writableEnded && !socket.writableFinished)) {
    socket.destroy();
    return;
  }
  try {
    socket.resetAndDestroy();
  } catch {
    socket.destroy();
  }
}

/** The IPv4 form of a remote address ('::ffff:127.0.0.11' → '127.0.0.11'). */
export function plainAddress(address: string | undefined): string {
  if (address === undefined) return '';
  return address.startsWith('::ffff:') ? address.slice('::ffff:'.length) : address;
}

/** Resolves once `socket` has emitted 'close' (at once if it has). */
export function socketClosed(socket: Socket): Promise<void> {
  if (socket.closed) return Promise.resolve();
  return new Promise((resolve) => socket.once('close', () => resolve()));
}
