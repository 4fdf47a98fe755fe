import { isIP } from 'node:net'
import type { Context } from 'hono'
import type { PersonaApp, PersonaEnv, PersonaRouteContext } from './context.js'
import {
  badRequest,
  conflict,
  readDocument,
  readListFilter,
  readQuery,
  recordNotFound,
  sendList,
  sendResource,
  unprocessable,
} from './json-api.js'
import { formatTimestamp, type StoredResource } from './state.js'

/**
 * Persona lists and list items (`/list/<kind>`, `/lists`, `/list-item/<kind>`), plus the per-list value
 * ledger that list items and CSV importers share.
 *
 * A list's values are kept as a set of normalized keys, not as list-item resources: a bulk import of
 * 100,000 rows adds 100,000 keys, not 100,000 JSON:API objects. That ledger is also the simulator's back
 * door for tests ("the simulator received every row once"): {@link readPersonaListReceipt}.
 *
 * @see docs/reference/persona-api.md §5 (lists, list items, importers)
 */

/** Every list kind Persona documents, singular as in the `list/<kind>` and `list-item/<kind>` types. */
export type PersonaListKind =
  | 'browser-fingerprint'
  | 'country'
  | 'device-fingerprint'
  | 'email-address'
  | 'field'
  | 'geolocation'
  | 'government-id-number'
  | 'ip-address'
  | 'name'
  | 'phone-number'
  | 'string'

/** What the simulator knows about one list kind. */
export type PersonaListKindDefinition = {
  readonly kind: PersonaListKind
  /** URL segment of `/list/<plural>`, `/list-item/<plural>` and `/importer/list-item/<plural>`. */
  readonly plural: string
  /** Id prefix of its list items (`liea_`, `lipn_`, …). */
  readonly itemPrefix: string
  /** Whether `POST /list/<plural>` exists (device-fingerprint and field lists are made in the dashboard). */
  readonly creatableByApi: boolean
  /** The kind-specific item attributes, kebab-case, in the order a CSV row lists them. */
  readonly itemAttributes: readonly string[]
  /** Whether Persona documents a CSV importer for the kind. */
  readonly importable: boolean
}

/** The list kinds, in the order Persona's reference lists them. */
export const personaListKinds: readonly PersonaListKindDefinition[] = [
  {
    kind: 'browser-fingerprint',
    plural: 'browser-fingerprints',
    itemPrefix: 'libf',
    creatableByApi: true,
    itemAttributes: ['value'],
    importable: false,
  },
  {
    kind: 'country',
    plural: 'countries',
    itemPrefix: 'lic',
    creatableByApi: true,
    itemAttributes: ['country-code'],
    importable: false,
  },
  {
    kind: 'device-fingerprint',
    plural: 'device-fingerprints',
    itemPrefix: 'lidf',
    creatableByApi: false,
    itemAttributes: ['value'],
    importable: false,
  },
  {
    kind: 'email-address',
    plural: 'email-addresses',
    itemPrefix: 'liea',
    creatableByApi: true,
    itemAttributes: ['value', 'match-type'],
    importable: true,
  },
  {
    kind: 'field',
    plural: 'fields',
    itemPrefix: 'liif',
    creatableByApi: false,
    itemAttributes: ['field-value'],
    importable: false,
  },
  {
    kind: 'geolocation',
    plural: 'geolocations',
    itemPrefix: 'ligl',
    creatableByApi: true,
    itemAttributes: ['latitude', 'longitude', 'radius-meters'],
    importable: true,
  },
  {
    kind: 'government-id-number',
    plural: 'government-id-numbers',
    itemPrefix: 'ligin',
    creatableByApi: true,
    itemAttributes: ['id-number', 'id-class'],
    importable: true,
  },
  {
    kind: 'ip-address',
    plural: 'ip-addresses',
    itemPrefix: 'liip',
    creatableByApi: true,
    itemAttributes: ['value'],
    importable: true,
  },
  {
    kind: 'name',
    plural: 'names',
    itemPrefix: 'lin',
    creatableByApi: true,
    itemAttributes: ['name-first', 'name-last'],
    importable: true,
  },
  {
    kind: 'phone-number',
    plural: 'phone-numbers',
    itemPrefix: 'lipn',
    creatableByApi: true,
    itemAttributes: ['value'],
    importable: true,
  },
  {
    kind: 'string',
    plural: 'strings',
    itemPrefix: 'listr',
    creatableByApi: true,
    itemAttributes: ['value'],
    importable: false,
  },
]

const kindsByName = new Map(personaListKinds.map((definition) => [definition.kind, definition]))

/** The definition of a list kind. */
export function personaListKind(kind: PersonaListKind): PersonaListKindDefinition {
  return kindsByName.get(kind) as PersonaListKindDefinition
}

/** The kind of a stored list (`list/email-address` → `email-address`). */
export function kindOfList(list: StoredResource): PersonaListKind {
  return list.type.slice('list/'.length) as PersonaListKind
}

/** A value that passed the kind's checks: its stored attributes, dedupe key and readable form. */
export type ParsedListValue = {
  ok: true
  /** Kind-specific attributes as stored on a list item (kebab-case). */
  attributes: Record<string, string | number>
  /** Normalized identity on the list: two values with the same key are duplicates. */
  key: string
  /** The value as received (multi-column kinds: the columns joined with commas, in CSV order). */
  display: string
}

/** Why a value was refused, without repeating the value (it may be personal data). */
export type RejectedListValue = { ok: false; details: string; attribute: string }

function text(value: unknown): string {
  if (typeof value === 'string') return value.trim()
  if (typeof value === 'number' && Number.isFinite(value)) return String(value)
  return ''
}

function numberIn(value: unknown, minimum: number, maximum: number): number | undefined {
  const candidate = typeof value === 'number' ? value : Number(text(value))
  if (text(value) === '' || !Number.isFinite(candidate) || candidate < minimum || candidate > maximum) {
    return undefined
  }
  return candidate
}

const emailPattern = /^[^\s@,;<>()]+@[^\s@,;<>()]+\.[^\s@,;<>()]+$/
const domainPattern = /^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/i
const phonePattern = /^\+?\d{7,15}$/

function reject(attribute: string, details: string): RejectedListValue {
  return { ok: false, attribute, details }
}

function required(attributes: Record<string, unknown>, name: string): string | RejectedListValue {
  const value = text(attributes[name])
  return value === '' ? reject(name, `${name} is missing`) : value
}

/**
 * Checks and normalizes one value for a list kind. Shared by `POST /list-item/<kind>` (JSON attributes)
 * and the CSV importers (columns mapped to the same kebab-case names), so both paths agree on what is
 * valid and on what counts as a duplicate.
 */
export function parseListValue(
  kind: PersonaListKind,
  attributes: Record<string, unknown>,
): ParsedListValue | RejectedListValue {
  switch (kind) {
    case 'email-address': {
      const value = required(attributes, 'value')
      if (typeof value !== 'string') return value
      const matchType = text(attributes['match-type']) || 'email_address'
      if (matchType !== 'email_address' && matchType !== 'domain') {
        return reject('match-type', 'match-type must be email_address or domain')
      }
      const valid = matchType === 'domain' ? domainPattern.test(value) : emailPattern.test(value)
      if (!valid)
        return reject('value', `value is not a valid ${matchType === 'domain' ? 'domain' : 'email address'}`)
      return {
        ok: true,
        attributes: { value, 'match-type': matchType },
        key: `${matchType}:${value.toLowerCase()}`,
        display: value,
      }
    }
    case 'phone-number': {
      const value = required(attributes, 'value')
      if (typeof value !== 'string') return value
      const digits = value.replace(/[\s().-]/g, '')
      if (!phonePattern.test(digits)) return reject('value', 'value is not a valid phone number')
      return { ok: true, attributes: { value }, key: digits.replace(/^\+/, ''), display: value }
    }
    case 'name': {
      const first = required(attributes, 'name-first')
      if (typeof first !== 'string') return first
      const last = required(attributes, 'name-last')
      if (typeof last !== 'string') return last
      return {
        ok: true,
        attributes: { 'name-first': first, 'name-last': last },
        key: `${first.toLowerCase()}\u0000${last.toLowerCase()}`,
        display: `${first},${last}`,
      }
    }
    case 'government-id-number': {
      const idNumber = required(attributes, 'id-number')
      if (typeof idNumber !== 'string') return idNumber
      const idClass = required(attributes, 'id-class')
      if (typeof idClass !== 'string') return idClass
      return {
        ok: true,
        attributes: { 'id-number': idNumber, 'id-class': idClass },
        key: `${idClass.toLowerCase()}:${idNumber.replace(/\s/g, '').toUpperCase()}`,
        display: `${idNumber},${idClass}`,
      }
    }
    case 'ip-address': {
      const value = required(attributes, 'value')
      if (typeof value !== 'string') return value
      if (isIP(value) === 0) return reject('value', 'value is not a valid IP address')
      return { ok: true, attributes: { value }, key: value.toLowerCase(), display: value }
    }
    case 'country': {
      const code = required(attributes, 'country-code')
      if (typeof code !== 'string') return code
      if (!/^[A-Za-z]{2}$/.test(code))
        return reject('country-code', 'country-code must be an ISO 3166-1 alpha-2 code')
      return {
        ok: true,
        attributes: { 'country-code': code.toUpperCase() },
        key: code.toUpperCase(),
        display: code,
      }
    }
    case 'geolocation': {
      const latitude = numberIn(attributes.latitude, -90, 90)
      if (latitude === undefined) return reject('latitude', 'latitude must be a number between -90 and 90')
      const longitude = numberIn(attributes.longitude, -180, 180)
      if (longitude === undefined)
        return reject('longitude', 'longitude must be a number between -180 and 180')
      const radius = numberIn(attributes['radius-meters'], 0, Number.MAX_SAFE_INTEGER)
      if (radius === undefined) return reject('radius-meters', 'radius-meters must be a non-negative number')
      const radiusMeters = Math.round(radius)
      return {
        ok: true,
        attributes: { latitude, longitude, 'radius-meters': radiusMeters },
        key: `${latitude},${longitude},${radiusMeters}`,
        display: `${text(attributes.latitude)},${text(attributes.longitude)},${text(attributes['radius-meters'])}`,
      }
    }
    case 'field': {
      const value = required(attributes, 'field-value')
      if (typeof value !== 'string') return value
      return { ok: true, attributes: { 'field-value': value }, key: value, display: value }
    }
    case 'browser-fingerprint':
    case 'device-fingerprint':
    case 'string': {
      const value = required(attributes, 'value')
      if (typeof value !== 'string') return value
      return { ok: true, attributes: { value }, key: value, display: value }
    }
  }
}

/** Everything one list has received: the back door tests read. */
export type PersonaListReceipt = {
  readonly listId: string
  /** Every value the list accepted (items and imported rows), once each, in arrival order. */
  readonly values: readonly string[]
  /** CSV rows received by importers, whatever became of them. */
  readonly rowsReceived: number
  /** Imported rows added to the list. */
  readonly acceptedRows: number
  /** Imported rows whose value was already on the list (counted in the importer's `duplicate-count`). */
  readonly duplicateRows: number
  /** Imported rows refused (wrong columns, invalid values; the importer's `error-count`). */
  readonly errorRows: number
  /** Importer calls made for the list. */
  readonly importerCount: number
}

/** @internal The values and import counters of one list. */
export type ListLedger = {
  /** Keys of the values currently on the list (archived items removed). */
  present: Set<string>
  /** Display form of every value ever accepted, by key, in arrival order (never shrinks). */
  accepted: Map<string, string>
  rowsReceived: number
  acceptedRows: number
  duplicateRows: number
  errorRows: number
  importerCount: number
}

/** Timing knobs of lists and importers, per simulator. */
export type PersonaListSettings = {
  /** How long a new list item stays `pending` before it reads `active` (simulator clock). Default 0. */
  listItemActivationDelayMs: number
  /** How long an importer stays `pending` before it reads `ready`/`errored` (simulator clock). Default 0. */
  importerProcessingDelayMs: number
}

type ListRuntime = { ledgers: Map<string, ListLedger>; settings: PersonaListSettings }

const runtimes = new WeakMap<object, ListRuntime>()

function runtimeOf(context: PersonaRouteContext): ListRuntime {
  let runtime = runtimes.get(context.state)
  if (runtime === undefined) {
    runtime = {
      ledgers: new Map(),
      settings: { listItemActivationDelayMs: 0, importerProcessingDelayMs: 0 },
    }
    runtimes.set(context.state, runtime)
  }
  return runtime
}

/** @internal The ledger of a list, created on first use (importers share it). */
export function ledgerOf(context: PersonaRouteContext, listId: string): ListLedger {
  const { ledgers } = runtimeOf(context)
  let ledger = ledgers.get(listId)
  if (ledger === undefined) {
    ledger = {
      present: new Set(),
      accepted: new Map(),
      rowsReceived: 0,
      acceptedRows: 0,
      duplicateRows: 0,
      errorRows: 0,
      importerCount: 0,
    }
    ledgers.set(listId, ledger)
  }
  return ledger
}

/** @internal Puts a value on a list (the caller checked it is not present). */
export function acceptValue(ledger: ListLedger, value: ParsedListValue): void {
  ledger.present.add(value.key)
  if (!ledger.accepted.has(value.key)) ledger.accepted.set(value.key, value.display)
}

/**
 * Changes list timing for one simulator: e.g. a delay of 5 s keeps importers `pending` until the test
 * advances the clock, to exercise an adapter's polling.
 *
 * @example
 * configurePersonaLists(context, { importerProcessingDelayMs: 5_000 })
 * await simulator.advanceTime(5_000) // importers created before now read `ready`
 */
export function configurePersonaLists(
  context: PersonaRouteContext,
  settings: Partial<PersonaListSettings>,
): void {
  const runtime = runtimeOf(context)
  runtime.settings = { ...runtime.settings, ...settings }
}

/** @internal Current timing settings. */
export function listSettingsOf(context: PersonaRouteContext): PersonaListSettings {
  return runtimeOf(context).settings
}

/**
 * What a list has received, for tests: every accepted value once, and how many imported rows were
 * accepted, duplicates or errors. An adapter that uploads every row of a chunked file exactly once
 * leaves `values.length === rows` and `duplicateRows === 0`.
 *
 * @example
 * const receipt = readPersonaListReceipt(context, listId)
 * expect(receipt.values).toHaveLength(100_000)
 * expect(receipt.duplicateRows).toBe(0)
 */
export function readPersonaListReceipt(context: PersonaRouteContext, listId: string): PersonaListReceipt {
  if (context.state.collection('list').get(listId) === undefined) {
    throw new RangeError('readPersonaListReceipt: no such list')
  }
  const ledger = ledgerOf(context, listId)
  return {
    listId,
    values: [...ledger.accepted.values()],
    rowsReceived: ledger.rowsReceived,
    acceptedRows: ledger.acceptedRows,
    duplicateRows: ledger.duplicateRows,
    errorRows: ledger.errorRows,
    importerCount: ledger.importerCount,
  }
}

/**
 * Creates a list directly in the store, for kinds the API cannot create (`device-fingerprint`, `field`)
 * or to seed a scenario.
 *
 * @example
 * const list = createPersonaList(context, { kind: 'field', name: 'Blocked employers' })
 */
export function createPersonaList(
  context: PersonaRouteContext,
  options: { kind: PersonaListKind; name: string; allowFuzzyNameFirst?: boolean },
): StoredResource {
  const now = context.now()
  const timestamp = formatTimestamp(now)
  const attributes: Record<string, unknown> = {
    name: options.name,
    status: 'active',
    'archived-at': null,
    'created-at': timestamp,
    'updated-at': timestamp,
  }
  if (options.kind === 'name') attributes['allow-fuzzy-name-first'] = options.allowFuzzyNameFirst ?? false
  const list = context.state.collection('list').insert({
    type: `list/${options.kind}`,
    id: context.newId('lst'),
    createdAtMs: now,
    attributes,
  })
  ledgerOf(context, list.id)
  return list
}

/** Moves an item from `pending` to `active` once its activation time has come. */
function settleItem(context: PersonaRouteContext, item: StoredResource): void {
  const activeAtMs = item.internal.activeAtMs
  if (item.attributes.status === 'pending' && typeof activeAtMs === 'number' && context.now() >= activeAtMs) {
    item.attributes.status = 'active'
    item.attributes['updated-at'] = formatTimestamp(activeAtMs)
  }
}

/**
 * The list a request names in `data.attributes.list-id`, checked against the expected kind. An unknown
 * id is a 404 for list items; importers document no 404, so they pass `unknownListStatus: 422`.
 */
export function resolveTargetList(
  context: PersonaRouteContext,
  listId: unknown,
  kind: PersonaListKind,
  unknownListStatus: 404 | 422 = 404,
): StoredResource {
  if (typeof listId !== 'string' || listId.trim() === '') {
    throw badRequest('data.attributes.list-id is missing')
  }
  const list = context.state.collection('list').get(listId.trim())
  if (list === undefined) {
    throw unknownListStatus === 404
      ? recordNotFound()
      : unprocessable('list-id does not reference a list', '/data/attributes/list-id')
  }
  if (kindOfList(list) !== kind) {
    throw unprocessable(`list-id must reference a list/${kind} list`, '/data/attributes/list-id')
  }
  if (list.attributes.status === 'archived') {
    throw unprocessable('The list is archived', '/data/attributes/list-id')
  }
  return list
}

function presentList(list: StoredResource) {
  return {
    type: list.type,
    id: list.id,
    attributes: structuredClone(list.attributes),
    // Persona documents the relationship but its schema and examples only ever carry an empty array;
    // a list may hold hundreds of thousands of items.
    relationships: { 'list-items': { data: [] } },
  }
}

function presentItem(item: StoredResource) {
  return {
    type: item.type,
    id: item.id,
    attributes: structuredClone(item.attributes),
    relationships: { creator: { data: null } },
  }
}

function findItem(context: PersonaRouteContext, definition: PersonaListKindDefinition, id: string) {
  const item = context.state.collection('list-item').get(id)
  if (item === undefined || item.type !== `list-item/${definition.kind}`) throw recordNotFound()
  return item
}

async function createItem(
  c: Context<PersonaEnv>,
  context: PersonaRouteContext,
  definition: PersonaListKindDefinition,
) {
  const document = await readDocument(c)
  const attributes = document.data?.attributes ?? {}
  const list = resolveTargetList(context, attributes['list-id'], definition.kind)
  const parsed = parseListValue(definition.kind, attributes)
  if (!parsed.ok) throw unprocessable(parsed.details, `/data/attributes/${parsed.attribute}`)
  const ledger = ledgerOf(context, list.id)
  if (ledger.present.has(parsed.key)) throw conflict('Resource already exists as an active resource')
  acceptValue(ledger, parsed)
  const now = context.now()
  const timestamp = formatTimestamp(now)
  const item = context.state.collection('list-item').insert({
    type: `list-item/${definition.kind}`,
    id: context.newId(definition.itemPrefix),
    createdAtMs: now,
    attributes: {
      status: 'pending',
      'archived-at': null,
      'updated-at': timestamp,
      'created-at': timestamp,
      'redacted-at': null,
      'match-count': 0,
      ...parsed.attributes,
    },
    relationships: {},
    internal: {
      listId: list.id,
      key: parsed.key,
      activeAtMs: now + runtimeOf(context).settings.listItemActivationDelayMs,
    },
  })
  return sendResource(c, context, item, { status: 201 })
}

/**
 * Registers the list and list-item routes on the `/api/v1` app.
 *
 * @example
 * registerListRoutes(app, context)
 */
export function registerListRoutes(app: PersonaApp, context: PersonaRouteContext): void {
  context.registerPresenter('list', { present: presentList })
  context.registerPresenter('list-item', { present: presentItem })
  const lists = context.state.collection('list')

  for (const definition of personaListKinds) {
    if (definition.creatableByApi) {
      app.post(`/list/${definition.plural}`, async (c) => {
        const document = await readDocument(c)
        const attributes = document.data?.attributes ?? {}
        const name = attributes.name
        if (typeof name !== 'string' || name.trim() === '')
          throw badRequest('data.attributes.name is missing')
        const fuzzy = attributes['allow-fuzzy-name-first']
        if (fuzzy !== undefined && typeof fuzzy !== 'boolean') {
          throw badRequest('data.attributes.allow-fuzzy-name-first must be a boolean')
        }
        const list = createPersonaList(context, {
          kind: definition.kind,
          name: name.trim(),
          ...(fuzzy === undefined ? {} : { allowFuzzyNameFirst: fuzzy }),
        })
        return sendResource(c, context, list, { status: 201 })
      })
    }

    app.post(`/list-item/${definition.plural}`, (c) => createItem(c, context, definition))

    app.get(`/list-item/${definition.plural}/:itemId`, (c) => {
      const item = findItem(context, definition, c.req.param('itemId'))
      settleItem(context, item)
      return sendResource(c, context, item)
    })

    app.delete(`/list-item/${definition.plural}/:itemId`, (c) => {
      const item = findItem(context, definition, c.req.param('itemId'))
      settleItem(context, item)
      if (item.attributes.status !== 'archived') {
        const timestamp = formatTimestamp(context.now())
        item.attributes.status = 'archived'
        item.attributes['archived-at'] = timestamp
        item.attributes['updated-at'] = timestamp
        ledgerOf(context, String(item.internal.listId)).present.delete(String(item.internal.key))
      }
      return sendResource(c, context, item)
    })
  }

  app.get('/lists', (c) => {
    const statuses = readListFilter(readQuery(c), 'status')
    for (const status of statuses ?? []) {
      if (status !== 'active' && status !== 'archived') {
        throw badRequest('filter[status] must be active or archived')
      }
    }
    const selected =
      statuses === undefined
        ? lists.list()
        : lists.filter((list) => statuses.includes(String(list.attributes.status)))
    return sendList(c, context, selected)
  })

  app.get('/lists/:listId', (c) => {
    const list = lists.get(c.req.param('listId'))
    if (list === undefined) throw recordNotFound()
    return sendResource(c, context, list)
  })

  app.delete('/lists/:listId', (c) => {
    const list = lists.get(c.req.param('listId'))
    if (list === undefined) throw recordNotFound()
    if (list.attributes.status !== 'archived') {
      const timestamp = formatTimestamp(context.now())
      list.attributes.status = 'archived'
      list.attributes['archived-at'] = timestamp
      list.attributes['updated-at'] = timestamp
    }
    return sendResource(c, context, list)
  })
}
