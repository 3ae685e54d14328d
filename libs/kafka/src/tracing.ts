import {
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  context,
  isSpanContextValid,
  propagation,
  trace,
  type Context,
  type Link,
  type Span,
} from '@opentelemetry/api';

import { FAILURE_HEADERS } from '@paysync/contracts';

import type { Envelope } from './envelope.js';

// Kafka spans with the messaging semantic conventions, and the W3C trace context carried in the
// message headers (`traceparent`, `tracestate`). Without the OpenTelemetry SDK (tracing off) the
// spans are no-ops and the headers stay as they were.

const tracer = () => trace.getTracer('paysync');

/** One producer span per message (`send <topic>`), child of the context it was produced in. */
export function producerSpan(
  topic: string,
  message: { readonly key: string; readonly envelope: Envelope },
  parent: Context,
): Span {
  return tracer().startSpan(
    `send ${topic}`,
    {
      kind: SpanKind.PRODUCER,
      attributes: {
        'messaging.system': 'kafka',
        'messaging.operation.type': 'send',
        'messaging.operation.name': 'send',
        'messaging.destination.name': topic,
        'messaging.kafka.message.key': message.key,
        'messaging.message.id': message.envelope.id,
      },
    },
    parent,
  );
}

/** `extra` plus the W3C trace context of `span` (replacing any the message carried before). */
export function traceHeaders(
  extra: Readonly<Record<string, string>> | undefined,
  span: Span,
): Record<string, string> {
  const headers: Record<string, string> = { ...extra };
  if (isSpanContextValid(span.spanContext())) {
    propagation.inject(trace.setSpan(ROOT_CONTEXT, span), headers);
  }
  return headers;
}

interface Consumed {
  readonly key: string | null;
  readonly offset: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly envelope?: Envelope;
}

const valid = (ctx: Context) => {
  const sc = trace.getSpanContext(ctx);
  return sc && isSpanContextValid(sc) ? sc : undefined;
};

/**
 * Runs a batch's handling and commit in one consumer span (`process <topic>`). Its parent is the
 * first message's producer span, so a one-message batch continues the producer's trace; the other
 * messages are links. A message whose envelope keeps an original `traceparent` from another trace
 * (a dead letter re-driven later), or that is a retry-tier hop, links to that origin too.
 */
export async function consumerSpan<T>(
  topic: string,
  partition: number,
  groupId: string,
  messages: readonly Consumed[],
  fn: () => Promise<T>,
): Promise<T> {
  const parents = messages.map((m) => propagation.extract(ROOT_CONTEXT, m.headers));
  const links: Link[] = [];
  messages.forEach((m, i) => {
    const own = valid(parents[i] as Context);
    if (own && i > 0) links.push({ context: own });
    const origin = m.envelope?.traceparent
      ? valid(propagation.extract(ROOT_CONTEXT, { traceparent: m.envelope.traceparent }))
      : undefined;
    // A retry-tier or DLQ hop (it carries a failure attempt) links to its origin even within the
    // same trace, so the hop is found from the original webhook's trace (issue 14).
    const hop = m.headers[FAILURE_HEADERS.attempt] !== undefined;
    if (origin && (origin.traceId !== own?.traceId || hop)) {
      links.push({ context: origin, attributes: { 'paysync.link': 'origin' } });
    }
  });
  const first = messages[0];
  return tracer().startActiveSpan(
    `process ${topic}`,
    {
      kind: SpanKind.CONSUMER,
      links,
      attributes: {
        'messaging.system': 'kafka',
        'messaging.operation.type': 'process',
        'messaging.operation.name': 'process',
        'messaging.destination.name': topic,
        'messaging.destination.partition.id': String(partition),
        'messaging.consumer.group.name': groupId,
        'messaging.batch.message_count': messages.length,
        ...(first && { 'messaging.kafka.offset': Number(first.offset) }),
        ...(first?.key != null &&
          messages.length === 1 && {
            'messaging.kafka.message.key': first.key,
          }),
      },
    },
    parents[0] ?? context.active(),
    async (span) => {
      try {
        return await fn();
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

/** The offset commit after a batch (`commit <topic>`), inside its consumer span. */
export async function commitSpan<T>(topic: string, fn: () => Promise<T>): Promise<T> {
  return tracer().startActiveSpan(
    `commit ${topic}`,
    {
      kind: SpanKind.CLIENT,
      attributes: {
        'messaging.system': 'kafka',
        'messaging.operation.type': 'settle',
        'messaging.operation.name': 'commit',
        'messaging.destination.name': topic,
      },
    },
    async (span) => {
      try {
        return await fn();
      } finally {
        span.end();
      }
    },
  );
}
