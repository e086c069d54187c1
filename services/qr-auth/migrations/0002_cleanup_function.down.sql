DROP FUNCTION IF EXISTS cleanup_qr_sessions(timestamptz);
