/** fn(0) .. fn(count - 1) with `parallel` calls in flight; the results in order. */
export async function inParallel<T>(
  count: number,
  fn: (index: number) => Promise<T>,
  parallel: number,
): Promise<T[]> {
  const results: T[] = []
  let next = 0
  const worker = async () => {
    for (let index = next++; index < count; index = next++) results[index] = await fn(index)
  }
  await Promise.all(Array.from({ length: parallel }, worker))
  return results
}

/** Per-call latency (ms) of fn with `parallel` calls in flight (as the server sees them). */
export function latencies(
  calls: number,
  parallel: number,
  fn: (index: number) => Promise<unknown>,
): Promise<number[]> {
  return inParallel(
    calls,
    async (index) => {
      const started = performance.now()
      await fn(index)
      return performance.now() - started
    },
    parallel,
  )
}
