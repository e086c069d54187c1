import { type ChildProcess, spawn } from 'node:child_process'

/** BENCH_CPU_PROF=<dir>: the node flags that make a server write a V8 CPU profile there when it stops. */
export function cpuProfileArgs(dir: string | undefined): string[] {
  return dir ? ['--cpu-prof', `--cpu-prof-dir=${dir}`] : []
}

/** A service's real server (src/server.ts under tsx) in its own process, this process's env plus `env`. */
export function spawnServer(
  serviceDir: string,
  env: Record<string, string>,
  options: { execArgv?: string[] } = {},
): ChildProcess {
  return spawn(process.execPath, [...(options.execArgv ?? []), '--import', 'tsx', 'src/server.ts'], {
    cwd: serviceDir,
    stdio: ['ignore', 'ignore', 'inherit'],
    env: { ...process.env, ...env },
  })
}

/** Resolves once `${base}/health` answers 2xx; throws after `timeoutMs`, tried every 100 ms. */
export async function waitHealthy(base: string, timeoutMs = 30_000): Promise<void> {
  for (let attempt = 0; attempt < timeoutMs / 100; attempt++) {
    const ok = await fetch(`${base}/health`).then(
      (response) => response.ok,
      () => false,
    )
    if (ok) return
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  throw new Error(`${base} did not come up`)
}

/** SIGTERM, then resolves when the process has exited (at once when it had already). */
export async function stopProcess(child: ChildProcess | undefined): Promise<void> {
  if (!child) return
  child.kill('SIGTERM')
  if (child.exitCode !== null || child.signalCode !== null) return
  await new Promise((resolve) => child.once('exit', resolve))
}
