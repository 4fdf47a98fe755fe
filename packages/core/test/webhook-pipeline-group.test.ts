import { trace } from '@opentelemetry/api'
import { describe, expect, it } from 'vitest'
import {
  createKyc,
  createMemoryStore,
  createWebhookPipeline,
  type InboxClaim,
  KycConfigurationError,
  type KycEvent,
  type KycStore,
  type MemoryStore,
  type Verification,
  verifyAuditChain,
  type WebhookEventHandler,
  type WebhookOutcome,
} from '../src/index.js'
import { createMockAdapter } from '../src/test/index.js'
import { toEventView } from './fixtures.js'
import { installTelemetry } from './telemetry-support.js'

// Events of one verification that queue behind an earlier one are processed together in one
// transaction when the store claims inside its transactions (`maxEventsPerTransaction`).

const now = () => Date.parse('2025-06-01T12:00:00.000Z')

function state(id: string, status: Verification['status'], minute: number): Verification {
  const at = `2025-06-01T08:${String(minute).padStart(2, '0')}:00.000Z`
  return {
    id,
    provider: 'mock',
    reference: { verificationId: id },
    status,
    checks: [],
    credentials: [],
    createdAt: '2025-06-01T08:00:00.000Z',
    updatedAt: at,
    raw: { status },
  }
}

function event(id: string, verification: Verification): KycEvent {
  return {
    id,
    provider: 'mock',
    type: 'verification.started',
    occurredAt: verification.updatedAt,
    verification: toEventView(verification),
    raw: { type: 'started' },
  }
}

/** Five events of `inq_1`, each further along than the one before (minutes 1 to 5). */
const steps = [1, 2, 3, 4, 5].map((minute) =>
  event(`evt_${minute}`, state('inq_1', minute < 5 ? 'in_progress' : 'submitted', minute)),
)
const step = (minute: number) => steps[minute - 1]!

/**
 * The memory store with `claimEvent` in its transactions, as a durable store has it: the claim
 * counts only if the transaction commits (a rollback releases it). `committed` lists, per committed
 * transaction, the events it claimed.
 */
function storeClaimingInTransaction(memory: MemoryStore = createMemoryStore()) {
  const committed: string[][] = []
  const store: KycStore<undefined> = {
    ...memory,
    async transaction(work, options) {
      const claims: InboxClaim[] = []
      try {
        const result = await memory.transaction(
          (transaction) =>
            work({
              ...transaction,
              async claimEvent({ provider, eventId }) {
                const claimed = await memory.inbox.claim({ provider, eventId, leaseMs: 60_000 })
                if (claimed.status !== 'claimed') return { status: claimed.status }
                claims.push(claimed.claim)
                await transaction.completeClaim(claimed.claim)
                return { status: 'claimed' }
              },
            }),
          options,
        )
        if (claims.length > 0) committed.push(claims.map((claim) => claim.eventId))
        return result
      } catch (error) {
        for (const claim of claims) await memory.inbox.release(claim)
        throw error
      }
    },
  }
  return { store, memory, committed }
}

/** A promise to hold a handler on, and the function that lets it go. */
function gate() {
  let open: () => void = () => {}
  const closed = new Promise<void>((resolve) => {
    open = resolve
  })
  return { closed, open }
}

/**
 * A pipeline over `store` whose deliveries can be sent so that they queue: `deliver` parses and
 * hands the events to the pipeline; `parsed(n)` resolves once n deliveries are parsed and in the
 * pipeline (waiting for their verification's turn, or processing).
 */
function setUp(
  store: KycStore<undefined>,
  options: { maxEventsPerTransaction?: number; storeTimeoutMs?: number; throughCreateKyc?: boolean } = {},
) {
  const mock = createMockAdapter({ now })
  let parsedCount = 0
  const waiters: { count: number; wake: () => void }[] = []
  const adapter = {
    ...mock,
    async parseWebhook(call: Parameters<typeof mock.parseWebhook>[0]) {
      const events = await mock.parseWebhook(call)
      parsedCount += 1
      // Woken after this turn: the pipeline hands the events on in the same turn as the parse.
      for (const waiter of waiters.filter((waiting) => waiting.count <= parsedCount)) {
        setTimeout(waiter.wake, 0)
      }
      return events
    },
  }
  const { throughCreateKyc, ...settings } = options
  const pipeline = throughCreateKyc
    ? createKyc({
        adapters: { mock: adapter },
        store,
        webhooks: { claimWaitMs: 2_000, ...settings },
        env: {},
      }).webhooks
    : createWebhookPipeline({ adapter, store, claimWaitMs: 2_000, ...settings })
  const handlerCalls: string[] = []
  /** Counts each event's effect in the event's own transaction: rolled back with it. */
  const countEffect: WebhookEventHandler<undefined> = async ({ event }, { transaction }) => {
    handlerCalls.push(event.id)
    const count = (await transaction.keyValue.get('effects', event.id)) as number | undefined
    await transaction.keyValue.set('effects', event.id, (count ?? 0) + 1)
  }
  return {
    pipeline,
    handlerCalls,
    countEffect,
    deliver(events: readonly KycEvent[], options: Parameters<typeof pipeline.handle>[1] = {}) {
      return pipeline.handle(mock.createWebhookDelivery(events), { onEvent: countEffect, ...options })
    },
    parsed(count: number) {
      return new Promise<void>((wake) => {
        if (parsedCount >= count) setTimeout(wake, 0)
        else waiters.push({ count, wake })
      })
    },
    async effects(memory: MemoryStore, ids: readonly string[]) {
      return Promise.all(ids.map(async (id) => (await memory.keyValue.get('effects', id)) ?? 0))
    },
  }
}

/** Holds the first delivery of `inq_1` in its handler until `first.open()`. */
function holdFirst(setUpResult: ReturnType<typeof setUp>) {
  const first = gate()
  const started = gate()
  const delivery = setUpResult.deliver([step(1)], {
    async onEvent(processed, context) {
      started.open()
      await first.closed
      await setUpResult.countEffect(processed, context)
    },
  })
  return { delivery, started: started.closed, release: first.open }
}

const eventIds = (outcome: WebhookOutcome) => outcome.events.map((processed) => processed.event.id)

describe('the webhook pipeline: events of one verification queued together go to the store in one transaction', () => {
  it('events arriving while an earlier one is processed commit together, in arrival order, each delivery with its own outcome', async () => {
    const { store, memory, committed } = storeClaimingInTransaction()
    const test = setUp(store)
    const first = holdFirst(test)
    await first.started
    const later = [2, 3, 4].map((minute) => test.deliver([step(minute)]))
    const other = test.deliver([event('evt_other', state('inq_2', 'in_progress', 1))])
    await test.parsed(5)
    first.release()
    const outcomes = await Promise.all([first.delivery, ...later])
    expect(outcomes.map(eventIds)).toEqual([['evt_1'], ['evt_2'], ['evt_3'], ['evt_4']])
    // Another verification's event is not grouped with inq_1's (the memory store runs one
    // transaction at a time, so it commits after evt_1's, in its own transaction).
    expect(eventIds(await other)).toEqual(['evt_other'])
    expect(committed.filter((ids) => !ids.includes('evt_other'))).toEqual([
      ['evt_1'],
      ['evt_2', 'evt_3', 'evt_4'],
    ])
    expect(committed).toContainEqual(['evt_other'])
    // Each event saw the state the one before it left, within the one transaction.
    expect(outcomes.map((outcome) => outcome.events[0]?.previous?.updatedAt)).toEqual([
      undefined,
      '2025-06-01T08:01:00.000Z',
      '2025-06-01T08:02:00.000Z',
      '2025-06-01T08:03:00.000Z',
    ])
    expect(test.handlerCalls.filter((id) => id !== 'evt_other')).toEqual(['evt_1', 'evt_2', 'evt_3', 'evt_4'])
    expect(await test.effects(memory, ['evt_1', 'evt_2', 'evt_3', 'evt_4'])).toEqual([1, 1, 1, 1])
    expect((await memory.verifications.get({ provider: 'mock', id: 'inq_1' }))?.updatedAt).toBe(
      '2025-06-01T08:04:00.000Z',
    )
    expect(await verifyAuditChain(memory.audit.read())).toMatchObject({ valid: true, count: 5 })
  })

  it('a handler failing in the middle: nothing of the group is kept, each event runs again alone, only the failing delivery fails', async () => {
    const { store, memory, committed } = storeClaimingInTransaction()
    const test = setUp(store)
    const first = holdFirst(test)
    await first.started
    const failure = new Error('the application could not save evt_3')
    const failing: WebhookEventHandler<undefined> = () => {
      throw failure
    }
    const second = test.deliver([step(2)])
    const third = test.deliver([step(3)], { onEvent: failing })
    const fourth = test.deliver([step(4)])
    await test.parsed(4)
    first.release()
    const settled = await Promise.allSettled([first.delivery, second, third, fourth])
    expect(settled.map((result) => result.status)).toEqual([
      'fulfilled',
      'fulfilled',
      'rejected',
      'fulfilled',
    ])
    expect((settled[2] as PromiseRejectedResult).reason).toBe(failure)
    // The group [2, 3, 4] rolled back; then 2 and 4 committed alone, 3 failed alone.
    expect(committed).toEqual([['evt_1'], ['evt_2'], ['evt_4']])
    expect(await test.effects(memory, ['evt_1', 'evt_2', 'evt_3', 'evt_4'])).toEqual([1, 1, 0, 1])
    // The handler of the neighbour before the failure ran in the group and again alone.
    expect(test.handlerCalls).toEqual(['evt_1', 'evt_2', 'evt_2', 'evt_4'])
    // The provider's redelivery of the failed event is processed, once.
    expect(eventIds(await test.deliver([step(3)]))).toEqual(['evt_3'])
    expect(eventIds(await test.deliver([step(3)]))).toEqual([])
    expect(await test.effects(memory, ['evt_1', 'evt_2', 'evt_3', 'evt_4'])).toEqual([1, 1, 1, 1])
    expect(await verifyAuditChain(memory.audit.read())).toMatchObject({ valid: true, count: 4 })
  })

  it('a store call that times out in a group: each event is processed again alone, nothing doubled', async () => {
    const memory = createMemoryStore()
    let hangOnce = true
    const hanging: MemoryStore = {
      ...memory,
      transaction: (work, options) =>
        memory.transaction(
          (transaction) =>
            work({
              ...transaction,
              applyVerification(update) {
                // evt_3's write hangs the first time: in the group of [2, 3, 4].
                if (hangOnce && (update as Verification).updatedAt === step(3).occurredAt) {
                  hangOnce = false
                  return new Promise(() => {})
                }
                return transaction.applyVerification(update)
              },
            }),
          options,
        ),
    }
    const { store, committed } = storeClaimingInTransaction(hanging)
    const test = setUp(store, { storeTimeoutMs: 1_000 })
    const first = holdFirst(test)
    await first.started
    const later = [2, 3, 4].map((minute) => test.deliver([step(minute)]))
    await test.parsed(4)
    first.release()
    const outcomes = await Promise.all([first.delivery, ...later])
    expect(hangOnce).toBe(false)
    expect(outcomes.map(eventIds)).toEqual([['evt_1'], ['evt_2'], ['evt_3'], ['evt_4']])
    expect(committed).toEqual([['evt_1'], ['evt_2'], ['evt_3'], ['evt_4']])
    expect(await test.effects(memory, ['evt_1', 'evt_2', 'evt_3', 'evt_4'])).toEqual([1, 1, 1, 1])
    expect(await verifyAuditChain(memory.audit.read())).toMatchObject({ valid: true, count: 4 })
  })

  it('a handler slower than storeTimeoutMs in a group: the group is abandoned, and alone the handler runs untimed and commits', async () => {
    const { store, memory, committed } = storeClaimingInTransaction()
    const test = setUp(store, { storeTimeoutMs: 1_000 })
    const first = holdFirst(test)
    await first.started
    let slowRuns = 0
    const signals: AbortSignal[] = []
    const second = test.deliver([step(2)], {
      async onEvent(processed, context) {
        slowRuns += 1
        signals.push(context.signal)
        await new Promise((resolve) => setTimeout(resolve, 1_300))
        await test.countEffect(processed, context)
      },
    })
    const third = test.deliver([step(3)])
    await test.parsed(3)
    first.release()
    const outcomes = await Promise.all([first.delivery, second, third])
    expect(outcomes.map(eventIds)).toEqual([['evt_1'], ['evt_2'], ['evt_3']])
    // In the group it was timed out (its signal aborted); alone it took 1.3 s and committed.
    expect(slowRuns).toBe(2)
    expect(signals.map((signal) => signal.aborted)).toEqual([true, false])
    expect(committed).toEqual([['evt_1'], ['evt_2'], ['evt_3']])
    expect(await test.effects(memory, ['evt_1', 'evt_2', 'evt_3'])).toEqual([1, 1, 1])
  })

  it('a delivery that aborts while its event waits leaves the queue; one that aborts inside a group stops waiting, and the group commits its event', async () => {
    const { store, memory, committed } = storeClaimingInTransaction()
    const test = setUp(store)
    const first = holdFirst(test)
    await first.started
    const leavesQueue = new AbortController()
    const leavesGroup = new AbortController()
    const inGroup = gate()
    const groupStarted = gate()
    const second = test.deliver([step(2)], { signal: leavesQueue.signal })
    const third = test.deliver([step(3)], {
      signal: leavesGroup.signal,
      async onEvent(processed, context) {
        groupStarted.open()
        await inGroup.closed
        await test.countEffect(processed, context)
      },
    })
    const fourth = test.deliver([step(4)])
    await test.parsed(4)
    leavesQueue.abort(new Error('the provider hung up on evt_2'))
    await expect(second).rejects.toThrow('the provider hung up on evt_2')
    first.release()
    await groupStarted.closed
    leavesGroup.abort(new Error('the provider hung up on evt_3'))
    // The delivery is answered at once, although its event's transaction is still open.
    await expect(third).rejects.toThrow('the provider hung up on evt_3')
    expect(committed).toEqual([['evt_1']])
    inGroup.open()
    expect(eventIds(await fourth)).toEqual(['evt_4'])
    // evt_2 was never processed; evt_3 committed with evt_4 in one transaction.
    expect(committed).toEqual([['evt_1'], ['evt_3', 'evt_4']])
    expect(await test.effects(memory, ['evt_1', 'evt_2', 'evt_3', 'evt_4'])).toEqual([1, 0, 1, 1])
    // The redeliveries: evt_2 is processed now, evt_3 is a duplicate; nothing lost, nothing doubled.
    expect(eventIds(await test.deliver([step(2)]))).toEqual(['evt_2'])
    expect(await test.deliver([step(3)])).toMatchObject({ events: [], duplicates: ['evt_3'] })
    expect(await test.effects(memory, ['evt_1', 'evt_2', 'evt_3', 'evt_4'])).toEqual([1, 1, 1, 1])
  })

  it('an event another delivery holds (busy) leaves the group and is processed alone once the holder lets go', async () => {
    const { store, memory, committed } = storeClaimingInTransaction()
    const test = setUp(store)
    // Another instance holds evt_3 (an `inbox.claim` lease, as a process without claimEvent takes it).
    const held = await memory.inbox.claim({ provider: 'mock', eventId: 'evt_3', leaseMs: 60_000 })
    if (held.status !== 'claimed') throw new Error('expected to hold evt_3')
    const first = holdFirst(test)
    await first.started
    const later = [2, 3, 4].map((minute) => test.deliver([step(minute)]))
    await test.parsed(4)
    first.release()
    await first.delivery
    expect(eventIds(await later[0]!)).toEqual(['evt_2'])
    expect(eventIds(await later[2]!)).toEqual(['evt_4'])
    expect(committed).toEqual([['evt_1'], ['evt_2', 'evt_4']])
    // evt_3 waits for the holder (up to claimWaitMs), as a single event does.
    await memory.inbox.release(held.claim)
    expect(eventIds(await later[1]!)).toEqual(['evt_3'])
    expect(committed).toEqual([['evt_1'], ['evt_2', 'evt_4'], ['evt_3']])
    // evt_3 came after evt_4: stale, recorded, the state stays at evt_4's.
    expect((await memory.verifications.get({ provider: 'mock', id: 'inq_1' }))?.updatedAt).toBe(
      '2025-06-01T08:04:00.000Z',
    )
    expect(await test.effects(memory, ['evt_1', 'evt_2', 'evt_3', 'evt_4'])).toEqual([1, 1, 1, 1])
    expect(await verifyAuditChain(memory.audit.read())).toMatchObject({ valid: true, count: 4 })
  })

  it('copies of one event in one group: processed once, the other deliveries answered as duplicates', async () => {
    const { store, memory, committed } = storeClaimingInTransaction()
    const test = setUp(store)
    const first = holdFirst(test)
    await first.started
    const later = [
      test.deliver([step(2)]),
      test.deliver([step(2)]),
      test.deliver([step(1)]),
      test.deliver([step(3)]),
      test.deliver([step(2)]),
    ]
    await test.parsed(6)
    first.release()
    const outcomes = await Promise.all([first.delivery, ...later])
    expect(outcomes.map((outcome) => [eventIds(outcome), outcome.duplicates])).toEqual([
      [['evt_1'], []],
      [['evt_2'], []],
      [[], ['evt_2']],
      [[], ['evt_1']],
      [['evt_3'], []],
      [[], ['evt_2']],
    ])
    expect(committed).toEqual([['evt_1'], ['evt_2', 'evt_3']])
    expect(test.handlerCalls).toEqual(['evt_1', 'evt_2', 'evt_3'])
    expect(await test.effects(memory, ['evt_1', 'evt_2', 'evt_3'])).toEqual([1, 1, 1])
  })

  it('a group holds at most maxEventsPerTransaction events; the rest follow in the next group', async () => {
    const { store, committed } = storeClaimingInTransaction()
    const test = setUp(store, { maxEventsPerTransaction: 2 })
    const first = holdFirst(test)
    await first.started
    const later = [2, 3, 4, 5].map((minute) => test.deliver([step(minute)]))
    await test.parsed(5)
    first.release()
    const outcomes = await Promise.all([first.delivery, ...later])
    expect(outcomes.map(eventIds)).toEqual([['evt_1'], ['evt_2'], ['evt_3'], ['evt_4'], ['evt_5']])
    expect(committed).toEqual([['evt_1'], ['evt_2', 'evt_3'], ['evt_4', 'evt_5']])
  })

  it('maxEventsPerTransaction 1 processes every event alone, and so does a store without claimEvent', async () => {
    for (const { maxEventsPerTransaction, claimsInTransaction } of [
      { maxEventsPerTransaction: 1, claimsInTransaction: true },
      { maxEventsPerTransaction: 8, claimsInTransaction: false },
    ]) {
      const claiming = storeClaimingInTransaction()
      let transactions = 0
      const store: KycStore<undefined> = claimsInTransaction
        ? claiming.store
        : {
            ...claiming.memory,
            transaction: (work, options) => {
              transactions += 1
              return claiming.memory.transaction(work, options)
            },
          }
      // Through createKyc's configuration: the setting reaches the pipeline.
      const test = setUp(store, { maxEventsPerTransaction, throughCreateKyc: true })
      const first = holdFirst(test)
      await first.started
      const later = [2, 3, 4].map((minute) => test.deliver([step(minute)]))
      await test.parsed(4)
      first.release()
      const outcomes = await Promise.all([first.delivery, ...later])
      expect(outcomes.map(eventIds)).toEqual([['evt_1'], ['evt_2'], ['evt_3'], ['evt_4']])
      if (claimsInTransaction) {
        expect(claiming.committed).toEqual([['evt_1'], ['evt_2'], ['evt_3'], ['evt_4']])
      } else {
        // One transaction to ask whether the store claims in transactions, then one per event.
        expect(transactions).toBe(5)
      }
    }
  })

  it('refuses a maxEventsPerTransaction that is not a positive integer, in createWebhookPipeline and createKyc', () => {
    const adapter = createMockAdapter({ now })
    for (const maxEventsPerTransaction of [0, -1, 1.5, Number.NaN]) {
      expect(() => createWebhookPipeline({ adapter, maxEventsPerTransaction })).toThrow(KycConfigurationError)
      expect(() =>
        createKyc({ adapters: { mock: adapter }, webhooks: { maxEventsPerTransaction }, env: {} }),
      ).toThrow(KycConfigurationError)
    }
    expect(() => createWebhookPipeline({ adapter, maxEventsPerTransaction: 0 })).toThrow(
      'maxEventsPerTransaction must be a positive integer of events',
    )
  })
})

describe("the webhook pipeline: a queued event is processed in its own delivery's tracing context", () => {
  it("spans opened in onEvent have their own delivery's kyc.webhooks.event span as parent, grouped or alone", async () => {
    const telemetry = installTelemetry()
    try {
      const tracer = trace.getTracer('test')
      for (const grouped of [true, false]) {
        telemetry.spans.reset()
        const claiming = storeClaimingInTransaction()
        // Without claimEvent the queued events are processed alone, by the delivery ahead of them.
        const store = grouped ? claiming.store : claiming.memory
        const test = setUp(store)
        const release = gate()
        const started = gate()
        /** One delivery inside a span of its own (`delivery evt_N`), as a server would open one per request. */
        const deliver = (minute: number) =>
          tracer.startActiveSpan(`delivery ${step(minute).id}`, (span) =>
            test
              .deliver([step(minute)], {
                async onEvent(processed, context) {
                  if (minute === 1) {
                    started.open()
                    await release.closed
                  }
                  await tracer.startActiveSpan(`handler ${processed.event.id}`, async (handlerSpan) => {
                    await test.countEffect(processed, context)
                    handlerSpan.end()
                  })
                },
              })
              .finally(() => span.end()),
          )
        const first = deliver(1)
        await started.closed
        const later = [2, 3, 4].map(deliver)
        await test.parsed(4)
        release.open()
        await Promise.all([first, ...later])
        if (grouped) expect(claiming.committed).toEqual([['evt_1'], ['evt_2', 'evt_3', 'evt_4']])

        const finished = telemetry.spans.getFinishedSpans()
        const byId = new Map(finished.map((span) => [span.spanContext().spanId, span]))
        const parentOf = (span: (typeof finished)[number] | undefined) =>
          span?.parentSpanContext === undefined ? undefined : byId.get(span.parentSpanContext.spanId)
        for (const id of ['evt_1', 'evt_2', 'evt_3', 'evt_4']) {
          const handlerSpan = finished.find((span) => span.name === `handler ${id}`)
          const eventSpan = parentOf(handlerSpan)
          expect(eventSpan?.name).toBe('kyc.webhooks.event')
          expect(parentOf(eventSpan)?.name).toBe(`delivery ${id}`)
          expect(handlerSpan?.spanContext().traceId).toBe(
            finished.find((span) => span.name === `delivery ${id}`)?.spanContext().traceId,
          )
        }
      }
    } finally {
      await telemetry.uninstall()
    }
  })
})
