import type { Database } from '@gatehouse/db-kit'
import { and, desc, eq, lt, or } from 'drizzle-orm'
import { lockTask, type TaskView, taskFacts, taskView } from './bom.ts'
import { prepared } from './db/prepared.ts'
import { type Task, tasks } from './db/schema/index.ts'
import { type EngineDeps, type Fire, runOperation, type TriggerRun } from './engine/chain.ts'
import { errors } from './errors.ts'
import { CLOSED_STATUSES, type TaskStatus } from './vocabulary.ts'

export interface OperationDeps {
  db: Database
  engine: EngineDeps
}

export interface OperationResult {
  task: TaskView
  triggerRuns: TriggerRun[]
}

async function viewOf(tx: Database, tenantId: string, taskId: string): Promise<TaskView> {
  const view = await taskView(tx, tenantId, taskId)
  if (!view) throw errors.TASK_NOT_FOUND()
  return view
}

/** An operation answers with the task as it ends up. */
const answerWith = (tenantId: string) => (tx: Database, taskId: string) => viewOf(tx, tenantId, taskId)

/** A task the API may still change: present in the tenant, locked, not closed. */
export async function openTask(tx: Database, tenantId: string, taskId: string): Promise<Task> {
  const task = await lockTask(tx, tenantId, taskId)
  if (!task) throw errors.TASK_NOT_FOUND()
  if (CLOSED_STATUSES.includes(task.status as TaskStatus))
    throw errors.TASK_CLOSED(`The task is ${task.status}; its status and materials can no longer change.`)
  return task
}

/** An operation on one open task: locked, changed by `body`, its triggers run, answered as it ends up. */
export async function operateOnOpenTask(
  { db, engine }: OperationDeps,
  tenantId: string,
  taskId: string,
  body: (tx: Database, task: Task, fire: Fire, now: Date) => Promise<void>,
): Promise<OperationResult> {
  const { result, runs } = await runOperation(
    db,
    engine,
    tenantId,
    async (tx, fire, now) => {
      await body(tx, await openTask(tx, tenantId, taskId), fire, now)
      return taskId
    },
    answerWith(tenantId),
  )
  return { task: result, triggerRuns: runs }
}

export async function createTask(
  { db, engine }: OperationDeps,
  tenantId: string,
  input: { title: string; type: string; status?: TaskStatus },
): Promise<OperationResult> {
  const { result, runs } = await runOperation(
    db,
    engine,
    tenantId,
    async (tx, fire, now) => {
      const status = input.status ?? 'PENDING'
      const [task] = await prepared(
        tx
          .insert(tasks)
          .values({ tenantId, title: input.title, type: input.type, status, createdAt: now, updatedAt: now })
          .returning(),
        'insert_task',
      )
      if (!task) throw new Error('insert returned no row')
      await fire({ event: 'ON_TASK_CREATE', task: taskFacts(task) })
      return task.id
    },
    answerWith(tenantId),
  )
  return { task: result, triggerRuns: runs }
}

/**
 * A status change raises ON_STATUS_CHANGE, and a change to COMPLETED raises ON_TASK_COMPLETE after it. Setting
 * the status a task already has changes nothing and raises nothing, so a repeated or concurrent "complete"
 * notifies once.
 */
export async function changeStatus(
  { db, engine }: OperationDeps,
  tenantId: string,
  taskId: string,
  status: TaskStatus,
): Promise<OperationResult> {
  const { result, runs } = await runOperation(
    db,
    engine,
    tenantId,
    async (tx, fire, now) => {
      const locked = await lockTask(tx, tenantId, taskId)
      if (!locked) throw errors.TASK_NOT_FOUND()
      if (locked.status === status) return taskId
      const task = await openTask(tx, tenantId, taskId)
      const [updated] = await tx
        .update(tasks)
        .set({ status, updatedAt: now, ...(status === 'COMPLETED' ? { completedAt: now } : {}) })
        .where(eq(tasks.id, task.id))
        .returning()
      if (!updated) throw errors.TASK_NOT_FOUND()
      const change = { old: task.status as TaskStatus, new: status }
      await fire({ event: 'ON_STATUS_CHANGE', task: taskFacts(updated), status: change })
      if (status === 'COMPLETED')
        await fire({ event: 'ON_TASK_COMPLETE', task: taskFacts(updated), status: change })
      return taskId
    },
    answerWith(tenantId),
  )
  return { task: result, triggerRuns: runs }
}

export async function getTask(db: Database, tenantId: string, taskId: string): Promise<TaskView> {
  return viewOf(db, tenantId, taskId)
}

export interface TaskPage {
  items: Task[]
  next?: { createdAt: Date; id: string }
}

/** Newest first, paged by (createdAt, id): timestamps come from the clock in milliseconds, so they round-trip. */
export async function listTasks(
  db: Database,
  tenantId: string,
  filter: { status?: TaskStatus; type?: string; before?: { createdAt: Date; id: string }; limit: number },
): Promise<TaskPage> {
  const { before } = filter
  const rows = await db
    .select()
    .from(tasks)
    .where(
      and(
        eq(tasks.tenantId, tenantId),
        filter.status ? eq(tasks.status, filter.status) : undefined,
        filter.type ? eq(tasks.type, filter.type) : undefined,
        before
          ? or(
              lt(tasks.createdAt, before.createdAt),
              and(eq(tasks.createdAt, before.createdAt), lt(tasks.id, before.id)),
            )
          : undefined,
      ),
    )
    .orderBy(desc(tasks.createdAt), desc(tasks.id))
    .limit(filter.limit + 1)
  const items = rows.slice(0, filter.limit)
  const last = items.at(-1)
  return {
    items,
    ...(rows.length > filter.limit && last ? { next: { createdAt: last.createdAt, id: last.id } } : {}),
  }
}
