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
    throw invalidCursor();
  }
  return parsed.slice(1) as (string | number)[];
}

/** Timestamp position of a cursor, validated. */
export function cursorDate(value: string | number | undefined): Date {
  const date = typeof value === 'string' ? new Date(value) : new Date(NaN);
  if (Number.isNaN(date.getTime())) throw invalidCursor();
  return date;
}

/** Id position of a cursor, validated as a UUID. */
export function cursorUuid(value: string | number | undefined): string {
  if (typeof value === 'string' && isUuid(value)) return value;
  throw invalidCursor();
}

/** Bigint id position of a cursor (a decimal string), validated. */
export function cursorBigInt(value: string | number | undefined): bigint {
  if (typeof value === 'string' && /^\d{1,18}$/.test(value)) return BigInt(value);
  throw invalidCursor();
}

function invalidCursor(): ValidationError {
  return new ValidationError('Invalid cursor', [
    { path: 'querystring/cursor', message: 'is not a cursor issued by this endpoint' },
  ]);
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

/** A keyset position: a timestamp and the row id that breaks ties. */
export interface TimeKey {
  readonly at: Date;
  readonly id: string;
}

/** How a listing's cursor position decodes into the key its repository pages by. */
export interface CursorKey<K> {
  readonly arity: number;
  parse(position: readonly (string | number)[]): K;
}

/** `[timestamp, uuid]`: the listings ordered by a timestamp (newest first, or the change feed). */
export const timeKey: CursorKey<TimeKey> = {
  arity: 2,
  parse: ([at, id]) => ({ at: cursorDate(at), id: cursorUuid(id) }),
};

/** `[bigint id]`: the audit log. */
export const bigintKey: CursorKey<bigint> = {
  arity: 1,
  parse: ([id]) => cursorBigInt(id),
};

/** The paging part of a listing's query string (`PageQuery`). */
export interface PageRequest {
  readonly limit?: number | undefined;
  readonly cursor?: string | undefined;
}

export interface PageSpec<R, T, K> {
  /** Ties cursors to this listing: another listing's cursor is a 400. */
  readonly kind: string;
  readonly maxPageSize: number;
  readonly key: CursorKey<K>;
  /** Rows after `key` (absent on the first page), at most `limit` (one beyond the page). */
  fetch(key: K | undefined, limit: number): Promise<readonly R[]>;
  /** The position the next page starts after. */
  cursorOf(last: R): readonly (string | number)[];
  present(row: R): T;
}

/**
 * One page of a keyset listing: caps the page size, decodes and validates the cursor (a 400 for
 * anything this listing did not issue), fetches one row beyond the page to learn whether another
 * page exists, and issues the next cursor.
 */
export async function paginate<R, T, K>(
  query: PageRequest,
  spec: PageSpec<R, T, K>,
): Promise<{ data: T[]; nextCursor: string | null }> {
  const limit = pageSize(query.limit, spec.maxPageSize);
  const position = query.cursor ? decodeCursor(spec.kind, query.cursor, spec.key.arity) : undefined;
  const rows = await spec.fetch(position && spec.key.parse(position), limit + 1);
  return toPage(rows, limit, (last) => encodeCursor(spec.kind, spec.cursorOf(last)), spec.present);
}
