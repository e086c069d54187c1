// One file per table, re-exported here (see services/auth-api/src/db/schema).

export { webhookOutbox } from '../../webhooks/schema.ts'
export * from './bom-trigger-logs.ts'
export * from './bom-triggers.ts'
export * from './materials.ts'
export * from './task-bom-items.ts'
export * from './task-costs.ts'
export * from './tasks.ts'
export * from './tenant-setups.ts'
