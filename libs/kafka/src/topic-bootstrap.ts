import type { Kafka } from 'kafkajs';

import type { TopicSpec } from '@paysync/contracts';

import { ensureTopics } from './topics.js';

import type { Logger } from 'pino';

/**
 * Creates the service's topics in the background at start-up, retrying with backoff while Kafka
 * is unreachable, so a service boots (and reports not-ready) instead of crashing when Kafka is
 * down. Producers and consumers await `whenReady()`.
 */
export class TopicBootstrap {
  readonly #kafka: Kafka;
  readonly #logger: Logger;
  readonly #topics: readonly TopicSpec[];
  readonly #prefix: string;
  #stopped = false;
  #done = false;
  #ready: Promise<void> | undefined;

  constructor(deps: {
    kafka: Kafka;
    logger: Logger;
    topics: readonly TopicSpec[];
    topicPrefix: string;
  }) {
    this.#kafka = deps.kafka;
    this.#logger = deps.logger.child({ component: 'TopicBootstrap' });
    this.#topics = deps.topics;
    this.#prefix = deps.topicPrefix;
  }

  get isDone(): boolean {
    return this.#done;
  }

  /** Starts the background attempt (idempotent). */
  start(): void {
    this.#ready ??= this.#run();
  }

  whenReady(): Promise<void> {
    this.start();
    return this.#ready as Promise<void>;
  }

  stop(): void {
    this.#stopped = true;
  }

  async #run(): Promise<void> {
    let delay = 250;
    for (;;) {
      if (this.#stopped) throw new Error('TopicBootstrap stopped before the topics were created');
      try {
        const { created } = await ensureTopics(this.#kafka, this.#topics, this.#prefix);
        if (created.length > 0) this.#logger.info({ created }, 'Topics created');
        this.#done = true;
        return;
      } catch (err) {
        this.#logger.warn({ err, retryInMs: delay }, 'Topic creation failed; retrying');
        await new Promise((resolve) => setTimeout(resolve, delay).unref());
        delay = Math.min(delay * 2, 10_000);
      }
    }
  }
}
