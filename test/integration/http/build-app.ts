// The real Nest application on Fastify, with the print farm API over a
// single-node in-process replicator. Requests go through `inject` (no sockets).
import 'reflect-metadata';
import { jest } from '@jest/globals';
import { Controller, Get, HttpException, Module, ServiceUnavailableException } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { CommandResult } from '../../../src/domain/command-result.js';
import { DomainModule } from '../../../src/domain/domain.module.js';
import { PrintFarmStateMachine } from '../../../src/domain/print-farm.state-machine.js';
import { configureHttp } from '../../../src/http/configure-http.js';
import { createFastifyAdapter } from '../../../src/http/fastify-adapter.js';
import { LocalReplicator } from '../../support/local-replicator.js';

// Fastify's inject (light-my-request) requires the ESM-only `cookie` package with
// require(), which Jest's module registry cannot do on Node 20. It is only used
// for request cookies, which these tests never send.
jest.mock('cookie', () => ({
  stringifySetCookie: (): never => {
    throw new Error('cookies are not supported by the test injector');
  },
}));

/** Stands for the operations endpoints other modules add with ordinary controllers. */
@Controller('health')
class ProbeController {
  @Get('live')
  live(): { status: string } {
    return { status: 'ok' };
  }

  @Get('boom')
  boom(): never {
    throw new Error('unexpected failure');
  }

  /** What terminus throws for a failed check. */
  @Get('unready')
  unready(): never {
    throw new ServiceUnavailableException({ status: 'error', info: {}, error: { raft: { status: 'down' } }, details: { raft: { status: 'down' } } });
  }

  /** Another module's own error body. */
  @Get('token')
  token(): never {
    throw new HttpException({ error: 'a valid cluster token is required', code: 'UNAUTHORIZED' }, 401);
  }
}

export interface TestApp {
  readonly app: NestFastifyApplication;
  readonly stateMachine: PrintFarmStateMachine;
  readonly replicator: LocalReplicator<CommandResult>;
  request(options: InjectOptions): Promise<InjectResponse>;
  close(): Promise<void>;
}

export interface InjectOptions {
  readonly method: string;
  readonly url: string;
  readonly payload?: unknown;
  readonly headers?: Record<string, string>;
}

export interface InjectResponse {
  readonly statusCode: number;
  readonly headers: Record<string, string | string[] | number | undefined>;
  readonly body: string;
  json(): unknown;
}

export async function buildApp(options: { bodyLimit?: number } = {}): Promise<TestApp> {
  const stateMachine = new PrintFarmStateMachine();
  const replicator = new LocalReplicator<CommandResult>(stateMachine);

  @Module({
    imports: [DomainModule.register({ stateMachine, replicator, requestTimeoutMs: 1000 })],
    controllers: [ProbeController],
  })
  class TestRootModule {}

  const adapterOptions = options.bodyLimit === undefined ? {} : { bodyLimit: options.bodyLimit };
  const app = await NestFactory.create<NestFastifyApplication>(TestRootModule, createFastifyAdapter(adapterOptions), {
    logger: false,
  });
  configureHttp(app);
  await app.init();
  await app.getHttpAdapter().getInstance().ready();
  const fastify = app.getHttpAdapter().getInstance();
  return {
    app,
    stateMachine,
    replicator,
    request: async (o) => {
      const response = await fastify.inject({
        method: o.method as 'GET',
        url: o.url,
        ...(o.payload === undefined ? {} : { payload: o.payload as string }),
        ...(o.headers === undefined ? {} : { headers: o.headers }),
      });
      return {
        statusCode: response.statusCode,
        headers: response.headers,
        body: response.body,
        json: () => JSON.parse(response.body) as unknown,
      };
    },
    close: () => app.close(),
  };
}
