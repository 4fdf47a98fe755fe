import { createHmac, randomBytes, randomUUID } from 'node:crypto'
import type { ScenarioId } from '@openkyc/testkit/catalogue'
import { createJpeg, type SimulatorClock, type WebhookDeliverer } from '@openkyc/testkit/harness'
import { OnfidoApiError, resourceNotFound, validationError } from './onfido-errors.js'
import { buildBreakdown, buildProperties } from './onfido-reports.js'
import {
  type ApplicantRecord,
  apiVersionPath,
  type CheckRecord,
  type MediaRecord,
  type OnfidoEnvironment,
  type OnfidoRegion,
  type OnfidoWorkflowRunStatus,
  onfidoTime,
  presentWorkflowRun,
  type ReportRecord,
  type TaskRecord,
  terminalRunStatuses,
  type WebhookRecord,
  type WorkflowRunRecord,
} from './onfido-resources.js'
import {
  heldDocument,
  onfidoScenarioRealisations,
  reportOutcome,
  scenarioFor,
  workflowReportNames,
} from './onfido-scenarios.js'
import {
  type OnfidoWebhookEvent,
  onfidoSignatureHeader,
  signOnfidoWebhook,
  webhookEnvelope,
} from './onfido-webhooks.js'

/**
 * The Onfido simulator's state and state machines: applicants (with soft deletion and restore),
 * documents and live photos, classic checks and reports, Studio workflow runs with their tasks and
 * eight statuses, and the webhook events each transition emits. Routes (`onfido-app.ts`) and controls
 * (`onfido-simulator.ts`) both act through it.
 */

/** Who is asking: objects are pinned to a region and an environment (sandbox or live). */
export type OnfidoScope = { region: OnfidoRegion; environment: OnfidoEnvironment }

/** Settings the simulator gives the engine. */
export type OnfidoEngineSettings = {
  clock: SimulatorClock
  deliverer: WebhookDeliverer
  /** Delay between evidence and a decision (checks and runs). 0 decides at once. */
  processingDelayMs: number
  /** How long an interactive task waits for the applicant before the run is abandoned. */
  interactiveTaskTimeoutMs: number
  /** Onfido's account deletion delay (soft delete → hard delete). */
  deletionDelayMs: number
  /** The absolute API origin of a region, for webhook `href`s (`https://api.eu.onfido.com`). */
  apiOrigin(region: OnfidoRegion): string
  /** The hosted-flow URL of a run (`https://eu.onfido.app/l/<id>`, or the listener's origin). */
  linkUrl(run: WorkflowRunRecord): string
}

/** Options of {@link OnfidoEngine.resolveRun}. */
export type ResolveRunOptions = {
  /** Stop at `awaiting_client_input` (a task the integrator completes through the API) before processing. */
  clientInput?: boolean
  /** Who supplied the evidence; evidence the adapter already uploaded is kept either way. */
  source?: 'hosted-page' | 'control'
}

const taskDefinitions = [
  { prefix: 'document_photo', definition: 'upload_document_photo', interactive: true },
  { prefix: 'face_photo', definition: 'upload_face_photo', interactive: true },
  { prefix: 'document_check', definition: 'document_check', report: 'document' },
  { prefix: 'face_check', definition: 'facial_similarity_photo', report: 'facial_similarity_photo' },
  { prefix: 'known_faces', definition: 'known_faces', report: 'known_faces' },
  { prefix: 'watchlist', definition: 'watchlist_standard', report: 'watchlist_standard' },
] as const

/** Images the simulated SDK "captures", made once: encoding a JPEG costs tens of milliseconds. */
let capturedImages: { document: Uint8Array; livePhoto: Uint8Array } | undefined
function capturedImage(kind: 'document' | 'livePhoto'): Uint8Array {
  capturedImages ??= {
    document: createJpeg({ width: 640, height: 400, seed: 7 }),
    livePhoto: createJpeg({ width: 480, height: 640, seed: 11 }),
  }
  return capturedImages[kind]
}

const base64Url = (value: Buffer | string): string => Buffer.from(value).toString('base64url')

/** The simulator's engine; one per simulator. */
export class OnfidoEngine {
  readonly applicants = new Map<string, ApplicantRecord>()
  readonly media = new Map<string, MediaRecord>()
  readonly checks = new Map<string, CheckRecord>()
  readonly reports = new Map<string, ReportRecord>()
  readonly runs = new Map<string, WorkflowRunRecord>()
  readonly webhooks = new Map<string, WebhookRecord>()
  private readonly inFlight = new Set<Promise<unknown>>()
  private readonly timers = new Set<{ cancel(): void }>()
  private readonly sdkSecret = randomBytes(32)

  constructor(readonly settings: OnfidoEngineSettings) {}

  now(): number {
    return this.settings.clock.now()
  }

  // ─── Lookups ────────────────────────────────────────────────────────────────────────────────

  private visible(record: { region: OnfidoRegion; environment: OnfidoEnvironment }, scope: OnfidoScope) {
    return record.region === scope.region && record.environment === scope.environment
  }

  /** An applicant that is not deleted, or 404. Soft-deleted applicants read as not found [UNCERTAIN]. */
  applicant(scope: OnfidoScope, id: string): ApplicantRecord {
    const applicant = this.applicants.get(id)
    if (applicant === undefined || !this.visible(applicant, scope) || applicant.deleteAt !== null) {
      throw resourceNotFound('Applicant', id)
    }
    return applicant
  }

  /** Whether an object's applicant is live (objects of deleted applicants read as not found). */
  private applicantActive(applicantId: string): boolean {
    const applicant = this.applicants.get(applicantId)
    return applicant !== undefined && applicant.deleteAt === null
  }

  mediaItem(scope: OnfidoScope, kind: MediaRecord['kind'], id: string): MediaRecord {
    const item = this.media.get(id)
    if (
      item === undefined ||
      item.kind !== kind ||
      !this.visible(item, scope) ||
      !this.applicantActive(item.applicantId)
    ) {
      throw resourceNotFound(kind === 'document' ? 'Document' : 'Live photo', id)
    }
    return item
  }

  check(scope: OnfidoScope, id: string): CheckRecord {
    const check = this.checks.get(id)
    if (check === undefined || !this.visible(check, scope) || !this.applicantActive(check.applicantId)) {
      throw resourceNotFound('Check', id)
    }
    return check
  }

  report(scope: OnfidoScope, id: string): ReportRecord {
    const report = this.reports.get(id)
    const check = report === undefined ? undefined : this.checks.get(report.checkId)
    if (
      report === undefined ||
      check === undefined ||
      !this.visible(report, scope) ||
      !this.applicantActive(check.applicantId)
    ) {
      throw resourceNotFound('Report', id)
    }
    return report
  }

  run(scope: OnfidoScope, id: string): WorkflowRunRecord {
    const run = this.runs.get(id)
    if (run === undefined || !this.visible(run, scope) || !this.applicantActive(run.applicantId)) {
      throw resourceNotFound('Workflow Run', id)
    }
    return run
  }

  /** A run by id whatever the scope (controls and the hosted page). */
  runById(id: string): WorkflowRunRecord {
    const run = this.runs.get(id)
    if (run === undefined || !this.applicantActive(run.applicantId))
      throw resourceNotFound('Workflow Run', id)
    return run
  }

  webhook(scope: OnfidoScope, id: string): WebhookRecord {
    const webhook = this.webhooks.get(id)
    if (webhook === undefined || !this.visible(webhook, scope)) throw resourceNotFound('Webhook', id)
    return webhook
  }

  // ─── Applicants ─────────────────────────────────────────────────────────────────────────────

  addApplicant(record: Omit<ApplicantRecord, 'id' | 'createdAt' | 'deleteAt'>): ApplicantRecord {
    const applicant: ApplicantRecord = { ...record, id: randomUUID(), createdAt: this.now(), deleteAt: null }
    this.applicants.set(applicant.id, applicant)
    return applicant
  }

  /**
   * `DELETE /applicants/{id}` (§9): refused while a check is in progress; immediate hard deletion when
   * the applicant has no checks; otherwise a soft delete until the deletion delay has passed.
   */
  deleteApplicant(scope: OnfidoScope, id: string): void {
    const applicant = this.applicant(scope, id)
    const checks = [...this.checks.values()].filter((check) => check.applicantId === id)
    if (checks.some((check) => check.status === 'in_progress')) {
      throw new OnfidoApiError(
        422,
        'deletion_incomplete_checks',
        'Applicants with checks in progress cannot be deleted.',
      )
    }
    if (checks.length === 0) {
      this.purgeApplicant(id)
      return
    }
    applicant.deleteAt = this.now() + this.settings.deletionDelayMs
    this.schedule(applicant.deleteAt, () => {
      if (this.applicants.get(id)?.deleteAt !== null) this.purgeApplicant(id)
    })
  }

  /** `POST /applicants/{id}/restore`: only while soft-deleted. */
  restoreApplicant(scope: OnfidoScope, id: string): void {
    const applicant = this.applicants.get(id)
    if (applicant === undefined || !this.visible(applicant, scope)) throw resourceNotFound('Applicant', id)
    if (applicant.deleteAt === null) {
      throw validationError({ applicant: ['is not scheduled for deletion'] })
    }
    applicant.deleteAt = null
  }

  /** Hard deletion: the applicant and everything it owns are gone for good. */
  purgeApplicant(id: string): void {
    this.applicants.delete(id)
    for (const [mediaId, item] of this.media) if (item.applicantId === id) this.media.delete(mediaId)
    for (const [checkId, check] of this.checks) {
      if (check.applicantId !== id) continue
      for (const reportId of check.reportIds) this.reports.delete(reportId)
      this.checks.delete(checkId)
    }
    for (const [runId, run] of this.runs) if (run.applicantId === id) this.runs.delete(runId)
  }

  // ─── Media ──────────────────────────────────────────────────────────────────────────────────

  addMedia(record: Omit<MediaRecord, 'id' | 'createdAt'>): MediaRecord {
    const item: MediaRecord = { ...record, id: randomUUID(), createdAt: this.now() }
    this.media.set(item.id, item)
    return item
  }

  mediaOf(applicantId: string, kind: MediaRecord['kind']): MediaRecord[] {
    return [...this.media.values()].filter((item) => item.applicantId === applicantId && item.kind === kind)
  }

  /** Evidence the applicant "captured" in the hosted flow or SDK: synthetic images, added only when missing. */
  private captureEvidence(applicant: ApplicantRecord): void {
    const scope = { region: applicant.region, environment: applicant.environment }
    if (this.mediaOf(applicant.id, 'document').length === 0) {
      const holder = heldDocument(scenarioFor(applicant.lastName, applicant.assignedScenario))
      this.addMedia({
        ...scope,
        kind: 'document',
        applicantId: applicant.id,
        fileName: 'document_front.jpg',
        fileType: 'jpg',
        contentType: 'image/jpeg',
        bytes: capturedImage('document'),
        documentType: holder.documentType === 'id_card' ? 'national_identity_card' : 'passport',
        side: 'front',
        issuingCountry: null,
      })
    }
    if (this.mediaOf(applicant.id, 'live_photo').length === 0) {
      this.addMedia({
        ...scope,
        kind: 'live_photo',
        applicantId: applicant.id,
        fileName: 'live_photo.jpg',
        fileType: 'jpg',
        contentType: 'image/jpeg',
        bytes: capturedImage('livePhoto'),
      })
    }
  }

  // ─── Checks and reports ─────────────────────────────────────────────────────────────────────

  /**
   * Creates a check with one report per name, `in_progress` / `awaiting_data`. The outcome is the
   * applicant's scenario, then the sandbox controls: `consider` turns the named reports `consider`,
   * `subResult` sets the document report's sub-result (§13).
   */
  createCheck(
    applicant: ApplicantRecord,
    options: {
      reportNames: readonly string[]
      documentIds?: readonly string[]
      tags?: string[]
      webhookIds?: string[] | null
      redirectUri?: string | null
      applicantProvidesData?: boolean
      privacyNoticesReadConsentGiven?: boolean
      consider?: readonly string[]
      subResult?: ReportRecord['subResult']
      workflowRunId?: string
    },
  ): CheckRecord {
    const scope = { region: applicant.region, environment: applicant.environment }
    const check: CheckRecord = {
      ...scope,
      id: randomUUID(),
      createdAt: this.now(),
      applicantId: applicant.id,
      status: 'in_progress',
      result: null,
      reportIds: [],
      tags: options.tags ?? [],
      webhookIds: options.webhookIds ?? null,
      redirectUri: options.redirectUri ?? null,
      applicantProvidesData: options.applicantProvidesData ?? false,
      privacyNoticesReadConsentGiven: options.privacyNoticesReadConsentGiven ?? false,
      ...(options.workflowRunId === undefined ? {} : { workflowRunId: options.workflowRunId }),
    }
    const documents = this.mediaOf(applicant.id, 'document')
    const documentIds = options.documentIds?.length
      ? [...options.documentIds]
      : documents.slice(-1).map((d) => d.id)
    const livePhotoIds = this.mediaOf(applicant.id, 'live_photo')
      .slice(-1)
      .map((photo) => photo.id)
    for (const name of options.reportNames) {
      const report: ReportRecord = {
        ...scope,
        id: randomUUID(),
        createdAt: this.now(),
        checkId: check.id,
        name,
        status: 'awaiting_data',
        result: null,
        subResult: null,
        breakdown: {},
        properties: {},
        documentIds: name.startsWith('document') || name.startsWith('facial') ? documentIds : [],
        livePhotoIds: name.startsWith('facial') || name === 'known_faces' ? livePhotoIds : [],
      }
      this.reports.set(report.id, report)
      check.reportIds.push(report.id)
    }
    this.checks.set(check.id, check)
    this.sandboxControls.set(check.id, {
      consider: options.consider ?? [],
      subResult: options.subResult ?? null,
    })
    if (check.workflowRunId === undefined) this.emitCheckEvent(check, 'check.started')
    return check
  }

  private readonly sandboxControls = new Map<
    string,
    { consider: readonly string[]; subResult: ReportRecord['subResult'] }
  >()

  /** Completes every report of a check per the applicant's scenario, then the check. */
  completeCheck(check: CheckRecord): void {
    if (check.status === 'complete') return
    const applicant = this.applicants.get(check.applicantId)
    if (applicant === undefined) return
    const scenarioId = scenarioFor(applicant.lastName, applicant.assignedScenario)
    const realisation = onfidoScenarioRealisations[scenarioId]
    const controls = this.sandboxControls.get(check.id) ?? { consider: [], subResult: null }
    const holder = heldDocument(scenarioId)
    const otherApplicant = [...this.applicants.values()].find((other) => other.id !== applicant.id)
    for (const reportId of check.reportIds) {
      const report = this.reports.get(reportId)
      if (report === undefined) continue
      let outcome = reportOutcome(realisation, report.name)
      const sandbox = applicant.environment === 'sandbox'
      if (sandbox && controls.consider.includes(report.name) && outcome.result === 'clear') {
        outcome = { ...outcome, result: 'consider' }
      }
      if (sandbox && controls.subResult !== null && report.name.startsWith('document')) {
        outcome = {
          ...outcome,
          subResult: controls.subResult,
          result: controls.subResult === 'clear' ? outcome.result : 'consider',
        }
      }
      report.status = 'complete'
      report.result = outcome.result
      report.subResult = report.name.startsWith('document') ? (outcome.subResult ?? 'clear') : null
      report.breakdown = buildBreakdown(report.name, outcome)
      report.properties = buildProperties(report.name, outcome, {
        holder,
        ...(report.documentIds[0] === undefined ? {} : { documentId: report.documentIds[0] }),
        matchedApplicantId: otherApplicant?.id ?? randomUUID(),
        mediaId: randomUUID(),
      })
      if (check.workflowRunId === undefined) this.emitReportEvent(check, report)
    }
    check.status = 'complete'
    check.result = check.reportIds.some((id) => this.reports.get(id)?.result === 'consider')
      ? 'consider'
      : 'clear'
    if (check.workflowRunId === undefined) this.emitCheckEvent(check, 'check.completed')
  }

  /** Runs a check's processing now, or after the processing delay. */
  processCheck(check: CheckRecord): void {
    if (this.settings.processingDelayMs <= 0) this.completeCheck(check)
    else this.schedule(this.now() + this.settings.processingDelayMs, () => this.completeCheck(check))
  }

  // ─── Workflow runs ──────────────────────────────────────────────────────────────────────────

  /** A JWT-shaped SDK token bound to the applicant (§7). Not verifiable outside the simulator. */
  sdkToken(applicantId: string, lifetimeMs = 90 * 60 * 1000): string {
    const header = base64Url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }))
    const payload = base64Url(
      JSON.stringify({ exp: Math.floor((this.now() + lifetimeMs) / 1000), payload: { app: applicantId } }),
    )
    const signature = createHmac('sha256', this.sdkSecret).update(`${header}.${payload}`).digest('base64url')
    return `${header}.${payload}.${signature}`
  }

  addRun(
    applicant: ApplicantRecord,
    fields: Pick<WorkflowRunRecord, 'workflowId' | 'tags' | 'customerUserId' | 'customData' | 'link'>,
  ): WorkflowRunRecord {
    const now = this.now()
    const run: WorkflowRunRecord = {
      ...fields,
      id: randomUUID(),
      region: applicant.region,
      environment: applicant.environment,
      createdAt: now,
      updatedAt: now,
      applicantId: applicant.id,
      workflowVersionId: 1,
      status: 'awaiting_input',
      output: null,
      reasons: [],
      error: null,
      sdkToken: this.sdkToken(applicant.id, 5 * 7 * 24 * 60 * 60 * 1000),
      tasks: [],
    }
    this.runs.set(run.id, run)
    const start = this.startTask(run, 'start', 'start', { applicant_id: applicant.id })
    this.completeTask(run, start, { uuid: applicant.id })
    for (const definition of taskDefinitions.filter((item) => 'interactive' in item)) {
      this.startTask(run, `${definition.prefix}_${this.suffix()}`, definition.definition, {})
    }
    const timeoutAt = Math.min(
      now + this.settings.interactiveTaskTimeoutMs,
      run.link.expiresAt ?? Number.POSITIVE_INFINITY,
    )
    this.schedule(timeoutAt, () => {
      const current = this.runs.get(run.id)
      if (current?.status === 'awaiting_input') this.finishRun(current, 'abandoned', [])
    })
    return run
  }

  private suffix(): string {
    return randomBytes(3).toString('hex').slice(0, 5)
  }

  private startTask(
    run: WorkflowRunRecord,
    id: string,
    taskDefId: string,
    input: Record<string, unknown>,
  ): TaskRecord {
    const now = this.now()
    const task: TaskRecord = {
      id,
      taskDefId,
      taskDefVersion: null,
      input,
      output: null,
      createdAt: now,
      updatedAt: now,
      state: 'started',
    }
    run.tasks.push(task)
    this.emitTaskEvent(run, task, 'workflow_task.started')
    return task
  }

  private completeTask(run: WorkflowRunRecord, task: TaskRecord, output: TaskRecord['output']): void {
    task.state = 'completed'
    task.output = output
    task.updatedAt = this.now()
    this.emitTaskEvent(run, task, 'workflow_task.completed')
  }

  /** The applicant opened the hosted flow (or the SDK). */
  openRun(run: WorkflowRunRecord): void {
    run.openedAt ??= this.now()
  }

  /** Assigns the scenario a run realises when its evidence arrives (control API). */
  assignScenario(run: WorkflowRunRecord, scenarioId: ScenarioId): void {
    const applicant = this.applicants.get(run.applicantId)
    if (applicant !== undefined) applicant.assignedScenario = scenarioId
    run.scenarioId = scenarioId
  }

  /**
   * The applicant finished the interactive tasks: evidence is captured (uploads made through the API
   * are kept), then the run processes, or waits for the integrator first (`clientInput`).
   */
  resolveRun(run: WorkflowRunRecord, options: ResolveRunOptions = {}): void {
    if (run.status !== 'awaiting_input') {
      throw new OnfidoApiError(422, 'invalid_state', 'The workflow run is not awaiting input.')
    }
    const applicant = this.applicants.get(run.applicantId)
    if (applicant === undefined) throw resourceNotFound('Applicant', run.applicantId)
    run.scenarioId = scenarioFor(applicant.lastName, applicant.assignedScenario)
    if (run.scenarioId === 'applicant_abandons') {
      // The applicant of this scenario never finishes: the run waits for the interactive timeout.
      this.openRun(run)
      return
    }
    this.captureEvidence(applicant)
    const documents = this.mediaOf(applicant.id, 'document')
    const photos = this.mediaOf(applicant.id, 'live_photo')
    for (const task of run.tasks) {
      if (task.state !== 'started') continue
      const media = task.taskDefId === 'upload_document_photo' ? documents : photos
      this.completeTask(run, task, { media_ids: media.map((item) => item.id) })
    }
    if (options.clientInput) {
      this.setStatus(run, 'awaiting_client_input')
      this.startTask(run, `client_input_${this.suffix()}`, 'client_input', {})
      return
    }
    this.processRun(run)
  }

  /** `POST /workflow_runs/{id}/tasks/{task_id}/complete` for the task an integrator must finish. */
  completeClientTask(run: WorkflowRunRecord, taskId: string, data: unknown): void {
    const task = run.tasks.find((item) => item.id === taskId)
    if (task === undefined) throw resourceNotFound('Task', taskId)
    if (
      run.status !== 'awaiting_client_input' ||
      task.state !== 'started' ||
      task.taskDefId !== 'client_input'
    ) {
      throw new OnfidoApiError(422, 'invalid_state', 'The task is not awaiting client input.')
    }
    this.completeTask(
      run,
      task,
      typeof data === 'object' && data !== null ? (data as Record<string, unknown>) : {},
    )
    this.processRun(run)
  }

  private processRun(run: WorkflowRunRecord): void {
    this.setStatus(run, 'processing')
    if (this.settings.processingDelayMs <= 0) this.decideRun(run)
    else this.schedule(this.now() + this.settings.processingDelayMs, () => this.decideRun(run))
  }

  /** The verification tasks run: a check with the workflow's reports, then the run's outcome. */
  private decideRun(run: WorkflowRunRecord): void {
    const applicant = this.applicants.get(run.applicantId)
    if (applicant === undefined || run.status !== 'processing') return
    const scenarioId = run.scenarioId ?? scenarioFor(applicant.lastName, applicant.assignedScenario)
    const check = this.createCheck(applicant, { reportNames: workflowReportNames, workflowRunId: run.id })
    run.checkId = check.id
    this.completeCheck(check)
    for (const definition of taskDefinitions) {
      if (!('report' in definition)) continue
      const report = check.reportIds
        .map((id) => this.reports.get(id))
        .find((item) => item?.name === definition.report)
      const task = this.startTask(run, `${definition.prefix}_${this.suffix()}`, definition.definition, {})
      this.completeTask(run, task, {
        report_id: report?.id ?? null,
        result: report?.result ?? null,
        ...(report?.subResult ? { sub_result: report.subResult } : {}),
      })
    }
    const realisation = onfidoScenarioRealisations[scenarioId]
    this.finishRun(run, realisation.runStatus, [...realisation.reasons])
  }

  private setStatus(run: WorkflowRunRecord, status: OnfidoWorkflowRunStatus): void {
    run.status = status
    run.updatedAt = this.now()
  }

  /** Ends a run (or changes a terminal one) and emits `workflow_run.completed`. */
  finishRun(
    run: WorkflowRunRecord,
    status: OnfidoWorkflowRunStatus,
    reasons: string[],
    error: WorkflowRunRecord['error'] = null,
  ): void {
    this.setStatus(run, status)
    run.reasons = reasons
    run.error = error
    run.completedAt = this.now()
    run.output = status === 'abandoned' || status === 'error' ? null : { check_id: run.checkId ?? null }
    if (status === 'abandoned') {
      for (const task of run.tasks) if (task.state === 'started') task.updatedAt = this.now()
    }
    this.emitRunCompleted(run)
  }

  /**
   * A person in Onfido's dashboard decides a run that ended in `review` [UNCERTAIN: the spec does not
   * say a review run can change; the simulator lets the back office move it to approved/declined and
   * sends `workflow_run.completed` again].
   */
  reviewRun(run: WorkflowRunRecord, verdict?: 'approved' | 'declined'): void {
    if (run.status !== 'review') {
      throw new OnfidoApiError(422, 'invalid_state', 'Only a workflow run in review can be reviewed.')
    }
    const realisation = run.scenarioId === undefined ? undefined : onfidoScenarioRealisations[run.scenarioId]
    const status = verdict ?? realisation?.afterReview?.runStatus ?? 'approved'
    const reasons = verdict === undefined ? [...(realisation?.afterReview?.reasons ?? [])] : []
    this.finishRun(run, status, reasons)
  }

  /** Ends an unfinished run with `error` (a task failed). */
  failRun(run: WorkflowRunRecord, error: { type: string; message: string }): void {
    if (terminalRunStatuses.has(run.status)) {
      throw new OnfidoApiError(422, 'invalid_state', 'The workflow run has already ended.')
    }
    this.finishRun(run, 'error', [], error)
  }

  /** Abandons an unfinished run now (as the interactive timeout or link expiry does). */
  abandonRun(run: WorkflowRunRecord): void {
    if (terminalRunStatuses.has(run.status)) return
    this.finishRun(run, 'abandoned', [])
  }

  // ─── Webhooks ───────────────────────────────────────────────────────────────────────────────

  private absolute(region: OnfidoRegion, path: string): string {
    return `${this.settings.apiOrigin(region)}${apiVersionPath}${path}`
  }

  private emitRunCompleted(run: WorkflowRunRecord): void {
    this.emit(run, {
      action: 'workflow_run.completed',
      resourceType: 'workflow_run',
      object: {
        id: run.id,
        status: run.status,
        at: onfidoTime(run.completedAt ?? this.now()),
        href: this.absolute(run.region, `/workflow_runs/${run.id}`),
      },
      resource: presentWorkflowRun(run, this.settings.linkUrl(run)),
    })
  }

  private emitTaskEvent(
    run: WorkflowRunRecord,
    task: TaskRecord,
    action: 'workflow_task.started' | 'workflow_task.completed',
  ): void {
    this.emit(run, {
      action,
      resourceType: 'workflow_task',
      object: {
        id: task.id,
        status: task.state,
        at: onfidoTime(task.updatedAt),
        href: this.absolute(run.region, `/workflow_runs/${run.id}/tasks/${task.id}`),
        taskSpecId: task.id,
        taskDefId: task.taskDefId,
        workflowRunId: run.id,
      },
      resource: {
        id: task.id,
        workflow_run_id: run.id,
        task_def_id: task.taskDefId,
        task_def_version: task.taskDefVersion,
        input: task.input,
        output: task.output,
        created_at: onfidoTime(task.createdAt),
        updated_at: onfidoTime(task.updatedAt),
      },
    })
  }

  private emitCheckEvent(check: CheckRecord, action: 'check.started' | 'check.completed'): void {
    this.emit(check, {
      action,
      resourceType: 'check',
      object: {
        id: check.id,
        status: check.status,
        at: onfidoTime(this.now()),
        href: this.absolute(check.region, `/checks/${check.id}`),
      },
    })
  }

  private emitReportEvent(check: CheckRecord, report: ReportRecord): void {
    this.emit(check, {
      action: 'report.completed',
      resourceType: 'report',
      object: {
        id: report.id,
        status: report.status,
        at: onfidoTime(this.now()),
        href: this.absolute(report.region, `/reports/${report.id}`),
      },
    })
  }

  /** The last event sent per `action:object id`, for `POST /webhooks/resend`. */
  private readonly sentEvents = new Map<
    string,
    { owner: Parameters<OnfidoEngine['emit']>[0]; event: OnfidoWebhookEvent }
  >()

  /**
   * `POST /webhooks/resend` (§8.1): sends each named event again to the webhooks that would get it
   * now. The whole request is refused when one of them was never sent in the caller's scope
   * ({@link canResend}).
   */
  resendEvents(scope: OnfidoScope, items: readonly { resource_id: string; event: string }[]): void {
    if (!this.canResend(scope, items)) {
      throw validationError({ data: ['names an event that was not sent for that resource'] })
    }
    for (const item of items) {
      const sent = this.sentEvents.get(`${item.event}:${item.resource_id}`)
      if (sent !== undefined) this.emit(sent.owner, sent.event)
    }
  }

  /** Whether every named event was sent before, in the caller's scope. */
  canResend(scope: OnfidoScope, items: readonly { resource_id: string; event: string }[]): boolean {
    return items.every((item) => {
      const sent = this.sentEvents.get(`${item.event}:${item.resource_id}`)
      return sent !== undefined && this.visible(sent.owner, scope)
    })
  }

  /** Sends an event to every enabled webhook that subscribed to it, in the object's environment. */
  private emit(
    owner: {
      applicantId: string
      environment: OnfidoEnvironment
      region: OnfidoRegion
      webhookIds?: string[] | null
    },
    event: OnfidoWebhookEvent,
  ): void {
    this.sentEvents.set(`${event.action}:${event.object.id}`, { owner, event })
    const environment = owner.environment === 'sandbox' ? 'sandbox' : 'live'
    for (const webhook of this.webhooks.values()) {
      if (!webhook.enabled || webhook.region !== owner.region) continue
      if (webhook.events !== null && !webhook.events.includes(event.action)) continue
      if (webhook.environments !== null && !webhook.environments.includes(environment)) continue
      if (owner.webhookIds && owner.webhookIds.length > 0 && !owner.webhookIds.includes(webhook.id)) continue
      const rawBody = JSON.stringify(webhookEnvelope(event))
      this.track(
        this.settings.deliverer.deliver({
          url: webhook.url,
          body: rawBody,
          subject: owner.applicantId,
          headers: { [onfidoSignatureHeader]: signOnfidoWebhook(rawBody, webhook.token) },
        }),
      )
    }
  }

  // ─── Time and housekeeping ──────────────────────────────────────────────────────────────────

  private schedule(at: number, work: () => void): void {
    const timer = this.settings.clock.setTimer({ at }, () => {
      this.timers.delete(timer)
      work()
    })
    this.timers.add(timer)
  }

  private track(work: Promise<unknown>): void {
    this.inFlight.add(work)
    void work.finally(() => this.inFlight.delete(work))
  }

  /** Resolves once every emitted webhook had its first delivery attempt. */
  async idle(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight])
    await this.settings.deliverer.idle()
  }

  /** Cancels every pending timer (expiry, deletion, processing). */
  shutdown(): void {
    for (const timer of this.timers) timer.cancel()
    this.timers.clear()
  }
}
