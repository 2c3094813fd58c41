// resetSocket right after end(): the fault proxy resets a connection whose
// other side just half-closed (a node killed while a partition starts), and
// ProxyMesh.close() waits for every socket's 'close'.
import { describe, test, expect } from '@jest/globals';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { resetSocket } from '../../support/fault-sockets.js';

async function withConnection(run: (socket: net.Socket) => Promise<void>): Promise<void> {
  const accepted: net.Socket[] = [];
  const server = net.createServer({ allowHalfOpen: true }, (s) => {
    s.on('error', () => {});
    accepted.push(s);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const socket = net.connect({ host: '127.0.0.1', port: (server.address() as AddressInfo).port, allowHalfOpen: true });
  socket.on('error', () => {});
  try {
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    await run(socket);
  } finally {
    socket.destroy();
    for (const s of accepted) s.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

const within = (ms: number, p: Promise<void>): Promise<string> =>
  Promise.race([p.then(() => 'closed'), new Promise<string>((resolve) => setTimeout(() => resolve('no close event'), ms))]);

describe('resetSocket', () => {
  test('right after end(), while the shutdown is pending, the socket still closes', async () => {
    await withConnection(async (socket) => {
      // Listened for from before, like ProxiedConnection does: `closed` is set even when 'close' never comes.
      const closeEvent = new Promise<void>((resolve) => socket.once('close', () => resolve()));
      socket.end();
      resetSocket(socket);
      expect(await within(2000, closeEvent)).toBe('closed');
    });
  });

  test('on an open connection it sends an RST: the peer sees ECONNRESET', async () => {
    const peerError = await new Promise<string>((resolve, reject) => {
      const server = net.createServer((s) => {
        s.on('error', (e: NodeJS.ErrnoException) => {
          resolve(e.code ?? '');
          server.close();
        });
        s.on('close', () => resolve('closed without error'));
      });
      server.listen(0, '127.0.0.1', () => {
        const socket = net.connect({ host: '127.0.0.1', port: (server.address() as AddressInfo).port });
        socket.on('error', reject);
        socket.once('connect', () => setTimeout(() => resetSocket(socket), 20));
      });
    });
    expect(peerError).toBe('ECONNRESET');
  });
});
