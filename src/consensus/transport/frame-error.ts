/** Malformed, oversized or unexpected input on a peer connection; closes only that connection. */
export class FrameError extends Error {
  override readonly name = 'FrameError';
}
