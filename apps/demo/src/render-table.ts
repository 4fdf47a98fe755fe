import type { ComparisonRow, DemoSnapshot, ProviderResult } from './comparison.js'
import { type ProviderName, providerTitles } from './provider-name.js'

/** Wraps one line of text at spaces to at most `width` characters (longer words are cut). */
export function wrapLine(text: string, width: number): string[] {
  const lines: string[] = []
  let current = ''
  for (const word of text.split(' ')) {
    let rest = word
    while (rest.length > width) {
      if (current !== '') lines.push(current)
      lines.push(rest.slice(0, width))
      rest = rest.slice(width)
      current = ''
    }
    if (current === '') current = rest
    else if (current.length + 1 + rest.length <= width) current += ` ${rest}`
    else {
      lines.push(current)
      current = rest
    }
  }
  lines.push(current)
  return lines
}

/** A column: its heading and the widest its cells may grow before wrapping. */
export type Column = { heading: string; maxWidth: number }

/**
 * Renders a box-drawn table whose cells may hold several lines; long lines wrap within their
 * column's `maxWidth`. Plain text (no colours), so it reads the same in a log file as in a terminal.
 */
export function renderBoxTable(columns: readonly Column[], rows: readonly (readonly string[][])[]): string {
  const wrapped = rows.map((row) =>
    columns.map((column, index) => (row[index] ?? []).flatMap((line) => wrapLine(line, column.maxWidth))),
  )
  const widths = columns.map((column, index) =>
    Math.max(
      column.heading.length,
      ...wrapped.map((row) => Math.max(0, ...row[index]!.map((line) => line.length))),
    ),
  )
  const rule = (left: string, middle: string, right: string) =>
    `${left}${widths.map((width) => '─'.repeat(width + 2)).join(middle)}${right}`
  const line = (cells: readonly string[]) =>
    `│${cells.map((cell, index) => ` ${cell.padEnd(widths[index]!)} `).join('│')}│`
  const output = [rule('┌', '┬', '┐'), line(columns.map((column) => column.heading)), rule('├', '┼', '┤')]
  wrapped.forEach((row, rowIndex) => {
    const height = Math.max(1, ...row.map((cell) => cell.length))
    for (let lineIndex = 0; lineIndex < height; lineIndex += 1) {
      output.push(line(row.map((cell) => cell[lineIndex] ?? '')))
    }
    output.push(rowIndex === wrapped.length - 1 ? rule('└', '┴', '┘') : rule('├', '┼', '┤'))
  })
  if (wrapped.length === 0) output.push(rule('└', '┴', '┘'))
  return output.join('\n')
}

/** `approved`, `expired (no decision)`, … */
function outcomeText(result: Pick<ProviderResult, 'status' | 'outcome'>): string {
  if (result.status === null) return 'no verification'
  if (result.outcome === null)
    return result.status === 'completed' ? 'completed' : `${result.status}, no decision`
  return result.status === 'completed' ? result.outcome : `${result.status} / ${result.outcome}`
}

/**
 * `checks: 12 passed, face_match failed`. A check of kind `other` is named by the vendor's check name
 * (`other (selfie_glare_detection) passed`): "other" alone says nothing.
 */
function checksText(result: ProviderResult): string {
  if (result.checks.length === 0) return 'checks: none'
  const named = (check: ProviderResult['checks'][number]) => check.kind === 'other'
  const passed = result.checks.filter((check) => check.outcome === 'passed' && !named(check)).length
  const others = new Map<string, number>()
  for (const check of result.checks) {
    if (check.outcome === 'passed' && !named(check)) continue
    const kind = named(check) ? `other (${check.name})` : check.kind
    const label = `${kind} ${check.outcome.replace('_', ' ')}`
    others.set(label, (others.get(label) ?? 0) + 1)
  }
  const labels = [...others].map(([label, count]) => (count === 1 ? label : `${label} ×${count}`))
  return `checks: ${[passed > 0 ? `${passed} passed` : '', ...labels].filter(Boolean).join(', ')}`
}

function formatMs(ms: number | null): string {
  return ms === null ? '–' : `${ms.toFixed(1)} ms`
}

/** The lines of one provider's cell. */
export function resultCell(result: ProviderResult | undefined): string[] {
  if (result === undefined) return ['–']
  if (result.error !== null && result.verificationId === null) return [`error: ${result.error}`]
  const lines = [outcomeText(result)]
  const mismatches = result.expectationMismatches
  if (mismatches !== null) lines[0] += mismatches.length === 0 ? '  ✓ as expected' : '  ✗ unexpected'
  if (result.decidedBy === 'manual') lines.push('decided by a person')
  lines.push(`reasons: ${result.reasons.length === 0 ? '–' : result.reasons.join(', ')}`)
  lines.push(checksText(result))
  lines.push(formatMs(result.latencyMs))
  if (result.error !== null) lines.push(`error: ${result.error}`)
  if (mismatches !== null && mismatches.length > 0)
    lines.push(...mismatches.map((mismatch) => `✗ ${mismatch}`))
  return lines
}

function expectedText(row: ComparisonRow): string {
  const { expected } = row.scenario
  if (expected.outcome === null) return `expected: ${expected.status}`
  const reasons = expected.reasonCodes.length === 0 ? '' : ` (${expected.reasonCodes.join(', ')})`
  return `expected: ${expected.outcome}${reasons}`
}

function differencesCell(row: ComparisonRow): string[] {
  const { comparison } = row
  if (comparison.outcomeAgrees === null) return ['–']
  const lines: string[] = []
  const fields = comparison.differences.filter((field) => field !== 'status' && field !== 'outcome')
  if (fields.length > 0) lines.push(`differ: ${fields.join(', ')}`)
  if (comparison.checkDifferences.length > 0) {
    lines.push(`checks: ${comparison.checkDifferences.map((difference) => difference.kind).join(', ')}`)
  }
  if (comparison.identityDifferences.length > 0) {
    lines.push(`identity: ${comparison.identityDifferences.join(', ')}`)
  }
  return lines.length === 0 ? ['none'] : lines
}

function percent(rate: number | null): string {
  return rate === null ? 'n/a' : `${Math.round(rate * 100)}%`
}

/**
 * The terminal report: per applicant each provider's status, outcome, reasons, checks and latency
 * side by side, what differs (identity by field name only), then the agreement rate per scenario kind,
 * latency per provider and the capability matrix.
 *
 * @example
 * ```ts
 * process.stdout.write(`${renderReport(state.snapshot())}\n`)
 * ```
 */
export function renderReport(snapshot: DemoSnapshot): string {
  const providers: ProviderName[] = snapshot.providers.map((info) => info.provider)
  const columns: Column[] = [
    { heading: 'Applicant', maxWidth: 30 },
    ...providers.map((provider) => ({ heading: providerTitles[provider], maxWidth: 38 })),
  ]
  const comparing = providers.length > 1
  if (comparing)
    columns.push({ heading: 'Agree', maxWidth: 5 }, { heading: 'Other differences', maxWidth: 30 })
  const rows = snapshot.rows.map((row) => [
    [row.scenario.title, `${row.scenario.id} · ${row.scenario.kind}`, expectedText(row)],
    ...providers.map((provider) => resultCell(row.results[provider])),
    ...(comparing
      ? [
          [row.comparison.outcomeAgrees === null ? '–' : row.comparison.outcomeAgrees ? 'yes' : 'NO'],
          differencesCell(row),
        ]
      : []),
  ])

  const sections = [
    `OpenKYC demo: ${snapshot.rows.length} applicant${snapshot.rows.length === 1 ? '' : 's'} through ${snapshot.providers
      .map((info) => `${providerTitles[info.provider]} (${info.description})`)
      .join(' and ')}`,
    renderBoxTable(columns, rows),
  ]

  const asExpected = providers.map((provider) => {
    const results = snapshot.rows.flatMap((row) => (row.results[provider] ? [row.results[provider]] : []))
    const matching = results.filter((result) => result.expectationMismatches?.length === 0).length
    return `${providerTitles[provider]} ${matching}/${results.length}`
  })
  sections.push(`As the catalogue expects: ${asExpected.join(' · ')}`)

  if (comparing) {
    const { agreement } = snapshot
    sections.push(
      [
        `Agreement on the outcome: ${agreement.agreed}/${agreement.compared} (${percent(agreement.rate)})`,
        ...agreement.byKind.map(
          (entry) => `  ${entry.kind.padEnd(11)} ${entry.agreed}/${entry.compared} (${percent(entry.rate)})`,
        ),
      ].join('\n'),
    )
  }

  sections.push(
    [
      'Latency per applicant (time spent in adapter calls): median / mean / max',
      ...snapshot.latency.map(
        (entry) =>
          `  ${providerTitles[entry.provider].padEnd(11)} ${formatMs(entry.medianMs)} / ${formatMs(entry.meanMs)} / ${formatMs(entry.maxMs)}`,
      ),
    ].join('\n'),
  )

  const matrix = snapshot.capabilities
  sections.push(
    renderBoxTable(
      [
        { heading: 'Capability', maxWidth: 20 },
        ...matrix.providers.map((entry) => ({ heading: providerTitles[entry.provider], maxWidth: 10 })),
      ],
      matrix.capabilities.map((capability) => [
        [capability],
        ...matrix.providers.map((entry) => [entry.declared[capability] ? 'yes' : '–']),
      ]),
    ),
  )
  return sections.join('\n\n')
}
