export { API_KEY_PREFIX, apiKeyDisplayPrefix, generateApiKey, isWellFormedApiKey } from './api-key.ts'
export { type JwsAlg, type JwsHeader, signCompactJws } from './compact-jws.ts'
export type { PepperedHash, PepperSet } from './hmac.ts'
export { createPepperedHasher, hmacSha256Hex, MIN_PEPPER_BYTES, pepperVersionOf } from './hmac.ts'
export type { PasswordHashParams } from './password.ts'
export {
  DUMMY_PASSWORD_HASH,
  hashPassword,
  MAX_PASSWORD_BYTES,
  PASSWORD_HASH_PARAMS,
  passwordNeedsRehash,
  verifyPassword,
} from './password.ts'
export { safeEqual } from './safe-equal.ts'
export type { SigningAlg, SigningKey } from './signing-keys.ts'
export { generateSigningKey, importSigningKey } from './signing-keys.ts'
export { MIN_TOKEN_BYTES, randomToken, sha256Hex } from './tokens.ts'
