import type { Context } from 'hono'
import { createAccount, findAccountByReference } from './accounts.js'
import type { PersonaApp, PersonaEnv, PersonaRouteContext } from './context.js'
import { usesModernShape } from './context.js'
import {
  createInquirySession,
  decideInquiry,
  defaultInquiryFields,
  expireInquiry,
  finishFlow,
  type InquiryField,
  type InquiryInternal,
  internalOf,
  oneTimeLinkFor,
  presentInquiry,
  redactInquiry,
  scheduleExpiry,
  sessionTokenFor,
  startInquiry,
  writeInquiryFields,
} from './inquiry-lifecycle.js'
import {
  badRequest,
  conflict,
  PersonaApiError,
  readDocument,
  readListFilter,
  readQuery,
  recordNotFound,
  sendList,
  sendResource,
} from './json-api.js'
import type { PersonaRuntime } from './runtime.js'
import { fallbackApplicant, type PersonaVerificationKind } from './scenarios.js'
import { formatTimestamp, type StoredResource } from './state.js'
import { applyTagAction } from './tags.js'
import { createVerification } from './verifications.js'

/**
 * Persona's inquiry endpoints.
 *
 * @see docs/reference/persona-api.md §2 and §10 (perform-simulate-actions)
 */

/** Relationships a pre-2025-10-27 retrieve includes by default (OAS: reports, verifications, sessions, documents, template). */
const legacyRetrieveIncludes = [
  'reports',
  'verifications',
  'sessions',
  'documents',
  'inquiry-template',
] as const

function ensureTemplate(context: PersonaRouteContext, attributes: Record<string, unknown>) {
  const templates = context.state.collection('inquiry-template')
  const versions = context.state.collection('inquiry-template-version')
  const templateId = attributes['inquiry-template-id']
  const versionId = attributes['inquiry-template-version-id']
  const legacyId = attributes['template-id']
  const given = [templateId, versionId, legacyId].filter((value) => value !== undefined && value !== null)
  if (given.length !== 1) {
    throw badRequest(
      'You must pass in either template-id OR inquiry-template-id OR inquiry-template-version-id',
      '/data/attributes/inquiry-template-id',
    )
  }
  if (typeof legacyId === 'string') {
    if (!legacyId.startsWith('tmpl_'))
      throw badRequest('template-id must start with tmpl_', '/data/attributes/template-id')
    return { template: null, version: null, legacy: { type: 'template', id: legacyId } }
  }
  const now = context.now()
  const createTemplate = (id: string, versionIdentifier: string) => {
    const version =
      versions.get(versionIdentifier) ??
      versions.insert({
        type: 'inquiry-template-version',
        id: versionIdentifier,
        createdAtMs: now,
        attributes: { name: 'Simulated template', status: 'published' },
        relationships: { 'inquiry-template': { type: 'inquiry-template', id } },
      })
    const template =
      templates.get(id) ??
      templates.insert({
        type: 'inquiry-template',
        id,
        createdAtMs: now,
        attributes: { status: 'active', name: 'Simulated KYC template' },
        relationships: { 'latest-published-version': { type: 'inquiry-template-version', id: version.id } },
      })
    return { template, version }
  }
  if (typeof templateId === 'string') {
    if (!templateId.startsWith('itmpl_')) {
      throw badRequest('inquiry-template-id must start with itmpl_', '/data/attributes/inquiry-template-id')
    }
    const existing = templates.get(templateId)
    const latest = existing?.relationships['latest-published-version'] as { id: string } | undefined
    const { template, version } = createTemplate(
      templateId,
      latest?.id ?? `itmplv_${templateId.slice('itmpl_'.length)}`,
    )
    return { template, version, legacy: null }
  }
  if (typeof versionId !== 'string' || !versionId.startsWith('itmplv_')) {
    throw badRequest(
      'inquiry-template-version-id must start with itmplv_',
      '/data/attributes/inquiry-template-version-id',
    )
  }
  const existingVersion = versions.get(versionId)
  const parent = existingVersion?.relationships['inquiry-template'] as { id: string } | undefined
  const { template, version } = createTemplate(
    parent?.id ?? `itmpl_${versionId.slice('itmplv_'.length)}`,
    versionId,
  )
  return { template, version, legacy: null }
}

function optionalPositiveInteger(meta: Record<string, unknown>, key: string): number | null {
  const value = meta[key]
  if (value === undefined || value === null) return null
  if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0) {
    throw badRequest(`${key} must be a positive integer`, `/meta/${key}`)
  }
  return value
}

function optionalBoolean(meta: Record<string, unknown>, key: string, fallback: boolean): boolean {
  const value = meta[key]
  if (value === undefined || value === null) return fallback
  if (typeof value !== 'boolean') throw badRequest(`${key} must be a boolean`, `/meta/${key}`)
  return value
}

function commentOf(meta: Record<string, unknown> | undefined): string | undefined {
  const comment = meta?.comment
  return typeof comment === 'string' ? comment : undefined
}

/** Chooses the verification kind a `vtmpl_` id stands for in simulate actions. */
function kindOfVerificationTemplate(templateId: string): PersonaVerificationKind {
  const lower = templateId.toLowerCase()
  if (lower.includes('selfie')) return 'selfie'
  if (lower.includes('database')) return 'database'
  return 'government-id'
}

/** Registers the inquiry endpoints on the app (bound to the simulator runtime for clock and URLs). */
export function registerInquiryRoutes(
  app: PersonaApp,
  context: PersonaRouteContext,
  runtime: PersonaRuntime,
): void {
  const inquiries = context.state.collection('inquiry')
  context.registerPresenter('inquiry', {
    present: presentInquiry,
    legacyDefaultIncludes: legacyRetrieveIncludes,
  })
  let quotaWindow = { startMs: 0, count: 0 }

  const find = (id: string): StoredResource => {
    const inquiry = inquiries.get(id)
    if (inquiry === undefined) throw recordNotFound()
    return inquiry
  }
  const respond = (
    c: Context<PersonaEnv>,
    inquiry: StoredResource,
    meta?: Record<string, unknown>,
    status: 200 | 201 = 200,
  ) => sendResource(c, context, inquiry, meta === undefined ? { status } : { status, meta })
  const retrieve = (c: Context<PersonaEnv>, inquiry: StoredResource) =>
    sendResource(c, context, inquiry, {}, legacyRetrieveIncludes)

  const consumeQuota = (c: Context<PersonaEnv>) => {
    const quota = runtime.settings.inquiryCreationQuota
    if (quota === null) return
    const now = context.now()
    if (now >= quotaWindow.startMs + quota.windowMs) {
      quotaWindow = { startMs: Math.floor(now / quota.windowMs) * quota.windowMs, count: 0 }
    }
    const reset = Math.max(0, Math.ceil((quotaWindow.startMs + quota.windowMs - now) / 1000))
    c.header('Quota-Limit', String(quota.limit))
    c.header('Quota-Reset', String(reset))
    if (quotaWindow.count >= quota.limit) {
      c.header('Quota-Remaining', '0')
      throw new PersonaApiError(
        429,
        'Rate limit exceeded',
        `You have hit your inquiry creation quota of ${quota.limit} inquiries / min. Please reach out to support@withpersona.com if you need this changed.`,
      )
    }
    quotaWindow.count += 1
    c.header('Quota-Remaining', String(quota.limit - quotaWindow.count))
  }

  app.get('/inquiries', (c) => {
    const query = readQuery(c)
    const filterKeys = [...query.keys()].filter((key) => key.startsWith('filter['))
    const note = query.get('filter[note]')
    if (note !== undefined && filterKeys.length > 1)
      throw badRequest('filter[note] must be the only filter', '/filter/note')
    const ids = readListFilter(query, 'inquiry-id')
    const accountIds = readListFilter(query, 'account-id')
    const templateIds = readListFilter(query, 'inquiry-template-id')
    const legacyTemplateIds = readListFilter(query, 'template-id')
    const statuses = readListFilter(query, 'status')
    const referenceId = query.get('filter[reference-id]')
    const start = query.get('filter[created-at-start]')
    const end = query.get('filter[created-at-end]')
    const startMs = start === undefined ? undefined : Date.parse(start)
    const endMs = end === undefined ? undefined : Date.parse(end)
    if (Number.isNaN(startMs) || Number.isNaN(endMs))
      throw badRequest('created-at filters must be ISO 8601 date-times')
    const idOf = (inquiry: StoredResource, name: string) =>
      (inquiry.relationships[name] as { id?: string } | null)?.id
    const list = inquiries.filter(
      (inquiry) =>
        (ids === undefined || ids.includes(inquiry.id)) &&
        (accountIds === undefined || accountIds.includes(idOf(inquiry, 'account') ?? '')) &&
        (templateIds === undefined || templateIds.includes(idOf(inquiry, 'inquiry-template') ?? '')) &&
        (legacyTemplateIds === undefined || legacyTemplateIds.includes(idOf(inquiry, 'template') ?? '')) &&
        (statuses === undefined || statuses.includes(String(inquiry.attributes.status))) &&
        (referenceId === undefined || inquiry.attributes['reference-id'] === referenceId) &&
        (note === undefined || inquiry.attributes.note === note) &&
        (startMs === undefined || inquiry.createdAtMs >= startMs) &&
        (endMs === undefined || inquiry.createdAtMs <= endMs),
    )
    return sendList(c, context, list)
  })

  app.post('/inquiries', async (c) => {
    const document = await readDocument(c)
    const attributes = document.data?.attributes
    if (attributes === undefined || attributes === null || typeof attributes !== 'object') {
      throw badRequest('data.attributes is missing', '/data/attributes')
    }
    const meta = document.meta ?? {}
    const { template, version, legacy } = ensureTemplate(context, attributes)
    const autoCreateAccount = optionalBoolean(meta, 'auto-create-account', true)
    const metaReference = meta['auto-create-account-reference-id']
    if (metaReference !== undefined && typeof metaReference !== 'string') {
      throw badRequest(
        'auto-create-account-reference-id must be a string',
        '/meta/auto-create-account-reference-id',
      )
    }
    if (
      !autoCreateAccount &&
      (metaReference !== undefined || meta['auto-create-account-type-id'] !== undefined)
    ) {
      throw badRequest(
        'auto-create-account-* requires auto-create-account to be true',
        '/meta/auto-create-account',
      )
    }
    const expirationAfterCreate = optionalPositiveInteger(meta, 'expiration-after-create-interval-seconds')
    const expirationAfterStart = optionalPositiveInteger(meta, 'expiration-after-start-interval-seconds')
    const expirationAfterResume = optionalPositiveInteger(meta, 'expiration-after-resume-interval-seconds')
    const oneTimeLinkExpiration = optionalPositiveInteger(meta, 'one-time-link-expiration-seconds')
    const wantsSession = optionalBoolean(meta, 'auto-create-inquiry-session', false)
    const wantsLink = optionalBoolean(meta, 'auto-create-one-time-link', false)
    const fieldsInput = attributes.fields
    if (
      fieldsInput !== undefined &&
      fieldsInput !== null &&
      (typeof fieldsInput !== 'object' || Array.isArray(fieldsInput))
    ) {
      throw badRequest('fields must be an object', '/data/attributes/fields')
    }
    const tags = attributes.tags
    if (
      tags !== undefined &&
      tags !== null &&
      (!Array.isArray(tags) || tags.some((tag) => typeof tag !== 'string'))
    ) {
      throw badRequest('tags must be an array of strings', '/data/attributes/tags')
    }
    const legacyReference =
      typeof attributes['reference-id'] === 'string' ? attributes['reference-id'] : undefined
    const referenceId = (metaReference as string | undefined) ?? legacyReference ?? null

    let account: StoredResource | undefined
    const accountId = attributes['account-id']
    if (typeof accountId === 'string') {
      account = context.state.collection('account').get(accountId)
      if (account === undefined) throw recordNotFound()
    }
    consumeQuota(c)
    if (account === undefined && referenceId !== null) account = findAccountByReference(context, referenceId)
    if (account === undefined && autoCreateAccount) {
      const accountType = meta['auto-create-account-type-id']
      account = createAccount(context, {
        referenceId,
        ...(typeof accountType === 'string' ? { accountTypeId: accountType } : {}),
      })
    }

    const now = context.now()
    const fields: Record<string, InquiryField> = {}
    for (const [name, type] of defaultInquiryFields) fields[name] = { type, value: null }
    if (fieldsInput !== undefined && fieldsInput !== null)
      writeInquiryFields(fields, fieldsInput as Record<string, unknown>)
    const creator =
      typeof attributes['creator-email-address'] === 'string' ? attributes['creator-email-address'] : 'API'
    const internal: InquiryInternal = {
      environment: c.get('persona').environment,
      expiresAtMs: null,
      expirationAfterStartSeconds: expirationAfterStart,
      expirationAfterResumeSeconds: expirationAfterResume,
      oneTimeLinkExpirationSeconds: oneTimeLinkExpiration,
      oneTimeLinks: [],
      redirectUri: typeof attributes['redirect-uri'] === 'string' ? attributes['redirect-uri'] : null,
      scenarioProgress: 'none',
      scenarioId: null,
    }
    const inquiry = inquiries.insert({
      type: 'inquiry',
      id: context.newId('inq'),
      createdAtMs: now,
      attributes: {
        status: 'created',
        'reference-id': referenceId,
        note: typeof attributes.note === 'string' ? attributes.note : null,
        behaviors: {
          'request-spoof-attempts': 0,
          'user-agent-spoof-attempts': 0,
          'distraction-events': 0,
          'hesitation-baseline': 0,
          'hesitation-count': 0,
          'hesitation-time': 0,
          'shortcut-copies': 0,
          'shortcut-pastes': 0,
          'autofill-cancels': 0,
          'autofill-starts': 0,
          'devtools-open': false,
          'completion-time': 0,
          'hesitation-percentage': 0,
          'behavior-threat-level': 'low',
        },
        tags: Array.isArray(tags) ? [...new Set(tags as string[])] : [],
        creator,
        'reviewer-comment': null,
        'created-at': formatTimestamp(now),
        'updated-at': formatTimestamp(now),
        'started-at': null,
        'completed-at': null,
        'failed-at': null,
        'marked-for-review-at': null,
        'decisioned-at': null,
        'expired-at': null,
        'redacted-at': null,
        'previous-step-name': null,
        'next-step-name': 'start',
        fields,
      },
      relationships: {
        account: account === undefined ? null : { type: 'account', id: account.id },
        template: legacy,
        'inquiry-template': template === null ? null : { type: 'inquiry-template', id: template.id },
        'inquiry-template-version':
          version === null ? null : { type: 'inquiry-template-version', id: version.id },
        transaction: null,
        reviewer: null,
        reports: [],
        verifications: [],
        sessions: [],
        documents: [],
        selfies: [],
      },
      internal,
    })
    scheduleExpiry(runtime, inquiry, expirationAfterCreate ?? runtime.settings.inquiryExpirationSeconds)
    context.emitEvent({ name: 'inquiry.created', resource: inquiry })

    const sessionToken = wantsSession
      ? createInquirySession(runtime, inquiry, runtime.settings.inquiryExpirationSeconds).token
      : null
    const link = wantsLink ? oneTimeLinkFor(runtime, inquiry) : null
    const modern = usesModernShape(c.get('persona').apiVersion)
    const responseMeta =
      modern || wantsSession || wantsLink
        ? {
            'session-token': sessionToken,
            'one-time-link': link?.url ?? null,
            'one-time-link-short': link?.shortUrl ?? null,
          }
        : undefined
    return respond(c, inquiry, responseMeta, 201)
  })

  app.get('/inquiries/:id', (c) => retrieve(c, find(c.req.param('id'))))

  app.patch('/inquiries/:id', async (c) => {
    const inquiry = find(c.req.param('id'))
    const document = await readDocument(c)
    const attributes = document.data?.attributes ?? {}
    if ('note' in attributes) {
      if (attributes.note !== null && typeof attributes.note !== 'string')
        throw badRequest('note must be a string', '/data/attributes/note')
      inquiry.attributes.note = attributes.note
    }
    if (attributes.fields !== undefined && attributes.fields !== null) {
      if (typeof attributes.fields !== 'object' || Array.isArray(attributes.fields)) {
        throw badRequest('fields must be an object', '/data/attributes/fields')
      }
      writeInquiryFields(
        inquiry.attributes.fields as Record<string, InquiryField>,
        attributes.fields as Record<string, unknown>,
      )
    }
    if (attributes.tags !== undefined) {
      if (!Array.isArray(attributes.tags) || attributes.tags.some((tag) => typeof tag !== 'string')) {
        throw badRequest('tags must be an array of strings', '/data/attributes/tags')
      }
      inquiry.attributes.tags = [...new Set(attributes.tags as string[])]
    }
    inquiry.attributes['updated-at'] = formatTimestamp(context.now())
    return respond(c, inquiry)
  })

  app.delete('/inquiries/:id', (c) => {
    const inquiry = find(c.req.param('id'))
    if (inquiry.attributes['redacted-at'] === null) redactInquiry(runtime, inquiry)
    return respond(c, inquiry)
  })

  const decision = (path: string, outcome: 'approved' | 'declined' | 'needs_review') => {
    app.post(`/inquiries/:id/${path}`, async (c) => {
      const inquiry = find(c.req.param('id'))
      const document = await readDocument(c)
      if (inquiry.attributes['redacted-at'] !== null) throw conflict('Inquiry has been redacted')
      decideInquiry(runtime, inquiry, outcome, 'user', commentOf(document.meta))
      return respond(c, inquiry)
    })
  }
  decision('approve', 'approved')
  decision('decline', 'declined')
  decision('mark-for-review', 'needs_review')

  app.post('/inquiries/:id/expire', (c) => {
    const inquiry = find(c.req.param('id'))
    const status = inquiry.attributes.status
    if (status === 'created' || status === 'pending') expireInquiry(runtime, inquiry)
    else if (status !== 'expired') throw conflict(`Inquiry cannot be expired from status ${String(status)}`)
    return respond(c, inquiry)
  })

  app.post('/inquiries/:id/resume', (c) => {
    const inquiry = find(c.req.param('id'))
    if (inquiry.attributes['redacted-at'] !== null) throw conflict('Inquiry has been redacted')
    const status = inquiry.attributes.status
    if (status !== 'created' && status !== 'pending' && status !== 'expired') {
      throw conflict(`Inquiry cannot be resumed from status ${String(status)}`)
    }
    if (status === 'expired') {
      inquiry.attributes.status = 'pending'
      inquiry.attributes['updated-at'] = formatTimestamp(context.now())
      const internal = internalOf(inquiry)
      scheduleExpiry(
        runtime,
        inquiry,
        internal.expirationAfterResumeSeconds ?? runtime.settings.inquiryExpirationSeconds,
      )
    }
    return respond(c, inquiry, { 'session-token': sessionTokenFor(runtime, inquiry) })
  })

  app.post('/inquiries/:id/generate-one-time-link', async (c) => {
    const inquiry = find(c.req.param('id'))
    const document = await readDocument(c)
    const expiresIn = optionalPositiveInteger(document.meta ?? {}, 'expires-in-seconds')
    const status = inquiry.attributes.status
    if (inquiry.attributes['redacted-at'] !== null) throw conflict('Inquiry has been redacted')
    if (status !== 'created' && status !== 'pending') {
      throw conflict(`A one-time link cannot be generated for an inquiry with status ${String(status)}`)
    }
    const link = oneTimeLinkFor(runtime, inquiry, expiresIn ?? undefined)
    return respond(c, inquiry, { 'one-time-link': link.url, 'one-time-link-short': link.shortUrl })
  })

  for (const action of ['add-tag', 'remove-tag', 'set-tags'] as const) {
    app.post(`/inquiries/:id/${action}`, async (c) => {
      const inquiry = find(c.req.param('id'))
      await applyTagAction(c, context, inquiry, action)
      inquiry.attributes['updated-at'] = formatTimestamp(context.now())
      return respond(c, inquiry)
    })
  }

  app.post('/inquiries/:id/perform-simulate-actions', async (c) => {
    const inquiry = find(c.req.param('id'))
    if (c.get('persona').environment !== 'sandbox' || internalOf(inquiry).environment !== 'sandbox') {
      throw new PersonaApiError(403, 'Forbidden', 'Simulate actions are only available for Sandbox inquiries')
    }
    const document = await readDocument(c)
    const actions = document.meta?.['simulate-actions']
    if (!Array.isArray(actions) || actions.length === 0) {
      throw badRequest('meta.simulate-actions must be a non-empty array', '/meta/simulate-actions')
    }
    const knownActions = new Set([
      'start_inquiry',
      'complete_inquiry',
      'fail_inquiry',
      'expire_inquiry',
      'mark_for_review_inquiry',
      'approve_inquiry',
      'decline_inquiry',
      'create_passed_verification',
      'create_failed_verification',
    ])
    // Validate every action before applying any, so a bad list changes nothing.
    const parsed = actions.map((action, index) => {
      const type = (action as { type?: unknown } | null)?.type
      if (typeof type !== 'string' || !knownActions.has(type)) {
        throw badRequest('Unknown or missing simulate action type', `/meta/simulate-actions/${index}/type`)
      }
      const data = (action as { data?: Record<string, unknown> }).data
      const templateId = data?.['verification-template-id']
      if (
        type.startsWith('create_') &&
        (typeof templateId !== 'string' || !templateId.startsWith('vtmpl_'))
      ) {
        throw badRequest(
          'data.verification-template-id is required',
          `/meta/simulate-actions/${index}/data/verification-template-id`,
        )
      }
      return action as { type: string; data?: Record<string, unknown> }
    })
    for (const [index, action] of parsed.entries()) {
      switch (action.type) {
        case 'start_inquiry':
          startInquiry(runtime, inquiry)
          break
        case 'complete_inquiry':
          finishFlow(runtime, inquiry, 'completed')
          break
        case 'fail_inquiry':
          finishFlow(runtime, inquiry, 'failed')
          break
        case 'expire_inquiry':
          expireInquiry(runtime, inquiry)
          break
        case 'mark_for_review_inquiry':
          decideInquiry(runtime, inquiry, 'needs_review', 'user')
          break
        case 'approve_inquiry':
          decideInquiry(runtime, inquiry, 'approved', 'user')
          break
        case 'decline_inquiry':
          decideInquiry(runtime, inquiry, 'declined', 'user')
          break
        case 'create_passed_verification':
        case 'create_failed_verification': {
          const templateId = action.data?.['verification-template-id']
          if (typeof templateId !== 'string' || !templateId.startsWith('vtmpl_')) {
            throw badRequest(
              'data.verification-template-id is required',
              `/meta/simulate-actions/${index}/data/verification-template-id`,
            )
          }
          const passed = action.type === 'create_passed_verification'
          const kind = kindOfVerificationTemplate(templateId)
          const lastName = (inquiry.attributes.fields as Record<string, InquiryField>)['name-last']?.value
          createVerification(context, {
            inquiry,
            kind,
            status: passed ? 'passed' : 'failed',
            failedChecks: passed
              ? []
              : [
                  {
                    name:
                      kind === 'selfie'
                        ? 'selfie_id_comparison'
                        : kind === 'database'
                          ? 'database_identity_comparison'
                          : 'id_tamper_detection',
                    reasons: ['simulated_failure'],
                  },
                ],
            applicant: fallbackApplicant(typeof lastName === 'string' ? lastName : 'Testperson'),
            baseUrl: runtime.baseUrl(),
          })
          break
        }
        default:
          throw badRequest(
            `Unknown simulate action type ${action.type}`,
            `/meta/simulate-actions/${index}/type`,
          )
      }
    }
    return respond(c, inquiry)
  })
}
