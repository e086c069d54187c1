import Type, { type Static } from 'typebox'
import { taskView } from '../bom.ts'
import type { TriggerEvent } from '../vocabulary.ts'
import { checkWebhookUrl, enqueueWebhook } from '../webhooks/index.ts'
import type { ActionDefinition, ActionScope } from './action.ts'

const schema = Type.Object(
  {
    /** Where the signed webhook goes. Without it the notification is only recorded in the trigger's log. */
    url: Type.Optional(Type.String({ minLength: 1, maxLength: 2000 })),
    /** The Standard Webhooks `type`; by default named after the event (task.completed, ...). */
    eventType: Type.Optional(Type.String({ pattern: '^[a-z][a-z0-9_.-]{0,99}$' })),
    /** Add the task's BOM lines and cost to the payload. */
    includeBom: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
)

export const WEBHOOK_EVENT_TYPES: Record<TriggerEvent, string> = {
  ON_TASK_CREATE: 'task.created',
  ON_STATUS_CHANGE: 'task.status_changed',
  ON_TASK_COMPLETE: 'task.completed',
  ON_MATERIAL_ADD: 'task.material_added',
  ON_QUANTITY_CHANGE: 'task.quantity_changed',
}

async function payloadOf({ tx, tenantId, trigger, event }: ActionScope, includeBom: boolean) {
  const bom = includeBom ? await taskView(tx, tenantId, event.task.id) : undefined
  return {
    trigger: { id: trigger.id, name: trigger.name },
    event: event.event,
    task: event.task,
    ...(event.status ? { status: event.status } : {}),
    ...(event.material ? { material: event.material } : {}),
    ...(event.quantity ? { quantity: event.quantity } : {}),
    ...(includeBom ? { materials: bom?.materials ?? [], cost: bom?.cost ?? null } : {}),
  }
}

/**
 * Sends a Standard Webhooks message: written to the outbox in the operation's transaction, delivered by the
 * worker after commit. No network call happens here.
 */
export const notify: ActionDefinition<Static<typeof schema>> = {
  schema,
  async check(config, on) {
    if (config.url === undefined) return []
    const checked = checkWebhookUrl(config.url, { allowPrivateNetworks: on.allowPrivateNetworks })
    return checked.ok ? [] : [{ path: '/actionConfig/url', message: checked.reason }]
  },
  async plan(scope, config) {
    const eventType = config.eventType ?? WEBHOOK_EVENT_TYPES[scope.event.event]
    const data = await payloadOf(scope, config.includeBom === true)
    const { url } = config
    if (url === undefined) {
      const details = { delivered: false, reason: 'no url in actionConfig', eventType, data }
      return {
        summary: `Record a ${eventType} notification in the log (no url configured, nothing is sent)`,
        details,
        raises: [],
        apply: async () => ({ output: details, raised: [] }),
      }
    }
    return {
      summary: `Send a signed ${eventType} webhook to ${url} after the operation commits`,
      details: { url, eventType, data },
      raises: [],
      async apply() {
        const { messageId } = await enqueueWebhook(
          scope.tx,
          { tenantId: scope.tenantId, endpointKey: scope.trigger.id, url, eventType, data },
          { now: scope.now },
        )
        return { output: { messageId, url, eventType }, raised: [], webhooks: 1 }
      },
    }
  },
}
