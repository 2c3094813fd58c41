// Cluster-changing endpoints require the cluster token when one is configured
// (compared in constant time); without one they are open, as in the original.
import { createHash, timingSafeEqual } from 'node:crypto';
import { HttpException, HttpStatus, Inject, Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';

export const TOKEN_HEADER = 'x-raft3d-token';
/** Injection token of the configured cluster token (string | undefined). */
export const CLUSTER_TOKEN = Symbol('CLUSTER_TOKEN');

export function tokenMatches(expected: string, presented: string | undefined): boolean {
  if (presented === undefined) return false;
  const a = createHash('sha256').update(expected).digest();
  const b = createHash('sha256').update(presented).digest();
  return timingSafeEqual(a, b);
}

/** Reads `Authorization: Bearer <token>` or `X-Raft3D-Token: <token>`. */
export function presentedToken(headers: FastifyRequest['headers']): string | undefined {
  const auth = headers.authorization;
  if (typeof auth === 'string' && auth.startsWith('Bearer ')) return auth.slice('Bearer '.length);
  const raw = headers[TOKEN_HEADER];
  return typeof raw === 'string' ? raw : undefined;
}

@Injectable()
export class ClusterTokenGuard implements CanActivate {
  constructor(@Inject(CLUSTER_TOKEN) private readonly token: string | undefined) {}

  canActivate(context: ExecutionContext): boolean {
    if (this.token === undefined) return true;
    const req = context.switchToHttp().getRequest<FastifyRequest>();
    if (tokenMatches(this.token, presentedToken(req.headers))) return true;
    throw new HttpException({ error: 'a valid cluster token is required', code: 'UNAUTHORIZED' }, HttpStatus.UNAUTHORIZED);
  }
}
