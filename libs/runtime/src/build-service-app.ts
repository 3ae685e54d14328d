import { createContainer, type AwilixContainer } from 'awilix';

import { createLogger, type Logger, type LoggerOptions } from '@paysync/observability';

import { createServiceApp, type ServiceAppOptions } from './service-app.js';

import type { InfrastructureCradle } from './infrastructure.js';
import type { DependencyOverrides, ServiceApp } from './service-cradle.js';

/** A service's `registerDependencies` (its container.ts, the one place that registers). */
export type RegisterDependencies<Config, C extends object> = (
  container: AwilixContainer<C>,
  external: { readonly config: Config; readonly logger: Logger },
  overrides?: DependencyOverrides<C>,
) => void;

/** The config group `buildServiceApp` reads (every service has it). */
interface ServiceAppConfig {
  readonly log: Omit<LoggerOptions, 'name'>;
}

export interface BuildServiceAppOptions<
  Config extends ServiceAppConfig,
  C extends InfrastructureCradle,
> extends Omit<ServiceAppOptions<C>, 'logger' | 'container'> {
  /** Service name: the logger's `service` and the metrics prefix. */
  readonly name: string;
  readonly config: Config;
  readonly registerDependencies: RegisterDependencies<Config, C>;
  readonly overrides?: DependencyOverrides<C> | undefined;
  /** Default: a logger from `config.log` (tests pass one that captures lines). */
  readonly logger?: Logger | undefined;
}

/**
 * The body of every service's `buildApp(config, overrides?, logger?)` (STYLE R10): a strict PROXY
 * container filled by the service's `registerDependencies`, then the shared Fastify app
 * ({@link createServiceApp}). Never listens; the caller adds its routes.
 */
export async function buildServiceApp<
  Config extends ServiceAppConfig,
  C extends InfrastructureCradle,
>(options: BuildServiceAppOptions<Config, C>): Promise<ServiceApp<C>> {
  const { name, config, registerDependencies, overrides, logger: given, ...appOptions } = options;
  const logger = given ?? createLogger({ ...config.log, name });
  const container = createContainer<C>({ injectionMode: 'PROXY', strict: true });
  registerDependencies(container, { config, logger }, overrides);
  const app = await createServiceApp({ ...appOptions, logger, container });
  // The awilix plugin decorated the app with exactly this container.
  return app as ServiceApp<C>;
}
