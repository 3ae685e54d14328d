-- `paysync keys rotate` / POST /api/v1/admin/encryption/rotate (issue 15 item 8) re-encrypt every
-- connection's secrets: work across every workspace, run as paysync_system (libs/db
-- SecretRotationRepository). It reads the connections and rewrites their two ciphertext columns,
-- nothing else, and writes one audit row per run. Guarded: the role comes from the row-level
-- security migration (20261129080000_rls_enforced); without it there is nothing to grant.
DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'paysync_system') THEN
    GRANT SELECT ("id", "workspace_id", "api_key_ciphertext", "webhook_secrets_ciphertext"),
          UPDATE ("api_key_ciphertext", "webhook_secrets_ciphertext")
       ON "workspace_payment_configurations" TO paysync_system;
    GRANT INSERT ON "audit_log" TO paysync_system;
  END IF;
END
$$;
