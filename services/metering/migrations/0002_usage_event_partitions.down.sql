DROP FUNCTION IF EXISTS drop_usage_events_partitions_older_than(integer, timestamptz, boolean);
--> statement-breakpoint
DROP FUNCTION IF EXISTS ensure_usage_events_partitions(timestamptz, timestamptz);
--> statement-breakpoint
DROP FUNCTION IF EXISTS create_usage_events_partition(timestamptz);
