// GET /health/live and /health/ready (api.md §6): 200 or 503 with terminus's JSON body.
import { Controller, Get, Inject } from '@nestjs/common';
import { HealthCheck, HealthCheckService, type HealthCheckResult } from '@nestjs/terminus';
import { LivenessIndicator } from './liveness.indicator.js';
import { ReadinessIndicator } from './readiness.indicator.js';

@Controller('health')
export class HealthController {
  constructor(
    @Inject(HealthCheckService) private readonly health: HealthCheckService,
    @Inject(LivenessIndicator) private readonly liveness: LivenessIndicator,
    @Inject(ReadinessIndicator) private readonly readiness: ReadinessIndicator,
  ) {}

  @Get('live')
  @HealthCheck()
  live(): Promise<HealthCheckResult> {
    return this.health.check([() => this.liveness.eventLoop()]);
  }

  @Get('ready')
  @HealthCheck()
  ready(): Promise<HealthCheckResult> {
    const r = this.readiness;
    // One status() per probe: every condition judges the same moment.
    const status = r.status();
    return this.health.check([() => r.running(), () => r.member(status), () => r.leader(status), () => r.caughtUp(status)]);
  }
}
