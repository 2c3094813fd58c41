// The requests each row sends, for Raft3D's REST API and for etcd's JSON
// gateway, with the same payload sizes: a write carries a 16-byte key and a
// 200-byte record, reads and status changes address keys written earlier.
import { call } from './http.js';

export type Method = 'GET' | 'POST' | 'PUT';

export interface RequestSpec {
  readonly method: Method;
  readonly path: string;
  readonly body?: string;
  readonly headers: Record<string, string>;
}

export interface Workload {
  /** Creates what later writes refer to (Raft3D: a printer and filaments). */
  prepare(url: string): Promise<void>;
  /** A write of a new 16-byte key with a 200-byte record. */
  create(): RequestSpec;
  /** A status change (Queued → Running, then Running → Done) of a key created earlier. */
  transition(): RequestSpec;
  /** A read by key of a record created earlier. */
  read(stale: boolean): RequestSpec;
}

export const KEY_BYTES = 16;
export const VALUE_BYTES = 200;
const JSON_HEADERS = { 'content-type': 'application/json' };

/** Unique 16-byte keys, and cursors over the keys handed out so far. */
export class KeyPool {
  private readonly tag = Math.random().toString(36).slice(2, 6).padEnd(4, '0');
  private issued = 0;
  private transitions = 0;
  private reads = 0;

  get size(): number {
    return this.issued;
  }

  next(): string {
    return this.key(this.issued++);
  }

  /** The next key to move and the pass it is in: 0 for its first change, 1 for its second. */
  nextTransition(): { key: string; pass: number } {
    const n = Math.max(1, this.issued);
    const t = this.transitions++;
    return { key: this.key(t % n), pass: Math.floor(t / n) };
  }

  nextRead(): string {
    return this.key(this.reads++ % Math.max(1, this.issued));
  }

  private key(i: number): string {
    return `b${this.tag}${String(i).padStart(KEY_BYTES - 5, '0')}`.slice(-KEY_BYTES);
  }
}

export class Raft3dWorkload implements Workload {
  private readonly filaments = 8;
  private readonly filepath: string;
  /** Bytes of a job creation body. */
  readonly createBodyBytes: number;

  constructor(private readonly keys: KeyPool) {
    // Padding the file path makes the whole JSON body 16 + 200 bytes, the key and value of an etcd put.
    const frame = 'prints/.gcode'.length + this.body('x'.repeat(KEY_BYTES), 0, '').length;
    this.filepath = `prints/${'x'.repeat(Math.max(1, KEY_BYTES + VALUE_BYTES - frame))}.gcode`;
    this.createBodyBytes = this.body('x'.repeat(KEY_BYTES), 0, this.filepath).length;
  }

  async prepare(url: string): Promise<void> {
    await expect2xx(url, '/api/v1/printers', JSON.stringify({ id: 'bench-printer', company: 'Bench', model: 'Closed loop' }));
    for (let i = 0; i < this.filaments; i++) {
      const body = { id: `bench-f${i}`, type: 'PLA', color: 'grey', total_weight_in_grams: 1_000_000 };
      await expect2xx(url, '/api/v1/filaments', JSON.stringify(body));
    }
  }

  create(): RequestSpec {
    const key = this.keys.next();
    return { method: 'POST', path: '/api/v1/print_jobs', body: this.body(key, key.charCodeAt(KEY_BYTES - 1) % this.filaments, this.filepath), headers: JSON_HEADERS };
  }

  transition(): RequestSpec {
    const { key, pass } = this.keys.nextTransition();
    return { method: 'POST', path: `/api/v1/print_jobs/${key}/status?status=${pass === 0 ? 'Running' : 'Done'}`, headers: {} };
  }

  read(stale: boolean): RequestSpec {
    return { method: 'GET', path: `/api/v1/print_jobs/${this.keys.nextRead()}${stale ? '?consistency=stale' : ''}`, headers: {} };
  }

  private body(key: string, filament: number, filepath: string): string {
    return `{"id":"${key}","printer_id":"bench-printer","filament_id":"bench-f${filament}","filepath":"${filepath}","print_weight_in_grams":1}`;
  }
}

export class EtcdWorkload implements Workload {
  private readonly value: string;
  private readonly running: string;
  private readonly done: string;

  constructor(private readonly keys: KeyPool) {
    this.value = b64(record('Queued'));
    this.running = b64(record('Running'));
    this.done = b64(record('Done'));
  }

  async prepare(): Promise<void> {
    // etcd needs nothing before the first put.
  }

  create(): RequestSpec {
    return { method: 'POST', path: '/v3/kv/put', body: `{"key":"${b64(this.keys.next())}","value":"${this.value}"}`, headers: JSON_HEADERS };
  }

  /** etcd has no status machine: a client rewrites the whole record (a plain put, cheaper than a txn). */
  transition(): RequestSpec {
    const { key, pass } = this.keys.nextTransition();
    return { method: 'POST', path: '/v3/kv/put', body: `{"key":"${b64(key)}","value":"${pass === 0 ? this.running : this.done}"}`, headers: JSON_HEADERS };
  }

  read(stale: boolean): RequestSpec {
    return { method: 'POST', path: '/v3/kv/range', body: `{"key":"${b64(this.keys.nextRead())}"${stale ? ',"serializable":true' : ''}}`, headers: JSON_HEADERS };
  }
}

/** A VALUE_BYTES JSON record like a print job's. */
function record(status: string): string {
  const rec = { printer_id: 'bench-printer', filament_id: 'bench-f0', status, print_weight_in_grams: 1, filepath: '' };
  const base = JSON.stringify(rec).length;
  rec.filepath = 'x'.repeat(Math.max(0, VALUE_BYTES - base));
  return JSON.stringify(rec);
}

function b64(s: string): string {
  return Buffer.from(s).toString('base64');
}

async function expect2xx(url: string, path: string, body: string): Promise<void> {
  const a = await call(`${url}${path}`, 'POST', body, 10_000);
  if (a.status < 200 || a.status >= 300) throw new Error(`setup POST ${path} failed: ${a.status} ${a.text}`);
}
