import {
  enforceCapabilities,
  isKycError,
  type KycAdapter,
  type KycCapability,
  type KycErrorCode,
  kycCapabilities,
  type VerificationReference,
} from '@openkyc/core'

/**
 * The read-only, non-destructive part of the adapter conformance suite, as plain async functions
 * (no test runner needed): nothing here creates, submits, reviews, cancels or deletes anything at
 * the vendor, so it may run against a vendor's real sandbox. The vitest suite
 * (`describeAdapterConformance`) runs the checks it shares with this list through these functions;
 * `openkyc conformance` runs them all.
 *
 * Imported from `@openkyc/testkit/read-only-conformance`, which does not load vitest.
 */

/** What the read-only checks run against. */
export type ReadOnlyConformanceSubject = {
  /** The adapter under test, as its factory built it (capabilities not yet enforced). */
  adapter: KycAdapter
  /** How many requests the adapter has sent to the vendor so far (an undeclared capability sends none). */
  requestCount: () => number
  /**
   * A reference no verification has, in the vendor's format. When given, the `read-unknown` check
   * reads it and expects `not_found`.
   */
  absentReference?: VerificationReference
  /**
   * The credentials the adapter was configured with. When given, the last check (`no-secrets`)
   * searches every error the other checks saw for them.
   */
  secrets?: readonly string[]
}

/**
 * One named read-only check: `run` resolves when the adapter conforms and rejects with why not;
 * `description` says what conforming means, in one line.
 */
export type ReadOnlyConformanceCheck = { name: string; description: string; run: () => Promise<void> }

/** A read-only check found the adapter does not conform. The message names what, never a secret. */
export class ConformanceCheckFailure extends Error {
  override name = 'ConformanceCheckFailure'
}

/** The names of the read-only checks that are also tests of `describeAdapterConformance` (same ids). */
export function readOnlySuiteCheckNames(capabilities: KycAdapter['capabilities']): string[] {
  return [
    'interface',
    ...kycCapabilities
      .filter((capability) => capabilities[capability] !== true)
      .map((capability) => `capability.${capability}.undeclared`),
  ]
}

const neverSent: VerificationReference = { id: 'conformance-never-sent' }

/** Every method of each optional capability, called with harmless arguments. */
const capabilityCalls: Record<
  KycCapability,
  (adapter: ReturnType<typeof enforceCapabilities>) => Array<() => Promise<unknown>>
> = {
  upload: (adapter) => [
    () => adapter.uploadCredential({ reference: neverSent, kind: 'personal_data', data: {} }),
    () => adapter.submitVerification({ reference: neverSent }),
  ],
  sessionLink: (adapter) => [() => adapter.createSessionLink({ reference: neverSent })],
  cancel: (adapter) => [() => adapter.cancelVerification({ reference: neverSent })],
  manualReview: (adapter) => [() => adapter.reviewVerification({ reference: neverSent, action: 'approve' })],
  deleteData: (adapter) => [() => adapter.deleteVerificationData({ reference: neverSent })],
  simulate: (adapter) => [() => adapter.simulateVerification({ reference: neverSent, outcome: 'approved' })],
  lists: (adapter) => [
    () => adapter.createList({ kind: 'name', name: 'never' }),
    () => adapter.addListItems({ listId: 'never', items: [] }),
    () => adapter.importListItems({ listId: 'never', csv: '' }),
  ],
  cases: (adapter) => [
    () => adapter.createCase({}),
    () => adapter.setCaseStatus({ caseId: 'never', status: 'open' }),
    () => adapter.assignCase({ caseId: 'never', assignee: 'never' }),
  ],
}

/** Settles to what `work` threw, or `undefined` when it resolved. */
async function thrownBy(work: () => Promise<unknown>): Promise<unknown> {
  try {
    await work()
    return undefined
  } catch (error) {
    return error
  }
}

/** Throws a {@link ConformanceCheckFailure} unless `error` is a `KycError` of one of `codes`. */
function requireCode(error: unknown, codes: readonly KycErrorCode[], what: string): void {
  if (error === undefined) throw new ConformanceCheckFailure(`${what}: it succeeded`)
  if (!isKycError(error))
    throw new ConformanceCheckFailure(
      `${what}: it threw ${error instanceof Error ? error.name : 'a non-error'}, not a KycError`,
    )
  if (!codes.includes(error.code))
    throw new ConformanceCheckFailure(`${what}: it threw ${error.code}, expected ${codes.join(' or ')}`)
}

/**
 * The read-only conformance checks for one adapter, in the order to run them (`no-secrets` last:
 * it searches the errors the others saw).
 *
 * @example
 * ```ts
 * const checks = readOnlyConformanceChecks({ adapter, requestCount: () => requests })
 * for (const check of checks) {
 *   const problem = await check.run().then(() => undefined, (error: Error) => error.message)
 *   console.log(problem === undefined ? `ok ${check.name}` : `problem ${check.name}: ${problem}`)
 * }
 * ```
 */
export function readOnlyConformanceChecks(subject: ReadOnlyConformanceSubject): ReadOnlyConformanceCheck[] {
  const { adapter, requestCount, absentReference, secrets } = subject
  const errors: unknown[] = []
  const checks: ReadOnlyConformanceCheck[] = [
    {
      name: 'interface',
      description: 'speaks specification v1 and has a method for every declared capability',
      async run() {
        if (adapter.specificationVersion !== 'v1')
          throw new ConformanceCheckFailure(
            `specification ${String(adapter.specificationVersion)}, expected v1`,
          )
        if (!/^[a-z][a-z0-9-]*$/.test(adapter.provider))
          throw new ConformanceCheckFailure('the provider name is not lower-case kebab')
        for (const capability of kycCapabilities)
          if (typeof adapter.capabilities[capability] !== 'boolean')
            throw new ConformanceCheckFailure(`capability ${capability} is not declared true or false`)
        const error = await thrownBy(async () => enforceCapabilities(adapter))
        errors.push(error)
        if (error !== undefined)
          throw new ConformanceCheckFailure(
            'a declared capability has no method, or the specification is not v1',
          )
      },
    },
  ]
  for (const capability of kycCapabilities) {
    if (adapter.capabilities[capability] === true) continue
    checks.push({
      name: `capability.${capability}.undeclared`,
      description: `${capability} is not declared: refused with KycUnsupportedCapabilityError before any request`,
      async run() {
        const enforced = enforceCapabilities(adapter)
        const before = requestCount()
        for (const call of capabilityCalls[capability](enforced)) {
          const error = await thrownBy(call)
          errors.push(error)
          requireCode(error, ['unsupported_capability'], `${capability} (not declared)`)
          if ((error as { capability?: unknown }).capability !== capability)
            throw new ConformanceCheckFailure(`${capability}: the error names another capability`)
        }
        if (requestCount() !== before)
          throw new ConformanceCheckFailure(`${capability} is not declared, yet a request was sent`)
      },
    })
  }
  if (absentReference !== undefined)
    checks.push({
      name: 'read-unknown',
      description: 'reading a verification that does not exist is KycNotFoundError',
      async run() {
        const error = await thrownBy(() => adapter.getVerification({ reference: absentReference }))
        errors.push(error)
        requireCode(error, ['not_found'], 'reading a verification that does not exist')
      },
    })
  checks.push({
    name: 'webhook-forged',
    description: 'a forged webhook is refused with a typed error',
    async run() {
      const error = await thrownBy(() =>
        adapter.parseWebhook({
          headers: new Headers({
            'content-type': 'application/json',
            'persona-signature': 't=1,v1=00',
            'x-sha2-signature': '00',
          }),
          rawBody: '{"data":{"type":"event","id":"evt_forged","attributes":{"name":"inquiry.approved"}}}',
        }),
      )
      errors.push(error)
      requireCode(error, ['webhook_verification', 'invalid_request'], 'a forged webhook')
    },
  })
  if (secrets !== undefined)
    checks.push({
      name: 'no-secrets',
      description: 'no error message holds a credential',
      async run() {
        const leaked = errors.some(
          (error) =>
            error instanceof Error &&
            secrets.some((secret) =>
              `${error.message}${error.stack ?? ''}${JSON.stringify(error)}`.includes(secret),
            ),
        )
        if (leaked) throw new ConformanceCheckFailure('an error message holds a credential')
      },
    })
  return checks
}
