import { loadTestConfig, type TestEnv } from '@paysync/runtime/testing';

import { configSchema, type Config } from '../config.js';

/** Processor config for tests: loopback, the local stack, quiet logs; override any variable. */
export const testConfig = (env: TestEnv): Config => loadTestConfig(configSchema, env);
