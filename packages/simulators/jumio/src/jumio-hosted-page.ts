import { type ScenarioId, scenarioByLastName, scenarios } from '@openkyc/testkit/catalogue'
import type { SimulatorContext } from '@openkyc/testkit/harness'
import type { Context, Hono } from 'hono'
import type { JumioEngine } from './jumio-engine.js'
import { isBlob } from './jumio-problem.js'
import {
  choiceFor,
  jumioScenarioRealisations,
  scenarioFromImage,
  scenarioUnsupportedReason,
} from './jumio-scenarios.js'
import type { StoredExecution } from './jumio-state.js'
import { checkImage, defaultUploadLimits } from './jumio-uploads.js'

/**
 * The hosted flow behind `web.href` (`/web/v4/app?authorizationToken=…&locale=…`): a small HTML page
 * on which a person (or a browser test) plays the applicant. Opening it starts the journey (the
 * 15-minute session timer runs from here); submitting captures the evidence, finalizes and so fires
 * the callback; with a `web.successUrl` the browser is then redirected there with Jumio's query
 * parameters (`accountId`, `workflowExecutionId`, `acquisitionStatus`, `customerInternalReference`).
 */

type HostedEnv = { Bindings: { simulator: SimulatorContext }; Variables: { clientId: string } }

const escapeHtml = (value: string): string =>
  value.replace(/[&<>"']/g, (character) => `&#${character.charCodeAt(0)};`)

function page(title: string, body: string, status: 'open' | 'done' | 'error' | 'left'): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)} · Jumio simulator</title>
<style>
body{font-family:system-ui,sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem;color:#1d2433}
h1{font-size:1.4rem}fieldset{border:1px solid #c8cdd8;border-radius:.5rem;margin:1rem 0;padding:1rem}
label{display:block;margin:.5rem 0}input,select{font:inherit;margin-top:.25rem}
button{font:inherit;padding:.5rem 1.25rem;margin-right:.5rem;border-radius:.4rem;border:1px solid #345}
button[value=submit]{background:#1f4fd1;color:#fff}.error{color:#a40000}.note{color:#556}
</style>
</head>
<body data-journey-status="${status}">
<h1>${escapeHtml(title)}</h1>
${body}
</body>
</html>`
}

function journeyForm(execution: StoredExecution, token: string, engine: JumioEngine, error?: string): string {
  const categories = new Set(engine.store.credentialsOf(execution).map((credential) => credential.category))
  // A scenario the request already named (a `scenario:<id>` or magic last name in a reference) is
  // preselected, as Persona's hosted flow preselects the one its prefilled last name names.
  const preselected = execution.scenario?.scenarioId
  const options = scenarios
    .filter((scenario) => scenarioUnsupportedReason(scenario.id, execution.workflow) === undefined)
    .map(
      (scenario) =>
        `<option value="${scenario.id}"${scenario.id === preselected ? ' selected' : ''}>${escapeHtml(scenario.title)} (${escapeHtml(scenario.applicant.lastName)})</option>`,
    )
    .join('')
  const lastName = execution.scenario?.applicant.lastName ?? ''
  const files: string[] = []
  if (categories.has('ID')) {
    files.push(
      '<label>ID document, front <input type="file" name="idFront" id="id-front" accept="image/jpeg,image/png"></label>',
    )
    files.push(
      '<label>ID document, back <input type="file" name="idBack" id="id-back" accept="image/jpeg,image/png"></label>',
    )
  }
  if (categories.has('SELFIE')) {
    files.push(
      '<label>Selfie <input type="file" name="selfie" id="selfie" accept="image/jpeg,image/png"></label>',
    )
  }
  return `<p class="note">Workflow ${execution.workflow.key}: ${escapeHtml(execution.workflow.name)}.
This page stands in for Jumio's web client: nothing leaves this machine.</p>
${error === undefined ? '' : `<p class="error" role="alert" id="journey-error">${escapeHtml(error)}</p>`}
<form id="jumio-journey" method="post" action="/web/v4/app/submit" enctype="multipart/form-data">
<input type="hidden" name="authorizationToken" value="${escapeHtml(token)}">
<fieldset><legend>Who is verifying</legend>
<label for="scenario">Scenario</label>
<select name="scenario" id="scenario"><option value="">Read it from the document (last name or images)</option>${options}</select>
<label>Last name on the document <input name="lastName" id="last-name" autocomplete="off" value="${escapeHtml(lastName)}"></label>
</fieldset>
<fieldset><legend>Evidence (optional: the simulator makes images when none are given)</legend>
${files.join('\n')}
</fieldset>
<button type="submit" name="action" value="submit" id="submit">Submit</button>
<button type="submit" name="action" value="leave" id="leave">Leave</button>
</form>`
}

/** Registers the hosted-flow routes on the Jumio app. */
export function registerHostedPage(app: Hono<HostedEnv>, settings: { engine: JumioEngine }): void {
  const { engine } = settings
  const lookup = (token: string | undefined): StoredExecution | undefined => {
    if (token === undefined) return undefined
    const grant = engine.options.tokens.lookup(token)
    if (grant === undefined || grant.kind !== 'transaction') return undefined
    return engine.store.execution(grant.accountId, grant.workflowExecutionId)
  }
  const expired = (execution: StoredExecution): boolean =>
    execution.status === 'TOKEN_EXPIRED' ||
    execution.status === 'SESSION_EXPIRED' ||
    execution.tokenExpiresAt <= engine.clock.now()

  /** The page for a link that no longer opens a journey: unknown or expired (401), or already submitted. */
  const closedJourney = (c: Context, execution: StoredExecution | undefined) =>
    execution === undefined || expired(execution)
      ? c.html(
          page(
            'This link is no longer valid',
            '<p>The verification link is invalid or has expired (error 9200).</p>',
            'error',
          ),
          401,
        )
      : c.html(
          page(
            'Verification submitted',
            '<p id="journey-result">This verification was already submitted.</p>',
            'done',
          ),
        )

  app.get('/web/v4/app', (c) => {
    const token = c.req.query('authorizationToken')
    const execution = lookup(token)
    if (execution === undefined || execution.status !== 'INITIATED' || expired(execution)) {
      return closedJourney(c, execution)
    }
    engine.touch(execution)
    return c.html(page('Verify your identity', journeyForm(execution, token!, engine), 'open'))
  })

  app.post('/web/v4/app/submit', async (c) => {
    let form: FormData
    try {
      form = await c.req.formData()
    } catch {
      return c.html(page('Something went wrong', '<p>The form could not be read.</p>', 'error'), 400)
    }
    const token = form.get('authorizationToken')
    const execution = lookup(typeof token === 'string' ? token : undefined)
    if (execution === undefined || execution.status !== 'INITIATED' || expired(execution)) {
      return closedJourney(c, execution)
    }
    engine.touch(execution)
    if (form.get('action') === 'leave') {
      return c.html(
        page(
          'You left the verification',
          '<p id="journey-result">Nothing was submitted. The session expires after 15 minutes of inactivity.</p>',
          'left',
        ),
      )
    }
    const rerender = (error: string) =>
      c.html(
        page('Verify your identity', journeyForm(execution, token as string, engine, error), 'open'),
        400,
      )

    // Uploaded images are checked like API uploads.
    const credentials = engine.store.credentialsOf(execution)
    const uploads: { field: string; category: 'ID' | 'SELFIE'; classifier: string }[] = [
      { field: 'idFront', category: 'ID', classifier: 'FRONT' },
      { field: 'idBack', category: 'ID', classifier: 'BACK' },
      { field: 'selfie', category: 'SELFIE', classifier: 'FACE' },
    ]
    const accepted: {
      category: 'ID' | 'SELFIE'
      classifier: string
      bytes: Uint8Array
      contentType: string
    }[] = []
    for (const upload of uploads) {
      const file = form.get(upload.field)
      if (!isBlob(file) || file.size === 0) continue
      const checked = checkImage(
        new Uint8Array(await file.arrayBuffer()),
        upload.category,
        defaultUploadLimits,
      )
      if (!checked.ok) return rerender(`${upload.field}: ${checked.detail.replace(/^file: /, '')}`)
      accepted.push({ ...upload, bytes: checked.value.bytes, contentType: checked.value.contentType })
    }

    // Who is this: an explicit scenario, a typed last name, the images, or what the request said.
    const picked = form.get('scenario')
    const lastName = form.get('lastName')
    let scenarioId: ScenarioId | undefined
    if (typeof picked === 'string' && picked !== '') {
      if (!(picked in jumioScenarioRealisations)) return rerender('Unknown scenario')
      scenarioId = picked as ScenarioId
    } else if (typeof lastName === 'string' && lastName.trim() !== '') {
      scenarioId = scenarioByLastName(lastName)?.id ?? 'clean_approve'
    } else {
      scenarioId = accepted.map((item) => scenarioFromImage(item.bytes)?.id).find((id) => id !== undefined)
    }
    if (scenarioId !== undefined) {
      const unsupported = scenarioUnsupportedReason(scenarioId, execution.workflow)
      if (unsupported !== undefined) return rerender(unsupported)
    }
    if (scenarioId === 'applicant_abandons') {
      return c.html(
        page(
          'You left the verification',
          '<p id="journey-result">Nothing was submitted. The session expires after 15 minutes of inactivity.</p>',
          'left',
        ),
      )
    }

    for (const item of accepted) {
      const credential = credentials.find(
        (candidate) => candidate.category === item.category && !candidate.onFile,
      )
      if (credential !== undefined) {
        engine.storePart(
          execution,
          credential,
          item.classifier,
          { bytes: item.bytes, contentType: item.contentType },
          'WEB',
        )
      }
    }
    if (scenarioId !== undefined) {
      const choice = choiceFor(scenarioId, 'hosted-page')
      const typed =
        typeof lastName === 'string' && lastName.trim() !== '' && scenarioByLastName(lastName) === undefined
      engine.assignScenario(execution, scenarioId, {
        source: 'hosted-page',
        applicant: typed ? { ...choice.applicant, lastName: lastName.trim() } : choice.applicant,
      })
    }
    const applicant = execution.scenario?.applicant ?? choiceFor('clean_approve', 'hosted-page').applicant
    engine.captureAll(execution, applicant, 'WEB')
    engine.finalize(execution)

    const successUrl = execution.request.web?.successUrl
    if (successUrl !== undefined) {
      const target = new URL(successUrl)
      target.searchParams.set('accountId', execution.accountId)
      target.searchParams.set('workflowExecutionId', execution.id)
      target.searchParams.set('acquisitionStatus', 'SUCCESS')
      target.searchParams.set('customerInternalReference', execution.request.customerInternalReference)
      return c.redirect(target.toString(), 303)
    }
    return c.html(
      page(
        'Thank you',
        `<p id="journey-result">Your verification was submitted (workflow execution <code>${execution.id}</code>).</p>`,
        'done',
      ),
    )
  })
}
