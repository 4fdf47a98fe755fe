import {
  createSafeObject,
  type ImportProgress,
  type ImportResult,
  KycInvalidRequestError,
  type KycList,
  type ListItemInput,
  type ListKind,
  safeKeySegments,
} from '@openkyc/core'
import type { HttpClient } from '@openkyc/core/http'
import { personaProvider } from './map-persona-inquiry.js'
import { type CsvSource, chunkCsvBytes } from './persona-csv.js'
import { personaId } from './persona-ids.js'
import { createImporterBodyWriter } from './persona-importer-body.js'
import {
  listKindOfPersonaType,
  type PersonaListKindSpec,
  personaListKinds,
  toKebabCase,
} from './persona-list-kinds.js'
import {
  type PersonaImporter,
  PersonaImporterSchema,
  type PersonaList,
  PersonaListItemSchema,
  PersonaListSchema,
  singleDocument,
} from './persona-schemas.js'

/**
 * A Persona list: the common {@link KycList} plus Persona's own type. `kind` is `undefined` for list
 * types this adapter does not model (`list/string`, `list/device-fingerprint`); `type` still says.
 */
export type PersonaListRecord = Omit<KycList, 'kind'> & {
  kind: ListKind | undefined
  /** Persona's list type, such as `list/email-address`. */
  type: string
  createdAt?: string
}

/** A list item as Persona stored it (`pending` until Persona has indexed it). */
export type PersonaListItemRecord = { id: string; type: string; status?: string }

/** One importer run (one chunk of an import). */
export type PersonaImporterRecord = {
  id: string
  type: string
  status: ImportResult['status']
  successfulCount: number
  errorCount: number
  duplicateCount: number
}

/** Options for {@link PersonaLists.importCsv}. */
export type ImportPersonaCsvOptions = {
  listId: string
  /** CSV with a header row; streamed, never held whole in memory. */
  csv: CsvSource
  /** Skips the lookup of the list's kind when given. */
  kind?: ListKind
  /** Data rows per importer request. Default 10 000. */
  maxRowsPerChunk?: number
  /** UTF-8 bytes per importer request, before base64. Default 1 MiB. */
  maxBytesPerChunk?: number
  /** Called after each chunk is accepted by Persona. */
  onProgress?: (progress: ImportProgress) => void
  /** Wait until Persona has processed every chunk. Default `true`. */
  waitForCompletion?: boolean
  /** Between polls of a pending importer. Default 1 000 ms. */
  pollIntervalMs?: number
  /** Give up waiting (and report `pending`) after this long. Default 5 minutes. */
  maxWaitMs?: number
  signal?: AbortSignal
}

/** What {@link PersonaLists.importCsv} returns: the totals, and every importer run. */
export type PersonaImportResult = ImportResult & {
  importers: PersonaImporterRecord[]
  rowsSent: number
  bytesSent: number
}

/** Persona's list, list-item and importer endpoints, as typed methods. */
export type PersonaLists = {
  /** `POST /list/{kind}`. @see https://docs.withpersona.com/reference/lists */
  create(options: { kind: ListKind; name: string; signal?: AbortSignal }): Promise<PersonaListRecord>
  /** `GET /lists/{id}`. */
  get(options: { listId: string; signal?: AbortSignal }): Promise<PersonaListRecord>
  /** `DELETE /lists/{id}`: archives the list (Persona keeps it, inactive). */
  archive(options: { listId: string; signal?: AbortSignal }): Promise<PersonaListRecord>
  /**
   * `POST /list-item/{kind}` once per item, in order. Item keys may be camelCase, snake_case or
   * kebab-case (`nameFirst`, `name_first`, `name-first`); `value` stands for the kind's one
   * attribute where it has another name (`country-code`, `id-number`, `field-value`).
   */
  addItems(options: {
    listId: string
    items: readonly ListItemInput[]
    kind?: ListKind
    signal?: AbortSignal
  }): Promise<PersonaListItemRecord[]>
  /** `DELETE /list-item/{kind}/{id}`: archives one item. */
  archiveItem(options: {
    kind: ListKind
    listItemId: string
    signal?: AbortSignal
  }): Promise<PersonaListItemRecord>
  /**
   * Bulk import through `POST /importer/list-item/{kind}`. A large file is split at row boundaries
   * into chunks (each with the header row), read as fast as they are sent, so memory stays bounded
   * whatever the size. Each chunk is one importer request (the CSV base64-encoded, as Persona's
   * JSON form asks) with its own idempotency key. Pending importers are then polled together, a few at a time.
   *
   * @example
   * ```ts
   * const result = await persona.lists.importCsv({
   *   listId: 'lst_…',
   *   csv: Readable.toWeb(createReadStream('blocked-emails.csv')),
   *   onProgress: ({ rowsSent }) => console.log(`${rowsSent} rows sent`),
   * })
   * ```
   */
  importCsv(options: ImportPersonaCsvOptions): Promise<PersonaImportResult>
  /** `GET /importers/{id}`. */
  getImporter(options: { importerId: string; signal?: AbortSignal }): Promise<PersonaImporterRecord>
}

const ListDocumentSchema = singleDocument(PersonaListSchema)
const ListItemDocumentSchema = singleDocument(PersonaListItemSchema)
const ImporterDocumentSchema = singleDocument(PersonaImporterSchema)

function invalid(message: string, issues: { path: (string | number)[]; message: string }[] = []) {
  return new KycInvalidRequestError({ provider: personaProvider, message, issues })
}

function requireText(value: unknown, name: string): string {
  if (typeof value !== 'string' || value.trim() === '')
    throw invalid(`persona lists: "${name}" must be a non-empty string.`)
  return value.trim()
}

function specFor(kind: ListKind): PersonaListKindSpec {
  const spec = personaListKinds[kind]
  if (spec === undefined)
    throw invalid(`Persona has no ${kind} lists.`, [{ path: ['kind'], message: 'unsupported' }])
  return spec
}

/** A Persona list onto {@link PersonaListRecord}. */
export function mapPersonaList(resource: PersonaList): PersonaListRecord {
  const attributes = resource.attributes ?? {}
  return {
    id: resource.id,
    kind: listKindOfPersonaType(resource.type),
    type: resource.type,
    name: attributes.name ?? '',
    archived: attributes.status === 'archived' || Boolean(attributes['archived-at']),
    ...(attributes['created-at'] ? { createdAt: attributes['created-at'] } : {}),
  }
}

/** An importer's status onto ours; anything unknown is still `pending`. */
function importerStatus(status: string | null | undefined): ImportResult['status'] {
  return status === 'ready' || status === 'errored' ? status : 'pending'
}

/** A Persona importer onto {@link PersonaImporterRecord}. */
export function mapPersonaImporter(resource: PersonaImporter): PersonaImporterRecord {
  const attributes = resource.attributes ?? {}
  return {
    id: resource.id,
    type: resource.type,
    status: importerStatus(attributes.status),
    successfulCount: attributes['successful-count'] ?? 0,
    errorCount: attributes['error-count'] ?? 0,
    duplicateCount: attributes['duplicate-count'] ?? 0,
  }
}

/**
 * Item field names come from the caller (often a spreadsheet): a plain identifier, never
 * `__proto__`, `constructor` or `prototype`, and never echoed in errors.
 */
function checkItemFieldName(key: string, position: number, index: number): void {
  safeKeySegments(key, position, {
    provider: personaProvider,
    what: 'list item',
    path: ['items', index],
    pattern: /^[A-Za-z][A-Za-z0-9_-]{0,63}$/,
  })
}

/** One item's attributes in Persona's spelling, checked against the kind's attribute list. */
export function personaListItemAttributes(
  spec: PersonaListKindSpec,
  item: ListItemInput,
  index: number,
): Record<string, string | number> {
  const attributes = createSafeObject<string | number>()
  for (const [position, [key, value]] of Object.entries(item).entries()) {
    checkItemFieldName(key, position, index)
    let name = toKebabCase(key)
    if (name === 'value' && spec.valueAlias !== undefined) name = spec.valueAlias
    if (!spec.itemAttributes.includes(name)) {
      throw invalid(
        `A ${spec.type} item has an unknown attribute (field number ${position + 1}); expected ${spec.itemAttributes.join(', ')}.`,
        [{ path: ['items', index, position], message: 'unknown attribute' }],
      )
    }
    if (spec.numericItemAttributes.includes(name)) {
      const number = Number(value)
      if (typeof value !== 'string' && typeof value !== 'number') {
        throw invalid(`"${key}" must be a number.`, [
          { path: ['items', index, key], message: 'expected a number' },
        ])
      }
      if (String(value).trim() === '' || !Number.isFinite(number)) {
        throw invalid(`"${key}" must be a number.`, [
          { path: ['items', index, key], message: 'expected a number' },
        ])
      }
      attributes[name] = number
    } else {
      attributes[name] = requireText(value, key)
    }
  }
  for (const required of spec.requiredItemAttributes) {
    if (!(required in attributes)) {
      throw invalid(`A ${spec.type} item needs "${required}".`, [
        { path: ['items', index, required], message: 'Required' },
      ])
    }
  }
  if (Object.keys(attributes).length === 0) {
    throw invalid(`A ${spec.type} item is empty.`, [{ path: ['items', index], message: 'empty item' }])
  }
  return attributes
}

/** Importer polls in flight at once: a few, so a large import's wait stays well inside the rate limit. */
const importerPollConcurrency = 8

const abortableSleep = (milliseconds: number, signal?: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason)
    const timer = setTimeout(resolve, milliseconds)
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(timer)
        reject(signal.reason)
      },
      { once: true },
    )
  })

/** Builds {@link PersonaLists} over the adapter's HTTP client. */
export function createPersonaLists(
  http: HttpClient,
  clock: { now: () => number; sleep?: (milliseconds: number, signal?: AbortSignal) => Promise<void> },
): PersonaLists {
  const sleep = clock.sleep ?? abortableSleep
  const withSignal = (signal: AbortSignal | undefined) => (signal ? { signal } : {})

  const getList = async (listId: string, signal: AbortSignal | undefined) => {
    const document = await http.request({
      path: 'lists/{listId}',
      pathParams: { listId: personaId(listId, 'listId') },
      schema: ListDocumentSchema,
      ...withSignal(signal),
    })
    return mapPersonaList(document.data)
  }

  const kindOf = async (listId: string, kind: ListKind | undefined, signal: AbortSignal | undefined) => {
    if (kind !== undefined) return kind
    const list = await getList(listId, signal)
    if (list.kind === undefined)
      throw invalid(`Persona lists of type ${list.type} are not supported by this adapter.`)
    return list.kind
  }

  const getImporter = async (importerId: string, signal: AbortSignal | undefined) => {
    const document = await http.request({
      path: 'importers/{importerId}',
      pathParams: { importerId: personaId(importerId, 'importerId') },
      schema: ImporterDocumentSchema,
      ...withSignal(signal),
    })
    return mapPersonaImporter(document.data)
  }

  return {
    async create(options) {
      const spec = specFor(options.kind)
      if (!spec.creatable)
        throw invalid(`Persona's API cannot create ${options.kind} lists; create them in the dashboard.`)
      const document = await http.request({
        method: 'POST',
        path: `list/${spec.segment}`,
        json: { data: { attributes: { name: requireText(options.name, 'name') } } },
        schema: ListDocumentSchema,
        ...withSignal(options.signal),
      })
      return mapPersonaList(document.data)
    },

    get: (options) => getList(options.listId, options.signal),

    async archive(options) {
      const document = await http.request({
        method: 'DELETE',
        path: 'lists/{listId}',
        pathParams: { listId: personaId(options.listId, 'listId') },
        schema: ListDocumentSchema,
        ...withSignal(options.signal),
      })
      return mapPersonaList(document.data)
    },

    async addItems(options) {
      const listId = personaId(options.listId, 'listId')
      if (options.items.length === 0) return []
      // Field names are checked before the list's kind is looked up: a hostile name costs no request.
      for (const [index, item] of options.items.entries()) {
        for (const [position, key] of Object.keys(item).entries()) checkItemFieldName(key, position, index)
      }
      const spec = specFor(await kindOf(listId, options.kind, options.signal))
      // Validate every item before sending any, so a bad row never leaves half a batch behind.
      const bodies = options.items.map((item, index) => personaListItemAttributes(spec, item, index))
      const created: PersonaListItemRecord[] = []
      for (const attributes of bodies) {
        const document = await http.request({
          method: 'POST',
          path: `list-item/${spec.segment}`,
          json: { data: { attributes: { 'list-id': listId, ...attributes } } },
          schema: ListItemDocumentSchema,
          ...withSignal(options.signal),
        })
        const status = document.data.attributes?.status
        created.push({ id: document.data.id, type: document.data.type, ...(status ? { status } : {}) })
      }
      return created
    },

    async archiveItem(options) {
      const spec = specFor(options.kind)
      const document = await http.request({
        method: 'DELETE',
        path: `list-item/${spec.segment}/{listItemId}`,
        pathParams: { listItemId: personaId(options.listItemId, 'listItemId') },
        schema: ListItemDocumentSchema,
        ...withSignal(options.signal),
      })
      const status = document.data.attributes?.status
      return { id: document.data.id, type: document.data.type, ...(status ? { status } : {}) }
    },

    async importCsv(options) {
      const listId = personaId(options.listId, 'listId')
      const kind = await kindOf(listId, options.kind, options.signal)
      const spec = specFor(kind)
      const columns = spec.importColumns
      if (columns === undefined) {
        throw invalid(`Persona has no CSV importer for ${kind} lists; use addItems instead.`)
      }
      const checkHeader = (header: readonly string[]) => {
        // A file without its header row has personal data here (e-mail, names, ID numbers): unknown
        // columns are reported by position and count only, never by their text.
        const unknown = header.flatMap((column, position) => (columns.includes(column) ? [] : [position]))
        const missing = (spec.requiredImportColumns ?? []).filter((column) => !header.includes(column))
        if (unknown.length > 0 || missing.length > 0) {
          throw invalid(
            `The CSV header does not fit a ${spec.type} import: ${unknown.length} of ${header.length} columns are not allowed${missing.length > 0 ? `, ${missing.length} required missing` : ''} (allowed columns: ${columns.join(', ')}; is the header row missing?).`,
            [
              ...unknown.map((position) => ({
                path: ['csv', 'header', position],
                message: 'unknown column',
              })),
              ...missing.map((column) => ({ path: ['csv', 'header', column], message: 'missing column' })),
            ],
          )
        }
      }

      const importers: PersonaImporterRecord[] = []
      let rowsSent = 0
      let bytesSent = 0
      const writeBody = createImporterBodyWriter(listId)
      const chunks = chunkCsvBytes(options.csv, {
        maxRows: options.maxRowsPerChunk ?? 10_000,
        maxBytes: options.maxBytesPerChunk ?? 1024 * 1024,
        checkHeader,
      })
      for await (const chunk of chunks) {
        options.signal?.throwIfAborted()
        // Base64 inside JSON. Persona also documents multipart for importers, but through
        // FormData and Blob it measured ~15 MB more peak RSS in the bulk-import bench (native Blob
        // memory and undici's multipart encoding, freed only at GC), so the JSON form stays, written
        // as bytes into one reused buffer (no chunk-sized strings on the heap).
        const document = await http.request({
          method: 'POST',
          path: `importer/list-item/${spec.segment}`,
          headers: { 'content-type': 'application/json' },
          body: writeBody(chunk.data, `openkyc-import-${importers.length + 1}.csv`),
          schema: ImporterDocumentSchema,
          ...withSignal(options.signal),
        })
        importers.push(mapPersonaImporter(document.data))
        rowsSent += chunk.rows
        bytesSent += chunk.bytes
        options.onProgress?.({ rowsSent, bytesSent })
      }
      if (importers.length === 0)
        throw invalid('The CSV has no data rows.', [{ path: ['csv'], message: 'no rows' }])

      if (options.waitForCompletion ?? true) {
        const deadline = clock.now() + (options.maxWaitMs ?? 5 * 60_000)
        const interval = options.pollIntervalMs ?? 1_000
        // Every pending importer is polled in each round, a few at a time, so waiting takes about
        // as long as the slowest importer rather than the sum of all of them.
        let pending = importers.flatMap((importer, index) => (importer.status === 'pending' ? [index] : []))
        while (pending.length > 0 && clock.now() < deadline) {
          await sleep(interval, options.signal)
          for (let start = 0; start < pending.length; start += importerPollConcurrency) {
            await Promise.all(
              pending.slice(start, start + importerPollConcurrency).map(async (index) => {
                importers[index] = await getImporter(
                  (importers[index] as PersonaImporterRecord).id,
                  options.signal,
                )
              }),
            )
          }
          pending = pending.filter((index) => importers[index]?.status === 'pending')
        }
      }

      const statuses = new Set(importers.map((importer) => importer.status))
      return {
        id: (importers[0] as PersonaImporterRecord).id,
        status: statuses.has('errored') ? 'errored' : statuses.has('pending') ? 'pending' : 'ready',
        successfulCount: importers.reduce((sum, importer) => sum + importer.successfulCount, 0),
        errorCount: importers.reduce((sum, importer) => sum + importer.errorCount, 0),
        duplicateCount: importers.reduce((sum, importer) => sum + importer.duplicateCount, 0),
        importers,
        rowsSent,
        bytesSent,
      }
    },

    getImporter: (options) => getImporter(options.importerId, options.signal),
  }
}
