-- Issue 15 item 4: a connection's provider account id keys the shared provider rate-limit bucket
-- only once the provider confirmed it (a connection test). `provider_account_id` may still be the
-- unverified claim of the create body; `verified_provider_account_id` is what the provider said.
ALTER TABLE "workspace_payment_configurations" ADD COLUMN "verified_provider_account_id" TEXT;

-- Links in workspace_provider_accounts are written only by a successful connection test: those
-- accounts are verified already.
UPDATE "workspace_payment_configurations" c
SET "verified_provider_account_id" = l."provider_account_id"
FROM "workspace_provider_accounts" l
WHERE l."configuration_id" = c."id"
  AND l."provider" = c."provider"
  AND l."provider_account_id" = c."provider_account_id";
