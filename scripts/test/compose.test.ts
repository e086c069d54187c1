import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { SERVICES, upstreamServices, upstreamUrlEnvOf } from '@gatehouse/service-kit'
import { describe, expect, it } from 'vitest'
import { parse, parseAllDocuments } from 'yaml'

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

  it('gives every service METRICS_TOKEN from .env, as it gives INTERNAL_SECRET', () => {
    for (const { name } of SERVICES) {
      const environment = compose.services[name]?.environment ?? {}
      expect(String(environment.INTERNAL_SECRET), name).toMatch(/^\$\{INTERNAL_SECRET:\?\}$/)
      // Required (`:?`) like the other secrets: without it /metrics would be open, on the published port too.
      expect(String(environment.METRICS_TOKEN), name).toMatch(/^\$\{METRICS_TOKEN:\?\}$/)
      expect(schemas[name]?.properties.METRICS_TOKEN, name).toBeDefined()
    }
  })

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

describe('infra/k8s/gatehouse.yaml', () => {
  it('gives every Deployment METRICS_TOKEN from the Secret that holds INTERNAL_SECRET', () => {
    const documents = parseAllDocuments(readFileSync(join(root, 'infra/k8s/gatehouse.yaml'), 'utf8')).map(
      (document) =>
        document.toJSON() as {
          kind: string
          metadata: { name: string }
          spec: {
            template: { spec: { containers: Array<{ env: Array<{ name: string; valueFrom?: unknown }> }> } }
          }
        },
    )
    const deployments = documents.filter((document) => document.kind === 'Deployment')
    expect(deployments.length).toBeGreaterThan(0)
    for (const deployment of deployments) {
      const env = deployment.spec.template.spec.containers[0]?.env ?? []
      const secretOf = (name: string) => env.find((variable) => variable.name === name)?.valueFrom
      expect(secretOf('INTERNAL_SECRET'), deployment.metadata.name).toBeDefined()
      expect(secretOf('METRICS_TOKEN'), deployment.metadata.name).toEqual({
        secretKeyRef: {
          name: (secretOf('INTERNAL_SECRET') as { secretKeyRef: { name: string } }).secretKeyRef.name,
          key: 'METRICS_TOKEN',
        },
      })
    }
  })
})
