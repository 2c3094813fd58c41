// What the benchmark needs from a 3-member cluster, whichever system runs it.

export interface Member {
  readonly name: string;
  /** Base URL of the member's client API, e.g. http://127.0.0.1:23791 */
  readonly url: string;
}

export interface Progress {
  readonly applied: number;
  readonly commit: number;
  readonly isLeader: boolean;
}

export interface BenchCluster {
  /** Display name, e.g. "Raft3D" or "etcd 3.4.23". */
  readonly label: string;
  readonly members: readonly Member[];
  start(): Promise<void>;
  /** Stops every process this cluster started and removes its data (unless kept). */
  stop(): Promise<void>;
  /** Waits until every running member agrees on a leader among them; returns the leader's name. */
  waitHealthy(timeoutMs: number): Promise<string>;
  signal(name: string, signal: NodeJS.Signals): void;
  waitExit(name: string, timeoutMs: number): Promise<void>;
  /** Starts a stopped member again on its data; returns performance.now() at spawn. */
  restart(name: string): number;
  /** Applied and commit index as the member reports them; undefined when it does not answer. */
  progress(name: string): Promise<Progress | undefined>;
  /** The member's own readiness probe answers "ready". */
  isReady(name: string): Promise<boolean>;
  rssBytes(name: string): number | undefined;
}

export function memberUrl(cluster: BenchCluster, name: string): string {
  const m = cluster.members.find((x) => x.name === name);
  if (!m) throw new Error(`no member ${name}`);
  return m.url;
}
