import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { PassThrough } from 'node:stream'
import Type from 'typebox'
import { afterEach, describe, expect, it } from 'vitest'
import { createService, type ServiceInstance } from '../src/create-service.ts'
import { GENERIC_ERRORS } from '../src/error-catalogue.ts'
import { ServiceError } from '../src/errors.ts'
import { widgetErrors, widgetsService } from './fixtures/widgets-service.ts'

const root = join(import.meta.dirname, '..', '..', '..')

function sourcesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name)
    if (statSync(path).isDirectory()) return name === 'node_modules' ? [] : sourcesUnder(path)
    return path.endsWith('.ts') ? [path] : []
  })
}

/** Codes written as literals where a problem is made: `new ServiceError('X'`, `${codePrefix}_X`, Fastify's map. */
function literalCodesIn(files: string[]): Set<string> {
  const codes = new Set<string>()
  for (const file of files) {
    const text = readFileSync(file, 'utf8')
    for (const match of text.matchAll(/new ServiceError\(\s*'([A-Z0-9_]+)'/g)) codes.add(match[1]!)
    for (const match of text.matchAll(/[cC]odePrefix\}_([A-Z0-9_]+)/g)) codes.add(match[1]!)
    for (const match of text.matchAll(/\?\? \(status === 429 \? '([A-Z_]+)' : '([A-Z_]+)'\)/g)) {
      codes.add(match[1]!)
      codes.add(match[2]!)
    }
    // Tables of codes the handlers pick from (`{ code: 'BAD_URL', status: 400 }`).
    for (const match of text.matchAll(/\bcode: '([A-Z][A-Z0-9_]+)'/g)) codes.add(match[1]!)
    const fastifyCodes = /const FASTIFY_CODES[^}]*\}/s.exec(text)?.[0] ?? ''
    for (const match of fastifyCodes.matchAll(/: '([A-Z_]+)'/g)) codes.add(match[1]!)
  }
  return codes
}

let app: ServiceInstance | undefined
afterEach(async () => {
  await app?.close()
  app = undefined
})

describe('the error catalogue', () => {
  it('lists every code service-kit can answer with (read from its source)', () => {
    const answered = literalCodesIn(sourcesUnder(join(root, 'packages', 'service-kit', 'src')))
    expect(answered.size).toBeGreaterThan(10)
    const missing = [...answered].filter((code) => !(code in GENERIC_ERRORS))
    expect(missing).toEqual([])
  })

  it('lists every code each service makes by hand, beside its defineErrors tables', async () => {
    for (const service of readdirSync(join(root, 'services'))) {
      const src = join(root, 'services', service, 'src')
      let files: string[]
      try {
        files = sourcesUnder(src)
      } catch {
        continue
      }
      const errorsModule = join(src, 'errors.ts')
      const tableCodes = files.includes(errorsModule)
        ? Object.values((await import(errorsModule)) as Record<string, unknown>).flatMap((value) =>
            value && typeof value === 'object' ? Object.keys(value) : [],
          )
        : []
      const missing = [...literalCodesIn(files)].filter(
        (code) => !(code in GENERIC_ERRORS) && !tableCodes.includes(code),
      )
      expect(missing, service).toEqual([])
    }
  })

  it('holds every code the generic paths really answer (forced one by one)', async () => {
    app = createService({
      name: 'demo',
      logger: false,
      database: { ping: () => Promise.reject(new Error('down')) },
    })
    app.post('/things', { schema: { body: Type.Object({ n: Type.Integer() }) } }, async () => ({}))
    app.get('/conflict', async () => {
      throw Object.assign(new Error('dup'), { code: '23505' })
    })
    app.get('/bad-value', async () => {
      throw Object.assign(new Error('bad'), { code: '22P02' })
    })
    app.get('/db-down', async () => {
      throw Object.assign(new Error('down'), { code: 'ECONNREFUSED' })
    })
    app.get('/boom', async () => {
      throw new Error('boom')
    })
    const json = { 'content-type': 'application/json' }
    const answers = await Promise.all([
      app.inject({ method: 'POST', url: '/things', payload: { n: 'x' } }),
      app.inject({ method: 'POST', url: '/things', headers: json, payload: '{' }),
      app.inject({
        method: 'POST',
        url: '/things',
        headers: json,
        payload: JSON.stringify({ n: 1, pad: 'x'.repeat(70_000) }),
      }),
      app.inject({
        method: 'POST',
        url: '/things',
        headers: { 'content-type': 'application/xml' },
        payload: '<n/>',
      }),
      app.inject('/nowhere'),
      app.inject('/conflict'),
      app.inject('/bad-value'),
      app.inject('/db-down'),
      app.inject('/boom'),
      app.inject('/ready'),
    ])
    const codes = answers.map((response) => response.json().code as string)
    expect(new Set(codes).size).toBe(codes.length)
    for (const code of codes) expect(app.errorCatalogue.has(code), code).toBe(true)
  })

  it('gives each entry status, title, what to do and its page, the service’s own hints first', () => {
    app = widgetsService()
    const entry = (code: string) => app?.errorCatalogue.entries.find((candidate) => candidate.code === code)
    expect(entry('BOM_TRIGGERS_WIDGET_TAKEN')).toMatchObject({ status: 409, hint: 'Pick another name.' })
    expect(entry('BOM_TRIGGERS_WIDGET_NOT_FOUND')?.hint).toMatch(/does not exist/)
    expect(entry('BOM_TRIGGERS_RATE_LIMITED')?.hint).toMatch(/Retry-After/)
    const { code, status, hint } = widgetErrors.WIDGET_TAKEN
    expect({ code, status, hint }).toEqual({ code: 'WIDGET_TAKEN', status: 409, hint: 'Pick another name.' })
    expect(widgetErrors.WIDGET_TAKEN('taken').detail).toBe('taken')
    for (const item of app.errorCatalogue.entries) {
      expect(item.type).toBe(`https://gatehouse.dev/errors/${item.code.toLowerCase().replaceAll('_', '-')}`)
    }
  })

  it('says loudly when a route answers a code no table lists', async () => {
    const stream = new PassThrough()
    let logged = ''
    stream.on('data', (chunk) => {
      logged += chunk
    })
    app = createService({ name: 'demo', logger: { stream, level: 'error' } })
    app.get('/rogue', async () => {
      throw new ServiceError('ROGUE_CODE', 418, 'Teapot')
    })
    const response = await app.inject('/rogue')
    expect(response.json().code).toBe('DEMO_ROGUE_CODE')
    expect(app.errorCatalogue.has('DEMO_ROGUE_CODE')).toBe(false)
    expect(logged).toContain('problem code missing from the error catalogue')
    expect(logged).toContain('DEMO_ROGUE_CODE')
  })
})
