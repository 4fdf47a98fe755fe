#!/usr/bin/env node
// Derives `src/openapi/persona-schemas.json` from Persona's official OpenAPI 3.1 bundle.
//
// Usage (from the repository root or anywhere):
//   node packages/simulators/persona/scripts/trim-persona-openapi.mjs [path/to/persona-openapi.yaml] [--check]
//
// The bundle defaults to `docs/reference/persona-openapi.yaml` beside the repository checkout.
// Only the operations the Persona simulator implements are kept, with structure only: descriptions,
// examples, titles, defaults, discriminators and `x-*` extensions are dropped, shared schemas stay in
// one local `components.schemas` map referenced as `#/components/schemas/<name>`.
// `--check` exits non-zero when the committed file differs (as JSON, ignoring formatting) from what the
// bundle produces. After writing, the file is formatted with the repository's Biome so that `biome check`
// stays clean.

import { execFileSync } from 'node:child_process'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { dirname, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { isDeepStrictEqual } from 'node:util'
import { parse } from 'yaml'

/** Path prefixes of the operations the simulator implements (or that describe its webhook payloads). */
export const simulatedPathPrefixes = [
  '/inquiries',
  '/inquiry-sessions',
  '/verifications/',
  '/verification/',
  '/accounts',
  '/cases',
  '/lists',
  '/list/',
  '/list-item/',
  '/importers',
  '/importer/',
  '/events',
  '/webhooks',
]

const httpMethods = ['get', 'post', 'put', 'patch', 'delete']

/** Keywords whose value is a map from a name to a schema. */
const schemaMapKeywords = new Set([
  'properties',
  'patternProperties',
  '$defs',
  'definitions',
  'dependentSchemas',
])
/** Keywords whose value is an array of schemas. */
const schemaArrayKeywords = new Set(['allOf', 'anyOf', 'oneOf', 'prefixItems'])
/** Keywords whose value is one schema (or a boolean). */
const schemaKeywords = new Set([
  'items',
  'additionalProperties',
  'unevaluatedProperties',
  'unevaluatedItems',
  'additionalItems',
  'not',
  'if',
  'then',
  'else',
  'contains',
  'propertyNames',
])
/** Keywords kept verbatim: they constrain structure. */
const valueKeywords = new Set([
  '$ref',
  'type',
  'const',
  'enum',
  'required',
  'format',
  'minimum',
  'maximum',
  'exclusiveMinimum',
  'exclusiveMaximum',
  'multipleOf',
  'minLength',
  'maxLength',
  'pattern',
  'minItems',
  'maxItems',
  'uniqueItems',
  'minProperties',
  'maxProperties',
  'dependentRequired',
  'contentMediaType',
  'contentEncoding',
])
/** Annotations dropped on purpose (plus every `x-*` extension). */
const droppedKeywords = new Set([
  'description',
  'title',
  'summary',
  'example',
  'examples',
  'default',
  'deprecated',
  'readOnly',
  'writeOnly',
  'discriminator',
  'externalDocs',
  'xml',
  '$comment',
])

/**
 * Copies a JSON schema keeping only structural keywords.
 * @param {unknown} schema
 * @param {(reference: string) => string} onReference maps a `$ref` and records the component it names
 * @param {Set<string>} unknownKeywords collects keywords neither kept nor knowingly dropped
 * @returns {unknown}
 */
function trimSchema(schema, onReference, unknownKeywords) {
  if (typeof schema === 'boolean') return schema
  if (schema === null || typeof schema !== 'object' || Array.isArray(schema)) {
    throw new Error(`Expected a schema, got ${JSON.stringify(schema)}`)
  }
  /** @type {Record<string, unknown>} */
  const trimmed = {}
  for (const [keyword, value] of Object.entries(schema)) {
    if (keyword.startsWith('x-') || droppedKeywords.has(keyword)) continue
    if (keyword === '$ref') trimmed.$ref = onReference(String(value))
    else if (schemaMapKeywords.has(keyword)) {
      /** @type {Record<string, unknown>} */
      const map = {}
      for (const [name, member] of Object.entries(/** @type {object} */ (value))) {
        map[name] = trimSchema(member, onReference, unknownKeywords)
      }
      trimmed[keyword] = map
    } else if (schemaArrayKeywords.has(keyword)) {
      trimmed[keyword] = /** @type {unknown[]} */ (value).map((member) =>
        trimSchema(member, onReference, unknownKeywords),
      )
    } else if (schemaKeywords.has(keyword)) {
      trimmed[keyword] = trimSchema(value, onReference, unknownKeywords)
    } else if (valueKeywords.has(keyword)) {
      trimmed[keyword] = value
    } else {
      unknownKeywords.add(keyword)
    }
  }
  return trimmed
}

/**
 * Follows a local `$ref` inside the bundle.
 * @param {Record<string, unknown>} document
 * @param {string} reference
 * @returns {any}
 */
function resolveLocal(document, reference) {
  if (!reference.startsWith('#/')) throw new Error(`Only local references are supported: ${reference}`)
  /** @type {any} */
  let node = document
  for (const part of reference.slice(2).split('/')) {
    node = node?.[part.replaceAll('~1', '/').replaceAll('~0', '~')]
  }
  if (node === undefined) throw new Error(`Dangling reference ${reference}`)
  return node
}

/** Short names for the media types we keep. */
const mediaTypeNames = {
  'application/json': 'application/json',
  'multipart/form-data': 'multipart/form-data',
}

/**
 * Builds the trimmed schema document from the parsed bundle.
 * @param {Record<string, any>} bundle the parsed OpenAPI document
 * @param {{ sourceName?: string }} [options]
 */
export function trimPersonaOpenapi(bundle, options = {}) {
  const unknownKeywords = new Set()
  /** @type {Record<string, unknown>} */
  const componentSchemas = {}
  /** @type {string[]} */
  const pendingComponents = []

  /** @param {string} reference */
  const onReference = (reference) => {
    const match = /^#\/components\/schemas\/([^/]+)$/.exec(reference)
    if (!match) throw new Error(`Unexpected schema reference ${reference}`)
    const name = /** @type {string} */ (match[1])
    if (!(name in componentSchemas)) {
      componentSchemas[name] = null
      pendingComponents.push(name)
    }
    return reference
  }

  /**
   * Turns a schema that may come from a shared response or request body into a trimmed schema;
   * shared ones become components so their (large, repeated) error shapes are stored once.
   * @param {unknown} schema
   * @param {string | undefined} componentName
   */
  const trimShared = (schema, componentName) => {
    if (componentName === undefined) return trimSchema(schema, onReference, unknownKeywords)
    if (!(componentName in componentSchemas)) {
      componentSchemas[componentName] = trimSchema(schema, onReference, unknownKeywords)
    }
    return { $ref: `#/components/schemas/${componentName}` }
  }

  /**
   * @param {any} content an OpenAPI `content` map
   * @param {string | undefined} sharedName name of the shared response/request body it came from
   */
  const trimContent = (content, sharedName) => {
    /** @type {Record<string, unknown>} */
    const byMediaType = {}
    for (const [mediaType, shortName] of Object.entries(mediaTypeNames)) {
      const schema = content?.[mediaType]?.schema
      if (schema === undefined) continue
      const componentName =
        sharedName === undefined ? undefined : `${sharedName}.${shortName.replace(/\W+/g, '-')}`
      byMediaType[mediaType] = trimShared(schema, componentName)
    }
    return byMediaType
  }

  /** @type {Record<string, { request: Record<string, unknown> | null, responses: Record<string, unknown> }>} */
  const operations = {}
  const paths = Object.keys(bundle.paths ?? {})
    .filter((path) => simulatedPathPrefixes.some((prefix) => path.startsWith(prefix)))
    .sort()
  for (const path of paths) {
    const item = bundle.paths[path]
    for (const method of httpMethods) {
      const operation = item[method]
      if (!operation) continue
      let request = null
      if (operation.requestBody) {
        let body = operation.requestBody
        let sharedName
        if (body.$ref) {
          sharedName = `request-body.${body.$ref.split('/').pop()}`
          body = resolveLocal(bundle, body.$ref)
        }
        request = trimContent(body.content, sharedName)
      }
      /** @type {Record<string, unknown>} */
      const responses = {}
      for (const [status, declared] of Object.entries(operation.responses ?? {})) {
        let response = /** @type {any} */ (declared)
        let sharedName
        if (response.$ref) {
          sharedName = `response.${response.$ref.split('/').pop()}`
          response = resolveLocal(bundle, response.$ref)
        }
        const byMediaType = trimContent(response.content, sharedName)
        responses[status] = byMediaType['application/json'] ?? null
      }
      operations[`${method.toUpperCase()} ${path}`] = { request, responses }
    }
  }

  /** @type {Record<string, unknown>} */
  const webhooks = {}
  for (const [eventName, item] of Object.entries(bundle.webhooks ?? {}).sort(([a], [b]) =>
    a.localeCompare(b),
  )) {
    const schema = /** @type {any} */ (item).post?.requestBody?.content?.['application/json']?.schema
    if (schema) webhooks[eventName] = trimSchema(schema, onReference, unknownKeywords)
  }

  while (pendingComponents.length > 0) {
    const name = /** @type {string} */ (pendingComponents.shift())
    componentSchemas[name] = trimSchema(bundle.components.schemas[name], onReference, unknownKeywords)
  }

  if (unknownKeywords.size > 0) {
    throw new Error(
      `Unclassified schema keywords (add them to a keyword set): ${[...unknownKeywords].join(', ')}`,
    )
  }
  const sortedComponents = Object.fromEntries(
    Object.entries(componentSchemas).sort(([a], [b]) => a.localeCompare(b)),
  )
  return {
    source: `${options.sourceName ?? 'persona-openapi.yaml'} (${bundle.info?.title}, info.version ${bundle.info?.version})`,
    regenerate:
      'node packages/simulators/persona/scripts/trim-persona-openapi.mjs [docs/reference/persona-openapi.yaml] — generated, do not edit by hand',
    operations,
    webhooks,
    components: { schemas: sortedComponents },
  }
}

const scriptDirectory = dirname(fileURLToPath(import.meta.url))
/** Where the trimmed document is committed. */
export const trimmedDocumentPath = resolve(scriptDirectory, '../src/openapi/persona-schemas.json')
/** Where the bundle lives: vendored in the repository at `docs/reference/`. */
export const defaultBundlePath = resolve(scriptDirectory, '../../../../docs/reference/persona-openapi.yaml')

/**
 * Reads and trims the bundle at `bundlePath`.
 * @param {string} [bundlePath]
 */
export function trimPersonaOpenapiFile(bundlePath = defaultBundlePath) {
  const bundle = parse(readFileSync(bundlePath, 'utf8'), { maxAliasCount: -1 })
  return trimPersonaOpenapi(bundle, { sourceName: 'docs/reference/persona-openapi.yaml' })
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const argumentsList = process.argv.slice(2)
  const check = argumentsList.includes('--check')
  const bundlePath = argumentsList.find((argument) => !argument.startsWith('--')) ?? defaultBundlePath
  const trimmed = trimPersonaOpenapiFile(bundlePath)
  if (check) {
    const committed = JSON.parse(readFileSync(trimmedDocumentPath, 'utf8'))
    if (!isDeepStrictEqual(committed, trimmed)) {
      console.error(`${relative(process.cwd(), trimmedDocumentPath)} is out of date; rerun without --check`)
      process.exit(1)
    }
    console.log('persona-schemas.json is up to date')
  } else {
    writeFileSync(trimmedDocumentPath, `${JSON.stringify(trimmed)}\n`)
    const biome = resolve(scriptDirectory, '../../../../node_modules/.bin/biome')
    if (existsSync(biome))
      execFileSync(biome, ['format', '--write', trimmedDocumentPath], { stdio: 'ignore' })
    console.log(`wrote ${relative(process.cwd(), trimmedDocumentPath)}`)
  }
}
