/** Anything with a TTL reads time through this, so tests move time instead of sleeping. */
export type Clock = () => Date

export const systemClock: Clock = () => new Date()

export function addSeconds(date: Date, seconds: number): Date {
  return new Date(date.getTime() + seconds * 1000)
}
