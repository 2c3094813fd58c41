import { Module, type DynamicModule } from '@nestjs/common';
import { MetricsController, RAFT_METRICS } from './metrics.controller.js';
import type { RaftMetrics } from './raft-metrics.js';

@Module({})
export class MetricsModule {
  /** The app owns the RaftMetrics instance: the runtime reports to it before Nest starts. */
  static register(metrics: RaftMetrics): DynamicModule {
    return {
      module: MetricsModule,
      controllers: [MetricsController],
      providers: [{ provide: RAFT_METRICS, useValue: metrics }],
      exports: [RAFT_METRICS],
    };
  }
}

export { installHttpMetrics } from './http-metrics.js';
