import { KeyRing } from '@paysync/crypto';

import {
  ConnectionRepository,
  SyncSessionRepository,
  type Db,
  type SyncSessionStatus,
} from '../index.js';
import { createTestPrisma, type TestPrisma } from '../testing/index.js';

// The one writer of payment_sync_sessions against real PostgreSQL: each status change is a
// state-machine event written as a compare-and-set, so a change from a status the event may not
// leave changes nothing.
let t: TestPrisma;
let prisma: Db;
let sessions: SyncSessionRepository;
let connections: ConnectionRepository;
let workspaceId: string;

beforeAll(async () => {
  t = await createTestPrisma();
  prisma = t.prisma;
  sessions = new SyncSessionRepository({ prisma });
  connections = new ConnectionRepository({
    prisma,
    keyRing: KeyRing.fromString(`v1:${KeyRing.generateKey()}`),
  });
  workspaceId = (await prisma.workspace.create({ data: { name: 'sessions' } })).id;
});

afterAll(() => t?.close());

async function aConnection(): Promise<string> {
  const connection = await connections.create({
    workspaceId,
    provider: 'stripe',
    mode: 'test',
    apiKey: `sk_test_${Math.random().toString(36).slice(2, 14).padEnd(12, '0')}`,
  });
  return connection.id;
}

async function aSession(
  status: SyncSessionStatus,
  extra: { units?: readonly ('pending' | 'running' | 'done')[]; error?: object } = {},
): Promise<string> {
  const configurationId = await aConnection();
  const { id } = await prisma.paymentSyncSession.create({
    data: {
      workspaceId,
      configurationId,
      provider: 'stripe',
      entityTypes: ['customer'],
      status,
      ...(extra.error && { error: extra.error }),
    },
  });
  for (const [segment, unitStatus] of (extra.units ?? []).entries()) {
    await prisma.syncUnit.create({
      data: { sessionId: id, workspaceId, entityType: 'customer', segment, status: unitStatus },
    });
  }
  return id;
}

const statusOf = async (id: string) =>
  (await prisma.paymentSyncSession.findUniqueOrThrow({ where: { id } })).status;

describe('create', () => {
  it('creates a pending session and refuses a second active one for the connection', async () => {
    const configurationId = await aConnection();
    const input = {
      workspaceId,
      configurationId,
      provider: 'stripe' as const,
      entityTypes: ['customer' as const],
      requestedBy: 'test',
    };
    const first = await sessions.createIfIdle(input);
    expect(first.status).toBe('pending');
    await expect(sessions.createIfIdle(input)).rejects.toMatchObject({
      code: 'SYNC_SESSION_ACTIVE',
      details: { sessionId: first.id, status: 'pending' },
    });
  });
});

describe('plan', () => {
  it("locks a session with its provider and its connection's settings, empty once the connection is gone", async () => {
    const id = await aSession('pending');
    const { configurationId } = await prisma.paymentSyncSession.findUniqueOrThrow({
      where: { id },
    });
    await prisma.workspacePaymentConfiguration.update({
      where: { id: configurationId as string },
      data: { settings: { connect: true } },
    });
    const locked = await prisma.$transaction((tx) => sessions.lockForPlan(id, tx));
    expect(locked).toMatchObject({ provider: 'stripe', settings: { connect: true } });
    await prisma.paymentSyncSession.update({ where: { id }, data: { configurationId: null } });
    const orphan = await prisma.$transaction((tx) => sessions.lockForPlan(id, tx));
    expect(orphan).toMatchObject({ status: 'pending', provider: 'stripe', settings: {} });
  });

  it('moves a locked pending session to running, once', async () => {
    const id = await aSession('pending');
    const planned = await prisma.$transaction(async (tx) => {
      const locked = await sessions.lockForPlan(id, tx);
      expect(locked).toEqual({
        status: 'pending',
        workspaceId,
        entityTypes: ['customer'],
        provider: 'stripe',
        settings: {},
      });
      return sessions.markPlanned(id, tx);
    });
    expect(planned).toBe(true);
    const row = await prisma.paymentSyncSession.findUniqueOrThrow({ where: { id } });
    expect(row.status).toBe('running');
    expect(row.startedAt).not.toBeNull();
    expect(await prisma.$transaction((tx) => sessions.markPlanned(id, tx))).toBe(false);
  });

  it('lists pending sessions without units as unplanned', async () => {
    const unplanned = await aSession('pending');
    const planned = await aSession('pending', { units: ['pending'] });
    const running = await aSession('running');
    const listed = await sessions.unplanned(1000);
    expect(listed).toContain(unplanned);
    expect(listed).not.toContain(planned);
    expect(listed).not.toContain(running);
  });
});

describe('fail', () => {
  it.each(['pending', 'running'] as const)('ends a %s session failed with its error', async (s) => {
    const id = await aSession(s);
    expect(await sessions.markFailed(id, { code: 'PROVIDER_ERROR', message: 'revoked' })).toBe(
      true,
    );
    const row = await prisma.paymentSyncSession.findUniqueOrThrow({ where: { id } });
    expect(row).toMatchObject({
      status: 'failed',
      error: { code: 'PROVIDER_ERROR', message: 'revoked' },
    });
    expect(row.finishedAt).not.toBeNull();
  });

  it.each(['completed', 'cancelled', 'failed'] as const)(
    'leaves a %s session as it is',
    async (s) => {
      const id = await aSession(s);
      expect(await sessions.markFailed(id, { code: 'KAFKA_UNAVAILABLE', message: 'x' })).toBe(
        false,
      );
      expect(await statusOf(id)).toBe(s);
    },
  );
});

describe('cancel', () => {
  it('cancels a running session', async () => {
    const id = await aSession('running');
    expect((await sessions.cancel(workspaceId, id)).status).toBe('cancelled');
    expect(await statusOf(id)).toBe('cancelled');
  });

  it.each(['completed', 'failed', 'cancelled'] as const)(
    'refuses to cancel a %s session (SYNC_SESSION_FINISHED)',
    async (s) => {
      const id = await aSession(s);
      await expect(sessions.cancel(workspaceId, id)).rejects.toMatchObject({
        code: 'SYNC_SESSION_FINISHED',
        details: { sessionId: id, status: s },
      });
      expect(await statusOf(id)).toBe(s);
    },
  );
});

describe('complete', () => {
  it('completes a running session only once every unit is done, and only once', async () => {
    const id = await aSession('running', { units: ['done', 'running'] });
    expect(await sessions.completeIfUnitsDone(id)).toBe(false);
    await prisma.syncUnit.updateMany({ where: { sessionId: id }, data: { status: 'done' } });
    expect(await sessions.completeIfUnitsDone(id)).toBe(true);
    expect(await statusOf(id)).toBe('completed');
    expect(await sessions.completeIfUnitsDone(id)).toBe(false);
  });

  it('does not complete a cancelled session whose units are all done', async () => {
    const id = await aSession('cancelled', { units: ['done'] });
    expect(await sessions.completeIfUnitsDone(id)).toBe(false);
    expect(await statusOf(id)).toBe('cancelled');
  });
});

describe('resume (reopen)', () => {
  it.each(['failed', 'cancelled'] as const)(
    'reopens a %s session with checkpoints: running, error cleared',
    async (s) => {
      const id = await aSession(s, { units: ['done', 'pending'], error: { code: 'X' } });
      expect(await prisma.$transaction((tx) => sessions.reopen(id, tx))).toBe(true);
      const row = await prisma.paymentSyncSession.findUniqueOrThrow({ where: { id } });
      expect(row).toMatchObject({ status: 'running', error: null, finishedAt: null });
    },
  );

  it.each([
    ['completed', ['done']],
    ['pending', ['pending']],
    ['failed', []],
  ] as const)('does not reopen a %s session (units: %j)', async (s, units) => {
    const id = await aSession(s, { units });
    expect(await prisma.$transaction((tx) => sessions.reopen(id, tx))).toBe(false);
    expect(await statusOf(id)).toBe(s);
  });
});

describe('automatic resume claim', () => {
  it('counts one automatic resume per seen count and status (compare-and-set)', async () => {
    const id = await aSession('running');
    const seen = {
      id,
      workspaceId,
      configurationId: '',
      provider: 'stripe' as const,
      entityTypes: ['customer' as const],
      status: 'running' as const,
      autoResumes: 0,
    };
    expect(await sessions.claimAutoResume(seen)).toBe(true);
    expect(await sessions.claimAutoResume(seen)).toBe(false);
    expect(await sessions.claimAutoResume({ ...seen, autoResumes: 1, status: 'failed' })).toBe(
      false,
    );
    expect((await prisma.paymentSyncSession.findUniqueOrThrow({ where: { id } })).autoResumes).toBe(
      1,
    );
  });
});
