import { defineErrors } from '@gatehouse/service-kit'

// Codes without the prefix: the service answers them as BOM_TRIGGERS_<CODE>. The third entry is what a client
// should do (the error catalogue shows it).
export const errors = defineErrors({
  VALIDATION_FAILED: [400, 'Request validation failed', 'Fix the fields listed in errors[] and send again.'],
  TASK_NOT_FOUND: [404, 'Task not found', 'Use the id of a task of your tenant (GET /api/tasks).'],
  TASK_CLOSED: [
    409,
    'Task is closed',
    'A COMPLETED or CANCELLED task keeps its status and materials; create a new task instead.',
  ],
  MATERIAL_NOT_FOUND: [404, 'Material not found', 'Use a material of your catalogue (GET /api/materials).'],
  MATERIAL_SKU_TAKEN: [
    409,
    'SKU already in the catalogue',
    'Pick another SKU or update the existing material.',
  ],
  MATERIAL_IN_USE: [
    409,
    'Material is in use',
    'Remove it from the tasks (taskId) or the triggers (triggerIds) that name it first.',
  ],
  MATERIAL_ALREADY_ON_TASK: [
    409,
    'Material already on the task',
    'Change the quantity instead: PATCH /api/tasks/:id/materials/:materialId.',
  ],
  MATERIAL_NOT_ON_TASK: [404, 'Material not on the task', 'Add it first: POST /api/tasks/:id/materials.'],
  TRIGGER_NOT_FOUND: [
    404,
    'Trigger not found',
    'Use the id of a trigger of your tenant (GET /api/bom-triggers).',
  ],
  TRIGGER_LIMIT_REACHED: [409, 'Too many triggers', 'Delete triggers you no longer need.'],
  NOT_A_WEBHOOK_TRIGGER: [409, 'Not a NOTIFY trigger', 'Only NOTIFY triggers sign webhooks.'],
  INVALID_CONDITIONS: [
    400,
    'Invalid trigger conditions',
    'Fix each errors[].path under /conditions (see the condition language in the README).',
  ],
  INVALID_ACTION_CONFIG: [
    400,
    'Invalid action config',
    'Fix each errors[].path under /actionConfig; every action type has its own fields.',
  ],
  INVALID_EVENT: [400, 'Invalid test event', 'Give the facts the trigger event carries (errors[].path).'],
  INVALID_CURSOR: [400, 'Invalid cursor', 'Pass back a nextCursor exactly as a previous page returned it.'],
  TRIGGER_ABORTED: [
    422,
    'A trigger aborted the operation',
    'Nothing was changed. See the trigger (triggerId) and its log; fix it or turn off abortOnError.',
  ],
  CRON_SECRET_REQUIRED: [401, 'Cron secret required', 'Send Authorization: Bearer $CRON_SECRET.'],
})
