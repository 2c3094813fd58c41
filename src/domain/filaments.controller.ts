import { Body, Controller, Get, Headers, Inject, Param, Post, Query, Req, Res } from '@nestjs/common';
import type { HttpReply, HttpRequest } from '../http/http-reply.js';
import { PrintFarmService } from './print-farm.service.js';
import { CONSISTENCY_HEADER, IDEMPOTENCY_HEADER, sendPage, sendResult } from './responses.js';
import { parseConsistency, parseFilamentInput, parseFilamentQuery, parseIdempotencyKey, parsePathId } from './validation.js';
import type { FilamentView } from './views.js';

@Controller('api/v1/filaments')
export class FilamentsController {
  constructor(@Inject(PrintFarmService) private readonly farm: PrintFarmService) {}

  @Post()
  async create(
    @Body() body: unknown,
    @Headers(IDEMPOTENCY_HEADER) key: unknown,
    @Res({ passthrough: true }) reply: HttpReply,
  ): Promise<unknown> {
    const idempotencyKey = parseIdempotencyKey(key);
    return sendResult(reply, await this.farm.createFilament(parseFilamentInput(body), idempotencyKey));
  }

  @Get()
  async list(
    @Query() query: Record<string, unknown>,
    @Headers(CONSISTENCY_HEADER) consistency: unknown,
    @Req() request: HttpRequest,
    @Res({ passthrough: true }) reply: HttpReply,
  ): Promise<FilamentView[]> {
    const filamentQuery = parseFilamentQuery(query);
    const page = await this.farm.listFilaments(filamentQuery, parseConsistency(query['consistency'], consistency));
    return sendPage(reply, request.url, page);
  }

  @Get(':id')
  get(
    @Param('id') id: string,
    @Query('consistency') queryConsistency: unknown,
    @Headers(CONSISTENCY_HEADER) consistency: unknown,
  ): Promise<FilamentView> {
    return this.farm.getFilament(parsePathId(id), parseConsistency(queryConsistency, consistency));
  }
}
