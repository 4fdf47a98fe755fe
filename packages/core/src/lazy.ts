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
 * import { z } from '@openkyc/core/zod'
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

/** The schema behind each {@link lazySchema} stand-in: built on the first call of `schema`. */
type LazySchemaState = { schema: () => object; built: boolean }

/** Each stand-in {@link lazySchema} returned, with the state of the schema it stands for. */
const lazySchemas = new WeakMap<object, LazySchemaState>()

/**
 * A schema built on first use that is, for its callers, the schema itself: `lazySchema(() =>
 * z.object(…))` returns a stand-in with the built schema's type, whose every property read, method
 * call, `instanceof` check and key listing builds the schema on first use and then forwards to it.
 * `VerificationSchema.parse(input)`, `.shape`, `.options`, `.extend(…)`, `z.array(VerificationSchema)`
 * and `VerificationSchema instanceof z.ZodObject` behave as on a plain schema.
 *
 * Core's public model schemas are built this way, so that importing `@openkyc/core` builds none of
 * them (building zod schemas is most of the library's own import cost); an application pays for the
 * ones it uses, once, on first use. Two things differ from a plain schema: the stand-in is a `Proxy`
 * (so `schema === otherReference` holds only for the stand-in itself, and a zod registry such as
 * `z.globalRegistry` keyed by the stand-in does not see the built schema), and each use pays one
 * proxy step. Code composing schemas inside a library should compose the built schemas
 * ({@link resolveSchema}) so that parsing never goes through the stand-in per field.
 *
 * @example
 * ```ts
 * import { lazySchema } from '@openkyc/core'
 * import { z } from '@openkyc/core/zod'
 *
 * export const InvoiceSchema = lazySchema(() => z.object({ id: z.string(), total: z.number() }))
 *
 * InvoiceSchema.parse({ id: 'in_1', total: 12 }) // built here, on the first use
 * ```
 */
export function lazySchema<Schema extends object>(build: () => Schema): Schema {
  const state: LazySchemaState = {
    schema: lazy(() => {
      const built = build()
      state.built = true
      return built
    }),
    built: false,
  }
  const schema = state.schema as () => Schema
  // The proxy's own target stays empty: every trap forwards to the built schema. Property
  // descriptors are reported configurable, as the empty target does not hold them (a proxy may not
  // report a non-configurable property its target lacks).
  const standIn = new Proxy(Object.create(null) as Schema, {
    get: (_target, key) => Reflect.get(schema(), key),
    set: (_target, key, value) => Reflect.set(schema(), key, value),
    has: (_target, key) => Reflect.has(schema(), key),
    ownKeys: () => Reflect.ownKeys(schema()),
    getOwnPropertyDescriptor: (_target, key) => {
      const descriptor = Reflect.getOwnPropertyDescriptor(schema(), key)
      return descriptor === undefined ? undefined : { ...descriptor, configurable: true }
    },
    defineProperty: (_target, key, descriptor) => Reflect.defineProperty(schema(), key, descriptor),
    deleteProperty: (_target, key) => Reflect.deleteProperty(schema(), key),
    getPrototypeOf: () => Reflect.getPrototypeOf(schema()),
  })
  lazySchemas.set(standIn, state)
  return standIn
}

/**
 * The built schema behind a {@link lazySchema} stand-in (building it if needed), or the schema
 * itself when it is a plain one. Compose with it inside a builder, so that the composed schema holds
 * the built schema and parsing never steps through the stand-in.
 *
 * @example
 * ```ts
 * import { CheckSchema, lazySchema, resolveSchema } from '@openkyc/core'
 * import { z } from '@openkyc/core/zod'
 *
 * const ChecksPageSchema = lazySchema(() => z.object({ checks: z.array(resolveSchema(CheckSchema)) }))
 * ```
 */
export function resolveSchema<Schema extends object>(schema: Schema): Schema {
  const state = lazySchemas.get(schema)
  return state === undefined ? schema : (state.schema() as Schema)
}

/**
 * Whether the schema behind a {@link lazySchema} stand-in has been built yet (`true` for a plain
 * schema). For tests that hold a module to building nothing at import.
 */
export function isSchemaBuilt(schema: object): boolean {
  return lazySchemas.get(schema)?.built ?? true
}
