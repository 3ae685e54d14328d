import { register } from 'node:module';

import { NodeSDK } from '@opentelemetry/sdk-node';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { PgInstrumentation } from '@opentelemetry/instrumentation-pg';

// The OpenTelemetry SDK for one service, loaded before anything else (`node --import
// ./dist/instrumentation.js dist/main.js`; each service's src/instrumentation.ts calls this).
// Configured only by the standard OTEL_* variables; off unless an exporter is asked for. Imports
// nothing of ours: modules loaded before the SDK starts would not be instrumented.

const PROBES = /^\/(live|ready|metrics)(\?|$)/;

/** Whether the OTEL_* environment asks for traces. */
// The standard OTEL_* variables are the OpenTelemetry SDK's own configuration, read from the
// environment by the SDK itself (STYLE R17's exception for the tracing bootstrap).
// eslint-disable-next-line no-restricted-syntax
const ENV = process.env;

export function tracingRequested(env: NodeJS.ProcessEnv = ENV): boolean {
  if (env.OTEL_SDK_DISABLED === 'true') return false;
  const exporter = env.OTEL_TRACES_EXPORTER;
  if (exporter !== undefined) return exporter !== 'none' && exporter !== '';
  return Boolean(env.OTEL_EXPORTER_OTLP_ENDPOINT || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT);
}

/**
 * Starts tracing for `service` when the environment asks for it (OTEL_EXPORTER_OTLP_ENDPOINT or
 * OTEL_TRACES_EXPORTER); OTEL_SERVICE_NAME defaults to the service. Spans: HTTP server and client
 * requests (health and metrics probes excluded), PostgreSQL queries (pg, under Prisma's adapter),
 * plus the spans the code makes through @paysync/observability's withSpan (Kafka, batches,
 * pages). Metrics and logs stay on Prometheus and stdout unless OTEL_*_EXPORTER says otherwise.
 */
export function startTracing(service: string, env: NodeJS.ProcessEnv = ENV): NodeSDK | undefined {
  if (!tracingRequested(env)) return undefined;
  env.OTEL_SERVICE_NAME ??= service;
  env.OTEL_METRICS_EXPORTER ??= 'none';
  env.OTEL_LOGS_EXPORTER ??= 'none';
  // ESM modules are instrumented through import-in-the-middle's loader hook.
  register('@opentelemetry/instrumentation/hook.mjs', import.meta.url);
  const sdk = new NodeSDK({
    instrumentations: [
      new HttpInstrumentation({
        ignoreIncomingRequestHook: (req) => PROBES.test(req.url ?? ''),
      }),
      new PgInstrumentation({ requireParentSpan: true }),
    ],
  });
  sdk.start();
  // Spans still buffered are sent on the way out (runService exits after a graceful close).
  process.once('beforeExit', () => void sdk.shutdown());
  return sdk;
}
