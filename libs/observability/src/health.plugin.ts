import fastify, {
  type FastifyBaseLogger,
  type FastifyInstance,
  type FastifyPluginAsync,
} from 'fastify';
import fp from 'fastify-plugin';
import { Histogram, type Registry } from 'prom-client';

import { z } from 'zod';

import { envVar, port, type EnvGroup } from '@paysync/config';

import { LATENCY_BUCKETS } from './metrics.js';

/** A dependency the service needs. `check` rejects when it is unreachable. */
export interface ReadinessCheck {
  readonly name: string;
  check(): Promise<void>;
  /**
   * Default true: a failing check makes `/ready` answer 503. False: the failure is reported
   * (`status: "degraded"`) but the pod stays ready, because the service still does its job
   * without that dependency (the ingress persists webhooks to the PostgreSQL outbox while Kafka
   * is down: a Kafka outage must not empty the ingress Service, DESIGN §8).
   */
  readonly required?: boolean;
}

/**
 * Where the health and metrics routes are served, and what readiness requires of Kafka. Each
 * service passes its own default (DESIGN §8: the ingress stays ready through a Kafka outage).
 */
export function healthConfigSchema(defaults: { readonly kafka: 'required' | 'reported' }) {
  return {
    metricsPort: envVar(
      'METRICS_PORT',
      port().optional(),
      'Serve /live, /ready and /metrics on this port only (not on PORT), so a public Ingress or load balancer in front of PORT never reaches them; unset: on PORT',
    ),
    readinessKafka: envVar(
      'READINESS_KAFKA',
      z.enum(['required', 'reported']).default(defaults.kafka),
      'required: /ready answers 503 while Kafka is unreachable; reported: the outage shows on /ready (degraded) but the pod stays ready (ingress: webhooks go to the PostgreSQL outbox)',
    ),
  } satisfies EnvGroup;
}

export interface HealthPluginOptions {
  readonly registry: Registry;
  readonly checks: readonly ReadinessCheck[];
  /** Upper bound per check, so a hung dependency answers 503 instead of hanging the probe. */
  readonly checkTimeoutMs?: number;
  /**
   * Serve /live, /ready and /metrics on a separate listener (METRICS_PORT) that starts with the
   * app (`onReady`) and closes with it, instead of on the app's own port.
   */
  readonly listen?: { readonly host: string; readonly port: number } | undefined;
  /** False when the app's own port is bound to loopback only: no start-up warning then. */
  readonly publicPort?: boolean;
}

async function withTimeout(promise: Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * `GET /live` (the process answers; no dependency checks, so a database outage never restarts
 * pods), `GET /ready` (every required dependency answers, else 503 naming the failing ones; a
 * failing optional one answers 200 `degraded`) and `GET /metrics` (Prometheus text). Also records
 * the request-duration histogram of the app's own routes.
 */
const healthPlugin: FastifyPluginAsync<HealthPluginOptions> = async (
  app: FastifyInstance,
  { registry, checks, checkTimeoutMs = 2000, listen, publicPort = true },
) => {
  const duration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request duration by route and status',
    labelNames: ['method', 'route', 'status_code'] as const,
    buckets: LATENCY_BUCKETS,
    registers: [registry],
  });

  app.addHook('onResponse', async (req, reply) => {
    duration.observe(
      {
        method: req.method,
        route: req.routeOptions.url ?? 'unmatched',
        status_code: reply.statusCode,
      },
      reply.elapsedTime / 1000,
    );
  });

  const target = listen
    ? fastify({ loggerInstance: app.log as FastifyBaseLogger, return503OnClosing: true })
    : app;
  // The separate listener is not closed before the app's onClose hooks run: /ready must turn 503
  // as soon as shutdown starts so the endpoints controller drains the pod.
  let closing = false;

  const probe = { logLevel: 'warn' as const };

  target.get('/live', probe, async () => ({ status: 'ok' }));

  target.get('/ready', probe, async (req, reply) => {
    if (closing) return reply.code(503).send({ status: 'closing', checks: {} });
    const results = await Promise.all(
      checks.map(async (readiness) => {
        const { name } = readiness;
        const required = readiness.required ?? true;
        try {
          await withTimeout(readiness.check(), checkTimeoutMs);
          return { name, required, result: { status: 'ok' } };
        } catch (err) {
          req.log.warn({ check: name, required, err }, 'Readiness check failed');
          // The error text (host names, driver messages) is shown only on the internal
          // METRICS_PORT listener; on the public PORT the log has it (issue 15, item 7).
          const result = listen
            ? { status: 'failed', error: (err as Error).message }
            : { status: 'failed' };
          return { name, required, result };
        }
      }),
    );
    const failed = results.filter((r) => r.result.status !== 'ok');
    const ready = failed.every((r) => !r.required);
    return reply.code(ready ? 200 : 503).send({
      status: !ready ? 'unavailable' : failed.length > 0 ? 'degraded' : 'ok',
      checks: Object.fromEntries(results.map((r) => [r.name, r.result])) as unknown,
    });
  });

  target.get('/metrics', probe, async (_req, reply) =>
    reply.header('content-type', registry.contentType).send(await registry.metrics()),
  );

  if (!listen && publicPort) {
    app.log.warn(
      'METRICS_PORT is unset: /live, /ready and /metrics are served on PORT without authentication; set METRICS_PORT (the Helm chart does) so only the cluster reaches them',
    );
  }

  if (listen) {
    const server = target;
    app.addHook('onReady', async () => {
      await server.listen({ host: listen.host, port: listen.port });
    });
    app.addHook('preClose', async () => {
      closing = true;
    });
    app.addHook('onClose', async () => {
      await server.close();
    });
  }
};

export const healthRoutes = fp(healthPlugin, { name: 'paysync-health', fastify: '5.x' });
