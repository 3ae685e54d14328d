import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '../../..');

describe('prisma/schema.prisma and prisma/migrations', () => {
  it('describe the same database (Prisma schema engine diff is empty)', () => {
    // Replays every migration into a shadow database and diffs it against the schema the client
    // is generated from; any model, column, index or enum the SQL lacks fails this test.
    const res = spawnSync(
      join(root, 'node_modules/.bin/tsx'),
      ['--conditions=@paysync/source', join(root, 'scripts/db/diff.ts'), '--check'],
      { cwd: root, encoding: 'utf8', env: process.env, timeout: 120_000 },
    );
    expect(`${res.stdout}${res.stderr}`).toContain('schema and migrations agree');
    expect(res.status).toBe(0);
  });
});
