-- The hot paths of refresh and logout as one round trip each. Each statement in a PL/pgSQL function takes a
-- fresh snapshot (READ COMMITTED), so the lock order and visibility rules are those of separate statements.

-- Rotation with reuse detection (seed 001, RFC 9700 section 4.14.2). The session's row lock comes first (the
-- UPDATE of last_used_at), the order logout and revocation use too: concurrent refreshes of one family run one
-- after the other, and the second reads what the first committed.
-- outcome: 'rotated' (p_successor_* now the family's live token), 'repeated' (rotated within p_grace_seconds:
-- successor_ciphertext is the sealed successor handed out then), 'reused' (family and session revoked,
-- TOKEN_REUSE_ATTACK logged) or 'rejected' (unknown, revoked or expired token or session).
CREATE FUNCTION rotate_refresh_token(
  p_token_hash varchar,
  p_successor_id uuid,
  p_successor_hash varchar,
  p_successor_ciphertext text,
  p_now timestamptz,
  p_grace_seconds integer,
  p_ip varchar,
  p_user_agent varchar
)
RETURNS TABLE (
  outcome text,
  user_id uuid,
  session_id uuid,
  session_expires_at timestamptz,
  family_id uuid,
  successor_ciphertext text
)
LANGUAGE plpgsql
AS $$
#variable_conflict use_column
DECLARE
  v_session_id uuid;
  v_session_expires_at timestamptz;
  v_token refresh_tokens%ROWTYPE;
BEGIN
  UPDATE sessions SET last_used_at = p_now
  WHERE id = (SELECT rt.session_id FROM refresh_tokens rt WHERE rt.token_hash = p_token_hash)
    AND revoked_at IS NULL
    AND expires_at > p_now
  RETURNING id, expires_at INTO v_session_id, v_session_expires_at;
  IF v_session_id IS NOT NULL THEN
    SELECT * INTO v_token FROM refresh_tokens WHERE token_hash = p_token_hash;
  END IF;
  IF v_session_id IS NULL OR v_token.revoked OR v_token.expires_at <= p_now THEN
    RETURN QUERY SELECT 'rejected', NULL::uuid, NULL::uuid, NULL::timestamptz, NULL::uuid, NULL::text;
    RETURN;
  END IF;

  IF v_token.used_at IS NULL THEN
    INSERT INTO refresh_tokens (id, user_id, session_id, family_id, parent_id, token_hash, expires_at, created_at)
    VALUES (p_successor_id, v_token.user_id, v_token.session_id, v_token.family_id, v_token.id, p_successor_hash,
            v_token.expires_at, p_now);
    UPDATE refresh_tokens
    SET used_at = p_now, replaced_by = p_successor_id, successor_ciphertext = p_successor_ciphertext
    WHERE id = v_token.id;
    INSERT INTO audit_logs (event_type, user_id, session_id, ip_address, user_agent, created_at)
    VALUES ('TOKEN_REFRESHED', v_token.user_id, v_token.session_id, p_ip, p_user_agent, p_now);
    RETURN QUERY SELECT 'rotated', v_token.user_id, v_session_id, v_session_expires_at, v_token.family_id, NULL::text;
    RETURN;
  END IF;

  -- Only one step back: the successor must still be the family's live token.
  IF p_now <= v_token.used_at + make_interval(secs => p_grace_seconds)
    AND v_token.successor_ciphertext IS NOT NULL
    AND EXISTS (
      SELECT 1 FROM refresh_tokens s WHERE s.id = v_token.replaced_by AND s.used_at IS NULL AND NOT s.revoked
    )
  THEN
    RETURN QUERY SELECT 'repeated', v_token.user_id, v_session_id, v_session_expires_at, v_token.family_id,
      v_token.successor_ciphertext;
    RETURN;
  END IF;

  UPDATE sessions SET revoked_at = p_now, revoked_reason = 'token_reuse' WHERE id = v_token.session_id;
  UPDATE refresh_tokens SET revoked = true, revoked_reason = 'token_reuse', revoked_at = p_now
  WHERE family_id = v_token.family_id AND NOT revoked;
  INSERT INTO audit_logs (event_type, user_id, session_id, ip_address, user_agent, details, created_at)
  VALUES ('TOKEN_REUSE_ATTACK', v_token.user_id, v_token.session_id, p_ip, p_user_agent,
          jsonb_build_object(
            'familyId', v_token.family_id,
            'tokenId', v_token.id,
            'rotatedAt', to_char(v_token.used_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')
          ),
          p_now);
  RETURN QUERY SELECT 'reused', v_token.user_id, v_session_id, v_session_expires_at, v_token.family_id, NULL::text;
END;
$$;
--> statement-breakpoint

-- Revokes live sessions and every refresh token in them, with one audit event per revoked session when
-- p_audit_event is given. Which sessions: the one p_token_hash (any token of its family) belongs to, else
-- p_session_id of p_user_id, else all of p_user_id's. Sessions are locked first, the order refresh uses too,
-- so a logout racing a refresh cannot deadlock; the tokens are then revoked in a fresh snapshot, which sees a
-- successor that refresh just committed.
CREATE FUNCTION revoke_sessions(
  p_user_id uuid,
  p_session_id uuid,
  p_token_hash varchar,
  p_reason varchar,
  p_now timestamptz,
  p_audit_event varchar,
  p_audit_details jsonb,
  p_ip varchar,
  p_user_agent varchar
)
RETURNS TABLE (session_id uuid, user_id uuid)
LANGUAGE plpgsql
AS $$
#variable_conflict use_column
DECLARE
  v_session_ids uuid[];
  v_user_ids uuid[];
BEGIN
  -- Three statements rather than one with a CASE: each keeps its own index plan.
  IF p_token_hash IS NOT NULL THEN
    WITH revoked AS (
      UPDATE sessions SET revoked_at = p_now, revoked_reason = p_reason
      WHERE id = (SELECT rt.session_id FROM refresh_tokens rt WHERE rt.token_hash = p_token_hash)
        AND revoked_at IS NULL
      RETURNING id, user_id
    )
    SELECT array_agg(id), array_agg(user_id) INTO v_session_ids, v_user_ids FROM revoked;
  ELSIF p_session_id IS NOT NULL THEN
    WITH revoked AS (
      UPDATE sessions SET revoked_at = p_now, revoked_reason = p_reason
      WHERE id = p_session_id AND user_id = p_user_id AND revoked_at IS NULL
      RETURNING id, user_id
    )
    SELECT array_agg(id), array_agg(user_id) INTO v_session_ids, v_user_ids FROM revoked;
  ELSE
    WITH revoked AS (
      UPDATE sessions SET revoked_at = p_now, revoked_reason = p_reason
      WHERE user_id = p_user_id AND revoked_at IS NULL
      RETURNING id, user_id
    )
    SELECT array_agg(id), array_agg(user_id) INTO v_session_ids, v_user_ids FROM revoked;
  END IF;
  IF v_session_ids IS NULL THEN
    RETURN;
  END IF;

  UPDATE refresh_tokens SET revoked = true, revoked_reason = p_reason, revoked_at = p_now
  WHERE session_id = ANY (v_session_ids) AND NOT revoked;
  IF p_audit_event IS NOT NULL THEN
    INSERT INTO audit_logs (event_type, user_id, session_id, ip_address, user_agent, details, created_at)
    SELECT p_audit_event, revoked.u, revoked.s, p_ip, p_user_agent, coalesce(p_audit_details, '{}'), p_now
    FROM unnest(v_session_ids, v_user_ids) AS revoked (s, u);
  END IF;
  RETURN QUERY SELECT revoked.s, revoked.u FROM unnest(v_session_ids, v_user_ids) AS revoked (s, u);
END;
$$;
