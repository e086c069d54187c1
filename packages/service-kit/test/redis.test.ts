import pino from 'pino'
import { describe, expect, it } from 'vitest'
import { closeRedis, connectRedis, redisReady } from '../src/redis.ts'

const log = pino({ level: 'silent' })

describe('connectRedis', () => {
  it('fails commands at once, never queueing them, while Redis is unreachable', async () => {
    const redis = connectRedis('redis://127.0.0.1:1', { log, role: 'test' })
    expect(await redisReady(redis, 300)).toBe(false)
    const started = performance.now()
    await expect(redis.incr('k')).rejects.toThrow()
    expect(performance.now() - started).toBeLessThan(1_000)
    await closeRedis(redis)
  })

  it.runIf(process.env.REDIS_URL)('is ready and runs commands when Redis is up', async () => {
    const redis = connectRedis(process.env.REDIS_URL ?? '', { log, role: 'test' })
    expect(await redisReady(redis, 2_000)).toBe(true)
    const key = `service-kit-test:${Math.random()}`
    expect(await redis.incr(key)).toBe(1)
    await redis.del(key)
    await closeRedis(redis)
  })
})
