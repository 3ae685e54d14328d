import type { Faults } from './simulator.js';

/** A simulated failure: an HTTP 429 or 500, or 0 for a connection reset. */
export type FaultStatus = 429 | 500 | 0;

/**
 * Which fault, if any, a request gets: the ones forced by `failNext` first, in order; otherwise
 * one drawn at the `faults` rates (one draw per request, so a seeded run repeats).
 */
export class FaultQueue {
  readonly #forced: { status: FaultStatus; remaining: number }[] = [];

  /** The next `count` requests fail with `status`. */
  push(count: number, status: FaultStatus): void {
    this.#forced.push({ status, remaining: count });
  }

  next(faults: Faults, random: () => number): FaultStatus | undefined {
    const forced = this.#forced[0];
    if (forced) {
      if (--forced.remaining <= 0) this.#forced.shift();
      return forced.status;
    }
    const r = random();
    if (r < faults.rateReset) return 0;
    if (r < faults.rateReset + faults.rate429) return 429;
    if (r < faults.rateReset + faults.rate429 + faults.rate500) return 500;
    return undefined;
  }
}
