import { SpanKind, SpanStatusCode, context, trace } from '@opentelemetry/api';

import type { ProviderName } from '@paysync/contracts';
import { ProviderError } from '@paysync/errors';

import { sleep, type RateLimiter } from './token-bucket.js';

const tracer = trace.getTracer('paysync');

/** What a vendor adapter reads from its SDK's rejection. */
export interface FailedCall {
  /** The HTTP status, when there was an answer. */
  readonly status: number | undefined;
  /** The provider said "too many requests": the limiter slows the whole account down. */
  readonly throttled: boolean;
  readonly retryable: boolean;
  /** The raw `Retry-After` header, if the answer had one. */
  readonly retryAfter: string | undefined;
  readonly message: string | undefined;
  /** The vendor's own ids and codes, kept in the `ProviderError`'s details. */
  readonly details: Record<string, unknown>;
}

export interface ProviderCallPolicy {
  readonly provider: ProviderName;
  /** The provider's name in error messages ("Stripe"). */
  readonly displayName: string;
  readonly limiter: RateLimiter;
  readonly maxAttempts: number;
  /** Longest `Retry-After` honoured; a larger one would stall the caller and the shared bucket. */
  readonly maxRetryAfterMs: number;
  /** How long the limiter pauses after a throttled answer without `Retry-After`. */
  readonly throttledPauseMs: number;
  readonly classify: (err: unknown) => FailedCall;
}

/**
 * One API call under the account's limiter, in a client span, retried while `classify` says it is
 * retryable, with exponential backoff and jitter, honouring `Retry-After`. The last failure leaves
 * as a `ProviderError` carrying the HTTP status, the vendor's details and the attempts made.
 */
export async function callProvider<T>(
  policy: ProviderCallPolicy,
  what: string,
  fn: () => Promise<T>,
): Promise<{ result: T; attempts: number }> {
  const { provider } = policy;
  for (let attempt = 1; ; attempt++) {
    await policy.limiter.acquire();
    // One client span per request: the SDK's HTTP call (and its http span) inside it.
    const span = tracer.startSpan(`${provider} ${what}`, {
      kind: SpanKind.CLIENT,
      attributes: { 'paysync.provider': provider, 'paysync.provider.attempt': attempt },
    });
    try {
      const result = await context.with(trace.setSpan(context.active(), span), fn);
      span.end();
      return { result, attempts: attempt };
    } catch (err) {
      const { status, throttled, retryable, retryAfter, message, details } = policy.classify(err);
      const retryAfterMs =
        retryAfter !== undefined && /^\d+$/.test(retryAfter)
          ? Math.min(Number(retryAfter) * 1000, policy.maxRetryAfterMs)
          : undefined;
      if (status !== undefined) span.setAttribute('http.response.status_code', status);
      span.setAttribute('paysync.provider.throttled', throttled);
      span.setAttribute('paysync.provider.retryable', retryable);
      span.setStatus({ code: SpanStatusCode.ERROR, message: message ?? 'provider error' });
      span.end();
      if (throttled) policy.limiter.onThrottled?.(retryAfterMs ?? policy.throttledPauseMs);
      if (retryable && attempt < policy.maxAttempts) {
        const backoff = Math.min(200 * 2 ** (attempt - 1), 10_000);
        const jitter = Math.random() * backoff * 0.3;
        await sleep(retryAfterMs ?? backoff + jitter);
        continue;
      }
      throw new ProviderError(
        retryable ? 'PROVIDER_UNAVAILABLE' : 'PROVIDER_ERROR',
        `${policy.displayName} ${what} failed${status ? ` (${status})` : ''}: ${message ?? 'unknown error'}`,
        {
          retryable,
          details: { provider, statusCode: status, ...details, attempts: attempt },
          cause: err,
        },
      );
    }
  }
}
