import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Type from 'typebox'
import { afterAll, describe, expect, it } from 'vitest'
import { ConfigError, devSecretsFileOf, loadServiceConfig, serviceEnv } from '../src/config.ts'

const schema = Type.Object({
  ...serviceEnv('qr-auth'),
  CRON_SECRET: Type.Optional(Type.String({ minLength: 16 })),
})
const dirs: string[] = []
const tempFile = () => {
  const dir = mkdtempSync(join(tmpdir(), 'svc-config-'))
  dirs.push(dir)
  return join(dir, 'secrets.json')
}
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true })
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

describe('loadServiceConfig', () => {
  it('defaults PORT to the service registry port', () => {
    expect(loadServiceConfig(schema, {}).PORT).toBe(3002)
  })

  it('requires every production secret in production, one line each', () => {
    const problems = problemsOf(() =>
      loadServiceConfig(
        schema,
        { NODE_ENV: 'production' },
        { productionSecrets: ['INTERNAL_SECRET', 'CRON_SECRET'] },
      ),
    )
    expect(problems).toEqual([
      'INTERNAL_SECRET: is required in production',
      'CRON_SECRET: is required in production',
    ])
  })

  it('never generates secrets in production, even when a development file is given', () => {
    const file = tempFile()
    const problems = problemsOf(() =>
      loadServiceConfig(
        schema,
        { NODE_ENV: 'production' },
        { productionSecrets: ['INTERNAL_SECRET'], devSecretsFile: file },
      ),
    )
    expect(problems).toEqual(['INTERNAL_SECRET: is required in production'])
    expect(existsSync(file)).toBe(false)
  })

  it('outside production, generates missing secrets once into the development file and reuses them', () => {
    const file = tempFile()
    const rules = { productionSecrets: ['INTERNAL_SECRET', 'CRON_SECRET'] as const, devSecretsFile: file }
    const first = loadServiceConfig(schema, {}, rules)
    const second = loadServiceConfig(schema, {}, rules)
    expect(first.INTERNAL_SECRET?.length).toBeGreaterThanOrEqual(32)
    expect(second.INTERNAL_SECRET).toBe(first.INTERNAL_SECRET)
    expect(JSON.parse(readFileSync(file, 'utf8'))).toMatchObject({ INTERNAL_SECRET: first.INTERNAL_SECRET })
    const given = 'g'.repeat(32)
    expect(loadServiceConfig(schema, { INTERNAL_SECRET: given }, rules).INTERNAL_SECRET).toBe(given)
  })

  it('outside production, leaves production-only secrets unset without a development file', () => {
    expect(
      loadServiceConfig(schema, {}, { productionSecrets: ['INTERNAL_SECRET'] }).INTERNAL_SECRET,
    ).toBeUndefined()
  })

  it('requires always-required secrets outside production too, naming how to get one', () => {
    const problems = problemsOf(() => loadServiceConfig(schema, {}, { requiredSecrets: ['INTERNAL_SECRET'] }))
    expect(problems).toEqual(['INTERNAL_SECRET: is required (pnpm start generates one for development)'])
  })

  it('keeps the schema rules for generated and given secrets alike', () => {
    const problems = problemsOf(() => loadServiceConfig(schema, { INTERNAL_SECRET: 'short' }))
    expect(problems).toHaveLength(1)
    expect(problems[0]).toMatch(/^INTERNAL_SECRET: invalid value/)
  })

  it('puts the development secrets beside the data folder', () => {
    expect(devSecretsFileOf({ DATA_DIR: '/srv/gh/.data/qr-auth' })).toBe('/srv/gh/.data/secrets.json')
    expect(devSecretsFileOf({ GATEHOUSE_DATA_DIR: '/tmp/gh' })).toBe('/tmp/gh/secrets.json')
  })
})
