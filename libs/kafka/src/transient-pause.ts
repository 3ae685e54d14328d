import { transientPauseMs } from './failure-policy.js';

import type { BatchContext } from './consumer.js';

/** Thrown out of a pause when the consumer stops: the batch is left uncommitted, redelivered later. */
export class ConsumerStoppingError extends Error {
  constructor() {
    super('consumer stopping');
    this.name = 'ConsumerStoppingError';
  }
}

type PauseContext = Pick<BatchContext, 'isRunning' | 'heartbeat'>;

/** Waits `ms` with the partition held, or stops early (throwing) when the consumer stops. */
export type Pause = (ms: number, ctx: PauseContext) => Promise<void>;

/** Sleeps in short steps, heartbeating so the group keeps the partition, until `ms` passed. */
export const holdPartition: Pause = async (ms, ctx) => {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (!ctx.isRunning()) throw new ConsumerStoppingError();
    await new Promise((resolve) => setTimeout(resolve, Math.min(500, until - Date.now())));
    await ctx.heartbeat().catch(() => undefined);
  }
};

/** Holds the partition until `notBefore` (epoch ms), in steps of at most a second. */
export async function waitUntil(
  notBefore: number,
  ctx: PauseContext,
  pause: Pause = holdPartition,
): Promise<void> {
  while (Date.now() < notBefore) await pause(Math.min(1000, notBefore - Date.now()), ctx);
}

export interface TransientPauseOptions {
  /** A failure that may clear by itself (our database or Kafka down): pause and retry. */
  readonly isTransient: (err: unknown) => boolean;
  /** Longest pause between attempts. */
  readonly backoffMaxMs: number;
  /** Told before each pause (metrics, logs). */
  readonly onPause?: (pause: {
    readonly attempt: number;
    readonly delayMs: number;
    readonly error: unknown;
  }) => void;
  /** How to wait; tests pass one that does not sleep. */
  readonly pause?: Pause;
}

/**
 * Runs `run` until it succeeds. A transient failure pauses the partition with exponential backoff
 * and runs it again (nothing is dead-lettered because our own infrastructure is down); any other
 * failure, or any failure once the consumer is stopping, is thrown.
 */
export async function retryWhileTransient<R>(
  run: () => Promise<R>,
  ctx: PauseContext,
  { isTransient, backoffMaxMs, onPause, pause = holdPartition }: TransientPauseOptions,
): Promise<R> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await run();
    } catch (error) {
      if (!isTransient(error) || !ctx.isRunning()) throw error;
      const delayMs = transientPauseMs(attempt, backoffMaxMs);
      onPause?.({ attempt, delayMs, error });
      await pause(delayMs, ctx);
    }
  }
}
