import type { ChildProcess } from 'node:child_process'

/** Asks a forked bench process for something (`cpu`, `count`) and resolves with its answer. */
export function ask<T>(child: ChildProcess, question: string): Promise<T> {
  return new Promise((resolve) => {
    child.once('message', (answer) => resolve(answer as T))
    child.send(question)
  })
}

/** A forked bench process's CPU time so far (user + system, µs), as answerCpuQuestions() reports it. */
export async function cpuMicrosOf(child: ChildProcess): Promise<number> {
  return (await ask<{ cpuMicros: number }>(child, 'cpu')).cpuMicros
}

/**
 * In the forked process: answers the parent's `cpu` with this process's CPU time. CPU per request does not depend
 * on what else a shared machine runs, unlike requests per second.
 */
export function answerCpuQuestions(): void {
  process.on('message', (message) => {
    if (message === 'cpu') {
      const { user, system } = process.cpuUsage()
      process.send?.({ cpuMicros: user + system })
    }
  })
}
