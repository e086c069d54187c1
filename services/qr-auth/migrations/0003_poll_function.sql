-- One poll of the desktop (RFC 8628 section 3.5) in one round trip, under the row's lock so that concurrent
-- polls of a session are decided one after the other. A poll is accepted when the interval has passed since
-- the last accepted one; otherwise it is a slow_down and the interval grows by 5 seconds for good.
-- The approval clears last_polled_at, so the first poll after it is accepted at once, and deliver_token is
-- true for that one poll only: the only answer that carries the exchange token.
-- A poll's writes are only rate-limit bookkeeping, so its commit does not wait for the WAL flush
-- (synchronous_commit off for this transaction only): a crash may forget the last polls' times, which costs
-- nothing, and a forgotten delivery hands out the same exchange token again, which the poll token's holder
-- could derive anyway. Everything else the service writes stays durable.
CREATE OR REPLACE FUNCTION poll_qr_session(session_id uuid, as_of timestamptz)
RETURNS TABLE (
  session_status varchar,
  exchanged boolean,
  exchangeable boolean,
  session_expires_at timestamptz,
  interval_seconds integer,
  accepted boolean,
  deliver_token boolean
)
LANGUAGE plpgsql
AS $$
DECLARE
  previous_poll timestamptz;
  current_interval integer;
  ok boolean;
BEGIN
  PERFORM set_config('synchronous_commit', 'off', true);
  SELECT s.last_polled_at, s.poll_interval INTO previous_poll, current_interval
  FROM auth_sessions s WHERE s.id = session_id FOR UPDATE;
  IF NOT FOUND THEN
    RETURN;
  END IF;
  ok := previous_poll IS NULL OR as_of >= previous_poll + make_interval(secs => current_interval);
  RETURN QUERY
  UPDATE auth_sessions s SET
    last_polled_at = CASE WHEN ok THEN as_of ELSE s.last_polled_at END,
    poll_interval = CASE WHEN ok THEN s.poll_interval ELSE s.poll_interval + 5 END
  WHERE s.id = session_id
  RETURNING s.status, s.is_exchanged, s.exchange_token IS NOT NULL, s.expires_at, s.poll_interval, ok,
    ok AND s.status = 'approved' AND previous_poll IS NULL;
END;
$$;
