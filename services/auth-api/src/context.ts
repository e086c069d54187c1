import type { Database } from '@gatehouse/db-kit'
import type { AccessTokens } from './access-tokens.ts'
import type { Clock } from './clock.ts'
import type { Config } from './config.ts'
import type { SigningKeyRing } from './signing-keys.ts'

/** What every route plugin gets: dependencies in, no module singletons. */
export interface AuthContext {
  config: Config
  db: Database
  clock: Clock
  accessTokens: AccessTokens
  signingKeys: SigningKeyRing
}
