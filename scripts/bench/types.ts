export interface BenchContext {
  /** PostgreSQL URL of a database on the local stack. */
  serverUrl(database: string): string;
  readonly kafkaBrokers: string[];
  readonly migrationsDir: string;
  readonly count?: number | undefined;
  readonly runs?: number | undefined;
}

export interface ScenarioResult {
  /** Rows of a printed table, the first being the header. */
  readonly table: string[][];
  readonly json: unknown;
}
