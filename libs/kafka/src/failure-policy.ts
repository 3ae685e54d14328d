import { errorClassOf, failureHeaders, readFailureHeaders, type MessageOrigin } from './headers.js';

/**
 * Where failed messages go (STYLE R23): a message that failed attempt n goes to retry tier n with
 * that tier's delay; after the last tier it goes to the dead-letter topic, and so does a message
 * that is not even readable (retrying cannot fix its shape). These functions only decide; the
 * `FailureRouter` produces, the `TypedConsumer` pauses on outages.
 */
export interface FailurePolicySettings {
  /** Tier i is produced to `retryTopics[i]`; tiers past the end reuse the last topic. */
  readonly retryTopics: readonly string[];
  /** One delay per retry tier; a failure after the last tier is dead-lettered. */
  readonly retryDelaysMs: readonly number[];
  readonly deadLetterTopic: string;
}

/** `error-class` of a message that could not be decoded or did not match its schema. */
const MESSAGE_INVALID = 'MESSAGE_INVALID';

export type FailureRoute =
  | {
      readonly kind: 'retry';
      readonly topic: string;
      /** 1-based tier number. */
      readonly tier: number;
      /** The attempt that failed. */
      readonly attempt: number;
      readonly delayMs: number;
      readonly headers: Readonly<Record<string, string>>;
    }
  | {
      readonly kind: 'dead';
      readonly topic: string;
      /** The attempts made. */
      readonly attempt: number;
      /** Why: the error class, or `MESSAGE_INVALID`. */
      readonly reason: string;
      readonly headers: Readonly<Record<string, string>>;
    };

/** A message whose handling failed with `error` (attempt from its headers): its tier, or the DLQ. */
export function planFailure(
  message: MessageOrigin,
  error: unknown,
  settings: FailurePolicySettings,
  now: number,
): FailureRoute {
  const { attempt } = readFailureHeaders(message.headers);
  const tier = attempt - 1;
  const delayMs = settings.retryDelaysMs[tier];
  if (delayMs === undefined || settings.retryTopics.length === 0) {
    const reason = errorClassOf(error);
    return {
      kind: 'dead',
      topic: settings.deadLetterTopic,
      attempt,
      reason,
      headers: failureHeaders(message, { attempt, error, now }),
    };
  }
  const topic = settings.retryTopics[Math.min(tier, settings.retryTopics.length - 1)] as string;
  return {
    kind: 'retry',
    topic,
    tier: tier + 1,
    attempt,
    delayMs,
    headers: failureHeaders(message, {
      attempt: attempt + 1,
      error,
      now,
      notBefore: now + delayMs,
    }),
  };
}

/** A message that could not be read as what the topic carries: straight to the DLQ. */
export function planInvalid(
  message: MessageOrigin,
  error: unknown,
  settings: FailurePolicySettings,
  now: number,
): FailureRoute {
  return {
    kind: 'dead',
    topic: settings.deadLetterTopic,
    attempt: 1,
    reason: MESSAGE_INVALID,
    headers: failureHeaders(message, { attempt: 1, error, errorClass: MESSAGE_INVALID, now }),
  };
}

const FIRST_PAUSE_MS = 500;

/**
 * The pause before retrying a batch after the `attempt`-th transient failure: 500 ms, doubling,
 * at most `maxMs` from the second pause on.
 */
export function transientPauseMs(attempt: number, maxMs: number): number {
  const delay = FIRST_PAUSE_MS * 2 ** (attempt - 1);
  return attempt <= 1 ? FIRST_PAUSE_MS : Math.min(delay, maxMs);
}
