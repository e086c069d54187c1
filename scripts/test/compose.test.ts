import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { SERVICES, upstreamServices, upstreamUrlEnvOf } from '@gatehouse/service-kit'
import { describe, expect, it } from 'vitest'
import { parse } from 'yaml'

// No Docker engine runs here, so docker-compose.yml is kept true by checking it against what the services read.
const root = join(import.meta.dirname, '..', '..')
const compose = parse(readFileSync(join(root, 'docker-compose.yml'), 'utf8')) as {
  services: Record<
    string,
    { environment?: Record<string, unknown>; ports?: string[]; build?: { args?: { SERVICE?: string } } }
  >
}
// Every service of the registry, by the convention that its src/config.ts exports `configSchema`.
const schemas = Object.fromEntries(
  await Promise.all(
    SERVICES.map(async ({ name }) => {
      const module = (await import(`../../services/${name}/src/config.ts`)) as {
        configSchema: { properties: Record<string, unknown> }
      }
      return [name, module.configSchema] as const
    }),
  ),
)

describe('docker-compose.yml', () => {
  for (const { name, port } of SERVICES) {
    const schema = schemas[name]!
    it(`${name}: every variable compose sets is one the service reads, on the port it defaults to`, () => {
      const service = compose.services[name]
      expect(service, name).toBeDefined()
      expect(service?.build?.args?.SERVICE).toBe(name)
      const environment = service?.environment ?? {}
      const unknown = Object.keys(environment).filter((variable) => !(variable in schema.properties))
      expect(unknown).toEqual([])
      expect(String(environment.PORT)).toBe(String((schema.properties.PORT as { default: number }).default))
      expect(String(environment.PORT)).toBe(String(port))
    })
  }

  it('publishes only the gateway', () => {
    const published = Object.entries(compose.services).filter(([, service]) => service.ports?.length)
    expect(published.map(([name]) => name)).toEqual(['tenant-gateway'])
  })

  it('points the gateway at each upstream by its compose name and port', () => {
    const environment = compose.services['tenant-gateway']?.environment ?? {}
    const expected = Object.fromEntries(
      upstreamServices().map(({ name }) => [
        upstreamUrlEnvOf(name),
        `http://${name}:${compose.services[name]?.environment?.PORT}`,
      ]),
    )
    expect(Object.keys(expected)).toHaveLength(4)
    expect(environment).toMatchObject(expected)
  })
})
