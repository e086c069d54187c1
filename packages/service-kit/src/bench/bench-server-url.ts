/**
 * The PostgreSQL server a bench makes its fresh databases on: BENCH_DATABASE_URL, else TEST_DATABASE_URL. Without
 * either the bench cannot run: says so and exits 1.
 */
export function benchServerUrl(env: Record<string, string | undefined>): string {
  const url = env.BENCH_DATABASE_URL ?? env.TEST_DATABASE_URL
  if (!url) {
    process.stderr.write('bench: set BENCH_DATABASE_URL or TEST_DATABASE_URL to a PostgreSQL server URL\n')
    process.exit(1)
  }
  return url
}
