DROP FUNCTION IF EXISTS poll_qr_session(uuid, timestamptz);
