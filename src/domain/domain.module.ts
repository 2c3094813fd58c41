import { Module, type DynamicModule } from '@nestjs/common';
import { PRINT_FARM_OPTIONS, type DomainOptions } from './domain.tokens.js';
import { FilamentsController } from './filaments.controller.js';
import { PrintFarmService } from './print-farm.service.js';
import { PrintJobsController } from './print-jobs.controller.js';
import { PrintersController } from './printers.controller.js';

/** The print farm REST API under /api/v1; the root supplies the replicated state machine and replicator. */
@Module({})
export class DomainModule {
  static register(options: DomainOptions): DynamicModule {
    return {
      module: DomainModule,
      controllers: [PrintersController, FilamentsController, PrintJobsController],
      providers: [{ provide: PRINT_FARM_OPTIONS, useValue: options }, PrintFarmService],
      exports: [PrintFarmService],
    };
  }
}
