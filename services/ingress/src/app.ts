import { createContainer } from 'awilix';
import type { FastifyInstance } from 'fastify';

import { createLogger, type Logger } from '@paysync/observability';
import { createServiceApp } from '@paysync/runtime';

import { registerDependencies, type DependencyOverrides, type IngressCradle } from './container.js';
import { webhookRoutes } from './routes/webhooks.routes.js';

import type { Config } from './config.js';

/** Builds the ingress service without listening (tests call this too, STYLE R10). */
export async function buildApp(
  config: Config,
  overrides: DependencyOverrides = {},
  logger: Logger = createLogger({ level: config.log.level, name: 'ingress' }),
): Promise<FastifyInstance> {
  const container = createContainer<IngressCradle>({ injectionMode: 'PROXY', strict: true });
  registerDependencies(container, { config, logger }, overrides);
  const app = await createServiceApp({
    logger,
    container,
    bodyLimit: config.ingress.bodyLimitBytes,
    trustProxy: config.ingress.trustProxy,
  });
  await app.register(webhookRoutes, { settings: config.ingress });
  return app;
}
