import { z } from '#zod'
import { lazy } from '../lazy.js'
import type { RateLimit, RateLimiter } from './rate-limiter.js'

/**
 * The schema of an adapter's rate-limit setting: a budget (`{ requests, intervalMs }`, positive
 * integers), a shared `RateLimiter` (anything with an `acquire` function), or `false` to turn the
 * client-side limit off. A function, so the schema is built on its first use, not at import.
 *
 * @example
 * ```ts
 * import { rateLimitSettingSchema } from '@openkyc/core/http'
 * import { z } from '@openkyc/core/zod'
 * const settingsSchema = z.strictObject({ rateLimit: rateLimitSettingSchema().optional() })
 * ```
 */
export const rateLimitSettingSchema: () => z.ZodType<RateLimit | RateLimiter | false> = lazy(() =>
  z.union([
    z.strictObject({ requests: z.number().int().positive(), intervalMs: z.number().int().positive() }),
    z.custom<RateLimiter>(
      (value) =>
        typeof value === 'object' && value !== null && typeof (value as RateLimiter).acquire === 'function',
      'expected { requests, intervalMs }, a RateLimiter or false',
    ),
    z.literal(false),
  ]),
)
