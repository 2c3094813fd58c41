// Readiness: may this node serve clients? Each condition is its own indicator
// so that a 503 body names what is missing (kubernetes.md §7).
import { Inject, Injectable } from '@nestjs/common';
import { HealthIndicatorService, type HealthIndicatorResult } from '@nestjs/terminus';
import type { CoreStatus } from '../consensus/core/types.js';
import { healthyVoters, memberCounts, quorumSize, roleOf } from '../metrics/cluster-view.js';
import { HEALTH_OPTIONS, HEALTH_SOURCE, type HealthOptions, type HealthSource } from './health-source.js';

@Injectable()
export class ReadinessIndicator {
  constructor(
    @Inject(HealthIndicatorService) private readonly indicators: HealthIndicatorService,
    @Inject(HEALTH_SOURCE) private readonly source: HealthSource,
    @Inject(HEALTH_OPTIONS) private readonly options: HealthOptions,
  ) {}

  /** Not stopped and not draining for a planned stop. */
  running(): HealthIndicatorResult<'raft_running'> {
    const session = this.indicators.check('raft_running');
    if (this.source.isStopped) return session.down({ reason: 'stopped' });
    if (this.source.isDraining === true) return session.down({ reason: 'shutting down' });
    return session.up();
  }

  /** A voter or learner of the current configuration, with a known cluster id. */
  member(status: CoreStatus): HealthIndicatorResult<'raft_member'> {
    const session = this.indicators.check('raft_member');
    if (this.source.clusterId === '') return session.down({ reason: 'cluster id not known yet' });
    const role = roleOf(status, this.source.id);
    if (role === null) return session.down({ reason: 'not a member of the configuration', id: this.source.id });
    return session.up({ role });
  }

  /**
   * A leader is known. A candidate's remembered leader is stale, so only a
   * follower's (or a learner's) counts; a leader must still reach a quorum.
   */
  leader(status: CoreStatus): HealthIndicatorResult<'raft_leader'> {
    const session = this.indicators.check('raft_leader');
    if (status.role === 'leader') {
      const healthy = healthyVoters(status) ?? 0;
      const quorum = quorumSize(memberCounts(status).voter);
      if (healthy < quorum) return session.down({ reason: 'leader without an active quorum', healthy, quorum });
      return session.up({ leader: status.leader, term: status.term });
    }
    if (status.role !== 'follower' || status.leader === '') return session.down({ reason: 'no leader known', role: status.role });
    // A follower cut off from its leader (or removed without knowing it) still remembers it.
    const age = this.source.leaderContactAgeMs?.();
    const limit = this.source.leaderContactTimeoutMs;
    if (age !== undefined && limit !== undefined && age > limit) {
      return session.down({ reason: 'leader not heard from recently', leader: status.leader, silentMs: Math.round(age), limitMs: limit });
    }
    return session.up({ leader: status.leader, term: status.term });
  }

  /** The state machine has applied (almost) everything known to be committed. */
  caughtUp(status: CoreStatus): HealthIndicatorResult<'raft_applied'> {
    const session = this.indicators.check('raft_applied');
    const applied = this.source.appliedIndex;
    const commit = status.commit;
    const data = { applied, commit, maxLag: this.options.maxAppliedLag };
    return applied >= commit - this.options.maxAppliedLag ? session.up(data) : session.down(data);
  }

  status(): CoreStatus {
    return this.source.status();
  }
}
