import type { TSchema } from 'typebox'
import Value from 'typebox/value'
import type { FieldError } from './engine/conditions.ts'
import { errors } from './errors.ts'

/** TypeBox's errors for `value` as field errors under `base` (a JSON pointer such as `/actionConfig`). */
export function schemaErrors(schema: TSchema, value: unknown, base: string): FieldError[] {
  const found: FieldError[] = []
  for (const error of Value.Errors(schema, value)) {
    const params = error.params as { additionalProperties?: string[]; requiredProperties?: string[] }
    if (error.keyword === 'additionalProperties') {
      for (const name of params.additionalProperties ?? [])
        found.push({ path: `${base}${error.instancePath}/${name}`, message: 'unknown field' })
    } else if (error.keyword === 'required') {
      for (const name of params.requiredProperties ?? [])
        found.push({ path: `${base}${error.instancePath}/${name}`, message: 'is required' })
    } else if (error.keyword !== 'boolean') {
      found.push({ path: `${base}${error.instancePath}`, message: error.message })
    }
  }
  return found
}

/** A 400 in the shape of a schema validation failure, for rules a JSON schema cannot say clearly. */
export function invalidField(path: string, message: string) {
  return errors.VALIDATION_FAILED('One or more fields are invalid.', { errors: [{ path, message }] })
}
