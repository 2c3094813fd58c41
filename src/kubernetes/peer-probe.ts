// GET /cluster/status of every possible peer, in parallel and with a timeout.
// A name that does not resolve yet (NXDOMAIN is cached for up to 30 s) or a
// refused connection simply counts as "no answer" for this round.
import type { PeerMember, PeerObservation, PeerStatus } from './start-decision.js';

export const PROBE_TIMEOUT_MS = 1500;

export async function probePeers(
  peers: readonly { ordinal: number; name: string; httpAddress: string }[],
  timeoutMs = PROBE_TIMEOUT_MS,
): Promise<PeerObservation[]> {
  return Promise.all(
    peers.map(async (p) => ({ ...p, status: await probeStatus(p.httpAddress, timeoutMs) })),
  );
}

export async function probeStatus(httpAddress: string, timeoutMs: number): Promise<PeerStatus | null> {
  try {
    const res = await fetch(`http://${httpAddress}/cluster/status`, { signal: AbortSignal.timeout(timeoutMs) });
    if (!res.ok) return null;
    return parsePeerStatus(await res.json());
  } catch {
    return null;
  }
}

/** Narrows a /cluster/status body; null when it is not one. */
export function parsePeerStatus(body: unknown): PeerStatus | null {
  if (!isRecord(body)) return null;
  const clusterId = body['cluster_id'];
  const role = body['role'];
  if (typeof clusterId !== 'string' || typeof role !== 'string') return null;
  const term = typeof body['term'] === 'number' ? body['term'] : 0;
  const leaderHttp = body['leader_http_address'];
  const members: PeerMember[] = [];
  if (Array.isArray(body['members'])) {
    for (const m of body['members']) {
      if (!isRecord(m) || typeof m['id'] !== 'string') continue;
      const inc = m['incarnation'];
      members.push(typeof inc === 'string' && inc !== '' ? { id: m['id'], incarnation: inc } : { id: m['id'] });
    }
  }
  return { clusterId, role, term, leaderHttpAddress: typeof leaderHttp === 'string' ? leaderHttp : null, members };
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
