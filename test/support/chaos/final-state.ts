// The whole print-farm state as one node serves it from its local copy
// (?consistency=stale), parsed just enough to check the domain invariants.
import type { ProcessCluster } from '../process-cluster.js';

export interface FinalFilament {
  readonly id: string;
  readonly total: number;
  readonly remaining: number;
}

export interface FinalJob {
  readonly id: string;
  readonly filamentId: string;
  readonly weight: number;
  readonly status: string;
}

export interface FinalState {
  readonly filaments: readonly FinalFilament[];
  readonly jobs: readonly FinalJob[];
  /** The three lists exactly as served, for byte comparison between nodes. */
  readonly raw: string;
}

const LIMIT = 10_000;

export async function readFinalState(cluster: ProcessCluster, id: string): Promise<FinalState> {
  const texts: string[] = [];
  const bodies: unknown[] = [];
  for (const kind of ['printers', 'filaments', 'print_jobs']) {
    const r = await cluster.request(id, 'GET', `/api/v1/${kind}?consistency=stale&limit=${LIMIT}`, undefined, {}, 10_000);
    if (r.status !== 200 || !Array.isArray(r.body)) throw new Error(`${id}: GET ${kind} answered ${r.status}`);
    if (r.body.length >= LIMIT) throw new Error(`${id}: more than ${LIMIT - 1} ${kind}; the final comparison would miss some`);
    bodies.push(r.body);
    texts.push(JSON.stringify(r.body));
  }
  return { filaments: (bodies[1] as unknown[]).map(parseFilament), jobs: (bodies[2] as unknown[]).map(parseJob), raw: texts.join('\n') };
}

function parseFilament(v: unknown): FinalFilament {
  const r = record(v);
  return { id: str(r, 'id'), total: num(r, 'total_weight_in_grams'), remaining: num(r, 'remaining_weight_in_grams') };
}

function parseJob(v: unknown): FinalJob {
  const r = record(v);
  return { id: str(r, 'id'), filamentId: str(r, 'filament_id'), weight: num(r, 'print_weight_in_grams'), status: str(r, 'status') };
}

function record(v: unknown): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error(`expected an object, got ${JSON.stringify(v)}`);
  return v as Record<string, unknown>;
}

function str(r: Record<string, unknown>, field: string): string {
  const v = r[field];
  if (typeof v !== 'string') throw new Error(`${field} is not a string in ${JSON.stringify(r)}`);
  return v;
}

function num(r: Record<string, unknown>, field: string): number {
  const v = r[field];
  if (typeof v !== 'number') throw new Error(`${field} is not a number in ${JSON.stringify(r)}`);
  return v;
}
