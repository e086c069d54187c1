import { ServiceError } from '@gatehouse/service-kit'
import * as client from 'openid-client'
import { errors } from '../errors.ts'

const ID_TOKEN_CHECKS = new Set([
  'OAUTH_JWT_CLAIM_COMPARISON_FAILED',
  'OAUTH_JWT_TIMESTAMP_CHECK_FAILED',
  'OAUTH_JSON_ATTRIBUTE_COMPARISON_FAILED',
  'OAUTH_KEY_SELECTION_FAILED',
  'ERR_JWS_SIGNATURE_VERIFICATION_FAILED',
  'ERR_JWS_INVALID',
])

function codesOf(error: unknown): string[] {
  const codes: string[] = []
  let current: unknown = error
  for (let depth = 0; depth < 5 && current && typeof current === 'object'; depth++) {
    const code = (current as { code?: unknown }).code
    if (typeof code === 'string') codes.push(code)
    current = (current as { cause?: unknown }).cause
  }
  return codes
}

/**
 * A failure while talking to a provider, as the problem the browser gets: the provider unreachable or failing is a
 * 503, a provider answer that fails our checks (ID token signature, issuer, audience, nonce, expiry) a 502, a code
 * the provider refuses (used twice, expired) or a sign-in the person cancelled a 400. Never a 500: nothing of it is
 * our fault, and the provider's words are not echoed.
 */
export function providerProblem(
  provider: string,
  error: unknown,
  { idTokenExpected = false }: { idTokenExpected?: boolean } = {},
): Error {
  const unavailable = () =>
    errors
      .OAUTH_PROVIDER_UNAVAILABLE(`${provider} cannot be reached right now; try again shortly.`)
      .withHeaders({ 'retry-after': '30' })
  if (error instanceof ServiceError) return error
  if (error instanceof client.AuthorizationResponseError) {
    return errors.OAUTH_DENIED(`${provider} did not authorise the sign-in (${safeWord(error.error)}).`)
  }
  if (error instanceof client.ResponseBodyError) {
    if (error.status >= 500) return unavailable()
    if (error.error === 'invalid_grant')
      return errors.OAUTH_CODE_REJECTED(
        `${provider} refused the authorization code (used already or expired).`,
      )
    return errors.OAUTH_PROVIDER_ERROR(`${provider} refused the request (${safeWord(error.error)}).`)
  }
  const name = (error as { name?: unknown } | undefined)?.name
  if (name === 'TimeoutError' || name === 'AbortError' || error instanceof TypeError) return unavailable()
  if (error instanceof client.ClientError && error.code === 'OAUTH_RESPONSE_IS_NOT_CONFORM') {
    const status = (error.cause as { status?: number } | undefined)?.status ?? 0
    if (status >= 500 || status === 429) return unavailable()
  }
  const codes = codesOf(error)
  // oauth4webapi reports a bad ID token signature as an invalid token-endpoint response.
  if (
    codes.some((code) => ID_TOKEN_CHECKS.has(code) || (idTokenExpected && code === 'OAUTH_INVALID_RESPONSE'))
  )
    return errors.OAUTH_INVALID_ID_TOKEN(`The ID token from ${provider} failed validation.`)
  return errors.OAUTH_PROVIDER_ERROR(`The answer from ${provider} could not be used.`)
}

/** An OAuth error code is a short token; anything else from the provider is not repeated. */
function safeWord(value: string): string {
  return /^[a-z_]{1,64}$/.test(value) ? value : 'error'
}
