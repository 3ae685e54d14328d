/** Connection settings of the local stack started by scripts/stack (see scripts/stack/stack-config.mjs). */
export function stackEnv(): { databaseUrl: string; kafkaBrokers: string[] } {
  const pgPort = process.env.PAYSYNC_PG_PORT ?? '55432';
  const kafkaPort = process.env.PAYSYNC_KAFKA_PORT ?? '59092';
  return {
    databaseUrl: `postgresql://postgres@127.0.0.1:${pgPort}/paysync`,
    kafkaBrokers: [`127.0.0.1:${kafkaPort}`],
  };
}

/** A short random id for topic prefixes, group ids and database names. */
export function uniqueId(prefix = 't'): string {
  return `${prefix}${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`;
}
