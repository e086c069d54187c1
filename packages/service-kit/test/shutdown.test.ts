import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

describe('graceful shutdown', () => {
  it('finishes an in-flight request after SIGTERM, runs onClose hooks and exits 0', async () => {
    const port = 20_000 + Math.floor(Math.random() * 20_000)
    const script = fileURLToPath(new URL('./fixtures/slow-server.ts', import.meta.url))
    const child = spawn(process.execPath, ['--import', 'tsx', script], {
      env: { ...process.env, PORT: String(port) },
    })
    let output = ''
    child.stdout.on('data', (chunk) => {
      output += chunk
    })
    while (!output.includes('listening')) await once(child.stdout, 'data')

    const inFlight = fetch(`http://127.0.0.1:${port}/slow`).then((response) => response.json())
    while (!output.includes('in-flight')) await once(child.stdout, 'data')
    child.kill('SIGTERM')
    const [exitCode] = await once(child, 'exit')

    await expect(inFlight).resolves.toEqual({ finished: true })
    expect(exitCode).toBe(0)
    expect(output).toContain('closed=true')
    // What bootService closes last (the database) runs after every onClose hook of the service.
    expect(output).toContain('after-close (closed was true)')
  })
})
