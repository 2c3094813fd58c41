import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { HttpExceptionFilter } from './http-exception.filter.js';
import { parseJsonBody, requireJsonContentType } from './json-body.js';
import { RouteTable } from './route-table.js';

/**
 * Installs what every endpoint of the process shares: JSON-only bodies, the
 * global error filter (`{ error, code }` for every failure, 405 with Allow for a
 * known path under another method). Call it before `app.init()` / `app.listen()`:
 * routes are recorded as they are registered.
 */
export function configureHttp(app: NestFastifyApplication): void {
  const adapter = app.getHttpAdapter();
  const fastify = adapter.getInstance();
  const routes = new RouteTable();
  fastify.addHook('onRoute', (route) => routes.add(route.method, route.url));
  fastify.addHook('onRequest', requireJsonContentType);
  app.useBodyParser('application/json', { bodyLimit: fastify.initialConfig.bodyLimit }, parseJsonBody);
  app.useGlobalFilters(new HttpExceptionFilter(adapter, routes));
}
