import { randomBytes } from 'node:crypto'
import type { ScenarioId, SyntheticApplicant } from '@openkyc/testkit/catalogue'
import { scenarioById } from '@openkyc/testkit/catalogue'
import { type PresentView, usesModernShape } from './context.js'
import { conflict, type ResourceObject } from './json-api.js'
import { createSessionToken, type PersonaRuntime } from './runtime.js'
import { fallbackApplicant } from './scenarios.js'
import { formatTimestamp, type ResourceIdentifier, type StoredResource } from './state.js'
import { createVerification, redactVerification } from './verifications.js'

/**
 * The inquiry lifecycle shared by the API routes, the hosted flow and the control API:
 * `created → pending → completed|failed|expired`, then decisioning to `approved|declined|needs_review`.
 * Each transition sets its timestamp and emits the documented event.
 *
 * @see docs/reference/persona-api.md §2 (status values & lifecycle)
 */

/** Default template fields and their Persona field types. */
export const defaultInquiryFields: ReadonlyArray<[string, string]> = [
  ['name-first', 'string'],
  ['name-middle', 'string'],
  ['name-last', 'string'],
  ['birthdate', 'date'],
  ['address-street-1', 'string'],
  ['address-street-2', 'string'],
  ['address-city', 'string'],
  ['address-subdivision', 'string'],
  ['address-postal-code', 'string'],
  ['address-country-code', 'string'],
  ['email-address', 'string'],
  ['phone-number', 'string'],
  ['identification-number', 'string'],
]

/** A stored inquiry field. */
export type InquiryField = { type: string; value: unknown }

/** Simulator bookkeeping kept in `inquiry.internal`. */
export type InquiryInternal = {
  environment: 'sandbox' | 'production'
  expiresAtMs: number | null
  expirationAfterStartSeconds: number | null
  expirationAfterResumeSeconds: number | null
  oneTimeLinkExpirationSeconds: number | null
  oneTimeLinks: OneTimeLink[]
  redirectUri: string | null
  scenarioProgress: 'none' | 'flow-done' | 'final'
  scenarioId: ScenarioId | null
}

/** A one-time link: single use with a grace period, bound to one inquiry session. */
export type OneTimeLink = {
  code: string
  sessionId: string
  createdAtMs: number
  expiresAtMs: number
  firstUsedAtMs: number | null
}

/** The inquiry's simulator bookkeeping. */
export function internalOf(inquiry: StoredResource): InquiryInternal {
  return inquiry.internal as InquiryInternal
}

/** Infers Persona's field type for a value written without one. */
export function inferFieldType(name: string, value: unknown): string {
  if (name === 'birthdate') return 'date'
  if (typeof value === 'number') return 'number'
  if (typeof value === 'boolean') return 'boolean'
  if (Array.isArray(value)) return 'array'
  if (value !== null && typeof value === 'object') return 'hash'
  return 'string'
}

/** Writes caller field values (no types when writing) into an inquiry's `fields`. */
export function writeInquiryFields(
  fields: Record<string, InquiryField>,
  input: Record<string, unknown>,
): void {
  for (const [name, raw] of Object.entries(input)) {
    const value =
      raw !== null && typeof raw === 'object' && !Array.isArray(raw) && 'value' in raw
        ? (raw as { value: unknown }).value
        : raw
    fields[name] = { type: fields[name]?.type ?? inferFieldType(name, value), value: value ?? null }
  }
}

const legacyTopLevelFields = [
  'name-first',
  'name-middle',
  'name-last',
  'birthdate',
  'address-street-1',
  'address-street-2',
  'address-city',
  'address-subdivision',
  'address-postal-code',
  'social-security-number',
  'identification-number',
  'email-address',
  'phone-number',
]

/**
 * Renders an inquiry. Before 2025-10-27: top-level PII attributes copied from `fields` (and no
 * `expires-at`, absent from that schema); since: PII only in `fields`, plus `expires-at`.
 */
export function presentInquiry(resource: StoredResource, view: PresentView): ResourceObject {
  const attributes = structuredClone(resource.attributes)
  const fields = attributes.fields as Record<string, InquiryField>
  if (usesModernShape(view.apiVersion)) {
    const expiresAtMs = internalOf(resource).expiresAtMs
    attributes['expires-at'] = expiresAtMs === null ? null : formatTimestamp(expiresAtMs)
  } else {
    for (const key of legacyTopLevelFields) attributes[key] = fields[key]?.value ?? null
    attributes['address-subdivision-abbr'] = fields['address-subdivision']?.value ?? null
    attributes['address-postal-code-abbr'] = fields['address-postal-code']?.value ?? null
  }
  const relationships: ResourceObject['relationships'] = {}
  for (const [name, data] of Object.entries(resource.relationships)) relationships[name] = { data }
  return { type: 'inquiry', id: resource.id, attributes, relationships }
}

const inquiryEventIncludes = ['verifications', 'reports'] as const

/** Emits an inquiry event with its verifications and reports snapshotted into `payload.included`. */
export function emitInquiryEvent(runtime: PersonaRuntime, inquiry: StoredResource, name: string): void {
  runtime.context.emitEvent({ name, resource: inquiry, include: inquiryEventIncludes })
}

function touch(runtime: PersonaRuntime, inquiry: StoredResource): number {
  const now = runtime.context.now()
  inquiry.attributes['updated-at'] = formatTimestamp(now)
  return now
}

/** Sets a new expiry and arms a clock timer that expires the inquiry if it is still in progress then. */
export function scheduleExpiry(runtime: PersonaRuntime, inquiry: StoredResource, seconds: number): void {
  const expiresAtMs = runtime.context.now() + seconds * 1000
  internalOf(inquiry).expiresAtMs = expiresAtMs
  runtime.clock.setTimer({ at: expiresAtMs }, () => {
    const current = internalOf(inquiry)
    if (current.expiresAtMs !== expiresAtMs) return
    const status = inquiry.attributes.status
    if (status === 'created' || status === 'pending') expireInquiry(runtime, inquiry)
  })
}

/** `created → pending` (the applicant begins), emitting `inquiry.started`. No-op in any other status. */
export function startInquiry(runtime: PersonaRuntime, inquiry: StoredResource): void {
  if (inquiry.attributes.status !== 'created') return
  const now = touch(runtime, inquiry)
  inquiry.attributes.status = 'pending'
  inquiry.attributes['started-at'] = formatTimestamp(now)
  inquiry.attributes['previous-step-name'] = 'start'
  inquiry.attributes['next-step-name'] = 'verification_government_id'
  const afterStart = internalOf(inquiry).expirationAfterStartSeconds
  if (afterStart !== null) scheduleExpiry(runtime, inquiry, afterStart)
  for (const session of sessionsOf(runtime, inquiry)) {
    if (session.attributes.status === 'new') {
      session.attributes.status = 'active'
      session.attributes['started-at'] = formatTimestamp(now)
    }
  }
  emitInquiryEvent(runtime, inquiry, 'inquiry.started')
}

/** Moves the inquiry to `completed` or `failed` (the end of the applicant's flow). */
export function finishFlow(
  runtime: PersonaRuntime,
  inquiry: StoredResource,
  outcome: 'completed' | 'failed',
): void {
  const now = touch(runtime, inquiry)
  inquiry.attributes.status = outcome
  inquiry.attributes[outcome === 'completed' ? 'completed-at' : 'failed-at'] = formatTimestamp(now)
  inquiry.attributes['previous-step-name'] = inquiry.attributes['next-step-name'] ?? 'start'
  inquiry.attributes['next-step-name'] = outcome === 'completed' ? 'success' : 'fail'
  emitInquiryEvent(runtime, inquiry, `inquiry.${outcome}`)
}

/** Who made a decision: a template workflow (automatic) or a person (dashboard or API). */
export type DecisionMaker = 'workflow' | 'user'

/** Applies `approved`, `declined` or `needs_review` with its timestamp, reviewer and event. */
export function decideInquiry(
  runtime: PersonaRuntime,
  inquiry: StoredResource,
  decision: 'approved' | 'declined' | 'needs_review',
  by: DecisionMaker,
  comment?: string | null,
): void {
  const now = touch(runtime, inquiry)
  inquiry.attributes.status = decision
  if (decision === 'needs_review') inquiry.attributes['marked-for-review-at'] = formatTimestamp(now)
  else inquiry.attributes['decisioned-at'] = formatTimestamp(now)
  if (comment !== undefined && comment !== null) inquiry.attributes['reviewer-comment'] = comment
  inquiry.relationships.reviewer =
    by === 'workflow'
      ? { type: 'workflow-run', id: runtime.context.newId('wfr') }
      : { type: 'user', id: 'user_simulatorReviewer' }
  const eventName =
    decision === 'needs_review'
      ? 'inquiry.marked-for-review'
      : decision === 'approved'
        ? 'inquiry.approved'
        : 'inquiry.declined'
  emitInquiryEvent(runtime, inquiry, eventName)
}

/** The inquiry's sessions. */
export function sessionsOf(runtime: PersonaRuntime, inquiry: StoredResource): StoredResource[] {
  const identifiers = (inquiry.relationships.sessions as ResourceIdentifier[] | undefined) ?? []
  return identifiers
    .map((identifier) => runtime.context.state.find(identifier.id))
    .filter((found): found is StoredResource => found !== undefined)
}

/** `created|pending → expired`: sessions expire, unfinished verifications are canceled, `inquiry.expired`. */
export function expireInquiry(runtime: PersonaRuntime, inquiry: StoredResource): void {
  const now = touch(runtime, inquiry)
  inquiry.attributes.status = 'expired'
  inquiry.attributes['expired-at'] = formatTimestamp(now)
  internalOf(inquiry).expiresAtMs = now
  for (const session of sessionsOf(runtime, inquiry)) {
    if (session.attributes.status !== 'expired') {
      session.attributes.status = 'expired'
      session.attributes['expired-at'] = formatTimestamp(now)
    }
  }
  for (const identifier of (inquiry.relationships.verifications as ResourceIdentifier[] | undefined) ?? []) {
    const verification = runtime.context.state.find(identifier.id)
    if (verification === undefined) continue
    const status = verification.attributes.status
    if (status === 'initiated' || status === 'submitted') {
      verification.attributes.status = 'canceled'
      runtime.context.emitEvent({ name: 'verification.canceled', resource: verification })
    }
  }
  emitInquiryEvent(runtime, inquiry, 'inquiry.expired')
}

const sessionDeviceAttributes = [
  'ip-address',
  'user-agent',
  'os-name',
  'os-full-version',
  'device-type',
  'device-name',
  'browser-name',
  'browser-full-version',
  'mobile-sdk-name',
  'mobile-sdk-full-version',
  'device-handoff-method',
  'is-proxy',
  'is-tor',
  'is-datacenter',
  'is-vpn',
  'threat-level',
  'country-code',
  'country-name',
  'region-code',
  'region-name',
  'latitude',
  'longitude',
]

/** Creates an inquiry session (`iqse_…`) with a session token valid for its lifetime. */
export function createInquirySession(
  runtime: PersonaRuntime,
  inquiry: StoredResource,
  lifetimeSeconds: number,
): { session: StoredResource; token: string } {
  const now = runtime.context.now()
  const attributes: Record<string, unknown> = {
    status: 'new',
    'created-at': formatTimestamp(now),
    'started-at': null,
    'expired-at': null,
  }
  for (const key of sessionDeviceAttributes) attributes[key] = null
  const session = runtime.context.state.collection('inquiry-session').insert({
    type: 'inquiry-session',
    id: runtime.context.newId('iqse'),
    createdAtMs: now,
    attributes,
    relationships: { inquiry: { type: 'inquiry', id: inquiry.id } },
    internal: {},
  })
  const expiresAtMs = now + lifetimeSeconds * 1000
  const token = createSessionToken(runtime.settings.sessionSecret, session.id, inquiry.id, expiresAtMs)
  session.internal.token = token
  session.internal.tokenExpiresAtMs = expiresAtMs
  const list = (inquiry.relationships.sessions as ResourceIdentifier[] | undefined) ?? []
  inquiry.relationships.sessions = [...list, { type: 'inquiry-session', id: session.id }]
  return { session, token }
}

/**
 * Returns a session token for the inquiry, reusing a valid session nobody has started yet, as Persona's
 * resume does; otherwise creates a session.
 */
export function sessionTokenFor(runtime: PersonaRuntime, inquiry: StoredResource): string {
  const now = runtime.context.now()
  const reusable = sessionsOf(runtime, inquiry).find(
    (session) => session.attributes.status === 'new' && (session.internal.tokenExpiresAtMs as number) > now,
  )
  if (reusable !== undefined) return reusable.internal.token as string
  return createInquirySession(runtime, inquiry, runtime.settings.inquiryExpirationSeconds).token
}

/** The hosted-flow URL for an inquiry (with a session token once the inquiry is pending). */
export function hostedFlowUrl(
  runtime: PersonaRuntime,
  inquiry: StoredResource,
  sessionToken?: string,
): string {
  const url = new URL('/verify', runtime.baseUrl())
  url.searchParams.set('inquiry-id', inquiry.id)
  if (sessionToken !== undefined) url.searchParams.set('session-token', sessionToken)
  return url.toString()
}

/**
 * Generates (or returns the unused, unexpired) one-time link. Each new link opens a new session; the
 * link is single-use with a grace period after first use.
 */
export function oneTimeLinkFor(
  runtime: PersonaRuntime,
  inquiry: StoredResource,
  expiresInSeconds?: number,
): { url: string; shortUrl: string } {
  const internal = internalOf(inquiry)
  const now = runtime.context.now()
  const render = (link: OneTimeLink) => ({
    url: `${runtime.baseUrl()}/verify?code=${link.code}`,
    shortUrl: `${runtime.baseUrl()}/v/${link.code}`,
  })
  const unused = internal.oneTimeLinks.find((link) => link.firstUsedAtMs === null && link.expiresAtMs > now)
  if (unused !== undefined) return render(unused)
  const lifetime =
    expiresInSeconds ?? internal.oneTimeLinkExpirationSeconds ?? runtime.settings.oneTimeLinkExpirationSeconds
  const { session } = createInquirySession(runtime, inquiry, lifetime)
  const link: OneTimeLink = {
    code: randomBytes(12).toString('base64url'),
    sessionId: session.id,
    createdAtMs: now,
    expiresAtMs: now + lifetime * 1000,
    firstUsedAtMs: null,
  }
  internal.oneTimeLinks.push(link)
  return render(link)
}

/** Finds the inquiry a one-time link opens, enforcing expiry and single use with its grace period. */
export function redeemOneTimeLink(
  runtime: PersonaRuntime,
  code: string,
): { inquiry: StoredResource } | { error: 'unknown' | 'expired' | 'used' } {
  const now = runtime.context.now()
  for (const inquiry of runtime.context.state.collection('inquiry').list()) {
    const link = internalOf(inquiry).oneTimeLinks.find((candidate) => candidate.code === code)
    if (link === undefined) continue
    if (link.firstUsedAtMs === null) {
      if (link.expiresAtMs <= now) return { error: 'expired' }
      link.firstUsedAtMs = now
      return { inquiry }
    }
    if (now - link.firstUsedAtMs <= runtime.settings.oneTimeLinkGraceSeconds * 1000) return { inquiry }
    return { error: 'used' }
  }
  return { error: 'unknown' }
}

function fieldValue(inquiry: StoredResource, name: string): string | undefined {
  const value = (inquiry.attributes.fields as Record<string, InquiryField>)[name]?.value
  return typeof value === 'string' && value !== '' ? value : undefined
}

/** The scenario selected by the inquiry's magic `name-last` field, if any. */
export function scenarioFromMagicInput(
  runtime: PersonaRuntime,
  inquiry: StoredResource,
): ScenarioId | undefined {
  const lastName = fieldValue(inquiry, 'name-last')
  if (lastName === undefined) return undefined
  return runtime.settings.magicLastNames.get(lastName.toLowerCase())
}

function applicantFromInquiry(inquiry: StoredResource, scenarioId: ScenarioId): SyntheticApplicant {
  const base = scenarioById(scenarioId)?.applicant ?? fallbackApplicant(scenarioId)
  return {
    ...base,
    firstName: fieldValue(inquiry, 'name-first') ?? base.firstName,
    lastName: fieldValue(inquiry, 'name-last') ?? base.lastName,
    dateOfBirth: fieldValue(inquiry, 'birthdate') ?? base.dateOfBirth,
    documentNumber: fieldValue(inquiry, 'identification-number') ?? base.documentNumber,
    issuingCountry: fieldValue(inquiry, 'address-country-code') ?? base.issuingCountry,
  }
}

/** Options of {@link resolveScenario}. */
export type ResolveScenarioOptions = {
  /** `intermediate` runs the applicant's part and automatic decisioning only; `final` (default) also a person's review. */
  stage?: 'intermediate' | 'final'
  /** The applicant whose documents are "submitted"; defaults to the inquiry's fields. */
  applicant?: SyntheticApplicant
}

function createWatchlistReport(
  runtime: PersonaRuntime,
  inquiry: StoredResource,
  applicant: SyntheticApplicant,
) {
  const now = runtime.context.now()
  const report = runtime.context.state.collection('report').insert({
    type: 'report/watchlist',
    id: runtime.context.newId('rep'),
    createdAtMs: now,
    attributes: {
      status: 'ready',
      'created-at': formatTimestamp(now),
      'completed-at': formatTimestamp(now),
      'redacted-at': null,
      'report-template-version-name': 'Watchlist',
      'has-match': true,
      'is-continuous': false,
      'is-recurring': false,
      tags: [],
      'matched-lists': [{ name: 'Simulated sanctions list', 'list-type': 'sanction' }],
      'ignore-list': [],
      'name-first': applicant.firstName,
      'name-last': applicant.lastName,
      birthdate: applicant.dateOfBirth,
      'country-code': applicant.nationality,
    },
    relationships: {
      inquiry: { type: 'inquiry', id: inquiry.id },
      account: inquiry.relationships.account ?? null,
      'report-template': { type: 'report-template/watchlist', id: 'rptp_simulatorWatchlist' },
    },
  })
  const list = (inquiry.relationships.reports as ResourceIdentifier[] | undefined) ?? []
  inquiry.relationships.reports = [...list, { type: report.type, id: report.id }]
  runtime.context.emitEvent({ name: 'report/watchlist.ready', resource: report })
  runtime.context.emitEvent({ name: 'report/watchlist.matched', resource: report })
}

/**
 * Makes an inquiry reach a catalogue scenario's state: the applicant starts and submits (verifications
 * per the plan), the flow completes or fails (or is abandoned, left to expire), the template's
 * decisioning runs, and with `stage: 'final'` a person's review follows. Resumable: a later `final`
 * call after an `intermediate` one applies only what is left.
 */
export function resolveScenario(
  runtime: PersonaRuntime,
  inquiry: StoredResource,
  scenarioId: ScenarioId,
  options: ResolveScenarioOptions = {},
): void {
  const internal = internalOf(inquiry)
  const plan = runtime.settings.scenarioPlans[scenarioId]
  const stage = options.stage ?? 'final'
  if (internal.scenarioProgress === 'none') {
    if (inquiry.attributes['redacted-at'] !== null) throw conflict('Inquiry has been redacted')
    const status = inquiry.attributes.status
    if (status !== 'created' && status !== 'pending') {
      throw conflict(`Inquiry cannot be completed from status ${String(status)}`)
    }
    internal.scenarioId = scenarioId
    startInquiry(runtime, inquiry)
    if (plan.flowOutcome === 'abandoned') {
      internal.scenarioProgress = 'final'
      return
    }
    const applicant = options.applicant ?? applicantFromInquiry(inquiry, scenarioId)
    for (const planned of plan.verifications) {
      createVerification(runtime.context, {
        inquiry,
        kind: planned.kind,
        failedChecks: planned.failedChecks ?? [],
        applicant,
        baseUrl: runtime.baseUrl(),
      })
    }
    const fields = inquiry.attributes.fields as Record<string, InquiryField>
    const fill = (name: string, value: string) => {
      const field = fields[name]
      if (field !== undefined && (field.value === null || field.value === '')) field.value = value
    }
    fill('name-first', applicant.firstName)
    fill('name-last', applicant.lastName)
    fill('birthdate', applicant.dateOfBirth)
    fill('identification-number', applicant.documentNumber)
    if (plan.watchlistMatch) createWatchlistReport(runtime, inquiry, applicant)
    finishFlow(runtime, inquiry, plan.flowOutcome)
    if (plan.decision !== 'none') decideInquiry(runtime, inquiry, plan.decision, 'workflow')
    internal.scenarioProgress = plan.manualDecision === undefined ? 'final' : 'flow-done'
  }
  if (stage === 'final' && internal.scenarioProgress === 'flow-done') {
    if (plan.manualDecision !== undefined) decideInquiry(runtime, inquiry, plan.manualDecision, 'user')
    internal.scenarioProgress = 'final'
  }
}

const redactedInquiryAttributes = ['note', 'reviewer-comment']

/**
 * Redacts an inquiry's personal data (field values, notes) and its verifications' (synchronously here;
 * Persona does children asynchronously), then emits `inquiry.redacted`.
 */
export function redactInquiry(runtime: PersonaRuntime, inquiry: StoredResource): void {
  const now = touch(runtime, inquiry)
  const fields = inquiry.attributes.fields as Record<string, InquiryField>
  for (const field of Object.values(fields)) field.value = null
  for (const key of redactedInquiryAttributes) inquiry.attributes[key] = null
  inquiry.attributes['redacted-at'] = formatTimestamp(now)
  const children = [
    ...((inquiry.relationships.verifications as ResourceIdentifier[] | undefined) ?? []),
    ...((inquiry.relationships.documents as ResourceIdentifier[] | undefined) ?? []),
  ]
  for (const identifier of children) {
    const child = runtime.context.state.find(identifier.id)
    if (child !== undefined) redactVerification(child, now)
  }
  emitInquiryEvent(runtime, inquiry, 'inquiry.redacted')
}
