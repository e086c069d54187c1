import { type LoggableError, loggableError } from '@gatehouse/service-kit'
import { ActionError } from '../actions/index.ts'

/** The SQLSTATE of a database error, from service-kit's loggable view (never the message: it holds the SQL). */
function sqlStateOf(error: unknown): string | undefined {
  for (let part: LoggableError | undefined = loggableError(error); part; part = part.cause) {
    if (part.sqlState) return part.sqlState
  }
  return undefined
}

/** Why an action failed, in words safe to store in the log and show the tenant. Unexpected errors are logged. */
export function actionFailureMessage(
  error: unknown,
  log: { error(details: object, message: string): void },
  triggerId: string,
): string {
  if (error instanceof ActionError) return error.message
  const sqlState = sqlStateOf(error)
  if (sqlState) return `the database refused the change (SQLSTATE ${sqlState})`
  log.error({ triggerId, err: error }, 'trigger action crashed')
  return 'the action failed unexpectedly'
}
