// Which of the two connections to a peer carries a frame. Small, latency-
// critical frames (heartbeats, votes, acks) must never queue behind a large
// payload, so they get their own connection.
import { MessageType } from '../core/types.js';
import type { PeerFrame } from './frames.js';

export type Channel = 'control' | 'bulk';

/** Anything at least this large goes to bulk, whatever its type (a big forwarded proposal, say). */
export const BULK_FRAME_BYTES = 64 * 1024;

export function channelFor(frame: PeerFrame, encodedBytes: number): Channel {
  if (encodedBytes >= BULK_FRAME_BYTES) return 'bulk';
  switch (frame.kind) {
    case 'snap-chunk':
      return 'bulk';
    case 'snap-ack':
      return 'control';
    case 'raft': {
      const m = frame.message;
      if (m.type === MessageType.Snap) return 'bulk';
      return m.type === MessageType.App && m.entries.length > 0 ? 'bulk' : 'control';
    }
  }
}
