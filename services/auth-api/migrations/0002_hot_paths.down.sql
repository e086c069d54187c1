DROP FUNCTION IF EXISTS revoke_sessions(uuid, uuid, varchar, varchar, timestamptz, varchar, jsonb, varchar, varchar);
--> statement-breakpoint
DROP FUNCTION IF EXISTS rotate_refresh_token(varchar, uuid, varchar, text, timestamptz, integer, varchar, varchar);
