import type { OnfidoApp, OnfidoRouteContext } from './onfido-app.js'
import { readJson, scopeOf, uuidParameter } from './onfido-app.js'
import { OnfidoApiError, resourceNotFound, validationError } from './onfido-errors.js'
import {
  type OnfidoWorkflowRunStatus,
  presentCheck,
  presentReport,
  presentTask,
  presentTaskItem,
  presentWorkflowRun,
  type ReportRecord,
} from './onfido-resources.js'

/**
 * Studio workflow runs and their tasks (§5), classic checks and reports (§6). Run and check
 * lifecycles live in the engine; these routes parse, authorise by scope and present.
 */

const runsPerPage = 20 // [UNCERTAIN] the page size of GET /workflow_runs is not documented.

/** Registers `/workflow_runs…`, `/checks…` and `/reports…` on the `/v3.6` app. */
export function registerVerificationRoutes(api: OnfidoApp, { engine }: OnfidoRouteContext): void {
  const present = (runId: string) => {
    const run = engine.runs.get(runId)!
    return presentWorkflowRun(run, engine.settings.linkUrl(run))
  }

  // ─── Workflow runs ────────────────────────────────────────────────────────────────────────
  api.post('/workflow_runs', async (context) => {
    const body = await readJson(context)
    const scope = scopeOf(context)
    const applicantId = String(body.applicant_id)
    const applicant = engine.applicants.get(applicantId)
    if (
      applicant === undefined ||
      applicant.deleteAt !== null ||
      applicant.region !== scope.region ||
      applicant.environment !== scope.environment
    ) {
      throw validationError({ applicant_id: ['does not match an applicant'] })
    }
    const link = (body.link as Record<string, unknown> | undefined) ?? {}
    const expiresAt = typeof link.expires_at === 'string' ? Date.parse(link.expires_at) : Number.NaN
    const run = engine.addRun(applicant, {
      workflowId: String(body.workflow_id),
      tags: (body.tags as string[] | undefined) ?? [],
      customerUserId: (body.customer_user_id as string | undefined) ?? null,
      customData: (body.custom_data as Record<string, unknown> | undefined) ?? {},
      link: {
        completedRedirectUrl: (link.completed_redirect_url as string | undefined) ?? null,
        expiredRedirectUrl: (link.expired_redirect_url as string | undefined) ?? null,
        expiresAt: Number.isNaN(expiresAt) ? null : expiresAt,
        language: (link.language as string | undefined) ?? null,
      },
    })
    return context.json(present(run.id), 201)
  })

  api.get('/workflow_runs', (context) => {
    const scope = scopeOf(context)
    const statuses = context.req.query('status')?.split(',').filter(Boolean) as
      | OnfidoWorkflowRunStatus[]
      | undefined
    const applicantId = context.req.query('applicant_id')
    const tags = context.req.queries('tags') ?? context.req.queries('tags[]') ?? []
    const after = context.req.query('created_at_gt')
    const before = context.req.query('created_at_lt')
    const sort = context.req.query('sort') === 'asc' ? 1 : -1
    const page = Math.max(1, Number.parseInt(context.req.query('page') ?? '1', 10) || 1)
    const runs = [...engine.runs.values()]
      .filter((run) => run.region === scope.region && run.environment === scope.environment)
      .filter((run) => engine.applicants.get(run.applicantId)?.deleteAt === null)
      .filter((run) => statuses === undefined || statuses.includes(run.status))
      .filter((run) => applicantId === undefined || run.applicantId === applicantId)
      .filter((run) => tags.every((tag) => run.tags.includes(tag)))
      .filter((run) => after === undefined || run.createdAt > Date.parse(after))
      .filter((run) => before === undefined || run.createdAt < Date.parse(before))
      .sort(
        (left, right) =>
          sort * ((left.completedAt ?? left.createdAt) - (right.completedAt ?? right.createdAt)),
      )
    // A bare array, unlike every other list (§0.7).
    return context.json(
      runs.slice((page - 1) * runsPerPage, page * runsPerPage).map((run) => present(run.id)),
    )
  })

  api.get('/workflow_runs/:workflow_run_id', (context) => {
    const run = engine.run(scopeOf(context), uuidParameter(context, 'workflow_run_id', 'Workflow Run'))
    return context.json(present(run.id))
  })

  api.get('/workflow_runs/:workflow_run_id/tasks', (context) => {
    const run = engine.run(scopeOf(context), uuidParameter(context, 'workflow_run_id', 'Workflow Run'))
    return context.json(run.tasks.map((task) => presentTaskItem(run, task)))
  })

  api.get('/workflow_runs/:workflow_run_id/tasks/:task_id', (context) => {
    const run = engine.run(scopeOf(context), uuidParameter(context, 'workflow_run_id', 'Workflow Run'))
    const taskId = context.req.param('task_id')
    const task = run.tasks.find((item) => item.id === taskId)
    if (task === undefined) throw resourceNotFound('Task', taskId.slice(0, 64))
    return context.json(presentTask(run, task))
  })

  api.post('/workflow_runs/:workflow_run_id/tasks/:task_id/complete', async (context) => {
    const run = engine.run(scopeOf(context), uuidParameter(context, 'workflow_run_id', 'Workflow Run'))
    const body = await readJson(context)
    engine.completeClientTask(run, context.req.param('task_id').slice(0, 64), body.data)
    // The spec documents a 200 with no body schema.
    return context.body(null, 200)
  })

  // ─── Checks and reports ───────────────────────────────────────────────────────────────────
  api.post('/checks', async (context) => {
    const body = await readJson(context)
    const scope = scopeOf(context)
    const applicantId = String(body.applicant_id)
    const applicant = engine.applicants.get(applicantId)
    if (
      applicant === undefined ||
      applicant.deleteAt !== null ||
      applicant.region !== scope.region ||
      applicant.environment !== scope.environment
    ) {
      throw validationError({ applicant_id: ['does not match an applicant'] })
    }
    const reportNames = (body.report_names as string[] | undefined) ?? []
    if (reportNames.length === 0) throw validationError({ report_names: ["can't be blank"] })
    const documentIds = (body.document_ids as string[] | undefined) ?? []
    const documents = engine.mediaOf(applicant.id, 'document')
    const fields: Record<string, string[]> = {}
    if (reportNames.some((name) => name.startsWith('document')) && documents.length === 0) {
      fields.document_ids = ['a document report needs an uploaded document']
    }
    if (documentIds.some((id) => !documents.some((document) => document.id === id))) {
      fields.document_ids = ['must belong to the applicant']
    }
    if (
      reportNames.some((name) => name.startsWith('facial_similarity_photo')) &&
      engine.mediaOf(applicant.id, 'live_photo').length === 0
    ) {
      fields.report_names = ['facial_similarity_photo needs a live photo']
    }
    if (Object.keys(fields).length > 0) throw validationError(fields)
    const check = engine.createCheck(applicant, {
      reportNames,
      documentIds,
      tags: (body.tags as string[] | undefined) ?? [],
      webhookIds: (body.webhook_ids as string[] | undefined) ?? null,
      redirectUri: (body.redirect_uri as string | undefined) ?? null,
      applicantProvidesData: (body.applicant_provides_data as boolean | undefined) ?? false,
      privacyNoticesReadConsentGiven:
        (body.privacy_notices_read_consent_given as boolean | undefined) ?? false,
      consider: (body.consider as string[] | undefined) ?? [],
      subResult: (body.sub_result as ReportRecord['subResult'] | undefined) ?? null,
    })
    const created = presentCheck(check)
    if (body.asynchronous === false) {
      // Synchronous checks answer once every report is complete (§6).
      engine.completeCheck(check)
      return context.json(presentCheck(check), 201)
    }
    engine.processCheck(check)
    return context.json(created, 201)
  })

  api.get('/checks', (context) => {
    const scope = scopeOf(context)
    const applicant = engine.applicant(scope, context.req.query('applicant_id') ?? '')
    const checks = [...engine.checks.values()]
      .filter((check) => check.applicantId === applicant.id)
      .sort((left, right) => right.createdAt - left.createdAt)
    return context.json({ checks: checks.map(presentCheck) })
  })

  api.get('/checks/:check_id', (context) =>
    context.json(presentCheck(engine.check(scopeOf(context), uuidParameter(context, 'check_id', 'Check')))),
  )

  api.post('/checks/:check_id/resume', (context) => {
    const check = engine.check(scopeOf(context), uuidParameter(context, 'check_id', 'Check'))
    if (check.status !== 'paused') throw new OnfidoApiError(422, 'invalid_state', 'The check is not paused.')
    check.status = 'in_progress'
    engine.processCheck(check)
    return context.body(null, 204)
  })

  api.get('/reports', (context) => {
    const check = engine.check(scopeOf(context), context.req.query('check_id') ?? '')
    return context.json({
      reports: check.reportIds
        .map((id) => engine.reports.get(id))
        .flatMap((report) => (report ? [presentReport(report)] : [])),
    })
  })

  api.get('/reports/:report_id', (context) =>
    context.json(
      presentReport(engine.report(scopeOf(context), uuidParameter(context, 'report_id', 'Report'))),
    ),
  )
}
