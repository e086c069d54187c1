import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import Type from 'typebox'
import { describe, expect, it } from 'vitest'
import { ConfigError, commonEnv, loadConfig } from '../src/config.ts'

const run = promisify(execFile)
const schema = Type.Object({
  ...commonEnv,
  PORT: Type.Integer({ default: 3001, minimum: 1, maximum: 65535 }),
  CRON_SECRET: Type.String({ minLength: 16 }),
})

describe('loadConfig', () => {
  it('applies defaults and converts types', () => {
    const config = loadConfig(schema, { CRON_SECRET: 'x'.repeat(16), LOG_PRETTY: 'true', PORT: '4000' })
    expect(config).toMatchObject({ PORT: 4000, LOG_PRETTY: true, NODE_ENV: 'development', HOST: '127.0.0.1' })
    expect(Object.isFrozen(config)).toBe(true)
  })

  it('names every missing or invalid variable once', () => {
    try {
      loadConfig(schema, { PORT: 'eighty', NODE_ENV: 'staging' })
      expect.unreachable()
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError)
      const problems = (error as ConfigError).problems
      expect(problems).toContain('CRON_SECRET: is required but not set')
      expect(problems.some((p) => p.startsWith('PORT: invalid value'))).toBe(true)
      expect(problems.some((p) => p.startsWith('NODE_ENV: invalid value'))).toBe(true)
      expect(problems).toHaveLength(3)
    }
  })

  it('exits 1 with one readable line and no stack trace when a variable is missing', async () => {
    const script = fileURLToPath(new URL('./fixtures/config-exit.ts', import.meta.url))
    const failure = await run(process.execPath, ['--import', 'tsx', script], {
      env: { PATH: process.env.PATH, PORT: '80' },
    }).catch((error: { code: number; stdout: string; stderr: string }) => error)
    expect('code' in failure && failure.code).toBe(1)
    expect(failure.stdout).toBe('')
    expect(failure.stderr.trim().split('\n')).toEqual([
      'demo: config error: CRON_SECRET: is required but not set',
    ])
  })
})
