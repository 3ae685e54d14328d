import {
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  context,
  isSpanContextValid,
  propagation,
  trace,
  type Attributes,
  type Context,
  type Link,
  type Span,
} from '@opentelemetry/api';

export { SpanKind, type Span } from '@opentelemetry/api';

// Tracing through the OpenTelemetry API only: without the SDK (instrumentation.ts, loaded with
// --import when OTEL_* asks for it) every call here is a cheap no-op.

const tracer = () => trace.getTracer('paysync');

export interface SpanOptions {
  readonly kind?: SpanKind;
  readonly attributes?: Attributes;
  readonly links?: readonly Link[];
  /** Parent context; default the active one. */
  readonly parent?: Context;
}

/** Runs `fn` in a new active span; records an exception and error status if it throws. */
export async function withSpan<T>(
  name: string,
  options: SpanOptions,
  fn: (span: Span) => Promise<T>,
): Promise<T> {
  const { kind = SpanKind.INTERNAL, attributes, links, parent } = options;
  return tracer().startActiveSpan(
    name,
    { kind, ...(attributes && { attributes }), ...(links && { links: [...links] }) },
    parent ?? context.active(),
    async (span) => {
      try {
        return await fn(span);
      } catch (err) {
        span.recordException(err as Error);
        span.setStatus({ code: SpanStatusCode.ERROR, message: (err as Error).message });
        throw err;
      } finally {
        span.end();
      }
    },
  );
}

/** W3C trace-context headers (`traceparent`, `tracestate`) of `ctx` added to `headers`. */
export function injectTraceHeaders<H extends Record<string, string>>(
  headers: H,
  ctx: Context = context.active(),
): H {
  propagation.inject(ctx, headers);
  return headers;
}

/** The context carried by message or request headers (W3C trace context). */
export function extractTraceContext(
  headers: Readonly<Record<string, string | undefined>>,
): Context {
  return propagation.extract(ROOT_CONTEXT, headers);
}

/** The active context (its span), to carry into work that runs later or elsewhere. */
export function activeContext(): Context {
  return context.active();
}

/** A link to the span context in `ctx`, if it holds a valid one. */
export function linkTo(ctx: Context, attributes?: Attributes): Link | undefined {
  const spanContext = trace.getSpanContext(ctx);
  return spanContext && isSpanContextValid(spanContext)
    ? { context: spanContext, ...(attributes && { attributes }) }
    : undefined;
}

/** The active span's W3C `traceparent`, or undefined when no span is recording. */
export function currentTraceparent(): string | undefined {
  const carrier: Record<string, string> = {};
  propagation.inject(context.active(), carrier);
  return carrier.traceparent;
}

/** `trace_id`/`span_id` of the active span, for log lines (pino mixin). */
export function activeTraceFields(): { trace_id?: string; span_id?: string } {
  const spanContext = trace.getActiveSpan()?.spanContext();
  if (!spanContext || !isSpanContextValid(spanContext)) return {};
  return { trace_id: spanContext.traceId, span_id: spanContext.spanId };
}

/** Sends the spans still buffered (on shutdown, before the process exits). */
export async function flushTraces(): Promise<void> {
  const provider = trace.getTracerProvider() as {
    getDelegate?: () => { forceFlush?: () => Promise<void> };
    forceFlush?: () => Promise<void>;
  };
  const target = provider.getDelegate?.() ?? provider;
  await target.forceFlush?.().catch(() => undefined);
}
