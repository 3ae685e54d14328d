// Ports and names of the local stack, shared by stack.mjs, the test runner and `npm run dev`.
// docker/compose.yaml publishes the same ports.
export function stackConfig(env) {
  const pgPort = Number(env.PAYSYNC_PG_PORT ?? 55432);
  const kafkaPort = Number(env.PAYSYNC_KAFKA_PORT ?? 59092);
  const pgDatabase = env.PAYSYNC_PG_DATABASE ?? 'paysync';
  // The login role the services connect as (migrations run as the `postgres` superuser): not the
  // owner, no BYPASSRLS, so row-level security applies to it. The cluster is loopback-only with
  // trust auth; the password exists so the URL has production's shape (it never gets logged).
  const appRole = env.PAYSYNC_PG_APP_ROLE ?? 'paysync_app';
  const appPassword = env.PAYSYNC_PG_APP_PASSWORD ?? 'paysync-local-dev';
  return {
    pgPort,
    pgDatabase,
    kafkaPort,
    kafkaControllerPort: kafkaPort + 1,
    kafkaVersion: env.PAYSYNC_KAFKA_VERSION ?? '4.1.1',
    kafkaHeap: env.PAYSYNC_KAFKA_HEAP ?? '768m',
    databaseUrl: `postgresql://postgres@127.0.0.1:${pgPort}/${pgDatabase}`,
    appRole,
    appPassword,
    appDatabaseUrl: `postgresql://${appRole}:${encodeURIComponent(appPassword)}@127.0.0.1:${pgPort}/${pgDatabase}`,
    kafkaBrokers: `127.0.0.1:${kafkaPort}`,
  };
}
