import { asClass, asFunction, type NameAndRegistrationPair } from 'awilix';
import type { Kafka } from 'kafkajs';

import { ALL_TOPICS } from '@paysync/contracts';
import { DbHealth, createPrismaClient, type Db, type DbSettings } from '@paysync/db';
import {
  KafkaHealth,
  KafkaProducer,
  TopicBootstrap,
  createKafka,
  type KafkaSettings,
} from '@paysync/kafka';
import { createMetricsRegistry, type Logger, type Registry } from '@paysync/observability';

/** What every paysync service has in its container, whatever its job. */
export interface InfrastructureCradle {
  readonly logger: Logger;
  readonly metrics: Registry;
  readonly prisma: Db;
  readonly kafka: Kafka;
  readonly kafkaProducer: KafkaProducer;
  readonly kafkaHealth: KafkaHealth;
  readonly dbHealth: DbHealth;
  /** Creates the topic catalogue in the background at start-up (consumers wait for it). */
  readonly topicBootstrap: TopicBootstrap;
}

/**
 * Dispose order on shutdown (lower first): consumers (a service registers them at
 * `DISPOSE_PRIORITY.consumers`) stop and commit, then producers flush, then the pool closes.
 */
export const DISPOSE_PRIORITY = {
  consumers: 10,
  workers: 20,
  producers: 50,
  database: 100,
} as const;

/**
 * Registrations for the shared infrastructure, spread into a service's own
 * `container.register({...})` in its container.ts (the one place that registers, STYLE R11).
 */
export function infrastructureRegistrations(
  service: string,
  settings: { readonly db: DbSettings; readonly kafka: KafkaSettings },
): NameAndRegistrationPair<InfrastructureCradle> {
  return {
    metrics: asFunction(() => createMetricsRegistry(service)).singleton(),
    prisma: asFunction(() => createPrismaClient(settings.db), {
      lifetime: 'SINGLETON',
      asyncDispose: (prisma: Db) => prisma.$disconnect(),
      asyncDisposePriority: DISPOSE_PRIORITY.database,
    }),
    kafka: asFunction(({ logger }: { logger: Logger }) =>
      createKafka(settings.kafka, logger, service),
    ).singleton(),
    kafkaProducer: asFunction(
      ({ kafka, logger }: { kafka: Kafka; logger: Logger }) =>
        new KafkaProducer({ kafka, logger, produceTimeoutMs: settings.kafka.produceTimeoutMs }),
      {
        lifetime: 'SINGLETON',
        asyncDispose: 'disconnect',
        asyncDisposePriority: DISPOSE_PRIORITY.producers,
      },
    ),
    kafkaHealth: asFunction(
      ({ logger }: { logger: Logger }) =>
        new KafkaHealth({ kafkaSettings: settings.kafka, logger }),
      {
        lifetime: 'SINGLETON',
        asyncDispose: 'close',
        asyncDisposePriority: DISPOSE_PRIORITY.producers,
      },
    ),
    dbHealth: asClass(DbHealth).singleton(),
    topicBootstrap: asFunction(
      ({ kafka, logger }: { kafka: Kafka; logger: Logger }) =>
        new TopicBootstrap({
          kafka,
          logger,
          topics: ALL_TOPICS,
          topicPrefix: settings.kafka.topicPrefix,
          createTopics: settings.kafka.createTopics,
        }),
      { lifetime: 'SINGLETON', asyncInit: 'start', asyncDispose: 'stop', asyncDisposePriority: 1 },
    ),
  };
}

/**
 * A Kafka consumer's registration: built by `factory`, started once the topics exist (without
 * blocking start-up), stopped first on shutdown, and not registered at all when
 * `KAFKA_CONSUMERS_ENABLED` is false.
 */
export function asKafkaConsumer<
  C extends { start(): Promise<void>; stop(): Promise<void> },
  Cradle extends { readonly topicBootstrap: TopicBootstrap },
>(factory: (cradle: Cradle) => C, consumersEnabled: boolean) {
  return asFunction(
    (cradle: Cradle) => {
      const consumer = factory(cradle);
      return Object.assign(consumer, {
        init: () => cradle.topicBootstrap.whenReady().then(() => consumer.start()),
      });
    },
    {
      lifetime: 'SINGLETON',
      asyncInit: { method: 'init', nonBlocking: true },
      asyncDispose: 'stop',
      asyncDisposePriority: DISPOSE_PRIORITY.consumers,
      enabled: consumersEnabled,
    },
  );
}
