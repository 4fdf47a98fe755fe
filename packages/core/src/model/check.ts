import { z } from '#zod'
import { lazySchema, resolveSchema } from '../lazy.js'
import type { Decision } from './decision.js'
import { type ReasonCode, ReasonSchema } from './reason.js'

/** What a check looked at. Open to growth; adapters map vendor check names onto these kinds. */
export const CheckKindSchema = lazySchema(() =>
  z.enum([
    'document_quality',
    'document_authenticity',
    'data_extraction',
    'data_consistency',
    'face_match',
    'liveness',
    'watchlist',
    'database',
    'age',
    'authentication',
    'other',
  ]),
)

/** What a check looked at. See {@link CheckKindSchema}. */
export type CheckKind = z.infer<typeof CheckKindSchema>

/** The result of one check. `warning` is neither a pass nor a failure (Jumio's `WARNING`). */
export const CheckOutcomeSchema = lazySchema(() => z.enum(['passed', 'failed', 'warning', 'not_executed']))

/** The result of one check. See {@link CheckOutcomeSchema}. */
export type CheckOutcome = z.infer<typeof CheckOutcomeSchema>

/**
 * Where a check comes from. `reported`: the vendor reported this check and its outcome. `derived`: the
 * vendor reported one decision and no per-check results, and the adapter derived the check from the
 * decision's reason codes (a `face_mismatch` reason becomes a failed `face_match` check). A derived
 * check says no more than the reasons it came from: never read a passed derived check as evidence
 * that the vendor ran it.
 */
export const CheckSourceSchema = lazySchema(() => z.enum(['reported', 'derived']))

/** Where a check comes from. See {@link CheckSourceSchema}. */
export type CheckSource = z.infer<typeof CheckSourceSchema>

/** One check the provider ran, normalized, with the vendor's own name and label kept in `raw`. */
export const CheckSchema = lazySchema(() =>
  z.object({
    kind: resolveSchema(CheckKindSchema),
    outcome: resolveSchema(CheckOutcomeSchema),
    reasons: z.array(resolveSchema(ReasonSchema)).default([]),
    /** Reported by the vendor, or derived by the adapter from the decision. Absent reads as `reported`. */
    source: resolveSchema(CheckSourceSchema).optional(),
    raw: z.object({ name: z.string(), label: z.string().optional() }).catchall(z.unknown()),
  }),
)

/** One check the provider ran. See {@link CheckSchema}. */
export type Check = z.infer<typeof CheckSchema>

/**
 * Where a check comes from, reading an absent `source` as `reported`.
 *
 * @example
 * ```ts
 * const reported = verification.checks.filter((check) => checkSource(check) === 'reported')
 * ```
 */
export function checkSource(check: Pick<Check, 'source'>): CheckSource {
  return check.source ?? 'reported'
}

/**
 * The check kind each reason code speaks about, for adapters that derive checks from a decision.
 * Codes about no particular check (`suspected_fraud`, `restricted_location`, `attempt_limit_reached`,
 * `applicant_abandoned`, `technical_error`, `other`) derive none.
 */
export const reasonCheckKinds: Readonly<Partial<Record<ReasonCode, CheckKind>>> = {
  document_expired: 'data_consistency',
  document_unreadable: 'document_quality',
  document_incomplete: 'document_quality',
  document_damaged: 'document_quality',
  document_unsupported: 'document_authenticity',
  document_tampered: 'document_authenticity',
  face_mismatch: 'face_match',
  repeated_face: 'face_match',
  liveness_failed: 'liveness',
  selfie_unusable: 'liveness',
  data_mismatch: 'data_consistency',
  age_requirement: 'age',
  watchlist_hit: 'watchlist',
  duplicate_identity: 'database',
}

/**
 * Checks derived from a decision, for vendors that report one decision and no per-check results: one
 * check per kind the reasons speak about ({@link reasonCheckKinds}), `failed` when the decision
 * declines and `warning` otherwise, with `source: 'derived'` and the vendor labels in `raw.label`. An
 * approval derives nothing: a derived pass would claim a check the vendor never reported.
 *
 * @example
 * ```ts
 * deriveChecks({ outcome: 'declined', reasons: [{ code: 'face_mismatch', raw: 'FACE_NO_MATCH' }] })
 * // [{ kind: 'face_match', outcome: 'failed', reasons: [...], source: 'derived', raw: { name: 'decision', label: 'FACE_NO_MATCH' } }]
 * ```
 */
export function deriveChecks(decision: Pick<Decision, 'outcome' | 'reasons'>): Check[] {
  if (decision.outcome === 'approved') return []
  const byKind = new Map<CheckKind, Check>()
  for (const reason of decision.reasons) {
    const kind = reasonCheckKinds[reason.code]
    if (kind === undefined) continue
    const check = byKind.get(kind) ?? {
      kind,
      outcome: decision.outcome === 'declined' ? 'failed' : 'warning',
      reasons: [],
      source: 'derived',
      raw: { name: 'decision' },
    }
    check.reasons.push(reason)
    const labels = check.reasons.flatMap((each) => (each.raw === undefined ? [] : [each.raw]))
    if (labels.length > 0) check.raw = { name: 'decision', label: labels.join(',') }
    byKind.set(kind, check)
  }
  return [...byKind.values()]
}
