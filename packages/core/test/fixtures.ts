import fc from 'fast-check'
import type {
  Decision,
  IdentityData,
  KycStore,
  KycStoreTransaction,
  Verification,
  VerificationStatus,
} from '../src/index.js'

/** Recognisable personal data and secrets, seeded into inputs so tests can assert they never leak. */
export const seededPii = {
  firstName: 'Wilhelmina',
  lastName: 'Quarterbridge',
  dateOfBirth: '1987-03-14',
  documentNumber: 'X9K4471203',
  apiKey: 'persona_sandbox_7f3c9e1ab2d44c0f9a6b',
  webhookSecret: 'wbhsec_9b1d7a3c5e2f4a6b8c0d',
} as const

/** Every seeded value, for `not.toContain` sweeps. */
export const seededPiiValues: readonly string[] = Object.values(seededPii)

/** Identity data built from the seeded personal data. */
export const seededIdentity: IdentityData = {
  firstName: seededPii.firstName,
  lastName: seededPii.lastName,
  dateOfBirth: seededPii.dateOfBirth,
  documentNumber: seededPii.documentNumber,
  documentType: 'passport',
  issuingCountry: 'DE',
}

/** How a generated lifecycle ends. */
type Ending =
  | { kind: 'open' }
  | { kind: 'decided'; outcome: 'approved' | 'declined' }
  | { kind: 'review'; manual: 'approved' | 'declined' | undefined }
  | { kind: 'expired' }
  | { kind: 'cancelled' }

type Step = { status: VerificationStatus; attempt: number; decision?: Decision; redacted?: boolean }

const startedAt = Date.parse('2025-06-01T08:00:00.000Z')

function decision(outcome: Decision['outcome'], decidedBy: Decision['decidedBy'], attempt: number): Decision {
  const reasons: Decision['reasons'] =
    outcome === 'declined'
      ? [{ code: 'face_mismatch' }]
      : outcome === 'resubmission_requested'
        ? [{ code: 'document_unreadable' }]
        : []
  return { outcome, reasons, decidedBy, attempt, raw: { status: outcome } }
}

/**
 * A valid forward sequence of states for one verification: statuses only move forward
 * (created → in_progress → submitted → completed, with `review` then a manual decision, or an early
 * expiry or cancellation), `updatedAt` strictly increases, optional same-status updates in between,
 * up to two resubmission requests (each opens the next attempt: `in_progress` with the request, then
 * `submitted` again), an optional redaction at the end. Identity appears once evidence is submitted and stays the same.
 */
export const forwardSequenceArbitrary: fc.Arbitrary<Verification[]> = fc
  .record({
    inProgress: fc.boolean(),
    submitted: fc.boolean(),
    resubmissions: fc.nat({ max: 2 }),
    repeats: fc.array(fc.nat({ max: 2 }), { minLength: 3, maxLength: 3 }),
    ending: fc.oneof(
      fc.constant<Ending>({ kind: 'open' }),
      fc
        .constantFrom<'approved' | 'declined'>('approved', 'declined')
        .map<Ending>((outcome) => ({ kind: 'decided', outcome })),
      fc
        .constantFrom<'approved' | 'declined' | undefined>('approved', 'declined', undefined)
        .map<Ending>((manual) => ({ kind: 'review', manual })),
      fc.constant<Ending>({ kind: 'expired' }),
      fc.constant<Ending>({ kind: 'cancelled' }),
    ),
    redacted: fc.boolean(),
    gaps: fc.array(fc.integer({ min: 1, max: 3 * 24 * 60 * 60 * 1000 }), { minLength: 16, maxLength: 16 }),
  })
  .map(({ inProgress, submitted, resubmissions, repeats, ending, redacted, gaps }) => {
    const steps: Step[] = []
    let attempt = 1
    const stage = (status: VerificationStatus, repeat: number) => {
      for (let index = 0; index <= repeat; index++) steps.push({ status, attempt })
    }
    stage('created', repeats[0]!)
    if (inProgress) stage('in_progress', repeats[1]!)
    if (submitted) stage('submitted', repeats[2]!)
    for (let round = 0; round < resubmissions; round++) {
      const request = decision('resubmission_requested', 'provider', attempt)
      attempt += 1
      steps.push({ status: 'in_progress', attempt, decision: request })
      steps.push({ status: 'submitted', attempt })
    }
    if (ending.kind === 'decided')
      steps.push({ status: 'completed', attempt, decision: decision(ending.outcome, 'provider', attempt) })
    if (ending.kind === 'review') {
      steps.push({ status: 'completed', attempt, decision: decision('review', 'provider', attempt) })
      if (ending.manual !== undefined)
        steps.push({ status: 'completed', attempt, decision: decision(ending.manual, 'manual', attempt) })
    }
    if (ending.kind === 'expired' || ending.kind === 'cancelled') steps.push({ status: ending.kind, attempt })
    if (redacted) steps.push({ ...steps.at(-1)!, redacted: true })

    let time = startedAt
    let hasEvidence = false
    let completedAt: string | undefined
    let redactedAt: string | undefined
    return steps.map((step, index): Verification => {
      time += gaps[index]!
      const updatedAt = new Date(time).toISOString()
      if (step.status === 'submitted' || step.status === 'completed') hasEvidence = true
      if (step.status === 'completed' && completedAt === undefined) completedAt = updatedAt
      if (step.redacted) redactedAt = updatedAt
      const verification: Verification = {
        id: 'inq_generated',
        provider: 'acme',
        reference: { inquiryId: 'inq_generated' },
        subjectReference: 'user_42',
        status: step.status,
        checks:
          index === 0
            ? []
            : [{ kind: 'liveness', outcome: 'passed', reasons: [], raw: { name: `check_${index}` } }],
        credentials: hasEvidence && redactedAt === undefined ? [{ kind: 'selfie', parts: ['face'] }] : [],
        createdAt: new Date(startedAt).toISOString(),
        updatedAt,
        raw: { status: step.status, sequence: index },
      }
      if (step.attempt > 1) verification.attempt = step.attempt
      if (step.decision) verification.decision = step.decision
      if (completedAt !== undefined && step.status === 'completed') verification.completedAt = completedAt
      if (redactedAt !== undefined) verification.redactedAt = redactedAt
      else {
        verification.session = { url: 'https://verify.example.test/session' }
        if (hasEvidence) verification.identity = seededIdentity
      }
      return verification
    })
  })

/** The personal-data-free view an event carries. */
export function toEventView(verification: Verification): Omit<Verification, 'identity' | 'session'> {
  const { identity: _identity, session: _session, ...view } = verification
  return view
}

/**
 * `store` with some methods of every transaction replaced, to make one step fail, hang or be observed:
 * `override(transaction)` returns the replacements, which may call the originals on `transaction`.
 */
export function withTransactionMethods<Store extends KycStore<undefined>>(
  store: Store,
  override: (transaction: KycStoreTransaction<undefined>) => Partial<KycStoreTransaction<undefined>>,
): Store {
  return {
    ...store,
    transaction: (work, options) =>
      store.transaction((transaction) => work({ ...transaction, ...override(transaction) }), options),
  }
}
