/**
 * Who is calling: resolved by the gateway (API key or user token), signed into the x-gatehouse-context token
 * for one upstream, and read back there as `request.caller`. One type the whole way.
 */
export interface Caller {
  tenantId?: string
  userId?: string
  keyId?: string
  scopes: string[]
}

export type TenantCaller = Caller & { tenantId: string }
