import {
  describeIssues,
  type KycCase,
  KycConfigurationError,
  KycInvalidRequestError,
  lazySchema,
} from '@openkyc/core'
import type { HttpClient } from '@openkyc/core/http'
import { z } from '@openkyc/core/zod'
import { personaProvider } from './map-persona-inquiry.js'
import { personaFields, personaId } from './persona-ids.js'
import { type PersonaCase, PersonaCaseSchema, singleDocument } from './persona-schemas.js'

/** A Persona case as the adapter returns it: the common {@link KycCase} plus Persona's own parts. */
export type PersonaCaseRecord = KycCase & {
  /** Persona's case name, such as `KCAS-1`. */
  name?: string
  /** Persona's resolution, once resolved. */
  resolution?: string
  /** Related objects by kind. `verificationIds` holds the inquiry ids (our verifications). */
  objectIds: { inquiries: string[]; accounts: string[]; verifications: string[]; reports: string[] }
  createdAt?: string
  updatedAt?: string
}

/** Options for {@link PersonaCases.create}. */
export type CreatePersonaCaseOptions = {
  /** The case template (`ctmpl_…`). Default: the `caseTemplateId` setting. */
  templateId?: string
  /** Persona ids to relate: inquiries, accounts, verifications, reports, transactions, … */
  objectIds?: readonly string[]
  /** The case queue (`cqueue_…`) to put the case in. */
  queueId?: string
  /** Persona's SLA, from now, at most 90 days. */
  slaExpiresInSeconds?: number
  /** Fields configured on the case template. May hold personal data: sent, never logged. */
  fields?: Readonly<Record<string, unknown>>
  signal?: AbortSignal
}

/** Persona's case endpoints, as typed methods. */
export type PersonaCases = {
  /** `POST /cases`. @see https://docs.withpersona.com/reference/create-a-case */
  create(options: CreatePersonaCaseOptions): Promise<PersonaCaseRecord>
  /** `GET /cases/{id}`. */
  get(options: { caseId: string; signal?: AbortSignal }): Promise<PersonaCaseRecord>
  /**
   * `POST /cases/{id}/set-status`. Statuses are defined per case template (defaults `Open`,
   * `Pending`, `Approved`, `Declined`); Persona refuses unknown ones.
   * @see https://docs.withpersona.com/reference/set-status-for-a-case
   */
  setStatus(options: { caseId: string; status: string; signal?: AbortSignal }): Promise<PersonaCaseRecord>
  /** `POST /cases/{id}/assign` to a Persona dashboard user, by e-mail address. */
  assign(options: { caseId: string; assigneeEmail: string; signal?: AbortSignal }): Promise<PersonaCaseRecord>
  /** `POST /cases/{id}/add-objects`: relates more Persona objects to the case. */
  addObjects(options: {
    caseId: string
    objectIds: readonly string[]
    signal?: AbortSignal
  }): Promise<PersonaCaseRecord>
}

const CaseDocumentSchema = singleDocument(PersonaCaseSchema)

const CreateCaseOptionsSchema = lazySchema(() =>
  z.object({
    templateId: z.string().trim().min(1).optional(),
    objectIds: z.array(z.string().trim().min(1)).optional(),
    queueId: z.string().trim().min(1).optional(),
    slaExpiresInSeconds: z
      .number()
      .int()
      .positive()
      .max(90 * 24 * 60 * 60)
      .optional(),
    fields: z.record(z.string(), z.unknown()).optional(),
  }),
)

const idsOf = (relationship: { data?: { id: string }[] | null } | null | undefined) =>
  (relationship?.data ?? []).map((resource) => resource.id)

/** A Persona case onto {@link PersonaCaseRecord}. Never copies the case's fields (personal data). */
export function mapPersonaCase(resource: PersonaCase): PersonaCaseRecord {
  const attributes = resource.attributes ?? {}
  const relationships = resource.relationships ?? {}
  const inquiries = idsOf(relationships.inquiries)
  return {
    id: resource.id,
    status: attributes.status ?? 'unknown',
    ...(attributes['assignee-id'] ? { assignee: attributes['assignee-id'] } : {}),
    verificationIds: inquiries,
    ...(attributes.name ? { name: attributes.name } : {}),
    ...(attributes.resolution ? { resolution: attributes.resolution } : {}),
    objectIds: {
      inquiries,
      accounts: idsOf(relationships.accounts),
      verifications: idsOf(relationships.verifications),
      reports: idsOf(relationships.reports),
    },
    ...(attributes['created-at'] ? { createdAt: attributes['created-at'] } : {}),
    ...(attributes['updated-at'] ? { updatedAt: attributes['updated-at'] } : {}),
  }
}

function invalid(message: string, issues: z.core.$ZodIssue[] = []): KycInvalidRequestError {
  return new KycInvalidRequestError({ provider: personaProvider, message, issues })
}

function requireText(value: string, name: string): string {
  if (typeof value !== 'string' || value.trim() === '') {
    throw invalid(`persona cases: "${name}" must be a non-empty string.`)
  }
  return value.trim()
}

/** Builds {@link PersonaCases} over the adapter's HTTP client. */
export function createPersonaCases(http: HttpClient, defaultTemplateId: string | undefined): PersonaCases {
  const caseAction = async (
    caseId: string,
    action: 'set-status' | 'assign' | 'add-objects',
    meta: Record<string, unknown>,
    signal: AbortSignal | undefined,
  ) => {
    const document = await http.request({
      method: 'POST',
      path: `cases/{caseId}/${action}`,
      pathParams: { caseId: personaId(caseId, 'caseId') },
      json: { meta },
      schema: CaseDocumentSchema,
      ...(signal ? { signal } : {}),
    })
    return mapPersonaCase(document.data)
  }

  return {
    async create(options) {
      // Checked before zod, which drops a `__proto__` key silently instead of refusing it.
      const fields = options.fields === undefined ? undefined : personaFields(options.fields)
      const parsed = CreateCaseOptionsSchema.safeParse({ ...options, fields })
      if (!parsed.success) {
        throw invalid(
          `persona cases.create: invalid options: ${describeIssues(parsed.error.issues)}.`,
          parsed.error.issues,
        )
      }
      const templateId = parsed.data.templateId ?? defaultTemplateId
      if (templateId === undefined) {
        throw new KycConfigurationError({
          provider: personaProvider,
          message:
            'Persona cases need a case template: pass { templateId } or set the caseTemplateId setting (PERSONA_CASE_TEMPLATE_ID).',
        })
      }
      const meta = {
        ...(parsed.data.objectIds && parsed.data.objectIds.length > 0
          ? { 'object-ids': parsed.data.objectIds }
          : {}),
        ...(parsed.data.slaExpiresInSeconds === undefined
          ? {}
          : { 'sla-expires-in-seconds': parsed.data.slaExpiresInSeconds }),
      }
      const document = await http.request({
        method: 'POST',
        path: 'cases',
        json: {
          data: {
            attributes: {
              'case-template-id': templateId,
              ...(parsed.data.queueId ? { 'case-queue-id': parsed.data.queueId } : {}),
              ...(fields ? { fields } : {}),
            },
          },
          ...(Object.keys(meta).length > 0 ? { meta } : {}),
        },
        schema: CaseDocumentSchema,
        ...(options.signal ? { signal: options.signal } : {}),
      })
      return mapPersonaCase(document.data)
    },

    async get(options) {
      const document = await http.request({
        path: 'cases/{caseId}',
        pathParams: { caseId: personaId(options.caseId, 'caseId') },
        schema: CaseDocumentSchema,
        ...(options.signal ? { signal: options.signal } : {}),
      })
      return mapPersonaCase(document.data)
    },

    setStatus: (options) =>
      caseAction(
        options.caseId,
        'set-status',
        { status: requireText(options.status, 'status') },
        options.signal,
      ),

    assign: (options) =>
      caseAction(
        options.caseId,
        'assign',
        { 'user-email-address': requireText(options.assigneeEmail, 'assigneeEmail') },
        options.signal,
      ),

    addObjects(options) {
      const objectIds = [...options.objectIds].map((id) => requireText(id, 'objectIds[]'))
      if (objectIds.length === 0) throw invalid('persona cases.addObjects: "objectIds" must not be empty.')
      return caseAction(options.caseId, 'add-objects', { 'object-ids': objectIds }, options.signal)
    },
  }
}
