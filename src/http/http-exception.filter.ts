// The one place that turns any failure into the JSON error of api.md §4
// `{ "error", "code" }`, for every route of the process (the API, /metrics,
// /health, /cluster, /debug) and for Fastify's own failures (body parsing,
// body limit, unknown routes).
import { STATUS_CODES } from 'node:http';
import { Catch, HttpException, Logger, type ArgumentsHost, type ExceptionFilter, type HttpServer } from '@nestjs/common';
import { NoLeaderError } from '../consensus/runtime/replicator.js';
import { ApiError, type ErrorBody } from './api-error.js';
import type { RouteTable } from './route-table.js';

/** What the filter needs of Nest's HTTP adapter (works for Fastify replies and raw responses). */
export type ErrorReplyAdapter = Pick<HttpServer, 'reply' | 'isHeadersSent' | 'setHeader' | 'getRequestMethod' | 'getRequestUrl'>;

interface ErrorResponse {
  readonly status: number;
  readonly body: ErrorBody & Readonly<Record<string, unknown>>;
  readonly headers: Readonly<Record<string, string>>;
}

const CODE_BY_STATUS: Readonly<Record<number, string>> = {
  400: 'VALIDATION_FAILED',
  404: 'NOT_FOUND',
  405: 'METHOD_NOT_ALLOWED',
  409: 'ALREADY_EXISTS',
  413: 'PAYLOAD_TOO_LARGE',
  500: 'INTERNAL',
};

@Catch()
export class HttpExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('HttpExceptionFilter');

  constructor(
    private readonly adapter: ErrorReplyAdapter,
    private readonly routes: RouteTable,
  ) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const request: unknown = http.getRequest();
    const response: unknown = http.getResponse();
    const answer = this.describe(exception, request);
    if (answer.status >= 500 && !(exception instanceof NoLeaderError)) {
      this.logger.error(
        `${answer.status} on ${this.methodOf(request)} ${this.pathOf(request)}`,
        exception instanceof Error ? exception.stack : String(exception),
      );
    }
    if (this.adapter.isHeadersSent(response)) return;
    for (const [name, value] of Object.entries(answer.headers)) this.adapter.setHeader(response, name, value);
    this.adapter.setHeader(response, 'Content-Type', 'application/json; charset=utf-8');
    this.adapter.reply(response, answer.body, answer.status);
  }

  private describe(exception: unknown, request: unknown): ErrorResponse {
    if (exception instanceof ApiError) {
      return plain(exception.httpStatus, exception.code, exception.message, exception.headers);
    }
    if (exception instanceof NoLeaderError) {
      const seconds = Math.max(0, Math.ceil(exception.retryAfterSeconds));
      return plain(503, 'NO_LEADER', exception.message || 'no leader is available', { 'Retry-After': String(seconds) });
    }
    if (exception instanceof HttpException) return this.describeHttpException(exception, request);
    return plain(500, 'INTERNAL', 'internal server error');
  }

  private describeHttpException(exception: HttpException, request: unknown): ErrorResponse {
    const status = exception.getStatus();
    if (status === 404 && isUnmatchedRoute(request)) return this.noRoute(request);
    const response = exception.getResponse();
    if (isErrorBody(response)) return { status, body: { ...response }, headers: {} };
    switch (fastifyCode(exception.cause)) {
      case 'FST_ERR_CTP_BODY_TOO_LARGE':
        return plain(413, 'PAYLOAD_TOO_LARGE', `request body is larger than the limit of ${bodyLimitOf(request)} bytes`);
      case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
        return plain(400, 'VALIDATION_FAILED', 'Content-Type must be application/json');
      case 'FST_ERR_CTP_INVALID_JSON_BODY':
      case 'FST_ERR_CTP_EMPTY_JSON_BODY':
        return plain(400, 'VALIDATION_FAILED', 'request body is not valid JSON');
    }
    const answer = plain(status, codeFor(status), messageOf(response, exception.message));
    return { ...answer, body: { ...extraFields(response), ...answer.body } };
  }

  private noRoute(request: unknown): ErrorResponse {
    const method = this.methodOf(request);
    const path = this.pathOf(request);
    const allowed = this.routes.allowedMethods(path);
    if (allowed.length > 0) {
      return plain(405, 'METHOD_NOT_ALLOWED', `${method} is not allowed on ${path}`, { Allow: allowed.join(', ') });
    }
    return plain(404, 'NOT_FOUND', `no route for ${method} ${path}`);
  }

  private methodOf(request: unknown): string {
    return this.adapter.getRequestMethod?.(request) ?? 'UNKNOWN';
  }

  private pathOf(request: unknown): string {
    return (this.adapter.getRequestUrl?.(request) ?? '').split('?')[0] ?? '';
  }
}

function plain(
  status: number,
  code: string,
  error: string,
  headers: Readonly<Record<string, string>> = {},
): ErrorResponse {
  return { status, body: { error, code }, headers };
}

function codeFor(status: number): string {
  return (
    CODE_BY_STATUS[status] ??
    (STATUS_CODES[status] ?? `HTTP_${status}`).toUpperCase().replace(/[^A-Z0-9]+/g, '_').replace(/^_|_$/g, '')
  );
}

/** Fastify answered the request with its not-found handler: no route matched method and path. */
function isUnmatchedRoute(request: unknown): boolean {
  return typeof request === 'object' && request !== null && 'is404' in request && request.is404 === true;
}

/** Another module may throw an HttpException whose response already is `{ error, code, ... }`. */
function isErrorBody(value: unknown): value is ErrorBody {
  return (
    typeof value === 'object' &&
    value !== null &&
    'error' in value &&
    typeof value.error === 'string' &&
    'code' in value &&
    typeof value.code === 'string'
  );
}

function fastifyCode(cause: unknown): string | undefined {
  if (typeof cause === 'object' && cause !== null && 'code' in cause && typeof cause.code === 'string') {
    return cause.code;
  }
  return undefined;
}

/**
 * Fields of an exception's response object beyond Nest's own message/error/
 * statusCode (e.g. terminus's `status`, `info` and `details` on a failed health
 * check), kept next to `error` and `code`.
 */
function extraFields(response: string | object): Record<string, unknown> {
  if (typeof response === 'string') return {};
  const extra: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(response)) {
    if (key !== 'message' && key !== 'error' && key !== 'statusCode' && key !== 'code') extra[key] = value;
  }
  return extra;
}

function messageOf(response: string | object, fallback: string): string {
  if (typeof response === 'string') return response;
  if ('message' in response) {
    const message = response.message;
    if (typeof message === 'string') return message;
    if (Array.isArray(message)) return message.map(String).join('; ');
  }
  return fallback;
}

/** The body limit Fastify applied to this request (its route option, set from the adapter's bodyLimit). */
function bodyLimitOf(request: unknown): number | string {
  if (typeof request !== 'object' || request === null) return 'the configured';
  const opts = (request as { routeOptions?: { bodyLimit?: unknown } }).routeOptions;
  return typeof opts?.bodyLimit === 'number' ? opts.bodyLimit : 'the configured';
}
