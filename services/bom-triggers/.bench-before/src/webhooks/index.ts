// Webhook sending, self-contained: Standard Webhooks signing, an SSRF-guarded delivery with timeout, a
// transactional outbox and its worker (retries on Svix's schedule). Nothing here knows who uses it.
export { AddressRefusedError, checkWebhookUrl, isNonPublicAddress, type UrlCheck } from './address-guard.ts'
export { type AttemptResult, attemptDelivery, createDeliveryAgent } from './delivery.ts'
export {
  enqueueWebhook,
  listWebhookDeliveries,
  purgeWebhookOutbox,
  type WebhookMessage,
} from './outbox.ts'
export { DURATION_LIST_PATTERN, parseRetrySchedule, SVIX_RETRY_SCHEDULE_MS } from './schedule.ts'
export { type WebhookDelivery, webhookOutbox } from './schema.ts'
export { deriveWebhookSecret, newMessageId, signWebhook, type WebhookHeaders } from './signing.ts'
export {
  createWebhookWorker,
  type RunSummary,
  type WebhookLog,
  type WebhookWorker,
  type WebhookWorkerOptions,
} from './worker.ts'
