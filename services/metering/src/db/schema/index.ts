export { usageAlerts } from './usage-alerts.ts'
export { usageEventKeys } from './usage-event-keys.ts'
export { EVENT_SOURCES, type EventSource, type UsageEventRow, usageEvents } from './usage-events.ts'
export { usageRollupsHourly } from './usage-rollups-hourly.ts'
