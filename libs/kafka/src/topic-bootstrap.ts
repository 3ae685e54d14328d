import type { Kafka } from 'kafkajs';

import type { TopicSpec } from '@paysync/contracts';

import { topicName } from './topics.js';

import type { Logger } from 'pino';

/**
 * Makes sure the service's topics exist, in the background at start-up, retrying with backoff
 * while Kafka is unreachable, so a service boots (and reports not-ready) instead of crashing when
 * Kafka is down. Producers and consumers await `whenReady()`.
 *
 * With `createTopics: false` (`KAFKA_CREATE_TOPICS=false`, the Helm chart's default: managed
 * clusters rarely grant CreateTopics) it creates nothing and only waits until every topic exists,
 * which `paysync topics apply` (a pre-install hook) sees to.
 */
export class TopicBootstrap {
  readonly #kafka: Kafka;
  readonly #logger: Logger;
  readonly #topics: readonly TopicSpec[];
  readonly #prefix: string;
  readonly #createTopics: boolean;
  #stopped = false;
  #done = false;
  #ready: Promise<void> | undefined;

  constructor(deps: {
    kafka: Kafka;
    logger: Logger;
    topics: readonly TopicSpec[];
    topicPrefix: string;
    /** Default true (local dev). */
    createTopics?: boolean | undefined;
  }) {
    this.#kafka = deps.kafka;
    this.#logger = deps.logger.child({ component: 'TopicBootstrap' });
    this.#topics = deps.topics;
    this.#prefix = deps.topicPrefix;
    this.#createTopics = deps.createTopics ?? true;
  }

  get isDone(): boolean {
    return this.#done;
  }

  /** Starts the background attempt (idempotent). */
  start(): void {
    if (this.#ready) return;
    this.#ready = this.#run();
    // Stopping before the topics exist (shutdown during a Kafka outage) rejects `whenReady()`
    // for its awaiters; with none, that rejection must not crash the process as unhandled.
    this.#ready.catch(() => undefined);
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
        if (this.#createTopics) {
          const { created } = await ensureTopics(this.#kafka, this.#topics, this.#prefix);
          if (created.length > 0) this.#logger.info({ created }, 'Topics created');
        } else {
          const missing = await missingTopics(this.#kafka, this.#topics, this.#prefix);
          if (missing.length > 0) {
            throw new Error(
              `Topics missing (KAFKA_CREATE_TOPICS=false: run \`paysync topics apply\`): ${missing.join(', ')}`,
            );
          }
        }
        this.#done = true;
        return;
      } catch (err) {
        this.#logger.warn({ err, retryInMs: delay }, 'Topics not ready; retrying');
        await new Promise((resolve) => setTimeout(resolve, delay).unref());
        delay = Math.min(delay * 2, 10_000);
      }
    }
  }
}

async function missingTopics(
  kafka: Kafka,
  specs: readonly TopicSpec[],
  prefix: string,
): Promise<string[]> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    return specs.map((s) => topicName(s, prefix)).filter((name) => !existing.has(name));
  } finally {
    await admin.disconnect();
  }
}

/** How `paysync topics apply` lays the catalogue out on a cluster. */
export interface TopicLayout {
  /** Partitions per catalogue topic name; topics not listed keep the catalogue's count. */
  readonly partitions?: Readonly<Record<string, number>>;
  /** -1: the broker's `default.replication.factor`. */
  readonly replicationFactor: number;
  /** Unset: the broker's default. With acks=all, writes fail below this many in-sync replicas. */
  readonly minInsyncReplicas?: number | undefined;
  /** false: skip the drift checks (services at start-up only need the topics to exist). */
  readonly reportDrift?: boolean;
}

export interface TopicApplyReport {
  readonly created: string[];
  readonly grown: { topic: string; from: number; to: number }[];
  readonly unchanged: string[];
  /** Differences that `apply` does not change on an existing topic (a human decides). */
  readonly drift: { topic: string; setting: string; expected: string; actual: string }[];
}

/**
 * Creates missing topics of the catalogue with the given layout, grows partitions below it, and
 * reports replication-factor, `min.insync.replicas` and `max.message.bytes` drift on existing topics (changing those
 * needs a reassignment or a config change an operator should make knowingly). Never deletes or
 * shrinks anything; idempotent.
 */
export async function applyTopics(
  kafka: Kafka,
  specs: readonly TopicSpec[],
  prefix: string,
  layout: TopicLayout,
): Promise<TopicApplyReport> {
  const report: TopicApplyReport = { created: [], grown: [], unchanged: [], drift: [] };
  const partitionsOf = (spec: TopicSpec) => layout.partitions?.[spec.name] ?? spec.partitions;
  const admin = kafka.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const missing = specs.filter((s) => !existing.has(topicName(s, prefix)));
    if (missing.length > 0) {
      await admin.createTopics({
        waitForLeaders: true,
        topics: missing.map((s) => ({
          topic: topicName(s, prefix),
          numPartitions: partitionsOf(s),
          replicationFactor: layout.replicationFactor,
          configEntries: [
            { name: 'retention.ms', value: String(s.retentionMs) },
            { name: 'cleanup.policy', value: s.cleanupPolicy },
            ...(s.maxMessageBytes === undefined
              ? []
              : [{ name: 'max.message.bytes', value: String(s.maxMessageBytes) }]),
            ...(layout.minInsyncReplicas === undefined
              ? []
              : [{ name: 'min.insync.replicas', value: String(layout.minInsyncReplicas) }]),
          ],
        })),
      });
      report.created.push(...missing.map((s) => topicName(s, prefix)));
    }
    const present = specs.filter((s) => existing.has(topicName(s, prefix)));
    if (present.length === 0) return report;

    const { topics } = await admin.fetchTopicMetadata({
      topics: present.map((s) => topicName(s, prefix)),
    });
    const grow: { topic: string; from: number; to: number }[] = [];
    for (const spec of present) {
      const name = topicName(spec, prefix);
      const meta = topics.find((t) => t.name === name);
      if (!meta) continue;
      const current = meta.partitions.length;
      if (current < partitionsOf(spec))
        grow.push({ topic: name, from: current, to: partitionsOf(spec) });
      const replicas = meta.partitions[0]?.replicas.length ?? 0;
      if (layout.replicationFactor > 0 && replicas !== layout.replicationFactor) {
        report.drift.push({
          topic: name,
          setting: 'replication.factor',
          expected: String(layout.replicationFactor),
          actual: String(replicas),
        });
      }
    }
    const sized = present.filter((s) => s.maxMessageBytes !== undefined);
    if (
      layout.reportDrift !== false &&
      (layout.minInsyncReplicas !== undefined || sized.length > 0)
    ) {
      const { resources } = await admin.describeConfigs({
        includeSynonyms: false,
        resources: present.map((s) => ({
          type: 2, // ConfigResourceTypes.TOPIC
          name: topicName(s, prefix),
          configNames: ['min.insync.replicas', 'max.message.bytes'],
        })),
      });
      for (const resource of resources) {
        const spec = present.find((s) => topicName(s, prefix) === resource.resourceName);
        const expected: Record<string, string | undefined> = {
          'min.insync.replicas':
            layout.minInsyncReplicas === undefined ? undefined : String(layout.minInsyncReplicas),
          'max.message.bytes':
            spec?.maxMessageBytes === undefined ? undefined : String(spec.maxMessageBytes),
        };
        for (const [setting, want] of Object.entries(expected)) {
          const actual = resource.configEntries.find((e) => e.configName === setting);
          if (want !== undefined && actual && actual.configValue !== want) {
            report.drift.push({
              topic: resource.resourceName,
              setting,
              expected: want,
              actual: actual.configValue,
            });
          }
        }
      }
    }
    for (const g of grow) {
      if (await growPartitions(admin, g.topic, g.to)) report.grown.push(g);
    }
    const touched = new Set([...report.created, ...report.grown.map((g) => g.topic)]);
    report.unchanged.push(
      ...present.map((s) => topicName(s, prefix)).filter((name) => !touched.has(name)),
    );
    return report;
  } finally {
    await admin.disconnect();
  }
}

/** How long a grown topic may take to show its new partitions in a broker's metadata. */
const GROWTH_VISIBLE_WITHIN_MS = 30_000;

type Admin = ReturnType<Kafka['admin']>;

async function partitionCount(admin: Admin, topic: string): Promise<number> {
  const { topics } = await admin.fetchTopicMetadata({ topics: [topic] });
  return topics.find((t) => t.name === topic)?.partitions.length ?? 0;
}

/**
 * Grows one topic to `to` partitions (one request per topic, so a refusal names its topic) and
 * waits until the broker's metadata shows them, so whatever runs next (a service, the next
 * `apply`) sees the new layout: a broker's metadata lags the controller for a moment after a
 * CreatePartitions. Returns false when someone else grew it first — another service starting at the
 * same time, or a growth the metadata read before this one did not show yet: the controller then
 * answers INVALID_PARTITIONS, and the topic is re-read instead of failing the whole apply.
 */
async function growPartitions(admin: Admin, topic: string, to: number): Promise<boolean> {
  try {
    await admin.createPartitions({ topicPartitions: [{ topic, count: to }] });
  } catch (err) {
    // Only "already at or above the count" is fine; anything else is the caller's error.
    if ((err as { type?: string }).type !== 'INVALID_PARTITIONS') throw err;
    if (!(await showsPartitions(admin, topic, to, 5_000))) throw err;
    return false;
  }
  if (!(await showsPartitions(admin, topic, to, GROWTH_VISIBLE_WITHIN_MS))) {
    throw new Error(
      `topic ${topic} was grown to ${to} partitions but the broker's metadata still shows fewer after ${GROWTH_VISIBLE_WITHIN_MS} ms`,
    );
  }
  return true;
}

async function showsPartitions(
  admin: Admin,
  topic: string,
  atLeast: number,
  withinMs: number,
): Promise<boolean> {
  const deadline = Date.now() + withinMs;
  for (;;) {
    if ((await partitionCount(admin, topic)) >= atLeast) return true;
    if (Date.now() >= deadline) return false;
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * Creates missing topics from the catalogue (one replica per broker, at most the broker default)
 * and grows partitions that are below the catalogue's count: `applyTopics` without drift checks.
 * Never shrinks or deletes anything; safe to call from every service at start-up.
 */
export async function ensureTopics(
  kafka: Kafka,
  specs: readonly TopicSpec[],
  prefix: string,
): Promise<{ created: string[] }> {
  try {
    const { created } = await applyTopics(kafka, specs, prefix, {
      replicationFactor: -1,
      reportDrift: false,
    });
    return { created };
  } catch (err) {
    // Two services racing to create the same topic is fine.
    if ((err as { type?: string }).type === 'TOPIC_ALREADY_EXISTS') return { created: [] };
    throw err;
  }
}
