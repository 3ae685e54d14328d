import pg from 'pg';

import { applyMigrations, createPrismaClient, withSystem, withTenant, type Db } from '../index.js';
import { createTestDatabase, migrationsDir, type TestDatabase } from '../testing/index.js';

/**
 * Row-level security for every tenant table (issue 15 item 5). The tables are found in the catalog
 * (every table with a `workspace_id` column), and each gets one row per workspace from a generic
 * insert, so a table added later is covered without touching this file — and fails it until its
 * migration enables, forces and writes the policies.
 */
let db: TestDatabase;
let owner: pg.Client;
let app: pg.Client;
let tables: string[];
const A = '11111111-1111-4111-8111-111111111111';
const B = '22222222-2222-4222-8222-222222222222';
const rowIds = new Map<string, { a: Record<string, unknown>; b: Record<string, unknown> }>();

/** A literal for a NOT NULL column without default, by type (enums: their first label). */
function valueFor(type: string, typtype: string, enumLabel: string | null): string {
  if (typtype === 'e') return `'${enumLabel}'::"${type}"`;
  if (type.endsWith('[]')) return `'{}'`;
  if (type === 'uuid') return 'gen_random_uuid()';
  if (/^(text|character varying|character)/.test(type)) return `'rls-' || gen_random_uuid()`;
  if (/^(integer|bigint|smallint|numeric|double precision|real)/.test(type)) return '1';
  if (type === 'boolean') return 'false';
  if (/^(timestamp|date)/.test(type)) return 'now()';
  if (type === 'jsonb' || type === 'json') return `'{}'`;
  if (type === 'bytea') return `'\\x00'::bytea`;
  throw new Error(`no test value for column type ${type}`);
}

async function insertGeneric(table: string, workspaceId: string): Promise<Record<string, unknown>> {
  const { rows: cols } = await owner.query<{
    name: string;
    type: string;
    typtype: string;
    label: string | null;
  }>(
    `SELECT a.attname AS name, format_type(a.atttypid, NULL) AS type, t.typtype,
            (SELECT e.enumlabel FROM pg_enum e WHERE e.enumtypid = a.atttypid
              ORDER BY e.enumsortorder LIMIT 1) AS label
       FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid
      WHERE a.attrelid = $1::regclass AND a.attnum > 0 AND NOT a.attisdropped
        AND a.attnotnull AND NOT a.atthasdef AND a.attidentity = '' AND a.attgenerated = ''
        AND a.attname <> 'workspace_id'`,
    [`"${table}"`],
  );
  const names = ['"workspace_id"', ...cols.map((c) => `"${c.name}"`)];
  const values = ['$1::uuid', ...cols.map((c) => valueFor(c.type, c.typtype, c.label))];
  const { rows } = await owner.query<Record<string, unknown>>(
    `INSERT INTO "${table}" (${names.join(', ')}) VALUES (${values.join(', ')}) RETURNING *`,
    [workspaceId],
  );
  return rows[0] as Record<string, unknown>;
}

async function count(client: pg.Client, table: string): Promise<number> {
  const { rows } = await client.query<{ n: number }>(`SELECT count(*)::int AS n FROM "${table}"`);
  return rows[0]?.n ?? -1;
}

/** Runs `fn` in a transaction that is always rolled back (the checks leave the data as it was). */
async function rolledBack<T>(client: pg.Client, fn: () => Promise<T>): Promise<T> {
  await client.query('BEGIN');
  try {
    return await fn();
  } finally {
    await client.query('ROLLBACK');
  }
}

beforeAll(async () => {
  db = await createTestDatabase();
  owner = new pg.Client({ connectionString: db.url });
  await owner.connect();
  app = new pg.Client({ connectionString: db.appUrl });
  await app.connect();
  const { rows } = await owner.query<{ relname: string }>(
    `SELECT c.relname FROM pg_class c
       JOIN pg_namespace n ON n.oid = c.relnamespace
       JOIN pg_attribute a ON a.attrelid = c.oid
      WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND a.attname = 'workspace_id'
        AND NOT a.attisdropped
      ORDER BY c.relname`,
  );
  tables = rows.map((r) => r.relname);
  await owner.query(
    `INSERT INTO workspaces (id, name, updated_at) VALUES ($1, 'A', now()), ($2, 'B', now())`,
    [A, B],
  );
  // Foreign keys (connection, session, …) are not what this test is about: the owner seeds one
  // row per workspace in every table with triggers, hence FK checks, off.
  await owner.query(`SET session_replication_role = replica`);
  for (const table of tables) {
    rowIds.set(table, { a: await insertGeneric(table, A), b: await insertGeneric(table, B) });
  }
  await owner.query(`SET session_replication_role = origin`);
});

afterAll(async () => {
  await app?.end();
  await owner?.end();
  await db?.drop();
});

describe('row-level security on every table with a workspace_id', () => {
  it('finds the tenant tables in the catalog', () => {
    expect(tables).toEqual(
      expect.arrayContaining([
        'customers',
        'workspace_api_keys',
        'workspace_payment_configurations',
        'payment_sync_sessions',
        'payment_sync_events',
        'sync_units',
        'audit_log',
        'dead_letters',
        'reconciliation_runs',
      ]),
    );
  });

  it('has RLS enabled and forced (the owner is subject too) on each', async () => {
    const { rows } = await owner.query<{ relname: string; on: boolean; forced: boolean }>(
      `SELECT relname, relrowsecurity AS on, relforcerowsecurity AS forced FROM pg_class
        WHERE relname = ANY($1) AND relnamespace = 'public'::regnamespace`,
      [tables],
    );
    expect(rows.filter((r) => !r.on || !r.forced).map((r) => r.relname)).toEqual([]);
    expect(rows).toHaveLength(tables.length);
  });

  it('paysync_system is granted no synced payment data, and nothing on the migration history', async () => {
    const { rows } = await owner.query<{ t: string; p: string }>(
      `SELECT t, p FROM unnest($1::text[]) t, unnest(ARRAY['SELECT', 'INSERT', 'UPDATE', 'DELETE']) p
        WHERE has_table_privilege('paysync_system', t, p)`,
      [
        [
          'customers',
          'products',
          'prices',
          'subscriptions',
          'invoices',
          'payment_transactions',
          '_prisma_migrations',
        ],
      ],
    );
    expect(rows).toEqual([]);
  });

  it('the runtime role is not the owner, not a superuser and cannot bypass RLS', async () => {
    const { rows } = await app.query<{ rolsuper: boolean; rolbypassrls: boolean; owns: boolean }>(
      `SELECT rolsuper, rolbypassrls,
              EXISTS (SELECT 1 FROM pg_class WHERE relowner = r.oid
                         AND relnamespace = 'public'::regnamespace) AS owns
         FROM pg_roles r WHERE rolname = current_user`,
    );
    expect(rows[0]).toEqual({ rolsuper: false, rolbypassrls: false, owns: false });
    await expect(app.query('SELECT 1 FROM "_prisma_migrations"')).rejects.toThrow(
      /permission denied/,
    );
  });

  it('without tenant context the runtime role sees and changes nothing in any tenant table', async () => {
    const leaks: string[] = [];
    for (const table of tables) {
      expect(await count(owner, table)).toBeGreaterThanOrEqual(2);
      const seen = await count(app, table);
      const updated = await rolledBack(
        app,
        async () => (await app.query(`UPDATE "${table}" SET workspace_id = workspace_id`)).rowCount,
      );
      const deleted = await rolledBack(
        app,
        async () => (await app.query(`DELETE FROM "${table}"`)).rowCount,
      );
      const inserted = await rolledBack(app, async () => {
        // A copy of A's row under a fresh primary key (or the same: RLS refuses before uniqueness).
        const row = rowIds.get(table)?.a;
        return app
          .query(
            `INSERT INTO "${table}" SELECT * FROM json_populate_record(NULL::"${table}", $1::json)`,
            [JSON.stringify(row)],
          )
          .then(
            () => 'inserted',
            (err: Error) => err.message,
          );
      });
      if (seen !== 0) leaks.push(`${table}: sees ${seen}`);
      if (updated !== 0) leaks.push(`${table}: updates ${updated}`);
      if (deleted !== 0) leaks.push(`${table}: deletes ${deleted}`);
      if (!/row-level security/.test(inserted)) leaks.push(`${table}: insert ${inserted}`);
    }
    expect(leaks).toEqual([]);
  });

  it('with a tenant set, the runtime role sees, changes and writes only that workspace', async () => {
    const problems: string[] = [];
    await app.query(`SELECT set_config('paysync.workspace_id', $1, false)`, [A]);
    try {
      for (const table of tables) {
        const seen = await count(app, table);
        const updated = await rolledBack(
          app,
          async () =>
            (await app.query(`UPDATE "${table}" SET workspace_id = workspace_id`)).rowCount,
        );
        const moved = await rolledBack(app, () =>
          app.query(`UPDATE "${table}" SET workspace_id = $1`, [B]).then(
            () => 'moved',
            (err: Error) => err.message,
          ),
        );
        if (seen !== 1) problems.push(`${table}: sees ${seen}`);
        if (updated !== 1) problems.push(`${table}: updates ${updated}`);
        if (!/row-level security/.test(moved)) problems.push(`${table}: move to B ${moved}`);
      }
    } finally {
      await app.query(`SELECT set_config('paysync.workspace_id', '', false)`);
    }
    expect(problems).toEqual([]);
  });
});

describe('the Prisma client carries the scope of the caller to every connection', () => {
  let prisma: Db;
  beforeAll(() => {
    prisma = createPrismaClient({ url: db.appUrl, poolMax: 2, statementTimeoutMs: 10_000 });
  });
  afterAll(async () => {
    await prisma.$disconnect();
  });

  it('no scope: nothing; a tenant: its rows; interleaved tenants on a shared pool stay apart', async () => {
    expect(await prisma.customer.count()).toBe(0);
    const counts = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        withTenant(i % 2 ? A : B, async () => {
          const rows = await prisma.customer.findMany({ select: { workspaceId: true } });
          const inTx = await prisma.$transaction(async (tx) =>
            tx.customer.findMany({ select: { workspaceId: true } }),
          );
          return [...rows, ...inTx].map((r) => r.workspaceId);
        }),
      ),
    );
    counts.forEach((ids, i) => expect(ids).toEqual([i % 2 ? A : B, i % 2 ? A : B]));
    // The connections used by tenants are reset for the next caller without a scope.
    expect(await prisma.customer.count()).toBe(0);
    expect(await prisma.$queryRaw`SELECT count(*)::int AS n FROM customers`).toEqual([{ n: 0 }]);
  });

  it('a tenant cannot write a row of another workspace', async () => {
    await expect(
      withTenant(A, () =>
        prisma.workspaceApiKey.updateMany({ where: { workspaceId: B }, data: { name: 'x' } }),
      ),
    ).resolves.toEqual({ count: 0 });
    await expect(
      withTenant(
        A,
        () =>
          prisma.$executeRaw`INSERT INTO audit_log (workspace_id, actor, action, status_code, request_id)
                           VALUES (${B}::uuid, 'admin', 'x', 200, 'r')`,
      ),
    ).rejects.toThrow(/row-level security/);
  });

  it('system scope (SET ROLE paysync_system) spans workspaces where it is granted', async () => {
    const ids = await withSystem('test', () =>
      prisma.workspacePaymentConfiguration.findMany({ select: { workspaceId: true } }),
    );
    expect(ids.map((r) => r.workspaceId).sort()).toEqual([A, B]);
    expect(await prisma.workspacePaymentConfiguration.count()).toBe(0);
  });
});

describe('migrate with DATABASE_APP_ROLE', () => {
  it('joins the login role to paysync_runtime, and refuses one RLS would not restrict', async () => {
    const run = (appRole: string) =>
      applyMigrations({ databaseUrl: db.url, migrationsDir, appRole });
    await expect(run('paysync_app')).resolves.toMatchObject({ applied: [] });
    const { rows } = await owner.query<{ member: boolean }>(
      `SELECT pg_has_role('paysync_app', 'paysync_runtime', 'MEMBER') AS member`,
    );
    expect(rows[0]?.member).toBe(true);
    await expect(run('postgres')).rejects.toThrow(/superuser, BYPASSRLS or owns tables/);
    await expect(run('paysync_no_such_role')).rejects.toThrow(/does not exist/);
  });
});
