import { Body, Controller, Get, Headers, Inject, Param, Post, Put, Query, Req, Res } from '@nestjs/common';
import type { HttpReply, HttpRequest } from '../http/http-reply.js';
import { PrintFarmService } from './print-farm.service.js';
import { CONSISTENCY_HEADER, IDEMPOTENCY_HEADER, sendPage, sendResult } from './responses.js';
import {
  parseConsistency,
  parseIdempotencyKey,
  parseJobInput,
  parseJobQuery,
  parsePathId,
  parseStatusTarget,
} from './validation.js';
import type { PrintJobView } from './views.js';

@Controller('api/v1/print_jobs')
export class PrintJobsController {
  constructor(@Inject(PrintFarmService) private readonly farm: PrintFarmService) {}

  @Post()
  async create(
    @Body() body: unknown,
    @Headers(IDEMPOTENCY_HEADER) key: unknown,
    @Res({ passthrough: true }) reply: HttpReply,
  ): Promise<unknown> {
    const idempotencyKey = parseIdempotencyKey(key);
    return sendResult(reply, await this.farm.createPrintJob(parseJobInput(body), idempotencyKey));
  }

  @Get()
  async list(
    @Query() query: Record<string, unknown>,
    @Headers(CONSISTENCY_HEADER) consistency: unknown,
    @Req() request: HttpRequest,
    @Res({ passthrough: true }) reply: HttpReply,
  ): Promise<PrintJobView[]> {
    const jobQuery = parseJobQuery(query);
    const page = await this.farm.listPrintJobs(jobQuery, parseConsistency(query['consistency'], consistency));
    return sendPage(reply, request.url, page);
  }

  @Get(':id')
  get(
    @Param('id') id: string,
    @Query('consistency') queryConsistency: unknown,
    @Headers(CONSISTENCY_HEADER) consistency: unknown,
  ): Promise<PrintJobView> {
    return this.farm.getPrintJob(parsePathId(id), parseConsistency(queryConsistency, consistency));
  }

  /** The seed's form: POST with `?status=` (or a JSON body `{"status": …}`). */
  @Post(':id/status')
  setStatus(
    @Param('id') id: string,
    @Query() query: Record<string, unknown>,
    @Body() body: unknown,
    @Headers(IDEMPOTENCY_HEADER) key: unknown,
    @Res({ passthrough: true }) reply: HttpReply,
  ): Promise<unknown> {
    return this.changeStatus(id, query, body, key, reply);
  }

  /** PUT is an alias of POST (api.md §3). */
  @Put(':id/status')
  putStatus(
    @Param('id') id: string,
    @Query() query: Record<string, unknown>,
    @Body() body: unknown,
    @Headers(IDEMPOTENCY_HEADER) key: unknown,
    @Res({ passthrough: true }) reply: HttpReply,
  ): Promise<unknown> {
    return this.changeStatus(id, query, body, key, reply);
  }

  private async changeStatus(
    id: string,
    query: Record<string, unknown>,
    body: unknown,
    key: unknown,
    reply: HttpReply,
  ): Promise<unknown> {
    const jobId = parsePathId(id);
    const status = parseStatusTarget(query, body);
    const idempotencyKey = parseIdempotencyKey(key);
    return sendResult(reply, await this.farm.setPrintJobStatus(jobId, status, idempotencyKey));
  }
}
