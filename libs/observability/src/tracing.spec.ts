import { Writable } from 'node:stream';

import { node, tracing } from '@opentelemetry/sdk-node';

import { createLogger } from './logger.js';
import {
  SpanKind,
  activeTraceFields,
  currentTraceparent,
  extractTraceContext,
  injectTraceHeaders,
  linkTo,
  withSpan,
} from './tracing.js';
import { tracingRequested } from './instrumentation.js';

// The tracing helpers with a real SDK exporting to memory.
const exporter = new tracing.InMemorySpanExporter();
const provider = new node.NodeTracerProvider({
  spanProcessors: [new tracing.SimpleSpanProcessor(exporter)],
});

beforeAll(() => provider.register());
afterAll(() => provider.shutdown());
beforeEach(() => exporter.reset());

const finished = (name: string) => {
  const span = exporter.getFinishedSpans().find((s) => s.name === name);
  if (!span) throw new Error(`no span ${name}`);
  return span;
};

it('withSpan nests spans, records errors and returns the result', async () => {
  const result = await withSpan('outer', { kind: SpanKind.SERVER }, () =>
    withSpan('inner', { attributes: { n: 1 } }, async () => 42),
  );
  expect(result).toBe(42);
  const outer = finished('outer');
  const inner = finished('inner');
  expect(inner.parentSpanContext?.spanId).toBe(outer.spanContext().spanId);
  expect(inner.spanContext().traceId).toBe(outer.spanContext().traceId);
  expect(inner.attributes).toEqual({ n: 1 });

  await expect(
    withSpan('failing', {}, async () => {
      throw new Error('boom');
    }),
  ).rejects.toThrow('boom');
  expect(finished('failing').status).toEqual({ code: 2, message: 'boom' });
  expect(finished('failing').events[0]?.name).toBe('exception');
});

it('carries the context through W3C headers: the receiving span is a child of the sender', async () => {
  const headers = await withSpan('send', { kind: SpanKind.PRODUCER }, async () =>
    injectTraceHeaders<Record<string, string>>({ other: 'kept' }),
  );
  expect(headers).toEqual({ other: 'kept', traceparent: expect.stringMatching(/^00-/) });
  const origin = extractTraceContext({
    traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
  });
  await withSpan(
    'process',
    { kind: SpanKind.CONSUMER, parent: extractTraceContext(headers), links: [linkTo(origin)!] },
    async () => undefined,
  );
  const send = finished('send');
  const process = finished('process');
  expect(process.parentSpanContext?.spanId).toBe(send.spanContext().spanId);
  expect(process.links.map((l) => l.context.traceId)).toEqual(['0af7651916cd43dd8448eb211c80319c']);
  expect(linkTo(extractTraceContext({}))).toBeUndefined();
});

it('log lines carry trace_id and span_id while a span is active, and only then', async () => {
  const lines: string[] = [];
  const logger = createLogger(
    { level: 'info', name: 't' },
    new Writable({
      write(chunk: Buffer, _enc, cb) {
        lines.push(chunk.toString());
        cb();
      },
    }),
  );
  logger.info('outside');
  const ids = await withSpan('logged', {}, async () => {
    logger.info('inside');
    return { fields: activeTraceFields(), traceparent: currentTraceparent() };
  });
  const [outside, inside] = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
  expect(outside).not.toHaveProperty('trace_id');
  expect(inside).toMatchObject({ trace_id: ids.fields.trace_id, span_id: ids.fields.span_id });
  expect(ids.traceparent).toBe(`00-${ids.fields.trace_id}-${ids.fields.span_id}-01`);
  expect(activeTraceFields()).toEqual({});
});

it('tracing is requested only by the standard OTEL_* variables', () => {
  expect(tracingRequested({})).toBe(false);
  expect(tracingRequested({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' })).toBe(true);
  expect(tracingRequested({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://c:4318/v1/traces' })).toBe(
    true,
  );
  expect(tracingRequested({ OTEL_TRACES_EXPORTER: 'console' })).toBe(true);
  expect(
    tracingRequested({ OTEL_TRACES_EXPORTER: 'none', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c' }),
  ).toBe(false);
  expect(
    tracingRequested({ OTEL_SDK_DISABLED: 'true', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c' }),
  ).toBe(false);
});
