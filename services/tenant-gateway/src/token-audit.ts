import { sha256Hex } from '@gatehouse/crypto'
import type { Database } from '@gatehouse/db-kit'
import type { FastifyBaseLogger } from 'fastify'
import { createBatcher } from './batcher.ts'
import { verificationTokens } from './db/schema/index.ts'

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
  const batcher = createBatcher<typeof verificationTokens.$inferInsert>({
    name: 'verification_tokens',
    log,
    write: async (rows) => {
      await db.insert(verificationTokens).values(rows).onConflictDoNothing()
    },
  })
  return {
    record(issued) {
      batcher.add({
        jti: sha256Hex(issued.token),
        clientId: issued.clientId,
        keyId: issued.keyId,
        userId: issued.userId,
        audience: issued.audience,
        requestId: issued.requestId,
        issuedAt: issued.issuedAt,
        expiresAt: issued.expiresAt,
      })
    },
    flush: () => batcher.flush(),
    close: () => batcher.close(),
  }
}

export const noTokenAudit: TokenAudit = { record() {}, flush: async () => {}, close: async () => {} }
