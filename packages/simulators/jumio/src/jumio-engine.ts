import { randomUUID } from 'node:crypto'
import type { ScenarioId } from '@openkyc/testkit/catalogue'
import { scenarioById } from '@openkyc/testkit/catalogue'
import type { DeliveryMode, SimulatorClock, WebhookDeliverer } from '@openkyc/testkit/harness'
import type { JumioAccountRequest } from './jumio-account-request.js'
import { createJumioEvidenceImage } from './jumio-images.js'
import { callbackBody, type JumioUrls, livenessClassifiers } from './jumio-payloads.js'
import {
  computeJumioResult,
  expiredJumioResult,
  type JumioApplicant,
  type JumioEngineSettings,
  type JumioOutcomeProfile,
} from './jumio-results.js'
import {
  choiceFor,
  type JumioScenarioChoice,
  type JumioScenarioRealisation,
  scenarioFromImage,
  scenarioFromLastName,
  scenarioFromReference,
  scenarioUnsupportedReason,
} from './jumio-scenarios.js'
import {
  JumioStore,
  type JumioWorkflowStatus,
  type StoredAccount,
  type StoredCredential,
  type StoredExecution,
} from './jumio-state.js'
import type { JumioTokenIssuer } from './jumio-tokens.js'
import type { JumioPreparedData } from './jumio-uploads.js'
import { type JumioWorkflowDefinition, requiredClassifiers } from './jumio-workflows.js'

/**
 * The Jumio state machine, independent of HTTP: executions move
 * `INITIATED → ACQUIRED → PROCESSED`, or end `TOKEN_EXPIRED` (never started within `tokenLifetime`)
 * or `SESSION_EXPIRED` (started, then idle for 15 minutes, or still unfinished when the token ran
 * out), all on the simulator clock. A callback goes out on each terminal status (G23, §10).
 */

/** Settings of the engine (resolved simulator options). */
export type JumioEngineOptions = {
  clock: SimulatorClock
  tokens: JumioTokenIssuer
  deliverer: WebhookDeliverer
  urls: () => JumioUrls
  /** Inactivity timeout once the journey started. Default 15 minutes (G23). */
  sessionTimeoutMs: number
  /** Delay between finalize (ACQUIRED) and PROCESSED. 0 processes at once. */
  processingDelayMs: number
  /** The Portal's callback URL, used when a request names none. */
  defaultCallbackUrl: string | undefined
  /** Early callbacks: PROCESSED is announced while retrieval still shows ACQUIRED for this long. */
  earlyCallbackRetrievalDelayMs: number | false
  /** Also send an `ACQUIRED` callback at finalize (intermediate callbacks, UNCERTAIN in the docs). */
  intermediateCallbacks: boolean
  expiredDecision: 'not-executed' | 'rejected'
  engineSettings: JumioEngineSettings
  realisations: Readonly<Record<ScenarioId, JumioScenarioRealisation>>
}

/** A way to name an execution: its id, or an adapter's reference `{ accountId, workflowExecutionId }`. */
export type JumioExecutionReference = string | { workflowExecutionId?: string; accountId?: string }

/** Options of {@link JumioEngine.resolve}. */
export type ResolveOptions = {
  /** The person behind the evidence; defaults to the scenario's catalogue applicant. */
  applicant?: JumioApplicant
  /** Overrides the scenario's verdicts (anything not named passes). */
  profile?: JumioOutcomeProfile
  /** `intermediate` stops a multi-step scenario before the back-office review. Default `final`. */
  stage?: 'intermediate' | 'final'
  /** How the evidence arrives when the simulator captures it: `WEB` (with a FACEMAP) or `API`. */
  channel?: 'WEB' | 'API'
  source?: JumioScenarioChoice['source']
}

/** Thrown by the control API for impossible requests (unknown execution, wrong state). */
export class JumioControlError extends Error {
  override readonly name = 'JumioControlError'
}

/**
 * The state machine and control operations behind the HTTP routes, so the hosted page, the control
 * API and the conformance driver change state exactly the way the API channel does.
 */
export class JumioEngine {
  readonly store = new JumioStore()
  readonly options: JumioEngineOptions
  readonly #pending = new Set<Promise<unknown>>()
  #earlyDelay: number | false
  #reviewProfiles = new Map<string, JumioOutcomeProfile>()
  #preparedData = new Map<string, JumioPreparedData>()

  constructor(options: JumioEngineOptions) {
    this.options = options
    this.#earlyDelay = options.earlyCallbackRetrievalDelayMs
  }

  get clock(): SimulatorClock {
    return this.options.clock
  }

  /** Switches early callbacks on (retrieval lags by `ms`) or off. */
  setEarlyCallbacks(retrievalDelayMs: number | false): void {
    this.#earlyDelay = retrievalDelayMs
  }

  /** Changes how callbacks are delivered (duplicates, held, reordered). */
  setCallbackMode(mode: DeliveryMode): void {
    this.options.deliverer.setMode(mode)
  }

  /** Resolves when every callback emitted so far has had its first attempt. */
  async idle(): Promise<void> {
    while (this.#pending.size > 0) await Promise.allSettled([...this.#pending])
    await this.options.deliverer.idle()
  }

  /** Finds an execution (live), or throws a control error. */
  find(reference: JumioExecutionReference): StoredExecution {
    const id = typeof reference === 'string' ? reference : reference.workflowExecutionId
    const execution = id === undefined ? undefined : this.store.executionById(id)
    if (execution === undefined) throw new JumioControlError('No live workflow execution with that id')
    if (
      typeof reference !== 'string' &&
      reference.accountId !== undefined &&
      reference.accountId !== execution.accountId
    ) {
      throw new JumioControlError('The workflow execution belongs to another account')
    }
    return execution
  }

  // ── creation ────────────────────────────────────────────────────────────────────────────────────

  /** Creates an account (or reuses one for update) and a new execution with its credentials. */
  createExecution(input: {
    account: StoredAccount | undefined
    request: JumioAccountRequest
    workflow: JumioWorkflowDefinition
    tokenLifetimeSeconds: number
  }): StoredExecution {
    const now = this.clock.now()
    const account: StoredAccount = input.account ?? {
      id: randomUUID(),
      createdAt: now,
      executionIds: [],
      credentials: new Map(),
      deleted: false,
    }
    this.store.accounts.set(account.id, account)
    const executionId = randomUUID()
    const token = this.options.tokens.issueTransactionToken(
      account.id,
      executionId,
      now,
      input.tokenLifetimeSeconds,
    )
    const execution: StoredExecution = {
      id: executionId,
      accountId: account.id,
      workflow: input.workflow,
      request: input.request,
      credentialIds: [],
      status: 'INITIATED',
      createdAt: now,
      token,
      tokenExpiresAt: now + input.tokenLifetimeSeconds * 1000,
      onFileCredentialIds: new Set(),
      timers: [],
      deleted: false,
    }
    for (const credential of this.#credentialsFor(account, execution, input.request, input.workflow)) {
      if (credential.onFile) execution.onFileCredentialIds.add(credential.id)
      else account.credentials.set(credential.id, credential)
      execution.credentialIds.push(credential.id)
    }
    account.executionIds.push(execution.id)
    this.store.executions.set(execution.id, execution)
    const fromReference =
      scenarioFromReference(input.request.customerInternalReference) ??
      scenarioFromReference(input.request.userReference)
    if (fromReference !== undefined) execution.scenario = choiceFor(fromReference.id, 'reference')
    this.#scheduleExpiry(execution)
    return execution
  }

  #credentialsFor(
    account: StoredAccount,
    execution: StoredExecution,
    request: JumioAccountRequest,
    workflow: JumioWorkflowDefinition,
  ): StoredCredential[] {
    const requested = [...(request.workflowDefinition.credentials ?? [])]
    const make = (
      category: StoredCredential['category'],
      allowedChannels: StoredCredential['allowedChannels'],
    ) => ({
      id: randomUUID(),
      category,
      allowedChannels,
      accountId: account.id,
      workflowExecutionId: execution.id,
      onFile: false,
      parts: new Map(),
      deleted: false,
    })
    // WF 20 compares whatever pair the request names (ID+SELFIE by default).
    const templates =
      workflow.key === 20 && requested.length > 0
        ? requested.map((item) => ({ category: item.category, allowedChannels: ['API'] as const }))
        : workflow.credentials
    const credentials: StoredCredential[] = []
    for (const template of templates) {
      const index = requested.findIndex((item) => item.category === template.category)
      const preset = index === -1 ? undefined : requested.splice(index, 1)[0]
      if (preset?.id !== undefined) {
        const existing = account.credentials.get(preset.id)
        if (existing !== undefined && !existing.deleted) {
          credentials.push({ ...existing, onFile: true })
          continue
        }
      }
      const credential: StoredCredential = make(template.category, template.allowedChannels)
      if (preset?.country !== undefined) credential.country = preset.country
      if (preset?.type !== undefined) credential.type = preset.type
      credentials.push(credential)
    }
    // Prepared data asked for explicitly on top of the workflow's own credentials.
    for (const extra of requested) {
      if (extra.category === 'DATA') credentials.push(make('DATA', ['API']))
    }
    return credentials
  }

  // ── capture ─────────────────────────────────────────────────────────────────────────────────────

  /** The applicant (or the API client) did something: the journey starts and the idle timer resets. */
  touch(execution: StoredExecution): void {
    const now = this.clock.now()
    execution.startedAt ??= now
    execution.lastActivityAt = now
    this.#scheduleExpiry(execution)
  }

  /** Stores one uploaded part. */
  storePart(
    execution: StoredExecution,
    credential: StoredCredential,
    classifier: string,
    part: { bytes: Uint8Array; contentType: string },
    via: 'API' | 'WEB',
  ): void {
    credential.parts.set(classifier, { classifier, ...part, uploadedAt: this.clock.now() })
    credential.capturedVia = via
    this.touch(execution)
  }

  /** Stores prepared data (kept apart from parts so the magic last name can be read without parsing). */
  storePreparedData(
    execution: StoredExecution,
    credential: StoredCredential,
    data: JumioPreparedData,
    raw: Uint8Array,
  ): void {
    this.#preparedData.set(credential.id, data)
    this.storePart(
      execution,
      credential,
      'PREPARED_DATA',
      { bytes: raw, contentType: 'application/json' },
      'API',
    )
  }

  /**
   * Captures every missing part as the applicant would: through the hosted page (`WEB`, which also
   * records a FACEMAP with its LIVENESS frames) or through the API channel. Images carry the
   * applicant's last name, like the evidence of a catalogue applicant.
   */
  captureAll(execution: StoredExecution, applicant: JumioApplicant, channel: 'WEB' | 'API'): void {
    for (const credential of this.store.credentialsOf(execution)) {
      if (credential.onFile) continue
      const capturable =
        credential.allowedChannels.includes(channel) ||
        (channel === 'WEB' && credential.allowedChannels.includes('SDK'))
      if (!capturable) continue
      if (credential.category === 'FACEMAP') {
        if (channel !== 'WEB' || credential.parts.has('FACEMAP')) continue
        this.storePart(
          execution,
          credential,
          'FACEMAP',
          {
            bytes: new TextEncoder().encode(`FACEMAP:${credential.id}`),
            contentType: 'application/octet-stream',
          },
          'WEB',
        )
        for (const classifier of livenessClassifiers) {
          this.storePart(
            execution,
            credential,
            classifier,
            {
              bytes: createJumioEvidenceImage({ width: 480, height: 640, fill: [120, 110, 100] }),
              contentType: 'image/jpeg',
            },
            'WEB',
          )
        }
        continue
      }
      for (const classifier of requiredClassifiers[credential.category]) {
        if (credential.parts.has(classifier)) continue
        if (classifier === 'PREPARED_DATA') {
          const data = {
            firstName: applicant.firstName,
            lastName: applicant.lastName,
            dateOfBirth: applicant.dateOfBirth,
          }
          this.storePreparedData(execution, credential, data, new TextEncoder().encode(JSON.stringify(data)))
          continue
        }
        const selfie = credential.category === 'SELFIE'
        const bytes = createJumioEvidenceImage({
          text: applicant.lastName,
          width: selfie ? 480 : 640,
          height: selfie ? 640 : 400,
        })
        this.storePart(execution, credential, classifier, { bytes, contentType: 'image/jpeg' }, channel)
      }
      if (credential.category === 'ID' && !credential.parts.has('BACK') && execution.workflow.key !== 20) {
        const bytes = createJumioEvidenceImage({ text: applicant.lastName })
        if (applicant.documentType !== 'passport')
          this.storePart(execution, credential, 'BACK', { bytes, contentType: 'image/jpeg' }, channel)
      }
    }
  }

  // ── transitions ─────────────────────────────────────────────────────────────────────────────────

  /**
   * Finalize: `INITIATED → ACQUIRED`, then processing after the configured delay (unless
   * `schedule` is false: the control API processes right away itself).
   */
  finalize(execution: StoredExecution, schedule = true): void {
    if (execution.status !== 'INITIATED') return
    const now = this.clock.now()
    execution.startedAt ??= now
    execution.status = 'ACQUIRED'
    execution.acquiredAt = now
    this.#cancelTimers(execution)
    if (this.options.intermediateCallbacks) this.#sendCallback(execution, 'ACQUIRED')
    if (!schedule) return
    if (this.options.processingDelayMs <= 0) {
      this.process(execution)
    } else {
      execution.timers.push(
        this.clock.setTimer({ delay: this.options.processingDelayMs }, () => this.process(execution)),
      )
    }
  }

  /** `ACQUIRED → PROCESSED`: computes the result and sends the callback. */
  process(execution: StoredExecution, profileOverride?: JumioOutcomeProfile): void {
    if (execution.deleted || (execution.status !== 'ACQUIRED' && execution.status !== 'PROCESSED')) return
    this.#cancelTimers(execution)
    const choice = execution.scenario ?? this.#choiceFromEvidence(execution)
    execution.scenario = choice
    const realisation = this.options.realisations[choice.scenarioId]
    const now = this.clock.now()
    execution.result = computeJumioResult({
      workflow: execution.workflow,
      credentials: this.store.credentialsOf(execution),
      profile: profileOverride ?? realisation.profile,
      applicant: choice.applicant,
      now,
      retrievalBaseUrl: this.options.urls().retrieval,
      settings: this.options.engineSettings,
    })
    execution.status = 'PROCESSED'
    execution.completedAt = now
    execution.retrievalReadyAt = this.#earlyDelay === false ? undefined : now + this.#earlyDelay
    this.#sendCallback(execution, 'PROCESSED')
  }

  /** Ends an unfinished execution with `TOKEN_EXPIRED` or `SESSION_EXPIRED` and sends the callback. */
  expire(execution: StoredExecution, status?: 'TOKEN_EXPIRED' | 'SESSION_EXPIRED'): void {
    if (execution.deleted || execution.status !== 'INITIATED') return
    const final = status ?? (execution.startedAt === undefined ? 'TOKEN_EXPIRED' : 'SESSION_EXPIRED')
    this.#cancelTimers(execution)
    const now = this.clock.now()
    execution.status = final
    execution.completedAt = now
    execution.result = expiredJumioResult(
      execution.workflow,
      this.store.credentialsOf(execution),
      final,
      this.options.expiredDecision,
    )
    this.options.tokens.expire(execution.token, now)
    this.#sendCallback(execution, final)
  }

  /** Deletes one execution (and the credentials it created); later retrieval answers 404. */
  deleteExecution(execution: StoredExecution): void {
    this.#cancelTimers(execution)
    execution.deleted = true
    this.options.tokens.expire(execution.token, this.clock.now())
    const account = this.store.accounts.get(execution.accountId)
    for (const credential of account?.credentials.values() ?? []) {
      if (credential.workflowExecutionId === execution.id) {
        credential.deleted = true
        credential.parts.clear()
      }
    }
  }

  /** Deletes an account with every execution and credential. */
  deleteAccount(account: StoredAccount): void {
    for (const id of account.executionIds) {
      const execution = this.store.executions.get(id)
      if (execution !== undefined && !execution.deleted) this.deleteExecution(execution)
    }
    for (const credential of account.credentials.values()) {
      credential.deleted = true
      credential.parts.clear()
    }
    account.deleted = true
  }

  // ── control API ─────────────────────────────────────────────────────────────────────────────────

  /** Pre-assigns the scenario an execution realises once it is finalized (by API or hosted page). */
  assignScenario(
    execution: StoredExecution,
    scenarioId: ScenarioId,
    options: Pick<ResolveOptions, 'applicant' | 'source'> = {},
  ): void {
    const unsupported = scenarioUnsupportedReason(scenarioId, execution.workflow)
    if (unsupported !== undefined) throw new JumioControlError(unsupported)
    const choice = choiceFor(scenarioId, options.source ?? 'control')
    execution.scenario =
      options.applicant === undefined ? choice : { ...choice, applicant: options.applicant }
  }

  /**
   * Makes an execution reach a scenario's end state now: captures what is missing, finalizes,
   * processes and sends the callback; `applicant_abandons` starts the journey and lets the session
   * expire; multi-step scenarios also get their back-office review unless `stage` is `intermediate`.
   */
  resolve(execution: StoredExecution, scenarioId: ScenarioId, options: ResolveOptions = {}): void {
    const realisation = this.options.realisations[scenarioId]
    if (execution.status === 'TOKEN_EXPIRED' || execution.status === 'SESSION_EXPIRED') {
      throw new JumioControlError(`The workflow execution already ended with ${execution.status}`)
    }
    if (realisation.expires) {
      if (execution.status !== 'INITIATED') {
        throw new JumioControlError('Only an unfinished workflow execution can be abandoned')
      }
      this.assignScenario(execution, scenarioId, options)
      this.touch(execution)
      this.expire(execution, 'SESSION_EXPIRED')
      return
    }
    this.assignScenario(execution, scenarioId, options)
    const applicant = execution.scenario!.applicant
    if (execution.status === 'INITIATED') {
      const channel = options.channel ?? (execution.workflow.hosted ? 'WEB' : 'API')
      this.captureAll(execution, applicant, channel)
      this.finalize(execution, false)
    }
    if (execution.status === 'ACQUIRED' || execution.status === 'PROCESSED') {
      this.process(execution, options.profile)
    }
    if ((options.stage ?? 'final') === 'final' && realisation.afterReview !== undefined) {
      this.review(execution, realisation.afterReview)
    } else if (realisation.afterReview !== undefined) {
      this.#reviewProfiles.set(execution.id, realisation.afterReview)
    }
  }

  /**
   * A person in Jumio's back office reviews a processed execution: the result is recomputed with the
   * review's verdicts (by default the scenario's `afterReview`) and a new `PROCESSED` callback is sent.
   */
  review(execution: StoredExecution, profile?: JumioOutcomeProfile): void {
    if (execution.status !== 'PROCESSED')
      throw new JumioControlError('Only a processed execution can be reviewed')
    const reviewed =
      profile ??
      this.#reviewProfiles.get(execution.id) ??
      this.options.realisations[execution.scenario?.scenarioId ?? 'clean_approve'].afterReview
    if (reviewed === undefined) throw new JumioControlError('This scenario has no back-office review step')
    this.#reviewProfiles.delete(execution.id)
    this.process(execution, reviewed)
  }

  // ── internals ───────────────────────────────────────────────────────────────────────────────────

  #choiceFromEvidence(execution: StoredExecution): JumioScenarioChoice {
    const credentials = this.store.credentialsOf(execution)
    for (const credential of credentials) {
      if (credential.category === 'DATA') continue
      for (const part of credential.parts.values()) {
        if (!part.contentType.startsWith('image/')) continue
        const scenario = scenarioFromImage(part.bytes)
        if (
          scenario !== undefined &&
          scenarioUnsupportedReason(scenario.id, execution.workflow) === undefined
        ) {
          return choiceFor(scenario.id, 'document')
        }
      }
    }
    const data = credentials
      .filter((credential) => credential.category === 'DATA')
      .map((credential) => this.#preparedData.get(credential.id))
      .find((value) => value !== undefined)
    const fromData = scenarioFromLastName(data?.lastName)
    if (fromData !== undefined && scenarioUnsupportedReason(fromData.id, execution.workflow) === undefined) {
      return choiceFor(fromData.id, 'prepared-data')
    }
    const clean = choiceFor('clean_approve', 'document')
    if (data?.firstName !== undefined && data.lastName !== undefined) {
      return {
        ...clean,
        applicant: {
          ...clean.applicant,
          firstName: data.firstName,
          lastName: data.lastName,
          ...(data.dateOfBirth === undefined ? {} : { dateOfBirth: data.dateOfBirth }),
        },
      }
    }
    return clean
  }

  #sendCallback(execution: StoredExecution, status: JumioWorkflowStatus): void {
    const url = execution.request.callbackUrl ?? this.options.defaultCallbackUrl
    if (url === undefined) return
    const body = callbackBody(this.options.urls(), execution, status, this.clock.now())
    const work = this.options.deliverer.deliver({ url, body, subject: execution.id })
    this.#pending.add(work)
    void work.finally(() => this.#pending.delete(work))
  }

  #cancelTimers(execution: StoredExecution): void {
    for (const timer of execution.timers) timer.cancel()
    execution.timers = []
  }

  #scheduleExpiry(execution: StoredExecution): void {
    if (execution.status !== 'INITIATED') return
    this.#cancelTimers(execution)
    const sessionEndsAt =
      execution.lastActivityAt === undefined
        ? Number.POSITIVE_INFINITY
        : execution.lastActivityAt + this.options.sessionTimeoutMs
    const at = Math.min(execution.tokenExpiresAt, sessionEndsAt)
    execution.timers.push(this.clock.setTimer({ at }, () => this.expire(execution)))
  }

  /** Cancels every timer (the simulator is closing). */
  shutdown(): void {
    for (const execution of this.store.executions.values()) this.#cancelTimers(execution)
  }

  /** Test helper: the scenario name of an execution's choice. */
  scenarioOf(execution: StoredExecution): ScenarioId | undefined {
    return execution.scenario?.scenarioId
  }

  /** For `scenarioById` consumers that only know the id. */
  static applicantOf(scenarioId: ScenarioId): JumioApplicant {
    return { ...scenarioById(scenarioId).applicant }
  }
}
