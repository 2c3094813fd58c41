// The HTTP side of a node: Nest on Fastify with every controller. main.ts
// loads this module only once the Raft node has booted (see there).
import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { Logger } from 'pino';
import { AppModule, type AppDeps } from './app.module.js';
import { configureHttp, createFastifyAdapter } from './http/index.js';
import { NestPinoLogger } from './logging.js';
import { installHttpMetrics } from './metrics/metrics.module.js';

export interface HttpAppOptions {
  readonly deps: AppDeps;
  readonly bodyLimitBytes: number;
  /** host:port to listen on. */
  readonly listen: string;
  readonly logger: Logger;
}

export interface HttpApp {
  close(): Promise<void>;
}

export async function startHttpApp(o: HttpAppOptions): Promise<HttpApp> {
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.register(o.deps), createFastifyAdapter({ bodyLimit: o.bodyLimitBytes }), {
    logger: new NestPinoLogger(o.logger),
  });
  configureHttp(app);
  installHttpMetrics(app.getHttpAdapter().getInstance(), o.deps.metrics);
  const [host, port] = splitHostPort(o.listen);
  await app.listen(port, host);
  return app;
}

function splitHostPort(address: string): [string, number] {
  const i = address.lastIndexOf(':');
  return [address.slice(0, i).replace(/^\[|\]$/g, ''), Number(address.slice(i + 1))];
}
