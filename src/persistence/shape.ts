// Narrowing of decoded metadata (msgpack gives `unknown`): a record that passed
// its checksum but has the wrong shape is still treated as corruption.
import type { Member, Membership, SnapshotMeta } from '../consensus/core/types.js';
import type { NodeIdentity } from './types.js';

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isIndex(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

function toMember(value: unknown): Member | null {
  if (!isRecord(value)) return null;
  const { id, role, raftAddress, httpAddress, incarnation } = value;
  if (typeof id !== 'string' || (role !== 'voter' && role !== 'learner')) return null;
  if (typeof raftAddress !== 'string' || typeof httpAddress !== 'string' || typeof incarnation !== 'string') {
    return null;
  }
  return { id, role, raftAddress, httpAddress, incarnation };
}

export function toMembership(value: unknown): Membership | null {
  if (!isRecord(value) || !Array.isArray(value.members)) return null;
  const members: Member[] = [];
  for (const raw of value.members) {
    const member = toMember(raw);
    if (member === null) return null;
    members.push(member);
  }
  return { members };
}

export function toSnapshotMeta(value: unknown): SnapshotMeta | null {
  if (!isRecord(value) || !isIndex(value.index) || !isIndex(value.term)) return null;
  const membership = toMembership(value.membership);
  if (membership === null) return null;
  return { index: value.index, term: value.term, membership };
}

export function toNodeIdentity(value: unknown): NodeIdentity | null {
  if (!isRecord(value)) return null;
  const { clusterId, nodeId, incarnation } = value;
  if (typeof clusterId !== 'string' || typeof nodeId !== 'string' || typeof incarnation !== 'string') return null;
  return { clusterId, nodeId, incarnation };
}

/** Plain copies, so that encoders never see extra properties of caller objects. */
export function plainSnapshotMeta(meta: SnapshotMeta): SnapshotMeta {
  return {
    index: meta.index,
    term: meta.term,
    membership: {
      members: meta.membership.members.map((m) => ({
        id: m.id,
        role: m.role,
        raftAddress: m.raftAddress,
        httpAddress: m.httpAddress,
        incarnation: m.incarnation,
      })),
    },
  };
}
