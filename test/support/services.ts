import type { FastifyInstance, InjectOptions } from 'fastify';

import { uniqueId } from '@paysync/testkit';

import { buildApp as buildApi } from '../../services/api/src/app.js';
import { testConfig as apiConfig } from '../../services/api/src/testing/test-config.js';
import { buildApp as buildRecovery } from '../../services/recovery/src/app.js';
import { testConfig as recoveryConfig } from '../../services/recovery/src/testing/test-config.js';
import { buildApp as buildSyncRunner } from '../../services/sync-runner/src/app.js';
import { testConfig as syncRunnerConfig } from '../../services/sync-runner/src/testing/test-config.js';

// The services an e2e test adds next to the pipeline (support/pipeline.ts), each built through its
// composition root in this process and ready when returned; the caller closes it.

/** A sync-runner on `env`, in a consumer group of its own unless `env` names one. */
export async function startSyncRunner(env: Record<string, string>) {
  const runner = await buildSyncRunner(
    syncRunnerConfig({ SYNC_RUNNER_GROUP_ID: uniqueId('sync-runner-'), ...env }),
  );
  await runner.ready();
  return runner;
}

/** A recovery service on `env`, in a consumer group of its own unless `env` names one. */
export async function startRecovery(env: Record<string, string>) {
  const recovery = await buildRecovery(
    recoveryConfig({ RECOVERY_GROUP_ID: uniqueId('recovery-'), ...env }),
  );
  await recovery.ready();
  return recovery;
}

/** An api on `env` whose admin token is `adminToken`. */
export async function startApi(env: Record<string, string>, adminToken: string) {
  const api = await buildApi(apiConfig({ ...env, ADMIN_API_TOKEN: adminToken }));
  await api.ready();
  return api;
}

/**
 * Calls `api`'s routes of workspace `workspaceId` (`path` below `/api/v1/workspaces/<id>`) as the
 * admin, in process.
 */
export const adminCaller =
  (api: FastifyInstance, adminToken: string, workspaceId: string) =>
  (method: 'GET' | 'POST', path: string, payload?: Record<string, unknown>) =>
    api.inject({
      method,
      url: `/api/v1/workspaces/${workspaceId}${path}`,
      headers: { authorization: `Bearer ${adminToken}` },
      ...(payload && { payload: payload as InjectOptions['payload'] }),
    });
