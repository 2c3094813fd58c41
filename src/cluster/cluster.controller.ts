// Thin HTTP layer over ClusterService: /cluster/* and /debug/snapshot.
import { Body, Controller, Delete, Get, HttpException, HttpStatus, Inject, Param, Post, Res, UseGuards } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { z } from 'zod';
import { ClusterService, type ForwardedAnswer } from './cluster.service.js';
import { ClusterTokenGuard } from './cluster-token.guard.js';

const hostPort = z.string({ error: 'must be a string host:port' }).regex(/^.+:\d{1,5}$/, 'must be host:port');
const ID_RULE = 'must be 1–128 characters of A-Z a-z 0-9 . _ : -';
const nodeId = z.string({ error: `is required and ${ID_RULE}` }).regex(/^[A-Za-z0-9._:-]{1,128}$/, ID_RULE);

/** The original Raft3D sent {id, address}; http_address and incarnation are ours. */
const joinBody = z
  .object({
    id: nodeId,
    raft_address: hostPort.optional(),
    address: hostPort.optional(),
    http_address: hostPort.optional(),
    incarnation: z.string().min(1).max(128).optional(),
  })
  .refine((b) => b.raft_address !== undefined || b.address !== undefined, { message: 'raft_address is required' });

const transferBody = z.object({ id: nodeId.optional() }).optional();

function validation(error: z.ZodError): HttpException {
  const issue = error.issues[0];
  const where = issue && issue.path.length > 0 ? `${issue.path.join('.')}: ` : '';
  return new HttpException({ error: `${where}${issue?.message ?? 'invalid body'}`, code: 'VALIDATION_FAILED' }, HttpStatus.BAD_REQUEST);
}

export const CLUSTER_SERVICE = Symbol('ClusterService');

@Controller()
export class ClusterController {
  constructor(@Inject(CLUSTER_SERVICE) private readonly cluster: ClusterService) {}

  @Get('cluster/status')
  status(): Record<string, unknown> {
    return this.cluster.status();
  }

  @Post('cluster/join')
  @UseGuards(ClusterTokenGuard)
  async join(@Body() body: unknown, @Res() reply: FastifyReply): Promise<void> {
    const parsed = joinBody.safeParse(body);
    if (!parsed.success) throw validation(parsed.error);
    const b = parsed.data;
    const raftAddress = (b.raft_address ?? b.address)!;
    const req = {
      id: b.id,
      raftAddress,
      // Without an HTTP address (the original's join body), assume the HTTP port is unknown: reuse the host.
      httpAddress: b.http_address ?? raftAddress,
      incarnation: b.incarnation,
    };
    send(reply, await this.cluster.join(req, () => this.cluster.forwardToLeader('POST', '/cluster/join', body)));
  }

  @Delete('cluster/members/:id')
  @UseGuards(ClusterTokenGuard)
  async remove(@Param('id') id: string, @Res() reply: FastifyReply): Promise<void> {
    send(reply, await this.cluster.remove(id, () => this.cluster.forwardToLeader('DELETE', `/cluster/members/${encodeURIComponent(id)}`, undefined)));
  }

  @Post('cluster/transfer-leadership')
  @UseGuards(ClusterTokenGuard)
  async transfer(@Body() body: unknown, @Res() reply: FastifyReply): Promise<void> {
    const parsed = transferBody.safeParse(body ?? undefined);
    if (!parsed.success) throw validation(parsed.error);
    const target = parsed.data?.id;
    send(reply, await this.cluster.transferLeadership(target, () => this.cluster.forwardToLeader('POST', '/cluster/transfer-leadership', body ?? {})));
  }

  @Post('debug/snapshot')
  @UseGuards(ClusterTokenGuard)
  async snapshot(): Promise<Record<string, unknown>> {
    return this.cluster.snapshot();
  }
}

function send(reply: FastifyReply, answer: ForwardedAnswer): void {
  void reply.status(answer.status).header('content-type', 'application/json; charset=utf-8').send(answer.body);
}
