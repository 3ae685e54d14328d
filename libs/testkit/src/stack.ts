/** Connection settings of the local stack started by scripts/stack (see scripts/stack/stack-config.mjs). */
export function stackEnv(): {
  databaseUrl: string;
  appDatabaseUrl: string;
  kafkaBrokers: string[];
} {
  const pgPort = process.env.PAYSYNC_PG_PORT ?? '55432';
  const kafkaPort = process.env.PAYSYNC_KAFKA_PORT ?? '59092';
  const appRole = process.env.PAYSYNC_PG_APP_ROLE ?? 'paysync_app';
  const appPassword = encodeURIComponent(
    process.env.PAYSYNC_PG_APP_PASSWORD ?? 'paysync-local-dev',
  );
  return {
    /** The `postgres` superuser: migrations, seeding, inspection. */
    databaseUrl: `postgresql://postgres@127.0.0.1:${pgPort}/paysync`,
    /** The services' login role (under row-level security). */
    appDatabaseUrl: `postgresql://${appRole}:${appPassword}@127.0.0.1:${pgPort}/paysync`,
    kafkaBrokers: [`127.0.0.1:${kafkaPort}`],
  };
}

/** A short random id for topic prefixes, group ids and database names. */
export function uniqueId(prefix = 't'): string {
  return `${prefix}${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`;
}
