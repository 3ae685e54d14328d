import { TOPICS } from '@paysync/contracts';
import type { Db } from '@paysync/db';
import { topicName } from '@paysync/kafka';
import { TopicProbe } from '@paysync/kafka/testing';
import { eventually } from '@paysync/testkit';

import {
  startRecoveryHarness,
  type RecoveryApp,
  type RecoveryHarness,
} from '../../testing/recovery-harness.js';

// The watchdog against real PostgreSQL and Kafka: which sessions it resumes (stalled, transiently
// failed, after their backoff, up to the cap) and which it leaves for a human.
let h: RecoveryHarness;
let prisma: Db;
let app: RecoveryApp;
let probe: TopicProbe;
let workspaceId: string;
let configurationId: string;

beforeAll(async () => {
  h = await startRecoveryHarness({
    name: 'watchdog',
    env: {
      // The loops do not run by themselves here: the test calls the watchdog.
      KAFKA_CONSUMERS_ENABLED: 'false',
      RECOVERY_SESSION_STALLED_AFTER_MS: '60000',
      RECOVERY_SESSION_RESUME_DELAY_MS: '1000',
      RECOVERY_SESSION_AUTO_RESUME_MAX: '2',
    },
  });
  ({ prisma, app } = h);
  await app.diContainer.cradle.topicBootstrap.whenReady();
  probe = await TopicProbe.start(
    app.diContainer.cradle.kafka,
    topicName(TOPICS.syncCommand, h.prefix),
  );
  ({ workspaceId, configurationId } = await h.stripeConnection('watchdog', {
    apiKey: 'sk_test_watchdog0001',
  }));
}, 60_000);

afterAll(async () => {
  await probe?.stop();
  await h?.close();
});

const minutesAgo = (m: number) => new Date(Date.now() - m * 60_000);

async function session(
  data: { status: 'running' | 'failed' | 'cancelled'; autoResumes?: number } & Record<
    string,
    unknown
  >,
) {
  return (
    await prisma.paymentSyncSession.create({
      data: {
        workspaceId,
        configurationId,
        provider: 'stripe',
        entityTypes: ['customer'],
        createdAt: minutesAgo(30),
        startedAt: minutesAgo(30),
        ...data,
      },
    })
  ).id;
}

const resumeCommands = (sessionId: string) =>
  probe.messages.filter((m) => {
    const c = m.envelope.payload as { kind?: string; sessionId?: string };
    return c.kind === 'resume' && c.sessionId === sessionId;
  });

it('resumes stalled and transiently failed sessions, up to the cap, and leaves the rest alone', async () => {
  const watchdog = app.diContainer.cradle.sessionWatchdog;
  const stalled = await session({ status: 'running', lastProgressAt: minutesAgo(20) });
  const progressing = await session({ status: 'running', lastProgressAt: new Date() });
  const transient = await session({
    status: 'failed',
    finishedAt: minutesAgo(1),
    error: { code: 'PROVIDER_UNAVAILABLE', message: 'Stripe answered 503' },
  });
  const permanent = await session({
    status: 'failed',
    finishedAt: minutesAgo(1),
    error: { code: 'PROVIDER_ERROR', message: 'Invalid API key' },
  });
  const cancelled = await session({ status: 'cancelled', finishedAt: minutesAgo(20) });
  const exhausted = await session({
    status: 'running',
    lastProgressAt: minutesAgo(20),
    autoResumes: 2,
  });

  expect(await watchdog.check()).toEqual({ stalled: 1, failed: 1, resumed: 2 });
  await eventually(
    () => resumeCommands(stalled).length === 1 && resumeCommands(transient).length === 1,
    { what: 'resume commands for the stalled and the transiently failed session' },
  );
  expect(resumeCommands(stalled)[0]?.envelope.payload).toMatchObject({
    requestedBy: 'recovery',
    configurationId,
    entityTypes: ['customer'],
  });
  for (const id of [progressing, permanent, cancelled, exhausted])
    expect(resumeCommands(id)).toHaveLength(0);
  const counts = await prisma.paymentSyncSession.findMany({
    where: { id: { in: [stalled, transient, exhausted] } },
    select: { id: true, autoResumes: true },
  });
  expect(Object.fromEntries(counts.map((c) => [c.id, c.autoResumes]))).toEqual({
    [stalled]: 1,
    [transient]: 1,
    [exhausted]: 2,
  });

  // A second pass right away: the stalled one just got a resume, the failed one waits out its
  // doubled backoff (it is still failed until a sync-runner takes it).
  expect(await watchdog.check()).toEqual({ stalled: 0, failed: 0, resumed: 0 });

  // Still stuck long after: resumed once more, then the cap (2) leaves it to a human.
  await prisma.paymentSyncSession.update({
    where: { id: stalled },
    data: { lastProgressAt: minutesAgo(20) },
  });
  expect((await watchdog.check()).resumed).toBe(1);
  await prisma.paymentSyncSession.update({
    where: { id: stalled },
    data: { lastProgressAt: minutesAgo(20) },
  });
  expect((await watchdog.check()).resumed).toBe(0);
  expect(
    (await prisma.paymentSyncSession.findUniqueOrThrow({ where: { id: stalled } })).autoResumes,
  ).toBe(2);
}, 60_000);
