// Loads @fastify/awilix's types (and the awilix-manager options asyncInit/asyncDispose it augments).
import type {} from '@fastify/awilix';
import {
  asClass,
  asFunction,
  asValue,
  type AwilixContainer,
  type NameAndRegistrationPair,
} from 'awilix';

import { ConnectionRepository, SyncWriteRepository } from '@paysync/db';
import type { Logger } from '@paysync/observability';
import {
  asKafkaConsumer,
  infrastructureRegistrations,
  type InfrastructureCradle,
} from '@paysync/runtime';

import { EventProcessingService } from './modules/events/event-processing.service.js';
import { ProcessorMetrics } from './modules/events/processor.metrics.js';
import { WebhookEventsConsumer } from './modules/events/webhook-events.consumer.js';

import type { Config } from './config.js';

export interface ProcessorCradle extends InfrastructureCradle {
  readonly config: Config;
  readonly connectionRepository: ConnectionRepository;
  readonly syncWriteRepository: SyncWriteRepository;
  readonly processorMetrics: ProcessorMetrics;
  readonly eventProcessingService: EventProcessingService;
  readonly webhookEventsConsumer: WebhookEventsConsumer;
}

declare module '@fastify/awilix' {
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type
  interface Cradle extends ProcessorCradle {}
}

export type DependencyOverrides = Partial<NameAndRegistrationPair<ProcessorCradle>>;

/** The only place the processor registers dependencies (STYLE R11). */
export function registerDependencies(
  container: AwilixContainer<ProcessorCradle>,
  { config, logger }: { config: Config; logger: Logger },
  overrides: DependencyOverrides = {},
): void {
  container.register({
    config: asValue(config),
    logger: asValue(logger),
    ...infrastructureRegistrations('processor', config),
    connectionRepository: asFunction(
      ({ prisma }: ProcessorCradle) =>
        new ConnectionRepository({ prisma, keyRing: config.crypto.keyRing }),
    ).singleton(),
    syncWriteRepository: asClass(SyncWriteRepository).singleton(),
    processorMetrics: asClass(ProcessorMetrics).singleton(),
    eventProcessingService: asFunction(
      ({
        syncWriteRepository,
        connectionRepository,
        kafkaProducer,
        processorMetrics,
      }: ProcessorCradle) =>
        new EventProcessingService({
          syncWriteRepository,
          connectionRepository,
          kafkaProducer,
          processorMetrics,
          logger,
          settings: {
            topicPrefix: config.kafka.topicPrefix,
            retryDelaysMs: config.processor.retryDelaysMs,
            refetchTies: config.processor.refetchTies,
            stripeMaxAttempts: config.provider.stripeMaxAttempts,
            stripeApiBaseUrl: config.provider.stripeApiBaseUrl,
          },
        }),
    ).singleton(),
    webhookEventsConsumer: asKafkaConsumer(
      ({ kafka, eventProcessingService, processorMetrics }: ProcessorCradle) =>
        new WebhookEventsConsumer({
          kafka,
          logger,
          eventProcessingService,
          processorMetrics,
          groupId: config.processor.groupId,
          topicPrefix: config.kafka.topicPrefix,
          transientBackoffMaxMs: config.processor.transientBackoffMaxMs,
        }),
      config.kafka.consumersEnabled,
    ),
    ...overrides,
  });
}
