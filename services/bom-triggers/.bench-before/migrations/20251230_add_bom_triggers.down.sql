-- The seed's rollback. WARNING: this deletes all trigger configurations and execution logs.
DROP FUNCTION IF EXISTS cleanup_old_trigger_logs(INTEGER);
--> statement-breakpoint
DROP TABLE IF EXISTS bom_trigger_logs;
--> statement-breakpoint
DROP TABLE IF EXISTS bom_triggers;
