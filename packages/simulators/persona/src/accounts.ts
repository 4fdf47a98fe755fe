import { type PersonaApp, type PersonaRouteContext, type PresentView, usesModernShape } from './context.js'
import { toKebabCase } from './inflection.js'
import {
  badRequest,
  conflict,
  type ResourceObject,
  readDocument,
  readListFilter,
  readQuery,
  recordNotFound,
  sendList,
  sendResource,
} from './json-api.js'
import { formatTimestamp, type ResourceCollection, type StoredResource } from './state.js'
import { applyTagAction } from './tags.js'

/**
 * Persona accounts: one per end user, keyed by the application's `reference-id` (unique: a duplicate
 * create is a 409). Account `fields` use snake_case hash keys and are never key-inflected.
 *
 * @see docs/reference/persona-api.md §6
 */

type TypedValue = { type: string; value: unknown }

const nameParts = ['first', 'middle', 'last'] as const
const addressParts = ['street_1', 'street_2', 'subdivision', 'city', 'postal_code', 'country_code'] as const

function emptyAccountFields(): Record<string, TypedValue> {
  return {
    name: {
      type: 'hash',
      value: Object.fromEntries(nameParts.map((part) => [part, { type: 'string', value: null }])),
    },
    address: {
      type: 'hash',
      value: Object.fromEntries(addressParts.map((part) => [part, { type: 'string', value: null }])),
    },
    identification_numbers: { type: 'array', value: [] },
    birthdate: { type: 'date', value: null },
    phone_number: { type: 'string', value: null },
    email_address: { type: 'string', value: null },
    selfie_photo: { type: 'file', value: null },
  }
}

function setHashPart(
  fields: Record<string, TypedValue>,
  hash: 'name' | 'address',
  part: string,
  value: unknown,
) {
  const container = fields[hash]!.value as Record<string, TypedValue>
  container[part] = { type: 'string', value: value ?? null }
}

/**
 * Writes caller-supplied values (flat `name-first`/`name_first`/`nameFirst` style keys, or `name`/`address`
 * hashes) into the account's snake_case `fields`.
 */
export function writeAccountFields(fields: Record<string, TypedValue>, input: Record<string, unknown>): void {
  for (const [rawKey, rawValue] of Object.entries(input)) {
    const key = toKebabCase(rawKey)
    const value =
      rawValue !== null && typeof rawValue === 'object' && !Array.isArray(rawValue) && 'value' in rawValue
        ? (rawValue as { value: unknown }).value
        : rawValue
    const namePart = /^name-(first|middle|last)$/.exec(key)
    const addressPart = /^address-(street-1|street-2|subdivision|city|postal-code|country-code)$/.exec(key)
    if (namePart !== null) setHashPart(fields, 'name', namePart[1]!, value)
    else if (addressPart !== null) setHashPart(fields, 'address', addressPart[1]!.replaceAll('-', '_'), value)
    else if ((key === 'name' || key === 'address') && value !== null && typeof value === 'object') {
      for (const [part, partValue] of Object.entries(value as Record<string, unknown>)) {
        const unwrapped =
          partValue !== null && typeof partValue === 'object' && 'value' in partValue
            ? (partValue as { value: unknown }).value
            : partValue
        setHashPart(fields, key, toKebabCase(part).replaceAll('-', '_'), unwrapped)
      }
    } else if (key === 'birthdate') fields.birthdate = { type: 'date', value: value ?? null }
    else {
      const snake = key.replaceAll('-', '_')
      const type = typeof value === 'number' ? 'number' : typeof value === 'boolean' ? 'boolean' : 'string'
      fields[snake] = { type: Array.isArray(value) ? 'array' : type, value: value ?? null }
    }
  }
}

const topLevelPersonalKeys = [
  'name-first',
  'name-middle',
  'name-last',
  'phone-number',
  'email-address',
  'address-street-1',
  'address-street-2',
  'address-city',
  'address-subdivision',
  'address-postal-code',
  'birthdate',
  'social-security-number',
]

function hashValue(fields: Record<string, TypedValue>, hash: 'name' | 'address', part: string): unknown {
  const container = fields[hash]?.value as Record<string, TypedValue> | undefined
  return container?.[part]?.value ?? null
}

function presentAccount(resource: StoredResource, view: PresentView): ResourceObject {
  const attributes = structuredClone(resource.attributes)
  const fields = attributes.fields as Record<string, TypedValue>
  if (!usesModernShape(view.apiVersion)) {
    // Before 2025-10-27 the PII also appears as top-level attributes.
    Object.assign(attributes, {
      'name-first': hashValue(fields, 'name', 'first'),
      'name-middle': hashValue(fields, 'name', 'middle'),
      'name-last': hashValue(fields, 'name', 'last'),
      'phone-number': fields.phone_number?.value ?? null,
      'email-address': fields.email_address?.value ?? null,
      'address-street-1': hashValue(fields, 'address', 'street_1'),
      'address-street-2': hashValue(fields, 'address', 'street_2'),
      'address-city': hashValue(fields, 'address', 'city'),
      'address-subdivision': hashValue(fields, 'address', 'subdivision'),
      'address-postal-code': hashValue(fields, 'address', 'postal_code'),
      birthdate: fields.birthdate?.value ?? null,
      'social-security-number': fields.social_security_number?.value ?? null,
    })
  }
  return {
    type: 'account',
    id: resource.id,
    attributes,
    relationships: { 'account-type': { data: resource.relationships['account-type'] ?? null } },
  }
}

/** Options of {@link createAccount}. */
export type CreateAccountOptions = {
  referenceId?: string | null
  accountTypeId?: string
  fields?: Record<string, unknown>
  tags?: string[]
  countryCode?: string | null
}

/**
 * Accounts by reference id, per account collection. Every inquiry create looks its account up by
 * reference id; a real vendor answers that from an index, where a scan of every account (copied and
 * sorted newest first) made each simulated create slower than the one before. Both writes of an
 * account's `reference-id` (create, update) add it here; an entry whose account has since changed
 * reference id or been redacted is skipped on lookup.
 */
const accountsByReference = new WeakMap<ResourceCollection, Map<string, Set<StoredResource>>>()

function referenceIndex(context: PersonaRouteContext): Map<string, Set<StoredResource>> {
  const accounts = context.state.collection('account')
  let index = accountsByReference.get(accounts)
  if (index === undefined) {
    index = new Map()
    accountsByReference.set(accounts, index)
  }
  return index
}

/** Records the account under its current reference id (none: nothing to record). */
function indexAccountReference(context: PersonaRouteContext, account: StoredResource): void {
  const referenceId = account.attributes['reference-id']
  if (typeof referenceId !== 'string') return
  const index = referenceIndex(context)
  const accounts = index.get(referenceId)
  if (accounts === undefined) index.set(referenceId, new Set([account]))
  else accounts.add(account)
}

/** Creates an account and emits `account.created`. The caller checks reference-id uniqueness. */
export function createAccount(
  context: PersonaRouteContext,
  options: CreateAccountOptions = {},
): StoredResource {
  const now = context.now()
  const fields = emptyAccountFields()
  if (options.fields !== undefined) writeAccountFields(fields, options.fields)
  const account = context.state.collection('account').insert({
    type: 'account',
    id: context.newId('act'),
    createdAtMs: now,
    attributes: {
      'reference-id': options.referenceId ?? null,
      'account-type-name': 'User',
      'created-at': formatTimestamp(now),
      'updated-at': formatTimestamp(now),
      'redacted-at': null,
      fields,
      'country-code': options.countryCode ?? null,
      tags: options.tags ?? [],
      'identification-numbers': {},
    },
    relationships: {
      'account-type': { type: 'account-type', id: options.accountTypeId ?? 'acttp_simulatorDefaultUser' },
    },
    internal: { relations: [] as AccountRelation[] },
  })
  indexAccountReference(context, account)
  context.emitEvent({ name: 'account.created', resource: account })
  return account
}

/** The active account with this reference id (the newest, if several), if any. */
export function findAccountByReference(
  context: PersonaRouteContext,
  referenceId: string,
): StoredResource | undefined {
  let newest: StoredResource | undefined
  for (const account of referenceIndex(context).get(referenceId) ?? []) {
    const active =
      account.attributes['reference-id'] === referenceId && account.attributes['redacted-at'] === null
    if (active && (newest === undefined || account.sequence > newest.sequence)) newest = account
  }
  return newest
}

/** A relation between two accounts (`GET /accounts/{id}/relations?filter[key]=…`). */
export type AccountRelation = { key: string; accountId: string; createdAtMs: number }

/** Relates two accounts under a relation key, both ways (the control API's `relateAccounts`). */
export function relateAccounts(
  context: PersonaRouteContext,
  accountId: string,
  key: string,
  otherId: string,
): void {
  const accounts = context.state.collection('account')
  const left = accounts.get(accountId)
  const right = accounts.get(otherId)
  if (left === undefined || right === undefined) throw new Error('relateAccounts: unknown account id')
  const now = context.now()
  ;(left.internal.relations as AccountRelation[]).push({ key, accountId: otherId, createdAtMs: now })
  ;(right.internal.relations as AccountRelation[]).push({ key, accountId, createdAtMs: now })
}

/** Nulls an account's personal data and emits `account.redacted`. */
export function redactAccount(context: PersonaRouteContext, account: StoredResource): void {
  const now = context.now()
  account.attributes.fields = emptyAccountFields()
  account.attributes['identification-numbers'] = {}
  account.attributes['redacted-at'] = formatTimestamp(now)
  account.attributes['updated-at'] = formatTimestamp(now)
  context.emitEvent({ name: 'account.redacted', resource: account })
}

function stringOrUndefined(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined
}

/** Registers the account endpoints: list, create, retrieve, update, redact, relations and tags. */
export function registerAccountRoutes(app: PersonaApp, context: PersonaRouteContext): void {
  const accounts = context.state.collection('account')
  context.registerPresenter('account', { present: presentAccount })

  const find = (id: string): StoredResource => {
    const account = accounts.get(id)
    if (account === undefined) throw recordNotFound()
    return account
  }

  app.get('/accounts', (c) => {
    const query = readQuery(c)
    const referenceIds = readListFilter(query, 'reference-id')
    const list = accounts.filter(
      (account) =>
        referenceIds === undefined || referenceIds.includes(String(account.attributes['reference-id'])),
    )
    return sendList(c, context, list)
  })

  app.post('/accounts', async (c) => {
    const document = await readDocument(c, { preserveFieldKeys: true })
    const attributes = document.data?.attributes ?? {}
    const referenceId = attributes['reference-id']
    if (referenceId !== undefined && referenceId !== null && typeof referenceId !== 'string') {
      throw badRequest('reference-id must be a string', '/data/attributes/reference-id')
    }
    if (typeof referenceId === 'string') {
      const existing = findAccountByReference(context, referenceId)
      if (existing !== undefined) {
        // The changelog hints that before 2025-10-27 a 409 carried the Account; the official 2023-01-05
        // schema documents an error body, which is what every version gets here.
        throw conflict('Resource already exists as an active resource')
      }
    }
    const flat: Record<string, unknown> = {}
    for (const key of topLevelPersonalKeys) if (key in attributes) flat[key] = attributes[key]
    const fieldsInput = attributes.fields
    const account = createAccount(context, {
      referenceId: typeof referenceId === 'string' ? referenceId : null,
      accountTypeId: stringOrUndefined(attributes['account-type-id']),
      fields: {
        ...flat,
        ...(fieldsInput !== null && typeof fieldsInput === 'object'
          ? (fieldsInput as Record<string, unknown>)
          : {}),
      },
      tags: Array.isArray(attributes.tags) ? attributes.tags.map(String) : [],
      countryCode: stringOrUndefined(attributes['country-code']) ?? null,
    })
    return sendResource(c, context, account, { status: 201 })
  })

  app.get('/accounts/:id', (c) => sendResource(c, context, find(c.req.param('id'))))

  app.patch('/accounts/:id', async (c) => {
    const account = find(c.req.param('id'))
    const document = await readDocument(c, { preserveFieldKeys: true })
    const attributes = document.data?.attributes ?? {}
    if (typeof attributes['reference-id'] === 'string') {
      const other = findAccountByReference(context, attributes['reference-id'])
      if (other !== undefined && other.id !== account.id)
        throw conflict('Resource already exists as an active resource')
      account.attributes['reference-id'] = attributes['reference-id']
      indexAccountReference(context, account)
    }
    const flat: Record<string, unknown> = {}
    for (const key of topLevelPersonalKeys) if (key in attributes) flat[key] = attributes[key]
    const fieldsInput = attributes.fields
    writeAccountFields(account.attributes.fields as Record<string, TypedValue>, {
      ...flat,
      ...(fieldsInput !== null && typeof fieldsInput === 'object'
        ? (fieldsInput as Record<string, unknown>)
        : {}),
    })
    if (Array.isArray(attributes.tags)) account.attributes.tags = attributes.tags.map(String)
    if (typeof attributes['country-code'] === 'string')
      account.attributes['country-code'] = attributes['country-code']
    account.attributes['updated-at'] = formatTimestamp(context.now())
    return sendResource(c, context, account)
  })

  app.delete('/accounts/:id', (c) => {
    const account = find(c.req.param('id'))
    if (account.attributes['redacted-at'] === null) redactAccount(context, account)
    return sendResource(c, context, account)
  })

  app.get('/accounts/:id/relations', (c) => {
    const account = find(c.req.param('id'))
    const query = readQuery(c)
    const key = query.get('filter[key]')
    if (key === undefined || key === '') throw badRequest('filter[key] is required', '/filter/key')
    const start = query.get('filter[created-at-start]')
    const end = query.get('filter[created-at-end]')
    const related = (account.internal.relations as AccountRelation[])
      .filter((relation) => relation.key === key)
      .filter((relation) => start === undefined || relation.createdAtMs >= Date.parse(start))
      .filter((relation) => end === undefined || relation.createdAtMs <= Date.parse(end))
      .sort((left, right) => right.createdAtMs - left.createdAtMs)
      .map((relation) => accounts.get(relation.accountId))
      .filter((found): found is StoredResource => found !== undefined)
    return sendList(c, context, related)
  })

  for (const action of ['add-tag', 'remove-tag', 'set-tags'] as const) {
    app.post(`/accounts/:id/${action}`, async (c) => {
      const account = find(c.req.param('id'))
      await applyTagAction(c, context, account, action)
      account.attributes['updated-at'] = formatTimestamp(context.now())
      return sendResource(c, context, account)
    })
  }
}
