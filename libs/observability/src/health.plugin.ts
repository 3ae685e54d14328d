import type { FastifyInstance, FastifyPluginAsync } from 'fastify';
import fp from 'fastify-plugin';
import { Histogram, type Registry } from 'prom-client';

import { LATENCY_BUCKETS } from './metrics.js';

/** A dependency the service cannot work without. `check` rejects when it is unreachable. */
export interface ReadinessCheck {
  readonly name: string;
  check(): Promise<void>;
}

export interface HealthPluginOptions {
  readonly registry: Registry;
  readonly checks: readonly ReadinessCheck[];
  /** Upper bound per check, so a hung dependency answers 503 instead of hanging the probe. */
  readonly checkTimeoutMs?: number;
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
 * pods), `GET /ready` (every dependency answers, else 503 naming the failing ones) and
 * `GET /metrics` (Prometheus text). Also records the request-duration histogram.
 */
const healthPlugin: FastifyPluginAsync<HealthPluginOptions> = async (
  app: FastifyInstance,
  { registry, checks, checkTimeoutMs = 2000 },
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

  const probe = { logLevel: 'warn' as const };

  app.get('/live', probe, async () => ({ status: 'ok' }));

  app.get('/ready', probe, async (req, reply) => {
    const results = await Promise.all(
      checks.map(async (readiness) => {
        const { name } = readiness;
        try {
          await withTimeout(readiness.check(), checkTimeoutMs);
          return [name, { status: 'ok' }] as const;
        } catch (err) {
          req.log.warn({ check: name, err }, 'Readiness check failed');
          return [name, { status: 'failed', error: (err as Error).message }] as const;
        }
      }),
    );
    const ok = results.every(([, r]) => r.status === 'ok');
    return reply
      .code(ok ? 200 : 503)
      .send({ status: ok ? 'ok' : 'unavailable', checks: Object.fromEntries(results) as unknown });
  });

  app.get('/metrics', probe, async (_req, reply) =>
    reply.header('content-type', registry.contentType).send(await registry.metrics()),
  );
};

export const healthRoutes = fp(healthPlugin, { name: 'paysync-health', fastify: '5.x' });
