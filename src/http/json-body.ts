// Request bodies are JSON only. An empty body counts as no body (the seed's
// status change is often sent with a JSON content type and nothing else); a
// body of any other content type is refused before it is read.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ApiError } from './api-error.js';

const METHODS_WITH_BODY = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

// Handlers read named fields only and never merge bodies into other objects, so
// a "__proto__" key (an own property after JSON.parse) is harmless here.
export function parseJsonBody(
  _request: FastifyRequest,
  body: Buffer,
  done: (err: Error | null, body?: unknown) => void,
): void {
  if (body.length === 0) {
    done(null, undefined);
    return;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch {
    done(new ApiError(400, 'VALIDATION_FAILED', 'request body is not valid JSON'));
    return;
  }
  done(null, parsed);
}

export function requireJsonContentType(request: FastifyRequest, _reply: FastifyReply, done: (err?: Error) => void): void {
  if (request.is404 || !METHODS_WITH_BODY.has(request.method) || !hasBody(request)) {
    done();
    return;
  }
  const mediaType = (request.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (mediaType !== 'application/json') {
    done(new ApiError(400, 'VALIDATION_FAILED', 'Content-Type must be application/json'));
    return;
  }
  done();
}

function hasBody(request: FastifyRequest): boolean {
  if (request.headers['transfer-encoding'] !== undefined) return true;
  const length = request.headers['content-length'];
  return length !== undefined && length !== '0';
}
