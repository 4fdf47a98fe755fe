import { z } from '#zod'
import { KycInvalidRequestError } from '../errors.js'
import { lazySchema, resolveSchema } from '../lazy.js'
import { DecisionOutcomeSchema } from '../model/decision.js'
import { VerificationStatusSchema } from '../model/status.js'
import type { Verification } from '../model/verification.js'
import type { VerificationKey, VerificationQuery } from './types.js'
import { describeIssuePaths } from './validate.js'

/**
 * The schema of a {@link VerificationQuery}, strict: a misspelt filter is refused instead of
 * silently matching everything (an erasure that "finds" every subject's verifications).
 */
export const VerificationQuerySchema = lazySchema(() => {
  const identifier = z.string().min(1).max(200)
  return z.strictObject({
    provider: identifier.optional(),
    subjectReference: identifier.optional(),
    statuses: z.array(resolveSchema(VerificationStatusSchema)).min(1).optional(),
    outcomes: z.array(resolveSchema(DecisionOutcomeSchema)).min(1).optional(),
    redacted: z.boolean().optional(),
    unchangedForMs: z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER).optional(),
    settledBefore: z.iso.datetime({ offset: true }).optional(),
    after: z.strictObject({ provider: identifier, id: identifier }).optional(),
    limit: z.number().int().min(1).max(1000),
  })
})

/**
 * Validates a query given to `verifications.find`. Throws `KycInvalidRequestError` naming the
 * offending fields (never their values); stores call it before querying.
 */
export function parseVerificationQuery(query: unknown): VerificationQuery {
  const parsed = VerificationQuerySchema.safeParse(query)
  if (parsed.success) return parsed.data
  throw new KycInvalidRequestError({
    message: `Invalid verification query: ${describeIssuePaths(parsed.error.issues)} (limit is an integer from 1 to 1,000; statuses and outcomes need at least one value).`,
    issues: parsed.error.issues,
  })
}

/**
 * Orders two verification keys as `find` pages through them: by provider, then id, in code-unit order
 * (as JavaScript's `<` compares strings; PostgreSQL's `COLLATE "C"` for ASCII ids).
 */
export function compareVerificationKeys(a: VerificationKey, b: VerificationKey): number {
  if (a.provider !== b.provider) return a.provider < b.provider ? -1 : 1
  if (a.id !== b.id) return a.id < b.id ? -1 : 1
  return 0
}

/**
 * The fields of a verification {@link matchesVerificationQuery} reads: a whole `Verification` will
 * do, and so will a store's small index of each stored state.
 */
export type VerificationQueryFields = Pick<
  Verification,
  'provider' | 'id' | 'subjectReference' | 'status' | 'redactedAt' | 'completedAt' | 'updatedAt'
> & { decision?: Pick<NonNullable<Verification['decision']>, 'outcome'> }

/**
 * Whether a stored verification matches `query` (a parsed {@link VerificationQuery}), for stores that
 * filter in JavaScript. `unchangedForMs` compares `storedAtMs` (when the store last moved the state)
 * with `nowMs`, both on the store's clock. `after` and `limit` are the caller's to apply.
 */
export function matchesVerificationQuery(
  verification: VerificationQueryFields,
  storedAtMs: number,
  nowMs: number,
  query: VerificationQuery,
): boolean {
  if (query.provider !== undefined && verification.provider !== query.provider) return false
  if (query.subjectReference !== undefined && verification.subjectReference !== query.subjectReference)
    return false
  if (query.statuses !== undefined && !query.statuses.includes(verification.status)) return false
  if (query.outcomes !== undefined) {
    const outcome = verification.decision?.outcome
    if (outcome === undefined || !query.outcomes.includes(outcome)) return false
  }
  if (query.redacted !== undefined && (verification.redactedAt !== undefined) !== query.redacted) return false
  if (query.unchangedForMs !== undefined && nowMs - storedAtMs < query.unchangedForMs) return false
  if (query.settledBefore !== undefined) {
    const settledAt = Date.parse(verification.completedAt ?? verification.updatedAt)
    if (!(settledAt < Date.parse(query.settledBefore))) return false
  }
  return true
}
