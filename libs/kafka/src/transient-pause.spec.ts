import { jest } from '@jest/globals';

import { DependencyUnavailableError, isRetryable } from '@paysync/errors';

import {
  ConsumerStoppingError,
  holdPartition,
  retryWhileTransient,
  waitUntil,
  type Pause,
} from './transient-pause.js';

// Pause and resume on an outage, decided without Kafka and without sleeping: the pause function
// records what it was asked to wait and returns at once.
const outage = () => new DependencyUnavailableError('DB_UNAVAILABLE', 'database unavailable');

function harness({ running = () => true }: { running?: () => boolean } = {}) {
  const paused: number[] = [];
  const pause: Pause = async (ms) => {
    paused.push(ms);
  };
  const ctx = { isRunning: running, heartbeat: async () => undefined };
  return { paused, pause, ctx };
}

/** A batch that fails with the given errors, one per run, then succeeds. */
function failingThen(...errors: Error[]) {
  let runs = 0;
  return {
    run: async () => {
      const error = errors[runs++];
      if (error !== undefined) throw error;
      return 'done';
    },
    runs: () => runs,
  };
}

describe('retryWhileTransient', () => {
  it('pauses with growing backoff while the outage lasts, then resumes and succeeds', async () => {
    const { paused, pause, ctx } = harness();
    const batch = failingThen(outage(), outage(), outage());
    const pauses: { attempt: number; delayMs: number }[] = [];
    const result = await retryWhileTransient(batch.run, ctx, {
      isTransient: isRetryable,
      backoffMaxMs: 1500,
      pause,
      onPause: ({ attempt, delayMs }) => pauses.push({ attempt, delayMs }),
    });
    expect(result).toBe('done');
    expect(batch.runs()).toBe(4);
    expect(paused).toEqual([500, 1000, 1500]);
    expect(pauses).toEqual([
      { attempt: 1, delayMs: 500 },
      { attempt: 2, delayMs: 1000 },
      { attempt: 3, delayMs: 1500 },
    ]);
  });

  it('does not pause for an error that is not transient: it is thrown at once', async () => {
    const { paused, pause, ctx } = harness();
    const poison = new Error('invalid byte sequence');
    const batch = failingThen(poison);
    await expect(
      retryWhileTransient(batch.run, ctx, { isTransient: isRetryable, backoffMaxMs: 1000, pause }),
    ).rejects.toBe(poison);
    expect(batch.runs()).toBe(1);
    expect(paused).toEqual([]);
  });

  it('gives up (throwing the outage) once the consumer is stopping', async () => {
    let running = true;
    const { paused, pause, ctx } = harness({ running: () => running });
    const stopDuringPause: Pause = async (ms, c) => {
      await pause(ms, c);
      running = false;
    };
    const error = outage();
    const batch = failingThen(error, error);
    await expect(
      retryWhileTransient(batch.run, ctx, {
        isTransient: isRetryable,
        backoffMaxMs: 1000,
        pause: stopDuringPause,
      }),
    ).rejects.toBe(error);
    expect(batch.runs()).toBe(2);
    expect(paused).toEqual([500]);
  });

  it('uses the classifier it is given (e.g. database errors that are not AppErrors)', async () => {
    const { paused, pause, ctx } = harness();
    const reset = Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' });
    const batch = failingThen(reset);
    await retryWhileTransient(batch.run, ctx, {
      isTransient: (err) => (err as { code?: string }).code === 'ECONNRESET',
      backoffMaxMs: 1000,
      pause,
    });
    expect(paused).toEqual([500]);
  });
});

describe('waitUntil', () => {
  it('holds until a retry-tier message is due, in steps of at most a second', async () => {
    const { paused, ctx } = harness();
    const notBefore = Date.UTC(2026, 10, 29, 6, 0, 0);
    // A fake clock: each pause moves it forward by what was asked instead of sleeping.
    jest.useFakeTimers({ now: notBefore - 2500 });
    const pause: Pause = async (ms) => {
      paused.push(ms);
      jest.setSystemTime(Date.now() + ms);
    };
    try {
      await waitUntil(notBefore, ctx, pause);
    } finally {
      jest.useRealTimers();
    }
    expect(paused).toEqual([1000, 1000, 500]);
  });

  it('does not wait for a message that is already due (or has no not-before)', async () => {
    const { paused, pause, ctx } = harness();
    await waitUntil(0, ctx, pause);
    await waitUntil(Date.now() - 1, ctx, pause);
    expect(paused).toEqual([]);
  });
});

describe('ConsumerStoppingError', () => {
  it('is what a pause throws when the consumer stops (the batch stays uncommitted)', async () => {
    await expect(
      holdPartition(10_000, { isRunning: () => false, heartbeat: async () => undefined }),
    ).rejects.toBeInstanceOf(ConsumerStoppingError);
  });
});
