import type { SyncSessionView } from '@paysync/db';
import type { ProviderInfo } from '@paysync/providers';

const iso = (d: Date | null) => d?.toISOString() ?? null;

/** A session with ISO dates and its duration so far (to `now` while it runs). */
export function presentSession(s: SyncSessionView, now: Date = new Date()) {
  return {
    ...s,
    entityTypes: [...s.entityTypes],
    createdAt: s.createdAt.toISOString(),
    updatedAt: s.updatedAt.toISOString(),
    startedAt: iso(s.startedAt),
    finishedAt: iso(s.finishedAt),
    lastProgressAt: iso(s.lastProgressAt),
    durationMs: s.startedAt ? (s.finishedAt ?? now).getTime() - s.startedAt.getTime() : null,
  };
}

/** A provider of the catalog with what paysync can sync for it. */
export function presentProvider(p: ProviderInfo) {
  return {
    name: p.name,
    supported: p.supported,
    capabilities: p.capabilities && {
      entityTypes: [...p.capabilities.entityTypes],
      eventTypes: [...p.capabilities.eventTypes],
      defaultRateLimitPerSecond: { ...p.capabilities.defaultRateLimitPerSecond },
      rateBudget: {
        test: { ...p.capabilities.rateBudget.test },
        live: { ...p.capabilities.rateBudget.live },
      },
      webhookSetup: p.capabilities.webhookSetup,
    },
  };
}
