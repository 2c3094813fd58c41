// Every Normal entry proposed through the runtime starts with a 16-byte request
// id, so that the node that accepted the client's request (leader or follower)
// can match the applied entry back to the waiting request. The state machine
// only sees the payload after it.
import { randomBytes } from 'node:crypto';

export const REQUEST_ID_BYTES = 16;

// A random prefix per process and a counter: unique like 16 random bytes, without
// a call into the CSPRNG on every proposal (it showed in write-path profiles).
const PROCESS_PREFIX = randomBytes(REQUEST_ID_BYTES / 2).toString('hex');
let sequence = 0;

export function newRequestId(): string {
  sequence++;
  return PROCESS_PREFIX + sequence.toString(16).padStart(REQUEST_ID_BYTES, '0');
}

export function wrapCommand(requestId: string, payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(REQUEST_ID_BYTES + payload.length);
  out.set(Buffer.from(requestId, 'hex'), 0);
  out.set(payload, REQUEST_ID_BYTES);
  return out;
}

export function unwrapCommand(data: Uint8Array): { requestId: string; payload: Uint8Array } {
  if (data.length < REQUEST_ID_BYTES) throw new Error(`entry too short for a request envelope (${data.length} bytes)`);
  return {
    requestId: Buffer.from(data.buffer, data.byteOffset, REQUEST_ID_BYTES).toString('hex'),
    payload: data.subarray(REQUEST_ID_BYTES),
  };
}
