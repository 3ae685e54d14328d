-- The role that runs the migrations (the owner) joins paysync_runtime (issue 15 item 5): a
-- deployment that still connects its services as the owner can switch to paysync_system for
-- cross-tenant work (membership through the NOINHERIT paysync_runtime: the system policies do not
-- apply to the owner itself), and stays under the forced tenant policies otherwise. Services
-- should connect as their own login role (DATABASE_APP_ROLE); see docs/security.md.
GRANT paysync_runtime TO CURRENT_USER;
