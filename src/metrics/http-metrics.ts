// Times every HTTP request by route template. The raw URL is never a label:
// ids in paths would make the series count grow without bound.
import type { FastifyInstance } from 'fastify';

export interface HttpObserver {
  observeHttp(method: string, route: string, statusCode: number, seconds: number): void;
}

/** Label for requests that matched no route (404s, scanners). */
export const UNMATCHED_ROUTE = 'unmatched';

/**
 * Registers the timing hook on the Fastify instance. Call it before the Nest
 * app is initialised (before `app.init()`/`app.listen()`), so that it wraps
 * every route, the not-found handler included.
 */
export function installHttpMetrics(fastify: FastifyInstance, metrics: HttpObserver): void {
  fastify.addHook('onResponse', (request, reply, done) => {
    const route = request.routeOptions.url ?? UNMATCHED_ROUTE;
    // elapsedTime runs from routing (before onRequest hooks) to the end of the response.
    metrics.observeHttp(request.method, route, reply.statusCode, reply.elapsedTime / 1000);
    done();
  });
}
