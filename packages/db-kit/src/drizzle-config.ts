/**
 * Every service's drizzle-kit settings (STYLE.md, "One service"): the schema folder's index, migrations beside
 * it, snake_case columns, strict. A service's drizzle.config.ts passes them to drizzle-kit's defineConfig.
 */
export const SERVICE_DRIZZLE_CONFIG = {
  dialect: 'postgresql',
  schema: './src/db/schema/index.ts',
  out: './migrations',
  casing: 'snake_case',
  strict: true,
} as const
