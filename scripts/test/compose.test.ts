import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { parse } from 'yaml'
import { configSchema as authApi } from '../../services/auth-api/src/config.ts'
import { configSchema as bomTriggers } from '../../services/bom-triggers/src/config.ts'
import { configSchema as metering } from '../../services/metering/src/config.ts'
import { configSchema as qrAuth } from '../../services/qr-auth/src/config.ts'
import { configSchema as tenantGateway } from '../../services/tenant-gateway/src/config.ts'

// No Docker engine runs here, so docker-compose.yml is kept true by checking it against what the services read.
const root = join(import.meta.dirname, '..', '..')
const compose = parse(readFileSync(join(root, 'docker-compose.yml'), 'utf8')) as {
  services: Record<
    string,
    { environment?: Record<string, unknown>; ports?: string[]; build?: { args?: { SERVICE?: string } } }
  >
}
const schemas: Record<string, { properties: Record<string, unknown> }> = {
  'auth-api': authApi,
  'qr-auth': qrAuth,
  'tenant-gateway': tenantGateway,
  'bom-triggers': bomTriggers,
  metering,
}

describe('docker-compose.yml', () => {
  for (const [name, schema] of Object.entries(schemas)) {
    it(`${name}: every variable compose sets is one the service reads, on the port it defaults to`, () => {
      const service = compose.services[name]
      expect(service, name).toBeDefined()
      expect(service?.build?.args?.SERVICE).toBe(name)
      const environment = service?.environment ?? {}
      const unknown = Object.keys(environment).filter((variable) => !(variable in schema.properties))
      expect(unknown).toEqual([])
      expect(String(environment.PORT)).toBe(String((schema.properties.PORT as { default: number }).default))
    })
  }

  it('publishes only the gateway', () => {
    const published = Object.entries(compose.services).filter(([, service]) => service.ports?.length)
    expect(published.map(([name]) => name)).toEqual(['tenant-gateway'])
  })

  it('points the gateway at each upstream by its compose name and port', () => {
    const environment = compose.services['tenant-gateway']?.environment ?? {}
    expect(environment).toMatchObject({
      AUTH_API_URL: `http://auth-api:${compose.services['auth-api']?.environment?.PORT}`,
      QR_AUTH_URL: `http://qr-auth:${compose.services['qr-auth']?.environment?.PORT}`,
      BOM_TRIGGERS_URL: `http://bom-triggers:${compose.services['bom-triggers']?.environment?.PORT}`,
      METERING_URL: `http://metering:${compose.services.metering?.environment?.PORT}`,
    })
  })
})
