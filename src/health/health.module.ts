import { Module, type DynamicModule } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { HealthController } from './health.controller.js';
import { DEFAULT_HEALTH_OPTIONS, HEALTH_OPTIONS, HEALTH_SOURCE, type HealthOptions, type HealthSource } from './health-source.js';
import { LivenessIndicator } from './liveness.indicator.js';
import { ReadinessIndicator } from './readiness.indicator.js';

@Module({})
export class HealthModule {
  static register(source: HealthSource, options: Partial<HealthOptions> = {}): DynamicModule {
    return {
      module: HealthModule,
      // A NotReady node is expected during elections and catch-up: no error log per probe.
      imports: [TerminusModule.forRoot({ logger: false })],
      controllers: [HealthController],
      providers: [
        { provide: HEALTH_SOURCE, useValue: source },
        { provide: HEALTH_OPTIONS, useValue: { ...DEFAULT_HEALTH_OPTIONS, ...options } },
        LivenessIndicator,
        ReadinessIndicator,
      ],
    };
  }
}
