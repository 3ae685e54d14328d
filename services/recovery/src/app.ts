import type { Logger } from '@paysync/observability';
import { buildServiceApp } from '@paysync/runtime';

import { registerDependencies, type DependencyOverrides } from './container.js';

import type { Config } from './config.js';

/** Builds the recovery service without listening (tests call this too, STYLE R10). */
export const buildApp = (config: Config, overrides?: DependencyOverrides, logger?: Logger) =>
  buildServiceApp({ name: 'recovery', config, registerDependencies, overrides, logger });
