import type { Database } from '@gatehouse/db-kit'
import type { Clock, ServiceInstance } from '@gatehouse/service-kit'
import Type from 'typebox'
import { dryRunTrigger } from '../dry-run.ts'
import type { TriggerCatalog } from '../engine/trigger-catalog.ts'
import { errors } from '../errors.ts'
import { invalidField } from '../field-errors.ts'
import {
  createTrigger,
  deleteTrigger,
  getTrigger,
  listTriggers,
  setTriggerActive,
  type TriggerSettings,
  triggerWebhookSecret,
  updateTrigger,
} from '../triggers.ts'
import {
  ActionTypeSchema,
  ConditionResultView,
  IdParams,
  Json,
  Sku,
  TaskStatusSchema,
  TaskType,
  TriggerEventSchema,
  TriggerView,
  Uuid,
} from './schemas.ts'

export interface TriggerRouteDeps {
  db: Database
  clock: Clock
  catalog: TriggerCatalog
  settings: TriggerSettings
  webhookSecretKey: string
}

const definitionFields = {
  name: Type.String({ minLength: 1, maxLength: 100 }),
  description: Type.Union([Type.String({ maxLength: 1000 }), Type.Null()]),
  triggerEvent: TriggerEventSchema,
  actionType: ActionTypeSchema,
  /** The condition language (README); validated with paths such as /conditions/all/1/operator. */
  conditions: Json,
  /** One schema per action type (README); validated with paths such as /actionConfig/quantity. */
  actionConfig: Json,
  /** Higher runs first; ties in creation order. */
  priority: Type.Integer({ minimum: -1000, maximum: 1000 }),
  isActive: Type.Boolean(),
  /** A failing action rolls back the operation that fired it (422) instead of only being logged. */
  abortOnError: Type.Boolean(),
}

const CreateBody = Type.Object({
  name: definitionFields.name,
  description: Type.Optional(definitionFields.description),
  triggerEvent: definitionFields.triggerEvent,
  actionType: definitionFields.actionType,
  conditions: Type.Optional(definitionFields.conditions),
  actionConfig: Type.Optional(definitionFields.actionConfig),
  priority: Type.Optional(definitionFields.priority),
  isActive: Type.Optional(definitionFields.isActive),
  abortOnError: Type.Optional(definitionFields.abortOnError),
})

const PatchBody = Type.Partial(Type.Object(definitionFields), { minProperties: 1 })

const TestBody = Type.Object({
  taskId: Type.Optional(Uuid),
  task: Type.Optional(
    Type.Object({
      title: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
      type: Type.Optional(TaskType),
      status: Type.Optional(TaskStatusSchema),
    }),
  ),
  status: Type.Optional(
    Type.Object({ old: Type.Optional(TaskStatusSchema), new: Type.Optional(TaskStatusSchema) }),
  ),
  material: Type.Optional(Type.Object({ id: Type.Optional(Uuid), sku: Type.Optional(Sku) })),
  quantity: Type.Optional(
    Type.Object({
      old: Type.Optional(Type.String({ pattern: '^-?[0-9]{1,10}(\\.[0-9]{1,4})?$' })),
      new: Type.Optional(Type.String({ pattern: '^-?[0-9]{1,10}(\\.[0-9]{1,4})?$' })),
    }),
  ),
})

const DryRunView = Type.Object({
  triggerId: Uuid,
  isActive: Type.Boolean(),
  event: Json,
  matched: Type.Boolean(),
  conditions: Type.Array(ConditionResultView),
  action: Type.Union([
    Type.Object({
      type: ActionTypeSchema,
      summary: Type.String(),
      details: Type.Optional(Json),
      raises: Type.Array(TriggerEventSchema),
      error: Type.Optional(Type.String()),
    }),
    Type.Null(),
  ]),
  written: Type.Literal(false),
})

/** /api/bom-triggers: the tenant's trigger definitions. */
export async function triggerRoutes(app: ServiceInstance, deps: TriggerRouteDeps) {
  const { db, clock, catalog, settings } = deps

  app.get(
    '/',
    {
      config: { problems: [] },
      schema: {
        summary: 'List triggers',
        querystring: Type.Object({
          triggerEvent: Type.Optional(TriggerEventSchema),
          actionType: Type.Optional(ActionTypeSchema),
          isActive: Type.Optional(Type.Boolean()),
          search: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
        }),
        response: { 200: Type.Object({ items: Type.Array(TriggerView) }) },
      },
    },
    async (request) => ({ items: await listTriggers(db, request.tenantId, request.query) }),
  )

  app.post(
    '/',
    {
      config: {
        problems: [errors.INVALID_CONDITIONS, errors.INVALID_ACTION_CONFIG, errors.TRIGGER_LIMIT_REACHED],
      },
      schema: { summary: 'Create a trigger', body: CreateBody, response: { 201: TriggerView } },
    },
    async (request, reply) => {
      const created = await createTrigger(db, request.tenantId, request.body, settings, clock())
      reply.code(201)
      return created
    },
  )

  app.get(
    '/:id',
    {
      config: { problems: [errors.TRIGGER_NOT_FOUND] },
      schema: { summary: 'Get a trigger', params: IdParams, response: { 200: TriggerView } },
    },
    async (request) => getTrigger(db, request.tenantId, request.params.id),
  )

  app.patch(
    '/:id',
    {
      config: {
        problems: [errors.TRIGGER_NOT_FOUND, errors.INVALID_CONDITIONS, errors.INVALID_ACTION_CONFIG],
      },
      schema: {
        summary: 'Update a trigger',
        params: IdParams,
        body: PatchBody,
        response: { 200: TriggerView },
      },
    },
    async (request) => {
      // Unknown fields are stripped before this point, so an update may arrive empty.
      if (Object.keys(request.body).length === 0)
        throw invalidField('/body', 'give at least one field to change')
      return updateTrigger(db, request.tenantId, request.params.id, request.body, settings, clock())
    },
  )

  app.post(
    '/:id/activate',
    {
      config: { problems: [errors.TRIGGER_NOT_FOUND] },
      schema: { summary: 'Activate a trigger', params: IdParams, response: { 200: TriggerView } },
    },
    async (request) => setTriggerActive(db, request.tenantId, request.params.id, true, clock()),
  )

  app.post(
    '/:id/deactivate',
    {
      config: { problems: [errors.TRIGGER_NOT_FOUND] },
      schema: { summary: 'Deactivate a trigger', params: IdParams, response: { 200: TriggerView } },
    },
    async (request) => setTriggerActive(db, request.tenantId, request.params.id, false, clock()),
  )

  app.delete(
    '/:id',
    {
      config: { problems: [errors.TRIGGER_NOT_FOUND] },
      schema: { summary: 'Delete a trigger', params: IdParams, response: { 204: Type.Null() } },
    },
    async (request, reply) => {
      await deleteTrigger(db, request.tenantId, request.params.id)
      return reply.code(204).send(null)
    },
  )

  app.post(
    '/:id/test',
    {
      config: {
        problems: [
          errors.TRIGGER_NOT_FOUND,
          errors.TASK_NOT_FOUND,
          errors.MATERIAL_NOT_FOUND,
          errors.INVALID_EVENT,
        ],
      },
      schema: {
        summary: 'Dry-run a trigger',
        params: IdParams,
        body: TestBody,
        response: { 200: DryRunView },
      },
    },
    async (request) => ({
      ...(await dryRunTrigger(
        db,
        catalog,
        request.tenantId,
        request.params.id,
        request.body,
        clock(),
        request.log,
      )),
      written: false as const,
    }),
  )

  app.get(
    '/:id/webhook-secret',
    {
      config: { problems: [errors.TRIGGER_NOT_FOUND, errors.NOT_A_WEBHOOK_TRIGGER] },
      schema: {
        summary: 'Get a webhook trigger’s signing secret',
        params: IdParams,
        response: { 200: Type.Object({ triggerId: Uuid, secret: Type.String() }) },
      },
    },
    async (request) => ({
      triggerId: request.params.id,
      secret: await triggerWebhookSecret(db, deps.webhookSecretKey, request.tenantId, request.params.id),
    }),
  )
}
