-- Workspace API keys get scopes (issue 15 item 6): `read` < `write` < `admin`, each including the
-- ones before it. Keys that exist today could do everything in their workspace (mint and revoke
-- keys, change provider secrets), and their holders' integrations depend on that: they become
-- `admin`, so no client breaks on upgrade; operators narrow them by minting scoped keys and
-- revoking the old ones. Keys created from now on get what the API call asks for (`read` when it
-- names nothing; the first key of a new workspace is `admin`). The api validates the values (a
-- CHECK constraint makes the schema engine behind `npm run db:diff` panic).
ALTER TABLE "workspace_api_keys" ADD COLUMN "scopes" TEXT[] NOT NULL DEFAULT ARRAY['admin']::TEXT[];
ALTER TABLE "workspace_api_keys" ALTER COLUMN "scopes" SET DEFAULT ARRAY['read']::TEXT[];
