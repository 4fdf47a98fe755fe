import { z } from '#zod'
import { lazySchema } from './lazy.js'

/**
 * A setting that ends up in an HTTP header as a credential (API key, client secret, token): visible
 * ASCII only. A line break, NUL or non-Latin-1 character makes `Headers` throw a `TypeError` that
 * quotes the whole value (`Bearer <key>`) on the first request; refused when the adapter is
 * created instead, and the issue message never holds the value.
 *
 * @example
 * ```ts
 * const SettingsSchema = z.strictObject({ apiKey: headerSafeSecret })
 * ```
 */
export const headerSafeSecret = lazySchema(() =>
  z
    .string()
    .trim()
    .min(1, 'must not be empty')
    .regex(/^[\x21-\x7e]+$/, 'must be visible ASCII characters only (no spaces, line breaks or NUL)'),
)

/**
 * A setting that ends up in an HTTP header as text (a `User-Agent`): visible ASCII and spaces, no
 * line breaks, NUL or other control characters.
 *
 * @example
 * ```ts
 * const SettingsSchema = z.strictObject({ userAgent: headerSafeText.max(255) })
 * ```
 */
export const headerSafeText = lazySchema(() =>
  z
    .string()
    .trim()
    .min(1, 'must not be empty')
    .regex(/^[\x20-\x7e]+$/, 'must be visible ASCII characters and spaces only (no line breaks or NUL)'),
)
