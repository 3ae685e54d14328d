// Loads @fastify/awilix's types (and the awilix-manager options asyncInit/asyncDispose it augments).
import type {} from '@fastify/awilix';
import { asFunction, asValue, type AwilixContainer, type NameAndRegistrationPair } from 'awilix';

import { ALL_TOPICS } from '@paysync/contracts';
import { TopicBootstrap } from '@paysync/kafka';
import type { Logger } from '@paysync/observability';
import { infrastructureRegistrations, type InfrastructureCradle } from '@paysync/runtime';

import type { Config } from './config.js';

export interface ProcessorCradle extends InfrastructureCradle {
  readonly config: Config;
  readonly topicBootstrap: TopicBootstrap;
}

declare module '@fastify/awilix' {
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type
  interface Cradle extends ProcessorCradle {}
}

export type DependencyOverrides = Partial<NameAndRegistrationPair<ProcessorCradle>>;

/** The only place the processor service registers dependencies (STYLE R11). */
export function registerDependencies(
  container: AwilixContainer<ProcessorCradle>,
  { config, logger }: { config: Config; logger: Logger },
  overrides: DependencyOverrides = {},
): void {
  container.register({
    config: asValue(config),
    logger: asValue(logger),
    ...infrastructureRegistrations('processor', config),
    topicBootstrap: asFunction(
      ({ kafka }: ProcessorCradle) =>
        new TopicBootstrap({
          kafka,
          logger,
          topics: ALL_TOPICS,
          topicPrefix: config.kafka.topicPrefix,
        }),
      { lifetime: 'SINGLETON', asyncInit: 'start', asyncDispose: 'stop', asyncDisposePriority: 1 },
    ),
    ...overrides,
  });
}
