import { FastifyAdapter } from '@nestjs/platform-fastify';

export const DEFAULT_BODY_LIMIT_BYTES = 1024 * 1024;

export interface HttpAdapterOptions {
  /** Largest accepted request body; larger ones get 413 PAYLOAD_TOO_LARGE. */
  readonly bodyLimit?: number;
}

export function createFastifyAdapter(options: HttpAdapterOptions = {}): FastifyAdapter {
  // `/api/v1/printers/` is the same resource as `/api/v1/printers`.
  // return503OnClosing off: while a stopping node drains, requests are still served
  // (forwarded to the new leader) instead of getting Fastify's own non-JSON 503.
  return new FastifyAdapter({
    bodyLimit: options.bodyLimit ?? DEFAULT_BODY_LIMIT_BYTES,
    routerOptions: { ignoreTrailingSlash: true },
    return503OnClosing: false,
  });
}
