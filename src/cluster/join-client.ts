// A fresh node started with -join asks the members it was given to add it,
// until one of them (or the leader it forwards to) accepts. Retries with
// backoff until it succeeds or the node stops.
import type { Logger } from 'pino';
import type { RaftNode } from '../consensus/runtime/raft-node.js';
import { TOKEN_HEADER } from './cluster-token.guard.js';

export interface JoinTarget {
  readonly seeds: readonly string[];
  readonly raftAddress: string;
  readonly httpAddress: string;
  readonly token: string | undefined;
}

interface JoinAnswer {
  readonly cluster_id: string;
  readonly members: readonly { id: string; raft_address: string }[];
}

function isJoinAnswer(v: unknown): v is JoinAnswer {
  if (typeof v !== 'object' || v === null) return false;
  const o = v as Record<string, unknown>;
  return typeof o['cluster_id'] === 'string' && o['cluster_id'] !== '' && Array.isArray(o['members']);
}

export async function joinCluster(node: RaftNode<unknown>, target: JoinTarget, logger: Logger): Promise<void> {
  let backoff = 200;
  let lastProblem = '';
  const body = JSON.stringify({ id: node.id, raft_address: target.raftAddress, http_address: target.httpAddress, incarnation: node.incarnation });
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (target.token !== undefined) headers[TOKEN_HEADER] = target.token;
  while (!node.isStopped) {
    for (const seed of target.seeds) {
      let problem: string;
      try {
        const res = await fetch(`http://${seed}/cluster/join`, { method: 'POST', headers, body, signal: AbortSignal.timeout(15_000) });
        const answer: unknown = await res.json();
        if (res.ok && isJoinAnswer(answer)) {
          await node.adoptClusterId(answer.cluster_id);
          for (const m of answer.members) node.learnAddress(m.id, m.raft_address);
          logger.info({ via: seed, clusterId: answer.cluster_id }, 'joined the cluster as a learner');
          return;
        }
        problem = `${seed} answered ${res.status}: ${JSON.stringify(answer)}`;
      } catch (error) {
        problem = `${seed} unreachable: ${(error as Error).message}`;
      }
      if (problem !== lastProblem) logger.warn({ problem }, 'join attempt failed; retrying');
      lastProblem = problem;
      if (node.isStopped) return;
    }
    await new Promise((r) => setTimeout(r, backoff));
    backoff = Math.min(backoff * 2, 2000);
  }
}
