import { cpSync, mkdtempSync, readdirSync, writeFileSync, appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import pg from 'pg';

import { DbHealth, applyMigrations, createPrismaClient, mapDbError, type Db } from './index.js';
import {
  createTestDatabase,
  createTestPrisma,
  migrationsDir,
  type TestDatabase,
  type TestPrisma,
} from './testing/index.js';

describe('migrations', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await db.drop();
  });

  it('are a no-op on an already migrated database and keep Prisma-compatible history', async () => {
    const again = await applyMigrations({ databaseUrl: db.url, migrationsDir });
    expect(again.applied).toEqual([]);
    expect(again.skipped).toEqual(
      readdirSync(migrationsDir)
        .filter((n) => /^\d{14}_/.test(n))
        .sort(),
    );

    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    const { rows } = await client.query(
      'SELECT migration_name, checksum, finished_at, applied_steps_count FROM "_prisma_migrations"',
    );
    await client.end();
    expect(rows.length).toBe(again.skipped.length);
    for (const row of rows) {
      expect(row.checksum).toMatch(/^[0-9a-f]{64}$/);
      expect(row.finished_at).not.toBeNull();
      expect(row.applied_steps_count).toBe(1);
    }
  });

  it('apply from empty, then refuse a migration edited after it was applied', async () => {
    const fresh = await createEmptyDatabase();
    const dir = mkdtempSync(join(tmpdir(), 'paysync-migrations-'));
    cpSync(migrationsDir, dir, { recursive: true });
    try {
      const first = await applyMigrations({ databaseUrl: fresh.url, migrationsDir: dir });
      expect(first.applied.length).toBeGreaterThan(0);
      const [firstName] = first.applied as [string];
      appendFileSync(join(dir, firstName, 'migration.sql'), '\n-- edited\n');
      await expect(
        applyMigrations({ databaseUrl: fresh.url, migrationsDir: dir }),
      ).rejects.toMatchObject({
        code: 'DB_MIGRATION_FAILED',
        message: expect.stringContaining('edited after it was applied'),
      });
    } finally {
      await fresh.drop();
    }
  });

  it('roll back a failing migration and record the failure', async () => {
    const fresh = await createEmptyDatabase();
    const dir = mkdtempSync(join(tmpdir(), 'paysync-migrations-'));
    cpSync(migrationsDir, dir, { recursive: true });
    const bad = join(dir, '29991231000000_broken');
    cpSync(join(dir, readdirSync(dir).filter((n) => /^\d{14}_/.test(n))[0] as string), bad, {
      recursive: true,
    });
    writeFileSync(
      join(bad, 'migration.sql'),
      'CREATE TABLE half_done (id int);\nSELECT no_such_function();\n',
    );
    try {
      await expect(
        applyMigrations({ databaseUrl: fresh.url, migrationsDir: dir }),
      ).rejects.toMatchObject({
        code: 'DB_MIGRATION_FAILED',
      });
      const client = new pg.Client({ connectionString: fresh.url });
      await client.connect();
      const table = await client.query("SELECT to_regclass('half_done') AS t");
      await client.end();
      expect(table.rows[0].t).toBeNull();
      // A half-failed history entry blocks later runs until a human resolves it.
      await expect(applyMigrations({ databaseUrl: fresh.url, migrationsDir: dir })).rejects.toThrow(
        /failed earlier/,
      );
    } finally {
      await fresh.drop();
    }
  });
});

describe('Prisma client', () => {
  let t: TestPrisma;
  let prisma: Db;
  beforeAll(async () => {
    t = await createTestPrisma();
    prisma = t.prisma;
  });
  afterAll(() => t.close());

  it('round-trips a row through the pg adapter', async () => {
    const created = await prisma.workspace.create({ data: { name: 'Acme' } });
    const found = await prisma.workspace.findUniqueOrThrow({ where: { id: created.id } });
    expect(found.name).toBe('Acme');
    expect(found.createdAt).toBeInstanceOf(Date);
  });

  it('maps driver errors to our vocabulary', async () => {
    const err = await prisma.workspace
      .update({ where: { id: '00000000-0000-0000-0000-000000000000' }, data: { name: 'x' } })
      .catch((e: unknown) => e);
    expect(mapDbError(err)).toMatchObject({ code: 'NOT_FOUND', status: 404 });
  });

  it('reports health, and a transient error when the server is unreachable', async () => {
    await expect(new DbHealth({ prisma }).check()).resolves.toBeUndefined();
    const dead = createPrismaClient({
      url: 'postgresql://postgres@127.0.0.1:1/none',
      poolMax: 1,
      statementTimeoutMs: 1000,
    });
    const err = await new DbHealth({ prisma: dead }).check().catch((e: unknown) => e);
    expect(mapDbError(err)).toMatchObject({ code: 'DB_UNAVAILABLE', retryable: true });
    await dead.$disconnect();
  });
});

async function createEmptyDatabase(): Promise<TestDatabase> {
  const template = await createTestDatabase();
  // Reuse the naming and drop logic, but start from an empty schema.
  const client = new pg.Client({ connectionString: template.url });
  await client.connect();
  await client.query('DROP SCHEMA public CASCADE; CREATE SCHEMA public;');
  await client.end();
  return template;
}
