import { loadConfig, type ConfigOf, type EnvSchema } from '@paysync/config';

/** Variables a test sets on top of the defaults (the stack's URLs, a topic prefix, …). */
export type TestEnv = Readonly<Record<string, string | undefined>>;

/**
 * A service's config for tests: loopback on a free port, the local stack, quiet logs written to
 * the test file's own log (`PAYSYNC_TEST_LOG_FILE`, set by scripts/jest/route-test-logs.mjs;
 * printed only when that file fails); `env` overrides any variable. Each service's
 * `testing/test-config.ts` binds its own schema.
 */
export function loadTestConfig<S extends EnvSchema>(schema: S, env: TestEnv): ConfigOf<S> {
  return loadConfig(schema, {
    HOST: '127.0.0.1',
    PORT: '0',
    LOG_LEVEL: 'warn',
    LOG_FILE: process.env.PAYSYNC_TEST_LOG_FILE,
    // Test connections point at simulators on free loopback ports (checked where clients are built).
    API_ALLOWED_PROVIDER_BASE_URLS: 'http://127.0.0.1:*',
    ...env,
  });
}
