import { ValidationError } from '@paysync/errors';

import {
  bigintKey,
  cursorBigInt,
  cursorDate,
  cursorUuid,
  decodeCursor,
  encodeCursor,
  pageSize,
  paginate,
  timeKey,
  toPage,
  type TimeKey,
} from './pagination.js';

describe('cursors', () => {
  it('round-trip and stay tied to the listing that issued them', () => {
    const cursor = encodeCursor('events', ['2026-11-27T08:00:00.000Z', 'a']);
    expect(decodeCursor('events', cursor, 2)).toEqual(['2026-11-27T08:00:00.000Z', 'a']);
    expect(() => decodeCursor('sessions', cursor, 2)).toThrow(ValidationError);
    expect(() => decodeCursor('events', cursor, 1)).toThrow(ValidationError);
  });

  it.each([
    '',
    'not base64 json',
    Buffer.from('{"a":1}').toString('base64url'),
    Buffer.from('["events",{"x":1},"y"]').toString('base64url'),
  ])('reject garbage %j as a 400 naming the cursor', (garbage) => {
    try {
      decodeCursor('events', garbage, 2);
      throw new Error('accepted');
    } catch (err) {
      expect(err).toBeInstanceOf(ValidationError);
      expect((err as ValidationError).errors[0]?.path).toBe('querystring/cursor');
    }
  });

  it('validate their positions', () => {
    expect(cursorDate('2026-11-27T08:00:00.000Z').toISOString()).toBe('2026-11-27T08:00:00.000Z');
    expect(() => cursorDate('yesterday')).toThrow(ValidationError);
    expect(() => cursorDate(5)).toThrow(ValidationError);
    expect(cursorUuid('0b8c3c7e-1f0e-4c1e-9a59-0d1c3f1b2a3c')).toBe(
      '0b8c3c7e-1f0e-4c1e-9a59-0d1c3f1b2a3c',
    );
    expect(() => cursorUuid("x' OR 1=1")).toThrow(ValidationError);
  });
});

describe('pages', () => {
  it('cap the page size and default to 50', () => {
    expect(pageSize(undefined, 200)).toBe(50);
    expect(pageSize(1000, 200)).toBe(200);
    expect(pageSize(7, 200)).toBe(7);
  });

  it('issue a next cursor only when a row beyond the page exists', () => {
    const rows = [1, 2, 3];
    expect(
      toPage(
        rows,
        2,
        (r) => `c${r}`,
        (r) => r * 10,
      ),
    ).toEqual({ data: [10, 20], nextCursor: 'c2' });
    expect(
      toPage(
        rows,
        3,
        (r) => `c${r}`,
        (r) => r,
      ),
    ).toEqual({ data: [1, 2, 3], nextCursor: null });
    expect(
      toPage(
        [],
        3,
        () => 'x',
        (r) => r,
      ),
    ).toEqual({ data: [], nextCursor: null });
  });
});

describe('paginate', () => {
  const ID = '0b8c3c7e-1f0e-4c1e-9a59-0d1c3f1b2a3c';
  const rows = [3, 2, 1].map((n) => ({ n, at: new Date(Date.UTC(2026, 10, n)), id: ID }));
  const spec = (seen: { key?: TimeKey; limit?: number }) => ({
    kind: 'things',
    maxPageSize: 2,
    key: timeKey,
    fetch: async (key: TimeKey | undefined, limit: number) => {
      Object.assign(seen, { key, limit });
      return rows.filter((r) => !key || r.at < key.at).slice(0, limit);
    },
    cursorOf: (r: (typeof rows)[number]) => [r.at.toISOString(), r.id],
    present: (r: (typeof rows)[number]) => r.n,
  });

  it('fetches one row beyond the capped page and issues the cursor of its last row', async () => {
    const seen: { key?: TimeKey; limit?: number } = {};
    const first = await paginate({ limit: 100 }, spec(seen));
    expect(seen).toEqual({ key: undefined, limit: 3 });
    expect(first).toEqual({
      data: [3, 2],
      nextCursor: encodeCursor('things', ['2026-11-02T00:00:00.000Z', ID]),
    });
    const second = await paginate({ cursor: first.nextCursor! }, spec(seen));
    expect(seen.key).toEqual({ at: new Date('2026-11-02T00:00:00.000Z'), id: ID });
    expect(second).toEqual({ data: [1], nextCursor: null });
  });

  it.each([
    ['another listing', encodeCursor('others', ['2026-11-02T00:00:00.000Z', ID])],
    ['a bad timestamp', encodeCursor('things', ['yesterday', ID])],
    ['a bad id', encodeCursor('things', ['2026-11-02T00:00:00.000Z', 'x'])],
  ])('answers a cursor of %s with a 400 before fetching', async (_what, cursor) => {
    const seen: { key?: TimeKey; limit?: number } = {};
    await expect(paginate({ cursor }, spec(seen))).rejects.toBeInstanceOf(ValidationError);
    expect(seen).toEqual({});
  });

  it('decodes bigint keys (the audit log)', () => {
    expect(bigintKey.parse(['42'])).toBe(42n);
    expect(cursorBigInt('123456789012345678')).toBe(123456789012345678n);
    expect(() => cursorBigInt('1e3')).toThrow(ValidationError);
    expect(() => cursorBigInt(7)).toThrow(ValidationError);
  });
});
