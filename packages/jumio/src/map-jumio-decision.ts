import type { Check, Decision, DecisionOutcome, Reason } from '@openkyc/core'
import { uniqueReasons } from '@openkyc/core'
import { match } from 'ts-pattern'

/** The overall `decision` object of a retrieval response, as read. */
export type JumioDecisionInput = {
  type?: string | null | undefined
  details?: { label?: string | null | undefined } | null | undefined
  risk?: { score?: number | undefined } | null | undefined
}

/**
 * Jumio's overall `decision.type` → our outcome.
 *
 * | Jumio `decision.type` | outcome |
 * | --- | --- |
 * | `PASSED` (risk 0–30 by default) | `approved` |
 * | `WARNING` (31–70) | `review` |
 * | `REJECTED` (71–100) | `declined` |
 * | `NOT_EXECUTED` (score -1, for example `TECHNICAL_ERROR`) | `review` |
 * | anything else | `review` |
 *
 * A `WARNING` is neither a pass nor a fail: a person should look. Types Jumio adds later go to review
 * too, never to approval.
 *
 * @see Jumio docs "View/Retrieve Workflow Transactions" (DOC) and KYX guide `decision` (G22);
 *   `docs/reference/jumio-api.md` §6 "Overall decision"
 */
export function mapJumioDecisionOutcome(
  type: string | null | undefined,
): Exclude<DecisionOutcome, 'resubmission_requested'> {
  return match(type ?? '')
    .returnType<Exclude<DecisionOutcome, 'resubmission_requested'>>()
    .with('PASSED', () => 'approved')
    .with('REJECTED', () => 'declined')
    .with('WARNING', () => 'review')
    .with('NOT_EXECUTED', () => 'review')
    .otherwise(() => 'review')
}

/**
 * The decision implied by the capabilities when Jumio returned no overall `decision` (older
 * tenants, G23): any rejected capability declines, any warning asks for review, all passed approves.
 */
function impliedDecisionType(checks: readonly Check[]): string {
  if (checks.some((check) => check.outcome === 'failed')) return 'REJECTED'
  if (checks.some((check) => check.outcome === 'warning')) return 'WARNING'
  if (checks.length > 0 && checks.every((check) => check.outcome === 'passed')) return 'PASSED'
  return 'NOT_EXECUTED'
}

/**
 * The normalized {@link Decision} of a processed workflow execution. Reasons come from the checks that
 * explain the outcome: the failed ones for a decline, the warnings and failures for a review. When no
 * capability explains it: `age_requirement` when the age read from the document is under `minimumAge`
 * (a tenant's age rule leaves no capability label, UNCERTAIN), else the overall label itself
 * (`TECHNICAL_ERROR` → `technical_error`, anything else → `other`).
 */
export function mapJumioDecision(options: {
  decision: JumioDecisionInput | null | undefined
  checks: readonly Check[]
  decidedAt?: string | undefined
  /** The applicant's age read from the document, when extraction ran. Never copied into the decision. */
  age?: number | undefined
  /** The age under which an otherwise unexplained rejection is read as `age_requirement`; `false` never. */
  minimumAge?: number | false | undefined
  /** Read an approval over failed or warning capabilities as a person's decision (default true). */
  detectManualDecisions?: boolean | undefined
}): Decision {
  const type = options.decision?.type ?? impliedDecisionType(options.checks)
  const label = options.decision?.details?.label ?? type
  const outcome = mapJumioDecisionOutcome(type)
  const reasonsOf = (outcomes: readonly Check['outcome'][]) =>
    options.checks.filter((check) => outcomes.includes(check.outcome)).flatMap((check) => check.reasons)
  const explained = match(outcome)
    .returnType<Reason[]>()
    .with('approved', () => [])
    .with('declined', () => {
      const failed = reasonsOf(['failed'])
      return failed.length > 0 ? failed : reasonsOf(['warning'])
    })
    .with('review', () => reasonsOf(['warning', 'failed']))
    .exhaustive()
  const underage =
    typeof options.minimumAge === 'number' && options.age !== undefined && options.age < options.minimumAge
  const reasons: Reason[] =
    outcome === 'approved' || explained.length > 0
      ? uniqueReasons(explained)
      : underage
        ? // Jumio shows no capability label for a tenant's age rule; the age it read is the explanation.
          [{ code: 'age_requirement' }]
        : [{ code: label === 'TECHNICAL_ERROR' ? 'technical_error' : 'other', raw: label }]
  const score = options.decision?.risk?.score
  // Jumio derives its decision from the capabilities; an approval over a capability that warned or
  // failed is an override, which only a person makes (Jumio documents no field for it, UNCERTAIN).
  const overridden =
    outcome === 'approved' &&
    options.decision !== null &&
    options.decision !== undefined &&
    options.checks.some((check) => check.outcome === 'warning' || check.outcome === 'failed')
  const manual = overridden && options.detectManualDecisions !== false
  return {
    outcome,
    reasons,
    ...(score !== undefined && score >= 0 && score <= 100 ? { riskScore: score } : {}),
    decidedBy: manual ? 'manual' : 'provider',
    ...(options.decidedAt === undefined ? {} : { decidedAt: options.decidedAt }),
    raw: {
      status: type,
      label,
      ...(score === undefined ? {} : { riskScore: score }),
      ...(options.decision === null || options.decision === undefined ? { implied: true } : {}),
      ...(overridden ? { overridesCapabilities: true } : {}),
    },
  }
}
