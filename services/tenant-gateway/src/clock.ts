/** Injected wherever time decides something (cache TTL, key expiry, JWT expiry), so tests move time instead of sleeping. */
export type Clock = () => Date

export const systemClock: Clock = () => new Date()
