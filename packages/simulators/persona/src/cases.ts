import type { Context } from 'hono'
import type { PersonaApp, PersonaEnv, PersonaRouteContext } from './context.js'
import { usesModernShape } from './context.js'
import {
  badRequest,
  type IncomingDocument,
  readDocument,
  readQuery,
  recordNotFound,
  sendList,
  sendResource,
  unprocessable,
} from './json-api.js'
import { formatTimestamp, type ResourceIdentifier, type StoredResource } from './state.js'
import { applyTagAction } from './tags.js'

/**
 * Persona cases (`/cases`): create, retrieve, list with filters, update, redact, set-status, assign,
 * add-objects and tags, with the `case.*` webhook events.
 *
 * Case statuses belong to the case template. Templates cannot be managed through Persona's API, so the
 * simulator gives every template id Persona's default statuses (`Open` initial, `Pending`, and the end
 * statuses `Approved` and `Declined`) unless a test defines the template with
 * {@link definePersonaCaseTemplate}.
 *
 * @see docs/reference/persona-api.md §4 (cases)
 */

/** A case template as the simulator needs it: its name prefix and status categories. */
export type PersonaCaseTemplate = {
  /** `ctmpl_…`, as passed in `data.attributes.case-template-id`. */
  readonly id: string
  /** Case names are `<prefix>-<number>` (`KCAS-1`). Default `KCAS`. */
  readonly namePrefix?: string
  /** The one status new cases get. */
  readonly initialStatus: string
  readonly intermediateStatuses: readonly string[]
  /** Statuses that resolve a case (`case.resolved`); leaving one reopens it (`case.reopened`). */
  readonly endStatuses: readonly string[]
}

/** Persona's default case statuses (help center: Open, Pending, Approved, Declined). */
export const defaultCaseStatuses = {
  initialStatus: 'Open',
  intermediateStatuses: ['Pending'],
  endStatuses: ['Approved', 'Declined'],
} as const

/** The longest SLA Persona accepts: 90 days. */
const maximumSlaSeconds = 90 * 24 * 60 * 60

type CaseRuntime = { templates: Map<string, PersonaCaseTemplate>; counters: Map<string, number> }

const runtimes = new WeakMap<object, CaseRuntime>()

function runtimeOf(context: PersonaRouteContext): CaseRuntime {
  let runtime = runtimes.get(context.state)
  if (runtime === undefined) {
    runtime = { templates: new Map(), counters: new Map() }
    runtimes.set(context.state, runtime)
  }
  return runtime
}

/**
 * Defines a case template's statuses for one simulator, e.g. to mirror a customer's own workflow.
 *
 * @example
 * definePersonaCaseTemplate(context, {
 *   id: 'ctmpl_kyc_review',
 *   namePrefix: 'KYC',
 *   initialStatus: 'New',
 *   intermediateStatuses: ['Waiting on customer'],
 *   endStatuses: ['Cleared', 'Offboarded'],
 * })
 */
export function definePersonaCaseTemplate(context: PersonaRouteContext, template: PersonaCaseTemplate): void {
  runtimeOf(context).templates.set(template.id, template)
}

function templateOf(context: PersonaRouteContext, templateId: string): PersonaCaseTemplate {
  return runtimeOf(context).templates.get(templateId) ?? { id: templateId, ...defaultCaseStatuses }
}

function statusesOf(template: PersonaCaseTemplate): string[] {
  return [template.initialStatus, ...template.intermediateStatuses, ...template.endStatuses]
}

/** Persona field values carry their type (`{type, value}`), like inquiry fields. */
function typedField(value: unknown): { type: string; value: unknown } {
  if (typeof value === 'number') return { type: 'number', value }
  if (typeof value === 'boolean') return { type: 'boolean', value }
  if (Array.isArray(value)) return { type: 'array', value }
  if (value !== null && typeof value === 'object') return { type: 'hash', value }
  return { type: 'string', value: value ?? null }
}

/** Attributes of `POST /cases` that are not template fields. */
const caseCreateAttributes = new Set(['case-template-id', 'creator-email-address', 'case-queue-id', 'fields'])

function readFields(
  attributes: Record<string, unknown>,
  exclude: ReadonlySet<string>,
): Record<string, unknown> {
  const fields: Record<string, unknown> = {}
  for (const [name, value] of Object.entries(attributes)) {
    if (!exclude.has(name)) fields[name] = typedField(value)
  }
  const explicit = attributes.fields
  if (explicit !== null && typeof explicit === 'object' && !Array.isArray(explicit)) {
    for (const [name, value] of Object.entries(explicit)) fields[name] = typedField(value)
  }
  return fields
}

function readSlaSeconds(meta: Record<string, unknown>): number | null | undefined {
  const value = meta['sla-expires-in-seconds']
  if (value === undefined || value === null) return value
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0 || value > maximumSlaSeconds) {
    throw unprocessable(
      'sla-expires-in-seconds must be a positive number of at most 90 days',
      '/meta/sla-expires-in-seconds',
    )
  }
  return value
}

/** Which case relationship an object id belongs to, or undefined for objects a case cannot show. */
function relationshipFor(resource: StoredResource): string | undefined {
  if (resource.type === 'account') return 'accounts'
  if (resource.type === 'inquiry') return 'inquiries'
  if (resource.type === 'transaction') return 'txns'
  if (resource.type.startsWith('verification/')) return 'verifications'
  if (resource.type.startsWith('report/')) return 'reports'
  return undefined
}

function readObjectIds(meta: Record<string, unknown>): string[] {
  const ids = meta['object-ids']
  if (ids === undefined || ids === null) return []
  if (!Array.isArray(ids) || !ids.every((id) => typeof id === 'string')) {
    throw badRequest('meta.object-ids must be an array')
  }
  return ids as string[]
}

/** Looks up every object id first, so an unknown id (a 404) leaves nothing half-linked. */
function findObjects(context: PersonaRouteContext, ids: readonly string[]): StoredResource[] {
  return ids.map((id) => {
    const resource = context.state.find(id)
    if (resource === undefined) throw recordNotFound()
    return resource
  })
}

/** Links objects to a case, once each. Objects a case has no relationship for are accepted and not shown. */
function linkObjects(kase: StoredResource, objects: readonly StoredResource[]): void {
  for (const resource of objects) {
    const name = relationshipFor(resource)
    if (name === undefined) continue
    const current = (kase.relationships[name] as ResourceIdentifier[] | undefined) ?? []
    if (current.some((identifier) => identifier.id === resource.id)) continue
    kase.relationships[name] = [...current, { type: resource.type, id: resource.id }]
  }
}

function touch(context: PersonaRouteContext, kase: StoredResource): void {
  kase.attributes['updated-at'] = formatTimestamp(context.now())
}

function presentCase(kase: StoredResource) {
  const many = (name: string) => ({
    data: structuredClone((kase.relationships[name] as ResourceIdentifier[]) ?? []),
  })
  return {
    type: 'case',
    id: kase.id,
    attributes: structuredClone(kase.attributes),
    relationships: {
      'case-template': { data: structuredClone(kase.relationships['case-template'] as ResourceIdentifier) },
      'case-queue': {
        data: structuredClone((kase.relationships['case-queue'] as ResourceIdentifier | null) ?? null),
      },
      'case-comments': many('case-comments'),
      accounts: many('accounts'),
      inquiries: many('inquiries'),
      reports: many('reports'),
      verifications: many('verifications'),
      txns: many('txns'),
    },
  }
}

/** Related objects Persona includes by default (before 2025-10-27) in case responses. */
const caseDefaultIncludes = ['accounts', 'inquiries', 'reports'] as const

function identifiersOf(kase: StoredResource, name: string): ResourceIdentifier[] {
  return (kase.relationships[name] as ResourceIdentifier[] | undefined) ?? []
}

/**
 * Registers the case routes on the `/api/v1` app.
 *
 * @example
 * registerCaseRoutes(app, context)
 */
export function registerCaseRoutes(app: PersonaApp, context: PersonaRouteContext): void {
  context.registerPresenter('case', { present: presentCase, legacyDefaultIncludes: caseDefaultIncludes })
  const cases = context.state.collection('case')

  const send = (c: Context<PersonaEnv>, kase: StoredResource, status: 200 | 201 = 200) =>
    sendResource(c, context, kase, { status }, caseDefaultIncludes)

  const findCase = (c: Context<PersonaEnv>): StoredResource => {
    const kase = cases.get(c.req.param('caseId') ?? '')
    if (kase === undefined) throw recordNotFound()
    return kase
  }

  const readCaseDocument = (c: Context<PersonaEnv>): Promise<IncomingDocument> =>
    readDocument(c, { preserveFieldKeys: true })

  app.post('/cases', async (c) => {
    const document = await readCaseDocument(c)
    const attributes = document.data?.attributes ?? {}
    const meta = document.meta ?? {}
    const templateId = attributes['case-template-id']
    if (typeof templateId !== 'string' || templateId.trim() === '') {
      throw badRequest('data.attributes.case-template-id is missing')
    }
    const template = templateOf(context, templateId)
    const creator = attributes['creator-email-address']
    const queueId = attributes['case-queue-id']
    const sla = readSlaSeconds(meta)
    const objects = findObjects(context, readObjectIds(meta))
    const now = context.now()
    const timestamp = formatTimestamp(now)
    const runtime = runtimeOf(context)
    const prefix = template.namePrefix ?? 'KCAS'
    const number = (runtime.counters.get(prefix) ?? 0) + 1
    const kase = cases.insert({
      type: 'case',
      id: context.newId('case'),
      createdAtMs: now,
      attributes: {
        status: template.initialStatus,
        name: `${prefix}-${number}`,
        resolution: null,
        'created-at': timestamp,
        'updated-at': timestamp,
        'assigned-at': null,
        'resolved-at': null,
        'redacted-at': null,
        'sla-expires-at': typeof sla === 'number' ? formatTimestamp(now + sla * 1000) : null,
        'creator-id': typeof creator === 'string' && creator !== '' ? creator : null,
        'creator-type': typeof creator === 'string' && creator !== '' ? 'user' : null,
        'assignee-id': null,
        'assigner-id': null,
        'assigner-type': null,
        'resolver-id': null,
        'resolver-type': null,
        'updater-id': null,
        'updater-type': null,
        tags: [],
        fields: readFields(attributes, caseCreateAttributes),
        attachments: [],
      },
      relationships: {
        'case-template': { type: 'case-template', id: templateId },
        'case-queue':
          typeof queueId === 'string' && queueId !== '' ? { type: 'case-queue', id: queueId } : null,
        'case-comments': [],
        accounts: [],
        inquiries: [],
        reports: [],
        verifications: [],
        txns: [],
      },
      internal: { templateId },
    })
    linkObjects(kase, objects)
    runtime.counters.set(prefix, number)
    context.emitEvent({ name: 'case.created', resource: kase })
    return send(c, kase, 201)
  })

  app.get('/cases', (c) => {
    const query = readQuery(c)
    const filter = (name: string) => query.get(`filter[${name}]`)
    const status = filter('status')
    const templateId = filter('case-template-id')
    const accountId = filter('account-id')
    const referenceId = filter('reference-id')
    const inquiryId = filter('inquiry-id')
    const reportId = filter('report-id')
    const selected = cases.filter((kase) => {
      if (status !== undefined && kase.attributes.status !== status) return false
      if (templateId !== undefined && kase.internal.templateId !== templateId) return false
      if (accountId !== undefined && !identifiersOf(kase, 'accounts').some((item) => item.id === accountId)) {
        return false
      }
      if (
        inquiryId !== undefined &&
        !identifiersOf(kase, 'inquiries').some((item) => item.id === inquiryId)
      ) {
        return false
      }
      if (reportId !== undefined && !identifiersOf(kase, 'reports').some((item) => item.id === reportId)) {
        return false
      }
      if (referenceId !== undefined) {
        const referenced = identifiersOf(kase, 'accounts').some(
          (item) => context.state.find(item.id)?.attributes['reference-id'] === referenceId,
        )
        if (!referenced) return false
      }
      return true
    })
    return sendList(c, context, selected)
  })

  app.get('/cases/:caseId', (c) => send(c, findCase(c)))

  app.patch('/cases/:caseId', async (c) => {
    const kase = findCase(c)
    const document = await readCaseDocument(c)
    const attributes = document.data?.attributes ?? {}
    const meta = document.meta ?? {}
    const sla = readSlaSeconds(meta)
    const fields = readFields(attributes, new Set(['attachments', 'case-queue-id', 'fields']))
    const attachments = attributes.attachments
    if (attachments !== undefined && !Array.isArray(attachments)) {
      throw badRequest('data.attributes.attachments must be an array')
    }
    const added = (attachments ?? []).map((attachment: unknown, index: number) => {
      const { data, filename } = (attachment ?? {}) as Record<string, unknown>
      if (typeof data !== 'string' || typeof filename !== 'string' || filename === '') {
        throw unprocessable(
          'attachments need base64 data and a filename',
          `/data/attributes/attachments/${index}`,
        )
      }
      const url = new URL(
        `/files/case-attachments/${kase.id}/${encodeURIComponent(filename)}`,
        c.req.url,
      ).toString()
      return { filename, url, 'byte-size': Buffer.from(data, 'base64').byteLength }
    })
    const fieldsChanged = Object.keys(fields).length > 0
    if (fieldsChanged) {
      kase.attributes.fields = { ...(kase.attributes.fields as Record<string, unknown>), ...fields }
    }
    if (added.length > 0)
      kase.attributes.attachments = [...(kase.attributes.attachments as unknown[]), ...added]
    if ('case-queue-id' in attributes) {
      const queueId = attributes['case-queue-id']
      kase.relationships['case-queue'] =
        typeof queueId === 'string' && queueId !== '' ? { type: 'case-queue', id: queueId } : null
    }
    if (sla !== undefined) {
      kase.attributes['sla-expires-at'] = sla === null ? null : formatTimestamp(context.now() + sla * 1000)
    }
    touch(context, kase)
    context.emitEvent({ name: 'case.updated', resource: kase })
    if (fieldsChanged) context.emitEvent({ name: 'case.updated-fields', resource: kase })
    return send(c, kase)
  })

  app.delete('/cases/:caseId', (c) => {
    const kase = findCase(c)
    if (kase.attributes['redacted-at'] === null) {
      const timestamp = formatTimestamp(context.now())
      kase.attributes['redacted-at'] = timestamp
      kase.attributes['updated-at'] = timestamp
      kase.attributes.fields = {}
      kase.attributes.attachments = []
      context.emitEvent({ name: 'case.redacted', resource: kase })
    }
    return send(c, kase)
  })

  app.post('/cases/:caseId/set-status', async (c) => {
    const kase = findCase(c)
    const document = await readCaseDocument(c)
    const info = c.get('persona')
    // Before 2025-10-27 the status could also be sent as an attribute.
    const requested =
      document.meta?.status ??
      (usesModernShape(info.apiVersion) ? undefined : document.data?.attributes?.status)
    if (typeof requested !== 'string' || requested.trim() === '') throw badRequest('meta.status is missing')
    const template = templateOf(context, String(kase.internal.templateId))
    const status = statusesOf(template).find(
      (candidate) => candidate.toLowerCase() === requested.trim().toLowerCase(),
    )
    if (status === undefined)
      throw unprocessable('status is not a status of the case template', '/meta/status')
    const previous = String(kase.attributes.status)
    if (status !== previous) {
      const wasResolved = template.endStatuses.includes(previous)
      const resolves = template.endStatuses.includes(status)
      const timestamp = formatTimestamp(context.now())
      kase.attributes.status = status
      kase.attributes['updated-at'] = timestamp
      if (resolves) {
        kase.attributes.resolution = status
        kase.attributes['resolved-at'] = timestamp
      } else if (wasResolved) {
        kase.attributes.resolution = null
        kase.attributes['resolved-at'] = null
      }
      context.emitEvent({
        name: 'case.status-updated',
        resource: kase,
        eventContext: { 'previous-status': previous },
      })
      if (resolves && !wasResolved) context.emitEvent({ name: 'case.resolved', resource: kase })
      if (wasResolved && !resolves) context.emitEvent({ name: 'case.reopened', resource: kase })
    }
    return send(c, kase)
  })

  app.post('/cases/:caseId/assign', async (c) => {
    const kase = findCase(c)
    const document = await readCaseDocument(c)
    const email = document.meta?.['user-email-address']
    if (typeof email !== 'string' || email.trim() === '')
      throw badRequest('meta.user-email-address is missing')
    const timestamp = formatTimestamp(context.now())
    kase.attributes['assignee-id'] = email.trim()
    kase.attributes['assigned-at'] = timestamp
    kase.attributes['updated-at'] = timestamp
    context.emitEvent({ name: 'case.assigned', resource: kase })
    return send(c, kase)
  })

  app.post('/cases/:caseId/add-objects', async (c) => {
    const kase = findCase(c)
    const document = await readCaseDocument(c)
    const ids = readObjectIds(document.meta ?? {})
    if (ids.length === 0) throw badRequest('meta.object-ids must be a non-empty array')
    linkObjects(kase, findObjects(context, ids))
    touch(context, kase)
    context.emitEvent({ name: 'case.updated', resource: kase })
    return send(c, kase)
  })

  for (const action of ['add-tag', 'remove-tag', 'set-tags'] as const) {
    app.post(`/cases/:caseId/${action}`, async (c) => {
      const kase = findCase(c)
      const before = [...((kase.attributes.tags as string[] | undefined) ?? [])]
      await applyTagAction(c, context, kase, action)
      const after = (kase.attributes.tags as string[] | undefined) ?? []
      const added = after.filter((tag) => !before.includes(tag))
      const removed = before.filter((tag) => !after.includes(tag))
      if (added.length > 0 || removed.length > 0) {
        touch(context, kase)
        context.emitEvent({
          name: 'case.updated-tags',
          resource: kase,
          eventContext: { 'tags-added': added, 'tags-removed': removed },
        })
      }
      return send(c, kase)
    })
  }
}
