import { scenarioById } from '@openkyc/testkit/catalogue'
import { afterEach, describe, expect, it } from 'vitest'
import { createJumioEvidenceImage } from '../src/index.js'
import { accountRequest, type JumioTestServer, startJumio } from './jumio-test-server.js'

let test: JumioTestServer
afterEach(async () => {
  await test?.close()
})

async function created(extra: Record<string, unknown> = {}, key = 10011) {
  const { body } = await test.initiate(accountRequest(key, test.jumio.clock.now(), extra))
  return body
}

/** Reads the hidden token and the form's action the way a browser would. */
function formOf(html: string): { action: string; token: string } {
  const action = /<form id="jumio-journey" method="post" action="([^"]+)"/.exec(html)?.[1]
  const token = /name="authorizationToken" value="([^"]+)"/.exec(html)?.[1]
  if (action === undefined || token === undefined) throw new Error('journey form not found')
  return { action, token: token.replaceAll('&#46;', '.') }
}

async function submit(href: string, fields: Record<string, string | Blob>): Promise<Response> {
  const page = await fetch(href)
  expect(page.status).toBe(200)
  const { action, token } = formOf(await page.text())
  const form = new FormData()
  form.set('authorizationToken', token)
  for (const [name, value] of Object.entries(fields)) form.set(name, value)
  return fetch(new URL(action, href), { method: 'POST', body: form, redirect: 'manual' })
}

const statusOf = (message: { rawBody: string }) => JSON.parse(message.rawBody).workflowExecution.status

describe('hosted page at web.href', () => {
  it('serves an HTML journey that starts the session when opened', async () => {
    test = await startJumio()
    const body = await created()
    const page = await fetch(body.web!.href)
    expect(page.status).toBe(200)
    expect(page.headers.get('content-type')).toMatch(/^text\/html/)
    const html = await page.text()
    expect(html).toContain('data-journey-status="open"')
    expect(html).toContain('<select name="scenario" id="scenario">')
    expect(html).toContain('name="idFront"')
    expect(html).toContain('name="selfie"')
    // workflow 10011 has no screening: the watchlist scenario is not offered.
    expect(html).not.toContain('value="watchlist_hit"')
    expect(test.jumio.execution(body.workflowExecution.id).startedAt).toBe(test.jumio.clock.isoNow())
  })

  it('submitting a scenario captures the evidence, finalizes, calls back and redirects to successUrl', async () => {
    test = await startJumio()
    const body = await created({ web: { successUrl: 'https://example.com/done?from=jumio' } })
    const response = await submit(body.web!.href, { scenario: 'face_mismatch', action: 'submit' })
    expect(response.status).toBe(303)
    const location = new URL(response.headers.get('location')!)
    expect(location.origin + location.pathname).toBe('https://example.com/done')
    expect(Object.fromEntries(location.searchParams)).toEqual({
      from: 'jumio',
      accountId: body.account.id,
      workflowExecutionId: body.workflowExecution.id,
      acquisitionStatus: 'SUCCESS',
      customerInternalReference: 'txn-10011',
    })
    const execution = test.jumio.execution(body.workflowExecution.id)
    expect(execution).toMatchObject({
      status: 'PROCESSED',
      scenarioId: 'face_mismatch',
      scenarioSource: 'hosted-page',
      decisionType: 'REJECTED',
    })
    const facemap = execution.credentials.find((credential) => credential.category === 'FACEMAP')!
    expect(facemap.parts).toEqual([
      'FACEMAP',
      'LIVENESS_1',
      'LIVENESS_3',
      'LIVENESS_2',
      'LIVENESS_5',
      'LIVENESS_4',
      'LIVENESS_6',
    ])
    expect(facemap.capturedVia).toBe('WEB')
    await test.jumio.callbacksIdle()
    expect(test.jumio.callbacks.map(statusOf)).toEqual(['PROCESSED'])
  })

  it('preselects the scenario a reference names and fills its last name, so a plain submit realises it', async () => {
    test = await startJumio()
    const body = await created({ customerInternalReference: 'scenario:face_mismatch:demo-1' })
    const html = await (await fetch(body.web!.href)).text()
    const lastName = scenarioById('face_mismatch').applicant.lastName
    // What a browser submits when the applicant changes nothing: the selected option and the filled field.
    const selected = /<option value="([a-z_]+)" selected>/.exec(html)?.[1]
    const typed = /id="last-name" autocomplete="off" value="([^"]*)"/.exec(html)?.[1]
    expect(selected).toBe('face_mismatch')
    expect(typed).toBe(lastName)
    await submit(body.web!.href, { scenario: selected!, lastName: typed!, action: 'submit' })
    expect(test.jumio.execution(body.workflowExecution.id)).toMatchObject({
      scenarioId: 'face_mismatch',
      decisionType: 'REJECTED',
    })

    // Without a scenario in the request nothing is preselected and the last name is empty.
    const plain = await (await fetch((await created()).web!.href)).text()
    expect(plain).not.toContain(' selected>')
    expect(plain).toContain('id="last-name" autocomplete="off" value=""')
  })

  it('reads the magic last name typed by the applicant, and uploaded images', async () => {
    test = await startJumio()
    const typed = await created()
    const thanks = await submit(typed.web!.href, { lastName: 'Testperson-Tampered', action: 'submit' })
    expect(thanks.status).toBe(200)
    expect(await thanks.text()).toContain('data-journey-status="done"')
    expect(test.jumio.execution(typed.workflowExecution.id)).toMatchObject({
      scenarioId: 'tampered_document',
      decisionType: 'REJECTED',
    })

    const uploaded = await created()
    const front = new Blob(
      [new Uint8Array(createJumioEvidenceImage({ text: scenarioById('repeated_face').applicant.lastName }))],
      {
        type: 'image/jpeg',
      },
    )
    await submit(uploaded.web!.href, { idFront: front, action: 'submit' })
    const execution = test.jumio.execution(uploaded.workflowExecution.id)
    expect(execution).toMatchObject({ scenarioId: 'repeated_face', decisionType: 'WARNING' })
    expect(execution.credentials.find((credential) => credential.category === 'ID')!.parts).toContain('FRONT')
  })

  it('shows the form again with the error when an uploaded image is too small', async () => {
    test = await startJumio()
    const body = await created()
    const tiny = new Blob([new Uint8Array(createJumioEvidenceImage({ width: 100, height: 100 }))], {
      type: 'image/jpeg',
    })
    const response = await submit(body.web!.href, { idFront: tiny, action: 'submit' })
    expect(response.status).toBe(400)
    expect(await response.text()).toContain('id="journey-error"')
    expect(test.jumio.execution(body.workflowExecution.id).status).toBe('INITIATED')
  })

  it('leaving submits nothing, and the session then expires with a SESSION_EXPIRED callback', async () => {
    test = await startJumio()
    const body = await created()
    const left = await submit(body.web!.href, { action: 'leave' })
    expect(await left.text()).toContain('data-journey-status="left"')
    expect(test.jumio.execution(body.workflowExecution.id).status).toBe('INITIATED')
    await test.jumio.advanceTime(15 * 60_000)
    expect(test.jumio.execution(body.workflowExecution.id).status).toBe('SESSION_EXPIRED')
    await test.jumio.callbacksIdle()
    expect(test.jumio.callbacks.map(statusOf)).toEqual(['SESSION_EXPIRED'])
  })

  it('answers 401 with an error page for an unknown or expired link, and says when it was used', async () => {
    test = await startJumio()
    const unknown = await fetch(`${test.url}/web/v4/app?authorizationToken=forged&locale=en`)
    expect(unknown.status).toBe(401)
    expect(await unknown.text()).toContain('data-journey-status="error"')
    const used = await created()
    await submit(used.web!.href, { scenario: 'clean_approve', action: 'submit' })
    const again = await fetch(used.web!.href)
    expect(await again.text()).toContain('already submitted')
    const expiring = await created({ tokenLifetime: '5m' })
    await test.jumio.advanceTime(5 * 60_000)
    expect((await fetch(expiring.web!.href)).status).toBe(401)
  })
})
