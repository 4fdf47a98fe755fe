import {
  type ArchivedPayload,
  createWebhookPipeline,
  type KycAdapter,
  type KycStore,
  type OpenedWebhookDelivery,
  type RawArchive,
  type RawArchiveQuery,
  type WebhookEventHandler,
} from '@openkyc/core'

/**
 * Builds the current adapter for one archived delivery (its `provider`; `receivedAt` for a clock set to
 * when it arrived; `sequence` to answer from the responses archived before it).
 */
export type ArchivedAdapterFactory = (delivery: ArchivedPayload) => KycAdapter

/** Options for {@link openArchivedDeliveries}. */
export type OpenArchivedDeliveriesOptions = {
  archive: RawArchive
  /** Which deliveries (kind is always `webhook_delivery`). */
  query?: Omit<RawArchiveQuery, 'kind'>
}

/**
 * Reads and decrypts every archived delivery matching `query`, oldest first. All of them are
 * decrypted before anything is done with them, so a wrong or missing key fails the whole command
 * before anything is written.
 */
export async function openArchivedDeliveries(
  options: OpenArchivedDeliveriesOptions,
): Promise<OpenedWebhookDelivery[]> {
  const opened: OpenedWebhookDelivery[] = []
  for await (const payload of options.archive.read({ ...options.query, kind: 'webhook_delivery' })) {
    opened.push(await options.archive.openDelivery(payload))
  }
  return opened
}

/** What replaying one archived delivery did. */
export type ReplayedDelivery = {
  payloadId: string
  provider: string
  receivedAt: string
  /** Events applied now (committed), with whether they changed the stored verification. */
  events: { eventId: string; verificationId?: string; status?: string; changed: boolean }[]
  /** Events processed before (by the original delivery or an earlier replay): skipped. */
  duplicates: string[]
}

/** Options for {@link replayArchivedDeliveries}. */
export type ReplayArchivedDeliveriesOptions<Handle> = {
  store: KycStore<Handle>
  deliveries: readonly OpenedWebhookDelivery[]
  createAdapter: ArchivedAdapterFactory
  /** Your handler, called inside each event's transaction for events that changed the verification only. */
  onEvent?: WebhookEventHandler<Handle>
}

/**
 * Re-runs archived deliveries through the webhook pipeline, in the order they arrived: verified by the
 * current adapter, deduplicated by event id, applied forward-only, audited. Idempotent: an event
 * processed before is a duplicate, and `onEvent` sees only events that really changed a verification.
 * The pipeline archives nothing here (the deliveries are archived already).
 *
 * @example
 * ```ts
 * const deliveries = await openArchivedDeliveries({ archive, query: { eventId: 'evt_123' } })
 * const replayed = await replayArchivedDeliveries({ store, deliveries, createAdapter: () => createPersona() })
 * ```
 */
export async function replayArchivedDeliveries<Handle>(
  options: ReplayArchivedDeliveriesOptions<Handle>,
): Promise<ReplayedDelivery[]> {
  const { onEvent } = options
  const changesOnly: WebhookEventHandler<Handle> | undefined =
    onEvent === undefined
      ? undefined
      : async (processed, context) => {
          if (processed.changed) await onEvent(processed, context)
        }
  const replayed: ReplayedDelivery[] = []
  for (const delivery of options.deliveries) {
    const { payload } = delivery
    const adapter = options.createAdapter(payload)
    const pipeline = createWebhookPipeline<Handle>({ adapter, store: options.store })
    try {
      const outcome = await pipeline.handle(
        {
          rawBody: delivery.rawBody,
          headers: delivery.headers,
          ...(delivery.remoteAddress === undefined ? {} : { remoteAddress: delivery.remoteAddress }),
        },
        changesOnly === undefined ? {} : { onEvent: changesOnly },
      )
      replayed.push({
        payloadId: payload.id,
        provider: payload.provider,
        receivedAt: payload.receivedAt,
        events: outcome.events.map((processed) => ({
          eventId: processed.event.id,
          ...(processed.verification === undefined
            ? {}
            : { verificationId: processed.verification.id, status: processed.verification.status }),
          changed: processed.changed,
        })),
        duplicates: outcome.duplicates,
      })
    } finally {
      pipeline.close()
    }
  }
  return replayed
}
