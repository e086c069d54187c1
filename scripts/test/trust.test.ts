import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { parseTrustedProxies } from '@gatehouse/service-kit'
import { describe, expect, it } from 'vitest'
import { parse, parseAllDocuments } from 'yaml'

const root = join(import.meta.dirname, '..', '..')

// Issue 13, defect 16: behind the gateway, upstreams must believe X-Forwarded-For from the gateway and no one else.
describe('trusted proxies in the shipped settings', () => {
  it('docker-compose.yml: auth-api and qr-auth trust exactly the gateway’s fixed address', () => {
    const compose = parse(readFileSync(join(root, 'docker-compose.yml'), 'utf8')) as {
      services: Record<
        string,
        { environment?: Record<string, unknown>; networks?: Record<string, { ipv4_address?: string }> }
      >
      networks?: { default?: { ipam?: { config?: Array<{ subnet?: string }> } } }
    }
    const gatewayIp = compose.services['tenant-gateway']?.networks?.default?.ipv4_address
    expect(gatewayIp).toMatch(/^\d+\.\d+\.\d+\.\d+$/)
    expect(compose.networks?.default?.ipam?.config?.[0]?.subnet).toBeDefined()
    for (const upstream of ['auth-api', 'qr-auth']) {
      expect(
        parseTrustedProxies(String(compose.services[upstream]?.environment?.TRUST_PROXY)),
        upstream,
      ).toEqual([gatewayIp])
    }
  })

  it('infra/k8s: auth-api trusts the pod network and admits only the gateway (and qr-auth, cron) to its port', () => {
    const documents = parseAllDocuments(readFileSync(join(root, 'infra/k8s/gatehouse.yaml'), 'utf8')).map(
      (document) => document.toJSON() as Record<string, any>,
    )
    const deployment = documents.find((d) => d.kind === 'Deployment' && d.metadata.name === 'auth-api')
    const env = deployment?.spec.template.spec.containers[0].env as Array<{ name: string; value?: string }>
    expect(env.find((variable) => variable.name === 'TRUST_PROXY')?.value).toMatch(
      /^\d+\.\d+\.\d+\.\d+\/\d+$/,
    )
    const policy = documents.find(
      (d) => d.kind === 'NetworkPolicy' && d.spec.podSelector.matchLabels.app === 'auth-api',
    )
    const admitted = policy?.spec.ingress.flatMap(
      (rule: { from: Array<{ podSelector: { matchLabels: object } }> }) =>
        rule.from.map((source) => source.podSelector.matchLabels),
    )
    expect(admitted).toEqual([{ app: 'tenant-gateway' }, { app: 'qr-auth' }, { 'gatehouse-cron': 'true' }])
  })
})
