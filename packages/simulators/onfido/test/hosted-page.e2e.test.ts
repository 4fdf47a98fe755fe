import { constants } from 'node:fs'
import { access, mkdtemp, rm } from 'node:fs/promises'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { scenarios } from '@openkyc/testkit/catalogue'
import { type BrowserContext, chromium, type Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { onfidoSignatureHeader, signOnfidoWebhook } from '../src/index.js'
import { startOnfido } from './onfido-test-server.js'

/** Debian's Chromium; the test never downloads a browser. */
const chromiumPath = '/usr/bin/chromium'
const chromiumArgs = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
]
const webhookToken = 'hosted-page-browser-test'

let context: BrowserContext | undefined
let page: Page
let profileDirectory = ''
/** The integrator's app the flow sends the applicant back to: a real loopback server. */
let app: Server | undefined
let appUrl = ''

beforeAll(async () => {
  try {
    await access(chromiumPath, constants.X_OK)
  } catch {
    throw new Error(
      `Chromium is not installed at ${chromiumPath}: install it with "apt-get install -y chromium" (this test never downloads a browser).`,
    )
  }
  app = createServer((_request, response) => {
    response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' })
    response.end('<!doctype html><title>App</title><p id="app-done">Back in the app.</p>')
  })
  await new Promise<void>((resolve) => app!.listen(0, '127.0.0.1', resolve))
  appUrl = `http://127.0.0.1:${(app.address() as AddressInfo).port}`
  profileDirectory = await mkdtemp(join(tmpdir(), 'openkyc-onfido-chromium-'))
  context = await chromium.launchPersistentContext(profileDirectory, {
    executablePath: chromiumPath,
    headless: true,
    args: chromiumArgs,
    viewport: { width: 1000, height: 800 },
  })
  page = context.pages()[0] ?? (await context.newPage())
})

afterAll(async () => {
  await context?.close()
  if (app !== undefined) await new Promise((resolve) => app!.close(resolve))
  if (profileDirectory !== '') await rm(profileDirectory, { recursive: true, force: true })
})

describe('the Onfido hosted flow at the workflow run link, in Chromium', () => {
  it('preselects the outcome the magic last name names; the applicant picks another, submits, and the run and its signed webhook follow', async () => {
    const onfido = await startOnfido()
    onfido.simulator.registerWebhook({ url: `${appUrl}/webhooks/onfido`, token: webhookToken })
    const { runId } = await onfido.createRun('Testperson-Mismatch')
    const run = await onfido.call('GET', `/v3.6/workflow_runs/${runId}`)

    await page.goto(run.body.link.url)
    expect(await page.locator('body').getAttribute('data-run-state')).toBe('open')
    const select = page.locator('select#scenario')
    expect(await select.inputValue()).toBe('face_mismatch')
    expect(await page.locator('label[for="scenario"]').textContent()).toBe('Outcome to simulate')
    expect(
      await select
        .locator('option')
        .evaluateAll((options) => options.map((o) => (o as HTMLOptionElement).value)),
    ).toEqual(scenarios.map((scenario) => scenario.id))
    // Opening the link is the applicant starting: a workflow_task.started webhook, the run unchanged.
    expect(onfido.simulator.run(runId).status).toBe('awaiting_input')

    await select.selectOption('watchlist_hit')
    await page.locator('#submit').click()
    await page.locator('#done-message').waitFor()
    expect(await page.locator('body').getAttribute('data-run-state')).toBe('done')
    expect((await onfido.call('GET', `/v3.6/workflow_runs/${runId}`)).body.status).toBe('review')

    await onfido.simulator.deliveriesIdle()
    // The simulator also has its default webhook: only the one registered here is ours.
    const completed = onfido.simulator.deliveries
      .filter((message) => message.url === `${appUrl}/webhooks/onfido`)
      .map((message) => ({ message, body: JSON.parse(message.rawBody) }))
      .filter(
        ({ body }) => body.payload.action === 'workflow_run.completed' && body.payload.object.id === runId,
      )
    expect(completed).toHaveLength(1)
    expect(completed[0]!.body.payload.object.status).toBe('review')
    expect(completed[0]!.message.headers[onfidoSignatureHeader]).toBe(
      signOnfidoWebhook(completed[0]!.message.rawBody, webhookToken),
    )

    // The link is spent: opening it again says so and changes nothing.
    await page.goto(run.body.link.url)
    expect(await page.locator('body').getAttribute('data-run-state')).toBe('done')
    expect(await page.locator('select#scenario').count()).toBe(0)
  })

  it('sends the applicant to completed_redirect_url after submitting, and an expired link to expired_redirect_url', async () => {
    const onfido = await startOnfido()
    const { runId } = await onfido.createRun('Testperson-Approve', {
      link: { completed_redirect_url: `${appUrl}/done` },
    })
    const run = await onfido.call('GET', `/v3.6/workflow_runs/${runId}`)
    await page.goto(run.body.link.url)
    expect(await page.locator('select#scenario').inputValue()).toBe('clean_approve')
    await page.locator('#submit').click()
    await page.locator('#app-done').waitFor()
    expect(new URL(page.url()).pathname).toBe('/done')
    expect((await onfido.call('GET', `/v3.6/workflow_runs/${runId}`)).body.status).toBe('approved')

    const expiring = await onfido.createRun('Testperson-Approve', {
      link: { expires_at: '2030-01-01T00:10:00Z', expired_redirect_url: `${appUrl}/expired` },
    })
    await onfido.clock.advance(10 * 60 * 1000)
    await page.goto(`${onfido.server.url}/l/${expiring.runId}`)
    await page.locator('#app-done').waitFor()
    expect(new URL(page.url()).pathname).toBe('/expired')

    const plain = await onfido.createRun('Testperson-Approve', {
      link: { expires_at: '2030-01-01T00:20:00Z' },
    })
    await onfido.clock.advance(10 * 60 * 1000)
    const response = await page.goto(`${onfido.server.url}/l/${plain.runId}`)
    expect(response?.status()).toBe(410)
    expect(await page.locator('body').getAttribute('data-run-state')).toBe('expired')
  })
})
