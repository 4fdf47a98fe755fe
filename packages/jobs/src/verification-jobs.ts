import {
  compareVerificationKeys,
  createWebhookPipeline,
  isKycError,
  type KycAdapter,
  type KycCapabilities,
  KycConfigurationError,
  type KycLogger,
  type KycStore,
  kycCapabilities,
  type Verification,
  type VerificationKey,
  type VerificationQuery,
  type WebhookEventHandler,
  type WebhookPipeline,
  type WebhookPipelineOptions,
} from '@openkyc/core'
import type { Jobs } from './boss.js'

/**
 * What the reconciler, retention and erasure share: the store, the installed adapters, and the
 * application's webhook handler, so a change they bring runs it exactly as a webhook would.
 */
export type VerificationJobOptions<Handle = unknown> = {
  /** The store the application's webhook pipeline uses (the same database, `@openkyc/postgres`). */
  store: KycStore<Handle>
  /** One adapter per provider the application uses (or used): verifications of others are skipped. */
  adapters: readonly KycAdapter[]
  /**
   * The application's handler, the same as its webhook pipeline's `onEvent`: a state brought by a
   * job goes through the pipeline's transactional path (claim, forward-only apply, audit, this
   * handler, commit), so it runs once per real change whichever source brings the change first.
   */
  onEvent?: WebhookEventHandler<Handle>
  /** Receives one line per problem: provider, verification id and error code, never personal data. */
  logger?: KycLogger
  /** The pipeline's store timings (see `createWebhookPipeline`). */
  pipeline?: Pick<WebhookPipelineOptions<Handle>, 'leaseMs' | 'storeTimeoutMs' | 'claimWaitMs'>
}

/** One installed provider: its adapter and a pipeline over the shared store. */
export type ProviderEntry<Handle> = { adapter: KycAdapter; pipeline: WebhookPipeline<Handle> }

/** The providers a job was given, and a pipeline for any provider's redaction. */
export type ProviderEntries<Handle> = {
  /** The installed provider's adapter and pipeline, or `undefined` when it has no adapter here. */
  get(provider: string): ProviderEntry<Handle> | undefined
  /**
   * A pipeline for `provider`, also when no adapter is installed for it (a verification at a provider
   * the application stopped using): a redaction still goes through the webhook path and `onEvent`.
   */
  pipelineFor(provider: string): WebhookPipeline<Handle>
}

/**
 * Builds one pipeline per adapter over the shared store. The pipelines take no background events
 * (the application's own webhook pipeline does), they only apply what a job brings.
 */
export function createProviderEntries<Handle>(
  options: VerificationJobOptions<Handle>,
  job: string,
): ProviderEntries<Handle> {
  const pipelineOf = (adapter: KycAdapter): WebhookPipeline<Handle> => {
    const pipeline = createWebhookPipeline<Handle>({
      adapter,
      store: options.store,
      ...options.pipeline,
      ...(options.onEvent === undefined ? {} : { onEvent: options.onEvent }),
      ...(options.logger === undefined ? {} : { logger: options.logger }),
    })
    pipeline.close()
    return pipeline
  }
  const entries = new Map<string, ProviderEntry<Handle>>()
  for (const adapter of options.adapters) {
    if (entries.has(adapter.provider)) {
      throw new KycConfigurationError({
        provider: adapter.provider,
        message: `${job}: two adapters for provider "${adapter.provider}"; give one per provider.`,
      })
    }
    entries.set(adapter.provider, { adapter, pipeline: pipelineOf(adapter) })
  }
  const orphans = new Map<string, WebhookPipeline<Handle>>()
  return {
    get: (provider) => entries.get(provider),
    pipelineFor(provider) {
      const installed = entries.get(provider)?.pipeline ?? orphans.get(provider)
      if (installed !== undefined) return installed
      const pipeline = pipelineOf(orphanAdapter(provider))
      orphans.set(provider, pipeline)
      return pipeline
    },
  }
}

/** Stands in for a provider without an installed adapter: it names the provider and does nothing else. */
function orphanAdapter(provider: string): KycAdapter {
  const notInstalled = () =>
    Promise.reject(
      new KycConfigurationError({
        provider,
        message: `No adapter for provider "${provider}" is installed here.`,
      }),
    )
  return {
    specificationVersion: 'v1',
    provider,
    capabilities: Object.fromEntries(
      kycCapabilities.map((capability) => [capability, false]),
    ) as KycCapabilities,
    createVerification: notInstalled,
    getVerification: notInstalled,
    parseWebhook: notInstalled,
  }
}

/** A `KycError`'s code, or `unknown`: what reports and logs say about a failure (never a message). */
export function failureCode(error: unknown): string {
  return isKycError(error) ? error.code : 'unknown'
}

/** The namespace of the jobs' own bookkeeping in the store's key-value table. */
export const jobsNamespace = 'openkyc-jobs'

/**
 * Pages through `query`'s matches from where the previous run of the same job stopped (a cursor kept
 * in the store), and yields at most `budget` of them. When the matches run out the cursor starts
 * over, so a bounded run never starves the verifications at the end of the order.
 */
export async function* resumablePages<Handle>(
  store: KycStore<Handle>,
  cursorKey: string,
  query: Omit<VerificationQuery, 'after' | 'limit'>,
  budget: number,
  signal: AbortSignal | undefined,
): AsyncGenerator<Verification> {
  const saved = (await store.keyValue.get(jobsNamespace, cursorKey)) as VerificationKey | null | undefined
  let after: VerificationKey | undefined = saved ?? undefined
  let remaining = budget
  let wrapped = after === undefined
  while (remaining > 0) {
    signal?.throwIfAborted()
    const page = await store.verifications.find({
      ...query,
      limit: Math.min(remaining, 200),
      ...(after === undefined ? {} : { after }),
    })
    for (const verification of page.verifications) {
      // Started over: stop where this run began, so no verification is taken twice in one run.
      if (wrapped && saved != null && compareVerificationKeys(verification, saved) > 0) return
      remaining -= 1
      yield verification
    }
    after = page.next
    if (after === undefined) {
      // The end: start over next time, or now when this run began in the middle and has budget left.
      await store.keyValue.delete(jobsNamespace, cursorKey)
      if (wrapped || remaining === 0) return
      wrapped = true
      continue
    }
    await store.keyValue.set(jobsNamespace, cursorKey, after)
  }
}

/** Options for {@link scheduleRecurring}, and so for `scheduleReconciler` and `scheduleRetention`. */
export type RecurringJobOptions = {
  /** When to run, as a pg-boss cron expression (minute precision). */
  cron?: string
  /** The cron's time zone. Default UTC. */
  tz?: string
  /** How often this process polls the queue for a due run, in seconds. Default 2. */
  pollingIntervalSeconds?: number
  /** A run that takes longer than this is abandoned by pg-boss (its worker died): seconds. Default 900. */
  expireInSeconds?: number
}

/** A recurring job registered on pg-boss. */
export type RecurringJob = {
  /** The pg-boss queue (`openkyc-<kind>`). */
  readonly queue: string
  /**
   * Asks for a run now, through the queue (so never beside a scheduled run), and resolves with its job
   * id, or `undefined` when a run is queued already (that one will do).
   */
  trigger(): Promise<string | undefined>
  /** Stops this process's worker; with `unschedule`, removes the schedule for every process too. */
  stop(options?: { unschedule?: boolean }): Promise<void>
}

/**
 * Registers a recurring job on pg-boss: a cron schedule (pg-boss sends one job per tick, whichever
 * processes registered it) and this process's worker. The queue's `stately` policy keeps at most one
 * run queued and one running across every process, so runs never overlap or pile up. The job's output
 * is what `run` resolves to (counts and ids, never personal data).
 */
export async function scheduleRecurring(
  jobs: Jobs,
  kind: string,
  defaultCron: string,
  run: (signal: AbortSignal) => Promise<object>,
  options: RecurringJobOptions = {},
): Promise<RecurringJob> {
  const queue = await jobs.ensureQueue(kind, {
    policy: 'stately',
    retryLimit: 0,
    expireInSeconds: options.expireInSeconds ?? 900,
  })
  await jobs.boss.schedule(queue, options.cron ?? defaultCron, {}, { tz: options.tz ?? 'UTC' })
  const abandon = new AbortController()
  const workerId = await jobs.boss.work(
    queue,
    { pollingIntervalSeconds: options.pollingIntervalSeconds ?? 2 },
    async () => run(abandon.signal),
  )
  return {
    queue,
    async trigger() {
      return (await jobs.boss.send(queue, {})) ?? undefined
    },
    async stop(stopOptions = {}) {
      await jobs.boss.offWork({ id: workerId })
      abandon.abort(new Error(`${kind}: the worker stopped`))
      if (stopOptions.unschedule === true) await jobs.boss.unschedule(queue)
    },
  }
}
