export { ApiError, type ErrorBody } from './api-error.js';
export { configureHttp } from './configure-http.js';
export { createFastifyAdapter, DEFAULT_BODY_LIMIT_BYTES, type HttpAdapterOptions } from './fastify-adapter.js';
export { HttpExceptionFilter } from './http-exception.filter.js';
export type { HttpReply, HttpRequest } from './http-reply.js';
