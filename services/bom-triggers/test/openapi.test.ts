import type { TestDb } from '@gatehouse/db-kit/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { closeTestApp, openTestApp, type TestApp } from './fixtures.ts'

let db: TestDb
let t: TestApp
beforeAll(async () => {
  ;({ db, t } = await openTestApp())
})
afterAll(async () => closeTestApp(t, db))

describe('the OpenAPI document', () => {
  it('lists every route with the problem codes it can answer', async () => {
    const answer = await t.app.inject({ method: 'GET', url: '/openapi.json' })
    expect(answer.statusCode).toBe(200)
    const document = answer.json() as {
      paths: Record<string, Record<string, { responses: Record<string, { description: string }> }>>
    }
    expect(Object.keys(document.paths)).toEqual(
      expect.arrayContaining([
        '/api/tasks',
        '/api/tasks/{id}',
        '/api/tasks/{id}/status',
        '/api/tasks/{id}/complete',
        '/api/tasks/{id}/materials',
        '/api/tasks/{id}/materials/{materialId}',
        '/api/materials',
        '/api/materials/{id}',
        '/api/bom-triggers',
        '/api/bom-triggers/{id}',
        '/api/bom-triggers/{id}/activate',
        '/api/bom-triggers/{id}/deactivate',
        '/api/bom-triggers/{id}/test',
        '/api/bom-triggers/{id}/webhook-secret',
        '/api/bom-triggers/logs',
        '/api/bom-triggers/stats',
        '/api/bom-triggers/deliveries',
        '/api/admin/cleanup-trigger-logs',
      ]),
    )
    const create = document.paths['/api/tasks']?.post?.responses ?? {}
    expect(create['422']?.description).toContain('BOM_TRIGGERS_TRIGGER_ABORTED')
    const save = document.paths['/api/bom-triggers']?.post?.responses ?? {}
    expect(save['400']?.description).toContain('BOM_TRIGGERS_INVALID_CONDITIONS')
    expect(save['400']?.description).toContain('BOM_TRIGGERS_INVALID_ACTION_CONFIG')
  })
})
