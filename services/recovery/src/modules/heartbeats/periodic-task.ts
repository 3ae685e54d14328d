import type { Logger } from '@paysync/observability';

import type { HeartbeatRepository } from './heartbeat.repository.js';

/**
 * One loop's deps: `heartbeatRepository` and `logger` come from the cradle; the rest is the loop
 * itself (the container registers several tasks, each with its own name, interval and pass).
 */
export interface PeriodicTaskDeps {
  /** Component name in logs and `recovery_heartbeats`. */
  readonly name: string;
  readonly intervalMs: number;
  /** One pass; what it returns is stored as the heartbeat's details. */
  readonly run: () => Promise<Record<string, unknown>>;
  readonly heartbeatRepository: HeartbeatRepository;
  readonly logger: Logger;
}

/**
 * Runs one recovery loop: a pass every `intervalMs` (never two at once), each recorded as a
 * heartbeat; a failed pass is logged and recorded, and the next one runs on schedule.
 * `stop()` waits for the pass in flight.
 */
export class PeriodicTask {
  readonly #name: string;
  readonly #intervalMs: number;
  readonly #run: () => Promise<Record<string, unknown>>;
  readonly #heartbeats: HeartbeatRepository;
  readonly #logger: Logger;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  #stopped = true;

  constructor({ name, intervalMs, run, heartbeatRepository, logger }: PeriodicTaskDeps) {
    this.#name = name;
    this.#intervalMs = intervalMs;
    this.#run = run;
    this.#heartbeats = heartbeatRepository;
    this.#logger = logger.child({ component: name });
  }

  start(): void {
    this.#stopped = false;
    this.#schedule(0);
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    await this.#running;
  }

  /** One pass now (tests, and a wake-up); waits for a pass already in flight first. */
  async runOnce(): Promise<void> {
    while (this.#running) await this.#running;
    this.#running = this.#pass().finally(() => {
      this.#running = undefined;
    });
    await this.#running;
  }

  async #pass(): Promise<void> {
    try {
      const details = await this.#run();
      await this.#heartbeats.success(this.#name, details);
    } catch (err) {
      this.#logger.warn({ err }, 'Recovery pass failed; will retry');
      await this.#heartbeats
        .failure(this.#name, err instanceof Error ? err.message : String(err))
        .catch(() => undefined);
    }
  }

  #schedule(delayMs: number): void {
    if (this.#stopped) return;
    this.#timer = setTimeout(() => {
      void this.runOnce().finally(() => this.#schedule(this.#intervalMs));
    }, delayMs);
    this.#timer.unref();
  }
}
