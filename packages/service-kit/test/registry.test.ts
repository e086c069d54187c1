import { readdirSync } from 'node:fs'
import { join } from 'node:path'
import { findRepoRoot } from '@gatehouse/db-kit'
import { describe, expect, it } from 'vitest'
import { SERVICES, upstreamServices, upstreamUrlEnvOf } from '../src/registry.ts'

describe('service registry', () => {
  it('lists exactly the service folders, each once, on distinct ports and prefixes', () => {
    const folders = readdirSync(join(findRepoRoot(), 'services'), { withFileTypes: true })
      .filter((entry) => entry.isDirectory())
      .map((entry) => entry.name)
    expect(SERVICES.map((s) => s.name).sort()).toEqual(folders.sort())
    expect(new Set(SERVICES.map((s) => s.port)).size).toBe(SERVICES.length)
    const prefixes = SERVICES.flatMap((s) => s.publicPrefixes)
    expect(new Set(prefixes).size).toBe(prefixes.length)
  })

  it('has one gateway; every upstream has a public prefix and a URL variable', () => {
    expect(SERVICES.filter((s) => s.access === 'gateway').map((s) => s.name)).toEqual(['tenant-gateway'])
    for (const upstream of upstreamServices()) expect(upstream.publicPrefixes.length).toBeGreaterThan(0)
    expect(upstreamServices().map((s) => upstreamUrlEnvOf(s.name))).toEqual([
      'AUTH_API_URL',
      'QR_AUTH_URL',
      'BOM_TRIGGERS_URL',
      'METERING_URL',
    ])
  })
})
