import type { LoggerOptions } from 'pino'
import { loggableError } from './loggable-error.ts'

/** Everything that may carry a credential. pino's redact paths are exact, hence the explicit list. */
export const redactPaths = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-api-key"]',
  'req.headers["x-gatehouse-context"]',
  'req.headers["x-internal-token"]',
  'res.headers["set-cookie"]',
  'headers.authorization',
  'headers.cookie',
  '*.password',
  '*.confirmPassword',
  '*.newPassword',
  '*.token',
  '*.accessToken',
  '*.refreshToken',
  '*.exchangeToken',
  '*.apiKey',
  '*.key',
  '*.secret',
  'password',
  'token',
  'refreshToken',
  'apiKey',
]

const loggableIfError = (value: unknown) => (value instanceof Error ? loggableError(value) : value)

export interface LoggerSettings {
  level?: string
  pretty?: boolean
  /** Where log lines go; tests pass a stream to read them back. */
  stream?: NodeJS.WritableStream
}

export function loggerOptions(service: string, settings: LoggerSettings = {}): LoggerOptions {
  return {
    level: settings.level ?? 'info',
    base: { service },
    redact: { paths: redactPaths, censor: '[redacted]' },
    serializers: {
      // An error logged raw (`{ err }`, `{ error }`) keeps no SQL, parameters or database detail.
      err: loggableIfError,
      error: loggableIfError,
      // Query strings may hold tokens (e.g. ?token=): log the path only.
      req: (req: { method: string; url: string; headers: Record<string, unknown>; ip?: string }) => ({
        method: req.method,
        url: req.url.split('?')[0],
        ip: req.ip,
        userAgent: req.headers['user-agent'],
      }),
    },
    ...(settings.pretty ? { transport: { target: 'pino-pretty' } } : {}),
  }
}
