-- The read API reads synced data under `SET LOCAL ROLE paysync_tenant` (TenantScope; see
-- 20261127051500_tenant_rls): the Stripe breadth tables (20261129095958_stripe_breadth) need the
-- same SELECT grant as customers … payment_transactions, or every read of them is refused
-- (permission denied). Row-level security still limits the role to the scope's workspace.
GRANT SELECT ON "refunds", "disputes", "credit_notes", "coupons", "promotion_codes", "discounts",
  "payment_methods", "subscription_items", "subscription_schedules", "invoice_line_items",
  "tax_ids", "checkout_sessions", "payouts", "balance_transactions", "early_fraud_warnings",
  "reviews", "setup_intents" TO paysync_tenant;
