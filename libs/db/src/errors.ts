import {
  AppError,
  ConflictError,
  DependencyUnavailableError,
  InternalError,
  NotFoundError,
} from '@paysync/errors';

/** Prisma and PostgreSQL error codes that mean "try again later", not "this request is wrong". */
const TRANSIENT_PRISMA = new Set(['P1001', 'P1002', 'P1008', 'P1017', 'P2024', 'P2028', 'P2034']);
const TRANSIENT_PG_CLASSES = ['08', '40', '53', '57P']; // connection, tx rollback, resources, shutdown
const TRANSIENT_NODE = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
]);
/** `kind` of Prisma driver-adapter errors (`meta.driverAdapterError.cause.kind`). */
const TRANSIENT_ADAPTER_KINDS = new Set([
  'DatabaseNotReachable',
  'ConnectionClosed',
  'SocketTimeout',
  'TooManyConnections',
  'TransactionWriteConflict',
  'TransactionAlreadyClosed',
]);

function codesOf(err: unknown): string[] {
  const codes: string[] = [];
  let current: unknown = err;
  for (let depth = 0; current && depth < 8; depth++) {
    const c = current as {
      code?: unknown;
      cause?: unknown;
      kind?: unknown;
      originalCode?: unknown;
      meta?: { code?: unknown; driverAdapterError?: unknown };
    };
    for (const v of [c.code, c.originalCode, c.kind, c.meta?.code])
      if (typeof v === 'string') codes.push(v);
    if (c.meta?.driverAdapterError) {
      codes.push(...codesOf(c.meta.driverAdapterError));
    }
    if (
      typeof (current as Error).message === 'string' &&
      /Connection terminated|connect ECONNREFUSED|timeout exceeded when trying to connect/i.test(
        (current as Error).message,
      )
    ) {
      codes.push('ECONNREFUSED');
    }
    current = c.cause;
  }
  return codes;
}

/** Whether a database error is infrastructure trouble (retry/pause) rather than a bad statement. */
export function isTransientDbError(err: unknown): boolean {
  if (err instanceof AppError) return err.retryable;
  return codesOf(err).some(
    (code) =>
      TRANSIENT_PRISMA.has(code) ||
      TRANSIENT_ADAPTER_KINDS.has(code) ||
      TRANSIENT_NODE.has(code) ||
      TRANSIENT_PG_CLASSES.some((prefix) => code.length === 5 && code.startsWith(prefix)),
  );
}

/** Translates a Prisma/pg error into our error vocabulary, once, at the db boundary (STYLE R21). */
export function mapDbError(err: unknown, context: Record<string, unknown> = {}): AppError {
  if (err instanceof AppError) return err;
  const codes = codesOf(err);
  if (
    codes.includes('P2002') ||
    codes.includes('23505') ||
    codes.includes('UniqueConstraintViolation')
  ) {
    return new ConflictError(
      'CONFLICT',
      'A record with the same unique key already exists',
      context,
      { cause: err },
    );
  }
  if (codes.includes('P2025')) {
    return new NotFoundError('NOT_FOUND', 'Record not found', context, { cause: err });
  }
  if (isTransientDbError(err)) {
    return new DependencyUnavailableError('DB_UNAVAILABLE', 'Database unavailable', context, {
      cause: err,
    });
  }
  return new InternalError('INTERNAL_ERROR', 'Database operation failed', context, { cause: err });
}
