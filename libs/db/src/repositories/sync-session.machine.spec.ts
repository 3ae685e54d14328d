import { ConflictError } from '@paysync/errors';

import {
  ACTIVE_SESSION_STATUSES,
  IllegalSessionTransitionError,
  SYNC_SESSION_EVENTS,
  SYNC_SESSION_STATUSES,
  canTransition,
  isFinal,
  nextStatus,
  sourcesOf,
  targetOf,
  type SyncSessionEvent,
  type SyncSessionStatus,
} from './sync-session.machine.js';

// The whole table, written out once more by hand: a change to the machine must change this too.
const LEGAL: readonly [SyncSessionStatus, SyncSessionEvent, SyncSessionStatus][] = [
  ['pending', 'plan', 'running'],
  ['running', 'complete', 'completed'],
  ['pending', 'fail', 'failed'],
  ['running', 'fail', 'failed'],
  ['pending', 'cancel', 'cancelled'],
  ['running', 'cancel', 'cancelled'],
  ['failed', 'resume', 'running'],
  ['cancelled', 'resume', 'running'],
  ['running', 'resume', 'running'],
  ['failed', 'restart', 'pending'],
  ['cancelled', 'restart', 'pending'],
  ['running', 'restart', 'pending'],
];

const isLegal = (from: SyncSessionStatus, event: SyncSessionEvent) =>
  LEGAL.some(([f, e]) => f === from && e === event);

const ILLEGAL = SYNC_SESSION_STATUSES.flatMap((from) =>
  SYNC_SESSION_EVENTS.filter((event) => !isLegal(from, event)).map(
    (event) => [from, event] as const,
  ),
);

describe('sync session state machine', () => {
  it.each(LEGAL)('%s --%s--> %s', (from, event, to) => {
    expect(canTransition(from, event)).toBe(true);
    expect(nextStatus(from, event)).toBe(to);
    expect(sourcesOf(event)).toContain(from);
    expect(targetOf(event)).toBe(to);
  });

  it.each(ILLEGAL)('refuses %s --%s-->', (from, event) => {
    expect(canTransition(from, event)).toBe(false);
    expect(sourcesOf(event)).not.toContain(from);
    expect(() => nextStatus(from, event)).toThrow(IllegalSessionTransitionError);
  });

  it('covers every status and event: 12 legal edges, 18 refused', () => {
    expect(LEGAL).toHaveLength(12);
    expect(ILLEGAL).toHaveLength(SYNC_SESSION_STATUSES.length * SYNC_SESSION_EVENTS.length - 12);
    expect(ILLEGAL).toHaveLength(18);
  });

  it('says what was refused and from where the event is allowed, as a 409 CONFLICT', () => {
    let caught: unknown;
    try {
      nextStatus('completed', 'resume');
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(ConflictError);
    expect(caught).toMatchObject({
      status: 409,
      code: 'CONFLICT',
      message:
        'A completed sync session cannot resume (only a running or failed or cancelled one can)',
      details: {
        status: 'completed',
        event: 'resume',
        allowedFrom: ['running', 'failed', 'cancelled'],
      },
      from: 'completed',
      event: 'resume',
    });
  });

  it('ends only in completed; pending and running are the active statuses', () => {
    expect(SYNC_SESSION_STATUSES.filter(isFinal)).toEqual(['completed']);
    expect(ACTIVE_SESSION_STATUSES).toEqual(['pending', 'running']);
    expect(sourcesOf('cancel')).toEqual(ACTIVE_SESSION_STATUSES);
  });
});
