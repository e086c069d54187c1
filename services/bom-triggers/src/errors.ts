import { defineErrors } from '@gatehouse/service-kit'

/** Every code this service answers with besides service-kit's generic ones; answered as BOM_TRIGGERS_<CODE>. */
export const errors = defineErrors({
  VALIDATION_FAILED: [400, 'Request validation failed'],
  TASK_NOT_FOUND: [404, 'Task not found'],
  TASK_CLOSED: [409, 'Task is closed'],
  MATERIAL_NOT_FOUND: [404, 'Material not found'],
  MATERIAL_SKU_TAKEN: [409, 'SKU already in the catalogue'],
  MATERIAL_IN_USE: [409, 'Material is in use'],
  MATERIAL_ALREADY_ON_TASK: [409, 'Material already on the task'],
  MATERIAL_NOT_ON_TASK: [404, 'Material not on the task'],
  TRIGGER_NOT_FOUND: [404, 'Trigger not found'],
  TRIGGER_LIMIT_REACHED: [409, 'Too many triggers'],
  NOT_A_WEBHOOK_TRIGGER: [409, 'Not a NOTIFY trigger'],
  INVALID_CONDITIONS: [400, 'Invalid trigger conditions'],
  INVALID_ACTION_CONFIG: [400, 'Invalid action config'],
  INVALID_EVENT: [400, 'Invalid test event'],
  INVALID_CURSOR: [400, 'Invalid cursor'],
  TRIGGER_ABORTED: [422, 'A trigger aborted the operation'],
  CRON_SECRET_REQUIRED: [401, 'Cron secret required'],
})
