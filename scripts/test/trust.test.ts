import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { parseTrustedProxies } from '@gatehouse/service-kit'
import { describe, expect, it } from 'vitest'
import { parse, parseAllDocuments } from 'yaml'

const root = join(import.meta.dirname, '..', '..')
interface Source {
  namespaceSelector?: { matchLabels: Record<string, string> }
  podSelector?: { matchLabels: Record<string, string> }
}
/** The fields of a Deployment or a NetworkPolicy these tests read (each kind has its own half of `spec`). */
interface K8sDocument {
  kind: string
  metadata: { name: string }
  spec: {
    podSelector: { matchLabels: Record<string, string> }
    ingress?: Array<{ from: Source[]; ports: Array<{ port: number }> }>
    template: {
      metadata: { labels: Record<string, string> }
      spec: {
        containers: Array<{
          env: Array<{ name: string; value?: string }>
          ports: Array<{ containerPort: number }>
        }>
      }
    }
  }
}
const k8s = parseAllDocuments(readFileSync(join(root, 'infra/k8s/gatehouse.yaml'), 'utf8')).map(
  (document) => document.toJSON() as K8sDocument,
)
// The one scraper: kube-prometheus-stack's Prometheus pods, in the monitoring namespace (both selectors at once).
const PROMETHEUS = {
  namespace: { 'kubernetes.io/metadata.name': 'monitoring' },
  pods: { 'app.kubernetes.io/name': 'prometheus' },
}

/** A NetworkPolicy's ingress rules as sources (namespace and pod labels) and ports. */
function admittedBy(policy: K8sDocument | undefined) {
  return (policy?.spec.ingress ?? []).map((rule) => ({
    from: rule.from.map((source) => ({
      ...(source.namespaceSelector ? { namespace: source.namespaceSelector.matchLabels } : {}),
      ...(source.podSelector ? { pods: source.podSelector.matchLabels } : {}),
    })),
    ports: rule.ports,
  }))
}

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

  it('infra/k8s: auth-api trusts the pod network and admits only the gateway (and qr-auth, cron, Prometheus) to its port', () => {
    const deployment = k8s.find((d) => d.kind === 'Deployment' && d.metadata.name === 'auth-api')
    const env = deployment?.spec.template.spec.containers[0]?.env ?? []
    expect(env.find((variable) => variable.name === 'TRUST_PROXY')?.value).toMatch(
      /^\d+\.\d+\.\d+\.\d+\/\d+$/,
    )
    const policy = k8s.find(
      (d) => d.kind === 'NetworkPolicy' && d.spec.podSelector.matchLabels.app === 'auth-api',
    )
    expect(admittedBy(policy)).toEqual([
      {
        from: [
          { pods: { app: 'tenant-gateway' } },
          { pods: { app: 'qr-auth' } },
          { pods: { 'gatehouse-cron': 'true' } },
        ],
        ports: [{ port: 3001 }],
      },
      { from: [PROMETHEUS], ports: [{ port: 3001 }] },
    ])
  })

  it('infra/k8s: every Deployment’s port (where /metrics is) is open to Prometheus from the monitoring namespace', () => {
    const deployments = k8s.filter((d) => d.kind === 'Deployment')
    const policies = k8s.filter((d) => d.kind === 'NetworkPolicy')
    const checked: string[] = []
    for (const deployment of deployments) {
      const labels = deployment.spec.template.metadata.labels
      const port = deployment.spec.template.spec.containers[0]?.ports[0]?.containerPort
      const selecting = policies.filter((policy) =>
        Object.entries(policy.spec.podSelector.matchLabels).every(([key, value]) => labels[key] === value),
      )
      // No policy selects the pod: every source reaches it, Prometheus too.
      for (const policy of selecting) {
        const scrapes = admittedBy(policy).some(
          (rule) =>
            rule.from.some((source) => JSON.stringify(source) === JSON.stringify(PROMETHEUS)) &&
            rule.ports.some((allowed) => allowed.port === port),
        )
        expect(scrapes, `${policy.metadata.name} → ${deployment.metadata.name}:${port}`).toBe(true)
        checked.push(deployment.metadata.name)
      }
    }
    expect(checked).toContain('auth-api')
  })
})
