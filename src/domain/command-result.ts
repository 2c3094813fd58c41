import type { ErrorBody } from '../http/api-error.js';

/** What apply decides: the HTTP status and JSON body the client receives. */
export interface CommandResult {
  readonly status: number;
  readonly body: unknown;
}

export function rejection(status: number, code: string, error: string): CommandResult {
  const body: ErrorBody = { error, code };
  return { status, body };
}
