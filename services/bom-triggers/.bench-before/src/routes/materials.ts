import type { Database } from '@gatehouse/db-kit'
import type { Clock, ServiceInstance } from '@gatehouse/service-kit'
import Type from 'typebox'
import { createMaterial, deleteMaterial, getMaterial, listMaterials, updateMaterial } from '../catalogue.ts'
import { errors } from '../errors.ts'
import { invalidField } from '../field-errors.ts'
import { decodeCursor, encodeCursor } from './cursor.ts'
import { Cursor, Decimal, IdParams, Limit, MaterialView, NextCursor, Sku } from './schemas.ts'

const Name = Type.String({ minLength: 1, maxLength: 200 })
const Unit = Type.String({ minLength: 1, maxLength: 20 })
const SkuCursor = Type.Object({ sku: Type.String() })

/** /api/materials: the tenant's catalogue. */
export async function materialRoutes(app: ServiceInstance, { db, clock }: { db: Database; clock: Clock }) {
  app.get(
    '/',
    {
      config: { problems: [errors.INVALID_CURSOR] },
      schema: {
        summary: 'List materials',
        querystring: Type.Object({
          search: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
          limit: Limit,
          cursor: Type.Optional(Cursor),
        }),
        response: { 200: Type.Object({ items: Type.Array(MaterialView), nextCursor: NextCursor }) },
      },
    },
    async (request) => {
      const { search, limit, cursor } = request.query
      const after = decodeCursor<{ sku: string }>(SkuCursor, cursor)
      const items = await listMaterials(db, request.tenantId, {
        limit,
        ...(search ? { search } : {}),
        ...(after ? { afterSku: after.sku } : {}),
      })
      const last = items.at(-1)
      return { items, nextCursor: items.length === limit && last ? encodeCursor({ sku: last.sku }) : null }
    },
  )

  app.post(
    '/',
    {
      config: { problems: [errors.MATERIAL_SKU_TAKEN] },
      schema: {
        summary: 'Add a material to the catalogue',
        body: Type.Object({ sku: Sku, name: Name, unit: Unit, unitCost: Decimal }),
        response: { 201: MaterialView },
      },
    },
    async (request, reply) => {
      reply.code(201)
      return createMaterial(db, request.tenantId, request.body, clock())
    },
  )

  app.get(
    '/:id',
    {
      config: { problems: [errors.MATERIAL_NOT_FOUND] },
      schema: { summary: 'Get a material', params: IdParams, response: { 200: MaterialView } },
    },
    async (request) => getMaterial(db, request.tenantId, request.params.id),
  )

  app.patch(
    '/:id',
    {
      config: { problems: [errors.MATERIAL_NOT_FOUND] },
      schema: {
        summary: 'Update a material',
        params: IdParams,
        body: Type.Object(
          { name: Type.Optional(Name), unit: Type.Optional(Unit), unitCost: Type.Optional(Decimal) },
          { minProperties: 1 },
        ),
        response: { 200: MaterialView },
      },
    },
    async (request) => {
      // Unknown fields are stripped before this point, so an update may arrive empty.
      if (Object.keys(request.body).length === 0)
        throw invalidField('/body', 'give at least one of name, unit, unitCost')
      return updateMaterial(db, request.tenantId, request.params.id, request.body, clock())
    },
  )

  app.delete(
    '/:id',
    {
      config: { problems: [errors.MATERIAL_NOT_FOUND, errors.MATERIAL_IN_USE] },
      schema: { summary: 'Delete a material', params: IdParams, response: { 204: Type.Null() } },
    },
    async (request, reply) => {
      await deleteMaterial(db, request.tenantId, request.params.id)
      return reply.code(204).send(null)
    },
  )
}
