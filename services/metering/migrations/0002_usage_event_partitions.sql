-- Month partitions of usage_events (UTC months, named usage_events_YYYY_MM). The service creates them ahead on
-- start and hourly, and on demand for an accepted late or early event; operators can run the same functions.
--
-- A partition is created as a plain table and ATTACHed: ATTACH PARTITION takes only a SHARE UPDATE EXCLUSIVE
-- lock on usage_events, so it never waits behind (nor blocks) running inserts and export cursors, where CREATE
-- TABLE ... PARTITION OF would take an ACCESS EXCLUSIVE lock. Creators serialize on that same lock, taken
-- first: acquiring a table lock also refreshes this session's view of the catalog, so a creator that waited
-- sees the partition the other one made (an advisory lock does not, and the second CREATE failed).
CREATE FUNCTION create_usage_events_partition(at timestamptz) RETURNS text
LANGUAGE plpgsql
SET lock_timeout = '5s'
AS $$
DECLARE
  month_start timestamp := date_trunc('month', at AT TIME ZONE 'UTC');
  partition_name text := 'usage_events_' || to_char(month_start, 'YYYY_MM');
BEGIN
  IF to_regclass(quote_ident(partition_name)) IS NOT NULL THEN
    RETURN NULL;
  END IF;
  LOCK TABLE usage_events IN SHARE UPDATE EXCLUSIVE MODE;
  IF to_regclass(quote_ident(partition_name)) IS NOT NULL THEN
    RETURN NULL;
  END IF;
  EXECUTE format('CREATE TABLE %I (LIKE usage_events INCLUDING DEFAULTS INCLUDING CONSTRAINTS)', partition_name);
  EXECUTE format(
    'ALTER TABLE usage_events ATTACH PARTITION %I FOR VALUES FROM (%L) TO (%L)',
    partition_name,
    month_start AT TIME ZONE 'UTC',
    (month_start + interval '1 month') AT TIME ZONE 'UTC'
  );
  EXECUTE format(
    'CREATE TRIGGER usage_events_no_truncate BEFORE TRUNCATE ON %I FOR EACH STATEMENT EXECUTE FUNCTION usage_events_refuse_change()',
    partition_name
  );
  RETURN partition_name;
END;
$$;
--> statement-breakpoint
-- Every month from from_at's to to_at's (inclusive); answers the partitions it created.
CREATE FUNCTION ensure_usage_events_partitions(from_at timestamptz, to_at timestamptz) RETURNS SETOF text
LANGUAGE plpgsql
AS $$
DECLARE
  month_start timestamp := date_trunc('month', from_at AT TIME ZONE 'UTC');
  last_month timestamp := date_trunc('month', to_at AT TIME ZONE 'UTC');
  created text;
BEGIN
  IF last_month > month_start + interval '10 years' THEN
    RAISE EXCEPTION 'refusing to create more than 10 years of partitions at once' USING ERRCODE = 'invalid_parameter_value';
  END IF;
  WHILE month_start <= last_month LOOP
    created := create_usage_events_partition(month_start AT TIME ZONE 'UTC');
    IF created IS NOT NULL THEN
      RETURN NEXT created;
    END IF;
    month_start := month_start + interval '1 month';
  END LOOP;
END;
$$;
--> statement-breakpoint
-- Retention: drops the whole month partitions that ended before the start of the month `months` months before
-- `at`'s, and the idempotency keys of those months, and answers what it dropped. At least 2 months are kept, as
-- events up to 35 days old may still arrive or be voided. Rollups are kept (they are small and are the billing
-- record). Rows are counted before anything is dropped, so the ACCESS EXCLUSIVE lock that DROP takes on
-- usage_events is held only for the drops themselves; lock_timeout makes it give up rather than stall ingest
-- behind a long export. With dry_run it only answers what it would drop.
CREATE FUNCTION drop_usage_events_partitions_older_than(
  months integer,
  at timestamptz DEFAULT now(),
  dry_run boolean DEFAULT false
)
RETURNS TABLE (partition_name text, range_start timestamptz, range_end timestamptz, event_count bigint)
LANGUAGE plpgsql
SET lock_timeout = '5s'
AS $$
DECLARE
  cutoff timestamptz;
  doomed record;
  counted bigint;
  names text[] := '{}';
  starts timestamptz[] := '{}';
  ends timestamptz[] := '{}';
  counts bigint[] := '{}';
  doomed_name text;
BEGIN
  IF months IS NULL OR months < 2 THEN
    RAISE EXCEPTION 'retention must keep at least 2 months (got %)', months
      USING ERRCODE = 'invalid_parameter_value',
            HINT = 'Events up to 35 days old may still arrive or be voided.';
  END IF;
  cutoff := (date_trunc('month', at AT TIME ZONE 'UTC') - make_interval(months => months)) AT TIME ZONE 'UTC';
  FOR doomed IN
    SELECT p.name, p.month_start
    FROM (
      SELECT c.relname::text AS name,
             make_timestamp(substr(c.relname, 14, 4)::int, substr(c.relname, 19, 2)::int, 1, 0, 0, 0) AS month_start
      FROM pg_inherits i
      JOIN pg_class c ON c.oid = i.inhrelid
      WHERE i.inhparent = 'usage_events'::regclass AND c.relname ~ '^usage_events_[0-9]{4}_[0-9]{2}$'
    ) p
    WHERE (p.month_start + interval '1 month') AT TIME ZONE 'UTC' <= cutoff
    ORDER BY p.month_start
  LOOP
    EXECUTE format('SELECT count(*) FROM %I', doomed.name) INTO counted;
    names := names || doomed.name;
    starts := starts || (doomed.month_start AT TIME ZONE 'UTC');
    ends := ends || ((doomed.month_start + interval '1 month') AT TIME ZONE 'UTC');
    counts := counts || counted;
  END LOOP;
  IF dry_run THEN
    RETURN QUERY SELECT * FROM unnest(names, starts, ends, counts);
    RETURN;
  END IF;
  DELETE FROM usage_event_keys WHERE occurred_at < cutoff;
  FOREACH doomed_name IN ARRAY names LOOP
    EXECUTE format('DROP TABLE %I', doomed_name);
  END LOOP;
  RETURN QUERY SELECT * FROM unnest(names, starts, ends, counts);
END;
$$;
