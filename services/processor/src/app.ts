import type { Logger } from '@paysync/observability';
import { buildServiceApp, type DependencyOverrides } from '@paysync/runtime';

import { registerDependencies, type ProcessorCradle } from './container.js';

import type { Config } from './config.js';

/** Builds the processor service without listening (tests call this too, STYLE R10). */
export const buildApp = (
  config: Config,
  overrides?: DependencyOverrides<ProcessorCradle>,
  logger?: Logger,
) => buildServiceApp({ name: 'processor', config, registerDependencies, overrides, logger });
