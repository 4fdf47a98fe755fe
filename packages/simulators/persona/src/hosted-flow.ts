import { createJpeg } from '@openkyc/testkit/harness'
import type { Hono } from 'hono'
import {
  internalOf,
  redeemOneTimeLink,
  resolveScenario,
  scenarioFromMagicInput,
  sessionTokenFor,
} from './inquiry-lifecycle.js'
import { type PersonaRuntime, readSessionToken } from './runtime.js'
import { isScenarioId, personaScenarioIds } from './scenarios.js'
import type { StoredResource } from './state.js'

/**
 * A minimal hosted flow at the hand-off URLs (`/verify?inquiry-id=…&session-token=…`, one-time links
 * `/verify?code=…` and `/v/{code}`): a person or a browser test picks the outcome (a catalogue scenario,
 * preselected from the magic `name-last`) and submits; the inquiry runs through the applicant's part of
 * the scenario (flow and automatic decisioning) and webhooks fire. Also serves placeholder document
 * images at the verification photo URLs.
 */

function escapeHtml(text: string): string {
  return text
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&#39;')
}

function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>body{font-family:system-ui,sans-serif;max-width:36rem;margin:3rem auto;padding:0 1rem;color:#1d1d1f}
label{display:block;margin:1rem 0 .25rem}select,button{font-size:1rem;padding:.5rem}button{margin-top:1rem}
.status{font-family:monospace}</style></head>
<body><h1>${escapeHtml(title)}</h1>${body}<p><small>Persona simulator (OpenKYC testkit). No real verification happens here.</small></p></body></html>`
}

function errorPage(status: 403 | 404 | 410 | 409, message: string): Response {
  return new Response(page('Verification unavailable', `<p id="error">${escapeHtml(message)}</p>`), {
    status,
    headers: { 'content-type': 'text/html; charset=utf-8' },
  })
}

function html(body: string): Response {
  return new Response(body, { headers: { 'content-type': 'text/html; charset=utf-8' } })
}

function formPage(runtime: PersonaRuntime, inquiry: StoredResource, token: string): Response {
  const preselected = scenarioFromMagicInput(runtime, inquiry) ?? 'clean_approve'
  const options = personaScenarioIds
    .map(
      (id) =>
        `<option value="${escapeHtml(id)}"${id === preselected ? ' selected' : ''}>${escapeHtml(id.replaceAll('_', ' '))}</option>`,
    )
    .join('')
  const status = String(inquiry.attributes.status)
  return html(
    page(
      'Verify your identity',
      `<p>Inquiry <span class="status" id="inquiry-id">${escapeHtml(inquiry.id)}</span> is
<span class="status" id="inquiry-status">${escapeHtml(status)}</span>.</p>
<form method="post" action="/verify">
<input type="hidden" name="inquiry-id" value="${escapeHtml(inquiry.id)}">
<input type="hidden" name="session-token" value="${escapeHtml(token)}">
<label for="scenario">Outcome to simulate</label>
<select id="scenario" name="scenario">${options}</select>
<button type="submit" id="submit">Submit verification</button>
</form>`,
    ),
  )
}

/** Registers the hosted-flow pages and file URLs on the root app. */
export function registerHostedFlowRoutes(app: Hono, runtime: PersonaRuntime): void {
  const inquiries = runtime.context.state.collection('inquiry')

  app.get('/v/:code', (c) => c.redirect(`/verify?code=${encodeURIComponent(c.req.param('code'))}`, 302))

  app.get('/verify', (c) => {
    const code = c.req.query('code')
    let inquiry: StoredResource | undefined
    if (code !== undefined) {
      const redeemed = redeemOneTimeLink(runtime, code)
      if ('error' in redeemed) {
        return errorPage(
          redeemed.error === 'unknown' ? 404 : 410,
          `This link is ${redeemed.error === 'unknown' ? 'not valid' : redeemed.error}.`,
        )
      }
      inquiry = redeemed.inquiry
    } else {
      const inquiryId = c.req.query('inquiry-id') ?? ''
      inquiry = inquiries.get(inquiryId)
      if (inquiry === undefined) return errorPage(404, 'This inquiry does not exist.')
      const token = c.req.query('session-token')
      const claims =
        token === undefined
          ? undefined
          : readSessionToken(runtime.settings.sessionSecret, token, runtime.context.now())
      const openWithoutToken = inquiry.attributes.status === 'created'
      if (!openWithoutToken && (claims === undefined || claims.inquiryId !== inquiry.id)) {
        return errorPage(403, 'This inquiry needs a valid session token; resume it to get one.')
      }
    }
    const status = inquiry.attributes.status
    if (status !== 'created' && status !== 'pending') {
      return errorPage(409, `This inquiry is ${String(status)} and cannot be continued.`)
    }
    return formPage(runtime, inquiry, sessionTokenFor(runtime, inquiry))
  })

  app.post('/verify', async (c) => {
    const form = await c.req.parseBody()
    const inquiry = inquiries.get(String(form['inquiry-id'] ?? ''))
    if (inquiry === undefined) return errorPage(404, 'This inquiry does not exist.')
    const claims = readSessionToken(
      runtime.settings.sessionSecret,
      String(form['session-token'] ?? ''),
      runtime.context.now(),
    )
    if (claims === undefined || claims.inquiryId !== inquiry.id)
      return errorPage(403, 'The session has expired.')
    const scenario = form.scenario
    if (!isScenarioId(scenario)) return errorPage(404, 'Unknown outcome.')
    const status = inquiry.attributes.status
    if ((status !== 'created' && status !== 'pending') || internalOf(inquiry).scenarioProgress !== 'none') {
      return errorPage(409, `This inquiry is ${String(status)} and cannot be continued.`)
    }
    resolveScenario(runtime, inquiry, scenario, { stage: 'intermediate' })
    const redirectUri = internalOf(inquiry).redirectUri
    if (redirectUri !== null) {
      const target = new URL(redirectUri)
      target.searchParams.set('inquiry-id', inquiry.id)
      target.searchParams.set('status', String(inquiry.attributes.status))
      return c.redirect(target.toString(), 303)
    }
    return html(
      page(
        'Thank you',
        `<p>Your verification was submitted. Inquiry <span class="status" id="inquiry-id">${escapeHtml(inquiry.id)}</span> is now
<span class="status" id="inquiry-status">${escapeHtml(String(inquiry.attributes.status))}</span>.</p>`,
      ),
    )
  })

  let placeholder: Uint8Array | undefined
  app.get('/files/:verificationId/:name', (c) => {
    const verification = runtime.context.state.collection('verification').get(c.req.param('verificationId'))
    if (verification === undefined || verification.attributes['redacted-at'] !== undefined) {
      return c.json({ errors: [{ title: 'Record not found' }] }, 404)
    }
    placeholder ??= createJpeg({ width: 64, height: 40, fill: [200, 200, 210] })
    return new Response(placeholder.slice(), { headers: { 'content-type': 'image/jpeg' } })
  })
}
