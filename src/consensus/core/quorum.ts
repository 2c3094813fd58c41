// Majority arithmetic over a set of voters. Only voters count; learners and
// non-members never make or break a quorum.
import type { NodeId } from './types.js';

export function majority(voterCount: number): number {
  return Math.floor(voterCount / 2) + 1;
}

/**
 * The highest index held by a majority of voters, given each voter's match
 * index; 0 when there are no voters (nothing can be committed then).
 */
export function quorumIndex(matches: readonly number[]): number {
  if (matches.length === 0) return 0;
  const sorted = [...matches].sort((a, b) => b - a);
  return sorted[majority(matches.length) - 1]!;
}

export type VoteResult = 'won' | 'lost' | 'pending';

/** Tallies distinct votes (one per voter id, B9); votes from non-voters are ignored. */
export function voteResult(voters: readonly NodeId[], votes: ReadonlyMap<NodeId, boolean>): VoteResult {
  if (voters.length === 0) return 'lost';
  let granted = 0;
  let rejected = 0;
  for (const v of voters) {
    const vote = votes.get(v);
    if (vote === true) granted++;
    else if (vote === false) rejected++;
  }
  const need = majority(voters.length);
  if (granted >= need) return 'won';
  if (voters.length - rejected < need) return 'lost';
  return 'pending';
}

/** True when a majority of voters satisfies `pred`. */
export function hasQuorum(voters: readonly NodeId[], pred: (id: NodeId) => boolean): boolean {
  if (voters.length === 0) return false;
  let n = 0;
  for (const v of voters) if (pred(v)) n++;
  return n >= majority(voters.length);
}
