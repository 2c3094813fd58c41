// GET /metrics: the Prometheus exposition of this node's registry.
import { Controller, Get, Inject, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import type { RaftMetrics } from './raft-metrics.js';

export const RAFT_METRICS = Symbol('RaftMetrics');

@Controller()
export class MetricsController {
  constructor(@Inject(RAFT_METRICS) private readonly metrics: RaftMetrics) {}

  @Get('metrics')
  async scrape(@Res() reply: FastifyReply): Promise<void> {
    const body = await this.metrics.metrics();
    void reply.status(200).header('content-type', this.metrics.contentType).send(body);
  }
}
