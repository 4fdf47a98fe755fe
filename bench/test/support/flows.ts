import { isKycError, type Verification } from '@openkyc/core'
import type { Scenario } from '@openkyc/testkit/catalogue'
import type { Capture } from './capture.js'

/** The normalized state the suite compares: everything that decides what an application does next. */
export type VerificationSummary = {
  status: Verification['status']
  outcome: string | undefined
  reasonCodes: string[]
  decidedBy: string | undefined
  checks: string[]
}

/** A verification reduced to {@link VerificationSummary}, order-independent. */
export function summarize(verification: Verification): VerificationSummary {
  return {
    status: verification.status,
    outcome: verification.decision?.outcome,
    reasonCodes: [...new Set(verification.decision?.reasons.map((reason) => reason.code) ?? [])].sort(),
    decidedBy: verification.decision?.decidedBy,
    checks: verification.checks.map((check) => `${check.kind}:${check.outcome}`).sort(),
  }
}

/**
 * Where a verification disagrees with its catalogue scenario's expectation: status, outcome, reason
 * codes (exactly, as a set) and check kinds (at least). `decidedBy` is left to the conformance suite;
 * the soak compares it against a fault-free run of the same adapter instead.
 */
export function catalogueMismatches(verification: Verification, scenario: Scenario): string[] {
  const expected = scenario.expected
  const summary = summarize(verification)
  const problems: string[] = []
  if (summary.status !== expected.status) problems.push(`status ${summary.status} ≠ ${expected.status}`)
  if (summary.outcome !== expected.outcome) problems.push(`outcome ${summary.outcome} ≠ ${expected.outcome}`)
  const expectedCodes = [...new Set(expected.reasonCodes)].sort()
  if (summary.reasonCodes.join() !== expectedCodes.join())
    problems.push(`reasons ${summary.reasonCodes.join()} ≠ ${expectedCodes.join()}`)
  const kinds = new Set(verification.checks.map((check) => check.kind))
  for (const kind of expected.checkKinds) if (!kinds.has(kind)) problems.push(`no ${kind} check`)
  return problems
}

/** How often the application had to repeat a call the adapter gave up on. */
export type RetryTally = { calls: number; repeated: number; gaveUp: number }

/**
 * What an application does with a `KycError` marked `retryable` (provider unavailable, rate limited):
 * it tries the same call again, a bounded number of times. Every error is recorded for the PII scan;
 * anything that is not a retryable `KycError` is rethrown at once.
 */
export async function withApplicationRetries<T>(
  call: () => Promise<T>,
  capture: Capture,
  tally: RetryTally,
  attempts = 10,
): Promise<T> {
  tally.calls += 1
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await call()
    } catch (error) {
      capture.record(error)
      if (!isKycError(error) || !error.retryable || attempt >= attempts) {
        tally.gaveUp += 1
        throw error
      }
      tally.repeated += 1
    }
  }
}

/** Runs `job(index)` for every index in `[0, count)`, `concurrency` at a time. */
export async function runPool(
  count: number,
  concurrency: number,
  job: (index: number) => Promise<void>,
): Promise<void> {
  let next = 0
  const worker = async () => {
    while (next < count) {
      const index = next
      next += 1
      await job(index)
    }
  }
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker))
}
