import type { ServiceMetrics } from '@gatehouse/service-kit'
import type { KeyVerifier } from './key-verification.ts'

/** `gateway_key_verifications_total{result}`: VALID or the deny reason, for every key the gateway checks. */
export function countKeyVerifications(metrics: ServiceMetrics, verifier: KeyVerifier): KeyVerifier {
  const results = metrics.counter('gateway_key_verifications_total', 'API key verifications, by result.', [
    'result',
  ])
  return {
    verify: (rawKey) =>
      verifier.verify(rawKey).then((check) => {
        results.inc({ result: check.valid ? 'VALID' : check.reason })
        return check
      }),
  }
}
