export class MigrationError extends Error {
  override name = 'MigrationError'
  /** The migration file concerned, e.g. `0001_users.sql` or `0001_users.down.sql`. */
  readonly file: string
  readonly statement?: string
  readonly pgCode?: string
  readonly pgMessage?: string

  constructor(message: string, details: { file: string; statement?: string; cause?: unknown }) {
    super(message, { cause: details.cause })
    this.file = details.file
    this.statement = details.statement
    const pg = postgresError(details.cause)
    this.pgCode = pg?.code
    this.pgMessage = pg?.message
  }
}

/** Postgres errors (postgres.js and PGlite alike) carry a five-character SQLSTATE in `code`. */
function postgresError(error: unknown): { code: string; message: string } | undefined {
  if (!(error instanceof Error) || !('code' in error)) return undefined
  const { code } = error
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? { code, message: error.message } : undefined
}
