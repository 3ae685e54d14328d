// Loads @fastify/awilix's types (and the awilix-manager options asyncInit/asyncDispose it augments).
import type {} from '@fastify/awilix';
import { asValue, type AwilixContainer, type NameAndRegistrationPair } from 'awilix';

import type { Logger } from '@paysync/observability';
import { infrastructureRegistrations, type InfrastructureCradle } from '@paysync/runtime';

import type { Config } from './config.js';

export interface ApiCradle extends InfrastructureCradle {
  readonly config: Config;
}

declare module '@fastify/awilix' {
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type
  interface Cradle extends ApiCradle {}
}

export type DependencyOverrides = Partial<NameAndRegistrationPair<ApiCradle>>;

/** The only place the api service registers dependencies (STYLE R11). */
export function registerDependencies(
  container: AwilixContainer<ApiCradle>,
  { config, logger }: { config: Config; logger: Logger },
  overrides: DependencyOverrides = {},
): void {
  container.register({
    config: asValue(config),
    logger: asValue(logger),
    ...infrastructureRegistrations('api', config),
    ...overrides,
  });
}
