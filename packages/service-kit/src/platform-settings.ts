import Type from 'typebox'
import { PROBLEM_TYPE_BASE } from './errors.ts'

/** What a server sheds at unless LOAD_SHED_MAX_EVENT_LOOP_DELAY_MS says otherwise. */
export const SERVER_MAX_EVENT_LOOP_DELAY_MS = 250

/**
 * Settings every service takes from its environment for what createService installs (metrics, load shedding,
 * problem type URLs). `serviceEnv()` spreads them into every service's config schema.
 */
export const platformEnv = {
  /** false: no /metrics and nothing counted per request (the benchmarks' baseline). */
  METRICS_ENABLED: Type.Boolean({ default: true }),
  /** Bearer token /metrics requires when set; open when unset (scrape it on the service's own port). */
  METRICS_TOKEN: Type.Optional(Type.String({ minLength: 16 })),
  /** Shed load (503 + Retry-After) while the event loop lags more than this, averaged over a second; 0 = never. */
  LOAD_SHED_MAX_EVENT_LOOP_DELAY_MS: Type.Integer({ default: SERVER_MAX_EVENT_LOOP_DELAY_MS, minimum: 0 }),
  /** Shed load while the event loop is busier than this share of the time (0..1); 0 = never (the default). */
  LOAD_SHED_MAX_EVENT_LOOP_UTILIZATION: Type.Number({ default: 0, minimum: 0, maximum: 1 }),
  LOAD_SHED_RETRY_AFTER_SECONDS: Type.Integer({ default: 5, minimum: 1, maximum: 600 }),
  /** Base of problem `type` URLs: the gateway's public URL + /errors/ (its catalogue serves every code there). */
  ERRORS_BASE_URL: Type.String({ default: PROBLEM_TYPE_BASE, pattern: '^https?://' }),
}

export interface LoadSheddingSettings {
  maxEventLoopDelayMs: number
  maxEventLoopUtilization: number
  retryAfterSeconds: number
  /** How often the event loop is sampled (under-pressure's sampleInterval). */
  sampleIntervalMs: number
}

export interface PlatformSettings {
  metrics: boolean
  metricsToken?: string
  loadShedding: LoadSheddingSettings
  errorsBaseUrl: string
}

/**
 * Settings of an app built outside bootService (tests build apps in-process): the loop is measured but nothing
 * is shed, since such an app shares its event loop with the test's own work (schema compiles, embedded
 * databases), which says nothing about the app's load. Servers get their config's (LOAD_SHED_*: 250 ms by default).
 */
export const DEFAULT_PLATFORM_SETTINGS: PlatformSettings = {
  metrics: true,
  loadShedding: {
    maxEventLoopDelayMs: 0,
    maxEventLoopUtilization: 0,
    retryAfterSeconds: 5,
    sampleIntervalMs: 1000,
  },
  errorsBaseUrl: PROBLEM_TYPE_BASE,
}

export type PlatformConfig = Partial<{
  METRICS_ENABLED: boolean
  METRICS_TOKEN: string
  LOAD_SHED_MAX_EVENT_LOOP_DELAY_MS: number
  LOAD_SHED_MAX_EVENT_LOOP_UTILIZATION: number
  LOAD_SHED_RETRY_AFTER_SECONDS: number
  ERRORS_BASE_URL: string
}>

/** The settings of a loaded service config (the variables above; missing ones keep their defaults). */
export function platformSettingsOf(config: PlatformConfig): PlatformSettings {
  const defaults = DEFAULT_PLATFORM_SETTINGS
  const base = config.ERRORS_BASE_URL ?? defaults.errorsBaseUrl
  return {
    metrics: config.METRICS_ENABLED ?? true,
    ...(config.METRICS_TOKEN ? { metricsToken: config.METRICS_TOKEN } : {}),
    loadShedding: {
      ...defaults.loadShedding,
      maxEventLoopDelayMs: config.LOAD_SHED_MAX_EVENT_LOOP_DELAY_MS ?? SERVER_MAX_EVENT_LOOP_DELAY_MS,
      maxEventLoopUtilization:
        config.LOAD_SHED_MAX_EVENT_LOOP_UTILIZATION ?? defaults.loadShedding.maxEventLoopUtilization,
      retryAfterSeconds: config.LOAD_SHED_RETRY_AFTER_SECONDS ?? defaults.loadShedding.retryAfterSeconds,
    },
    errorsBaseUrl: base.endsWith('/') ? base : `${base}/`,
  }
}
