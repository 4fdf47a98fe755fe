import { signBody } from '@openkyc/core'
import type { SyntheticApplicant } from '@openkyc/testkit/catalogue'
import {
  createSimulator,
  createSimulatorClock,
  createWebhookDeliverer,
  type Simulator,
  type SimulatorClock,
  type WebhookDeliverer,
} from '@openkyc/testkit/harness'
import { Hono } from 'hono'

/**
 * Acme Verify, as its (fictional) documentation describes it:
 *
 * - `POST /v1/checks` starts a check (`pending`) and returns a hosted-flow URL valid for one hour.
 * - The applicant opens the flow (`started`), submits a document and a selfie (`processing`), and Acme
 *   decides at once (`complete`, with `result.decision` `clear` | `reject` | `consider`). An analyst
 *   may later settle a `consider` (`result.reviewed_by: analyst`). An unfinished check `expired`s.
 * - `GET /v1/checks/:id`, `POST /v1/checks/:id/cancel`, `DELETE /v1/checks/:id/data`.
 * - Auth: `Authorization: Bearer <api key>`. Errors: `{ "error": { "code", "message" } }`.
 * - Webhooks: `Acme-Signature: <hex HMAC-SHA256 of the raw body>` (no timestamp: replays are the
 *   receiver's dedupe's to absorb, by event `id`), retried after 1 min, 5 min and 30 min on failure.
 *
 * Acme sells two plans ({@link AcmePlan}). `verify` is the above. `lite` reports a decision and no
 * per-check results: `GET /v1/checks/:id` carries neither `result` nor `checks`, the decision is read
 * from `GET /v1/checks/:id/decision` (so a read takes two requests), and an analyst's verdict only
 * arrives by webhook (`check.reviewed`); the decision endpoint keeps showing Acme's own decision.
 * Lite webhooks carry no event `id`. Lite also signs both ways with the shared secret (the webhook
 * secret), as Veriff does: each request carries `Acme-Request-Signature`, a hex HMAC-SHA256 of its
 * body (of its path when it has none), and is refused with 401 without a valid one; each answer
 * carries `Acme-Response-Signature`, a hex HMAC-SHA256 of its body.
 */
export type AcmePlan = 'verify' | 'lite'

/** Acme's check statuses. */
export type AcmeCheckStatus = 'pending' | 'started' | 'processing' | 'complete' | 'expired' | 'cancelled'

type AcmeCheckResult = { name: string; result: 'pass' | 'fail' | 'warn' | 'not_run'; reason?: string }

type AcmeCheck = {
  id: string
  reference: string
  status: AcmeCheckStatus
  created_at: string
  updated_at: string
  hosted_url: string
  expires_at: string
  result: null | {
    decision: 'clear' | 'reject' | 'consider'
    reasons: string[]
    reviewed_by: 'system' | 'analyst'
    decided_at: string
  }
  checks: AcmeCheckResult[]
  document: null | Record<string, string>
  redacted_at: string | null
  /** Acme's own decision, kept when an analyst overrides it (what the `lite` decision endpoint shows). */
  system_result: AcmeCheck['result']
}

/** What Acme's engine decides for a document, by the applicant's last name (the magic input). */
type Verdict = {
  decision: 'clear' | 'reject' | 'consider'
  failing?: { check: string; result: 'fail' | 'warn'; reason: string }
}

/**
 * The magic inputs: the last name on the submitted document decides the outcome. Any other name is
 * a clean approval. (The names match the `@openkyc/testkit/catalogue` applicants.)
 */
const verdicts: Record<string, Verdict> = {
  'Testperson-Expired': {
    decision: 'reject',
    failing: { check: 'data_validity', result: 'fail', reason: 'doc_expired' },
  },
  'Testperson-Tampered': {
    decision: 'reject',
    failing: { check: 'authenticity', result: 'fail', reason: 'doc_tampered' },
  },
  'Testperson-Unreadable': {
    decision: 'reject',
    failing: { check: 'image_quality', result: 'fail', reason: 'doc_unreadable' },
  },
  'Testperson-Mismatch': {
    decision: 'reject',
    failing: { check: 'face_comparison', result: 'fail', reason: 'face_no_match' },
  },
  'Testperson-Spoof': {
    decision: 'reject',
    failing: { check: 'liveness', result: 'fail', reason: 'not_live' },
  },
  'Testperson-Repeat': {
    decision: 'consider',
    failing: { check: 'face_comparison', result: 'warn', reason: 'duplicate_face' },
  },
  'Testperson-Watchlist': {
    decision: 'consider',
    failing: { check: 'screening', result: 'warn', reason: 'sanctions_match' },
  },
  'Testperson-Minor': {
    decision: 'reject',
    failing: { check: 'age', result: 'fail', reason: 'under_minimum_age' },
  },
  'Testperson-Review': {
    decision: 'consider',
    failing: { check: 'data_validity', result: 'warn', reason: 'name_mismatch' },
  },
}

const checkNames = [
  'image_quality',
  'authenticity',
  'extraction',
  'data_validity',
  'face_comparison',
  'liveness',
  'screening',
  'age',
]

const sessionLifetimeMs = 60 * 60 * 1000

/** Options for {@link createAcmeSimulator}. */
export type AcmeSimulatorOptions = {
  apiKey: string
  webhookSecret: string
  /** Default `verify`. */
  plan?: AcmePlan
  /** Where webhooks go. Without one they are still captured in `deliverer.messages`. */
  webhookUrl?: string
  clock?: SimulatorClock
  /** Receives webhook posts instead of the network (default: global `fetch` when `webhookUrl` is set). */
  webhookFetch?: (request: Request) => Promise<Response>
}

/** The Acme simulator: the HTTP API plus the applicant's and the analyst's side. */
export type AcmeSimulator = Simulator & {
  readonly deliverer: WebhookDeliverer
  /** A check's status, as Acme's dashboard shows it. */
  statusOf(id: string): AcmeCheckStatus
  /** The applicant opens the hosted flow. */
  startCheck(id: string): Promise<void>
  /** The applicant submits a document carrying `applicant`'s data; Acme decides at once. */
  submitDocument(id: string, applicant: SyntheticApplicant): Promise<void>
  /** An analyst settles a check in review. */
  reviewCheck(id: string, decision: 'clear' | 'reject'): Promise<void>
}

/**
 * Creates the Acme Verify simulator.
 *
 * @example
 * ```ts
 * const simulator = createAcmeSimulator({ apiKey: 'test', webhookSecret: 'whsec_test' })
 * const adapter = createAcme({ apiKey: 'test', webhookSecret: 'whsec_test', fetch: simulator.fetch })
 * ```
 */
export function createAcmeSimulator(options: AcmeSimulatorOptions): AcmeSimulator {
  const clock = options.clock ?? createSimulatorClock()
  const checks = new Map<string, AcmeCheck>()
  let sequence = 0
  const deliverer = createWebhookDeliverer({
    clock,
    retrySchedule: [60_000, 300_000, 1_800_000],
    fetch:
      options.webhookFetch ??
      (options.webhookUrl ? (request) => fetch(request) : async () => new Response(null, { status: 204 })),
    sign: (rawBody) => ({
      'Acme-Signature': signBody({ rawBody, secret: options.webhookSecret, encoding: 'hex' }),
    }),
  })

  const lite = options.plan === 'lite'
  /** What Acme shows of a check: never the document; on `lite`, no per-check results. */
  const publicView = ({ document, system_result, ...check }: AcmeCheck) =>
    lite ? { ...check, checks: undefined } : check
  /** `GET /v1/checks/:id` on `lite` also leaves out the decision. */
  const apiView = (check: AcmeCheck) =>
    lite ? { ...publicView(check), result: undefined } : publicView(check)
  const touch = (check: AcmeCheck, status: AcmeCheckStatus) => {
    check.status = status
    check.updated_at = clock.isoNow()
  }
  const emit = (type: string, check: AcmeCheck) =>
    deliverer.deliver({
      url: options.webhookUrl ?? 'https://webhooks.acme-customer.test/acme',
      subject: check.id,
      body: {
        // Lite webhooks carry no event id (as some real vendors' do not).
        ...(lite ? {} : { id: `evt_${++sequence}` }),
        type,
        created_at: clock.isoNow(),
        data: { check: publicView(check) },
      },
    })

  const error = (status: number, code: string, message: string) =>
    Response.json({ error: { code, message } }, { status })

  const app = new Hono()
  const sign = (rawBody: string | Uint8Array) =>
    signBody({ rawBody, secret: options.webhookSecret, encoding: 'hex' })
  app.use('/v1/*', async (context, next) => {
    if (context.req.header('authorization') !== `Bearer ${options.apiKey}`) {
      return error(401, 'unauthorized', 'Missing or invalid API key')
    }
    if (lite) {
      const body = new Uint8Array(await context.req.arrayBuffer())
      const expected = sign(body.byteLength > 0 ? body : new URL(context.req.url).pathname)
      if (context.req.header('acme-request-signature') !== expected) {
        return error(401, 'invalid_signature', 'Missing or invalid request signature')
      }
    }
    await next()
    if (lite)
      context.res.headers.set(
        'acme-response-signature',
        sign(new Uint8Array(await context.res.clone().arrayBuffer())),
      )
  })
  app.post('/v1/checks', async (context) => {
    const body = (await context.req.json().catch(() => null)) as { reference?: unknown } | null
    if (typeof body?.reference !== 'string') return error(422, 'invalid_request', 'reference is required')
    const id = `chk_${String(++sequence).padStart(6, '0')}`
    const now = clock.isoNow()
    const check: AcmeCheck = {
      id,
      reference: body.reference,
      status: 'pending',
      created_at: now,
      updated_at: now,
      hosted_url: `${simulator.baseUrl}/flow/${id}`,
      expires_at: new Date(clock.now() + sessionLifetimeMs).toISOString(),
      result: null,
      checks: [],
      document: null,
      redacted_at: null,
      system_result: null,
    }
    checks.set(id, check)
    clock.setTimer({ delay: sessionLifetimeMs }, async () => {
      if (check.status !== 'pending' && check.status !== 'started') return
      touch(check, 'expired')
      await emit('check.expired', check)
    })
    return context.json(apiView(check), 201)
  })
  app.get('/v1/checks/:id', (context) => {
    const check = checks.get(context.req.param('id'))
    return check
      ? context.json({ ...apiView(check), document: check.document })
      : error(404, 'not_found', 'No such check')
  })
  app.get('/v1/checks/:id/decision', (context) => {
    const check = checks.get(context.req.param('id'))
    if (!check) return error(404, 'not_found', 'No such check')
    if (!lite) return error(404, 'not_found', 'The decision endpoint is part of the lite plan')
    return context.json({ check_id: check.id, result: check.system_result ?? check.result })
  })
  app.post('/v1/checks/:id/cancel', async (context) => {
    const check = checks.get(context.req.param('id'))
    if (!check) return error(404, 'not_found', 'No such check')
    if (check.status !== 'pending' && check.status !== 'started')
      return error(409, 'invalid_state', 'Check is finished')
    touch(check, 'cancelled')
    await emit('check.cancelled', check)
    return context.json(apiView(check))
  })
  app.delete('/v1/checks/:id/data', async (context) => {
    const check = checks.get(context.req.param('id'))
    if (!check) return error(404, 'not_found', 'No such check')
    check.document = null
    check.redacted_at = clock.isoNow()
    check.updated_at = check.redacted_at
    await emit('check.redacted', check)
    return context.body(null, 204)
  })
  app.get('/flow/:id', (context) =>
    context.html(
      `<!doctype html><title>Acme Verify</title><form method="post"><label>Last name <input name="lastName" value="Testperson-Approve"></label> <button>Submit document</button></form>`,
    ),
  )
  app.post('/flow/:id', async (context) => {
    const form = await context.req.parseBody()
    await simulator.startCheck(context.req.param('id'))
    await simulator.submitDocument(context.req.param('id'), {
      firstName: 'Hostedflow',
      lastName: String(form.lastName ?? 'Testperson-Approve'),
      dateOfBirth: '1990-01-01',
      documentNumber: 'ZZ9999999',
      documentType: 'passport',
      issuingCountry: 'DE',
      nationality: 'DE',
      issueDate: '2021-01-01',
      expiryDate: '2031-01-01',
      sex: 'unspecified',
    })
    return context.html('<!doctype html><title>Acme Verify</title><p>Thank you. You can close this page.</p>')
  })

  const requireCheck = (id: string): AcmeCheck => {
    const check = checks.get(id)
    if (!check) throw new RangeError(`Acme simulator: no check ${id}`)
    return check
  }

  const simulator: AcmeSimulator = Object.assign(
    createSimulator({
      name: 'acme',
      clock,
      handle: async (request) => app.fetch(request),
      errorBody: (status) => ({ error: { code: `http_${status}`, message: 'Simulated failure' } }),
    }),
    {
      deliverer,
      statusOf: (id: string) => requireCheck(id).status,
      async startCheck(id: string) {
        const check = requireCheck(id)
        if (check.status !== 'pending') return
        touch(check, 'started')
        await emit('check.started', check)
      },
      async submitDocument(id: string, applicant: SyntheticApplicant) {
        const check = requireCheck(id)
        if (check.status === 'pending') await simulator.startCheck(id)
        if (check.status !== 'started') throw new Error(`Acme simulator: check ${id} is ${check.status}`)
        touch(check, 'processing')
        await emit('check.processing', check)
        const verdict = verdicts[applicant.lastName] ?? { decision: 'clear' }
        const unreadable = verdict.failing?.check === 'image_quality'
        check.checks = checkNames.map((name) =>
          name === verdict.failing?.check
            ? { name, result: verdict.failing.result, reason: verdict.failing.reason }
            : { name, result: unreadable && name !== 'image_quality' ? 'not_run' : 'pass' },
        )
        check.document = unreadable
          ? null
          : {
              first_name: applicant.firstName,
              last_name: applicant.lastName,
              date_of_birth: applicant.dateOfBirth,
              number: applicant.documentNumber,
              type: applicant.documentType,
              country: applicant.issuingCountry,
              nationality: applicant.nationality,
              issue_date: applicant.issueDate,
              expiry_date: applicant.expiryDate,
            }
        check.result = {
          decision: verdict.decision,
          reasons: verdict.failing ? [verdict.failing.reason] : [],
          reviewed_by: 'system',
          decided_at: clock.isoNow(),
        }
        touch(check, 'complete')
        await emit('check.completed', check)
      },
      async reviewCheck(id: string, decision: 'clear' | 'reject') {
        const check = requireCheck(id)
        if (check.result?.decision !== 'consider')
          throw new Error(`Acme simulator: check ${id} is not in review`)
        check.system_result = check.result
        check.result = {
          decision,
          reasons: decision === 'clear' ? [] : check.result.reasons,
          reviewed_by: 'analyst',
          decided_at: clock.isoNow(),
        }
        check.updated_at = clock.isoNow()
        await emit('check.reviewed', check)
      },
    },
  )
  return simulator
}
