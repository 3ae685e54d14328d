import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';

import {
  asClass,
  asFunction,
  asValue,
  type AwilixContainer,
  type BuildResolverOptions,
  type NameAndRegistrationPair,
} from 'awilix';

import { ALL_TOPICS } from '@paysync/contracts';
import { activeKeyRing, type KeyRing } from '@paysync/crypto';
import {
  ConnectionRepository,
  DbHealth,
  PgRateLimiter,
  ProviderRateLimitRepository,
  createPrismaClient,
  type Db,
  type DbSettings,
  type RateLimiterFactory,
} from '@paysync/db';
import {
  KafkaHealth,
  KafkaProducer,
  TopicBootstrap,
  createKafka,
  type Kafka,
  type KafkaSettings,
} from '@paysync/kafka';
import { createMetricsRegistry, type Logger, type Registry } from '@paysync/observability';
import {
  configuredBucket,
  connectionRateLimit,
  createProviderFactory,
  supportedProviders,
  type ProviderFactory,
  type ProviderFactorySettings,
} from '@paysync/providers';

/** The config groups every service has (each service's `Config` adds its own). */
export interface InfrastructureConfig {
  readonly db: DbSettings;
  readonly kafka: KafkaSettings;
  readonly crypto: { readonly keyRing: KeyRing; readonly activeKeyId?: string | undefined };
  /** Where the health routes listen (`health.metricsPort`, else on PORT) and what /ready needs. */
  readonly http?: { readonly host: string };
  readonly health?: {
    readonly metricsPort?: number | undefined;
    readonly readinessKafka?: 'required' | 'reported';
  };
}

/** What every paysync service has in its container, whatever its job. */
export interface InfrastructureCradle<Config extends InfrastructureConfig = InfrastructureConfig> {
  /** The service's whole config; classes type the slice they read (`XDeps['config']`). */
  readonly config: Config;
  readonly logger: Logger;
  readonly metrics: Registry;
  readonly prisma: Db;
  readonly keyRing: KeyRing;
  /** Provider connections with their secrets (decrypted with `keyRing`): every service reads them. */
  readonly connectionRepository: ConnectionRepository;
  readonly kafka: Kafka;
  readonly kafkaProducer: KafkaProducer;
  readonly kafkaHealth: KafkaHealth;
  readonly dbHealth: DbHealth;
  /** Creates the topic catalogue in the background at start-up (consumers wait for it). */
  readonly topicBootstrap: TopicBootstrap;
  /** This process among the replicas (`host:pid:random`): owner of leases and claims. */
  readonly workerId: string;
}

/** What a service that calls billing providers adds to its container. */
export interface ProviderCradle {
  readonly providerFactory: ProviderFactory;
  /** The rate limiter every replica calling one provider account shares (in PostgreSQL). */
  readonly rateLimiterFactory: RateLimiterFactory;
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
export function infrastructureRegistrations<Config extends InfrastructureConfig>(
  service: string,
  { config, logger }: { readonly config: Config; readonly logger: Logger },
): NameAndRegistrationPair<InfrastructureCradle<Config>> {
  return {
    config: asValue(config),
    logger: asValue(logger),
    // ENCRYPTION_ACTIVE_KEY_ID picks the key that encrypts (issue 15 item 8).
    keyRing: asValue(activeKeyRing(config.crypto)),
    workerId: asValue(`${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`),
    metrics: asFunction(() => createMetricsRegistry(service)).singleton(),
    prisma: asFunction(() => createPrismaClient(config.db), {
      lifetime: 'SINGLETON',
      asyncDispose: (prisma: Db) => prisma.$disconnect(),
      asyncDisposePriority: DISPOSE_PRIORITY.database,
    }),
    kafka: asFunction(() => createKafka(config.kafka, logger, service)).singleton(),
    kafkaProducer: asFunction(
      ({ kafka }: { kafka: Kafka }) =>
        new KafkaProducer({ kafka, logger, produceTimeoutMs: config.kafka.produceTimeoutMs }),
      {
        lifetime: 'SINGLETON',
        asyncDispose: 'disconnect',
        asyncDisposePriority: DISPOSE_PRIORITY.producers,
      },
    ),
    kafkaHealth: asFunction(() => new KafkaHealth({ kafkaSettings: config.kafka, logger }), {
      lifetime: 'SINGLETON',
      asyncDispose: 'close',
      asyncDisposePriority: DISPOSE_PRIORITY.producers,
    }),
    dbHealth: asClass(DbHealth).singleton(),
    connectionRepository: asClass(ConnectionRepository).singleton(),
    topicBootstrap: asFunction(
      ({ kafka }: { kafka: Kafka }) =>
        new TopicBootstrap({
          kafka,
          logger,
          topics: ALL_TOPICS,
          topicPrefix: config.kafka.topicPrefix,
          createTopics: config.kafka.createTopics,
        }),
      { lifetime: 'SINGLETON', asyncInit: 'start', asyncDispose: 'stop', asyncDisposePriority: 1 },
    ),
  };
}

/**
 * A service's `registerDependencies`: the shared infrastructure, then `own` (what only this
 * service has), then a test's overrides, in one `container.register` (STYLE R11: the list lives
 * in the service's container.ts).
 */
export function serviceRegistrations<
  Config extends InfrastructureConfig,
  C extends InfrastructureCradle<Config>,
>(
  service: string,
  own: (external: {
    readonly config: Config;
    readonly logger: Logger;
  }) => NameAndRegistrationPair<C>,
): (
  container: AwilixContainer<C>,
  external: { readonly config: Config; readonly logger: Logger },
  overrides?: Partial<NameAndRegistrationPair<C>>,
) => void {
  return (container, external, overrides = {}) => {
    container.register({
      ...infrastructureRegistrations(service, external),
      ...own(external),
      ...overrides,
    });
  };
}

/**
 * The provider client factory (the connection's key and base URL, or `STRIPE_API_BASE_URL`, with
 * the service's retry budget; a `settings.apiBaseUrl` only if API_ALLOWED_PROVIDER_BASE_URLS lists
 * it) and the shared PostgreSQL rate limiter, for services that call billing providers.
 * `settings` adds service-specific budgets (the api's shorter timeouts).
 *
 * Rate-limit buckets are keyed and rated by connectionRateLimit (a verified account id, else the
 * connection; the server's STRIPE_RATE_LIMIT_PER_SECOND_* / CHARGEBEE_RATE_LIMIT_PER_MINUTE_*, with a
 * per-minute budget's burst of 1), never by what a tenant wrote; the
 * configured rates are applied to existing buckets once, when the factory is first built (which
 * also resets a rate a tenant's value wrote into a bucket before issue 15 item 4).
 */
export function providerRegistrations(
  settings: ProviderFactorySettings,
): NameAndRegistrationPair<ProviderCradle> {
  return {
    providerFactory: asValue(createProviderFactory(settings)),
    rateLimiterFactory: asFunction(
      ({ prisma, logger }: { prisma: Db; logger: Logger }): RateLimiterFactory => {
        const rates = new ProviderRateLimitRepository({ prisma });
        void Promise.all(
          supportedProviders().flatMap((provider) =>
            (['test', 'live'] as const).map((mode) => {
              const { ratePerSecond, burst } = configuredBucket(provider, mode, settings);
              return rates.applyBaseRate(provider, mode, ratePerSecond, burst);
            }),
          ),
        ).catch((err: unknown) =>
          logger.warn({ err }, 'Could not apply the configured provider rate limits'),
        );
        return (connection) =>
          new PgRateLimiter({ prisma, ...connectionRateLimit(connection, settings) });
      },
    ).singleton(),
  };
}

/**
 * Registration options of a background worker (relay, pool, periodic task): started with the
 * container, stopped before the producers flush, off with `KAFKA_CONSUMERS_ENABLED=false` when
 * `enabled` is passed so.
 */
export function asWorker<T>(enabled = true): BuildResolverOptions<T> {
  return {
    lifetime: 'SINGLETON',
    asyncInit: 'start',
    asyncDispose: 'stop',
    asyncDisposePriority: DISPOSE_PRIORITY.workers,
    enabled,
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
