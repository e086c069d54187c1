/**
 * The upstream, in its own process, with two routes: `/api/tasks` answers a constant (no work at all: what is
 * left is HTTP), and `/api/tasks/:id` reads one row by primary key from a table of 10,000 with a prepared
 * statement, the shape of the reads the gateway fronts. Database: a fresh one on TEST_DATABASE_URL's server
 * (run.ts passes BENCH_DATABASE_URL), or an in-memory PGlite.
 */
import { createTestDb } from '@gatehouse/db-kit/testing'
import { eq, sql } from 'drizzle-orm'
import { integer, pgTable, text } from 'drizzle-orm/pg-core'
import Fastify from 'fastify'

const tasks = pgTable('bench_tasks', {
  id: integer().primaryKey(),
  name: text().notNull(),
  quantity: integer().notNull(),
})

const db = await createTestDb()
await db.raw.exec(`create table bench_tasks (id integer primary key, name text not null, quantity integer not null);
  insert into bench_tasks select g, 'task ' || g, g % 100 from generate_series(1, 10000) g;
  analyze bench_tasks`)
const taskById = db.db
  .select()
  .from(tasks)
  .where(eq(tasks.id, sql.placeholder('id')))
  .prepare('task_by_id')

const app = Fastify({ logger: false })
app.get('/api/tasks', async () => ({ hello: 'world' }))
app.get<{ Params: { id: string } }>('/api/tasks/:id', async (request, reply) => {
  const [task] = await taskById.execute({ id: Number(request.params.id) })
  return task ?? reply.code(404).send({ error: 'not found' })
})
await app.listen({ port: 0, host: '127.0.0.1' })
const address = app.server.address()
process.send?.({ port: typeof address === 'object' && address ? address.port : 0, database: db.kind })
process.on(
  'disconnect',
  () =>
    void app
      .close()
      .then(() => db.close())
      .then(() => process.exit(0)),
)
