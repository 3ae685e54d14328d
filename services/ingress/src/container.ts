// Loads @fastify/awilix's types (and the awilix-manager options asyncInit/asyncDispose it augments).
import type {} from '@fastify/awilix';
import { asFunction, asValue, type AwilixContainer, type NameAndRegistrationPair } from 'awilix';

import { ALL_TOPICS } from '@paysync/contracts';
import { TopicBootstrap } from '@paysync/kafka';
import type { Logger } from '@paysync/observability';
import { infrastructureRegistrations, type InfrastructureCradle } from '@paysync/runtime';

import type { Config } from './config.js';

export interface IngressCradle extends InfrastructureCradle {
  readonly config: Config;
  readonly topicBootstrap: TopicBootstrap;
}

declare module '@fastify/awilix' {
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type
  interface Cradle extends IngressCradle {}
}

export type DependencyOverrides = Partial<NameAndRegistrationPair<IngressCradle>>;

/** The only place the ingress service registers dependencies (STYLE R11). */
export function registerDependencies(
  container: AwilixContainer<IngressCradle>,
  { config, logger }: { config: Config; logger: Logger },
  overrides: DependencyOverrides = {},
): void {
  container.register({
    config: asValue(config),
    logger: asValue(logger),
    ...infrastructureRegistrations('ingress', config),
    topicBootstrap: asFunction(
      ({ kafka }: IngressCradle) =>
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
