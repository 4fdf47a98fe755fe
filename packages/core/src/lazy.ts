/**
 * Defers building a value until it is first needed, then keeps it: `lazy(() => z.object(…))`
 * returns a function that builds the schema on its first call and returns the same schema ever
 * after. Schemas, tables and regular expressions that a module would otherwise build while it is
 * being imported cost every application start-up time (a cold start), even the ones that never use
 * them; built lazily, only the code that runs pays, once.
 *
 * Use it for module-level values that are private to a package and not needed at import. Public
 * schemas (the normalized model) stay plain values: callers read and compose them directly.
 *
 * @example
 * ```ts
 * import { lazy } from '@openkyc/core'
 * import { z } from 'zod'
 *
 * const settingsSchema = lazy(() => z.strictObject({ apiKey: z.string().min(1) }))
 *
 * export function readSettings(input: unknown) {
 *   return settingsSchema().parse(input) // built on the first call only
 * }
 * ```
 */
export function lazy<Value>(build: () => Value): () => Value {
  let built = false
  let value: Value
  return () => {
    if (!built) {
      value = build()
      built = true
    }
    return value
  }
}
