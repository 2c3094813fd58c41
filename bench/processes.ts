// Child processes of the benchmark: each is started with its output in a log
// file (not piped through this process, which also runs the load generator),
// signalled only by the PID recorded here, and awaited with a bound.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A TCP port on 127.0.0.1 that was free a moment ago. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      if (addr === null || typeof addr === 'string') {
        srv.close();
        reject(new Error('no port'));
        return;
      }
      srv.close(() => resolve(addr.port));
    });
  });
}

export async function freePorts(count: number): Promise<number[]> {
  const ports = new Set<number>();
  for (let i = 0; ports.size < count && i < count * 20; i++) ports.add(await freePort());
  if (ports.size < count) throw new Error(`could not find ${count} free ports`);
  return [...ports];
}

export class ManagedProcess {
  private child: ChildProcess | null = null;
  private exited: Promise<void> = Promise.resolve();
  /** performance.now() when the current process was spawned. */
  startedAt = 0;

  constructor(
    readonly name: string,
    private readonly command: string,
    private readonly logPath: string,
  ) {}

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get running(): boolean {
    return this.child !== null;
  }

  start(args: readonly string[], env: NodeJS.ProcessEnv): void {
    if (this.child) throw new Error(`${this.name} is already running`);
    const fd = openSync(this.logPath, 'a');
    try {
      this.startedAt = performance.now();
      const child = spawn(this.command, args, { env, stdio: ['ignore', fd, fd] });
      this.child = child;
      this.exited = new Promise<void>((resolve) => {
        child.once('exit', () => {
          if (this.child === child) this.child = null;
          resolve();
        });
        child.once('error', () => {
          if (this.child === child) this.child = null;
          resolve();
        });
      });
    } finally {
      closeSync(fd);
    }
  }

  /** Sends a signal to the recorded PID; no-op when not running. */
  signal(signal: NodeJS.Signals): void {
    const pid = this.child?.pid;
    if (pid !== undefined) process.kill(pid, signal);
  }

  /** Waits (bounded) for the process to exit, then kills it with SIGKILL if it did not. */
  async waitExit(timeoutMs: number): Promise<void> {
    if (!this.child) return;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), timeoutMs);
    });
    const outcome = await Promise.race([this.exited.then(() => 'exited' as const), timeout]);
    clearTimeout(timer);
    if (outcome === 'timeout') {
      this.signal('SIGKILL');
      await this.exited;
    }
  }

  async stop(timeoutMs: number): Promise<void> {
    this.signal('SIGTERM');
    await this.waitExit(timeoutMs);
  }

  /** Resident set size in bytes, from /proc (Linux); undefined when not running. */
  rssBytes(): number | undefined {
    const pid = this.pid;
    if (pid === undefined) return undefined;
    try {
      const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
      return m ? Number(m[1]) * 1024 : undefined;
    } catch {
      return undefined;
    }
  }
}
