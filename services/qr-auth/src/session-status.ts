import type { StoredStatus } from './db/schema/index.ts'

/** What the desktop and the phone are told; `expired` and `exchanged` follow from expires_at and is_exchanged. */
export const QR_STATUSES = ['pending', 'scanned', 'approved', 'rejected', 'expired', 'exchanged'] as const
export type QrStatus = (typeof QR_STATUSES)[number]

/** After these nothing changes any more for the desktop's stream. */
export const FINAL_STATUSES: ReadonlySet<QrStatus> = new Set(['approved', 'rejected', 'expired', 'exchanged'])

export function statusOf(
  row: { status: StoredStatus; isExchanged: boolean; expiresAt: Date },
  now: Date,
): QrStatus {
  if (row.isExchanged) return 'exchanged'
  if (row.status === 'rejected') return 'rejected'
  if (now >= row.expiresAt) return 'expired'
  return row.status
}
