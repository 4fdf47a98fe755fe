import { z } from '#zod'
import { decodeBase64, encodeBase64 } from '../crypto/encoding.js'
import { KycConfigurationError, KycInvalidRequestError, KycStoreIntegrityError } from '../errors.js'
import { lazy, lazySchema, resolveSchema } from '../lazy.js'
import type { KycEvent } from '../model/event.js'
import type { ArchivedPayload, RawArchiveQuery, RawArchiveStore } from '../store/raw-archive-store.js'
import type { KycStore, VerificationKey } from '../store/types.js'
import { type ArchiveKeyring, archiveKeysVariable, parseArchiveKeys } from './archive-keys.js'

/** The environment variable for the archive's retention, in days (default 7). */
export const archiveRetentionVariable = 'OPENKYC_ARCHIVE_RETENTION_DAYS'

/** How long archived payloads are kept by default: 7 days. */
export const defaultArchiveRetentionMs = 7 * 24 * 60 * 60 * 1000

/**
 * What the adapter made of one event at the time it was archived: the fields `openkyc backtest`
 * compares with what the current adapter code makes of the same payload. Codes and statuses only.
 */
export const ArchivedEventSummarySchema = lazySchema(() =>
  z.object({
    eventId: z.string(),
    type: z.string(),
    verificationId: z.string().optional(),
    status: z.string().optional(),
    outcome: z.string().optional(),
    /** Reason codes of the decision, in order. */
    reasons: z.array(z.string()),
    /** `kind:outcome[:reason,reason]` of every check, in order. */
    checks: z.array(z.string()),
  }),
)

/** See {@link ArchivedEventSummarySchema}. */
export type ArchivedEventSummary = z.infer<typeof ArchivedEventSummarySchema>

/** Summarizes an event for the archive and for `openkyc backtest`. */
export function summarizeArchivedEvent(event: KycEvent): ArchivedEventSummary {
  const verification = event.verification
  return {
    eventId: event.id,
    type: event.type,
    ...(verification === undefined ? {} : { verificationId: verification.id, status: verification.status }),
    ...(verification?.decision === undefined ? {} : { outcome: verification.decision.outcome }),
    reasons: (verification?.decision?.reasons ?? []).map((reason) => reason.code),
    checks: (verification?.checks ?? []).map(
      (check) =>
        `${check.kind}:${check.outcome}${check.reasons.length === 0 ? '' : `:${check.reasons.map((reason) => reason.code).join(',')}`}`,
    ),
  }
}

const DeliveryPlaintextSchema = lazy(() =>
  z.object({
    version: z.literal(1),
    headers: z.array(z.tuple([z.string(), z.string()])),
    body: z.string(),
    remoteAddress: z.string().optional(),
    events: z.array(resolveSchema(ArchivedEventSummarySchema)),
  }),
)

const ResponsePlaintextSchema = lazy(() =>
  z.object({
    version: z.literal(1),
    method: z.string(),
    /** Path and query, without the origin (the same response, whichever host served it). */
    url: z.string(),
    status: z.number().int(),
    headers: z.array(z.tuple([z.string(), z.string()])),
    body: z.string(),
  }),
)

/** A vendor response the adapter read, decrypted. Holds personal data: never log it. */
export type OpenedRetrievalResponse = {
  payload: ArchivedPayload
  method: string
  /** Path and query of the request. */
  url: string
  status: number
  headers: Headers
  body: Uint8Array
}

/** A webhook delivery as it was received, decrypted. Holds personal data: never log it. */
export type OpenedWebhookDelivery = {
  payload: ArchivedPayload
  rawBody: Uint8Array
  headers: Headers
  remoteAddress?: string
  /** What the adapter made of it when it was received. */
  events: ArchivedEventSummary[]
}

/** What {@link RawArchive.archiveDelivery} is given: an accepted delivery and the events it produced. */
export type ArchiveDeliveryInput = {
  provider: string
  rawBody: Uint8Array | string
  headers: Headers
  remoteAddress?: string
  events: readonly KycEvent[]
}

/** Options for {@link createRawArchive}. */
export type RawArchiveOptions = {
  /** Where the ciphertext goes: a store's `archive` (`store.archive`). */
  store: RawArchiveStore
  /** The keys (see `parseArchiveKeys`), or their text in the `OPENKYC_ARCHIVE_KEYS` format. */
  keys: ArchiveKeyring | string
  /** How long payloads are kept, in milliseconds. Default 7 days. */
  retentionMs?: number
  /** The current time in milliseconds. Default `Date.now`. */
  now?: () => number
}

/**
 * The opt-in raw archive: vendor payloads encrypted with AES-256-GCM (WebCrypto) before they reach
 * the store, kept for a retention period, erasable by verification.
 */
export type RawArchive = {
  /** How long payloads are kept, in milliseconds. */
  readonly retentionMs: number
  /** Encrypts and stores an accepted webhook delivery with a summary of the events it produced. */
  archiveDelivery(input: ArchiveDeliveryInput): Promise<ArchivedPayload>
  /**
   * Encrypts and stores a vendor response an adapter read (a retrieval), filed under every path segment
   * of its URL as verification ids (so erasing a verification erases the responses about it). Usually
   * called by {@link createArchivingFetch}.
   */
  archiveResponse(input: {
    provider: string
    method: string
    url: string
    response: Response
  }): Promise<ArchivedPayload>
  /** Decrypts a stored retrieval response; errors as {@link RawArchive.openDelivery}. */
  openResponse(payload: ArchivedPayload): Promise<OpenedRetrievalResponse>
  /** Stored (encrypted) payloads matching `query`, oldest first. */
  read(query?: RawArchiveQuery): AsyncIterable<ArchivedPayload>
  /**
   * Decrypts a stored delivery. Throws `KycConfigurationError` when no key of the keyring can decrypt
   * it (a key missing from `OPENKYC_ARCHIVE_KEYS`, a wrong key) and `KycStoreIntegrityError` when the
   * row was altered (the GCM tag binds the ciphertext to its provider, kind, time and key id).
   */
  openDelivery(payload: ArchivedPayload): Promise<OpenedWebhookDelivery>
  /** Deletes every payload concerning a verification (a data subject's erasure); resolves to how many. */
  eraseVerification(key: VerificationKey): Promise<number>
  /** Deletes every expired payload; resolves to how many. Run it daily (a job, or `openkyc` housekeeping). */
  deleteExpired(): Promise<number>
}

/** Headers that authenticate the caller to us, not the vendor's delivery: never archived. */
const droppedHeaders = new Set(['authorization', 'cookie', 'proxy-authorization'])
const encoder = new TextEncoder()

function additionalData(payload: Pick<ArchivedPayload, 'provider' | 'kind' | 'receivedAt' | 'keyId'>) {
  return encoder.encode(
    `openkyc-raw-archive:1:${payload.provider}:${payload.kind}:${payload.receivedAt}:${payload.keyId}`,
  )
}

/**
 * Builds the raw archive over a store's `archive`. Pass it to the webhook pipeline
 * (`createKyc({ webhooks: { archive } })`) to archive every accepted delivery.
 *
 * @example
 * ```ts
 * const store = await openPostgresStore({ url: process.env.DATABASE_URL })
 * const archive = createRawArchive({ store: store.archive!, keys: process.env.OPENKYC_ARCHIVE_KEYS! })
 * const kyc = createKyc({ adapters, store, webhooks: { archive } })
 * ```
 */
export function createRawArchive(options: RawArchiveOptions): RawArchive {
  const keys = typeof options.keys === 'string' ? parseArchiveKeys(options.keys) : options.keys
  const retentionMs = options.retentionMs ?? defaultArchiveRetentionMs
  if (!Number.isInteger(retentionMs) || retentionMs < 1) {
    throw new KycConfigurationError({ message: 'createRawArchive: retentionMs must be a positive integer.' })
  }
  const now = options.now ?? Date.now
  const { store } = options

  const keyFor = async (id: string) => {
    const key = await keys.key(id)
    if (key !== undefined) return key
    throw new KycConfigurationError({
      message: `An archived payload was encrypted with key "${id}", which ${archiveKeysVariable} does not hold (it holds ${keys.keyIds.join(', ')}): add that key back.`,
    })
  }

  const ids = (values: (string | undefined)[]) =>
    [
      ...new Set(
        values.filter(
          (value): value is string => value !== undefined && value.length > 0 && value.length <= 200,
        ),
      ),
    ].slice(0, 100)

  const seal = async (
    input: { provider: string; kind: ArchivedPayload['kind']; verificationIds: string[]; eventIds: string[] },
    plaintext: unknown,
  ) => {
    const time = now()
    const placement = {
      provider: input.provider,
      kind: input.kind,
      receivedAt: new Date(time).toISOString(),
      keyId: keys.encryptingKeyId,
    }
    const iv = crypto.getRandomValues(new Uint8Array(12))
    const ciphertext = await crypto.subtle.encrypt(
      { name: 'AES-GCM', iv, additionalData: additionalData(placement) },
      await keyFor(placement.keyId),
      encoder.encode(JSON.stringify(plaintext)),
    )
    return store.put({
      ...placement,
      expiresAt: new Date(time + retentionMs).toISOString(),
      verificationIds: input.verificationIds,
      eventIds: input.eventIds,
      iv: encodeBase64(iv),
      ciphertext: encodeBase64(new Uint8Array(ciphertext)),
    })
  }

  const unseal = async <T>(
    payload: ArchivedPayload,
    kind: ArchivedPayload['kind'],
    schema: z.ZodType<T>,
  ): Promise<T> => {
    if (payload.kind !== kind) {
      throw new KycInvalidRequestError({
        message: `Archived payload ${payload.id} is a ${payload.kind}, not a ${kind}.`,
      })
    }
    const key = await keyFor(payload.keyId)
    let plaintext: ArrayBuffer
    try {
      plaintext = await crypto.subtle.decrypt(
        { name: 'AES-GCM', iv: storedBytes(payload.iv), additionalData: additionalData(payload) },
        key,
        storedBytes(payload.ciphertext),
      )
    } catch {
      throw new KycConfigurationError({
        message: `Archived payload ${payload.id} cannot be decrypted with key "${payload.keyId}" of ${archiveKeysVariable}: the key is not the one that encrypted it, or the row was altered.`,
      })
    }
    const parsed = schema.safeParse(JSON.parse(new TextDecoder().decode(plaintext)))
    if (!parsed.success) {
      throw new KycStoreIntegrityError({
        message: `Archived payload ${payload.id} decrypted to something that is not an archived ${kind}.`,
      })
    }
    return parsed.data
  }

  const headerPairs = (headers: Headers) => {
    const pairs: [string, string][] = []
    headers.forEach((value, name) => {
      if (!droppedHeaders.has(name)) pairs.push([name, value])
    })
    return pairs
  }

  return {
    retentionMs,
    archiveDelivery(input) {
      const rawBody = typeof input.rawBody === 'string' ? encoder.encode(input.rawBody) : input.rawBody
      return seal(
        {
          provider: input.provider,
          kind: 'webhook_delivery',
          verificationIds: ids(input.events.map((event) => event.verification?.id)),
          eventIds: ids(input.events.map((event) => event.id)),
        },
        {
          version: 1,
          headers: headerPairs(input.headers),
          body: encodeBase64(rawBody),
          ...(input.remoteAddress === undefined ? {} : { remoteAddress: input.remoteAddress }),
          events: input.events.map(summarizeArchivedEvent),
        },
      )
    },
    async archiveResponse({ provider, method, url: requestUrl, response }) {
      const url = new URL(requestUrl)
      const body = new Uint8Array(await response.clone().arrayBuffer())
      return seal(
        {
          provider,
          kind: 'retrieval_response',
          verificationIds: ids(url.pathname.split('/').map((segment) => decodeURIComponent(segment))),
          eventIds: [],
        },
        {
          version: 1,
          method,
          url: `${url.pathname}${url.search}`,
          status: response.status,
          headers: [['content-type', response.headers.get('content-type') ?? 'application/json']],
          body: encodeBase64(body),
        },
      )
    },
    read: (query) => store.read(query),
    async openDelivery(payload) {
      const opened = await unseal(payload, 'webhook_delivery', DeliveryPlaintextSchema())
      return {
        payload,
        rawBody: storedBytes(opened.body),
        headers: new Headers(opened.headers),
        ...(opened.remoteAddress === undefined ? {} : { remoteAddress: opened.remoteAddress }),
        events: opened.events,
      }
    },
    async openResponse(payload) {
      const opened = await unseal(payload, 'retrieval_response', ResponsePlaintextSchema())
      return {
        payload,
        method: opened.method,
        url: opened.url,
        status: opened.status,
        headers: new Headers(opened.headers),
        body: storedBytes(opened.body),
      }
    },
    eraseVerification: (key) => store.deleteByVerification(key),
    deleteExpired: () => store.deleteExpired(),
  }
}

/**
 * The raw archive as the environment configures it: `undefined` when `OPENKYC_ARCHIVE_KEYS` is unset
 * (the archive is opt-in), else one over `store.archive` with `OPENKYC_ARCHIVE_RETENTION_DAYS` (default
 * 7). Throws `KycConfigurationError` when the keys or the retention are malformed, or when the store
 * has no archive.
 *
 * @example
 * ```ts
 * const archive = rawArchiveFromEnvironment(store, process.env)
 * const kyc = createKyc({ adapters, store, webhooks: archive === undefined ? {} : { archive } })
 * ```
 */
export function rawArchiveFromEnvironment(
  store: KycStore,
  env: Readonly<Record<string, string | undefined>>,
): RawArchive | undefined {
  const keys = env[archiveKeysVariable]?.trim()
  if (!keys) return undefined
  if (store.archive === undefined) {
    throw new KycConfigurationError({
      message: `${archiveKeysVariable} is set but the store keeps no raw archive: use a store with one (createMemoryStore, @openkyc/postgres 0.2 or later).`,
    })
  }
  const daysText = env[archiveRetentionVariable]?.trim()
  const days = daysText ? Number(daysText) : 7
  if (!Number.isFinite(days) || days <= 0 || days > 3650) {
    throw new KycConfigurationError({
      message: `${archiveRetentionVariable} must be a number of days greater than 0 (default 7).`,
    })
  }
  return createRawArchive({
    store: store.archive,
    keys: parseArchiveKeys(keys),
    retentionMs: Math.round(days * 24 * 60 * 60 * 1000),
  })
}

/** Options for {@link createArchivingFetch}. */
export type ArchivingFetchOptions = {
  archive: RawArchive
  /** The adapter's provider name, as its deliveries are filed. */
  provider: string
  /** The fetch to wrap. Default `globalThis.fetch`. */
  fetch?: (input: Request, init?: RequestInit) => Promise<Response>
  /** Called when a response could not be archived (the adapter still gets it). */
  onError?: (error: unknown) => void
}

/**
 * Wraps an adapter's `fetch` so every successful `GET` it makes (a retrieval: Persona's inquiry,
 * Jumio's workflow details, Onfido's workflow run) is kept in the raw archive. `openkyc backtest` and
 * `openkyc webhooks replay` serve these responses back to the adapter, so a delivery is re-normalized
 * from what the vendor said then, without calling the vendor. A failure to archive never fails the call.
 *
 * @example
 * ```ts
 * const persona = createPersona({ fetch: createArchivingFetch({ archive, provider: 'persona' }) })
 * ```
 */
export function createArchivingFetch(options: ArchivingFetchOptions) {
  const fetch = options.fetch ?? ((input: Request, init?: RequestInit) => globalThis.fetch(input, init))
  return async (input: Request, init?: RequestInit): Promise<Response> => {
    const response = await fetch(input, init)
    // The method and URL only: building a new Request from one with a body would consume it.
    const method = (init?.method ?? input.method).toUpperCase()
    if (method === 'GET' && response.ok) {
      try {
        await options.archive.archiveResponse({
          provider: options.provider,
          method,
          url: input.url,
          response,
        })
      } catch (error) {
        options.onError?.(error)
      }
    }
    return response
  }
}

/** A stored base64 field as bytes; not base64 (a tampered row) throws, and decryption reports it as altered. */
function storedBytes(text: string): Uint8Array<ArrayBuffer> {
  const bytes = decodeBase64(text)
  if (bytes === undefined) throw new TypeError('not base64')
  return bytes
}
