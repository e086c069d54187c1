import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { existsSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { createDb, DatabaseInUseError } from '../src/index.ts'
import { removeTempDirs, tempDir } from './helpers.ts'

afterAll(removeTempDirs)

describe('an embedded database has one owner at a time (issue 13, defect 12)', () => {
  it('refuses a second opener while the first holds it, and lets go on close', async () => {
    const dataDir = join(await tempDir(), 'auth-api')
    const first = await createDb({ dataDir })
    await expect(createDb({ dataDir })).rejects.toThrow(DatabaseInUseError)
    await expect(createDb({ dataDir })).rejects.toThrow(/in use by process \d+/)
    await first.close()
    expect(existsSync(`${dataDir}.lock`)).toBe(false)
    const second = await createDb({ dataDir })
    await second.close()
  })

  it('refuses another process holding it, naming it', async () => {
    const dataDir = join(await tempDir(), 'svc')
    const holder = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'])
    try {
      writeFileSync(
        `${dataDir}.lock`,
        JSON.stringify({ pid: holder.pid, command: 'services/svc/src/server.ts', since: 'now' }),
      )
      const refused = await createDb({ dataDir }).catch((error: unknown) => error)
      expect(refused).toBeInstanceOf(DatabaseInUseError)
      expect((refused as Error).message).toContain('services/svc/src/server.ts')
      expect((refused as Error).message).toContain('pnpm start')
    } finally {
      holder.kill()
      await once(holder, 'exit')
    }
    // Its holder is gone (killed, never closed): the leftover lock holds nothing.
    const reopened = await createDb({ dataDir })
    await reopened.close()
  })
})
