// Throughput of two TcpTransports in one process over loopback: batches of
// small App frames (about 200 bytes on the wire), as the leader sends them.
// Run: npx tsc -p bench/transport/tsconfig.json && node dist/transport-bench/bench/transport/throughput.js [frames] [batch] [entryBytes]
import { TcpTransport } from '../../src/consensus/transport/tcp-transport.js';
import { encodeFrame } from '../../src/consensus/transport/frame-codec.js';
import type { PeerFrame } from '../../src/consensus/transport/frames.js';
import type { Message } from '../../src/consensus/core/types.js';

const total = Number(process.argv[2] ?? 500_000);
const batch = Number(process.argv[3] ?? 256);
/** Entry payload size; 148 makes a 200-byte frame on the wire. */
const dataBytes = Number(process.argv[4] ?? 148);
const quiet = { info: (): void => undefined, warn: (o: object, m: string): void => console.error(m, o) };

function frame(i: number): PeerFrame {
  const message: Message = {
    type: 'App' as Message['type'],
    from: 'leader',
    to: 'follower',
    term: 3,
    index: 1_000_000 + i,
    logTerm: 3,
    entries: [{ index: 1_000_001 + i, term: 3, type: 0, data: new Uint8Array(dataBytes).fill(i & 0xff) }],
    commit: 1_000_000 + i,
    reject: false,
    rejectHint: 0,
    context: '',
  };
  return { kind: 'raft', message };
}

async function main(): Promise<void> {
  const mk = (id: string): TcpTransport =>
    new TcpTransport({ listen: '127.0.0.1:0', self: { id, incarnation: id }, clusterId: () => 'bench', logger: quiet });
  const sender = mk('leader');
  const receiver = mk('follower');
  await sender.start();
  await receiver.start();
  const frameBytes = encodeFrame(frame(0)).length;
  let received = 0;
  let done: () => void = () => undefined;
  const finished = new Promise<void>((resolve) => (done = resolve));
  receiver.onFrame(() => {
    if (++received === total) done();
  });
  const to = receiver.address();
  const started = process.hrtime.bigint();
  let sent = 0;
  let dropped = 0;
  const pump = (): void => {
    // Keep a bounded number of frames in flight, like a leader's in-flight window.
    const inFlight = sent - received;
    let n = Math.min(batch, total - sent, Math.max(0, 64 * batch - inFlight));
    while (n-- > 0) {
      if (sender.send('follower', to, frame(sent))) sent++;
      else {
        dropped++;
        break;
      }
    }
    if (sent < total) setImmediate(pump);
  };
  pump();
  await finished;
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const mb = (total * frameBytes) / 1e6;
  console.log(
    JSON.stringify({
      frames: total,
      batch,
      frameBytes,
      seconds: +seconds.toFixed(3),
      framesPerSecond: Math.round(total / seconds),
      megabytesPerSecond: +(mb / seconds).toFixed(1),
      droppedSends: dropped,
    }),
  );
  await sender.stop();
  await receiver.stop();
}

await main();
