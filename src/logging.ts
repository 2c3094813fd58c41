// Structured JSON logs (pino). Every line carries the node id, and the current
// term and role through a mixin that reads the node lazily.
import { pino, type Logger } from 'pino';
import type { LoggerService } from '@nestjs/common';

export interface RaftContext {
  readonly currentTerm: number;
  readonly currentRole: string;
}

export function createLogger(nodeId: string, level: string, context: () => RaftContext | null): Logger {
  return pino({
    level,
    base: { node: nodeId },
    timestamp: pino.stdTimeFunctions.isoTime,
    mixin() {
      const c = context();
      return c ? { term: c.currentTerm, role: c.currentRole } : {};
    },
  });
}

/** Routes Nest's own log lines into pino. */
export class NestPinoLogger implements LoggerService {
  constructor(private readonly logger: Logger) {}
  log(message: unknown, context?: string): void {
    this.logger.info({ context }, String(message));
  }
  error(message: unknown, trace?: string, context?: string): void {
    this.logger.error({ context, trace }, String(message));
  }
  warn(message: unknown, context?: string): void {
    this.logger.warn({ context }, String(message));
  }
  debug(message: unknown, context?: string): void {
    this.logger.debug({ context }, String(message));
  }
  verbose(message: unknown, context?: string): void {
    this.logger.trace({ context }, String(message));
  }
}
