import { createPepperedHasher, sha256Hex } from '@gatehouse/crypto'
import { deriveKey, open, seal } from '../aead.ts'

const SECRET_INFO = 'gatehouse/auth-api/two-factor-secret/v1'
const BACKUP_CODE_INFO = 'gatehouse/auth-api/backup-codes/v1'

/** Which key sealed a box: the first 8 hex digits of the key's SHA-256 (names it without revealing it). */
const versionOf = (key: string) => sha256Hex(`${SECRET_INFO}:${key}`).slice(0, 8)

export interface TwoFactorKeys {
  /** TWO_FACTOR_ENCRYPTION_KEY */
  current: string
  /** TWO_FACTOR_ENCRYPTION_KEY_PREVIOUS: still opens boxes (and checks backup codes) after a rotation. */
  previous?: string
}

export interface OpenedSecret {
  secret: string
  /** false when it was sealed under the previous key: the caller re-seals it under the current one. */
  current: boolean
}

/**
 * `users.two_factor_secret` holds `v1.<key version>.<AES-256-GCM box>`, the box bound to the user id (a box copied
 * to another user's row does not open). Backup codes are HMAC-SHA256 under a key derived from the same secret, so
 * a copy of the database alone cannot brute-force their 50 bits.
 */
export interface TwoFactorSecretBox {
  seal(userId: string, secret: string): string
  open(userId: string, sealed: string): OpenedSecret | undefined
  hashBackupCode(code: string): string
  /** The hashes a presented code may have been stored under (current key, then previous). */
  backupCodeCandidates(code: string): string[]
}

export function createTwoFactorSecretBox(keys: TwoFactorKeys): TwoFactorSecretBox {
  const ring = [keys.current, ...(keys.previous ? [keys.previous] : [])].map((key, index) => ({
    version: versionOf(key),
    key: deriveKey(key, SECRET_INFO),
    isCurrent: index === 0,
  }))
  const [active] = ring
  if (!active) throw new Error('two-factor key missing')
  const hasher = createPepperedHasher({
    current: deriveKey(keys.current, BACKUP_CODE_INFO).toString('hex'),
    ...(keys.previous ? { previous: deriveKey(keys.previous, BACKUP_CODE_INFO).toString('hex') } : {}),
  })
  return {
    seal: (userId, secret) => `v1.${active.version}.${seal(active.key, secret, userId)}`,
    open(userId, sealed) {
      const [format, version, box] = sealed.split('.')
      if (format !== 'v1' || !box) return undefined
      const key = ring.find((entry) => entry.version === version)
      const secret = key ? open(key.key, box, userId) : undefined
      return secret === undefined || !key ? undefined : { secret, current: key.isCurrent }
    },
    hashBackupCode: (code) => hasher.hash(code).hash,
    backupCodeCandidates: (code) => hasher.candidates(code).map((candidate) => candidate.hash),
  }
}
