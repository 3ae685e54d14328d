import type { Logger } from '@paysync/observability';
import { buildServiceApp, type DependencyOverrides } from '@paysync/runtime';

import { registerDependencies, type RecoveryCradle } from './container.js';

import type { Config } from './config.js';

/** Builds the recovery service without listening (tests call this too, STYLE R10). */
export const buildApp = (
  config: Config,
  overrides?: DependencyOverrides<RecoveryCradle>,
  logger?: Logger,
) => buildServiceApp({ name: 'recovery', config, registerDependencies, overrides, logger });
