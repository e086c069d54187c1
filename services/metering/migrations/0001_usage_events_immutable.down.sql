DROP TRIGGER IF EXISTS usage_events_no_truncate ON usage_events;
--> statement-breakpoint
DROP TRIGGER IF EXISTS usage_events_append_only ON usage_events;
--> statement-breakpoint
DROP FUNCTION IF EXISTS usage_events_refuse_change() CASCADE;
