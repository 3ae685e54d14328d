import { asClass, type AwilixContainer } from 'awilix';

import { ConnectionRepository, SyncWriteRepository } from '@paysync/db';
import type { Logger } from '@paysync/observability';
import {
  asKafkaConsumer,
  infrastructureRegistrations,
  providerRegistrations,
  type DependencyOverrides as Overrides,
  type InfrastructureCradle,
  type ProviderCradle,
} from '@paysync/runtime';

import { EventProcessingService } from './modules/events/event-processing.service.js';
import { ProcessorMetrics } from './modules/events/processor.metrics.js';
import { WebhookEventsConsumer } from './modules/events/webhook-events.consumer.js';

import type { Config } from './config.js';

/** The processor container: the shared infrastructure and provider clients plus its own. */
export interface ProcessorCradle extends InfrastructureCradle<Config>, ProviderCradle {
  readonly connectionRepository: ConnectionRepository;
  readonly syncWriteRepository: SyncWriteRepository;
  readonly processorMetrics: ProcessorMetrics;
  readonly eventProcessingService: EventProcessingService;
  readonly webhookEventsConsumer: WebhookEventsConsumer;
}

export type DependencyOverrides = Overrides<ProcessorCradle>;

/** The only place the processor registers dependencies (STYLE R11). */
export function registerDependencies(
  container: AwilixContainer<ProcessorCradle>,
  external: { readonly config: Config; readonly logger: Logger },
  overrides: DependencyOverrides = {},
): void {
  const { config } = external;
  container.register({
    ...infrastructureRegistrations('processor', external),
    ...providerRegistrations(config.provider),
    connectionRepository: asClass(ConnectionRepository).singleton(),
    syncWriteRepository: asClass(SyncWriteRepository).singleton(),
    processorMetrics: asClass(ProcessorMetrics).singleton(),
    eventProcessingService: asClass(EventProcessingService).singleton(),
    webhookEventsConsumer: asKafkaConsumer(
      (cradle: ProcessorCradle) => new WebhookEventsConsumer(cradle),
      config.kafka.consumersEnabled,
    ),
    ...overrides,
  });
}
