import type { FastifyInstance } from 'fastify'
import { codesOfResponse, operationsOf } from '../openapi.ts'
import {
  type Conformance,
  type OpenApiDocument,
  type OperationRef,
  problemCodeOf,
} from './openapi-conformance.ts'

export interface DocumentedRequest {
  url?: string
  headers?: Record<string, string>
  payload?: unknown
}

export interface DocumentedAnswer {
  status: number
  /** The problem code answered, if the answer is a problem. */
  code: string | undefined
  /** Every problem code the document lists for the operation, whatever the status. */
  listed: string[]
  /** What is wrong with the answer against the documented response. */
  problems: string[]
}

/**
 * For tests that trigger refusals on purpose: `call(app, method, path, request)` injects the request and checks the
 * answer against the document's operation `method path` (status, media type, body schema) and returns the code it
 * answered beside the codes the operation lists.
 */
export function documentedCalls(document: OpenApiDocument, conformance: Conformance) {
  const operation = (method: string, path: string): OperationRef => {
    const found = operationsOf(document as never).find(
      (candidate) => candidate.method === method.toLowerCase() && candidate.path === path,
    )
    if (!found) throw new Error(`${method} ${path} is not in the document`)
    return found as OperationRef
  }
  const documentedCodes = (ref: OperationRef) =>
    Object.values(ref.operation.responses ?? {}).flatMap((response) => codesOfResponse(response))

  return {
    operation,
    documentedCodes,
    async call(
      app: FastifyInstance,
      method: string,
      path: string,
      request: DocumentedRequest = {},
    ): Promise<DocumentedAnswer> {
      const ref = operation(method, path)
      const response = await app.inject({
        method: method as 'GET',
        url: request.url ?? path,
        ...(request.headers ? { headers: request.headers } : {}),
        ...(request.payload === undefined ? {} : { payload: request.payload as object }),
      })
      const contentType = response.headers['content-type'] as string | undefined
      const body = contentType?.includes('json') ? response.json() : response.body
      const answer = { status: response.statusCode, contentType, body }
      return {
        status: response.statusCode,
        code: problemCodeOf(answer),
        listed: documentedCodes(ref),
        problems: conformance.check(ref, answer),
      }
    },
  }
}
