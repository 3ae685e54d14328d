import { randomUUID } from 'node:crypto';

import { fastifyAwilixPlugin } from '@fastify/awilix';
import type { AwilixContainer } from 'awilix';
import fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';

import {
  healthRoutes,
  problemErrorHandler,
  registerReadinessGauge,
  requestTracing,
  type Logger,
  type ReadinessCheck,
} from '@paysync/observability';

import type { InfrastructureCradle } from './infrastructure.js';

/** What a client-supplied X-Request-ID may look like (UUIDs, ULIDs, trace-style ids). */
const REQUEST_ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;

export interface ServiceAppOptions<C extends InfrastructureCradle> {
  readonly logger: Logger;
  readonly container: AwilixContainer<C>;
  /** Body limit in bytes (Fastify rejects larger bodies with 413 while reading). */
  readonly bodyLimit?: number;
  /**
   * Addresses/CIDRs of the proxies whose X-Forwarded-For names the client (Fastify's
   * `trustProxy`); none (false) by default. Never every hop: any caller could pick its own address
   * (issue 15 item 3). No hop count either: Fastify 5.12.8 treats one as "trust nothing", since a
   * count cannot tell a proxy from a client that connects directly.
   */
  readonly trustProxy?: false | readonly string[];
  /** Extra readiness checks beyond PostgreSQL and Kafka. */
  readonly extraChecks?: (cradle: C) => readonly ReadinessCheck[];
}

/**
 * The shared part of every service's `buildApp`: Fastify with our logger and request ids, the
 * awilix container (async init/dispose in priority order), problem+json errors and
 * /live, /ready (PostgreSQL + Kafka), /metrics. The service registers its own routes after.
 *
 * From the service's `config.health` (`healthConfigSchema`): METRICS_PORT moves /live, /ready and
 * /metrics to their own listener, and READINESS_KAFKA says whether a Kafka outage makes the pod
 * unready (DESIGN §8: not the ingress's, which then writes webhooks to the PostgreSQL outbox).
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
    trustProxy: options.trustProxy ? [...options.trustProxy] : false,
    // A caller's X-Request-ID is kept only when it looks like an id: it is logged, echoed and
    // stored in the audit trail, so anything else (markup, control characters, kilobytes) is
    // replaced by our own UUID (issue 15 item 9).
    requestIdHeader: false,
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
    },
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
  // Every service registers its parsed config; a schema without a `health` group keeps the
  // defaults (Kafka required, health routes on PORT).
  const { http, health } = cradle.config;
  const checks: ReadinessCheck[] = [
    { name: 'postgres', check: () => cradle.dbHealth.check() },
    {
      name: 'kafka',
      check: () => cradle.kafkaHealth.check(),
      required: (health?.readinessKafka ?? 'required') === 'required',
    },
    ...(options.extraChecks?.(cradle) ?? []),
  ];
  await app.register(healthRoutes, {
    registry: cradle.metrics,
    checks,
    listen:
      health?.metricsPort === undefined
        ? undefined
        : { host: http?.host ?? '0.0.0.0', port: health.metricsPort },
    // A server bound to loopback only (tests, local tools) has no public PORT to warn about.
    publicPort: !/^(127\.|::1$|localhost$)/.test(http?.host ?? '0.0.0.0'),
  });
  registerReadinessGauge(cradle.metrics, checks);
  await app.register(requestTracing);
  app.addHook('onSend', async (req, reply) => {
    reply.header('x-request-id', req.id);
  });
  return app;
}
