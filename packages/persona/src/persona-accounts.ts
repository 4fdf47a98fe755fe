import { describeIssues, KycInvalidRequestError, lazySchema } from '@openkyc/core'
import type { HttpClient } from '@openkyc/core/http'
import { z } from '@openkyc/core/zod'
import { mapPersonaCountry } from './map-persona-identity.js'
import { personaProvider } from './map-persona-inquiry.js'
import { personaFields, personaId } from './persona-ids.js'
import { listDocument, type PersonaAccount, PersonaAccountSchema, singleDocument } from './persona-schemas.js'

/**
 * A Persona account as the adapter returns it: ids, reference id, tags and timestamps. The
 * account's personal data (names, birthdate, addresses in `fields`) is never read.
 */
export type PersonaAccountRecord = {
  id: string
  /** The application's id for the person, unique per Persona organization. */
  referenceId?: string
  accountTypeName?: string
  tags: string[]
  createdAt?: string
  updatedAt?: string
  redactedAt?: string
}

/** Options for {@link PersonaAccounts.create}. */
export type CreatePersonaAccountOptions = {
  /** Your id for the person. Persona answers 409 (`KycInvalidStateError`) when it is taken. */
  referenceId: string
  tags?: readonly string[]
  /** ISO 3166-1 alpha-2. */
  countryCode?: string
  /** Fields of the account type. May hold personal data: sent, never logged. */
  fields?: Readonly<Record<string, unknown>>
  signal?: AbortSignal
}

/** Persona's account endpoints, as typed methods. */
export type PersonaAccounts = {
  /** `POST /accounts`. @see https://docs.withpersona.com/reference/create-an-account */
  create(options: CreatePersonaAccountOptions): Promise<PersonaAccountRecord>
  /** `GET /accounts/{id}`. */
  get(options: { accountId: string; signal?: AbortSignal }): Promise<PersonaAccountRecord>
  /** `GET /accounts?filter[reference-id]=…`: the account with your reference id, if any. */
  findByReferenceId(options: {
    referenceId: string
    signal?: AbortSignal
  }): Promise<PersonaAccountRecord | undefined>
  /**
   * `GET /accounts/{id}/relations?filter[key]=…`: accounts related to this one under a relation
   * key of your account type (for example a shared device or a household), every page.
   * @see https://docs.withpersona.com/reference/list-account-relations
   */
  relations(options: {
    accountId: string
    key: string
    createdAtStart?: string
    createdAtEnd?: string
    signal?: AbortSignal
  }): Promise<PersonaAccountRecord[]>
  /** `DELETE /accounts/{id}`: redacts the account's personal data (related objects follow asynchronously). */
  redact(options: { accountId: string; signal?: AbortSignal }): Promise<void>
}

const AccountDocumentSchema = singleDocument(PersonaAccountSchema)
const AccountListSchema = listDocument(PersonaAccountSchema)

const CreateAccountOptionsSchema = lazySchema(() =>
  z.object({
    referenceId: z.string().trim().min(1),
    tags: z.array(z.string().trim().min(1)).optional(),
    countryCode: z
      .string()
      .optional()
      .refine((value) => value === undefined || mapPersonaCountry(value) === value.toUpperCase(), {
        message: 'expected an ISO 3166-1 alpha-2 country code',
      }),
    fields: z.record(z.string(), z.unknown()).optional(),
  }),
)

/** A Persona account onto {@link PersonaAccountRecord}. */
export function mapPersonaAccount(resource: PersonaAccount): PersonaAccountRecord {
  const attributes = resource.attributes ?? {}
  return {
    id: resource.id,
    ...(attributes['reference-id'] ? { referenceId: attributes['reference-id'] } : {}),
    ...(attributes['account-type-name'] ? { accountTypeName: attributes['account-type-name'] } : {}),
    tags: (attributes.tags ?? []).filter((tag): tag is string => typeof tag === 'string'),
    ...(attributes['created-at'] ? { createdAt: attributes['created-at'] } : {}),
    ...(attributes['updated-at'] ? { updatedAt: attributes['updated-at'] } : {}),
    ...(attributes['redacted-at'] ? { redactedAt: attributes['redacted-at'] } : {}),
  }
}

function requireText(value: unknown, name: string): string {
  if (typeof value !== 'string' || value.trim() === '') {
    throw new KycInvalidRequestError({
      provider: personaProvider,
      message: `persona accounts: "${name}" must be a non-empty string.`,
      issues: [{ path: [name], message: 'Required' }],
    })
  }
  return value.trim()
}

/** The cursor of a relative `links.next` (`/api/v1/…?page%5Bafter%5D=act_…`). */
function nextCursor(next: string | null | undefined): string | undefined {
  if (!next) return undefined
  try {
    return new URL(next, 'https://persona.invalid').searchParams.get('page[after]') ?? undefined
  } catch {
    return undefined
  }
}

/** Builds {@link PersonaAccounts} over the adapter's HTTP client. */
export function createPersonaAccounts(http: HttpClient): PersonaAccounts {
  const withSignal = (signal: AbortSignal | undefined) => (signal ? { signal } : {})
  return {
    async create(options) {
      // Checked before zod, which drops a `__proto__` key silently instead of refusing it.
      const fields = options.fields === undefined ? undefined : personaFields(options.fields)
      const parsed = CreateAccountOptionsSchema.safeParse({ ...options, fields })
      if (!parsed.success) {
        throw new KycInvalidRequestError({
          provider: personaProvider,
          message: `persona accounts.create: invalid options: ${describeIssues(parsed.error.issues)}.`,
          issues: parsed.error.issues,
        })
      }
      const { referenceId, tags, countryCode } = parsed.data
      const document = await http.request({
        method: 'POST',
        path: 'accounts',
        json: {
          data: {
            attributes: {
              'reference-id': referenceId,
              ...(tags ? { tags } : {}),
              ...(countryCode ? { 'country-code': countryCode.toUpperCase() } : {}),
              ...(fields ? { fields } : {}),
            },
          },
        },
        schema: AccountDocumentSchema,
        ...withSignal(options.signal),
      })
      return mapPersonaAccount(document.data)
    },

    async get(options) {
      const document = await http.request({
        path: 'accounts/{accountId}',
        pathParams: { accountId: personaId(options.accountId, 'accountId') },
        schema: AccountDocumentSchema,
        ...withSignal(options.signal),
      })
      return mapPersonaAccount(document.data)
    },

    async findByReferenceId(options) {
      const document = await http.request({
        path: 'accounts',
        searchParams: { 'filter[reference-id]': requireText(options.referenceId, 'referenceId') },
        schema: AccountListSchema,
        ...withSignal(options.signal),
      })
      const first = document.data[0]
      return first === undefined ? undefined : mapPersonaAccount(first)
    },

    async relations(options) {
      const accountId = personaId(options.accountId, 'accountId')
      const key = requireText(options.key, 'key')
      const accounts: PersonaAccountRecord[] = []
      let after: string | undefined
      // Pages are bounded so a misbehaving cursor cannot loop for ever.
      for (let page = 0; page < 1_000; page++) {
        const document = await http.request({
          path: 'accounts/{accountId}/relations',
          pathParams: { accountId },
          searchParams: {
            'filter[key]': key,
            'filter[created-at-start]': options.createdAtStart,
            'filter[created-at-end]': options.createdAtEnd,
            'page[size]': 100,
            'page[after]': after,
          },
          schema: AccountListSchema,
          ...withSignal(options.signal),
        })
        accounts.push(...document.data.map(mapPersonaAccount))
        const cursor = nextCursor(document.links?.next)
        if (cursor === undefined || cursor === after || document.data.length === 0) break
        after = cursor
      }
      return accounts
    },

    async redact(options) {
      await http.request({
        method: 'DELETE',
        path: 'accounts/{accountId}',
        pathParams: { accountId: personaId(options.accountId, 'accountId') },
        responseType: 'none',
        ...withSignal(options.signal),
      })
    },
  }
}
