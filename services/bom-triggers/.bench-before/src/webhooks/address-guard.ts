import { lookup as dnsLookup, type LookupAddress } from 'node:dns'
import { BlockList, isIP, type LookupFunction } from 'node:net'

/** Loopback, private, link-local, shared, documentation, multicast and reserved ranges (SSRF targets). */
const NON_PUBLIC = new BlockList()
for (const [network, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const) {
  NON_PUBLIC.addSubnet(network, prefix, 'ipv4')
}
for (const [network, prefix] of [
  ['::', 128],
  ['::1', 128],
  ['64:ff9b::', 96],
  ['100::', 64],
  ['2001:db8::', 32],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
] as const) {
  NON_PUBLIC.addSubnet(network, prefix, 'ipv6')
}

const MAPPED_IPV4 = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i

/** True for an address a webhook must not reach unless private networks are allowed. */
export function isNonPublicAddress(address: string): boolean {
  const bare = address.replace(/^\[|\]$/g, '')
  const mapped = MAPPED_IPV4.exec(bare)?.[1]
  if (mapped) return NON_PUBLIC.check(mapped, 'ipv4')
  const family = isIP(bare)
  if (family === 0) return false
  // An IPv4-mapped address in hex form (::ffff:7f00:1) is covered by BlockList's own mapping.
  return NON_PUBLIC.check(bare, family === 4 ? 'ipv4' : 'ipv6')
}

export class AddressRefusedError extends Error {
  readonly code = 'WEBHOOK_ADDRESS_REFUSED'
  constructor(detail: string) {
    super(detail)
    this.name = 'AddressRefusedError'
  }
}

export type UrlCheck = { ok: true; url: URL } | { ok: false; reason: string }

/**
 * What can be decided without DNS: scheme, credentials, and literal addresses or localhost names. Names are
 * resolved again at connection time by `guardedLookup`, so a name that later points inside is refused too.
 */
export function checkWebhookUrl(text: string, options: { allowPrivateNetworks: boolean }): UrlCheck {
  let url: URL
  try {
    url = new URL(text)
  } catch {
    return { ok: false, reason: 'is not a valid URL' }
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    return { ok: false, reason: 'must be http or https' }
  if (url.username || url.password) return { ok: false, reason: 'must not contain credentials' }
  if (options.allowPrivateNetworks) return { ok: true, url }
  const host = url.hostname.toLowerCase()
  if (host === 'localhost' || host.endsWith('.localhost') || isNonPublicAddress(host)) {
    return { ok: false, reason: 'points at a loopback, private or link-local address' }
  }
  return { ok: true, url }
}

/**
 * A `lookup` for sockets that refuses names resolving to non-public addresses (when not allowed), checked on the
 * address actually connected to, so DNS rebinding between check and connect does not get through.
 */
export function guardedLookup(options: { allowPrivateNetworks: boolean }): LookupFunction {
  return (hostname, lookupOptions, callback) => {
    dnsLookup(hostname, { ...lookupOptions, all: true }, (error, addresses: LookupAddress[]) => {
      if (error) return callback(error, '', 0)
      const inside = addresses.find((entry) => isNonPublicAddress(entry.address))
      if (!options.allowPrivateNetworks && inside) {
        return callback(
          new AddressRefusedError(`${hostname} resolves to a non-public address (${inside.address})`),
          '',
          0,
        )
      }
      const first = addresses[0]
      if (!first) return callback(new Error(`${hostname} did not resolve`), '', 0)
      if (lookupOptions.all)
        return (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, addresses)
      return callback(null, first.address, first.family)
    })
  }
}
