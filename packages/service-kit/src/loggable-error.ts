/**
 * What of an error may go to a log. A database error's message, detail and stack header carry the SQL and its
 * parameters (drizzle's `Failed query: insert into users ... params: <email>,<argon2 hash>`, PostgreSQL's
 * `Key (email)=(ann@example.com) already exists`), so for those only the class, the SQLSTATE and the names of the
 * constraint, table and column are kept, and of any stack only its `at ...` frames (the message can span lines).
 */
export interface LoggableError {
  type: string
  code?: string
  sqlState?: string
  constraint?: string
  table?: string
  column?: string
  message?: string
  stack?: string
  cause?: LoggableError
}

const SQLSTATE = /^[0-9A-Z]{5}$/
const MAX_CAUSES = 4

function field(error: object, name: string): string | undefined {
  const value = (error as Record<string, unknown>)[name]
  return typeof value === 'string' && value.length <= 200 ? value : undefined
}

/** drizzle's wrapper, or anything carrying a SQLSTATE, a query or its parameters, here or in its causes. */
export function isDatabaseError(error: unknown): boolean {
  let current: unknown = error
  for (let depth = 0; depth <= MAX_CAUSES && typeof current === 'object' && current !== null; depth++) {
    if ((current as Error).name === 'DrizzleQueryError') return true
    const code = field(current, 'code')
    if (code && SQLSTATE.test(code)) return true
    if ('query' in current || 'parameters' in current) return true
    current = (current as { cause?: unknown }).cause
  }
  return false
}

function framesOf(stack: unknown): string | undefined {
  if (typeof stack !== 'string') return undefined
  const frames = stack.split('\n').filter((line) => /^\s+at /.test(line))
  return frames.length > 0 ? frames.join('\n') : undefined
}

function describe(error: unknown, database: boolean, depth: number): LoggableError {
  if (typeof error !== 'object' || error === null) return { type: typeof error }
  const code = field(error, 'code')
  const described: LoggableError = { type: (error as Error).name ?? error.constructor?.name ?? 'Error' }
  if (code && SQLSTATE.test(code)) {
    described.sqlState = code
    for (const name of ['constraint', 'table', 'column'] as const) {
      // postgres.js names them constraint_name, table_name, column_name; PGlite constraint, table, column.
      const value = field(error, name) ?? field(error, `${name}_name`)
      if (value) described[name] = value
    }
  } else if (code) {
    described.code = code
  }
  if (!database && typeof (error as Error).message === 'string') described.message = (error as Error).message
  const stack = framesOf((error as Error).stack)
  if (stack) described.stack = stack
  const cause = (error as { cause?: unknown }).cause
  if (cause !== undefined && depth < MAX_CAUSES) described.cause = describe(cause, database, depth + 1)
  return described
}

/** The loggable part of any thrown value: service-kit's logger serializes `err` with it, the error handler too. */
export function loggableError(error: unknown): LoggableError {
  return describe(error, isDatabaseError(error), 0)
}
