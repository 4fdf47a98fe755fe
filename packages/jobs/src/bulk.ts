import { createHash, randomUUID } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import {
  isKycError,
  type KycAdapterV1,
  KycConfigurationError,
  KycInvalidRequestError,
  type Verification,
} from '@openkyc/core'
import type { RateLimiter } from '@openkyc/core/http'
import type { SqlStatement } from '@openkyc/postgres'
import type PgBoss from 'pg-boss'
import { z } from 'zod'
import type { Jobs } from './boss.js'
import { withStartSlot } from './rate-limit.js'

/** The pg-boss job kind of one bulk item (queue `openkyc-bulk-item`). */
export const bulkItemKind = 'bulk-item'

const DocumentTypeSchema = z.enum([
  'passport',
  'driving_license',
  'id_card',
  'visa',
  'residence_permit',
  'other',
])

/**
 * One piece of evidence for an API-channel item: what `uploadCredential` needs, with the bytes named
 * by `source` (a file path, an object-store key: opaque here, read by the runner's `loadEvidence`),
 * so images never sit in the database.
 */
const BulkEvidenceSchema = z.strictObject({
  kind: z.enum(['id_document', 'selfie', 'liveness', 'document']),
  part: z.enum(['front', 'back', 'face', 'video', 'data', 'page']),
  documentType: DocumentTypeSchema.optional(),
  country: z
    .string()
    .regex(/^[A-Z]{2}$/)
    .optional(),
  contentType: z.enum(['image/jpeg', 'image/png', 'application/pdf']),
  source: z.string().min(1).max(1024),
})

/** One piece of evidence of a bulk item (API channel). */
export type BulkEvidence = z.input<typeof BulkEvidenceSchema>

/** What a bulk item may ask of `createVerification`, besides the subject: strict, JSON only. */
const BulkRequestSchema = z.strictObject({
  channel: z.enum(['hosted', 'api']).optional(),
  redirectUrl: z.url({ protocol: /^https?$/ }).optional(),
  locale: z.string().min(2).max(35).optional(),
  country: z
    .string()
    .regex(/^[A-Z]{2}$/)
    .optional(),
  documentTypes: z.array(DocumentTypeSchema).max(6).optional(),
  prefill: z
    .strictObject({
      firstName: z.string().max(200).optional(),
      lastName: z.string().max(200).optional(),
      dateOfBirth: z.iso.date().optional(),
    })
    .optional(),
  /**
   * API channel (`channel: 'api'`): evidence uploaded in this order, then the verification is
   * submitted. Needs an adapter that declares `upload`, and the runner's `loadEvidence`.
   */
  evidence: z.array(BulkEvidenceSchema).min(1).max(10).optional(),
})

const BulkItemSchema = z
  .strictObject({
    provider: z
      .string()
      .regex(/^[a-z][a-z0-9_-]{0,62}$/)
      .describe('the installed adapter name'),
    subjectReference: z.string().trim().min(1).max(255),
    request: BulkRequestSchema.optional(),
  })
  .refine((item) => item.request?.evidence === undefined || item.request.channel === 'api', {
    message: 'evidence needs channel api',
    path: ['request', 'channel'],
  })

/**
 * One item of a bulk run: which provider, which subject (the application's own id, never personal
 * data), and what to ask for. Items without `channel: 'api'` produce a hosted session link for the
 * applicant; `prefill` (personal data) is kept only until the item finishes, then erased.
 */
export type BulkItem = z.input<typeof BulkItemSchema>

/** Where an item is: waiting (or being worked on), finished with a verification, or given up. */
export type BulkItemState = 'pending' | 'done' | 'failed'

/** What one item produced. No personal data: ids, states and error codes only. */
export type BulkItemResult = {
  position: number
  provider: string
  subjectReference: string
  state: BulkItemState
  attempts: number
  verificationId?: string
  verificationStatus?: string
  /** The adapter's opaque handle, for `getVerification`. */
  reference?: unknown
  /** The hosted-flow link to send to the applicant, when the provider returned one. */
  sessionUrl?: string
  /**
   * Why the item failed: a `KycError` code (`invalid_request`, `authentication`, `rate_limited`
   * after every retry, …), `unknown_provider`, or `outcome_unknown` (a call to a provider without
   * idempotency keys was cut off and may have created a verification: not repeated, check by hand).
   */
  errorCode?: string
}

/** Progress of one batch. */
export type BulkStatus = {
  batchId: string
  label?: string
  /** Items submitted so far (final once `submitted`). */
  total: number
  /** `false` while `submit` is still adding items (or crashed before it finished: submit again). */
  submitted: boolean
  done: number
  failed: number
  remaining: number
  /** Items finished per second over the last 30 seconds. */
  ratePerSecond: number
  /** Seconds until the remaining items finish at the current rate; absent when nothing moves. */
  etaSeconds?: number
  createdAt: string
  /** When the last item finished, once every item has. */
  finishedAt?: string
}

/** Options for {@link createBulkRuns}. */
export type BulkRunsOptions = {
  /** The open job system ({@link openJobs}). */
  jobs: Jobs
  /**
   * The adapters items may name, by provider. Give them a cluster-wide `rateLimit`
   * ({@link createClusterRateLimiter}) so every worker in every process shares one budget per vendor.
   */
  adapters: Readonly<Record<string, BulkAdapter>>
  /**
   * Per provider, a limiter every item start waits for before its `createVerification`: for quotas on
   * verifications rather than requests (Persona's 150 inquiry creations a minute, Jumio's one
   * transaction start a second). Use {@link createClusterRateLimiter} with {@link vendorStartLimits}.
   * The adapters' own `rateLimit` keeps counting requests. Made with `requestLimiter` set to the
   * adapter's `rateLimit`, a start and the slot of the request that makes it are claimed at one
   * instant, so waiting for the request slot never delays a start past its own slot.
   */
  startLimiters?: Readonly<Record<string, RateLimiter>>
  /**
   * Providers whose `createVerification` honours `idempotencyKey` (default `['persona']`). For the
   * others a call cut off mid-flight (crash, timeout) is not repeated: the item fails with
   * `outcome_unknown` rather than risk a second verification.
   */
  idempotentProviders?: readonly string[]
  /**
   * Reads the bytes of an item's evidence (`request.evidence[].source`): a file, an object-store
   * object. Needed for items with evidence; a rejection fails the item with `evidence_unavailable`.
   */
  loadEvidence?: (source: string, options: { signal: AbortSignal }) => Promise<Uint8Array>
  /** Attempts after the first for retryable failures (429 after the adapter's own backoff, 5xx). Default 8. */
  retryLimit?: number
  /** Longest one item may take, rate-limit waits included; it is then aborted and retried. Default 120 s. */
  itemTimeoutMs?: number
}

/**
 * What a bulk run needs of an adapter: `createVerification`, and for items with evidence the declared
 * `upload` capability with `uploadCredential` and `submitVerification`.
 */
export type BulkAdapter = Pick<KycAdapterV1, 'createVerification'> &
  Partial<Pick<KycAdapterV1, 'capabilities' | 'uploadCredential' | 'submitVerification'>>

/** Bulk runs: submit, watch, read results, and work items in this process. */
export type BulkRuns = {
  /**
   * Stores the items and queues one job each. Resumable: submitting the same `batchId` again (after
   * the submitting process crashed) adds only what is missing. Rejects the first invalid item with a
   * `KycInvalidRequestError` naming its position and field, never its value.
   */
  submit(
    items: AsyncIterable<BulkItem> | Iterable<BulkItem>,
    options?: { batchId?: string; label?: string },
  ): Promise<{ batchId: string; total: number }>
  /** Progress of a batch; `undefined` for an unknown batch id. */
  status(batchId: string): Promise<BulkStatus | undefined>
  /** Every item's result, in submission order, read page by page. */
  results(batchId: string): AsyncIterable<BulkItemResult>
  /**
   * Starts `concurrency` workers in this process (default 4); returns a function that stops them
   * (waiting for the items in hand). Run it in as many processes as you like.
   */
  work(options?: { concurrency?: number; pollingIntervalSeconds?: number }): Promise<() => Promise<void>>
}

type BulkJobData = { batchId: string; position: number }

type StartedItem = {
  provider: string
  subject_reference: string
  request: z.output<typeof BulkRequestSchema>
  idempotency_key: string
  was_started: boolean
  /** Set once an API-channel item's verification exists (recorded before its evidence is uploaded). */
  verification_id: string | null
  verification_reference: unknown
  /** How many of its evidence pieces are uploaded. */
  uploaded: number
}

/** A stable job id per item: resubmitting a batch never queues an item twice (pg-boss ignores a known id). */
function itemJobId(batchId: string, position: number): string {
  const hex = createHash('sha256').update(`openkyc-bulk:${batchId}:${position}`).digest('hex')
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-8${hex.slice(17, 20)}-${hex.slice(20, 32)}`
}

function bulkStatements(schema: string) {
  const statement = (name: string, text: string, values: SqlStatement['values']): SqlStatement => ({
    name,
    text,
    values,
  })
  return {
    insertBatch: (batchId: string, label: string | null) =>
      statement(
        'insert bulk batch',
        `INSERT INTO ${schema}.bulk_batch (id, label) VALUES ($1::uuid, $2) ON CONFLICT (id) DO NOTHING`,
        [batchId, label],
      ),
    insertItems: (batchId: string, rows: string) =>
      statement(
        'insert bulk items',
        `INSERT INTO ${schema}.bulk_item (batch_id, position, provider, subject_reference, request, idempotency_key)
         SELECT $1::uuid, item.position, item.provider, item.subject_reference, item.request, item.idempotency_key
         FROM jsonb_to_recordset($2::text::jsonb)
           AS item(position integer, provider text, subject_reference text, request jsonb, idempotency_key text)
         ON CONFLICT (batch_id, position) DO NOTHING`,
        [batchId, rows],
      ),
    finishSubmit: (batchId: string, total: number) =>
      statement(
        'finish bulk submit',
        `UPDATE ${schema}.bulk_batch SET total = $2, submitted = true WHERE id = $1::uuid`,
        [batchId, total],
      ),
    startItem: (batchId: string, position: number) =>
      statement(
        'start bulk item',
        `UPDATE ${schema}.bulk_item SET attempts = attempts + 1
         WHERE batch_id = $1::uuid AND position = $2 AND state = 'pending'
         RETURNING provider, subject_reference, request, idempotency_key, call_started AS was_started,
           verification_id, verification_reference, uploaded`,
        [batchId, position],
      ),
    // Recorded just before the vendor call, after every wait: a wait that times out calls nobody.
    markCallStarted: (batchId: string, position: number) =>
      statement(
        'mark bulk item call',
        `UPDATE ${schema}.bulk_item SET call_started = true
         WHERE batch_id = $1::uuid AND position = $2 AND state = 'pending'`,
        [batchId, position],
      ),
    // An API-channel item's verification, recorded as soon as it exists: a retry uploads to it and
    // never creates a second one, whether the provider takes idempotency keys or not.
    recordCreated: (batchId: string, position: number, verificationId: string, reference: unknown) =>
      statement(
        'record bulk item verification',
        `UPDATE ${schema}.bulk_item SET verification_id = $3, verification_reference = $4::text::jsonb
         WHERE batch_id = $1::uuid AND position = $2 AND state = 'pending'`,
        [batchId, position, verificationId, JSON.stringify(reference)],
      ),
    recordUploaded: (batchId: string, position: number, uploaded: number) =>
      statement(
        'record bulk item upload',
        `UPDATE ${schema}.bulk_item SET uploaded = $3
         WHERE batch_id = $1::uuid AND position = $2 AND state = 'pending'`,
        [batchId, position, uploaded],
      ),
    clearCallStarted: (batchId: string, position: number) =>
      statement(
        'clear bulk item call',
        `UPDATE ${schema}.bulk_item SET call_started = false
         WHERE batch_id = $1::uuid AND position = $2 AND state = 'pending'`,
        [batchId, position],
      ),
    finishItem: (
      batchId: string,
      position: number,
      result: {
        state: 'done' | 'failed'
        verificationId?: string
        verificationStatus?: string
        reference?: unknown
        sessionUrl?: string
        errorCode?: string
      },
    ) =>
      // The request (it may hold prefill, personal data) is erased once the item is finished.
      statement(
        'finish bulk item',
        `UPDATE ${schema}.bulk_item SET state = $3, verification_id = $4, verification_status = $5,
           verification_reference = $6::text::jsonb, session_url = $7, error_code = $8,
           request = '{}'::jsonb, finished_at = now()
         WHERE batch_id = $1::uuid AND position = $2 AND state = 'pending'`,
        [
          batchId,
          position,
          result.state,
          result.verificationId ?? null,
          result.verificationStatus ?? null,
          result.reference === undefined ? null : JSON.stringify(result.reference),
          result.sessionUrl ?? null,
          result.errorCode ?? null,
        ],
      ),
    status: (batchId: string) =>
      statement(
        'bulk status',
        `SELECT batch.label, batch.total, batch.submitted, batch.created_at, max(item.finished_at) AS finished_at,
           count(item.position)::integer AS items,
           count(*) FILTER (WHERE item.state = 'done')::integer AS done,
           count(*) FILTER (WHERE item.state = 'failed')::integer AS failed,
           count(*) FILTER (WHERE item.finished_at > now() - interval '30 seconds')::integer AS recent,
           extract(epoch FROM now() - min(item.finished_at))::double precision AS since_first
         FROM ${schema}.bulk_batch batch
         LEFT JOIN ${schema}.bulk_item item ON item.batch_id = batch.id
         WHERE batch.id = $1::uuid
         GROUP BY batch.id`,
        [batchId],
      ),
    results: (batchId: string, after: number, limit: number) =>
      statement(
        'bulk results',
        `SELECT position, provider, subject_reference, state, attempts, verification_id, verification_status,
           verification_reference, session_url, error_code
         FROM ${schema}.bulk_item WHERE batch_id = $1::uuid AND position > $2
         ORDER BY position LIMIT $3`,
        [batchId, after, limit],
      ),
  }
}

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

function assertBatchId(batchId: string): void {
  if (!uuidPattern.test(batchId)) {
    throw new KycInvalidRequestError({ provider: 'jobs', message: 'A bulk batch id is a UUID.', issues: [] })
  }
}

/** `loadEvidence` could not read an item's evidence: the item fails, with no retry. The cause stays private. */
class EvidenceUnavailableError extends Error {
  constructor(cause: unknown) {
    super('The evidence of a bulk item could not be read.', { cause })
    this.name = 'EvidenceUnavailableError'
  }
}

/**
 * The code stored for a failure: the `KycError`'s code, `timeout` when `itemTimeoutMs` ran out (in a
 * rate-limit wait or the vendor call), `aborted`, or `internal` for anything else. Never a message.
 */
function errorCodeOf(error: unknown): string {
  if (isKycError(error)) return error.code
  const name = error instanceof Error || error instanceof DOMException ? error.name : undefined
  if (name === 'TimeoutError') return 'timeout'
  if (name === 'AbortError') return 'aborted'
  return 'internal'
}

/** Errors worth another attempt later: the vendor said "not now" (429, 5xx) or did not answer. */
function isRetryable(error: unknown): boolean {
  if (!isKycError(error)) return true // a store or network failure of our own: try again
  return error.retryable || error.code === 'rate_limited' || error.code === 'provider_unavailable'
}

/** The vendor answered with an error status: nothing was created, so the call may be repeated safely. */
function answeredWithoutCreating(error: unknown): boolean {
  return isKycError(error) && error.status !== undefined && error.status >= 400
}

/**
 * Bulk runs on pg-boss: a batch of items (from CSV, see {@link parseBulkCsv}, or any iterable) is
 * stored in `bulk_item` and queued one job per item; workers in any number of processes create one
 * verification per item through the adapters, each item at most once: a finished item is never run
 * again, a retried item reuses its idempotency key (`openkyc-bulk-<batch>-<position>`), and a call
 * to a provider without idempotency keys that was cut off is not repeated (`outcome_unknown`).
 * API-channel items with `evidence` record their verification as soon as it exists, then upload
 * (bytes from `loadEvidence`) and submit; a retry resumes on the recorded verification.
 * Rate-limit answers are retried with backoff (pg-boss), never reported while retries remain.
 *
 * @example
 * ```ts
 * const jobs = await openJobs({ database, url: process.env.DATABASE_URL })
 * const rateLimit = createClusterRateLimiter({ jobs, key: 'persona', limit: vendorRateLimits.persona })
 * const bulk = createBulkRuns({ jobs, adapters: { persona: createPersona({ apiKey, rateLimit }) } })
 * const stop = await bulk.work({ concurrency: 8 })
 * const { batchId } = await bulk.submit(parseBulkCsv(createReadStream('subjects.csv')))
 * console.log(await bulk.status(batchId))
 * ```
 */
export function createBulkRuns(options: BulkRunsOptions): BulkRuns {
  const { jobs, adapters } = options
  const idempotent = new Set(options.idempotentProviders ?? ['persona'])
  const retryLimit = options.retryLimit ?? 8
  const itemTimeoutMs = options.itemTimeoutMs ?? 120_000
  if (!Number.isInteger(retryLimit) || retryLimit < 0 || !(itemTimeoutMs > 0)) {
    throw new KycConfigurationError({
      provider: 'jobs',
      message: 'createBulkRuns needs a whole, non-negative retryLimit and a positive itemTimeoutMs.',
    })
  }
  const sql = bulkStatements(jobs.schema)
  const database = jobs.database
  const queue = () =>
    jobs.ensureQueue(bulkItemKind, {
      retryLimit,
      retryDelay: 1,
      retryBackoff: true,
      // A job whose worker died (SIGKILL, lost host) is failed by pg-boss's maintenance after this and retried.
      expireInSeconds: Math.ceil(itemTimeoutMs / 1000) + 15,
    })

  const finish = (batchId: string, position: number, result: Parameters<typeof sql.finishItem>[2]) =>
    database.query(sql.finishItem(batchId, position, result))

  const load = async (source: string, signal: AbortSignal): Promise<Uint8Array> => {
    try {
      return await options.loadEvidence!(source, { signal })
    } catch (error) {
      signal.throwIfAborted()
      throw new EvidenceUnavailableError(error)
    }
  }

  /**
   * Uploads the evidence not uploaded yet (a retry resumes after the last recorded piece), then
   * submits. `loaded` holds the pieces a first attempt read before creating the verification.
   */
  const uploadAndSubmit = async (
    adapter: BulkAdapter,
    item: StartedItem,
    reference: Verification['reference'],
    at: { batchId: string; position: number },
    signal: AbortSignal,
    loaded: readonly Uint8Array[] = [],
  ): Promise<Verification> => {
    const evidence = item.request.evidence ?? []
    for (let index = item.uploaded; index < evidence.length; index++) {
      const { source, ...piece } = evidence[index]!
      const content = loaded[index] ?? (await load(source, signal))
      await adapter.uploadCredential!({ ...piece, reference, content, signal })
      await database.query(sql.recordUploaded(at.batchId, at.position, index + 1))
    }
    return adapter.submitVerification!({ reference, signal })
  }

  const runItem = async (job: PgBoss.JobWithMetadata<BulkJobData>): Promise<void> => {
    const { batchId, position } = job.data
    const [item] = await database.query<StartedItem>(sql.startItem(batchId, position))
    if (item === undefined) return // finished by an earlier attempt: nothing to do, ever again
    const adapter = adapters[item.provider]
    if (adapter === undefined) {
      await finish(batchId, position, { state: 'failed', errorCode: 'unknown_provider' })
      return
    }
    const withEvidence = item.request.evidence !== undefined
    if (
      withEvidence &&
      (adapter.capabilities?.upload !== true ||
        adapter.uploadCredential === undefined ||
        adapter.submitVerification === undefined)
    ) {
      await finish(batchId, position, { state: 'failed', errorCode: 'unsupported_capability' })
      return
    }
    if (withEvidence && options.loadEvidence === undefined) {
      await finish(batchId, position, { state: 'failed', errorCode: 'evidence_unavailable' })
      return
    }
    const created = item.verification_id !== null
    if (!created && item.was_started && !idempotent.has(item.provider)) {
      await finish(batchId, position, { state: 'failed', errorCode: 'outcome_unknown' })
      return
    }
    // One deadline for the whole attempt, rate-limit waits included: pg-boss expires the job (and hands
    // it to another worker) 15 s after it, so the attempt must have given up by then.
    const signal = AbortSignal.timeout(itemTimeoutMs)
    try {
      let verification: Verification
      if (created) {
        verification = await uploadAndSubmit(
          adapter,
          item,
          item.verification_reference as Verification['reference'],
          { batchId, position },
          signal,
        )
      } else {
        // Every piece is read before anything is created: a missing file never leaves a half-made verification.
        const loaded: Uint8Array[] = []
        for (const piece of item.request.evidence ?? []) loaded.push(await load(piece.source, signal))
        const { evidence: _evidence, ...request } = item.request
        ;({ verification } = await withStartSlot(options.startLimiters?.[item.provider], signal, async () => {
          if (!idempotent.has(item.provider)) await database.query(sql.markCallStarted(batchId, position))
          return adapter.createVerification({
            ...request,
            subjectReference: item.subject_reference,
            idempotencyKey: item.idempotency_key,
            signal,
          })
        }))
        if (withEvidence) {
          await database.query(sql.recordCreated(batchId, position, verification.id, verification.reference))
          verification = await uploadAndSubmit(
            adapter,
            { ...item, uploaded: 0 },
            verification.reference,
            { batchId, position },
            signal,
            loaded,
          )
        }
      }
      await finish(batchId, position, {
        state: 'done',
        verificationId: verification.id,
        verificationStatus: verification.status,
        reference: verification.reference,
        ...(verification.session?.url === undefined ? {} : { sessionUrl: verification.session.url }),
      })
    } catch (error) {
      if (error instanceof EvidenceUnavailableError) {
        await finish(batchId, position, { state: 'failed', errorCode: 'evidence_unavailable' })
        return
      }
      const code = errorCodeOf(error)
      if (isRetryable(error) && job.retryCount < job.retryLimit) {
        if (answeredWithoutCreating(error)) await database.query(sql.clearCallStarted(batchId, position))
        throw error // pg-boss retries after its backoff
      }
      await finish(batchId, position, { state: 'failed', errorCode: code })
    }
  }

  return {
    async submit(items, submitOptions = {}) {
      const batchId = submitOptions.batchId ?? randomUUID()
      assertBatchId(batchId)
      const name = await queue()
      await database.query(sql.insertBatch(batchId, submitOptions.label ?? null))
      let position = 0
      let chunk: { item: z.output<typeof BulkItemSchema>; position: number }[] = []
      const flush = async () => {
        if (chunk.length === 0) return
        const rows = chunk.map(({ item, position: at }) => ({
          position: at,
          provider: item.provider,
          subject_reference: item.subjectReference,
          request: item.request ?? {},
          idempotency_key: `openkyc-bulk-${batchId}-${at}`,
        }))
        await database.query(sql.insertItems(batchId, JSON.stringify(rows)))
        await jobs.boss.insert(
          chunk.map(({ position: at }) => ({
            id: itemJobId(batchId, at),
            name,
            data: { batchId, position: at },
          })),
        )
        chunk = []
      }
      for await (const raw of items) {
        position += 1
        const parsed = BulkItemSchema.safeParse(raw)
        if (!parsed.success) {
          const fields = [...new Set(parsed.error.issues.map((issue) => issue.path.join('.') || '(item)'))]
          throw new KycInvalidRequestError({
            provider: 'jobs',
            message: `Bulk item ${position} is invalid: check ${fields.join(', ')}.`,
            issues: parsed.error.issues,
          })
        }
        chunk.push({ item: parsed.data, position })
        if (chunk.length >= 500) await flush()
      }
      await flush()
      await database.query(sql.finishSubmit(batchId, position))
      return { batchId, total: position }
    },

    async status(batchId) {
      if (!uuidPattern.test(batchId)) return undefined
      const [row] = await database.query<{
        label: string | null
        total: number
        submitted: boolean
        created_at: Date | string
        finished_at: Date | string | null
        items: number
        done: number
        failed: number
        recent: number
        since_first: number | null
      }>(sql.status(batchId))
      if (row === undefined) return undefined
      const total = row.submitted ? row.total : row.items
      const remaining = total - row.done - row.failed
      const window = Math.min(30, Math.max(1, Number(row.since_first ?? 0)))
      const ratePerSecond = row.since_first === null ? 0 : row.recent / window
      return {
        batchId,
        ...(row.label === null ? {} : { label: row.label }),
        total,
        submitted: row.submitted,
        done: row.done,
        failed: row.failed,
        remaining,
        ratePerSecond,
        ...(ratePerSecond > 0 && remaining > 0 ? { etaSeconds: remaining / ratePerSecond } : {}),
        createdAt: new Date(row.created_at).toISOString(),
        ...(row.finished_at === null || remaining > 0
          ? {}
          : { finishedAt: new Date(row.finished_at).toISOString() }),
      }
    },

    async *results(batchId) {
      if (!uuidPattern.test(batchId)) return
      let after = 0
      for (;;) {
        const rows = await database.query<{
          position: number
          provider: string
          subject_reference: string
          state: BulkItemState
          attempts: number
          verification_id: string | null
          verification_status: string | null
          verification_reference: unknown
          session_url: string | null
          error_code: string | null
        }>(sql.results(batchId, after, 500))
        for (const row of rows) {
          yield {
            position: row.position,
            provider: row.provider,
            subjectReference: row.subject_reference,
            state: row.state,
            attempts: row.attempts,
            ...(row.verification_id === null ? {} : { verificationId: row.verification_id }),
            ...(row.verification_status === null ? {} : { verificationStatus: row.verification_status }),
            ...(row.verification_reference === null ? {} : { reference: row.verification_reference }),
            ...(row.session_url === null ? {} : { sessionUrl: row.session_url }),
            ...(row.error_code === null ? {} : { errorCode: row.error_code }),
          }
        }
        if (rows.length < 500) return
        after = rows[rows.length - 1]!.position
      }
    },

    async work(workOptions = {}) {
      const name = await queue()
      const concurrency = workOptions.concurrency ?? 4
      const pollingMs = (workOptions.pollingIntervalSeconds ?? 0.5) * 1000
      const stopping = new AbortController()
      // Our own fetch loops rather than pg-boss's `work`: its worker waits the polling interval after
      // every batch, found or not, which caps each worker at two items a second.
      const loop = async () => {
        while (!stopping.signal.aborted) {
          let found: PgBoss.JobWithMetadata<BulkJobData>[] = []
          try {
            found = await jobs.boss.fetch<BulkJobData>(name, { batchSize: 1, includeMetadata: true })
          } catch {
            // The database is away for a moment: wait a polling interval and ask again.
          }
          const [job] = found
          if (job === undefined) {
            await sleep(pollingMs, undefined, { signal: stopping.signal }).catch(() => undefined)
            continue
          }
          try {
            await runItem(job)
            await jobs.boss.complete(name, job.id)
          } catch (error) {
            // pg-boss retries it after its backoff; the code only, never a message, goes into the job.
            await jobs.boss.fail(name, job.id, { code: errorCodeOf(error) }).catch(() => undefined) // expiry hands the job to another worker if even this fails
          }
        }
      }
      const loops = Array.from({ length: concurrency }, loop)
      return async () => {
        stopping.abort()
        await Promise.all(loops)
      }
    },
  }
}
