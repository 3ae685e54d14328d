// Loads @fastify/awilix's types (and the awilix-manager options asyncInit/asyncDispose it augments).
import type {} from '@fastify/awilix';
import {
  asClass,
  asFunction,
  asValue,
  type AwilixContainer,
  type NameAndRegistrationPair,
} from 'awilix';

import type { Logger } from '@paysync/observability';
import {
  DISPOSE_PRIORITY,
  infrastructureRegistrations,
  type InfrastructureCradle,
} from '@paysync/runtime';

import { DeadLetterRepository } from './modules/dead-letters/dead-letter.repository.js';
import { DeadLettersConsumer } from './modules/dead-letters/dead-letters.consumer.js';
import { Redriver } from './modules/dead-letters/redriver.js';

import type { Config } from './config.js';

export interface RecoveryCradle extends InfrastructureCradle {
  readonly config: Config;
  readonly deadLetterRepository: DeadLetterRepository;
  readonly deadLettersConsumer: DeadLettersConsumer;
  readonly redriver: Redriver;
}

declare module '@fastify/awilix' {
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type
  interface Cradle extends RecoveryCradle {}
}

export type DependencyOverrides = Partial<NameAndRegistrationPair<RecoveryCradle>>;

/** The only place the recovery service registers dependencies (STYLE R11). */
export function registerDependencies(
  container: AwilixContainer<RecoveryCradle>,
  { config, logger }: { config: Config; logger: Logger },
  overrides: DependencyOverrides = {},
): void {
  const settings = config.recovery;
  container.register({
    config: asValue(config),
    logger: asValue(logger),
    ...infrastructureRegistrations('recovery', config),
    deadLetterRepository: asClass(DeadLetterRepository).singleton(),
    deadLettersConsumer: asFunction(
      ({ kafka, deadLetterRepository, topicBootstrap }: RecoveryCradle) => {
        const consumer = new DeadLettersConsumer({
          kafka,
          logger,
          deadLetterRepository,
          policy: {
            maxAttempts: settings.redriveMaxAttempts,
            baseMs: settings.redriveBaseMs,
            maxDelayMs: settings.redriveMaxDelayMs,
          },
          groupId: settings.groupId,
          topicPrefix: config.kafka.topicPrefix,
        });
        return Object.assign(consumer, {
          init: () => topicBootstrap.whenReady().then(() => consumer.start()),
        });
      },
      {
        lifetime: 'SINGLETON',
        asyncInit: { method: 'init', nonBlocking: true },
        asyncDispose: 'stop',
        asyncDisposePriority: DISPOSE_PRIORITY.consumers,
        enabled: config.kafka.consumersEnabled,
      },
    ),
    redriver: asFunction(
      ({ deadLetterRepository, kafkaProducer }: RecoveryCradle) =>
        new Redriver({
          deadLetterRepository,
          kafkaProducer,
          topicPrefix: config.kafka.topicPrefix,
          intervalMs: settings.redriveIntervalMs,
          logger,
        }),
      {
        lifetime: 'SINGLETON',
        asyncInit: 'start',
        asyncDispose: 'stop',
        asyncDisposePriority: DISPOSE_PRIORITY.workers,
        enabled: config.kafka.consumersEnabled,
      },
    ),
    ...overrides,
  });
}
