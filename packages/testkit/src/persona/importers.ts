import { Readable } from 'node:stream'
import { parse } from 'csv-parse'
import type { Context } from 'hono'
import type { PersonaApp, PersonaEnv, PersonaRouteContext } from './context.js'
import { toKebabCase } from './inflection.js'
import { badRequest, readDocument, recordNotFound, sendList, sendResource } from './json-api.js'
import {
  acceptValue,
  ledgerOf,
  listSettingsOf,
  type PersonaListKindDefinition,
  parseListValue,
  personaListKinds,
  resolveTargetList,
} from './lists.js'
import { formatTimestamp, type StoredResource } from './state.js'

/**
 * Persona's CSV list-item importers (`POST /importer/list-item/<kind>`, `GET /importers[/{id}]`).
 *
 * An importer answers `201` with status `pending` and zero counts, as Persona does; it reads `ready`
 * (or `errored` for a file whose header is wrong or that is not CSV) once the simulator clock reaches
 * its completion time, which is creation plus `importerProcessingDelayMs` (see `configurePersonaLists`).
 * The file itself is parsed as a stream when it arrives and only its values are kept, in the target
 * list's ledger: a 100,000-row file sent in many chunks costs one key per row, not a copy of each chunk.
 *
 * @see /work/shared/reference/persona-api.md §5 (importers)
 */

/** CSV columns per importable kind (snake_case as Persona documents them); the rest are optional. */
const csvColumns: Partial<Record<string, { required: readonly string[]; optional: readonly string[] }>> = {
  'email-address': { required: ['value'], optional: ['match_type'] },
  'phone-number': { required: ['value'], optional: [] },
  name: { required: ['name_first', 'name_last'], optional: [] },
  'government-id-number': { required: ['id_number', 'id_class'], optional: [] },
  'ip-address': { required: ['value'], optional: [] },
  geolocation: { required: ['latitude', 'longitude', 'radius_meters'], optional: [] },
}

/** Counts of one processed file. */
type ImportOutcome = {
  status: 'ready' | 'errored'
  successful: number
  errors: number
  duplicates: number
}

function normalizeHeader(column: string): string {
  return column
    .trim()
    .toLowerCase()
    .replace(/[\s-]+/g, '_')
}

/**
 * Reads the CSV row by row and applies each row to the list's ledger. A header that lacks a required
 * column or names an unknown one makes the whole file `errored` (each data row counted as an error);
 * a row with a different number of cells than the header, or an invalid value, is one error.
 */
async function processFile(
  context: PersonaRouteContext,
  list: StoredResource,
  definition: PersonaListKindDefinition,
  file: Uint8Array,
): Promise<ImportOutcome> {
  const columns = csvColumns[definition.kind] ?? { required: [], optional: [] }
  const ledger = ledgerOf(context, list.id)
  ledger.importerCount += 1
  const outcome: ImportOutcome = { status: 'ready', successful: 0, errors: 0, duplicates: 0 }
  const parser = Readable.from([file]).pipe(
    parse({ bom: true, relax_column_count: true, skip_empty_lines: true, trim: true }),
  )
  let header: string[] | undefined
  let headerValid = false
  try {
    for await (const record of parser as AsyncIterable<string[]>) {
      if (header === undefined) {
        header = record.map(normalizeHeader)
        const known = new Set([...columns.required, ...columns.optional])
        headerValid =
          columns.required.every((column) => header?.includes(column)) &&
          header.every((column) => known.has(column)) &&
          new Set(header).size === header.length
        if (!headerValid) outcome.status = 'errored'
        continue
      }
      ledger.rowsReceived += 1
      if (!headerValid || record.length !== header.length) {
        outcome.errors += 1
        continue
      }
      const attributes: Record<string, unknown> = {}
      header.forEach((column, index) => {
        attributes[toKebabCase(column)] = record[index]
      })
      const parsed = parseListValue(definition.kind, attributes)
      if (!parsed.ok) {
        outcome.errors += 1
      } else if (ledger.present.has(parsed.key)) {
        outcome.duplicates += 1
      } else {
        acceptValue(ledger, parsed)
        outcome.successful += 1
      }
    }
  } catch {
    // Not CSV (an unterminated quote, binary data): Persona reports the importer as errored.
    outcome.status = 'errored'
  }
  if (header === undefined) outcome.status = 'errored'
  ledger.acceptedRows += outcome.successful
  ledger.duplicateRows += outcome.duplicates
  ledger.errorRows += outcome.errors
  return outcome
}

/** The uploaded file and target list, from a JSON (base64) or multipart body. */
type ImporterUpload = { listId: unknown; file: Uint8Array }

function normalizeFormKey(key: string): string {
  return key.replace(/\[([^\]]*)\]/g, (_match, inner: string) => `[${toKebabCase(inner)}]`)
}

async function readUpload(c: Context<PersonaEnv>): Promise<ImporterUpload> {
  const contentType = c.req.header('Content-Type') ?? ''
  if (contentType.toLowerCase().startsWith('multipart/form-data')) {
    let form: FormData
    try {
      // Re-parse from the raw bytes: middleware may already have read the body as text.
      form = await new Response(await c.req.arrayBuffer(), {
        headers: { 'Content-Type': contentType },
      }).formData()
    } catch {
      throw badRequest('Request body is not valid multipart/form-data')
    }
    let listId: unknown
    let file: Uint8Array | undefined
    for (const [key, value] of form.entries()) {
      const normalized = normalizeFormKey(key)
      if (normalized === 'data[attributes][list-id]') listId = value
      if (normalized === 'data[attributes][file]') {
        file =
          typeof value === 'string'
            ? new TextEncoder().encode(value)
            : new Uint8Array(await value.arrayBuffer())
      }
    }
    if (file === undefined) throw badRequest('data.attributes.file is missing')
    return { listId, file }
  }
  const document = await readDocument(c)
  const attributes = document.data?.attributes ?? {}
  const declared = attributes.file
  const base64 =
    typeof declared === 'string'
      ? declared
      : declared !== null && typeof declared === 'object'
        ? (declared as Record<string, unknown>).data
        : undefined
  if (typeof base64 !== 'string' || base64.trim() === '') throw badRequest('data.attributes.file is missing')
  if (!/^[A-Za-z0-9+/=_\s-]*$/.test(base64)) throw badRequest('data.attributes.file.data must be base64')
  return { listId: attributes['list-id'], file: new Uint8Array(Buffer.from(base64, 'base64')) }
}

/** Shows the outcome once the simulator clock reaches the importer's completion time. */
function settleImporter(context: PersonaRouteContext, importer: StoredResource): void {
  if (importer.attributes.status !== 'pending') return
  const readyAtMs = importer.internal.readyAtMs as number
  if (context.now() < readyAtMs) return
  const outcome = importer.internal.outcome as ImportOutcome
  importer.attributes.status = outcome.status
  importer.attributes['completed-at'] = formatTimestamp(readyAtMs)
  importer.attributes['successful-count'] = outcome.successful
  importer.attributes['error-count'] = outcome.errors
  importer.attributes['duplicate-count'] = outcome.duplicates
}

function presentImporter(importer: StoredResource) {
  // The importer schemas allow no `relationships` member.
  return { type: importer.type, id: importer.id, attributes: structuredClone(importer.attributes) }
}

/**
 * Registers the CSV importer routes on the `/api/v1` app.
 *
 * @example
 * registerImporterRoutes(app, context)
 */
export function registerImporterRoutes(app: PersonaApp, context: PersonaRouteContext): void {
  context.registerPresenter('importer', { present: presentImporter })
  const importers = context.state.collection('importer')

  for (const definition of personaListKinds) {
    if (!definition.importable) continue
    app.post(`/importer/list-item/${definition.plural}`, async (c) => {
      const upload = await readUpload(c)
      const list = resolveTargetList(context, upload.listId, definition.kind, 422)
      const now = context.now()
      const outcome = await processFile(context, list, definition, upload.file)
      const importer = importers.insert({
        type: `importer/list-item/${definition.kind}`,
        id: context.newId('mprt'),
        createdAtMs: now,
        attributes: {
          status: 'pending',
          'created-at': formatTimestamp(now),
          'completed-at': null,
          'successful-count': 0,
          'error-count': 0,
          'duplicate-count': 0,
        },
        internal: {
          listId: list.id,
          outcome,
          readyAtMs: now + listSettingsOf(context).importerProcessingDelayMs,
        },
      })
      return sendResource(c, context, importer, { status: 201 })
    })
  }

  app.get('/importers', (c) => {
    const all = importers.list()
    for (const importer of all) settleImporter(context, importer)
    return sendList(c, context, all)
  })

  app.get('/importers/:importerId', (c) => {
    const importer = importers.get(c.req.param('importerId'))
    if (importer === undefined) throw recordNotFound()
    settleImporter(context, importer)
    return sendResource(c, context, importer)
  })
}
