// Shared by the controllers: how apply's outcome and list pages become responses.
import type { HttpReply } from '../http/http-reply.js';
import type { CommandResult } from './command-result.js';
import type { Page } from './queries.js';

export const CONSISTENCY_HEADER = 'x-raft3d-consistency';
export const IDEMPOTENCY_HEADER = 'idempotency-key';

export function sendResult(reply: HttpReply, result: CommandResult): unknown {
  reply.status(result.status);
  return result.body;
}

/** Returns the items; a full page gets a `Link: <…after=last>; rel="next"` header. */
export function sendPage<T extends { id: string }>(reply: HttpReply, requestUrl: string, page: Page<T>): T[] {
  const last = page.items[page.items.length - 1];
  if (page.hasMore && last !== undefined) {
    const url = new URL(requestUrl, 'http://localhost');
    url.searchParams.set('after', last.id);
    reply.header('Link', `<${url.pathname}${url.search}>; rel="next"`);
  }
  return page.items;
}
