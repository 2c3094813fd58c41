// Longest event-loop stall between two probes. A probe cannot run during a
// stall, so it sees the stall afterwards, as the maximum since the last probe.
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';

export class EventLoopDelay {
  private readonly histogram: IntervalHistogram;

  constructor(resolutionMs = 20) {
    this.histogram = monitorEventLoopDelay({ resolution: resolutionMs });
    this.histogram.enable();
  }

  /** Maximum delay observed since the previous call, in seconds. */
  maxSinceLastSeconds(): number {
    const ns = this.histogram.max;
    this.histogram.reset();
    return ns / 1e9;
  }

  close(): void {
    this.histogram.disable();
  }
}
