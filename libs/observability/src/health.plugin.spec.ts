import fastify, { type FastifyInstance } from 'fastify';

import { loadConfig } from '@paysync/config';
import { freePort } from '@paysync/testkit';

import { healthConfigSchema, healthRoutes, type ReadinessCheck } from './health.plugin.js';
import { createMetricsRegistry } from './metrics.js';

const down = (): Promise<void> => Promise.reject(new Error('connection refused'));
const up = async (): Promise<void> => undefined;

const apps: FastifyInstance[] = [];
afterEach(async () => {
  for (const app of apps.splice(0)) await app.close();
});

async function build(checks: ReadinessCheck[], listen?: { host: string; port: number }) {
  const app = fastify();
  apps.push(app);
  await app.register(healthRoutes, { registry: createMetricsRegistry('test'), checks, listen });
  app.get('/webhooks/x', async () => ({ ok: true }));
  return app;
}

describe('readiness with optional checks', () => {
  it('stays ready (200, degraded) when only an optional check fails, naming it', async () => {
    const app = await build([
      { name: 'postgres', check: up },
      { name: 'kafka', check: down, required: false },
    ]);
    const res = await app.inject('/ready');
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({
      status: 'degraded',
      checks: {
        postgres: { status: 'ok' },
        kafka: { status: 'failed' },
      },
    });
  });

  it('shows a failing check error text only on the internal METRICS_PORT listener', async () => {
    const port = await freePort();
    const checks = [
      { name: 'postgres', check: up },
      { name: 'kafka', check: down, required: false },
    ];
    const shared = await build(checks);
    expect(JSON.stringify((await shared.inject('/ready')).json())).not.toContain('refused');

    const internal = await build(checks, { host: '127.0.0.1', port });
    await internal.listen({ host: '127.0.0.1', port: 0 });
    const res = await fetch(`http://127.0.0.1:${port}/ready`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      status: 'degraded',
      checks: {
        postgres: { status: 'ok' },
        kafka: { status: 'failed', error: 'connection refused' },
      },
    });
  });

  it('is not ready (503) when a required check fails, whatever the optional ones do', async () => {
    const app = await build([
      { name: 'postgres', check: down },
      { name: 'kafka', check: up, required: false },
    ]);
    const res = await app.inject('/ready');
    expect(res.statusCode).toBe(503);
    expect(res.json()).toMatchObject({ status: 'unavailable' });
  });
});

describe('METRICS_PORT', () => {
  it('serves /live, /ready and /metrics on the separate port only, and closes it with the app', async () => {
    const port = await freePort();
    const app = await build([{ name: 'postgres', check: up }], { host: '127.0.0.1', port });
    const base = await app.listen({ host: '127.0.0.1', port: 0 });

    expect((await fetch(`http://127.0.0.1:${port}/ready`)).status).toBe(200);
    expect((await fetch(`http://127.0.0.1:${port}/live`)).status).toBe(200);
    expect(await (await fetch(`http://127.0.0.1:${port}/metrics`)).text()).toContain(
      'http_request_duration_seconds',
    );
    for (const path of ['/ready', '/live', '/metrics']) {
      expect({ path, status: (await fetch(`${base}${path}`)).status }).toEqual({
        path,
        status: 404,
      });
    }
    expect((await fetch(`${base}/webhooks/x`)).status).toBe(200);

    await app.close();
    apps.splice(0);
    await expect(fetch(`http://127.0.0.1:${port}/live`)).rejects.toThrow();
  });

  it('is read from METRICS_PORT, and READINESS_KAFKA defaults per service', () => {
    const ingress = loadConfig({ health: healthConfigSchema({ kafka: 'reported' }) }, {});
    expect(ingress.health).toEqual({ metricsPort: undefined, readinessKafka: 'reported' });
    const api = loadConfig(
      { health: healthConfigSchema({ kafka: 'required' }) },
      { METRICS_PORT: '9464' },
    );
    expect(api.health).toEqual({ metricsPort: 9464, readinessKafka: 'required' });
  });
});
