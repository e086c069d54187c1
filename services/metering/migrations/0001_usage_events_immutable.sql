-- usage_events is append-only in the database itself (issue 15): UPDATE, DELETE and TRUNCATE are refused for
-- every role, the owner included. Corrections are compensating void events; old data leaves only as whole
-- partitions, through drop_usage_events_partitions_older_than() (0002). Row triggers on a partitioned table are
-- cloned onto every partition, present and future; TRUNCATE triggers are not, so each partition gets its own.
CREATE FUNCTION usage_events_refuse_change() RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
  RAISE EXCEPTION 'usage_events is append-only: % is not allowed', TG_OP
    USING ERRCODE = 'restrict_violation',
          HINT = 'Void an event with a compensating event; drop old months with drop_usage_events_partitions_older_than().';
END;
$$;
--> statement-breakpoint
CREATE TRIGGER usage_events_append_only
BEFORE UPDATE OR DELETE ON usage_events
FOR EACH ROW EXECUTE FUNCTION usage_events_refuse_change();
--> statement-breakpoint
CREATE TRIGGER usage_events_no_truncate
BEFORE TRUNCATE ON usage_events
FOR EACH STATEMENT EXECUTE FUNCTION usage_events_refuse_change();
