import type { Clock } from '@gatehouse/service-kit'
import type { Upstream } from '../proxy/route-table.ts'
import type { ServiceDocument } from './combined-document.ts'

export interface UpstreamDocuments {
  /** Each upstream's document, fresh or cached; undefined for one that has not answered yet. */
  all(): Promise<{ upstream: Upstream; document: ServiceDocument | undefined }[]>
}

interface Cached {
  document: ServiceDocument | undefined
  fetchedAt: number
  pending?: Promise<void>
}

/** Where each service serves its own document (service-kit's createService), on its own port. */
export const UPSTREAM_DOCUMENT_PATH = '/openapi.json'

/**
 * Upstream documents, fetched from each upstream's own port and cached: refreshed in the background once older
 * than `ttlMs` (the cached one is served meanwhile), and retried after `retryMs` while an upstream does not answer.
 * Only the first request waits for the fetch.
 */
export function createUpstreamDocuments(options: {
  upstreams: readonly Upstream[]
  clock: Clock
  ttlMs?: number
  retryMs?: number
  timeoutMs?: number
  onError?: (service: string, error: unknown) => void
}): UpstreamDocuments {
  const ttlMs = options.ttlMs ?? 60_000
  const retryMs = options.retryMs ?? 5_000
  const timeoutMs = options.timeoutMs ?? 2_000
  const cache = new Map<string, Cached>()

  const fetchOne = async (upstream: Upstream): Promise<ServiceDocument | undefined> => {
    try {
      const response = await fetch(new URL(UPSTREAM_DOCUMENT_PATH, upstream.url), {
        signal: AbortSignal.timeout(timeoutMs),
      })
      if (!response.ok) throw new Error(`status ${response.status}`)
      const document = (await response.json()) as ServiceDocument
      if (typeof document.openapi !== 'string') throw new Error('not an OpenAPI document')
      return document
    } catch (error) {
      options.onError?.(upstream.service, error)
      return undefined
    }
  }

  const refresh = (upstream: Upstream, entry: Cached | undefined): Promise<void> => {
    if (entry?.pending) return entry.pending
    const pending = fetchOne(upstream).then((document) => {
      const previous = cache.get(upstream.service)
      // A failed refresh keeps the last good document.
      cache.set(upstream.service, {
        document: document ?? previous?.document,
        fetchedAt: options.clock().getTime() - (document ? 0 : ttlMs - retryMs),
      })
    })
    cache.set(upstream.service, { document: entry?.document, fetchedAt: entry?.fetchedAt ?? 0, pending })
    return pending
  }

  return {
    async all() {
      const now = options.clock().getTime()
      await Promise.all(
        options.upstreams.map(async (upstream) => {
          const entry = cache.get(upstream.service)
          const stale = !entry || now - entry.fetchedAt >= ttlMs
          if (!stale) return
          const refreshing = refresh(upstream, entry)
          if (!entry?.document) await refreshing
        }),
      )
      return options.upstreams.map((upstream) => ({
        upstream,
        document: cache.get(upstream.service)?.document,
      }))
    },
  }
}
