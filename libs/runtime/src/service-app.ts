import { randomUUID } from 'node:crypto';

import { fastifyAwilixPlugin } from '@fastify/awilix';
import type { AwilixContainer } from 'awilix';
import fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';

import {
  healthRoutes,
  problemErrorHandler,
  registerReadinessGauge,
  type Logger,
  type ReadinessCheck,
} from '@paysync/observability';

import type { InfrastructureCradle } from './infrastructure.js';

export interface ServiceAppOptions<C extends InfrastructureCradle> {
  readonly logger: Logger;
  readonly container: AwilixContainer<C>;
  /** Body limit in bytes (Fastify rejects larger bodies with 413 while reading). */
  readonly bodyLimit?: number;
  /** Take the client IP from X-Forwarded-For. */
  readonly trustProxy?: boolean;
  /** Extra readiness checks beyond PostgreSQL and Kafka. */
  readonly extraChecks?: (cradle: C) => readonly ReadinessCheck[];
}

/**
 * The shared part of every service's `buildApp`: Fastify with our logger and request ids, the
 * awilix container (async init/dispose in priority order), problem+json errors and
 * /live, /ready (PostgreSQL + Kafka), /metrics. The service registers its own routes after.
 */
export async function createServiceApp<C extends InfrastructureCradle>(
  options: ServiceAppOptions<C>,
): Promise<FastifyInstance> {
  const app = fastify({
    // Typed as Fastify's base logger so the instance is a plain FastifyInstance for every caller.
    loggerInstance: options.logger as FastifyBaseLogger,
    // 503 to new requests while closing, so load balancers drain us (STYLE R13).
    return503OnClosing: true,
    bodyLimit: options.bodyLimit ?? 1_048_576,
    trustProxy: options.trustProxy ?? false,
    requestIdHeader: 'x-request-id',
    genReqId: () => randomUUID(),
  });

  await app.register(fastifyAwilixPlugin, {
    container: options.container,
    disposeOnClose: true,
    disposeOnResponse: false,
    asyncInit: true,
    asyncDispose: true,
  });
  await app.register(problemErrorHandler);
  const cradle = options.container.cradle;
  const checks: ReadinessCheck[] = [
    { name: 'postgres', check: () => cradle.dbHealth.check() },
    { name: 'kafka', check: () => cradle.kafkaHealth.check() },
    ...(options.extraChecks?.(cradle) ?? []),
  ];
  await app.register(healthRoutes, { registry: cradle.metrics, checks });
  registerReadinessGauge(cradle.metrics, checks);
  app.addHook('onSend', async (req, reply) => {
    reply.header('x-request-id', req.id);
  });
  return app;
}
