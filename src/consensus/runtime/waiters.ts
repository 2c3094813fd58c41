// Promises that settle when something happens or when their deadline passes.
// One timer per waiter keeps deadlines exact; waiters are few (one per open
// client request), so that is cheap.

export interface Waiter<T> {
  readonly promise: Promise<T>;
  /** True once resolved, rejected or timed out. */
  readonly settled: boolean;
  resolve(value: T): void;
  reject(error: Error): void;
}

export function waiter<T>(timeoutMs: number, onTimeout: () => Error): Waiter<T> {
  let resolveFn!: (value: T) => void;
  let rejectFn!: (error: Error) => void;
  const promise = new Promise<T>((resolve, reject) => {
    resolveFn = resolve;
    rejectFn = reject;
  });
  const w = {
    promise,
    settled: false,
    resolve(value: T) {
      if (w.settled) return;
      w.settled = true;
      clearTimeout(timer);
      resolveFn(value);
    },
    reject(error: Error) {
      if (w.settled) return;
      w.settled = true;
      clearTimeout(timer);
      rejectFn(error);
    },
  };
  const timer = setTimeout(() => w.reject(onTimeout()), Math.max(0, timeoutMs));
  timer.unref();
  return w;
}
