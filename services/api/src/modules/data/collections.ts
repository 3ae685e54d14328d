import type { EntityType } from '@paysync/contracts';
import { ENTITY_TABLES } from '@paysync/db';

/**
 * The read API's collections: URL segment → entity type, one per synced entity type
 * (`data-breadth.int.spec.ts` checks that none is left out).
 */
export const DATA_COLLECTIONS: Readonly<Record<string, EntityType>> = {
  customers: 'customer',
  products: 'product',
  prices: 'price',
  subscriptions: 'subscription',
  invoices: 'invoice',
  'payment-transactions': 'payment_transaction',
  // Stripe breadth (issue 19).
  refunds: 'refund',
  disputes: 'dispute',
  'credit-notes': 'credit_note',
  coupons: 'coupon',
  'promotion-codes': 'promotion_code',
  discounts: 'discount',
  'payment-methods': 'payment_method',
  'subscription-items': 'subscription_item',
  'subscription-schedules': 'subscription_schedule',
  'invoice-line-items': 'invoice_line_item',
  'tax-ids': 'tax_id',
  'checkout-sessions': 'checkout_session',
  payouts: 'payout',
  'balance-transactions': 'balance_transaction',
  'early-fraud-warnings': 'early_fraud_warning',
  reviews: 'review',
  'setup-intents': 'setup_intent',
};

/**
 * Parent-id columns a collection can be filtered by (`?customerExternalId=cus_…`), where its table
 * has them: the parents people join on (a customer's invoices, an invoice's lines, a
 * subscription's items, a payment's refunds and disputes).
 */
const PARENT_COLUMNS = [
  'customer_external_id',
  'invoice_external_id',
  'subscription_external_id',
  'payment_transaction_external_id',
] as const;
export type ParentColumn = (typeof PARENT_COLUMNS)[number];

/** The parent-id columns of `entityType`'s table, with their query names (camelCase). */
export function parentFilters(
  entityType: EntityType,
): readonly { readonly column: ParentColumn; readonly query: string }[] {
  const columns = new Set(ENTITY_TABLES[entityType].columns.map((c) => c.column));
  return PARENT_COLUMNS.filter((c) => columns.has(c)).map((column) => ({
    column,
    query: column.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase()),
  }));
}
