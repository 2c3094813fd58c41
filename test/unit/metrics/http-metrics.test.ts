import 'reflect-metadata';
import './inject-support.js';
import { describe, test, expect, beforeAll, afterAll } from '@jest/globals';
import { Controller, Get, HttpException, Module, Param } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { installHttpMetrics } from '../../../src/metrics/http-metrics.js';
import { MetricsModule } from '../../../src/metrics/metrics.module.js';
import { RaftMetrics } from '../../../src/metrics/raft-metrics.js';

@Controller('api/v1')
class JobsController {
  @Get('print_jobs/:id')
  get(@Param('id') id: string): Record<string, string> {
    if (id === 'missing') throw new HttpException({ error: 'not found', code: 'NOT_FOUND' }, 404);
    return { id };
  }
}

@Module({ controllers: [JobsController] })
class JobsModule {}

describe('GET /metrics and the HTTP timing hook', () => {
  const metrics = new RaftMetrics();
  let app: NestFastifyApplication;

  beforeAll(async () => {
    @Module({ imports: [JobsModule, MetricsModule.register(metrics)] })
    class AppModule {}
    app = await NestFactory.create<NestFastifyApplication>(AppModule, new FastifyAdapter(), { logger: false });
    installHttpMetrics(app.getHttpAdapter().getInstance(), metrics);
    await app.init();
    await app.getHttpAdapter().getInstance().ready();
  });

  afterAll(async () => {
    await app.close();
  });

  const inject = (url: string) => app.getHttpAdapter().getInstance().inject({ method: 'GET', url });

  test('requests are labelled by route template, never by raw URL; unknown routes are "unmatched"', async () => {
    expect((await inject('/api/v1/print_jobs/job-17')).statusCode).toBe(200);
    expect((await inject('/api/v1/print_jobs/job-18?x=1')).statusCode).toBe(200);
    expect((await inject('/api/v1/print_jobs/missing')).statusCode).toBe(404);
    expect((await inject('/no/such/path/42')).statusCode).toBe(404);

    const res = await inject('/metrics');
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8');
    const body = res.body;
    const all = body.split('\n');
    expect(all).toEqual(
      expect.arrayContaining([
        'http_requests_total{method="GET",route="/api/v1/print_jobs/:id",status_code="200"} 2',
        'http_requests_total{method="GET",route="/api/v1/print_jobs/:id",status_code="404"} 1',
        'http_requests_total{method="GET",route="unmatched",status_code="404"} 1',
        'http_request_duration_seconds_count{method="GET",route="/api/v1/print_jobs/:id",status_code="200"} 2',
      ]),
    );
    expect(body).not.toContain('job-17');
    expect(body).not.toContain('/no/such/path');
    expect(body).toContain('# TYPE raft_is_leader gauge');
  });

  test('a scrape itself is counted on the next scrape', async () => {
    await inject('/metrics');
    const body = (await inject('/metrics')).body;
    expect(body).toMatch(/^http_requests_total\{method="GET",route="\/metrics",status_code="200"\} [1-9]\d*$/m);
  });
});
