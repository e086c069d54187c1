DROP TABLE IF EXISTS "two_factor_backup_codes";
--> statement-breakpoint
DROP TABLE IF EXISTS "mfa_challenges";
--> statement-breakpoint
ALTER TABLE "users" DROP COLUMN IF EXISTS "two_factor_locked_until";
--> statement-breakpoint
ALTER TABLE "users" DROP COLUMN IF EXISTS "two_factor_failed_count";
--> statement-breakpoint
ALTER TABLE "users" DROP COLUMN IF EXISTS "two_factor_last_step";
--> statement-breakpoint
ALTER TABLE "users" DROP COLUMN IF EXISTS "two_factor_enabled_at";
--> statement-breakpoint
ALTER TABLE "users" DROP COLUMN IF EXISTS "two_factor_secret";
