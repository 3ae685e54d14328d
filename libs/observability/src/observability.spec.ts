import { Writable } from 'node:stream';

import fastify from 'fastify';

import { ConflictError } from '@paysync/errors';

import { createLogger, createMetricsRegistry, healthRoutes, problemErrorHandler } from './index.js';

function capture() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      lines.push(chunk.toString());
      cb();
    },
  });
  return { lines, stream };
}

describe('createLogger', () => {
  it('redacts secrets and authorization headers', () => {
    const { lines, stream } = capture();
    const logger = createLogger({ level: 'info', name: 'test' }, stream);
    logger.info(
      {
        req: { headers: { authorization: 'Bearer sk_live_abc', 'stripe-signature': 't=1,v1=ff' } },
        connection: { apiKey: 'sk_live_abc', webhookSecrets: ['whsec_1'] },
        config: { crypto: { secret: 'k' } },
      },
      'Connection saved',
    );
    const line = lines.join('');
    expect(line).toContain('Connection saved');
    expect(line).toContain('"service":"test"');
    expect(line).not.toContain('sk_live_abc');
    expect(line).not.toContain('whsec_1');
    expect(line).not.toContain('v1=ff');
  });
});

describe('health routes and problem errors', () => {
  async function build(checks: { name: string; check(): Promise<void> }[]) {
    const app = fastify({ logger: false });
    const registry = createMetricsRegistry('test');
    await app.register(problemErrorHandler);
    await app.register(healthRoutes, { registry, checks, checkTimeoutMs: 200 });
    app.get('/conflict', async () => {
      throw new ConflictError('CONFLICT', 'Session already running');
    });
    app.get('/boom', async () => {
      throw new Error('database password in message');
    });
    app.post(
      '/echo',
      {
        schema: {
          body: { type: 'object', required: ['name'], properties: { name: { type: 'string' } } },
        },
      },
      async (req) => req.body,
    );
    return app;
  }

  it('answers /live without checking dependencies', async () => {
    const app = await build([{ name: 'db', check: () => Promise.reject(new Error('down')) }]);
    expect((await app.inject('/live')).statusCode).toBe(200);
  });

  it('answers /ready 200 when every check passes and 503 naming the failing one', async () => {
    const ok = await build([{ name: 'db', check: async () => undefined }]);
    const okRes = await ok.inject('/ready');
    expect(okRes.statusCode).toBe(200);
    expect(okRes.json()).toEqual({ status: 'ok', checks: { db: { status: 'ok' } } });

    const hung = await build([
      { name: 'db', check: async () => undefined },
      { name: 'kafka', check: () => new Promise(() => undefined) },
    ]);
    const res = await hung.inject('/ready');
    expect(res.statusCode).toBe(503);
    expect(res.json()).toMatchObject({
      status: 'unavailable',
      checks: { kafka: { status: 'failed' } },
    });
  });

  it('serves Prometheus metrics including request durations', async () => {
    const app = await build([]);
    await app.inject('/live');
    const res = await app.inject('/metrics');
    expect(res.headers['content-type']).toContain('text/plain');
    expect(res.body).toContain('http_request_duration_seconds_bucket');
    expect(res.body).toContain('process_cpu_user_seconds_total');
  });

  it('turns errors into problem+json', async () => {
    const app = await build([]);
    const conflict = await app.inject('/conflict');
    expect(conflict.statusCode).toBe(409);
    expect(conflict.headers['content-type']).toContain('application/problem+json');
    expect(conflict.json()).toMatchObject({
      code: 'CONFLICT',
      detail: 'Session already running',
      instance: '/conflict',
    });

    const boom = await app.inject('/boom');
    expect(boom.statusCode).toBe(500);
    expect(boom.body).not.toContain('password');

    const missing = await app.inject('/nope');
    expect(missing.statusCode).toBe(404);
    expect(missing.json()).toMatchObject({ code: 'ROUTE_NOT_FOUND' });

    const invalid = await app.inject({ method: 'POST', url: '/echo', payload: {} });
    expect(invalid.statusCode).toBe(400);
    expect(invalid.json()).toMatchObject({
      code: 'VALIDATION_FAILED',
      errors: [{ path: 'body/name' }],
    });

    const badJson = await app.inject({
      method: 'POST',
      url: '/echo',
      headers: { 'content-type': 'application/json' },
      payload: '{"name":',
    });
    expect(badJson.statusCode).toBe(400);
    expect(badJson.json()).toMatchObject({ code: 'VALIDATION_FAILED' });
  });
});
