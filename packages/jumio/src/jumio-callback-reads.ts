import {
  isKycError,
  type KycBackgroundEventListener,
  type KycEvent,
  type KycLogger,
  KycRateLimitedError,
  KycWebhookVerificationError,
  type Verification,
} from '@openkyc/core'
import type { RateLimiter } from '@openkyc/core/http'
import type { JumioExecutionReference } from './jumio-client.js'
import { jumioExpiredStatuses } from './map-jumio-status.js'
import { jumioProvider } from './map-jumio-verification.js'

/** How many executions known not to exist are remembered, at most. */
export const jumioUnknownExecutionMemorySize = 10_000

/** How long an execution known not to exist is remembered, in milliseconds (10 minutes). */
export const jumioUnknownExecutionMemoryMs = 10 * 60_000

/** How many executions may have a background re-read going at once; later ones are not re-read. */
export const jumioMaxBackgroundReads = 1_000

/** What {@link createJumioCallbackReads} needs from the adapter. */
export type JumioCallbackReadsOptions = {
  /** `GET …/status`, mapped. Throws `KycNotFoundError` for an execution that does not exist. */
  readStatus(reference: JumioExecutionReference, signal?: AbortSignal): Promise<Verification>
  /** `GET …/{workflowExecutionId}` (details), mapped. Throws `KycNotFoundError` while not there. */
  readDetails(reference: JumioExecutionReference, signal?: AbortSignal): Promise<Verification>
  /** The event for a retrieved state. */
  toEvent(verification: Verification): KycEvent
  /** The budget of callback-triggered reads, apart from the application's own calls. */
  budget: RateLimiter | undefined
  /** Waits before each background re-read: Jumio's documented schedule, or a scaled copy. */
  retryDelaysMs: readonly number[]
  sleep(ms: number): Promise<void>
  now(): number
  logger: KycLogger | undefined
}

/** Callback-triggered retrieval with bounded cost; see {@link createJumioCallbackReads}. */
export type JumioCallbackReads = {
  /**
   * The current state of the execution a callback names: at most two reads, never a wait.
   * `claimedStatus` is the callback's own word; it only decides whether a background re-read is
   * worth starting for an execution retrieval confirmed, and never reaches the result.
   */
  read(
    reference: JumioExecutionReference,
    claimedStatus: string | undefined,
    signal?: AbortSignal,
  ): Promise<Verification>
  /** For `KycAdapterV1.subscribeBackgroundEvents`. */
  subscribe(listener: KycBackgroundEventListener): () => void
}

function isNotFound(error: unknown): boolean {
  return isKycError(error) && error.code === 'not_found'
}

function unknownExecution(cause?: unknown): KycWebhookVerificationError {
  return new KycWebhookVerificationError({
    provider: jumioProvider,
    message: 'The Jumio callback names a workflow execution that does not exist at Jumio.',
    ...(cause === undefined ? {} : { cause }),
  })
}

/** Whether retrieval shows an end: a decision, an expiry, or deleted data. */
function isFinal(verification: Verification): boolean {
  return (
    verification.redactedAt !== undefined ||
    verification.status === 'completed' ||
    verification.status === 'expired'
  )
}

/**
 * Reads what a Jumio callback names, with the cost of a forged callback bounded. Jumio does not sign
 * callbacks, so anyone can post one; the body is only a hint of which execution to look at.
 *
 * - An execution known not to exist (a 404 within the last {@link jumioUnknownExecutionMemoryMs},
 *   remembered in an LRU of {@link jumioUnknownExecutionMemorySize}) costs no request.
 * - Every read takes a slot of `budget` without waiting; with none free the callback is answered
 *   "try later" (`KycRateLimitedError`, 503), so a flood of forged callbacks never queues behind or
 *   eats into the application's own reads.
 * - The first read is the status endpoint, which exists for every execution: a forged callback with
 *   a random id costs exactly that one request. Only an execution that exists is read a second
 *   time, for its details.
 * - Details that are not ready yet are not waited for: the current state is returned, and one
 *   background re-read per execution (at most {@link jumioMaxBackgroundReads} executions) follows
 *   Jumio's schedule; what it finds goes to the subscribers (the webhook pipeline), never through
 *   the request that brought the callback.
 */
export function createJumioCallbackReads(options: JumioCallbackReadsOptions): JumioCallbackReads {
  const { budget, logger } = options
  /** Key → time until which the execution is known not to exist; insertion order is LRU order. */
  const unknown = new Map<string, number>()
  const listeners = new Set<KycBackgroundEventListener>()
  /** Executions with a background re-read going. */
  const inFlight = new Set<string>()

  const keyOf = (reference: JumioExecutionReference) =>
    `${reference.accountId}/${reference.workflowExecutionId}`

  const knownUnknown = (key: string): boolean => {
    const until = unknown.get(key)
    if (until === undefined) return false
    unknown.delete(key)
    if (until <= options.now()) return false
    unknown.set(key, until)
    return true
  }

  const rememberUnknown = (key: string) => {
    unknown.delete(key)
    unknown.set(key, options.now() + jumioUnknownExecutionMemoryMs)
    while (unknown.size > jumioUnknownExecutionMemorySize) unknown.delete(unknown.keys().next().value!)
  }

  const takeSlot = () => {
    if (budget === undefined) return
    const granted = budget.tryAcquire === undefined ? true : budget.tryAcquire()
    if (!granted) {
      throw new KycRateLimitedError({
        provider: jumioProvider,
        message: 'Too many Jumio callbacks to confirm right now; the callback is not processed, try later.',
      })
    }
  }

  const emit = async (verification: Verification) => {
    const events = [options.toEvent(verification)]
    for (const listener of listeners) {
      try {
        await listener(events)
      } catch (error) {
        logger?.warn?.('jumio background event not processed', {
          error: isKycError(error)
            ? error.toJSON()
            : { name: error instanceof Error ? error.name : 'unknown' },
        })
      }
    }
  }

  /**
   * The current state: the status endpoint (does the execution exist at all?), then the details,
   * which hold the decision, checks and credentials. Details that are not there (not ready yet, or
   * never, for an execution that expired untouched) leave the status's state.
   */
  const readCurrent = async (
    reference: JumioExecutionReference,
    takeDetailsSlot: () => Promise<void> | void,
    signal?: AbortSignal,
  ): Promise<Verification> => {
    const current = await options.readStatus(reference, signal)
    try {
      await takeDetailsSlot()
      return await options.readDetails(reference, signal)
    } catch (error) {
      if (isNotFound(error) || (isKycError(error) && error.code === 'rate_limited')) return current
      throw error
    }
  }

  /** Re-reads on the schedule until retrieval shows the end, or the schedule runs out. */
  const rereadInBackground = async (reference: JumioExecutionReference) => {
    const waitForSlot = async () => {
      await budget?.acquire()
    }
    for (const [attempt, delay] of options.retryDelaysMs.entries()) {
      try {
        await options.sleep(delay)
        await waitForSlot()
        const verification = await readCurrent(reference, waitForSlot)
        if (!isFinal(verification)) continue
        await emit(verification)
        return
      } catch (error) {
        logger?.warn?.('jumio background retrieval failed', {
          attempt: attempt + 1,
          error: isKycError(error) ? error.toJSON() : { name: 'unknown' },
        })
      }
    }
    logger?.warn?.('jumio background retrieval gave up: details still not ready', {
      attempts: options.retryDelaysMs.length,
    })
  }

  const scheduleReread = (reference: JumioExecutionReference) => {
    const key = keyOf(reference)
    if (inFlight.has(key) || options.retryDelaysMs.length === 0) return
    if (inFlight.size >= jumioMaxBackgroundReads) {
      logger?.warn?.('jumio background retrieval not started: too many in flight', {
        inFlight: inFlight.size,
      })
      return
    }
    inFlight.add(key)
    void rereadInBackground(reference).finally(() => inFlight.delete(key))
  }

  return {
    async read(reference, claimedStatus, signal) {
      const key = keyOf(reference)
      if (knownUnknown(key)) throw unknownExecution()
      takeSlot()
      let current: Verification
      try {
        current = await readCurrent(reference, takeSlot, signal)
      } catch (error) {
        if (!isNotFound(error)) throw error
        rememberUnknown(key)
        throw unknownExecution(error)
      }
      // Retrieval is behind: Jumio reports PROCESSED without the decision in the details yet, or the
      // callback announces an end retrieval does not show yet (an early callback). The execution
      // exists, so one bounded background re-read per execution brings the end later.
      const announcedEnd = claimedStatus === 'PROCESSED' || jumioExpiredStatuses.includes(claimedStatus ?? '')
      if (!isFinal(current) && (current.raw.status === 'PROCESSED' || announcedEnd)) scheduleReread(reference)
      return current
    },
    subscribe(listener) {
      listeners.add(listener)
      return () => {
        listeners.delete(listener)
      }
    },
  }
}
