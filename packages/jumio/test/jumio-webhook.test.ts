import {
  createWebhookPipeline,
  type KycEvent,
  KycEventSchema,
  KycProviderUnavailableError,
  KycWebhookVerificationError,
} from '@openkyc/core'
import { describe, expect, it, vi } from 'vitest'
import { createJumio, type JumioSettings, jumioMaxBackgroundReads } from '../src/index.js'
import { accountId, createFakeJumio, testSettings, workflowExecutionId } from './fake-jumio.js'
import { loadFixture, loadFixtureText } from './load-fixture.js'

const headers = new Headers({ 'content-type': 'application/json' })

function setup(extra: Partial<JumioSettings> = {}) {
  const fake = createFakeJumio()
  const slept: number[] = []
  const jumio = createJumio({
    ...testSettings(fake),
    sleep: async (ms: number) => {
      slept.push(ms)
    },
    // The budget runs on the real clock; its own tests below give it a fake one.
    callbackReadRateLimit: false,
    ...extra,
  })
  return { fake, jumio, slept }
}

/** Retrieval requests the fake received (token requests excluded). */
function retrievalRequests(fake: ReturnType<typeof createFakeJumio>) {
  return fake.requests.filter((request) => request.host.startsWith('retrieval.'))
}

describe('parseWebhook', () => {
  it('confirms a callback against retrieval and emits the authoritative state without personal data', async () => {
    const { fake, jumio } = setup()
    fake.setDetails(accountId, workflowExecutionId, loadFixture('retrieval-details-passed'))
    const events = await jumio.parseWebhook({ headers, rawBody: loadFixtureText('callback-processed') })
    expect(events).toHaveLength(1)
    const [event] = events
    expect(KycEventSchema.parse(event)).toEqual(event)
    expect(event).toMatchObject({
      provider: 'jumio',
      type: 'verification.completed',
      // From retrieval (details completedAt), not from the callback's callbackSentAt.
      occurredAt: '2023-03-24T11:36:12.004Z',
      verification: {
        id: workflowExecutionId,
        status: 'completed',
        decision: { outcome: 'approved' },
        reference: { accountId, workflowExecutionId },
      },
      raw: { type: 'PROCESSED', accountId, workflowExecutionId, definitionKey: '10011' },
    })
    expect(event?.verification).not.toHaveProperty('identity')
    expect(event?.verification).not.toHaveProperty('session')
    expect(JSON.stringify(events)).not.toMatch(/ERIKA|MUSTERMANN|C01X00T47|1964-08-12|HEIDESTRASSE/)
  })

  it('reports an approval a person made over a failed capability as verification.reviewed, as Persona does', async () => {
    const { fake, jumio } = setup()
    const details = loadFixture('retrieval-details-passed') as {
      capabilities: { dataChecks: { decision: { type: string; details: { label: string } } }[] }
    }
    details.capabilities.dataChecks[0]!.decision = {
      type: 'WARNING',
      details: { label: 'MISMATCHING_DATAPOINTS' },
    }
    fake.setDetails(accountId, workflowExecutionId, details)
    const [event] = await jumio.parseWebhook({ headers, rawBody: loadFixtureText('callback-processed') })
    expect(event).toMatchObject({
      type: 'verification.reviewed',
      verification: { status: 'completed', decision: { outcome: 'approved', decidedBy: 'manual' } },
    })
  })

  it('accepts the body as bytes', async () => {
    const { fake, jumio } = setup()
    fake.setDetails(accountId, workflowExecutionId, loadFixture('retrieval-details-passed'))
    const rawBody = new TextEncoder().encode(loadFixtureText('callback-processed'))
    const [event] = await jumio.parseWebhook({ headers, rawBody })
    expect(event?.type).toBe('verification.completed')
  })

  it('reports the truth, not the hint: a callback claiming expiry of a processed execution', async () => {
    const { fake, jumio } = setup()
    fake.setDetails(accountId, workflowExecutionId, loadFixture('retrieval-details-rejected'))
    const [event] = await jumio.parseWebhook({ headers, rawBody: loadFixtureText('callback-token-expired') })
    expect(event).toMatchObject({
      type: 'verification.completed',
      verification: { status: 'completed', decision: { outcome: 'declined' } },
      // Jumio's word as retrieval reported it, not the callback's claim.
      raw: { type: 'PROCESSED' },
    })
  })

  it('gives the same event id to redeliveries and to forged hints about the same state', async () => {
    const { fake, jumio } = setup()
    fake.setDetails(accountId, workflowExecutionId, loadFixture('retrieval-details-passed'))
    const first = await jumio.parseWebhook({ headers, rawBody: loadFixtureText('callback-processed') })
    const again = await jumio.parseWebhook({ headers, rawBody: loadFixtureText('callback-processed') })
    const lying = await jumio.parseWebhook({ headers, rawBody: loadFixtureText('callback-token-expired') })
    expect(again[0]?.id).toBe(first[0]?.id)
    expect(lying[0]?.id).toBe(first[0]?.id)
  })

  it('maps TOKEN_EXPIRED to an expired event when only the status exists', async () => {
    const { fake, jumio } = setup()
    fake.setStatus(accountId, workflowExecutionId, {
      account: { id: accountId },
      workflowExecution: { id: workflowExecutionId, status: 'TOKEN_EXPIRED', definitionKey: '10032' },
    })
    const [event] = await jumio.parseWebhook({ headers, rawBody: loadFixtureText('callback-token-expired') })
    expect(event).toMatchObject({ type: 'verification.expired', verification: { status: 'expired' } })
    expect(event?.verification?.decision).toBeUndefined()
  })

  it('maps a PROCESSED execution whose decision is NOT_EXECUTED / TOKEN_EXPIRED to expired', async () => {
    const { fake, jumio } = setup()
    fake.setDetails(accountId, workflowExecutionId, loadFixture('retrieval-details-token-expired'))
    const [event] = await jumio.parseWebhook({ headers, rawBody: loadFixtureText('callback-processed') })
    expect(event).toMatchObject({ type: 'verification.expired', verification: { status: 'expired' } })
  })

  // Fails on main before issue 12: parseWebhook slept 40 s + 60 s + 100 s inside the request.
  it('never waits inside the request: details not ready give the current state, a background re-read the decision', async () => {
    const { fake, jumio, slept } = setup()
    fake.setStatus(accountId, workflowExecutionId, loadFixture('retrieval-status-processed'))
    let detailReads = 0
    fake.use((_request, url) => {
      if (!url.hostname.startsWith('retrieval.') || url.pathname.endsWith('/status')) return undefined
      detailReads += 1
      return detailReads <= 3
        ? Response.json({ title: 'Not Found', status: 404 }, { status: 404 })
        : Response.json(loadFixture('retrieval-details-passed'))
    })
    const background: KycEvent[][] = []
    jumio.subscribeBackgroundEvents(async (events) => {
      background.push(events)
    })
    const [event] = await jumio.parseWebhook({ headers, rawBody: loadFixtureText('callback-processed') })
    expect(event).toMatchObject({ type: 'verification.submitted', verification: { status: 'submitted' } })
    expect(detailReads).toBe(1)
    await vi.waitFor(() => expect(background).toHaveLength(1), { timeout: 15_000 })
    expect(slept).toEqual([40_000, 60_000, 100_000])
    expect(background[0]?.[0]).toMatchObject({
      type: 'verification.completed',
      verification: { decision: { outcome: 'approved' } },
    })
  })

  it('keeps one background re-read per execution, however many callbacks name it', async () => {
    const { fake, slept } = setup()
    const wakers: (() => void)[] = []
    const jumio = createJumio({
      ...testSettings(fake),
      callbackReadRateLimit: false,
      sleep: (ms: number) =>
        new Promise<void>((resolve) => {
          slept.push(ms)
          wakers.push(resolve)
        }),
    })
    fake.setStatus(accountId, workflowExecutionId, loadFixture('retrieval-status-processed'))
    for (let index = 0; index < 5; index++) {
      await jumio.parseWebhook({ headers, rawBody: loadFixtureText('callback-processed') })
    }
    expect(slept).toEqual([40_000])
    expect(wakers).toHaveLength(1)
  })

  it('keeps at most 1,000 executions with a background re-read at once', async () => {
    const fake = createFakeJumio()
    const held: number[] = []
    const warnings: string[] = []
    const jumio = createJumio({
      ...testSettings(fake),
      callbackReadRateLimit: false,
      // Every wait is held for good: re-reads pile up as far as the bound lets them.
      sleep: (ms: number) => new Promise<void>(() => held.push(ms)),
      logger: { warn: (message) => warnings.push(message) },
    })
    // Every execution exists and is PROCESSED, but no details are ready.
    fake.use((_request, url) => {
      if (!url.hostname.startsWith('retrieval.')) return undefined
      const [, , , , accountId, , workflowExecutionId, status] = url.pathname.split('/')
      if (status !== 'status') return Response.json({ title: 'Not Found', status: 404 }, { status: 404 })
      return Response.json({
        account: { id: accountId },
        workflowExecution: { id: workflowExecutionId, status: 'PROCESSED', definitionKey: '10011' },
      })
    })
    for (let index = 0; index < 1_005; index++) {
      const suffix = index.toString(16).padStart(12, '0')
      const rawBody = JSON.stringify({
        workflowExecution: { id: `22222222-2222-2222-2222-${suffix}`, status: 'PROCESSED' },
        account: { id: accountId },
      })
      await jumio.parseWebhook({ headers, rawBody })
    }
    expect(held).toHaveLength(jumioMaxBackgroundReads)
    expect(warnings.filter((message) => message.includes('too many in flight'))).toHaveLength(5)
    // A generous limit for 1,005 callbacks on a loaded machine; nothing here measures time.
  }, 120_000)

  it('gives up after the schedule; the callback got what retrieval knew', async () => {
    const { fake, jumio, slept } = setup({ retrievalRetryDelaysMs: [5, 10] })
    fake.setStatus(accountId, workflowExecutionId, loadFixture('retrieval-status-processed'))
    const warnings: string[] = []
    const logged = createJumio({
      ...testSettings(fake),
      callbackReadRateLimit: false,
      retrievalRetryDelaysMs: [5, 10],
      sleep: async (ms: number) => {
        slept.push(ms)
      },
      logger: { warn: (message) => warnings.push(message) },
    })
    void jumio
    const [event] = await logged.parseWebhook({ headers, rawBody: loadFixtureText('callback-processed') })
    expect(event).toMatchObject({ type: 'verification.submitted', verification: { status: 'submitted' } })
    await vi.waitFor(
      () => expect(warnings).toContain('jumio background retrieval gave up: details still not ready'),
      { timeout: 15_000 },
    )
    expect(slept).toEqual([5, 10])
    // 1 status + 1 details in the request, then 2 background attempts of status + details.
    expect(retrievalRequests(fake)).toHaveLength(6)
  })

  it('re-reads in the background while details show no decision yet (an early callback), then reports it', async () => {
    const { fake, jumio, slept } = setup()
    fake.setStatus(accountId, workflowExecutionId, loadFixture('retrieval-status-processed'))
    let detailReads = 0
    fake.use((_request, url) => {
      if (!url.hostname.startsWith('retrieval.') || url.pathname.endsWith('/status')) return undefined
      detailReads += 1
      return Response.json(
        loadFixture(detailReads <= 2 ? 'retrieval-details-acquired' : 'retrieval-details-passed'),
      )
    })
    const background: KycEvent[][] = []
    jumio.subscribeBackgroundEvents(async (events) => {
      background.push(events)
    })
    const [event] = await jumio.parseWebhook({ headers, rawBody: loadFixtureText('callback-processed') })
    expect(event?.verification?.status).toBe('submitted')
    await vi.waitFor(() => expect(background).toHaveLength(1), { timeout: 15_000 })
    expect(slept).toEqual([40_000, 60_000])
    expect(background[0]?.[0]).toMatchObject({ type: 'verification.completed' })
  })

  it('answers at once when retrieval already shows an end, whatever the callback claims', async () => {
    const { fake, jumio, slept } = setup()
    fake.setDetails(accountId, workflowExecutionId, loadFixture('retrieval-details-passed'))
    await jumio.parseWebhook({ headers, rawBody: loadFixtureText('callback-token-expired') })
    await jumio.parseWebhook({ headers, rawBody: loadFixtureText('callback-processed') })
    expect(slept).toEqual([])
  })

  it('rejects a callback for an execution that does not exist at Jumio', async () => {
    const { jumio } = setup()
    const error = await jumio
      .parseWebhook({ headers, rawBody: loadFixtureText('callback-processed') })
      .catch((caught: unknown) => caught)
    expect(error).toBeInstanceOf(KycWebhookVerificationError)
  })

  it.each([
    ['not JSON', 'hello'],
    ['JSON without ids', '{"workflowExecution":{"status":"PROCESSED"}}'],
    ['an array', '[]'],
  ])('rejects a body that is %s, without quoting it', async (_what, rawBody) => {
    const { fake, jumio } = setup()
    const error = await jumio.parseWebhook({ headers, rawBody }).catch((caught: unknown) => caught)
    expect(error).toBeInstanceOf(KycWebhookVerificationError)
    expect(JSON.stringify(error)).not.toContain(rawBody)
    expect(fake.requests).toHaveLength(0)
  })

  it('propagates an outage as retryable, so the delivery can be tried again', async () => {
    const { fake, jumio } = setup({ retries: 0 })
    fake.use((_request, url) =>
      url.hostname.startsWith('retrieval.') ? new Response(null, { status: 503 }) : undefined,
    )
    await expect(
      jumio.parseWebhook({ headers, rawBody: loadFixtureText('callback-processed') }),
    ).rejects.toBeInstanceOf(KycProviderUnavailableError)
  })

  it('passes the request signal to the read', async () => {
    const { fake, jumio } = setup()
    fake.setDetails(accountId, workflowExecutionId, loadFixture('retrieval-details-passed'))
    const controller = new AbortController()
    controller.abort(new Error('shutting down'))
    await expect(
      jumio.parseWebhook({
        headers,
        rawBody: loadFixtureText('callback-processed'),
        signal: controller.signal,
      }),
    ).rejects.toThrow('shutting down')
  })
})

describe('callback source check', () => {
  it('is off by default: any address (or none) is accepted, retrieval decides', async () => {
    const { fake, jumio } = setup()
    fake.setDetails(accountId, workflowExecutionId, loadFixture('retrieval-details-passed'))
    const events = await jumio.parseWebhook({
      headers,
      rawBody: loadFixtureText('callback-processed'),
      remoteAddress: '198.51.100.9',
    })
    expect(events).toHaveLength(1)
  })

  it('accepts Jumio’s published addresses, also as IPv4-mapped IPv6, when on', async () => {
    const { fake, jumio } = setup({ verifyCallbackSource: true })
    fake.setDetails(accountId, workflowExecutionId, loadFixture('retrieval-details-passed'))
    for (const remoteAddress of ['34.202.241.227', '::ffff:54.183.15.212']) {
      const events = await jumio.parseWebhook({
        headers,
        rawBody: loadFixtureText('callback-processed'),
        remoteAddress,
      })
      expect(events).toHaveLength(1)
    }
  })

  it.each([['198.51.100.9'], ['34.253.41.236'], [undefined], ['not-an-address']])(
    'rejects %s before any request when on',
    async (remoteAddress) => {
      const { fake, jumio } = setup({ verifyCallbackSource: true })
      const error = await jumio
        .parseWebhook({
          headers,
          rawBody: loadFixtureText('callback-processed'),
          ...(remoteAddress === undefined ? {} : { remoteAddress }),
        })
        .catch((caught: unknown) => caught)
      expect(error).toBeInstanceOf(KycWebhookVerificationError)
      expect(fake.requests).toHaveLength(0)
    },
  )

  it('takes a custom list with CIDR ranges', async () => {
    const { fake, jumio } = setup({ verifyCallbackSource: ['127.0.0.0/8', '::1'] })
    fake.setDetails(accountId, workflowExecutionId, loadFixture('retrieval-details-passed'))
    await expect(
      jumio.parseWebhook({
        headers,
        rawBody: loadFixtureText('callback-processed'),
        remoteAddress: '127.0.0.1',
      }),
    ).resolves.toHaveLength(1)
    await expect(
      jumio.parseWebhook({ headers, rawBody: loadFixtureText('callback-processed'), remoteAddress: '::1' }),
    ).resolves.toHaveLength(1)
  })
})

describe('with the core webhook pipeline', () => {
  it('dedupes a redelivered callback and applies the state once', async () => {
    const { fake, jumio } = setup()
    fake.setDetails(accountId, workflowExecutionId, loadFixture('retrieval-details-passed'))
    const pipeline = createWebhookPipeline({ adapter: jumio })
    const rawBody = loadFixtureText('callback-processed')
    const first = await pipeline.handle({ headers, rawBody })
    const second = await pipeline.handle({ headers, rawBody })
    expect(first.events).toHaveLength(1)
    expect(first.events[0]?.changed).toBe(true)
    expect(second.events).toHaveLength(0)
    expect(second.duplicates).toEqual([first.events[0]?.event.id])
  })
})
