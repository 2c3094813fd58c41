/**
 * Delay before reconnect attempt number `attempt` (0-based): doubling from
 * `minMs`, capped at `maxMs`, with ±25 % jitter so that peers which lost the
 * same node do not reconnect in lockstep.
 */
export function backoffDelay(attempt: number, minMs: number, maxMs: number, random: () => number = Math.random): number {
  const base = Math.min(maxMs, minMs * 2 ** Math.min(attempt, 30));
  return Math.min(maxMs, Math.round(base * (0.75 + 0.5 * random())));
}
