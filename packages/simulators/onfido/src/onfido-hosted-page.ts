import { type ScenarioId, scenarioByLastName, scenarios } from '@openkyc/testkit/catalogue'
import type { Hono } from 'hono'
import type { OnfidoEngine } from './onfido-engine.js'
import { OnfidoApiError } from './onfido-errors.js'
import { terminalRunStatuses, type WorkflowRunRecord } from './onfido-resources.js'
import { scenarioFor } from './onfido-scenarios.js'

/**
 * The hosted flow behind a workflow run's `link.url` (`https://{region}.onfido.app/l/<run id>`, §7):
 * a small HTML page on which a person (or a browser test) plays the applicant. Opening it marks the
 * run opened; submitting captures the evidence and lets the run process, then redirects to
 * `completed_redirect_url` when one was set. An expired link redirects to `expired_redirect_url`.
 * Its markup is the one the Jumio and Persona simulators' pages share: `select#scenario` (the
 * outcome, preselected from the applicant's magic last name), `#submit`, and `#done-message` on the
 * thank-you page.
 */

const escapeHtml = (value: string): string =>
  value.replace(/[&<>"']/g, (character) => `&#${character.charCodeAt(0)};`)

function page(title: string, body: string, state: 'open' | 'done' | 'expired' | 'error'): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)} · Onfido simulator</title>
<style>
body{font-family:system-ui,sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem;color:#1d2433}
h1{font-size:1.4rem}label{display:block;margin:.75rem 0 .25rem}select,button{font:inherit;margin:.25rem 0 1rem}select{display:block}
button{padding:.5rem 1.25rem;border-radius:.4rem;border:1px solid #345;background:#3d2ad1;color:#fff}
.note{color:#556}
</style>
</head>
<body data-run-state="${state}">
<h1>${escapeHtml(title)}</h1>
${body}
</body>
</html>`
}

const html = (body: string, status = 200) =>
  new Response(body, { status, headers: { 'content-type': 'text/html; charset=utf-8' } })

function expired(run: WorkflowRunRecord, now: number): boolean {
  return run.status === 'abandoned' || (run.link.expiresAt !== null && run.link.expiresAt <= now)
}

function form(run: WorkflowRunRecord, current: ScenarioId): string {
  const options = scenarios
    .map(
      (scenario) =>
        `<option value="${scenario.id}"${scenario.id === current ? ' selected' : ''}>${escapeHtml(scenario.title)}</option>`,
    )
    .join('')
  return `<p class="note">Simulated Onfido Studio flow. Capture is simulated: choose what the applicant's document and selfie show.</p>
<form method="post" action="/l/${run.id}">
<label for="scenario">Outcome to simulate</label>
<select id="scenario" name="scenario">${options}</select>
<button type="submit" id="submit" name="action" value="submit">Submit verification</button>
</form>`
}

/**
 * Registers `GET` and `POST /l/:run_id` on the simulator's root app.
 *
 * @example
 * registerOnfidoHostedPage(root, engine, () => clock.now())
 */
export function registerOnfidoHostedPage(app: Hono, engine: OnfidoEngine): void {
  const find = (id: string): WorkflowRunRecord | undefined => {
    try {
      return engine.runById(id)
    } catch {
      return undefined
    }
  }

  const expiredResponse = (run: WorkflowRunRecord): Response => {
    if (run.link.expiredRedirectUrl !== null) return Response.redirect(run.link.expiredRedirectUrl, 302)
    return html(
      page('This link has expired', '<p>Ask the company that sent it for a new one.</p>', 'expired'),
      410,
    )
  }

  app.get('/l/:run_id', (context) => {
    const run = find(context.req.param('run_id'))
    if (run === undefined) return html(page('Link not found', '<p>This link is not valid.</p>', 'error'), 404)
    if (expired(run, engine.now())) return expiredResponse(run)
    if (terminalRunStatuses.has(run.status) || run.status !== 'awaiting_input') {
      return html(page('Verification submitted', '<p>Thank you. You can close this page.</p>', 'done'))
    }
    engine.openRun(run)
    const applicant = engine.applicants.get(run.applicantId)
    const current = scenarioFor(applicant?.lastName ?? '', applicant?.assignedScenario)
    return html(page('Verify your identity', form(run, current), 'open'))
  })

  app.post('/l/:run_id', async (context) => {
    const run = find(context.req.param('run_id'))
    if (run === undefined) return html(page('Link not found', '<p>This link is not valid.</p>', 'error'), 404)
    if (expired(run, engine.now())) return expiredResponse(run)
    const body = await context.req.parseBody()
    const chosen = typeof body.scenario === 'string' ? body.scenario : ''
    const scenario = scenarios.find((item) => item.id === chosen) ?? scenarioByLastName(chosen)
    if (scenario !== undefined) engine.assignScenario(run, scenario.id)
    engine.openRun(run)
    try {
      engine.resolveRun(run, { source: 'hosted-page' })
    } catch (error) {
      if (!(error instanceof OnfidoApiError)) throw error
      return html(
        page('Verification submitted', '<p>This verification was already submitted.</p>', 'done'),
        409,
      )
    }
    await engine.idle()
    if (run.link.completedRedirectUrl !== null) return Response.redirect(run.link.completedRedirectUrl, 302)
    return html(
      page(
        'Thank you',
        '<p id="done-message">Your verification was submitted. You can close this page.</p>',
        'done',
      ),
    )
  })
}
