// One file per table, re-exported here (see services/auth-api/src/db/schema).
export {}
