// HTTP client for a node's admin API (/cluster/*), with a deadline on every call.
// The operator reaches pods by their stable DNS names under the headless Service.
import { TOKEN_HEADER } from '../cluster/cluster-token.guard.js';

export const STATUS_TIMEOUT_MS = 5000;
/** The node itself waits up to 10 s for a membership change to commit. */
export const CHANGE_TIMEOUT_MS = 12_000;

export interface NodeMemberStatus {
  readonly id: string;
  readonly role: 'voter' | 'learner';
  readonly matchIndex: number | null;
  /** Leader only: heard from within the last election timeout. */
  readonly recentActive: boolean | null;
}

export interface NodeStatus {
  readonly id: string;
  readonly clusterId: string;
  readonly role: string;
  readonly term: number;
  readonly leaderId: string | null;
  readonly commitIndex: number;
  readonly lastLogIndex: number | null;
  readonly configIndex: number | null;
  readonly transferringTo: string | null;
  readonly members: readonly NodeMemberStatus[];
}

export interface NodeClient {
  status(address: string): Promise<NodeStatus>;
  transferLeadership(address: string, to: string, token: string | undefined): Promise<void>;
  /** Idempotent: a member that is already gone counts as removed. */
  removeMember(address: string, id: string, token: string | undefined): Promise<void>;
}

export class NodeApiError extends Error {
  override readonly name = 'NodeApiError';
  constructor(
    message: string,
    readonly status: number | null,
    readonly code: string | null,
  ) {
    super(message);
  }
}

export class HttpNodeClient implements NodeClient {
  constructor(
    private readonly statusTimeoutMs = STATUS_TIMEOUT_MS,
    private readonly changeTimeoutMs = CHANGE_TIMEOUT_MS,
  ) {}

  async status(address: string): Promise<NodeStatus> {
    const body = await this.call('GET', address, '/cluster/status', undefined, undefined, this.statusTimeoutMs);
    const parsed = parseNodeStatus(body);
    if (parsed === null) throw new NodeApiError(`${address}: /cluster/status answered an unexpected body`, 200, null);
    return parsed;
  }

  async transferLeadership(address: string, to: string, token: string | undefined): Promise<void> {
    await this.call('POST', address, '/cluster/transfer-leadership', { id: to }, token, this.changeTimeoutMs);
  }

  async removeMember(address: string, id: string, token: string | undefined): Promise<void> {
    try {
      await this.call('DELETE', address, `/cluster/members/${encodeURIComponent(id)}`, undefined, token, this.changeTimeoutMs);
    } catch (error) {
      if (error instanceof NodeApiError && error.status === 404 && error.code === 'NOT_FOUND') return;
      throw error;
    }
  }

  private async call(method: string, address: string, path: string, body: unknown, token: string | undefined, timeoutMs: number): Promise<unknown> {
    const headers: Record<string, string> = {};
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (token !== undefined) headers[TOKEN_HEADER] = token;
    let res: Response;
    try {
      res = await fetch(`http://${address}${path}`, {
        method,
        headers,
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (error) {
      throw new NodeApiError(`${method} ${address}${path}: ${error instanceof Error ? error.message : String(error)}`, null, null);
    }
    const text = await res.text();
    let json: unknown = null;
    try {
      json = text === '' ? null : JSON.parse(text);
    } catch {
      json = null;
    }
    if (!res.ok) {
      const rec = isRecord(json) ? json : {};
      const code = typeof rec['code'] === 'string' ? rec['code'] : null;
      const message = typeof rec['error'] === 'string' ? rec['error'] : text.slice(0, 200);
      throw new NodeApiError(`${method} ${address}${path}: ${res.status} ${message}`, res.status, code);
    }
    return json;
  }
}

/** Narrows a /cluster/status body; null when it is not one. */
export function parseNodeStatus(body: unknown): NodeStatus | null {
  if (!isRecord(body)) return null;
  const id = body['id'];
  const role = body['role'];
  const term = body['term'];
  const commit = body['commit_index'];
  if (typeof id !== 'string' || typeof role !== 'string' || typeof term !== 'number' || typeof commit !== 'number') return null;
  const members: NodeMemberStatus[] = [];
  if (Array.isArray(body['members'])) {
    for (const m of body['members']) {
      if (!isRecord(m) || typeof m['id'] !== 'string' || (m['role'] !== 'voter' && m['role'] !== 'learner')) continue;
      members.push({
        id: m['id'],
        role: m['role'],
        matchIndex: typeof m['match_index'] === 'number' ? m['match_index'] : null,
        recentActive: typeof m['recent_active'] === 'boolean' ? m['recent_active'] : null,
      });
    }
  }
  const str = (k: string): string | null => (typeof body[k] === 'string' && body[k] !== '' ? (body[k] as string) : null);
  const num = (k: string): number | null => (typeof body[k] === 'number' ? (body[k] as number) : null);
  return {
    id,
    clusterId: str('cluster_id') ?? '',
    role,
    term,
    leaderId: str('leader_id'),
    commitIndex: commit,
    lastLogIndex: num('last_log_index'),
    configIndex: num('config_index'),
    transferringTo: str('transferring_to'),
    members,
  };
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
