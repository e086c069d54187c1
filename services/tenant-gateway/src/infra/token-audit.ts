import { sha256Hex } from '@gatehouse/crypto'
import type { Database } from '@gatehouse/db-kit'
import { createBatcher } from '@gatehouse/service-kit'
import { sql } from 'drizzle-orm'
import type { FastifyBaseLogger } from 'fastify'

export interface IssuedToken {
  token: string
  clientId?: string
  keyId?: string
  userId?: string
  audience: string
  requestId: string
  issuedAt: Date
  expiresAt: Date
}

interface AuditRow {
  jti: string
  client_id: string | null
  key_id: string | null
  user_id: string | null
  audience: string
  request_id: string
  issued_at: string
  expires_at: string
}

export interface TokenAudit {
  record(issued: IssuedToken): void
  flush(): Promise<void>
  close(): Promise<void>
}

/**
 * Writes each identity-carrying internal token to verification_tokens in batches, off the request path. The token
 * itself is not stored: `jti` is its SHA-256, which identifies it for an investigation and is useless to replay.
 */
export function createTokenAudit(db: Database, log: FastifyBaseLogger): TokenAudit {
  const batcher = createBatcher<AuditRow>({
    name: 'verification_tokens',
    log,
    // One JSON parameter instead of 8 per row: a quarter of the cost of a multi-row VALUES insert.
    write: async (rows) => {
      await db.execute(sql`
        insert into verification_tokens (jti, client_id, key_id, user_id, audience, request_id, issued_at, expires_at)
        select jti, client_id, key_id, user_id, audience, request_id, issued_at, expires_at
        from json_to_recordset(${JSON.stringify(rows)}::json) as r(jti text, client_id uuid, key_id uuid, user_id text,
          audience text, request_id text, issued_at timestamptz, expires_at timestamptz)
        on conflict (jti) do nothing`)
    },
  })
  return {
    record(issued) {
      batcher.add({
        jti: sha256Hex(issued.token),
        client_id: issued.clientId ?? null,
        key_id: issued.keyId ?? null,
        user_id: issued.userId ?? null,
        audience: issued.audience,
        request_id: issued.requestId,
        issued_at: issued.issuedAt.toISOString(),
        expires_at: issued.expiresAt.toISOString(),
      })
    },
    flush: () => batcher.flush(),
    close: () => batcher.close(),
  }
}

export const noTokenAudit: TokenAudit = { record() {}, flush: async () => {}, close: async () => {} }
