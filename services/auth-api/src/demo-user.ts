import { hashPassword, randomToken } from '@gatehouse/crypto'
import type { Database } from '@gatehouse/db-kit'
import { eq } from 'drizzle-orm'
import { users } from './db/schema/index.ts'

// Seed 003's demo account, but as a real row with a fresh random password: no offline login, no known password.
export const DEMO_EMAIL = 'demo@nexora.ai'

export async function seedDemoUser(
  db: Database,
  input: { nodeEnv: string; now: Date },
): Promise<{ email: string; password: string; created: boolean }> {
  if (input.nodeEnv === 'production') throw new Error('seed:demo refuses to run with NODE_ENV=production')
  const password = randomToken().slice(0, 20)
  const passwordHash = await hashPassword(password)
  const reset = await db
    .update(users)
    .set({ passwordHash, failedLoginCount: 0, lockedUntil: null, updatedAt: input.now })
    .where(eq(users.email, DEMO_EMAIL))
    .returning({ id: users.id })
  if (reset.length === 0) {
    await db.insert(users).values({
      email: DEMO_EMAIL,
      name: 'Demo User',
      passwordHash,
      emailVerifiedAt: input.now,
      createdAt: input.now,
      updatedAt: input.now,
    })
  }
  return { email: DEMO_EMAIL, password, created: reset.length === 0 }
}
