// Loads @fastify/awilix's types (and the awilix-manager options asyncInit/asyncDispose it augments).
import type {} from '@fastify/awilix';
import {
  asClass,
  asFunction,
  asValue,
  type AwilixContainer,
  type NameAndRegistrationPair,
} from 'awilix';

import { ConnectionRepository } from '@paysync/db';
import type { Logger } from '@paysync/observability';
import {
  DISPOSE_PRIORITY,
  infrastructureRegistrations,
  type InfrastructureCradle,
} from '@paysync/runtime';

import { OutboxRelay } from './modules/outbox/outbox-relay.js';
import { OutboxRepository } from './modules/outbox/outbox.repository.js';
import { ConnectionCache } from './modules/webhooks/connection-cache.js';
import { IngressMetrics } from './modules/webhooks/ingress.metrics.js';
import { WebhookHandoffService } from './modules/webhooks/webhook-handoff.service.js';

import type { Config } from './config.js';

export interface IngressCradle extends InfrastructureCradle {
  readonly config: Config;
  readonly connectionRepository: ConnectionRepository;
  readonly connectionCache: ConnectionCache;
  readonly outboxRepository: OutboxRepository;
  readonly outboxRelay: OutboxRelay;
  readonly ingressMetrics: IngressMetrics;
  readonly webhookHandoffService: WebhookHandoffService;
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
    connectionRepository: asFunction(
      ({ prisma }: IngressCradle) =>
        new ConnectionRepository({ prisma, keyRing: config.crypto.keyRing }),
    ).singleton(),
    connectionCache: asFunction(
      ({ connectionRepository }: IngressCradle) =>
        new ConnectionCache({ connectionRepository, ttlMs: config.ingress.connectionCacheTtlMs }),
    ).singleton(),
    outboxRepository: asClass(OutboxRepository).singleton(),
    ingressMetrics: asClass(IngressMetrics).singleton(),
    outboxRelay: asFunction(
      ({ outboxRepository, kafkaProducer, ingressMetrics }: IngressCradle) =>
        new OutboxRelay({
          outboxRepository,
          kafkaProducer,
          logger,
          intervalMs: config.ingress.outboxRelayIntervalMs,
          depthGauge: ingressMetrics.outboxDepth,
        }),
      // Stops before the producer flushes (producers dispose at DISPOSE_PRIORITY.producers).
      {
        lifetime: 'SINGLETON',
        asyncInit: 'start',
        asyncDispose: 'stop',
        asyncDisposePriority: DISPOSE_PRIORITY.workers,
      },
    ),
    webhookHandoffService: asFunction(
      ({ kafkaProducer, outboxRepository, outboxRelay, ingressMetrics }: IngressCradle) =>
        new WebhookHandoffService({
          kafkaProducer,
          outboxRepository,
          outboxRelay,
          ingressMetrics,
          logger,
          topicPrefix: config.kafka.topicPrefix,
          circuitOpenMs: config.ingress.kafkaCircuitOpenMs,
          retryAfterSeconds: config.ingress.retryAfterSeconds,
        }),
    ).singleton(),
    ...overrides,
  });
}
