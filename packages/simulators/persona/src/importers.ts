import { Readable } from 'node:stream'
import { parse } from 'csv-parse'
import type { Context } from 'hono'
import { createAccount, findAccountByReference } from './accounts.js'
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
 * Persona's CSV importers (`POST /importer/list-item/<kind>`, `POST /importer/accounts`,
 * `GET /importers[/{id}]`).
 *
 * An importer answers `201` with status `pending` and zero counts, as Persona does; it reads `ready`
 * (or `errored` for a file whose header is wrong or that is not CSV) once the simulator clock reaches
 * its completion time, which is creation plus `importerProcessingDelayMs` (see `configurePersonaLists`).
 * The file itself is parsed as a stream when it arrives and only its values are kept, in the target
 * list's ledger: a 100,000-row file sent in many chunks costs one key per row, not a copy of each chunk.
 * The accounts importer creates its accounts while the file is read (they exist before the importer
 * reads `ready`), through the accounts module, so each emits `account.created`.
 *
 * @see docs/reference/persona-api.md §5 (importers)
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

/** What became of one data row. */
type RowOutcome = 'successful' | 'error' | 'duplicate'

/**
 * Streams the CSV and hands each data row (cells keyed by the normalized header) to `onRow`. A header
 * that lacks a required column, names an unknown one or repeats one makes the whole file `errored`
 * (each data row counted as an error); a row with a different number of cells than the header is one
 * error; a file that is not CSV at all (an unterminated quote) is `errored`.
 */
async function readCsvRows(
  file: Uint8Array,
  columns: { required: readonly string[]; optional: readonly string[] },
  onRow: (row: Record<string, string>) => RowOutcome,
): Promise<ImportOutcome & { rows: number }> {
  const outcome = {
    status: 'ready' as ImportOutcome['status'],
    successful: 0,
    errors: 0,
    duplicates: 0,
    rows: 0,
  }
  const parser = Readable.from([file]).pipe(
    parse({ bom: true, relax_column_count: true, skip_empty_lines: true, trim: true }),
  )
  const known = new Set([...columns.required, ...columns.optional])
  let header: string[] | undefined
  let headerValid = false
  try {
    for await (const record of parser as AsyncIterable<string[]>) {
      if (header === undefined) {
        header = record.map(normalizeHeader)
        const names = header
        headerValid =
          columns.required.every((column) => names.includes(column)) &&
          names.every((column) => known.has(column)) &&
          new Set(names).size === names.length
        if (!headerValid) outcome.status = 'errored'
        continue
      }
      outcome.rows += 1
      if (!headerValid || record.length !== header.length) {
        outcome.errors += 1
        continue
      }
      const row: Record<string, string> = {}
      header.forEach((column, index) => {
        row[column] = record[index] ?? ''
      })
      const result = onRow(row)
      if (result === 'successful') outcome.successful += 1
      else if (result === 'duplicate') outcome.duplicates += 1
      else outcome.errors += 1
    }
  } catch {
    // Not CSV (an unterminated quote, binary data): Persona reports the importer as errored.
    outcome.status = 'errored'
  }
  if (header === undefined) outcome.status = 'errored'
  return outcome
}

/** Imports list values into the list's ledger (no list-item resources; see the module comment). */
async function importListItems(
  context: PersonaRouteContext,
  list: StoredResource,
  definition: PersonaListKindDefinition,
  file: Uint8Array,
): Promise<ImportOutcome> {
  const ledger = ledgerOf(context, list.id)
  ledger.importerCount += 1
  const outcome = await readCsvRows(
    file,
    csvColumns[definition.kind] ?? { required: [], optional: [] },
    (row) => {
      const attributes: Record<string, unknown> = {}
      for (const [column, value] of Object.entries(row)) attributes[toKebabCase(column)] = value
      const parsed = parseListValue(definition.kind, attributes)
      if (!parsed.ok) return 'error'
      if (ledger.present.has(parsed.key)) return 'duplicate'
      acceptValue(ledger, parsed)
      return 'successful'
    },
  )
  ledger.rowsReceived += outcome.rows
  ledger.acceptedRows += outcome.successful
  ledger.duplicateRows += outcome.duplicates
  ledger.errorRows += outcome.errors
  return outcome
}

/** Columns of `POST /importer/accounts`. */
const accountColumns = {
  required: [] as string[],
  optional: [
    'reference_id',
    'name_first',
    'name_middle',
    'name_last',
    'birthdate',
    'social_security_number',
    'tags',
  ],
}

/**
 * Creates one account per row through the accounts module (so each emits `account.created`). A
 * reference id that an active account already has is a duplicate; a birthdate that is not
 * `YYYY-MM-DD` is an error. Tags are separated by `;` or `|` inside their cell.
 */
async function importAccounts(context: PersonaRouteContext, file: Uint8Array): Promise<ImportOutcome> {
  const seen = new Set<string>()
  return readCsvRows(file, accountColumns, (row) => {
    const referenceId = row.reference_id?.trim() ?? ''
    const birthdate = row.birthdate?.trim() ?? ''
    if (birthdate !== '' && !/^\d{4}-\d{2}-\d{2}$/.test(birthdate)) return 'error'
    if (referenceId !== '' && (seen.has(referenceId) || findAccountByReference(context, referenceId))) {
      return 'duplicate'
    }
    if (referenceId !== '') seen.add(referenceId)
    const fields: Record<string, unknown> = {}
    for (const column of ['name_first', 'name_middle', 'name_last', 'social_security_number'] as const) {
      const value = row[column]?.trim()
      if (value) fields[column] = value
    }
    if (birthdate !== '') fields.birthdate = birthdate
    const tags = (row.tags ?? '')
      .split(/[;|]/)
      .map((tag) => tag.trim())
      .filter((tag) => tag !== '')
    createAccount(context, { referenceId: referenceId === '' ? null : referenceId, fields, tags })
    return 'successful'
  })
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

  const insertImporter = (type: string, outcome: ImportOutcome, createdAtMs: number, listId?: string) =>
    importers.insert({
      type,
      id: context.newId('mprt'),
      createdAtMs,
      attributes: {
        status: 'pending',
        'created-at': formatTimestamp(createdAtMs),
        'completed-at': null,
        'successful-count': 0,
        'error-count': 0,
        'duplicate-count': 0,
      },
      internal: {
        ...(listId === undefined ? {} : { listId }),
        outcome,
        readyAtMs: createdAtMs + listSettingsOf(context).importerProcessingDelayMs,
      },
    })

  for (const definition of personaListKinds) {
    if (!definition.importable) continue
    app.post(`/importer/list-item/${definition.plural}`, async (c) => {
      const upload = await readUpload(c)
      const list = resolveTargetList(context, upload.listId, definition.kind, 422)
      const now = context.now()
      const outcome = await importListItems(context, list, definition, upload.file)
      const importer = insertImporter(`importer/list-item/${definition.kind}`, outcome, now, list.id)
      return sendResource(c, context, importer, { status: 201 })
    })
  }

  app.post('/importer/accounts', async (c) => {
    const upload = await readUpload(c)
    const now = context.now()
    const outcome = await importAccounts(context, upload.file)
    return sendResource(c, context, insertImporter('importer/account', outcome, now), { status: 201 })
  })

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
