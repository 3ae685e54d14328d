// Ports and names of the local stack, shared by stack.mjs, the test runner and `npm run dev`.
// docker/compose.yaml publishes the same ports.
export function stackConfig(env) {
  const pgPort = Number(env.PAYSYNC_PG_PORT ?? 55432);
  const kafkaPort = Number(env.PAYSYNC_KAFKA_PORT ?? 59092);
  const pgDatabase = env.PAYSYNC_PG_DATABASE ?? 'paysync';
  return {
    pgPort,
    pgDatabase,
    kafkaPort,
    kafkaControllerPort: kafkaPort + 1,
    kafkaVersion: env.PAYSYNC_KAFKA_VERSION ?? '4.1.1',
    kafkaHeap: env.PAYSYNC_KAFKA_HEAP ?? '768m',
    databaseUrl: `postgresql://postgres@127.0.0.1:${pgPort}/${pgDatabase}`,
    kafkaBrokers: `127.0.0.1:${kafkaPort}`,
  };
}
