// `npm run db:migrate`: applies prisma/migrations to DATABASE_URL (default: the local stack).
// Production runs this (or `prisma migrate deploy`: the history table is the same) as a Helm
// pre-upgrade Job, never at service start.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { applyMigrations } from '@paysync/db';

const root = join(dirname(fileURLToPath(import.meta.url)), '../..');
const databaseUrl =
  process.env.DATABASE_URL ??
  `postgresql://postgres@127.0.0.1:${process.env.PAYSYNC_PG_PORT ?? 55432}/paysync`;

try {
  const result = await applyMigrations({
    databaseUrl,
    migrationsDir: join(root, 'prisma/migrations'),
    log: (message) => console.log(`[db:migrate] ${message}`),
    // The services' login role (the local stack's paysync_app): joined to paysync_runtime.
    ...(process.env.DATABASE_APP_ROLE ? { appRole: process.env.DATABASE_APP_ROLE } : {}),
  });
  console.log(
    `[db:migrate] ${new URL(databaseUrl).pathname.slice(1)}: ${result.applied.length} applied, ${result.skipped.length} already applied`,
  );
} catch (err) {
  console.error(`[db:migrate] ${(err as Error).message}`);
  process.exit(1);
}
