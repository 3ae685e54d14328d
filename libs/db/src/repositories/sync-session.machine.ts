import { ConflictError } from '@paysync/errors';

/** Where a sync session is in its life (`payment_sync_sessions.status`). */
export type SyncSessionStatus = 'pending' | 'running' | 'completed' | 'failed' | 'cancelled';

/** What can happen to a sync session, and who makes it happen. */
export type SyncSessionEvent = 'plan' | 'complete' | 'fail' | 'cancel' | 'resume' | 'restart';

export const SYNC_SESSION_STATUSES: readonly SyncSessionStatus[] = [
  'pending',
  'running',
  'completed',
  'failed',
  'cancelled',
];

export const SYNC_SESSION_EVENTS: readonly SyncSessionEvent[] = [
  'plan',
  'complete',
  'fail',
  'cancel',
  'resume',
  'restart',
];

/** A new session (created by the api) starts here. */
export const INITIAL_SESSION_STATUS: SyncSessionStatus = 'pending';

interface Edge {
  readonly from: readonly SyncSessionStatus[];
  readonly to: SyncSessionStatus;
}

/**
 * The sync session state machine: every status change any service makes, as one table.
 *
 * - `plan` (sync-runner): the units are created, work begins.
 * - `complete` (sync-runner): the last unit is done.
 * - `fail` (sync-runner: a permanent unit failure; api: the start command never reached Kafka).
 * - `cancel` (api): a person stopped it; runners see the status between pages.
 * - `resume` (sync-runner, asked by the api or the recovery watchdog): a failed or cancelled
 *   session runs again from its checkpoints; a running but stalled one stays running and gets its
 *   units with expired leases back.
 * - `restart` (api): a new child session (`parentSessionId`) starts from scratch in `pending`; the
 *   parent keeps its status. The connection's one-active-session rule still applies, so a stalled
 *   running parent must be cancelled before it can be restarted.
 *
 * `completed` is final.
 */
const EDGES: Readonly<Record<SyncSessionEvent, Edge>> = {
  plan: { from: ['pending'], to: 'running' },
  complete: { from: ['running'], to: 'completed' },
  fail: { from: ['pending', 'running'], to: 'failed' },
  cancel: { from: ['pending', 'running'], to: 'cancelled' },
  resume: { from: ['running', 'failed', 'cancelled'], to: 'running' },
  restart: { from: ['running', 'failed', 'cancelled'], to: 'pending' },
};

/** Statuses that hold the connection (one such session per connection). */
export const ACTIVE_SESSION_STATUSES: readonly SyncSessionStatus[] = ['pending', 'running'];

/** A status change the state machine does not allow. */
export class IllegalSessionTransitionError extends ConflictError {
  constructor(
    readonly from: SyncSessionStatus,
    readonly event: SyncSessionEvent,
  ) {
    const allowed = EDGES[event].from;
    super(
      'CONFLICT',
      `A ${from} sync session cannot ${event} (only a ${allowed.join(' or ')} one can)`,
      { status: from, event, allowedFrom: [...allowed] },
    );
  }
}

/** The statuses `event` may leave: what a repository puts in its compare-and-set `WHERE`. */
export function sourcesOf(event: SyncSessionEvent): readonly SyncSessionStatus[] {
  return EDGES[event].from;
}

/** Where `event` leads (for `restart`: the new child session's status). */
export function targetOf(event: SyncSessionEvent): SyncSessionStatus {
  return EDGES[event].to;
}

export function canTransition(from: SyncSessionStatus, event: SyncSessionEvent): boolean {
  return EDGES[event].from.includes(from);
}

/** The status after `event`; an illegal change throws IllegalSessionTransitionError. */
export function nextStatus(from: SyncSessionStatus, event: SyncSessionEvent): SyncSessionStatus {
  if (!canTransition(from, event)) throw new IllegalSessionTransitionError(from, event);
  return EDGES[event].to;
}

/** No event leaves it. */
export function isFinal(status: SyncSessionStatus): boolean {
  return SYNC_SESSION_EVENTS.every((event) => !canTransition(status, event));
}
