import { decodeJwt, decodeProtectedHeader } from 'jose'
import { describe, expect, it } from 'vitest'
import { createContextSigner } from '../src/context-signer.ts'
import { signInternalContext, verifyInternalContext } from '../src/internal-auth.ts'

const INTERNAL_SECRET = 'i'.repeat(40)

const context = { tenantId: 't-1', userId: 'u-1', keyId: 'k-1', scopes: ['a', 'b'] }

describe('context signer', () => {
  it('produces the token service-kit’s signInternalContext produces, which verifyInternalContext accepts', async () => {
    const signer = createContextSigner(INTERNAL_SECRET, { ttlSeconds: 60 })
    const reference = await signInternalContext(INTERNAL_SECRET, context, { audience: 'metering' })
    const ours = signer.sign(context, 'metering', new Date(decodeJwt(reference).iat! * 1000))
    expect(ours).toBe(reference)
    expect(decodeProtectedHeader(ours)).toEqual(decodeProtectedHeader(reference))
    expect(await verifyInternalContext(INTERNAL_SECRET, ours, { audience: 'metering' })).toMatchObject(
      context,
    )
    await expect(verifyInternalContext(INTERNAL_SECRET, ours, { audience: 'auth-api' })).rejects.toThrow()
    await expect(
      verifyInternalContext(`${INTERNAL_SECRET}-other`, ours, { audience: 'metering' }),
    ).rejects.toThrow()
  })

  it('issues tokens that expire after their TTL', async () => {
    const signer = createContextSigner(INTERNAL_SECRET, { ttlSeconds: 60 })
    const stale = signer.sign(context, 'metering', new Date(Date.now() - 120_000))
    await expect(verifyInternalContext(INTERNAL_SECRET, stale, { audience: 'metering' })).rejects.toThrow()
  })
})
