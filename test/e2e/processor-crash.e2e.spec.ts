import { runLoad } from '@paysync/simulator';
import { eventually } from '@paysync/testkit';

import { startPipeline, type Pipeline } from '../support/pipeline.js';
import { freePort, startServiceProcess, type ServiceProcess } from '../support/processes.js';

// The processor runs as a real process here so it can be killed with SIGKILL mid-batch.
let p: Pipeline;
const started: ServiceProcess[] = [];

beforeAll(async () => {
  p = await startPipeline({ processor: false });
});

afterAll(async () => {
  for (const proc of started) proc.kill('SIGKILL');
  await p.close();
});

function startProcessor(port: number): ServiceProcess {
  const proc = startServiceProcess('processor', {
    ...p.env,
    HOST: '127.0.0.1',
    PORT: String(port),
    LOG_LEVEL: 'warn',
    // Two partitions' batches per transaction (~500 events): the backlog takes several commits,
    // so the kill lands between them (all six at once would apply the 1,500 in one).
    PROCESSOR_PARTITIONS_CONCURRENTLY: '2',
  });
  started.push(proc);
  return proc;
}

const count = (status?: 'processed') =>
  p.prisma.paymentSyncEvent.count({
    where: {
      workspaceId: p.workspaceId,
      providerEventId: { startsWith: 'evt_ldkill_' },
      ...(status && { status }),
    },
  });

it('a processor killed with SIGKILL mid-stream loses nothing and applies nothing twice after restart', async () => {
  const report = await runLoad({
    url: p.webhookUrl,
    secret: p.webhookSecret,
    count: 1500,
    concurrency: 16,
    runId: 'kill',
  });
  expect(report.accepted).toBe(1500);

  const first = startProcessor(await freePort());
  // Kill it once it has committed some, but not all, of the events.
  await eventually(async () => (await count('processed')) > 0, {
    what: 'first commits',
    timeoutMs: 60_000,
    intervalMs: 20,
  });
  first.kill('SIGKILL');
  expect(await first.exited).toBeNull(); // killed by signal, no exit code
  const atKill = await count('processed');

  const second = startProcessor(await freePort());
  try {
    await eventually(async () => (await count('processed')) === 1500, {
      what: 'all 1500 processed',
      timeoutMs: 120_000,
      intervalMs: 200,
    });
  } finally {
    second.kill('SIGTERM');
    await second.exited;
  }
  expect(atKill).toBeLessThan(1500); // the kill did land mid-stream
  // Exactly once in effect: one log row per event, one row per object, each event applied once.
  expect(await count()).toBe(1500);
  expect(
    await p.prisma.customer.count({
      where: { workspaceId: p.workspaceId, externalId: { startsWith: 'cus_ldkill' } },
    }),
  ).toBe(report.objects);
  const reapplied = await p.prisma.paymentSyncEvent.count({
    where: {
      workspaceId: p.workspaceId,
      providerEventId: { startsWith: 'evt_ldkill_' },
      status: { not: 'processed' },
    },
  });
  expect(reapplied).toBe(0);
}, 240_000);
