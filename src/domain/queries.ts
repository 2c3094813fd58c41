// List requests as the state machine understands them (already validated).
import type { FilamentType, JobStatus } from './field-rules.js';

export const DEFAULT_LIST_LIMIT = 1000;
export const MAX_LIST_LIMIT = 10_000;

export interface PageRequest {
  /** Only ids strictly greater than this one. */
  readonly after?: string;
  readonly limit: number;
}

export interface FilamentQuery extends PageRequest {
  readonly type?: FilamentType;
}

export interface JobQuery extends PageRequest {
  readonly status?: JobStatus;
  readonly printerId?: string;
  readonly filamentId?: string;
}

export interface Page<T> {
  /** Ascending by id. */
  readonly items: T[];
  /** Whether items beyond the last returned one match the query. */
  readonly hasMore: boolean;
}

export interface FarmCounts {
  readonly printers: number;
  readonly filaments: number;
  readonly jobsByStatus: Record<JobStatus, number>;
}
