import { randomUUID } from 'node:crypto';
import { join } from 'node:path';

import { z } from 'zod';

import { envVar, loadConfig, positiveInt } from '@paysync/config';
import { ALL_TOPICS } from '@paysync/contracts';
import { activeKeyRing, cryptoConfigSchema } from '@paysync/crypto';
import {
  SecretRotationRepository,
  applyMigrations,
  createPrismaClient,
  dbConfigSchema,
  migrationStatus,
} from '@paysync/db';
import { ConfigError } from '@paysync/errors';
import { applyTopics, createKafka, kafkaConfigSchema } from '@paysync/kafka';
import { createLogger } from '@paysync/observability';

import { EncryptionKeyRotation } from '../key-rotation.js';

/** `TOPICS_PARTITIONS=billing.webhook.received.v1=12,billing.sync.command.v1=6`. */
const partitionOverrides = () =>
  z.string().transform((v, ctx) => {
    const out: Record<string, number> = {};
    for (const item of v
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean)) {
      const [name, count] = item.split('=');
      const n = Number(count);
      if (!name || !Number.isInteger(n) || n < 1) {
        ctx.addIssue({ code: 'custom', message: `expected topic=count, got "${item}"` });
        return z.NEVER;
      }
      if (!ALL_TOPICS.some((t) => t.name === name)) {
        ctx.addIssue({ code: 'custom', message: `unknown topic "${name}"` });
        return z.NEVER;
      }
      out[name] = n;
    }
    return out;
  });

/** Variables of the admin commands (beside DATABASE_URL and the KAFKA_* ones the services use). */
export const adminConfigSchema = {
  migrate: {
    url: dbConfigSchema.url,
    migrationsDir: envVar(
      'MIGRATIONS_DIR',
      z.string().min(1).optional(),
      'Folder of Prisma-layout migrations (default: prisma/migrations of the install)',
    ),
    appRole: envVar(
      'DATABASE_APP_ROLE',
      z
        .string()
        .regex(/^[a-z_][a-z0-9_]{0,62}$/)
        .optional(),
      'Login role the services connect as (their DATABASE_URL user): `migrate` grants it paysync_runtime (DML only, under row-level security); must exist and be neither superuser, BYPASSRLS nor table owner. Unset: no grant',
    ),
  },
  topics: {
    ...kafkaConfigSchema,
    replicationFactor: envVar(
      'TOPICS_REPLICATION_FACTOR',
      z.coerce.number().int().min(-1).default(-1),
      'Replication factor of topics `topics apply` creates (-1: the broker default)',
    ),
    minInsyncReplicas: envVar(
      'TOPICS_MIN_INSYNC_REPLICAS',
      positiveInt().optional(),
      'min.insync.replicas of topics `topics apply` creates (unset: the broker default); drift on existing topics is reported',
    ),
    partitions: envVar(
      'TOPICS_PARTITIONS',
      partitionOverrides().optional(),
      'Partition counts per topic (topic=count,...) overriding the catalogue; consumer replicas never exceed them',
    ),
  },
  keys: {
    batchSize: envVar(
      'KEYS_ROTATE_BATCH_SIZE',
      positiveInt().max(10_000).default(100),
      'Connections `keys rotate` re-encrypts per transaction (each batch is committed on its own)',
    ),
  },
};

export interface AdminContext {
  readonly env: NodeJS.ProcessEnv;
  /** The install's root (the image's /app): where prisma/migrations lives. */
  readonly root: string;
  readonly out?: (line: string) => void;
  readonly err?: (line: string) => void;
}

export const ADMIN_USAGE = `paysync admin commands:
  migrate           apply pending migrations (prisma/migrations) to DATABASE_URL
  migrate status    list applied and pending migrations; exit 1 if any is pending, failed or edited
  topics apply      create missing topics, grow partitions, report replication drift (KAFKA_*, TOPICS_*)
  keys rotate       re-encrypt every stored secret with the active key (DATABASE_URL, ENCRYPTION_KEYS,
                    ENCRYPTION_ACTIVE_KEY_ID); idempotent, resumable; exit 1 if a value failed`;

/**
 * `paysync keys rotate` (issue 15 item 8): every secret re-encrypted with the active key, in
 * committed batches; one audit-trail row (actor `cli`) with the counts. Exit 1 when a value failed
 * to decrypt (listed by connection id; nothing secret is printed).
 */
async function rotateKeys(ctx: AdminContext, out: (line: string) => void): Promise<number> {
  const config = loadConfig(
    { db: dbConfigSchema, crypto: cryptoConfigSchema, keys: adminConfigSchema.keys },
    ctx.env,
  );
  const keyRing = activeKeyRing(config.crypto);
  const prisma = createPrismaClient(config.db);
  try {
    const secretRotationRepository = new SecretRotationRepository({ prisma });
    const rotation = new EncryptionKeyRotation({
      secretRotationRepository,
      keyRing,
      logger: createLogger({ level: 'warn', name: 'keys' }),
    });
    const report = await rotation.rotate({ batchSize: config.keys.batchSize });
    const { failures, ...counts } = report;
    await secretRotationRepository.recordAudit({
      actor: 'cli',
      action: 'keys rotate',
      resourceId: report.activeKeyId,
      statusCode: report.failed === 0 ? 200 : 500,
      requestId: randomUUID(),
      details: { ...counts, failures: failures.slice(0, 20) },
    });
    for (const f of failures) out(`FAILED    connection ${f.connectionId} ${f.value}: ${f.code}`);
    for (const [keyId, n] of Object.entries(report.valuesByKeyId))
      out(`key ${keyId}: ${n} value(s)${keyId === report.activeKeyId ? ' (active)' : ''}`);
    out(
      `[keys rotate] active key ${report.activeKeyId}: ${report.reEncrypted} re-encrypted, ${report.alreadyCurrent} already current, ${report.failed} failed (${report.connections} connections, ${report.batches} batches)`,
    );
    return report.failed === 0 ? 0 : 1;
  } finally {
    await prisma.$disconnect();
  }
}

/**
 * `paysync migrate`, `paysync migrate status`, `paysync topics apply`: the admin commands of the
 * image (Helm runs migrate, then topics apply, as pre-install/pre-upgrade hooks). Returns the
 * process exit code.
 */
export async function runAdminCommand(argv: readonly string[], ctx: AdminContext): Promise<number> {
  const out = ctx.out ?? ((line: string) => process.stdout.write(`${line}\n`));
  const fail = ctx.err ?? ((line: string) => process.stderr.write(`${line}\n`));
  const [command, sub] = argv;
  try {
    if (command === 'migrate' && (sub === undefined || sub === 'status')) {
      const { migrate } = loadConfig({ migrate: adminConfigSchema.migrate }, ctx.env);
      const migrationsDir = migrate.migrationsDir ?? join(ctx.root, 'prisma/migrations');
      if (sub === 'status') {
        const status = await migrationStatus({ databaseUrl: migrate.url, migrationsDir });
        for (const m of status.applied) out(`applied   ${m.name}  ${m.finishedAt.toISOString()}`);
        for (const name of status.pending) out(`pending   ${name}`);
        for (const name of status.failed) out(`FAILED    ${name}`);
        for (const name of status.modified)
          out(`EDITED    ${name} (checksum differs from the applied one)`);
        for (const name of status.unknown)
          out(`unknown   ${name} (in the database, not in this image)`);
        out(
          `[migrate status] ${status.applied.length} applied, ${status.pending.length} pending, ${status.failed.length} failed, ${status.modified.length} edited`,
        );
        const clean = status.pending.length + status.failed.length + status.modified.length === 0;
        return clean ? 0 : 1;
      }
      const result = await applyMigrations({
        databaseUrl: migrate.url,
        migrationsDir,
        log: (message) => out(`[migrate] ${message}`),
        ...(migrate.appRole ? { appRole: migrate.appRole } : {}),
      });
      out(`[migrate] ${result.applied.length} applied, ${result.skipped.length} already applied`);
      return 0;
    }
    if (command === 'topics' && sub === 'apply') {
      const { topics } = loadConfig({ topics: adminConfigSchema.topics }, ctx.env);
      const logger = createLogger({ level: 'warn', name: 'topics' });
      const kafka = createKafka(topics, logger, 'admin');
      const report = await applyTopics(kafka, ALL_TOPICS, topics.topicPrefix, {
        partitions: topics.partitions,
        replicationFactor: topics.replicationFactor,
        minInsyncReplicas: topics.minInsyncReplicas,
      });
      for (const name of report.created) out(`created   ${name}`);
      for (const g of report.grown) out(`grown     ${g.topic} ${g.from} -> ${g.to} partitions`);
      for (const name of report.unchanged) out(`ok        ${name}`);
      for (const d of report.drift)
        out(`DRIFT     ${d.topic} ${d.setting}: expected ${d.expected}, is ${d.actual}`);
      out(
        `[topics apply] ${report.created.length} created, ${report.grown.length} grown, ${report.unchanged.length} unchanged, ${report.drift.length} drift`,
      );
      return 0;
    }
    if (command === 'keys' && sub === 'rotate') return await rotateKeys(ctx, out);
    out(ADMIN_USAGE);
    return 2;
  } catch (err) {
    if (err instanceof ConfigError) {
      fail(`[${command ?? 'paysync'}] ${err.message}`);
      return 1;
    }
    fail(`[${[command, sub].filter(Boolean).join(' ')}] ${(err as Error).message}`);
    return 1;
  }
}
