/**
 * TRUST_PROXY: comma-separated addresses, CIDRs or proxy-addr names (`loopback`) whose X-Forwarded-For is
 * believed. Unset, empty or `none` trusts no proxy: request.ip is then the socket address.
 */
export function parseTrustedProxies(value: string | undefined): string[] | false {
  const entries = (value ?? '')
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry.length > 0)
  if (entries.length === 0 || (entries.length === 1 && entries[0] === 'none')) return false
  return entries
}
