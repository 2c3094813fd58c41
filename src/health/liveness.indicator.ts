// Liveness is local only: a stuck event loop is the one thing a restart fixes.
// Leader, quorum and peers are deliberately not consulted (kubernetes.md §7:
// liveness tied to the cluster causes cascading restarts during elections).
import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import { HealthIndicatorService, type HealthIndicatorResult } from '@nestjs/terminus';
import { EventLoopDelay } from './event-loop-delay.js';
import { HEALTH_OPTIONS, type HealthOptions } from './health-source.js';

@Injectable()
export class LivenessIndicator implements OnModuleDestroy {
  private readonly monitor: EventLoopDelay | null;
  private readonly delay: () => number;

  constructor(
    @Inject(HealthIndicatorService) private readonly indicators: HealthIndicatorService,
    @Inject(HEALTH_OPTIONS) private readonly options: HealthOptions,
  ) {
    if (options.eventLoopDelay) {
      this.monitor = null;
      this.delay = options.eventLoopDelay;
    } else {
      const monitor = new EventLoopDelay();
      this.monitor = monitor;
      this.delay = () => monitor.maxSinceLastSeconds();
    }
  }

  eventLoop(): HealthIndicatorResult<'event_loop'> {
    const session = this.indicators.check('event_loop');
    const delaySeconds = round3(this.delay());
    const limitSeconds = this.options.maxEventLoopDelaySeconds;
    return delaySeconds > limitSeconds ? session.down({ delaySeconds, limitSeconds }) : session.up({ delaySeconds });
  }

  onModuleDestroy(): void {
    this.monitor?.close();
  }
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}
