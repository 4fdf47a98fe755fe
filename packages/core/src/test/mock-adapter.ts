import type {
  CreateVerificationOptions,
  ImportListItemsOptions,
  KycAdapter,
  KycAdapterCoverage,
  KycCapabilities,
  KycCapabilityMethod,
  SimulatedOutcome,
} from '../adapter.js'
import { capabilityMethods, kycCapabilities } from '../adapter.js'
import { KycInvalidRequestError, KycNotFoundError } from '../errors.js'
import type { Decision } from '../model/decision.js'
import { type KycEvent, KycEventSchema } from '../model/event.js'
import type { VerificationStatus } from '../model/status.js'
import type { Verification, VerificationReference } from '../model/verification.js'
import { assertClock } from '../setting-checks.js'
import { signTimestampedPayload, verifyTimestampedSignature } from '../webhook/hmac.js'

/** Every method a mock adapter can answer. */
export type MockAdapterMethod =
  | 'createVerification'
  | 'getVerification'
  | 'parseWebhook'
  | KycCapabilityMethod

type AdapterMethods = Required<Pick<KycAdapter, MockAdapterMethod>>

/** The options a method is called with. */
export type MockAdapterOptionsOf<Method extends MockAdapterMethod> = Parameters<AdapterMethods[Method]>[0]

/** What a method resolves to. */
export type MockAdapterResultOf<Method extends MockAdapterMethod> = Awaited<
  ReturnType<AdapterMethods[Method]>
>

/**
 * How a mocked method answers: one fixed result for every call; a sequence (an array: one result
 * per call, the last one repeated; for `parseWebhook`, an array of event arrays); or a function of
 * the call's options and its zero-based index, which may also throw to simulate a failure.
 */
export type MockAnswer<Method extends MockAdapterMethod> =
  | MockAdapterResultOf<Method>
  | readonly MockAdapterResultOf<Method>[]
  | ((
      options: MockAdapterOptionsOf<Method>,
      callIndex: number,
    ) => MockAdapterResultOf<Method> | Promise<MockAdapterResultOf<Method>>)

/** Answers per method; methods without one use the mock's built-in, stateful behaviour. */
export type MockAdapterResults = { [Method in MockAdapterMethod]?: MockAnswer<Method> }

/** One recorded call. */
export type MockAdapterCall = {
  [Method in MockAdapterMethod]: { method: Method; options: MockAdapterOptionsOf<Method> }
}[MockAdapterMethod]

/** Options for {@link createMockAdapter}. */
export type MockAdapterOptions = {
  /** The provider name. Default `mock`. */
  provider?: string
  /** Capabilities to declare; unlisted ones are declared. Undeclared capabilities have no method at all. */
  capabilities?: Partial<KycCapabilities>
  /** What the mock declares it cannot take (`KycAdapter.coverage`). Default: nothing declared. */
  coverage?: KycAdapterCoverage
  /** Fixed answers, sequences or functions per method. */
  results?: MockAdapterResults
  /**
   * When set, `parseWebhook` requires a valid `x-mock-signature` header (`t=…,v1=…`, HMAC-SHA256
   * as Persona signs) and throws `KycWebhookVerificationError` otherwise.
   */
  webhookSecret?: string
  /** The current time in milliseconds, for timestamps and signatures. Default `Date.now`. */
  now?: () => number
}

/** A signed (when a secret is set) webhook delivery, ready for `pipeline.handle`. */
export type MockWebhookDelivery = { rawBody: string; headers: Record<string, string> }

/** A {@link KycAdapter} for tests, which records every call. */
export type MockKycAdapter = KycAdapter & {
  /** Every call made to the adapter, in order, with its options. */
  readonly calls: readonly MockAdapterCall[]
  /** Forgets the recorded calls. */
  clearCalls(): void
  /** Serializes events into a delivery that this adapter's default `parseWebhook` accepts. */
  createWebhookDelivery(events: readonly KycEvent[]): MockWebhookDelivery
}

/** The header the mock adapter signs webhook deliveries with. */
export const mockSignatureHeader = 'x-mock-signature'

/**
 * A complete, valid verification for tests, with sensible defaults you override as needed.
 *
 * @example
 * ```ts
 * const approved = createMockVerification({
 *   status: 'completed',
 *   decision: { outcome: 'approved', reasons: [], decidedBy: 'provider', raw: { status: 'approved' } },
 * })
 * ```
 */
export function createMockVerification(overrides: Partial<Verification> = {}): Verification {
  const id = overrides.id ?? 'mock_verification_1'
  const timestamp = new Date(0).toISOString()
  return {
    id,
    provider: 'mock',
    reference: { verificationId: id },
    status: 'created',
    checks: [],
    credentials: [],
    createdAt: timestamp,
    updatedAt: timestamp,
    raw: { status: overrides.status ?? 'created' },
    ...overrides,
  }
}

/** The status each non-decision sandbox outcome moves a verification to. */
const simulatedStatus: Record<Exclude<SimulatedOutcome, Decision['outcome']>, VerificationStatus> = {
  started: 'in_progress',
  submitted: 'submitted',
  expired: 'expired',
}

function isSequence(method: MockAdapterMethod, answer: unknown): answer is readonly unknown[] {
  if (!Array.isArray(answer)) return false
  if (method !== 'parseWebhook') return true
  return answer.length > 0 && answer.every((item) => Array.isArray(item))
}

/**
 * A mock adapter for application tests: no network, deterministic, and it records every call in
 * `adapter.calls`. Out of the box it is stateful (created verifications can be read, reviewed,
 * cancelled, simulated, redacted) and declares every capability; give `results` to answer with fixed
 * values, sequences or functions, and `capabilities` to take some away (their methods then do not
 * exist, as on a real adapter without them).
 *
 * @example
 * ```ts
 * import { createKyc } from '@openkyc/core'
 * import { createMockAdapter, createMockVerification } from '@openkyc/core/test'
 *
 * const mock = createMockAdapter({
 *   capabilities: { lists: false },
 *   results: {
 *     getVerification: [
 *       createMockVerification({ status: 'submitted' }),
 *       createMockVerification({ status: 'completed', decision: { outcome: 'approved', reasons: [], decidedBy: 'provider', raw: { status: 'approved' } } }),
 *     ],
 *   },
 * })
 * const kyc = createKyc({ adapters: { mock } })
 * await kyc.getVerification({ reference: { verificationId: 'mock_verification_1' } }) // submitted
 * expect(mock.calls.map((call) => call.method)).toEqual(['getVerification'])
 * ```
 */
export function createMockAdapter(options: MockAdapterOptions = {}): MockKycAdapter {
  const provider = options.provider ?? 'mock'
  assertClock(options.now, { provider, setting: 'now' })
  const now = options.now ?? Date.now
  const capabilities = Object.fromEntries(
    kycCapabilities.map((capability) => [capability, options.capabilities?.[capability] ?? true]),
  ) as KycCapabilities
  const results: MockAdapterResults = options.results ?? {}
  const calls: MockAdapterCall[] = []
  const callCounts = new Map<MockAdapterMethod, number>()
  const verifications = new Map<string, Verification>()
  let sequence = 0
  const nextId = (prefix: string) => `mock_${prefix}_${++sequence}`
  const timestamp = () => new Date(now()).toISOString()

  for (const [method, answer] of Object.entries(results)) {
    if (isSequence(method as MockAdapterMethod, answer) && answer.length === 0) {
      throw new TypeError(`createMockAdapter: results.${method} is an empty sequence`)
    }
  }

  const find = (reference: VerificationReference): Verification => {
    const id = reference.verificationId ?? ''
    const verification = verifications.get(id)
    if (verification === undefined) {
      throw new KycNotFoundError({
        provider,
        status: 404,
        message: `The ${provider} verification was not found.`,
      })
    }
    return verification
  }

  const update = (reference: VerificationReference, changes: Partial<Verification>): Verification => {
    const next: Verification = { ...find(reference), ...changes, updatedAt: timestamp() }
    if (changes.status !== undefined) next.raw = { ...next.raw, status: changes.status }
    verifications.set(next.id, next)
    return structuredClone(next)
  }

  const complete = (reference: VerificationReference, decision: Omit<Decision, 'raw' | 'reasons'>) =>
    update(reference, {
      status: 'completed',
      completedAt: timestamp(),
      decision: { reasons: [], ...decision, decidedAt: timestamp(), raw: { status: decision.outcome } },
    })

  const countCsvRows = async (csv: ImportListItemsOptions['csv']): Promise<number> => {
    let text = ''
    const decoder = new TextDecoder()
    if (typeof csv === 'string') text = csv
    else if (csv instanceof Uint8Array) text = decoder.decode(csv)
    else if (csv instanceof ReadableStream) text = await new Response(csv).text()
    else for await (const chunk of csv) text += typeof chunk === 'string' ? chunk : decoder.decode(chunk)
    return Math.max(0, text.split(/\r?\n/).filter((line) => line.trim().length > 0).length - 1)
  }

  const defaults: AdapterMethods = {
    async createVerification(call: CreateVerificationOptions) {
      const id = nextId('verification')
      const createdAt = timestamp()
      const verification: Verification = {
        id,
        provider,
        reference: { verificationId: id },
        subjectReference: call.subjectReference,
        status: 'created',
        checks: [],
        credentials: [],
        ...(call.channel === 'api' ? {} : { session: { url: `https://mock.openkyc.invalid/verify/${id}` } }),
        createdAt,
        updatedAt: createdAt,
        raw: { status: 'created' },
      }
      verifications.set(id, verification)
      return { verification: structuredClone(verification) }
    },
    async getVerification(call) {
      return structuredClone(find(call.reference))
    },
    async parseWebhook(call) {
      if (options.webhookSecret !== undefined) {
        await verifyTimestampedSignature({
          header: call.headers.get(mockSignatureHeader),
          rawBody: call.rawBody,
          secrets: [options.webhookSecret],
          now,
        })
      }
      const text = typeof call.rawBody === 'string' ? call.rawBody : new TextDecoder().decode(call.rawBody)
      let body: unknown
      try {
        body = JSON.parse(text)
      } catch {
        throw new KycInvalidRequestError({ provider, message: 'The mock webhook body is not JSON.' })
      }
      const list = Array.isArray(body) ? body : [body]
      const parsed = KycEventSchema.array().safeParse(list)
      if (!parsed.success) {
        throw new KycInvalidRequestError({
          provider,
          message: 'The mock webhook body is not a list of KycEvents.',
          issues: parsed.error.issues,
        })
      }
      return parsed.data
    },
    async uploadCredential(call) {
      const current = find(call.reference)
      const credential =
        call.kind === 'personal_data'
          ? { kind: call.kind, parts: ['data' as const] }
          : {
              kind: call.kind,
              parts: [call.part],
              ...(call.documentType === undefined ? {} : { documentType: call.documentType }),
              ...(call.country === undefined ? {} : { issuingCountry: call.country }),
            }
      update(call.reference, {
        status: current.status === 'created' ? 'in_progress' : current.status,
        credentials: [...current.credentials, credential],
      })
    },
    async submitVerification(call) {
      return update(call.reference, { status: 'submitted' })
    },
    async createSessionLink(call) {
      const verification = find(call.reference)
      return {
        url: `https://mock.openkyc.invalid/verify/${verification.id}?link=${nextId('link')}`,
        expiresAt: new Date(now() + (call.expiresInSeconds ?? 3600) * 1000).toISOString(),
      }
    },
    async cancelVerification(call) {
      return update(call.reference, { status: 'cancelled' })
    },
    async reviewVerification(call) {
      const outcome = ({ approve: 'approved', decline: 'declined', mark_for_review: 'review' } as const)[
        call.action
      ]
      return complete(call.reference, { outcome, decidedBy: 'manual' })
    },
    async deleteVerificationData(call) {
      const { identity: _identity, session: _session, ...rest } = find(call.reference)
      const redactedAt = timestamp()
      verifications.set(rest.id, { ...rest, credentials: [], redactedAt, updatedAt: redactedAt })
    },
    async simulateVerification(call) {
      if (call.outcome === 'approved' || call.outcome === 'declined' || call.outcome === 'review') {
        return complete(call.reference, { outcome: call.outcome, decidedBy: 'provider' })
      }
      return update(call.reference, { status: simulatedStatus[call.outcome] })
    },
    async createList(call) {
      return { id: nextId('list'), kind: call.kind, name: call.name, archived: false }
    },
    async addListItems() {},
    async importListItems(call) {
      const rows = await countCsvRows(call.csv)
      call.onProgress?.({ bytesSent: 0, rowsSent: rows })
      return {
        id: nextId('import'),
        status: 'ready',
        successfulCount: rows,
        errorCount: 0,
        duplicateCount: 0,
      }
    },
    async createCase(call) {
      return {
        id: nextId('case'),
        status: 'open',
        verificationIds: (call.verifications ?? []).map((reference) => reference.verificationId ?? ''),
      }
    },
    async setCaseStatus(call) {
      return { id: call.caseId, status: call.status, verificationIds: [] }
    },
    async assignCase(call) {
      return { id: call.caseId, status: 'open', assignee: call.assignee, verificationIds: [] }
    },
  }

  const answer = async (method: MockAdapterMethod, callOptions: unknown): Promise<unknown> => {
    calls.push({ method, options: callOptions } as MockAdapterCall)
    const index = callCounts.get(method) ?? 0
    callCounts.set(method, index + 1)
    const configured: unknown = results[method]
    if (configured === undefined) {
      return (defaults[method] as (options: unknown) => Promise<unknown>)(callOptions)
    }
    if (typeof configured === 'function') return configured(callOptions, index)
    if (isSequence(method, configured)) return configured[Math.min(index, configured.length - 1)]
    return configured
  }

  const adapter: Record<string, unknown> = {
    specificationVersion: 'v1',
    provider,
    capabilities,
    ...(options.coverage === undefined ? {} : { coverage: options.coverage }),
    calls,
    clearCalls() {
      calls.length = 0
      callCounts.clear()
    },
    createWebhookDelivery(events: readonly KycEvent[]): MockWebhookDelivery {
      const rawBody = JSON.stringify(events)
      const headers: Record<string, string> = { 'content-type': 'application/json' }
      if (options.webhookSecret !== undefined) {
        headers[mockSignatureHeader] = signTimestampedPayload({
          rawBody,
          secrets: options.webhookSecret,
          now,
        })
      }
      return { rawBody, headers }
    },
  }
  const methods: MockAdapterMethod[] = [
    'createVerification',
    'getVerification',
    'parseWebhook',
    ...kycCapabilities.filter((capability) => capabilities[capability]).flatMap((c) => capabilityMethods[c]),
  ]
  for (const method of methods) {
    adapter[method] = (callOptions: unknown) => answer(method, callOptions)
  }
  return adapter as MockKycAdapter
}
