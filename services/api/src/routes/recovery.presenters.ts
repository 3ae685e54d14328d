import type { Static } from '@sinclair/typebox';

import type { ReconciliationView } from '@paysync/db';

import type { RecoveryHealth } from '../modules/recovery/recovery-health.service.js';
import type { EntityDrift } from './recovery.schemas.js';

const iso = (d: Date | null) => d?.toISOString() ?? null;

/** A reconciliation with its drift totals summed over the entity types. */
export function presentReconciliation(r: ReconciliationView) {
  const drifts = Object.values(r.report);
  const sum = (k: 'missing' | 'stale' | 'deleted' | 'repaired') =>
    drifts.reduce((n, d) => n + (d?.[k] ?? 0), 0);
  return {
    ...r,
    entityTypes: [...r.entityTypes],
    report: r.report as unknown as Record<string, Static<typeof EntityDrift>>,
    totals: {
      missing: sum('missing'),
      stale: sum('stale'),
      deleted: sum('deleted'),
      repaired: sum('repaired'),
    },
    createdAt: r.createdAt.toISOString(),
    startedAt: iso(r.startedAt),
    finishedAt: iso(r.finishedAt),
  };
}

/** The recovery service's health with each loop named and dated. */
export function presentRecoveryHealth(health: RecoveryHealth) {
  return {
    ...health,
    components: health.components.map((c) => ({
      name: c.component,
      lastSuccessAt: iso(c.lastSuccessAt),
      lastFailureAt: iso(c.lastFailureAt),
      ...(c.lastError !== undefined && { lastError: c.lastError }),
      healthy: c.healthy,
      ...(c.details !== undefined && { details: c.details }),
    })),
  };
}
