// A Config entry holds the whole new Membership (not a delta), encoded as
// JSON with a fixed key order and members sorted by id, so that every node
// produces byte-identical entries for the same configuration.
import type { ConfChange, Member, MemberRole, Membership, NodeId } from './types.js';

export const EMPTY_MEMBERSHIP: Membership = { members: [] };

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

function normalizeMember(m: Member): Member {
  return { id: m.id, role: m.role, raftAddress: m.raftAddress, httpAddress: m.httpAddress, incarnation: m.incarnation };
}

function sortedMembers(members: readonly Member[]): Member[] {
  return members.map(normalizeMember).sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

export function encodeMembership(m: Membership): Uint8Array {
  return encoder.encode(JSON.stringify({ members: sortedMembers(m.members) }));
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function parseMember(v: unknown): Member | null {
  if (!isRecord(v)) return null;
  const { id, role, raftAddress, httpAddress, incarnation } = v;
  if (typeof id !== 'string' || id === '') return null;
  if (role !== 'voter' && role !== 'learner') return null;
  if (typeof raftAddress !== 'string' || typeof httpAddress !== 'string' || typeof incarnation !== 'string') return null;
  return { id, role, raftAddress, httpAddress, incarnation };
}

/** Decodes Config entry data; null when the bytes are not a valid Membership. */
export function tryDecodeMembership(data: Uint8Array): Membership | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(decoder.decode(data));
  } catch {
    return null;
  }
  if (!isRecord(parsed) || !Array.isArray(parsed.members)) return null;
  const members: Member[] = [];
  for (const raw of parsed.members) {
    const member = parseMember(raw);
    if (member === null) return null;
    members.push(member);
  }
  const sorted = sortedMembers(members);
  for (let i = 1; i < sorted.length; i++) if (sorted[i - 1]!.id === sorted[i]!.id) return null;
  return { members: sorted };
}

export function decodeMembership(data: Uint8Array): Membership {
  const m = tryDecodeMembership(data);
  if (m === null) throw new Error('invalid membership encoding in Config entry');
  return m;
}

export function roleOf(m: Membership, id: NodeId): MemberRole | null {
  return m.members.find((x) => x.id === id)?.role ?? null;
}

/** Voter ids in sorted order (members are kept sorted). */
export function voterIds(m: Membership): NodeId[] {
  return m.members.filter((x) => x.role === 'voter').map((x) => x.id);
}

/**
 * The configuration after `cc`, or null when the change makes no sense:
 * adding an existing id, promoting anything but a learner, removing an
 * unknown id, or removing the last voter (nobody could ever commit again).
 */
export function applyConfChange(m: Membership, cc: ConfChange): Membership | null {
  switch (cc.type) {
    case 'add-learner': {
      if (cc.member.id === '' || roleOf(m, cc.member.id) !== null) return null;
      return { members: sortedMembers([...m.members, { ...cc.member, role: 'learner' }]) };
    }
    case 'promote': {
      if (roleOf(m, cc.id) !== 'learner') return null;
      return { members: sortedMembers(m.members.map((x) => (x.id === cc.id ? { ...x, role: 'voter' } : x))) };
    }
    case 'remove': {
      if (roleOf(m, cc.id) === null) return null;
      const rest = m.members.filter((x) => x.id !== cc.id);
      if (!rest.some((x) => x.role === 'voter')) return null;
      return { members: sortedMembers(rest) };
    }
  }
}
