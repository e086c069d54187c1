import type { TSchema } from 'typebox'
import Value from 'typebox/value'
import { errors } from '../errors.ts'

/** Opaque page cursors: base64url JSON, checked against a schema when they come back. */
export function encodeCursor(position: unknown): string {
  return Buffer.from(JSON.stringify(position)).toString('base64url')
}

export function decodeCursor<T>(schema: TSchema, cursor: string | undefined): T | undefined {
  if (cursor === undefined) return undefined
  let position: unknown
  try {
    position = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'))
  } catch {
    throw errors.INVALID_CURSOR('Pass back a nextCursor exactly as a previous page returned it.')
  }
  if (!Value.Check(schema, position))
    throw errors.INVALID_CURSOR('Pass back a nextCursor exactly as a previous page returned it.')
  return position as T
}
