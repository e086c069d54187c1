import type { Database } from '@gatehouse/db-kit'
import { type Clock, SECURITY, type ServiceInstance } from '@gatehouse/service-kit'
import Type from 'typebox'
import { errors } from '../errors.ts'
import type { InvalidationBus } from '../infra/invalidation.ts'
import { requireRole } from '../tenants/memberships.ts'
import { ADMIN_AUTH_PROBLEMS, roleProblems } from '../tenants/problems.ts'
import { TenantParams } from '../tenants/schemas.ts'
import { createKey, getKey, type KeyHasher, listKeys, revokeKey, rotateKey } from './api-keys.ts'
import { IssuedKey, KeyView, Scopes, TenantKeyParams } from './schemas.ts'

export interface TenantKeyRouteDeps {
  db: Database
  clock: Clock
  bus: Pick<InvalidationBus, 'publish'>
  hasher: KeyHasher
  defaultOverlapMs: number
}

const MAX_OVERLAP_SECONDS = 30 * 24 * 3600

const READ_PROBLEMS = [...ADMIN_AUTH_PROBLEMS, ...roleProblems('member')]
const CHANGE_PROBLEMS = [...ADMIN_AUTH_PROBLEMS, ...roleProblems('admin')]

/** Members list keys; admins and owners create, rotate and revoke them. */
export async function tenantKeyRoutes(app: ServiceInstance, deps: TenantKeyRouteDeps) {
  const { db, clock, bus, hasher } = deps

  app.post(
    '/:id/keys',
    {
      // Its own VALIDATION_FAILED: an expiresAt in the past.
      config: { problems: [...CHANGE_PROBLEMS, errors.VALIDATION_FAILED] },
      schema: {
        summary: 'Create an API key',
        description: 'Admins and owners. The answer holds the key itself, once: only its prefix is kept.',
        security: SECURITY.user,
        params: TenantParams,
        body: Type.Object({
          name: Type.String({ minLength: 1, maxLength: 100 }),
          scopes: Type.Optional(Scopes),
          expiresAt: Type.Optional(Type.String({ format: 'date-time' })),
        }),
        response: { 201: IssuedKey },
      },
    },
    async (request, reply) => {
      const { id } = request.params
      await requireRole(db, id, request.userId, 'admin')
      const now = clock()
      const expiresAt = request.body.expiresAt ? new Date(request.body.expiresAt) : null
      if (expiresAt && expiresAt <= now) throw errors.VALIDATION_FAILED('expiresAt must be in the future.')
      const { key, view } = await createKey(
        db,
        hasher,
        id,
        { name: request.body.name, scopes: request.body.scopes ?? [], expiresAt },
        now,
      )
      // The one answer that holds the raw key: no cache on the way may keep it.
      return reply
        .code(201)
        .header('cache-control', 'no-store')
        .send({ ...view, key })
    },
  )

  app.get(
    '/:id/keys',
    {
      config: { problems: READ_PROBLEMS },
      schema: {
        summary: 'List API keys',
        description: 'Any member. Prefixes, names, scopes and dates; never a key.',
        security: SECURITY.user,
        params: TenantParams,
        response: { 200: Type.Object({ keys: Type.Array(KeyView) }) },
      },
    },
    async (request) => {
      await requireRole(db, request.params.id, request.userId, 'member')
      return { keys: await listKeys(db, request.params.id) }
    },
  )

  app.get(
    '/:id/keys/:keyId',
    {
      config: { problems: [...READ_PROBLEMS, errors.KEY_NOT_FOUND] },
      schema: {
        summary: 'Get an API key',
        security: SECURITY.user,
        params: TenantKeyParams,
        response: { 200: KeyView },
      },
    },
    async (request) => {
      await requireRole(db, request.params.id, request.userId, 'member')
      return getKey(db, request.params.id, request.params.keyId)
    },
  )

  app.post(
    '/:id/keys/:keyId/rotate',
    {
      config: { problems: [...CHANGE_PROBLEMS, errors.KEY_NOT_FOUND, errors.KEY_REVOKED] },
      schema: {
        summary: 'Rotate an API key',
        description:
          'Admins and owners. A new key with the same name, scopes and expiry; the old one keeps working for overlapSeconds (default KEY_ROTATION_OVERLAP).',
        security: SECURITY.user,
        params: TenantKeyParams,
        // The body is optional: a bare POST rotates with KEY_ROTATION_OVERLAP.
        body: Type.Union([
          Type.Object({
            overlapSeconds: Type.Optional(Type.Integer({ minimum: 0, maximum: MAX_OVERLAP_SECONDS })),
          }),
          Type.Null(),
        ]),
        response: { 201: Type.Object({ ...IssuedKey.properties, previous: KeyView }) },
      },
    },
    async (request, reply) => {
      const { id, keyId } = request.params
      await requireRole(db, id, request.userId, 'admin')
      const overlapSeconds = request.body?.overlapSeconds
      const overlapMs = overlapSeconds === undefined ? deps.defaultOverlapMs : overlapSeconds * 1000
      const { key, view, previous } = await rotateKey(db, hasher, id, keyId, overlapMs, clock())
      // Cached copies of the old key carry its old expiry.
      await bus.publish(id)
      return reply
        .code(201)
        .header('cache-control', 'no-store')
        .send({ ...view, key, previous })
    },
  )

  app.post(
    '/:id/keys/:keyId/revoke',
    {
      config: { problems: [...CHANGE_PROBLEMS, errors.KEY_NOT_FOUND] },
      schema: {
        summary: 'Revoke an API key',
        description: 'Admins and owners. At once, on every replica; revoking a revoked key changes nothing.',
        security: SECURITY.user,
        params: TenantKeyParams,
        response: { 200: KeyView },
      },
    },
    async (request) => {
      const { id, keyId } = request.params
      await requireRole(db, id, request.userId, 'admin')
      const view = await revokeKey(db, id, keyId, clock())
      await bus.publish(id)
      return view
    },
  )
}
