import { timestamptz } from '@gatehouse/db-kit/columns'
import { pgTable, uuid } from 'drizzle-orm/pg-core'

/** One row per tenant whose copy of the template catalogue and triggers was made (on its first call). */
export const tenantSetups = pgTable('tenant_setups', {
  tenantId: uuid().primaryKey(),
  provisionedAt: timestamptz().notNull().defaultNow(),
})
