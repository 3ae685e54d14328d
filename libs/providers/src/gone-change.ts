import type { CanonicalChange, EntityType, ProviderName } from '@paysync/contracts';

import type { ChangeContext } from './billing-provider.js';

/** A retrieve's 404: the object is gone at the provider, a tombstone at the time we learned it. */
export function goneChange(
  ctx: ChangeContext,
  target: {
    readonly provider: ProviderName;
    readonly entityType: EntityType;
    readonly externalId: string;
    readonly livemode: boolean;
  },
): CanonicalChange {
  const { provider, entityType, externalId, livemode } = target;
  return {
    workspaceId: ctx.workspaceId,
    provider,
    entityType,
    externalId,
    version: Date.now(),
    deleted: true,
    data: null,
    raw: { id: externalId, deleted: true },
    livemode,
    source: ctx.source,
  } as CanonicalChange;
}
