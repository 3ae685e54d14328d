import { envVar, positiveInt, url } from '@paysync/config';

export const dbConfigSchema = {
  url: envVar(
    'DATABASE_URL',
    url(['postgres', 'postgresql']),
    'PostgreSQL connection URL (postgresql://user:password@host:port/database); holds the password, so keep it in a Secret: logs and error messages show it with the password redacted',
  ),
  poolMax: envVar(
    'DATABASE_POOL_MAX',
    positiveInt().default(10),
    'Maximum connections in this process’s pool',
  ),
  statementTimeoutMs: envVar(
    'DATABASE_STATEMENT_TIMEOUT_MS',
    positiveInt().default(30_000),
    'Server-side statement timeout for this service’s queries',
  ),
};

export interface DbSettings {
  readonly url: string;
  readonly poolMax: number;
  readonly statementTimeoutMs: number;
}
