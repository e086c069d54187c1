import type { ServiceInstance } from '@gatehouse/service-kit'
import Type from 'typebox'
import { errors } from '../errors.ts'
import { addTaskMaterial, changeTaskMaterialQuantity, removeTaskMaterial } from '../task-materials.ts'
import { changeStatus, createTask, getTask, listTasks, type OperationDeps } from '../tasks.ts'
import { decodeCursor, encodeCursor } from './cursor.ts'
import {
  Cursor,
  Decimal,
  IdParams,
  Limit,
  NextCursor,
  Sku,
  TaskOperationView,
  TaskStatusSchema,
  TaskSummary,
  TaskType,
  TaskView,
  Uuid,
} from './schemas.ts'

const TaskCursor = Type.Object({ createdAt: Type.String({ format: 'date-time' }), id: Uuid })
const LineParams = Type.Object({ id: Uuid, materialId: Uuid })

/** /api/tasks: tasks and their bills of materials. Every change runs the tenant's triggers before it answers. */
export async function taskRoutes(app: ServiceInstance, { ops }: { ops: OperationDeps }) {
  const { db } = ops

  app.post(
    '/',
    {
      config: { problems: [errors.TRIGGER_ABORTED] },
      schema: {
        summary: 'Create a task',
        body: Type.Object({
          title: Type.String({ minLength: 1, maxLength: 200 }),
          type: TaskType,
          status: Type.Optional(TaskStatusSchema),
        }),
        response: { 201: TaskOperationView },
      },
    },
    async (request, reply) => {
      const { task, triggerRuns } = await createTask(ops, request.tenantId, request.body)
      reply.code(201)
      return { ...task, triggerRuns }
    },
  )

  app.get(
    '/',
    {
      config: { problems: [errors.INVALID_CURSOR] },
      schema: {
        summary: 'List tasks',
        querystring: Type.Object({
          status: Type.Optional(TaskStatusSchema),
          type: Type.Optional(TaskType),
          limit: Limit,
          cursor: Type.Optional(Cursor),
        }),
        response: { 200: Type.Object({ items: Type.Array(TaskSummary), nextCursor: NextCursor }) },
      },
    },
    async (request) => {
      const { status, type, limit, cursor } = request.query
      const before = decodeCursor<{ createdAt: string; id: string }>(TaskCursor, cursor)
      const page = await listTasks(db, request.tenantId, {
        limit,
        ...(status ? { status } : {}),
        ...(type ? { type } : {}),
        ...(before ? { before: { createdAt: new Date(before.createdAt), id: before.id } } : {}),
      })
      const next =
        page.next && encodeCursor({ createdAt: page.next.createdAt.toISOString(), id: page.next.id })
      return { items: page.items, nextCursor: next ?? null }
    },
  )

  app.get(
    '/:id',
    {
      config: { problems: [errors.TASK_NOT_FOUND] },
      schema: { summary: 'Get a task with its materials', params: IdParams, response: { 200: TaskView } },
    },
    async (request) => getTask(db, request.tenantId, request.params.id),
  )

  app.patch(
    '/:id/status',
    {
      config: { problems: [errors.TASK_NOT_FOUND, errors.TASK_CLOSED, errors.TRIGGER_ABORTED] },
      schema: {
        summary: 'Change a task’s status',
        params: IdParams,
        body: Type.Object({ status: TaskStatusSchema }),
        response: { 200: TaskOperationView },
      },
    },
    async (request) => {
      const { task, triggerRuns } = await changeStatus(
        ops,
        request.tenantId,
        request.params.id,
        request.body.status,
      )
      return { ...task, triggerRuns }
    },
  )

  app.post(
    '/:id/complete',
    {
      config: { problems: [errors.TASK_NOT_FOUND, errors.TASK_CLOSED, errors.TRIGGER_ABORTED] },
      schema: { summary: 'Complete a task', params: IdParams, response: { 200: TaskOperationView } },
    },
    async (request) => {
      const { task, triggerRuns } = await changeStatus(ops, request.tenantId, request.params.id, 'COMPLETED')
      return { ...task, triggerRuns }
    },
  )

  app.post(
    '/:id/materials',
    {
      config: {
        problems: [
          errors.TASK_NOT_FOUND,
          errors.TASK_CLOSED,
          errors.MATERIAL_NOT_FOUND,
          errors.MATERIAL_ALREADY_ON_TASK,
          errors.TRIGGER_ABORTED,
        ],
      },
      schema: {
        summary: 'Add a material to a task',
        params: IdParams,
        body: Type.Object({
          materialId: Type.Optional(Uuid),
          sku: Type.Optional(Sku),
          quantity: Decimal,
          /** Overrides the catalogue's unit cost for this line. */
          unitCost: Type.Optional(Decimal),
        }),
        response: { 201: TaskOperationView },
      },
    },
    async (request, reply) => {
      const { task, triggerRuns } = await addTaskMaterial(
        ops,
        request.tenantId,
        request.params.id,
        request.body,
      )
      reply.code(201)
      return { ...task, triggerRuns }
    },
  )

  app.patch(
    '/:id/materials/:materialId',
    {
      config: {
        problems: [
          errors.TASK_NOT_FOUND,
          errors.TASK_CLOSED,
          errors.MATERIAL_NOT_ON_TASK,
          errors.TRIGGER_ABORTED,
        ],
      },
      schema: {
        summary: 'Change a task material’s quantity',
        params: LineParams,
        body: Type.Object({ quantity: Decimal }),
        response: { 200: TaskOperationView },
      },
    },
    async (request) => {
      const { id, materialId } = request.params
      const { task, triggerRuns } = await changeTaskMaterialQuantity(
        ops,
        request.tenantId,
        id,
        materialId,
        request.body.quantity,
      )
      return { ...task, triggerRuns }
    },
  )

  app.delete(
    '/:id/materials/:materialId',
    {
      config: { problems: [errors.TASK_NOT_FOUND, errors.TASK_CLOSED, errors.MATERIAL_NOT_ON_TASK] },
      schema: {
        summary: 'Remove a material from a task',
        params: LineParams,
        response: { 200: TaskOperationView },
      },
    },
    async (request) => {
      const { id, materialId } = request.params
      const { task, triggerRuns } = await removeTaskMaterial(ops, request.tenantId, id, materialId)
      return { ...task, triggerRuns }
    },
  )
}
