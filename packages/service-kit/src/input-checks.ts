import type { FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify'
import { type FieldError, ServiceError } from './errors.ts'

/**
 * JSON nesting deeper than this is refused before validation: nothing we accept comes close, and deep values
 * would make the recursive steps after parsing (ajv, serializers) overflow the stack (a 500).
 */
export const MAX_INPUT_DEPTH = 64

const NUL_MESSAGE = 'must not contain NUL characters (\\u0000)'
const DEPTH_MESSAGE = `must not be nested deeper than ${MAX_INPUT_DEPTH} levels`

/**
 * Parsed JSON, params and querystrings: arrays and plain objects (params and querystrings are instances of
 * prototype-less classes). A stream, a Buffer or any other class instance is not input to look into.
 */
function isContainer(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false
  if (Array.isArray(value)) return true
  const prototype = Object.getPrototypeOf(value)
  return prototype === Object.prototype || prototype === null || Object.getPrototypeOf(prototype) === null
}

const escapePointer = (key: string) => key.replaceAll('~', '~0').replaceAll('/', '~1')

/**
 * Field errors for text PostgreSQL cannot store (a NUL byte is SQLSTATE 22021 in text, 22P05 in jsonb) and for
 * values nested too deeply, in keys and values alike. Iterative, so a deep value cannot overflow the stack here;
 * anything that is not a plain parsed value (a stream the gateway forwards, a Buffer) is not looked into.
 */
export function inputProblems(value: unknown, basePath: string): FieldError[] | undefined {
  if (typeof value === 'string') {
    return value.includes('\u0000') ? [{ path: basePath, message: NUL_MESSAGE }] : undefined
  }
  if (!isContainer(value)) return undefined
  let problems: FieldError[] | undefined
  // Allocated only once a nested value shows up: flat params and querystrings cost no allocation.
  let pending: Array<{ value: Record<string, unknown>; path: string; depth: number }> | undefined
  let container = value
  let path = basePath
  let depth = 1
  for (;;) {
    if (depth > MAX_INPUT_DEPTH) {
      problems ??= []
      problems.push({ path, message: DEPTH_MESSAGE })
    } else if (Array.isArray(container)) {
      // An index loop: for...in over a long array would make a string of every index.
      for (let index = 0; index < container.length; index++) {
        const child: unknown = container[index]
        if (typeof child === 'string') {
          if (child.includes('\u0000')) {
            problems ??= []
            problems.push({ path: `${path}/${index}`, message: NUL_MESSAGE })
          }
        } else if (isContainer(child)) {
          pending ??= []
          pending.push({ value: child, path: `${path}/${index}`, depth: depth + 1 })
        }
      }
    } else {
      for (const key in container) {
        const child = container[key]
        if (key.includes('\u0000') || (typeof child === 'string' && child.includes('\u0000'))) {
          problems ??= []
          problems.push({ path: `${path}/${escapePointer(key)}`, message: NUL_MESSAGE })
        } else if (isContainer(child)) {
          pending ??= []
          pending.push({ value: child, path: `${path}/${escapePointer(key)}`, depth: depth + 1 })
        }
      }
    }
    const next = pending?.pop()
    if (!next) return problems
    container = next.value
    path = next.path
    depth = next.depth
  }
}

/**
 * preValidation hook of every service (createService installs it): bad text anywhere in the body, path
 * parameters or querystring is a 400 with field paths, like any validation failure, instead of a database error.
 * Callback style and allocation-free on clean input: it runs on every request, the gateway's proxy included.
 */
export function rejectBadInput(
  request: FastifyRequest,
  _reply: FastifyReply,
  done: HookHandlerDoneFunction,
): void {
  const inParams = inputProblems(request.params, '/params')
  const inQuery = inputProblems(request.query, '/querystring')
  const inBody = inputProblems(request.body, '/body')
  if (!inParams && !inQuery && !inBody) {
    done()
    return
  }
  done(
    new ServiceError(
      'VALIDATION_FAILED',
      400,
      'Request validation failed',
      'One or more fields are invalid.',
      { errors: [...(inParams ?? []), ...(inQuery ?? []), ...(inBody ?? [])] },
    ),
  )
}
