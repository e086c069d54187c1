DROP TABLE IF EXISTS "usage_rollups_hourly";
--> statement-breakpoint
DROP TABLE IF EXISTS "usage_events";
--> statement-breakpoint
DROP TABLE IF EXISTS "usage_event_keys";
