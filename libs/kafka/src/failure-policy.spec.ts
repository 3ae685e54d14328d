import { FAILURE_HEADERS } from '@paysync/contracts';
import { DependencyUnavailableError, ProviderError, ValidationError } from '@paysync/errors';

import { planFailure, planInvalid, transientPauseMs } from './failure-policy.js';

import type { MessageOrigin } from './headers.js';

// The failure policy's decisions, without Kafka: which tier, which headers, when the DLQ.
const settings = {
  retryTopics: ['t.retry-short', 't.retry-long'],
  retryDelaysMs: [300, 600],
  deadLetterTopic: 't.dlq',
};
const NOW = Date.UTC(2026, 10, 29, 6, 0, 0);

function consumed(headers: Record<string, string> = {}, topic = 't.main'): MessageOrigin {
  return { topic, partition: 4, offset: '117', headers };
}

/** The headers a message carries after it went through the first tier. */
function afterFirstTier(): Record<string, string> {
  return {
    [FAILURE_HEADERS.attempt]: '2',
    [FAILURE_HEADERS.originalTopic]: 't.main',
    [FAILURE_HEADERS.originalPartition]: '4',
    [FAILURE_HEADERS.originalOffset]: '117',
    [FAILURE_HEADERS.errorClass]: 'OLD',
  };
}

const boom = new Error('boom');

describe('planFailure: which tier', () => {
  it.each([
    ['a first failure', {}, 'retry', 't.retry-short', 1, 300],
    [
      'a failure after the first tier',
      { [FAILURE_HEADERS.attempt]: '2' },
      'retry',
      't.retry-long',
      2,
      600,
    ],
  ] as const)('%s goes to its tier with its delay', (_, headers, kind, topic, tier, delayMs) => {
    const route = planFailure(consumed(headers), boom, settings, NOW);
    expect(route).toMatchObject({ kind, topic, tier, delayMs });
  });

  it('a failure after the last tier is dead-lettered (exhausted)', () => {
    const route = planFailure(consumed({ [FAILURE_HEADERS.attempt]: '3' }), boom, settings, NOW);
    expect(route).toMatchObject({ kind: 'dead', topic: 't.dlq', attempt: 3, reason: 'Error' });
  });

  it('tiers past the last topic reuse it', () => {
    const three = { ...settings, retryDelaysMs: [1, 2, 3] };
    const route = planFailure(consumed({ [FAILURE_HEADERS.attempt]: '3' }), boom, three, NOW);
    expect(route).toMatchObject({ kind: 'retry', topic: 't.retry-long', tier: 3, delayMs: 3 });
  });

  it('no tiers at all: the first failure is dead-lettered', () => {
    const none = { ...settings, retryDelaysMs: [] };
    expect(planFailure(consumed(), boom, none, NOW)).toMatchObject({ kind: 'dead', attempt: 1 });
  });
});

describe('planFailure: which headers', () => {
  it('a retry carries the next attempt, its not-before, the origin and the error', () => {
    const error = new ProviderError('PROVIDER_UNAVAILABLE', 'stripe answered 503', {
      retryable: true,
    });
    const route = planFailure(consumed(), error, settings, NOW);
    expect(route.headers).toEqual({
      [FAILURE_HEADERS.attempt]: '2',
      [FAILURE_HEADERS.notBefore]: String(NOW + 300),
      [FAILURE_HEADERS.originalTopic]: 't.main',
      [FAILURE_HEADERS.originalPartition]: '4',
      [FAILURE_HEADERS.originalOffset]: '117',
      [FAILURE_HEADERS.errorClass]: 'PROVIDER_UNAVAILABLE',
      [FAILURE_HEADERS.errorCode]: 'PROVIDER_UNAVAILABLE',
      [FAILURE_HEADERS.errorMessage]: 'stripe answered 503',
      [FAILURE_HEADERS.failedAt]: new Date(NOW).toISOString(),
    });
  });

  it('keeps the first failure’s origin through the tiers, not the tier topic’s', () => {
    const route = planFailure(consumed(afterFirstTier(), 't.retry-short'), boom, settings, NOW);
    expect(route.headers).toMatchObject({
      [FAILURE_HEADERS.attempt]: '3',
      [FAILURE_HEADERS.originalTopic]: 't.main',
      [FAILURE_HEADERS.originalPartition]: '4',
      [FAILURE_HEADERS.originalOffset]: '117',
      [FAILURE_HEADERS.errorClass]: 'Error',
    });
  });

  it('in the DLQ the attempt header counts the attempts made, and there is no not-before', () => {
    const route = planFailure(consumed({ [FAILURE_HEADERS.attempt]: '3' }), boom, settings, NOW);
    expect(route.headers[FAILURE_HEADERS.attempt]).toBe('3');
    expect(route.headers).not.toHaveProperty(FAILURE_HEADERS.notBefore);
  });

  it.each([
    [
      'our error',
      new DependencyUnavailableError('DB_UNAVAILABLE', 'db down'),
      'DB_UNAVAILABLE',
      'DB_UNAVAILABLE',
    ],
    [
      'a library error with a code',
      Object.assign(new Error('x'), { code: '22P05' }),
      '22P05',
      'INTERNAL_ERROR',
    ],
    ['a plain error', new TypeError('x'), 'TypeError', 'INTERNAL_ERROR'],
    ['a thrown string', 'oops', 'Error', 'INTERNAL_ERROR'],
  ])('error class and code of %s', (_, error, errorClass, errorCode) => {
    const route = planFailure(consumed(), error, settings, NOW);
    expect(route.headers).toMatchObject({
      [FAILURE_HEADERS.errorClass]: errorClass,
      [FAILURE_HEADERS.errorCode]: errorCode,
    });
  });

  it('cuts the error message to 1000 characters', () => {
    const route = planFailure(consumed(), new Error('x'.repeat(5000)), settings, NOW);
    expect(route.headers[FAILURE_HEADERS.errorMessage]).toHaveLength(1000);
  });
});

describe('planInvalid', () => {
  it('sends an unreadable message straight to the DLQ as MESSAGE_INVALID, attempt 1', () => {
    const error = new ValidationError('Message is not JSON', [], 'MESSAGE_INVALID');
    const route = planInvalid(consumed(), error, settings, NOW);
    expect(route).toMatchObject({
      kind: 'dead',
      topic: 't.dlq',
      attempt: 1,
      reason: 'MESSAGE_INVALID',
    });
    expect(route.headers).toMatchObject({
      [FAILURE_HEADERS.attempt]: '1',
      [FAILURE_HEADERS.errorClass]: 'MESSAGE_INVALID',
      [FAILURE_HEADERS.errorCode]: 'MESSAGE_INVALID',
      [FAILURE_HEADERS.errorMessage]: 'Message is not JSON',
    });
  });

  it('is dead-lettered even on its first delivery with tiers to spare', () => {
    const route = planInvalid(consumed(), new Error('payload: Required'), settings, NOW);
    expect(route.kind).toBe('dead');
    expect(route.headers[FAILURE_HEADERS.errorCode]).toBe('INTERNAL_ERROR');
  });
});

describe('transientPauseMs', () => {
  it.each([
    [1, 30_000, 500],
    [2, 30_000, 1000],
    [3, 30_000, 2000],
    [7, 30_000, 30_000],
    [100, 30_000, 30_000],
    [1, 200, 500],
    [2, 200, 200],
  ])('pause %i (max %i ms) lasts %i ms', (attempt, max, expected) => {
    expect(transientPauseMs(attempt, max)).toBe(expected);
  });
});
