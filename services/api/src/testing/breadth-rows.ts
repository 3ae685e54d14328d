import type { CanonicalChange, EntityDataMap, EntityType } from '@paysync/contracts';
import { SyncWriteRepository } from '@paysync/db';

import type { ApiHarness } from './api-harness.js';

// Synced rows of the Stripe breadth types (issue 19) for the read API's tests, written through
// the shared write path as canonical changes (independent of the provider mappers).

type BreadthType = Exclude<
  EntityType,
  'customer' | 'product' | 'price' | 'subscription' | 'invoice' | 'payment_transaction'
>;

const at = (iso: string) => new Date(iso);
const created = at('2026-11-01T10:00:00.000Z');
const meta = { team: 'finance' };

/**
 * One object of each breadth type, its parents the `*_read1` objects of `seedReadData`
 * (customer `cus_read1`, subscription `sub_read1`, invoice `in_read1`, payment `pi_read1`).
 */
export const BREADTH_SAMPLES: {
  readonly [E in BreadthType]: { readonly externalId: string; readonly data: EntityDataMap[E] };
} = {
  refund: {
    externalId: 're_read1',
    data: {
      paymentTransactionExternalId: 'pi_read1',
      paymentIntentExternalId: 'pi_read1',
      amount: 500,
      currency: 'usd',
      status: 'succeeded',
      reason: 'requested_by_customer',
      failureReason: null,
      metadata: meta,
      providerCreatedAt: created,
    },
  },
  dispute: {
    externalId: 'dp_read1',
    data: {
      paymentTransactionExternalId: 'pi_read1',
      paymentIntentExternalId: 'pi_read1',
      amount: 2000,
      currency: 'usd',
      status: 'needs_response',
      reason: 'fraudulent',
      evidenceDueBy: at('2026-11-20T00:00:00.000Z'),
      isChargeRefundable: true,
      metadata: meta,
      providerCreatedAt: created,
    },
  },
  credit_note: {
    externalId: 'cn_read1',
    data: {
      customerExternalId: 'cus_read1',
      invoiceExternalId: 'in_read1',
      number: 'CN-0001',
      status: 'issued',
      type: 'post_payment',
      reason: 'duplicate',
      currency: 'usd',
      subtotal: 1000,
      total: 1000,
      amountRefunded: 1000,
      voidedAt: null,
      metadata: meta,
      providerCreatedAt: created,
    },
  },
  coupon: {
    externalId: 'SUMMER25',
    data: {
      name: 'Summer',
      percentOff: 25.5,
      amountOff: null,
      currency: null,
      duration: 'repeating',
      durationInMonths: 3,
      maxRedemptions: 100,
      timesRedeemed: 7,
      redeemBy: at('2026-12-31T00:00:00.000Z'),
      valid: true,
      metadata: meta,
      providerCreatedAt: created,
    },
  },
  promotion_code: {
    externalId: 'promo_read1',
    data: {
      couponExternalId: 'SUMMER25',
      code: 'SUMMER',
      active: true,
      customerExternalId: 'cus_read1',
      maxRedemptions: 10,
      timesRedeemed: 1,
      expiresAt: null,
      metadata: meta,
      providerCreatedAt: created,
    },
  },
  discount: {
    externalId: 'di_read1',
    data: {
      couponExternalId: 'SUMMER25',
      promotionCodeExternalId: 'promo_read1',
      customerExternalId: 'cus_read1',
      subscriptionExternalId: 'sub_read1',
      invoiceExternalId: null,
      start: created,
      end: null,
    },
  },
  payment_method: {
    externalId: 'pm_read1',
    data: {
      customerExternalId: 'cus_read1',
      type: 'card',
      cardBrand: 'visa',
      cardLast4: '4242',
      cardExpMonth: 12,
      cardExpYear: 2030,
      billingEmail: 'read@example.com',
      metadata: meta,
      providerCreatedAt: created,
    },
  },
  subscription_item: {
    externalId: 'si_read1',
    data: {
      subscriptionExternalId: 'sub_read1',
      priceExternalId: 'price_read1',
      productExternalId: 'prod_read1',
      quantity: 3,
      metadata: meta,
      providerCreatedAt: created,
    },
  },
  subscription_schedule: {
    externalId: 'sub_sched_read1',
    data: {
      customerExternalId: 'cus_read1',
      subscriptionExternalId: 'sub_read1',
      status: 'active',
      endBehavior: 'release',
      currentPhaseStart: created,
      currentPhaseEnd: at('2026-12-01T10:00:00.000Z'),
      canceledAt: null,
      completedAt: null,
      releasedAt: null,
      metadata: meta,
      providerCreatedAt: created,
    },
  },
  invoice_line_item: {
    externalId: 'il_read1',
    data: {
      invoiceExternalId: 'in_read1',
      subscriptionExternalId: 'sub_read1',
      priceExternalId: 'price_read1',
      productExternalId: 'prod_read1',
      amount: 3000,
      currency: 'usd',
      quantity: 3,
      description: '3 × Gold',
      periodStart: created,
      periodEnd: at('2026-12-01T10:00:00.000Z'),
      proration: false,
      metadata: meta,
    },
  },
  tax_id: {
    externalId: 'txi_read1',
    data: {
      customerExternalId: 'cus_read1',
      type: 'eu_vat',
      value: 'DE123456789',
      country: 'DE',
      verificationStatus: 'verified',
      providerCreatedAt: created,
    },
  },
  checkout_session: {
    externalId: 'cs_test_read1',
    data: {
      customerExternalId: 'cus_read1',
      subscriptionExternalId: 'sub_read1',
      paymentIntentExternalId: null,
      invoiceExternalId: 'in_read1',
      mode: 'subscription',
      status: 'complete',
      paymentStatus: 'paid',
      currency: 'usd',
      amountSubtotal: 3000,
      amountTotal: 3000,
      expiresAt: at('2026-11-02T10:00:00.000Z'),
      metadata: meta,
      providerCreatedAt: created,
    },
  },
  payout: {
    externalId: 'po_read1',
    data: {
      amount: 125_000,
      currency: 'usd',
      status: 'paid',
      arrivalDate: at('2026-11-03T00:00:00.000Z'),
      method: 'standard',
      type: 'bank_account',
      balanceTransactionExternalId: 'txn_read1',
      failureCode: null,
      failureMessage: null,
      metadata: meta,
      providerCreatedAt: created,
    },
  },
  balance_transaction: {
    externalId: 'txn_read1',
    data: {
      amount: -125_000,
      fee: 0,
      net: -125_000,
      currency: 'usd',
      type: 'payout',
      status: 'available',
      reportingCategory: 'payout',
      sourceExternalId: 'po_read1',
      availableOn: at('2026-11-03T00:00:00.000Z'),
      description: 'STRIPE PAYOUT',
      providerCreatedAt: created,
    },
  },
  early_fraud_warning: {
    externalId: 'issfr_read1',
    data: {
      paymentTransactionExternalId: 'pi_read1',
      paymentIntentExternalId: 'pi_read1',
      fraudType: 'made_with_stolen_card',
      actionable: true,
      providerCreatedAt: created,
    },
  },
  review: {
    externalId: 'prv_read1',
    data: {
      paymentTransactionExternalId: 'pi_read1',
      paymentIntentExternalId: 'pi_read1',
      open: true,
      reason: 'rule',
      openedReason: 'rule',
      closedReason: null,
      providerCreatedAt: created,
    },
  },
  setup_intent: {
    externalId: 'seti_read1',
    data: {
      customerExternalId: 'cus_read1',
      paymentMethodExternalId: 'pm_read1',
      status: 'succeeded',
      usage: 'off_session',
      metadata: meta,
      providerCreatedAt: created,
    },
  },
};

/** The breadth types, in ENTITY_TYPES order. */
export const BREADTH_TYPES = Object.keys(BREADTH_SAMPLES) as BreadthType[];

/** The sample of `entityType` as a webhook change of `workspaceId` (`overrides` on top). */
export function breadthChange<E extends BreadthType>(
  workspaceId: string,
  entityType: E,
  overrides: {
    readonly externalId?: string;
    readonly accountId?: string | null;
    readonly deleted?: boolean;
    readonly data?: Partial<EntityDataMap[E]>;
  } = {},
): CanonicalChange {
  const sample = BREADTH_SAMPLES[entityType];
  const externalId = overrides.externalId ?? sample.externalId;
  return {
    workspaceId,
    provider: 'stripe',
    entityType,
    externalId,
    version: 1_764_000_000_000,
    deleted: overrides.deleted ?? false,
    data: { ...sample.data, ...overrides.data },
    raw: { id: externalId, object: entityType },
    livemode: false,
    accountId: overrides.accountId ?? null,
    source: 'webhook',
  } as CanonicalChange;
}

/** Writes one row of every breadth type to `workspaceId` (plus `extra` changes). */
export async function seedBreadthRows(
  h: ApiHarness,
  workspaceId: string,
  extra: readonly CanonicalChange[] = [],
): Promise<void> {
  await new SyncWriteRepository({ prisma: h.prisma }).applyChanges([
    ...BREADTH_TYPES.map((t) => breadthChange(workspaceId, t)),
    ...extra,
  ]);
}
