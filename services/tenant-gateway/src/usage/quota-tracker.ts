import { addUtcMonths, type Clock, type InternalClient, utcMonthStart } from '@gatehouse/service-kit'
import type { FastifyBaseLogger } from 'fastify'
import type { TenantQuota } from '../tenants/plans.ts'
import type { MeteringLane } from './metering-lane.ts'

/** A tenant's standing against its monthly quota. */
export interface QuotaStatus {
  limit: number
  used: number
  resetsAt: Date
}

/** What the usage sink reports back once metering has taken (or refused for good) an event. */
export interface SettledEvent {
  tenantId: string
  occurredAt: string
}

export interface QuotaTracker {
  /**
   * Request path, synchronous and without I/O: the tenant's status when it has used up its quota (refuse), else
   * undefined, and the request holds one unit until `release` (so concurrent requests cannot all pass the last one).
   */
  admit(tenantId: string, quota: TenantQuota): QuotaStatus | undefined
  /** The admitted request ended (answered or aborted). */
  release(tenantId: string): void
  /** One `api.request` event was recorded for the tenant (called beside UsageSink.record). */
  recorded(tenantId: string): void
  /** The sink's delivery report: these events no longer wait in its buffer. */
  settled(events: readonly SettledEvent[]): void
  /** The figures without holding anything (POST /api/keys/verify); undefined for an unlimited tenant. */
  status(tenantId: string, quota: TenantQuota): QuotaStatus | undefined
  /** One refresh of every active tenant now, and the alerts it finds (the timer does the same). */
  refresh(): Promise<void>
  start(): void
  close(): Promise<void>
}

interface TenantFigures {
  /** The UTC month (start, ms) these figures are of. */
  period: number
  /** metering's month-to-date count at the last snapshot (0 before the first). */
  baseline: number
  /** This replica's events of the period: recorded, and of those, delivered to metering (or given up for good). */
  recorded: number
  settled: number
  /** `settled` when the last snapshot was asked for: every event settled by then is in `baseline`. */
  settledAtAsk: number
  /** Admitted requests not answered yet. */
  inFlight: number
  lastSeen: number
  quota: TenantQuota
  /** Thresholds metering has confirmed recorded for this period. */
  alerted: Set<number>
  refreshing: boolean
}

export interface QuotaTrackerOptions {
  clock: Clock
  log: FastifyBaseLogger
  /** metering's /internal routes; without it (USAGE_SINK=discard) the tracker counts this replica's use only. */
  metering?: InternalClient
  /** Shared with the usage sink (see metering-lane.ts). */
  lane?: MeteringLane
  refreshMs: number
  /** Tenants not seen for this long are no longer refreshed (and forgotten once nothing of theirs is pending). */
  activeMs?: number
  onExceeded?: () => void
}

const METRIC = 'api.request'
/** metering's month-to-date takes up to 1,000 tenants per call. */
const TENANTS_PER_CALL = 1_000
const WARNING_INTERVAL_MS = 10_000

// The month of the last instant asked for, kept: asked several times per request, it changes once a month.
let month = { start: 0, next: 0 }
const monthStartOf = (ms: number): number => {
  if (ms >= month.start && ms < month.next) return month.start
  const start = utcMonthStart(new Date(ms))
  month = { start: start.getTime(), next: addUtcMonths(start, 1).getTime() }
  return month.start
}

/**
 * Month-to-date use per tenant, never fetched on the request path: used = metering's count at the last snapshot
 * + this replica's events not yet delivered when that snapshot was asked for + requests in flight. Snapshots are
 * taken every `refreshMs` for tenants seen recently, and at once (in the background) for a tenant seen for the
 * first time this month, whose first requests are admitted meanwhile. metering unreachable: the last figures stay
 * (fail open) and the local count keeps growing. Crossing the tenant's soft threshold, or using the quota up, is
 * posted to metering once per period (metering's unique key makes it once even across replicas).
 */
export function createQuotaTracker(options: QuotaTrackerOptions): QuotaTracker {
  const { clock, log, metering } = options
  const activeMs = options.activeMs ?? Math.max(600_000, options.refreshMs * 10)
  const tenants = new Map<string, TenantFigures>()
  const wanted = new Set<string>()
  let soon: NodeJS.Immediate | undefined
  let timer: NodeJS.Timeout | undefined
  let running: Promise<void> | undefined
  let closed = false
  let lastWarning = Number.NEGATIVE_INFINITY

  const warn = (error: unknown, message: string) => {
    const now = Date.now()
    if (now - lastWarning < WARNING_INTERVAL_MS) return
    lastWarning = now
    log.warn({ errorName: (error as Error).name, error: (error as Error).message }, message)
  }

  const usedOf = (figures: TenantFigures) =>
    figures.baseline + figures.recorded - figures.settledAtAsk + figures.inFlight

  const statusOf = (figures: TenantFigures, limit: number): QuotaStatus => ({
    limit,
    used: usedOf(figures),
    resetsAt: addUtcMonths(new Date(figures.period), 1),
  })

  const scheduleSoon = (tenantId: string) => {
    if (!metering || closed) return
    wanted.add(tenantId)
    soon ??= setImmediate(() => {
      soon = undefined
      const ids = [...wanted]
      wanted.clear()
      void run(() => refreshTenants(ids))
    })
  }

  /** The tenant's figures of the current month: a new month starts from zero and asks metering at once. */
  const figuresOf = (tenantId: string, now: number, quota?: TenantQuota): TenantFigures => {
    const period = monthStartOf(now)
    let figures = tenants.get(tenantId)
    if (!figures) {
      figures = {
        period,
        baseline: 0,
        recorded: 0,
        settled: 0,
        settledAtAsk: 0,
        inFlight: 0,
        lastSeen: now,
        quota: quota ?? { limit: null, alertPercent: null },
        alerted: new Set(),
        refreshing: false,
      }
      tenants.set(tenantId, figures)
      if (quota?.limit != null) scheduleSoon(tenantId)
    } else if (figures.period !== period) {
      // Month rollover; requests in flight stay held, they will be this month's use.
      Object.assign(figures, { period, baseline: 0, recorded: 0, settled: 0, settledAtAsk: 0 })
      figures.alerted.clear()
      if ((quota ?? figures.quota).limit !== null) scheduleSoon(tenantId)
    }
    if (quota) {
      if (quota.limit !== null && figures.quota.limit === null) scheduleSoon(tenantId)
      figures.quota = quota
      figures.lastSeen = now
    }
    return figures
  }

  async function refreshTenants(ids: readonly string[]): Promise<void> {
    if (!metering || ids.length === 0) return
    for (let start = 0; start < ids.length; start += TENANTS_PER_CALL) {
      const asked = ids.slice(start, start + TENANTS_PER_CALL).flatMap((tenantId) => {
        const figures = tenants.get(tenantId)
        if (!figures || figures.refreshing) return []
        figures.refreshing = true
        return [{ tenantId, figures, period: figures.period, settledAtAsk: figures.settled }]
      })
      if (asked.length === 0) continue
      const ask = () => {
        // Inside the lane no batch is in flight: what is settled now is exactly what metering can count.
        for (const entry of asked) entry.settledAtAsk = entry.figures.settled
        return metering.request('POST', '/internal/usage/month-to-date', {
          tenantIds: asked.map(({ tenantId }) => tenantId),
          metric: METRIC,
        })
      }
      try {
        const response = await (options.lane ? options.lane.run(ask) : ask())
        if (response.status !== 200) throw new MeteringAnswer(response.status)
        const body = response.body as { periodStart: string; usage: { tenantId: string; count: number }[] }
        const periodStart = Date.parse(body.periodStart)
        const counts = new Map(body.usage.map((entry) => [entry.tenantId, entry.count]))
        for (const { tenantId, figures, period, settledAtAsk } of asked) {
          const count = counts.get(tenantId)
          // A month that ended while the call was out: its figures are not this month's.
          if (count === undefined || period !== figures.period || periodStart !== period) continue
          figures.baseline = count
          figures.settledAtAsk = settledAtAsk
        }
      } catch (error) {
        warn(error, 'usage quota refresh failed; keeping the last known figures')
      } finally {
        for (const { figures } of asked) figures.refreshing = false
      }
    }
    await postAlerts(ids)
  }

  /** The soft threshold, and 100% when the quota is used up, each once per period. */
  async function postAlerts(ids: readonly string[]): Promise<void> {
    if (!metering) return
    const now = clock()
    const due = ids.flatMap((tenantId) => {
      const figures = tenants.get(tenantId)
      const limit = figures?.quota.limit
      if (!figures || limit === null || limit === undefined) return []
      const percent = figures.quota.alertPercent
      const thresholds = percent !== null && percent < 100 ? [percent, 100] : [100]
      const used = usedOf(figures)
      return thresholds
        .filter(
          (threshold) => !figures.alerted.has(threshold) && used >= Math.ceil((limit * threshold) / 100),
        )
        .map((threshold) => ({ tenantId, figures, period: figures.period, threshold, limit, used }))
    })
    if (due.length === 0) return
    try {
      const response = await metering.request('POST', '/internal/usage/alerts', {
        alerts: due.map(({ tenantId, period, threshold, limit, used }) => ({
          tenantId,
          metric: METRIC,
          periodStart: new Date(period).toISOString(),
          thresholdPercent: threshold,
          quota: String(limit),
          used: String(used),
          crossedAt: now.toISOString(),
        })),
      })
      if (response.status !== 200) throw new MeteringAnswer(response.status)
      for (const { figures, period, threshold } of due) {
        if (figures.period === period) figures.alerted.add(threshold)
      }
    } catch (error) {
      // Tried again on the next refresh; metering's unique key keeps it once per period.
      warn(error, 'usage alerts could not be recorded; retrying on the next refresh')
    }
  }

  /** One refresh at a time: a timer tick that finds one still running is skipped. */
  const run = (work: () => Promise<void>): Promise<void> => {
    if (running) return running.then(() => run(work))
    running = work().finally(() => {
      running = undefined
    })
    return running
  }

  const tick = () => {
    const now = clock().getTime()
    const due: string[] = []
    for (const [tenantId, figures] of tenants) {
      figuresOf(tenantId, now)
      if (now - figures.lastSeen > activeMs) {
        if (figures.inFlight === 0 && figures.recorded === figures.settled) tenants.delete(tenantId)
        continue
      }
      if (figures.quota.limit !== null) due.push(tenantId)
    }
    return refreshTenants(due)
  }

  return {
    admit(tenantId, quota) {
      const figures = figuresOf(tenantId, clock().getTime(), quota)
      if (quota.limit !== null && usedOf(figures) >= quota.limit) {
        options.onExceeded?.()
        return statusOf(figures, quota.limit)
      }
      figures.inFlight += 1
      return undefined
    },
    release(tenantId) {
      const figures = tenants.get(tenantId)
      if (figures && figures.inFlight > 0) figures.inFlight -= 1
    },
    recorded(tenantId) {
      figuresOf(tenantId, clock().getTime()).recorded += 1
    },
    settled(events) {
      for (const event of events) {
        const figures = tenants.get(event.tenantId)
        if (figures && monthStartOf(Date.parse(event.occurredAt)) === figures.period) figures.settled += 1
      }
    },
    status(tenantId, quota) {
      if (quota.limit === null) return undefined
      return statusOf(figuresOf(tenantId, clock().getTime(), quota), quota.limit)
    },
    refresh: () => run(tick),
    start() {
      if (!metering || timer) return
      timer = setInterval(() => {
        if (!running) void run(tick)
      }, options.refreshMs)
      timer.unref()
    },
    async close() {
      closed = true
      clearInterval(timer)
      if (soon) clearImmediate(soon)
      await running
      await metering?.close()
    },
  }
}

class MeteringAnswer extends Error {
  constructor(readonly status: number) {
    super(`metering answered ${status}`)
    this.name = 'MeteringAnswer'
  }
}
