DROP FUNCTION IF EXISTS cleanup_expired_refresh_tokens(integer);
