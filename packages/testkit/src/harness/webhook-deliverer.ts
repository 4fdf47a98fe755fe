import type { SimulatorClock } from './clock.js'

/** How deliveries misbehave, the way real vendors' at-least-once, unordered delivery does. */
export type DeliveryMode = {
  /** Extra copies of every message (each copy is its own delivery, with the same body). Default 0. */
  duplicate?: number
  /** Hold messages until `flush()`, then send them in a shuffled order. Implies `holdUntilFlushed`. */
  reorder?: boolean
  /** Hold messages until `flush()` (in emission order unless `reorder`). */
  holdUntilFlushed?: boolean
}

/** Where messages go: the global `fetch` (real HTTP), or any in-process `(request) => response`. */
export type WebhookTarget = (request: Request) => Promise<Response>

/** Where a simulator sends its webhooks, as its users choose. See {@link webhookTargetFor}. */
export type WebhookDestination =
  /** Captured only: answered 200 in process, nothing leaves the machine. */
  | 'capture'
  /** POSTed with the global `fetch` to the URL each message was addressed to (a registered webhook, a callback URL). */
  | 'message-url'
  /** Any in-process receiver, for example an application's `app.fetch`. */
  | WebhookTarget
  /** One real URL every message is POSTed to instead of its own (a demo's local receiver). */
  | { readonly url: string }

/**
 * The deliverer's `fetch` for a destination, so every simulator offers the same four choices.
 *
 * @example
 * const deliverer = createWebhookDeliverer({ clock, retrySchedule: [60_000], fetch: webhookTargetFor({ url: 'http://127.0.0.1:3000/webhooks/acme' }) })
 */
export function webhookTargetFor(destination: WebhookDestination): WebhookTarget {
  if (destination === 'capture') return async () => new Response(null, { status: 200 })
  if (destination === 'message-url') return (request) => fetch(request)
  if (typeof destination === 'function') return destination
  return (request) => fetch(new Request(destination.url, request))
}

/** Options for {@link createWebhookDeliverer}. */
export type WebhookDelivererOptions = {
  /** The simulator's clock: retries are timers on it, signatures use its time. */
  clock: SimulatorClock
  /** Sends a delivery. Default: the global `fetch`. */
  fetch?: WebhookTarget
  /**
   * Signs one attempt: returns headers to add (Persona: `Persona-Signature: t=…,v1=…`). Called per
   * attempt with the clock's time, so a retry hours later carries a fresh timestamp. Omit for vendors
   * that do not sign (Jumio).
   */
  sign?: (rawBody: string, now: number, attempt: WebhookSignContext) => Record<string, string>
  /** Delays (ms) before retry 1, 2, …, after a non-2xx answer or a network error. Empty: never retry. */
  retrySchedule: readonly number[]
  /** Multiplies the retry delays (for example `0.001` so a demo sees an hours-long schedule in seconds). Default 1. */
  timeScale?: number
  mode?: DeliveryMode
  /** Headers every delivery carries (`user-agent`, a vendor's fixed headers). */
  headers?: Record<string, string>
  /** Seed of the shuffle `reorder` uses, so a failing run can be replayed. Default 1. */
  seed?: number
}

/** One message the vendor emitted (captured whether or not it was ever posted). */
export type WebhookMessage = {
  /** Unique per delivery; duplicate copies get their own id. */
  id: string
  /** The id of the message this one copies, for `duplicate` copies. */
  copyOf?: string
  url: string
  /** What the message concerns (a verification id), so drivers can filter by verification. */
  subject?: string
  /** The exact bytes posted (the signature covers them). */
  rawBody: string
  /** The headers as signed when the message was emitted. */
  headers: Record<string, string>
  /** Clock time of emission, ISO 8601. */
  emittedAt: string
}

/** One attempt to post a message. */
export type WebhookAttempt = {
  /** The message id. */
  id: string
  url: string
  subject?: string
  headers: Record<string, string>
  body: string
  /** 1 for the first try, 2 for the first retry, … */
  attempt: number
  /** The receiver's status, or `network-error` when the post failed. */
  status: number | 'network-error'
  /** Clock time of the attempt, ISO 8601. */
  at: string
}

/** Options for {@link WebhookDeliverer.deliver}. */
export type DeliverOptions = {
  url: string
  /** Sent as JSON (strings are sent as they are). */
  body: unknown
  subject?: string
  /** Headers for this message only. */
  headers?: Record<string, string>
}

/** Which attempt a signature is for, so vendors can add attempt headers (Persona's `Persona-Webhook-Attempts-Made`). */
export type WebhookSignContext = {
  /** 1 for the first attempt, 2 for the first retry, … */
  attempt: number
  /** When the message was first emitted, in ms since the epoch (simulator clock). */
  firstAttemptAt: number
}

/** Delivers a simulated vendor's webhooks: signing, retries on a schedule, duplicates, reordering, a log. */
export type WebhookDeliverer = {
  /**
   * Emits one message (plus `duplicate` copies). Unless held, the first attempts happen now and the
   * promise resolves after them; retries follow on the clock. Never rejects: failures are in the log.
   */
  deliver(options: DeliverOptions): Promise<WebhookMessage[]>
  /** Sends every held message (shuffled when `reorder` is on) and resolves after their first attempts. */
  flush(): Promise<void>
  /** Changes how later messages are delivered. */
  setMode(mode: DeliveryMode): void
  /** Resolves when no attempt is in flight (scheduled retries are not waited for: advance the clock). */
  idle(): Promise<void>
  /** Every message emitted, in emission order. */
  readonly messages: readonly WebhookMessage[]
  /** Every attempt, in order. */
  readonly attempts: readonly WebhookAttempt[]
  /** Messages waiting for `flush()`. */
  readonly held: readonly WebhookMessage[]
}

/** A small seeded generator (mulberry32), so shuffles are reproducible. */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

function shuffle<T>(items: readonly T[], random: () => number): T[] {
  const result = [...items]
  for (let index = result.length - 1; index > 0; index -= 1) {
    const other = Math.floor(random() * (index + 1))
    ;[result[index], result[other]] = [result[other]!, result[index]!]
  }
  // A shuffle that happens to keep the order would hide ordering bugs: rotate it instead.
  if (result.length > 1 && result.every((item, index) => item === items[index])) result.push(result.shift()!)
  return result
}

/**
 * Creates a webhook deliverer for a vendor simulator.
 *
 * @example
 * ```ts
 * const deliverer = createWebhookDeliverer({
 *   clock,
 *   retrySchedule: [60_000, 300_000],
 *   sign: (rawBody, now) => ({ 'Acme-Signature': signAcme(rawBody, now, secret) }),
 * })
 * await deliverer.deliver({ url: webhookUrl, body: event, subject: checkId })
 * await clock.advance(60_000) // the first retry runs if the receiver failed
 * ```
 */
export function createWebhookDeliverer(options: WebhookDelivererOptions): WebhookDeliverer {
  const { clock } = options
  const send: WebhookTarget = options.fetch ?? ((request) => fetch(request))
  const timeScale = options.timeScale ?? 1
  const random = seededRandom(options.seed ?? 1)
  let mode: DeliveryMode = { ...options.mode }
  let sequence = 0
  const messages: WebhookMessage[] = []
  const attempts: WebhookAttempt[] = []
  let held: WebhookMessage[] = []
  const inFlight = new Set<Promise<void>>()

  const headersFor = (
    message: Pick<DeliverOptions, 'headers'>,
    rawBody: string,
    context: WebhookSignContext,
  ): Record<string, string> => ({
    'content-type': 'application/json',
    ...options.headers,
    ...message.headers,
    ...options.sign?.(rawBody, clock.now(), context),
  })

  const attempt = async (
    message: WebhookMessage,
    extraHeaders: Record<string, string> | undefined,
    number: number,
  ): Promise<void> => {
    const headers =
      number === 1
        ? message.headers
        : headersFor({ headers: extraHeaders }, message.rawBody, {
            attempt: number,
            firstAttemptAt: Date.parse(message.emittedAt),
          })
    let status: WebhookAttempt['status']
    try {
      const response = await send(
        new Request(message.url, { method: 'POST', headers, body: message.rawBody }),
      )
      status = response.status
      await response.body?.cancel()
    } catch {
      status = 'network-error'
    }
    attempts.push({
      id: message.id,
      url: message.url,
      ...(message.subject === undefined ? {} : { subject: message.subject }),
      headers,
      body: message.rawBody,
      attempt: number,
      status,
      at: clock.isoNow(),
    })
    const succeeded = typeof status === 'number' && status >= 200 && status < 300
    const delay = options.retrySchedule[number - 1]
    if (!succeeded && delay !== undefined) {
      clock.setTimer({ delay: delay * timeScale }, () => track(attempt(message, extraHeaders, number + 1)))
    }
  }

  const extraHeadersById = new Map<string, Record<string, string> | undefined>()

  const track = (work: Promise<void>): Promise<void> => {
    inFlight.add(work)
    return work.finally(() => inFlight.delete(work))
  }

  const sendNow = async (batch: readonly WebhookMessage[]): Promise<void> => {
    for (const message of batch) await track(attempt(message, extraHeadersById.get(message.id), 1))
  }

  return {
    async deliver(deliverOptions) {
      const rawBody =
        typeof deliverOptions.body === 'string' ? deliverOptions.body : JSON.stringify(deliverOptions.body)
      const first: WebhookMessage = {
        id: `delivery_${++sequence}`,
        url: deliverOptions.url,
        ...(deliverOptions.subject === undefined ? {} : { subject: deliverOptions.subject }),
        rawBody,
        headers: headersFor(deliverOptions, rawBody, { attempt: 1, firstAttemptAt: clock.now() }),
        emittedAt: clock.isoNow(),
      }
      const batch = [first]
      for (let copy = 0; copy < (mode.duplicate ?? 0); copy += 1) {
        batch.push({ ...first, id: `delivery_${++sequence}`, copyOf: first.id })
      }
      for (const message of batch) {
        messages.push(message)
        extraHeadersById.set(message.id, deliverOptions.headers)
      }
      if (mode.holdUntilFlushed || mode.reorder) held.push(...batch)
      else await sendNow(batch)
      return batch
    },
    async flush() {
      const batch = mode.reorder ? shuffle(held, random) : held
      held = []
      await sendNow(batch)
    },
    setMode(next) {
      mode = { ...next }
    },
    async idle() {
      while (inFlight.size > 0) await Promise.allSettled([...inFlight])
    },
    get messages() {
      return messages
    },
    get attempts() {
      return attempts
    },
    get held() {
      return held
    },
  }
}
