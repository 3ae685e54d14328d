import { ValidationError } from '@paysync/errors';

import { timeKey, type TimeKey } from '../http/pagination.js';
import { presentEvent } from './events.presenters.js';

import type { EventSummary } from '../modules/events/event-log.repository.js';

/** The paging of an event listing: newest first, keyed by (receivedAt, id). */
export function newestFirst(kind: string, maxPageSize: number) {
  return {
    kind,
    maxPageSize,
    key: timeKey,
    cursorOf: (e: EventSummary) => [e.receivedAt.toISOString(), e.id],
    present: presentEvent,
  };
}

/** The keyset filter for the page after `key` (receivedAt desc, id desc). */
export function olderThan(key: TimeKey | undefined) {
  return key && { before: { receivedAt: key.at, id: key.id } };
}

/** A received-at range as dates (either end optional). */
export function receivedBounds(from: string | undefined, to: string | undefined) {
  return {
    receivedFrom: from ? new Date(from) : undefined,
    receivedTo: to ? new Date(to) : undefined,
  };
}

/** The received-at range of a listing; an inverted range is a 400. */
export function receivedRange(from: string | undefined, to: string | undefined) {
  const { receivedFrom, receivedTo } = receivedBounds(from, to);
  if (receivedFrom && receivedTo && receivedFrom > receivedTo) {
    throw new ValidationError('receivedFrom is after receivedTo', [
      { path: 'querystring/receivedFrom', message: 'must not be after receivedTo' },
    ]);
  }
  return { receivedFrom, receivedTo };
}
