// Who may talk to this node: same cluster (when both sides know theirs) and,
// when a token is configured, proof of the same token.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Hello } from './frames.js';

/** Hex SHA-256 of the cluster token, as carried in Hello; '' without a token. */
export function tokenDigest(token: string | undefined): string {
  return token ? createHash('sha256').update(token, 'utf8').digest('hex') : '';
}

export class HelloAuth {
  private readonly expected: Buffer | null;

  constructor(
    private readonly clusterId: () => string,
    token: string | undefined,
  ) {
    this.expected = token ? Buffer.from(tokenDigest(token), 'utf8') : null;
  }

  /** Why `hello` is refused, or null when it is accepted. */
  refusal(hello: Hello): string | null {
    const ours = this.clusterId();
    if (ours !== '' && hello.clusterId !== '' && hello.clusterId !== ours) {
      return `cluster id mismatch: ours ${ours}, theirs ${hello.clusterId}`;
    }
    if (this.expected !== null) {
      const got = Buffer.from(hello.tokenDigest, 'utf8');
      // The length of a hex digest is public; only the content needs a constant-time compare.
      if (got.length !== this.expected.length || !timingSafeEqual(got, this.expected)) return 'bad cluster token';
    }
    return null;
  }
}
