export { problemErrorHandler } from './error-handler.plugin.js';
export { healthConfigSchema, healthRoutes } from './health.plugin.js';
export type { HealthPluginOptions, ReadinessCheck } from './health.plugin.js';
export { registerReadinessGauge } from './readiness.metrics.js';
export { REDACT_PATHS, createLogger, logConfigSchema } from './logger.js';
export type { Logger, LoggerOptions } from './logger.js';
export {
  Counter,
  Gauge,
  Histogram,
  LATENCY_BUCKETS,
  Registry,
  createMetricsRegistry,
} from './metrics.js';
export {
  SpanKind,
  activeContext,
  activeTraceFields,
  currentTraceparent,
  extractTraceContext,
  flushTraces,
  injectTraceHeaders,
  linkTo,
  withSpan,
} from './tracing.js';
export type { Span, SpanOptions } from './tracing.js';
export type { Context as TraceContext } from '@opentelemetry/api';
export { requestTracing } from './tracing.plugin.js';
