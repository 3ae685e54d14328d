// `npm run chaos [-- --short]`: the chaos suite (issue 16). Real ingress, processor, sync-runner,
// recovery and api processes, real Kafka and PostgreSQL, the simulator as Stripe, steady signed
// webhook traffic with duplicates and shuffled order, a backfill kept running and reconciliations,
// while faults are injected one after another. Afterwards the invariants: every accepted event
// applied in effect, the database equal to the simulator's state within the documented window,
// nothing left in the outbox. Prints a table and writes bench-results/chaos-<date>.md.
//
// The full run stops and kills Kafka and PostgreSQL, so it brings up a SEPARATE stack instance
// (PostgreSQL from CHAOS_PG_PORT=25432, Kafka from CHAOS_KAFKA_PORT=29192, the first free ones,
// outside the ephemeral port range; its own state dir) and stops it
// at the end. `--short` runs one scenario (SIGKILL of the processor) on the shared stack with a
// database and topic prefix of its own. Everything binds 127.0.0.1; every wait has a deadline.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';

import { KeyRing } from '@paysync/crypto';
import { ConnectionRepository, createPrismaClient } from '@paysync/db';
import { StripeSimulator } from '@paysync/simulator';

import { APPLIED, Checker } from './checker.js';
import { SERVICES, ServiceFleet, type ServiceName } from './services.js';
import {
  chaosDatabase,
  deleteTopics,
  pickStackPorts,
  repoRoot,
  separateStack,
  sharedStack,
  type ChaosStack,
} from './stack.js';
import { Traffic } from './traffic.js';

const SHORT = process.argv.includes('--short');
/**
 * The role the services connect as: `app` (default: the stack's paysync_app login role, under
 * row-level security, as the services' int harnesses and production connect) or `owner` (the
 * database owner, as `npm run dev` and test/support/pipeline.ts still start them):
 * `--db-role owner`.
 */
const DB_ROLE = process.argv.includes('--db-role')
  ? process.argv[process.argv.indexOf('--db-role') + 1]
  : 'app';
if (DB_ROLE !== 'owner' && DB_ROLE !== 'app') throw new Error('--db-role is owner or app');
const RUN_ID = `${Date.now().toString(36)}${process.pid.toString(36)}`;
const ADMIN = `chaos-admin-${'c'.repeat(32)}`;
/** The whole run stops by itself after this long, whatever state it is in. */
const RUN_DEADLINE_MS = SHORT ? 10 * 60_000 : 40 * 60_000;
/** Events poller settings; the documented staleness window derives from them. */
const POLL_INTERVAL_MS = 5000;
const POLL_GRACE_MS = 2000;
/**
 * How long after the last fault cleared and the last webhook was sent a row may still be missing
 * or stale: the events poller's interval + grace (a change no webhook delivered is picked up by
 * the next poll), plus the processor's retry tiers and one re-drive (README: Recovery).
 */
const WINDOW_MS = 60_000;
const RECOVERY_TIMEOUT_MS = 180_000;

const log = (msg: string) =>
  process.stdout.write(`[chaos ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);

interface ScenarioResult {
  name: string;
  faults: string;
  recoveryMs: number | undefined;
  timeoutMs: number;
}

interface Ctx {
  stack: ChaosStack;
  fleet: ServiceFleet;
  sim: StripeSimulator;
  traffic: Traffic;
  checker: Checker;
  api: (method: 'GET' | 'POST', path: string, body?: unknown) => Promise<Response>;
  webhookUrl: string;
  secret: string;
  reconciliations: string[];
}

interface Scenario {
  name: string;
  faults: string;
  /** Injects the fault and returns once it is over (component restarted, storm cleared). */
  inject(ctx: Ctx): Promise<string | void>;
  /** An extra condition for "recovered", besides ready services and a drained pipeline. */
  recovered?(ctx: Ctx, state: Record<string, unknown>): Promise<boolean>;
  before?(ctx: Ctx, state: Record<string, unknown>): Promise<void>;
  /** Deadline for recovery (default RECOVERY_TIMEOUT_MS). */
  recoveryTimeoutMs?: number;
}

/** A deliberate fault duration (what is being tested), never a wait for a condition. */
const hold = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined | false>,
  timeoutMs: number,
  intervalMs = 250,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined && v !== false) return v;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline)
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${what}${lastError ? `: ${(lastError as Error).message}` : ''}`,
      );
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

function killScenario(service: ServiceName, downMs = 3000): Scenario {
  return {
    name: `SIGKILL ${service}`,
    faults: `SIGKILL ${service}, restart after ${downMs / 1000} s`,
    async inject({ fleet }) {
      await fleet.kill(service);
      await hold(downMs);
      fleet.start(service);
    },
  };
}

async function startReconciliation(ctx: Ctx): Promise<string | undefined> {
  const res = await ctx.api('POST', '/sync/reconcile', { provider: 'stripe' });
  const body = (await res.json()) as { reconciliationId?: string };
  if (body.reconciliationId) ctx.reconciliations.push(body.reconciliationId);
  return body.reconciliationId;
}

async function reconciliationStatus(ctx: Ctx, id: string): Promise<string> {
  const res = await ctx.api('GET', `/sync/reconciliations/${id}`);
  return ((await res.json()) as { status: string }).status;
}

const SCENARIOS: Scenario[] = [
  killScenario('ingress'),
  killScenario('processor'),
  {
    ...killScenario('sync-runner'),
    async before(ctx, state) {
      // The kill lands while a backfill is committing pages.
      const start = await ctx.checker.pages();
      await waitFor(
        'backfill pages being committed',
        async () => (await ctx.checker.pages()) > start,
        120_000,
      );
      state.pagesBefore = start;
    },
    async recovered(ctx, state) {
      state.pagesAfter ??= await ctx.checker.pages();
      const s = await ctx.checker.sessions();
      // Progress after the restart, or nothing left to do.
      return (
        (await ctx.checker.pages()) > (state.pagesAfter as number) ||
        ((s.running ?? 0) === 0 && (s.pending ?? 0) === 0)
      );
    },
  },
  {
    ...killScenario('recovery'),
    async before(ctx, state) {
      // The kill lands while a reconciliation is running; recovered = another replica (the
      // restarted one) took it over, or it finished.
      const id = await startReconciliation(ctx);
      state.reconciliation = id;
      if (!id) return;
      const run = await waitFor(
        'the reconciliation to start',
        async () => {
          const r = await ctx.checker.reconciliation(id);
          return r && (r.owner !== null || r.status !== 'pending') ? r : undefined;
        },
        60_000,
      );
      state.owner = run.owner;
    },
    async recovered(ctx, state) {
      const id = state.reconciliation as string | undefined;
      if (!id) return true;
      const r = await ctx.checker.reconciliation(id);
      return (
        r !== undefined &&
        (['completed', 'failed'].includes(r.status) ||
          (r.owner !== null && r.owner !== state.owner))
      );
    },
  },
  killScenario('api'),
  {
    name: 'Kafka broker kill',
    faults: 'SIGKILL broker, start after 10 s',
    async inject({ stack }) {
      await stack.control('kill', 'kafka');
      await hold(10_000);
      await stack.control('start', 'kafka');
    },
  },
  {
    name: 'PostgreSQL restart',
    faults: 'stop (fast), start after 10 s',
    async inject({ stack }) {
      await stack.control('stop', 'postgres');
      await hold(10_000);
      await stack.control('start', 'postgres');
    },
  },
  {
    name: 'provider 429 storm',
    faults: '70 % of Stripe calls 429 for 20 s',
    // A whole reconciliation under the account's rate limit, shared with the backfill.
    recoveryTimeoutMs: 300_000,
    async before(ctx, state) {
      state.reconciliation = await startReconciliation(ctx);
    },
    async inject({ sim }) {
      sim.faults = { ...sim.faults, rate429: 0.7, retryAfterSeconds: 1 };
      await hold(20_000);
      sim.faults = { ...sim.faults, rate429: 0 };
    },
    async recovered(ctx, state) {
      const id = state.reconciliation as string | undefined;
      return !id || ['completed', 'failed'].includes(await reconciliationStatus(ctx, id));
    },
  },
  {
    name: 'provider 5xx storm',
    faults: '70 % of Stripe calls 500 for 20 s',
    async inject({ sim }) {
      sim.faults = { ...sim.faults, rate500: 0.7 };
      await hold(20_000);
      sim.faults = { ...sim.faults, rate500: 0 };
    },
  },
  {
    name: 'poison-event flood',
    faults: '100 events PostgreSQL cannot store (currency too long for char(3))',
    async inject({ traffic, sim }) {
      for (let i = 0; i < 100; i++) {
        const id = `cus_chaospoison${i}`;
        traffic.sendRaw(
          {
            id: `evt_chaospoison_${RUN_ID}_${i}`,
            object: 'event',
            api_version: '2026-10-28.endive',
            created: Math.floor(Date.now() / 1000),
            livemode: false,
            account: sim.accountId,
            pending_webhooks: 1,
            request: { id: null, idempotency_key: null },
            type: 'customer.updated',
            data: {
              object: {
                id,
                object: 'customer',
                created: Math.floor(Date.now() / 1000),
                livemode: false,
                email: `poison${i}@example.com`,
                name: `poison ${i}`,
                // Too long for char(3): PostgreSQL refuses it (NUL in text is stored without it).
                currency: 'not-a-currency',
                metadata: {},
              },
            },
          } as { id: string },
          'poison',
          `customers:${id}`,
        );
      }
      return 'poison';
    },
  },
  {
    name: 'oversized events',
    faults: '1 event just under the 1 MiB cap, 10 × 600 KB, 1 over the cap',
    async inject({ traffic, sim }) {
      const cap = 1024 * 1024;
      const ids = Array.from(
        { length: 11 },
        (_, i) => `cus_sim${(2000 + i).toString().padStart(10, '0')}`,
      );
      // The description that makes the signed body `target` bytes long.
      const sized = (id: string, target: number) => {
        const current = sim.getObject('customers', id) ?? {};
        const probe = JSON.stringify({
          ...sim.events.at(-1),
          data: { object: { ...current, description: '' } },
        });
        return 'x'.repeat(Math.max(0, target - probe.length - 200));
      };
      traffic.changeCustomer(ids[0]!, { description: sized(ids[0]!, cap - 2048) }, 'oversized');
      for (const id of ids.slice(1))
        traffic.changeCustomer(id, { description: sized(id, 600_000) }, 'oversized');
      const over = {
        id: `evt_chaosovercap_${RUN_ID}`,
        object: 'event',
        api_version: '2026-10-28.endive',
        created: Math.floor(Date.now() / 1000),
        livemode: false,
        type: 'customer.updated',
        data: {
          object: {
            id: 'cus_chaosovercap',
            object: 'customer',
            description: 'x'.repeat(cap + 10_000),
          },
        },
      };
      traffic.sendRaw(over, 'over-cap', 'customers:cus_chaosovercap');
    },
  },
];

const SHORT_SCENARIOS = [killScenario('processor')];

// ------------------------------------------------------------------------------------------------

const started = Date.now();
const runTimer = setTimeout(() => {
  log(`run deadline (${RUN_DEADLINE_MS / 60_000} min) reached: stopping`);
  void cleanup().finally(() => process.exit(2));
}, RUN_DEADLINE_MS);

let stack: ChaosStack | undefined;
let fleet: ServiceFleet | undefined;
let sim: StripeSimulator | undefined;
let checker: Checker | undefined;
let database: { url: string; appUrl: string; drop: () => Promise<void> } | undefined;
const topicPrefix = `chaos-${RUN_ID}`;
let cleaned = false;

async function cleanup(): Promise<void> {
  if (cleaned) return;
  cleaned = true;
  await fleet?.stopAll().catch(() => fleet?.killAllNow());
  await sim?.stop().catch(() => undefined);
  await checker?.close().catch(() => undefined);
  if (stack?.own) {
    stack.down();
  } else if (stack) {
    await database?.drop().catch(() => undefined);
    deleteTopics(stack, topicPrefix);
  }
}
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    fleet?.killAllNow();
    void cleanup().finally(() => process.exit(130));
  });
}

async function main(): Promise<number> {
  log(SHORT ? 'short run: one scenario on the shared stack' : 'full run: separate stack instance');
  stack = SHORT
    ? sharedStack()
    : separateStack(
        await pickStackPorts(
          Number(process.env.CHAOS_PG_PORT ?? 25432),
          Number(process.env.CHAOS_KAFKA_PORT ?? 29192),
        ),
      );
  database = await chaosDatabase(stack, `paysync_chaos_${RUN_ID}`);
  const keys = `c1:${KeyRing.generateKey()}`;
  sim = new StripeSimulator({
    seed: SHORT
      ? { customers: 2100, products: 10, prices: 20, subscriptions: 50 }
      : {
          customers: 3000,
          products: 20,
          prices: 40,
          subscriptions: 300,
          invoices: 300,
          payment_intents: 300,
          charges: 300,
        },
    randomSeed: 16,
  });
  const simUrl = await sim.start();
  const secret = `whsec_chaos_${RUN_ID}`;
  const prisma = createPrismaClient({ url: database.url, poolMax: 2, statementTimeoutMs: 30_000 });
  const workspaceId = (await prisma.workspace.create({ data: { name: 'chaos' } })).id;
  const connections = new ConnectionRepository({ prisma, keyRing: KeyRing.fromString(keys) });
  const connection = await connections.create({
    workspaceId,
    provider: 'stripe',
    mode: 'test',
    apiKey: 'sk_test_chaos_key_0001',
    webhookSecrets: [secret],
    // Slow enough that a backfill is running while the faults land.
    settings: { apiBaseUrl: simUrl, rateLimitPerSecond: SHORT ? 10 : 6 },
  });
  await connections.linkProviderAccount(connection, sim.accountId);
  await prisma.$disconnect();

  const logDir = mkdtempSync(join(tmpdir(), 'paysync-chaos-logs-'));
  const recoveryGroup = `chaos-recovery-${RUN_ID}`;
  // The same settings the e2e harness gives real service processes (test/e2e/observability-
  // prometheus), with short loops so recovery is measured in seconds.
  const env: Record<string, string> = {
    DATABASE_URL: DB_ROLE === 'app' ? database.appUrl : database.url,
    KAFKA_BROKERS: stack.kafkaBrokers,
    KAFKA_TOPIC_PREFIX: topicPrefix,
    HOST: '127.0.0.1',
    LOG_LEVEL: 'warn',
    KAFKAJS_NO_PARTITIONER_WARNING: '1',
    ENCRYPTION_KEYS: keys,
    ADMIN_API_TOKEN: ADMIN,
    API_ALLOWED_PROVIDER_BASE_URLS: simUrl,
    API_RECOVERY_GROUP_ID: recoveryGroup,
    RECOVERY_GROUP_ID: recoveryGroup,
    PROCESSOR_GROUP_ID: `chaos-processor-${RUN_ID}`,
    SYNC_RUNNER_GROUP_ID: `chaos-sync-runner-${RUN_ID}`,
    PROCESSOR_RETRY_DELAYS_MS: '1000,3000',
    INGRESS_RATE_LIMIT_PER_IP: '1000000',
    INGRESS_RATE_LIMIT_PER_CONNECTION: '1000000',
    KAFKA_PRODUCE_TIMEOUT_MS: '2000',
    INGRESS_KAFKA_CIRCUIT_OPEN_MS: '2000',
    SYNC_PAGE_SIZE: '20',
    SYNC_SEGMENTS_PER_ENTITY: '2',
    SYNC_POLL_INTERVAL_MS: '1000',
    SYNC_UNIT_LEASE_MS: '5000',
    RECOVERY_REDRIVE_BASE_MS: '500',
    RECOVERY_REDRIVE_INTERVAL_MS: '500',
    RECOVERY_REDRIVE_MAX_DELAY_MS: '5000',
    RECOVERY_RECONCILE_POLL_MS: '1000',
    RECOVERY_RECONCILE_LEASE_MS: '5000',
    RECOVERY_EVENTS_POLL_INTERVAL_MS: String(POLL_INTERVAL_MS),
    RECOVERY_EVENTS_GRACE_MS: String(POLL_GRACE_MS),
    RECOVERY_SESSION_CHECK_INTERVAL_MS: '5000',
    RECOVERY_SESSION_RESUME_DELAY_MS: '5000',
    RECOVERY_SESSION_STALLED_AFTER_MS: '30000',
  };
  fleet = new ServiceFleet(env, logDir);
  log(`starting ${SERVICES.join(', ')} (logs in ${logDir})`);
  await fleet.startAll();
  checker = new Checker(database.url, workspaceId);
  const webhookUrl = `${fleet.url('ingress')}/webhooks/stripe/${connection.id}`;
  const traffic = new Traffic({
    sim,
    url: webhookUrl,
    secret,
    ratePerSecond: SHORT ? 15 : 20,
    duplicateRate: 0.05,
    reorderWindow: 8,
    customerPool: 2000,
    productPool: SHORT ? 10 : 20,
    retryForMs: 90_000,
  });
  const f = fleet;
  const ctx: Ctx = {
    stack,
    fleet,
    sim,
    traffic,
    checker,
    webhookUrl,
    secret,
    reconciliations: [],
    api: (method, path, body) =>
      fetch(`${f.url('api')}/api/v1/workspaces/${workspaceId}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${ADMIN}`,
          ...(body !== undefined && { 'content-type': 'application/json' }),
        },
        ...(body !== undefined && { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(10_000),
      }),
  };

  // A backfill kept running: a new session whenever none is active (bounded).
  let backfillsStarted = 0;
  let stopBackfills = false;
  const backfillLoop = (async () => {
    while (!stopBackfills && backfillsStarted < (SHORT ? 2 : 10)) {
      try {
        const s = await checker.sessions();
        if ((s.running ?? 0) + (s.pending ?? 0) === 0) {
          const res = await ctx.api('POST', '/sync/stripe/initial');
          await res.arrayBuffer();
          if (res.status === 202) backfillsStarted++;
        }
      } catch {
        // api or database down during a fault: next round
      }
      await new Promise((r) => setTimeout(r, 2000));
    }
  })();

  traffic.start();
  log('traffic started; warming up');
  await waitFor('warm-up events applied', async () => traffic.counts().accepted >= 50, 120_000);
  const warmCutoff = Date.now();
  await waitFor(
    'warm-up events applied',
    async () => (await checker!.open(traffic, warmCutoff)) === 0,
    120_000,
  );
  await startReconciliation(ctx).catch(() => undefined);

  const results: ScenarioResult[] = [];
  for (const scenario of SHORT ? SHORT_SCENARIOS : SCENARIOS) {
    traffic.scenario = scenario.name;
    const state: Record<string, unknown> = {};
    log(`scenario: ${scenario.name} (${scenario.faults})`);
    await hold(3000); // steady traffic before the fault
    await scenario.before?.(ctx, state);
    await scenario.inject(ctx);
    const faultOver = Date.now();
    let recoveryMs: number | undefined;
    try {
      await waitFor(
        `${scenario.name}: recovered`,
        async () =>
          (await fleet!.allReady()) &&
          (await checker!.open(traffic, faultOver)) === 0 &&
          (!scenario.recovered || (await scenario.recovered(ctx, state))),
        scenario.recoveryTimeoutMs ?? RECOVERY_TIMEOUT_MS,
        200,
      );
      recoveryMs = Date.now() - faultOver;
      log(`  recovered in ${(recoveryMs / 1000).toFixed(1)} s`);
    } catch (err) {
      log(
        `  NOT recovered: ${(err as Error).message}; open=${await checker.open(traffic, faultOver).catch(() => '?')}`,
      );
    }
    results.push({
      name: scenario.name,
      faults: scenario.faults,
      recoveryMs,
      timeoutMs: scenario.recoveryTimeoutMs ?? RECOVERY_TIMEOUT_MS,
    });
  }

  // Quiesce: no new changes, every delivery settled, backfill finished, then the window.
  traffic.scenario = 'after';
  traffic.stop();
  log('traffic stopped; waiting for deliveries to settle');
  await traffic.flush();
  stopBackfills = true;
  await backfillLoop;
  await waitFor(
    'the last backfill session to finish',
    async () => {
      const s = await checker!.sessions();
      return (s.running ?? 0) + (s.pending ?? 0) === 0;
    },
    300_000,
    1000,
  ).catch((err: unknown) => log((err as Error).message));
  const quiet = Date.now();
  const ignore = new Set(
    [...traffic.events.values()].filter((e) => e.kind !== 'change').map((e) => e.objectKey),
  );
  let state = await checker.compareWithSimulator(sim, ignore);
  await waitFor(
    'the database to match the simulator and the pipeline to drain',
    async () => {
      state = await checker!.compareWithSimulator(sim!, ignore);
      return (
        state.missing.length + state.stale.length + state.extra.length === 0 &&
        (await checker!.open(traffic)) === 0
      );
    },
    WINDOW_MS,
    1000,
  ).catch(() => undefined);
  const convergedMs = Date.now() - quiet;

  // ------------------------------------------------------------------ invariants and report
  const notApplied = await checker.notApplied(traffic, ['change', 'oversized']);
  const poison = [...traffic.events.values()].filter((e) => e.kind === 'poison');
  const poisonStatuses = await checker.statuses(poison.map((e) => e.id));
  const poisonInvisible = poison.filter(
    (e) => e.acceptedAt !== undefined && !poisonStatuses.has(e.id),
  );
  const overCap = [...traffic.events.values()].filter((e) => e.kind === 'over-cap');
  const overCapAccepted = overCap.filter((e) => e.acceptedAt !== undefined);
  const overCapLost = (await checker.notApplied(traffic, ['over-cap'])).length;
  const outbox = await checker.outboxRows();
  const byStatus = await checker.logByStatus();
  const stuck = (byStatus.received ?? 0) + (byStatus.failed ?? 0);
  const sessions = await checker.sessions();
  const sessionErrors = await checker.sessionErrors();
  const reconStatuses = await Promise.all(
    ctx.reconciliations.map((id) => reconciliationStatus(ctx, id).catch(() => 'unknown')),
  );

  const objectLoss = new Map<string, number>();
  for (const key of [...state.missing, ...state.stale, ...state.extra]) {
    const scenario = traffic.lastChange.get(key) ?? 'backfill';
    objectLoss.set(scenario, (objectLoss.get(scenario) ?? 0) + 1);
  }
  const allStatuses = await checker.statuses([...traffic.events.keys()]);
  const rows: string[][] = [
    ['scenario', 'faults injected', 'events sent', 'accepted', 'applied', 'recovery s', 'lost'],
  ];
  let totalLost = 0;
  for (const label of ['warm-up', ...results.map((r) => r.name), 'after']) {
    const r = results.find((x) => x.name === label);
    const events = [...traffic.events.values()].filter((e) => e.scenario === label);
    if (events.length === 0 && !r) continue;
    const sent = events.filter((e) => e.attempts > 0).length;
    const accepted = events.filter((e) => e.acceptedAt !== undefined);
    const applied = accepted.filter((e) =>
      e.kind === 'poison'
        ? ['processed', 'dead', 'ignored'].includes(allStatuses.get(e.id) ?? '')
        : APPLIED.has(allStatuses.get(e.id) ?? ''),
    ).length;
    const lostEvents =
      notApplied.filter((e) => e.scenario === label).length +
      poisonInvisible.filter((e) => e.scenario === label).length +
      (label === 'oversized events' ? overCapLost : 0);
    const lost = lostEvents + (objectLoss.get(label) ?? 0);
    totalLost += lost;
    rows.push([
      label,
      r?.faults ?? (label === 'warm-up' ? 'none' : 'none (quiesce)'),
      String(sent),
      String(accepted.length),
      String(applied),
      r
        ? r.recoveryMs === undefined
          ? `> ${r.timeoutMs / 1000}`
          : (r.recoveryMs / 1000).toFixed(1)
        : '–',
      String(lost),
    ]);
  }
  // Seeded objects no change touched: only the backfill brings them.
  const backfillLoss = objectLoss.get('backfill') ?? 0;
  totalLost += backfillLoss;
  rows.push([
    'seeded objects (backfill only)',
    'all of the above',
    '–',
    '–',
    '–',
    '–',
    String(backfillLoss),
  ]);
  const all = traffic.counts();
  rows.push([
    'total',
    `${results.length} scenarios`,
    String(all.sent),
    String(all.accepted),
    String(rows.slice(1).reduce((n, r) => n + (Number(r[4]) || 0), 0)),
    '',
    String(totalLost),
  ]);

  const checks: [string, boolean, string][] = [
    [
      'every accepted event applied in effect (processed, duplicate or stale in the event log)',
      notApplied.length === 0,
      `${notApplied.length} not applied${
        notApplied.length
          ? `: ${notApplied
              .slice(0, 5)
              .map((e) => `${e.id} (${e.scenario}, ${allStatuses.get(e.id) ?? 'absent'})`)
              .join(', ')}`
          : ''
      }`,
    ],
    [
      `database equal to the simulator within the window (${WINDOW_MS / 1000} s after quiesce)`,
      state.missing.length + state.stale.length + state.extra.length === 0,
      `${state.checked} objects checked; missing ${state.missing.length}, stale ${state.stale.length}, live here but deleted there ${state.extra.length}${[...state.missing, ...state.stale, ...state.extra].length ? ` (e.g. ${[...state.missing, ...state.stale, ...state.extra].slice(0, 5).join(', ')})` : ''}; converged ${(convergedMs / 1000).toFixed(1)} s after quiesce`,
    ],
    ['nothing stuck in the outbox', outbox === 0, `${outbox} rows`],
    ['no event stuck (received/failed) in the log', stuck === 0, JSON.stringify(byStatus)],
    [
      'poison events visible (dead-lettered or applied), none silently dropped',
      poisonInvisible.length === 0,
      `${poison.length} sent, ${[...poisonStatuses.values()].filter((s) => s === 'dead').length} dead, ${[...poisonStatuses.values()].filter((s) => s !== 'dead').length} other`,
    ],
    [
      'an over-cap body is refused (413), never half-accepted',
      overCapAccepted.length === 0 || overCapLost === 0,
      overCap.map((e) => `status ${e.lastStatus}`).join(', ') || 'not sent',
    ],
    [
      'a backfill completed; every run finished',
      (sessions.completed ?? 0) >= 1 && (sessions.running ?? 0) + (sessions.pending ?? 0) === 0,
      JSON.stringify(sessions),
    ],
    [
      'every scenario recovered within its deadline',
      results.every((r) => r.recoveryMs !== undefined),
      results
        .filter((r) => r.recoveryMs === undefined)
        .map((r) => r.name)
        .join(', ') || 'all',
    ],
  ];
  const failed = checks.filter(([, ok]) => !ok);

  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((row) => row[c]!.length)));
  const table = rows
    .map((row) => row.map((cell, c) => cell.padEnd(widths[c]!)).join('  '))
    .join('\n');
  const mdTable = [
    `| ${rows[0]!.join(' | ')} |`,
    `| ${rows[0]!.map(() => '---').join(' | ')} |`,
    ...rows.slice(1).map((r) => `| ${r.join(' | ')} |`),
  ].join('\n');
  const machine = `${cpus().length} cores ${cpus()[0]?.model ?? ''}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`;
  const date = new Date().toISOString();
  // The run executes the working tree: name what it was, uncommitted service code included.
  const git = (...args: string[]) =>
    spawnSync('git', args, { cwd: repoRoot, encoding: 'utf8' }).stdout.trim();
  const dirty = git('status', '--porcelain', '--', 'services', 'libs', 'prisma')
    .split('\n')
    .filter(Boolean).length;
  const tree = `commit ${git('rev-parse', '--short', 'HEAD')}${dirty ? ` + ${dirty} uncommitted files under services/, libs/, prisma/` : ''}`;
  const duration = ((Date.now() - started) / 60_000).toFixed(1);
  const extras = [
    `duplicates sent ${traffic.duplicatesSent}; deliveries given up after ${90} s of retries ${all.gaveUp} (their changes reach the database through the events poller)`,
    `backfill sessions ${JSON.stringify(sessions)}${Object.keys(sessionErrors).length ? ` (failed: ${JSON.stringify(sessionErrors)})` : ''}; reconciliations (report only) ${reconStatuses.join(', ') || 'none'}`,
    `event log ${JSON.stringify(byStatus)}`,
  ];
  console.log(`\n${table}\n`);
  for (const [name, ok, detail] of checks)
    console.log(`${ok ? 'ok  ' : 'FAIL'} ${name}: ${detail}`);
  for (const e of extras) console.log(`     ${e}`);
  console.log(
    `\nlost = ${totalLost}; ${failed.length === 0 ? 'all invariants hold' : `${failed.length} invariant(s) FAILED`} (${duration} min)`,
  );

  mkdirSync(join(repoRoot, 'bench-results'), { recursive: true });
  const file = join(repoRoot, 'bench-results', `chaos-${date.replace(/[:.]/g, '-')}.md`);
  writeFileSync(
    file,
    [
      `# Chaos run ${date}${SHORT ? ' (short)' : ''}`,
      '',
      `Command: \`npm run chaos${SHORT ? ' -- --short' : ''}\`; machine: ${machine}; ${duration} min.`,
      `Code: ${tree}; services connected as ${DB_ROLE === 'app' ? 'the paysync_app login role (row-level security)' : 'the database owner'}.`,
      `Stack: ${stack.own ? `separate instance (PostgreSQL 127.0.0.1:${stack.pgPort}, Kafka ${stack.kafkaBrokers})` : 'the shared stack (own database and topic prefix)'}.`,
      `Traffic: ${SHORT ? 15 : 20} simulator changes/s (customer updates, creates, deletes, product updates), 5 % delivered twice, shuffled in windows of 8, each retried like Stripe for up to 90 s; a backfill kept running; reconciliations in report mode.`,
      '',
      mdTable,
      '',
      'Recovery = from the end of the fault (component restarted, storm cleared) until every service is ready, every accepted event has a final status in the event log, the outbox is empty (and, for the sync-runner, the backfill commits pages again; for recovery, the running reconciliation is held by another replica or finished; for the 429 storm, the reconciliation started before it finishes, completed or failed). Lost = accepted events not applied in effect + objects missing or stale against the simulator after the window, counted in the scenario of their last change.',
      '',
      ...checks.map(([name, ok, detail]) => `- ${ok ? 'ok' : '**FAIL**'} ${name}: ${detail}`),
      ...extras.map((e) => `- ${e}`),
      '',
    ].join('\n'),
  );
  console.log(`(written to ${file})`);
  return failed.length === 0 && totalLost === 0 ? 0 : 1;
}

let code = 1;
try {
  code = await main();
} catch (err) {
  log(`run failed: ${(err as Error).stack ?? String(err)}`);
} finally {
  clearTimeout(runTimer);
  log('cleaning up');
  await cleanup();
}
process.exit(code);
