import { isUuid } from '@paysync/db';
import { ValidationError } from '@paysync/errors';

/**
 * Opaque keyset cursors: base64url of `[kind, ...position]`. The kind ties a cursor to the listing
 * that issued it, so a cursor from another endpoint is a 400 instead of a silent wrong page.
 */
export function encodeCursor(kind: string, position: readonly (string | number)[]): string {
  return Buffer.from(JSON.stringify([kind, ...position])).toString('base64url');
}

export function decodeCursor(kind: string, cursor: string, arity: number): (string | number)[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    parsed = undefined;
  }
  if (
    !Array.isArray(parsed) ||
    parsed[0] !== kind ||
    parsed.length !== arity + 1 ||
    !parsed.slice(1).every((v) => typeof v === 'string' || typeof v === 'number')
  ) {
    throw new ValidationError('Invalid cursor', [
      { path: 'querystring/cursor', message: 'is not a cursor issued by this endpoint' },
    ]);
  }
  return parsed.slice(1) as (string | number)[];
}

/** Timestamp position of a cursor, validated. */
export function cursorDate(value: string | number | undefined): Date {
  const date = typeof value === 'string' ? new Date(value) : new Date(NaN);
  if (Number.isNaN(date.getTime())) {
    throw new ValidationError('Invalid cursor', [
      { path: 'querystring/cursor', message: 'is not a cursor issued by this endpoint' },
    ]);
  }
  return date;
}

/** The page size to use: the requested one capped at `max`. */
export function pageSize(limit: number | undefined, max: number): number {
  return Math.min(limit ?? 50, max);
}

/** Splits an over-fetched result (limit + 1 rows) into the page and the next cursor. */
export function toPage<R, T>(
  rows: readonly R[],
  limit: number,
  cursorOf: (last: R) => string,
  map: (row: R) => T,
): { data: T[]; nextCursor: string | null } {
  const hasMore = rows.length > limit;
  const slice = hasMore ? rows.slice(0, limit) : rows;
  const last = slice.at(-1);
  return {
    data: slice.map(map),
    nextCursor: hasMore && last !== undefined ? cursorOf(last) : null,
  };
}

/** Id position of a cursor, validated as a UUID. */
export function cursorUuid(value: string | number | undefined): string {
  if (typeof value === 'string' && isUuid(value)) return value;
  throw new ValidationError('Invalid cursor', [
    { path: 'querystring/cursor', message: 'is not a cursor issued by this endpoint' },
  ]);
}
