export { type DocumentedAnswer, type DocumentedRequest, documentedCalls } from './documented-calls.ts'
export { freePort } from './free-port.ts'
export {
  answerProblems,
  type Conformance,
  conformanceOf,
  documentProblems,
  type GeneratedRequest,
  type OpenApiDocument,
  type OperationRef,
  problemCodeOf,
  requestsOf,
} from './openapi-conformance.ts'
export {
  type BuildApp,
  closeTestApp,
  type ServiceTestKit,
  serviceTestKit,
  startServiceTestApp,
  TEST_INTERNAL_SECRET,
  TEST_SERVICE_ENV,
  type TestApp,
  type TestAppOptions,
} from './test-app.ts'
