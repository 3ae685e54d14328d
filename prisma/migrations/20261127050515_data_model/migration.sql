-- CreateEnum
CREATE TYPE "payment_provider" AS ENUM ('stripe', 'chargebee');

-- CreateEnum
CREATE TYPE "provider_mode" AS ENUM ('test', 'live');

-- CreateEnum
CREATE TYPE "sync_session_status" AS ENUM ('pending', 'running', 'completed', 'failed', 'cancelled');

-- CreateEnum
CREATE TYPE "sync_event_status" AS ENUM ('received', 'processed', 'skipped_duplicate', 'skipped_stale', 'ignored', 'failed', 'dead');

-- CreateEnum
CREATE TYPE "sync_source" AS ENUM ('webhook', 'backfill', 'reconcile', 'replay');

-- AlterTable
ALTER TABLE "workspaces" ALTER COLUMN "id" SET DEFAULT gen_random_uuid();

-- CreateTable
CREATE TABLE "workspace_api_keys" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "workspace_id" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "lookup" TEXT NOT NULL,
    "key_hash" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "last_used_at" TIMESTAMPTZ(3),
    "revoked_at" TIMESTAMPTZ(3),

    CONSTRAINT "workspace_api_keys_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "workspace_payment_configurations" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "workspace_id" UUID NOT NULL,
    "provider" "payment_provider" NOT NULL,
    "mode" "provider_mode" NOT NULL,
    "api_key_ciphertext" TEXT NOT NULL,
    "api_key_hint" TEXT NOT NULL,
    "webhook_secrets_ciphertext" TEXT[],
    "settings" JSONB NOT NULL DEFAULT '{}',
    "is_active" BOOLEAN NOT NULL DEFAULT true,
    "provider_account_id" TEXT,
    "webhook_endpoint_id" TEXT,
    "last_test_at" TIMESTAMPTZ(3),
    "last_test_ok" BOOLEAN,
    "last_test_error" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "workspace_payment_configurations_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "workspace_provider_accounts" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "provider" "payment_provider" NOT NULL,
    "provider_account_id" TEXT NOT NULL,
    "workspace_id" UUID NOT NULL,
    "configuration_id" UUID NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "workspace_provider_accounts_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "payment_sync_sessions" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "workspace_id" UUID NOT NULL,
    "configuration_id" UUID,
    "provider" "payment_provider" NOT NULL,
    "status" "sync_session_status" NOT NULL DEFAULT 'pending',
    "entity_types" TEXT[],
    "progress" JSONB NOT NULL DEFAULT '{}',
    "parent_session_id" UUID,
    "error" JSONB,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,
    "started_at" TIMESTAMPTZ(3),
    "finished_at" TIMESTAMPTZ(3),
    "last_progress_at" TIMESTAMPTZ(3),

    CONSTRAINT "payment_sync_sessions_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "payment_sync_events" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "workspace_id" UUID NOT NULL,
    "provider" "payment_provider" NOT NULL,
    "provider_event_id" TEXT NOT NULL,
    "event_type" TEXT NOT NULL,
    "status" "sync_event_status" NOT NULL DEFAULT 'received',
    "source" "sync_source" NOT NULL,
    "object_type" TEXT,
    "object_id" TEXT,
    "attempts" INTEGER NOT NULL DEFAULT 1,
    "last_error" TEXT,
    "error_class" TEXT,
    "payload" JSONB NOT NULL,
    "provider_created_at" TIMESTAMPTZ(3),
    "received_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "processed_at" TIMESTAMPTZ(3),

    CONSTRAINT "payment_sync_events_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "customers" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "workspace_id" UUID NOT NULL,
    "provider" "payment_provider" NOT NULL,
    "external_id" TEXT NOT NULL,
    "email" TEXT,
    "name" TEXT,
    "phone" TEXT,
    "description" TEXT,
    "currency" CHAR(3),
    "balance" BIGINT,
    "delinquent" BOOLEAN,
    "metadata" JSONB NOT NULL DEFAULT '{}',
    "provider_created_at" TIMESTAMPTZ(3),
    "raw" JSONB NOT NULL,
    "source_version" BIGINT NOT NULL,
    "last_event_id" TEXT,
    "synced_via" "sync_source" NOT NULL,
    "livemode" BOOLEAN NOT NULL,
    "deleted_at" TIMESTAMPTZ(3),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "customers_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "products" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "workspace_id" UUID NOT NULL,
    "provider" "payment_provider" NOT NULL,
    "external_id" TEXT NOT NULL,
    "name" TEXT,
    "description" TEXT,
    "active" BOOLEAN,
    "metadata" JSONB NOT NULL DEFAULT '{}',
    "provider_created_at" TIMESTAMPTZ(3),
    "raw" JSONB NOT NULL,
    "source_version" BIGINT NOT NULL,
    "last_event_id" TEXT,
    "synced_via" "sync_source" NOT NULL,
    "livemode" BOOLEAN NOT NULL,
    "deleted_at" TIMESTAMPTZ(3),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "products_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "prices" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "workspace_id" UUID NOT NULL,
    "provider" "payment_provider" NOT NULL,
    "external_id" TEXT NOT NULL,
    "product_external_id" TEXT,
    "active" BOOLEAN,
    "currency" CHAR(3),
    "unit_amount" BIGINT,
    "type" TEXT,
    "recurring_interval" TEXT,
    "recurring_interval_count" INTEGER,
    "nickname" TEXT,
    "lookup_key" TEXT,
    "metadata" JSONB NOT NULL DEFAULT '{}',
    "provider_created_at" TIMESTAMPTZ(3),
    "raw" JSONB NOT NULL,
    "source_version" BIGINT NOT NULL,
    "last_event_id" TEXT,
    "synced_via" "sync_source" NOT NULL,
    "livemode" BOOLEAN NOT NULL,
    "deleted_at" TIMESTAMPTZ(3),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "prices_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "subscriptions" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "workspace_id" UUID NOT NULL,
    "provider" "payment_provider" NOT NULL,
    "external_id" TEXT NOT NULL,
    "customer_external_id" TEXT,
    "status" TEXT,
    "items" JSONB NOT NULL DEFAULT '[]',
    "currency" CHAR(3),
    "current_period_start" TIMESTAMPTZ(3),
    "current_period_end" TIMESTAMPTZ(3),
    "cancel_at_period_end" BOOLEAN,
    "canceled_at" TIMESTAMPTZ(3),
    "ended_at" TIMESTAMPTZ(3),
    "trial_start" TIMESTAMPTZ(3),
    "trial_end" TIMESTAMPTZ(3),
    "metadata" JSONB NOT NULL DEFAULT '{}',
    "provider_created_at" TIMESTAMPTZ(3),
    "raw" JSONB NOT NULL,
    "source_version" BIGINT NOT NULL,
    "last_event_id" TEXT,
    "synced_via" "sync_source" NOT NULL,
    "livemode" BOOLEAN NOT NULL,
    "deleted_at" TIMESTAMPTZ(3),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "subscriptions_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "invoices" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "workspace_id" UUID NOT NULL,
    "provider" "payment_provider" NOT NULL,
    "external_id" TEXT NOT NULL,
    "customer_external_id" TEXT,
    "subscription_external_id" TEXT,
    "status" TEXT,
    "number" TEXT,
    "currency" CHAR(3),
    "amount_due" BIGINT,
    "amount_paid" BIGINT,
    "amount_remaining" BIGINT,
    "subtotal" BIGINT,
    "total" BIGINT,
    "due_date" TIMESTAMPTZ(3),
    "paid_at" TIMESTAMPTZ(3),
    "period_start" TIMESTAMPTZ(3),
    "period_end" TIMESTAMPTZ(3),
    "hosted_invoice_url" TEXT,
    "metadata" JSONB NOT NULL DEFAULT '{}',
    "provider_created_at" TIMESTAMPTZ(3),
    "raw" JSONB NOT NULL,
    "source_version" BIGINT NOT NULL,
    "last_event_id" TEXT,
    "synced_via" "sync_source" NOT NULL,
    "livemode" BOOLEAN NOT NULL,
    "deleted_at" TIMESTAMPTZ(3),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "invoices_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "payment_transactions" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "workspace_id" UUID NOT NULL,
    "provider" "payment_provider" NOT NULL,
    "external_id" TEXT NOT NULL,
    "kind" TEXT,
    "status" TEXT,
    "amount" BIGINT,
    "amount_refunded" BIGINT,
    "currency" CHAR(3),
    "customer_external_id" TEXT,
    "invoice_external_id" TEXT,
    "payment_method_type" TEXT,
    "failure_code" TEXT,
    "failure_message" TEXT,
    "metadata" JSONB NOT NULL DEFAULT '{}',
    "provider_created_at" TIMESTAMPTZ(3),
    "raw" JSONB NOT NULL,
    "source_version" BIGINT NOT NULL,
    "last_event_id" TEXT,
    "synced_via" "sync_source" NOT NULL,
    "livemode" BOOLEAN NOT NULL,
    "deleted_at" TIMESTAMPTZ(3),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "payment_transactions_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "workspace_api_keys_lookup_key" ON "workspace_api_keys"("lookup");

-- CreateIndex
CREATE INDEX "workspace_api_keys_workspace_id_idx" ON "workspace_api_keys"("workspace_id");

-- CreateIndex
CREATE INDEX "workspace_payment_configurations_workspace_id_provider_idx" ON "workspace_payment_configurations"("workspace_id", "provider");

-- CreateIndex
CREATE INDEX "workspace_provider_accounts_workspace_id_idx" ON "workspace_provider_accounts"("workspace_id");

-- CreateIndex
CREATE UNIQUE INDEX "workspace_provider_accounts_provider_provider_account_id_key" ON "workspace_provider_accounts"("provider", "provider_account_id");

-- CreateIndex
CREATE INDEX "payment_sync_sessions_workspace_id_status_created_at_idx" ON "payment_sync_sessions"("workspace_id", "status", "created_at");

-- CreateIndex
CREATE INDEX "payment_sync_events_workspace_id_status_received_at_idx" ON "payment_sync_events"("workspace_id", "status", "received_at");

-- CreateIndex
CREATE UNIQUE INDEX "payment_sync_events_workspace_id_provider_provider_event_id_key" ON "payment_sync_events"("workspace_id", "provider", "provider_event_id");

-- CreateIndex
CREATE INDEX "customers_workspace_id_updated_at_id_idx" ON "customers"("workspace_id", "updated_at", "id");

-- CreateIndex
CREATE UNIQUE INDEX "customers_workspace_id_provider_external_id_key" ON "customers"("workspace_id", "provider", "external_id");

-- CreateIndex
CREATE INDEX "products_workspace_id_updated_at_id_idx" ON "products"("workspace_id", "updated_at", "id");

-- CreateIndex
CREATE UNIQUE INDEX "products_workspace_id_provider_external_id_key" ON "products"("workspace_id", "provider", "external_id");

-- CreateIndex
CREATE INDEX "prices_workspace_id_updated_at_id_idx" ON "prices"("workspace_id", "updated_at", "id");

-- CreateIndex
CREATE INDEX "prices_workspace_id_provider_product_external_id_idx" ON "prices"("workspace_id", "provider", "product_external_id");

-- CreateIndex
CREATE UNIQUE INDEX "prices_workspace_id_provider_external_id_key" ON "prices"("workspace_id", "provider", "external_id");

-- CreateIndex
CREATE INDEX "subscriptions_workspace_id_updated_at_id_idx" ON "subscriptions"("workspace_id", "updated_at", "id");

-- CreateIndex
CREATE INDEX "subscriptions_workspace_id_provider_customer_external_id_idx" ON "subscriptions"("workspace_id", "provider", "customer_external_id");

-- CreateIndex
CREATE UNIQUE INDEX "subscriptions_workspace_id_provider_external_id_key" ON "subscriptions"("workspace_id", "provider", "external_id");

-- CreateIndex
CREATE INDEX "invoices_workspace_id_updated_at_id_idx" ON "invoices"("workspace_id", "updated_at", "id");

-- CreateIndex
CREATE INDEX "invoices_workspace_id_provider_customer_external_id_idx" ON "invoices"("workspace_id", "provider", "customer_external_id");

-- CreateIndex
CREATE UNIQUE INDEX "invoices_workspace_id_provider_external_id_key" ON "invoices"("workspace_id", "provider", "external_id");

-- CreateIndex
CREATE INDEX "payment_transactions_workspace_id_updated_at_id_idx" ON "payment_transactions"("workspace_id", "updated_at", "id");

-- CreateIndex
CREATE INDEX "payment_transactions_workspace_id_provider_customer_externa_idx" ON "payment_transactions"("workspace_id", "provider", "customer_external_id");

-- CreateIndex
CREATE UNIQUE INDEX "payment_transactions_workspace_id_provider_external_id_key" ON "payment_transactions"("workspace_id", "provider", "external_id");

-- AddForeignKey
ALTER TABLE "workspace_api_keys" ADD CONSTRAINT "workspace_api_keys_workspace_id_fkey" FOREIGN KEY ("workspace_id") REFERENCES "workspaces"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "workspace_payment_configurations" ADD CONSTRAINT "workspace_payment_configurations_workspace_id_fkey" FOREIGN KEY ("workspace_id") REFERENCES "workspaces"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "workspace_provider_accounts" ADD CONSTRAINT "workspace_provider_accounts_workspace_id_fkey" FOREIGN KEY ("workspace_id") REFERENCES "workspaces"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "workspace_provider_accounts" ADD CONSTRAINT "workspace_provider_accounts_configuration_id_fkey" FOREIGN KEY ("configuration_id") REFERENCES "workspace_payment_configurations"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "payment_sync_sessions" ADD CONSTRAINT "payment_sync_sessions_workspace_id_fkey" FOREIGN KEY ("workspace_id") REFERENCES "workspaces"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "payment_sync_sessions" ADD CONSTRAINT "payment_sync_sessions_parent_session_id_fkey" FOREIGN KEY ("parent_session_id") REFERENCES "payment_sync_sessions"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "payment_sync_events" ADD CONSTRAINT "payment_sync_events_workspace_id_fkey" FOREIGN KEY ("workspace_id") REFERENCES "workspaces"("id") ON DELETE CASCADE ON UPDATE CASCADE;
