import { Module, type DynamicModule } from '@nestjs/common';
import type { RaftNode } from '../consensus/runtime/raft-node.js';
import { ClusterController, CLUSTER_SERVICE } from './cluster.controller.js';
import { ClusterService } from './cluster.service.js';
import { CLUSTER_TOKEN, ClusterTokenGuard } from './cluster-token.guard.js';

export interface ClusterModuleOptions {
  readonly node: RaftNode<unknown>;
  readonly token: string | undefined;
  readonly requestTimeoutMs: number;
}

@Module({})
export class ClusterModule {
  static register(opts: ClusterModuleOptions): DynamicModule {
    return {
      module: ClusterModule,
      controllers: [ClusterController],
      providers: [
        { provide: CLUSTER_SERVICE, useValue: new ClusterService(opts.node, opts.token, opts.requestTimeoutMs) },
        { provide: CLUSTER_TOKEN, useValue: opts.token },
        ClusterTokenGuard,
      ],
    };
  }
}
