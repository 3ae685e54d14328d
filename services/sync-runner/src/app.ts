import type { Logger } from '@paysync/observability';
import { buildServiceApp, type DependencyOverrides } from '@paysync/runtime';

import { registerDependencies, type SyncRunnerCradle } from './container.js';

import type { Config } from './config.js';

/** Builds the sync-runner service without listening (tests call this too, STYLE R10). */
export const buildApp = (
  config: Config,
  overrides?: DependencyOverrides<SyncRunnerCradle>,
  logger?: Logger,
) => buildServiceApp({ name: 'sync-runner', config, registerDependencies, overrides, logger });
