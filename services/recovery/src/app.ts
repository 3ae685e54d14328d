import { createContainer } from 'awilix';
import type { FastifyInstance } from 'fastify';

import { createLogger, type Logger } from '@paysync/observability';
import { createServiceApp } from '@paysync/runtime';

import {
  registerDependencies,
  type RecoveryCradle,
  type DependencyOverrides,
} from './container.js';

import type { Config } from './config.js';

/** Builds the recovery service without listening (tests call this too, STYLE R10). */
export async function buildApp(
  config: Config,
  overrides: DependencyOverrides = {},
  logger: Logger = createLogger({ level: config.log.level, name: 'recovery' }),
): Promise<FastifyInstance> {
  const container = createContainer<RecoveryCradle>({ injectionMode: 'PROXY', strict: true });
  registerDependencies(container, { config, logger }, overrides);
  return createServiceApp({ logger, container });
}
