import { SERVICE_DRIZZLE_CONFIG } from '@gatehouse/db-kit/drizzle-config'
import { defineConfig } from 'drizzle-kit'

export default defineConfig(SERVICE_DRIZZLE_CONFIG)
