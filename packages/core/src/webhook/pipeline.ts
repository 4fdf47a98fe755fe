import type { KycAdapter, KycLogger } from '../adapter.js'
import { isKycError, KycInvalidProviderResponseError } from '../errors.js'
import { applyVerificationUpdate } from '../model/apply-update.js'
import { type KycEvent, KycEventSchema } from '../model/event.js'
import type { Verification } from '../model/verification.js'
import { redact } from '../redact.js'
import {
  bodyTooLarge,
  defaultMaxWebhookBodyBytes,
  type IncomingHeaders,
  type RawWebhookInput,
  readWebRequestBody,
} from './read-body.js'
import { createMemoryWebhookStore, type WebhookStore } from './store.js'

/** What the pipeline accepts: a Web `Request` (Hono, Next.js, Bun, Deno) or the raw parts (see `readNodeRequest`). */
export type WebhookInput = Request | RawWebhookInput

/** Options for {@link createWebhookPipeline}. */
export type WebhookPipelineOptions = {
  /** The adapter that verifies and normalizes deliveries. */
  adapter: KycAdapter
  /** Dedupe marks and latest states. Default: a fresh {@link createMemoryWebhookStore}. */
  store?: WebhookStore
  /** Receives one line per event and per rejected delivery; ids and statuses only, never personal data. */
  logger?: KycLogger
  /** The largest body accepted, in bytes. Default 1 MiB. */
  maxBodyBytes?: number
  /**
   * Receives the outcome of events the adapter produced in the background (see
   * `KycAdapterV1.subscribeBackgroundEvents`), after they went through the same dedupe and
   * forward-only apply as delivered ones. Act on `changed` events here as in a `handle` result.
   */
  onBackgroundOutcome?: (outcome: WebhookOutcome) => void | Promise<void>
}

/** One new event and what it did to the stored verification. */
export type ProcessedWebhookEvent = {
  event: KycEvent
  /**
   * The stored verification after this event: the new state when `changed`, the state already held
   * when the event was stale. `undefined` for events that carry no verification (lists, cases).
   */
  verification: Verification | undefined
  /** True when the event moved the stored verification forward; act on these. */
  changed: boolean
}

/** The outcome of one delivery. */
export type WebhookOutcome = {
  /** Events not seen before, in delivery order. */
  events: ProcessedWebhookEvent[]
  /** Ids of events already processed (redeliveries), skipped. */
  duplicates: string[]
}

/** Options for one {@link WebhookPipeline.handle} call. */
export type HandleWebhookOptions = {
  /** Aborts the adapter's work (for example a Jumio retrieval). */
  signal?: AbortSignal
}

/** Verifies, dedupes and applies webhook deliveries for one adapter. */
export type WebhookPipeline = {
  /** The adapter's provider name. */
  readonly provider: string
  /**
   * Processes one delivery. Throws `KycWebhookVerificationError` when the delivery cannot be
   * trusted (answer 401), `KycInvalidRequestError` when it is unreadable or too large (answer 400);
   * see {@link toWebhookResponse}.
   */
  handle(input: WebhookInput, options?: HandleWebhookOptions): Promise<WebhookOutcome>
  /** Stops receiving the adapter's background events. Deliveries can still be handled. */
  close(): void
}

function toHeaders(headers: Headers | IncomingHeaders): Headers {
  if (headers instanceof Headers) return headers
  const result = new Headers()
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue
    for (const item of Array.isArray(value) ? value : [value]) result.append(name, item)
  }
  return result
}

const encoder = new TextEncoder()

function byteLength(body: Uint8Array | string): number {
  return typeof body === 'string' ? encoder.encode(body).length : body.length
}

/**
 * Builds the one webhook pipeline every provider shares: raw body and headers in, the adapter
 * verifies and normalizes them into `KycEvent`s, each event is deduped by id (deliveries are
 * at-least-once) and its verification applied forward-only (deliveries are unordered), so the
 * stored state never moves backwards and the same event delivered three times changes it once.
 *
 * Verification failures are never swallowed: they propagate as `KycWebhookVerificationError`.
 * When storing an event fails, its dedupe mark is released (`store.forget`) so the provider's
 * retry is processed. Updates to one verification are serialized within this process; with several
 * processes, give them a shared store.
 *
 * When the adapter has `subscribeBackgroundEvents` (Jumio: details not ready when the callback came),
 * the pipeline subscribes at creation: those events take the same dedupe and apply path and their
 * outcome goes to `onBackgroundOutcome`. `close()` unsubscribes.
 *
 * @example
 * ```ts
 * const pipeline = createWebhookPipeline({ adapter: createPersona() })
 * const { events } = await pipeline.handle(request)
 * for (const { event, verification, changed } of events) {
 *   if (changed && verification?.status === 'completed') await onDecision(verification)
 * }
 * ```
 */
export function createWebhookPipeline(options: WebhookPipelineOptions): WebhookPipeline {
  const { adapter, logger } = options
  const store = options.store ?? createMemoryWebhookStore()
  const maxBodyBytes = options.maxBodyBytes ?? defaultMaxWebhookBodyBytes
  const queues = new Map<string, Promise<unknown>>()

  /** Runs `task` after every earlier task on the same key, so read-apply-write never interleaves. */
  const serialize = async <T>(key: string, task: () => Promise<T>): Promise<T> => {
    const previous = queues.get(key) ?? Promise.resolve()
    const run = previous.then(task, task)
    const settled = run.then(
      () => undefined,
      () => undefined,
    )
    queues.set(key, settled)
    try {
      return await run
    } finally {
      if (queues.get(key) === settled) queues.delete(key)
    }
  }

  const readInput = async (input: WebhookInput) => {
    if (input instanceof Request) {
      return { rawBody: await readWebRequestBody(input, maxBodyBytes), headers: input.headers }
    }
    if (byteLength(input.rawBody) > maxBodyBytes) throw bodyTooLarge(maxBodyBytes)
    return {
      rawBody: input.rawBody,
      headers: toHeaders(input.headers),
      ...(input.remoteAddress === undefined ? {} : { remoteAddress: input.remoteAddress }),
    }
  }

  const normalize = (event: KycEvent): KycEvent => {
    const parsed = KycEventSchema.safeParse(event)
    if (parsed.success && parsed.data.provider === adapter.provider) return parsed.data
    const issues = parsed.success
      ? [{ path: ['provider'], message: `expected "${adapter.provider}"` }]
      : parsed.error.issues
    throw new KycInvalidProviderResponseError({
      provider: adapter.provider,
      message: `The ${adapter.provider} adapter produced a webhook event that is not a valid KycEvent (at "${issues[0]?.path.join('.') ?? ''}").`,
      issues,
    })
  }

  const applyEvent = async (event: KycEvent): Promise<ProcessedWebhookEvent> => {
    const update = event.verification
    if (update === undefined) return { event, verification: undefined, changed: false }
    return serialize(`${update.provider}\u0000${update.id}`, async () => {
      const current = await store.getVerification(update.provider, update.id)
      const next = applyVerificationUpdate(current, update)
      const changed = next !== current
      if (changed) await store.setVerification(next)
      return { event, verification: next, changed }
    })
  }

  const log = (level: keyof KycLogger, message: string, fields: Record<string, unknown>) => {
    logger?.[level]?.(message, redact(fields))
  }

  /** Dedupes and applies verified events: one path for delivered and background events alike. */
  const processEvents = async (events: KycEvent[]): Promise<WebhookOutcome> => {
    const outcome: WebhookOutcome = { events: [], duplicates: [] }
    const seenInDelivery = new Set<string>()
    for (const event of events.map(normalize)) {
      const key = `${event.provider}\u0000${event.id}`
      if (seenInDelivery.has(key) || !(await store.markSeen(key))) {
        outcome.duplicates.push(event.id)
        log('debug', 'kyc webhook duplicate event skipped', {
          provider: event.provider,
          eventId: event.id,
          type: event.type,
        })
        continue
      }
      seenInDelivery.add(key)
      let processed: ProcessedWebhookEvent
      try {
        processed = await applyEvent(event)
      } catch (error) {
        await store.forget?.(key)
        throw error
      }
      outcome.events.push(processed)
      log('info', 'kyc webhook event', {
        provider: event.provider,
        eventId: event.id,
        type: event.type,
        verificationId: processed.verification?.id,
        status: processed.verification?.status,
        changed: processed.changed,
      })
    }
    return outcome
  }

  const unsubscribe = adapter.subscribeBackgroundEvents?.(async (events) => {
    const outcome = await processEvents(events)
    await options.onBackgroundOutcome?.(outcome)
  })

  return {
    provider: adapter.provider,
    close() {
      unsubscribe?.()
    },
    async handle(input, handleOptions = {}) {
      let events: KycEvent[]
      try {
        const { rawBody, headers, ...rest } = await readInput(input)
        events = await adapter.parseWebhook({
          rawBody,
          headers,
          ...rest,
          ...(handleOptions.signal === undefined ? {} : { signal: handleOptions.signal }),
        })
      } catch (error) {
        log('warn', 'kyc webhook rejected', {
          provider: adapter.provider,
          error: isKycError(error)
            ? error.toJSON()
            : { name: error instanceof Error ? error.name : 'unknown' },
        })
        throw error
      }

      return processEvents(events)
    },
  }
}
