import type {
  DeadLetterStats,
  EventDetail,
  EventSummary,
} from '../modules/events/event-log.repository.js';
import type { ReplayItem } from '../modules/events/replay.service.js';

/** An event log row as the API shows it (dates as ISO strings). */
export function presentEvent(e: EventSummary) {
  return {
    ...e,
    providerCreatedAt: e.providerCreatedAt?.toISOString() ?? null,
    receivedAt: e.receivedAt.toISOString(),
    processedAt: e.processedAt?.toISOString() ?? null,
  };
}

/** One event; its payload only when it was asked for. */
export function presentEventDetail(e: EventDetail) {
  return { ...presentEvent(e), ...('payload' in e && { payload: e.payload }) };
}

/** Dead-letter stats with the oldest dead letter's age (seconds) as of `now`. */
export function presentDeadLetterStats(stats: DeadLetterStats, now: number) {
  const { oldestDeadReceivedAt, ...rest } = stats;
  return {
    ...rest,
    oldestDeadAgeSeconds: oldestDeadReceivedAt
      ? Math.max(0, Math.round((now - oldestDeadReceivedAt.getTime()) / 1000))
      : null,
  };
}

/** A replay's outcome; `replayed` counts the events actually sent back through the pipeline. */
export function presentReplay(
  dryRun: boolean,
  result: { readonly matched: number; readonly items: ReplayItem[] },
) {
  const replayed = result.items.filter((i) => i.outcome === 'replayed').length;
  return { dryRun, matched: result.matched, replayed, items: result.items };
}
