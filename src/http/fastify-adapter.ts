import { FastifyAdapter } from '@nestjs/platform-fastify';

export const DEFAULT_BODY_LIMIT_BYTES = 1024 * 1024;

export interface HttpAdapterOptions {
  /** Largest accepted request body; larger ones get 413 PAYLOAD_TOO_LARGE. */
  readonly bodyLimit?: number;
}

export function createFastifyAdapter(options: HttpAdapterOptions = {}): FastifyAdapter {
  return new FastifyAdapter({ bodyLimit: options.bodyLimit ?? DEFAULT_BODY_LIMIT_BYTES });
}
