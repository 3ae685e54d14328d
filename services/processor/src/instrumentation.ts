// Loaded before the service (`node --import ./dist/instrumentation.js dist/main.js`): starts
// OpenTelemetry tracing when OTEL_EXPORTER_OTLP_ENDPOINT or OTEL_TRACES_EXPORTER is set.
import { startTracing } from '@paysync/observability/instrumentation';

startTracing('processor');
