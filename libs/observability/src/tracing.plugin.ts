import { trace } from '@opentelemetry/api';
import type { FastifyPluginAsync } from 'fastify';
import fp from 'fastify-plugin';

import { flushTraces } from './tracing.js';

/**
 * Names each request's server span after its route (`POST /webhooks/:provider/:connectionId`,
 * with `http.route`), and flushes buffered spans when the app closes. A no-op without the SDK.
 */
const tracingPlugin: FastifyPluginAsync = async (app) => {
  app.addHook('onRequest', async (req) => {
    const span = trace.getActiveSpan();
    const route = req.routeOptions.url;
    if (!span || route === undefined) return;
    span.updateName(`${req.method} ${route}`);
    span.setAttribute('http.route', route);
  });
  app.addHook('onClose', async () => {
    await flushTraces();
  });
};

export const requestTracing = fp(tracingPlugin, { name: 'paysync-tracing', fastify: '5.x' });
