import { isIP } from 'node:net'
import { Agent, request } from 'undici'
import { AddressRefusedError, guardedLookup, isNonPublicAddress } from './address-guard.ts'

export type AttemptResult =
  | { kind: 'delivered'; status: number }
  | { kind: 'gone'; status: number }
  | { kind: 'failed'; status?: number; error: string; permanent: boolean }

/** Keep-alive connections whose every new socket goes through the address guard. */
export function createDeliveryAgent(options: { allowPrivateNetworks: boolean; timeoutMs: number }): Agent {
  return new Agent({
    connect: { lookup: guardedLookup(options), timeout: options.timeoutMs },
    headersTimeout: options.timeoutMs,
    bodyTimeout: options.timeoutMs,
  })
}

const MAX_ERROR_LENGTH = 300

function reasonOf(error: unknown, timeoutMs: number): { error: string; permanent: boolean } {
  let current: unknown = error
  for (let depth = 0; depth < 5 && current instanceof Error; depth++) {
    if (current instanceof AddressRefusedError)
      return { error: `refused: ${current.message}`, permanent: true }
    const code = (current as { code?: unknown }).code
    if (
      current.name === 'TimeoutError' ||
      code === 'UND_ERR_HEADERS_TIMEOUT' ||
      code === 'UND_ERR_BODY_TIMEOUT'
    )
      return { error: `timed out after ${timeoutMs} ms`, permanent: false }
    if (typeof code === 'string' && /^E[A-Z]+$/.test(code))
      return { error: `network error ${code}`, permanent: false }
    current = (current as { cause?: unknown }).cause
  }
  const message = error instanceof Error ? error.message : String(error)
  return { error: message.slice(0, MAX_ERROR_LENGTH), permanent: false }
}

/**
 * One POST of a signed message. 2xx is delivered, 410 means the endpoint is gone (stop trying), anything else
 * (other statuses, network errors, the timeout) is a failure to retry. Redirects are not followed.
 */
export async function attemptDelivery(options: {
  url: string
  headers: Record<string, string>
  body: string
  agent: Agent
  timeoutMs: number
  allowPrivateNetworks: boolean
}): Promise<AttemptResult> {
  const host = new URL(options.url).hostname.replace(/^\[|\]$/g, '')
  // A literal address never reaches the lookup, so it is checked here.
  if (!options.allowPrivateNetworks && isIP(host) !== 0 && isNonPublicAddress(host)) {
    return { kind: 'failed', error: `refused: ${host} is a non-public address`, permanent: true }
  }
  try {
    const response = await request(options.url, {
      method: 'POST',
      headers: options.headers,
      body: options.body,
      dispatcher: options.agent,
      signal: AbortSignal.timeout(options.timeoutMs),
    })
    await response.body.dump({ limit: 64 * 1024 }).catch(() => undefined)
    const status = response.statusCode
    if (status >= 200 && status < 300) return { kind: 'delivered', status }
    if (status === 410) return { kind: 'gone', status }
    return { kind: 'failed', status, error: `endpoint answered ${status}`, permanent: false }
  } catch (error) {
    return { kind: 'failed', ...reasonOf(error, options.timeoutMs) }
  }
}
