// The checks of the fault-free quiesce window (raft.md §4.3): a leader within
// three maximum election timeouts of the last fault (L1), no leader change
// after that while nothing fails (L2, with pre-vote and check-quorum on), and
// at the end every member of the final configuration at the same commit
// index, applied index and state hash, with no client operation left pending.
import { TICK } from './params.js';
import type { SimNode } from './node.js';
import { Violation } from './invariants.js';
import type { Simulation } from './simulation.js';

/** Null when converged, else what is still different. */
export function convergenceGap(sim: Simulation): string | null {
  const leader = sim.currentLeader();
  if (leader === null) return 'no leader';
  const st = leader.core.status();
  for (const m of st.membership.members) {
    const host = sim.hosts.get(m.id);
    const p: SimNode | null | undefined = host?.proc;
    if (p === null || p === undefined) return `member ${m.id} is not running`;
    if (p.identity.incarnation !== m.incarnation) return `member ${m.id} runs incarnation ${p.identity.incarnation}, the configuration says ${m.incarnation}`;
    const ps = p.core.status();
    if (ps.commit !== st.commit) return `${m.id} commit ${ps.commit}, leader ${leader.id} commit ${st.commit}`;
    if (p.applied !== leader.applied) return `${m.id} applied ${p.applied}, leader ${leader.id} applied ${leader.applied}`;
  }
  if (sim.workload.inFlight > 0) return `${sim.workload.inFlight} client operations still pending`;
  return null;
}

export function checkLiveness(sim: Simulation): void {
  const p = sim.params;
  const bound = 3 * 2 * p.electionTicks * TICK;
  const first = sim.leaderAfterQuiesce;
  if (first === null || first.time - sim.quiesceAt > bound) {
    const when = first === null ? 'at all' : `until ${Math.floor((first.time - sim.quiesceAt) / TICK)} ticks`;
    throw new Violation('L1', `no leader ${when} after the faults stopped (bound ${bound / TICK} ticks)`);
  }
  const gap = convergenceGap(sim);
  if (gap !== null) throw new Violation('L1', `replicas did not converge in the quiesce window: ${gap}`);
  const leader = sim.currentLeader()!;
  const hash = leader.sm.stateHash();
  for (const m of leader.core.status().membership.members) {
    const node = sim.hosts.get(m.id)!.proc!;
    if (node.sm.stateHash() !== hash) throw new Violation('S8', `${m.id}'s final state differs from the leader's at applied index ${leader.applied}`);
    sim.invariants.checkDomain(node);
  }
  if (p.preVote && p.checkQuorum && sim.stableLeaderSince !== null && sim.leaderChangesAfterStable > 0) {
    throw new Violation('L2', `the leader changed ${sim.leaderChangesAfterStable} time(s) in the fault-free window after ${sim.stableLeaderSince}`);
  }
}
