import { signInternalContext } from '@gatehouse/service-kit'
import { createHmac } from 'node:crypto'
const secret = 'x'.repeat(40)
const ctx = { tenantId: 't', keyId: 'k', scopes: [], requestId: 'r' }
for (let i = 0; i < 2000; i++) await signInternalContext(secret, ctx, { audience: 'a' })
let n = 20000, t = performance.now()
for (let i = 0; i < n; i++) await signInternalContext(secret, ctx, { audience: 'a' })
console.log('signInternalContext µs', ((performance.now() - t) * 1000 / n).toFixed(1))
t = performance.now()
for (let i = 0; i < n; i++) createHmac('sha256', secret).update('eyJhbGciOiJIUzI1NiJ9.eyJ0aWQiOiJ0In0').digest('base64url')
console.log('createHmac µs', ((performance.now() - t) * 1000 / n).toFixed(1))
