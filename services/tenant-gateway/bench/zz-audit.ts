import { randomUUID } from 'node:crypto'
import { createDb, migrateUp } from '@gatehouse/db-kit'
import { sql } from 'drizzle-orm'
import { verificationTokens } from '../src/db/schema/index.ts'
import { createTenant } from '../src/tenants.ts'
const db = await createDb(process.env.BENCH_DATABASE_URL ? { url: process.env.BENCH_DATABASE_URL } : {})
await migrateUp(db, { migrationsDir: new URL('../migrations', import.meta.url).pathname, service: 'tenant-gateway' })
const t = await createTenant(db.db, 'x', 'u', new Date())
const rows = (n: number) => Array.from({ length: n }, () => ({ jti: randomUUID() + randomUUID(), clientId: t.id, audience: 'bom-triggers', requestId: randomUUID(), issuedAt: new Date(), expiresAt: new Date() }))
if (process.env.NOFK) await db.raw.exec('alter table verification_tokens drop constraint verification_tokens_client_id_clients_id_fk; alter table verification_tokens drop constraint verification_tokens_key_id_api_keys_id_fk')
for (const size of [500, 2000]) {
  let start = performance.now()
  for (let i = 0; i < 10; i++) {
    const json = JSON.stringify(rows(size))
    await db.db.execute(sql`insert into verification_tokens (jti, client_id, audience, request_id, issued_at, expires_at)
      select jti, "clientId", audience, "requestId", "issuedAt", "expiresAt" from json_to_recordset(${json}::json) as r(jti text, "clientId" uuid, audience text, "requestId" text, "issuedAt" timestamptz, "expiresAt" timestamptz) on conflict do nothing`)
  }
  console.log('json_to_recordset', size, ((performance.now() - start) / 10).toFixed(1), 'ms per batch')
}
await db.close()
