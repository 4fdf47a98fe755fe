// The demo page: renders the server's snapshot, then keeps it current from server-sent events.
// Plain DOM, no framework; every value goes in through textContent, never as HTML.

const providerTitles = { jumio: 'Jumio', persona: 'Persona', onfido: 'Onfido' }
const svgNamespace = 'http://www.w3.org/2000/svg'

/** @type {{ providers: any[], rows: any[], agreement: any, latency: any[], capabilities: any } | null} */
let snapshot = null
/** The verification started from this page that the status line follows. */
let followed = null

function element(tag, attributes = {}, ...children) {
  const node = document.createElement(tag)
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue
    if (name === 'className') node.className = value
    else node.setAttribute(name, value === true ? '' : String(value))
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue
    node.append(typeof child === 'string' ? document.createTextNode(child) : child)
  }
  return node
}

function svg(tag, attributes = {}, text) {
  const node = document.createElementNS(svgNamespace, tag)
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, String(value))
  if (text !== undefined) node.textContent = text
  return node
}

const title = (provider) => providerTitles[provider] ?? provider
const percent = (rate) => (rate === null ? 'n/a' : `${Math.round(rate * 100)}%`)
const milliseconds = (value) => (value === null ? '–' : `${value.toFixed(1)} ms`)

function outcomeLabel(result) {
  if (result.status === null) return 'no verification'
  if (result.outcome !== null) return result.outcome
  return result.status === 'completed' ? 'completed' : result.status.replace('_', ' ')
}

function expectedLabel(expected) {
  if (expected.outcome === null) return `expected: ${expected.status}`
  const reasons = expected.reasonCodes.length === 0 ? '' : ` (${expected.reasonCodes.join(', ')})`
  return `expected: ${expected.outcome}${reasons}`
}

const severity = { failed: 3, warning: 2, passed: 1, not_executed: 0 }

/**
 * One line per check kind (providers run several checks of a kind): its worst outcome and the counts.
 * The vendor's check names go in the tooltip, and in the text for kind `other`, which alone says nothing.
 */
function groupChecks(checks) {
  const groups = new Map()
  for (const check of checks) {
    const group = groups.get(check.kind) ?? {
      kind: check.kind,
      worst: check.outcome,
      tally: new Map(),
      names: [],
    }
    if (severity[check.outcome] > severity[group.worst]) group.worst = check.outcome
    group.tally.set(check.outcome, (group.tally.get(check.outcome) ?? 0) + 1)
    group.names.push(`${check.name}: ${check.outcome.replace('_', ' ')}`)
    groups.set(check.kind, group)
  }
  return [...groups.values()]
    .sort((left, right) => severity[right.worst] - severity[left.worst])
    .map((group) => ({
      kind: group.kind,
      worst: group.worst,
      names: group.names,
      counts: [...group.tally.entries()]
        .sort(([left], [right]) => severity[right] - severity[left])
        .map(([outcome, count]) => `${count} ${outcome.replace('_', ' ')}`)
        .join(', '),
    }))
}

function renderResult(row, provider) {
  const result = row.results[provider]
  const cell = element('td', {
    className: 'result',
    'data-provider': provider,
    'data-title': title(provider),
  })
  if (result === undefined) {
    cell.append(element('span', { className: 'no' }, row.source === 'new' ? 'not started here' : '–'))
    return cell
  }
  const differences = new Set(row.comparison.differences)
  const differingChecks = new Set(row.comparison.checkDifferences.map((difference) => difference.kind))
  const outcomeClass = result.outcome === null ? '' : ` outcome-${result.outcome}`
  cell.append(
    element(
      'div',
      { className: 'headline' },
      element(
        'span',
        {
          className: `field badge${outcomeClass}${differences.has('outcome') ? ' diff' : ''}`,
          'data-field': 'outcome',
        },
        outcomeLabel(result),
      ),
      element(
        'span',
        { className: `field${differences.has('status') ? ' diff' : ''}`, 'data-field': 'status' },
        result.status ?? '–',
      ),
      element('span', { className: 'field', 'data-field': 'latency' }, milliseconds(result.latencyMs)),
    ),
  )
  if (result.expectationMismatches !== null) {
    const ok = result.expectationMismatches.length === 0
    cell.append(
      element(
        'div',
        { className: `expectation ${ok ? 'ok' : 'bad'}`, 'data-field': 'expectation' },
        ok ? '✓ as the catalogue expects' : `✗ ${result.expectationMismatches.join('; ')}`,
      ),
    )
  }
  if (result.decidedBy === 'manual') cell.append(element('div', {}, 'decided by a person'))
  cell.append(
    element(
      'div',
      { className: `field${differences.has('reasons') ? ' diff' : ''}`, 'data-field': 'reasons' },
      `reasons: ${result.reasons.length === 0 ? '–' : result.reasons.join(', ')}`,
    ),
  )
  cell.append(
    element(
      'ul',
      { className: 'checks', 'data-field': 'checks' },
      groupChecks(result.checks).map((group) =>
        element(
          'li',
          {
            className: `check ${group.worst}${differingChecks.has(group.kind) ? ' diff' : ''}`,
            'data-kind': group.kind,
            title: group.names.join('\n'),
          },
          group.kind === 'other' ? `other: ${group.names.join(', ')}` : `${group.kind}: ${group.counts}`,
        ),
      ),
    ),
  )
  if (result.error !== null)
    cell.append(element('div', { className: 'error', 'data-field': 'error' }, result.error))
  if (result.raw !== null) {
    cell.append(
      element(
        'details',
        { className: 'raw' },
        element('summary', {}, 'Raw payload (redacted)'),
        element('pre', { 'data-field': 'raw' }, JSON.stringify(result.raw, null, 2)),
      ),
    )
  }
  return cell
}

function renderAgreementCell(row) {
  const { comparison } = row
  const cell = element('td', {
    className: 'agreement-cell',
    'data-field': 'agreement',
    'data-title': 'Comparison',
  })
  if (comparison.outcomeAgrees === null) {
    cell.append(element('span', { className: 'verdict no' }, '–'))
    return cell
  }
  cell.append(
    element(
      'span',
      { className: `verdict ${comparison.outcomeAgrees ? 'agree' : 'disagree'}` },
      comparison.outcomeAgrees ? 'agree' : 'disagree',
    ),
  )
  const notes = []
  const others = comparison.differences.filter((field) => field !== 'status' && field !== 'outcome')
  if (others.length > 0) notes.push(`differ: ${others.join(', ')}`)
  if (comparison.checkDifferences.length > 0) {
    notes.push(`checks: ${comparison.checkDifferences.map((difference) => difference.kind).join(', ')}`)
  }
  if (comparison.identityDifferences.length > 0) {
    notes.push(`identity: ${comparison.identityDifferences.join(', ')}`)
  }
  if (notes.length > 0)
    cell.append(
      element(
        'ul',
        {},
        notes.map((note) => element('li', {}, note)),
      ),
    )
  return cell
}

function renderRow(row) {
  const providers = snapshot.providers.map((info) => info.provider)
  const agrees = row.comparison.outcomeAgrees
  return element(
    'tr',
    {
      'data-row-id': row.id,
      'data-agrees': agrees === null ? 'none' : String(agrees),
      className: `${row.source === 'new' ? 'new' : ''}${followed?.rowId === row.id ? ' current' : ''}`.trim(),
    },
    element(
      'th',
      { scope: 'row', className: 'applicant' },
      element(
        'div',
        { className: 'title' },
        row.source === 'new' ? `${row.scenario.title} (new)` : row.scenario.title,
      ),
      element('div', { className: 'meta' }, `${row.scenario.id} · ${row.scenario.kind}`),
      element('div', { className: 'expected' }, expectedLabel(row.scenario.expected)),
    ),
    providers.map((provider) => renderResult(row, provider)),
    providers.length > 1 ? renderAgreementCell(row) : null,
  )
}

function renderRows() {
  const table = document.getElementById('rows')
  const providers = snapshot.providers.map((info) => info.provider)
  table.tHead.replaceChildren(
    element(
      'tr',
      {},
      element('th', { scope: 'col' }, 'Applicant'),
      providers.map((provider) => element('th', { scope: 'col' }, title(provider))),
      providers.length > 1 ? element('th', { scope: 'col' }, 'Comparison') : null,
    ),
  )
  table.tBodies[0].replaceChildren(...snapshot.rows.map(renderRow))
}

function renderAgreement() {
  const { agreement } = snapshot
  document.getElementById('agreement-overall').textContent =
    agreement.compared === 0
      ? 'Nothing to compare yet'
      : `${agreement.agreed} of ${agreement.compared} outcomes agree (${percent(agreement.rate)})`
  document
    .querySelector('#agreement-by-kind tbody')
    .replaceChildren(
      ...agreement.byKind.map((entry) =>
        element(
          'tr',
          { 'data-kind': entry.kind },
          element('th', { scope: 'row' }, entry.kind),
          element('td', {}, `${entry.agreed}/${entry.compared}`),
          element('td', { className: entry.rate === 1 ? 'yes' : '' }, percent(entry.rate)),
        ),
      ),
    )
}

function renderLatency() {
  const entries = snapshot.latency
  const width = 360
  const labelWidth = 70
  const rowHeight = 34
  const chartWidth = width - labelWidth - 10
  const maximum = Math.max(1, ...entries.map((entry) => entry.maxMs ?? 0))
  // Scales down with its panel (a phone is narrower than the drawing); never wider than drawn.
  const chart = svg('svg', {
    width: '100%',
    style: `max-width: ${width}px; height: auto`,
    viewBox: `0 0 ${width} ${entries.length * rowHeight + 20}`,
    role: 'img',
    'aria-label': 'Latency per provider',
  })
  entries.forEach((entry, index) => {
    const y = index * rowHeight + 4
    chart.append(svg('text', { x: 0, y: y + 14 }, title(entry.provider)))
    if (entry.meanMs !== null) {
      const barWidth = (entry.meanMs / maximum) * chartWidth
      chart.append(
        svg('rect', {
          class: `bar bar-${entry.provider}`,
          x: labelWidth,
          y,
          width: Math.max(1, barWidth),
          height: 18,
          'data-provider': entry.provider,
        }),
      )
      for (const sample of entry.samples) {
        chart.append(
          svg('circle', {
            class: `dot dot-${entry.provider}`,
            cx: labelWidth + (sample.latencyMs / maximum) * chartWidth,
            cy: y + 9,
            r: 3,
          }),
        )
      }
    }
    chart.append(
      svg(
        'text',
        { x: labelWidth, y: y + 30 },
        entry.count === 0
          ? 'no samples'
          : `median ${milliseconds(entry.medianMs)} · mean ${milliseconds(entry.meanMs)} · max ${milliseconds(entry.maxMs)}`,
      ),
    )
  })
  chart.append(
    svg('text', { x: labelWidth, y: entries.length * rowHeight + 16 }, `scale: 0 – ${milliseconds(maximum)}`),
  )
  document.getElementById('latency-chart').replaceChildren(chart)
}

function renderCapabilities() {
  const matrix = snapshot.capabilities
  const table = document.getElementById('capabilities')
  table.tHead.replaceChildren(
    element(
      'tr',
      {},
      element('th', { scope: 'col' }, 'Capability'),
      matrix.providers.map((entry) => element('th', { scope: 'col' }, title(entry.provider))),
    ),
  )
  table.tBodies[0].replaceChildren(
    ...matrix.capabilities.map((capability) =>
      element(
        'tr',
        { 'data-capability': capability },
        element('th', { scope: 'row' }, capability),
        matrix.providers.map((entry) =>
          element(
            'td',
            { className: entry.declared[capability] ? 'yes' : 'no', 'data-provider': entry.provider },
            entry.declared[capability] ? '✓' : '–',
          ),
        ),
      ),
    ),
  )
}

function renderProviders() {
  document
    .getElementById('providers')
    .replaceChildren(
      ...snapshot.providers.map((info) =>
        element(
          'li',
          { 'data-provider': info.provider, 'data-mode': info.mode },
          `${title(info.provider)}: ${info.description}`,
        ),
      ),
    )
  const select = document.getElementById('new-provider')
  if (select.options.length === 0) {
    select.append(
      ...snapshot.providers.map((info) => element('option', { value: info.provider }, title(info.provider))),
    )
  }
}

function renderAll() {
  renderProviders()
  renderRows()
  renderAgreement()
  renderLatency()
  renderCapabilities()
}

function applyChange(change) {
  if (snapshot === null) return
  const index = snapshot.rows.findIndex((row) => row.id === change.row.id)
  if (index === -1) snapshot.rows.push(change.row)
  else snapshot.rows[index] = change.row
  snapshot.agreement = change.agreement
  snapshot.latency = change.latency
  const body = document.querySelector('#rows tbody')
  const fresh = renderRow(change.row)
  fresh.classList.add('flash')
  const existing = body.querySelector(`tr[data-row-id="${CSS.escape(change.row.id)}"]`)
  if (existing === null) body.append(fresh)
  else existing.replaceWith(fresh)
  renderAgreement()
  renderLatency()
  if (followed?.rowId === change.row.id) followRow(change.row, fresh)
}

/** What the status line says about the followed verification, from its row. */
function followedStatus(row) {
  const result = row.results[followed.provider]
  const who = `${title(followed.provider)}, ${row.scenario.title}`
  if (result === undefined) return `${who}: creating the verification…`
  if (result.error !== null) return `${who}: ${result.error}`
  const waiting = {
    created: 'waiting for the applicant in the hosted flow below',
    in_progress: 'the applicant is in the hosted flow',
    submitted: 'submitted; waiting for the decision',
  }[result.status]
  if (waiting !== undefined) return `${who}: ${waiting}.`
  const mismatches = result.expectationMismatches ?? []
  const verdict =
    mismatches.length === 0
      ? 'as the catalogue expects'
      : `differs from the catalogue (${mismatches.join('; ')})`
  return `${who}: ${outcomeLabel(result)}, ${verdict}.`
}

/** Keeps the status line current; once the verification has ended, brings its row into view. */
function followRow(row, rowElement) {
  const status = document.getElementById('new-status')
  status.textContent = followedStatus(row)
  const result = row.results[followed.provider]
  const ended = result !== undefined && (result.error !== null || result.expectationMismatches !== null)
  if (ended && !followed.shown) {
    followed.shown = true
    rowElement.scrollIntoView({ block: 'center' })
  }
  status.append(' ', element('a', { href: `#row-${row.id}`, id: 'new-row-link' }, 'Show its row'))
  status.lastChild.addEventListener('click', (event) => {
    event.preventDefault()
    document
      .querySelector(`#rows tr[data-row-id="${CSS.escape(row.id)}"]`)
      ?.scrollIntoView({ block: 'center' })
  })
}

function connect() {
  const live = document.getElementById('live')
  const events = new EventSource('/api/events')
  events.addEventListener('open', () => {
    live.dataset.state = 'open'
    live.textContent = 'live'
  })
  events.addEventListener('error', () => {
    live.dataset.state = events.readyState === EventSource.CLOSED ? 'closed' : 'connecting'
    live.textContent = events.readyState === EventSource.CLOSED ? 'disconnected' : 'reconnecting…'
  })
  events.addEventListener('snapshot', (message) => {
    snapshot = JSON.parse(message.data)
    renderAll()
    document.body.dataset.ready = 'true'
    scheduleAuditReload()
  })
  events.addEventListener('change', (message) => {
    applyChange(JSON.parse(message.data))
    scheduleAuditReload()
  })
}

async function loadScenarios() {
  const response = await fetch('/api/scenarios')
  const scenarios = await response.json()
  document
    .getElementById('new-scenario')
    .replaceChildren(
      ...scenarios.map((scenario) =>
        element('option', { value: scenario.id }, `${scenario.title} (${scenario.kind})`),
      ),
    )
}

async function startVerification(event) {
  event.preventDefault()
  const status = document.getElementById('new-status')
  const button = document.getElementById('new-start')
  const provider = document.getElementById('new-provider').value
  const scenario = document.getElementById('new-scenario').value
  button.disabled = true
  status.textContent = 'Creating the verification…'
  try {
    const response = await fetch('/api/verifications', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ provider, scenario }),
    })
    const body = await response.json()
    if (!response.ok || body.url === undefined) {
      status.textContent = `Could not start: ${body.error ?? response.statusText}`
      return
    }
    followed = { rowId: body.rowId, provider, shown: false }
    status.dataset.rowId = body.rowId
    for (const previous of document.querySelectorAll('#rows tr.current')) previous.classList.remove('current')
    const row = snapshot?.rows.find((candidate) => candidate.id === body.rowId)
    const rowElement = document.querySelector(`#rows tr[data-row-id="${CSS.escape(body.rowId)}"]`)
    rowElement?.classList.add('current')
    if (row !== undefined && rowElement !== null) followRow(row, rowElement)
    document.getElementById('hosted').hidden = false
    document.getElementById('hosted-link').href = body.url
    document.getElementById('hosted-flow').src = body.url
  } catch {
    status.textContent = 'Could not reach the demo server.'
  } finally {
    button.disabled = false
  }
}

const actionLabels = {
  state_changed: 'changed',
  state_updated: 'updated (nothing to act on)',
  event_stale: 'stale event, ignored',
  review: 'reviewed',
  deletion: 'personal data deleted',
  routing: 'routed',
  configuration: 'configuration',
}

const stateLabel = (state) =>
  state === undefined ? '–' : state.outcome ? `${state.status} (${state.outcome})` : state.status

function renderTimeline(timeline) {
  const items = timeline.entries.map((entry) =>
    element(
      'li',
      { className: `audit-entry audit-${entry.action}`, 'data-sequence': entry.sequence },
      element('time', { datetime: entry.recordedAt }, new Date(entry.recordedAt).toLocaleTimeString()),
      ' ',
      element('code', {}, entry.eventType ?? entry.action),
      ` ${stateLabel(entry.from)} → ${stateLabel(entry.to)}, ${actionLabels[entry.action] ?? entry.action}, by ${entry.actor}`,
      entry.reasons.length === 0 ? '' : ` [${entry.reasons.join(', ')}]`,
    ),
  )
  return element(
    'details',
    {
      className: 'audit-timeline',
      'data-provider': timeline.provider,
      'data-verification': timeline.verificationId,
    },
    element(
      'summary',
      {},
      `${title(timeline.provider)} ${timeline.verificationId}: ${stateLabel(timeline.entries.at(-1)?.to)} (${timeline.entries.length} ${timeline.entries.length === 1 ? 'entry' : 'entries'})`,
    ),
    element('ol', {}, ...items),
  )
}

async function loadAudit() {
  const chainLine = document.getElementById('audit-chain')
  try {
    const response = await fetch('/api/audit')
    if (!response.ok) {
      chainLine.textContent = 'No store behind this demo.'
      return
    }
    const audit = await response.json()
    chainLine.dataset.valid = String(audit.chain.valid)
    chainLine.textContent = audit.chain.valid
      ? `Hash chain verified: ${audit.chain.count} entries.`
      : `Hash chain BROKEN at entry ${audit.chain.sequence ?? '?'} (${audit.chain.problem}).`
    const open = new Set(
      [...document.querySelectorAll('#audit-timelines details[open]')].map(
        (node) => node.dataset.verification,
      ),
    )
    const timelines = audit.verifications.map(renderTimeline)
    for (const node of timelines) if (open.has(node.dataset.verification)) node.open = true
    document.getElementById('audit-timelines').replaceChildren(...timelines)
  } catch {
    chainLine.textContent = 'Could not read the audit log.'
  }
}

/** Reloads the timeline shortly after changes settle, not once per change. */
let auditReload = null
function scheduleAuditReload() {
  clearTimeout(auditReload)
  auditReload = setTimeout(loadAudit, 400)
}

// ── Routing view ─────────────────────────────────────────────────────────────────────────────────

let routingFault = false

function renderRouting(view) {
  routingFault = view.faultInjected
  const fault = document.getElementById('routing-fault')
  fault.textContent = view.faultInjected ? 'Let Jumio recover' : 'Make Jumio fail'
  fault.setAttribute('aria-pressed', String(view.faultInjected))
  const rows = view.applicants.map((applicant) =>
    element(
      'tr',
      { 'data-scenario': applicant.scenarioId, 'data-provider': applicant.provider ?? 'none' },
      element('td', {}, applicant.scenarioTitle),
      element(
        'td',
        { 'data-field': 'provider' },
        applicant.provider === null ? 'failed' : title(applicant.provider),
      ),
      element(
        'td',
        { 'data-field': 'attempts', className: applicant.attempts.length > 1 ? 'fallback' : undefined },
        applicant.errorCode === null
          ? applicant.attempts.join(' → ')
          : `${applicant.errorCode}: ${applicant.errorMessage}`,
      ),
      element(
        'td',
        { 'data-field': 'shadow' },
        applicant.shadowed ? `shadowed at ${title(view.shadowProvider)}` : '–',
      ),
    ),
  )
  document.querySelector('#routing-applicants tbody').replaceChildren(...rows)
  const pair = view.report.pairs[0]
  const summary = document.getElementById('routing-agreement')
  const segments = document.querySelector('#routing-agreement-table tbody')
  const disagreements = document.getElementById('routing-disagreements')
  if (pair === undefined) {
    summary.textContent = 'No shadow runs yet.'
    segments.replaceChildren()
    disagreements.replaceChildren()
    return
  }
  const totals = pair.totals
  summary.textContent =
    `${title(pair.primaryProvider)} → ${title(pair.shadowProvider)} (shadow): ${totals.outcomeAgreed} of ${totals.compared} compared agree on the outcome (${percent(totals.outcomeAgreement)}), ` +
    `${totals.reasonsAgreed} on reason codes (${percent(totals.reasonAgreement)}); ${totals.pending} pending, ${totals.failed} failed.`
  summary.dataset.compared = String(totals.compared)
  segments.replaceChildren(
    ...Object.entries(pair.bySegment).map(([segment, counts]) =>
      element(
        'tr',
        { 'data-segment': segment },
        element('td', {}, segment.replaceAll('_', ' ')),
        element('td', {}, String(counts.shadowed)),
        element('td', {}, String(counts.compared)),
        element('td', {}, `${counts.outcomeAgreed} (${percent(counts.outcomeAgreement)})`),
        element('td', {}, `${counts.reasonsAgreed} (${percent(counts.reasonAgreement)})`),
      ),
    ),
  )
  disagreements.replaceChildren(
    ...pair.disagreements.map((item) =>
      element(
        'li',
        {},
        `${item.segment ?? 'unspecified'}: ${title(item.primary.provider)} ${item.primary.verificationId} ${item.primary.outcome} [${item.primary.reasonCodes.join(', ')}] vs ` +
          `${title(item.shadow.provider)} ${item.shadow.verificationId} ${item.shadow.outcome} [${item.shadow.reasonCodes.join(', ')}]`,
      ),
    ),
  )
}

async function loadRouting() {
  const response = await fetch('/api/routing').catch(() => undefined)
  if (response === undefined || !response.ok) return false
  document.getElementById('routing').hidden = false
  renderRouting(await response.json())
  return true
}

async function routingAction(path, body, busy) {
  const status = document.getElementById('routing-status')
  status.textContent = busy
  const response = await fetch(path, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  })
  if (!response.ok) {
    status.textContent = 'The routing view refused the request.'
    return
  }
  const view = await response.json()
  renderRouting(view)
  status.textContent = `${view.applicants.length} applicants routed.`
  scheduleAuditReload()
}

document
  .getElementById('routing-run')
  .addEventListener('click', () =>
    routingAction('/api/routing/run', {}, 'Running the catalogue through routing…'),
  )
document
  .getElementById('routing-fault')
  .addEventListener('click', () =>
    routingAction(
      '/api/routing/fault',
      { injected: !routingFault },
      routingFault ? 'Jumio recovers…' : 'Jumio fails from now on…',
    ),
  )
loadRouting().then((available) => {
  // Decisions and shadow results arrive after the calls return: keep the view current.
  if (available) setInterval(() => void loadRouting(), 2000)
})

document.getElementById('new-verification').addEventListener('submit', startVerification)
connect()
loadScenarios()
