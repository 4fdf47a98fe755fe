import { describe, expect, it } from 'vitest'
import {
  createKyc,
  createMemoryStore,
  type KycEvent,
  KycInvalidRequestError,
  type KycStore,
  KycStoreConflictError,
  KycStoreUnavailableError,
  type MemoryStore,
  toWebhookResponse,
  type Verification,
  verifyAuditChain,
  type WebhookEventHandler,
} from '../src/index.js'
import { AuditEntryInputSchema, parseAuditEntryInput } from '../src/store/audit-entry.js'
import { createMockAdapter } from '../src/test/index.js'
import { seededPii, toEventView, withTransactionMethods } from './fixtures.js'

const secret = seededPii.webhookSecret
const now = () => Date.parse('2025-06-01T12:00:00.000Z')

function state(overrides: Partial<Verification>): Verification {
  return {
    id: 'inq_1',
    provider: 'mock',
    reference: { verificationId: 'inq_1' },
    status: 'created',
    checks: [],
    credentials: [],
    createdAt: '2025-06-01T08:00:00.000Z',
    updatedAt: '2025-06-01T08:00:00.000Z',
    raw: { status: 'created' },
    ...overrides,
  }
}

const submitted = state({
  status: 'submitted',
  updatedAt: '2025-06-01T08:05:00.000Z',
  raw: { status: 'submitted' },
})
const declinedReasons = [{ code: 'face_mismatch' as const, raw: 'selfie_comparison' }]
const failed = state({
  status: 'completed',
  decision: {
    outcome: 'declined',
    reasons: declinedReasons,
    decidedBy: 'provider',
    raw: { status: 'failed' },
  },
  updatedAt: '2025-06-01T08:10:00.000Z',
  raw: { status: 'failed' },
})
const declined = state({
  status: 'completed',
  decision: {
    outcome: 'declined',
    reasons: declinedReasons,
    decidedBy: 'provider',
    raw: { status: 'declined' },
  },
  updatedAt: '2025-06-01T08:11:00.000Z',
  raw: { status: 'declined' },
})

function event(
  id: string,
  verification: Verification,
  type: KycEvent['type'] = 'verification.submitted',
): KycEvent {
  return {
    id,
    provider: 'mock',
    type,
    occurredAt: verification.updatedAt,
    verification: toEventView(verification),
    raw: { type },
  }
}

function clock(start = 0) {
  let time = start
  return { now: () => time, advance: (ms: number) => (time += ms) }
}

function setUp(
  options: {
    store?: KycStore<undefined>
    leaseMs?: number
    storeTimeoutMs?: number
    claimWaitMs?: number
  } = {},
) {
  const adapter = createMockAdapter({ webhookSecret: secret, now })
  const store = options.store ?? createMemoryStore()
  const { store: _, ...timing } = options
  const kyc = createKyc({ adapters: { mock: adapter }, store, webhooks: timing, env: {} })
  const request = (events: readonly KycEvent[], signal?: AbortSignal) => {
    const { rawBody, headers } = adapter.createWebhookDelivery(events)
    return new Request('https://app.example.test/webhooks/kyc', {
      method: 'POST',
      body: rawBody,
      headers,
      ...(signal === undefined ? {} : { signal }),
    })
  }
  return { kyc, store, request }
}

/** What a web framework route does: answer with the outcome or the error. */
async function deliver(
  kyc: ReturnType<typeof setUp>['kyc'],
  request: Request,
  onEvent: WebhookEventHandler<undefined>,
): Promise<number> {
  try {
    return toWebhookResponse(await kyc.webhooks.handle(request, { onEvent })).status
  } catch (error) {
    return toWebhookResponse(error).status
  }
}

describe('the webhook pipeline: nothing lost', () => {
  it('the README pattern: the handler fails once, the redelivery is processed and the handler sees the event again', async () => {
    const { kyc, store, request } = setUp()
    const seen: string[] = []
    let failures = 1
    const onEvent: WebhookEventHandler<undefined> = async (
      { event, verification, changed },
      { transaction },
    ) => {
      seen.push(event.id)
      // The application's own row, written in the same transaction.
      if (changed && verification)
        await transaction.keyValue.set('app', `saved:${verification.id}`, verification.status)
      if (failures-- > 0) throw new Error('database blip')
    }
    expect(await deliver(kyc, request([event('evt_1', submitted)]), onEvent)).toBe(500)
    // Nothing was kept: not the state, not the application's row, not the dedupe mark.
    expect(await store.verifications.get({ provider: 'mock', id: 'inq_1' })).toBeUndefined()
    expect(await store.keyValue.get('app', 'saved:inq_1')).toBeUndefined()

    expect(await deliver(kyc, request([event('evt_1', submitted)]), onEvent)).toBe(200)
    expect(seen).toEqual(['evt_1', 'evt_1'])
    expect(await store.keyValue.get('app', 'saved:inq_1')).toBe('submitted')
    expect((await store.verifications.get({ provider: 'mock', id: 'inq_1' }))?.status).toBe('submitted')
  })

  it('a handler that succeeds sees each event exactly once, however often it is delivered', async () => {
    const { kyc, store, request } = setUp()
    const seen: string[] = []
    const onEvent: WebhookEventHandler<undefined> = async ({ event }, { transaction }) => {
      seen.push(event.id)
      const count = (await transaction.keyValue.get('app', 'effects')) as number | undefined
      await transaction.keyValue.set('app', 'effects', (count ?? 0) + 1)
    }
    const statuses = await Promise.all(
      [1, 2, 3].map(() => deliver(kyc, request([event('evt_1', submitted)]), onEvent)),
    )
    for (let attempt = 0; attempt < 2; attempt++) {
      statuses.push(await deliver(kyc, request([event('evt_1', submitted)]), onEvent))
    }
    expect(statuses).toEqual([200, 200, 200, 200, 200])
    expect(seen).toEqual(['evt_1'])
    expect(await store.keyValue.get('app', 'effects')).toBe(1)
  })

  it('events committed before a failure stay processed; the redelivery processes the rest', async () => {
    const { kyc, request } = setUp()
    const seen: string[] = []
    let fail = true
    const onEvent: WebhookEventHandler<undefined> = ({ event }) => {
      seen.push(event.id)
      if (event.id === 'evt_2' && fail) {
        fail = false
        throw new Error('once')
      }
    }
    const delivery = () =>
      request([event('evt_1', submitted), event('evt_2', failed, 'verification.completed')])
    expect(await deliver(kyc, delivery(), onEvent)).toBe(500)
    const retry = await kyc.webhooks.handle(delivery(), { onEvent })
    expect(retry.duplicates).toEqual(['evt_1'])
    expect(retry.events.map((processed) => processed.event.id)).toEqual(['evt_2'])
    expect(seen).toEqual(['evt_1', 'evt_2', 'evt_2'])
  })

  it('a claim never completed (a killed process) expires, and the redelivery is processed', async () => {
    const time = clock(Date.parse('2025-06-01T12:00:00.000Z'))
    const store = createMemoryStore({ now: time.now })
    const { kyc, request } = setUp({ store, leaseMs: 30_000, claimWaitMs: 30 })
    // A process claimed the event and died before completing it.
    const crashed = await store.inbox.claim({ provider: 'mock', eventId: 'evt_1', leaseMs: 30_000 })
    expect(crashed.status).toBe('claimed')

    const during = await kyc.webhooks
      .handle(request([event('evt_1', submitted)]))
      .catch((error: unknown) => error)
    expect(during).toBeInstanceOf(KycStoreUnavailableError)
    expect(toWebhookResponse(during).status).toBe(503)

    time.advance(30_000)
    const after = await kyc.webhooks.handle(request([event('evt_1', submitted)]))
    expect(after.events.map((processed) => processed.changed)).toEqual([true])
  })

  it('a delivery whose lease ran out mid-handler is rolled back when another took the event over: effects happen once', async () => {
    const time = clock(Date.parse('2025-06-01T12:00:00.000Z'))
    const store = createMemoryStore({ now: time.now })
    const { kyc, request } = setUp({ store, leaseMs: 1_000 })
    let releaseSlowHandler: () => void = () => {}
    const slowHandlerMayFinish = new Promise<void>((resolve) => {
      releaseSlowHandler = resolve
    })
    let calls = 0
    const onEvent: WebhookEventHandler<undefined> = async (_processed, { transaction }) => {
      calls += 1
      if (calls === 1) {
        // Outlives its lease: another delivery reclaims the event meanwhile.
        time.advance(1_000)
        const takeover = await store.inbox.claim({ provider: 'mock', eventId: 'evt_1', leaseMs: 1_000 })
        expect(takeover.status).toBe('claimed')
        await slowHandlerMayFinish
      }
      const count = (await transaction.keyValue.get('app', 'effects')) as number | undefined
      await transaction.keyValue.set('app', 'effects', (count ?? 0) + 1)
    }
    const slow = kyc.webhooks
      .handle(request([event('evt_1', submitted)]), { onEvent })
      .catch((error: unknown) => error)
    await new Promise((resolve) => setTimeout(resolve, 10))
    releaseSlowHandler()
    expect(await slow).toBeInstanceOf(KycStoreConflictError)
    expect(await store.keyValue.get('app', 'effects')).toBeUndefined()
    expect(await store.verifications.get({ provider: 'mock', id: 'inq_1' })).toBeUndefined()

    // The takeover's lease also expires (that claim was only taken to show the race); the redelivery wins.
    time.advance(1_000)
    const redelivery = await kyc.webhooks.handle(request([event('evt_1', submitted)]), { onEvent })
    expect(redelivery.events).toHaveLength(1)
    expect(await store.keyValue.get('app', 'effects')).toBe(1)
  })
})

describe('the webhook pipeline: waiting and timeouts', () => {
  it('a delivery waiting for another delivery of the same event honours its abort signal', async () => {
    const { kyc, store, request } = setUp({ claimWaitMs: 60_000 })
    await store.inbox.claim({ provider: 'mock', eventId: 'evt_1', leaseMs: 60_000 })
    const controller = new AbortController()
    const startedAt = Date.now()
    const waiting = kyc.webhooks.handle(request([event('evt_1', submitted)]), { signal: controller.signal })
    setTimeout(() => controller.abort(new Error('client went away')), 30)
    await expect(waiting).rejects.toThrow('client went away')
    expect(Date.now() - startedAt).toBeLessThan(5_000)
  })

  it('a delivery waiting behind a hung handler for the store honours its abort signal', async () => {
    const { kyc, request } = setUp()
    let hung: () => void = () => {}
    const hang = new Promise<void>((resolve) => {
      hung = resolve
    })
    const first = kyc.webhooks.handle(request([event('evt_1', submitted)]), { onEvent: () => hang })
    await new Promise((resolve) => setTimeout(resolve, 10))
    const controller = new AbortController()
    const second = kyc.webhooks.handle(request([event('evt_2', failed, 'verification.completed')]), {
      signal: controller.signal,
    })
    setTimeout(() => controller.abort(new Error('client went away')), 20)
    await expect(second).rejects.toThrow('client went away')
    hung()
    expect((await first).events).toHaveLength(1)
    // The aborted event was not marked: its redelivery is processed.
    const retry = await kyc.webhooks.handle(request([event('evt_2', failed, 'verification.completed')]))
    expect(retry.events.map((processed) => processed.event.id)).toEqual(['evt_2'])
  })

  it('a hung store call times out as a retryable KycStoreUnavailableError, rolls back and releases the claim', async () => {
    const memory = createMemoryStore()
    let hangNext = true
    const store = withTransactionMethods(memory, (transaction) => ({
      applyVerification(update) {
        if (hangNext) {
          hangNext = false
          return new Promise(() => {})
        }
        return transaction.applyVerification(update)
      },
    }))
    const { kyc, request } = setUp({ store, storeTimeoutMs: 40 })
    const error = await kyc.webhooks
      .handle(request([event('evt_1', submitted)]))
      .catch((caught: unknown) => caught)
    expect(error).toBeInstanceOf(KycStoreUnavailableError)
    expect((error as Error).message).toMatch(/did not answer within 40 ms while storing the verification/)
    expect(toWebhookResponse(error).status).toBe(503)
    const retry = await kyc.webhooks.handle(request([event('evt_1', submitted)]))
    expect(retry.events.map((processed) => processed.changed)).toEqual([true])
  })

  it.each(['beginning a transaction', 'committing'])(
    'a store transaction stuck %s times out, and the claim is released',
    async (operation) => {
      const memory = createMemoryStore()
      let stuck = true
      const store: KycStore<undefined> = {
        ...memory,
        transaction: async (work, options) => {
          if (!stuck) return memory.transaction(work, options)
          stuck = false
          if (operation === 'beginning a transaction') return new Promise(() => {})
          // Runs the work, then never reports the commit (and commits nothing).
          await memory
            .transaction(async (transaction) => {
              await work(transaction)
              throw new Error('rolled back behind the caller')
            }, options)
            .catch(() => undefined)
          return new Promise(() => {})
        },
      }
      const { kyc, request } = setUp({ store, storeTimeoutMs: 40 })
      await expect(kyc.webhooks.handle(request([event('evt_1', submitted)]))).rejects.toThrow(
        `did not answer within 40 ms while ${operation}`,
      )
      const retry = await kyc.webhooks.handle(request([event('evt_1', submitted)]))
      expect(retry.events.map((processed) => processed.changed)).toEqual([true])
    },
  )

  it('a transaction that begins only after the delivery gave up runs no handler and commits nothing', async () => {
    const memory = createMemoryStore()
    let late = true
    const store: KycStore<undefined> = {
      ...memory,
      transaction: async (work) => {
        if (late) {
          late = false
          // Ignores the signal and begins long after the deadline.
          await new Promise((resolve) => setTimeout(resolve, 120))
        }
        return memory.transaction(work)
      },
    }
    const { kyc, request } = setUp({ store, storeTimeoutMs: 40 })
    const handled: string[] = []
    await expect(
      kyc.webhooks.handle(request([event('evt_1', submitted)]), {
        onEvent: ({ event }) => void handled.push(event.id),
      }),
    ).rejects.toThrow(/while beginning a transaction/)
    await new Promise((resolve) => setTimeout(resolve, 150))
    expect(handled).toEqual([])
    expect(await memory.verifications.get({ provider: 'mock', id: 'inq_1' })).toBeUndefined()
  })

  it('a store that never answers a claim fails the delivery after storeTimeoutMs', async () => {
    const memory = createMemoryStore()
    const store: KycStore<undefined> = {
      ...memory,
      inbox: { ...memory.inbox, claim: () => new Promise(() => {}) },
    }
    const { kyc, request } = setUp({ store, storeTimeoutMs: 30 })
    await expect(kyc.webhooks.handle(request([event('evt_1', submitted)]))).rejects.toThrow(
      /did not answer within 30 ms while claiming an event/,
    )
  })

  it('the handler is not timed: one slower than storeTimeoutMs commits, and the commit after it is timed afresh', async () => {
    const memory = createMemoryStore()
    let hangCommit = false
    const store: KycStore<undefined> = {
      ...memory,
      transaction: async (work, options) => {
        const result = await memory.transaction(work, options)
        return hangCommit ? new Promise<never>(() => {}) : result
      },
    }
    const { kyc, request } = setUp({ store, storeTimeoutMs: 40 })
    const slowHandler: WebhookEventHandler<undefined> = async () => {
      await new Promise((resolve) => setTimeout(resolve, 120))
    }
    const outcome = await kyc.webhooks.handle(request([event('evt_1', submitted)]), { onEvent: slowHandler })
    expect(outcome.events.map((processed) => processed.event.id)).toEqual(['evt_1'])

    hangCommit = true
    const started = Date.now()
    await expect(
      kyc.webhooks.handle(request([event('evt_2', failed, 'verification.completed')]), {
        onEvent: slowHandler,
      }),
    ).rejects.toThrow('did not answer within 40 ms while committing')
    // The handler's 120 ms, then the commit's own 40 ms: the deadline did not run during the handler.
    expect(Date.now() - started).toBeGreaterThanOrEqual(155)
  })

  it('a store call that times out aborts the transaction signal the store and the handler were given', async () => {
    const memory = createMemoryStore()
    let storeSignal: AbortSignal | undefined
    const store = withTransactionMethods(memory, () => ({
      applyVerification: () => new Promise<never>(() => {}),
    }))
    const observed: KycStore<undefined> = {
      ...store,
      transaction: (work, options) => {
        storeSignal = options?.signal
        return store.transaction(work, options)
      },
    }
    const { kyc, request } = setUp({ store: observed, storeTimeoutMs: 30 })
    await expect(kyc.webhooks.handle(request([event('evt_1', submitted)]))).rejects.toThrow(
      'did not answer within 30 ms while storing the verification',
    )
    expect(storeSignal?.aborted).toBe(true)
    expect(storeSignal?.reason).toBeInstanceOf(KycStoreUnavailableError)
  })
})

describe('the webhook pipeline: events of one verification, one after another', () => {
  /** A memory store that logs each verification its transactions apply. */
  function observedStore() {
    const memory = createMemoryStore()
    const log: string[] = []
    const store = withTransactionMethods(memory, (transaction) => ({
      async applyVerification(update) {
        log.push(`${(update as Verification).id} ${(update as Verification).status}`)
        return transaction.applyVerification(update)
      },
    }))
    return { store, log }
  }

  const pause = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

  it('sends events of one verification arriving together to the store in arrival order, one at a time', async () => {
    const { store, log } = observedStore()
    const { kyc, request } = setUp({ store })
    const other = state({ id: 'inq_2', reference: { verificationId: 'inq_2' } })
    const onEvent: WebhookEventHandler<undefined> = () => pause(15)
    const outcomes = await Promise.all([
      kyc.webhooks.handle(request([event('evt_1', submitted)]), { onEvent }),
      kyc.webhooks.handle(request([event('evt_2', failed, 'verification.completed')]), { onEvent }),
      kyc.webhooks.handle(request([event('evt_3', other, 'verification.created')]), { onEvent }),
      kyc.webhooks.handle(request([event('evt_4', declined, 'verification.completed')]), { onEvent }),
    ])
    expect(outcomes.map((outcome) => outcome.events.length)).toEqual([1, 1, 1, 1])
    expect(log.filter((line) => line.startsWith('inq_1 '))).toEqual([
      'inq_1 submitted',
      'inq_1 completed',
      'inq_1 completed',
    ])
    expect(log).toContain('inq_2 created')
    expect(outcomes.map((outcome) => outcome.events[0]?.changed)).toEqual([true, true, true, false])
  })

  it('a delivery that gives up its turn keeps the later ones behind the earlier one', async () => {
    const { store, log } = observedStore()
    const { kyc, request } = setUp({ store })
    let release: () => void = () => {}
    const held = new Promise<void>((resolve) => {
      release = resolve
    })
    const first = kyc.webhooks.handle(request([event('evt_1', submitted)]), { onEvent: () => held })
    await pause(10)
    const controller = new AbortController()
    const second = kyc.webhooks.handle(request([event('evt_2', failed, 'verification.completed')]), {
      signal: controller.signal,
    })
    const third = kyc.webhooks.handle(request([event('evt_3', declined, 'verification.completed')]))
    controller.abort(new Error('client went away'))
    await expect(second).rejects.toThrow('client went away')
    await pause(20)
    // The third waits for the first, still in its handler, although the second left the queue.
    expect(log).toEqual(['inq_1 submitted'])
    release()
    expect((await first).events).toHaveLength(1)
    expect((await third).events.map((processed) => processed.event.id)).toEqual(['evt_3'])
    expect(log).toEqual(['inq_1 submitted', 'inq_1 completed'])
  })

  it('a turn that waits longer than storeTimeoutMs fails with the retryable KycStoreUnavailableError', async () => {
    const { kyc, request } = setUp({ storeTimeoutMs: 40 })
    let release: () => void = () => {}
    const held = new Promise<void>((resolve) => {
      release = resolve
    })
    const first = kyc.webhooks.handle(request([event('evt_1', submitted)]), { onEvent: () => held })
    const error = await kyc.webhooks
      .handle(request([event('evt_2', failed, 'verification.completed')]))
      .catch((caught: unknown) => caught)
    expect(error).toBeInstanceOf(KycStoreUnavailableError)
    expect((error as Error).message).toMatch(
      /within 40 ms while waiting for an earlier event of the verification/,
    )
    release()
    await first.catch(() => undefined)
    const retry = await kyc.webhooks.handle(request([event('evt_2', failed, 'verification.completed')]))
    expect(retry.events.map((processed) => processed.event.id)).toEqual(['evt_2'])
  })
})

describe('the webhook pipeline: what changed, and the audit trail', () => {
  it('a decline reported twice (failed, then declined) is one change; the event says what moved', async () => {
    const { kyc, request } = setUp()
    const changedEvents: string[] = []
    const onEvent: WebhookEventHandler<undefined> = ({ event, changed }) => {
      if (changed) changedEvents.push(event.id)
    }
    await kyc.webhooks.handle(request([event('evt_1', submitted)]), { onEvent })
    const first = await kyc.webhooks.handle(request([event('evt_2', failed, 'verification.completed')]), {
      onEvent,
    })
    const second = await kyc.webhooks.handle(request([event('evt_3', declined, 'verification.completed')]), {
      onEvent,
    })
    expect(changedEvents).toEqual(['evt_1', 'evt_2'])
    expect(first.events[0]).toMatchObject({
      changed: true,
      changes: ['status', 'outcome', 'reasons'],
      previous: { status: 'submitted' },
      verification: { status: 'completed', decision: { outcome: 'declined' } },
    })
    expect(second.events[0]).toMatchObject({
      changed: false,
      changes: [],
      previous: { status: 'completed', raw: { status: 'failed' } },
      verification: { raw: { status: 'declined' } },
    })
  })

  it('appends one chained audit entry per event: changes, updates and stale events', async () => {
    const store: MemoryStore = createMemoryStore()
    const { kyc, request } = setUp({ store })
    await kyc.webhooks.handle(request([event('evt_1', submitted)]))
    await kyc.webhooks.handle(request([event('evt_3', declined, 'verification.completed')]))
    await kyc.webhooks.handle(request([event('evt_2', failed, 'verification.completed')]))
    const entries = []
    for await (const entry of store.audit.read()) entries.push(entry)
    expect(
      entries.map(({ sequence, eventId, action, actor, from, to }) => ({
        sequence,
        eventId,
        action,
        actor,
        from,
        to,
      })),
    ).toEqual([
      {
        sequence: 1,
        eventId: 'evt_1',
        action: 'state_changed',
        actor: 'provider',
        from: undefined,
        to: { status: 'submitted' },
      },
      {
        sequence: 2,
        eventId: 'evt_3',
        action: 'state_changed',
        actor: 'provider',
        from: { status: 'submitted' },
        to: { status: 'completed', outcome: 'declined' },
      },
      {
        sequence: 3,
        eventId: 'evt_2',
        action: 'event_stale',
        actor: 'provider',
        from: { status: 'completed', outcome: 'declined' },
        to: { status: 'completed', outcome: 'declined' },
      },
    ])
    expect(entries[1]?.reasons).toEqual(declinedReasons)
    expect(await verifyAuditChain(store.audit.read())).toMatchObject({ valid: true, count: 3 })
  })

  it('hands the store audit entries it need not parse again, each a valid AuditEntryInput; an event id too long for the store is refused before any audit entry', async () => {
    const given: unknown[] = []
    const marked: boolean[] = []
    const store = withTransactionMethods(createMemoryStore(), (transaction) => ({
      appendAuditAtCommit(entry) {
        given.push(entry)
        // Marked: taken as it is (which uses up the mark; the memory store then parses it itself).
        marked.push(parseAuditEntryInput(entry) === entry)
        transaction.appendAuditAtCommit!(entry)
      },
    }))
    const { kyc, request } = setUp({ store })
    await kyc.webhooks.handle(request([event('evt_1', submitted)]))
    await kyc.webhooks.handle(request([event('evt_2', declined, 'verification.completed')]))
    expect(marked).toEqual([true, true])
    // What the store takes unparsed is a valid entry.
    for (const entry of given) expect(AuditEntryInputSchema.safeParse(entry).success).toBe(true)
    // An event id past the store's 200 characters: the claim refuses it, nothing reaches the audit.
    const long = `evt_${'x'.repeat(200)}`
    await expect(
      kyc.webhooks.handle(request([event(long, failed, 'verification.completed')])),
    ).rejects.toThrow(KycInvalidRequestError)
    expect(marked).toEqual([true, true])
  })
})
