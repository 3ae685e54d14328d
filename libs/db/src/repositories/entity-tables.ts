import type { EntityDataMap, EntityType } from '@paysync/contracts';

/** One canonical column of a synced table: its name, PostgreSQL array type and how to read it. */
export interface CanonicalColumn<E extends EntityType> {
  readonly column: string;
  /** Element type for `unnest($n::<type>[])`. */
  readonly pgType: 'text' | 'bigint' | 'integer' | 'boolean' | 'timestamptz' | 'jsonb';
  readonly get: (data: EntityDataMap[E]) => unknown;
}

export interface EntityTable<E extends EntityType> {
  readonly table: string;
  readonly columns: readonly CanonicalColumn<E>[];
}

const col = <E extends EntityType>(
  column: string,
  pgType: CanonicalColumn<E>['pgType'],
  get: (data: EntityDataMap[E]) => unknown,
): CanonicalColumn<E> => ({ column, pgType, get });

/** The canonical columns of every synced table, in one place for the write path and the checks. */
export const ENTITY_TABLES: { readonly [E in EntityType]: EntityTable<E> } = {
  customer: {
    table: 'customers',
    columns: [
      col('email', 'text', (d) => d.email),
      col('name', 'text', (d) => d.name),
      col('phone', 'text', (d) => d.phone),
      col('description', 'text', (d) => d.description),
      col('currency', 'text', (d) => d.currency),
      col('balance', 'bigint', (d) => d.balance),
      col('delinquent', 'boolean', (d) => d.delinquent),
      col('metadata', 'jsonb', (d) => d.metadata),
      col('provider_created_at', 'timestamptz', (d) => d.providerCreatedAt),
    ],
  },
  product: {
    table: 'products',
    columns: [
      col('name', 'text', (d) => d.name),
      col('description', 'text', (d) => d.description),
      col('active', 'boolean', (d) => d.active),
      col('metadata', 'jsonb', (d) => d.metadata),
      col('provider_created_at', 'timestamptz', (d) => d.providerCreatedAt),
    ],
  },
  price: {
    table: 'prices',
    columns: [
      col('product_external_id', 'text', (d) => d.productExternalId),
      col('active', 'boolean', (d) => d.active),
      col('currency', 'text', (d) => d.currency),
      col('unit_amount', 'bigint', (d) => d.unitAmount),
      col('type', 'text', (d) => d.type),
      col('recurring_interval', 'text', (d) => d.recurringInterval),
      col('recurring_interval_count', 'integer', (d) => d.recurringIntervalCount),
      col('nickname', 'text', (d) => d.nickname),
      col('lookup_key', 'text', (d) => d.lookupKey),
      col('metadata', 'jsonb', (d) => d.metadata),
      col('provider_created_at', 'timestamptz', (d) => d.providerCreatedAt),
    ],
  },
  subscription: {
    table: 'subscriptions',
    columns: [
      col('customer_external_id', 'text', (d) => d.customerExternalId),
      col('status', 'text', (d) => d.status),
      col('items', 'jsonb', (d) => d.items),
      col('currency', 'text', (d) => d.currency),
      col('current_period_start', 'timestamptz', (d) => d.currentPeriodStart),
      col('current_period_end', 'timestamptz', (d) => d.currentPeriodEnd),
      col('cancel_at_period_end', 'boolean', (d) => d.cancelAtPeriodEnd),
      col('canceled_at', 'timestamptz', (d) => d.canceledAt),
      col('ended_at', 'timestamptz', (d) => d.endedAt),
      col('trial_start', 'timestamptz', (d) => d.trialStart),
      col('trial_end', 'timestamptz', (d) => d.trialEnd),
      col('metadata', 'jsonb', (d) => d.metadata),
      col('provider_created_at', 'timestamptz', (d) => d.providerCreatedAt),
    ],
  },
  invoice: {
    table: 'invoices',
    columns: [
      col('customer_external_id', 'text', (d) => d.customerExternalId),
      col('subscription_external_id', 'text', (d) => d.subscriptionExternalId),
      col('status', 'text', (d) => d.status),
      col('number', 'text', (d) => d.number),
      col('currency', 'text', (d) => d.currency),
      col('amount_due', 'bigint', (d) => d.amountDue),
      col('amount_paid', 'bigint', (d) => d.amountPaid),
      col('amount_remaining', 'bigint', (d) => d.amountRemaining),
      col('subtotal', 'bigint', (d) => d.subtotal),
      col('total', 'bigint', (d) => d.total),
      col('due_date', 'timestamptz', (d) => d.dueDate),
      col('paid_at', 'timestamptz', (d) => d.paidAt),
      col('period_start', 'timestamptz', (d) => d.periodStart),
      col('period_end', 'timestamptz', (d) => d.periodEnd),
      col('hosted_invoice_url', 'text', (d) => d.hostedInvoiceUrl),
      col('metadata', 'jsonb', (d) => d.metadata),
      col('provider_created_at', 'timestamptz', (d) => d.providerCreatedAt),
    ],
  },
  payment_transaction: {
    table: 'payment_transactions',
    columns: [
      col('kind', 'text', (d) => d.kind),
      col('status', 'text', (d) => d.status),
      col('amount', 'bigint', (d) => d.amount),
      col('amount_refunded', 'bigint', (d) => d.amountRefunded),
      col('currency', 'text', (d) => d.currency),
      col('customer_external_id', 'text', (d) => d.customerExternalId),
      col('invoice_external_id', 'text', (d) => d.invoiceExternalId),
      col('payment_method_type', 'text', (d) => d.paymentMethodType),
      col('failure_code', 'text', (d) => d.failureCode),
      col('failure_message', 'text', (d) => d.failureMessage),
      col('metadata', 'jsonb', (d) => d.metadata),
      col('provider_created_at', 'timestamptz', (d) => d.providerCreatedAt),
    ],
  },
};

/** Columns every synced table has besides its canonical ones (written by the write path). */
export const SYNC_COLUMNS = [
  'workspace_id',
  'provider',
  'external_id',
  'source_version',
  'raw',
  'last_event_id',
  'synced_via',
  'livemode',
  'deleted_at',
] as const;
