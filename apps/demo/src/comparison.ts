import {
  type CheckKind,
  type CheckOutcome,
  type DecisionOutcome,
  type IdentityData,
  isTerminalStatus,
  type KycCapabilities,
  type KycCapability,
  kycCapabilities,
  type ReasonCode,
  redact,
  type Verification,
  type VerificationStatus,
} from '@openkyc/core'
import type { Scenario, ScenarioExpectation, ScenarioId, ScenarioKind } from '@openkyc/testkit/catalogue'
import type { ProviderMode, ProviderName } from './provider-name.js'

/**
 * What happened at one provider for one applicant, as the demo keeps it internally: the last
 * verification read (with identity data, which never leaves the process), the time spent waiting on
 * the provider, and a safe error message when a call failed.
 */
export type ProviderAttempt = {
  provider: ProviderName
  verification?: Verification
  /** Milliseconds spent in adapter calls (create, then each read), not in the simulated applicant. */
  latencyMs: number
  /** A message without personal data (a `KycError`'s message), when a call failed. */
  error?: string
}

/**
 * One check, reduced to what the comparison shows: our kind, its outcome, and the vendor's own check
 * name (`selfie_glare_detection`, `imageChecks`), which says what a check of kind `other` was.
 */
export type CheckSummary = { kind: CheckKind; outcome: CheckOutcome; name: string }

/**
 * One provider's normalized result for one applicant, safe to print, serve and serialize: no
 * identity values and no session secrets. `raw` is the vendor's own words, passed through `redact`.
 */
export type ProviderResult = {
  provider: ProviderName
  verificationId: string | null
  status: VerificationStatus | null
  outcome: DecisionOutcome | null
  decidedBy: 'provider' | 'manual' | null
  /** Distinct decision reason codes, sorted. */
  reasons: ReasonCode[]
  checks: CheckSummary[]
  /** Names of the identity fields the provider extracted (values stay server-side). */
  identityFields: string[]
  latencyMs: number
  error: string | null
  /**
   * How the result departs from the catalogue's expectation for the applicant (empty = as expected).
   * `null` while a verification started from the page still waits for the applicant.
   */
  expectationMismatches: string[] | null
  /** The vendor's status, decision and check labels, redacted. */
  raw: unknown
}

/** Where a check kind's outcome differs between the providers (or not all of them ran it). */
export type CheckDifference = { kind: CheckKind; outcomes: Partial<Record<ProviderName, CheckOutcome>> }

/** How the providers' results for the same applicant compare. */
export type RowComparison = {
  /** Same status and same decision outcome; `null` when fewer than two providers have a result. */
  outcomeAgrees: boolean | null
  /** The result fields that differ: `status`, `outcome`, `reasons`, `decidedBy`. */
  differences: ('status' | 'outcome' | 'reasons' | 'decidedBy')[]
  checkDifferences: CheckDifference[]
  /** Identity fields (dotted, e.g. `address.city`) whose values differ or are missing on one side. */
  identityDifferences: string[]
}

/** The catalogue's expectation for a row's applicant, as shown beside the results. */
export type RowExpectation = {
  status: VerificationStatus
  outcome: DecisionOutcome | null
  reasonCodes: ReasonCode[]
  checkKinds: CheckKind[]
  decidedBy: 'provider' | 'manual' | null
}

/** One applicant: the scenario, each provider's result, and how they compare. */
export type ComparisonRow = {
  /** `catalogue:<scenario>` for the run, `new:<n>` for verifications started from the page. */
  id: string
  source: 'catalogue' | 'new'
  scenario: { id: ScenarioId; title: string; kind: ScenarioKind; expected: RowExpectation }
  results: Partial<Record<ProviderName, ProviderResult>>
  comparison: RowComparison
}

/** How often the providers agree on the outcome. */
export type AgreementCount = { agreed: number; compared: number; rate: number | null }

/** Agreement overall and per scenario kind (kinds in catalogue order). */
export type AgreementSummary = AgreementCount & {
  byKind: (AgreementCount & { kind: ScenarioKind })[]
}

/** Latency statistics for one provider, over the rows that reached it. */
export type LatencySummary = {
  provider: ProviderName
  count: number
  minMs: number | null
  medianMs: number | null
  meanMs: number | null
  maxMs: number | null
  /** Per applicant, in row order, for the chart. */
  samples: { rowId: string; latencyMs: number }[]
}

/** The capability matrix, from what each adapter declares. */
export type CapabilityMatrix = {
  capabilities: KycCapability[]
  providers: { provider: ProviderName; declared: Record<KycCapability, boolean> }[]
}

/** One provider as the run used it. */
export type ProviderInfo = { provider: ProviderName; mode: ProviderMode; description: string }

/** Everything the terminal table, the `--json` output and the web page show. */
export type DemoSnapshot = {
  providers: ProviderInfo[]
  rows: ComparisonRow[]
  agreement: AgreementSummary
  latency: LatencySummary[]
  capabilities: CapabilityMatrix
}

/** The catalogue's scenario kinds, in the order summaries list them. */
export const scenarioKinds: readonly ScenarioKind[] = [
  'baseline',
  'document',
  'biometric',
  'compliance',
  'lifecycle',
  'review',
]

function reasonCodesOf(verification: Verification | undefined): ReasonCode[] {
  return [...new Set(verification?.decision?.reasons.map((reason) => reason.code) ?? [])].sort()
}

function sameList(left: readonly string[], right: readonly string[]): boolean {
  return left.length === right.length && left.every((value, index) => value === right[index])
}

/**
 * How a verification departs from a catalogue expectation, one readable line per difference (empty
 * when it matches). The same rules as the conformance suite: status, outcome, the exact set of reason
 * codes, the required check kinds, and who decided when the catalogue says.
 */
export function expectationMismatches(
  verification: Verification | undefined,
  expected: ScenarioExpectation,
): string[] {
  if (verification === undefined) return ['no verification']
  const mismatches: string[] = []
  if (verification.status !== expected.status) {
    mismatches.push(`status ${verification.status}, expected ${expected.status}`)
  }
  const outcome = verification.decision?.outcome
  if (outcome !== expected.outcome) {
    mismatches.push(`outcome ${outcome ?? 'none'}, expected ${expected.outcome ?? 'none'}`)
  }
  const reasons = reasonCodesOf(verification)
  const expectedReasons = [...expected.reasonCodes].sort()
  if (!sameList(reasons, expectedReasons)) {
    mismatches.push(
      `reasons [${reasons.join(', ')}], expected [${expectedReasons.join(', ')}]`.replace('[]', '[none]'),
    )
  }
  const kinds = new Set(verification.checks.map((check) => check.kind))
  for (const kind of expected.checkKinds) {
    if (!kinds.has(kind)) mismatches.push(`no ${kind} check`)
  }
  if (expected.decidedBy !== undefined && verification.decision?.decidedBy !== expected.decidedBy) {
    mismatches.push(
      `decided by ${verification.decision?.decidedBy ?? 'nobody'}, expected ${expected.decidedBy}`,
    )
  }
  return mismatches
}

/** Flattens identity data to dotted field names and string values, for comparison. */
function flattenIdentity(identity: IdentityData | undefined): Map<string, string> {
  const fields = new Map<string, string>()
  const visit = (value: unknown, path: string) => {
    if (value === undefined || value === null) return
    if (typeof value === 'object') {
      for (const [key, child] of Object.entries(value)) visit(child, path === '' ? key : `${path}.${key}`)
      return
    }
    fields.set(path, String(value).trim().toLowerCase())
  }
  visit(identity, '')
  return fields
}

/**
 * The identity fields whose values differ between the providers, or that not every provider
 * extracted. Only the field names leave this function: the values are personal data.
 */
export function identityDifferences(...identities: readonly (IdentityData | undefined)[]): string[] {
  const fields = identities.map(flattenIdentity)
  const names = new Set(fields.flatMap((map) => [...map.keys()]))
  return [...names].filter((name) => new Set(fields.map((map) => map.get(name))).size > 1).sort()
}

/** The vendor's own words for a verification, redacted: what the page's raw view shows. */
export function rawView(verification: Verification): unknown {
  return redact(
    {
      verification: verification.raw,
      decision: verification.decision?.raw,
      // A check's `raw.name` is the vendor's check name, not a person's: keep it under another key, which
      // `redact` (matching `name` as personal data) leaves readable.
      checks: verification.checks.map(({ raw: { name, ...rest } }) => ({ check: name, ...rest })),
      credentials: verification.credentials,
    },
    // Dates and nationality are personal data too; the core list covers names, numbers and secrets.
    ['expiryDate', 'issueDate', 'nationality', 'sex', 'identity', 'session', 'url'],
  )
}

/**
 * Whether a result is checked against the catalogue yet: catalogue rows always (the run realised the
 * scenario), rows started from the page once the verification ended or a call failed (before that the
 * applicant is still in the hosted flow).
 */
function expectationDue(attempt: ProviderAttempt, source: ComparisonRow['source']): boolean {
  if (source === 'catalogue' || attempt.error !== undefined) return true
  return attempt.verification !== undefined && isTerminalStatus(attempt.verification.status)
}

/** Turns an internal attempt into the result the table, JSON and page show. */
export function toProviderResult(attempt: ProviderAttempt, expected?: ScenarioExpectation): ProviderResult {
  const verification = attempt.verification
  return {
    provider: attempt.provider,
    verificationId: verification?.id ?? null,
    status: verification?.status ?? null,
    outcome: verification?.decision?.outcome ?? null,
    decidedBy: verification?.decision?.decidedBy ?? null,
    reasons: reasonCodesOf(verification),
    checks: (verification?.checks ?? []).map((check) => ({
      kind: check.kind,
      outcome: check.outcome,
      name: check.raw.name,
    })),
    identityFields: [...flattenIdentity(verification?.identity).keys()].sort(),
    latencyMs: Math.round(attempt.latencyMs * 10) / 10,
    error: attempt.error ?? null,
    expectationMismatches:
      expected === undefined || attempt.error !== undefined
        ? attempt.error === undefined
          ? null
          : [`error: ${attempt.error}`]
        : expectationMismatches(verification, expected),
    raw: verification === undefined ? null : rawView(verification),
  }
}

/**
 * Where the providers' checks differ: a kind some provider ran and another did not, or a kind they
 * ran with different outcomes. When a provider ran a kind several times, its worst outcome counts.
 */
export function checkDifferences(...verifications: readonly Verification[]): CheckDifference[] {
  const severity: Record<CheckOutcome, number> = { failed: 3, warning: 2, passed: 1, not_executed: 0 }
  const worst = (verification: Verification) => {
    const outcomes = new Map<CheckKind, CheckOutcome>()
    for (const check of verification.checks) {
      const current = outcomes.get(check.kind)
      if (current === undefined || severity[check.outcome] > severity[current]) {
        outcomes.set(check.kind, check.outcome)
      }
    }
    return outcomes
  }
  const perProvider = verifications.map((verification) => ({
    provider: verification.provider as ProviderName,
    outcomes: worst(verification),
  }))
  const kinds = [...new Set(perProvider.flatMap(({ outcomes }) => [...outcomes.keys()]))].sort()
  return kinds
    .filter((kind) => new Set(perProvider.map(({ outcomes }) => outcomes.get(kind))).size > 1)
    .map((kind) => {
      const outcomes: Partial<Record<ProviderName, CheckOutcome>> = {}
      for (const { provider, outcomes: byKind } of perProvider) {
        const outcome = byKind.get(kind)
        if (outcome !== undefined) outcomes[provider] = outcome
      }
      return { kind, outcomes }
    })
}

/**
 * Compares every attempt that reached a verification (two or three providers): a field differs when
 * not all of them agree on it. Fewer than two compare as `null`.
 */
export function compareAttempts(attempts: readonly ProviderAttempt[]): RowComparison {
  const reached = attempts
    .filter(
      (attempt): attempt is ProviderAttempt & { verification: Verification } =>
        attempt.verification !== undefined && attempt.error === undefined,
    )
    .map((attempt) => attempt.verification)
  if (reached.length < 2) {
    return { outcomeAgrees: null, differences: [], checkDifferences: [], identityDifferences: [] }
  }
  const differs = (value: (verification: Verification) => unknown) =>
    new Set(reached.map((verification) => JSON.stringify(value(verification) ?? null))).size > 1
  const differences: RowComparison['differences'] = []
  if (differs((verification) => verification.status)) differences.push('status')
  if (differs((verification) => verification.decision?.outcome)) differences.push('outcome')
  if (differs(reasonCodesOf)) differences.push('reasons')
  if (differs((verification) => verification.decision?.decidedBy)) differences.push('decidedBy')
  return {
    outcomeAgrees: !differences.includes('status') && !differences.includes('outcome'),
    differences,
    checkDifferences: checkDifferences(...reached),
    identityDifferences: identityDifferences(...reached.map((verification) => verification.identity)),
  }
}

function expectationOf(scenario: Scenario): RowExpectation {
  const { expected } = scenario
  return {
    status: expected.status,
    outcome: expected.outcome ?? null,
    reasonCodes: [...expected.reasonCodes],
    checkKinds: [...expected.checkKinds],
    decidedBy: expected.decidedBy ?? null,
  }
}

/** Options for {@link buildRow}. */
export type BuildRowOptions = {
  id: string
  source: ComparisonRow['source']
  scenario: Scenario
  attempts: readonly ProviderAttempt[]
}

/**
 * Builds one applicant's row. Every result is checked against the scenario's expectation: catalogue
 * rows at once, rows started from the page once their verification has ended (the chosen applicant
 * is carried into the hosted flow, so a different result there is worth flagging too).
 *
 * @example
 * ```ts
 * const row = buildRow({ id: 'catalogue:clean_approve', source: 'catalogue', scenario, attempts })
 * row.comparison.outcomeAgrees // true when every provider approved
 * ```
 */
export function buildRow(options: BuildRowOptions): ComparisonRow {
  const { scenario } = options
  const results: Partial<Record<ProviderName, ProviderResult>> = {}
  for (const attempt of options.attempts) {
    const expected = expectationDue(attempt, options.source) ? scenario.expected : undefined
    results[attempt.provider] = toProviderResult(attempt, expected)
  }
  return {
    id: options.id,
    source: options.source,
    scenario: {
      id: scenario.id,
      title: scenario.title,
      kind: scenario.kind,
      expected: expectationOf(scenario),
    },
    results,
    comparison: compareAttempts(options.attempts),
  }
}

function count(rows: readonly ComparisonRow[]): AgreementCount {
  const compared = rows.filter((row) => row.comparison.outcomeAgrees !== null)
  const agreed = compared.filter((row) => row.comparison.outcomeAgrees === true).length
  return { agreed, compared: compared.length, rate: compared.length === 0 ? null : agreed / compared.length }
}

/** How often the providers agree on the outcome, overall and per scenario kind. */
export function summarizeAgreement(rows: readonly ComparisonRow[]): AgreementSummary {
  return {
    ...count(rows),
    byKind: scenarioKinds
      .map((kind) => ({ kind, ...count(rows.filter((row) => row.scenario.kind === kind)) }))
      .filter((entry) => rows.some((row) => row.scenario.kind === entry.kind)),
  }
}

function round(value: number): number {
  return Math.round(value * 10) / 10
}

/** Latency per provider over the rows whose calls to it succeeded. */
export function summarizeLatency(
  providers: readonly ProviderName[],
  rows: readonly ComparisonRow[],
): LatencySummary[] {
  return providers.map((provider) => {
    const samples = rows.flatMap((row) => {
      const result = row.results[provider]
      return result === undefined || result.error !== null
        ? []
        : [{ rowId: row.id, latencyMs: result.latencyMs }]
    })
    const sorted = samples.map((sample) => sample.latencyMs).sort((a, b) => a - b)
    const middle = Math.floor(sorted.length / 2)
    const median =
      sorted.length === 0
        ? null
        : sorted.length % 2 === 1
          ? sorted[middle]!
          : (sorted[middle - 1]! + sorted[middle]!) / 2
    return {
      provider,
      count: sorted.length,
      minMs: sorted[0] ?? null,
      medianMs: median === null ? null : round(median),
      meanMs:
        sorted.length === 0 ? null : round(sorted.reduce((sum, value) => sum + value, 0) / sorted.length),
      maxMs: sorted.at(-1) ?? null,
      samples,
    }
  })
}

/** The capability matrix, from each adapter's declared `capabilities` (never from probing). */
export function capabilityMatrix(
  declarations: readonly { provider: ProviderName; capabilities: KycCapabilities }[],
): CapabilityMatrix {
  return {
    capabilities: [...kycCapabilities],
    providers: declarations.map(({ provider, capabilities }) => ({
      provider,
      declared: Object.fromEntries(
        kycCapabilities.map((capability) => [capability, capabilities[capability] === true]),
      ) as Record<KycCapability, boolean>,
    })),
  }
}
