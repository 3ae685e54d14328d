// Scenario `write-path`: rows/s of the version-gated write path, one bulk batch vs row by row.
// A benchmark, not a test: it prints numbers and asserts nothing about them.
import { randomUUID } from 'node:crypto';

import type { CanonicalChange } from '@paysync/contracts';
import { SyncWriteRepository, createPrismaClient, withTenant, type Db } from '@paysync/db';

import { freshDatabase } from './support.js';

import type { BenchContext, ScenarioResult } from './types.js';

function changes(workspaceId: string, n: number, version: number): CanonicalChange<'customer'>[] {
  return Array.from({ length: n }, (_, i) => {
    const externalId = `cus_bench_${i}`;
    const data = {
      email: `customer${i}@example.com`,
      name: `Customer ${i}`,
      phone: null,
      description: null,
      currency: 'usd',
      balance: i,
      delinquent: false,
      metadata: { plan: 'gold' },
      providerCreatedAt: new Date(version - 86_400_000),
    };
    return {
      workspaceId,
      provider: 'stripe',
      entityType: 'customer',
      externalId,
      version,
      deleted: false,
      data,
      raw: { id: externalId, object: 'customer', ...data },
      livemode: false,
      source: 'backfill',
    };
  });
}

async function timeIt(fn: () => Promise<void>): Promise<number> {
  const start = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - start) / 1e9;
}

export async function writePath(ctx: BenchContext): Promise<ScenarioResult> {
  const n = ctx.count ?? 10_000;
  const runs = ctx.runs ?? 3;
  const database = await freshDatabase(ctx, 'write_path');
  // BENCH_DB_ROLE=app: as the services run (issue 15 item 5): the stack's login role under
  // row-level security, every unit of work in withTenant. Default: the owner, no scope.
  const asApp = process.env.BENCH_DB_ROLE === 'app';
  const url = new URL(database.url);
  if (asApp) {
    url.username = process.env.PAYSYNC_PG_APP_ROLE ?? 'paysync_app';
    url.password = process.env.PAYSYNC_PG_APP_PASSWORD ?? 'paysync-local-dev';
  }
  const scoped = <T>(ws: string, fn: () => Promise<T>): Promise<T> =>
    asApp ? withTenant(ws, fn) : fn();
  const prisma: Db = createPrismaClient({
    url: url.toString(),
    poolMax: 4,
    statementTimeoutMs: 120_000,
  });
  const repo = new SyncWriteRepository({ prisma });
  const bulk: number[] = [];
  const rowByRow: number[] = [];
  const prismaUpsert: number[] = [];
  let version = Date.UTC(2026, 10, 1);
  try {
    for (let run = 0; run < runs; run++) {
      // Fresh workspace per run: inserts; then a newer version of everything: updates.
      const ws = (await prisma.workspace.create({ data: { name: `bench-${run}` } })).id;
      version += 1000;
      const insertBatch = changes(ws, n, version);
      bulk.push(
        n /
          (await timeIt(() => scoped(ws, async () => void (await repo.applyChanges(insertBatch))))),
      );
      version += 1000;
      const updateBatch = changes(ws, n, version);
      bulk.push(
        n /
          (await timeIt(() => scoped(ws, async () => void (await repo.applyChanges(updateBatch))))),
      );

      // Row by row through the same gated path: one transaction per change.
      const ws2 = (await prisma.workspace.create({ data: { name: `bench-row-${run}` } })).id;
      const rows = changes(ws2, n, version);
      rowByRow.push(
        n /
          (await timeIt(async () => {
            // One unit of work per change, as a message handler runs it.
            for (const change of rows) await scoped(ws2, () => repo.applyChanges([change]));
          })),
      );

      // The naive ORM path (one Prisma upsert per row, no version gate), for reference.
      const ws3 = (await prisma.workspace.create({ data: { name: `bench-orm-${run}` } })).id;
      const ormRows = changes(ws3, n, version);
      prismaUpsert.push(
        n /
          (await timeIt(async () => {
            for (const c of ormRows) await scoped(ws3, () => ormUpsert(c));
            async function ormUpsert(c: CanonicalChange<'customer'>): Promise<void> {
              const fields = {
                email: c.data?.email ?? null,
                name: c.data?.name ?? null,
                balance: c.data?.balance ?? null,
                metadata: c.data?.metadata ?? {},
                raw: c.raw as object,
                sourceVersion: BigInt(c.version),
                syncedVia: c.source,
                livemode: c.livemode,
              };
              await prisma.customer.upsert({
                where: {
                  workspaceId_provider_externalId: {
                    workspaceId: ws3,
                    provider: 'stripe',
                    externalId: c.externalId,
                  },
                },
                create: {
                  id: randomUUID(),
                  workspaceId: ws3,
                  provider: 'stripe',
                  externalId: c.externalId,
                  ...fields,
                },
                update: fields,
              });
            }
          })),
      );
    }
  } finally {
    await prisma.$disconnect();
    await database.drop();
  }
  const median = (xs: number[]) =>
    [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
  const result = {
    role: asApp ? 'paysync_app under RLS, withTenant' : 'owner, no scope',
    rows: n,
    runs,
    bulkRowsPerSec: Math.round(median(bulk)),
    rowByRowRowsPerSec: Math.round(median(rowByRow)),
    prismaUpsertRowsPerSec: Math.round(median(prismaUpsert)),
    speedupVsRowByRow: Number((median(bulk) / median(rowByRow)).toFixed(1)),
    samples: {
      bulk: bulk.map(Math.round),
      rowByRow: rowByRow.map(Math.round),
      prismaUpsert: prismaUpsert.map(Math.round),
    },
  };
  return {
    table: [
      ['path', 'rows/s (median)'],
      ['bulk applyChanges (one batch, inserts and updates)', String(result.bulkRowsPerSec)],
      ['row by row applyChanges (one tx per row)', String(result.rowByRowRowsPerSec)],
      ['row by row prisma.upsert (no version gate)', String(result.prismaUpsertRowsPerSec)],
      ['bulk ÷ row by row', `${result.speedupVsRowByRow}×`],
    ],
    json: result,
  };
}
