import { asClass, asValue } from 'awilix';

import { SyncWriteRepository } from '@paysync/db';
import { createProviderFactory, type ProviderFactory } from '@paysync/providers';
import {
  asKafkaConsumer,
  providerRegistrations,
  serviceRegistrations,
  type InfrastructureCradle,
  type ProviderCradle,
} from '@paysync/runtime';

import { EventProcessingService } from './modules/events/event-processing.service.js';
import { ProcessorMetrics } from './modules/events/processor.metrics.js';
import { WebhookEventsConsumer } from './modules/events/webhook-events.consumer.js';

import type { Config } from './config.js';

/** The processor container: the shared infrastructure and provider clients plus its own. */
export interface ProcessorCradle extends InfrastructureCradle<Config>, ProviderCradle {
  readonly syncWriteRepository: SyncWriteRepository;
  /** Clients for a tie's re-fetch on an event's first delivery: one short attempt. */
  readonly inlineProviderFactory: ProviderFactory;
  readonly processorMetrics: ProcessorMetrics;
  readonly eventProcessingService: EventProcessingService;
  readonly webhookEventsConsumer: WebhookEventsConsumer;
}

/** The only place the processor registers dependencies (STYLE R11). */
export const registerDependencies = serviceRegistrations<Config, ProcessorCradle>(
  'processor',
  ({ config }) => ({
    // `providerFactory` (the retry tiers): the full retry budget, this service's request timeout.
    ...providerRegistrations({
      ...config.provider,
      timeoutMs: config.processor.retryFetchTimeoutMs,
    }),
    inlineProviderFactory: asValue(
      createProviderFactory({
        ...config.provider,
        maxAttempts: 1,
        timeoutMs: config.processor.inlineFetchTimeoutMs,
      }),
    ),
    syncWriteRepository: asClass(SyncWriteRepository).singleton(),
    processorMetrics: asClass(ProcessorMetrics).singleton(),
    eventProcessingService: asClass(EventProcessingService).singleton(),
    webhookEventsConsumer: asKafkaConsumer(
      (cradle: ProcessorCradle) => new WebhookEventsConsumer(cradle),
      config.kafka.consumersEnabled,
    ),
  }),
);
