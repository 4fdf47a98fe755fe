/**
 * A parser compiled from a zod schema for the inputs that pass it: the same answer as
 * `schema.safeParse(input).data`, built in one walk with no payload or issue objects, because zod
 * allocates a payload for every value it visits and the webhook pipeline parses every event it
 * receives (a Persona event with its checks is some 20 kB of such garbage). The schema stays the one
 * definition: this reads it, it does not restate it.
 *
 * It answers {@link notParsed} whenever the input is not certainly valid, and then the caller asks
 * zod, whose issues and edge cases are the authority; so it only ever has to be exact on success.
 * It knows the schema kinds and checks the model uses (objects with or without an unknown catchall,
 * strings with a minimum length, a datetime format or a refinement, enums, literals, arrays, records
 * of strings, numbers with integer and range checks, optional, empty-array defaults, unknown);
 * compiling any other kind or check gives `undefined`, and the caller keeps to zod alone.
 * Internal to core.
 */

import { lazy } from '../lazy.js'

/** What a compiled parser answers for an input it cannot vouch for: ask zod. */
export const notParsed: unique symbol = Symbol('notParsed')

/** A parser from {@link compileParser}: the parsed copy, or {@link notParsed}. */
export type CompiledParser = (input: unknown) => unknown

/** The parts of zod's internal schema shape read here (zod 4: `schema._zod.def`, `optin`, `optout`). */
type SchemaInternals = {
  _zod: {
    def: Record<string, unknown> & { type: string; checks?: readonly CheckInternals[] }
    optin?: 'optional' | 'defaulted'
    optout?: 'optional'
  }
}
type CheckInternals = {
  _zod: {
    def: Record<string, unknown> & { check: string }
    when?: (payload: { value: unknown; issues: unknown[] }) => boolean
  }
}

/** Thrown while compiling a schema this module does not know; caught by {@link compileParser}. */
class UnsupportedSchema extends Error {}

const unsupported = (what: string): never => {
  throw new UnsupportedSchema(what)
}

const required = 0
const optional = 1
const defaulted = 2

/** An object literal, a `JSON.parse` result or an `Object.create(null)` object. */
const isPlainObject = (value: unknown): value is Record<string, unknown> => {
  if (typeof value !== 'object' || value === null) return false
  const prototype = Object.getPrototypeOf(value)
  return prototype === Object.prototype || prototype === null
}

/**
 * Compiles `schema`, or returns `undefined` when it uses a kind or check this module does not know.
 * Objects are parsed by generated code where the runtime allows it (`generatedCode: false` forces
 * the interpreted form, which tests compare as well).
 *
 * @example
 * ```ts
 * const parseEvent = compileParser(KycEventSchema)
 * const parsed = parseEvent?.(event) ?? notParsed
 * const event = parsed === notParsed ? KycEventSchema.parse(event) : parsed
 * ```
 */
export function compileParser(
  schema: unknown,
  options: { generatedCode?: boolean } = {},
): CompiledParser | undefined {
  // Compiling is synchronous: the setting holds for this call only.
  generateCode = (options.generatedCode ?? true) && allowsGeneratedCode()
  try {
    return compile(schema as SchemaInternals)
  } catch (error) {
    if (error instanceof UnsupportedSchema) return undefined
    throw error
  } finally {
    generateCode = false
  }
}

function compile(schema: SchemaInternals): CompiledParser {
  const def = schema._zod.def
  const checks = def.checks ?? []
  if (checks.length > 0 && def.type !== 'string' && def.type !== 'number')
    unsupported(`checks on ${def.type}`)
  if (def.coerce === true) unsupported('coercion')
  switch (def.type) {
    case 'string':
      return compileString(def, checks)
    case 'number':
      return compileNumber(checks)
    case 'enum': {
      const entries = Object.values(def.entries as Record<string, unknown>)
      // zod reads numeric (TypeScript) enums its own way; the model's enums are all strings.
      if (entries.some((entry) => typeof entry !== 'string')) unsupported('a numeric enum')
      const values = new Set(entries)
      return (input) => (values.has(input) ? input : notParsed)
    }
    case 'literal': {
      const values = new Set(def.values as readonly unknown[])
      return (input) => (values.has(input) ? input : notParsed)
    }
    case 'unknown':
      return (input) => input
    case 'optional': {
      const inner = def.innerType as SchemaInternals
      if (inner._zod.optin === 'defaulted') unsupported('optional around a default')
      const parseInner = compile(inner)
      return (input) => (input === undefined ? undefined : parseInner(input))
    }
    case 'default': {
      const fallback: unknown = def.defaultValue
      if (!Array.isArray(fallback) || fallback.length > 0) unsupported('a default other than []')
      const parseInner = compile(def.innerType as SchemaInternals)
      return (input) => (input === undefined ? [] : parseInner(input))
    }
    case 'array':
      return compileArray(compile(def.element as SchemaInternals))
    case 'record':
      return compileRecord(def)
    case 'object':
      return compileObject(def)
    default:
      return unsupported(def.type)
  }
}

function compileString(def: Record<string, unknown>, checks: readonly CheckInternals[]): CompiledParser {
  const tests: ((value: string) => boolean)[] = []
  if (def.format !== undefined) {
    // `z.iso.datetime()` is a string schema checked by its own pattern.
    if (def.format !== 'datetime' || !(def.pattern instanceof RegExp)) unsupported(`format ${def.format}`)
    const pattern = def.pattern as RegExp
    tests.push((value) => {
      pattern.lastIndex = 0
      return pattern.test(value)
    })
  }
  for (const check of checks) {
    const checkDef = check._zod.def
    if (checkDef.check === 'min_length' && typeof checkDef.minimum === 'number') {
      const minimum = checkDef.minimum
      tests.push((value) => value.length >= minimum)
    } else if (checkDef.check === 'custom' && typeof checkDef.fn === 'function') {
      const refinement = checkDef.fn as (value: unknown) => unknown
      const when = check._zod.when
      tests.push((value) => {
        if (when !== undefined && !when({ value, issues: [] })) return true
        const verdict = refinement(value)
        // An asynchronous refinement is zod's to handle (it refuses it in a synchronous parse).
        return verdict instanceof Promise ? false : Boolean(verdict)
      })
    } else {
      unsupported(`string check ${checkDef.check}`)
    }
  }
  if (tests.length === 0) return (input) => (typeof input === 'string' ? input : notParsed)
  return (input) => {
    if (typeof input !== 'string') return notParsed
    for (let index = 0; index < tests.length; index += 1) if (!tests[index]!(input)) return notParsed
    return input
  }
}

function compileNumber(checks: readonly CheckInternals[]): CompiledParser {
  const tests: ((value: number) => boolean)[] = []
  for (const check of checks) {
    const checkDef = check._zod.def
    if (checkDef.check === 'number_format' && checkDef.format === 'safeint') {
      tests.push(Number.isSafeInteger)
    } else if (
      (checkDef.check === 'greater_than' || checkDef.check === 'less_than') &&
      typeof checkDef.value === 'number'
    ) {
      const bound = checkDef.value
      const inclusive = checkDef.inclusive === true
      tests.push(
        checkDef.check === 'greater_than'
          ? (value) => (inclusive ? value >= bound : value > bound)
          : (value) => (inclusive ? value <= bound : value < bound),
      )
    } else {
      unsupported(`number check ${checkDef.check}`)
    }
  }
  return (input) => {
    if (typeof input !== 'number' || !Number.isFinite(input)) return notParsed
    for (const test of tests) if (!test(input)) return notParsed
    return input
  }
}

function compileArray(parseElement: CompiledParser): CompiledParser {
  return (input) => {
    if (!Array.isArray(input)) return notParsed
    const output = new Array<unknown>(input.length)
    for (let index = 0; index < input.length; index += 1) {
      const element = parseElement(input[index])
      if (element === notParsed) return notParsed
      output[index] = element
    }
    return output
  }
}

/** Records keyed by plain strings only (`z.record(z.string(), …)`), as the model's `reference`. */
function compileRecord(def: Record<string, unknown>): CompiledParser {
  const keyDef = (def.keyType as SchemaInternals)._zod.def
  if (keyDef.type !== 'string' || (keyDef.checks ?? []).length > 0 || keyDef.format !== undefined) {
    unsupported('a record key other than a plain string')
  }
  const parseValue = compile(def.valueType as SchemaInternals)
  return (input) => {
    if (!isPlainObject(input)) return notParsed
    const output: Record<string, unknown> = {}
    for (const key of Reflect.ownKeys(input)) {
      if (typeof key !== 'string') return notParsed
      if (key === '__proto__' || !Object.prototype.propertyIsEnumerable.call(input, key)) continue
      const value = parseValue(input[key])
      if (value === notParsed) return notParsed
      output[key] = value
    }
    return output
  }
}

/**
 * Objects, unknown keys dropped, or kept as they are under an unknown catchall, keys in zod's order
 * (the shape's, then the others in `for…in` order), a key kept or left out exactly as zod's object
 * parser does by its schema's `optin`/`optout`.
 */
function compileObject(def: Record<string, unknown>): CompiledParser {
  const shape = def.shape as Record<string, SchemaInternals>
  if (Object.getOwnPropertySymbols(shape).length > 0) unsupported('symbol keys')
  const catchall = def.catchall as SchemaInternals | undefined
  if (catchall !== undefined && catchall._zod.def.type !== 'unknown')
    unsupported('a catchall other than unknown')
  const keys = Object.keys(shape).filter((key) => key !== '__proto__')
  const parsers = keys.map((key) => compile(shape[key]!))
  // How zod's object parser treats each key: required (absent fails), optional (an absent key stays
  // absent) or defaulted (always written).
  const presences = keys.map((key) => {
    const { optin, optout } = shape[key]!._zod
    if (optin === undefined) return required
    if (optin === 'defaulted' && optout !== 'optional') return defaulted
    return optout === 'optional' ? optional : unsupported('an optional-in, required-out key')
  })
  const known = new Set(Object.keys(shape))
  return (generatedObjectParser(keys, parsers, presences, catchall !== undefined, known) ??
    interpretedObjectParser(keys, parsers, presences, catchall !== undefined, known)) as CompiledParser
}

type ObjectParserParts = [
  keys: readonly string[],
  parsers: readonly CompiledParser[],
  presences: readonly number[],
  keepsUnknownKeys: boolean,
  known: ReadonlySet<string>,
]

/** The object parser as a loop over the shape: for runtimes that do not allow generated code. */
function interpretedObjectParser(...[keys, parsers, presences, keepsUnknownKeys, known]: ObjectParserParts) {
  const count = keys.length
  return (input: unknown) => {
    if (!isPlainObject(input)) return notParsed
    const output: Record<string, unknown> = {}
    for (let index = 0; index < count; index += 1) {
      const key = keys[index]!
      const present = key in input
      const presence = presences[index]
      if (!present && presence === required) return notParsed
      const value = parsers[index]!(input[key])
      if (value === notParsed) return notParsed
      if (present || presence === defaulted) output[key] = value
    }
    if (keepsUnknownKeys) copyUnknownKeys(input, output, known)
    return output
  }
}

function copyUnknownKeys(
  input: Record<string, unknown>,
  output: Record<string, unknown>,
  known: ReadonlySet<string>,
) {
  for (const key in input) {
    if (known.has(key) || key === '__proto__') continue
    output[key] = input[key]
  }
}

/** Whether this runtime runs generated code (`new Function`); workerd and strict CSPs do not. */
const allowsGeneratedCode = lazy(() => {
  try {
    return new Function('return true')() === true
  } catch {
    return false
  }
})

/** Whether the compilation under way generates object parsers (see {@link compileParser}). */
let generateCode = false

/**
 * The object parser as straight-line code with each key written out, as zod's own object parser is
 * generated: a property read or write at a fixed name is cheap, one through a variable key is not
 * (that loop was slower than zod). Keys come from the schema and are written as JSON string literals.
 * `undefined` where generated code is not allowed.
 */
function generatedObjectParser(...[keys, parsers, presences, keepsUnknownKeys, known]: ObjectParserParts) {
  if (!generateCode) return undefined
  const lines = ['if (!isPlainObject(input)) return notParsed', 'const output = {}', 'let value']
  keys.forEach((key, index) => {
    const name = JSON.stringify(key)
    const read = `value = parsers[${index}](input[${name}]); if (value === notParsed) return notParsed`
    if (presences[index] === required) {
      lines.push(`if (!(${name} in input)) return notParsed`, read, `output[${name}] = value`)
    } else if (presences[index] === defaulted) {
      lines.push(read, `output[${name}] = value`)
    } else {
      lines.push(`if (${name} in input) { ${read}; output[${name}] = value }`)
    }
  })
  if (keepsUnknownKeys) lines.push('copyUnknownKeys(input, output, known)')
  lines.push('return output')
  const build = new Function(
    'parsers',
    'notParsed',
    'isPlainObject',
    'copyUnknownKeys',
    'known',
    `return (input) => {\n${lines.join('\n')}\n}`,
  )
  return build(parsers, notParsed, isPlainObject, copyUnknownKeys, known) as CompiledParser
}
