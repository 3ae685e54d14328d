import { loadConfig } from '@paysync/config';

import { configSchema, type Config } from '../config.js';

/** Recovery config for tests: loopback, the local stack, quiet logs; override any variable. */
export function testConfig(env: Record<string, string | undefined>): Config {
  return loadConfig(configSchema, { HOST: '127.0.0.1', PORT: '0', LOG_LEVEL: 'warn', ...env });
}
