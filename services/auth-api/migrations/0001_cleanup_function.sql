-- Seed 001: `SELECT cleanup_expired_refresh_tokens(30);` removes refresh tokens that expired (or were
-- revoked) more than `days` days ago and answers how many it removed.
CREATE OR REPLACE FUNCTION cleanup_expired_refresh_tokens(days integer)
RETURNS integer
LANGUAGE plpgsql
AS $$
DECLARE
  cutoff timestamptz := now() - make_interval(days => days);
  removed integer;
BEGIN
  DELETE FROM refresh_tokens
  WHERE expires_at < cutoff OR (revoked AND revoked_at < cutoff);
  GET DIAGNOSTICS removed = ROW_COUNT;
  RETURN removed;
END;
$$;
