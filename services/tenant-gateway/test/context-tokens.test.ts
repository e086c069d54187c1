import { type Caller, createContextSigner, verifyInternalContext } from '@gatehouse/service-kit'
import { describe, expect, it } from 'vitest'
import { createContextTokens, type MintedToken } from '../src/proxy/context-tokens.ts'

const SECRET = 'x'.repeat(40)
const caller: Caller = { tenantId: 'tenant-1', keyId: 'key-1', scopes: ['tasks:read'] }

function tokens(maxCallers?: number) {
  const minted: MintedToken[] = []
  const contextTokens = createContextTokens({
    signer: createContextSigner(SECRET, { ttlSeconds: 60 }),
    ttlSeconds: 60,
    onMint: (token) => minted.push(token),
    maxCallers,
  })
  return { contextTokens, minted }
}

const at = (seconds: number) => ({
  id: `req-${seconds}`,
  now: new Date(Date.UTC(2026, 10, 24, 12, 0, seconds)),
})

describe('context tokens', () => {
  it('reuse a token for the first half of its lifetime only, then mint a new one', async () => {
    const { contextTokens, minted } = tokens()
    const first = contextTokens.tokenFor(caller, 'bom-triggers', at(0))
    expect(contextTokens.tokenFor(caller, 'bom-triggers', at(29))).toBe(first)
    const second = contextTokens.tokenFor(caller, 'bom-triggers', at(30))
    expect(second).not.toBe(first)
    expect(minted.map((m) => [m.token, m.requestId])).toEqual([
      [first, 'req-0'],
      [second, 'req-30'],
    ])
    expect(minted[1]!.expiresAt.getTime() - minted[1]!.issuedAt.getTime()).toBe(60_000)
  })

  it('give every caller and audience its own token', async () => {
    const { contextTokens } = tokens()
    const base = contextTokens.tokenFor(caller, 'bom-triggers', at(0))
    const variants = [
      contextTokens.tokenFor(caller, 'metering', at(0)),
      contextTokens.tokenFor({ ...caller, keyId: 'key-2' }, 'bom-triggers', at(0)),
      contextTokens.tokenFor({ ...caller, scopes: ['tasks:write'] }, 'bom-triggers', at(0)),
      contextTokens.tokenFor({ ...caller, userId: 'user-1' }, 'bom-triggers', at(0)),
      contextTokens.tokenFor({ scopes: [] }, 'bom-triggers', at(0)),
    ]
    expect(new Set([base, ...variants]).size).toBe(6)
  })

  it('keep at most maxCallers tokens, dropping the oldest', async () => {
    const { contextTokens, minted } = tokens(2)
    const one = { ...caller, keyId: 'one' }
    contextTokens.tokenFor(one, 'bom-triggers', at(0))
    contextTokens.tokenFor({ ...caller, keyId: 'two' }, 'bom-triggers', at(0))
    contextTokens.tokenFor({ ...caller, keyId: 'three' }, 'bom-triggers', at(0))
    expect(minted).toHaveLength(3)
    contextTokens.tokenFor(one, 'bom-triggers', at(1))
    expect(minted).toHaveLength(4)
  })

  it('mint tokens the upstream verifies, without a request id inside', async () => {
    const { contextTokens } = tokens()
    const token = contextTokens.tokenFor(caller, 'bom-triggers', { id: 'r', now: new Date() })
    const context = await verifyInternalContext(SECRET, token, { audience: 'bom-triggers' })
    expect(context).toEqual({ tenantId: 'tenant-1', keyId: 'key-1', scopes: ['tasks:read'] })
  })
})
