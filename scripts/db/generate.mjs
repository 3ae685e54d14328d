#!/usr/bin/env node
// `npm run db:generate` (also run after `npm ci`): generates the Prisma 7 client into
// libs/db/src/generated. Works offline: the client is Rust-free and the schema engine binary
// (which cannot be downloaded here) is never executed by `generate`. Never point it at /bin/true:
// that makes migrate/db-push commands "succeed" without doing anything.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '../..');
const prisma = join(root, 'node_modules/.bin/prisma');
if (!existsSync(prisma)) {
  // A pruned production install without dev dependencies: the generated client ships in dist.
  console.log('[db:generate] prisma CLI not installed; skipping');
  process.exit(0);
}
const res = spawnSync(prisma, ['generate'], {
  cwd: root,
  stdio: ['ignore', 'pipe', 'inherit'],
  env: {
    ...process.env,
    PRISMA_SCHEMA_ENGINE_BINARY: '/bin/false',
    PRISMA_HIDE_UPDATE_MESSAGE: '1',
    CHECKPOINT_DISABLE: '1',
  },
});
if (res.status !== 0) {
  console.error('[db:generate] prisma generate failed');
  process.exit(res.status ?? 1);
}
console.log('[db:generate] Prisma client generated in libs/db/src/generated/prisma');
