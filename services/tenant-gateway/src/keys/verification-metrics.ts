import type { ServiceMetrics } from '@gatehouse/service-kit'
import type { KeyVerifier } from './key-verification.ts'

/** `gateway_key_verifications_total{result}`: VALID or the deny reason, for every key the gateway checks. */
export function countKeyVerifications(metrics: ServiceMetrics, verifier: KeyVerifier): KeyVerifier {
  const results = metrics.counter('gateway_key_verifications_total', 'API key verifications, by result.', [
    'result',
  ])
  // One labelled child per result, made once: prom-client hashes a label object on every inc() otherwise.
  const byResult = new Map<string, { inc(): void }>()
  const countOf = (result: string) => {
    let child = byResult.get(result)
    if (!child) {
      child = results.labels({ result })
      byResult.set(result, child)
    }
    return child
  }
  return {
    verify: (rawKey) =>
      verifier.verify(rawKey).then((check) => {
        countOf(check.valid ? 'VALID' : check.reason).inc()
        return check
      }),
  }
}
