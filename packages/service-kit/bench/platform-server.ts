/**
 * Two copies of the same small service in this process: one with what createService installs by default on a
 * server (metrics, load shedding at 250 ms, the OpenAPI document), one without (the baseline). Each has a no-op
 * route with a typed response and a route that answers a problem. Sends their ports to the parent, and its CPU
 * time when asked.
 */
import type { AddressInfo } from 'node:net'
import Type from 'typebox'
import { answerCpuQuestions } from '../src/bench/index.ts'
import { createService, type ServiceInstance } from '../src/create-service.ts'
import { defineErrors } from '../src/errors.ts'
import { DEFAULT_PLATFORM_SETTINGS, SERVER_MAX_EVENT_LOOP_DELAY_MS } from '../src/platform-settings.ts'

const errors = defineErrors({ ITEM_NOT_FOUND: [404, 'Item not found'] })

// BENCH_ONLY=metrics|loadShedding|openapi: the "with" copy has only that part (to find what costs).
const only = process.env.BENCH_ONLY
const part = (name: string, withPlatform: boolean) => withPlatform && (!only || only === name)

function build(withPlatform: boolean): ServiceInstance {
  const app = createService({
    name: 'bom-triggers',
    logger: false,
    metrics: part('metrics', withPlatform),
    openapi: part('openapi', withPlatform) ? {} : false,
    loadShedding: part('loadShedding', withPlatform)
      ? { ...DEFAULT_PLATFORM_SETTINGS.loadShedding, maxEventLoopDelayMs: SERVER_MAX_EVENT_LOOP_DELAY_MS }
      : false,
  })
  app.get(
    '/api/tasks/:id',
    {
      schema: {
        params: Type.Object({ id: Type.String({ maxLength: 64 }) }),
        response: { 200: Type.Object({ id: Type.String(), title: Type.String() }) },
      },
    },
    async (request) => {
      if (request.params.id === 'missing') throw errors.ITEM_NOT_FOUND()
      return { id: request.params.id, title: 'bench' }
    },
  )
  return app
}

const ports: number[] = []
for (const withPlatform of [false, true]) {
  const app = build(withPlatform)
  await app.listen({ port: 0, host: '127.0.0.1' })
  ports.push((app.server.address() as AddressInfo).port)
}
process.send?.({ off: ports[0], on: ports[1] })
// The parent asks for this process's CPU time around each round.
answerCpuQuestions()
process.on('disconnect', () => process.exit(0))
