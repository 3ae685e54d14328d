import { randomUUID } from 'node:crypto';

import type { IHeaders } from 'kafkajs';
import { z } from 'zod';

import { ValidationError } from '@paysync/errors';

import { outgoingHeaders } from './headers.js';

/**
 * Every paysync message: `{ id, type, occurredAt, workspaceId?, correlationId, idempotencyKey,
 * traceparent?, payload }` as JSON, with the routing fields repeated in Kafka headers so tools and
 * consumers can filter without parsing the body (STYLE R26).
 */
export interface Envelope<T = unknown> {
  readonly id: string;
  readonly type: string;
  readonly occurredAt: string;
  readonly workspaceId?: string | undefined;
  readonly correlationId: string;
  readonly idempotencyKey: string;
  /** W3C trace context of the producing span, so one event is one trace across services. */
  readonly traceparent?: string | undefined;
  readonly payload: T;
}

export type EnvelopeInput<T> = Pick<Envelope<T>, 'type' | 'payload'> &
  Partial<Omit<Envelope<T>, 'type' | 'payload'>>;

const envelopeSchema = z.object({
  id: z.string().min(1),
  type: z.string().min(1),
  occurredAt: z.iso.datetime({ offset: true }),
  workspaceId: z.string().min(1).optional(),
  correlationId: z.string().min(1),
  idempotencyKey: z.string().min(1),
  traceparent: z.string().optional(),
  payload: z.unknown(),
});

/** Fills `id`, `occurredAt`, `correlationId` and `idempotencyKey` when the caller left them out. */
export function createEnvelope<T>(input: EnvelopeInput<T>): Envelope<T> {
  const id = input.id ?? randomUUID();
  return {
    ...input,
    id,
    occurredAt: input.occurredAt ?? new Date().toISOString(),
    correlationId: input.correlationId ?? id,
    idempotencyKey: input.idempotencyKey ?? id,
  };
}

/** The message value and headers for `envelope`, plus `extra` headers (retry/DLQ metadata). */
export function encodeEnvelope(
  envelope: Envelope,
  extra?: Readonly<Record<string, string>>,
): { value: Buffer; headers: IHeaders } {
  return {
    value: Buffer.from(JSON.stringify(envelope)),
    headers: outgoingHeaders(envelope, extra),
  };
}

/** Parses and validates a message body; a bad message is a `MESSAGE_INVALID` validation error. */
export function decodeEnvelope(value: Buffer | null): Envelope {
  if (value === null) throw new ValidationError('Message has no value', [], 'MESSAGE_INVALID');
  let json: unknown;
  try {
    json = JSON.parse(value.toString('utf8'));
  } catch (err) {
    throw new ValidationError('Message is not JSON', [], 'MESSAGE_INVALID', { cause: err });
  }
  const parsed = envelopeSchema.safeParse(json);
  if (!parsed.success) {
    throw new ValidationError(
      'Message does not match the envelope schema',
      parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })),
      'MESSAGE_INVALID',
    );
  }
  return parsed.data;
}
