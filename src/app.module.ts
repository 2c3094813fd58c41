// The root module: one feature module per bounded context, each handed the
// objects it needs (the consensus node and the state machine are created once
// in main.ts, before Nest starts, because they own disk and network).
import { Module, type DynamicModule } from '@nestjs/common';
import { DomainModule } from './domain/domain.module.js';
import type { PrintFarmStateMachine } from './domain/print-farm.state-machine.js';
import { ClusterModule } from './cluster/cluster.module.js';
import { MetricsModule } from './metrics/metrics.module.js';
import type { RaftMetrics } from './metrics/raft-metrics.js';
import { HealthModule } from './health/health.module.js';
import type { RaftNode } from './consensus/runtime/raft-node.js';
import type { CommandResult } from './domain/print-farm.state-machine.js';

export interface AppDeps {
  readonly node: RaftNode<CommandResult>;
  readonly stateMachine: PrintFarmStateMachine;
  readonly metrics: RaftMetrics;
  readonly clusterToken: string | undefined;
  readonly requestTimeoutMs: number;
}

@Module({})
export class AppModule {
  static register(deps: AppDeps): DynamicModule {
    return {
      module: AppModule,
      imports: [
        DomainModule.register({ stateMachine: deps.stateMachine, replicator: deps.node, requestTimeoutMs: deps.requestTimeoutMs }),
        ClusterModule.register({ node: deps.node as RaftNode<unknown>, token: deps.clusterToken, requestTimeoutMs: deps.requestTimeoutMs }),
        MetricsModule.register(deps.metrics),
        HealthModule.register(deps.node),
      ],
    };
  }
}
