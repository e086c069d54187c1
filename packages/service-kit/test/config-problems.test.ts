import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import Type from 'typebox'
import { describe, expect, it } from 'vitest'
import { ConfigError, loadConfig, loadServiceConfig, serviceEnv } from '../src/config.ts'

const run = promisify(execFile)
const schema = Type.Object({
  ...serviceEnv('metering'),
  CRON_SECRET: Type.Optional(Type.String({ minLength: 16 })),
})

function problemsOf(load: () => unknown): string[] {
  try {
    load()
  } catch (error) {
    if (error instanceof ConfigError) return error.problems
    throw error
  }
  return []
}

describe('configuration problems (issue 13 papercut and defect 13)', () => {
  it('names every bad variable, with the allowed values of closed sets', () => {
    expect(
      problemsOf(() => loadConfig(schema, { LOG_LEVEL: 'loud', PORT: '99999', LOG_PRETTY: 'maybe' })),
    ).toEqual([
      'LOG_LEVEL: invalid value (allowed: fatal, error, warn, info, debug, trace, silent)',
      'LOG_PRETTY: invalid value (allowed: true, false)',
      'PORT: invalid value (must be <= 65535)',
    ])
  })

  it('never echoes a value, so a secret in a bad variable stays out of the output', () => {
    const problems = problemsOf(() => loadConfig(schema, { INTERNAL_SECRET: 'hunter2-too-short' }))
    expect(problems).toEqual(['INTERNAL_SECRET: invalid value (must not have fewer than 32 characters)'])
  })

  it('requires INTERNAL_SECRET in production in every service, even one that does not list it', () => {
    expect(problemsOf(() => loadServiceConfig(schema, { NODE_ENV: 'production' }))).toEqual([
      'INTERNAL_SECRET: is required in production',
    ])
    // Operator commands reach the database only.
    expect(
      problemsOf(() =>
        loadServiceConfig(schema, { NODE_ENV: 'production' }, { withoutInternalSecret: true }),
      ),
    ).toEqual([])
  })

  it('reports bad values and missing secrets together, not one round at a time', () => {
    const problems = problemsOf(() =>
      loadServiceConfig(
        schema,
        { NODE_ENV: 'production', LOG_LEVEL: 'loud' },
        { productionSecrets: ['CRON_SECRET'] },
      ),
    )
    expect(problems).toEqual([
      'LOG_LEVEL: invalid value (allowed: fatal, error, warn, info, debug, trace, silent)',
      'CRON_SECRET: is required in production',
      'INTERNAL_SECRET: is required in production',
    ])
  })

  it('refuses to start in production without DATABASE_URL, with the other problems, one line each', async () => {
    const script = fileURLToPath(new URL('./fixtures/production-config.ts', import.meta.url))
    const failure = await run(process.execPath, ['--import', 'tsx', script], {
      env: { PATH: process.env.PATH, NODE_ENV: 'production', PORT: '99999' },
    }).catch((error: { code: number; stdout: string; stderr: string }) => error)
    expect('code' in failure && failure.code).toBe(1)
    expect(failure.stdout).toBe('')
    expect(failure.stderr.trim().split('\n')).toEqual([
      'metering: config error: PORT: invalid value (must be <= 65535)',
      'metering: config error: INTERNAL_SECRET: is required in production',
      'metering: config error: DATABASE_URL: is required in production (the embedded PGlite under .data/ is for development)',
    ])
    const started = await run(process.execPath, ['--import', 'tsx', script], {
      env: {
        PATH: process.env.PATH,
        NODE_ENV: 'production',
        INTERNAL_SECRET: 'i'.repeat(32),
        DATABASE_URL: 'postgres://gatehouse@db.internal:5432/metering',
      },
    })
    expect(started.stdout).toBe('started\n')
  })
})
