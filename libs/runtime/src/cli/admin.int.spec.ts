// The image's admin commands against the local stack: `migrate` on an empty database (excluded
// by Prisma Migrate's own advisory lock), `migrate status`, and `topics apply` with a layout
// (partitions, replication factor, min.insync.replicas), idempotent and reporting drift.
import { randomBytes } from 'node:crypto';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import pg from 'pg';

import { ALL_TOPICS, TOPICS } from '@paysync/contracts';
import { MIGRATION_LOCK_KEY, readMigrations } from '@paysync/db';
import { createKafka, topicName } from '@paysync/kafka';
import { createLogger } from '@paysync/observability';
import { eventually, stackEnv, uniqueId } from '@paysync/testkit';

import { runAdminCommand } from './admin.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '../../../..');
const { databaseUrl, kafkaBrokers } = stackEnv();
const migrationCount = readMigrations(join(root, 'prisma/migrations')).length;

const dbName = `paysync_cli_${randomBytes(5).toString('hex')}`;
const url = (database: string) => {
  const u = new URL(databaseUrl);
  u.pathname = `/${database}`;
  return u.toString();
};

async function admin<T>(fn: (client: pg.Client) => Promise<T>, database = 'postgres'): Promise<T> {
  const client = new pg.Client({ connectionString: url(database) });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

async function paysync(args: string[], env: Record<string, string>) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runAdminCommand(args, {
    env,
    root,
    out: (line) => out.push(line),
    err: (line) => err.push(line),
  });
  return { code, out, err };
}

beforeAll(() => admin((c) => c.query(`CREATE DATABASE "${dbName}" TEMPLATE template0`)));
afterAll(() => admin((c) => c.query(`DROP DATABASE IF EXISTS "${dbName}" WITH (FORCE)`)));

describe('paysync migrate', () => {
  const env = () => ({ DATABASE_URL: url(dbName) });

  it('uses Prisma Migrate’s advisory-lock key', () => {
    // prisma-engines, sql-schema-connector postgres flavour: SELECT pg_advisory_lock(72707369)
    expect(MIGRATION_LOCK_KEY).toBe(72707369);
  });

  it('lists every migration as pending on an empty database and exits 1', async () => {
    const res = await paysync(['migrate', 'status'], env());
    expect(res.code).toBe(1);
    expect(res.out.filter((l) => l.startsWith('pending'))).toHaveLength(migrationCount);
    expect(res.out.at(-1)).toBe(
      `[migrate status] 0 applied, ${migrationCount} pending, 0 failed, 0 edited`,
    );
  });

  it('waits while another migrator (prisma migrate deploy) holds the lock, then applies everything', async () => {
    const holder = new pg.Client({ connectionString: url(dbName) });
    await holder.connect();
    try {
      await holder.query('SELECT pg_advisory_lock(72707369)');
      const running = paysync(['migrate'], env());
      // Our migrator's session is queued on the very same lock.
      await eventually(
        async () => {
          const { rows } = await holder.query<{ waiting: number }>(
            `SELECT count(*)::int AS waiting FROM pg_locks
              WHERE locktype = 'advisory' AND NOT granted AND objid = 72707369 AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`,
          );
          return rows[0]?.waiting === 1 ? true : undefined;
        },
        { what: 'migrate waiting on advisory lock 72707369' },
      );
      const { rows } = await holder.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM pg_tables WHERE tablename = '_prisma_migrations'`,
      );
      expect(rows[0]?.n).toBe(0);
      await holder.query('SELECT pg_advisory_unlock(72707369)');
      const res = await running;
      expect(res).toMatchObject({ code: 0, err: [] });
      expect(res.out.at(-1)).toBe(`[migrate] ${migrationCount} applied, 0 already applied`);
    } finally {
      await holder.end();
    }
  });

  it('then reports everything applied (exit 0) and applies nothing twice', async () => {
    const status = await paysync(['migrate', 'status'], env());
    expect(status.code).toBe(0);
    expect(status.out.at(-1)).toBe(
      `[migrate status] ${migrationCount} applied, 0 pending, 0 failed, 0 edited`,
    );
    const again = await paysync(['migrate'], env());
    expect(again.out.at(-1)).toBe(`[migrate] 0 applied, ${migrationCount} already applied`);
  });

  it('names a missing DATABASE_URL and exits 1; an unknown command prints the usage and exits 2', async () => {
    const missing = await paysync(['migrate'], {});
    expect(missing.code).toBe(1);
    expect(missing.err.join('\n')).toContain('DATABASE_URL');
    // (`keys rotate` was the unknown example until it became a command, issue 15 item 8.)
    const unknown = await paysync(['keys', 'destroy'], {});
    expect(unknown.code).toBe(2);
    expect(unknown.out.join('\n')).toContain('topics apply');
    expect(unknown.out.join('\n')).toContain('keys rotate');
    const rotate = await paysync(['keys', 'rotate'], {});
    expect(rotate.code).toBe(1);
    expect(rotate.err.join('\n')).toMatch(/DATABASE_URL[\s\S]*ENCRYPTION_KEYS/);
  });
});

describe('paysync topics apply', () => {
  const prefix = uniqueId('cli-topics-');
  const kafka = createKafka(
    { brokers: kafkaBrokers, connectionTimeoutMs: 3000 },
    createLogger({ level: 'silent', name: 'cli-int' }),
    'cli-int',
  );
  const env = (extra: Record<string, string> = {}) => ({
    KAFKA_BROKERS: kafkaBrokers.join(','),
    KAFKA_TOPIC_PREFIX: prefix,
    TOPICS_REPLICATION_FACTOR: '1',
    TOPICS_MIN_INSYNC_REPLICAS: '1',
    TOPICS_PARTITIONS: `${TOPICS.syncCommand.name}=5`,
    ...extra,
  });

  afterAll(async () => {
    const a = kafka.admin();
    await a.connect();
    try {
      const mine = (await a.listTopics()).filter((t) => t.startsWith(`${prefix}.`));
      if (mine.length > 0) await a.deleteTopics({ topics: mine });
    } finally {
      await a.disconnect();
    }
  });

  it('creates the catalogue with the layout, then changes nothing and reports drift it does not fix', async () => {
    const first = await paysync(['topics', 'apply'], env());
    expect(first).toMatchObject({ code: 0, err: [] });
    expect(first.out.at(-1)).toBe(
      `[topics apply] ${ALL_TOPICS.length} created, 0 grown, 0 unchanged, 0 drift`,
    );

    const a = kafka.admin();
    await a.connect();
    try {
      const names = ALL_TOPICS.map((t) => topicName(t, prefix));
      const { topics } = await a.fetchTopicMetadata({ topics: names });
      const partitions = Object.fromEntries(topics.map((t) => [t.name, t.partitions.length]));
      expect(partitions).toEqual(
        Object.fromEntries(
          ALL_TOPICS.map((t) => [
            topicName(t, prefix),
            t.name === TOPICS.syncCommand.name ? 5 : t.partitions,
          ]),
        ),
      );
      const { resources } = await a.describeConfigs({
        includeSynonyms: false,
        resources: names.map((name) => ({ type: 2, name, configNames: ['min.insync.replicas'] })),
      });
      for (const r of resources) {
        expect({ topic: r.resourceName, value: r.configEntries[0]?.configValue }).toEqual({
          topic: r.resourceName,
          value: '1',
        });
      }
    } finally {
      await a.disconnect();
    }

    const second = await paysync(['topics', 'apply'], env());
    expect(second.out.at(-1)).toBe(
      `[topics apply] 0 created, 0 grown, ${ALL_TOPICS.length} unchanged, 0 drift`,
    );

    const grown = await paysync(
      ['topics', 'apply'],
      env({ TOPICS_PARTITIONS: `${TOPICS.syncCommand.name}=7` }),
    );
    expect(grown.out).toContain(
      `grown     ${topicName(TOPICS.syncCommand, prefix)} 5 -> 7 partitions`,
    );

    const drift = await paysync(
      ['topics', 'apply'],
      env({ TOPICS_MIN_INSYNC_REPLICAS: '2', TOPICS_PARTITIONS: `${TOPICS.syncCommand.name}=7` }),
    );
    expect(drift.code).toBe(0);
    expect(drift.out.filter((l) => l.startsWith('DRIFT'))).toHaveLength(ALL_TOPICS.length);
    expect(drift.out).toContain(
      `DRIFT     ${topicName(TOPICS.webhookReceived, prefix)} min.insync.replicas: expected 2, is 1`,
    );
  });

  it('refuses an unknown topic in TOPICS_PARTITIONS, naming it', async () => {
    const res = await paysync(['topics', 'apply'], env({ TOPICS_PARTITIONS: 'billing.nope.v1=3' }));
    expect(res.code).toBe(1);
    expect(res.err.join('\n')).toContain('unknown topic "billing.nope.v1"');
  });
});
