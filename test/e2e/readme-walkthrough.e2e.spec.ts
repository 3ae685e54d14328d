import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';

import { createTestDatabase, type TestDatabase } from '@paysync/db/testing';
import { eventually, stackEnv, uniqueId } from '@paysync/testkit';

import { repoRoot } from '../support/processes.js';

// The README's API walk-through, run verbatim (the shell block between the walkthrough markers)
// against `npm run dev` (scripts/dev.mjs: five services, two simulators, the demo), so the
// documented commands keep working. `npm run dev` binds fixed ports; they must be free.
const DEV_PORTS = [3000, 3001, 3002, 3003, 3004, 12111, 12112];

function walkthroughBlock(): string {
  const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8');
  const section = /<!-- walkthrough:start -->([\s\S]*?)<!-- walkthrough:end -->/.exec(readme)?.[1];
  const block = section && /```sh\n([\s\S]*?)```/.exec(section)?.[1];
  if (!block) throw new Error('README.md has no walkthrough block between its markers');
  return block;
}

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

function stop(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    const timer = setTimeout(() => {
      try {
        if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
      } catch {
        // gone
      }
    }, 20_000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

describe('npm run dev', () => {
  let db: TestDatabase;
  let dev: ChildProcess | undefined;
  let devOutput = '';

  beforeAll(async () => {
    db = await createTestDatabase();
  });

  afterAll(async () => {
    if (dev) await stop(dev);
    await db.drop();
  }, 60_000);

  it('exits 1 within seconds, naming the variable, when a setting is invalid', () => {
    const started = Date.now();
    const res = spawnSync(process.execPath, ['scripts/dev.mjs'], {
      cwd: repoRoot,
      env: { ...process.env, ADMIN_API_TOKEN: 'too-short' },
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(res.status).toBe(1);
    expect(res.stderr).toMatch(/\[dev\] invalid setting ADMIN_API_TOKEN: .+\(api cannot start\)/);
    expect(res.stdout).not.toContain('paysync is running');
    expect(Date.now() - started).toBeLessThan(30_000);
  });

  it('runs the README walk-through verbatim', async () => {
    const busy = [];
    for (const port of DEV_PORTS) if (!(await portFree(port))) busy.push(port);
    if (busy.length > 0) {
      throw new Error(`ports ${busy.join(', ')} are in use (is npm run dev running?)`);
    }
    const { kafkaBrokers } = stackEnv();
    const prefix = uniqueId('dev-');
    dev = spawn(process.execPath, ['scripts/dev.mjs'], {
      cwd: repoRoot,
      env: {
        ...process.env,
        // Migrations as the owner, the services as the login role (row-level security).
        DATABASE_URL: db.url,
        DATABASE_APP_URL: db.appUrl,
        KAFKA_BROKERS: kafkaBrokers.join(','),
        KAFKA_TOPIC_PREFIX: prefix,
        PROCESSOR_GROUP_ID: `${prefix}-processor`,
        SYNC_RUNNER_GROUP_ID: `${prefix}-sync-runner`,
        RECOVERY_GROUP_ID: `${prefix}-recovery`,
        API_RECOVERY_GROUP_ID: `${prefix}-api-recovery`,
        LOG_LEVEL: 'warn',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    dev.stdout?.on('data', (d: Buffer) => (devOutput += d.toString()));
    dev.stderr?.on('data', (d: Buffer) => (devOutput += d.toString()));
    await eventually(
      () => {
        if (dev?.exitCode !== null)
          throw new Error(`npm run dev exited:\n${devOutput.slice(-4000)}`);
        return devOutput.includes('paysync is running');
      },
      { timeoutMs: 150_000, intervalMs: 250, what: 'npm run dev to report running' },
    );

    const run = spawnSync('bash', ['-euo', 'pipefail', '-c', walkthroughBlock()], {
      cwd: repoRoot,
      encoding: 'utf8',
      timeout: 120_000,
    });
    const output = `${run.stdout}\n${run.stderr}`;
    if (run.status !== 0) {
      throw new Error(
        `walk-through exited ${run.status ?? run.signal}:\n${output}\n--- dev:\n${devOutput.slice(-4000)}`,
      );
    }
    expect(run.stdout).toContain('"accountId":"acct_sim0000000002"');
    expect(run.stdout).toMatch(/session [0-9a-f-]+: completed/);
    // Step 5 reads the backfilled customers of the second simulated account (25 seeded).
    const lastLine = run.stdout.trim().split('\n').at(-1) ?? '';
    const page = JSON.parse(lastLine) as { data: { externalId: string }[] };
    expect(page.data).toHaveLength(5);
  }, 300_000);
});
