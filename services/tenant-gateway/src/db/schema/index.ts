export { apiKeys } from './api-keys.ts'
export { clients, PLANS, TENANT_STATUSES } from './clients.ts'
export { memberships, ROLES } from './memberships.ts'
export { verificationTokens } from './verification-tokens.ts'
