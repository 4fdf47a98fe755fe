/**
 * Issue 12, adapter side: what an attacker can make the Jumio adapter do with forged callbacks,
 * hostile field names and hostile ids, against the Jumio simulator. Every test here fails on main
 * before issue 12 (checked once when it was written).
 */
import { randomUUID } from 'node:crypto'
import { createWebhookPipeline, KycInvalidRequestError, KycWebhookVerificationError } from '@openkyc/core'
import { createRateLimiter } from '@openkyc/core/http'
import { createJumioConformanceDriver, jumioSimulatorClient } from '@openkyc/simulator-jumio'
import { scenarioById } from '@openkyc/testkit'
import { afterEach, describe, expect, it } from 'vitest'
import { createJumio, type JumioSettings } from '../src/index.js'

type Driver = Awaited<ReturnType<typeof createJumioConformanceDriver>>
const drivers: Driver[] = []
afterEach(async () => {
  await Promise.all(drivers.splice(0).map((driver) => driver.close()))
})

const headers = new Headers({ 'content-type': 'application/json' })

/** The simulator, an adapter on it, and a count of the retrieval requests the adapter sent. */
async function setup(extra: Partial<JumioSettings> = {}) {
  const driver = await createJumioConformanceDriver()
  drivers.push(driver)
  const sent = { retrieval: 0, all: 0 }
  const fetch = (async (input: Request | string | URL, init?: RequestInit) => {
    const request = input instanceof Request ? input : new Request(input, init)
    sent.all += 1
    if (new URL(request.url).hostname.startsWith('retrieval.')) sent.retrieval += 1
    return driver.fetch(request)
  }) as typeof globalThis.fetch
  const settings: JumioSettings = {
    clientId: jumioSimulatorClient.id,
    clientSecret: jumioSimulatorClient.secret,
    region: 'amer-1',
    userAgent: 'OpenKYC Tests/1.0',
    workflowKey: 32,
    fetch,
    now: () => driver.now?.() ?? Date.now(),
    sleep: async () => {},
    transactionRateLimit: false,
    env: {},
    ...extra,
  }
  return { driver, jumio: createJumio(settings), sent, settings }
}

function forgedCallback(accountId: string, workflowExecutionId: string, extra: Record<string, unknown> = {}) {
  return JSON.stringify({
    callbackSentAt: '2030-01-01T00:00:00.000Z',
    workflowExecution: { id: workflowExecutionId, status: 'PROCESSED', definitionKey: '999', ...extra },
    account: { id: accountId },
  })
}

async function failure(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected a failure')
    },
    (error: unknown) => error,
  )
}

describe('forged Jumio callbacks (issue 12, classes 2 and 3)', () => {
  it('cost one retrieval request for a well-formed unknown id, then none while it is remembered', async () => {
    const { jumio, sent } = await setup()
    const rawBody = forgedCallback(randomUUID(), randomUUID())
    expect(await failure(jumio.parseWebhook({ headers, rawBody }))).toBeInstanceOf(
      KycWebhookVerificationError,
    )
    expect(sent.retrieval).toBe(1)
    for (let index = 0; index < 20; index++) {
      expect(await failure(jumio.parseWebhook({ headers, rawBody }))).toBeInstanceOf(
        KycWebhookVerificationError,
      )
    }
    expect(sent.retrieval).toBe(1)
  })

  it.each([
    ['..', '..'],
    ['.', randomUUID()],
    [randomUUID(), '../../accounts'],
    ['not-a-uuid', randomUUID()],
    [randomUUID(), ''],
  ])(
    'cost no request at all for ids that cannot be Jumio’s (%j, %j)',
    async (accountId, workflowExecutionId) => {
      const { jumio, sent } = await setup()
      const error = await failure(
        jumio.parseWebhook({ headers, rawBody: forgedCallback(accountId, workflowExecutionId) }),
      )
      expect(error).toBeInstanceOf(KycWebhookVerificationError)
      expect(sent.all).toBe(0)
    },
  )

  it('never hold the request: a flood beyond the callback budget is answered "try later" at once', async () => {
    // A clock that never moves: the window never refills during the flood.
    const { jumio, sent } = await setup({
      callbackReadRateLimit: createRateLimiter({ requests: 3, intervalMs: 1000, now: () => 0 }),
    })
    const outcomes = await Promise.allSettled(
      Array.from({ length: 50 }, () =>
        jumio.parseWebhook({ headers, rawBody: forgedCallback(randomUUID(), randomUUID()) }),
      ),
    )
    const codes = outcomes.map((outcome) =>
      outcome.status === 'rejected' ? (outcome.reason as { code: string }).code : 'accepted',
    )
    expect(codes.filter((code) => code === 'webhook_verification')).toHaveLength(3)
    expect(codes.filter((code) => code === 'rate_limited')).toHaveLength(47)
    expect(sent.retrieval).toBe(3)
    // The application's own reads do not share that budget.
    const { verification } = await jumio.createVerification({ subjectReference: 'app-user', country: 'DE' })
    await expect(jumio.getVerification({ reference: verification.reference })).resolves.toMatchObject({
      id: verification.id,
    })
  })

  it('cannot write into events: a forged callback racing the genuine one yields the genuine event', async () => {
    const { driver, jumio } = await setup({ callbackReadRateLimit: false })
    const { verification } = await jumio.createVerification({ subjectReference: 'race', country: 'DE' })
    await driver.runScenario({ reference: verification.reference, scenario: scenarioById('clean_approve') })
    const [delivery] = await driver.webhookDeliveries({ reference: verification.reference })
    const { accountId, workflowExecutionId } = verification.reference as {
      accountId: string
      workflowExecutionId: string
    }
    const forged = forgedCallback(accountId, workflowExecutionId, { status: 'TOKEN_EXPIRED' })
    const pipeline = createWebhookPipeline({ adapter: jumio })
    const [forgedOutcome, genuineOutcome] = await Promise.all([
      pipeline.handle({ headers, rawBody: forged }),
      pipeline.handle(delivery!),
    ])
    const [forgedEvent] = await jumio.parseWebhook({ headers, rawBody: forged })
    const [genuineEvent] = await jumio.parseWebhook(delivery!)
    expect(forgedEvent).toEqual(genuineEvent)
    expect(genuineEvent).toMatchObject({
      type: 'verification.completed',
      raw: { type: 'PROCESSED', definitionKey: '32' },
    })
    expect(genuineEvent?.occurredAt).not.toBe('2030-01-01T00:00:00.000Z')
    // One of the two was first; the other is a duplicate of identical, retrieved content.
    expect([...forgedOutcome.events, ...genuineOutcome.events]).toHaveLength(1)
    expect([...forgedOutcome.duplicates, ...genuineOutcome.duplicates]).toEqual([genuineEvent?.id])
  })
})

describe('hostile field names and ids (issue 12, classes 4 and 5)', () => {
  it('refuses __proto__ in prepared data before any request; Object.prototype stays clean and a fresh adapter works', async () => {
    const { jumio, sent, settings } = await setup({
      userConsent: { userIp: '203.0.113.10', userLocation: { country: 'DE' } },
    })
    const { verification } = await jumio.createVerification({
      subjectReference: 'pollution',
      channel: 'api',
      country: 'DE',
    })
    const before = sent.all
    for (const key of ['__proto__.polluted', 'constructor.prototype.polluted', 'a.__proto__.polluted']) {
      const error = await failure(
        jumio.uploadCredential({
          reference: verification.reference,
          kind: 'personal_data',
          data: { [key]: 'yes', firstName: 'ERIKA' },
        }),
      )
      expect(error).toBeInstanceOf(KycInvalidRequestError)
      expect(JSON.stringify(error)).not.toContain('ERIKA')
    }
    expect(sent.all).toBe(before)
    expect(({} as Record<string, unknown>).polluted).toBeUndefined()
    const fresh = createJumio(settings)
    await expect(
      fresh.createVerification({ subjectReference: 'after', country: 'DE' }),
    ).resolves.toBeDefined()
  })

  it.each([
    ['getVerification', '..'],
    ['deleteVerificationData', '..'],
    ['deleteVerificationData', '.'],
    ['getVerification', 'abc/../..'],
  ] as const)('%s refuses workflowExecutionId %j before any request', async (method, workflowExecutionId) => {
    const { jumio, sent } = await setup()
    const reference = { accountId: randomUUID(), workflowExecutionId }
    const error = await failure(jumio[method]({ reference }))
    expect(error).toBeInstanceOf(KycInvalidRequestError)
    expect((error as Error).message).toMatch(/^Invalid workflowExecutionId: /)
    expect(sent.all).toBe(0)
  })

  it('refuses a non-UUID account id on the Jumio-only account API before any request', async () => {
    const { jumio, sent } = await setup()
    expect(await failure(jumio.accounts.delete('..'))).toBeInstanceOf(KycInvalidRequestError)
    expect(sent.all).toBe(0)
  })
})
