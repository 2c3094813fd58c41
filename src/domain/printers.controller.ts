import { Body, Controller, Get, Headers, Inject, Param, Post, Query, Req, Res } from '@nestjs/common';
import type { HttpReply, HttpRequest } from '../http/http-reply.js';
import { PrintFarmService } from './print-farm.service.js';
import { CONSISTENCY_HEADER, IDEMPOTENCY_HEADER, sendPage, sendResult } from './responses.js';
import { parseConsistency, parseIdempotencyKey, parsePageRequest, parsePathId, parsePrinterInput } from './validation.js';
import type { PrinterView } from './views.js';

@Controller('api/v1/printers')
export class PrintersController {
  constructor(@Inject(PrintFarmService) private readonly farm: PrintFarmService) {}

  @Post()
  async create(
    @Body() body: unknown,
    @Headers(IDEMPOTENCY_HEADER) key: unknown,
    @Res({ passthrough: true }) reply: HttpReply,
  ): Promise<unknown> {
    const idempotencyKey = parseIdempotencyKey(key);
    return sendResult(reply, await this.farm.createPrinter(parsePrinterInput(body), idempotencyKey));
  }

  @Get()
  async list(
    @Query() query: Record<string, unknown>,
    @Headers(CONSISTENCY_HEADER) consistency: unknown,
    @Req() request: HttpRequest,
    @Res({ passthrough: true }) reply: HttpReply,
  ): Promise<PrinterView[]> {
    const pageRequest = parsePageRequest(query);
    const page = await this.farm.listPrinters(pageRequest, parseConsistency(query['consistency'], consistency));
    return sendPage(reply, request.url, page);
  }

  @Get(':id')
  get(
    @Param('id') id: string,
    @Query('consistency') queryConsistency: unknown,
    @Headers(CONSISTENCY_HEADER) consistency: unknown,
  ): Promise<PrinterView> {
    return this.farm.getPrinter(parsePathId(id), parseConsistency(queryConsistency, consistency));
  }
}
