// One file per table, re-exported here.
export { type AuthSession, authSessions, STORED_STATUSES, type StoredStatus } from './auth-sessions.ts'
