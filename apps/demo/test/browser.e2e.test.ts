import { type ChildProcess, spawn } from 'node:child_process'
import { constants } from 'node:fs'
import { access, mkdir, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { scenarios } from '@openkyc/testkit/catalogue'
import { type BrowserContext, chromium, type Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { DemoSnapshot } from '../src/comparison.js'
import { cleanEnvironment, cliPath } from './support/run-cli.js'

/** Debian's Chromium; the test never downloads a browser. */
const chromiumPath = '/usr/bin/chromium'
const chromiumArgs = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
]
const screenshotPath = fileURLToPath(new URL('../artifacts/demo.png', import.meta.url))
const mobileScreenshotPath = fileURLToPath(new URL('../artifacts/demo-mobile.png', import.meta.url))

let demo: ChildProcess | undefined
let demoUrl = ''
let profileDirectory = ''
/** The demo's PGlite data directory, fresh for this run. */
let dataDirectory = ''
let context: BrowserContext | undefined
let page: Page
/** Every response the page got with an error status, and every console error: both should stay empty. */
const failedRequests: string[] = []
const consoleErrors: string[] = []

/** Starts `node dist/cli.js --port 0` and resolves with the URL it prints once the catalogue ran. */
function startDemo(): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cliPath, '--port', '0', '--data-dir', dataDirectory], {
      env: cleanEnvironment(),
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    demo = child
    let stdout = ''
    let stderr = ''
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk
    })
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk
      const match = /Web page: (http:\/\/127\.0\.0\.1:\d+)/.exec(stdout)
      if (match !== null) resolve(match[1]!)
    })
    child.once('error', reject)
    child.once('exit', (code) => reject(new Error(`the demo exited (${code}) before serving: ${stderr}`)))
  })
}

async function stopDemo(): Promise<void> {
  const child = demo
  if (child === undefined || child.exitCode !== null) return
  const exited = new Promise((resolve) => child.once('exit', resolve))
  child.kill('SIGTERM')
  await exited
}

/** Whether an element is fully inside the window, as the person sees it. */
function isInViewport(node: Element): boolean {
  const box = node.getBoundingClientRect()
  return box.top >= 0 && box.bottom <= window.innerHeight
}

const resultCell = (rowId: string, provider: string) =>
  page.locator(`#rows tr[data-row-id="${rowId}"] td[data-provider="${provider}"]`)

beforeAll(async () => {
  try {
    await access(chromiumPath, constants.X_OK)
  } catch {
    throw new Error(
      `Chromium is not installed at ${chromiumPath}: install it with "apt-get install -y chromium" (this test never downloads a browser).`,
    )
  }
  dataDirectory = await mkdtemp(join(tmpdir(), 'openkyc-demo-data-'))
  demoUrl = await startDemo()
  profileDirectory = await mkdtemp(join(tmpdir(), 'openkyc-demo-chromium-'))
  context = await chromium.launchPersistentContext(profileDirectory, {
    executablePath: chromiumPath,
    headless: true,
    args: chromiumArgs,
    viewport: { width: 1400, height: 1000 },
  })
  page = context.pages()[0] ?? (await context.newPage())
  page.on('response', (response) => {
    if (response.status() >= 400)
      failedRequests.push(`${response.status()} ${new URL(response.url()).pathname}`)
  })
  page.on('console', (message) => {
    if (message.type() === 'error') consoleErrors.push(message.text())
  })
})

afterAll(async () => {
  await context?.close()
  await stopDemo()
  if (profileDirectory !== '') await rm(profileDirectory, { recursive: true, force: true })
  if (dataDirectory !== '') await rm(dataDirectory, { recursive: true, force: true })
})

describe('the demo page in Chromium', () => {
  it('shows the run side by side with the agreement summary, latency chart and capability matrix', async () => {
    await page.goto(demoUrl)
    await page.locator('body[data-ready="true"]').waitFor()
    await expect.poll(() => page.locator('#live').getAttribute('data-state')).toBe('open')

    const snapshot = (await (await fetch(`${demoUrl}/api/state`)).json()) as DemoSnapshot
    const rows = page.locator('#rows tbody tr')
    await expect.poll(() => rows.count()).toBe(scenarios.length)
    expect(await page.locator('#rows thead th').allTextContents()).toEqual([
      'Applicant',
      'Jumio',
      'Persona',
      'Onfido',
      'Comparison',
    ])

    // Every row shows the three providers' normalized results, as the server computed them.
    for (const row of snapshot.rows) {
      for (const provider of ['jumio', 'persona', 'onfido'] as const) {
        const result = row.results[provider]!
        const cell = resultCell(row.id, provider)
        expect(await cell.locator('[data-field="status"]').textContent(), `${row.id} ${provider}`).toBe(
          result.status,
        )
        expect(await cell.locator('[data-field="outcome"]').textContent(), `${row.id} ${provider}`).toBe(
          result.outcome ?? (result.status === 'completed' ? 'completed' : result.status),
        )
      }
      const agrees = row.comparison.outcomeAgrees === null ? 'none' : String(row.comparison.outcomeAgrees)
      expect(await page.locator(`#rows tr[data-row-id="${row.id}"]`).getAttribute('data-agrees')).toBe(agrees)
    }
    expect(
      await resultCell('catalogue:clean_approve', 'jumio').locator('[data-field="outcome"]').textContent(),
    ).toBe('approved')
    expect(
      await resultCell('catalogue:clean_approve', 'persona').locator('[data-field="outcome"]').textContent(),
    ).toBe('approved')
    expect(
      await resultCell('catalogue:clean_approve', 'onfido').locator('[data-field="outcome"]').textContent(),
    ).toBe('approved')

    // Differences are highlighted; the raw view is redacted.
    const highlighted = await page.locator('#rows .diff').count()
    const expectedHighlights = snapshot.rows.some(
      (row) => row.comparison.differences.length > 0 || row.comparison.checkDifferences.length > 0,
    )
    expect(highlighted > 0).toBe(expectedHighlights)
    // Checks are grouped by kind: providers run several checks of one kind.
    const personaChecks = snapshot.rows[0]!.results.persona!.checks
    expect(
      await resultCell('catalogue:clean_approve', 'persona').locator('[data-field="checks"] li').count(),
    ).toBe(new Set(personaChecks.map((check) => check.kind)).size)
    // A check of kind `other` is named by the vendor's check names, never a bare "other: 3 passed".
    const otherNames = personaChecks.filter((check) => check.kind === 'other').map((check) => check.name)
    expect(otherNames.length).toBeGreaterThan(0)
    const otherLine = await resultCell('catalogue:clean_approve', 'persona')
      .locator('[data-field="checks"] li[data-kind="other"]')
      .textContent()
    for (const name of otherNames) expect(otherLine).toContain(name)
    expect(await page.locator('#rows li[data-kind="other"]').allTextContents()).not.toContainEqual(
      expect.stringMatching(/^other: \d/),
    )
    const raw = await resultCell('catalogue:clean_approve', 'persona')
      .locator('[data-field="raw"]')
      .textContent()
    expect(JSON.parse(raw ?? 'null')).toMatchObject({ verification: { status: expect.any(String) } })

    // The agreement summary, per scenario kind.
    const { agreement } = snapshot
    expect(await page.locator('#agreement-overall').textContent()).toBe(
      `${agreement.agreed} of ${agreement.compared} outcomes agree (${Math.round(agreement.rate! * 100)}%)`,
    )
    expect(
      await page
        .locator('#agreement-by-kind tbody tr')
        .evaluateAll((trs) => trs.map((tr) => tr.dataset.kind)),
    ).toEqual(['baseline', 'document', 'biometric', 'compliance', 'lifecycle', 'review'])

    // Latency as an inline SVG chart: one bar and one dot per applicant for each provider.
    expect(await page.locator('#latency-chart svg rect.bar').count()).toBe(3)
    for (const provider of ['jumio', 'persona', 'onfido']) {
      expect(await page.locator(`#latency-chart svg circle.dot-${provider}`).count()).toBe(scenarios.length)
    }
    expect(
      await page.locator('#capabilities thead th').allTextContents(),
      'the capability matrix has a column per provider',
    ).toEqual(expect.arrayContaining(['Jumio', 'Persona', 'Onfido']))

    // The capability matrix, from the adapters' declarations.
    for (const entry of snapshot.capabilities.providers) {
      for (const capability of snapshot.capabilities.capabilities) {
        const cell = page.locator(
          `#capabilities tr[data-capability="${capability}"] td[data-provider="${entry.provider}"]`,
        )
        expect(await cell.textContent()).toBe(entry.declared[capability] ? '✓' : '–')
      }
    }

    // No personal data reaches the page.
    // textContent includes the collapsed raw payloads too.
    const text = (await page.locator('body').textContent()) ?? ''
    for (const { applicant } of scenarios) {
      for (const value of [
        applicant.firstName,
        applicant.lastName,
        applicant.dateOfBirth,
        applicant.documentNumber,
      ]) {
        expect(text).not.toContain(value)
      }
    }
  })

  it.each([
    { provider: 'persona', scenario: 'face_mismatch', outcome: 'declined', rowId: 'new:1' },
    { provider: 'jumio', scenario: 'face_mismatch', outcome: 'declined', rowId: 'new:2' },
    { provider: 'jumio', scenario: 'expired_document', outcome: 'declined', rowId: 'new:3' },
    { provider: 'onfido', scenario: 'face_mismatch', outcome: 'declined', rowId: 'new:4' },
  ])(
    'runs a new $provider verification for $scenario through the hosted flow, which preselects it, and follows its row',
    async (run) => {
      // Marks this page load: a reload would lose it.
      await page.evaluate(() => {
        ;(window as unknown as { loadMarker: string }).loadMarker = 'still the same page'
      })

      await page.selectOption('#new-provider', run.provider)
      await page.selectOption('#new-scenario', run.scenario)
      await page.click('#new-start')
      await expect.poll(() => page.locator('#new-status').getAttribute('data-row-id')).toBe(run.rowId)

      // The row appears before the applicant did anything; the status line names the provider and applicant.
      const cell = resultCell(run.rowId, run.provider)
      await cell.locator('[data-field="status"]').waitFor()
      expect(await cell.locator('[data-field="outcome"]').textContent()).not.toBe(run.outcome)
      const title = scenarios.find((scenario) => scenario.id === run.scenario)!.title
      const status = page.locator('#new-status')
      expect(await status.textContent()).toContain(title)
      expect(await status.textContent()).not.toContain('new:')

      // The hosted flow in the iframe already has the chosen applicant; the applicant just submits.
      const flow = page.frameLocator('#hosted-flow')
      expect(await flow.locator('select#scenario').inputValue()).toBe(run.scenario)
      await flow.locator('#submit').click()
      await page.frameLocator('#hosted-flow').locator('#done-message').waitFor()

      // The webhook (Persona and Onfido, signed) or callback (Jumio, confirmed by retrieval) lands; the row updates.
      await expect
        .poll(() => cell.locator('[data-field="outcome"]').textContent(), { timeout: 30_000 })
        .toBe(run.outcome)
      expect(await cell.locator('[data-field="status"]').textContent()).toBe('completed')
      // Checked against the catalogue like the run's rows, and the status line says so, kept current.
      expect(await cell.locator('[data-field="expectation"]').getAttribute('class')).toBe('expectation ok')
      await expect.poll(() => status.textContent()).toContain(`${run.outcome}, as the catalogue expects`)
      // The row is brought into view and marked.
      const row = page.locator(`#rows tr[data-row-id="${run.rowId}"]`)
      expect(await row.getAttribute('class')).toContain('current')
      await expect.poll(() => row.evaluate(isInViewport)).toBe(true)
      expect(await page.evaluate(() => (window as unknown as { loadMarker?: string }).loadMarker)).toBe(
        'still the same page',
      )
    },
  )

  it("shows each verification's audit timeline from the store, its hash chain verified, without personal data", async () => {
    await expect
      .poll(() => page.locator('#audit-chain').textContent(), { timeout: 30_000 })
      .toMatch(/^Hash chain verified: \d+ entries\.$/)
    // The four verifications started above, at least, each with its webhook events in order.
    await expect.poll(() => page.locator('#audit-timelines details').count()).toBeGreaterThanOrEqual(4)
    const timeline = page.locator('#audit-timelines details').first()
    await timeline.locator('summary').click()
    expect(await timeline.locator('li').count()).toBeGreaterThan(0)
    // Each timeline's last entry is where that verification stands; the declined applicants started
    // above end declined (the order of timelines on the page is not part of this check).
    const lastEntries = await page
      .locator('#audit-timelines details')
      .evaluateAll((timelines) =>
        timelines.map((details) => [...details.querySelectorAll('li')].at(-1)?.textContent ?? ''),
      )
    expect(lastEntries.every((entry) => entry !== '')).toBe(true)
    expect(lastEntries.some((entry) => /→ completed \(declined\)/.test(entry))).toBe(true)
    const text = (await page.locator('#audit-timelines').textContent()) ?? ''
    for (const value of scenarios.flatMap(({ applicant }) => [applicant.firstName, applicant.lastName]))
      expect(text).not.toContain(value)
  })

  it('flags a new row whose result differs from what the catalogue expects for its applicant', async () => {
    await page.selectOption('#new-provider', 'persona')
    await page.selectOption('#new-scenario', 'underage')
    await page.click('#new-start')
    await expect.poll(() => page.locator('#new-status').getAttribute('data-row-id')).toBe('new:5')
    // The person in the hosted flow picks another outcome than the applicant stands for.
    const flow = page.frameLocator('#hosted-flow')
    await flow.locator('select#scenario').selectOption('clean_approve')
    await flow.locator('#submit').click()
    const cell = resultCell('new:5', 'persona')
    await expect
      .poll(() => cell.locator('[data-field="outcome"]').textContent(), { timeout: 30_000 })
      .toBe('approved')
    const flag = cell.locator('[data-field="expectation"]')
    expect(await flag.getAttribute('class')).toBe('expectation bad')
    expect(await flag.textContent()).toContain('outcome approved, expected declined')
    await expect.poll(() => page.locator('#new-status').textContent()).toContain('differs from the catalogue')
  })

  it('routes the catalogue: a Jumio/Onfido split, shadow runs at Onfido, the fault button and its fallback, the agreement report', async () => {
    await page.locator('#routing').waitFor({ state: 'visible' })
    const rows = page.locator('#routing-applicants tbody tr')
    const routed = scenarios.length - 1 // the abandoning applicant never submits through the API
    await page.click('#routing-run')
    await expect.poll(() => rows.count(), { timeout: 60_000 }).toBe(routed)
    const atJumio = await page.locator('#routing-applicants tbody tr[data-provider="jumio"]').count()
    const atOnfido = await page.locator('#routing-applicants tbody tr[data-provider="onfido"]').count()
    expect(atJumio).toBeGreaterThan(0)
    expect(atOnfido).toBeGreaterThan(0)
    expect(atJumio + atOnfido).toBe(routed)
    const shadows = await page.locator('#routing-applicants td[data-field="shadow"]').allTextContents()
    expect(shadows.filter((text) => text === 'shadowed at Onfido')).toHaveLength(atJumio)
    // Decisions and shadow results arrive by webhook; the report fills in as they do.
    await expect
      .poll(
        async () => Number((await page.locator('#routing-agreement').getAttribute('data-compared')) ?? '0'),
        {
          timeout: 60_000,
        },
      )
      .toBeGreaterThan(0)
    expect(await page.locator('#routing-agreement-table tbody tr').count()).toBeGreaterThan(0)

    // The fault button: Jumio's account creations fail, routing falls back to Onfido within the call.
    await page.click('#routing-fault')
    await expect.poll(() => page.locator('#routing-fault').getAttribute('aria-pressed')).toBe('true')
    await page.click('#routing-run')
    await expect.poll(() => rows.count(), { timeout: 60_000 }).toBe(2 * routed)
    const second = await rows.evaluateAll(
      (nodes, from) =>
        nodes.slice(from).map((node) => ({
          provider: node.getAttribute('data-provider'),
          attempts: node.querySelector('[data-field="attempts"]')?.textContent ?? '',
        })),
      routed,
    )
    expect(second.every((row) => row.provider === 'onfido')).toBe(true)
    expect(second.some((row) => row.attempts === 'jumio unavailable → onfido created')).toBe(true)
    await page.click('#routing-fault')
    await expect.poll(() => page.locator('#routing-fault').getAttribute('aria-pressed')).toBe('false')
    const text = (await page.locator('#routing').textContent()) ?? ''
    for (const value of scenarios.flatMap(({ applicant }) => [applicant.firstName, applicant.lastName]))
      expect(text).not.toContain(value)
  })

  it('fits a phone: no horizontal overflow at 390×844, the latency chart inside its panel', async () => {
    await page.setViewportSize({ width: 390, height: 844 })
    await page.reload()
    await page.locator('body[data-ready="true"]').waitFor()
    const widths = await page.evaluate(() => ({
      document: document.documentElement.scrollWidth,
      viewport: document.documentElement.clientWidth,
    }))
    expect(widths.document).toBeLessThanOrEqual(widths.viewport)
    const chart = await page.locator('#latency-chart svg').boundingBox()
    const panel = await page.locator('#latency').boundingBox()
    expect(chart!.x + chart!.width).toBeLessThanOrEqual(panel!.x + panel!.width)
    await mkdir(fileURLToPath(new URL('../artifacts/', import.meta.url)), { recursive: true })
    await page.screenshot({ path: mobileScreenshotPath, fullPage: true })
    await access(mobileScreenshotPath)
    await page.setViewportSize({ width: 1400, height: 1000 })
  })

  it('loads without a failed request (the favicon included) or a console error', () => {
    expect(failedRequests).toEqual([])
    expect(consoleErrors).toEqual([])
  })

  it('saves a screenshot', async () => {
    await mkdir(fileURLToPath(new URL('../artifacts/', import.meta.url)), { recursive: true })
    await page.screenshot({ path: screenshotPath, fullPage: true })
    await access(screenshotPath)
  })
})
