import type { IHeaders } from 'kafkajs';

import { FAILURE_HEADERS } from '@paysync/contracts';
import { AppError } from '@paysync/errors';

import type { Envelope } from './envelope.js';

/**
 * The one place where Kafka headers are written (`outgoingHeaders`, `failureHeaders`) and read
 * (`readHeaders`, `readFailureHeaders`): the producer and the consumer go through these, so a new
 * header (trace context, say) is one edit here.
 */

/** Header names; `event-id` etc. are lower-case ASCII so every client library reads them alike. */
export const HEADERS = {
  eventId: 'event-id',
  eventType: 'event-type',
  workspaceId: 'workspace-id',
  idempotencyKey: 'idempotency-key',
  correlationId: 'correlation-id',
  traceparent: 'traceparent',
  contentType: 'content-type',
} as const;

/** The headers of a produced message: the envelope's routing fields (STYLE R26), plus `extra`. */
export function outgoingHeaders(
  envelope: Envelope,
  extra: Readonly<Record<string, string>> = {},
): IHeaders {
  const headers: IHeaders = {
    [HEADERS.eventId]: envelope.id,
    [HEADERS.eventType]: envelope.type,
    [HEADERS.idempotencyKey]: envelope.idempotencyKey,
    [HEADERS.correlationId]: envelope.correlationId,
    [HEADERS.contentType]: 'application/json',
  };
  if (envelope.workspaceId) headers[HEADERS.workspaceId] = envelope.workspaceId;
  if (envelope.traceparent) headers[HEADERS.traceparent] = envelope.traceparent;
  return { ...headers, ...extra };
}

/** Header values as strings (kafkajs hands back Buffers). */
export function readHeaders(headers: IHeaders | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(headers ?? {})) {
    if (value === undefined) continue;
    const first = Array.isArray(value) ? value[0] : value;
    if (first !== undefined) out[key] = first.toString();
  }
  return out;
}

/** Where a consumed message came from, as far as the failure headers need it. */
export interface MessageOrigin {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
  readonly headers: Readonly<Record<string, string>>;
}

/** What the failure headers of a consumed message say (absent headers are `undefined`). */
export interface FailureInfo {
  /** The attempt this delivery is (1 when the header is absent: a first delivery). */
  readonly attempt: number;
  /** Epoch ms before which a retry-tier message must not be handled (0 when absent). */
  readonly notBefore: number;
  readonly originalTopic?: string;
  readonly originalPartition?: number;
  readonly originalOffset?: string;
  readonly errorClass?: string;
  readonly errorCode?: string;
  readonly errorMessage?: string;
}

export function readFailureHeaders(headers: Readonly<Record<string, string>>): FailureInfo {
  const partition = headers[FAILURE_HEADERS.originalPartition];
  return {
    attempt: Number(headers[FAILURE_HEADERS.attempt] ?? 1),
    notBefore: Number(headers[FAILURE_HEADERS.notBefore] ?? 0),
    originalTopic: headers[FAILURE_HEADERS.originalTopic],
    originalPartition: partition ? Number(partition) : undefined,
    originalOffset: headers[FAILURE_HEADERS.originalOffset],
    errorClass: headers[FAILURE_HEADERS.errorClass],
    errorCode: headers[FAILURE_HEADERS.errorCode],
    errorMessage: headers[FAILURE_HEADERS.errorMessage],
  };
}

/** An error's class for routing and metrics: our code, else a library code, else its name. */
export function errorClassOf(error: unknown): string {
  if (error instanceof AppError) return error.code;
  const code = (error as { code?: unknown } | null | undefined)?.code;
  if (typeof code === 'string') return code;
  return error instanceof Error ? error.name : 'Error';
}

export function errorMessageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * The headers a failed message carries to its retry tier or the DLQ. The first failure's origin
 * (topic, partition, offset) is kept through every tier; the error fields describe the latest.
 */
export function failureHeaders(
  message: MessageOrigin,
  failure: {
    /** Through a tier the next attempt's number; in the DLQ, the attempts made. */
    readonly attempt: number;
    readonly error: unknown;
    /** Overrides the error's own class (e.g. `MESSAGE_INVALID`). */
    readonly errorClass?: string;
    readonly now: number;
    readonly notBefore?: number;
  },
): Record<string, string> {
  const h = message.headers;
  const headers: Record<string, string> = {
    [FAILURE_HEADERS.attempt]: String(failure.attempt),
    [FAILURE_HEADERS.originalTopic]: h[FAILURE_HEADERS.originalTopic] ?? message.topic,
    [FAILURE_HEADERS.originalPartition]:
      h[FAILURE_HEADERS.originalPartition] ?? String(message.partition),
    [FAILURE_HEADERS.originalOffset]: h[FAILURE_HEADERS.originalOffset] ?? message.offset,
    [FAILURE_HEADERS.errorClass]: failure.errorClass ?? errorClassOf(failure.error),
    [FAILURE_HEADERS.errorCode]:
      failure.error instanceof AppError ? failure.error.code : 'INTERNAL_ERROR',
    [FAILURE_HEADERS.errorMessage]: errorMessageOf(failure.error).slice(0, 1000),
    [FAILURE_HEADERS.failedAt]: new Date(failure.now).toISOString(),
  };
  if (failure.notBefore !== undefined) {
    headers[FAILURE_HEADERS.notBefore] = String(failure.notBefore);
  }
  return headers;
}
