import type { ServiceInstance } from '@gatehouse/service-kit'
import type { EventSource } from '../db/schema/index.ts'
import type { EventAnswer } from '../ingest.ts'

/** `metering_events_total{source, outcome}`: what to watch (duplicates climbing means a sender retries a lot). */
export function outcomeCounter(app: ServiceInstance, source: EventSource) {
  const counter = app.hasDecorator('metrics')
    ? app.metrics.counter('metering_events_total', 'Usage events received, by source and outcome.', [
        'source',
        'outcome',
      ])
    : undefined
  return (answers: readonly EventAnswer[]) => {
    if (!counter) return
    for (const outcome of ['accepted', 'duplicate', 'rejected'] as const) {
      const n = answers.filter((answer) => answer.status === outcome).length
      if (n > 0) counter.inc({ source, outcome }, n)
    }
  }
}
