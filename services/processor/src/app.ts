import { createContainer } from 'awilix';
import type { FastifyInstance } from 'fastify';

import { createLogger, type Logger } from '@paysync/observability';
import { createServiceApp } from '@paysync/runtime';

import {
  registerDependencies,
  type ProcessorCradle,
  type DependencyOverrides,
} from './container.js';

import type { Config } from './config.js';

/** Builds the processor service without listening (tests call this too, STYLE R10). */
export async function buildApp(
  config: Config,
  overrides: DependencyOverrides = {},
  logger: Logger = createLogger({ level: config.log.level, name: 'processor' }),
): Promise<FastifyInstance> {
  const container = createContainer<ProcessorCradle>({ injectionMode: 'PROXY', strict: true });
  registerDependencies(container, { config, logger }, overrides);
  return createServiceApp({ logger, container });
}
