// A hand-written CoreStatus for metrics and health tests.
import type { CoreStatus, Member, MemberRole, PeerProgress, Role } from '../../../src/consensus/core/types.js';

export interface FakeStatusInput {
  readonly id?: string;
  readonly role?: Role;
  readonly leader?: string;
  readonly term?: number;
  readonly commit?: number;
  readonly lastIndex?: number;
  /** [id, role] of every member, this node included. */
  readonly members?: readonly (readonly [string, MemberRole])[];
  /** Leader only: [id, match, recentActive]. Roles come from `members`. */
  readonly progress?: readonly (readonly [string, number, boolean])[];
}

export function member(id: string, role: MemberRole): Member {
  return { id, role, raftAddress: `${id}:7000`, httpAddress: `${id}:8000`, incarnation: `inc-${id}` };
}

export function fakeStatus(input: FakeStatusInput = {}): CoreStatus {
  const members = (input.members ?? [['n1', 'voter'], ['n2', 'voter'], ['n3', 'voter']]).map(([id, role]) => member(id, role));
  const roleOf = (id: string): MemberRole => members.find((m) => m.id === id)?.role ?? 'voter';
  const progress: PeerProgress[] = (input.progress ?? []).map(([id, match, recentActive]) => ({
    id,
    role: roleOf(id),
    match,
    next: match + 1,
    state: 'replicate',
    recentActive,
    inflight: 0,
  }));
  const commit = input.commit ?? 10;
  return {
    id: input.id ?? 'n1',
    term: input.term ?? 1,
    vote: '',
    role: input.role ?? 'follower',
    leader: input.leader ?? '',
    commit,
    applied: commit,
    firstIndex: 1,
    lastIndex: input.lastIndex ?? commit,
    snapshot: null,
    configIndex: 1,
    membership: { members },
    progress,
    transferee: '',
  };
}
