-- CreateIndex
CREATE INDEX "customers_workspace_id_provider_provider_created_at_idx" ON "customers"("workspace_id", "provider", "provider_created_at");

-- CreateIndex
CREATE INDEX "invoices_workspace_id_provider_provider_created_at_idx" ON "invoices"("workspace_id", "provider", "provider_created_at");

-- CreateIndex
CREATE INDEX "payment_transactions_workspace_id_provider_provider_created_idx" ON "payment_transactions"("workspace_id", "provider", "provider_created_at");

-- CreateIndex
CREATE INDEX "prices_workspace_id_provider_provider_created_at_idx" ON "prices"("workspace_id", "provider", "provider_created_at");

-- CreateIndex
CREATE INDEX "products_workspace_id_provider_provider_created_at_idx" ON "products"("workspace_id", "provider", "provider_created_at");

-- CreateIndex
CREATE INDEX "subscriptions_workspace_id_provider_provider_created_at_idx" ON "subscriptions"("workspace_id", "provider", "provider_created_at");
