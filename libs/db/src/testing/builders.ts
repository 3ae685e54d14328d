import { randomUUID } from 'node:crypto';

import type { CanonicalChange, CanonicalCustomer, CanonicalProduct } from '@paysync/contracts';

import type { EventRecord } from '../repositories/sync-write.repository.js';

const T0 = Date.UTC(2026, 10, 1);

export function aCustomerData(overrides: Partial<CanonicalCustomer> = {}): CanonicalCustomer {
  return {
    email: 'jenny@example.com',
    name: 'Jenny Rosen',
    phone: null,
    description: null,
    currency: 'usd',
    balance: 0,
    delinquent: false,
    metadata: {},
    providerCreatedAt: new Date(T0),
    ...overrides,
  };
}

/** A customer change with sensible defaults; `version` defaults to a fixed instant. */
export function aCustomerChange(
  overrides: Partial<Omit<CanonicalChange<'customer'>, 'entityType'>> & { workspaceId: string },
): CanonicalChange<'customer'> {
  const externalId = overrides.externalId ?? `cus_${randomUUID().slice(0, 12)}`;
  const data = overrides.data === undefined ? aCustomerData() : overrides.data;
  return {
    provider: 'stripe',
    entityType: 'customer',
    externalId,
    version: T0,
    deleted: false,
    data,
    raw: { id: externalId, object: 'customer', ...(data ?? { deleted: true }) },
    livemode: false,
    source: 'webhook',
    ...overrides,
  };
}

export function aProductChange(
  overrides: Partial<Omit<CanonicalChange<'product'>, 'entityType'>> & { workspaceId: string },
): CanonicalChange<'product'> {
  const externalId = overrides.externalId ?? `prod_${randomUUID().slice(0, 12)}`;
  const data: CanonicalProduct = {
    name: 'Gold plan',
    description: null,
    active: true,
    metadata: {},
    providerCreatedAt: new Date(T0),
  };
  return {
    provider: 'stripe',
    entityType: 'product',
    externalId,
    version: T0,
    deleted: false,
    data,
    raw: { id: externalId, object: 'product', name: data.name },
    livemode: false,
    source: 'backfill',
    ...overrides,
  };
}

export function anEvent(overrides: Partial<EventRecord> & { workspaceId: string }): EventRecord {
  return {
    provider: 'stripe',
    providerEventId: `evt_${randomUUID().replaceAll('-', '').slice(0, 20)}`,
    eventType: 'customer.updated',
    source: 'webhook',
    payload: { object: 'event' },
    ...overrides,
  };
}
