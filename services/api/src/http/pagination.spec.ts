import { ValidationError } from '@paysync/errors';

import {
  cursorDate,
  cursorUuid,
  decodeCursor,
  encodeCursor,
  pageSize,
  toPage,
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
