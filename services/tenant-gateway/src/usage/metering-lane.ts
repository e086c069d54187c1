/**
 * One call to metering at a time between the usage sink and the quota tracker. A month-to-date snapshot taken while
 * a batch is in flight cannot tell whether that batch is already in metering's count: it would be counted twice
 * (as metering's and as still pending here) and refuse a tenant early. Serialized, every event is either delivered
 * and settled before the snapshot is asked for, or not yet sent.
 */
export interface MeteringLane {
  run<T>(work: () => Promise<T>): Promise<T>
}

export function createMeteringLane(): MeteringLane {
  let tail: Promise<unknown> = Promise.resolve()
  return {
    run(work) {
      const result = tail.then(work)
      tail = result.catch(() => undefined)
      return result
    },
  }
}
