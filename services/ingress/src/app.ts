import type { Logger } from '@paysync/observability';
import { buildServiceApp, type DependencyOverrides, type ServiceApp } from '@paysync/runtime';

import { registerDependencies, type IngressCradle } from './container.js';
import { webhookRoutes } from './routes/webhooks.routes.js';

import type { Config } from './config.js';

/** Builds the ingress service without listening (tests call this too, STYLE R10). */
export async function buildApp(
  config: Config,
  overrides?: DependencyOverrides<IngressCradle>,
  logger?: Logger,
): Promise<ServiceApp<IngressCradle>> {
  const app = await buildServiceApp({
    name: 'ingress',
    config,
    registerDependencies,
    overrides,
    logger,
    bodyLimit: config.ingress.bodyLimitBytes,
    trustProxy: config.ingress.trustProxy,
  });
  await app.register(webhookRoutes);
  return app;
}
