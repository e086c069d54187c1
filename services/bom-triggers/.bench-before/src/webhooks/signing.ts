import { randomUUID } from 'node:crypto'
import { hmacSha256Hex } from '@gatehouse/crypto'
import { Webhook } from 'standardwebhooks'

export interface WebhookHeaders {
  'webhook-id': string
  'webhook-timestamp': string
  'webhook-signature': string
}

/** Standard Webhooks v1: `v1,` + base64 HMAC-SHA256 over `{id}.{timestamp}.{body}`. */
export function signWebhook(
  secret: string,
  message: { id: string; timestamp: Date; body: string },
): WebhookHeaders {
  return {
    'webhook-id': message.id,
    'webhook-timestamp': String(Math.floor(message.timestamp.getTime() / 1000)),
    'webhook-signature': new Webhook(secret).sign(message.id, message.timestamp, message.body),
  }
}

/**
 * An endpoint's signing secret (`whsec_` + base64 of 32 bytes) derived from a master key and a label naming the
 * endpoint: nothing secret is stored per endpoint, and the same label always gives the same secret.
 */
export function deriveWebhookSecret(masterKey: string, label: string): string {
  return `whsec_${Buffer.from(hmacSha256Hex(masterKey, `webhook-secret:${label}`), 'hex').toString('base64')}`
}

export function newMessageId(): string {
  return `msg_${randomUUID().replaceAll('-', '')}`
}
