-- Seed 000's rollback order: the indexes, then is_exchanged, then exchange_token.
DROP INDEX IF EXISTS "idx_auth_sessions_is_exchanged";
--> statement-breakpoint
DROP INDEX IF EXISTS "idx_auth_sessions_exchange_token";
--> statement-breakpoint
ALTER TABLE "auth_sessions" DROP COLUMN IF EXISTS "is_exchanged";
--> statement-breakpoint
ALTER TABLE "auth_sessions" DROP COLUMN IF EXISTS "exchange_token";
