DROP TABLE IF EXISTS "refresh_tokens";
--> statement-breakpoint
DROP TABLE IF EXISTS "audit_logs";
--> statement-breakpoint
DROP TABLE IF EXISTS "sessions";
--> statement-breakpoint
DROP TABLE IF EXISTS "signing_keys";
--> statement-breakpoint
DROP TABLE IF EXISTS "users";
