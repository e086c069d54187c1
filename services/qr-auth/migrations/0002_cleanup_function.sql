-- Seed 000's cleanup: `SELECT cleanup_qr_sessions();` deletes the QR sessions that can never be used again,
-- the exchanged ones (found through idx_auth_sessions_is_exchanged) and the expired ones
-- (idx_auth_sessions_expires_at), and answers how many it deleted. `as_of` is the service's clock.
CREATE OR REPLACE FUNCTION cleanup_qr_sessions(as_of timestamptz DEFAULT now())
RETURNS integer
LANGUAGE plpgsql
AS $$
DECLARE
  removed integer;
BEGIN
  DELETE FROM auth_sessions WHERE is_exchanged = true OR expires_at <= as_of;
  GET DIAGNOSTICS removed = ROW_COUNT;
  RETURN removed;
END;
$$;
